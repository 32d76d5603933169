"""Exact arithmetic agrees with fractions.Fraction on every operation and rounds half-up exactly."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from mespolicy import exact
from mespolicy.exact import Number, Quotient
from mespolicy.model.money import round_half_up

decimals = st.decimals(min_value=-(10**9), max_value=10**9, places=3, allow_nan=False, allow_infinity=False)
plain: st.SearchStrategy[Number] = st.one_of(st.integers(-(10**6), 10**6), decimals)
nonzero = plain.filter(lambda x: x != 0)


@st.composite
def numbers(draw: st.DrawFn) -> Number:
    """Plain numbers and the quotients divisions make from them."""
    value = draw(plain)
    if draw(st.booleans()):
        return exact.divide(value, draw(nonzero))
    return value


OPERATIONS = {"+": exact.add, "-": exact.subtract, "*": exact.multiply}
ORACLE = {"+": Fraction.__add__, "-": Fraction.__sub__, "*": Fraction.__mul__}


@given(numbers(), numbers(), st.sampled_from(sorted(OPERATIONS)))
def test_operations_are_exact(a: Number, b: Number, op: str) -> None:
    result = OPERATIONS[op](a, b)
    assert exact.to_fraction(result) == ORACLE[op](exact.to_fraction(a), exact.to_fraction(b))


@given(numbers(), numbers().filter(lambda x: x != 0))
def test_division_is_exact_and_terminating_quotients_are_decimals(a: Number, b: Number) -> None:
    result = exact.divide(a, b)
    expected = exact.to_fraction(a) / exact.to_fraction(b)
    assert exact.to_fraction(result) == expected
    denominator = expected.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    assert isinstance(result, Quotient) == (denominator != 1)


@given(numbers(), numbers())
def test_comparisons_agree_with_fractions(a: Number, b: Number) -> None:
    fa, fb = exact.to_fraction(a), exact.to_fraction(b)
    assert (a < b) == (fa < fb)
    assert (a <= b) == (fa <= fb)
    assert (a == b) == (fa == fb)
    assert (a >= b) == (fa >= fb)
    if a == b:
        assert hash(a) == hash(b)


@given(numbers(), st.sampled_from([0, 2, 3]))
def test_rounding_is_half_up_from_the_exact_value(value: Number, places: int) -> None:
    currency = {0: "JPY", 2: "USD", 3: "BHD"}[places]
    assert exact.round_half_up(value, places) == round_half_up(exact.to_fraction(value), currency)
    assert exact.round_half_up(value, places).as_tuple().exponent == -places


def test_a_half_cent_reached_through_a_quotient_rounds_up() -> None:
    # 7.30 / 365 = 0.02 exactly, and 25% of it is 0.005: half a cent, which rounds up
    third = exact.divide(Decimal("7.30"), 365)
    assert exact.round_half_up(exact.multiply(Decimal("0.25"), third), 2) == Decimal("0.01")
    # (1/3) x 0.015 = 0.005 exactly; a 28-digit approximation would give 0.00499... and round down
    one_third = exact.divide(1, 3)
    assert isinstance(one_third, Quotient)
    assert exact.round_half_up(exact.multiply(one_third, Decimal("0.015")), 2) == Decimal("0.01")
    assert exact.round_half_up(exact.negate(exact.multiply(one_third, Decimal("0.015"))), 2) == Decimal(
        "-0.01"
    )
