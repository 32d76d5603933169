"""The type of every expression: name resolution, operators, units and currencies, calls and aggregates."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Protocol

import attrs

from mespolicy import nodes as n
from mespolicy import types as t
from mespolicy.bands import band_type
from mespolicy.checked import (
    Binding,
    CheckedDefinition,
    CheckedParameter,
    DefinitionRef,
    EnumValue,
    Fact,
    FactRef,
    Local,
    ParameterRef,
)
from mespolicy.errors import did_you_mean
from mespolicy.source import Span


@attrs.frozen
class Scope:
    """Names bound locally (lets, definition parameters, loop variables), innermost first."""

    names: dict[str, t.Type]
    parent: Scope | None = None

    def lookup(self, name: str) -> t.Type | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.names:
                return scope.names[name]
            scope = scope.parent
        return None

    def child(self, names: dict[str, t.Type]) -> Scope:
        # a dict, not keywords: a rule's variable may be called anything, `self` included
        return Scope(dict(names), self)

    def visible(self) -> Iterator[str]:
        scope: Scope | None = self
        while scope is not None:
            yield from scope.names
            scope = scope.parent


class Context(Protocol):
    """What expression typing needs from the checker that drives it."""

    @property
    def parameters(self) -> Mapping[str, CheckedParameter]: ...
    @property
    def definitions(self) -> Mapping[str, CheckedDefinition]: ...
    @property
    def enums(self) -> Mapping[str, t.EnumType]: ...
    @property
    def members(self) -> Mapping[str, t.EnumType]: ...
    @property
    def facts(self) -> Mapping[str, Fact]: ...
    @property
    def bindings(self) -> dict[int, Binding]: ...
    @property
    def bands(self) -> list[n.Band]: ...

    def fail(self, code: str, message: str, span: Span, hint: str | None = None) -> t.Unknown: ...
    def expr(self, node: n.Expr, scope: Scope) -> t.Type: ...
    def element_type(self, collection: n.Expr, scope: Scope) -> t.Type: ...
    def expect(self, found: t.Type, wanted: t.Type, span: Span, what: str) -> None: ...
    def note_call(self, callee: str) -> None: ...


def type_of(ctx: Context, node: n.Expr, scope: Scope) -> t.Type:
    """The type of `node`; errors are reported to `ctx` and yield `Unknown`."""
    match node:
        case n.NumberLiteral() | n.PercentLiteral() | n.DurationLiteral() | n.MoneyLiteral():
            return literal_type(node)
        case n.DateLiteral() | n.BoolLiteral():
            return literal_type(node)
        case n.TextLiteral(parts=parts):
            for part in parts:
                if not isinstance(part, str):
                    _placeholder(ctx, part, scope)
            return t.TEXT
        case n.Name():
            return _name(ctx, node, scope)
        case n.FieldAccess():
            return _field(ctx, node, scope)
        case n.Call():
            return _call(ctx, node, scope)
        case n.Aggregate():
            return _aggregate(ctx, node, scope)
        case n.Given(name=name):
            fact = ctx.facts.get(name)
            if fact is None or not fact.optional:
                optional = [f.name for f in ctx.facts.values() if f.optional]
                return ctx.fail(
                    "C213",
                    f"'given' tests an optional request fact, and '{name}' is not one",
                    node.span,
                    "optional facts: " + ", ".join(optional),
                )
            return t.BOOL
        case n.Unary():
            return _unary(ctx, node, scope)
        case n.Binary():
            return _binary(ctx, node, scope)
        case n.IfThenElse():
            ctx.expect(ctx.expr(node.condition, scope), t.BOOL, node.condition.span, "'if'")
            then, otherwise = ctx.expr(node.then, scope), ctx.expr(node.otherwise, scope)
            return _join(ctx, then, otherwise, node.span, "the two branches of 'if'")
        case n.FirstWhere():
            ctx.expect(ctx.expr(node.start, scope), t.INTEGER, node.start.span, "'first ... from'")
            inner = scope.child({node.variable: t.INTEGER})
            ctx.expect(ctx.expr(node.condition, inner), t.BOOL, node.condition.span, "'where'")
            return t.INTEGER
        case n.CalendarCount() | n.MonthOf() | n.Extreme() | n.Round():
            return _construct(ctx, node, scope)
        case n.Band():
            return band_type(ctx, node, scope)
    raise AssertionError(f"no typing rule for {type(node).__name__}")


def _construct(ctx: Context, node: n.CalendarCount | n.MonthOf | n.Extreme | n.Round, scope: Scope) -> t.Type:
    """The calendar and number constructs: months between dates, parts of a month, min/max, rounding."""
    match node:
        case n.CalendarCount(start=start, end=end, rounding=rounding):
            ctx.expect(ctx.expr(start, scope), t.DATE, start.span, f"'{node.unit.value} from'")
            ctx.expect(ctx.expr(end, scope), t.DATE, end.span, "'until'")
            if isinstance(rounding, n.WholeAfter):
                found = ctx.expr(rounding.days, scope)
                if found == t.MONTHS:
                    return ctx.fail(
                        "C204",
                        "a remainder is counted in days, but this is months",
                        rounding.days.span,
                        "write the remainder in days: a remainder of 15 days or more counting whole",
                    )
                ctx.expect(found, t.DAYS, rounding.days.span, "'a remainder of'")
            return t.MONTHS
        case n.MonthOf(part=part, date=day):
            ctx.expect(ctx.expr(day, scope), t.DATE, day.span, f"'{part.value} of month of'")
            return t.INTEGER if part is n.MonthPart.DAY else t.DATE
        case n.Extreme(function=function, values=values):
            kinds = [ctx.expr(item, scope) for item in values]
            shared = kinds[0]
            for item, kind in zip(values[1:], kinds[1:], strict=True):
                if isinstance(shared, t.Money) and isinstance(kind, t.Money) and t.join(shared, kind) is None:
                    return ctx.fail(
                        "C205",
                        f"'{function.value}' of money in {shared.currency} and in {kind.currency}",
                        item.span,
                    )
                shared = _join(ctx, shared, kind, item.span, f"the values of '{function.value}'")
            if isinstance(shared, t.Unknown):
                return shared
            if not t.is_orderable(shared):
                return ctx.fail("C203", f"{shared} values have no {function.value}imum", node.span)
            return shared
        case n.Round(value=rounded, places=places):
            kind = ctx.expr(rounded, scope)
            if isinstance(kind, t.Unknown | t.Money):
                return kind
            if kind in (t.INTEGER, t.NUMBER):
                return t.INTEGER if places == 0 else t.NUMBER
            hint = "a rate is a fraction of one: round the amount it gives" if kind == t.RATE else None
            return ctx.fail("C203", f"'round' takes a number or money, not {_a(kind)}", rounded.span, hint)
    raise AssertionError(node)


def literal_type(node: n.Literal, declared: t.Type | None = None) -> t.Type:
    """The type of a literal; a bare number where money is declared is money in the contract's currency."""
    match node:
        case n.NumberLiteral() if isinstance(declared, t.Money):
            return t.MONEY
        case n.NumberLiteral(value=value):
            return t.INTEGER if value == value.to_integral_value() and "." not in str(value) else t.NUMBER
        case n.PercentLiteral():
            return t.RATE
        case n.DurationLiteral(unit=unit):
            return t.DAYS if unit is n.Unit.DAYS else t.MONTHS
        case n.MoneyLiteral(currency=currency):
            return t.Money(currency)
        case n.DateLiteral():
            return t.DATE
        case n.BoolLiteral():
            return t.BOOL
    return t.TEXT


def _placeholder(ctx: Context, part: n.Name | n.FieldAccess, scope: Scope) -> None:
    found = ctx.expr(part, scope)
    if isinstance(found, t.Record | t.ListOf):
        ctx.fail("C203", f"a placeholder shows one value, but this is {found}", part.span)


def _name(ctx: Context, node: n.Name, scope: Scope) -> t.Type:
    name = node.name
    local = scope.lookup(name)
    binding: Binding
    if local is not None:
        binding, found = Local(name), local
    elif name in ctx.parameters:
        binding, found = ParameterRef(name), ctx.parameters[name].type
    elif name in ctx.definitions and not ctx.definitions[name].params:
        ctx.note_call(name)
        binding, found = DefinitionRef(name), ctx.definitions[name].returns
    elif name in ctx.facts:
        binding, found = FactRef(name), _fact_type(ctx, ctx.facts[name], node.span)
    elif name in ctx.members:
        binding, found = EnumValue(ctx.members[name].name, name), ctx.members[name]
    else:
        known = [*scope.visible(), *ctx.parameters, *ctx.definitions, *ctx.facts, *ctx.members]
        if name in ctx.definitions:
            return ctx.fail("C210", f"'{name}' is a function: call it with its arguments", node.span)
        return ctx.fail("C201", f"unknown name '{name}'", node.span, did_you_mean(name, sorted(set(known))))
    ctx.bindings[id(node)] = binding
    return found


def _fact_type(ctx: Context, fact: Fact, span: Span) -> t.Type:
    if fact.enum is None:
        return fact.type
    if fact.enum not in ctx.enums:
        return ctx.fail(
            "C201",
            f"the request fact '{fact.name}' takes its values from enum '{fact.enum}', which is not defined",
            span,
            f"declare it: enum {fact.enum} = ... | ...",
        )
    return ctx.enums[fact.enum]


def _field(ctx: Context, node: n.FieldAccess, scope: Scope) -> t.Type:
    subject = node.subject
    if isinstance(subject, n.Name) and subject.name in ctx.enums and scope.lookup(subject.name) is None:
        enum = ctx.enums[subject.name]
        if node.field not in enum.members:
            return ctx.fail(
                "C212",
                f"'{node.field}' is not a value of {enum.name}",
                node.span,
                "values: " + ", ".join(enum.members),
            )
        ctx.bindings[id(subject)] = EnumValue(enum.name, node.field)
        return enum
    found = ctx.expr(subject, scope)
    if isinstance(found, t.Unknown):
        return found
    if not isinstance(found, t.Record):
        return ctx.fail("C212", f"{found} has no field '{node.field}'", node.span)
    field = found.field(node.field)
    if field is None:
        names = [name for name, _ in found.fields]
        return ctx.fail(
            "C212",
            f"a {found.name} has no field '{node.field}'",
            node.span,
            did_you_mean(node.field, sorted(set(names))) or "fields: " + ", ".join(names),
        )
    return field


def _call(ctx: Context, node: n.Call, scope: Scope) -> t.Type:
    definition = ctx.definitions.get(node.function)
    arguments = [ctx.expr(argument, scope) for argument in node.arguments]
    if definition is None:
        return ctx.fail(
            "C201",
            f"unknown function '{node.function}'",
            node.span,
            _WRITTEN_OUT.get(node.function) or did_you_mean(node.function, sorted(set(ctx.definitions))),
        )
    ctx.note_call(node.function)
    if len(arguments) != len(definition.params):
        return ctx.fail(
            "C210",
            f"'{node.function}' takes {_count(len(definition.params), 'argument')}, {len(arguments)} given",
            node.span,
            f"{node.function}(" + ", ".join(f"{p}: {pt}" for p, pt in definition.params) + ")",
        )
    for argument, found, (param, wanted) in zip(node.arguments, arguments, definition.params, strict=True):
        ctx.expect(found, wanted, argument.span, f"argument '{param}' of '{node.function}'")
    return definition.returns


# Functions other languages have, and how the rule language writes them.
_WRITTEN_OUT = {
    "round": "write round up(x) or round down(x), or round up(x, 2 places)",
    "ceil": "write round up(x)",
    "floor": "write round down(x)",
    "start_of_month": "write start of month of d",
    "month_start": "write start of month of d",
    "end_of_month": "write end of month of d",
    "month_end": "write end of month of d",
    "day_of_month": "write day of month of d",
    "months_between": "write months from a until b, rounded up (or rounded down)",
    "years_between": "write years from a until b, rounded down (or rounded up)",
}


def _aggregate(ctx: Context, node: n.Aggregate, scope: Scope) -> t.Type:
    function = node.function
    if node.collection is None:
        value = ctx.element_type(node.value, scope)
        value_span = node.value.span
    else:
        element = ctx.element_type(node.collection, scope)
        inner = scope.child({node.variable or "": element})
        if node.condition is not None:
            ctx.expect(ctx.expr(node.condition, inner), t.BOOL, node.condition.span, "'when'")
        value = ctx.expr(node.value, inner)
        value_span = node.value.span
    if isinstance(value, t.Unknown):
        return t.INTEGER if function in (n.AggregateFunction.COUNT, n.AggregateFunction.DISTINCT) else value
    if function in (n.AggregateFunction.COUNT, n.AggregateFunction.DISTINCT):
        return t.INTEGER
    if function in (n.AggregateFunction.ANY, n.AggregateFunction.ALL):
        ctx.expect(value, t.BOOL, value_span, f"'{function.value}'")
        return t.BOOL
    if function is n.AggregateFunction.SUM and not (
        isinstance(value, t.Money) or t.is_numeric(value) or value in t.DURATIONS
    ):
        return ctx.fail("C203", f"cannot add up {value} values", value_span)
    if function is not n.AggregateFunction.SUM and not t.is_orderable(value):
        return ctx.fail("C203", f"{value} values have no {function.value}imum", value_span)
    return value


def _unary(ctx: Context, node: n.Unary, scope: Scope) -> t.Type:
    found = ctx.expr(node.operand, scope)
    if node.op is n.UnaryOp.NOT:
        ctx.expect(found, t.BOOL, node.operand.span, "'not'")
        return t.BOOL
    if isinstance(found, t.Unknown | t.Money) or t.is_numeric(found) or found in t.DURATIONS:
        return found
    return ctx.fail("C203", f"cannot negate {found}", node.span)


def _binary(ctx: Context, node: n.Binary, scope: Scope) -> t.Type:
    op = node.op
    left, right = ctx.expr(node.left, scope), ctx.expr(node.right, scope)
    if op in (n.BinaryOp.AND, n.BinaryOp.OR):
        ctx.expect(left, t.BOOL, node.left.span, f"'{op.value}'")
        ctx.expect(right, t.BOOL, node.right.span, f"'{op.value}'")
        return t.BOOL
    if isinstance(left, t.Unknown) or isinstance(right, t.Unknown):
        return t.BOOL if op in n.COMPARISONS or op in (n.BinaryOp.IN, n.BinaryOp.NOT_IN) else t.UNKNOWN
    if op in (n.BinaryOp.IN, n.BinaryOp.NOT_IN):
        if not isinstance(right, t.ListOf):
            return ctx.fail("C203", f"'{op.value}' looks in a list, but this is {right}", node.right.span)
        _join(ctx, left, right.element, node.span, f"'{op.value}'")
        return t.BOOL
    if op in n.COMPARISONS:
        if not t.comparable(op, left, right):
            _mismatch(ctx, node, left, right, "compare")
        return t.BOOL
    found = t.arithmetic(op, left, right)
    if found is None:
        verb = {n.BinaryOp.ADD: "add", n.BinaryOp.SUBTRACT: "subtract"}.get(op, "combine")
        return _mismatch(ctx, node, left, right, verb)
    return found


def _mismatch(ctx: Context, node: n.Binary, left: t.Type, right: t.Type, verb: str) -> t.Unknown:
    op = node.op.value
    if left in t.DURATIONS and right in t.DURATIONS:
        return ctx.fail(
            "C204",
            f"cannot {verb} {left} and {right} ('{op}')",
            node.span,
            "days and months are different units: a month has no fixed number of days",
        )
    if isinstance(left, t.Money) and isinstance(right, t.Money) and op not in "*":
        return ctx.fail(
            "C205",
            f"cannot {verb} money in {left.currency} and in {right.currency} ('{op}')",
            node.span,
        )
    hint = (
        "money times money has no meaning; multiply money by a number or a rate"
        if (isinstance(left, t.Money) and isinstance(right, t.Money))
        else None
    )
    return ctx.fail("C203", f"cannot {verb} {_a(left)} and {_a(right)} with '{op}'", node.span, hint)


def _join(ctx: Context, a: t.Type, b: t.Type, span: Span, what: str) -> t.Type:
    if isinstance(a, t.Unknown) or isinstance(b, t.Unknown):
        return t.UNKNOWN
    shared = t.join(a, b)
    if shared is None:
        code = "C204" if a in t.DURATIONS and b in t.DURATIONS else "C203"
        return ctx.fail(code, f"{what} must agree in type: {a} and {b}", span)
    return shared


def _a(found: t.Type) -> str:
    text = str(found)
    return ("an " if text[0] in "aeiou" else "a ") + text if text not in ("days", "months") else text


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
