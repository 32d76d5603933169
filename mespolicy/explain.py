"""Why a decision came out as it did: each condition with its values, each amount with its formula.

The compiled evaluator decides; this module re-reads the rules it went through
and shows their work. It evaluates with the same runtime operations as the
compiled code (one table, `operations.py`), and a test holds the two to the same
amounts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import attrs

from mespolicy import nodes as n
from mespolicy import operations, runtime
from mespolicy import types as t
from mespolicy.checked import CheckedPolicy, DefinitionRef, EnumValue, FactRef, Local, ParameterRef
from mespolicy.compiler import kind_of, literal_value
from mespolicy.errors import EvaluationError
from mespolicy.exact import Quotient
from mespolicy.formatter import format_expr
from mespolicy.model.decision import Decision, TraceStep
from mespolicy.model.facts import Facts
from mespolicy.model.request import RequestError
from mespolicy.runtime import contract_currency

_PRECEDENCE = {
    n.BinaryOp.OR: 1,
    n.BinaryOp.AND: 2,
    n.BinaryOp.EQ: 4,
    n.BinaryOp.NE: 4,
    n.BinaryOp.LT: 4,
    n.BinaryOp.LE: 4,
    n.BinaryOp.GT: 4,
    n.BinaryOp.GE: 4,
    n.BinaryOp.IN: 4,
    n.BinaryOp.NOT_IN: 4,
    n.BinaryOp.ADD: 5,
    n.BinaryOp.SUBTRACT: 5,
    n.BinaryOp.MULTIPLY: 6,
    n.BinaryOp.DIVIDE: 6,
}
_SHOWN_OPERATORS = {n.BinaryOp.MULTIPLY: "×", n.BinaryOp.SUBTRACT: "−"}


@attrs.frozen
class RuleExplanation:
    """One rule the decision went through: did it apply, and what its condition saw.

    `holds` is the condition as the explainer evaluates it; it must equal `applied`
    (what the compiled code decided), and the tests hold the two to that.
    """

    rule: n.Rule
    applied: bool
    condition: str | None
    values: tuple[tuple[str, str], ...]
    failed: str | None
    holds: bool | None = None


@attrs.frozen
class AmountExplanation:
    """One charge: its formula with the numbers put in, and the amount charged."""

    code: str
    clause: str
    formula: str
    amount: str
    contract: str | None
    location: str = ""


@attrs.frozen
class Explanation:
    decision: Decision
    rules: tuple[RuleExplanation, ...]
    amounts: tuple[AmountExplanation, ...]

    def trace(self) -> tuple[TraceStep, ...]:
        """The explanation as trace steps: rules with their values, then charges with their formulas."""
        steps = [_rule_step(r) for r in self.rules]
        steps.extend(_amount_step(a, self.decision) for a in self.amounts)
        return tuple(steps)


def explain(checked: CheckedPolicy, request: Facts, decision: Decision) -> Explanation:
    action = checked.actions[request.action]
    by_name = {rule.name: rule for rule in action.rules}
    walker = _Walker(checked, request, action)
    rules = tuple(
        walker.rule(by_name[step.rule], step.applied) for step in decision.trace if step.rule in by_name
    )
    applied = [r.rule for r in rules if r.applied and r.rule.kind is n.RuleKind.APPROVE]
    amounts = tuple(walker.amounts(applied[0])) if applied else ()
    return Explanation(decision, rules, amounts)


def _rule_step(r: RuleExplanation) -> TraceStep:
    detail: list[tuple[str, str]] = []
    if r.condition is not None:
        detail.append(("when", r.condition))
    if r.failed is not None:
        detail.append(("false", r.failed))
    detail.extend((name, value) for name, value in r.values if name not in ("when", "false"))
    return TraceStep(
        rule=r.rule.name,
        kind=r.rule.kind.value,
        applied=r.applied,
        clauses=tuple(c.text for c in r.rule.clauses),
        location=f"{r.rule.span.source.path}:{r.rule.span.line}",
        detail=tuple(detail),
    )


def _amount_step(a: AmountExplanation, decision: Decision) -> TraceStep:
    return TraceStep(
        rule=a.code,
        kind="charge",
        applied=True,
        clauses=(a.clause,),
        location=a.location,
        detail=(("formula", a.formula), ("amount", a.amount), ("contract", a.contract or "")),
    )


class _Env:
    """Values of local names: action lets (computed on first use), rule lets, loop variables."""

    def __init__(self, lazy: dict[str, Callable[[], Any]], parent: _Env | None = None) -> None:
        self.values: dict[str, Any] = {}
        self.lazy = lazy
        self.parent = parent

    def get(self, name: str) -> Any:
        env: _Env | None = self
        while env is not None:
            if name in env.values:
                return env.values[name]
            if name in env.lazy:
                # computed once; a let that fails stays pending and fails the same way next time
                env.values[name] = env.lazy[name]()
                del env.lazy[name]
                return env.values[name]
            env = env.parent
        raise KeyError(name)

    def child(self, values: dict[str, Any] | None = None) -> _Env:
        # a dict, not keywords: a rule's variable may be called anything, `self` included
        env = _Env({}, self)
        env.values.update(values or {})
        return env


class _Walker:
    """Evaluates and renders rule-language expressions against one request."""

    def __init__(self, checked: CheckedPolicy, request: Facts, action: n.Action) -> None:
        self.checked = checked
        self.request = request
        self.type_of = checked.type_of
        self.invoked: dict[tuple[Any, ...], tuple[Any, str]] = {}
        lazy: dict[str, Callable[[], Any]] = {}
        self.top = _Env(lazy)
        for let in action.lets:
            lazy[let.name] = _bind(self.value, let.value, self.top)

    # -- rules

    def rule(self, rule: n.Rule, applied: bool) -> RuleExplanation:
        if rule.condition is None:
            return RuleExplanation(rule, applied, None, (), None, True)
        values = tuple(self.leaves(rule.condition, self.top))
        holds = self.safe(rule.condition, self.top)
        failed = None
        if not applied:
            failed = next(
                (format_expr(c) for c in n.conjuncts(rule.condition) if not self.safe(c, self.top)),
                format_expr(rule.condition),
            )
        return RuleExplanation(rule, applied, format_expr(rule.condition), values, failed, holds)

    def leaves(self, expr: n.Expr, env: _Env) -> Iterator[tuple[str, str]]:
        """The values a condition read, as the compiled code reads them: the right side of an
        `and` only when its left side held, of an `or` only when it did not, one branch of an `if`."""
        seen: set[str] = set()
        for leaf in self.reached(expr, env):
            # a band is named by its quantity: its whole table is in the rule
            text = f"band of {format_expr(leaf.quantity)}" if isinstance(leaf, n.Band) else format_expr(leaf)
            if text not in seen:
                seen.add(text)
                yield text, self.shown(leaf, env)

    def reached(self, expr: n.Expr, env: _Env) -> Iterator[n.Expr]:
        match expr:
            case n.Binary(op=n.BinaryOp.AND | n.BinaryOp.OR as op):
                operands = list(n.chain(expr, op))
                for index, operand in enumerate(operands):
                    yield from self.reached(operand, env)
                    last = index == len(operands) - 1
                    if not last and bool(self.safe(operand, env)) is (op is n.BinaryOp.OR):
                        return
            case n.IfThenElse(condition=c, then=a, otherwise=b):
                yield from self.reached(c, env)
                held = self.safe(c, env)
                if held is not None:
                    yield from self.reached(a if held else b, env)
            case n.Unary(op=n.UnaryOp.NOT, operand=operand):
                yield from self.reached(operand, env)
            case _:
                yield from _leaves(expr)

    def safe(self, expr: n.Expr, env: _Env) -> Any:
        """The value, or None where the compiled code would have stopped with an error."""
        try:
            return self.value(expr, env)
        except (EvaluationError, RequestError, ValueError, ArithmeticError):
            return None

    def shown(self, expr: n.Expr, env: _Env) -> str:
        try:
            value = self.value(expr, env)
        except RequestError:
            return "(not given)"
        except EvaluationError as error:
            return f"(cannot be computed: {error})"
        except (ValueError, ArithmeticError) as error:
            return f"(cannot be computed: {runtime.describe(error)})"
        return runtime.show(value, kind_of(self.type_of(expr)))

    def amounts(self, rule: n.Rule) -> Iterator[AmountExplanation]:
        yield from self.statements(rule, rule.body, self.top.child())

    def statements(
        self, rule: n.Rule, body: tuple[n.Statement, ...], env: _Env
    ) -> Iterator[AmountExplanation]:
        for statement in body:
            if isinstance(statement, n.Let):
                env = env.child({statement.name: self.value(statement.value, env)})
            elif isinstance(statement, n.Charge):
                yield self.charge(rule, statement, env)
            elif isinstance(statement, n.ForEach):
                for item in self.value(statement.collection, env):
                    inner = env.child({statement.variable: item})
                    if statement.condition is None or self.value(statement.condition, inner):
                        yield from self.statements(rule, statement.body, inner)

    def charge(self, rule: n.Rule, charge: n.Charge, env: _Env) -> AmountExplanation:
        amount = self.value(charge.amount, env)
        contract = (
            self.value(charge.contract, env)
            if charge.contract is not None
            else self.request.contract if self.checked.has_request_contract() else None
        )
        clause = charge.clause.text if charge.clause else rule.clauses[0].text
        if amount.currency is None:
            amount = runtime.Cash(amount.amount, contract_currency(contract, self.request))
        return AmountExplanation(
            code=charge.code,
            clause=clause,
            formula=self.render(charge.amount, env),
            amount=str(amount),
            contract=contract.id if contract is not None else None,
            location=f"{charge.span.source.path}:{charge.span.line}",
        )

    # -- values

    def value(self, expr: n.Expr, env: _Env) -> Any:
        match expr:
            case n.TextLiteral(parts=parts):
                return "".join(
                    p if isinstance(p, str) else runtime.show(self.value(p, env), kind_of(self.type_of(p)))
                    for p in parts
                )
            case n.NumberLiteral() | n.PercentLiteral() | n.DurationLiteral():
                return literal_value(expr)
            case n.MoneyLiteral() | n.DateLiteral() | n.BoolLiteral():
                return literal_value(expr)
            case n.Name():
                return self.name(expr, env)
            case n.FieldAccess():
                return self.field(expr, env)
            case n.Call():
                return self.call(expr, env)[0]
            case n.Aggregate():
                return self.aggregate(expr, env)
            case n.Given(name=name):
                return getattr(self.request, name) is not None
            case n.Unary(op=op, operand=operand):
                value = self.value(operand, env)
                if op is n.UnaryOp.NOT:
                    return not value
                operation = operations.unary(op, self.type_of(operand))
                return -value if operation.symbol else getattr(runtime, operation.helper or "")(value)
            case n.Binary():
                return self.binary(expr, env)
            case n.IfThenElse(condition=condition, then=then, otherwise=otherwise):
                return self.value(then if self.value(condition, env) else otherwise, env)
            case n.FirstWhere(variable=variable, start=start, condition=condition):
                return runtime.first_where(
                    self.value(start, env),
                    lambda k: bool(self.value(condition, env.child({variable: k}))),
                    self.checked.limits.search_span,
                )
            case n.CalendarCount() | n.MonthOf() | n.Extreme() | n.Round() | n.Band():
                return self.construct(expr, env)
        raise AssertionError(expr)

    def construct(self, expr: n.CalendarCount | n.MonthOf | n.Extreme | n.Round | n.Band, env: _Env) -> Any:
        """The calendar and number constructs and bands, by the runtime helpers the compiled code calls."""
        match expr:
            case n.CalendarCount(unit=unit, start=start, end=end, rounding=rounding):
                whole_after = self.value(rounding.days, env) if isinstance(rounding, n.WholeAfter) else None
                step = 12 if unit is n.CalendarUnit.YEARS else 1
                up = rounding is n.Rounding.UP
                return runtime.calendar_count(
                    self.value(start, env), self.value(end, env), step, up, whole_after
                )
            case n.MonthOf(part=part, date=day):
                return getattr(runtime, operations.MONTH_PARTS[part])(self.value(day, env))
            case n.Extreme(function=function, values=items):
                helper = getattr(runtime, operations.extreme(function, self.type_of(expr)))
                return helper(tuple(self.value(item, env) for item in items))
            case n.Round(direction=direction, value=rounded, places=places):
                helper = getattr(runtime, operations.rounding(self.type_of(expr)))
                return helper(self.value(rounded, env), places, direction is n.Rounding.UP)
            case n.Band(quantity=quantity, steps=steps, beyond=beyond):
                values = [step.value for step in steps] + ([beyond] if beyond is not None else [])
                return runtime.band(
                    self.value(quantity, env),
                    tuple(self.value(step.threshold, env) for step in steps),
                    tuple(step.bound is n.Bound.UNDER for step in steps),
                    tuple(_bind(self.value, value, env) for value in values),
                    kind_of(self.type_of(quantity)),
                )
        raise AssertionError(expr)

    def name(self, expr: n.Name, env: _Env) -> Any:
        binding = self.checked.binding_of(expr)
        match binding:
            case Local(name=name):
                return env.get(name)
            case ParameterRef(name=name):
                parameter = self.checked.parameters[name]
                literal = parameter.value_on(self.request.date)
                if literal is None:
                    raise EvaluationError(
                        f"parameter '{name}' has no value yet on {self.request.date}", code="R307"
                    )
                return literal_value(literal, parameter.type)
            case DefinitionRef(name=name):
                return self.invoke(name, [])[0]
            case FactRef(name=name):
                value = getattr(self.request, name)
                if value is None and self.checked.facts[name].optional:
                    runtime.missing(name)
                return value
            case EnumValue(member=member):
                return member
        raise AssertionError(binding)

    def field(self, expr: n.FieldAccess, env: _Env) -> Any:
        subject = expr.subject
        if isinstance(subject, n.Name) and isinstance(self.checked.bindings.get(id(subject)), EnumValue):
            return expr.field
        value = getattr(self.value(subject, env), expr.field)
        found = self.type_of(expr)
        if isinstance(found, t.EnumType):
            return runtime.enum_name(value)
        return value

    def call(self, expr: n.Call, env: _Env) -> tuple[Any, str]:
        return self.invoke(expr.function, [self.value(a, env) for a in expr.arguments])

    def invoke(self, function: str, arguments: list[Any]) -> tuple[Any, str]:
        """A definition's value and formula for these arguments, each worked out once per explanation
        (rendering re-reads values, so without this a chain of calls would cost exponential time)."""
        key = (function, *((type(a), a) for a in arguments))
        try:
            found = self.invoked.get(key)
        except TypeError:  # an argument that cannot be a key
            return self.invoke_once(function, arguments)
        if found is None:
            found = self.invoked[key] = self.invoke_once(function, arguments)
        return found

    def invoke_once(self, function: str, arguments: list[Any]) -> tuple[Any, str]:
        definition = self.checked.definitions[function]
        env = _Env({}).child({name: a for (name, _), a in zip(definition.params, arguments, strict=True)})
        for let in definition.node.lets:
            env = env.child({let.name: self.value(let.value, env)})
        return self.value(definition.node.result, env), self.render(definition.node.result, env)

    def aggregate(self, expr: n.Aggregate, env: _Env) -> Any:
        # items one at a time, as the compiled code takes them (`any` and `all` stop early)
        items: Iterator[Any]
        if expr.collection is None:
            items = iter(self.value(expr.value, env))
        else:
            items = self.items(expr, expr.collection, env)
        # the checked type, not the first item, says what kind of sum or extreme (an empty one included)
        money = isinstance(self.type_of(expr), t.Money)
        if expr.function is n.AggregateFunction.SUM:
            return runtime.money_sum(items) if money else runtime.num_sum(items)
        if money and expr.function in _MONEY_AGGREGATES:
            return _MONEY_AGGREGATES[expr.function](items)
        return _AGGREGATES[expr.function](items)

    def items(self, expr: n.Aggregate, collection: n.Expr, env: _Env) -> Iterator[Any]:
        for item in self.value(collection, env):
            inner = env.child({expr.variable or "it": item})
            if expr.condition is None or self.value(expr.condition, inner):
                yield self.value(expr.value, inner)

    def binary(self, expr: n.Binary, env: _Env) -> Any:
        if expr.op is n.BinaryOp.AND:
            return self.value(expr.left, env) and self.value(expr.right, env)
        if expr.op is n.BinaryOp.OR:
            return self.value(expr.left, env) or self.value(expr.right, env)
        operation = operations.binary(expr.op, self.type_of(expr.left), self.type_of(expr.right))
        return operation.function(self.value(expr.left, env), self.value(expr.right, env))

    # -- formulas

    def render(self, expr: n.Expr, env: _Env) -> str:
        """The expression with values in place of names; calls opened up; zero terms left out."""
        found = self.type_of(expr)
        arithmetic = isinstance(found, t.Money) or t.is_numeric(found)
        if isinstance(expr, n.Binary) and arithmetic and expr.op in _SHOWN_ARITHMETIC:
            return self.render_binary(expr, env)
        if isinstance(expr, n.Call):
            return self.call(expr, env)[1]
        if isinstance(expr, n.Round):
            places = f", {expr.places} place{'' if expr.places == 1 else 's'}" if expr.places else ""
            return f"round {expr.direction.value}({self.render(expr.value, env)}{places})"
        if isinstance(expr, n.Band):
            quantity = runtime.show(self.value(expr.quantity, env), kind_of(self.type_of(expr.quantity)))
            return f"band of {format_expr(expr.quantity)} at {quantity}"
        if isinstance(expr, n.PercentLiteral | n.NumberLiteral | n.MoneyLiteral):
            return format_expr(expr)
        return runtime.show(self.value(expr, env), kind_of(found))

    def render_binary(self, expr: n.Binary, env: _Env) -> str:
        if expr.op is n.BinaryOp.ADD:
            if _is_zero(self.value(expr.left, env)):
                return self.render(expr.right, env)
            if _is_zero(self.value(expr.right, env)):
                return self.render(expr.left, env)
        symbol = _SHOWN_OPERATORS.get(expr.op, expr.op.value)
        left = self.operand(expr.left, expr.op, env)
        right = self.operand(expr.right, expr.op, env, right=True)
        return f"{left} {symbol} {right}"

    def operand(self, expr: n.Expr, parent: n.BinaryOp, env: _Env, right: bool = False) -> str:
        text = self.render(expr, env)
        inner = _top_operator(expr, text)
        if inner is None:
            return text
        weaker = _PRECEDENCE[inner] < _PRECEDENCE[parent]
        ambiguous = right and _PRECEDENCE[inner] == _PRECEDENCE[parent] and parent is not n.BinaryOp.MULTIPLY
        return f"({text})" if weaker or ambiguous else text


_SHOWN_ARITHMETIC = (n.BinaryOp.ADD, n.BinaryOp.SUBTRACT, n.BinaryOp.MULTIPLY, n.BinaryOp.DIVIDE)
_AGGREGATES: dict[n.AggregateFunction, Callable[[Iterator[Any]], Any]] = {
    n.AggregateFunction.COUNT: runtime.count,
    n.AggregateFunction.DISTINCT: runtime.distinct,
    n.AggregateFunction.MIN: runtime.minimum,
    n.AggregateFunction.MAX: runtime.maximum,
    n.AggregateFunction.ANY: any,
    n.AggregateFunction.ALL: all,
}
_MONEY_AGGREGATES: dict[n.AggregateFunction, Callable[[Iterator[Any]], Any]] = {
    n.AggregateFunction.MIN: runtime.money_minimum,
    n.AggregateFunction.MAX: runtime.money_maximum,
}


def _bind(evaluate: Callable[[n.Expr, _Env], Any], expr: n.Expr, env: _Env) -> Callable[[], Any]:
    return lambda: evaluate(expr, env)


def _is_zero(value: Any) -> bool:
    amount = value.amount if isinstance(value, runtime.Cash) else value
    return isinstance(amount, int | Decimal | Quotient) and amount == 0


def _top_operator(expr: n.Expr, text: str) -> n.BinaryOp | None:
    """The operator a rendered operand shows at its top (None for a single value)."""
    if isinstance(expr, n.Binary) and expr.op in _PRECEDENCE and (" " in text):
        return expr.op
    if isinstance(expr, n.Call) and " " in text:
        return n.BinaryOp.ADD if (" + " in text or " − " in text) else n.BinaryOp.MULTIPLY
    return None


def _leaves(expr: n.Expr) -> Iterator[n.Expr]:
    """The named values a condition reads: names, fields and calls, not literals or variables of loops."""
    match expr:
        case n.Name() | n.FieldAccess() | n.Call():
            yield expr
        case n.Binary(op=op, left=left, right=right):
            for side in (left, right):
                yield from _leaves(side)
                if op in n.COMPARISONS and isinstance(side, n.Binary):
                    yield side
        case n.Unary(operand=operand):
            yield from _leaves(operand)
        case n.IfThenElse(condition=c, then=a, otherwise=b):
            yield from _leaves(c)
            yield from _leaves(a)
            yield from _leaves(b)
        case n.Aggregate() | n.FirstWhere() | n.Given():
            yield expr
        case n.CalendarCount() | n.MonthOf() | n.Extreme() | n.Round() | n.Band():
            yield expr


def render_text(explanation: Explanation) -> str:
    """The explanation as an account manager would read it to a customer."""
    decision = explanation.decision
    lines = [f"{decision.action}: {decision.outcome.value}"]
    lines.append("")
    lines.append("Rules considered, in order:")
    for r in explanation.rules:
        clauses = ", ".join(c.text for c in r.rule.clauses)
        mark = "applied" if r.applied else "did not apply"
        where = f"{r.rule.span.source.path}:{r.rule.span.line}"
        lines.append(f"  {r.rule.kind.value} {r.rule.name} ({clauses}) {mark}   [{where}]")
        if r.condition is not None:
            because = f"'{r.failed}' is false" if r.failed else f"'{r.condition}' holds"
            lines.append(f"      because {because}")
        if r.values:
            lines.append("      with " + ", ".join(f"{name} = {value}" for name, value in r.values))
    if decision.term is not None:
        lines += ["", f"Term: {decision.term}"]
    if explanation.amounts:
        lines += ["", "Charges:"]
        for a in explanation.amounts:
            on = f" on {a.contract}" if a.contract else ""
            lines.append(f"  {a.code}{on}: {a.formula} = {a.amount}, {a.clause}")
        if decision.total is not None:
            lines.append(f"  total: {decision.total}")
    for path, value in decision.fields:
        lines.append(f"{path.replace('.', ' ').replace('_', ' ')}: {runtime.show(value, _field_kind(value))}")
    if decision.reasons:
        lines += ["", "In the policy's words:"]
        lines += [f"  {reason.clause} {reason.message}" for reason in decision.reasons]
    return "\n".join(lines)


def _field_kind(value: Any) -> str:
    return "bool" if isinstance(value, bool) else "value"


__all__ = ["AmountExplanation", "Explanation", "RuleExplanation", "explain", "render_text"]
