"""Band tables checked: thresholds in the quantity's unit, known when checked and in order; one value type.

A band (`band of lapse { up to 30 days: 0 USD ... }`) starts where the band before it
ends, so the table can neither overlap nor leave a gap; what remains to check is that
its thresholds rise. They must be numbers written in the rule or parameters, so the
order is checked here, on every day a parameter among them changes value, and never
found out by a request that falls between two bands.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from mespolicy import nodes as n
from mespolicy import types as t
from mespolicy.checked import Binding, CheckedParameter, ParameterRef
from mespolicy.errors import Diagnostic
from mespolicy.formatter import format_expr

if TYPE_CHECKING:
    from mespolicy.typecheck import Context, Scope

_Key = Decimal | int | date


def band_type(ctx: Context, node: n.Band, scope: Scope) -> t.Type:
    """The type of a band's values; errors (C203, C260-C263) are reported to `ctx`."""
    quantity = ctx.expr(node.quantity, scope)
    if not isinstance(quantity, t.Unknown) and not t.is_orderable(quantity):
        ctx.fail(
            "C203",
            f"a band chooses by a quantity that has an order (days, months, a number, money, a date), "
            f"not {quantity}",
            node.quantity.span,
        )
        quantity = t.UNKNOWN
    constant = True
    for step in node.steps:
        found = ctx.expr(step.threshold, scope)
        if not _is_constant(ctx, step.threshold):
            constant = False
            ctx.fail(
                "C263",
                "a band's threshold is a value written in the rule or a parameter",
                step.threshold.span,
                "so that check can see the bands rise; name a computed threshold with a parameter",
            )
        elif isinstance(found, t.Unknown) or isinstance(quantity, t.Unknown):
            constant = False
        elif not t.comparable(n.BinaryOp.LE, quantity, found):
            constant = False
            ctx.fail(
                "C260",
                f"this threshold is {_described(found)}, but the band's quantity is {_described(quantity)}",
                step.threshold.span,
                "a band's thresholds are in the unit of its quantity"
                + (
                    "; a month has no fixed number of days" if {found, quantity} == {t.DAYS, t.MONTHS} else ""
                ),
            )
    if constant:
        ctx.bands.append(node)
        problem = out_of_order(node, ctx.parameters, ctx.bindings)
        if problem is not None:
            ctx.fail(problem.code, problem.message, problem.span, problem.hint)
    return _value_type(ctx, node, scope)


def _value_type(ctx: Context, node: n.Band, scope: Scope) -> t.Type:
    values = [step.value for step in node.steps] + ([node.beyond] if node.beyond is not None else [])
    shared: t.Type | None = None
    for value in values:
        found = ctx.expr(value, scope)
        if isinstance(found, t.Unknown) or isinstance(shared, t.Unknown):
            shared = t.UNKNOWN
            continue
        if shared is None:
            shared = found
            continue
        joined = t.join(shared, found)
        if joined is None:
            ctx.fail(
                "C262",
                f"this band gives {_described(found)}, but the bands before it give {_described(shared)}",
                value.span,
                "every band of a table gives the same kind of value",
            )
            shared = t.UNKNOWN
        else:
            shared = joined
    return shared if shared is not None else t.UNKNOWN


def _is_constant(ctx: Context, threshold: n.Expr) -> bool:
    match threshold:
        case (
            n.NumberLiteral() | n.PercentLiteral() | n.DurationLiteral() | n.MoneyLiteral() | n.DateLiteral()
        ):
            return True
        case n.Name():
            return isinstance(ctx.bindings.get(id(threshold)), ParameterRef)
    return False


def out_of_order(
    node: n.Band, parameters: Mapping[str, CheckedParameter], bindings: Mapping[int, Binding]
) -> Diagnostic | None:
    """C261 at the first threshold not above the one before, on any day a parameter takes effect.

    Each pair of neighbours is compared on the days either of them changes value, so the
    work grows with the thresholds and their dated values, not with their product.
    Also asked when a what-if run (`--set`) gives a threshold parameter another value.
    """
    for before, step in itertools.pairwise(node.steps):
        pair = (before.threshold, step.threshold)
        for day in sorted(_changes(pair, parameters, bindings)):
            low, high = (_key(threshold, day, parameters, bindings) for threshold in pair)
            if low is None or high is None:
                continue
            touching = low == high and before.bound is n.Bound.UNDER and step.bound is n.Bound.UP_TO
            if low < high or touching:  # type: ignore[operator]
                continue
            when = f" (with the values in force from {day.isoformat()})" if day > date.min else ""
            return Diagnostic(
                "C261",
                f"the bands are out of order: '{_bound(step)}' comes after '{_bound(before)}'{when}",
                step.threshold.span,
                "each band ends above the one before it: write the thresholds from the lowest up",
            )
    return None


def _changes(
    thresholds: tuple[n.Expr, ...],
    parameters: Mapping[str, CheckedParameter],
    bindings: Mapping[int, Binding],
) -> set[date]:
    """The first day (`date.min`, for values since always) and each day a threshold changes value."""
    days = {date.min}
    for threshold in thresholds:
        binding = bindings.get(id(threshold))
        if isinstance(binding, ParameterRef):
            days.update(day for day, _ in parameters[binding.name].values if day is not None)
    return days


def _key(
    threshold: n.Expr,
    day: date,
    parameters: Mapping[str, CheckedParameter],
    bindings: Mapping[int, Binding],
) -> _Key | None:
    literal: n.Expr | None = threshold
    binding = bindings.get(id(threshold)) if isinstance(threshold, n.Name) else None
    if isinstance(binding, ParameterRef):
        values = parameters[binding.name].values
        # dated values are in order (C214): the last that took effect on or before `day`
        index = bisect.bisect_right(values, day, key=lambda value: value[0] or date.min)
        literal = values[index - 1][1] if index else None
    match literal:
        case n.NumberLiteral(value=value) | n.PercentLiteral(value=value) | n.DateLiteral(value=value):
            return value
        case n.DurationLiteral(amount=amount) | n.MoneyLiteral(amount=amount):
            return amount
    return None


def _bound(step: n.BandStep) -> str:
    return f"{step.bound.value} {format_expr(step.threshold)}"


def _described(found: t.Type) -> str:
    text = str(found)
    return f"in {text}" if found in t.DURATIONS else text
