"""Checked expressions as solver terms, by the semantics the compiler gives them.

Dates are `calendar.Day` terms (year, month and day, or a day number), month
steps clamp at month end; days,
months and whole numbers are integers; numbers, rates and money are exact
rationals. What is not encoded is left open: a fresh variable of the right type
(an aggregate over a list, `first ... where`, `months from`, a band, a rounding,
a text with placeholders). The encoding then allows more than the rules do, so
a proof still holds for every request, and a conflict it finds is only
reported once the compiled policy, deciding the witness, confirms it.

Errors are left out too: a request on which a rule fails (a missing optional
fact, a division by zero) is decided by no rule, so allowing it a value only
adds requests to look at, never removes one.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import attrs
import z3

from mespolicy import nodes as n
from mespolicy import types as t
from mespolicy.checked import CheckedPolicy, DefinitionRef, EnumValue, FactRef, Local, ParameterRef
from mespolicy.proofs.calendar import Day, literal
from mespolicy.proofs.request import ListTerm, Opaque, RecordTerm, Request

Term = object  # a z3 expression, a Day, a RecordTerm, a ListTerm or an Opaque
Env = Mapping[str, Term]

# calls of definitions inlined inside each other, at most (deeper calls are left open)
_INLINE_DEPTH = 8


@attrs.frozen
class Encoded:
    """One action's rules as solver conditions, in order, and what the encoding left open."""

    rejects: tuple[tuple[n.Rule, z3.BoolRef], ...]
    approvals: tuple[tuple[n.Rule, z3.BoolRef], ...]
    # facts the fresh variables meet (a count is never negative), always true
    side: tuple[z3.BoolRef, ...]
    # what was left open, in words, for the report ("count(...) at renewal.mes:12")
    open: tuple[str, ...]
    # every band whose quantity and thresholds are encoded, where it is evaluated
    bands: tuple[BandSite, ...] = ()


@attrs.frozen
class BandSite:
    """A band met while encoding: in `rule`'s condition or body (`in_body`), or an action's let (no rule)."""

    band: n.Band
    rule: n.Rule | None
    in_body: bool
    quantity: z3.ArithRef
    thresholds: tuple[z3.ArithRef, ...]


class Encoder:
    """The terms of one policy's expressions over the variables of `request`."""

    def __init__(self, checked: CheckedPolicy, request: Request, prefix: str = "") -> None:
        self.checked = checked
        self.request = request
        self.calendar = request.calendar
        self.prefix = prefix
        self.side: list[z3.BoolRef] = []
        self.open: list[str] = []
        self.counter = 0
        self.lets: dict[str, n.Let] = {}
        self.let_terms: dict[str, Term] = {}
        self.depth = 0
        self.bands: list[BandSite] = []
        # where the expression being encoded is evaluated: a rule and whether in its body
        self.site: tuple[n.Rule, bool] | None = None

    def action(self, name: str, bands: bool = False) -> Encoded:
        """The action's rules; with `bands`, also the bands its rules evaluate (their bodies encoded too)."""
        action = self.checked.actions[name]
        self.lets = {let.name: let for let in action.lets}
        self.let_terms = {}
        self.side, self.open, self.bands = [], [], []
        rejects: list[tuple[n.Rule, z3.BoolRef]] = []
        approvals: list[tuple[n.Rule, z3.BoolRef]] = []
        for rule in action.rules:
            self.site = (rule, False)
            condition = z3.BoolVal(True) if rule.condition is None else self.boolean(rule.condition, {})
            (rejects if rule.kind is n.RuleKind.REJECT else approvals).append((rule, condition))
        side, opened = tuple(self.side), tuple(dict.fromkeys(self.open))
        if bands:
            for rule in action.rules:
                self.site = (rule, True)
                self.body(rule.body)
        self.site = None
        return Encoded(tuple(rejects), tuple(approvals), side, opened, tuple(self.bands))

    def body(self, statements: tuple[n.Statement, ...]) -> None:
        """Encodes a rule's statements only to meet its bands (a `for each` is left out: its item is open)."""
        env: dict[str, Term] = {}
        for statement in statements:
            match statement:
                case n.Let(name=name, value=value):
                    env[name] = self.expr(value, env)
                case n.Term(start=start, end=end):
                    self.expr(start, env)
                    self.expr(end, env)
                case n.Charge(amount=amount, start=start, end=end):
                    for part in (amount, start, end):
                        if part is not None:
                            self.expr(part, env)
                case n.Set(value=value):
                    self.expr(value, env)

    def boolean(self, node: n.Expr, env: Env) -> z3.BoolRef:
        found = self.expr(node, env)
        if isinstance(found, z3.BoolRef):
            return found
        return z3.Bool(f"{self.prefix}open condition!{id(node)}")

    # -- open values

    def fresh(self, kind: t.Type, node: n.Expr, what: str) -> Term:
        span = node.span
        self.open.append(f"{what} at {span.source.path}:{span.line}")
        # An expression of the request's facts alone has one value per request: the same open
        # variable wherever it is written, in this policy or (for a diff) in the other.
        closed = self.closed(node)
        if closed:
            found = self.request.shared_open.get(node)
            if found is not None:
                return found
        self.counter += 1
        name = f"{self.prefix}open!{self.counter}"
        made = self.variable(kind, name)
        if closed:
            self.request.shared_open[node] = made
        return made

    def closed(self, node: n.Expr) -> bool:
        """Whether `node` reads only request facts (and the variables it binds itself)."""
        bound: set[str] = set()
        names: list[n.Name] = []
        pending: list[object] = [node]
        while pending:
            item = pending.pop()
            if isinstance(item, n.Aggregate | n.FirstWhere | n.ForEach) and item.variable:
                bound.add(item.variable)
            if isinstance(item, n.Name):
                names.append(item)
            if isinstance(item, n.Call):
                return False  # a definition's body may differ between two policies
            if isinstance(item, tuple):
                pending.extend(item)
            elif attrs.has(type(item)):
                pending.extend(getattr(item, f.name) for f in attrs.fields(type(item)))  # type: ignore[arg-type]
        for name in names:
            binding = self.checked.bindings.get(id(name))
            if isinstance(binding, FactRef | EnumValue):
                continue
            if isinstance(binding, Local) and name.name in bound:
                continue
            return False
        return True

    def variable(self, kind: t.Type, name: str) -> Term:
        if kind == t.BOOL:
            return z3.Bool(name)
        if kind in (t.NUMBER, t.RATE) or isinstance(kind, t.Money):
            return z3.Real(name)
        if isinstance(kind, t.Record):
            return Opaque(name)
        if isinstance(kind, t.ListOf):
            return Opaque(name)
        if kind == t.DATE:
            return Day(number=z3.Int(name))
        return z3.Int(name)

    # -- expressions

    def expr(self, node: n.Expr, env: Env) -> Term:
        match node:
            case n.NumberLiteral() | n.PercentLiteral() | n.DurationLiteral() | n.MoneyLiteral():
                return self.literal_node(node)
            case n.DateLiteral() | n.BoolLiteral() | n.TextLiteral():
                return self.literal_node(node)
            case n.Name():
                return self.name(node, env)
            case n.FieldAccess():
                return self.field(node, env)
            case n.Call(function=function, arguments=arguments):
                return self.call(function, arguments, node, env)
            case n.Given(name=name):
                return self.request.given_flag(name)
            case n.Unary():
                return self.unary(node, env)
            case n.Binary():
                return self.binary(node, env)
            case n.IfThenElse():
                return self.if_then_else(node, env)
            case n.MonthOf():
                return self.month_of(node, env)
            case n.Extreme():
                return self.extreme(node, env)
            case n.Aggregate():
                return self.aggregate(node)
            case n.FirstWhere():
                return self.first_where(node, env)
            case n.Band():
                self.band(node, env)
        return self.fresh(self.checked.type_of(node), node, _OPEN_NAMES.get(type(node), "a value"))

    def literal(self, node: n.Literal, kind: t.Type | None = None) -> Term:
        match node:
            case n.NumberLiteral(value=value):
                if kind == t.INTEGER or (kind is None and value == value.to_integral_value()):
                    return z3.IntVal(int(value))
                return _real(value)
            case n.PercentLiteral(value=value):
                return _real(value / 100)
            case n.DurationLiteral(amount=amount):
                return z3.IntVal(amount)
            case n.MoneyLiteral(amount=amount):
                return _real(amount)
            case n.DateLiteral(value=value):
                return literal(value)
            case n.BoolLiteral(value=value):
                return z3.BoolVal(value)
            case n.TextLiteral(parts=parts) if all(isinstance(p, str) for p in parts):
                return z3.IntVal(self.request.text("".join(p for p in parts if isinstance(p, str))))
        return self.fresh(kind or t.TEXT, node, "a text with placeholders")

    def literal_node(self, node: n.Literal) -> Term:
        kind = self.checked.types.get(id(node))
        return self.literal(node, kind if kind in (t.INTEGER, t.NUMBER) else None)

    def name(self, node: n.Name, env: Env) -> Term:
        binding = self.checked.binding_of(node)
        match binding:
            case Local(name=name):
                if name in env:
                    return env[name]
                return self.action_let(name, node)
            case ParameterRef(name=name):
                return self.parameter(name, node)
            case DefinitionRef(name=name):
                return self.call(name, (), node, env)
            case FactRef(name=name):
                if self.checked.facts[name].optional:
                    self.request.read_optional.add(name)
                found = self.request.fact(name)
                return found if found is not None else self.fresh(self.checked.type_of(node), node, name)
            case EnumValue(enum=enum, member=member):
                return z3.IntVal(self.checked.enums[enum].members.index(member))
        raise AssertionError(binding)

    def action_let(self, name: str, node: n.Expr) -> Term:
        found = self.let_terms.get(name)
        if found is None:
            let = self.lets.get(name)
            if let is None:
                return self.fresh(self.checked.type_of(node), node, name)
            # an action's let may be read by any rule: a band in it is evaluated anywhere
            site, self.site = self.site, None
            try:
                found = self.let_terms[name] = self.expr(let.value, {})
            finally:
                self.site = site
        return found

    def parameter(self, name: str, node: n.Expr) -> Term:
        """The value in force on the request's day: a parameter with dated values is an `if` on the date."""
        parameter = self.checked.parameters[name]
        found: Term | None = None
        day = self.request.fact("date")
        for effective, written in parameter.values:
            value = self.literal(written, parameter.type)
            if effective is None:
                found = value
                continue
            if not isinstance(day, Day):
                return self.fresh(parameter.type, node, f"parameter {name}")
            if found is None:
                # before its first date a parameter has no value (R307): any value stands for that
                found = self.fresh(parameter.type, node, f"parameter {name} before its first date")
            found = self.choose(self.calendar.compare(">=", day, literal(effective)), value, found)
        assert found is not None
        return found

    def choose(self, condition: z3.BoolRef, then: Term, otherwise: Term) -> Term:
        if isinstance(then, Day) and isinstance(otherwise, Day):
            return self.calendar.choose(condition, then, otherwise)
        if isinstance(then, z3.ExprRef) and isinstance(otherwise, z3.ExprRef):
            return _if(condition, then, otherwise)
        return Opaque("a choice between records")

    def field(self, node: n.FieldAccess, env: Env) -> Term:
        subject = node.subject
        if isinstance(subject, n.Name) and isinstance(self.checked.bindings.get(id(subject)), EnumValue):
            kind = self.checked.type_of(node)
            assert isinstance(kind, t.EnumType)
            return z3.IntVal(kind.members.index(node.field))
        record = self.expr(subject, env)
        if isinstance(record, RecordTerm) and node.field in record.fields:
            return record.fields[node.field]
        return self.fresh(self.checked.type_of(node), node, f"field {node.field}")

    def call(self, name: str, arguments: tuple[n.Expr, ...], node: n.Expr, env: Env) -> Term:
        definition = self.checked.definitions[name]
        if self.depth >= _INLINE_DEPTH:
            return self.fresh(definition.returns, node, f"{name}(...)")
        params = [param for param, _ in definition.params]
        inner: dict[str, Term] = {
            param: self.expr(argument, env) for param, argument in zip(params, arguments, strict=True)
        }
        self.depth += 1
        try:
            for let in definition.node.lets:
                inner[let.name] = self.expr(let.value, inner)
            return self.expr(definition.node.result, inner)
        finally:
            self.depth -= 1

    def unary(self, node: n.Unary, env: Env) -> Term:
        operand = self.expr(node.operand, env)
        if node.op is n.UnaryOp.NOT and isinstance(operand, z3.BoolRef):
            return z3.Not(operand)
        if node.op is n.UnaryOp.NEGATE and isinstance(operand, z3.ArithRef):
            return -operand
        return self.fresh(self.checked.type_of(node), node, "an operation")

    def binary(self, node: n.Binary, env: Env) -> Term:
        op = node.op
        if op in (n.BinaryOp.AND, n.BinaryOp.OR):
            parts = [self.boolean(part, env) for part in n.chain(node, op)]
            return z3.And(*parts) if op is n.BinaryOp.AND else z3.Or(*parts)
        if op in (n.BinaryOp.IN, n.BinaryOp.NOT_IN):
            return self.fresh(t.BOOL, node, f"'{op.value}' a list")
        left, right = self.expr(node.left, env), self.expr(node.right, env)
        if isinstance(left, Day) or isinstance(right, Day):
            return self.dates(node, left, right)
        if not isinstance(left, z3.ExprRef) or not isinstance(right, z3.ExprRef):
            return self.fresh(self.checked.type_of(node), node, "an operation on records or lists")
        if op in n.COMPARISONS:
            return _compare(op, left, right)
        return self.arithmetic(op, left, right, node)

    def dates(self, node: n.Binary, left: Term, right: Term) -> Term:
        """A comparison of dates, a date and a duration added or subtracted, or the days between dates."""
        op = node.op
        if isinstance(left, Day) and isinstance(right, Day):
            if op in n.COMPARISONS:
                return self.calendar.compare(op.value, left, right)
            return self.calendar.difference(left, right)
        day, step = (left, right) if isinstance(left, Day) else (right, left)
        if not isinstance(step, z3.ArithRef) or not isinstance(day, Day):
            return self.fresh(self.checked.type_of(node), node, "an operation on a date")
        if op is n.BinaryOp.SUBTRACT:
            step = -step
        step_type = self.checked.type_of(node.right if isinstance(left, Day) else node.left)
        if step_type == t.MONTHS:
            return self.calendar.add_months(day, step)
        return self.calendar.add_days(day, step)

    def arithmetic(self, op: n.BinaryOp, left: z3.ExprRef, right: z3.ExprRef, node: n.Expr) -> Term:
        if not isinstance(left, z3.ArithRef) or not isinstance(right, z3.ArithRef):
            return self.fresh(self.checked.type_of(node), node, "an operation")
        if op is n.BinaryOp.DIVIDE:
            return _as_real(left) / _as_real(right)
        left, right = _coerce(left, right)
        if op is n.BinaryOp.ADD:
            return left + right
        if op is n.BinaryOp.SUBTRACT:
            return left - right
        return left * right

    def if_then_else(self, node: n.IfThenElse, env: Env) -> Term:
        condition = self.boolean(node.condition, env)
        then, otherwise = self.expr(node.then, env), self.expr(node.otherwise, env)
        found = self.choose(condition, then, otherwise)
        if isinstance(found, Opaque):
            return self.fresh(self.checked.type_of(node), node, "an 'if' between records")
        return found

    def month_of(self, node: n.MonthOf, env: Env) -> Term:
        day = self.expr(node.date, env)
        if not isinstance(day, Day):
            return self.fresh(self.checked.type_of(node), node, "a month part")
        if node.part is n.MonthPart.START:
            return self.calendar.start_of_month(day)
        if node.part is n.MonthPart.END:
            return self.calendar.end_of_month(day)
        return self.calendar.day_of_month(day)

    def extreme(self, node: n.Extreme, env: Env) -> Term:
        values = [self.expr(value, env) for value in node.values]
        bigger = node.function is n.AggregateFunction.MAX
        if all(isinstance(v, Day) for v in values):
            chosen = values[0]
            for value in values[1:]:
                assert isinstance(chosen, Day) and isinstance(value, Day)
                beyond = self.calendar.compare(">" if bigger else "<", value, chosen)
                chosen = self.calendar.choose(beyond, value, chosen)
            return chosen
        if not all(isinstance(v, z3.ArithRef) for v in values):
            return self.fresh(self.checked.type_of(node), node, "a min or max")
        found = values[0]
        for value in values[1:]:
            a, b = _coerce(found, value)
            found = z3.If(b > a, b, a) if bigger else z3.If(b < a, b, a)
        return found

    def aggregate(self, node: n.Aggregate) -> Term:
        found = self.fresh(self.checked.type_of(node), node, f"{node.function.value}(...) of a list")
        if node.function in (n.AggregateFunction.COUNT, n.AggregateFunction.DISTINCT):
            assert isinstance(found, z3.ArithRef)
            self.side.append(found >= 0)
        return found

    def band(self, node: n.Band, env: Env) -> None:
        """Notes the band's quantity and thresholds when they are encoded (its value itself stays open)."""
        before = len(self.open)
        quantity = self.expr(node.quantity, env)
        thresholds = [self.expr(step.threshold, env) for step in node.steps]
        if len(self.open) > before or not isinstance(quantity, z3.ArithRef):
            return
        if self.depth > 0:
            return  # a definition's band is evaluated wherever it is called, in other actions too
        if not all(isinstance(threshold, z3.ArithRef) for threshold in thresholds):
            return
        rule, in_body = self.site if self.site is not None else (None, False)
        found = tuple(threshold for threshold in thresholds if isinstance(threshold, z3.ArithRef))
        self.bands.append(BandSite(node, rule, in_body, quantity, found))

    def first_where(self, node: n.FirstWhere, env: Env) -> Term:
        found = self.fresh(t.INTEGER, node, "first ... where")
        start = self.expr(node.start, env)
        if isinstance(found, z3.ArithRef) and isinstance(start, z3.ArithRef) and _is_int(start):
            self.side.append(found >= start)
        return found


def _real(value: Decimal) -> z3.ArithRef:
    return z3.RealVal(str(value))


def _is_int(term: z3.ExprRef) -> bool:
    return bool(term.sort() == z3.IntSort())


def _as_real(term: z3.ArithRef) -> z3.ArithRef:
    return z3.ToReal(term) if _is_int(term) else term


def _coerce(left: z3.ArithRef, right: z3.ArithRef) -> tuple[z3.ArithRef, z3.ArithRef]:
    if _is_int(left) != _is_int(right):
        return _as_real(left), _as_real(right)
    return left, right


def _if(condition: z3.BoolRef, then: z3.ExprRef, otherwise: z3.ExprRef) -> z3.ExprRef:
    if isinstance(then, z3.ArithRef) and isinstance(otherwise, z3.ArithRef):
        then, otherwise = _coerce(then, otherwise)
    return z3.If(condition, then, otherwise)


def _compare(op: n.BinaryOp, left: z3.ExprRef, right: z3.ExprRef) -> z3.BoolRef:
    if isinstance(left, z3.ArithRef) and isinstance(right, z3.ArithRef):
        left, right = _coerce(left, right)
    if op is n.BinaryOp.EQ:
        return left == right
    if op is n.BinaryOp.NE:
        return left != right
    a, b = left, right
    assert isinstance(a, z3.ArithRef) and isinstance(b, z3.ArithRef)
    return {n.BinaryOp.LT: a < b, n.BinaryOp.LE: a <= b, n.BinaryOp.GT: a > b, n.BinaryOp.GE: a >= b}[op]


_OPEN_NAMES: dict[type, str] = {
    n.CalendarCount: "months from ... until",
    n.Round: "a rounding",
    n.Band: "a band",
}

__all__ = ["BandSite", "Encoded", "Encoder", "ListTerm", "Term"]
