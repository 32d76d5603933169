"""Rule-language expressions in plain words: one phrase table, used by `explain` and by the policy's pages.

`date > last_day` reads "the date is after the last day"; with the values of an
explained decision, "the date (2026-04-10) is after the last day (2029-03-01)".
A comparison reads by the type of what it compares (dates are after and before,
amounts more and less), and a condition that failed reads as its opposite
("is on or before"), so a reader never has to negate code in their head.
"""

from __future__ import annotations

from collections.abc import Callable

from mespolicy import nodes as n
from mespolicy import types as t
from mespolicy.checked import CheckedPolicy, EnumValue
from mespolicy.formatter import format_expr

# How a comparison reads, and how it reads when it did not hold: by the type compared.
_DATES = {
    n.BinaryOp.GT: "is after",
    n.BinaryOp.GE: "is on or after",
    n.BinaryOp.LT: "is before",
    n.BinaryOp.LE: "is on or before",
    n.BinaryOp.EQ: "is",
    n.BinaryOp.NE: "is not",
}
_AMOUNTS = {
    n.BinaryOp.GT: "is more than",
    n.BinaryOp.GE: "is at least",
    n.BinaryOp.LT: "is less than",
    n.BinaryOp.LE: "is at most",
    n.BinaryOp.EQ: "is",
    n.BinaryOp.NE: "is not",
}
_MEMBERSHIP = {n.BinaryOp.IN: "is one of", n.BinaryOp.NOT_IN: "is not one of"}
OPPOSITE = {
    n.BinaryOp.GT: n.BinaryOp.LE,
    n.BinaryOp.GE: n.BinaryOp.LT,
    n.BinaryOp.LT: n.BinaryOp.GE,
    n.BinaryOp.LE: n.BinaryOp.GT,
    n.BinaryOp.EQ: n.BinaryOp.NE,
    n.BinaryOp.NE: n.BinaryOp.EQ,
    n.BinaryOp.IN: n.BinaryOp.NOT_IN,
    n.BinaryOp.NOT_IN: n.BinaryOp.IN,
}
ARITHMETIC = {
    n.BinaryOp.ADD: "plus",
    n.BinaryOp.SUBTRACT: "minus",
    n.BinaryOp.MULTIPLY: "times",
    n.BinaryOp.DIVIDE: "divided by",
}
# aggregates over `for v in collection`: (phrase, phrase when it did not hold)
_QUANTIFIERS = {
    n.AggregateFunction.ANY: ("for some", "for no"),
    n.AggregateFunction.ALL: ("for every", "not for every"),
}
_MEASURES = {
    n.AggregateFunction.SUM: "the sum of",
    n.AggregateFunction.COUNT: "the number of",
    n.AggregateFunction.MIN: "the smallest",
    n.AggregateFunction.MAX: "the largest",
    n.AggregateFunction.DISTINCT: "the number of different",
    n.AggregateFunction.ANY: "any of",
    n.AggregateFunction.ALL: "all of",
}
_EXTREMES = {n.AggregateFunction.MIN: "the smaller of", n.AggregateFunction.MAX: "the larger of"}
_MONTH_PARTS = {n.MonthPart.START: "the start of the month of", n.MonthPart.END: "the end of the month of"}

# The value an explained decision computed for a node, shown after its words; None: not shown.
Shown = Callable[[n.Expr], "str | None"]


def name_words(name: str) -> str:
    """A name as words: `last_day` is "the last day"; a one-letter loop variable stays as it is."""
    words = name.replace("_", " ")
    return words if len(name) == 1 else f"the {words}"


def placeholder(part: n.Name | n.FieldAccess) -> str:
    """A reason's placeholder (`{contract.id}`) named in words, as a page shows it: "the contract's id"."""
    return Wording(None).expr(part)


class Wording:
    """Plain words for expressions: the checked types pick the phrase; `shown` adds the values."""

    def __init__(self, checked: CheckedPolicy | None, shown: Shown | None = None) -> None:
        self.checked = checked
        self.shown = shown

    def quiet(self) -> Wording:
        """The same words without values: inside a loop or a search, a value is only the last one seen."""
        return Wording(self.checked) if self.shown is not None else self

    def expr(self, node: n.Expr) -> str:
        words = self.bare(node)
        # a condition's parts carry values, not the condition: its outcome is said by the phrase
        if isinstance(node, n.Binary | n.Unary | n.Given | n.IfThenElse) or _quantifier(node):
            return words
        return self.valued(node, words)

    def side(self, node: n.Expr) -> str:
        """A side of a comparison, with its value even when it is worked out (`expiry - date`)."""
        return self.valued(node, self.bare(node))

    def negated(self, node: n.Expr) -> str:
        """The words of `node` not holding: the opposite comparison, "is not given", "for no"."""
        match node:
            case n.Unary(op=n.UnaryOp.NOT, operand=operand):
                return self.expr(operand)
            case n.Binary(op=op) if op in OPPOSITE:
                return self.comparison(node, OPPOSITE[op])
            case n.Binary(op=n.BinaryOp.AND):
                return " or ".join(self.negated(side) for side in n.chain(node, n.BinaryOp.AND))
            case n.Binary(op=n.BinaryOp.OR):
                return " and ".join(self.negated(side) for side in n.chain(node, n.BinaryOp.OR))
            case n.Given(name=name):
                return f"{name_words(name)} {self.verb(name)} not given"
            case n.Aggregate() if _quantifier(node):
                return self.quantified(node, negated=True)
        if isinstance(node, n.Name | n.FieldAccess | n.Call):
            return f"not {self.expr(node)}"  # a yes-or-no value: `not in_grace`
        return f"it is not so that {self.expr(node)}"

    def valued(self, node: n.Expr, words: str) -> str:
        if self.shown is None or isinstance(node, n.Literal) or self.is_member(node):
            return words
        value = self.shown(node)
        return words if value is None else f"{words} ({value})"

    def bare(self, node: n.Expr) -> str:
        match node:
            case n.Name(name=name):
                if self.is_member(node):
                    return name.replace("_", " ")  # an enum's member: `partner`
                return name_words(name)
            case n.FieldAccess(subject=subject, field=field):
                return self.field(subject, field)
            case n.Call(function=function, arguments=arguments):
                return self.call(function, arguments)
            case n.Given(name=name):
                return f"{name_words(name)} {self.verb(name)} given"
            case n.Unary(op=n.UnaryOp.NOT, operand=operand):
                return self.negated(operand)
            case n.Unary(op=n.UnaryOp.NEGATE, operand=operand):
                return f"minus {self.operand(operand)}"
            case n.Binary():
                return self.binary(node)
            case n.Aggregate():
                return self.aggregate(node)
            case n.IfThenElse(condition=condition, then=then, otherwise=otherwise):
                return f"{self.expr(then)} if {self.expr(condition)}, otherwise {self.expr(otherwise)}"
            case n.FirstWhere(variable=variable, start=start, condition=condition):
                holds = self.quiet().expr(condition)
                return f"the first {variable} from {self.expr(start)} for which {holds}"
            case n.CalendarCount() | n.MonthOf() | n.Extreme() | n.Round() | n.Band():
                return self.construct(node)
        return format_expr(node)

    def verb(self, fact: str) -> str:
        """`are` for a list fact ("the cancel licenses are given"), else `is`."""
        found = self.checked.facts.get(fact) if self.checked is not None else None
        return "are" if found is not None and isinstance(found.type, t.ListOf) else "is"

    def field(self, subject: n.Expr, field: str) -> str:
        words = field.replace("_", " ")
        if self.is_member(subject):
            return words  # an enum's member: `role.partner` is "partner"
        owner = self.bare(subject)
        return f"{owner}' {words}" if owner.endswith("s") else f"{owner}'s {words}"

    def call(self, function: str, arguments: tuple[n.Expr, ...]) -> str:
        if not arguments:
            return name_words(function)
        listed = [self.expr(a) for a in arguments]
        joined = listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " and " + listed[-1]
        return f"{name_words(function)} of {joined}"

    def binary(self, node: n.Binary) -> str:
        if node.op in (n.BinaryOp.AND, n.BinaryOp.OR):
            parts = (self.operand(side, node.op) for side in n.chain(node, node.op))
            return f" {node.op.value} ".join(parts)
        if node.op in OPPOSITE:
            return self.comparison(node, node.op)
        if node.op is n.BinaryOp.SUBTRACT and self.is_date(node.left) and self.is_date(node.right):
            return f"the time from {self.expr(node.right)} until {self.expr(node.left)}"
        left, right = self.operand(node.left, node.op), self.operand(node.right, node.op)
        return f"{left} {ARITHMETIC[node.op]} {right}"

    def comparison(self, node: n.Binary, op: n.BinaryOp) -> str:
        if op in _MEMBERSHIP:
            phrase = _MEMBERSHIP[op]
        else:
            phrase = (_DATES if self.is_date(node.left) else _AMOUNTS)[op]
        return f"{self.side(node.left)} {phrase} {self.side(node.right)}"

    def operand(self, node: n.Expr, parent: n.BinaryOp | None = None) -> str:
        """An operand's words, in brackets where it is itself an `and`, `or` or sum inside another."""
        words = self.expr(node)
        grouped = (n.BinaryOp.AND, n.BinaryOp.OR, *ARITHMETIC)
        if isinstance(node, n.Binary) and node.op is not parent and node.op in grouped:
            return f"({words})"
        return words

    def is_member(self, node: n.Expr) -> bool:
        """Whether `node` names an enum's member (`partner`, or `role.partner`): its words are its value."""
        if isinstance(node, n.FieldAccess):
            node = node.subject
        return self.checked is not None and isinstance(self.checked.bindings.get(id(node)), EnumValue)

    def is_date(self, node: n.Expr) -> bool:
        if isinstance(node, n.DateLiteral):
            return True
        return self.checked is not None and self.checked.types.get(id(node)) == t.DATE

    def aggregate(self, node: n.Aggregate) -> str:
        if node.collection is None:
            return f"{_MEASURES[node.function]} {self.expr(node.value)}"
        if node.function in _QUANTIFIERS:
            return self.quantified(node, negated=False)
        inner = self.quiet()
        measure = _MEASURES[node.function]
        value = inner.expr(node.value)
        variable = node.variable or "it"
        each = f"{variable} in {self.expr(node.collection)}"
        where = f" where {inner.expr(node.condition)}" if node.condition is not None else ""
        if node.function is n.AggregateFunction.COUNT and value == variable:
            return f"{measure} {each}{where}"
        return f"{measure} {value} for each {each}{where}"

    def quantified(self, node: n.Aggregate, negated: bool) -> str:
        assert node.collection is not None
        inner = self.quiet()
        phrase = _QUANTIFIERS[node.function][1 if negated else 0]
        variable = node.variable or "it"
        where = f" with {inner.expr(node.condition)}" if node.condition is not None else ""
        collection = self.expr(node.collection)
        return f"{phrase} {variable} in {collection}{where}, {inner.expr(node.value)}"

    def construct(self, node: n.CalendarCount | n.MonthOf | n.Extreme | n.Round | n.Band) -> str:
        match node:
            case n.CalendarCount(unit=unit, start=start, end=end, rounding=rounding):
                if isinstance(rounding, n.WholeAfter):
                    rounded = f", a part of more than {self.expr(rounding.days)} counted whole"
                else:
                    rounded = f", rounded {rounding.value}"
                return f"the {unit.value} from {self.expr(start)} until {self.expr(end)}{rounded}"
            case n.MonthOf(part=part, date=day):
                if part is n.MonthPart.DAY:
                    return f"the day of the month of {self.expr(day)}"
                return f"{_MONTH_PARTS[part]} {self.expr(day)}"
            case n.Extreme(function=function, values=values):
                listed = [self.expr(v) for v in values]
                joined = listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " and " + listed[-1]
                return f"{_EXTREMES.get(function, function.value)} {joined}"
            case n.Round(direction=direction, value=value, places=places):
                to = f" to {places} place{'' if places == 1 else 's'}" if places else ""
                return f"{self.expr(value)} rounded {direction.value}{to}"
            case n.Band(quantity=quantity):
                return f"the band of {self.quiet().expr(quantity)} (table)"
        raise AssertionError(node)


def _quantifier(node: n.Expr) -> bool:
    return isinstance(node, n.Aggregate) and node.function in _QUANTIFIERS and node.collection is not None


def plain(node: n.Expr, checked: CheckedPolicy | None = None) -> str:
    """An expression in plain words, no values (the policy's pages)."""
    return Wording(checked).expr(node)


__all__ = ["ARITHMETIC", "OPPOSITE", "Wording", "name_words", "placeholder", "plain"]
