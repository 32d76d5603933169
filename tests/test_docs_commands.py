"""Every command quoted in the README and the guides is run, and the output they quote is compared.

A console block (```console in README.md, ``.. code-block:: console`` in docs/guides/*.rst)
holds commands, each on a line starting with ``$ ``, and the output they print (stdout and
stderr, as a terminal shows them) on the lines after it, up to the next command or the end
of the block. The commands of one page run in order in one copy of the project (``rules/``,
``examples/``, ``libraries/``), from its top folder, with ``mespolicy`` on the PATH as this
checkout's command, so a page may set up what its later commands read (``cp -r rules
my-rules``). The steps that install (``python -m venv``, activating it, ``pip install``,
``nox``) are left out: the test environment is already installed.

A command that shows output must print exactly that, where a line ``...`` stands for any
lines and ``...`` inside a line for any text (hashes, timings, dates); a command that shows
none must succeed (exit status 0). A shell block (``sh``) that quotes a ``mespolicy``
command is refused: such a command would not be run.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner

from mespolicy.cli import main

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs" / "guides").glob("*.rst"))]
# what a copy of the project holds for the commands to read
PROJECT = ("rules", "examples", "libraries")
# install steps, already done for the test environment
_INSTALL = re.compile(
    r"^(python3? -m venv\b|\. \.venv/bin/activate|source \.venv/bin/activate|"
    r"(python3? -m )?pip install\b|(python3? -m )?nox\b|\.venv/bin/pip install\b)"
)


@attrs.frozen
class Command:
    page: str
    line: int
    text: str
    output: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.page}:{self.line}: $ {self.text}"


def console_blocks(path: Path) -> list[list[tuple[int, str]]]:
    """The console blocks of a page: each a list of (line number, text) with the indentation removed."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[list[tuple[int, str]]] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if path.suffix == ".md" and line.strip() == "```console":
            end = next(i for i in range(index + 1, len(lines)) if lines[i].strip() == "```")
            blocks.append([(i + 1, lines[i]) for i in range(index + 1, end)])
            index = end
        elif path.suffix == ".rst" and line.strip() == ".. code-block:: console":
            body = []
            index += 1
            while index < len(lines) and (not lines[index].strip() or lines[index].startswith("   ")):
                body.append((index + 1, lines[index][3:]))
                index += 1
            while body and not body[-1][1].strip():
                body.pop()
            blocks.append(body[1:] if body and not body[0][1].strip() else body)
        index += 1
    return blocks


def commands(path: Path) -> list[Command]:
    """The commands of a page in order, each with the output quoted after it."""
    found: list[Command] = []
    for block in console_blocks(path):
        current: tuple[int, str] | None = None
        output: list[str] = []
        for number, text in [*block, (0, "$ ")]:
            if text.startswith("$ ") or number == 0:
                if current is not None:
                    while output and not output[-1].strip():
                        output.pop()
                    found.append(Command(path.name, current[0], current[1], tuple(output)))
                current, output = (number, text[2:]), []
            elif current is not None:
                output.append(text)
    return found


def runnable(text: str) -> str:
    """The command without its install steps (`python -m venv .venv && ... && mespolicy ...`)."""
    return " && ".join(part for part in text.split(" && ") if not _INSTALL.match(part.strip()))


def matches(expected: tuple[str, ...], actual: str) -> bool:
    """The output against the quoted lines: `...` alone is any lines, `...` in a line any text."""
    pattern = []
    for line in expected:
        if line.strip() == "...":
            pattern.append(r"(?:[^\n]*\n)*?")
        else:
            pattern.append(".*?".join(re.escape(part) for part in line.rstrip().split("...")) + r"[ \t]*\n")
    return re.fullmatch("".join(pattern), actual.rstrip("\n") + "\n" if actual.strip() else "") is not None


def _project(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    project = tmp_path / "project"
    for name in PROJECT:
        shutil.copytree(ROOT / name, project / name)
    tools = tmp_path / "bin"
    tools.mkdir()
    command = tools / "mespolicy"
    command.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m mespolicy "$@"\n')
    command.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MESPOLICY_")}
    env.update(
        PATH=f"{tools}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=str(ROOT),
        COLUMNS="80",
        NO_COLOR="1",
        LC_ALL="C.UTF-8",
    )
    return project, env


# a command the shell need not read: `mespolicy` and its words, maybe a comment
_PLAIN = re.compile(r"^mespolicy(\s+[^|&;<>()$`\\!*?\[\]{}~]*)?$")


def run(script: str, project: Path, env: dict[str, str]) -> tuple[int, str]:
    """Exit status and output (stdout and stderr as a terminal interleaves them) of one quoted command.

    A plain `mespolicy ...` runs in this process (the same `main` as the installed command, without
    a process start per command); anything the shell must read runs under bash.
    """
    words = shlex.split(script, comments=True) if _PLAIN.match(script.strip()) else None
    if words is not None:
        result = CliRunner().invoke(
            main, words[1:], env={"MESPOLICY_POLICY": None, "COLUMNS": "80"}, prog_name="mespolicy"
        )
        return result.exit_code, result.output
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
        check=False,
    )
    return done.returncode, done.stdout


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_the_commands_a_page_quotes_run_and_print_what_it_shows(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    quoted = commands(page)
    project, env = _project(tmp_path)
    monkeypatch.chdir(project)
    problems = []
    for command in quoted:
        script = runnable(command.text)
        if not script.strip():
            continue
        code, output = run(script, project, env)
        if command.output and not matches(command.output, output):
            shown = "\n".join(command.output)
            problems.append(f"{command}\n--- quoted\n{shown}\n--- printed (exit {code})\n{output}")
        elif not command.output and code != 0:
            problems.append(f"{command}\n--- exit {code}, output:\n{output}")
    assert not problems, "\n\n".join(problems)


_SHELL_BLOCK = {
    ".md": re.compile(r"```(?:sh|bash|shell)\n(.*?)```", re.S),
    ".rst": re.compile(r"\.\. code-block:: (?:sh|bash|shell)\n\n((?:   .*\n|\n)+)"),
}


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_no_page_quotes_a_command_outside_a_console_block(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    unrun = [block for block in _SHELL_BLOCK[page.suffix].findall(text) if "mespolicy" in block]
    assert unrun == [], "write these as console blocks ($ command, then its output), so they are run"
    assert commands(page), "the page quotes commands"


def test_the_harness_reads_blocks_and_placeholders() -> None:
    assert matches(("policy: rules (./rules) sha256:...", "ok"), "policy: rules (./rules) sha256:ab12\nok\n")
    assert not matches(("policy: rules",), "policy: other\n")
    assert matches(("first", "...", "last"), "first\na\nb\nlast\n")
    assert matches(("first", "...", "last"), "first\nlast\n")
    assert not matches(("first", "last"), "first\nmiddle\nlast\n")
    assert runnable("python -m venv .venv && . .venv/bin/activate && pip install -e .") == ""
    assert runnable("python3 -m venv .venv && mespolicy test") == "mespolicy test"
