"""Output quoted in the guides is what the program prints: a quoted decision is decided again and compared."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import mespolicy

ROOT = Path(__file__).resolve().parent.parent
BILLING = ROOT / "docs" / "guides" / "billing.rst"


def _json_blocks(text: str) -> list[object]:
    blocks = re.findall(r"\.\. code-block:: json\n\n((?:   .*\n|\n)+)", text)
    return [json.loads("\n".join(line[3:] for line in block.split("\n"))) for block in blocks]


def test_the_decision_quoted_in_the_billing_guide_is_the_one_decide_gives() -> None:
    blocks = _json_blocks(BILLING.read_text(encoding="utf-8"))
    quoted = [b for b in blocks if isinstance(b, dict) and "outcome" in b]
    assert quoted, "the billing guide quotes a decision"
    text = (ROOT / "examples" / "renew-late.json").read_text(encoding="utf-8")
    request = mespolicy.parse_request_json(text)
    decision = mespolicy.load().decide(request)
    assert quoted[0] == mespolicy.decision_to_json(decision, trace=False)


def _text_block_after(path: Path, heading: str) -> list[list[str]]:
    """The first text block after `heading`, as its runs of lines between `...` elisions."""
    text = path.read_text(encoding="utf-8")
    found = re.search(r"\.\. code-block:: text\n\n((?:   .*\n|\n)+)", text[text.index(heading) :])
    assert found is not None, f"{path.name} quotes no text after {heading!r}"
    lines = [line[3:] for line in found.group(1).rstrip("\n").split("\n")]
    runs: list[list[str]] = [[]]
    for line in lines:
        if line == "...":
            runs.append([])
        else:
            runs[-1].append(line)
    return [run for run in runs if run]


@pytest.mark.parametrize(
    ("guide", "heading"),
    [("billing.rst", "Explaining a decision"), ("analyst.rst", "Why this decision?")],
)
def test_the_explanation_quoted_in_a_guide_is_the_one_explain_gives(guide: str, heading: str) -> None:
    from mespolicy.explain import render_text

    policy = mespolicy.load()
    request = policy.read_json((ROOT / "examples" / "renew-late.json").read_bytes())
    shown = render_text(policy.explain(request)) + "\n"
    where = 0
    for run in _text_block_after(ROOT / "docs" / "guides" / guide, heading):
        quoted = "\n".join(run) + "\n"
        assert quoted in shown[where:], quoted
        where = shown.index(quoted, where) + len(quoted)


INDEX = ROOT / "docs" / "index.rst"


def _rule_blocks(text: str) -> list[list[str]]:
    blocks = re.findall(r"\.\. code-block:: mespolicy\n\n((?:   .*\n|\n)+)", text)
    return [[line.strip() for line in block.split("\n") if line.strip()] for block in blocks]


def test_the_rules_quoted_on_the_front_page_are_lines_of_the_shipped_rules() -> None:
    # an excerpt leaves lines out, but each line it shows is the rule files' own: a formula
    # quoted short (a renewal charge without `* (renewal_term / fee_year)`) fails here
    files = (ROOT / "rules").glob("*.mes")
    written = {line.strip() for file in files for line in file.read_text("utf-8").splitlines()}
    blocks = _rule_blocks(INDEX.read_text(encoding="utf-8"))
    assert blocks, "the front page quotes the rules"
    quoted = [line for block in blocks for line in block]
    assert "charge renewal §8.2 = contract.annual_fee * terms * (renewal_term / fee_year)" in quoted
    assert [line for line in quoted if line not in written] == []


ANALYST = ROOT / "docs" / "guides" / "analyst.rst"


def test_the_diff_quoted_in_the_analyst_guide_is_what_diff_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from mespolicy.cli import main

    guide = ANALYST.read_text(encoding="utf-8")
    blocks = re.findall(r"\.\. code-block:: console\n\n((?:   .*\n|\n)+)", guide)
    quoted = next(block for block in blocks if "   Decided " in block)
    # the command, then the policies named on stderr, then the report on stdout
    report = quoted[quoted.index("   Decided ") :]
    expected = "\n".join(line[3:] for line in report.rstrip("\n").split("\n")) + "\n"
    monkeypatch.chdir(ROOT)  # the guide runs it from the checkout
    args = ["diff", "shipped", "shipped", "--set", "reinstatement_fee_rate=20%"]
    result = CliRunner().invoke(main, ["--no-color", *args, "--requests", "examples/portfolio.jsonl"])
    assert result.exit_code == 0
    assert result.stdout == expected
