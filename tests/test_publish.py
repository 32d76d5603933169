"""The published policy: pages built from the rule files (Markdown, HTML, Sphinx), lexer, `mespolicy docs`."""

from __future__ import annotations

import html
import re
import shutil
import tomllib
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from pygments.token import Error, Literal, Name, String

from mespolicy import Policy, load
from mespolicy.formatter import format_expr
from mespolicy.lexer import MespolicyLexer
from mespolicy.publish import (
    EXAMPLES,
    docs_command,
    example_request,
    policy_html,
    policy_markdown,
    policy_page,
)
from mespolicy.wording import plain

ROOT = Path(__file__).parent.parent
RULES = ROOT / "rules"
DOCS = ROOT / "docs"
DAY = date(2026, 1, 1)
HOSTILE = '<script>alert("x")</script> & <b>bold</b>'


@pytest.fixture(scope="module")
def shipped() -> Policy:
    return load(RULES)


@pytest.fixture(scope="module")
def pages(shipped: Policy) -> dict[str, str]:
    return {"markdown": policy_markdown(shipped, day=DAY), "html": policy_html(shipped, day=DAY)}


def copy_rules(tmp_path: Path) -> Path:
    """A copy of the shipped rules (and their tests) to change."""
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    return folder


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path.name} no longer holds {old!r}"
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture()
def shorter_grace(tmp_path: Path) -> Path:
    folder = copy_rules(tmp_path)
    edit(
        folder / "parameters.mes",
        "parameter deferral_grace: days in 0 days.. = 90 days",
        "parameter deferral_grace: days in 0 days.. = 60 days",
    )
    return folder


def text_of(markup: str) -> str:
    """What a reader sees: tags dropped, entities decoded, white space collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def html_row(page: str, name: str) -> str:
    """The text of the table row that names `name` (`<tr>` to `</tr>`)."""
    rows = [row for row in re.findall(r"<tr.*?</tr>", page, flags=re.S) if name in text_of(row).split()]
    assert len(rows) == 1, f"expected one row naming {name}, found {len(rows)}"
    return text_of(rows[0])


def markdown_row(page: str, name: str) -> str:
    rows = [line for line in page.splitlines() if line.startswith(f"| `{name}` |")]
    assert len(rows) == 1, f"expected one row naming {name}, found {len(rows)}"
    return rows[0]


# -- a changed parameter shows, with its clause ------------------------------------------------


def test_a_changed_parameter_shows_with_its_clause_in_markdown(shorter_grace: Path) -> None:
    row = markdown_row(policy_markdown(load(shorter_grace), day=DAY), "deferral_grace")
    assert "`60 days`" in row
    assert "§9.1" in row
    assert "90 days" not in row


@pytest.mark.parametrize("form", ["markdown", "html"])
def test_a_parameter_shows_its_declared_range(shipped: Policy, pages: dict[str, str], form: str) -> None:
    def row(name: str) -> str:
        return markdown_row(pages[form], name) if form == "markdown" else html_row(pages[form], name)

    assert "between 0% and 100%" in row("reinstatement_fee_rate")
    # days_per_year has its own range and the library's, the same: shown once
    assert row("days_per_year").count("at least 1 day") == 1


def test_a_changed_parameter_shows_with_its_clause_in_html(shorter_grace: Path) -> None:
    row = html_row(policy_html(load(shorter_grace), day=DAY), "deferral_grace")
    assert "60 days" in row
    assert "§9.1" in row
    assert "90 days" not in row


def test_a_what_if_value_shows_on_the_page(shipped: Policy) -> None:
    page = policy_markdown(shipped.with_overrides({"reinstatement_fee_rate": "20%"}), day=DAY)
    assert "`20%`" in markdown_row(page, "reinstatement_fee_rate")
    assert "reinstatement_fee_rate=20%" in page
    # the worked examples are decided under the what-if value: 20% of 12,000.00 x 40/365
    assert "263.01 USD" in page


def test_a_dated_parameter_shows_each_value_with_its_date(tmp_path: Path) -> None:
    folder = copy_rules(tmp_path)
    edit(
        folder / "parameters.mes",
        "parameter reinstatement_fee_rate: rate in 0%..100% = 25%\n",
        "parameter reinstatement_fee_rate: rate in 0%..100%\n  = 25%\n  = 20% from 2027-01-01\n",
    )
    policy = load(folder)
    before = markdown_row(policy_markdown(policy, day=date(2026, 6, 1)), "reinstatement_fee_rate")
    after = markdown_row(policy_markdown(policy, day=date(2027, 6, 1)), "reinstatement_fee_rate")
    assert "| `25%` |" in before
    assert "| `20%` |" in after
    assert "25% until 2026-12-31, then 20% from 2027-01-01" in before


# -- everything of the shipped policy is on the page --------------------------------------------


@pytest.mark.parametrize("form", ["markdown", "html"])
def test_every_parameter_of_the_shipped_policy_is_on_the_page(
    shipped: Policy, pages: dict[str, str], form: str
) -> None:
    page = pages[form]
    for name, parameter in shipped.checked.parameters.items():
        row = markdown_row(page, name) if form == "markdown" else html_row(page, name)
        assert format_expr(parameter.values[-1][1]) in row, name
        for clause in parameter.node.clauses:
            assert clause.text in row, name
        assert parameter.node.provenance is not None
        assert parameter.node.provenance.basis.value in row, name


@pytest.mark.parametrize("form", ["markdown", "html"])
def test_every_rule_of_the_shipped_policy_is_on_the_page(
    shipped: Policy, pages: dict[str, str], form: str
) -> None:
    seen = text_of(pages[form]) if form == "html" else pages[form]
    for action in shipped.checked.actions.values():
        assert action.name in seen
        for rule in action.rules:
            heading = f"{rule.kind.value.capitalize()} — {rule.name.replace('_', ' ')}"
            assert f"{heading} ({', '.join(c.text for c in rule.clauses)})" in seen, rule.name
            assert rule.name in seen
            if rule.condition is not None:
                # in plain words, by the phrase table `mespolicy explain` uses too
                assert f"when {plain(rule.condition, shipped.checked)}" in html.unescape(seen), rule.name
            if rule.provenance is not None:
                assert rule.provenance.description in seen, rule.name
    for name in (*shipped.checked.definitions, *shipped.checked.enums):
        assert name in seen


def test_readings_are_marked_apart_from_the_source(pages: dict[str, str]) -> None:
    page = pages["html"]
    reading = re.search(r"<tr>(?:(?!</tr>).)*param-renewal_notice_lead.*?</tr>", page, flags=re.S)
    source = re.search(r"<tr>(?:(?!</tr>).)*param-deferral_grace.*?</tr>", page, flags=re.S)
    assert reading is not None and 'class="basis reading"' in reading.group(0)
    assert source is not None and 'class="basis source"' in source.group(0)
    late = page[page.index('id="rule-renew-late_renewal"') :]
    late = late[: late.index("</article>")]
    assert 'class="reading-note"' in late
    assert "| **reading** |" in markdown_row(pages["markdown"], "renewal_notice_lead")
    assert "> **Reading**" in pages["markdown"]


def test_rules_are_told_in_plain_language_with_each_amount_and_clause(pages: dict[str, str]) -> None:
    page = pages["markdown"]
    assert "#### Approve — late renewal (§8.2, §8.3, §8.4)" in page
    assert "- when the date is after the expiry\n" in page
    assert "- when the cancel licenses are given and for some l in the contract's licenses, l is not" in page
    # a reason's placeholders are named in words
    assert "every license of contract `the contract's id`." in page
    assert "- charges `renewal` = `contract.annual_fee * terms * (renewal_term / fee_year)` (§8.2)" in page
    assert "- charges `renewal` = `contract.annual_fee * (renewal_term / fee_year)` (§6.2)" in page
    assert "    - charges `coterm_extension` = `fee(c.annual_fee, c.end, target)` (§7.2)" in page


# -- worked examples, computed live -------------------------------------------------------------


@pytest.mark.parametrize("form", ["markdown", "html"])
def test_worked_examples_show_their_computed_totals(
    shipped: Policy, pages: dict[str, str], form: str
) -> None:
    page = text_of(pages[form]) if form == "html" else pages[form]
    assert "12,328.77 USD" in page  # 40 days late: 12,000.00 + 25% x 12,000.00 x 40/365
    assert "12,747.95 USD" in page  # signed on day 91: 12,000.00 + 25% x 12,000.00 x 91/365
    assert "1,650.00 USD" in page  # co-termination: 450.00 + 1,200.00
    for key in EXAMPLES:
        decision = shipped.decide(example_request(key))
        assert decision.total is not None
        assert str(decision.total) in page, key
    assert "ME&S renewed automatically and ends on 2027-03-01" in html.unescape(page)  # 29 days: too late
    # the explanation as `mespolicy explain` gives it (a long formula on the line below its charge)
    assert "reinstatement_fee on M1 (§8.3):" in page
    assert "25% × 12,000.00 USD × 40 days / 365 days = 328.77 USD" in page


def test_an_example_the_policy_cannot_decide_shows_why(tmp_path: Path) -> None:
    folder = copy_rules(tmp_path)
    (folder / "cancellation.mes").unlink()
    page = policy_page(load(folder), day=DAY)
    failed = {e.key: e.error for e in page.examples if e.error is not None}
    assert list(failed) == ["late-cancellation"]
    assert "'cancel' is not an action of this policy" in (failed["late-cancellation"] or "")
    assert "This policy cannot decide it" in policy_markdown(load(folder), day=DAY)


# -- text from rule files is escaped ------------------------------------------------------------


def test_text_from_rule_files_is_escaped_in_html(tmp_path: Path) -> None:
    folder = copy_rules(tmp_path)
    edit(
        folder / "parameters.mes",
        '"A license bought without ME&S may sign',
        f'"{HOSTILE.replace(chr(34), chr(92) + chr(34))} A license bought without ME&S may sign',
    )
    edit(
        folder / "renewal.mes",
        'reason "Renewed on or before',
        'reason "<img src=x onerror=alert(1)> Renewed on or before',
    )
    page = policy_html(load(folder), day=DAY)
    assert "<script>" not in page
    assert "<b>" not in page
    assert "<img" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert HOSTILE in text_of(page)
    markdown = policy_markdown(load(folder), day=DAY)
    assert "<script>" not in markdown
    assert "<img" not in markdown.replace("```mespolicy\n", "").split("```")[0]


def test_the_html_page_stands_alone(pages: dict[str, str]) -> None:
    page = pages["html"]
    assert page.startswith("<!DOCTYPE html>")
    assert "<style>" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "<link" not in page


# -- the lexer ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(RULES.rglob("*.mes")), ids=lambda p: str(p.relative_to(RULES)))
def test_the_lexer_reads_the_shipped_rules_without_errors(path: Path) -> None:
    tokens = list(MespolicyLexer().get_tokens(path.read_text(encoding="utf-8")))
    assert [value for kind, value in tokens if Error in kind.split()] == []


def test_the_lexer_reads_every_mespolicy_block_of_the_docs() -> None:
    blocks = 0
    for page in DOCS.rglob("*.rst"):
        for match in re.finditer(
            r"\.\. code-block:: mespolicy\n\n((?:   .*\n|\n)+)", page.read_text("utf-8")
        ):
            blocks += 1
            tokens = MespolicyLexer().get_tokens(match.group(1))
            assert [value for kind, value in tokens if Error in kind.split()] == [], page.name
    assert blocks >= 10


def test_the_lexer_tells_the_parts_of_the_language_apart() -> None:
    text = (
        'parameter fee: money = 150.00 USD  # flat\n  clause §8.3\n  source "x"\n'
        "action a { approve r §8.3 when date > contract.end + 30 days {\n"
        '  reason "On {contract.end}, not 2026-03-01." } }\n'
        'test t {\n  contract "M1" 1.00 USD from 2025-03-01 until 2026-03-01\n  expect no charge\n}\n'
    )
    tokens = [(kind, value) for kind, value in MespolicyLexer().get_tokens(text) if value.strip()]
    assert (Name.Label, "§8.3") in tokens
    assert (Literal.Date, "2026-03-01") in tokens
    assert (Name.Constant, "USD") in tokens
    assert (String.Interpol, "{contract.end}") in tokens
    assert any(Literal.Number in kind.split() and value == "30" for kind, value in tokens)
    assert any(str(kind) == "Token.Comment.Single" for kind, _ in tokens)
    assert any(str(kind) == "Token.Keyword.Reserved" and value == "contract" for kind, value in tokens)
    assert (Name, "contract") in tokens  # `contract.end` in an expression is a name


def test_the_lexer_is_registered_for_pygments() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["entry-points"]["pygments.lexers"]["mespolicy"] == "mespolicy.lexer:MespolicyLexer"
    assert MespolicyLexer.aliases == ["mespolicy", "mes"]
    assert MespolicyLexer.filenames == ["*.mes"]


# -- mespolicy docs ---------------------------------------------------------------------------------


def test_docs_command_writes_the_html_page(tmp_path: Path) -> None:
    result = CliRunner().invoke(docs_command, ["--out", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "site" / "policy.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "12,328.77 USD" in page
    assert "policy.html" in result.output


def test_docs_command_writes_markdown_for_another_policy(tmp_path: Path, shorter_grace: Path) -> None:
    out = tmp_path / "out"
    args = ["--policy", str(shorter_grace), "--out", str(out), "--format", "markdown"]
    result = CliRunner().invoke(docs_command, args)
    assert result.exit_code == 0, result.output
    assert "`60 days`" in markdown_row((out / "policy.md").read_text(encoding="utf-8"), "deferral_grace")
    assert not (out / "policy.html").exists()


def test_docs_command_reports_a_bad_what_if(tmp_path: Path) -> None:
    result = CliRunner().invoke(docs_command, ["--out", str(tmp_path), "--set", "no_such=1"])
    assert result.exit_code == 2
    assert "S501" in result.output
    assert not (tmp_path / "policy.html").exists()


# -- the Sphinx site ------------------------------------------------------------------------------


def test_the_sphinx_site_builds_from_changed_rules_with_warnings_as_errors(
    tmp_path: Path, shorter_grace: Path
) -> None:
    build = pytest.importorskip("sphinx.cmd.build")
    out = tmp_path / "html"
    args = ["-W", "--keep-going", "-q", "-E", "-b", "html", "-d", str(tmp_path / "doctrees")]
    status = build.build_main([*args, "-D", f"mespolicy_policy={shorter_grace}", str(DOCS), str(out)])
    assert status == 0
    page = (out / "policy.html").read_text(encoding="utf-8")
    row = html_row(page, "deferral_grace")
    assert "60 days" in row
    assert "§9.1" in row
    seen = text_of(page)
    policy = load(shorter_grace)
    for name in policy.checked.parameters:
        assert name in seen
    for action in policy.checked.actions.values():
        for rule in action.rules:
            assert rule.name in seen
            assert f"({', '.join(c.text for c in rule.clauses)})" in seen
    assert "12,328.77 USD" in seen
    assert "1,650.00 USD" in seen
    assert 'class="highlight-mespolicy' in page
    assert "<script>alert" not in page


def test_the_directives_take_a_policy_folder_and_one_action(tmp_path: Path, shorter_grace: Path) -> None:
    build = pytest.importorskip("sphinx.cmd.build")
    source = tmp_path / "src"
    source.mkdir()
    (source / "conf.py").write_text('extensions = ["mespolicy.sphinx"]\n', encoding="utf-8")
    folder = Path("..") / shorter_grace.relative_to(tmp_path)
    (source / "index.rst").write_text(
        f"Policy\n======\n\n.. mespolicy-parameters::\n   :policy: {folder}\n\n"
        f".. mespolicy-example:: late-deferral\n   :policy: {folder}\n\n"
        "Renewal\n-------\n\n.. mespolicy-rules::\n   :action: renew\n",
        encoding="utf-8",
    )
    out = tmp_path / "html"
    status = build.build_main(["-W", "-q", "-E", "-b", "html", str(source), str(out)])
    assert status == 0
    seen = text_of((out / "index.html").read_text(encoding="utf-8"))
    assert "deferral_grace 60 days days at least 0 days §9.1" in seen
    assert "12,747.95 USD" in seen  # day 91 is past a 60-day grace too
    assert "late_renewal" in seen
    assert "cancelled_at_expiry" not in seen  # only the action asked for
