"""A parameter's declared type and range, and whether a value (in a rule file or a `--set`) fits them.

`parameter reinstatement_fee_rate: rate in 0%..100% = 25%`: every value of the
parameter, dated ones too, and every what-if value given for it must be a rate
between 0% and 100%. A bare number where a rate or a duration is declared is
refused with the value it most likely meant ("did you mean 25%?"): a forgotten
`%` would otherwise multiply a fee by 25.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import attrs

from mespolicy import nodes as n
from mespolicy import types as t
from mespolicy.formatter import format_expr, format_range
from mespolicy.source import Span
from mespolicy.typecheck import literal_type

# The types a range can bound: those whose values are ordered.
RANGED = (t.DATE, t.DAYS, t.MONTHS, t.INTEGER, t.NUMBER, t.RATE)


@attrs.frozen
class Problem:
    """What is wrong with a value or a range, with the code it is reported under."""

    code: str
    message: str
    span: Span
    hint: str | None = None


def bare_number(literal: n.Literal, kind: t.Type) -> str | None:
    """The value a bare number most likely meant where `kind` is declared ("25%"), or None.

    Money is not here: a bare amount declared as money is an amount in the contract's currency.
    """
    if not isinstance(literal, n.NumberLiteral):
        return None
    number = format(literal.value, "f")
    if kind == t.RATE:
        return f"{number}%"
    if kind in t.DURATIONS and literal.value == literal.value.to_integral_value():
        return f"{number} {kind}"
    return None


def range_problems(value_range: n.ValueRange, kind: t.Type) -> list[Problem]:
    """A declared range that does not fit its type, or whose low bound is above its high one."""
    if isinstance(kind, t.Unknown):
        return []
    if kind not in RANGED and not isinstance(kind, t.Money):
        return [
            Problem(
                "C252",
                f"a range needs values in order, and {kind} values have none",
                value_range.span,
                "leave out the range, or declare a number, rate, duration, amount or date",
            )
        ]
    problems = []
    for bound in (value_range.low, value_range.high):
        if bound is not None and (problem := _bound_problem(bound, kind)) is not None:
            problems.append(problem)
    low, high = value_range.low, value_range.high
    if not problems and low is not None and high is not None and _key(high) < _key(low):
        problems.append(
            Problem(
                "C252",
                f"the range {format_range(value_range)} is empty: its low bound is above its high one",
                value_range.span,
            )
        )
    return problems


def _bound_problem(bound: n.Literal, kind: t.Type) -> Problem | None:
    guess = bare_number(bound, kind)
    if guess is not None:
        message = f"a bound of a {kind} range is a bare number"
        return Problem("C250", message, bound.span, f"did you mean {guess}?")
    found = literal_type(bound, kind)
    if t.assignable(found, kind):
        return None
    return Problem("C252", f"a bound of a {kind} range must be {kind} too, but this is {found}", bound.span)


def outside(literal: n.Literal, ranges: Iterable[n.ValueRange]) -> n.ValueRange | None:
    """The first declared range the value falls outside of (bounds included), or None."""
    for value_range in ranges:
        low, high = value_range.low, value_range.high
        if not _comparable(literal, value_range):
            continue
        below = low is not None and _key(literal) < _key(low)
        if below or (high is not None and _key(literal) > _key(high)):
            return value_range
    return None


def describe_range(value_range: n.ValueRange) -> str:
    """The range in words: `between 0% and 100%`, `at least 1 day`, `at most 100%`."""
    low, high = value_range.low, value_range.high
    if low is not None and high is not None:
        return f"between {format_expr(low)} and {format_expr(high)}"
    if low is not None:
        return f"at least {format_expr(low)}"
    assert high is not None
    return f"at most {format_expr(high)}"


def _comparable(literal: n.Literal, value_range: n.ValueRange) -> bool:
    """Whether the bounds speak of the same kind of value (a range that did not check is skipped)."""
    kinds = {type(b) for b in (value_range.low, value_range.high) if b is not None}
    money = (n.MoneyLiteral, n.NumberLiteral)
    if isinstance(literal, n.MoneyLiteral):
        return kinds <= set(money)
    if isinstance(literal, n.DurationLiteral):
        units = {b.unit for b in (value_range.low, value_range.high) if isinstance(b, n.DurationLiteral)}
        return kinds == {n.DurationLiteral} and units == {literal.unit}
    return kinds == {type(literal)}


def _key(literal: n.Literal) -> Decimal:
    """Where a value stands among values of its kind (a date by its day number)."""
    match literal:
        case n.NumberLiteral(value) | n.PercentLiteral(value):
            return value
        case n.DateLiteral(value):
            return Decimal(value.toordinal())
        case n.DurationLiteral(amount):
            return Decimal(amount)
        case n.MoneyLiteral(amount):
            return amount
    raise AssertionError(literal)
