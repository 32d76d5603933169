"""Explanations agree with the decisions they explain, amount for amount."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import assume, given
from hypothesis import strategies as st

import mespolicy
from mespolicy import Contract, Customer, License, LicenseKind, Money, Request, Role
from mespolicy.explain import Explanation, render_text

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
    kind = draw(st.sampled_from(LicenseKind))
    license = License("L0", "NX", kind, start, fee)
    action = draw(st.sampled_from(["renew", "cancel", "initial", "coterminate", "status", "premium_support"]))
    day = end + timedelta(days=draw(st.integers(-400, 1500)))
    maybe = st.booleans()
    return Request(
        action=action,
        date=day,
        customer=Customer("C1", draw(st.sampled_from(Role)), draw(st.booleans())),
        contracts=contracts,
        licenses=(license,),
        contract=contracts[0] if action in ("renew", "cancel", "status") and draw(maybe) else None,
        license=license if action in ("initial", "premium_support", "status") else None,
        coterminate_with=contracts[-1] if action == "initial" and draw(maybe) else None,
        cancel_licenses=(("L0",) if draw(maybe) else ("L0", "L9"))
        if action == "cancel" and draw(maybe)
        else None,
        target_end=end + timedelta(days=draw(st.integers(-60, 400))) if draw(maybe) else None,
        tier=draw(st.sampled_from(["weekend", "support_cloud"])) if draw(maybe) else None,
    )


def explain_or_none(request: Request) -> Explanation | None:
    """The explanation, or None where the request lacks what its action needs."""
    try:
        return POLICY.explain(request)
    except mespolicy.RequestError:
        return None


@given(requests())
def test_every_explained_amount_is_the_amount_charged(request: Request) -> None:
    explanation = explain_or_none(request)
    assume(explanation is not None)
    assert explanation is not None
    charged = [(c.code, str(c.amount)) for c in explanation.decision.charges]
    explained = [(a.code, a.amount) for a in explanation.amounts]
    assert explained == charged


@given(requests())
def test_the_explainer_reads_each_condition_as_the_compiled_code_did(request: Request) -> None:
    explanation = explain_or_none(request)
    assume(explanation is not None)
    assert explanation is not None
    for rule in explanation.rules:
        assert rule.holds == rule.applied, rule.rule.name


@given(requests())
def test_every_rule_considered_is_named_with_its_clauses(request: Request) -> None:
    explanation = explain_or_none(request)
    assume(explanation is not None)
    assert explanation is not None
    text = render_text(explanation)
    for rule in explanation.rules:
        assert f"{rule.rule.name} (" in text
        for clause in rule.rule.clauses:
            assert clause.text in text
