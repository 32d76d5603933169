"""The declared facts on the published page (issue 10): the request's facts, each record, the outputs.

`mespolicy docs` (HTML and Markdown) and the Sphinx directives `mespolicy-facts` and
`mespolicy-schema` show what the rule files declare, for the shipped policy or another.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import mespolicy
from mespolicy.cli import main
from mespolicy.publish import EXAMPLES, policy_page
from mespolicy.publish.as_html import render_html
from mespolicy.publish.as_markdown import render_markdown
from tests.test_declared_test_lines import SEATS

SHIPPED = mespolicy.load()


def test_the_page_holds_every_declared_fact_record_and_output_of_the_shipped_policy() -> None:
    page = policy_page(SHIPPED, examples=())
    assert [record.name for record in page.facts] == ["request", "customer", "license", "contract"]
    spec = SHIPPED.checked.spec
    for record in page.facts:
        declared = spec.request if record.name == "request" else spec.records[record.name]
        assert [f.name for f in record.fields] == [f.name for f in declared.fields]
    assert [o.name for o in page.outputs] == [".".join(path) for path in SHIPPED.checked.outputs]
    fee = next(f for f in page.facts[3].fields if f.name == "annual_fee")
    assert (fee.type, fee.presence, fee.description) == (
        "money in currency, at least 0",
        "required",
        "the annual ME&S fee",
    )
    contracts = next(f for f in page.facts[0].fields if f.name == "contracts")
    assert (contracts.type, contracts.presence) == ("list of contract", "empty unless given")


def test_markdown_and_html_show_the_facts() -> None:
    page = policy_page(SHIPPED, examples=())
    markdown = render_markdown(page)
    assert "## Facts" in markdown
    coterminate = "the contract an initial term is to end with"
    assert f"| `coterminate_with` | `contract from contracts` | optional | {coterminate} | §7.2 |" in markdown
    amount = "what the co-terminated contracts cost together at renewal"
    assert f"| `renewal.amount` | `money` | {amount} | §7.2 |" in markdown
    html = render_html(page)
    assert '<h2 id="facts">Facts</h2>' in html
    assert '<a href="#facts">Facts</a>' in html
    assert "<h3>Record <code>contract</code></h3>" in html


def test_another_policys_own_facts_are_on_its_page(tmp_path: Path) -> None:
    (tmp_path / "seats.mes").write_text(SEATS)
    out = tmp_path / "site"
    command = ["docs", "--policy", str(tmp_path), "--out", str(out), "--format", "markdown"]
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 0, result.output
    text = (out / "policy.md").read_text(encoding="utf-8")
    assert "### Record `seat`" in text
    assert "| `edition` | `edition_kind` | default single | single user or network |  |" in text
    assert "| `seats` | `integer, at least 1` | default 1 | seats licensed |  |" in text
    assert "| `per_seat` | `money` | the fee per seat |  |" in text


def test_the_sphinx_directives_render_the_facts_and_the_schema(tmp_path: Path) -> None:
    build = pytest.importorskip("sphinx.cmd.build")
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "seats.mes").write_text(SEATS)
    source = tmp_path / "src"
    source.mkdir()
    (source / "conf.py").write_text('extensions = ["mespolicy.sphinx"]\n', encoding="utf-8")
    (source / "index.rst").write_text(
        "Facts\n=====\n\n.. mespolicy-facts::\n   :policy: ../rules\n\n"
        ".. mespolicy-schema:: request\n   :policy: ../rules\n",
        encoding="utf-8",
    )
    out = tmp_path / "html"
    assert build.build_main(["-W", "-q", "-E", "-b", "html", str(source), str(out)]) == 0
    seen = re.sub(r"<[^>]+>", " ", (out / "index.html").read_text(encoding="utf-8"))
    assert "Record seat" in seen
    assert "What a decision may set" in seen
    assert "&quot;$schema&quot;" in seen or '"$schema"' in seen


def test_another_policys_page_leaves_out_the_shipped_worked_examples(tmp_path: Path) -> None:
    # the worked examples are requests in the shipped facts: a policy of its own facts cannot read them
    (tmp_path / "seats.mes").write_text(SEATS)
    page = policy_page(mespolicy.load(tmp_path))
    assert page.examples == ()
    assert len(policy_page(SHIPPED).examples) == len(EXAMPLES)
