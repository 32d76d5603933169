"""Exact amounts of money in an ISO 4217 currency, rounded half-up to the currency's minor unit."""

from __future__ import annotations

import contextlib
import decimal
import functools
import re
from collections.abc import Iterable
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, ROUND_HALF_UP, Context, Decimal, Inexact, InvalidOperation
from fractions import Fraction
from typing import Any

import attrs
from babel import Locale
from babel.numbers import format_currency, get_currency_precision, list_currencies

from mespolicy.model.fields import FieldValueError
from mespolicy.model.trusted import maker

# Sums of exact decimals must stay exact: a context this wide never rounds, and
# the Inexact trap proves it.
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[InvalidOperation, Inexact])

# Plain decimal notation only: Decimal() itself would also take "1e3", "1_000",
# " 12 " and "NaN", none of which an amount field should accept.
_AMOUNT = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_CODE = re.compile(r"[A-Z]{3}")


class AmountError(FieldValueError):
    """An input amount that is not an exact decimal string; names the field it came from."""


def is_known_currency(code: object) -> bool:
    """Whether ``code`` is an upper-case ISO 4217 code known to Babel's CLDR data."""
    return isinstance(code, str) and _CODE.fullmatch(code) is not None and code in _currencies()


@functools.cache
def _currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def known_currencies() -> frozenset[str]:
    """Every code `is_known_currency` takes (for a JSON Schema's list of currencies)."""
    return frozenset(code for code in _currencies() if _CODE.fullmatch(code))


def _check_currency(code: str) -> None:
    if not is_known_currency(code):
        raise ValueError(f"unknown currency code {code!r} (expected ISO 4217, e.g. 'USD')")


@functools.cache
def minor_units(currency: str) -> int:
    """Decimal places of ``currency``'s minor unit, from CLDR: USD 2, JPY 0, BHD 3."""
    _check_currency(currency)
    # Babel answers 2 for any code it does not know, hence the check above.
    digits: int = get_currency_precision(currency)
    return digits


def round_half_up(value: Decimal | Fraction, currency: str) -> Decimal:
    """Round an exact value once, half away from zero, to ``currency``'s minor unit.

    The result has exactly that many decimal places: ``Decimal("328.77")`` for
    USD, ``Decimal("1000")`` for JPY.
    """
    places = minor_units(currency)
    if type(value) is Decimal and value.is_finite():
        # quantize in a context wide enough never to round twice: exact half-up in one step
        quantum = _QUANTA.get(places) or Decimal(1).scaleb(-places)
        rounded = value.quantize(quantum, rounding=ROUND_HALF_UP, context=_EXACT_QUANTIZE)
        return rounded.copy_abs() if rounded.is_zero() else rounded
    exact = _as_fraction(value)
    scaled = abs(exact) * 10**places
    whole, rest = divmod(scaled.numerator, scaled.denominator)
    if 2 * rest >= scaled.denominator:
        whole += 1
    sign = "-" if exact < 0 and whole else ""
    # Built from a string so no Decimal context precision can round it again.
    return Decimal(f"{sign}{whole}E-{places}")


_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(0, 5)}
_EXACT_QUANTIZE = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)


def _as_fraction(value: Decimal | Fraction) -> Fraction:
    if isinstance(value, Fraction):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot round a non-finite amount: {value}")
        return Fraction(value)
    raise TypeError(f"expected a Decimal or Fraction to round, got {type(value).__name__}")


def _check_amount(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Decimal):
        raise TypeError(f"Money amount must be a Decimal, got {type(value).__name__}: {value!r}")
    if not value.is_finite():
        raise ValueError(f"Money amount must be finite, got {value}")


def _check_code(_: object, __: attrs.Attribute[Any], value: str) -> None:
    _check_currency(value)


@attrs.frozen
class Money:
    """An exact amount in one currency; ``amount`` keeps whatever exact digits it was given."""

    amount: Decimal = attrs.field(validator=_check_amount)
    currency: str = attrs.field(validator=_check_code)

    @classmethod
    def of(cls, value: Decimal | Fraction, currency: str) -> Money:
        """The amount ``value`` rounded half-up to ``currency``'s minor unit."""
        rounded = round_half_up(value, currency)  # refuses an unknown currency and a non-finite value
        return built_money(rounded, currency) if cls is Money else cls(rounded, currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Nothing, written with the currency's minor digits (``0.00`` USD)."""
        return _zero(currency) if cls is Money else cls.of(Decimal(0), currency)

    def __add__(self, other: Money) -> Money:
        return built_money(_EXACT.add(self.amount, self._same(other).amount), self.currency)

    def __sub__(self, other: Money) -> Money:
        return built_money(_EXACT.subtract(self.amount, self._same(other).amount), self.currency)

    def _same(self, other: Money) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise ValueError(f"currency mismatch: {self.currency} and {other.currency}")
        return other

    def __str__(self) -> str:
        return format_money(self)


_make_money = maker(Money, ("amount", "currency"))


@functools.cache
def _zero(currency: str) -> Money:
    # every total of an approval that charges nothing, and every sum, starts from it
    return Money.of(Decimal(0), currency)


def built_money(amount: Decimal, currency: str) -> Money:
    """Money the engine made from money already checked: its validators are not run again.

    Only for a finite Decimal and a currency `minor_units` (or a request's reader) has accepted;
    a user's `Money(...)` is still checked. Validating what the engine built cost about a fifth
    of deciding a request.
    """
    return _make_money(amount, currency)


def sum_money(items: Iterable[Money], currency: str) -> Money:
    """The exact sum of ``items``, all in ``currency``; zero in that currency when empty."""
    total = Money.zero(currency)
    amount = total.amount
    for item in items:
        amount = _EXACT.add(amount, total._same(item).amount)
    return built_money(amount, currency)


def format_amount(amount: Decimal, currency: str) -> str:
    """Plain digits for JSON: the currency's minor digits (``"12000.00"``, ``"1000"``).

    An amount with more digits than the minor unit keeps them all, since
    dropping them here would be a second, hidden rounding.
    """
    places = minor_units(currency)
    # already in minor digits, as every amount the engine rounded: nothing to quantize (the
    # digits after the point are counted in the text: as_tuple() cost as much as the rest)
    if type(amount) is Decimal and amount.is_finite() and abs(amount.adjusted()) <= _WIDEST_PLAIN:
        text = format(amount, "f")
        point = text.find(".")
        if (0 if point < 0 else len(text) - point - 1) == places:
            return text
    if _beyond_plain(amount):
        return format(amount, "E")
    quantum = _quantum(places)
    with contextlib.suppress(Inexact):
        amount = _EXACT.quantize(amount, quantum)
    return format(amount, "f")


@functools.cache
def _quantum(places: int) -> Decimal:
    return Decimal(f"1E-{places}")


# An amount whose plain digits would run past this many places either side of
# the point (1E+100000, built in Python) is written in exponent form, not as a
# string of a hundred thousand zeros; no fee or charge comes near it.
_WIDEST_PLAIN = 1_000


def _beyond_plain(amount: Decimal) -> bool:
    return (
        amount.is_finite()
        and not amount.is_zero()
        and (
            abs(amount.adjusted()) > _WIDEST_PLAIN or -amount.as_tuple().exponent > _WIDEST_PLAIN  # type: ignore[operator]
        )
    )


def format_money(m: Money, locale: str = "en_US") -> str:
    """``m`` for people: the locale's number with the currency's digits, a space, the code.

    ``"12,000.00 USD"``: the code, unlike a symbol such as ``$``, is never ambiguous.
    Any finite amount formats, however many digits it has: Babel rounds in the
    current decimal context (28 digits by default), so it runs here in one wide
    enough for the amount's digits and the currency's minor digits.
    """
    amount = m.amount
    if _beyond_plain(amount):
        return f"{amount:E} {m.currency}"
    pattern = Locale.parse(locale).decimal_formats[None]
    digits = len(amount.as_tuple().digits)
    wide = max(decimal.getcontext().prec, digits + abs(amount.adjusted()) + minor_units(m.currency) + 2)
    with decimal.localcontext(Context(prec=wide, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[InvalidOperation])):
        number: str = format_currency(
            amount,
            m.currency,
            format=pattern,
            locale=locale,
            currency_digits=True,
            decimal_quantization=False,
        )
    return f"{number} {m.currency}"


# A fee above this is a typo, not a contract (and would only slow exact arithmetic down).
LARGEST_FEE = Decimal(10) ** 15


def amount_problem(amount: Decimal, currency: str) -> str | None:
    """Why ``amount`` cannot be an amount of a request in ``currency``: not finite, implausibly
    large, or finer than the currency's minor unit (None when it can)."""
    if not amount.is_finite():
        return f"an amount must be finite, not {amount}"
    if abs(amount) >= LARGEST_FEE:
        return f"{amount} is not a plausible fee (at most {LARGEST_FEE - 1})"
    places = minor_units(currency)
    if amount != amount.quantize(Decimal(1).scaleb(-places), context=_EXACT_QUANTIZE):
        return f"{amount} is finer than {currency}'s minor unit ({places} decimal places)"
    return None


def parse_amount(text: object, currency: str, field: str) -> Decimal:
    """An exact amount from a JSON or command-line string such as ``"12000.00"``.

    Numbers are refused, since a JSON number may already have passed through a
    binary float; so are NaN, infinities and exponent forms.
    """
    if isinstance(text, str) and _AMOUNT.fullmatch(text) is not None:
        return Decimal(text)
    # the example only for the message: formatting it for every amount read cost a tenth of reading
    example = format_amount(Decimal(12000), currency)
    if not isinstance(text, str):
        raise AmountError(field, f'got {_kind(text)}: amounts are strings, e.g. "{example}"')
    raise AmountError(field, f'not an amount: {text!r} (expected digits such as "{example}")')


def _kind(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return f"JSON {str(value).lower() if value is not None else 'null'}"
    if isinstance(value, int | float | Decimal):
        return f"the number {value}"
    return f"a {type(value).__name__}"
