"""Which runtime operation implements an operator for given operand types.

One table serves the compiler both where it emits the operation into Python and
where it works out a constant once, so the two cannot disagree (the explainer
computes nothing: it reads what the generated code noted, `compiler_explain`).
An operation is either an inline Python operator on plain integers (`symbol`) or a
`runtime` function taking the operands in source order (`helper`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import attrs

from mespolicy import runtime
from mespolicy import types as t
from mespolicy.nodes import AggregateFunction, BinaryOp, MonthPart, UnaryOp


@attrs.frozen
class Operation:
    symbol: str | None = None
    helper: str | None = None

    @property
    def function(self) -> Callable[[Any, Any], Any]:
        if self.helper is not None:
            return getattr(runtime, self.helper)  # type: ignore[no-any-return]
        return _SYMBOLS[self.symbol or ""]


_SYMBOLS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b,
}
_PLAIN = (t.INTEGER, *t.DURATIONS)
_NUMBER_HELPERS = {
    BinaryOp.ADD: "num_add",
    BinaryOp.SUBTRACT: "num_sub",
    BinaryOp.MULTIPLY: "num_mul",
    BinaryOp.DIVIDE: "num_div",
}
_COMPARE_HELPERS = {
    BinaryOp.EQ: "money_eq",
    BinaryOp.NE: "money_ne",
    BinaryOp.LT: "money_lt",
    BinaryOp.LE: "money_le",
    BinaryOp.GT: "money_gt",
    BinaryOp.GE: "money_ge",
}


def binary(op: BinaryOp, left: t.Type, right: t.Type) -> Operation:
    """The operation for `left op right`; the checker has already accepted the types."""
    if op in (BinaryOp.IN, BinaryOp.NOT_IN):
        return Operation(symbol=op.value)
    if op in _COMPARE_HELPERS:
        return Operation(helper=_COMPARE_HELPERS[op]) if isinstance(left, t.Money) else Operation(op.value)
    if left in _PLAIN and right in _PLAIN and op is BinaryOp.MULTIPLY:
        return Operation(helper="whole_mul")
    if left in _PLAIN and right in _PLAIN and op is not BinaryOp.DIVIDE:
        return Operation(symbol=op.value)
    if op in (BinaryOp.ADD, BinaryOp.SUBTRACT):
        return _additive(op, left, right)
    if op is BinaryOp.MULTIPLY:
        if isinstance(right, t.Money):
            return Operation(helper="money_scale")
        if isinstance(left, t.Money):
            return Operation(helper="money_scaled")
        return Operation(helper="num_mul")
    if isinstance(left, t.Money):
        return Operation(helper="money_ratio" if isinstance(right, t.Money) else "money_div")
    return Operation(helper="num_div")


def _additive(op: BinaryOp, left: t.Type, right: t.Type) -> Operation:
    word = "add" if op is BinaryOp.ADD else "sub"
    if left == t.DATE and right == t.DATE:
        return Operation(helper="days_between")
    if left == t.DATE:
        unit = "days" if right == t.DAYS else "months"
        return Operation(helper=f"date_{word}_{unit}")
    if right == t.DATE:
        return Operation(helper="days_add_date" if left == t.DAYS else "months_add_date")
    if isinstance(left, t.Money):
        return Operation(helper=f"money_{word}")
    return Operation(helper=_NUMBER_HELPERS[op])


def unary(op: UnaryOp, operand: t.Type) -> Operation:
    if op is UnaryOp.NOT:
        return Operation(symbol="not")
    if isinstance(operand, t.Money):
        return Operation(helper="money_neg")
    if operand in _PLAIN:
        return Operation(symbol="-")
    return Operation(helper="num_neg")


# The runtime helpers of the calendar and number constructs, by what they are asked of.
MONTH_PARTS = {
    MonthPart.START: "start_of_month",
    MonthPart.END: "end_of_month",
    MonthPart.DAY: "day_of_month",
}


def extreme(function: AggregateFunction, found: t.Type) -> str:
    """The helper for `min(a, b)` / `max(a, b)` of values of type `found` (money keeps its currency rule)."""
    word = "minimum" if function is AggregateFunction.MIN else "maximum"
    return f"money_{word}" if isinstance(found, t.Money) else word


def rounding(found: t.Type) -> str:
    """The helper for `round up(x)` / `round down(x)` of a value of type `found`."""
    return "money_round" if isinstance(found, t.Money) else "num_round"
