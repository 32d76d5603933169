"""decide's output for people and for machines: --format, the terminal's defaults, plain text, hints."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.text import Text

from mespolicy.cli import default_format, main
from mespolicy.terminal import console, show

EXAMPLES = Path(__file__).parent.parent / "examples"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_a_terminal_gets_a_table_and_a_pipe_json() -> None:
    assert default_format(jsonl=False, terminal=True) == "table"
    assert default_format(jsonl=False, terminal=False) == "json"
    # --jsonl keeps meaning one decision a line, wherever it goes
    assert default_format(jsonl=True, terminal=True) == "jsonl"
    assert default_format(jsonl=True, terminal=False) == "jsonl"


@pytest.mark.parametrize("color", [True, False])
def test_no_color_writes_no_escape_code_even_on_a_terminal(color: bool) -> None:
    out = _Terminal()
    show(console(color=color, file=out, width=80), Text("approved", style="bold green"))
    assert ("\x1b[" in out.getvalue()) is color
    assert "approved" in out.getvalue()


def test_no_color_in_the_environment_turns_color_off(monkeypatch: pytest.MonkeyPatch) -> None:
    from mespolicy.terminal import wants_color

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert wants_color(flag_off=False)
    assert not wants_color(flag_off=True)
    monkeypatch.setenv("NO_COLOR", "1")
    assert not wants_color(flag_off=False)


def test_format_jsonl_reads_and_writes_a_line_a_request() -> None:
    code, out, _ = _run("decide", "--format", "jsonl", str(EXAMPLES / "portfolio.jsonl"))
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == len((EXAMPLES / "portfolio.jsonl").read_text().splitlines())
    assert [json.loads(line)["action"] for line in lines][:2] == ["renew", "renew"]


def test_format_table_of_a_portfolio_says_each_bad_line_on_stderr(tmp_path: Path) -> None:
    portfolio = tmp_path / "some.jsonl"
    first = (EXAMPLES / "portfolio.jsonl").read_text().splitlines()[0]
    portfolio.write_text(first + "\n{\"action\": 1}\n")
    code, out, err = _run("--no-color", "decide", "--format", "table", "--jsonl", str(portfolio))
    assert code == 1
    assert out.startswith("renew: approved")
    assert err.startswith(f"{portfolio} line 2: Q")
    assert "Traceback" not in err


@pytest.mark.parametrize("output", [[], ["--format", "table"]])
def test_a_json_lines_file_without_jsonl_says_to_use_it(tmp_path: Path, output: list[str]) -> None:
    two = tmp_path / "two.jsonl"
    two.write_text("".join((EXAMPLES / "portfolio.jsonl").read_text().splitlines(keepends=True)[:2]))
    code, out, err = _run("decide", *output, str(two))
    assert code == 1
    assert "Extra data" in err
    assert "use --jsonl" in err
    if not output:
        assert "use --jsonl" in json.loads(out)["error"]["message"]


def test_jsonl_alone_still_writes_one_decision_a_line() -> None:
    code, out, _ = _run("decide", "--jsonl", str(EXAMPLES / "portfolio.jsonl"))
    assert code == 0
    assert all(json.loads(line)["outcome"] in ("approved", "rejected") for line in out.splitlines())


def test_text_in_brackets_is_printed_as_it_is() -> None:
    out = io.StringIO()
    show(console(color=False, file=out, width=80), "[bold]not a style[/bold] [renewal.mes:7]")
    assert out.getvalue() == "[bold]not a style[/bold] [renewal.mes:7]\n"


@pytest.mark.parametrize("width", [40, 60, 80])
def test_a_narrow_terminal_wraps_the_table_and_cuts_nothing(width: int) -> None:
    from mespolicy import load
    from mespolicy.decision_table import decision_table

    policy = load()
    request = policy.read_json((EXAMPLES / "renew-late.json").read_bytes())
    out = io.StringIO()
    show(console(color=False, file=out, width=width), decision_table(policy.decide(request), trace=True))
    text = out.getvalue()
    assert max(len(line) for line in text.splitlines()) <= width
    assert "…" not in text
    kept = ("reinstatement_fee", "328.77 USD", "12,328.77 USD", "past_reactivation_cutoff", "renewal.mes:17")
    for whole in kept:
        assert whole in text
