"""Docs for a day: `docs --on DATE`, `mespolicy_on`, dated values in words, no install paths, wrapping."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from mespolicy import load
from mespolicy.cli import main
from mespolicy.loader import shipped_rules
from mespolicy.publish import policy_html, policy_markdown
from mespolicy.publish.page import effective_words, shown_origin
from tests.test_publish import copy_rules, edit, html_row, markdown_row, text_of


@pytest.fixture
def dated(tmp_path: Path) -> Path:
    """The shipped rules with the reinstatement fee rising to 30% on 2027-01-01."""
    folder = copy_rules(tmp_path)
    edit(
        folder / "parameters.mes",
        "parameter reinstatement_fee_rate: rate in 0%..100% = 25%\n",
        "parameter reinstatement_fee_rate: rate in 0%..100%\n  = 25%\n  = 30% from 2027-01-01\n",
    )
    return folder


def test_dated_values_read_as_a_sentence() -> None:
    assert effective_words([(None, "25%")]) == "always"
    assert effective_words([(None, "25%"), (date(2027, 1, 1), "30%")]) == (
        "25% until 2026-12-31, then 30% from 2027-01-01"
    )
    assert effective_words([(date(2026, 3, 1), "20%"), (date(2027, 3, 1), "30%")]) == (
        "20% from 2026-03-01 until 2027-02-28, then 30% from 2027-03-01"
    )


@pytest.mark.parametrize(("day", "value"), [("2026-12-31", "25%"), ("2027-01-01", "30%")])
def test_docs_on_a_day_shows_the_values_in_force_then(
    tmp_path: Path, dated: Path, day: str, value: str
) -> None:
    out = tmp_path / "site"
    result = CliRunner().invoke(
        main, ["docs", "--policy", str(dated), "--out", str(out), "--format", "markdown", "--on", day]
    )
    assert result.exit_code == 0, result.output
    page = (out / "policy.md").read_text(encoding="utf-8")
    row = markdown_row(page, "reinstatement_fee_rate")
    assert f"| `{value}` |" in row
    assert "25% until 2026-12-31, then 30% from 2027-01-01" in row
    assert f"parameter values in force on {day}" in page


def test_params_words_a_dated_value_the_same_way(dated: Path) -> None:
    result = CliRunner().invoke(main, ["--no-color", "params", "--policy", str(dated), "--on", "2027-06-01"])
    assert result.exit_code == 0
    assert "in force: 25% until 2026-12-31, then 30% from 2027-01-01" in result.stdout
    line = next(line for line in result.stdout.splitlines() if line.startswith("reinstatement_fee_rate"))
    assert "30%" in line.split()


def test_params_wraps_at_80_columns_and_cuts_no_name() -> None:
    result = CliRunner().invoke(main, ["--no-color", "params", "--on", "2026-06-01"])
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in result.stdout
    shown = {line.split()[0] for line in lines if line and not line.startswith((" ", "Parameters"))}
    assert shown == set(load().checked.parameters)


def test_no_page_shows_where_mespolicy_is_installed() -> None:
    installed = str(shipped_rules().parent)
    shipped = load()
    for page in (policy_html(shipped), policy_markdown(shipped)):
        assert installed not in page
        assert "site-packages" not in page
    assert "Rules read from <code>shipped policy</code>" in policy_html(shipped)
    assert shown_origin(f"{shipped_rules()} with x=1") == "shipped policy with x=1"
    assert shown_origin("/home/someone/work/my-rules") == "my-rules"


def test_code_blocks_wrap_in_the_html_page() -> None:
    page = policy_html(load())
    css = page[page.index("<style>") : page.index("</style>")]
    pre = css[css.index("\npre {") :]
    assert "white-space: pre-wrap" in pre[: pre.index("}")]
    assert "overflow-x: auto" not in css


def test_the_sphinx_option_picks_the_day(tmp_path: Path, dated: Path) -> None:
    build = pytest.importorskip("sphinx.cmd.build")
    source = tmp_path / "src"
    source.mkdir()
    (source / "conf.py").write_text(
        'extensions = ["mespolicy.sphinx"]\nmespolicy_on = "2027-01-01"\n', encoding="utf-8"
    )
    (source / "index.rst").write_text(
        f"Policy\n======\n\n.. mespolicy-parameters::\n   :policy: ../{dated.name}\n\n"
        "Shipped\n-------\n\n.. mespolicy-parameters::\n",
        encoding="utf-8",
    )
    out = tmp_path / "html"
    assert build.build_main(["-W", "-q", "-E", "-b", "html", str(source), str(out)]) == 0
    page = (out / "index.html").read_text(encoding="utf-8")
    seen = text_of(page)
    assert "Values in force on 2027-01-01" in seen
    assert "25% until 2026-12-31, then 30% from 2027-01-01" in seen
    assert "reinstatement_fee_rate 30%" in seen
    assert "read from shipped policy" in seen
    assert "site-packages" not in page and str(shipped_rules()) not in page
    css = (out / "_static" / "mespolicy.css").read_text(encoding="utf-8")
    assert "white-space: pre-wrap" in css


def test_the_html_page_shows_the_value_of_its_day(dated: Path) -> None:
    row = html_row(policy_html(load(dated), day=date(2027, 1, 1)), "reinstatement_fee_rate")
    assert "30%" in row
