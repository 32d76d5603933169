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
from mespolicy.errors import Diagnostic, EvaluationError
from mespolicy.limits import DEFAULT as DEFAULT_LIMITS
from mespolicy.limits import Limits
from mespolicy.loader import read_policy, shipped_rules
from mespolicy.model.decision import Decision
from mespolicy.model.facts import Facts, FactsSpec
from mespolicy.model.request import RequestError, parse_request, parse_request_json
from mespolicy.overrides import apply_overrides

if TYPE_CHECKING:
    import pyarrow as pa

    from mespolicy.compiler_explain import ExplainingPolicy
    from mespolicy.explain import Explanation


@attrs.frozen(eq=False)
class Policy:
    """The policy in force: `decide` turns a request into a decision by the rules of `checked`."""

    checked: CheckedPolicy
    compiled: CompiledPolicy
    origin: str
    limits: Limits = DEFAULT_LIMITS
    # Specs found equal to this policy's (by id, kept alive here): a request read by the same
    # declarations elsewhere (`mespolicy.parse_request_json`, the standard facts) is not read again.
    _same_specs: dict[int, FactsSpec] = attrs.field(init=False, factory=dict, repr=False)
    _explainers: list[ExplainingPolicy] = attrs.field(init=False, factory=list, repr=False)

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(self.checked.actions)

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        """What `mespolicy check` warns about (a parameter no rule reads, ...): found when asked,
        so loading a policy to decide never pays for them."""
        from mespolicy.lint import warnings_of

        return warnings_of(self.checked)

    def read(self, data: object) -> Facts:
        """A request by this policy's declared facts, from decoded JSON, a mapping or a host object."""
        if isinstance(data, Facts) and self._reads_as_mine(getattr(data, "_spec", None)):
            return data
        return parse_request(data, self.limits, self.checked.spec)

    def _reads_as_mine(self, spec: object) -> bool:
        mine = self.checked.spec
        if spec is mine or id(spec) in self._same_specs:
            return True
        if not isinstance(spec, FactsSpec) or spec != mine:
            return False
        if len(self._same_specs) < 8:
            self._same_specs[id(spec)] = spec
        return True

    def read_json(self, text: str | bytes) -> Facts:
        """A request by this policy's declared facts from JSON text."""
        return parse_request_json(text, self.limits, self.checked.spec)

    def decide(self, request: object) -> Decision:
        """The decision on one request (read from JSON, a mapping, or the host's own objects by the
        policy's declared facts); a malformed request raises RequestError naming the field."""
        request = self.read(request)
        decide = self.compiled.actions.get(request.action)
        if decide is None:
            raise RequestError(
                "action",
                f"'{request.action}' is not an action of this policy; it decides: "
                + ", ".join(self.checked.actions),
            )
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

    def explain(self, request: object) -> Explanation:
        """The decision with the reasons for it: each rule's condition and values, each amount's formula.

        It is decided by the explaining variant of the compiled code (made on first use), which
        notes what it computes: the same code as `decide`, so the same decision.
        """
        from mespolicy.explain import explain

        request = self.read(request)
        if request.action not in self.checked.actions:
            self.decide(request)  # refused as decide refuses it, in its words
        explaining = self._explaining()
        try:
            decision, recording = explaining.run(request.action, request)
        except EvaluationError as error:
            raise self._located(error, request.action) from None
        explanation = explain(self.checked, decision, recording, explaining)
        return attrs.evolve(explanation, decision=attrs.evolve(decision, trace=explanation.trace()))

    def _explaining(self) -> ExplainingPolicy:
        # made once, on first use: policies that are never explained never pay for it
        if not self._explainers:
            from mespolicy.compiler_explain import compile_explaining

            self._explainers.append(compile_explaining(self.checked))
        return self._explainers[0]

    def decide_many(self, requests: Iterable[object]) -> Iterator[Decision]:
        """Decisions in request order, one at a time, so a portfolio of any size streams."""
        for request in requests:
            yield self.decide(request)

    def decide_arrow(
        self, batch: pa.RecordBatch, *, first_line: int = 1, trace: bool = False
    ) -> pa.RecordBatch:
        """The decisions on a batch of requests (`mespolicy.portfolio.arrow_schema`), a row each, in order.

        A row that cannot be read or decided gets its error in the `error` column; the
        batch is never dropped. `line` numbers the rows from `first_line`. Needs pyarrow.
        """
        from mespolicy.portfolio.arrow import decide_arrow

        return decide_arrow(self, batch, first_line=first_line, trace=trace)

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


def from_files(files: tuple[n.PolicyFile, ...], origin: str, limits: Limits = DEFAULT_LIMITS) -> Policy:
    checked = check(files, limits)
    return Policy(checked, compile_policy(checked), origin, limits)


def parameter_values(policy: Policy, day: date) -> Mapping[str, n.Literal]:
    """Each parameter's value in force on `day` (what-if and docs read them this way)."""
    values = {name: p.value_on(day) for name, p in policy.checked.parameters.items()}
    return {name: value for name, value in values.items() if value is not None}
