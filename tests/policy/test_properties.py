"""Invariants of the shipped policy over many requests, with month ends and leap days drawn often.

Expected dates come from ``plus_months`` below, written here from the reading
in interpretation.md (same day of month, clamped to the month's last day,
always from the original date), not from the code under test.
"""

from __future__ import annotations

import calendar
import copy
import functools
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import Phase, example, find, given, settings
from hypothesis import strategies as st

import mespolicy
from mespolicy.compiler import can_charge
from tests.model.strategies import CURRENCIES, days
from tests.policy import requests as rq

# The currencies' minor digits (ISO 4217), written out rather than read from the code.
MINOR_DIGITS = {"USD": 2, "EUR": 2, "JPY": 0, "KRW": 0, "BHD": 3, "KWD": 3}
assert set(MINOR_DIGITS) == set(CURRENCIES)

LEAP_DAY = date(2024, 2, 29)
JAN_31 = date(2025, 1, 31)
AUG_31 = date(2025, 8, 31)


@functools.cache
def policy() -> mespolicy.Policy:
    return mespolicy.load()


def decide(request: mespolicy.Facts) -> mespolicy.Decision:
    return policy().decide(request)


def plus_months(d: date, n: int) -> date:
    """``d`` + ``n`` months: the same day of month, clamped to the month's last day."""
    years, month0 = divmod(d.month - 1 + n, 12)
    year, month = d.year + years, month0 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def plus_days(d: date, n: int) -> date:
    return d + timedelta(days=n)


def month_end(d: date) -> date:
    return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])


def approved(decision: mespolicy.Decision) -> bool:
    return decision.outcome is mespolicy.Outcome.APPROVED


def codes(decision: mespolicy.Decision) -> list[str]:
    return [c.code for c in decision.charges]


def total_amount(decision: mespolicy.Decision) -> Decimal:
    t = decision.total
    return Decimal(0) if t is None else t.amount


# ---------------------------------------------------------------- strategies


@st.composite
def day_between(draw: st.DrawFn, lo: date, hi: date) -> date:
    """A day in [lo, hi]; half the time moved to a month's last day in that range."""
    d = plus_days(lo, draw(st.integers(0, (hi - lo).days)))
    if draw(st.booleans()):
        last = month_end(d)
        previous = date(d.year, d.month, 1) - timedelta(days=1)
        if last <= hi:
            return last
        if previous >= lo:
            return previous
    return d


@st.composite
def fees(draw: st.DrawFn, currency: str | None = None) -> tuple[str, str]:
    """(annual fee, currency): a positive amount written with the currency's minor digits."""
    code = currency or draw(st.sampled_from(CURRENCIES))
    units = draw(st.integers(1, 10**10) | st.sampled_from([1, 5, 365, 730, 1460, 3650, 36500]))
    return format(Decimal(units).scaleb(-MINOR_DIGITS[code]), "f"), code


roles = st.sampled_from(["customer", "partner"])


@st.composite
def renewals(draw: st.DrawFn) -> mespolicy.Facts:
    end = draw(days())
    fee, currency = draw(fees())
    # Often on or beside an anniversary of the end, where the term count steps.
    anniversary = plus_days(plus_months(end, 12 * draw(st.integers(0, 3))), draw(st.integers(-1, 1)))
    day = draw(day_between(plus_days(end, -400), plus_months(end, 40)) | st.just(anniversary))
    return rq.renew(day, plus_months(end, -12), end, fee, currency, role=draw(roles))


@st.composite
def initials(draw: st.DrawFn) -> mespolicy.Facts:
    shipped = draw(days())
    fee, currency = draw(fees())
    day = draw(day_between(plus_days(shipped, -5), plus_days(shipped, 1500)))
    coterm = draw(st.none() | day_between(plus_days(day, -60), plus_days(day, 500)))
    return rq.initial(
        day,
        shipped,
        fee,
        currency,
        existing=draw(st.booleans()),
        coterminate_end=coterm,
        role=draw(roles),
    )


@st.composite
def cancellations(draw: st.DrawFn) -> mespolicy.Facts:
    end = draw(days())
    fee, currency = draw(fees())
    # Often on or beside the last day of notice for an expiry, where the renewals step.
    deadline = plus_days(plus_months(end, 12 * draw(st.integers(0, 2))), draw(st.integers(-31, -29)))
    day = draw(day_between(plus_days(end, -400), plus_days(end, 800)) | st.just(deadline))
    named = draw(st.none() | st.lists(st.sampled_from(["L1", "L2", "L9"]), unique=True))
    return rq.cancel(day, plus_months(end, -12), end, fee, currency, cancel_licenses=named, role=draw(roles))


@st.composite
def coterm_cases(
    draw: st.DrawFn, valid: bool = True
) -> tuple[mespolicy.Facts, date, list[tuple[date, date, str]]]:
    """A co-termination of 2-4 contracts, all active on the day, in one currency, with
    at least two different ends; target None or on/after the latest end. With
    ``valid=False`` anything goes (lapsed, mixed currencies, shorter targets)."""
    day = draw(days())
    currency = draw(st.sampled_from(CURRENCIES))
    count = draw(st.integers(2, 4))
    held: list[tuple[date, date, str]] = []
    for _ in range(count):
        start = draw(day_between(plus_days(day, -400), day))
        end = draw(day_between(plus_days(day, 1), plus_days(day, 800)))
        annual, _ = draw(fees(currency))
        held.append((start, end, annual))
    if len({end for _, end, _ in held}) < 2:
        start, end, annual = held[0]
        held[0] = (start, plus_days(max(e for _, e, _ in held), 1), annual)
    latest = max(end for _, end, _ in held)
    target = draw(st.none() | day_between(latest, plus_days(latest, 800)))
    deals: list[rq.Held] = [(s, e, f, currency) for s, e, f in held]
    if not valid:
        target = draw(st.none() | day_between(plus_days(day, -400), plus_days(latest, 800)))
        if draw(st.booleans()):
            other = draw(st.sampled_from(CURRENCIES))
            deals[-1] = (held[-1][0], held[-1][1], draw(fees(other))[0], other)
    request = rq.coterminate(day, deals, target, role=draw(roles))
    return request, target or latest, held


@st.composite
def statuses(draw: st.DrawFn) -> mespolicy.Facts:
    day = draw(days())
    role = draw(roles)
    if draw(st.booleans()):
        return rq.status(day, shipped=draw(day_between(plus_days(day, -200), day)), role=role)
    end = draw(day_between(plus_days(day, -1500), plus_days(day, 400)))
    return rq.status(day, plus_months(end, -12), end, role=role)


@st.composite
def premiums(draw: st.DrawFn) -> mespolicy.Facts:
    day = draw(days())
    held = draw(st.booleans())
    start = draw(day_between(plus_days(day, -400), plus_days(day, 30)))
    end = draw(day_between(start, plus_days(start, 800)))
    return rq.premium(
        day,
        start if held else None,
        end,
        kind=draw(st.sampled_from(["perpetual", "subscription"])),
        tier=draw(
            st.none() | st.sampled_from(["after_hours", "weekend", "emergency_access", "support_cloud"])
        ),
        role=draw(roles),
    )


def any_request() -> st.SearchStrategy[mespolicy.Facts]:
    """A request of any action, valid or not for the policy, well formed."""
    return st.one_of(
        renewals(),
        initials(),
        cancellations(),
        coterm_cases(valid=False).map(lambda case: case[0]),
        statuses(),
        premiums(),
    )


def ends() -> st.SearchStrategy[date]:
    """Expiration dates: month ends and leap days often (``days()`` favours them)."""
    return days()


# ---------------------------------------------------------------- renewal


@given(
    end=ends(),
    fee=fees(),
    offsets=st.lists(
        st.integers(-400, 1095) | st.sampled_from([0, 1, 364, 365, 366, 730, 731, 1094, 1095]),
        min_size=2,
        max_size=2,
    ).map(sorted),
)
@example(end=LEAP_DAY, fee=("12000.00", "USD"), offsets=[364, 366])
@example(end=JAN_31, fee=("1000", "JPY"), offsets=[-1, 1095])
def test_late_renewal_total_never_decreases(end: date, fee: tuple[str, str], offsets: list[int]) -> None:
    # Offsets up to 1095 days stay within end + 36 months (at least 1095 days).
    early, late = (plus_days(end, n) for n in offsets)
    start = plus_months(end, -12)
    first = decide(rq.renew(early, start, end, *fee))
    second = decide(rq.renew(late, start, end, *fee))
    assert approved(first)
    assert approved(second)
    assert total_amount(first) <= total_amount(second)


@given(end=ends(), fee=fees())
@example(end=LEAP_DAY, fee=("12000.00", "USD"))
@example(end=AUG_31, fee=("12000.00", "USD"))
def test_renewal_cutoff_is_end_plus_36_months(end: date, fee: tuple[str, str]) -> None:
    cutoff = plus_months(end, 36)
    start = plus_months(end, -12)
    last = decide(rq.renew(cutoff, start, end, *fee))
    assert approved(last)
    assert "reinstatement_fee" in codes(last)
    after = decide(rq.renew(plus_days(cutoff, 1), start, end, *fee))
    assert after.outcome is mespolicy.Outcome.REJECTED
    assert [r.clause for r in after.reasons] == ["§8.5"]
    assert after.charges == ()
    assert after.term is None


@given(renewal=renewals())
def test_a_renewal_term_starts_on_the_old_expiration_date(renewal: mespolicy.Facts) -> None:
    decision = decide(renewal)
    assert renewal.contract is not None
    end, day = renewal.contract.end, renewal.date
    if day > plus_months(end, 36):
        assert decision.outcome is mespolicy.Outcome.REJECTED
        return
    assert decision.term is not None
    assert decision.term.start == end
    # The term runs in whole 12-month units from end, until it first ends after the day.
    terms = next(k for k in range(1, 10) if plus_months(end, 12 * k) == decision.term.end)
    assert decision.term.end > day
    assert terms == 1 or plus_months(end, 12 * (terms - 1)) <= day
    (renewal_charge,) = (c for c in decision.charges if c.code == "renewal")
    assert renewal_charge.amount.amount == terms * renewal.contract.annual_fee.amount
    assert ("reinstatement_fee" in codes(decision)) == (day > end)


# ---------------------------------------------------------------- initial ME&S


@given(shipped=days(), fee=fees(), role=roles, existing=st.booleans())
@example(shipped=LEAP_DAY, fee=("12000.00", "USD"), role="customer", existing=False)
@example(shipped=JAN_31, fee=("12000.00", "USD"), role="partner", existing=True)
def test_initial_on_day_90_is_free_and_on_day_91_is_not(
    shipped: date, fee: tuple[str, str], role: str, existing: bool
) -> None:
    in_grace = decide(rq.initial(plus_days(shipped, 90), shipped, *fee, existing=existing, role=role))
    after = decide(rq.initial(plus_days(shipped, 91), shipped, *fee, existing=existing, role=role))
    assert codes(in_grace) == ["initial_term"]
    assert codes(after) == ["initial_term", "reinstatement_fee"]
    for decision in (in_grace, after):
        assert decision.term is not None
        assert decision.term.start == shipped
        assert decision.term.end == plus_months(shipped, 12)


# ---------------------------------------------------------------- cancellation


@given(end=ends(), fee=fees())
@example(end=LEAP_DAY, fee=("12000.00", "USD"))
@example(end=date(2025, 3, 31), fee=("12000.00", "USD"))
def test_cancellation_needs_thirty_days_notice(end: date, fee: tuple[str, str]) -> None:
    start = plus_months(end, -12)
    timely = decide(rq.cancel(plus_days(end, -30), start, end, *fee))
    assert approved(timely)
    assert timely.field("effective") == end
    assert timely.charges == ()
    late = decide(rq.cancel(plus_days(end, -29), start, end, *fee))
    assert approved(late)
    assert late.field("effective") == plus_months(end, 12)
    (charge,) = late.charges
    assert charge.code == "renewal"
    assert charge.amount == mespolicy.Money(Decimal(fee[0]), fee[1])
    assert charge.period == mespolicy.Term(end, plus_months(end, 12))


@given(notice=cancellations())
def test_a_cancellation_takes_effect_at_the_first_expiry_30_days_away(
    notice: mespolicy.Facts,
) -> None:
    decision = decide(notice)
    assert notice.contract is not None
    contract = notice.contract
    if notice.cancel_licenses is not None and set(notice.cancel_licenses) != set(contract.licenses):
        assert decision.outcome is mespolicy.Outcome.REJECTED
        assert [r.clause for r in decision.reasons] == ["§10.2"]
        return
    renewals = next(k for k in range(10) if (plus_months(contract.end, 12 * k) - notice.date).days >= 30)
    effective = plus_months(contract.end, 12 * renewals)
    assert decision.field("effective") == effective
    if renewals == 0:
        assert decision.charges == ()
    else:
        (charge,) = decision.charges
        assert charge.code == "renewal"
        assert charge.amount.amount == renewals * contract.annual_fee.amount
        assert charge.period == mespolicy.Term(contract.end, effective)


# ---------------------------------------------------------------- co-termination


@given(case=coterm_cases())
def test_after_cotermination_every_contract_ends_on_one_day(
    case: tuple[mespolicy.Facts, date, list[tuple[date, date, str]]],
) -> None:
    request, target, held = case
    decision = decide(request)
    assert approved(decision)
    assert decision.field("coterm_end") == target
    assert decision.field("renewal.date") == target
    currency = request.contracts[0].currency
    for index, (_, end, _) in enumerate(held, start=1):
        charged = [c for c in decision.charges if c.contract == f"M{index}"]
        if end == target:
            assert charged == []
        else:
            (charge,) = charged
            assert charge.code == "coterm_extension"
            assert charge.period == mespolicy.Term(end, target)
    assert len(decision.charges) == sum(1 for _, end, _ in held if end < target)
    fees_sum = sum((Decimal(annual) for _, _, annual in held), Decimal(0))
    assert decision.field("renewal.amount") == mespolicy.Money(fees_sum, currency)


# ---------------------------------------------------------------- every action


@given(request=any_request())
def test_a_partner_gets_the_decision_a_customer_gets(request: mespolicy.Facts) -> None:
    data = mespolicy.request_to_json(request)
    for role in ("customer", "partner"):
        customer = data["customer"]
        assert isinstance(customer, dict)
        data["customer"] = {**customer, "role": role}
        decided = decide(mespolicy.parse_request(data))
        assert decided == decide(request)


@given(request=any_request())
def test_decisions_are_deterministic_and_leave_the_request_alone(
    request: mespolicy.Facts,
) -> None:
    before = copy.deepcopy(request)
    first = decide(request)
    assert request == before
    second = decide(request)
    assert request == before
    assert first == second
    assert mespolicy.decision_to_json(first) == mespolicy.decision_to_json(second)


@given(request=any_request())
def test_charges_have_the_currency_digits_and_sum_to_the_total(
    request: mespolicy.Facts,
) -> None:
    decision = decide(request)
    for charge in decision.charges:
        digits = MINOR_DIGITS[charge.amount.currency]
        assert charge.amount.amount.as_tuple().exponent == -digits, charge
    if not decision.charges:
        action = policy().checked.actions[decision.action]
        if decision.outcome is mespolicy.Outcome.APPROVED and can_charge(action):
            # an approval of an action that can charge always has a total: zero here
            assert decision.total is not None and decision.total.amount == 0
            assert decision.total.amount.as_tuple().exponent == -MINOR_DIGITS[decision.total.currency]
        else:
            assert decision.total is None
        return
    assert decision.total is not None
    assert decision.total.amount == sum(c.amount.amount for c in decision.charges)
    assert {c.amount.currency for c in decision.charges} == {decision.total.currency}
    assert decision.total.amount.as_tuple().exponent == -MINOR_DIGITS[decision.total.currency]


# ---------------------------------------------------------------- the strategies


def _dates(request: mespolicy.Facts) -> dict[str, date]:
    out = {"date": request.date}
    for i, c in enumerate(request.contracts):
        out[f"contracts[{i}].start"] = c.start
        out[f"contracts[{i}].end"] = c.end
    for i, lic in enumerate(request.licenses):
        out[f"licenses[{i}].shipped"] = lic.shipped
    if request.target_end is not None:
        out["target_end"] = request.target_end
    return out


# For each action: its strategy, the date fields that must be drawn as a 31st, and
# those (drawn from ``days()``) that must also be drawn as 29 February.
FIELDS: dict[str, tuple[st.SearchStrategy[mespolicy.Facts], list[str], list[str]]] = {
    "renew": (
        renewals(),
        ["date", "contracts[0].start", "contracts[0].end"],
        ["contracts[0].end"],
    ),
    "initial": (
        initials(),
        ["date", "licenses[0].shipped", "contracts[0].end"],
        ["licenses[0].shipped"],
    ),
    "cancel": (
        cancellations(),
        ["date", "contracts[0].start", "contracts[0].end"],
        ["contracts[0].end"],
    ),
    "coterminate": (
        coterm_cases().map(lambda case: case[0]),
        ["date", "contracts[0].start", "contracts[0].end", "target_end"],
        ["date"],
    ),
    "status": (statuses(), ["date", "contracts[0].end", "licenses[0].shipped"], ["date"]),
    "premium": (premiums(), ["date", "contracts[0].start", "contracts[0].end"], ["date"]),
}

CASES = [
    (action, name, kind)
    for action, (_, thirty_firsts, leap_days) in FIELDS.items()
    for kind, names in (("31st", thirty_firsts), ("29 February", leap_days))
    for name in names
]

_KINDS: dict[str, Callable[[date], bool]] = {
    "31st": lambda d: d.day == 31,
    "29 February": lambda d: (d.month, d.day) == (2, 29),
}


@pytest.mark.parametrize(("action", "name", "kind"), CASES)
def test_month_ends_reach_every_date_field(action: str, name: str, kind: str) -> None:
    """The strategies favour month ends: each date field is drawn as a 31st, and each
    field drawn from ``days()`` as 29 February, within the profile's example budget."""
    strategy = FIELDS[action][0]
    test = _KINDS[kind]

    def hits(request: mespolicy.Facts) -> bool:
        day = _dates(request).get(name)
        return day is not None and test(day)

    once = settings(derandomize=True, database=None, phases=[Phase.generate])
    found = find(strategy, hits, settings=once)
    assert test(_dates(found)[name])
