"""What the policy answered (outcome, reasons, term, charges, fields, trace) and its JSON form."""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs

from mespolicy.model.calendar import Term
from mespolicy.model.contracts import check_id
from mespolicy.model.money import Money, format_amount, sum_money
from mespolicy.model.trusted import maker


class Outcome(enum.Enum):
    """Whether the request is granted."""

    APPROVED = "approved"
    REJECTED = "rejected"


def _of(kind: type) -> Callable[[object, attrs.Attribute[Any], object], None]:
    return attrs.validators.instance_of(kind)


def _tuple_of(kind: type) -> Callable[[object, attrs.Attribute[Any], object], None]:
    return attrs.validators.deep_iterable(_of(kind), _of(tuple))


def _optional(kind: type) -> Callable[[object, attrs.Attribute[Any], object], None]:
    return attrs.validators.optional(_of(kind))


@attrs.frozen
class Reason:
    """Why a decision went as it did, citing the clause (``§8.5``) it rests on."""

    clause: str = attrs.field(validator=check_id)
    message: str = attrs.field(validator=check_id)


@attrs.frozen
class Charge:
    """One rounded amount billed, under ``code`` (``renewal``, ``reinstatement_fee``, ...)."""

    code: str = attrs.field(validator=check_id)
    amount: Money = attrs.field(validator=_of(Money))
    period: Term | None = attrs.field(validator=_optional(Term))
    contract: str | None = attrs.field(validator=attrs.validators.optional(check_id))
    clause: str = attrs.field(validator=check_id)


def _check_detail(_: object, __: attrs.Attribute[Any], detail: object) -> None:
    if not isinstance(detail, tuple):
        raise TypeError(f"detail must be a tuple of (name, value) pairs, got {detail!r}")
    names: set[str] = set()
    for pair in detail:
        if not _is_pair_of_str(pair):
            raise TypeError(f"detail holds {pair!r}, not a (name, rendered value) pair of strings")
        if pair[0] in names:
            raise ValueError(f"detail names {pair[0]!r} twice")
        names.add(pair[0])


def _is_pair_of_str(pair: object) -> bool:
    return isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(p, str) for p in pair)


@attrs.frozen
class TraceStep:
    """One rule the evaluator considered, whether it applied, and the values its condition saw.

    ``kind`` is the rule's kind (``"reject"``, ``"approve"``); ``location`` is
    ``file:line``; ``detail`` pairs each name with its rendered value.
    """

    rule: str = attrs.field(validator=check_id)
    kind: str = attrs.field(validator=check_id)
    applied: bool = attrs.field(validator=_of(bool))
    clauses: tuple[str, ...] = attrs.field(validator=_tuple_of(str))
    location: str = attrs.field(validator=check_id)
    detail: tuple[tuple[str, str], ...] = attrs.field(default=(), validator=_check_detail)


@attrs.frozen
class PolicyIdentity:
    """The policy a decision was made under: the name and version its rule files declare (``None``
    when they declare none) and ``sha256:...`` of their content (``mespolicy.identity``)."""

    name: str | None = attrs.field(validator=_optional(str))
    version: str | None = attrs.field(validator=_optional(str))
    hash: str = attrs.field(validator=check_id)


# ---------------------------------------------------------------- field values

_FIXED_KEYS = frozenset(
    {"action", "outcome", "reasons", "term", "charges", "total", "trace", "ref", "policy"}
)


def _field_json(value: object) -> object:
    """The JSON rendering of one field value; ``TypeError`` for anything else."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, Money):
        return _money_json(value)
    if isinstance(value, Term):
        return _term_json(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal) and value.is_finite():
        return format(value, "f")
    if isinstance(value, enum.Enum):
        return value.value if isinstance(value.value, str) else value.name
    if isinstance(value, tuple):
        return [_field_json(item) for item in value]
    raise TypeError(f"a decision field cannot hold {type(value).__name__}: {value!r}")


def _nest(fields: tuple[tuple[str, object], ...]) -> dict[str, object]:
    """Fields as nested JSON objects: ``renewal.date`` goes to ``{"renewal": {"date": ...}}``."""
    out: dict[str, object] = {}
    for name, value in fields:
        *parents, leaf = _field_path(name)
        node = out
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValueError(f"field {name!r}: {part!r} already holds a value")
            node = child
        if leaf in node:
            raise ValueError(f"field {name!r} is given twice or also has sub-fields")
        node[leaf] = _field_json(value)
    return out


def _field_path(name: object) -> tuple[str, ...]:
    if not isinstance(name, str):
        raise TypeError(f"a field name must be a string, got {name!r}")
    return _split_field(name)


# the same few declared output names come back decision after decision
@functools.lru_cache(maxsize=1024)
def _split_field(name: str) -> tuple[str, ...]:
    parts = tuple(name.split("."))
    if not all(parts):
        raise ValueError(f"field name {name!r} has an empty part")
    if parts[0] in _FIXED_KEYS:
        raise ValueError(f"field name {name!r} would replace the decision's own {parts[0]!r}")
    return parts


def _check_fields(_: object, __: attrs.Attribute[Any], fields: object) -> None:
    if not isinstance(fields, tuple) or not all(
        isinstance(pair, tuple) and len(pair) == 2 for pair in fields
    ):
        raise TypeError(f"fields must be a tuple of (name, value) pairs, got {fields!r}")
    _nest(fields)


def _check_currencies(_: object, __: attrs.Attribute[Any], charges: tuple[Charge, ...]) -> None:
    _total(charges)


def _total(charges: tuple[Charge, ...]) -> Money | None:
    if not charges:
        return None
    return sum_money((c.amount for c in charges), charges[0].amount.currency)


@attrs.frozen
class Decision:
    """The answer to one request.

    ``fields`` holds the action's own outputs by name, such as
    ``("effective", date)`` or ``("renewal.amount", Money)``; a dotted name
    nests in JSON. A field value is a date, Money, Term, Decimal, Enum, str,
    bool, int, None or a tuple of these. All charges share one currency.
    """

    action: str = attrs.field(validator=check_id)
    outcome: Outcome = attrs.field(validator=_of(Outcome))
    reasons: tuple[Reason, ...] = attrs.field(validator=_tuple_of(Reason))
    term: Term | None = attrs.field(validator=_optional(Term))
    charges: tuple[Charge, ...] = attrs.field(validator=[_tuple_of(Charge), _check_currencies])
    fields: tuple[tuple[str, object], ...] = attrs.field(validator=_check_fields)
    trace: tuple[TraceStep, ...] = attrs.field(validator=_tuple_of(TraceStep))
    # the caller's own reference of the request, echoed for correlation
    ref: str | None = attrs.field(default=None, kw_only=True, validator=_optional(str))
    policy: PolicyIdentity | None = attrs.field(
        default=None, kw_only=True, validator=_optional(PolicyIdentity)
    )
    # the currency of a zero total: set on an approval of an action that can charge
    currency: str | None = attrs.field(default=None, kw_only=True, validator=_optional(str))

    @property
    def total(self) -> Money | None:
        """The sum of the (already rounded) charges.

        When nothing is charged: zero in ``currency`` if the decision has one (an
        approval of an action that can charge), else ``None``.
        """
        if not self.charges and self.currency is not None:
            return Money.zero(self.currency)
        return _total(self.charges)

    def field(self, name: str) -> object:
        """The value of field ``name``; ``KeyError`` if the decision has none."""
        for key, value in self.fields:
            if key == name:
                return value
        raise KeyError(name)


# ---------------------------------------------------------------- built by the engine
#
# The compiled policy builds its decisions from values it has already checked (the request at
# the boundary, amounts rounded by `Money.of`, terms ordered): running the validators again cost
# about a fifth of deciding a request. These build the same objects without them; a user's
# `Decision(...)` is still validated.

_make_reason = maker(Reason, ("clause", "message"))
_make_charge = maker(Charge, ("code", "amount", "period", "contract", "clause"))
_DECISION = ("action", "outcome", "reasons", "term", "charges", "fields", "trace")
_make_decision = maker(Decision, (*_DECISION, "ref", "policy", "currency"))


def built_reason(clause: str, message: str) -> Reason:
    """A reason of a rule; its message is the rule's own text, which may come out empty."""
    if not message:
        return Reason(clause, message)  # the validator's error, as for any reason
    return _make_reason(clause, message)


def built_charge(code: str, amount: Money, period: Term | None, contract: str | None, clause: str) -> Charge:
    return _make_charge(code, amount, period, contract, clause)


def built_decision(
    action: str,
    outcome: Outcome,
    reasons: tuple[Reason, ...],
    term: Term | None,
    charges: tuple[Charge, ...],
    fields: tuple[tuple[str, object], ...],
    trace: tuple[TraceStep, ...],
    ref: str | None,
    policy: PolicyIdentity | None,
    currency: str | None = None,
) -> Decision:
    """A decision of the compiled policy: its charges share one currency (`runtime.charges_of`
    checked it) and its fields are the declared outputs, each set once."""
    if len(fields) > 1 and len({name for name, _ in fields}) < len(fields):
        # a field set twice (in a loop): the validator's error, as before
        return Decision(action, outcome, reasons, term, charges, fields, trace, ref=ref, policy=policy)
    return _make_decision(action, outcome, reasons, term, charges, fields, trace, ref, policy, currency)


# ---------------------------------------------------------------- JSON


def _money_json(m: Money) -> dict[str, object]:
    return {"amount": format_amount(m.amount, m.currency), "currency": m.currency}


def _term_json(term: Term) -> dict[str, object]:
    return {"start": term.start.isoformat(), "end": term.end.isoformat()}


def _charge_json(c: Charge) -> dict[str, object]:
    period = c.period
    return {
        "code": c.code,
        "amount": format_amount(c.amount.amount, c.amount.currency),
        "currency": c.amount.currency,
        "start": None if period is None else period.start.isoformat(),
        "end": None if period is None else period.end.isoformat(),
        "contract": c.contract,
        "clause": c.clause,
    }


def _identity_json(identity: PolicyIdentity) -> dict[str, object]:
    return {"name": identity.name, "version": identity.version, "hash": identity.hash}


def _step_json(step: TraceStep) -> dict[str, object]:
    return {
        "rule": step.rule,
        "kind": step.kind,
        "applied": step.applied,
        "clauses": list(step.clauses),
        "location": step.location,
        "detail": dict(step.detail),
    }


def decision_to_json(d: Decision, *, trace: bool = True) -> dict[str, object]:
    """``d`` as plain JSON data, ready for ``json.dumps`` without a custom encoder.

    Amounts are strings with the currency's minor digits (``"12000.00"``,
    ``"1000"`` for JPY), dates ISO strings. ``term`` is ``null`` when absent.
    ``total`` is zero in the contract's currency for an approval of an action
    that can charge and charged nothing, and ``null`` for a rejection or an
    action that never charges. ``ref`` echoes the request's (``null`` when it
    has none); ``policy`` names the policy: name, version and content hash.
    ``trace=False`` leaves the ``trace`` key out.
    """
    charges = [_charge_json(c) for c in d.charges]
    if len(charges) == 1:
        # the sum of one charge is written as the charge is (minor digits either way)
        only = charges[0]
        total_json: dict[str, object] | None = {"amount": only["amount"], "currency": only["currency"]}
    else:
        total = d.total
        total_json = None if total is None else _money_json(total)
    out: dict[str, object] = {
        "action": d.action,
        "outcome": d.outcome.value,
        "reasons": [{"clause": r.clause, "message": r.message} for r in d.reasons],
        "term": None if d.term is None else _term_json(d.term),
        "charges": charges,
        "total": total_json,
        "ref": d.ref,
        "policy": None if d.policy is None else _identity_json(d.policy),
    }
    if trace:
        out["trace"] = [_step_json(step) for step in d.trace]
    out.update(_nest(d.fields))
    return out
