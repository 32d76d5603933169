"""A hypothesis strategy for small policies that pass `check` by construction.

Unlike `tests/strategies_syntax.py` (any tree the grammar can express), every
expression here is built for a wanted type from what is in scope: parameters of
each type, enums, definitions (called only after they are declared, so never in
a cycle), request facts and their fields, lets, loop and `first` variables. The
trees are printed by the formatter, so what is fuzzed is rule text that the
parser reads back. Names are drawn from a pool that holds Python keywords,
builtins and the compiler's own prefixes, since rule names reach the generated code.

The types follow `mespolicy.types`: an expression made for `number` may be an
integer or a rate (the checker joins them), money has one currency per policy (a
literal's code, or the contract's currency), durations are whole days or months.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import TypeVar

import attrs
from hypothesis import strategies as st

from mespolicy import nodes as n
from mespolicy import types as t
from mespolicy.checker import RESERVED_FIELDS
from mespolicy.formatter import format_file
from mespolicy.source import nowhere
from tests import standard as schema
from tests.strategies_syntax import KEYWORDS

SPAN = nowhere()
T = TypeVar("T")

# Names that mean something to Python or to the generated module: a rule file may use any of them.
HOSTILE_NAMES = (
    "self", "cls", "req", "request", "decision", "rt", "env", "args", "kwargs", "result_",
    "len", "any", "all", "bool", "set", "str", "tuple", "range", "print", "open", "exec", "eval",
    "lambda", "class", "def", "return", "yield", "import", "global", "nonlocal", "del", "pass",
    "raise", "try", "except", "finally", "is", "as", "assert", "break", "continue", "elif", "while",
    "async", "await", "match", "case", "type", "none", "unset", "cash", "decimal", "datetime",
    "_", "__", "__class__", "__import__", "__builtins__", "__dict__", "action_renew", "v_x_1",
    "d_fee", "p_", "s_", "x_1", "day", "days", "month", "months", "money", "number", "integer",
)  # fmt: skip
PLAIN_NAMES = ("a", "b", "x", "y", "k", "fee", "total", "first_day", "end_day", "value", "n1")
NAME_POOL = tuple(
    name
    for name in (*PLAIN_NAMES, *HOSTILE_NAMES)
    if name not in KEYWORDS and name not in schema.FACTS and name not in schema.RECORDS
)

CURRENCIES = ("USD", "EUR", "JPY", "KWD", "BHD")

# The types a value can have; enums are added per policy.
SCALARS: tuple[t.Type, ...] = (
    t.INTEGER, t.NUMBER, t.RATE, t.DAYS, t.MONTHS, t.MONEY, t.DATE, t.BOOL, t.TEXT,
)  # fmt: skip
ORDERED: tuple[t.Type, ...] = (t.INTEGER, t.NUMBER, t.RATE, t.DAYS, t.MONTHS, t.MONEY, t.DATE)
LISTS: tuple[tuple[str, t.Type], ...] = (
    ("contracts", schema.CONTRACT),
    ("licenses", schema.LICENSE),
)
TYPE_NAMES = {**{str(s): s for s in SCALARS if not isinstance(s, t.Money)}, "money": t.MONEY}


def _name(name: str) -> n.Name:
    return n.Name(name, span=SPAN)


def fits(found: t.Type, wanted: t.Type) -> bool:
    """Whether a value of `found` may stand where the generator wants `wanted`."""
    if isinstance(wanted, t.Money):
        return isinstance(found, t.Money)
    if wanted == t.NUMBER:
        return found in t.NUMERIC
    return found == wanted


@attrs.define
class Declarations:
    """What the policy declared so far: what expressions can name."""

    currency: str
    parameters: dict[str, t.Type] = attrs.Factory(dict)
    enums: dict[str, t.EnumType] = attrs.Factory(dict)
    definitions: dict[str, tuple[tuple[t.Type, ...], t.Type]] = attrs.Factory(dict)
    used: set[str] = attrs.Factory(set)

    @property
    def value_types(self) -> tuple[t.Type, ...]:
        return (*SCALARS, *self.enums.values())


_Maker = Callable[[t.Type, dict[str, t.Type], int], n.Expr]


class _Builder:
    """Draws one policy's declarations, then its actions, each expression for a wanted type."""

    def __init__(self, draw: st.DrawFn, currency: str) -> None:
        self.draw = draw
        self.d = Declarations(currency)
        self.d.used.update(schema.FACTS, schema.RECORDS, schema.BUILTIN_ENUMS, KEYWORDS, RESERVED_FIELDS)
        self.d.used.update(m for e in schema.BUILTIN_ENUMS.values() for m in e.members)
        self.counter = 0

    # -- drawing helpers

    def pick(self, options: Sequence[T]) -> T:
        return options[self.draw(st.integers(0, len(options) - 1))]

    def chance(self, p: float) -> bool:
        return bool(self.draw(st.integers(0, 99)) < int(p * 100))

    def count(self, low: int, high: int) -> int:
        return int(self.draw(st.integers(low, high)))

    def fresh(self) -> str:
        """A name not yet used anywhere in the policy (so no let shadows, no declaration clashes)."""
        base = self.pick(NAME_POOL)
        name = base
        while name in self.d.used:
            self.counter += 1
            name = f"{base}_{self.counter}" if not base.endswith("_") else f"{base}{self.counter}"
        self.d.used.add(name)
        return name

    def clause(self) -> n.Clause:
        major, minor = self.count(1, 12), self.count(0, 9)
        return n.Clause(f"§{major}" + (f".{minor}" if minor else ""), span=SPAN)

    def provenance(self) -> n.Provenance:
        return n.Provenance(self.pick(list(n.Basis)), self.plain_text(), span=SPAN)

    def plain_text(self) -> str:
        chars = st.one_of(
            st.sampled_from('{}"\\#§ ab'),
            st.characters(exclude_characters="\n", exclude_categories=["Cs"]),
        )
        return str(self.draw(st.text(chars, max_size=6)))

    # -- literals

    def decimal(self, whole: bool = False) -> Decimal:
        digits = self.pick([1, 0, 12, 100, 365, 2, 7, 10**6, 10**12])
        if self.chance(0.3):
            digits = self.count(0, 10**15)
        if whole:
            return Decimal(digits)
        return Decimal(digits).scaleb(-self.count(1, 4))

    def literal(self, wanted: t.Type, exact: bool = False) -> n.Literal:
        """A literal of `wanted`; `exact` for a number that must not read as an integer."""
        if wanted == t.INTEGER:
            return n.NumberLiteral(self.decimal(whole=True), span=SPAN)
        if wanted == t.NUMBER:
            return n.NumberLiteral(self.decimal(whole=not exact and self.chance(0.3)), span=SPAN)
        if wanted == t.RATE:
            return n.PercentLiteral(self.decimal(whole=self.chance(0.5)), span=SPAN)
        if wanted in t.DURATIONS:
            amount = self.pick([1, 12, 30, 0, 90, 365, 36, 1200, 10**6])
            unit = n.Unit.DAYS if wanted == t.DAYS else n.Unit.MONTHS
            return n.DurationLiteral(amount, unit, span=SPAN)
        if isinstance(wanted, t.Money):
            return n.MoneyLiteral(self.decimal(whole=self.chance(0.5)), self.d.currency, span=SPAN)
        if wanted == t.DATE:
            day = self.draw(
                st.sampled_from([date(2026, 3, 1), date(2024, 2, 29), date(2025, 1, 31)])
                | st.dates(date(1990, 1, 1), date(2100, 12, 31))
                | st.sampled_from([date(1, 1, 1), date(9999, 12, 31)])
            )
            return n.DateLiteral(day, span=SPAN)
        if wanted == t.BOOL:
            return n.BoolLiteral(self.chance(0.5), span=SPAN)
        return n.TextLiteral(self.text_parts({}, placeholders=False), span=SPAN)

    def text_parts(
        self, scope: dict[str, t.Type], placeholders: bool = True
    ) -> tuple[str | n.Name | n.FieldAccess, ...]:
        parts: list[str | n.Name | n.FieldAccess] = []
        for _ in range(self.count(0, 4)):
            placeholder = self.placeholder(scope) if placeholders and self.chance(0.5) else None
            if placeholder is not None:
                parts.append(placeholder)
            else:
                text = self.plain_text() or "x"
                if parts and isinstance(parts[-1], str):
                    parts[-1] += text
                else:
                    parts.append(text)
        return tuple(parts)

    def words(self, scope: dict[str, t.Type]) -> tuple[str | n.Name | n.FieldAccess, ...]:
        """A reason's text: placeholders and at least one word (the checker refuses a blank reason, C220)."""
        parts = self.text_parts(scope)
        if any(isinstance(part, str) and part.strip() for part in parts):
            return parts
        if parts and isinstance(parts[-1], str):
            return (*parts[:-1], parts[-1] + " so")
        return (*parts, " so")

    def placeholder(self, scope: dict[str, t.Type]) -> n.Name | n.FieldAccess | None:
        """A name or field chain that shows one value: a local, a parameter, a fact or a field."""
        candidates: list[n.Name | n.FieldAccess] = []
        for name, found in [*scope.items(), *self.d.parameters.items()]:
            if isinstance(found, t.Record):
                candidates.extend(
                    n.FieldAccess(_name(name), field, span=SPAN)
                    for field, kind in found.fields
                    if not isinstance(kind, t.ListOf)
                )
            elif not isinstance(found, t.ListOf):
                candidates.append(_name(name))
        candidates.extend(_name(d) for d, (params, _) in self.d.definitions.items() if not params)
        candidates.append(_name("date"))
        for fact in ("contract", "license", "customer", "coterminate_with"):
            record = schema.FACTS[fact].type
            assert isinstance(record, t.Record)
            candidates.extend(
                n.FieldAccess(_name(fact), field, span=SPAN)
                for field, kind in record.fields
                if not isinstance(kind, t.ListOf)
            )
        if "premium_tier" in self.d.enums:
            candidates.append(_name("tier"))
        if "target_end" in schema.FACTS:
            candidates.append(_name("target_end"))
        return self.pick(candidates) if candidates else None

    # -- expressions

    def names_of(self, wanted: t.Type, scope: dict[str, t.Type]) -> list[n.Expr]:
        """Every name in reach whose value fits `wanted`, and the request fields that do."""
        found: list[n.Expr] = [_name(name) for name, kind in scope.items() if fits(kind, wanted)]
        found.extend(_name(name) for name, kind in self.d.parameters.items() if fits(kind, wanted))
        found.extend(
            _name(name)
            for name, (params, returns) in self.d.definitions.items()
            if not params and fits(returns, wanted)
        )
        for fact, info in schema.FACTS.items():
            if info.enum is None and fits(info.type, wanted):
                found.append(_name(fact))
        if "premium_tier" in self.d.enums and wanted == self.d.enums["premium_tier"]:
            found.append(_name("tier"))
        if isinstance(wanted, t.EnumType):
            found.extend(_name(member) for member in wanted.members)
            if wanted.name not in schema.BUILTIN_ENUMS:
                found.extend(
                    n.FieldAccess(_name(wanted.name), member, span=SPAN) for member in wanted.members
                )
        for record in (schema.CONTRACT, schema.LICENSE, schema.CUSTOMER):
            for field, kind in record.fields:
                if fits(kind, wanted):
                    found.extend(
                        n.FieldAccess(subject, field, span=SPAN) for subject in self.records(record, scope)
                    )
        return found

    def records(self, record: t.Record, scope: dict[str, t.Type]) -> list[n.Expr]:
        found: list[n.Expr] = [_name(name) for name, kind in scope.items() if kind == record]
        found.extend(_name(f) for f, info in schema.FACTS.items() if info.type == record)
        return found

    def lists(self, scope: dict[str, t.Type]) -> list[tuple[n.Expr, t.Type]]:
        """Lists to go through, with their element type."""
        found: list[tuple[n.Expr, t.Type]] = [(_name(name), kind) for name, kind in LISTS]
        found.append((_name("cancel_licenses"), t.TEXT))
        found.extend(
            (n.FieldAccess(subject, "licenses", span=SPAN), t.TEXT)
            for subject in self.records(schema.CONTRACT, scope)
        )
        return found

    def leaf(self, wanted: t.Type, scope: dict[str, t.Type]) -> n.Expr:
        names = self.names_of(wanted, scope)
        if isinstance(wanted, t.EnumType):
            return self.pick(names)
        if isinstance(wanted, t.Record):
            return self.pick(self.records(wanted, scope))
        if names and self.chance(0.6):
            return self.pick(names)
        if wanted == t.TEXT:
            return n.TextLiteral(self.text_parts(scope), span=SPAN)
        if wanted == t.BOOL and self.chance(0.4):
            optional = [f for f, info in schema.FACTS.items() if info.optional]
            return n.Given(self.pick(optional), span=SPAN)
        return self.literal(wanted)

    def expr(self, wanted: t.Type, scope: dict[str, t.Type], depth: int) -> n.Expr:
        if depth <= 0 or self.chance(0.3):
            return self.leaf(wanted, scope)
        makers = self.compound(wanted)
        return self.pick(makers)(wanted, scope, depth - 1)

    def compound(self, wanted: t.Type) -> list[_Maker]:
        common: list[_Maker] = [self.if_then_else, self.aggregate_minmax, self.call, self.band]
        ordered: list[_Maker] = [self.extreme]
        if wanted == t.INTEGER:
            made = [self.arith, self.negate, self.count_of, self.first_where, *common, self.aggregate_sum]
            return [*made, *ordered, self.rounded, self.month_part]
        if wanted == t.NUMBER:
            return [self.arith, self.ratio, self.negate, *common, self.aggregate_sum, *ordered, self.rounded]
        if wanted == t.RATE:
            return [self.arith, self.negate, *common, self.aggregate_sum, *ordered]
        if wanted in t.DURATIONS:
            made = [self.duration, self.negate, *common, self.aggregate_sum, *ordered]
            return [*made, self.calendar_count] if wanted == t.MONTHS else made
        if isinstance(wanted, t.Money):
            return [self.money, self.negate, *common, self.aggregate_sum, *ordered, self.rounded]
        if wanted == t.DATE:
            return [self.date_shift, *common, *ordered, self.month_part]
        if wanted == t.BOOL:
            return [
                self.compare,
                self.logic,
                self.negate,
                self.any_all,
                self.member,
                self.if_then_else,
                self.call,
                self.band,
            ]
        return [self.if_then_else, self.call, self.band]

    def if_then_else(self, wanted: t.Type, scope: dict[str, t.Type], depth: int) -> n.Expr:
        condition = self.expr(t.BOOL, scope, depth)
        then, otherwise = self.expr(wanted, scope, depth), self.expr(wanted, scope, depth)
        return n.IfThenElse(condition, then, otherwise, span=SPAN)

    def call(self, wanted: t.Type, scope: dict[str, t.Type], depth: int) -> n.Expr:
        callable_ = [
            (name, params) for name, (params, returns) in self.d.definitions.items() if fits(returns, wanted)
        ]
        if not callable_:
            return self.leaf(wanted, scope)
        name, params = self.pick(callable_)
        if not params:
            return _name(name)
        arguments = tuple(self.expr(p, scope, depth) for p in params)
        return n.Call(name, arguments, span=SPAN)

    def arith(self, wanted: t.Type, scope: dict[str, t.Type], depth: int) -> n.Expr:
        ops = [n.BinaryOp.ADD, n.BinaryOp.SUBTRACT]
        if wanted != t.RATE:
            ops.append(n.BinaryOp.MULTIPLY)
        op = self.pick(ops)
        if wanted == t.NUMBER and op is n.BinaryOp.MULTIPLY and self.chance(0.3):
            left, right = self.expr(t.RATE, scope, depth), self.expr(t.RATE, scope, depth)
        else:
            left, right = self.expr(wanted, scope, depth), self.expr(wanted, scope, depth)
        return n.Binary(op, left, right, span=SPAN)

    def ratio(self, wanted: t.Type, scope: dict[str, t.Type], depth: int) -> n.Expr:
        kinds: list[t.Type] = [t.NUMBER, t.MONEY, t.DAYS, t.MONTHS, t.INTEGER]
        kind = self.pick(kinds)
        left, right = self.expr(kind, scope, depth), self.expr(kind, scope, depth)
        return n.Binary(n.BinaryOp.DIVIDE, left, right, span=SPAN)

    def negate(self, wanted: t.Type, scope: dict[str, t.Type], depth: int) -> n.Expr:
        op = n.UnaryOp.NOT if wanted == t.BOOL else n.UnaryOp.NEGATE
        return n.Unary(op, self.expr(wanted, scope, depth), span=SPAN)

    def duration(self, wanted: t.Type, scope: dict[str, t.Type], depth: int) -> n.Expr:
        choice = self.count(0, 3 if wanted == t.DAYS else 2)
        if choice == 0:
            op = self.pick([n.BinaryOp.ADD, n.BinaryOp.SUBTRACT])
            return n.Binary(op, self.expr(wanted, scope, depth), self.expr(wanted, scope, depth), span=SPAN)
        if choice in (1, 2):
            factor, duration = self.expr(t.INTEGER, scope, depth), self.expr(wanted, scope, depth)
            left, right = (factor, duration) if choice == 1 else (duration, factor)
            return n.Binary(n.BinaryOp.MULTIPLY, left, right, span=SPAN)
        later, earlier = self.expr(t.DATE, scope, depth), self.expr(t.DATE, scope, depth)
        return n.Binary(n.BinaryOp.SUBTRACT, later, earlier, span=SPAN)

    def money(self, wanted: t.Type, scope: dict[str, t.Type], depth: int) -> n.Expr:
        choice = self.count(0, 3)
        if choice == 0:
            op = self.pick([n.BinaryOp.ADD, n.BinaryOp.SUBTRACT])
            return n.Binary(op, self.expr(t.MONEY, scope, depth), self.expr(t.MONEY, scope, depth), span=SPAN)
        factor, amount = self.expr(t.NUMBER, scope, depth), self.expr(t.MONEY, scope, depth)
        if choice == 1:
            return n.Binary(n.BinaryOp.MULTIPLY, factor, amount, span=SPAN)
        if choice == 2:
            return n.Binary(n.BinaryOp.MULTIPLY, amount, factor, span=SPAN)
        return n.Binary(n.BinaryOp.DIVIDE, amount, factor, span=SPAN)

    def date_shift(self, wanted: t.Type, scope: dict[str, t.Type], depth: int) -> n.Expr:
        unit = self.pick([t.DAYS, t.MONTHS])
        day, step = self.expr(t.DATE, scope, depth), self.expr(unit, scope, depth)
        choice = self.count(0, 2)
        if choice == 0:
            return n.Binary(n.BinaryOp.ADD, day, step, span=SPAN)
        if choice == 1:
            return n.Binary(n.BinaryOp.SUBTRACT, day, step, span=SPAN)
        return n.Binary(n.BinaryOp.ADD, step, day, span=SPAN)

    def compare(self, wanted: t.Type, scope: dict[str, t.Type], depth: int) -> n.Expr:
        kind = self.pick([*ORDERED, t.BOOL, t.TEXT, *self.d.enums.values()])
        ops = (
            list(n.COMPARISONS)
            if kind in ORDERED or isinstance(kind, t.Money)
            else [n.BinaryOp.EQ, n.BinaryOp.NE]
        )
        op = self.pick(sorted(ops, key=lambda o: o.value))
        return n.Binary(op, self.expr(kind, scope, depth), self.expr(kind, scope, depth), span=SPAN)

    def logic(self, wanted: t.Type, scope: dict[str, t.Type], depth: int) -> n.Expr:
        op = self.pick([n.BinaryOp.AND, n.BinaryOp.OR])
        return n.Binary(op, self.expr(t.BOOL, scope, depth), self.expr(t.BOOL, scope, depth), span=SPAN)

    def member(self, wanted: t.Type, scope: dict[str, t.Type], depth: int) -> n.Expr:
        collection, element = self.pick(self.lists(scope))
        op = self.pick([n.BinaryOp.IN, n.BinaryOp.NOT_IN])
        return n.Binary(op, self.expr(element, scope, depth), collection, span=SPAN)

    def over(
        self, scope: dict[str, t.Type], depth: int, value: t.Type | None
    ) -> tuple[n.Expr | None, str | None, n.Expr | None, n.Expr | None]:
        """(value, variable, collection, condition) of an aggregate going through a list."""
        collection, element = self.pick(self.lists(scope))
        variable = self.fresh()
        inner = {**scope, variable: element}
        condition = self.expr(t.BOOL, inner, depth) if self.chance(0.4) else None
        made = self.expr(value, inner, depth) if value is not None else None
        return made, variable, collection, condition

    def aggregate_sum(self, wanted: t.Type, scope: dict[str, t.Type], depth: int) -> n.Expr:
        value, variable, collection, condition = self.over(scope, depth, wanted)
        assert value is not None
        return n.Aggregate(n.AggregateFunction.SUM, value, variable, collection, condition, span=SPAN)

    def aggregate_minmax(self, wanted: t.Type, scope: dict[str, t.Type], depth: int) -> n.Expr:
        if wanted not in ORDERED and not isinstance(wanted, t.Money):
            return self.leaf(wanted, scope)
        function = self.pick([n.AggregateFunction.MIN, n.AggregateFunction.MAX])
        value, variable, collection, condition = self.over(scope, depth, wanted)
        assert value is not None
        return n.Aggregate(function, value, variable, collection, condition, span=SPAN)

    def count_of(self, wanted: t.Type, scope: dict[str, t.Type], depth: int) -> n.Expr:
        function = self.pick([n.AggregateFunction.COUNT, n.AggregateFunction.DISTINCT])
        if self.chance(0.4):
            whole, _ = self.pick(self.lists(scope))
            return n.Aggregate(function, whole, span=SPAN)
        kind = self.pick(self.d.value_types)
        value, variable, collection, condition = self.over(scope, depth, kind)
        assert value is not None
        return n.Aggregate(function, value, variable, collection, condition, span=SPAN)

    def any_all(self, wanted: t.Type, scope: dict[str, t.Type], depth: int) -> n.Expr:
        function = self.pick([n.AggregateFunction.ANY, n.AggregateFunction.ALL])
        value, variable, collection, condition = self.over(scope, depth, t.BOOL)
        assert value is not None
        return n.Aggregate(function, value, variable, collection, condition, span=SPAN)

    def first_where(self, wanted: t.Type, scope: dict[str, t.Type], depth: int) -> n.Expr:
        variable = self.fresh()
        start = self.expr(t.INTEGER, scope, depth)
        condition = self.expr(t.BOOL, {**scope, variable: t.INTEGER}, depth)
        return n.FirstWhere(variable, start, condition, span=SPAN)

    # -- calendar and number constructs, bands

    def calendar_count(self, wanted: t.Type, scope: dict[str, t.Type], depth: int) -> n.Expr:
        unit = self.pick(list(n.CalendarUnit))
        start, end = self.expr(t.DATE, scope, depth), self.expr(t.DATE, scope, depth)
        rounding: n.Rounding | n.WholeAfter = self.pick(list(n.Rounding))
        if self.chance(0.4):
            rounding = n.WholeAfter(self.expr(t.DAYS, scope, depth), span=SPAN)
        return n.CalendarCount(unit, start, end, rounding, span=SPAN)

    def month_part(self, wanted: t.Type, scope: dict[str, t.Type], depth: int) -> n.Expr:
        part = n.MonthPart.DAY if wanted == t.INTEGER else self.pick([n.MonthPart.START, n.MonthPart.END])
        return n.MonthOf(part, self.expr(t.DATE, scope, depth), span=SPAN)

    def extreme(self, wanted: t.Type, scope: dict[str, t.Type], depth: int) -> n.Expr:
        function = self.pick([n.AggregateFunction.MIN, n.AggregateFunction.MAX])
        values = tuple(self.expr(wanted, scope, depth) for _ in range(self.count(2, 3)))
        return n.Extreme(function, values, span=SPAN)

    def rounded(self, wanted: t.Type, scope: dict[str, t.Type], depth: int) -> n.Expr:
        places = 0 if wanted == t.INTEGER else self.count(0 if isinstance(wanted, t.Money) else 1, 4)
        kind = self.pick([t.INTEGER, t.NUMBER]) if not isinstance(wanted, t.Money) else t.MONEY
        value = self.expr(kind, scope, depth)
        return n.Round(self.pick(list(n.Rounding)), value, places, span=SPAN)

    def band(self, wanted: t.Type, scope: dict[str, t.Type], depth: int) -> n.Expr:
        """Thresholds written in rising order (an `under` may share the next `up to`'s threshold)."""
        kinds: list[t.Type] = [t.INTEGER, t.NUMBER, t.DAYS, t.MONTHS, t.MONEY, t.DATE]
        kind = self.pick(kinds)
        rows = self.count(1, 4)
        points = sorted(self.draw(st.lists(st.integers(0, 5000), min_size=rows, max_size=rows, unique=True)))
        steps: list[n.BandStep] = []
        for point in points:
            bound = self.pick(list(n.Bound))
            if bound is n.Bound.UNDER and self.chance(0.3):
                threshold = self.threshold(kind, point)
                steps.append(n.BandStep(bound, threshold, self.expr(wanted, scope, depth), span=SPAN))
                bound = n.Bound.UP_TO
            threshold = self.threshold(kind, point)
            steps.append(n.BandStep(bound, threshold, self.expr(wanted, scope, depth), span=SPAN))
        beyond = self.expr(wanted, scope, depth) if self.chance(0.7) else None
        return n.Band(self.expr(kind, scope, depth), tuple(steps), beyond, span=SPAN)

    def threshold(self, kind: t.Type, point: int) -> n.Expr:
        if kind == t.DATE:
            return n.DateLiteral(date(2026, 3, 1) + timedelta(days=point), span=SPAN)
        if kind in t.DURATIONS:
            unit = n.Unit.DAYS if kind == t.DAYS else n.Unit.MONTHS
            return n.DurationLiteral(point, unit, span=SPAN)
        if isinstance(kind, t.Money):
            return n.MoneyLiteral(Decimal(point).scaleb(-2), self.d.currency, span=SPAN)
        # a threshold is a literal, written without a sign (check refuses `-5` as computed)
        return n.NumberLiteral(Decimal(point).scaleb(-1 if kind == t.NUMBER else 0), span=SPAN)

    # -- declarations

    def parameter(self) -> n.Parameter:
        kind = self.pick(SCALARS)
        name = self.fresh()
        declared: n.TypeRef | None = None
        values: list[n.DatedValue] = []
        dates = sorted(set(self.draw(st.lists(st.dates(date(1990, 1, 1), date(2100, 1, 1)), max_size=2))))
        undated = not dates or self.chance(0.5)
        for effective in ([None] if undated else []) + list(dates):
            literal = self.literal(kind, exact=True)
            if kind == t.TEXT and self.chance(0.05):
                literal = n.TextLiteral(self.text_parts({}), span=SPAN)
            values.append(n.DatedValue(literal, effective, span=SPAN))
        if isinstance(kind, t.Money) and self.chance(0.4):
            declared = n.TypeRef("money", span=SPAN)
            values = [
                attrs.evolve(v, value=n.NumberLiteral(v.value.amount, span=SPAN))
                if isinstance(v.value, n.MoneyLiteral)
                else v
                for v in values
            ]
            kind = t.MONEY
        elif kind == t.INTEGER and self.chance(0.3):
            declared, kind = n.TypeRef("number", span=SPAN), t.NUMBER
        self.d.parameters[name] = kind
        return n.Parameter(name, declared, tuple(values), (self.clause(),), self.provenance(), span=SPAN)

    def enum(self, name: str | None = None) -> n.Enum:
        name = name or self.fresh()
        self.d.used.add(name)
        members = tuple(self.fresh() for _ in range(self.count(1, 4)))
        self.d.enums[name] = t.EnumType(name, members)
        nodes = tuple(n.EnumMember(m, span=SPAN) for m in members)
        return n.Enum(name, nodes, (self.clause(),), self.provenance(), span=SPAN)

    def definition(self) -> n.Definition:
        name = self.fresh()
        kinds: list[t.Type] = [*self.d.value_types, schema.CONTRACT, schema.LICENSE, schema.CUSTOMER]
        params = [(self.fresh(), self.pick(kinds)) for _ in range(self.count(0, 2))]
        returns = self.pick(self.d.value_types)
        scope: dict[str, t.Type] = dict(params)
        lets = []
        for _ in range(self.count(0, 2)):
            let = self.let(scope, 2)
            lets.append(let)
        result = self.expr(returns, scope, 3)
        cited = self.chance(0.5)
        node = n.Definition(
            name,
            tuple(n.Param(p, n.TypeRef(self.type_name(k), span=SPAN), span=SPAN) for p, k in params),
            n.TypeRef(self.type_name(returns), span=SPAN),
            (self.clause(),) if cited else (),
            self.provenance() if cited else None,
            tuple(lets),
            result,
            span=SPAN,
        )
        self.d.definitions[name] = (tuple(k for _, k in params), returns)
        return node

    def type_name(self, kind: t.Type) -> str:
        if isinstance(kind, t.Money):
            return "money"
        return kind.name if isinstance(kind, t.EnumType | t.Record) else str(kind)

    def let(self, scope: dict[str, t.Type], depth: int) -> n.Let:
        kind = self.pick([*self.d.value_types, schema.CONTRACT])
        value = self.expr(kind, scope, depth)
        name = self.fresh()
        scope[name] = kind
        return n.Let(name, value, span=SPAN)

    # -- actions

    def statements(
        self, scope: dict[str, t.Type], approve: bool, looped: bool, depth: int
    ) -> list[n.Statement]:
        body: list[n.Statement] = []
        scope = dict(scope)
        for _ in range(self.count(0, 4)):
            kinds = ["let", "reason"] + (["term", "charge", "set", "for"] if approve else [])
            kind = self.pick(kinds)
            if kind == "let":
                body.append(self.let(scope, 3))
            elif kind == "reason":
                clause = self.clause() if self.chance(0.5) else None
                body.append(n.Reason(clause, n.TextLiteral(self.words(scope), span=SPAN), span=SPAN))
            elif kind == "term":
                body.append(n.Term(self.expr(t.DATE, scope, 2), self.expr(t.DATE, scope, 2), span=SPAN))
            elif kind == "charge":
                body.append(self.charge(scope))
            elif kind == "set" and not looped:
                path = tuple(self.fresh() for _ in range(self.count(1, 2)))
                value = self.expr(self.pick(self.d.value_types), scope, 3)
                body.append(n.Set(path, value, span=SPAN))
            elif kind == "for" and depth > 0:
                collection, element = self.pick(self.lists(scope))
                variable = self.fresh()
                inner = {**scope, variable: element}
                condition = self.expr(t.BOOL, inner, 2) if self.chance(0.5) else None
                inside = self.statements(inner, approve, True, depth - 1)
                body.append(n.ForEach(variable, collection, condition, tuple(inside), span=SPAN))
        return body

    def charge(self, scope: dict[str, t.Type]) -> n.Charge:
        code = self.pick(["renewal", "fee", "extra", "reinstatement_fee", "x"])
        clause = self.clause() if self.chance(0.5) else None
        amount = self.expr(t.MONEY, scope, 3)
        start = end = contract = None
        if self.chance(0.5):
            start, end = self.expr(t.DATE, scope, 2), self.expr(t.DATE, scope, 2)
        if self.chance(0.3):
            contract = self.pick(self.records(schema.CONTRACT, scope))
        return n.Charge(code, clause, amount, start, end, contract, span=SPAN)

    def rule(self, kind: n.RuleKind, scope: dict[str, t.Type], condition: n.Expr | None) -> n.Rule:
        name = self.fresh()
        clauses = tuple(self.clause() for _ in range(self.count(1, 2)))
        body = self.statements(scope, kind is n.RuleKind.APPROVE, False, 1)
        provenance = self.provenance() if self.chance(0.3) else None
        return n.Rule(kind, name, clauses, condition, tuple(body), provenance, span=SPAN)

    def condition(self, scope: dict[str, t.Type]) -> n.Expr:
        return self.expr(t.BOOL, scope, 3)

    def action(self, name: str) -> n.Action:
        scope: dict[str, t.Type] = {}
        body: list[n.Let | n.Rule] = [self.let(scope, 3) for _ in range(self.count(0, 2))]
        rules = [
            self.rule(n.RuleKind.REJECT, scope, self.condition(scope) if self.chance(0.9) else None)
            for _ in range(self.count(0, 2))
        ]
        approvals = self.count(0, 2) if self.chance(0.1) else self.count(1, 2)
        if approvals == 1:
            rules.append(
                self.rule(n.RuleKind.APPROVE, scope, self.condition(scope) if self.chance(0.5) else None)
            )
        elif approvals == 2:
            # exclusive by construction (and visibly so to the overlap check): `c` and `not (c)`
            first = self.condition(scope)
            while isinstance(first, n.Unary):  # `not not c` reads as `not c` to the overlap check
                first = first.operand
            second: n.Expr = n.Unary(n.UnaryOp.NOT, first, span=SPAN)
            if self.chance(0.3):
                second = n.Binary(n.BinaryOp.AND, second, self.condition(scope), span=SPAN)
            rules += [self.rule(n.RuleKind.APPROVE, scope, c) for c in (first, second)]
        body.extend(rules)
        description = self.plain_text() if self.chance(0.5) else None
        return n.Action(name, description, tuple(body), span=SPAN)

    def policy(self, actions: Sequence[str]) -> n.PolicyFile:
        items: list[n.Item] = []
        if self.chance(0.3):
            items.append(self.enum("premium_tier"))
        items.extend(self.enum() for _ in range(self.count(0, 1)))
        items.extend(self.parameter() for _ in range(self.count(0, 3)))
        items.extend(self.definition() for _ in range(self.count(0, 2)))
        self.d.used.update(actions)
        items.extend(self.action(name) for name in actions)
        return n.PolicyFile("generated.mes", tuple(items))


@attrs.frozen
class GeneratedPolicy:
    """One generated rule file, and the names of its actions (what requests can ask)."""

    text: str
    actions: tuple[str, ...]
    enums: tuple[tuple[str, tuple[str, ...]], ...]
    parameters: tuple[str, ...]


ACTION_NAMES = ("renew", "cancel", "status", "self", "lambda", "x", "class", "__init__", "d_fee", "rt")


@st.composite
def policies(draw: st.DrawFn) -> GeneratedPolicy:
    """A small rule file that is type-correct by construction, printed by the formatter."""
    currency = draw(st.sampled_from(CURRENCIES))
    actions = draw(st.lists(st.sampled_from(ACTION_NAMES), min_size=1, max_size=2, unique=True))
    builder = _Builder(draw, currency)
    tree = builder.policy([a for a in actions if a not in KEYWORDS])
    enums = tuple((e.name, e.members) for e in builder.d.enums.values())
    return GeneratedPolicy(
        format_file(tree), tuple(a for a in actions if a not in KEYWORDS), enums, tuple(builder.d.parameters)
    )
