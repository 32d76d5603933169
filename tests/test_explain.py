"""Explanations agree with the decisions they explain, amount for amount."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

import mespolicy
from mespolicy import Contract, Customer, License, LicenseKind, Money, Request, Role
from mespolicy.explain import render_text

POLICY = mespolicy.load()


@st.composite
def requests(draw: st.DrawFn) -> Request:
    currency = draw(st.sampled_from(["USD", "JPY", "BHD"]))
    places = {"USD": 2, "JPY": 0, "BHD": 3}[currency]
    fee = Money(Decimal(draw(st.integers(1, 10**8))).scaleb(-places), currency)
    start = draw(st.dates(date(2020, 1, 1), date(2030, 12, 31)))
    end = start + timedelta(days=draw(st.integers(28, 800)))
    contracts = tuple(
        Contract(f"M{i}", currency, start, end + timedelta(days=31 * i), fee, (f"L{i}",))
        for i in range(draw(st.integers(1, 3)))
    )
    license = License("L0", "NX", LicenseKind.PERPETUAL, start, fee)
    action = draw(st.sampled_from(["renew", "cancel", "initial", "coterminate", "status", "premium_support"]))
    day = end + timedelta(days=draw(st.integers(-400, 1500)))
    return Request(
        action=action,
        date=day,
        customer=Customer("C1", draw(st.sampled_from(Role)), draw(st.booleans())),
        contracts=contracts,
        licenses=(license,),
        contract=contracts[0] if action in ("renew", "cancel", "status") else None,
        license=license if action in ("initial", "premium_support") else None,
    )


@given(requests())
def test_every_explained_amount_is_the_amount_charged(request: Request) -> None:
    explanation = POLICY.explain(request)
    charged = [(c.code, str(c.amount)) for c in explanation.decision.charges]
    explained = [(a.code, a.amount) for a in explanation.amounts]
    assert explained == charged


@given(requests())
def test_explaining_changes_no_decision(request: Request) -> None:
    decision = POLICY.decide(request)
    explained = POLICY.explain(request).decision
    assert (explained.outcome, explained.charges, explained.term, explained.fields) == (
        decision.outcome,
        decision.charges,
        decision.term,
        decision.fields,
    )
    assert [s.rule for s in explained.trace if s.kind != "charge"] == [s.rule for s in decision.trace]


@given(requests())
def test_every_rule_considered_is_named_with_its_clauses(request: Request) -> None:
    explanation = POLICY.explain(request)
    text = render_text(explanation)
    for rule in explanation.rules:
        assert f"{rule.rule.name} (" in text
        for clause in rule.rule.clauses:
            assert clause.text in text
