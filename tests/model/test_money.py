"""Tests for exact money: currencies from CLDR, half-up rounding, formats and string amounts."""

from __future__ import annotations

from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, Inexact
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mespolicy.model.money import (
    AmountError,
    Money,
    format_amount,
    format_money,
    is_known_currency,
    minor_units,
    parse_amount,
    round_half_up,
    sum_money,
)
from tests.model.strategies import CURRENCIES, currencies, money

USD = "USD"


@pytest.mark.parametrize(
    ("currency", "digits"),
    [("USD", 2), ("EUR", 2), ("JPY", 0), ("KRW", 0), ("BHD", 3), ("KWD", 3)],
)
def test_minor_units_come_from_cldr(currency: str, digits: int) -> None:
    assert minor_units(currency) == digits


@pytest.mark.parametrize("code", ["XYZ", "usd", "US", "USDX", ""])
def test_unknown_currency_is_refused_by_name(code: str) -> None:
    assert not is_known_currency(code)
    with pytest.raises(ValueError, match=f"unknown currency code '{code}'"):
        minor_units(code)
    with pytest.raises(ValueError, match=f"'{code}'"):
        Money(Decimal(1), code)


@pytest.mark.parametrize("amount", [12000.0, 12000, 0.1, True, "12000.00", None])
def test_money_amount_must_be_a_decimal(amount: object) -> None:
    with pytest.raises(TypeError, match="amount must be a Decimal"):
        Money(amount, USD)  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity", "sNaN"])
def test_money_amount_must_be_finite(amount: str) -> None:
    with pytest.raises(ValueError, match="finite"):
        Money(Decimal(amount), USD)


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        (Fraction(1, 200), "USD", "0.01"),
        (Fraction(-1, 200), "USD", "-0.01"),
        (Fraction(1, 201), "USD", "0.00"),
        (Fraction(-1, 201), "USD", "0.00"),
        (Fraction(12000 * 59, 365), "USD", "1939.73"),
        (Fraction(12000 * 59, 365) / 4, "USD", "484.93"),
        (Decimal("999.5"), "JPY", "1000"),
        (Decimal("-999.5"), "JPY", "-1000"),
        (Decimal("0.0005"), "BHD", "0.001"),
        (Decimal("0.00049"), "KWD", "0.000"),
        (Decimal("12000"), "USD", "12000.00"),
        (Decimal("1E+3"), "JPY", "1000"),
        (Fraction(10**40 + 1, 2), "USD", "5" + "0" * 39 + ".50"),
    ],
)
def test_round_half_up_examples(value: Decimal | Fraction, currency: str, expected: str) -> None:
    rounded = round_half_up(value, currency)
    assert str(rounded) == expected


def test_round_half_up_is_exact_just_below_a_half() -> None:
    # A float, or a 28-digit Decimal division, would see exactly 0.005 here.
    just_below = Fraction(1, 200) - Fraction(1, 10**40)
    assert round_half_up(just_below, USD) == Decimal("0.00")
    assert round_half_up(Fraction(1, 200) + Fraction(1, 10**40), USD) == Decimal("0.01")


@pytest.mark.parametrize("value", [0.005, 1, Decimal("NaN")])
def test_round_half_up_refuses_inexact_or_non_finite_input(value: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        round_half_up(value, USD)  # type: ignore[arg-type]


@given(
    st.fractions(max_denominator=10**6).filter(lambda f: abs(f) < 10**9),
    currencies(),
)
def test_round_half_up_lands_within_half_a_minor_unit(value: Fraction, currency: str) -> None:
    places = minor_units(currency)
    rounded = round_half_up(value, currency)
    assert rounded.as_tuple().exponent == -places
    assert abs(Fraction(rounded) - value) <= Fraction(1, 2 * 10**places)
    assert round_half_up(-value, currency) == -rounded


@given(st.integers(0, 10**12), currencies())
def test_round_half_up_takes_halves_away_from_zero(units: int, currency: str) -> None:
    places = minor_units(currency)
    half_way = Fraction(2 * units + 1, 2 * 10**places)
    assert round_half_up(half_way, currency) == Decimal(f"{units + 1}E-{places}")
    assert round_half_up(-half_way, currency) == Decimal(f"-{units + 1}E-{places}")


def test_money_of_rounds_once() -> None:
    assert Money.of(Fraction(12000 * 59, 365), USD) == Money(Decimal("1939.73"), USD)


def test_format_money_shows_minor_digits_and_code() -> None:
    assert format_money(Money(Decimal("12000.00"), USD)) == "12,000.00 USD"
    assert format_money(Money(Decimal("12000"), USD)) == "12,000.00 USD"
    assert format_money(Money(Decimal("1000"), "JPY")) == "1,000 JPY"
    assert format_money(Money(Decimal("1.5"), "BHD")) == "1.500 BHD"
    assert format_money(Money(Decimal("1234567.5"), "EUR"), "de_DE") == "1.234.567,50 EUR"
    assert str(Money(Decimal("-12.3"), USD)) == "-12.30 USD"


def test_format_money_never_hides_extra_digits() -> None:
    assert format_money(Money(Decimal("0.125"), USD)) == "0.125 USD"


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        ("12000", "USD", "12000.00"),
        ("12000.5", "USD", "12000.50"),
        ("12.50000", "USD", "12.50"),
        ("12.505", "USD", "12.505"),
        ("1E+3", "JPY", "1000"),
        ("1000", "JPY", "1000"),
        ("1.5", "KWD", "1.500"),
    ],
)
def test_format_amount_pads_to_minor_digits(amount: str, currency: str, text: str) -> None:
    assert format_amount(Decimal(amount), currency) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12000.00", Decimal("12000.00")), ("12000", Decimal(12000)), ("-0.5", Decimal("-0.5"))],
)
def test_parse_amount_reads_exact_strings(text: str, expected: Decimal) -> None:
    parsed = parse_amount(text, USD, "annual_fee")
    assert parsed == expected
    assert str(parsed) == text


@pytest.mark.parametrize("value", [12000.0, 12000, Decimal("12000.00"), True, None])
def test_parse_amount_refuses_numbers(value: object) -> None:
    with pytest.raises(AmountError, match=r'^annual_fee: .*amounts are strings, e.g. "12000.00"'):
        parse_amount(value, USD, "annual_fee")


def test_parse_amount_example_follows_the_currency() -> None:
    with pytest.raises(AmountError, match=r'e\.g\. "12000"$'):
        parse_amount(12000, "JPY", "fee")


@pytest.mark.parametrize(
    "text", ["NaN", "Infinity", "-Infinity", "1e3", "1_000", " 1", "+1", "", "1.", ".5", "١٢"]
)
def test_parse_amount_refuses_other_spellings(text: str) -> None:
    with pytest.raises(AmountError) as caught:
        parse_amount(text, USD, "contracts[0].annual_fee")
    assert caught.value.field == "contracts[0].annual_fee"
    assert caught.value.problem.startswith(f"not an amount: {text!r}")
    assert isinstance(caught.value, ValueError)


def test_add_and_subtract_are_exact_in_one_currency() -> None:
    big = Money(Decimal("1E+30"), USD)
    cent = Money(Decimal("0.01"), USD)
    assert (big + cent).amount == Decimal("1000000000000000000000000000000.01")
    assert (big + cent - big) == cent


def test_mixing_currencies_is_refused() -> None:
    with pytest.raises(ValueError, match="currency mismatch: USD and EUR"):
        Money(Decimal(1), USD) + Money(Decimal(1), "EUR")
    with pytest.raises(ValueError, match="currency mismatch"):
        Money(Decimal(1), USD) - Money(Decimal(1), "JPY")


def test_sum_money_of_nothing_is_zero_in_the_currency() -> None:
    assert str(sum_money([], "BHD").amount) == "0.000"
    assert sum_money([], "JPY") == Money(Decimal(0), "JPY")


@given(st.sampled_from(CURRENCIES).flatmap(lambda c: st.lists(money(c), max_size=8)))
def test_sum_money_is_the_exact_sum(items: list[Money]) -> None:
    currency = items[0].currency if items else USD
    total = sum_money(items, currency)
    assert total.amount == sum((m.amount for m in items), Decimal(0))
    assert total.currency == currency


def _amount_by_quantizing(amount: Decimal, currency: str) -> str:
    """format_amount's meaning, written the slow way: quantized to the minor unit when exact."""
    quantum = Decimal(1).scaleb(-minor_units(currency))
    exact = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[Inexact])
    try:
        return format(exact.quantize(amount, quantum), "f")
    except Inexact:
        return format(amount, "f")


@given(
    st.decimals(allow_nan=False, allow_infinity=False, min_value=-10**12, max_value=10**12, places=None)
    | st.integers(-(10**15), 10**15).map(Decimal)
    | st.tuples(st.integers(-(10**9), 10**9), st.integers(-6, 4)).map(lambda p: Decimal(p[0]).scaleb(p[1])),
    currencies(),
)
def test_format_amount_is_at_minor_digits_or_all_its_digits(amount: Decimal, currency: str) -> None:
    assert format_amount(amount, currency) == _amount_by_quantizing(amount, currency)
