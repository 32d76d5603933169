"""Clauses declared in the rule files: the shipped list, the citation check, and the docs that quote them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import mespolicy
from mespolicy.parser import parse
from mespolicy.publish import policy_page, render_html, render_markdown

RULES = Path(__file__).parent.parent / "rules"
# shared/ stands beside the checkout, on a developer's machine and in CI alike
POLICY_TEXT = Path(__file__).resolve().parents[2] / "shared" / "policy" / "policy-en.md"

# The clauses of policy-en.md, section by section: (section, how many clauses it has).
SECTIONS = ((1, 2), (2, 3), (3, 3), (4, 3), (5, 5), (6, 2), (7, 2), (8, 5), (9, 3), (10, 2))


@pytest.fixture(scope="module")
def shipped() -> mespolicy.Policy:
    return mespolicy.load()


def test_the_shipped_rules_declare_every_clause_of_the_policy(shipped: mespolicy.Policy) -> None:
    expected = [f"§{section}.{k}" for section, count in SECTIONS for k in range(1, count + 1)]
    declared = shipped.checked.clauses
    assert list(declared) == expected
    for clause in declared.values():
        assert clause.title.strip() and clause.text.strip(), clause.id.text
    # section 3 is informational: the rendering summarises it, and so do the rules
    assert [c.id.text for c in declared.values() if c.summary] == ["§3.1", "§3.2", "§3.3"]


@pytest.mark.skipif(not POLICY_TEXT.exists(), reason="the policy text is not on this machine")
def test_the_declared_words_are_the_renderings_words(shipped: mespolicy.Policy) -> None:
    text = POLICY_TEXT.read_text(encoding="utf-8")
    found = dict(re.findall(r"^- (§\d+\.\d+) (.*?)(?=^- |^## |\Z)", text, re.S | re.M))
    assert list(found) == list(shipped.checked.clauses)
    for ident, words in found.items():
        plain = " ".join(words.replace("**", "").split())
        assert shipped.checked.clauses[ident].text == plain, ident


def test_named_clause_ids_for_documents_without_numbers(tmp_path: Path) -> None:
    (tmp_path / "p.mes").write_text(
        'clauses {\n  TECS-2 "Support hours"\n    summary "Support answers on working days."\n}\n\n'
        'parameter support_days = 5 days\n  clause TECS-2\n  source "Working days."\n\n'
        'parameter other = 1 days\n  clause TECS-3\n  source "x"\n',
        encoding="utf-8",
    )
    with pytest.raises(mespolicy.PolicyCheckError) as error:
        mespolicy.load(tmp_path)
    [found] = error.value.diagnostics
    assert (found.code, found.span.line, found.hint) == (
        "C241",
        11,
        "did you mean TECS-2? or declare TECS-3 in a clauses block",
    )


def test_a_policy_that_declares_no_clause_is_not_checked(tmp_path: Path) -> None:
    (tmp_path / "p.mes").write_text(
        'parameter x = 1 days\n  clause §99.9\n  source "Any citation, until clauses are declared."\n',
        encoding="utf-8",
    )
    policy = mespolicy.load(tmp_path)
    assert policy.checked.clauses == {}
    assert policy_page(policy).clauses == ()


def test_a_test_citing_an_undeclared_clause_is_a_check_error(tmp_path: Path) -> None:
    for path in RULES.glob("*.mes"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "t.mes").write_text(
        'test on_time {\n  request renew on 2026-03-01\n  contract "M1" 12000.00 USD from 2025-03-01 until'
        ' 2026-03-01\n  with contract = "M1"\n  expect approved §6.3\n}\n',
        encoding="utf-8",
    )
    from click.testing import CliRunner

    from mespolicy.cli import main

    result = CliRunner().invoke(main, ["--no-color", "check", str(tmp_path)])
    assert result.exit_code == 2
    assert "tests/t.mes:5:19: C241: clause §6.3 is not declared by this policy" in result.stderr
    assert "§6 declares §6.1, §6.2" in result.stderr


def test_a_fact_or_output_citing_an_undeclared_clause_is_a_check_error(tmp_path: Path) -> None:
    for path in RULES.glob("*.mes"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    facts = tmp_path / "facts.mes"
    facts.write_text(facts.read_text(encoding="utf-8").replace("§5.1", "§5.9", 1), encoding="utf-8")
    outputs = tmp_path / "outputs.mes"
    outputs.write_text(outputs.read_text(encoding="utf-8").replace("§10.1", "§10.7", 1), encoding="utf-8")
    with pytest.raises(mespolicy.PolicyCheckError) as caught:
        mespolicy.load(tmp_path)
    cited = sorted((d.code, d.span.source.path) for d in caught.value.diagnostics)
    assert cited == [("C241", "facts.mes"), ("C241", "outputs.mes")]


def test_the_clause_list_names_the_facts_and_outputs_that_cite_each(shipped: mespolicy.Policy) -> None:
    entries = {entry.clause.id: [c.label for c in entry.cited_by] for entry in policy_page(shipped).clauses}
    assert "output effective" in entries["§10.1"]
    facts = ("record contract", "the request")
    assert any(label.startswith(facts) for label in entries["§7.2"])


def test_the_clauses_block_formats_and_reparses_to_the_same_tree() -> None:
    text = (RULES / "clauses.mes").read_text(encoding="utf-8")
    from mespolicy.formatter import format_text

    assert format_text(text) == text
    assert parse(format_text(text)) == parse(text)


def test_the_page_quotes_each_rules_clauses_beside_it(shipped: mespolicy.Policy) -> None:
    page = policy_page(shipped, examples=())
    renew = next(a for a in page.actions if a.name == "renew")
    late = next(r for r in renew.rules if r.name == "late_renewal")
    assert [c.id for c in late.texts] == ["§8.2", "§8.3", "§8.4"]
    assert late.texts[1].title == "Reinstatement fee"
    assert "reinstatement fee of 25%" in late.texts[1].text
    markdown = render_markdown(page)
    heading = markdown.index("#### Approve — late renewal")
    quote = markdown.index("> **§8.3 Reinstatement fee**:", heading)
    assert quote < markdown.index("- when the date is after the expiry", heading)
    html = render_html(page)
    article = html.index('id="rule-renew-late_renewal"')
    assert html.index('<blockquote class="clause"><a href="#clause-8-3">', article) < html.index(
        "</article>", article
    )


def test_the_page_lists_each_clause_with_what_cites_it(shipped: mespolicy.Policy) -> None:
    page = policy_page(shipped, examples=())
    entries = {entry.clause.id: entry for entry in page.clauses}
    assert len(entries) == 30
    cited = [c.label for c in entries["§8.3"].cited_by]
    assert "rule renew / late_renewal" in cited and "parameter reinstatement_fee_rate" in cited
    assert entries["§3.1"].cited_by == ()
    assert "## Clauses" in render_markdown(page)
    assert '<h2 id="clauses">Clauses</h2>' in render_html(page)


def test_comments_beside_a_clauses_pieces_stay_beside_them() -> None:
    from mespolicy.formatter import format_text

    text = (
        "clauses {\n"
        "  # section 8\n"
        '  §8.3 "Reinstatement fee"  # the fee\n'
        '    text "In addition."  # first piece\n'
        '      "More."  # second piece\n'
        '  §8.4 "Start"\n'
        '    summary "S."\n'
        "}\n"
    )
    assert format_text(text) == text
