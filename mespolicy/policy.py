"""A loaded policy: parsed, checked and compiled once, then deciding requests (pure and thread-safe)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from mespolicy import nodes as n
from mespolicy.checked import CheckedPolicy
from mespolicy.checker import check
from mespolicy.compiler import CompiledPolicy, compile_policy
from mespolicy.errors import EvaluationError
from mespolicy.limits import DEFAULT as DEFAULT_LIMITS
from mespolicy.limits import Limits
from mespolicy.loader import read_policy, shipped_rules
from mespolicy.model.decision import Decision
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
    limits: Limits = DEFAULT_LIMITS
    # The request facts whose text must name a member of one of the policy's enums.
    enum_facts: tuple[tuple[str, str, tuple[str, ...]], ...] = attrs.field(init=False)

    @enum_facts.default
    def _enum_facts(self) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
        return tuple(
            (fact.name, fact.enum, self.checked.enums[fact.enum].members)
            for fact in FACTS.values()
            if fact.enum is not None and fact.enum in self.checked.enums
        )

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(self.checked.actions)

    def decide(self, request: Request) -> Decision:
        """The decision on one request; a malformed request raises RequestError naming the field."""
        decide = self.compiled.actions.get(request.action)
        if decide is None:
            raise RequestError(
                "action",
                f"'{request.action}' is not an action of this policy; it decides: "
                + ", ".join(self.checked.actions),
            )
        if request.ref is not None and len(request.ref) > self.limits.request_ref_chars:
            most = self.limits.request_ref_chars
            raise RequestError(
                "ref", f"{len(request.ref)} characters; at most {most} (limit request_ref_chars)", code="Q205"
            )
        for name, enum, members in self.enum_facts:
            value = getattr(request, name)
            if value is not None and value not in members:
                raise RequestError(name, f"'{value}' is not a {enum}; expected one of " + ", ".join(members))
        try:
            return decide(request)
        except EvaluationError as error:
            raise self._located(error, request.action) from None

    def _located(self, error: EvaluationError, action_name: str) -> EvaluationError:
        """The error with the rule (or action) it happened in, unless it already has a place."""
        if error.span is not None:
            return error
        action = self.checked.actions[action_name]
        index = error.rule_index
        if index >= 0:
            rule = action.rules[index]
            return EvaluationError(f"rule '{rule.name}': {error.args[0]}", rule.span, error.code)
        return EvaluationError(str(error.args[0]), action.span, error.code)

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
        return Policy(checked, compile_policy(checked), f"{self.origin} with {settings}", self.limits)


def load(
    path: str | Path | None = None,
    *,
    limits: Limits = DEFAULT_LIMITS,
    libraries: Sequence[str | Path] = (),
) -> Policy:
    """The policy of a folder of rule files (or one file); the shipped policy when no path is given.

    `limits` bounds what the rule files and the requests decided under the policy may hold
    (`mespolicy.limits`); the defaults suit any real policy. `libraries` are the folders
    `include library "..."` may read from, searched in order before the library shipped
    with mespolicy; only the caller names them, never the rule text.
    """
    folder = Path(path) if path is not None else shipped_rules()
    files = read_policy(folder, limits, tuple(Path(library) for library in libraries))
    return from_files(files, str(folder), limits)


def from_files(
    files: tuple[n.PolicyFile, ...], origin: str, limits: Limits = DEFAULT_LIMITS
) -> Policy:
    checked = check(files, limits)
    return Policy(checked, compile_policy(checked), origin, limits)


def parameter_values(policy: Policy, day: date) -> Mapping[str, n.Literal]:
    """Each parameter's value in force on `day` (what-if and docs read them this way)."""
    values = {name: p.value_on(day) for name, p in policy.checked.parameters.items()}
    return {name: value for name, value in values.items() if value is not None}
