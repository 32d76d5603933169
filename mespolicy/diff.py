"""What a policy change does to real contracts: requests decided under two policies, each change named."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from mespolicy.errors import MespolicyError
from mespolicy.model.calendar import Term
from mespolicy.model.decision import Decision, Outcome
from mespolicy.model.facts import Facts
from mespolicy.model.money import Money, format_amount
from mespolicy.model.request import RequestError
from mespolicy.policy import Policy

OUTCOME = "outcome changed"
TERM = "term changed"
AMOUNT = "amount changed"
OUTPUT = "output changed"
REASONS = "reasons changed"
ERROR = "became an error"
FIXED = "error became a decision"
KINDS = (OUTCOME, TERM, AMOUNT, OUTPUT, REASONS, ERROR, FIXED)

# the field of a charge, `total`, and how revenue moved, in the report's words
TOTAL = "total"
LOST = "approved -> rejected"
GAINED = "rejected -> approved"


@attrs.frozen
class FieldChange:
    """One field of a decision that differs: its name, the kind of change, old and new value.

    A value is what the decision holds (an Outcome's word, a Term, Money, a date,
    a string), or None where the decision has no such field.
    """

    field: str
    kind: str
    old: object
    new: object


@attrs.frozen
class Change:
    """One request whose decision differs: where it is, its action, and each changed field."""

    line: int
    ref: str | None
    action: str
    fields: tuple[FieldChange, ...]

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(kind for kind in KINDS if any(f.kind == kind for f in self.fields))


# money by currency (the report never adds two currencies)
Sums = dict[str, Decimal]


@attrs.define
class DiffReport:
    """Every request decided under both policies: how many changed, how, and what the money did.

    `by_charge` sums, per charge code, new - old over the requests approved under both
    policies; `moved` is the revenue of the requests whose outcome changed, apart: what
    was charged before a request became a rejection (negative) and what is charged
    now that it is approved.
    """

    requests: int = 0
    changed: int = 0
    by_kind: Counter[str] = attrs.Factory(Counter)
    by_action: dict[str, Counter[str]] = attrs.Factory(dict)
    by_charge: dict[str, Sums] = attrs.Factory(dict)
    moved: dict[str, Sums] = attrs.Factory(dict)
    moved_requests: Counter[str] = attrs.Factory(Counter)
    changes: list[Change] = attrs.Factory(list)
    errors: list[dict[str, Any]] = attrs.Factory(list)

    @property
    def within_approved(self) -> Sums:
        """The change of the totals of requests approved under both policies."""
        return self.by_charge.get(TOTAL, {})

    @property
    def net(self) -> Sums:
        """Everything the change does to revenue: amounts within approvals, and revenue moved."""
        net: Sums = {}
        for sums in (self.within_approved, *self.moved.values()):
            _add_sums(net, sums)
        return {currency: value for currency, value in net.items() if value}

    def to_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "changed": self.changed,
            "by_kind": {kind: self.by_kind[kind] for kind in KINDS if self.by_kind[kind]},
            "by_action": {a: _counts(c) for a, c in sorted(self.by_action.items())},
            "money": {
                "within_approved": {
                    "by_charge": {c: _sums_json(s) for c, s in self.by_charge.items() if c != TOTAL},
                    "total": _sums_json(self.within_approved),
                },
                "moved": {
                    way: {"requests": self.moved_requests[way], "amount": _sums_json(self.moved.get(way, {}))}
                    for way in (LOST, GAINED)
                },
                "net": _sums_json(self.net),
            },
            "changes": [_change_json(change) for change in self.changes],
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
    """Decide each JSON request line under `old` and `new`, and name every change.

    A line is its text (or bytes), or the error that kept it from being read
    (over the size limit, blank); requests are read within `new`'s limits. The
    first `examples` changed requests are kept with their changed fields.
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
            if isinstance(before, str) and isinstance(after, str):
                report.errors.append({"line": number, "message": f"under both policies: {after}"})
            else:
                _count(report, number, request, before, after, examples)
        if advance is not None:
            advance()
    return report


def _decide(policy: Policy, request: Facts | str | bytes) -> Decision | str:
    """The decision, or the error the policy met reading or deciding it (in words)."""
    try:
        return policy.decide(policy.read_json(request) if isinstance(request, str | bytes) else request)
    except (RequestError, MespolicyError) as error:
        return str(error)


def _count(
    report: DiffReport,
    number: int,
    request: Facts,
    before: Decision | str,
    after: Decision | str,
    examples: int,
) -> None:
    fields = tuple(changed_fields(before, after))
    if not fields:
        return
    change = Change(number, request.ref, request.action, fields)
    report.changed += 1
    report.by_kind.update(change.kinds)
    report.by_action.setdefault(request.action, Counter()).update(change.kinds)
    if isinstance(before, Decision) and isinstance(after, Decision):
        _count_money(report, before, after)
    if len(report.changes) < examples:
        report.changes.append(change)


def _count_money(report: DiffReport, before: Decision, after: Decision) -> None:
    approved = (before.outcome is Outcome.APPROVED, after.outcome is Outcome.APPROVED)
    if approved == (True, True):
        for code, sums in _charge_deltas(before, after).items():
            _add_sums(report.by_charge.setdefault(code, {}), sums)
        _add_sums(report.by_charge.setdefault(TOTAL, {}), _delta(before.total, after.total))
    elif approved == (True, False):
        report.moved_requests[LOST] += 1
        _add_sums(report.moved.setdefault(LOST, {}), _delta(before.total, None))
    elif approved == (False, True):
        report.moved_requests[GAINED] += 1
        _add_sums(report.moved.setdefault(GAINED, {}), _delta(None, after.total))
    for key in [key for key, sums in report.by_charge.items() if not any(sums.values())]:
        del report.by_charge[key]


def changed_fields(before: Decision | str, after: Decision | str) -> Iterator[FieldChange]:
    """Each field that differs between two answers to one request, old -> new (none when they agree).

    Reasons count only when nothing else changed: they restate the outcome, term,
    amounts and outputs, which are listed themselves. When the outcome changed, every
    field is of that kind.
    """
    if isinstance(before, str) or isinstance(after, str):
        if before != after:
            kind = ERROR if isinstance(after, str) else FIXED
            yield FieldChange("error", kind, _error(before), _error(after))
        return
    found = list(_decision_changes(before, after))
    if not found and before.reasons != after.reasons:
        found.append(FieldChange("reasons", REASONS, _reasons(before), _reasons(after)))
    if before.outcome != after.outcome:
        # a term, charges and outputs that come or go with the outcome are that change, not
        # amounts or terms of their own: the amounts changed stay those within approvals
        found = [attrs.evolve(field, kind=OUTCOME) for field in found]
    yield from found


def _decision_changes(before: Decision, after: Decision) -> Iterator[FieldChange]:
    if before.outcome != after.outcome:
        yield FieldChange("outcome", OUTCOME, before.outcome.value, after.outcome.value)
    old_term, new_term = before.term, after.term
    if old_term is None or new_term is None:
        if old_term != new_term:
            yield FieldChange("term", TERM, old_term, new_term)
    else:
        if old_term.start != new_term.start:
            yield FieldChange("term start", TERM, old_term.start, new_term.start)
        if old_term.end != new_term.end:
            yield FieldChange("term end", TERM, old_term.end, new_term.end)
    old_charges, new_charges = _charges(before), _charges(after)
    for key in [*old_charges, *(k for k in new_charges if k not in old_charges)]:
        if old_charges.get(key) != new_charges.get(key):
            yield FieldChange(key, AMOUNT, old_charges.get(key), new_charges.get(key))
    if before.total != after.total:
        yield FieldChange(TOTAL, AMOUNT, before.total, after.total)
    old_fields, new_fields = dict(before.fields), dict(after.fields)
    for name in [*old_fields, *(k for k in new_fields if k not in old_fields)]:
        if old_fields.get(name) != new_fields.get(name):
            yield FieldChange(name, OUTPUT, old_fields.get(name), new_fields.get(name))


def _charges(decision: Decision) -> dict[str, Money]:
    """Each charge by its code, and the contract it is on when it names one (charges on one key added)."""
    found: dict[str, Money] = {}
    for charge in decision.charges:
        key = charge.code if charge.contract is None else f"{charge.code} on {charge.contract}"
        known = found.get(key)
        amount = charge.amount.amount if known is None else known.amount + charge.amount.amount
        found[key] = Money(amount, charge.amount.currency)
    return found


def _charge_deltas(before: Decision, after: Decision) -> dict[str, Sums]:
    """new - old of each charge code (all contracts together), by currency."""
    deltas: dict[str, Sums] = {}
    for sign, decision in ((-1, before), (1, after)):
        for charge in decision.charges:
            sums = deltas.setdefault(charge.code, {})
            currency = charge.amount.currency
            sums[currency] = sums.get(currency, Decimal(0)) + sign * charge.amount.amount
    return deltas


def _delta(old: Money | None, new: Money | None) -> Sums:
    sums: Sums = {}
    for sign, money in ((-1, old), (1, new)):
        if money is not None:
            sums[money.currency] = sums.get(money.currency, Decimal(0)) + sign * money.amount
    return sums


def _add_sums(into: Sums, sums: Sums) -> None:
    for currency, value in sums.items():
        into[currency] = into.get(currency, Decimal(0)) + value


def _error(answer: Decision | str) -> str | None:
    return answer if isinstance(answer, str) else None


def _reasons(decision: Decision) -> tuple[str, ...]:
    return tuple(f"{reason.clause} {reason.message}" for reason in decision.reasons)


# -- JSON ---------------------------------------------------------------------------------------


def _counts(counts: Counter[str]) -> dict[str, int]:
    return {kind: counts[kind] for kind in KINDS if counts[kind]}


def _sums_json(sums: Sums) -> dict[str, str]:
    return {currency: format_amount(value, currency) for currency, value in sorted(sums.items())}


def _change_json(change: Change) -> dict[str, Any]:
    return {
        "line": change.line,
        "ref": change.ref,
        "action": change.action,
        "kinds": list(change.kinds),
        "fields": [
            {"field": f.field, "kind": f.kind, "old": value_json(f.old), "new": value_json(f.new)}
            for f in change.fields
        ],
    }


def value_json(value: object) -> object:
    """A changed field's value as JSON: money as amount and currency, dates ISO, a term its two days."""
    if isinstance(value, Money):
        return {"amount": format_amount(value.amount, value.currency), "currency": value.currency}
    if isinstance(value, Term):
        return {"start": value.start.isoformat(), "end": value.end.isoformat()}
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [value_json(item) for item in value]
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(getattr(value, "value", value))
