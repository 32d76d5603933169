"""The renewal logic of interpretation.md as a GoRules ZEN decision graph (JDM), built in Python.

The graph takes the renewal day, the contract's expiration date, its annual
fee (a string, so no binary float touches it) and the currency's minor digits,
and answers the outcome, the new term, the ``renewal`` charge and the
``reinstatement_fee``. A switch node picks the rule: past the 36-month
reactivation cutoff (§8.5), late (§8.2-§8.4), timely (§6.2). Month arithmetic
(``d(...).add(n, "M")`` clamps to the month's end, as pendulum does), the
number of terms k, the fee of the lapsed period and the rounding are all in
the graph's expressions; ZEN's numbers are 28-digit decimals and ``round``
rounds half away from zero.

The engine is created once and the decision compiled once (``create_decision``);
only the evaluation is timed. Needs zen-engine 2.0 or later: 0.40 cannot parse
``d(...)`` and the static loader is new in 2.0.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import zen  # type: ignore[import-not-found, unused-ignore]  # optional: pip install .[bench]

from mespolicy import Policy
from mespolicy.model import Decision, Outcome, Request, minor_units

RENEWAL_TERM_MONTHS = 12
FEE_YEAR_MONTHS = 12
DAYS_PER_YEAR = 365
REACTIVATION_CUTOFF_MONTHS = 36
REINSTATEMENT_FEE_RATE = "0.25"

# A late renewal within the cutoff needs at most cutoff / term + 1 terms (the
# cutoff day itself is an anniversary, so it needs one more), and its lapsed
# period at most cutoff / fee year whole fee years: the searches run over these.
_MAX_TERMS = REACTIVATION_CUTOFF_MONTHS // RENEWAL_TERM_MONTHS + 1
_MAX_FEE_YEARS = REACTIVATION_CUTOFF_MONTHS // FEE_YEAR_MONTHS


def _node(ident: str, kind: str, name: str, content: dict[str, Any] | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {"id": ident, "type": kind, "name": name, "position": {"x": 0, "y": 0}}
    if content is not None:
        node["content"] = content
    return node


def _expressions(ident: str, name: str, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    expressions = [{"id": f"{ident}-{i}", "key": key, "value": value} for i, (key, value) in enumerate(pairs)]
    return _node(ident, "expressionNode", name, {"expressions": expressions})


def _edge(source: str, target: str, handle: str | None = None) -> dict[str, Any]:
    edge: dict[str, Any] = {
        "id": f"{source}->{target}",
        "type": "edge",
        "sourceId": source,
        "targetId": target,
    }
    if handle is not None:
        edge["sourceHandle"] = handle
    return edge


def graph() -> dict[str, Any]:
    """The JDM decision graph: request -> switch (cutoff | late | timely) -> rule node -> response."""
    iso = '.format("%Y-%m-%d")'
    term = RENEWAL_TERM_MONTHS
    fee_year = FEE_YEAR_MONTHS
    switch = {
        "hitPolicy": "first",
        "statements": [
            {"id": "cutoff", "condition": f'd(date) > d(expiry).add({REACTIVATION_CUTOFF_MONTHS}, "M")'},
            {"id": "late", "condition": "d(date) > d(expiry)"},
            {"id": "timely", "condition": ""},
        ],
    }
    cutoff = _expressions(
        "past_reactivation_cutoff",
        "§8.5 past the reactivation cutoff",
        [
            ("outcome", '"rejected"'),
            ("clause", '"§8.5"'),
            ("reinstatable_until", f'd(expiry).add({REACTIVATION_CUTOFF_MONTHS}, "M"){iso}'),
        ],
    )
    late = _expressions(
        "late_renewal",
        "§8.2-§8.4 late renewal",
        [
            ("outcome", '"approved"'),
            # k: the fewest renewal terms from the expiration date that end after the renewal day.
            ("terms", f'min(filter([1..{_MAX_TERMS}], d(expiry).add(# * {term}, "M") > d(date)))'),
            ("term.start", f"d(expiry){iso}"),
            ("term.end", f'd(expiry).add($.terms * {term}, "M"){iso}'),
            ("renewal", "string(round(number(annual_fee) * $.terms, minor))"),
            # fee(annual, expiry, day): whole fee years, then the remaining days at annual / 365.
            (
                "fee_years",
                f'min(filter([0..{_MAX_FEE_YEARS}], d(expiry).add((# + 1) * {fee_year}, "M") > d(date)))',
            ),
            ("fee_days", f'd(date).diff(d(expiry).add($.fee_years * {fee_year}, "M"), "day")'),
            (
                "lapsed_fee",
                f"number(annual_fee) * $.fee_years + number(annual_fee) * $.fee_days / {DAYS_PER_YEAR}",
            ),
            ("reinstatement_fee", f"string(round({REINSTATEMENT_FEE_RATE} * $.lapsed_fee, minor))"),
        ],
    )
    timely = _expressions(
        "timely_renewal",
        "§6.2 timely renewal",
        [
            ("outcome", '"approved"'),
            ("terms", "1"),
            ("term.start", f"d(expiry){iso}"),
            ("term.end", f'd(expiry).add({term}, "M"){iso}'),
            ("renewal", "string(round(number(annual_fee), minor))"),
        ],
    )
    nodes = [
        _node("request", "inputNode", "Request"),
        _node("which_rule", "switchNode", "Which renewal rule", switch),
        cutoff,
        late,
        timely,
        _node("response", "outputNode", "Response"),
    ]
    edges = [
        _edge("request", "which_rule"),
        _edge("which_rule", "past_reactivation_cutoff", "cutoff"),
        _edge("which_rule", "late_renewal", "late"),
        _edge("which_rule", "timely_renewal", "timely"),
        _edge("past_reactivation_cutoff", "response"),
        _edge("late_renewal", "response"),
        _edge("timely_renewal", "response"),
    ]
    return {"contentType": "application/vnd.gorules.decision", "nodes": nodes, "edges": edges}


def zen_input(request: Request) -> dict[str, Any]:
    """What the graph reads of a renewal request: dates as ISO strings, the fee as a decimal string."""
    contract = request.contract
    if contract is None:
        raise ValueError("a renewal names its contract")
    fee = contract.annual_fee
    return {
        "date": request.date.isoformat(),
        "expiry": contract.end.isoformat(),
        "annual_fee": format(fee.amount, "f"),
        "minor": minor_units(fee.currency),
    }


class ZenRenewal:
    """One engine, one compiled decision, evaluated again and again.

    ``evaluate`` is the path of the ZEN docs' quick start: ``engine.create_decision(content)``
    once, then ``decision.evaluate(input)``. The same engine also serves the same
    graph by key from a static loader (``engine.evaluate(KEY, input)``), which the
    Python binding runs several times faster; ``evaluate_by_key`` is that path.
    """

    KEY = "renewal.json"

    def __init__(self) -> None:
        content = graph()
        self.engine = zen.ZenEngine({"loader": {"type": "static", "content": {self.KEY: content}}})
        self.decision = self.engine.create_decision(json.dumps(content))

    def evaluate(self, data: dict[str, Any]) -> dict[str, Any]:
        """The graph's result for one input (see ``zen_input``), by ``decision.evaluate``."""
        result: dict[str, Any] = self.decision.evaluate(data)["result"]
        return result

    def evaluate_by_key(self, data: dict[str, Any]) -> dict[str, Any]:
        """The same, by ``engine.evaluate(KEY, input)``."""
        result: dict[str, Any] = self.engine.evaluate(self.KEY, data)["result"]
        return result


def disagreements(policy: Policy, requests: Iterable[Request], engine: ZenRenewal | None = None) -> list[str]:
    """Where ZEN and ``policy.decide`` differ on renewals: outcome, term end, renewal, reinstatement fee.

    One line per differing request, naming the request (day, contract end,
    fee) and each differing value; empty when they agree everywhere. Both ways
    of evaluating the graph are checked.
    """
    zen_engine = engine or ZenRenewal()
    found = []
    for request in requests:
        ours = policy.decide(request)
        data = zen_input(request)
        theirs = zen_engine.evaluate(data)
        differing = _compare(ours, theirs)
        by_key = zen_engine.evaluate_by_key(data)
        if by_key != theirs:
            differing.append(f"engine.evaluate gave {by_key}, decision.evaluate {theirs}")
        if differing:
            contract = request.contract
            assert contract is not None
            found.append(
                f"renew on {request.date}, contract {contract.id} ending {contract.end}, "
                f"annual fee {contract.annual_fee.amount} {contract.annual_fee.currency}: "
                + "; ".join(differing)
            )
    return found


def _compare(ours: Decision, theirs: dict[str, Any]) -> list[str]:
    differing = []
    outcome = ours.outcome
    if outcome.value != theirs.get("outcome"):
        differing.append(f"outcome: decide {outcome.value}, ZEN {theirs.get('outcome')}")
        return differing
    if outcome is Outcome.REJECTED:
        return differing
    ours_end = ours.term.end.isoformat() if ours.term is not None else None
    theirs_end = theirs.get("term", {}).get("end")
    if ours_end != theirs_end:
        differing.append(f"term end: decide {ours_end}, ZEN {theirs_end}")
    amounts = {c.code: c.amount.amount for c in ours.charges}
    for code in ("renewal", "reinstatement_fee"):
        ours_amount = amounts.get(code)
        raw = theirs.get(code)
        theirs_amount = Decimal(raw) if isinstance(raw, str) else None
        if ours_amount != theirs_amount:
            differing.append(f"{code}: decide {ours_amount}, ZEN {raw}")
    return differing
