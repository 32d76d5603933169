"""For each action: are its approve rules exclusive and exhaustive after the rejects, and can each rule apply?

An action decides by its first reject that holds; otherwise exactly one approve
rule must hold (two is R308, none R309). For every valid request, with the
parameters in force on its day, the solver is asked for a request on which two
approvals hold and no reject does (an overlap), on which nothing holds (a gap),
and, per rule, whether it can hold at all once the rejects before it do not (a
dead rule). A request it finds is decided by the compiled policy; a conflict the
compiled code does not confirm is reported as possible, never as proved or found.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import attrs
import z3

from mespolicy import nodes as n
from mespolicy.policy import Policy
from mespolicy.proofs.calendar import Calendar
from mespolicy.proofs.encode import Encoded, Encoder
from mespolicy.proofs.request import Request
from mespolicy.proofs.witness import Outcome, decide, request_json

DEFAULT_TIMEOUT_MS = 5000

PROVED = "proved"
OVERLAP = "overlap"
GAP = "gap"
DEAD = "dead"
UNKNOWN = "unknown"

# the code of each finding; an overlap or gap the compiled policy does not confirm is V403
CODES = {OVERLAP: "V401", GAP: "V402", DEAD: "V404", UNKNOWN: "V405"}
POSSIBLE = "V403"


@attrs.frozen
class Finding:
    """One thing found about an action: an overlap, a gap, a dead rule, or a question left open."""

    kind: str
    action: str
    rules: tuple[n.Rule, ...]
    message: str
    witness: str | None = None
    decided: Outcome | None = None

    @property
    def confirmed(self) -> bool:
        """Whether deciding the witness gave the error the finding predicts (R308 overlap, R309 gap)."""
        expected = {OVERLAP: "R308", GAP: "R309"}.get(self.kind)
        return self.decided is not None and self.decided.code == expected

    @property
    def code(self) -> str:
        if self.kind in (OVERLAP, GAP) and not self.confirmed:
            return POSSIBLE
        return CODES[self.kind]

    @property
    def is_error(self) -> bool:
        """A confirmed overlap or gap: some request fails at decide time. The rest are warnings."""
        return self.kind in (OVERLAP, GAP) and self.confirmed


@attrs.frozen
class ActionReport:
    """What was proved about one action, and what was found."""

    action: str
    exclusive: bool
    exhaustive: bool
    findings: tuple[Finding, ...]
    # what the encoding left open (it does not weaken a proof; it may keep a witness unconfirmed)
    open: tuple[str, ...] = ()

    @property
    def proved(self) -> bool:
        return self.exclusive and self.exhaustive

    @property
    def status(self) -> str:
        if self.proved:
            return "proved exclusive and exhaustive"
        unknown = [f for f in self.findings if f.kind == UNKNOWN]
        if unknown and not any(f.kind in (OVERLAP, GAP) for f in self.findings):
            return "unknown: " + unknown[0].message
        parts = [f.kind for f in self.findings if f.kind in (OVERLAP, GAP)]
        return "not proved: " + ", ".join(dict.fromkeys(parts))


def prove(policy: Policy, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> tuple[ActionReport, ...]:
    """Every action of the policy proved, or what keeps it from being proved."""
    return tuple(prove_action(policy, name, timeout_ms) for name in policy.checked.actions)


def prove_action(policy: Policy, action: str, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> ActionReport:
    request = Request(policy.checked.spec, Calendar())
    encoded = Encoder(policy.checked, request).action(action)
    request.touch_all()
    return _Prover(policy, action, request, encoded, timeout_ms).run()


class _Prover:
    def __init__(
        self, policy: Policy, action: str, request: Request, encoded: Encoded, timeout_ms: int
    ) -> None:
        self.policy = policy
        self.action = action
        self.request = request
        self.encoded = encoded
        self.solver = z3.Solver()
        self.solver.set("timeout", timeout_ms)
        self.solver.add(*request.facts, *request.calendar.facts, *encoded.side)
        preferences = request.witness_preferences()
        # tried in turn for a witness: readable with every optional fact a rule reads given, readable, any
        self.tiers = [[*preferences, *request.given_facts()], preferences]
        self.findings: list[Finding] = []

    def run(self) -> ActionReport:
        dead = set(self.dead_rules())
        passed = [z3.Not(condition) for _, condition in self.encoded.rejects]
        live = [(rule, c) for rule, c in self.encoded.approvals if rule.name not in dead]
        exclusive = self.exclusive(passed, live)
        exhaustive = self.exhaustive(passed)
        return ActionReport(self.action, exclusive, exhaustive, tuple(self.findings), self.encoded.open)

    def dead_rules(self) -> Iterator[str]:
        earlier: list[tuple[n.Rule, z3.BoolRef]] = []
        for rule, condition in [*self.encoded.rejects, *self.encoded.approvals]:
            before = [z3.Not(c) for _, c in earlier]
            status, _ = self.solve([*before, condition])
            if status == z3.unsat:
                alone, _ = self.solve([condition])
                if alone == z3.unsat:
                    why = "its condition can never hold"
                else:
                    names = ", ".join(r.name for r, _ in earlier)
                    why = f"it applies only where an earlier reject ({names}) already has"
                self.findings.append(
                    Finding(DEAD, self.action, (rule,), f"rule '{rule.name}' can never apply: {why}")
                )
                yield rule.name
            elif status == z3.unknown:
                self.unknown(f"whether rule '{rule.name}' can apply", (rule,))
            if rule.kind is n.RuleKind.REJECT:
                earlier.append((rule, condition))

    def exclusive(self, passed: list[z3.BoolRef], live: Sequence[tuple[n.Rule, z3.BoolRef]]) -> bool:
        proved = True
        for i, (first, a) in enumerate(live):
            for second, b in live[i + 1 :]:
                status, model = self.solve([*passed, a, b])
                if status == z3.unsat:
                    continue
                proved = False
                if status == z3.unknown:
                    what = f"whether rules '{first.name}' and '{second.name}' can both apply"
                    self.unknown(what, (first, second))
                    continue
                message = f"rules '{first.name}' and '{second.name}' both apply"
                self.found(OVERLAP, (first, second), message, model)
        return proved

    def exhaustive(self, passed: list[z3.BoolRef]) -> bool:
        nothing = [z3.Not(c) for _, c in self.encoded.approvals]
        status, model = self.solve([*passed, *nothing])
        if status == z3.unsat:
            return True
        if status == z3.unknown:
            self.unknown("whether some rule always applies", ())
        else:
            self.found(GAP, (), "no rule applies", model)
        return False

    def found(self, kind: str, rules: tuple[n.Rule, ...], message: str, model: z3.ModelRef | None) -> None:
        assert model is not None
        witness = request_json(model, self.request, self.action)
        decided = decide(self.policy, witness)
        self.findings.append(Finding(kind, self.action, rules, message, witness, decided))

    def unknown(self, what: str, rules: tuple[n.Rule, ...]) -> None:
        reason = self.solver.reason_unknown()
        message = f"the solver could not decide {what} ({reason})"
        self.findings.append(Finding(UNKNOWN, self.action, rules, message))

    def solve(self, goal: list[z3.BoolRef]) -> tuple[z3.CheckSatResult, z3.ModelRef | None]:
        """Whether some request meets `goal`, and if one does, the most readable such request found."""
        self.solver.push()
        try:
            self.solver.add(*goal)
            status = self.solver.check()
            if status != z3.sat:
                return status, None
            model = self.solver.model()
            for tier in self.tiers:
                self.solver.push()
                try:
                    self.solver.add(*tier)
                    if self.solver.check() == z3.sat:
                        return status, self.solver.model()
                finally:
                    self.solver.pop()
            return status, model
        finally:
            self.solver.pop()
