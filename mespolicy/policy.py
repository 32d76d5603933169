"""A loaded policy: parsed, checked and compiled once, then deciding requests (pure and thread-safe)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from mespolicy import nodes as n
from mespolicy import runtime
from mespolicy.checked import CheckedPolicy
from mespolicy.checker import check
from mespolicy.compiler import CompiledPolicy, compile_policy
from mespolicy.errors import EvaluationError
from mespolicy.loader import read_policy, shipped_rules
from mespolicy.model.calendar import Term
from mespolicy.model.decision import Charge, Decision, Outcome, Reason, TraceStep
from mespolicy.model.money import Money
from mespolicy.model.request import Request, RequestError
from mespolicy.overrides import apply_overrides
from mespolicy.schema import FACTS

if TYPE_CHECKING:
    from mespolicy.explain import Explanation


@attrs.frozen(eq=False)
class Policy:
    """The policy in force: `decide` turns a request into a decision by the rules of `checked`."""

    checked: CheckedPolicy
    compiled: CompiledPolicy
    origin: str
    # Trace steps are immutable: each rule's two (did not apply, applied) are built once.
    steps: Mapping[str, tuple[tuple[TraceStep, TraceStep], ...]] = attrs.field(init=False)

    @steps.default
    def _steps(self) -> Mapping[str, tuple[tuple[TraceStep, TraceStep], ...]]:
        return {
            name: tuple((_step(rule, False), _step(rule, True)) for rule in action.rules)
            for name, action in self.checked.actions.items()
        }

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(self.checked.actions)

    def decide(self, request: Request) -> Decision:
        """The decision on one request; a malformed request raises RequestError naming the field."""
        action = self.checked.actions.get(request.action)
        if action is None:
            raise RequestError(
                "action",
                f"'{request.action}' is not an action of this policy; it decides: "
                + ", ".join(self.checked.actions),
            )
        self._check_enums(request)
        try:
            result = self.compiled.actions[request.action](request)
        except EvaluationError as error:
            index = getattr(error, "rule_index", None)
            if error.span is None and index is not None and index >= 0:
                raise EvaluationError(
                    f"rule '{action.rules[index].name}': {error.args[0]}",
                    action.rules[index].span,
                    error.code,
                ) from None
            raise
        return _decision(action, request, result, self.steps[action.name])

    def explain(self, request: Request) -> Explanation:
        """The decision with the reasons for it: each rule's condition and values, each amount's formula."""
        from mespolicy.explain import explain

        decision = self.decide(request)
        explanation = explain(self.checked, request, decision)
        return attrs.evolve(explanation, decision=attrs.evolve(decision, trace=explanation.trace()))

    def decide_many(self, requests: Iterable[Request]) -> Iterator[Decision]:
        """Decisions in request order, one at a time, so a portfolio of any size streams."""
        for request in requests:
            yield self.decide(request)

    def with_overrides(self, overrides: Mapping[str, str]) -> Policy:
        """The same rules with some parameters fixed for a what-if run (`{"deferral_grace": "60 days"}`)."""
        if not overrides:
            return self
        checked = apply_overrides(self.checked, overrides)
        settings = ", ".join(f"{name}={value}" for name, value in overrides.items())
        return Policy(checked, compile_policy(checked), f"{self.origin} with {settings}")

    def _check_enums(self, request: Request) -> None:
        for fact in FACTS.values():
            if fact.enum is None or fact.enum not in self.checked.enums:
                continue
            value = getattr(request, fact.name)
            members = self.checked.enums[fact.enum].members
            if value is not None and value not in members:
                raise RequestError(
                    fact.name,
                    f"'{value}' is not a {fact.enum}; expected one of " + ", ".join(members),
                )


def load(path: str | Path | None = None) -> Policy:
    """The policy of a folder of rule files (or one file); the shipped policy when no path is given."""
    folder = Path(path) if path is not None else shipped_rules()
    return from_files(read_policy(folder), str(folder))


def from_files(files: tuple[n.PolicyFile, ...], origin: str) -> Policy:
    checked = check(files)
    return Policy(checked, compile_policy(checked), origin)


# -- from the compiled function's result to a Decision ---------------------------


def _decision(
    action: n.Action,
    request: Request,
    result: tuple[Any, ...],
    rule_steps: tuple[tuple[TraceStep, TraceStep], ...],
) -> Decision:
    status, index, reasons, term, charges, fields, trace = result
    rules = action.rules
    steps = tuple(rule_steps[i][applied] for i, applied in trace)
    if status == "conflict":
        applied = [rules[i].name for i, ok in trace if ok]
        raise EvaluationError(
            f"action '{action.name}': rules {', '.join(applied)} all apply to this request",
            action.span,
            code="R308",
        )
    if status == "none":
        raise EvaluationError(
            f"action '{action.name}': no rule applies to this request (day {request.date})",
            action.span,
            code="R309",
        )
    rule = rules[index]
    the_term = Term(*term) if term is not None else None
    built = tuple(_charge(rule, c, the_term, request) for c in charges)
    currencies = sorted({c.amount.currency for c in built})
    if len(currencies) > 1:
        raise EvaluationError(
            f"rule '{rule.name}': charges in {', '.join(currencies)} cannot make one total",
            rule.span,
            code="R303",
        )
    return Decision(
        action=action.name,
        outcome=Outcome.APPROVED if status == "approved" else Outcome.REJECTED,
        reasons=tuple(Reason(clause, message) for clause, message in reasons),
        term=the_term,
        charges=built,
        fields=tuple((path, _field_value(value, kind)) for path, value, kind in fields),
        trace=steps,
    )


def _step(rule: n.Rule, applied: bool) -> TraceStep:
    return TraceStep(
        rule=rule.name,
        kind=rule.kind.value,
        applied=bool(applied),
        clauses=tuple(c.text for c in rule.clauses),
        location=f"{rule.span.source.path}:{rule.span.line}",
    )


def _charge(rule: n.Rule, raw: tuple[Any, ...], term: Term | None, request: Request) -> Charge:
    code, clause, amount, start, end, contract = raw
    currency = amount.currency or contract_currency(contract, request)
    if currency is None:
        raise EvaluationError(
            f"rule '{rule.name}': charge '{code}' is in the contract's currency, but there is no contract",
            rule.span,
            code="R310",
        )
    period = Term(start, end) if start is not None and end is not None else term
    return Charge(
        code=code,
        amount=Money.of(_exact(amount.amount), currency),
        period=period,
        contract=contract.id if contract is not None else None,
        clause=clause,
    )


def contract_currency(contract: Any, request: Request) -> str | None:
    """The currency of an amount "in the contract's currency": the charged contract's, else the request's."""
    for source in (contract, request.contract):
        if source is not None:
            return str(source.currency)
    if request.license is not None:
        return request.license.annual_fee.currency
    return None


def _exact(value: int | Decimal | Fraction) -> Decimal | Fraction:
    return Decimal(value) if isinstance(value, int) else value


def _field_value(value: Any, kind: str) -> object:
    if isinstance(value, runtime.Cash):
        if value.currency is None:
            raise EvaluationError("a decision field holds money without a currency", code="R310")
        return Money.of(_exact(value.amount), value.currency)
    if isinstance(value, Fraction):
        # A field is shown, not charged: a non-terminating quotient is shown to 28 digits.
        return Decimal(value.numerator) / Decimal(value.denominator)
    return value


def parameter_values(policy: Policy, day: date) -> Mapping[str, object]:
    """Each parameter's value in force on `day` (what-if and docs read them this way)."""
    values = {}
    for name, parameter in policy.checked.parameters.items():
        in_force = [v for d, v in parameter.values if d is None or d <= day]
        if in_force:
            values[name] = in_force[-1]
    return values
