"""The phrase table: each operator and construct in plain words, as explain and the policy's pages say it."""

from __future__ import annotations

from pathlib import Path

import pytest

from mespolicy import nodes as n
from mespolicy.parser import parse
from mespolicy.policy import Policy, from_files
from mespolicy.wording import Wording, placeholder, plain

PRELUDE = (Path(__file__).parent.parent / "rules" / "facts.mes").read_text(encoding="utf-8")


def _condition(condition: str) -> tuple[Policy, n.Expr]:
    rule = f"  approve r §1.1 when {condition} {{}}\n"
    text = PRELUDE + f"action renew {{\n  let expiry = contract.end\n{rule}}}\n"
    policy = from_files((parse(text, "t.mes"),), "t")
    found = policy.checked.actions["renew"].rules[0].condition
    assert found is not None
    return policy, found


@pytest.mark.parametrize(
    ("condition", "words", "opposite"),
    [
        ("date > expiry", "the date is after the expiry", "the date is on or before the expiry"),
        ("date <= expiry", "the date is on or before the expiry", "the date is after the expiry"),
        (
            "contract.annual_fee > 100.00 USD",
            "the contract's annual fee is more than 100.00 USD",
            "the contract's annual fee is at most 100.00 USD",
        ),
        (
            "expiry - date >= 30 days",
            "the time from the date until the expiry is at least 30 days",
            "the time from the date until the expiry is less than 30 days",
        ),
        ('"L1" in contract.licenses', '"L1" is one of the contract\'s licenses', None),
        ("given target_end", "the target end is given", "the target end is not given"),
        (
            "any(l not in contract.licenses for l in cancel_licenses)",
            "for some l in the cancel licenses, l is not one of the contract's licenses",
            "for no l in the cancel licenses, l is not one of the contract's licenses",
        ),
        (
            "all(c.end > date for c in contracts)",
            "for every c in the contracts, c's end is after the date",
            "not for every c in the contracts, c's end is after the date",
        ),
        ("count(contracts) >= 2", "the number of the contracts is at least 2", None),
        (
            "customer.existing and not given tier",
            "the customer's existing and the tier is not given",
            "not the customer's existing or the tier is given",
        ),
        (
            "customer.role == role.partner",
            "the customer's role is partner",
            "the customer's role is not partner",
        ),
        (
            "max(date, expiry) > expiry",
            "the larger of the date and the expiry is after the expiry",
            None,
        ),
        (
            "months from expiry until date, rounded up > 1 month",
            "the months from the expiry until the date, rounded up is more than 1 month",
            None,
        ),
    ],
)
def test_each_operator_reads_in_words(condition: str, words: str, opposite: str | None) -> None:
    policy, node = _condition(condition)
    assert plain(node, policy.checked) == words
    if opposite is not None:
        assert Wording(policy.checked).negated(node) == opposite


def test_values_follow_the_words_they_belong_to() -> None:
    policy, node = _condition("date > expiry")
    assert isinstance(node, n.Binary)
    values = {id(node.left): "2026-04-10", id(node.right): "2026-03-01"}
    wording = Wording(policy.checked, lambda part: values.get(id(part)))
    assert wording.expr(node) == "the date (2026-04-10) is after the expiry (2026-03-01)"


def test_a_placeholder_is_named_in_words() -> None:
    message = parse('action a { approve r §1 { reason "On {contract.end} for {customer.id}." } }', "t.mes")
    reason = message.items[0].rules[0].body[0]  # type: ignore[union-attr]
    assert isinstance(reason, n.Reason)
    parts = [p for p in reason.message.parts if not isinstance(p, str)]
    assert [placeholder(p) for p in parts] == ["the contract's end", "the customer's id"]
