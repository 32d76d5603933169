"""Hostile rule folders (issue 9): reading and parsing them runs no code, reads nothing outside
the folder, and refuses what is too big or too deep with a located error, never a traceback."""

from __future__ import annotations

import json
import os
import pickle
import re
import tempfile
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import lark
import pytest
from click.testing import CliRunner

import mespolicy
from mespolicy import loader, parser
from mespolicy.cli import main
from mespolicy.errors import MespolicyError, PolicyFileError, PolicySyntaxError
from mespolicy.formatter import format_text
from mespolicy.limits import DEFAULT, Limits
from mespolicy.loader import read_policy
from mespolicy.parser import parse
from mespolicy.testing import collect_tests

RULES = Path(__file__).parent.parent.parent / "rules"
EXAMPLES = RULES.parent / "examples"

PLANTED: list[str] = []


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--no-color", *args])
    return result.exit_code, result.stdout, result.stderr


def _planted_code_ran() -> None:
    PLANTED.append("ran")


class _Payload:
    """Unpickling this calls _planted_code_ran: what a planted cache file would do."""

    def __reduce__(self) -> tuple[object, tuple[()]]:
        return (_planted_code_ran, ())


# -- finding 1: no pickle cache in the temp folder ------------------------------------------


def test_building_the_parser_reads_and_writes_nothing_in_the_temp_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    # Where Lark's cache=True would look: the name it derives for these very options.
    grammar = resources.files("mespolicy").joinpath("grammar.lark").read_text(encoding="utf-8")
    lark.Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=False, cache=True)
    (cache_file,) = tmp_path.iterdir()
    cache_file.write_bytes(b"any hash\n" + pickle.dumps(_Payload()))
    before = sorted(p.name for p in tmp_path.iterdir())
    opened: list[str] = []
    real_open = lark.utils.FS.open

    def spy(name: str, *args: Any, **kwargs: Any) -> Any:
        opened.append(name)
        return real_open(name, *args, **kwargs)  # type: ignore[no-untyped-call]

    monkeypatch.setattr(lark.utils.FS, "open", spy)
    parser._lark.cache_clear()
    try:
        parse("action a { }\n", "a.mes")
    finally:
        parser._lark.cache_clear()
    assert PLANTED == [], "a planted file in the temp folder was unpickled"
    assert opened == []
    assert sorted(p.name for p in tmp_path.iterdir()) == before


# -- finding 6: a syntax error is reported in time linear in the file -------------------------

_LONG_COMMENT = """\
import resource, sys
resource.setrlimit(resource.RLIMIT_CPU, (60, 60))
from mespolicy.errors import PolicySyntaxError
from mespolicy.parser import parse
text = "define f: number {\\n  # " + "let " * 220_000 + "\\n  result 1 }\\n)\\n"
try:
    parse(text, "long.mes")
except PolicySyntaxError as error:
    print(error.code, error.diagnostics[0].span)
"""


def test_a_syntax_error_after_a_long_comment_is_reported_without_backtracking() -> None:
    # The old hint pattern backtracked over the comment for every 'let' in it: quadratic,
    # hours for this 880 KB file. The child may use a minute of CPU; it needs well under a second.
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _LONG_COMMENT], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.split() == ["P101", "long.mes:4:1"]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("define f: number {\n  let a = 1\n  (a)\n}\n", "P114 t.mes:3:3"),
        ("define f: number {\n  let a = 1\n  -a\n}\n", "P101 t.mes:4:1"),
        ("action a {\n  approve {\n  }\n}\n", "P113 t.mes:2:11"),
        ("action a {\n  reject\n  when true {\n  }\n}\n", "P113 t.mes:3:8"),
        ("action a {\n  disapprove {\n  }\n}\n", "P101 t.mes:2:3"),
        ("action a {\n  approve r 8.3 { }\n}\n", "P112 t.mes:2:13"),
        ("action a {\n  approve r §1 when a = b { }\n}\n", "P110 t.mes:2:23"),
        ("action a {\n  approve r §1 when a ==\n\n\n", "P103 t.mes:4:1"),
        ("action a {\r\n  approve r §1 when a == \r\n", "P103 t.mes:2:26"),
    ],
)
def test_the_hints_still_recognise_the_mistakes_they_name(text: str, where: str) -> None:
    # the same codes and places as before the hints were rewritten to read from the end
    with pytest.raises(PolicySyntaxError) as caught:
        parse(text, "t.mes")
    assert f"{caught.value.code} {caught.value.diagnostics[0].span}" == where


# -- finding 8: nesting deeper than the limit is L104 at its place, never a RecursionError -----

def _refused(text: str, limits: Limits = DEFAULT) -> PolicySyntaxError:
    with pytest.raises(PolicySyntaxError) as caught:
        if limits is DEFAULT:
            parse(text, "deep.mes")
        else:
            parse(text, "deep.mes", limits)
    return caught.value


@pytest.mark.parametrize(
    "expression",
    [
        " and ".join(["true"] * 1_000),
        " or ".join(["true"] * 5_000),
        "1" + " + 1" * 3_000,
        "(" * 2_000 + "1" + " + 1)" * 2_000,
        "-" * 3_000 + "1",
        "not " * 3_000 + "true",
        "if true then " * 1_000 + "1" + " else 2" * 1_000,
    ],
    ids=["and", "or", "plus", "parentheses", "negation", "not", "if"],
)
def test_a_deep_expression_is_refused_at_its_deepest_node(expression: str) -> None:
    error = _refused(f"action a {{\n  let x = {expression}\n}}\n")
    (diagnostic,) = error.diagnostics
    assert diagnostic.code == "L104"
    assert "at most 100 deep" in diagnostic.message
    assert diagnostic.span.line == 2
    assert diagnostic.span.column > 11  # inside the expression, not at the action
    assert "L104" in error.render()


def test_nested_blocks_are_refused_too() -> None:
    body = "for c in contracts {\n" * 150 + "}\n" * 150
    error = _refused(f"action a {{\n  approve r §1 {{\n{body}  }}\n}}\n")
    assert error.code == "L104"
    assert error.diagnostics[0].span.line > 100


def test_the_nesting_limit_is_the_callers() -> None:
    text = "action a {\n  let x = " + " and ".join(["true"] * 50) + "\n}\n"
    parse(text, "ok.mes")
    assert _refused(text, Limits(nesting_depth=20)).code == "L104"


def test_parentheses_alone_nest_nothing() -> None:
    (action,) = parse("action a {\n  let x = " + "(" * 5_000 + "1" + ")" * 5_000 + "\n}\n").items
    assert action.lets[0].value.value == 1  # type: ignore[union-attr]


# -- finding 11: an error quotes the line it is on, whatever characters the text holds --------


@pytest.mark.parametrize("odd", ["\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\r"])
def test_the_excerpt_is_the_line_lark_counted(odd: str) -> None:
    text = f'# a comment with {odd} inside\naction a {{\n  let x = @\n}}\n'
    (diagnostic,) = _refused(text).diagnostics
    assert (diagnostic.code, diagnostic.span.line, diagnostic.span.column) == ("P102", 3, 11)
    source_line, caret = diagnostic.render().splitlines()[1:3]
    assert source_line == "  " + "  let x = @"
    assert caret == "  " + " " * 10 + "^"


def test_the_excerpt_of_a_line_holding_a_control_character_keeps_the_caret_in_place() -> None:
    (diagnostic,) = _refused('action a {\n  let x = "\x1b[2J\x85" + @\n}\n').diagnostics
    source_line, caret = diagnostic.render().splitlines()[1:3]
    assert "\x1b" not in source_line and "\x85" not in source_line
    assert caret.index("^") == source_line.index("@")


def test_crlf_files_quote_their_lines_without_the_carriage_return() -> None:
    (diagnostic,) = _refused("action a {\r\n  let x = @\r\n}\r\n").diagnostics
    assert diagnostic.render().splitlines()[1] == "    let x = @"


# -- finding 14 and L105: numbers are ASCII digits, and not too many of them --------------------


# fullwidth, Arabic-Indic, Devanagari and mathematical bold 2 and 5
@pytest.mark.parametrize("digits", ["\uff12\uff15", "\u0662\u0665", "\u0968\u096b", "\U0001d7d0\U0001d7d3"])
def test_only_ascii_digits_are_numbers(digits: str) -> None:
    for text in (
        f"parameter p = {digits}%\n",
        f"parameter p = {digits}\n",
        f"parameter p = {digits} days\n",
        f"parameter p = {digits} USD\n",
        f"parameter p = 20{digits}-01-01\n",
        f"parameter p = 1\n  clause §{digits}\n",
    ):
        assert _refused(text).code == "P102", text


@pytest.mark.parametrize(
    "literal",
    ["1" * 5_000, "1" * 41, "0." + "1" * 40, "1" * 41 + "%", "1" * 5_000 + " days", "1" * 41 + " USD"],
)
def test_a_number_with_too_many_digits_is_refused_where_it_is_written(literal: str) -> None:
    (diagnostic,) = _refused(f"parameter p = 1\nparameter q = {literal}\n").diagnostics
    assert (diagnostic.code, diagnostic.span.line, diagnostic.span.column) == ("L105", 2, 15)
    assert "at most 40" in diagnostic.message


def test_forty_digits_are_a_number() -> None:
    (parameter,) = parse("parameter p = " + "9" * 20 + "." + "9" * 20 + "\n").items
    assert parameter.values[0].value.value == Decimal("9" * 20 + "." + "9" * 20)  # type: ignore[union-attr]
    parse("parameter p = " + "1" * 60 + "\n", "p.mes", Limits(number_digits=60))


# -- finding 2: a policy reads only the files inside its folder --------------------------------

SECRET = "SECRET-7f3a9c: not for rule authors"
GOOD = "action a {\n  approve r §1 {\n  }\n}\n"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file beside the policy folder, holding a secret that would be a syntax error if parsed."""
    secret = tmp_path / "secret.mes"
    secret.write_text(SECRET + "\n", encoding="utf-8")
    return secret


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "policy"
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _load_error(folder: Path, limits: Limits = DEFAULT) -> MespolicyError:
    with pytest.raises(MespolicyError) as caught:
        mespolicy.load(folder, limits=limits)
    return caught.value


def _located(error: MespolicyError) -> tuple[str, str]:
    assert isinstance(error, PolicyFileError), error
    (diagnostic,) = error.diagnostics
    return diagnostic.code, str(diagnostic.span)


def _never_quoted(error: MespolicyError) -> None:
    for text in (str(error), error.render()):
        assert "SECRET" not in text
        assert "Traceback" not in text


@pytest.mark.parametrize(
    "written",
    [
        "../secret.mes",
        "sub/../../secret.mes",
        "../policy/../secret.mes",
        "../../../../../../../../../../../../..{outside}",
        "{outside}",
        "/proc/self/environ",
        "/etc/passwd",
    ],
)
def test_an_include_leaving_the_folder_is_refused_at_the_include(
    tmp_path: Path, outside: Path, written: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MESPOLICY_TEST_TOKEN", SECRET)  # what /proc/self/environ would show
    folder = _folder(tmp_path, {"main.mes": f'# rules\ninclude "{written.format(outside=outside)}"\n' + GOOD})
    error = _load_error(folder)
    assert _located(error) == ("L107", "main.mes:2:1")
    _never_quoted(error)


def test_a_linked_rule_file_leading_out_of_the_folder_is_refused(tmp_path: Path, outside: Path) -> None:
    folder = _folder(tmp_path, {"main.mes": GOOD})
    (folder / "shared.mes").symlink_to(outside)
    error = _load_error(folder)
    assert _located(error) == ("L107", "shared.mes:1:1")
    _never_quoted(error)


def test_an_include_through_a_linked_folder_leading_out_is_refused(tmp_path: Path, outside: Path) -> None:
    folder = _folder(tmp_path, {"main.mes": 'include "lib/secret.mes"\n' + GOOD})
    (folder / "lib").symlink_to(outside.parent)
    error = _load_error(folder)
    assert _located(error) == ("L107", "main.mes:1:1")
    _never_quoted(error)


def test_a_linked_test_file_leading_out_of_the_folder_is_refused(tmp_path: Path, outside: Path) -> None:
    folder = _folder(tmp_path, {"main.mes": GOOD, "tests/a.mes": "# no tests yet\n"})
    (folder / "tests" / "b.mes").symlink_to(outside)
    with pytest.raises(MespolicyError) as caught:
        collect_tests(folder)
    assert _located(caught.value) == ("L107", "tests/b.mes:1:1")
    code, _, err = _run("check", str(folder))
    assert code == 2
    assert f"{folder}/tests/b.mes:1:1: L107" in err
    assert "SECRET" not in err and "Traceback" not in err


def test_links_and_climbs_that_stay_inside_the_folder_are_read(tmp_path: Path) -> None:
    folder = _folder(
        tmp_path,
        {
            "main.mes": 'include "lib/common.mes"\n' + GOOD,
            "lib/common.mes": 'include "../lib/more.mes"\n',
            "lib/more.mes": "parameter p = 1 days\n  clause §1\n  source \"s\"\n",
        },
    )
    (folder / "alias.mes").symlink_to(folder / "lib" / "more.mes")
    files = read_policy(folder)
    assert sorted(f.path for f in files) == ["lib/common.mes", "lib/more.mes", "main.mes"]


@pytest.mark.parametrize("written", [".env", "notes.txt", ".ssh/id_ed25519", "lib/.hidden.mes", "./.x/a.mes"])
def test_an_include_reads_only_rule_files_never_hidden_ones(tmp_path: Path, written: str) -> None:
    # a secret beside the rules must never reach an error message
    folder = _folder(tmp_path, {"main.mes": f'include "{written}"\n' + GOOD})
    for secret in (".env", "notes.txt", ".ssh/id_ed25519", "lib/.hidden.mes", ".x/a.mes"):
        (folder / secret).parent.mkdir(parents=True, exist_ok=True)
        (folder / secret).write_text("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI\n", encoding="utf-8")
    error = _load_error(folder)
    assert _located(error) == ("L108", "main.mes:1:1")
    assert "wJalr" not in error.render()


def test_a_rule_file_linked_to_a_hidden_file_beside_it_is_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"main.mes": 'include "lib/a.mes"\n' + GOOD, "lib/x.mes": ""})
    (folder / ".env").write_text("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI\n", encoding="utf-8")
    (folder / "lib" / "a.mes").symlink_to(folder / ".env")
    error = _load_error(folder)
    assert _located(error) == ("L107", "main.mes:1:1")
    assert "wJalr" not in error.render()
    (folder / "main.mes").write_text(GOOD, encoding="utf-8")
    (folder / "env.mes").symlink_to(folder / ".env")
    error = _load_error(folder)
    assert _located(error) == ("L107", "env.mes:1:1")
    assert "wJalr" not in error.render()


def test_hidden_rule_files_are_not_part_of_the_policy(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"main.mes": GOOD, ".#main.mes": "this is not rule text"})
    assert [f.path for f in read_policy(folder)] == ["main.mes"]


# -- finding 8: paths no file can have, links that loop, things that are not files -------------


@pytest.mark.parametrize(
    ("written", "code"),
    [("a\\0b.mes", "L108"), ("x" * 300 + ".mes", "L108"), ("d/" * 2_100 + "a.mes", "L108"), ("", "L108")],
    ids=["nul", "long-name", "long-path", "empty"],
)
def test_an_include_no_file_could_have_is_refused(tmp_path: Path, written: str, code: str) -> None:
    folder = _folder(tmp_path, {"main.mes": GOOD})
    include = 'include "' + written.replace("\\0", "\0") + '"\n'
    (folder / "main.mes").write_text(GOOD + include, encoding="utf-8")
    assert _located(_load_error(folder)) == (code, "main.mes:5:1")


def test_a_link_loop_is_a_located_error(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"main.mes": GOOD})
    (folder / "loop.mes").symlink_to(folder / "loop.mes")
    error = _load_error(folder)
    assert _located(error) == ("L109", "loop.mes:1:1")
    assert "loop of symbolic links" in error.render()
    (folder / "loop.mes").unlink()
    (folder / "main.mes").write_text('include "lib/a.mes"\n' + GOOD, encoding="utf-8")
    (folder / "lib").symlink_to(folder / "lib")
    assert _located(_load_error(folder)) == ("L109", "main.mes:1:1")


def test_a_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"main.mes": 'include "lib/pipe.mes"\n' + GOOD, "lib/a.mes": ""})
    os.mkfifo(folder / "lib" / "pipe.mes")
    assert _located(_load_error(folder)) == ("L109", "main.mes:1:1")
    os.mkfifo(folder / "pipe.mes")
    assert _located(_load_error(folder)) == ("L109", "pipe.mes:1:1")


def test_an_included_folder_is_not_a_file(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"main.mes": 'include "sub/lib.mes"\n' + GOOD, "sub/lib.mes/a.mes": ""})
    assert _located(_load_error(folder)) == ("C216", "main.mes:1:1")


def test_text_that_is_not_utf8_is_refused_at_its_byte(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"main.mes": GOOD})
    (folder / "main.mes").write_bytes(b"# ok\n# caf\xe9\n" + GOOD.encode())
    error = _load_error(folder)
    assert _located(error) == ("L109", "main.mes:2:6")
    assert "0xe9" in error.render()


# -- limits L101 and L102 -----------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"main.mes": GOOD, "big.mes": "# " + "x" * 2_000 + "\n"})
    error = _load_error(folder, Limits(file_bytes=1_000))
    assert _located(error) == ("L101", "big.mes:1:1")
    assert "over 1000 bytes" in error.render()
    mespolicy.load(folder, limits=Limits(file_bytes=3_000))


def test_an_included_file_over_the_size_limit_is_refused_at_the_include(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"main.mes": 'include "lib/big.mes"\n' + GOOD, "lib/big.mes": "#" * 5_000})
    assert _located(_load_error(folder, Limits(file_bytes=1_000))) == ("L101", "main.mes:1:1")


def test_a_policy_over_the_file_limit_is_refused(tmp_path: Path) -> None:
    files = {f"f{i}.mes": f'include "lib/g{i}.mes"\n' for i in range(3)}
    files.update({f"lib/g{i}.mes": "" for i in range(3)})
    folder = _folder(tmp_path, {**files, "main.mes": GOOD})
    # read in name order, includes after the files found in the folder: f0-f2, main, g0, g1, g2
    assert _located(_load_error(folder, Limits(policy_files=5))) == ("L102", "f1.mes:1:1")
    assert _located(_load_error(folder, Limits(policy_files=6))) == ("L102", "f2.mes:1:1")
    mespolicy.load(folder, limits=Limits(policy_files=7))


def test_tests_count_against_the_file_limit(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"main.mes": GOOD, "tests/a.mes": "", "tests/b.mes": ""})
    mespolicy.load(folder, limits=Limits(policy_files=1))
    with pytest.raises(MespolicyError) as caught:
        collect_tests(folder, Limits(policy_files=2))
    assert _located(caught.value) == ("L102", "tests/b.mes:1:1")


# -- finding 6: `mespolicy check` and `mespolicy test` parse each file once ---------------------


def test_check_and_test_parse_each_file_once(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[str] = []
    real_parse = parse

    def counting(text: str, path: str = "<text>", *args: Any, **kwargs: Any) -> Any:
        parsed.append(path)
        return real_parse(text, path, *args, **kwargs)

    monkeypatch.setattr(loader, "parse", counting)
    for command in ("check", "test"):
        parsed.clear()
        code, _, _ = _run(command, str(RULES))
        assert code == 0
        assert parsed and len(parsed) == len(set(parsed)), command
        expected = {p.relative_to(RULES).as_posix() for p in RULES.rglob("*.mes")}
        # the shipped policy includes the shipped fees library, read once too
        expected |= {f"library:{p.name}" for p in (RULES.parent / "libraries").glob("*.mes")}
        assert {Path(p).name for p in parsed} == {Path(p).name for p in expected}


# -- finding 10: the same bytes from any working directory, no server path ------------------------


def test_decisions_are_the_same_bytes_from_any_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = mespolicy.parse_request_json((EXAMPLES / "renew-late.json").read_text(encoding="utf-8"))
    seen = set()
    for where in (RULES.parent, tmp_path, RULES):
        monkeypatch.chdir(where)
        for folder in (RULES, Path(os.path.relpath(RULES, where)), None):
            decision = mespolicy.load(folder).decide(request)
            seen.add(json.dumps(mespolicy.decision_to_json(decision), sort_keys=True))
    (only,) = seen
    locations = [step["location"] for step in json.loads(only)["trace"]]
    assert locations and all(re.fullmatch(r"[a-z_]+\.mes:\d+", place) for place in locations), locations


def test_errors_name_the_file_in_its_folder_not_the_server_path(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"broken.mes": "action a {\n  approve r §1 when nope {\n  }\n}\n"})
    error = _load_error(folder)
    assert str(error).startswith("broken.mes:2:21: C201")
    assert str(tmp_path) not in str(error) and str(tmp_path) not in error.render()
    # the command line leads the reader to the file from the folder as they typed it
    code, _, err = _run("check", str(folder))
    assert code == 2
    assert f"{folder}/broken.mes:2:21: C201" in err
    code, _, err = _run("check", str(folder / "broken.mes"))
    assert f"{folder}/broken.mes:2:21: C201" in err


def test_the_shipped_policy_locates_its_rules_in_its_own_folder() -> None:
    policy = mespolicy.load()
    for action in policy.checked.actions.values():
        for rule in action.rules:
            assert "/" not in rule.span.source.path
            assert rule.span.source.path.endswith(".mes")


# -- finding 12: fmt never follows a link, never writes outside the folder -------------------------


def test_fmt_skips_links_and_writes_nothing_outside(tmp_path: Path) -> None:
    unformatted = "action   a {\n approve r §1 {\n}\n}\n"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "victim.mes").write_text(unformatted, encoding="utf-8")
    folder = _folder(tmp_path, {"main.mes": unformatted})
    (folder / "link.mes").symlink_to(elsewhere / "victim.mes")
    (folder / "linked").symlink_to(elsewhere)
    code, out, err = _run("fmt", str(folder))
    assert code == 0
    assert (elsewhere / "victim.mes").read_text(encoding="utf-8") == unformatted
    assert (folder / "main.mes").read_text(encoding="utf-8") == format_text(unformatted)
    assert f"skipped {folder / 'link.mes'}: a symbolic link" in err
    assert f"skipped {folder / 'linked'}: a symbolic link" in err
    assert "1 files, 1 reformatted" in out
    code, _, err = _run("fmt", str(folder / "link.mes"))
    assert (elsewhere / "victim.mes").read_text(encoding="utf-8") == unformatted
    assert "skipped" in err


def test_fmt_reports_a_file_it_cannot_read_without_a_traceback(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"main.mes": GOOD})
    (folder / "main.mes").write_bytes(b"\xff\xfe")
    code, _, err = _run("fmt", "--check", str(folder))
    assert code == 2
    assert "main.mes:1:1: L109" in err
    assert "Traceback" not in err
