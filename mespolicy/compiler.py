"""Checked policy to Python: each action and definition becomes a function, compiled once per policy.

As Jinja compiles templates, the generated source is built only from the checked
tree: every identifier is made here from a name the checker resolved (`[a-z_0-9]`
with a prefix), every literal is emitted with `repr` or, when it is a value worked
out here (a folded constant), bound by name in the module's namespace, and rule
text is never evaluated. The source is kept on the result, so it can be read when in doubt.
"""

from __future__ import annotations

import builtins
import datetime
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

import attrs

from mespolicy import nodes as n
from mespolicy import operations, runtime
from mespolicy import types as t
from mespolicy.checked import (
    CheckedDefinition,
    CheckedParameter,
    CheckedPolicy,
    DefinitionRef,
    EnumValue,
    FactRef,
    Local,
    ParameterRef,
)
from mespolicy.errors import Diagnostic, EvaluationError, PolicyCheckError, collect
from mespolicy.identity import identity_of
from mespolicy.model.decision import Decision, Outcome, TraceStep, built_decision, built_reason
from mespolicy.source import Span

ActionFunction = Callable[[Any], Decision]


@attrs.frozen
class CompiledPolicy:
    """The generated source and, per action, the function that decides it."""

    source: str
    actions: Mapping[str, ActionFunction]


def compile_policy(checked: CheckedPolicy) -> CompiledPolicy:
    """The policy's actions as Python functions, generated and compiled once.

    A constant that cannot be computed is a located error (C219); so is code that Python cannot
    compile (brackets, blocks or indentation nested past its own limits, its compiler out of
    stack): L104 at the expression, never a SyntaxError or RecursionError.
    """
    generator = _Generator(checked)
    source = generator.module()
    if generator.diagnostics:
        raise PolicyCheckError(collect(generator.diagnostics), total=len(generator.diagnostics))
    # The module at once; only if that fails, each top-level function alone, to find the one at fault.
    for text, span in [(source, None), *generator.chunks]:
        try:
            code = compile(text, "<mespolicy compiled policy>", "exec")
        except (SyntaxError, RecursionError, MemoryError) as error:
            line = error.lineno if isinstance(error, SyntaxError) and span is None else None
            where = generator.span_at(line) if line else span
            if where is not None:
                raise _too_deep(error, where) from None
            continue
        if span is None:
            break
    else:  # pragma: no cover - a module that does not compile has a function that does not
        raise AssertionError("the generated module does not compile, but each of its functions does")
    namespace = _namespace(checked)
    namespace.update(generator.values)
    exec(code, namespace)  # noqa: S102 - source generated from the checked tree, see module docstring
    actions = {name: namespace[_action_name(name)] for name in checked.actions}
    return CompiledPolicy(source, actions)


def _too_deep(error: BaseException, span: Span) -> PolicyCheckError:
    reason = error.msg if isinstance(error, SyntaxError) else "its compiler ran out of stack"
    return PolicyCheckError(
        [
            Diagnostic(
                "L104",
                f"this nests too deeply to be compiled (Python: {reason})",
                span,
                "split it with 'let' or a definition, or nest fewer loops",
            )
        ]
    )


# The only builtins generated code may call.
_BUILTINS = (
    "len",
    "any",
    "all",
    "bool",
    "set",
    "str",
    "tuple",
    "range",
    "ValueError",
    "ArithmeticError",
    "Exception",
)


def _namespace(checked: CheckedPolicy) -> dict[str, Any]:
    namespace: dict[str, Any] = {
        "__builtins__": {name: getattr(builtins, name) for name in _BUILTINS},
        "rt": runtime,
        "UNSET": runtime.UNSET,
        "Decimal": Decimal,
        "date": date,
        "datetime": datetime,
        "Cash": runtime.Cash,
        "Decision": built_decision,
        "IDENTITY": identity_of(checked.header, checked.files),
        "Reason": built_reason,
        "Term": runtime.term_of,
        "APPROVED": Outcome.APPROVED,
        "REJECTED": Outcome.REJECTED,
    }
    for name, action in checked.actions.items():
        rules = action.rules
        namespace[f"S_{name}"] = steps = tuple((step(rule, False), step(rule, True)) for rule in rules)
        # the trace of the rejects passed: a reject that applies ends it (`PASSED_x[:k] + ...`)
        namespace[f"PASSED_{name}"] = tuple(
            steps[index][0] for index, rule in enumerate(rules) if rule.kind is n.RuleKind.REJECT
        )
    for name, parameter in checked.parameters.items():
        namespace[_parameter_name(name)] = _parameter_lookup(parameter)
    return namespace


def _parameter_lookup(parameter: CheckedParameter) -> Any:
    """A parameter's value (one value), or the function giving the value in force on a day."""
    if len(parameter.values) == 1 and parameter.values[0][0] is None:
        return literal_value(parameter.values[0][1], parameter.type)

    def in_force(day: date) -> Any:
        literal = parameter.value_on(day)
        if literal is None:
            raise EvaluationError(f"parameter '{parameter.node.name}' has no value yet on {day}", code="R307")
        return literal_value(literal, parameter.type)

    return in_force


def literal_value(literal: n.Literal, kind: t.Type | None = None) -> Any:
    """The runtime value of a literal (money literals as Cash, percentages as fractions of one)."""
    match literal:
        case n.NumberLiteral(value=value) if isinstance(kind, t.Money):
            return runtime.Cash(value, None)
        case n.NumberLiteral(value=value):
            return int(value) if value == value.to_integral_value() and "." not in str(value) else value
        case n.PercentLiteral(value=value):
            return value / 100
        case n.DurationLiteral(amount=amount):
            return amount
        case n.MoneyLiteral(amount=amount, currency=currency):
            return runtime.Cash(amount, currency)
        case n.DateLiteral(value=value) | n.BoolLiteral(value=value):
            return value
        case n.TextLiteral(parts=parts):
            return "".join(p for p in parts if isinstance(p, str))
    raise AssertionError(literal)


def step(rule: n.Rule, applied: bool) -> TraceStep:
    """The trace step of a rule that did or did not apply."""
    return TraceStep(
        rule=rule.name,
        kind=rule.kind.value,
        applied=applied,
        clauses=tuple(c.text for c in rule.clauses),
        location=f"{rule.span.source.path}:{rule.span.line}",
    )


def _action_name(name: str) -> str:
    return f"action_{name}"


def _parameter_name(name: str) -> str:
    return f"P_{name}"


def kind_of(found: t.Type) -> str:
    """The name `runtime.show` and decision fields use for a value's type."""
    if isinstance(found, t.Money):
        return "money"
    if isinstance(found, t.EnumType):
        return "enum"
    return str(found)


class _Generator:
    """Writes the Python module for one checked policy."""

    def __init__(self, checked: CheckedPolicy) -> None:
        self.checked = checked
        self.lines: list[str] = []
        self.depth = 0
        self.counter = 0
        self.constants: list[str] = []
        self.scope: dict[str, str] = {}
        self.action_lets: dict[str, tuple[int, n.Let]] = {}
        self.let_function_chunks: list[tuple[list[str], list[Span | None]]] = []
        self.action_name = ""
        # constants are bound in the module's namespace, never written back as Python text
        self.values: dict[str, object] = {}
        self.diagnostics: list[Diagnostic] = []
        # the span each generated line comes from, and each top-level function's span
        self.span: Span | None = None
        self.spans: list[Span | None] = []
        self.module_spans: list[Span | None] = []
        self.chunks: list[tuple[str, Span | None]] = []
        # for-blocks open in the function being written (Python allows 20)
        self.blocks = 0
        self.loop_functions = 0
        self.constant_cache: dict[int, bool] = {}

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)
        self.spans.append(self.span)

    @contextmanager
    def at(self, span: Span) -> Iterator[None]:
        saved, self.span = self.span, span
        try:
            yield
        finally:
            self.span = saved

    def fail(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, span, hint))

    def span_at(self, line: int) -> Span | None:
        """The rule-file span of a line (1-based) of the generated module."""
        if 1 <= line <= len(self.module_spans):
            return self.module_spans[line - 1]
        return None

    @contextmanager
    def block(self, header: str) -> Iterator[None]:
        self.emit(header)
        self.depth += 1
        saved = dict(self.scope)
        try:
            yield
        finally:
            self.depth -= 1
            self.scope = saved

    def fresh(self, name: str) -> str:
        self.counter += 1
        return f"v_{name}_{self.counter}"

    def constant(self, value: object) -> str:
        """A name bound to `value` in the module's namespace (the source shows it as a comment)."""
        name = f"K{len(self.values)}"
        self.values[name] = value
        self.constants.append(f"# {name} = {_shown(value)}")
        return name

    def value_code(self, value: object) -> str:
        """Python for a computed value: small whole numbers and booleans inline, anything else a constant."""
        if isinstance(value, bool) or (isinstance(value, int) and -_INLINE_INT < value < _INLINE_INT):
            return repr(value)
        return self.constant(value)

    # -- module

    def module(self) -> str:
        body: list[tuple[list[str], list[Span | None]]] = []
        for name, definition in self.checked.definitions.items():
            with self.at(definition.node.span):
                body.append(self.capture(partial(self.definition, name, definition)))
        for name, action in self.checked.actions.items():
            with self.at(action.span):
                body.append(self.capture(partial(self.action, name, action)))
        header = ["# Generated by mespolicy from the checked rule files; not edited by hand.", ""]
        lines: list[str] = [*header, *self.constants, ""]
        spans: list[Span | None] = [None] * len(lines)
        for chunk, chunk_spans in [*self.let_function_chunks, *body]:
            lines.extend(chunk)
            spans.extend(chunk_spans)
            first = next((s for s in chunk_spans if s is not None), None)
            self.chunks.append(("\n".join(chunk), first))
        self.module_spans = spans
        return "\n".join([*lines, ""])

    def capture(self, write: Callable[[], None]) -> tuple[list[str], list[Span | None]]:
        saved = self.lines, self.spans, self.blocks
        self.lines, self.spans, self.blocks = [], [], 0
        write()
        captured = ([*self.lines, ""], [*self.spans, self.span])
        self.lines, self.spans, self.blocks = saved
        return captured

    def definition(self, name: str, definition: CheckedDefinition) -> None:
        params = ["req"]
        self.scope = {}
        for param, _ in definition.params:
            self.scope[param] = self.fresh(param)
            params.append(self.scope[param])
        with self.block(f"def d_{name}({', '.join(params)}):"):
            for let in definition.node.lets:
                self.let_statement(let)
            self.emit(f"return {self.expr(definition.node.result)}")

    # -- actions

    def action(self, name: str, action: n.Action) -> None:
        self.scope = {}
        self.action_lets = {}
        self.action_name = name
        for item in action.body:
            if isinstance(item, n.Let):
                index = len(self.action_lets)
                self.action_lets[item.name] = (index, item)
                with self.at(item.span):
                    self.let_function(name, index, item)
        rules = list(enumerate(action.rules))
        with self.block(f"def {_action_name(name)}(req):"):
            self.emit(f"rt.meter({self.checked.limits.work_per_decision!r})")
            self.emit("loc = -1")
            self.blocks += 1
            with self.block("try:"):
                self.action_rules(name, rules)
            with self.block("except rt.RequestError:"):
                self.emit("raise")
            with self.block("except rt.EvaluationError as error:"):
                self.emit("error.rule_index = loc")
                self.emit("raise")
            # a value out of range (a date past year 9999, a term ending before it starts); anything
            # else is mespolicy's own error, still located at the rule (R312)
            with self.block("except Exception as error:"):
                self.emit("raise rt.failed(error, loc) from error")

    def action_rules(self, name: str, rules: list[tuple[int, n.Rule]]) -> None:
        # Trace steps are constants (policy.py builds them, `S_<action>[rule][applied]`):
        # the trace of each way out is a tuple of them, known here but for the approvals.
        # A reject that applies ends the trace with the rejects passed before it (one slice of
        # PASSED_<action>, built once), so the module grows linearly with the rules.
        steps = f"S_{name}"
        self.emit(f"L = [UNSET] * {len(self.action_lets)}")
        passed = 0
        for index, rule in rules:
            if rule.kind is n.RuleKind.REJECT:
                with self.at(rule.span):
                    self.reject(name, index, rule, passed)
                passed += 1
        approvals = [(i, r) for i, r in rules if r.kind is n.RuleKind.APPROVE]
        for index, rule in approvals:
            with self.at(rule.span):
                self.emit(f"loc = {index}")
                # every bool-typed expression already yields a Python bool (c1 + c2 counts them)
                condition = self.condition(index, rule)
                self.emit(f"c{index} = {condition}")
        self.emit("loc = -1")
        applied = "".join(f"{steps}[{i}][c{i}], " for i, _ in approvals)
        prefix = f"PASSED_{name}" if passed else ""
        if prefix and applied:
            self.emit(f"trace = {prefix} + ({applied})")
        else:
            self.emit(f"trace = {prefix or '(' + applied + ')'}")
        if approvals:
            flags = [f"c{i}" for i, _ in approvals]
            # a long sum nests as deep as it is long in Python's syntax tree; a tuple does not
            total = " + ".join(flags) if len(flags) <= 16 else f"({', '.join(flags)},).count(True)"
            names = ", ".join(f"({r.name!r}, c{i})" for i, r in approvals)
            self.emit(f"if {total} > 1: rt.conflict({name!r}, ({names},))")
        # an approval of an action that can charge always has a total: zero when nothing is charged
        currency = ", currency=rt.total_currency(req)" if can_charge(self.checked.actions[name]) else ""
        for index, rule in approvals:
            with self.at(rule.span), self.block(f"if c{index}:"):
                self.emit(f"loc = {index}")
                self.emit("reasons = []; charges = []; fields = []; term = None")
                self.body(rule, rule.body)
                self.emit(
                    f"return Decision({name!r}, APPROVED, tuple(reasons), term,"
                    " rt.charges_of(charges, term, req), tuple(fields), trace,"
                    f" ref=req.ref, policy=IDENTITY{currency})"
                )
        self.emit(f"rt.no_rule_applies({name!r}, req.date)")

    def let_function(self, action: str, index: int, let: n.Let) -> None:
        saved_depth, saved_scope = self.depth, self.scope
        self.depth, self.scope = 0, {}

        def write() -> None:
            with self.block(f"def let_{action}_{index}(L, req):"):
                self.emit(f"value = L[{index}] = {self.expr(let.value)}")
                self.emit("return value")

        self.let_function_chunks.append(self.capture(write))
        self.depth, self.scope = saved_depth, saved_scope

    def reject(self, name: str, index: int, rule: n.Rule, passed: int) -> None:
        self.emit(f"loc = {index}")
        condition = self.condition(index, rule)
        with self.block(f"if {condition}:"):
            self.emit("reasons = []")
            self.body(rule, rule.body)
            before = f"PASSED_{name}[:{passed}] + " if passed else ""
            trace = f"{before}(S_{name}[{index}][1],)"
            self.emit(
                f"return Decision({name!r}, REJECTED, tuple(reasons), None, (), (), {trace},"
                " ref=req.ref, policy=IDENTITY)"
            )

    def body(self, rule: n.Rule, statements: tuple[n.Statement, ...]) -> None:
        for statement in statements:
            with self.at(statement.span):
                self.statement(rule, statement)

    def statement(self, rule: n.Rule, statement: n.Statement) -> None:
        default_clause = rule.clauses[0].text if rule.clauses else ""
        match statement:
            case n.Let():
                self.let_statement(statement)
            case n.Reason(clause=clause, message=message):
                text = clause.text if clause else default_clause
                self.emit(f"reasons.append(Reason({text!r}, {self.expr(message)}))")
            case n.Term(start=start, end=end):
                self.emit(f"term = Term({self.expr(start)}, {self.expr(end)})")
            case n.Charge():
                self.charge(statement, default_clause)
            case n.Set(path=path, value=value):
                kind = kind_of(self.checked.type_of(value))
                code = self.expr(value)
                if kind == "money":
                    code = f"rt.field_money({code}, req)"
                elif kind in ("number", "rate"):
                    code = f"rt.field_number({code})"
                self.emit(f"fields.append(({'.'.join(path)!r}, {code}))")
            case n.ForEach(variable=variable, collection=collection, condition=condition):
                collection_code = f"rt.spent({self.expr(collection)})"
                if self.blocks >= _LOOP_BLOCKS:
                    self.loop_function(rule, statement, collection_code)
                    return
                self.blocks += 1
                with self.block(f"for {self.bind(variable)} in {collection_code}:"):
                    if condition is not None:
                        self.emit(f"if not ({self.expr(condition)}): continue")
                    self.body(rule, statement.body)
                    if condition is None and not statement.body:
                        self.emit("pass")  # `for x in xs {}` still reads the list, as the rules say
                self.blocks -= 1

    def loop_function(self, rule: n.Rule, loop: n.ForEach, collection_code: str) -> None:
        """A loop nested deeper than Python's 20 blocks allow: its body as a closure, called per item."""
        self.loop_functions += 1
        function = f"loop_{self.loop_functions}"
        saved_blocks, self.blocks = self.blocks, 0
        with self.block(f"def {function}({self.bind(loop.variable)}):"):
            self.emit("nonlocal term")
            if loop.condition is not None:
                self.emit(f"if not ({self.expr(loop.condition)}): return")
            self.body(rule, loop.body)
        self.blocks = saved_blocks
        item = self.fresh("item")
        with self.block(f"for {item} in {collection_code}:"):
            self.emit(f"{function}({item})")

    def charge(self, charge: n.Charge, default_clause: str) -> None:
        clause = charge.clause.text if charge.clause else default_clause
        start = self.expr(charge.start) if charge.start is not None else "None"
        end = self.expr(charge.end) if charge.end is not None else "None"
        contract = self.expr(charge.contract) if charge.contract is not None else self.charged_contract()
        amount = self.expr(charge.amount)
        self.emit(f"charges.append(({charge.code!r}, {clause!r}, {amount}, {start}, {end}, {contract}))")

    def charged_contract(self) -> str:
        """A charge without `on` is on the request's contract, if the policy's request has one."""
        return "req.contract" if self.checked.has_request_contract() else "None"

    def let_statement(self, let: n.Let) -> None:
        if isinstance(let.value, n.FirstWhere):
            self.first_where_loop(let.name, let.value)
            return
        value = self.expr(let.value)
        self.emit(f"{self.bind(let.name)} = {value}")

    def first_where_loop(self, name: str, search: n.FirstWhere) -> None:
        """`let k = first n from s where c` as a plain loop: no function call per number tried."""
        start = self.fresh("start")
        self.emit(f"{start} = {self.expr(search.start)}")
        saved = dict(self.scope)
        counter = self.bind(search.variable)
        condition = self.expr(search.condition)
        self.scope = saved
        span = self.checked.limits.search_span
        with self.block(f"for {counter} in range({start}, {start} + {span}):"):
            self.emit(f"if {condition}: break")
        with self.block("else:"):
            self.emit(f"rt.nothing_found({start}, {span})")
        self.emit(f"rt.spend({counter} - {start} + 1)")
        self.emit(f"{self.bind(name)} = {counter}")

    def bind(self, name: str) -> str:
        self.scope[name] = self.fresh(name)
        return self.scope[name]

    # -- expressions

    def expr(self, node: n.Expr) -> str:
        return self.expressions().expr(node)

    def expressions(self) -> _Expressions:
        """The expression emitter; the explaining variant (`compiler_explain`) wraps sub-expressions."""
        return _Expressions(self)

    def condition(self, index: int, rule: n.Rule) -> str:
        """A rule's condition as Python (the explaining variant also notes where it starts)."""
        return "True" if rule.condition is None else self.expr(rule.condition)

    def local(self, name: str) -> str:
        if name in self.scope:
            return self.scope[name]
        index, _ = self.action_lets[name]
        return f"(L[{index}] if L[{index}] is not UNSET else let_{self.action_name}_{index}(L, req))"


def _constant(checked: CheckedPolicy, node: n.Expr, cache: dict[int, bool]) -> bool:
    found = cache.get(id(node))
    if found is None:
        found = cache[id(node)] = _is_constant(checked, node, cache)
    return found


def _is_constant(checked: CheckedPolicy, node: n.Expr, cache: dict[int, bool]) -> bool:
    match node:
        case n.NumberLiteral() | n.PercentLiteral() | n.DurationLiteral() | n.MoneyLiteral():
            return True
        case n.Name():
            binding = checked.binding_of(node)
            if not isinstance(binding, ParameterRef):
                return False
            values = checked.parameters[binding.name].values
            return len(values) == 1 and values[0][0] is None
        case n.Unary(op=n.UnaryOp.NEGATE, operand=operand):
            return _constant(checked, operand, cache)
        case n.Binary(op=op, left=left, right=right):
            arithmetic = op in (n.BinaryOp.ADD, n.BinaryOp.SUBTRACT, n.BinaryOp.MULTIPLY, n.BinaryOp.DIVIDE)
            return arithmetic and _constant(checked, left, cache) and _constant(checked, right, cache)
    return False


def _evaluate_constant(checked: CheckedPolicy, node: n.Expr) -> Any:
    """The value of a constant expression, by the same operations the generated code would call."""
    match node:
        case n.Name():
            binding = checked.binding_of(node)
            assert isinstance(binding, ParameterRef)
            parameter = checked.parameters[binding.name]
            return literal_value(parameter.values[0][1], parameter.type)
        case n.Unary(op=op, operand=operand):
            operation = operations.unary(op, checked.type_of(operand))
            value = _evaluate_constant(checked, operand)
            return -value if operation.symbol else getattr(runtime, operation.helper or "")(value)
        case n.Binary(op=op, left=left, right=right):
            operation = operations.binary(op, checked.type_of(left), checked.type_of(right))
            return operation.function(_evaluate_constant(checked, left), _evaluate_constant(checked, right))
    return literal_value(node)  # type: ignore[arg-type]


# Whole numbers written into the generated source as they are; larger ones are constants.
_INLINE_INT = 10**18
# For-blocks a generated function opens before a deeper `for` becomes a closure (Python allows 20).
_LOOP_BLOCKS = 15


def _shown(value: object) -> str:
    """A constant as the generated source's comment shows it (never the value's Python text)."""
    try:
        text = repr(value)
    except ValueError:  # an int too long for its decimal string
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 80 else text[:77] + "..."


# Values whose message form is their str(): no need to go through runtime.show.
_SHOWN_BY_STR = frozenset({"date", "integer", "text", "enum"})
_AGGREGATE_CALLS = {
    n.AggregateFunction.MIN: "rt.minimum",
    n.AggregateFunction.MAX: "rt.maximum",
    n.AggregateFunction.ANY: "any",
    n.AggregateFunction.ALL: "all",
}
_MONEY_AGGREGATE_CALLS = {
    n.AggregateFunction.MIN: "rt.money_minimum",
    n.AggregateFunction.MAX: "rt.money_maximum",
}


class _Expressions:
    """Python expressions for rule-language expressions, chosen by the checked types of the operands."""

    def __init__(self, generator: _Generator) -> None:
        self.g = generator
        self.type_of = generator.checked.type_of

    def expr(self, node: n.Expr) -> str:
        folded = self.folded(node)
        if folded is not None:
            return folded
        match node:
            case n.NumberLiteral() | n.PercentLiteral() | n.DurationLiteral() | n.BoolLiteral():
                return self.g.value_code(literal_value(node))
            case n.MoneyLiteral() | n.DateLiteral():
                return self.g.constant(literal_value(node))
            case n.TextLiteral(parts=parts):
                return self.text(parts)
            case n.Name():
                return self.name(node)
            case n.FieldAccess():
                return self.field(node)
            case n.Call(function=function, arguments=arguments):
                return f"d_{function}(req{''.join(', ' + self.expr(a) for a in arguments)})"
            case n.Aggregate():
                return self.aggregate(node)
            case n.Given(name=name):
                return f"(req.{name} is not None)"
            case n.Unary(op=op, operand=operand):
                return self.unary(op, operand)
            case n.Binary():
                return self.binary(node)
            case n.IfThenElse(condition=condition, then=then, otherwise=otherwise):
                return f"({self.expr(then)} if {self.expr(condition)} else {self.expr(otherwise)})"
            case n.FirstWhere(variable=variable, start=start, condition=condition):
                start_code = self.expr(start)
                saved = dict(self.g.scope)
                bound = self.g.bind(variable)
                holds = self.expr(condition)
                self.g.scope = saved
                span = self.g.checked.limits.search_span
                return f"rt.first_where({start_code}, lambda {bound}: {holds}, {span})"
            case n.CalendarCount() | n.MonthOf() | n.Extreme() | n.Round():
                return self.construct(node)
            case n.Band():
                return self.band(node)
        raise AssertionError(f"no code for {type(node).__name__}")

    def construct(self, node: n.CalendarCount | n.MonthOf | n.Extreme | n.Round) -> str:
        match node:
            case n.CalendarCount(unit=unit, start=start, end=end, rounding=rounding):
                step = 12 if unit is n.CalendarUnit.YEARS else 1
                up = rounding is n.Rounding.UP
                whole_after = self.expr(rounding.days) if isinstance(rounding, n.WholeAfter) else "None"
                return f"rt.calendar_count({self.expr(start)}, {self.expr(end)}, {step}, {up}, {whole_after})"
            case n.MonthOf(part=part, date=day):
                return f"rt.{operations.MONTH_PARTS[part]}({self.expr(day)})"
            case n.Extreme(function=function, values=values):
                items = "".join(f"{self.expr(value)}, " for value in values)
                return f"rt.{operations.extreme(function, self.type_of(node))}(({items}))"
            case n.Round(direction=direction, value=value, places=places):
                helper = operations.rounding(self.type_of(node))
                return f"rt.{helper}({self.expr(value)}, {places}, {direction is n.Rounding.UP})"
        raise AssertionError(node)

    def band(self, node: n.Band) -> str:
        """`rt.band(quantity, thresholds, under, values, kind)`, each value a lambda: only the one chosen
        is computed, as only one branch of an `if` is."""
        thresholds = "".join(f"{self.expr(step.threshold)}, " for step in node.steps)
        under = "".join(f"{step.bound is n.Bound.UNDER}, " for step in node.steps)
        values = [step.value for step in node.steps] + ([node.beyond] if node.beyond is not None else [])
        thunks = "".join(f"lambda: {self.expr(value)}, " for value in values)
        kind = kind_of(self.type_of(node.quantity))
        return f"rt.band({self.expr(node.quantity)}, ({thresholds}), ({under}), ({thunks}), {kind!r})"

    def folded(self, node: n.Expr) -> str | None:
        """Arithmetic on literals and one-value parameters, worked out once here (Jinja folds constants).

        A constant that cannot be computed (a division by zero, a date past year 9999, an amount
        too large to keep exact) is an error at its expression, C219.
        """
        if not isinstance(node, n.Binary | n.Unary):
            return None
        if not _constant(self.g.checked, node, self.g.constant_cache):
            return None
        try:
            value = _evaluate_constant(self.g.checked, node)
        except EvaluationError as error:
            self.g.fail("C219", f"this constant cannot be computed: {error.args[0]}", node.span)
            return "None"
        except (ValueError, ArithmeticError) as error:
            self.g.fail("C219", f"this constant cannot be computed: {runtime.describe(error)}", node.span)
            return "None"
        return self.g.value_code(value)

    def text(self, parts: tuple[str | n.Name | n.FieldAccess, ...]) -> str:
        # text known here (the words, a one-value parameter) is joined here: one literal between values
        pieces: list[str] = []
        known: list[str] = []
        for part in parts:
            if isinstance(part, str):
                known.append(part)
                continue
            shown = self.constant_text(part)
            if shown is not None:
                known.append(shown)
                continue
            if known:
                pieces.append(repr("".join(known)))
                known = []
            if kind_of(self.type_of(part)) in _SHOWN_BY_STR:
                pieces.append(f"str({self.expr(part)})")
            else:
                pieces.append(f"rt.show({self.expr(part)}, {kind_of(self.type_of(part))!r})")
        if known:
            pieces.append(repr("".join(known)))
        if len(pieces) == 1 and not pieces[0].startswith(("str(", "rt.")):
            return pieces[0]
        return "''.join((" + "".join(p + ", " for p in pieces) + "))"

    def constant_text(self, part: n.Name | n.FieldAccess) -> str | None:
        """How a parameter with one value shows in a message, worked out once here."""
        if not isinstance(part, n.Name):
            return None
        binding = self.g.checked.binding_of(part)
        if not isinstance(binding, ParameterRef):
            return None
        parameter = self.g.checked.parameters[binding.name]
        if len(parameter.values) != 1 or parameter.values[0][0] is not None:
            return None
        value = literal_value(parameter.values[0][1], parameter.type)
        return runtime.show(value, kind_of(parameter.type))

    def name(self, node: n.Name) -> str:
        binding = self.g.checked.binding_of(node)
        match binding:
            case Local(name=name):
                return self.g.local(name)
            case ParameterRef(name=name):
                parameter = self.g.checked.parameters[name]
                dated = len(parameter.values) > 1 or parameter.values[0][0] is not None
                return f"{_parameter_name(name)}(req.date)" if dated else _parameter_name(name)
            case DefinitionRef(name=name):
                return f"d_{name}(req)"
            case FactRef(name=name):
                if self.g.checked.facts[name].optional:
                    return f"(req.{name} if req.{name} is not None else rt.missing({name!r}))"
                return f"req.{name}"
            case EnumValue(member=member):
                return repr(member)
        raise AssertionError(binding)

    def field(self, node: n.FieldAccess) -> str:
        found = self.type_of(node)
        subject = node.subject
        if isinstance(subject, n.Name) and isinstance(self.g.checked.bindings.get(id(subject)), EnumValue):
            return repr(node.field)
        code = f"{self.expr(subject)}.{node.field}"
        if isinstance(found, t.EnumType):
            return f"rt.enum_name({code})"
        return code

    def aggregate(self, node: n.Aggregate) -> str:
        # Over a comprehension the items are a generator in the call's own parentheses, so an
        # aggregate nests one bracket deep, as any other call (and `any`/`all` stop early).
        saved = dict(self.g.scope)
        if node.collection is None:
            items = self.expr(node.value)
            value_type = self.type_of(node.value)
            element = value_type.element if isinstance(value_type, t.ListOf) else value_type
            if node.function is n.AggregateFunction.COUNT:
                return f"len({items})"
        else:
            collection = f"rt.spent({self.expr(node.collection)})"
            bound = self.g.bind(node.variable or "it")
            value = self.expr(node.value)
            condition = f" if {self.expr(node.condition)}" if node.condition is not None else ""
            items = f"{value} for {bound} in {collection}{condition}"
            element = self.type_of(node.value)
        self.g.scope = saved
        function = node.function
        if function is n.AggregateFunction.COUNT:
            return f"rt.count({items})"
        if function is n.AggregateFunction.DISTINCT:
            return f"rt.distinct({items})"
        if function is n.AggregateFunction.SUM:
            if isinstance(element, t.Money):
                return f"rt.money_sum({items})"
            return f"rt.num_sum({items})"
        if isinstance(element, t.Money):
            return f"{_MONEY_AGGREGATE_CALLS[function]}({items})"
        return f"{_AGGREGATE_CALLS[function]}({items})"

    def unary(self, op: n.UnaryOp, operand: n.Expr) -> str:
        code = self.expr(operand)
        operation = operations.unary(op, self.type_of(operand))
        if operation.symbol is not None:
            return f"({operation.symbol} {code})"
        return f"rt.{operation.helper}({code})"

    def binary(self, node: n.Binary) -> str:
        if node.op in (n.BinaryOp.AND, n.BinaryOp.OR):
            return self.chain(node)
        left, right = self.expr(node.left), self.expr(node.right)
        operation = operations.binary(node.op, self.type_of(node.left), self.type_of(node.right))
        if operation.symbol is not None:
            return f"({left} {operation.symbol} {right})"
        return f"rt.{operation.helper}({left}, {right})"

    def chain(self, node: n.Binary) -> str:
        """`a and b and c` flat, in one pair of parentheses, however long the chain (it short-circuits
        as the rule language does); a chain of the other operator inside is one operand."""
        operands = n.chain(node, node.op)
        return "(" + f" {node.op.value} ".join(self.expr(operand) for operand in operands) + ")"


def can_charge(action: n.Action) -> bool:
    """Whether some rule of the action has a charge statement (inside a `for` too)."""
    pending: list[n.Statement] = [s for rule in action.rules for s in rule.body]
    while pending:
        statement = pending.pop()
        if isinstance(statement, n.Charge):
            return True
        if isinstance(statement, n.ForEach):
            pending.extend(statement.body)
    return False
