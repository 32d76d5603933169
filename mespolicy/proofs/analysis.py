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

import time
from collections.abc import Iterator, Sequence

import attrs
import z3

from mespolicy import nodes as n
from mespolicy.policy import Policy
from mespolicy.proofs.calendar import Calendar
from mespolicy.proofs.encode import BandSite, Encoded, Encoder
from mespolicy.proofs.request import Request
from mespolicy.proofs.witness import Outcome, decide, request_json
from mespolicy.source import Span

DEFAULT_TIMEOUT_MS = 5000
# the most solver questions one action asks, and its time budget in solver timeouts
MAX_QUESTIONS = 400
ACTION_BUDGET_TIMEOUTS = 20

PROVED = "proved"
OVERLAP = "overlap"
GAP = "gap"
DEAD = "dead"
UNREACHABLE = "unreachable band"
UNKNOWN = "unknown"

# the code of each finding; an overlap or gap the compiled policy does not confirm is V403
CODES = {OVERLAP: "V401", GAP: "V402", DEAD: "V404", UNKNOWN: "V405", UNREACHABLE: "V406"}
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
    # where it is reported, when not at its last rule (a band's row)
    span: Span | None = None

    def location(self, action_span: Span) -> Span:
        """Where the finding is reported: its own span, its last rule, or else the action (a gap)."""
        if self.span is not None:
            return self.span
        return self.rules[-1].span if self.rules else action_span

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
    encoded = Encoder(policy.checked, request).action(action, bands=True)
    request.touch_all()
    return Prover(policy, action, request, encoded, timeout_ms).run()


class Prover:
    def __init__(
        self, policy: Policy, action: str, request: Request, encoded: Encoded, timeout_ms: int
    ) -> None:
        self.policy = policy
        self.action = action
        self.request = request
        self.encoded = encoded
        self.timeout_ms = timeout_ms
        base = [*request.facts, *request.calendar.facts, *request.calendar.lemmas(), *encoded.side]
        self.base = [(fact, _constants(fact)) for fact in base]
        self.reason = ""
        # A rule folder may be someone else's: an action of a thousand rules asks half a million pairs.
        # Past this many questions, or this long, the rest are unknown (said once), never proved.
        self.questions_left = MAX_QUESTIONS
        self.deadline = time.monotonic() + ACTION_BUDGET_TIMEOUTS * timeout_ms / 1000
        self.spent = False
        preferences = request.witness_preferences()
        given = request.given_facts()
        # Tried in turn for a witness: every date in one year (a leap year, then a common one), which
        # takes the calendar's divisions out of the search; readable with every optional fact a rule
        # reads given; readable. The first found is the witness (and any request found is one).
        self.tiers = [*([*pin, *preferences, *given] for pin in request.pinned()), [*preferences, *given]]
        self.tiers.append(preferences)
        self.findings: list[Finding] = []

    def run(self) -> ActionReport:
        dead = set(self.dead_rules())
        self.unreachable_bands(dead)
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

    def unreachable_bands(self, dead: set[str]) -> None:
        """Each band row that no request reaches wherever the band is evaluated (V406).

        A band is evaluated in its rule's condition once the rejects before the rule have not held,
        and in its body once the condition holds too (less than that is assumed: the runtime may
        know more, never less). A row is reported only when the solver proves it empty everywhere.
        """
        sites: dict[int, list[BandSite]] = {}
        for site in self.encoded.bands:
            if site.in_body and site.rule is not None and site.rule.name in dead:
                continue  # never evaluated; the dead rule is reported
            sites.setdefault(id(site.band), []).append(site)
        for found in sites.values():
            band = found[0].band
            rows = [*band.steps, *([band.beyond] if band.beyond is not None else [])]
            for index, row in enumerate(rows):
                if all(self.never([*self.context(site), _row(site, index)]) for site in found):
                    rules = tuple(dict.fromkeys(site.rule for site in found if site.rule is not None))
                    label = _label(band, index)
                    owner = f"rule '{rules[-1].name}': " if len(rules) == 1 else ""
                    of = _text(band.quantity.span)
                    message = f"{owner}band row '{label}' of the band of {of} is never reached"
                    self.findings.append(
                        Finding(UNREACHABLE, self.action, rules[-1:], message, span=row.span)
                    )

    def context(self, site: BandSite) -> list[z3.BoolRef]:
        """What holds wherever the band of `site` is evaluated, as the dead-rule check models it."""
        if site.rule is None:
            return []
        rule = site.rule
        earlier: list[z3.BoolRef] = []
        for reject, condition in self.encoded.rejects:
            if reject is rule:
                break
            earlier.append(z3.Not(condition))
        if site.in_body:
            conditions = dict((id(r), c) for r, c in [*self.encoded.rejects, *self.encoded.approvals])
            earlier.append(conditions[id(rule)])
        return earlier

    def never(self, goal: list[z3.BoolRef]) -> bool:
        """Whether the solver proves no request meets `goal` (out of budget or unknown: not proved)."""
        self.questions_left -= 1
        if self.questions_left < 0 or time.monotonic() > self.deadline:
            return False
        reason = self.reason
        status, _ = self.check(goal, self.timeout_ms)
        self.reason = reason
        return bool(status == z3.unsat)

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
        if self.questions_left < 0 or time.monotonic() > self.deadline:
            if self.spent:
                return
            self.spent = True
            what = "the rest of this action's questions"
        message = f"the solver could not decide {what} ({self.reason})"
        self.findings.append(Finding(UNKNOWN, self.action, rules, message))

    def solve(self, goal: list[z3.BoolRef]) -> tuple[z3.CheckSatResult, z3.ModelRef | None]:
        """Whether some request meets `goal`, and if one does, the most readable such request found.

        Each question gets a solver of its own: z3 solves one set of assertions with tactics it
        turns off once a solver is used incrementally (push and pop), and month steps need them.
        """
        self.questions_left -= 1
        if self.questions_left < 0 or time.monotonic() > self.deadline:
            self.reason = (
                f"the proofs of one action stop after {MAX_QUESTIONS} questions or "
                f"{ACTION_BUDGET_TIMEOUTS} times --solver-timeout"
            )
            return z3.unknown, None
        status, model = self.check(goal, self.timeout_ms)
        if status == z3.unsat:
            return status, None
        # each further try for a readable witness has half the budget (a witness is found, not proved)
        reason = self.reason
        for tier in self.tiers:
            found, readable = self.check([*goal, *tier], max(1, self.timeout_ms // 2))
            if found == z3.sat:
                return z3.sat, readable
        self.reason = reason
        return status, model

    def relevant(self, goal: list[z3.BoolRef]) -> list[z3.BoolRef]:
        """The facts that bear on `goal`: those sharing a variable with it, or with such a fact.

        Leaving out the rest is sound: each fact constrains variables of its own (a date's year,
        month and day; a field's range), and every request gives them values that meet it.
        """
        wanted: set[str] = set()
        for part in goal:
            wanted |= _constants(part)
        chosen: list[z3.BoolRef] = []
        pending = list(self.base)
        grew = True
        while grew:
            grew = False
            rest = []
            for fact, names in pending:
                if names & wanted:
                    chosen.append(fact)
                    wanted |= names
                    grew = True
                else:
                    rest.append((fact, names))
            pending = rest
        return chosen

    def check(self, goal: list[z3.BoolRef], timeout_ms: int) -> tuple[z3.CheckSatResult, z3.ModelRef | None]:
        solver = z3.Solver()
        solver.set("timeout", timeout_ms)
        solver.add(*self.relevant(goal), *goal)
        status = solver.check()
        if status == z3.unknown:
            self.reason = solver.reason_unknown()
            if self.reason == "canceled":
                self.reason = f"no answer within {timeout_ms} ms"
        return status, solver.model() if status == z3.sat else None


def _row(site: BandSite, index: int) -> z3.BoolRef:
    """That the band's quantity falls in row `index`, as the runtime's `band_index` finds it (or `beyond`)."""
    below = []
    for step, threshold in zip(site.band.steps, site.thresholds, strict=True):
        quantity, limit = _same_sort(site.quantity, threshold)
        below.append(quantity < limit if step.bound is n.Bound.UNDER else quantity <= limit)
    earlier = [z3.Not(b) for b in below[:index]]
    return z3.And(*earlier, below[index]) if index < len(below) else z3.And(*earlier)


def _same_sort(a: z3.ArithRef, b: z3.ArithRef) -> tuple[z3.ArithRef, z3.ArithRef]:
    if a.sort() == b.sort():
        return a, b
    return z3.ToReal(a) if a.is_int() else a, z3.ToReal(b) if b.is_int() else b


def _label(band: n.Band, index: int) -> str:
    if index == len(band.steps):
        return "beyond"
    step = band.steps[index]
    return f"{step.bound.value} {_text(step.threshold.span)}"


def _text(span: Span) -> str:
    """The expression as written, when on one line (else where it is)."""
    if span.line != span.end_line:
        return f"line {span.line}"
    return span.source.text.splitlines()[span.line - 1][span.column - 1 : span.end_column - 1]


def _constants(term: z3.ExprRef) -> set[str]:
    """The names of the variables in `term`."""
    found: set[str] = set()
    seen: set[int] = set()
    pending = [term]
    while pending:
        item = pending.pop()
        key = item.get_id()
        if key in seen:
            continue
        seen.add(key)
        if z3.is_const(item) and item.decl().kind() == z3.Z3_OP_UNINTERPRETED:
            found.add(item.decl().name())
        pending.extend(item.children())
    return found
