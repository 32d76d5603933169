"""The Python API as a billing system uses it: load once, decide many, from many threads."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import mespolicy

EXAMPLES = Path(__file__).parent.parent / "examples"
POLICY = mespolicy.load()
REQUESTS = [
    mespolicy.parse_request_json(line) for line in (EXAMPLES / "portfolio.jsonl").read_text().splitlines()
]


def test_decide_many_streams_in_order() -> None:
    decisions = POLICY.decide_many(iter(REQUESTS))
    assert next(decisions).action == REQUESTS[0].action
    assert [d.action for d in decisions] == [r.action for r in REQUESTS[1:]]


def test_deciding_from_many_threads_gives_the_same_decisions() -> None:
    expected = [POLICY.decide(r) for r in REQUESTS]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(5):
            assert list(pool.map(POLICY.decide, REQUESTS * 20)) == expected * 20


def test_an_unknown_action_names_the_field_and_the_actions() -> None:
    request = mespolicy.parse_request_json(
        json.dumps({**json.loads((EXAMPLES / "renew-late.json").read_text()), "action": "renu"})
    )
    with pytest.raises(mespolicy.RequestError) as error:
        POLICY.decide(request)
    assert error.value.field == "action"
    assert "renew" in str(error.value)


def test_an_unknown_tier_names_the_field_and_the_tiers() -> None:
    request = next(r for r in REQUESTS if r.action == "premium_support")
    with pytest.raises(mespolicy.RequestError) as error:
        POLICY.decide({**mespolicy.request_to_json(request), "tier": "gold"})
    assert error.value.field == "tier"
    assert "weekend" in str(error.value)


def test_floats_are_refused_at_the_boundary() -> None:
    data = json.loads((EXAMPLES / "renew-late.json").read_text())
    data["contracts"][0]["annual_fee"] = 12000.0
    with pytest.raises(mespolicy.RequestError) as error:
        mespolicy.parse_request(data)
    assert error.value.field == "contracts[0].annual_fee"


def test_a_rule_that_fails_while_deciding_names_its_rule(tmp_path: Path) -> None:
    (tmp_path / "policy.mes").write_text(
        "action coterminate {\n"
        "  approve latest §7.2 {\n"
        "    set coterm_end = max(c.end for c in contracts)\n"
        "  }\n"
        "}\n"
    )
    policy = mespolicy.load(tmp_path)
    request = mespolicy.parse_request(
        {
            "action": "coterminate",
            "date": "2026-01-01",
            "customer": {"id": "C", "role": "customer", "existing": True},
        }
    )
    with pytest.raises(mespolicy.EvaluationError) as error:
        policy.decide(request)
    assert "rule 'latest'" in str(error.value)
    assert "maximum of an empty list" in str(error.value)
    assert error.value.span is not None and error.value.span.line == 2


def test_a_request_read_by_a_policy_is_not_read_again_by_a_policy_of_the_same_declarations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import mespolicy.policy as policy_module
    from mespolicy.model.request import parse_request

    text = (EXAMPLES / "renew-late.json").read_text()
    request = mespolicy.load().read_json(text)
    reads: list[object] = []
    parse = parse_request

    def counted(data: object, *args: object) -> object:
        reads.append(data)
        return parse(data, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(policy_module, "parse_request", counted)
    other = mespolicy.load()  # the same rules: equal declarations, another spec object
    assert other.decide(request).total == POLICY.decide(request).total
    assert reads == []
