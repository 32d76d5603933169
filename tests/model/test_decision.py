"""Tests for decisions: totals, field nesting, validation, and the JSON form."""

from __future__ import annotations

import enum
import json
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mespolicy.model import (
    Charge,
    Decision,
    Money,
    Outcome,
    Reason,
    Term,
    TraceStep,
    decision_to_json,
    format_amount,
    sum_money,
)
from tests.model.strategies import currencies, money

TERM = Term(date(2026, 3, 1), date(2027, 3, 1))
RENEWAL = Charge("renewal", Money(Decimal("12000.00"), "USD"), TERM, "M1", "§8.2")
LATE_FEE = Charge("reinstatement_fee", Money(Decimal("328.77"), "USD"), None, "M1", "§8.3")
STEP = TraceStep(
    "late_renewal",
    "approve",
    True,
    ("§8.2", "§8.4"),
    "renewal.mes:12",
    (("days_late", "40"), ("expiry", "2026-03-01")),
)


def renewal(**changes: object) -> Decision:
    values: dict[str, object] = {
        "action": "renew",
        "outcome": Outcome.APPROVED,
        "reasons": (Reason("§8.3", "renewed 40 days late"),),
        "term": TERM,
        "charges": (RENEWAL, LATE_FEE),
        "fields": (
            ("effective", date(2027, 3, 1)),
            ("renewal.date", date(2026, 12, 1)),
            ("renewal.amount", Money(Decimal("12000"), "USD")),
        ),
        "trace": (STEP,),
    }
    values.update(changes)
    return Decision(**values)  # type: ignore[arg-type]


def test_decision_json_has_the_documented_shape() -> None:
    assert decision_to_json(renewal()) == {
        "action": "renew",
        "outcome": "approved",
        "reasons": [{"clause": "§8.3", "message": "renewed 40 days late"}],
        "term": {"start": "2026-03-01", "end": "2027-03-01"},
        "charges": [
            {
                "code": "renewal",
                "amount": "12000.00",
                "currency": "USD",
                "start": "2026-03-01",
                "end": "2027-03-01",
                "contract": "M1",
                "clause": "§8.2",
            },
            {
                "code": "reinstatement_fee",
                "amount": "328.77",
                "currency": "USD",
                "start": None,
                "end": None,
                "contract": "M1",
                "clause": "§8.3",
            },
        ],
        "total": {"amount": "12328.77", "currency": "USD"},
        "ref": None,
        "policy": None,
        "trace": [
            {
                "rule": "late_renewal",
                "kind": "approve",
                "applied": True,
                "clauses": ["§8.2", "§8.4"],
                "location": "renewal.mes:12",
                "detail": {"days_late": "40", "expiry": "2026-03-01"},
            }
        ],
        "effective": "2027-03-01",
        "renewal": {"date": "2026-12-01", "amount": {"amount": "12000.00", "currency": "USD"}},
    }


def test_decision_json_needs_no_custom_encoder() -> None:
    text = json.dumps(decision_to_json(renewal()))
    assert '"amount": "12328.77"' in text


def test_trace_can_be_left_out() -> None:
    assert "trace" not in decision_to_json(renewal(), trace=False)


def test_no_charges_means_no_total_and_no_term_is_null() -> None:
    rejected = renewal(outcome=Outcome.REJECTED, term=None, charges=(), fields=())
    assert rejected.total is None
    out = decision_to_json(rejected)
    assert (out["total"], out["term"], out["charges"]) == (None, None, [])
    assert out["outcome"] == "rejected"


def test_total_is_the_sum_of_the_rounded_charges() -> None:
    assert renewal().total == Money(Decimal("12328.77"), "USD")


def test_amounts_carry_the_currency_digits() -> None:
    yen = Charge("renewal", Money(Decimal(1000), "JPY"), TERM, "M1", "§8.2")
    dinar = Charge("renewal", Money(Decimal("12.5"), "BHD"), TERM, "M1", "§8.2")
    out = json.loads(json.dumps(decision_to_json(renewal(charges=(yen,), fields=()))))
    charges = out["charges"]
    assert charges[0]["amount"] == "1000"
    assert decision_to_json(renewal(charges=(dinar,), fields=()))["total"] == {
        "amount": "12.500",
        "currency": "BHD",
    }


def test_charges_in_two_currencies_are_refused() -> None:
    euro = Charge("renewal", Money(Decimal("1.00"), "EUR"), TERM, "M2", "§8.2")
    with pytest.raises(ValueError, match="currency mismatch: USD and EUR"):
        renewal(charges=(RENEWAL, euro))


class Status(enum.Enum):
    LAPSED = "lapsed"


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        (date(2026, 3, 1), "2026-03-01"),
        (Money(Decimal("5"), "KWD"), {"amount": "5.000", "currency": "KWD"}),
        (TERM, {"start": "2026-03-01", "end": "2027-03-01"}),
        (Decimal("0.25"), "0.25"),
        (Decimal("1E+2"), "100"),
        (Status.LAPSED, "lapsed"),
        ("lapsed", "lapsed"),
        (True, True),
        (3, 3),
        (None, None),
        (("M1", "M2"), ["M1", "M2"]),
    ],
)
def test_field_values_render_to_plain_json(value: object, rendered: object) -> None:
    assert decision_to_json(renewal(fields=(("x", value),)))["x"] == rendered


@pytest.mark.parametrize(
    "value", [0.25, datetime(2026, 3, 1, 12, 0), Decimal("NaN"), {"a": 1}, [1], object()]
)
def test_field_values_without_a_json_form_are_refused(value: object) -> None:
    with pytest.raises(TypeError, match="a decision field cannot hold"):
        renewal(fields=(("x", value),))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ((("renewal", 1), ("renewal.date", date(2026, 1, 1))), "'renewal' already holds a value"),
        ((("renewal.date", 1), ("renewal", 2)), "'renewal' is given twice or also has sub-fields"),
        ((("status", "a"), ("status", "b")), "'status' is given twice"),
        ((("total", "x"),), "would replace the decision's own 'total'"),
        ((("trace.extra", "x"),), "would replace the decision's own 'trace'"),
        ((("renewal..date", "x"),), "has an empty part"),
        ((("", "x"),), "has an empty part"),
    ],
)
def test_field_names_must_nest_cleanly(fields: tuple[tuple[str, object], ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        renewal(fields=fields)


def test_field_lookup() -> None:
    decision = renewal()
    assert decision.field("renewal.date") == date(2026, 12, 1)
    with pytest.raises(KeyError):
        decision.field("status")


def test_trace_detail_names_are_unique_string_pairs() -> None:
    with pytest.raises(ValueError, match="detail names 'a' twice"):
        TraceStep("r", "reject", False, (), "f:1", (("a", "1"), ("a", "2")))
    with pytest.raises(TypeError, match="not a \\(name, rendered value\\) pair"):
        TraceStep("r", "reject", False, (), "f:1", (("a", 1),))  # type: ignore[arg-type]


def test_parts_are_type_checked() -> None:
    with pytest.raises(TypeError):
        Charge("renewal", Decimal("1.00"), None, None, "§8.2")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        renewal(outcome="approved")
    with pytest.raises(TypeError):
        renewal(reasons=[Reason("§8.3", "late")])
    with pytest.raises(ValueError, match="clause must not be empty"):
        Reason("", "no clause")


@given(currencies().flatmap(lambda c: st.lists(money(c), min_size=1, max_size=6)))
def test_json_total_matches_the_charges(amounts: list[Money]) -> None:
    charges = tuple(Charge("c", m, None, None, "§1") for m in amounts)
    decision = renewal(charges=charges, fields=())
    currency = amounts[0].currency
    expected = sum_money(amounts, currency)
    out = json.loads(json.dumps(decision_to_json(decision)))
    total = format_amount(expected.amount, currency)
    assert out["total"] == {"amount": total, "currency": currency}
    assert [c["amount"] for c in out["charges"]] == [format_amount(m.amount, currency) for m in amounts]
