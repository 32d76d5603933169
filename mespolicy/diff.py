"""What a policy change does to real contracts: requests decided under two policies, changes counted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from mespolicy.errors import MespolicyError
from mespolicy.model.decision import Decision, decision_to_json
from mespolicy.model.facts import Facts
from mespolicy.model.request import RequestError
from mespolicy.policy import Policy

OUTCOME = "outcome flipped"
TERM = "term changed"
MONEY = "money changed"
OTHER = "other fields changed"
ERROR = "became an error"
FIXED = "error became a decision"
KINDS = (OUTCOME, TERM, MONEY, OTHER, ERROR, FIXED)


@attrs.frozen
class Change:
    """One request whose decision differs: what kinds of change, and both decisions."""

    line: int
    action: str
    kinds: tuple[str, ...]
    old: dict[str, Any]
    new: dict[str, Any]


@attrs.define
class DiffReport:
    requests: int = 0
    changed: int = 0
    by_action: dict[str, Counter[str]] = attrs.Factory(dict)
    money: dict[str, Decimal] = attrs.Factory(dict)
    examples: list[Change] = attrs.Factory(list)
    errors: list[dict[str, Any]] = attrs.Factory(list)

    def to_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "changed": self.changed,
            "by_action": {a: dict(c) for a, c in sorted(self.by_action.items())},
            "money_difference": {cur: str(v) for cur, v in sorted(self.money.items())},
            "examples": [attrs.asdict(change) for change in self.examples],
            "errors": self.errors,
        }


def diff_policies(
    old: Policy,
    new: Policy,
    lines: Iterable[tuple[int, str | bytes | RequestError]],
    *,
    examples: int = 5,
    advance: Callable[[], None] | None = None,
) -> DiffReport:
    """Decide each JSON request line under `old` and `new` and count what changed.

    A line is its text (or bytes), or the error that kept it from being read
    (over the size limit, blank); requests are read within `new`'s limits.
    """
    report = DiffReport()
    for number, text in lines:
        report.requests += 1
        try:
            if isinstance(text, RequestError):
                raise text
            request = new.read_json(text)
        except RequestError as error:
            report.errors.append(error.error_object(number)["error"])
        else:
            # each policy reads the request by its own declared facts
            before, after = _decide(old, text), _decide(new, request)
            if isinstance(before, Decision) and isinstance(after, Decision):
                _compare(report, number, before, after, examples)
            elif isinstance(before, str) and isinstance(after, str):
                report.errors.append({"line": number, "message": f"under both policies: {after}"})
            else:
                _became_error(report, number, request.action, before, after, examples)
        if advance is not None:
            advance()
    return report


def _decide(policy: Policy, request: Facts | str | bytes) -> Decision | str:
    """The decision, or the error the policy met reading or deciding it (in words)."""
    try:
        return policy.decide(policy.read_json(request) if isinstance(request, str | bytes) else request)
    except (RequestError, MespolicyError) as error:
        return str(error)


def _became_error(
    report: DiffReport, number: int, action: str, before: Decision | str, after: Decision | str, examples: int
) -> None:
    kind = ERROR if isinstance(after, str) else FIXED
    report.changed += 1
    report.by_action.setdefault(action, Counter()).update([kind])
    if len(report.examples) < examples:
        old_json = {"error": before} if isinstance(before, str) else decision_to_json(before, trace=False)
        new_json = {"error": after} if isinstance(after, str) else decision_to_json(after, trace=False)
        report.examples.append(Change(number, action, (kind,), old_json, new_json))


def _compare(report: DiffReport, number: int, before: Decision, after: Decision, examples: int) -> None:
    kinds = change_kinds(before, after)
    if not kinds:
        return
    report.changed += 1
    report.by_action.setdefault(before.action, Counter()).update(kinds)
    for currency, delta in _money_delta(before, after).items():
        report.money[currency] = report.money.get(currency, Decimal(0)) + delta
    if len(report.examples) < examples:
        old_json = decision_to_json(before, trace=False)
        new_json = decision_to_json(after, trace=False)
        report.examples.append(Change(number, before.action, kinds, old_json, new_json))


def change_kinds(before: Decision, after: Decision) -> tuple[str, ...]:
    """The kinds of change between two decisions on one request (empty when they agree)."""
    kinds = []
    if before.outcome != after.outcome:
        kinds.append(OUTCOME)
    dates = [(p, v) for p, v in before.fields if _is_date(v)] != [
        (p, v) for p, v in after.fields if _is_date(v)
    ]
    if before.term != after.term or dates:
        kinds.append(TERM)
    if before.charges != after.charges or _money_fields(before) != _money_fields(after):
        kinds.append(MONEY)
    if not kinds and (before.fields != after.fields or before.reasons != after.reasons):
        kinds.append(OTHER)
    return tuple(kinds)


def _is_date(value: object) -> bool:
    return isinstance(value, date)


def _money_fields(decision: Decision) -> list[tuple[str, object]]:
    return [(p, v) for p, v in decision.fields if hasattr(v, "currency")]


def _money_delta(before: Decision, after: Decision) -> dict[str, Decimal]:
    delta: dict[str, Decimal] = {}
    for sign, decision in ((-1, before), (1, after)):
        total = decision.total
        if total is not None:
            delta[total.currency] = delta.get(total.currency, Decimal(0)) + sign * total.amount
    return {currency: value for currency, value in delta.items() if value}


def render_report(report: DiffReport, old: str, new: str) -> str:
    lines = [f"Decided {report.requests} requests under {old} and under {new}."]
    if report.errors:
        lines.append(f"{len(report.errors)} requests could not be decided (see --json for each).")
    if not report.changed:
        lines.append("no decision changed")
        return "\n".join(lines)
    lines.append(f"{report.changed} decisions changed.")
    lines.append("By action:")
    for action, counts in sorted(report.by_action.items()):
        parts = ", ".join(f"{kind} {counts[kind]}" for kind in KINDS if counts[kind])
        lines.append(f"  {action}: {parts}")
    if report.money:
        lines.append("Money difference (new - old):")
        lines += [f"  {currency} {value:+}" for currency, value in sorted(report.money.items())]
    lines.append("First changed requests:")
    for change in report.examples:
        lines.append(f"  line {change.line} ({change.action}): {', '.join(change.kinds)}")
        lines.append(f"    old: {_summary(change.old)}")
        lines.append(f"    new: {_summary(change.new)}")
    return "\n".join(lines)


def _summary(decision: dict[str, Any]) -> str:
    if "error" in decision:
        return f"error: {decision['error']}"
    parts = [str(decision["outcome"])]
    term = decision.get("term")
    if term:
        parts.append(f"term {term['start']} until {term['end']}")
    for charge in decision.get("charges", []):
        parts.append(f"{charge['code']} {charge['amount']} {charge['currency']}")
    total = decision.get("total")
    if total:
        parts.append(f"total {total['amount']} {total['currency']}")
    reasons = decision.get("reasons") or []
    if decision["outcome"] == "rejected" and reasons:
        parts.append(f"{reasons[0]['clause']}")
    return "; ".join(parts)
