"""Hostile and unusual rule files, from the checked policy to decisions (issue 9: 4, 5, 6, 8, 9, 13).

Every policy here either loads and decides, or is refused with a located error
that has a code: never a NameError, TypeError, SyntaxError, RecursionError or
MemoryError from the generated code.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

import mespolicy
from mespolicy import Contract, Customer, License, LicenseKind, Money, Request, Role
from mespolicy.errors import EvaluationError, PolicyFileError
from mespolicy.limits import Limits
from mespolicy.parser import parse
from mespolicy.policy import Policy, from_files

HEADER = """\
parameter notice = 30 days
  clause §1
  source "s"
"""
# 31 digits: three of them multiplied need more than the 80 digits exact arithmetic keeps
DIGITS = "0.1234567890123456789012345678901"


def approval(body: str) -> str:
    """An action `a` whose one rule `r` approves with `body`."""
    return 'action a "a" {\n  approve r §1 {\n    ' + body + "\n  }\n}\n"


def load(text: str, limits: Limits | None = None) -> Policy:
    files = (parse(HEADER + text, "t.mes"),)
    return from_files(files, "t", limits) if limits is not None else from_files(files, "t")


def refused(text: str, limits: Limits | None = None) -> PolicyFileError:
    with pytest.raises(PolicyFileError) as caught:
        load(text, limits)
    return caught.value


def line_of(text: str, needle: str) -> int:
    """The line of the first occurrence of `needle` in HEADER + text (1-based)."""
    return (HEADER + text)[: (HEADER + text).index(needle)].count("\n") + 1


def contract(ident: str = "M1", fee: str = "1200.00", currency: str = "USD") -> Contract:
    return Contract(
        id=ident,
        currency=currency,
        start=date(2025, 1, 1),
        end=date(2026, 1, 1),
        annual_fee=Money(Decimal(fee), currency),
        licenses=("L1",),
    )


def request(action: str = "a", contracts: tuple[Contract, ...] | None = None) -> Request:
    found = contracts if contracts is not None else (contract(),)
    return Request(
        action=action,
        date=date(2026, 4, 10),
        customer=Customer(id="C1", role=Role.CUSTOMER, existing=True),
        contracts=found,
        licenses=(
            License(
                id="L1",
                product="NX",
                kind=LicenseKind.PERPETUAL,
                shipped=date(2025, 1, 1),
                annual_fee=Money(Decimal("1200.00"), "USD"),
            ),
        ),
        contract=found[0] if found else None,
    )


def field(text: str, expression: str, *, extra: str = "") -> object:
    """The value `set x = <expression>` puts in an approval's decision fields."""
    policy = load(extra + 'action a "a" {\n  approve r §1 {\n    set x = ' + expression + "\n  }\n}\n")
    decision = policy.decide(request())
    return dict(decision.fields)["x"]


# -- finding 4: constant folding ------------------------------------------------------------------


def test_a_what_if_on_a_folded_parameter_loads_and_decides() -> None:
    # renewal_term / fee_year is folded; with 1 month it does not terminate (1/12)
    policy = mespolicy.load().with_overrides({"renewal_term": "1 months"})
    text = (Path(__file__).parents[2] / "examples" / "renew-late.json").read_text(encoding="utf-8")
    decision = policy.decide(mespolicy.parse_request_json(text))
    assert decision.outcome is mespolicy.Outcome.APPROVED
    assert decision.total is not None and decision.total.amount > 0


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("1 / 3", Decimal(1) / Decimal(3)),  # a quotient that does not terminate
        ("2 / 8", Decimal("0.25")),
        ("-(7 / 3)", -(Decimal(7) / Decimal(3))),
        ("notice * 2 / 7 days", Decimal(60) / Decimal(7)),
        ("25% / 3", Decimal("0.25") / Decimal(3)),
        ("10 * 3", 30),
        ("123456789012345678901 * 10", 1234567890123456789010),  # too long to write inline
        ("notice - 1 days", 29),
    ],
)
def test_every_kind_of_folded_number_is_bound_in_the_module(expression: str, expected: Decimal) -> None:
    found = field("", expression)
    assert isinstance(found, int | Decimal)
    assert abs(Decimal(found) - Decimal(expected)) < Decimal("1e-20")


@pytest.mark.parametrize(
    ("expression", "amount"),
    [
        ("100.00 USD / 3", "33.33"),
        ("100.00 USD * 2 / 3", "66.67"),
        ("-(100.00 USD / 3)", "-33.33"),
        ("100.00 USD - 0.01 USD", "99.99"),
        ("fee_cap / 3", "166.67"),  # money in the contract's currency
    ],
)
def test_folded_money_is_bound_in_the_module(expression: str, amount: str) -> None:
    extra = 'parameter fee_cap: money = 500\n  clause §1\n  source "s"\n'
    found = field("", expression, extra=extra)
    assert found == Money(Decimal(amount), "USD")


def test_folded_dates_and_durations_are_bound_in_the_module() -> None:
    extra = 'parameter start_day = 2025-01-31\n  clause §1\n  source "s"\n'
    assert field("", "start_day + 1 months", extra=extra) == date(2025, 2, 28)
    assert field("", "start_day - notice", extra=extra) == date(2025, 1, 1)
    assert field("", "(start_day + 1 months) - start_day", extra=extra) == 28


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("1 / 0", "division by zero"),
        ("100.00 USD / (2 - 2)", "division by zero"),
        ("start_day + 99999999 months", "out of range"),
        ("start_day + 999999999 days", "out of range"),
        (f"{DIGITS} * {DIGITS} * {DIGITS}", "too large or too precise"),
        ("100.00 USD + 1.00 EUR", "EUR"),
    ],
)
def test_a_constant_that_cannot_be_computed_is_refused_at_its_expression(expression: str, words: str) -> None:
    extra = 'parameter start_day = 2025-01-31\n  clause §1\n  source "s"\n'
    text = extra + 'action a "a" {\n  approve r §1 {\n    set x = ' + expression + "\n  }\n}\n"
    error = refused(text)
    (diagnostic,) = error.diagnostics
    assert diagnostic.code in ("C219", "C205")
    assert diagnostic.span.line == line_of(text, "set x")
    if diagnostic.code == "C219":
        assert words in diagnostic.message
        assert diagnostic.span.column == (HEADER + text).splitlines()[diagnostic.span.line - 1].index("=") + 3


def test_a_runtime_division_by_zero_names_its_rule() -> None:
    text = 'action a "a" {\n  approve r §1 {\n    set x = 1 / (count(contracts) - 1)\n  }\n}\n'
    policy = load(text)
    with pytest.raises(EvaluationError) as caught:
        policy.decide(request())
    assert caught.value.code == "R302"
    assert caught.value.span is not None and caught.value.span.line == line_of(text, "approve r")
    assert "rule 'r'" in str(caught.value)


def test_a_date_out_of_range_at_decide_time_says_so_in_words() -> None:
    policy = load(
        'action a "a" {\n  approve r §1 {\n    set x = date + count(contracts) * 99999999 months\n  }\n}\n'
    )
    with pytest.raises(EvaluationError) as caught:
        policy.decide(request())
    assert caught.value.code == "R311"
    assert "out of range" in str(caught.value)
    assert "<class" not in str(caught.value)


def test_an_inexact_amount_at_decide_time_says_so_in_words() -> None:
    big = DIGITS
    policy = load(
        'action a "a" {\n  approve r §1 {\n'
        f"    set x = contract.annual_fee * {big} * {big} * {big}\n"
        "  }\n}\n"
    )
    with pytest.raises(EvaluationError) as caught:
        policy.decide(request())
    assert caught.value.code == "R311"
    assert "too large or too precise" in str(caught.value)
    assert "decimal" not in str(caught.value)


# -- finding 5: min and max over request money ----------------------------------------------------


def two_contracts(second_currency: str = "USD") -> tuple[Contract, ...]:
    return (contract("M1", "1200.00"), contract("M2", "3000.00", second_currency))


@pytest.mark.parametrize(("function", "amount"), [("max", "3000.00"), ("min", "1200.00")])
def test_min_and_max_over_request_money(function: str, amount: str) -> None:
    policy = load(
        'action a "a" {\n  approve r §1 {\n    set x = '
        + function
        + "(c.annual_fee for c in contracts)\n  }\n}\n"
    )
    decision = policy.decide(request(contracts=two_contracts()))
    assert dict(decision.fields)["x"] == Money(Decimal(amount), "USD")
    # the explainer computes the same
    policy.explain(request(contracts=two_contracts()))


def test_max_over_money_computed_from_request_money_and_literals() -> None:
    policy = load(
        'action a "a" {\n  approve r §1 {\n'
        "    set x = max(c.annual_fee * 2 - 100.00 USD for c in contracts)\n"
        "    set y = min(c.annual_fee / 3 for c in contracts)\n"
        "    charge z = max(c.annual_fee for c in contracts) - min(c.annual_fee for c in contracts)\n"
        "  }\n}\n"
    )
    decision = policy.decide(request(contracts=two_contracts()))
    fields = dict(decision.fields)
    assert fields["x"] == Money(Decimal("5900.00"), "USD")
    assert fields["y"] == Money(Decimal("400.00"), "USD")
    assert decision.total == Money(Decimal("1800.00"), "USD")


def test_max_over_money_of_several_currencies_is_a_located_error() -> None:
    policy = load(
        'action a "a" {\n  approve r §1 {\n    set x = max(c.annual_fee for c in contracts)\n  }\n}\n'
    )
    with pytest.raises(EvaluationError) as caught:
        policy.decide(request(contracts=two_contracts("EUR")))
    assert caught.value.code == "R303"
    assert caught.value.span is not None


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("max(c.end for c in contracts)", date(2026, 1, 1)),
        ("min(c.end - c.start for c in contracts)", 365),
        ("max((c.end - c.start) / 7 days for c in contracts)", Decimal(365) / Decimal(7)),
        ("min(count(c.licenses) * 1 months for c in contracts)", 1),
    ],
)
def test_min_and_max_over_every_orderable_type(expression: str, expected: object) -> None:
    found = field("", expression)
    if isinstance(expected, Decimal):
        assert isinstance(found, Decimal) and abs(found - expected) < Decimal("1e-20")
    else:
        assert found == expected
