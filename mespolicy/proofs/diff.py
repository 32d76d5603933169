"""Can two policies decide one request differently? Both encoded over the same request, per action.

What decides a request under a policy is one of its rules, or an error: two approvals
(R308) or none (R309). For each pair of such outcomes, one under the old policy and one
under the new, that differ (another rule, or the same rule whose condition, body,
lets, parameters or definitions changed), the solver looks for a request on which both
happen. None for any pair is a proof that no request is decided differently; each one
found is a witness, decided under both policies to show the two decisions side by side.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import attrs
import z3

from mespolicy import nodes as n
from mespolicy.checked import CheckedPolicy, DefinitionRef, Local, ParameterRef
from mespolicy.errors import EvaluationError
from mespolicy.model.decision import decision_to_json
from mespolicy.model.request import RequestError
from mespolicy.policy import Policy
from mespolicy.proofs.analysis import DEFAULT_TIMEOUT_MS, Prover
from mespolicy.proofs.calendar import Calendar
from mespolicy.proofs.encode import Encoded, Encoder
from mespolicy.proofs.request import Request
from mespolicy.proofs.witness import request_json

CONFLICT = "two approvals (R308)"
NOTHING = "no rule (R309)"


@attrs.frozen
class Difference:
    """A request the two policies can decide differently: what decides it under each, and both decisions."""

    old: str
    new: str
    witness: str
    old_decision: str
    new_decision: str

    @property
    def confirmed(self) -> bool:
        return self.old_decision != self.new_decision


@attrs.frozen
class ActionDiff:
    action: str
    differences: tuple[Difference, ...] = ()
    unknown: tuple[str, ...] = ()
    # an action only one of the policies has
    only_in: str | None = None

    @property
    def proved_same(self) -> bool:
        return not self.differences and not self.unknown and self.only_in is None

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "proved_same": self.proved_same,
            "only_in": self.only_in,
            "unknown": list(self.unknown),
            "differences": [attrs.asdict(d) | {"confirmed": d.confirmed} for d in self.differences],
        }


def prove_diff(old: Policy, new: Policy, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> tuple[ActionDiff, ...]:
    found = []
    for action in dict.fromkeys([*old.checked.actions, *new.checked.actions]):
        if action not in old.checked.actions:
            found.append(ActionDiff(action, only_in="new"))
        elif action not in new.checked.actions:
            found.append(ActionDiff(action, only_in="old"))
        else:
            found.append(_diff_action(old, new, action, timeout_ms))
    return tuple(found)


def _diff_action(old: Policy, new: Policy, action: str, timeout_ms: int) -> ActionDiff:
    request = Request(new.checked.spec, Calendar())
    before = Encoder(old.checked, request, "old!").action(action)
    after = Encoder(new.checked, request, "new!").action(action)
    request.touch_all()
    side = Encoded((), (), (*before.side, *after.side), ())
    prover = Prover(new, action, request, side, timeout_ms)
    differences: list[Difference] = []
    unknown: list[str] = []
    for name_old, holds_old in _outcomes(before):
        for name_new, holds_new in _outcomes(after):
            if name_old == name_new and _same_rule(old.checked, new.checked, action, name_old):
                continue
            status, model = prover.solve([holds_old, holds_new])
            if status == z3.unknown:
                unknown.append(f"whether {name_old} (old) and {name_new} (new) can decide one request")
            elif status == z3.sat and model is not None:
                witness = request_json(model, request, action)
                decided = _decided(old, witness), _decided(new, witness)
                differences.append(Difference(name_old, name_new, witness, *decided))
    return ActionDiff(action, tuple(differences), tuple(unknown))


def _outcomes(encoded: Encoded) -> Iterator[tuple[str, z3.BoolRef]]:
    """Each way the action can end, and the condition on the request under which it does."""
    passed: list[z3.BoolRef] = []
    for rule, condition in encoded.rejects:
        yield rule.name, z3.And(*passed, condition)
        passed.append(z3.Not(condition))
    approvals = [condition for _, condition in encoded.approvals]
    for index, (rule, condition) in enumerate(encoded.approvals):
        others = [z3.Not(c) for i, c in enumerate(approvals) if i != index]
        yield rule.name, z3.And(*passed, condition, *others)
    count = z3.Sum(*(z3.If(c, 1, 0) for c in approvals)) if approvals else z3.IntVal(0)
    yield CONFLICT, z3.And(*passed, count > 1)
    yield NOTHING, z3.And(*passed, count == 0)


def _decided(policy: Policy, witness: str) -> str:
    """The decision as JSON text (without the policy's identity and trace, which differ between policies)."""
    try:
        decision = policy.decide(policy.read_json(witness))
    except (EvaluationError, RequestError) as error:
        return f"{error.code}: {error.args[0] if isinstance(error, EvaluationError) else error}"
    shown = decision_to_json(decision)
    for key in ("policy", "trace"):
        shown.pop(key, None)
    return json.dumps(shown, ensure_ascii=False, sort_keys=True)


def _same_rule(old: CheckedPolicy, new: CheckedPolicy, action: str, name: str) -> bool:
    """Whether a rule of one name decides alike in both: the rule, and every let, parameter value and
    definition it reads, unchanged (the errors R308 and R309 are outcomes of every rule, never the same)."""
    if name in (CONFLICT, NOTHING):
        return False
    return _fingerprint(old, action, name) == _fingerprint(new, action, name)


def _fingerprint(checked: CheckedPolicy, action: str, name: str) -> object:
    found = checked.actions[action]
    rule = next(r for r in found.rules if r.name == name)
    lets = {let.name: let for let in found.lets}
    seen: dict[str, object] = {}
    pending: list[object] = [rule]
    while pending:
        for node in _references(pending.pop()):
            value: object
            if isinstance(node, n.Call):
                key, value, more = f"definition {node.function}", None, node.function
            else:
                binding = checked.bindings.get(id(node))
                if isinstance(binding, Local) and binding.name in lets:
                    key, value, more = f"let {binding.name}", lets[binding.name], None
                elif isinstance(binding, ParameterRef):
                    values = checked.parameters[binding.name].values
                    key, value, more = f"parameter {binding.name}", values, None
                elif isinstance(binding, DefinitionRef):
                    key, value, more = f"definition {binding.name}", None, binding.name
                else:
                    continue
            if key in seen:
                continue
            if more is not None:
                value = checked.definitions[more].node if more in checked.definitions else more
            seen[key] = value
            pending.append(value)
    return rule, sorted(seen.items(), key=lambda item: item[0])


def _references(tree: object) -> Iterator[n.Name | n.Call]:
    """Every name and call in a tree of nodes."""
    pending = [tree]
    while pending:
        item = pending.pop()
        if isinstance(item, n.Name | n.Call):
            yield item
        if isinstance(item, tuple):
            pending.extend(item)
        elif attrs.has(type(item)):
            pending.extend(getattr(item, field.name) for field in attrs.fields(type(item)))  # type: ignore[arg-type]


def render_diff(found: tuple[ActionDiff, ...], timeout_ms: int) -> str:
    """The proved diff as `diff --prove` prints it: per action, proved the same, or each difference
    with its witness and the two decisions side by side."""
    lines = [f"proofs (z3, at most {timeout_ms} ms a question):"]
    for action in found:
        if action.only_in is not None:
            lines.append(f"  {action.action}: only in the {action.only_in} policy")
            continue
        if action.proved_same:
            lines.append(f"  {action.action}: no request is decided differently (proved)")
            continue
        lines.append(f"  {action.action}: decided differently")
        for difference in action.differences:
            verdict = "confirmed" if difference.confirmed else "not confirmed: both decide it alike"
            lines.append(f"    old {difference.old}, new {difference.new} ({verdict})")
            lines.append(f"      witness: {difference.witness}")
            lines.append(f"      old: {difference.old_decision}")
            lines.append(f"      new: {difference.new_decision}")
        for question in action.unknown:
            lines.append(f"    unknown: {question} (no answer within the solver's budget)")
    return "\n".join(lines)
