"""Exact arithmetic for policies: `Decimal` while results terminate, a `Quotient` when a division does not.

interpretation.md asks for each charge to be rounded once, half-up, "from exact
unrounded inputs": 25% of 12,000.00 x 40/365 must round from 328.7671232876...,
not from a 28-digit approximation (which, at an exact half cent, can round the
wrong way). `fractions.Fraction` is exact but slow in the hot path of a
decision; a Quotient keeps a `Decimal` numerator over an `int` divisor, so its
arithmetic stays in C-implemented Decimal and integer operations.
"""

from __future__ import annotations

from decimal import (
    ROUND_CEILING,
    ROUND_FLOOR,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
)
from fractions import Fraction
from math import gcd
from typing import Any

# Wide enough that sums and products of real amounts never round; if one ever
# would, Inexact is raised instead of a silently rounded result.
EXACT = Context(prec=80, traps=[Inexact, InvalidOperation, DivisionByZero])


# A whole number or a divisor past this many bits (about 300 digits) is no count, term
# or rate a policy means. EXACT bounds a Decimal's digits; this bounds the Python ints,
# so that a chain of products cannot grow a number past memory.
WIDEST_WHOLE_BITS = 1024


def too_wide() -> Overflow:
    return Overflow("a number past 300 digits")


class Quotient:
    """The exact value `numerator / divisor` (a positive int divisor) of a division that does not end."""

    __slots__ = ("divisor", "numerator")

    def __init__(self, numerator: Decimal, divisor: int) -> None:
        if divisor.bit_length() > WIDEST_WHOLE_BITS:
            raise too_wide()
        self.numerator = numerator
        self.divisor = divisor

    def fraction(self) -> Fraction:
        return Fraction(self.numerator) / self.divisor

    def approximate(self, digits: int = 28) -> Decimal:
        """A Decimal to show (never to charge): the value to `digits` significant digits."""
        return Context(prec=digits).divide(self.numerator, self.divisor)

    def _cross(self, other: object) -> tuple[Decimal, Decimal] | None:
        if isinstance(other, Quotient):
            return (
                EXACT.multiply(self.numerator, other.divisor),
                EXACT.multiply(other.numerator, self.divisor),
            )
        if isinstance(other, Decimal | int):
            return self.numerator, EXACT.multiply(other, self.divisor)
        return None

    def __eq__(self, other: object) -> bool:
        pair = self._cross(other)
        return pair is not None and pair[0] == pair[1]

    def __lt__(self, other: Any) -> bool:
        left, right = self._cross(other) or _unordered(other)
        return left < right

    def __le__(self, other: Any) -> bool:
        left, right = self._cross(other) or _unordered(other)
        return left <= right

    def __gt__(self, other: Any) -> bool:
        left, right = self._cross(other) or _unordered(other)
        return left > right

    def __ge__(self, other: Any) -> bool:
        left, right = self._cross(other) or _unordered(other)
        return left >= right

    def __hash__(self) -> int:
        # equal values hash alike across Decimal, int, Fraction and Quotient
        return hash(self.fraction())

    def __neg__(self) -> Quotient:
        return Quotient(EXACT.minus(self.numerator), self.divisor)

    def __repr__(self) -> str:
        return f"Quotient({self.numerator!r}, {self.divisor})"

    def __str__(self) -> str:
        return str(self.approximate())


Number = Decimal | int | Quotient


def _unordered(other: object) -> tuple[Decimal, Decimal]:
    raise TypeError(f"cannot compare a number with {type(other).__name__}")


def _parts(value: Number) -> tuple[Decimal | int, int]:
    if type(value) is Quotient:
        return value.numerator, value.divisor
    return value, 1  # type: ignore[return-value]


def add(a: Number, b: Number) -> Number:
    if type(a) is not Quotient and type(b) is not Quotient:
        return EXACT.add(a, b)  # type: ignore[arg-type]
    an, ad = _parts(a)
    bn, bd = _parts(b)
    if ad == bd:
        return Quotient(EXACT.add(an, bn), ad)
    return Quotient(EXACT.add(EXACT.multiply(an, bd), EXACT.multiply(bn, ad)), ad * bd)


def subtract(a: Number, b: Number) -> Number:
    return add(a, negate(b))


def multiply(a: Number, b: Number) -> Number:
    if type(a) is not Quotient and type(b) is not Quotient:
        return EXACT.multiply(a, b)  # type: ignore[arg-type]
    an, ad = _parts(a)
    bn, bd = _parts(b)
    return Quotient(EXACT.multiply(an, bn), ad * bd)


def negate(a: Number) -> Number:
    if type(a) is Quotient:
        return -a
    return EXACT.minus(a) if type(a) is Decimal else -a


def divide(a: Number, b: Number) -> Number:
    """`a / b`, exact: a Decimal (or int) when it terminates, else a Quotient. `b` must not be zero."""
    an, ad = _parts(a)
    bn, bd = _parts(b)
    # a / b = (an / ad) / (bn / bd) = (an * bd) / (ad * bn), with bn = p / q as integers
    p, q = bn.as_integer_ratio()
    numerator = an if bd * q == 1 else EXACT.multiply(an, bd * q)
    return _reduced(numerator, ad * p)


def _reduced(numerator: Decimal | int, divisor: int) -> Number:
    if divisor < 0:
        numerator = EXACT.minus(numerator) if isinstance(numerator, Decimal) else -numerator
        divisor = -divisor
    if type(numerator) is int and numerator % divisor == 0:
        return numerator // divisor
    top, bottom = numerator.as_integer_ratio()
    bottom *= divisor
    common = gcd(top, bottom)
    top, bottom = top // common, bottom // common
    rest = bottom
    for prime in (2, 5):
        while rest % prime == 0:
            rest //= prime
    if rest == 1:
        # only 2s and 5s below: the quotient terminates, and Decimal gives it exactly
        return EXACT.divide(Decimal(top), Decimal(bottom))
    return Quotient(Decimal(top), bottom)


# Quantizing in a context this wide rounds only where asked to, never to fit a precision.
_ROUNDING = Context(prec=200, rounding=ROUND_HALF_UP, traps=[InvalidOperation])
_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(5)}


def round_half_up(value: Number, places: int) -> Decimal:
    """`value` rounded once, half away from zero, to `places` decimals (exactly that many)."""
    if not isinstance(value, Quotient):
        quantum = _QUANTA.get(places) or Decimal(1).scaleb(-places)
        rounded = Decimal(value).quantize(quantum, context=_ROUNDING)
        return rounded.copy_abs() if rounded.is_zero() else rounded
    numerator, divisor = _parts(value)
    scaled = EXACT.scaleb(Decimal(numerator), places)
    whole, rest = EXACT.divmod(EXACT.abs(scaled), divisor)
    if EXACT.multiply(rest, 2) >= divisor:
        whole = EXACT.add(whole, 1)
    if scaled < 0 and whole:
        whole = EXACT.minus(whole)
    return EXACT.scaleb(whole, -places).quantize(Decimal(1).scaleb(-places), context=EXACT)


def round_toward(value: Number, places: int, up: bool) -> Decimal:
    """`value` rounded up (toward the greater number) or down (toward the lesser) to `places` decimals.

    Rounded from the exact value: a Quotient is rounded from its fraction, never from an approximation.
    """
    quantum = _QUANTA.get(places) or Decimal(1).scaleb(-places)
    if isinstance(value, Quotient):
        scaled = value.fraction() * 10**places
        whole = -(-scaled.numerator // scaled.denominator) if up else scaled.numerator // scaled.denominator
        rounded = Decimal(whole).scaleb(-places).quantize(quantum, context=_ROUNDING)
    else:
        rounding = ROUND_CEILING if up else ROUND_FLOOR
        rounded = Decimal(value).quantize(quantum, rounding=rounding, context=_ROUNDING)
    return rounded.copy_abs() if rounded.is_zero() else rounded


def to_fraction(value: Number) -> Fraction:
    return value.fraction() if isinstance(value, Quotient) else Fraction(value)
