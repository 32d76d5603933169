"""The renew and cancel logic of interpretation.md written by hand in plain Python: the baseline.

It answers with the same ``mespolicy.model`` objects as ``policy.decide`` (a
Decision with reasons, term, charges and fields; no trace), so that timing the
two compares like with like. Money is Decimal, each charge rounded once,
half-up, to the currency's minor unit; months are added with the model's
``add_months`` (pendulum, clamped to the month's end), always to the original date.
"""

from __future__ import annotations

import functools
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from mespolicy.model import Charge, Decision, Money, Outcome, Reason, Request, Term, minor_units
from mespolicy.model.calendar import add_months

RENEWAL_TERM_MONTHS = 12
FEE_YEAR_MONTHS = 12
DAYS_PER_YEAR = 365
CANCELLATION_NOTICE_DAYS = 30
REACTIVATION_CUTOFF_MONTHS = 36
REINSTATEMENT_FEE_RATE = Decimal("0.25")
_RATE_TEXT = f"{REINSTATEMENT_FEE_RATE * 100:f}".rstrip("0").rstrip(".") + "%"


def decide(request: Request) -> Decision:
    """The decision on a renew or cancel request."""
    if request.action == "renew":
        return renew(request)
    if request.action == "cancel":
        return cancel(request)
    raise ValueError(f"the hand-written baseline decides renew and cancel, not {request.action!r}")


@functools.cache
def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def _money(amount: Decimal, currency: str) -> Money:
    """``amount`` rounded half-up to ``currency``'s minor unit."""
    return Money(amount.quantize(_quantum(currency), rounding=ROUND_HALF_UP), currency)


def period_fee(annual: Decimal, first_day: date, end_day: date) -> Decimal:
    """The ME&S fee of [first_day, end_day): whole fee years at ``annual``, then days at annual / 365."""
    years = 0
    while add_months(first_day, (years + 1) * FEE_YEAR_MONTHS) <= end_day:
        years += 1
    rest = (end_day - add_months(first_day, years * FEE_YEAR_MONTHS)).days
    return annual * years + annual * rest / DAYS_PER_YEAR


def renew(request: Request) -> Decision:
    """§6.2 timely renewal, §8 late renewal with reinstatement fee, §8.5 reactivation cutoff."""
    contract = request.contract
    if contract is None:
        raise ValueError("a renewal names its contract")
    expiry = contract.end
    day = request.date
    last_day = add_months(expiry, REACTIVATION_CUTOFF_MONTHS)
    if day > last_day:
        reason = Reason(
            "§8.5",
            f"ME&S expired on {expiry} and could be reactivated until {last_day}; only a new "
            "license purchase (perpetual or subscription) is possible now.",
        )
        return Decision("renew", Outcome.REJECTED, (reason,), None, (), (), ())

    annual = contract.annual_fee
    if day <= expiry:
        term = Term(expiry, add_months(expiry, RENEWAL_TERM_MONTHS))
        reasons: tuple[Reason, ...] = (
            Reason(
                "§6.2",
                f"Renewed on or before the expiration date {expiry}: a new term of "
                f"{RENEWAL_TERM_MONTHS} months starting on that date.",
            ),
        )
        charges: tuple[Charge, ...] = (
            Charge("renewal", _money(annual.amount, annual.currency), term, contract.id, "§6.2"),
        )
        return Decision("renew", Outcome.APPROVED, reasons, term, charges, (), ())

    terms = 1
    while add_months(expiry, terms * RENEWAL_TERM_MONTHS) <= day:
        terms += 1
    new_end = add_months(expiry, terms * RENEWAL_TERM_MONTHS)
    term = Term(expiry, new_end)
    reinstatement = REINSTATEMENT_FEE_RATE * period_fee(annual.amount, expiry, day)
    reasons = (
        Reason("§8.4", f"The new term starts on the old expiration date {expiry}, not on the renewal day."),
        Reason(
            "§8.2",
            f"ME&S lapsed on {expiry}: renewal fees are charged from that date, {terms} term(s) "
            f"until {new_end}.",
        ),
        Reason(
            "§8.3", f"A reinstatement fee of {_RATE_TEXT} applies to the fees due from {expiry} to {day}."
        ),
    )
    charges = (
        Charge("renewal", _money(annual.amount * terms, annual.currency), term, contract.id, "§8.2"),
        Charge(
            "reinstatement_fee",
            _money(reinstatement, annual.currency),
            Term(expiry, day),
            contract.id,
            "§8.3",
        ),
    )
    return Decision("renew", Outcome.APPROVED, reasons, term, charges, (), ())


def cancel(request: Request) -> Decision:
    """§10.1 cancellation at expiry or, on late notice, after the automatic renewals (§5.5); §10.2."""
    contract = request.contract
    if contract is None:
        raise ValueError("a cancellation names its contract")
    named = request.cancel_licenses
    if named is not None and any(lic not in named for lic in contract.licenses):
        reason = Reason(
            "§10.2",
            "Partial cancellation is not allowed: the notice must name every license of "
            f"contract {contract.id}.",
        )
        return Decision("cancel", Outcome.REJECTED, (reason,), None, (), (), ())
    if named is not None and any(lic not in contract.licenses for lic in named):
        reason = Reason("§10.2", f"The notice names licenses that are not on contract {contract.id}.")
        return Decision("cancel", Outcome.REJECTED, (reason,), None, (), (), ())

    expiry = contract.end
    day = request.date
    notice = f"{CANCELLATION_NOTICE_DAYS} days"
    if (expiry - day).days >= CANCELLATION_NOTICE_DAYS:
        reason = Reason(
            "§10.1",
            f"Notice received {day}, at least {notice} before the expiration date: ME&S ends on {expiry}.",
        )
        return Decision("cancel", Outcome.APPROVED, (reason,), None, (), (("effective", expiry),), ())

    renewals = 1
    while (add_months(expiry, renewals * RENEWAL_TERM_MONTHS) - day).days < CANCELLATION_NOTICE_DAYS:
        renewals += 1
    effective = add_months(expiry, renewals * RENEWAL_TERM_MONTHS)
    annual = contract.annual_fee
    reason = Reason(
        "§5.5",
        f"Notice received {day}, less than {notice} before the expiration date {expiry}: ME&S "
        f"renewed automatically and ends on {effective}.",
    )
    charge = Charge(
        "renewal",
        _money(annual.amount * renewals, annual.currency),
        Term(expiry, effective),
        contract.id,
        "§5.5",
    )
    return Decision("cancel", Outcome.APPROVED, (reason,), None, (charge,), (("effective", effective),), ())


def differences(ours: Decision, theirs: Decision) -> list[str]:
    """How two decisions differ in outcome, term, charges and fields (``effective``); empty if not."""
    found = []
    if ours.outcome != theirs.outcome:
        found.append(f"outcome {ours.outcome.value} != {theirs.outcome.value}")
    if ours.term != theirs.term:
        found.append(f"term {ours.term} != {theirs.term}")
    if ours.charges != theirs.charges:
        found.append(f"charges {_charges(ours)} != {_charges(theirs)}")
    if ours.fields != theirs.fields:
        found.append(f"fields {ours.fields} != {theirs.fields}")
    return found


def _charges(d: Decision) -> list[str]:
    return [
        f"{c.code} {c.amount.amount} {c.amount.currency} [{c.period}] {c.contract} {c.clause}"
        for c in d.charges
    ]
