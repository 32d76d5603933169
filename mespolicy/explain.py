"""Why a decision came out as it did, told from what the deciding code computed.

The explaining variant of the compiled policy (`compiler_explain`) decides and notes
each value it reads; this module only arranges and words those notes: the outcome and
its reasons in the policy's words first, then each amount with its formula
(factors of one left out, zero terms dropped), then each rule's condition in plain
words with its values. It evaluates nothing, so an explanation cannot disagree with
the decision it explains.
"""

from __future__ import annotations

import enum
import re
import textwrap
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

import attrs

from mespolicy import nodes as n
from mespolicy import runtime
from mespolicy import types as t
from mespolicy.checked import CheckedPolicy, DefinitionRef
from mespolicy.compiler import kind_of
from mespolicy.compiler_explain import ExplainingPolicy, Recording
from mespolicy.exact import Quotient
from mespolicy.formatter import format_expr
from mespolicy.model.decision import Decision, TraceStep
from mespolicy.wording import Wording

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
_SHOWN_ARITHMETIC = (n.BinaryOp.ADD, n.BinaryOp.SUBTRACT, n.BinaryOp.MULTIPLY, n.BinaryOp.DIVIDE)

Frame = Mapping[int, Any]


class Level(enum.Enum):
    """How much `render_text` tells: the reasons, also the amounts, or also every condition."""

    REASONS = "reasons"
    AMOUNTS = "amounts"
    FULL = "full"


@attrs.frozen
class RuleExplanation:
    """One rule the decision went through: did it apply, and what its condition saw.

    `condition` and `failed` are rule text (the JSON trace keeps them as written); `words`
    says in plain words, with values, what held (or, for a rule that did not apply, what
    held instead). `holds` is the condition's value as the code computed it.
    """

    rule: n.Rule
    applied: bool
    condition: str | None
    values: tuple[tuple[str, str], ...]
    failed: str | None
    holds: bool | None = None
    words: str | None = None


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
        steps.extend(_amount_step(a) for a in self.amounts)
        return tuple(steps)


def explain(
    checked: CheckedPolicy, decision: Decision, recording: Recording, explaining: ExplainingPolicy
) -> Explanation:
    """The explanation of `decision`, made by the explaining code that also recorded `recording`."""
    action = checked.actions[decision.action]
    index = {rule.name: i for i, rule in enumerate(action.rules)}
    notes = _Notes(checked, explaining)
    rules = tuple(
        notes.rule(action.rules[index[step.rule]], step.applied, recording.rules.get(index[step.rule], {}))
        for step in decision.trace
        if step.rule in index
    )
    charges = {explaining.key(c.amount): c for c in _charges(action)}
    amounts = tuple(
        notes.amount(charges[key], frame, charged)
        for (key, frame), charged in zip(recording.charges, decision.charges, strict=False)
    )
    return Explanation(decision, rules, amounts)


def _charges(action: n.Action) -> Iterator[n.Charge]:
    pending: list[n.Statement] = [s for rule in action.rules for s in rule.body]
    while pending:
        statement = pending.pop()
        if isinstance(statement, n.Charge):
            yield statement
        elif isinstance(statement, n.ForEach):
            pending.extend(statement.body)


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


def _amount_step(a: AmountExplanation) -> TraceStep:
    return TraceStep(
        rule=a.code,
        kind="charge",
        applied=True,
        clauses=(a.clause,),
        location=a.location,
        detail=(("formula", a.formula), ("amount", a.amount), ("contract", a.contract or "")),
    )


class _Notes:
    """Reads the values a frame holds for the nodes of the checked tree, and words them."""

    def __init__(self, checked: CheckedPolicy, explaining: ExplainingPolicy) -> None:
        self.checked = checked
        self.explaining = explaining

    def get(self, frame: Frame, node: n.Expr) -> tuple[bool, Any]:
        key = self.explaining.key(node)
        if key is None or key not in frame:
            return False, None
        return True, frame[key]

    def shown(self, frame: Frame) -> Callable[[n.Expr], str | None]:
        def show(node: n.Expr) -> str | None:
            found, value = self.get(frame, node)
            return self.show(node, value) if found else None

        return show

    def show(self, node: n.Expr, value: Any) -> str:
        return _shown(value, self.checked.type_of(node))

    # -- rules

    def rule(self, rule: n.Rule, applied: bool, frame: Frame) -> RuleExplanation:
        condition = rule.condition
        if condition is None:
            return RuleExplanation(rule, applied, None, (), None, True)
        found, value = self.get(frame, condition)
        holds = bool(value) if found else applied
        wording = Wording(self.checked, self.shown(frame))
        failed: n.Expr | None = None
        if not applied:
            failed = next(
                (c for c in n.conjuncts(condition) if self.get(frame, c) == (True, False)), condition
            )
        words = wording.expr(condition) if failed is None else wording.negated(failed)
        return RuleExplanation(
            rule,
            applied,
            format_expr(condition),
            tuple(self.values(condition, frame)),
            format_expr(failed) if failed is not None else None,
            holds,
            words,
        )

    def values(self, condition: n.Expr, frame: Frame) -> Iterator[tuple[str, str]]:
        """The values the condition read, as the code read them: what a short-circuit or an
        untaken branch skipped was never computed, so it is not in the frame."""
        seen: set[str] = set()
        for leaf in _leaves(condition):
            found, value = self.get(frame, leaf)
            # a band is named by its quantity: its whole table is in the rule
            text = f"band of {format_expr(leaf.quantity)}" if isinstance(leaf, n.Band) else format_expr(leaf)
            if found and text not in seen:
                seen.add(text)
                yield text, self.show(leaf, value)

    # -- amounts

    def amount(self, charge: n.Charge, frame: Frame, charged: Any) -> AmountExplanation:
        return AmountExplanation(
            code=charge.code,
            clause=charged.clause,
            formula=self.render(charge.amount, frame),
            amount=str(charged.amount),
            contract=charged.contract,
            location=f"{charge.span.source.path}:{charge.span.line}",
        )

    def render(self, expr: n.Expr, frame: Frame) -> str:
        """The formula with values in place of names; calls opened up; zero terms and factors of
        one left out (`12,000.00 USD × 1 × 12 months / 12 months` is `12,000.00 USD`)."""
        found = self.checked.type_of(expr)
        arithmetic = isinstance(found, t.Money) or t.is_numeric(found)
        if isinstance(expr, n.Binary) and arithmetic and expr.op in _SHOWN_ARITHMETIC:
            return self.render_binary(expr, frame)
        if isinstance(expr, n.Call) or self.is_definition(expr):
            inner = self.call_frame(expr, frame)
            if inner is not None:
                definition = self.checked.definitions[_called(expr)]
                return self.render(definition.node.result, inner)
        if isinstance(expr, n.Round):
            places = f", {expr.places} place{'' if expr.places == 1 else 's'}" if expr.places else ""
            return f"round {expr.direction.value}({self.render(expr.value, frame)}{places})"
        if isinstance(expr, n.Band):
            known, quantity = self.get(frame, expr.quantity)
            at = f" at {self.show(expr.quantity, quantity)}" if known else ""
            return f"band of {format_expr(expr.quantity)}{at}"
        if isinstance(expr, n.PercentLiteral | n.NumberLiteral | n.MoneyLiteral | n.DurationLiteral):
            return format_expr(expr)
        known, value = self.get(frame, expr)
        return self.show(expr, value) if known else format_expr(expr)

    def is_definition(self, expr: n.Expr) -> bool:
        return isinstance(expr, n.Name) and isinstance(self.checked.bindings.get(id(expr)), DefinitionRef)

    def call_frame(self, expr: n.Expr, frame: Frame) -> Frame | None:
        key = self.explaining.key(expr)
        inner = frame.get(-key - 1) if key is not None else None
        return inner if isinstance(inner, dict) else None

    def render_binary(self, expr: n.Binary, frame: Frame) -> str:
        if expr.op is n.BinaryOp.ADD:
            if self.is_value(frame, expr.left, 0):
                return self.render(expr.right, frame)
            if self.is_value(frame, expr.right, 0):
                return self.render(expr.left, frame)
        if expr.op is n.BinaryOp.MULTIPLY:
            if self.is_value(frame, expr.left, 1):
                return self.render(expr.right, frame)
            if self.is_value(frame, expr.right, 1):
                return self.render(expr.left, frame)
        if expr.op is n.BinaryOp.DIVIDE and self.is_value(frame, expr.right, 1):
            # the units cancel: `2 months / 1 month` is 2
            known, value = self.number(frame, expr.left)
            duration = self.checked.type_of(expr.left) in t.DURATIONS
            return runtime.show(value, "number") if known and duration else self.render(expr.left, frame)
        symbol = _SHOWN_OPERATORS.get(expr.op, expr.op.value)
        left = self.operand(expr.left, expr.op, frame)
        right = self.operand(expr.right, expr.op, frame, right=True)
        return f"{left} {symbol} {right}"

    def number(self, frame: Frame, expr: n.Expr) -> tuple[bool, Any]:
        """What the code computed for `expr`, or the number a literal is written as."""
        if isinstance(expr, n.DurationLiteral):
            return True, expr.amount
        if isinstance(expr, n.NumberLiteral):
            return True, expr.value
        if isinstance(expr, n.PercentLiteral):
            return True, expr.value / 100
        if isinstance(expr, n.MoneyLiteral):
            return True, expr.amount
        return self.get(frame, expr)

    def is_value(self, frame: Frame, expr: n.Expr, number: int) -> bool:
        found, value = self.number(frame, expr)
        if not found:
            return False
        amount = value.amount if isinstance(value, runtime.Cash) and number == 0 else value
        exact = isinstance(amount, int | Decimal | Quotient) and not isinstance(amount, bool)
        return exact and amount == number

    def operand(self, expr: n.Expr, parent: n.BinaryOp, frame: Frame, right: bool = False) -> str:
        text = self.render(expr, frame)
        inner = _top_operator(expr, text)
        if inner is None:
            return text
        weaker = _PRECEDENCE[inner] < _PRECEDENCE[parent]
        ambiguous = right and _PRECEDENCE[inner] == _PRECEDENCE[parent] and parent is not n.BinaryOp.MULTIPLY
        return f"({text})" if weaker or ambiguous else text


def _shown(value: Any, found: t.Type) -> str:
    if isinstance(found, t.ListOf) and isinstance(value, tuple | list):
        return ", ".join(_shown(item, found.element) for item in value) if value else "none"
    if isinstance(found, t.Record):
        # a contract or a license is known by its id
        ident = getattr(value, "id", None)
        return str(ident) if ident is not None else found.name
    return runtime.show(value, kind_of(found))


def _called(expr: n.Expr) -> str:
    return expr.function if isinstance(expr, n.Call) else expr.name  # type: ignore[union-attr]


def _top_operator(expr: n.Expr, text: str) -> n.BinaryOp | None:
    """The operator a rendered operand shows at its top (None for a single value)."""
    if not isinstance(expr, n.Binary | n.Call | n.Name) or text.startswith(("round ", "band of ")):
        return None
    if " + " in text or " − " in text:
        return n.BinaryOp.ADD
    if " × " in text or " / " in text:
        return n.BinaryOp.MULTIPLY
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


# -- text


def render_text(
    explanation: Explanation,
    level: Level = Level.FULL,
    width: int = 80,
    emphasis: Callable[[str], str] = str,
) -> str:
    """The explanation as an account manager would read it to a customer: the outcome and the
    reasons in the policy's words, then the amounts, then the conditions, wrapped to `width`.
    `emphasis` styles the outcome and the headings (the command line makes them bold)."""
    text = _Text(width, emphasis)
    decision = explanation.decision
    text.line(emphasis(f"{decision.action}: {decision.outcome.value}"))
    if decision.reasons:
        text.heading("Reasons, in the policy's words:")
        for reason in decision.reasons:
            text.item(f"{reason.clause} ", reason.message)
    if decision.term is not None or decision.fields:
        text.line("")
    if decision.term is not None:
        text.line(f"Term: {decision.term}")
    for path, value in decision.fields:
        name = path.replace(".", " ").replace("_", " ")
        text.line(f"{name[:1].upper()}{name[1:]}: {runtime.show(value, _field_kind(value))}")
    if level is not Level.REASONS and explanation.amounts:
        text.heading("Amounts:")
        for a in explanation.amounts:
            on = f" on {a.contract}" if a.contract else ""
            formula = a.amount if a.formula == a.amount else f"{a.formula} = {a.amount}"
            text.item(f"{a.code}{on} ({a.clause}): ", formula)
        if decision.total is not None:
            text.item("Total: ", str(decision.total))
    if level is Level.FULL and explanation.rules:
        text.heading("Conditions, in the order considered:")
        for r in explanation.rules:
            clauses = ", ".join(c.text for c in r.rule.clauses)
            mark = "applied" if r.applied else "did not apply"
            where = f"{r.rule.span.source.path}:{r.rule.span.line}"
            text.line(f"  {r.rule.kind.value} {r.rule.name} ({clauses}) {mark}   [{where}]")
            said = f"since {r.words}." if r.words is not None else _UNCONDITIONAL[r.rule.kind]
            text.wrapped(said, "      ")
    return text.result()


_UNCONDITIONAL = {
    n.RuleKind.APPROVE: "it has no condition: it applies once no reject rule does.",
    n.RuleKind.REJECT: "it has no condition.",
}
# a number and its unit (or currency) stay on one line
_UNIT = re.compile(r"(?<=\d) (?=[A-Z]{3}\b|days?\b|months?\b|years?\b|place)")
_HANG_AT_MOST = 8


class _Text:
    def __init__(self, width: int, emphasis: Callable[[str], str]) -> None:
        self.width = max(width, 40)
        self.emphasis = emphasis
        self.lines: list[str] = []

    def line(self, line: str) -> None:
        self.lines.append(line)

    def heading(self, heading: str) -> None:
        self.lines += ["", self.emphasis(heading)]

    def item(self, label: str, body: str) -> None:
        """`label` then `body`: on one line if it fits, else wrapped under the body (a short label)
        or indented below it."""
        indent = "  " + " " * len(label) if len(label) <= _HANG_AT_MOST else "      "
        if len(label) > _HANG_AT_MOST and len(label) + len(body) + 2 > self.width:
            self.lines.append("  " + label.rstrip())
            self.wrapped(body, indent)
            return
        self.wrapped(body, indent, first="  " + label)

    def wrapped(self, body: str, indent: str, first: str | None = None) -> None:
        lines = textwrap.wrap(
            _UNIT.sub("\xa0", body),
            self.width,
            initial_indent=first if first is not None else indent,
            subsequent_indent=indent,
            break_long_words=False,
            break_on_hyphens=False,
        )
        self.lines += [line.replace("\xa0", " ") for line in lines] or [(first or indent).rstrip()]

    def result(self) -> str:
        return "\n".join(self.lines)


def _field_kind(value: Any) -> str:
    return "bool" if isinstance(value, bool) else "value"


__all__ = ["AmountExplanation", "Explanation", "Level", "RuleExplanation", "explain", "render_text"]
