"""diff's kinds of change, field by field, on decisions built by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from mespolicy.diff import AMOUNT, OUTCOME, OUTPUT, REASONS, TERM, changed_fields
from mespolicy.model.calendar import Term
from mespolicy.model.decision import Charge, Decision, Outcome, Reason
from mespolicy.model.money import Money

TERM_2026 = Term(date(2026, 3, 1), date(2027, 3, 1))


def _decision(
    *,
    outcome: Outcome = Outcome.APPROVED,
    term: Term | None = TERM_2026,
    fee: str = "12000.00",
    fields: tuple[tuple[str, object], ...] = (),
    reason: str = "Renewed.",
) -> Decision:
    charges = (Charge("renewal", Money(Decimal(fee), "USD"), term, "M1", "§6.2"),) if term else ()
    return Decision("renew", outcome, (Reason("§6.2", reason),), term, charges, fields, ())


def _kinds(before: Decision, after: Decision) -> list[tuple[str, str]]:
    return [(change.field, change.kind) for change in changed_fields(before, after)]


def test_the_same_decision_has_no_change() -> None:
    assert _kinds(_decision(), _decision()) == []


def test_a_term_that_moved_is_a_term_change_of_its_start_or_end() -> None:
    later = Term(date(2026, 3, 1), date(2028, 3, 1))
    # the charge's period moved with the term; its amount, the same, is no change
    assert _kinds(_decision(), _decision(term=later)) == [("term end", TERM)]
    earlier = Term(date(2026, 2, 1), date(2027, 3, 1))
    assert _kinds(_decision(), _decision(term=earlier)) == [("term start", TERM)]


def test_an_amount_names_the_charge_and_the_total() -> None:
    assert _kinds(_decision(), _decision(fee="12500.00")) == [("renewal on M1", AMOUNT), ("total", AMOUNT)]


def test_a_date_output_is_an_output_not_a_term() -> None:
    before = _decision(fields=(("reinstatable_until", date(2029, 3, 1)),))
    after = _decision(fields=(("reinstatable_until", date(2028, 3, 1)),))
    assert _kinds(before, after) == [("reinstatable_until", OUTPUT)]


def test_reasons_count_only_when_nothing_else_changed() -> None:
    assert _kinds(_decision(), _decision(reason="Renewed on time.")) == [("reasons", REASONS)]
    assert _kinds(_decision(), _decision(fee="1.00", reason="Other.")) == [
        ("renewal on M1", AMOUNT),
        ("total", AMOUNT),
    ]


def test_what_comes_and_goes_with_the_outcome_is_the_outcome_change() -> None:
    rejected = _decision(outcome=Outcome.REJECTED, term=None)
    changes = _kinds(_decision(), rejected)
    assert {kind for _, kind in changes} == {OUTCOME}
    assert [field for field, _ in changes] == ["outcome", "term", "renewal on M1", "total"]
