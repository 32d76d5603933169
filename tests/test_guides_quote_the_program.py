"""Output quoted in the guides is what the program prints: a quoted decision is decided again and compared."""

from __future__ import annotations

import json
import re
from pathlib import Path

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
