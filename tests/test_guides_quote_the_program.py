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
