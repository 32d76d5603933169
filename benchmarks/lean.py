"""A lean hand-written reading of the whole shipped ME&S policy: request JSON dict in, decision dict out.

The baseline of the whole-process and in-process figures: what a careful
developer would write by hand for the six actions of ``rules/`` (renew, cancel,
initial, coterminate, status, premium_support), with nothing but the standard
library: ``json``, dicts, ``decimal.Decimal`` and ``datetime.date``. It imports
nothing of mespolicy. Its answer is the dict ``mespolicy decide --jsonl`` prints
for the same line, without the ``trace``: the same reasons and clauses, term,
charges (each rounded once, half-up, to the currency's minor unit), total and
output fields. A request it cannot read gets an error object naming the field,
as a service would return; its wording is its own.

``python -m benchmarks.lean [--policy-hash HASH] < requests.jsonl > decisions.jsonl``
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

# The policy's numbers (rules/parameters.mes), each with the words its reasons print.
MINIMUM_INITIAL_MONTHS = 12
RENEWAL_MONTHS = 12
FEE_YEAR_MONTHS = 12
DAYS_PER_YEAR = 365
CANCELLATION_NOTICE = timedelta(days=30)
REACTIVATION_CUTOFF_MONTHS = 36
DEFERRAL_GRACE = timedelta(days=90)
RENEWAL_NOTICE_LEAD = timedelta(days=90)
REINSTATEMENT_FEE_RATE = Decimal("0.25")
_TERM_TEXT = "12 months"
_NOTICE_TEXT = "30 days"
_CUTOFF_TEXT = "36 months"
_GRACE_TEXT = "90 days"
_LEAD_TEXT = "90 days"
_RATE_TEXT = "25%"

POLICY_NAME = "ME&S policy"
POLICY_VERSION = "2026.1"

# The currencies billed, with the decimal places invoices show (CLDR's digits: HUF in whole forints).
_TWO = "AED AUD BRL CAD CHF CNY CZK DKK EUR GBP HKD ILS INR MXN MYR NOK NZD PLN RON SEK SGD THB TRY TWD USD"
_TWO += " ZAR"
MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(_TWO.split(" "), 2),
    **dict.fromkeys(("CLP", "HUF", "ISK", "JPY", "KRW", "VND"), 0),
    **dict.fromkeys(("BHD", "JOD", "KWD", "OMR", "TND"), 3),
}
_QUANTA = {code: Decimal(1).scaleb(-places) for code, places in MINOR_UNITS.items()}
LARGEST_FEE = Decimal(10) ** 15
FIRST_YEAR, LAST_YEAR = 1900, 2999
MOST_ITEMS = 10_000
MOST_REF_CHARS = 200

ACTIONS = ("renew", "cancel", "initial", "coterminate", "status", "premium_support")
TIERS = frozenset(("after_hours", "weekend", "emergency_access", "support_cloud"))
_ROLES = frozenset(("customer", "partner"))
_KINDS = frozenset(("perpetual", "subscription"))
_REQUEST_KEYS = frozenset(
    (
        "action",
        "ref",
        "date",
        "customer",
        "contracts",
        "licenses",
        "contract",
        "license",
        "coterminate_with",
        "cancel_licenses",
        "target_end",
        "tier",
    )
)
_CUSTOMER_KEYS = ("id", "role", "existing")
_CONTRACT_KEYS = ("id", "currency", "start", "end", "annual_fee", "licenses")
_LICENSE_KEYS = ("id", "product", "kind", "shipped", "currency", "annual_fee")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_AMOUNT = re.compile(r"[0-9]{1,40}(\.[0-9]{1,40})?")
# wide enough that dividing a fee by 365 never rounds before the one half-up rounding
_EXACT = Context(prec=60)


class Invalid(Exception):
    """A request that cannot be decided: the field at fault and why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


# -- reading the request


def _object(value: object, where: str, keys: Sequence[str] | frozenset[str]) -> dict[str, Any]:
    if type(value) is not dict:
        raise Invalid(where or "<request>", "expected a JSON object")
    for key in value:
        if key not in keys:
            raise Invalid(f"{where}.{key}" if where else key, "unknown key")
    return value


def _get(obj: dict[str, Any], key: str, where: str) -> Any:
    try:
        return obj[key]
    except KeyError:
        raise Invalid(f"{where}.{key}" if where else key, "missing") from None


def _text(value: object, where: str) -> str:
    if type(value) is not str or not value:
        raise Invalid(where, "expected a non-empty string")
    return value


def _date(value: object, where: str) -> date:
    if type(value) is not str or _DATE.fullmatch(value) is None:
        raise Invalid(where, "expected a date YYYY-MM-DD")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise Invalid(where, f"not a date: {value}") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise Invalid(where, f"outside the years {FIRST_YEAR} to {LAST_YEAR}")
    return day


def _choice(value: object, choices: Sequence[str] | frozenset[str] | dict[str, int], where: str) -> str:
    """``value`` when it is one of ``choices`` (checked as text first: a list would not hash)."""
    if type(value) is not str or value not in choices:
        raise Invalid(where, f"expected one of {', '.join(sorted(choices))}")
    return value


def _currency(value: object, where: str) -> str:
    return _choice(value, MINOR_UNITS, where)


def _amount(value: object, currency: str, where: str) -> Decimal:
    if type(value) is not str or _AMOUNT.fullmatch(value) is None:
        raise Invalid(where, 'expected an amount as a string of digits, e.g. "12000.00"')
    amount = Decimal(value)
    if amount >= LARGEST_FEE:
        raise Invalid(where, "not a plausible fee")
    if amount != amount.quantize(_QUANTA[currency], context=_EXACT):
        raise Invalid(where, f"finer than the minor unit of {currency}")
    return amount


def _ids(value: object, where: str) -> list[str]:
    if type(value) is not list:
        raise Invalid(where, "expected a JSON array")
    if len(value) > MOST_ITEMS:
        raise Invalid(where, "too many items")
    seen: set[str] = set()
    for i, item in enumerate(value):
        _text(item, f"{where}[{i}]")
        if item in seen:
            raise Invalid(f"{where}[{i}]", "listed twice")
        seen.add(item)
    return value


def _customer(value: object) -> dict[str, Any]:
    obj = _object(value, "customer", _CUSTOMER_KEYS)
    _text(_get(obj, "id", "customer"), "customer.id")
    _choice(_get(obj, "role", "customer"), _ROLES, "customer.role")
    existing = _get(obj, "existing", "customer")
    if type(existing) is not bool:
        raise Invalid("customer.existing", "expected true or false")
    return obj


def _contract(value: object, where: str) -> dict[str, Any]:
    obj = _object(value, where, _CONTRACT_KEYS)
    currency = _currency(_get(obj, "currency", where), f"{where}.currency")
    start = _date(_get(obj, "start", where), f"{where}.start")
    end = _date(_get(obj, "end", where), f"{where}.end")
    if end < start:
        raise Invalid(f"{where}.end", "before start")
    return {
        "id": _text(_get(obj, "id", where), f"{where}.id"),
        "currency": currency,
        "start": start,
        "end": end,
        "fee": _amount(_get(obj, "annual_fee", where), currency, f"{where}.annual_fee"),
        "licenses": _ids(_get(obj, "licenses", where), f"{where}.licenses"),
    }


def _license(value: object, where: str) -> dict[str, Any]:
    obj = _object(value, where, _LICENSE_KEYS)
    currency = _currency(_get(obj, "currency", where), f"{where}.currency")
    kind = _choice(_get(obj, "kind", where), _KINDS, f"{where}.kind")
    _text(_get(obj, "product", where), f"{where}.product")
    return {
        "id": _text(_get(obj, "id", where), f"{where}.id"),
        "kind": kind,
        "shipped": _date(_get(obj, "shipped", where), f"{where}.shipped"),
        "currency": currency,
        "fee": _amount(_get(obj, "annual_fee", where), currency, f"{where}.annual_fee"),
    }


def _records(value: object, name: str, read: Any) -> dict[str, dict[str, Any]]:
    """The records of a list by id, in request order (dicts keep it)."""
    if value is None:
        return {}
    if type(value) is not list:
        raise Invalid(name, "expected a JSON array")
    if len(value) > MOST_ITEMS:
        raise Invalid(name, "too many items")
    found: dict[str, dict[str, Any]] = {}
    for i, item in enumerate(value):
        record = read(item, f"{name}[{i}]")
        if record["id"] in found:
            raise Invalid(f"{name}[{i}].id", "duplicate id")
        found[record["id"]] = record
    return found


def _pick(request: dict[str, Any], key: str, pool: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    ident = request.get(key)
    if ident is None:
        return None
    record = pool.get(_text(ident, key))
    if record is None:
        raise Invalid(key, f"no entry has id {ident}")
    return record


def _needed(record: dict[str, Any] | None, key: str) -> dict[str, Any]:
    if record is None:
        raise Invalid(key, "this action needs it")
    return record


class _Request:
    """A request read and checked: dates as dates, fees as Decimals, references resolved."""

    __slots__ = (
        "action",
        "cancel_licenses",
        "contract",
        "contracts",
        "coterminate_with",
        "customer",
        "day",
        "license",
        "ref",
        "target_end",
        "tier",
    )  # fmt: skip

    def __init__(self, data: object) -> None:
        request = _object(data, "", _REQUEST_KEYS)
        ref = request.get("ref")
        if ref is not None and (type(ref) is not str or len(ref) > MOST_REF_CHARS):
            raise Invalid("ref", f"expected a string of at most {MOST_REF_CHARS} characters")
        self.ref = ref
        self.action = _choice(_get(request, "action", ""), ACTIONS, "action")
        self.day = _date(_get(request, "date", ""), "date")
        self.customer = _customer(_get(request, "customer", ""))
        contracts = _records(request.get("contracts"), "contracts", _contract)
        licenses = _records(request.get("licenses"), "licenses", _license)
        self.contracts = list(contracts.values())
        self.contract = _pick(request, "contract", contracts)
        self.license = _pick(request, "license", licenses)
        self.coterminate_with = _pick(request, "coterminate_with", contracts)
        named = request.get("cancel_licenses")
        self.cancel_licenses = None if named is None else _ids(named, "cancel_licenses")
        target = request.get("target_end")
        self.target_end = None if target is None else _date(target, "target_end")
        tier = request.get("tier")
        self.tier = None if tier is None else _choice(tier, TIERS, "tier")


# -- the policy's arithmetic


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months``, the day clamped to the month's last (2024-02-29 + 12 = 2025-02-28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    if month == 2:
        last = 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    else:
        last = _MONTH_DAYS[month]
    return date(year, month, min(day.day, last))


_MONTH_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _fee_days(first_day: date, end_day: date) -> int:
    """The period [first_day, end_day) in the fee's days: 365 a whole fee year, then the days left."""
    years = 0
    while add_months(first_day, (years + 1) * FEE_YEAR_MONTHS) <= end_day:
        years += 1
    rest = (end_day - add_months(first_day, years * FEE_YEAR_MONTHS)).days
    return years * DAYS_PER_YEAR + rest


def _round(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(_QUANTA[currency], rounding=ROUND_HALF_UP, context=_EXACT)


def fee(
    annual: Decimal, first_day: date, end_day: date, currency: str, rate: Decimal = Decimal(1)
) -> Decimal:
    """``rate`` times the ME&S fee of [first_day, end_day), rounded once: whole years, then days at /365."""
    exact = _EXACT.divide(annual * rate * _fee_days(first_day, end_day), DAYS_PER_YEAR)
    return _round(exact, currency)


def _money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": format(_round(amount, currency), "f"), "currency": currency}


def _charge(
    code: str, amount: Decimal, currency: str, start: date, end: date, contract: str | None, clause: str
) -> dict[str, Any]:
    return {
        "code": code,
        "amount": format(amount, "f"),
        "currency": currency,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "contract": contract,
        "clause": clause,
    }


def _term(start: date, end: date) -> dict[str, str]:
    return {"start": start.isoformat(), "end": end.isoformat()}


def _reason(clause: str, message: str) -> dict[str, str]:
    return {"clause": clause, "message": message}


class _Answer:
    """What an action decided, before it is written out."""

    __slots__ = ("charges", "fields", "outcome", "reasons", "term", "total")

    def __init__(
        self,
        outcome: str,
        reasons: list[dict[str, str]],
        term: dict[str, str] | None = None,
        charges: list[dict[str, Any]] | None = None,
        total: dict[str, str] | None = None,
        fields: dict[str, Any] | None = None,
    ) -> None:
        self.outcome = outcome
        self.reasons = reasons
        self.term = term
        self.charges = charges or []
        self.total = total
        self.fields = fields or {}


def _rejected(clause: str, message: str) -> _Answer:
    return _Answer("rejected", [_reason(clause, message)])


def _total(amounts: Sequence[Decimal], currency: str) -> dict[str, str]:
    """The sum of the rounded charges."""
    return _money(sum(amounts, Decimal(0)), currency)


def _contract_id(r: _Request) -> str | None:
    """A charge with no contract of its own is on the request's contract, when it names one."""
    return None if r.contract is None else r.contract["id"]


# -- the six actions


def renew(r: _Request) -> _Answer:
    """§6.2 on time; §8.2-8.4 late, in whole terms from the old expiry, with the §8.3 fee; §8.5 cutoff."""
    contract = _needed(r.contract, "contract")
    expiry, day = contract["end"], r.day
    last_day = add_months(expiry, REACTIVATION_CUTOFF_MONTHS)
    if day > last_day:
        return _rejected(
            "§8.5",
            f"ME&S expired on {expiry} and could be reactivated until {last_day}; only a new license "
            "purchase (perpetual or subscription) is possible now.",
        )
    annual, currency, ident = contract["fee"], contract["currency"], contract["id"]
    if day <= expiry:
        end = add_months(expiry, RENEWAL_MONTHS)
        amount = _round(annual, currency)
        return _Answer(
            "approved",
            [
                _reason(
                    "§6.2",
                    f"Renewed on or before the expiration date {expiry}: a new term of {_TERM_TEXT} "
                    "starting on that date.",
                )
            ],
            _term(expiry, end),
            [_charge("renewal", amount, currency, expiry, end, ident, "§6.2")],
            _total([amount], currency),
        )
    terms = 1
    while add_months(expiry, terms * RENEWAL_MONTHS) <= day:
        terms += 1
    end = add_months(expiry, terms * RENEWAL_MONTHS)
    renewal = _round(annual * terms, currency)
    reinstatement = fee(annual, expiry, day, currency, REINSTATEMENT_FEE_RATE)
    return _Answer(
        "approved",
        [
            _reason(
                "§8.4", f"The new term starts on the old expiration date {expiry}, not on the renewal day."
            ),
            _reason(
                "§8.2",
                f"ME&S lapsed on {expiry}: renewal fees are charged from that date, {terms} term(s) "
                f"until {end}.",
            ),
            _reason(
                "§8.3", f"A reinstatement fee of {_RATE_TEXT} applies to the fees due from {expiry} to {day}."
            ),
        ],
        _term(expiry, end),
        [
            _charge("renewal", renewal, currency, expiry, end, ident, "§8.2"),
            _charge("reinstatement_fee", reinstatement, currency, expiry, day, ident, "§8.3"),
        ],
        _total([renewal, reinstatement], currency),
    )


def cancel(r: _Request) -> _Answer:
    """§10.2 all licenses or none; §10.1 at expiry with 30 days' notice, else after the §5.5 renewals."""
    contract = _needed(r.contract, "contract")
    ident, held, named = contract["id"], contract["licenses"], r.cancel_licenses
    if named is not None and any(lic not in named for lic in held):
        return _rejected(
            "§10.2",
            f"Partial cancellation is not allowed: the notice must name every license of contract {ident}.",
        )
    if named is not None and any(lic not in held for lic in named):
        return _rejected("§10.2", f"The notice names licenses that are not on contract {ident}.")
    expiry, day, currency = contract["end"], r.day, contract["currency"]
    if expiry - day >= CANCELLATION_NOTICE:
        return _Answer(
            "approved",
            [
                _reason(
                    "§10.1",
                    f"Notice received {day}, at least {_NOTICE_TEXT} before the expiration date: "
                    f"ME&S ends on {expiry}.",
                )
            ],
            total=_total([], currency),
            fields={"effective": expiry.isoformat()},
        )
    renewals = 1
    while add_months(expiry, renewals * RENEWAL_MONTHS) - day < CANCELLATION_NOTICE:
        renewals += 1
    effective = add_months(expiry, renewals * RENEWAL_MONTHS)
    amount = _round(contract["fee"] * renewals, currency)
    return _Answer(
        "approved",
        [
            _reason(
                "§5.5",
                f"Notice received {day}, less than {_NOTICE_TEXT} before the expiration date {expiry}: "
                f"ME&S renewed automatically and ends on {effective}.",
            ),
            _reason(
                "§10.1",
                f"A cancellation takes effect at an expiration date at least {_NOTICE_TEXT} after the "
                "written notice.",
            ),
        ],
        charges=[_charge("renewal", amount, currency, expiry, effective, ident, "§5.5")],
        total=_total([amount], currency),
        fields={"effective": effective.isoformat()},
    )


_NO_SUPPORT = "No support is given before the signing day; support starts on {}."


def initial(r: _Request) -> _Answer:
    """§5.1-5.3 and §9: the initial term dated from shipping, co-terminated or not, in or after the grace."""
    lic = _needed(r.license, "license")
    shipped, day = lic["shipped"], r.day
    with_contract = r.coterminate_with
    if day < shipped:
        return _rejected(
            "§5.1", f"The license ships on {shipped}; its initial ME&S cannot be signed before that day."
        )
    if with_contract is not None and not r.customer["existing"]:
        return _rejected(
            "§5.3", "Only an existing customer may end an initial ME&S term on an existing expiration date."
        )
    if with_contract is not None and with_contract["end"] <= day:
        return _rejected(
            "§5.3",
            f"The contract to end with expires on {with_contract['end']}, on or before the signing "
            f"day {day}.",
        )
    in_grace = day - shipped <= DEFERRAL_GRACE
    annual, currency, on = lic["fee"], lic["currency"], _contract_id(r)
    if with_contract is None and in_grace:
        end = add_months(shipped, MINIMUM_INITIAL_MONTHS)
        clause = "§5.2"
        reasons = [
            _reason("§5.2", f"A first ME&S term of {_TERM_TEXT} from the license ship date {shipped}."),
            _reason("§9.1", f"Signed within {_GRACE_TEXT} of shipping: no fee or penalty."),
        ]
    elif with_contract is None:
        renewals = 0
        while add_months(shipped, MINIMUM_INITIAL_MONTHS + renewals * RENEWAL_MONTHS) <= day:
            renewals += 1
        end = add_months(shipped, MINIMUM_INITIAL_MONTHS + renewals * RENEWAL_MONTHS)
        clause = "§9.2"
        reasons = [
            _reason(
                "§9.2",
                f"Signed more than {_GRACE_TEXT} after shipping: ME&S is charged from the ship date "
                f"{shipped} until {end}, with a reinstatement fee of {_RATE_TEXT} on the back ME&S.",
            )
        ]
    else:
        end = with_contract["end"]
        clause = "§5.3"
        reasons = [
            _reason(
                "§5.3",
                f"The initial term ends with contract {with_contract['id']} on {end}, as the customer chose.",
            ),
            _reason("§9.1", f"Signed within {_GRACE_TEXT} of shipping: no fee or penalty.")
            if in_grace
            else _reason(
                "§9.2",
                f"Signed more than {_GRACE_TEXT} after shipping: a reinstatement fee of {_RATE_TEXT} on the "
                f"back ME&S from {shipped}.",
            ),
        ]
    reasons.append(_reason("§9.3", _NO_SUPPORT.format(day)))
    term_fee = fee(annual, shipped, end, currency)
    charges = [_charge("initial_term", term_fee, currency, shipped, end, on, clause)]
    amounts = [term_fee]
    if not in_grace:
        back = fee(annual, shipped, day, currency, REINSTATEMENT_FEE_RATE)
        charges.append(_charge("reinstatement_fee", back, currency, shipped, day, on, "§9.2"))
        amounts.append(back)
    return _Answer(
        "approved",
        reasons,
        _term(shipped, end),
        charges,
        _total(amounts, currency),
        {"support_from": day.isoformat()},
    )


def coterminate(r: _Request) -> _Answer:
    """§7: two or more active contracts in one currency, extended to one later expiration date."""
    contracts, day = r.contracts, r.day
    if len(contracts) < 2:
        return _rejected("§7.1", "Co-termination takes two or more ME&S contracts.")
    if any(day < c["start"] or day >= c["end"] for c in contracts):
        return _rejected(
            "§7.1", f"Every contract must be active on {day}; reinstate a lapsed contract first (§8)."
        )
    currency = contracts[0]["currency"]
    if any(c["currency"] != currency for c in contracts):
        return _rejected("§7.1", "The contracts to co-terminate must be billed in one currency.")
    ends = {c["end"] for c in contracts}
    if len(ends) < 2:
        return _rejected("§7.1", "The contracts already share one expiration date.")
    latest = max(ends)
    target = latest if r.target_end is None else r.target_end
    if target < latest:
        return _rejected(
            "§7.2", f"The date asked for, {target}, is before the latest expiration date {latest}."
        )
    charges, amounts = [], []
    for c in contracts:
        if c["end"] < target:
            amount = fee(c["fee"], c["end"], target, currency)
            charges.append(_charge("coterm_extension", amount, currency, c["end"], target, c["id"], "§7.2"))
            amounts.append(amount)
    renewal = sum((c["fee"] for c in contracts), Decimal(0))
    return _Answer(
        "approved",
        [_reason("§7.2", f"Every contract now ends on {target}; one renewal on that date covers them all.")],
        charges=charges,
        total=_total(amounts, currency),
        fields={
            "coterm_end": target.isoformat(),
            "renewal": {"date": target.isoformat(), "amount": _money(renewal, currency)},
        },
    )


def status(r: _Request) -> _Answer:
    """Where ME&S stands on the day (§8.5, §9) and its deadlines (§6.1, §10.1)."""
    day, contract = r.day, r.contract
    if contract is not None:
        expiry = contract["end"]
        notice_by = expiry - RENEWAL_NOTICE_LEAD
        cancel_by = expiry - CANCELLATION_NOTICE
        last_day = add_months(expiry, REACTIVATION_CUTOFF_MONTHS)
        if day < contract["start"]:
            state = "not_started"
        elif day < expiry:
            state = "active"
        else:
            state = "lapsed" if day <= last_day else "expired"
        return _Answer(
            "approved",
            [
                _reason(
                    "§6.1",
                    f"The vendor sends the renewal notice by {notice_by}, {_LEAD_TEXT} before the expiration "
                    f"date {expiry}.",
                ),
                _reason(
                    "§10.1",
                    f"A written cancellation notice must arrive by {cancel_by}, {_NOTICE_TEXT} before the "
                    "expiration date.",
                ),
                _reason(
                    "§8.5",
                    f"ME&S can be reinstated until {last_day}, {_CUTOFF_TEXT} after the expiration date; "
                    "after that only a new license.",
                ),
            ],
            fields={
                "status": state,
                "renewal_notice_by": notice_by.isoformat(),
                "cancel_notice_by": cancel_by.isoformat(),
                "reinstatable_until": last_day.isoformat(),
            },
        )
    lic = _needed(r.license, "license")
    shipped = lic["shipped"]
    grace_until = shipped + DEFERRAL_GRACE
    state = "not_started" if day < shipped else "grace" if day <= grace_until else "deferred"
    return _Answer(
        "approved",
        [
            _reason(
                "§9.1",
                f"Initial ME&S signed by {grace_until}, {_GRACE_TEXT} after the ship date {shipped}, carries "
                "no fee or penalty.",
            ),
            _reason(
                "§9.2",
                f"Signed later, it pays back ME&S from {shipped} and a reinstatement fee of {_RATE_TEXT}.",
            ),
            _reason("§9.3", "No ME&S support is given while the license has no ME&S contract."),
        ],
        fields={"status": state, "grace_until": grace_until.isoformat()},
    )


def premium_support(r: _Request) -> _Answer:
    """§4: a premium tier for a perpetual license whose ME&S is active on the day."""
    lic = _needed(r.license, "license")
    ident, day = lic["id"], r.day
    if lic["kind"] != "perpetual":
        return _rejected(
            "§4.1",
            f"Premium support tiers are offered for perpetual licenses; license {ident} is a subscription.",
        )
    if not any(ident in c["licenses"] and c["start"] <= day < c["end"] for c in r.contracts):
        return _rejected("§4.1", f"License {ident} has no active ME&S on {day}.")
    offered = f"The {r.tier} tier" if r.tier is not None else "Any premium support tier of §4.2"
    return _Answer(
        "approved",
        [
            _reason("§4.1", f"License {ident} is perpetual and its ME&S is active on {day}."),
            _reason("§4.2", f"{offered} can be added to the ME&S of license {ident}."),
            _reason("§4.3", "Details and prices come from the renewal sales representative."),
        ],
        fields={} if r.tier is None else {"tier": r.tier},
    )


_ACTIONS = {
    "renew": renew,
    "cancel": cancel,
    "initial": initial,
    "coterminate": coterminate,
    "status": status,
    "premium_support": premium_support,
}


def identity(policy_hash: str | None = None) -> dict[str, str | None]:
    """The ``policy`` a decision names: the policy's name and version, and the hash of its rule files."""
    return {"name": POLICY_NAME, "version": POLICY_VERSION, "hash": policy_hash}


_IDENTITY = identity()


def decide(data: object, policy: dict[str, str | None] = _IDENTITY) -> dict[str, Any]:
    """The decision on one request (a decoded JSON object), as ``decide --jsonl`` prints it without the trace.

    Raises `Invalid` for a request that cannot be decided.
    """
    request = _Request(data)
    try:
        answer = _ACTIONS[request.action](request)
    except (OverflowError, ValueError) as err:  # month arithmetic past date.max
        raise Invalid("date", f"a date the policy computes is out of range: {err}") from None
    out: dict[str, Any] = {
        "action": request.action,
        "outcome": answer.outcome,
        "reasons": answer.reasons,
        "term": answer.term,
        "charges": answer.charges,
        "total": answer.total,
        "ref": request.ref,
        "policy": policy,
    }
    out.update(answer.fields)
    return out


def error(line: int, field: str, message: str, ref: object = None) -> dict[str, Any]:
    """The error object a line gets when it cannot be decided."""
    return {"error": {"line": line, "code": "Q101", "field": field, "message": message, "ref": ref}}


def answer_line(text: str, line: int, policy: dict[str, str | None] = _IDENTITY) -> dict[str, Any]:
    """One JSON Lines line's answer: its decision, or an error object."""
    try:
        data = json.loads(text)
    except ValueError as err:
        return error(line, "<json>", f"invalid JSON: {err}")
    try:
        return decide(data, policy)
    except Invalid as err:
        ref = data.get("ref") if type(data) is dict and type(data.get("ref")) is str else None
        return error(line, err.field, err.message, ref)
    except RecursionError:
        return error(line, "<request>", "nested too deeply")


def main(argv: Sequence[str] | None = None) -> int:
    """Read JSON Lines requests on stdin, write one decision (or error object) a line on stdout."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.lean", description=__doc__.splitlines()[0])
    parser.add_argument("--policy-hash", help="The rule files' hash the decisions name (null without).")
    args = parser.parse_args(argv)
    policy = identity(args.policy_hash)
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    refused = 0
    write = sys.stdout.write
    try:
        for number, text in enumerate(sys.stdin, 1):
            out = answer_line(text, number, policy)
            refused += "error" in out
            write(dumps(out) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away (`| head`): nothing left to answer to
        sys.stderr.write("benchmarks.lean: output closed\n")
        return 2
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
