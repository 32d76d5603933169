"""The values and helpers compiled policies run on: exact numbers, money in a currency, calendar steps.

Numbers are exact (`exact.py`): a charge is rounded once, from the exact value
(interpretation.md: "rounded once, half-up ... from exact unrounded inputs").
"""

from __future__ import annotations

import enum
import threading
from calendar import monthrange
from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal, DecimalException, DivisionByZero
from functools import lru_cache
from typing import Any, TypeVar

from mespolicy import exact
from mespolicy.errors import EvaluationError
from mespolicy.exact import Number, Quotient
from mespolicy.model.calendar import Term
from mespolicy.model.calendar import add_months as _calendar_add_months
from mespolicy.model.decision import Charge, built_charge
from mespolicy.model.money import Money, built_money, format_money, minor_units
from mespolicy.model.request import RequestError
from mespolicy.model.trusted import maker

T = TypeVar("T")


class Cash:
    """An exact amount of money; `currency` None is an amount given as "in the contract's currency"."""

    __slots__ = ("amount", "currency")

    def __init__(self, amount: Number, currency: str | None) -> None:
        self.amount = amount
        self.currency = currency

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Cash) and self.amount == other.amount and self.currency == other.currency

    def __hash__(self) -> int:
        return hash((self.amount, self.currency))

    def __repr__(self) -> str:
        return f"Cash({self.amount!r}, {self.currency!r})"

    def __str__(self) -> str:
        if self.currency is None:
            return _plain(self.amount)
        return format_money(rounded(self.amount, self.currency))


def rounded(amount: Number, currency: str) -> Money:
    """Money charged: the exact amount rounded once, half-up, to the currency's minor unit."""
    # minor_units refuses an unknown currency; the rounded amount is a finite Decimal
    return built_money(exact.round_half_up(amount, minor_units(currency)), currency)


# -- numbers

num_add = exact.add
num_sub = exact.subtract
num_mul = exact.multiply
num_neg = exact.negate


def whole_mul(a: int, b: int) -> int:
    """`a * b` of whole numbers (counts, days, months), refused past `exact.WIDEST_WHOLE_BITS`.

    Sums grow a bit per step and the checker bounds the steps; only products can
    double a number's size each time, so a chain of squarings stops here.
    """
    product = a * b
    if product.bit_length() > exact.WIDEST_WHOLE_BITS:
        raise exact.too_wide()
    return product


def num_div(a: Number, b: Number) -> Number:
    if b == 0:
        raise EvaluationError("division by zero", code="R302")
    return exact.divide(a, b)


# -- money


def _currency(a: Cash | Money, b: Cash | Money) -> str | None:
    if a.currency is None or b.currency is None or a.currency == b.currency:
        return a.currency or b.currency
    raise EvaluationError(f"cannot combine money in {a.currency} and in {b.currency}", code="R303")


def money_add(a: Cash, b: Cash) -> Cash:
    return Cash(num_add(a.amount, b.amount), _currency(a, b))


def money_sub(a: Cash, b: Cash) -> Cash:
    return Cash(num_sub(a.amount, b.amount), _currency(a, b))


def money_scale(factor: Number, m: Cash) -> Cash:
    return Cash(num_mul(factor, m.amount), m.currency)


def money_scaled(m: Cash, factor: Number) -> Cash:
    return Cash(num_mul(m.amount, factor), m.currency)


def money_div(m: Cash, divisor: Number) -> Cash:
    return Cash(num_div(m.amount, divisor), m.currency)


def money_ratio(a: Cash, b: Cash) -> Number:
    _currency(a, b)
    return num_div(a.amount, b.amount)


def money_neg(m: Cash) -> Cash:
    return Cash(-m.amount, m.currency)


def money_key(a: Cash | Money, b: Cash | Money) -> tuple[Number, Number]:
    """The two amounts, for comparing money of one currency."""
    _currency(a, b)
    return a.amount, b.amount


def money_sum(items: Iterable[Cash]) -> Cash:
    total: Cash | None = None
    for item in items:
        total = item if total is None else money_add(total, item)
    if total is None:
        raise EvaluationError("the sum of no amounts has no currency", code="R304")
    return total


# -- dates


@lru_cache(maxsize=4096)
def add_months(day: date, months: int) -> date:
    # The model's add_months checks its argument and rebuilds the date on every call;
    # dates here are already plain, and the same expiry steps recur, so look them up first.
    return _calendar_add_months(day, months)


def days_between(later: date, earlier: date) -> int:
    return (later - earlier).days


# The date operations in source order (`date + 30 days`, `30 days + date`, ...).


def date_add_days(day: date, days: int) -> date:
    return day + timedelta(days=days)


def date_sub_days(day: date, days: int) -> date:
    return day - timedelta(days=days)


date_add_months = add_months


def date_sub_months(day: date, months: int) -> date:
    return add_months(day, -months)


def days_add_date(days: int, day: date) -> date:
    return day + timedelta(days=days)


def months_add_date(months: int, day: date) -> date:
    return add_months(day, months)


# -- calendar and number constructs


def calendar_count(start: date, end: date, step: int, up: bool, whole_after: int | None) -> int:
    """The months from `start` until `end` in whole steps of `step` months (1, or 12 for years).

    A step is counted as `start + k months` counts it, clamped at month end, so from
    2024-01-31 a month ends on 2024-02-29. Rounded down, the count is the most steps that
    end on or before `end`; what is left over is counted as one more step when `up`, or
    when it is at least `whole_after` days. An `end` before `start` counts below zero.
    """
    steps, reached = _whole_steps(start, end, step)
    if reached != end and (up or (whole_after is not None and (end - reached).days >= whole_after)):
        steps += 1
    return steps * step


def _whole_steps(start: date, end: date, step: int) -> tuple[int, date]:
    # the step whose month is `end`'s month (or the last before it), then one back if it passed `end`
    months = (end.year - start.year) * 12 + end.month - start.month
    steps = months // step
    reached = add_months(start, steps * step)
    if reached > end:
        steps -= 1
        reached = add_months(start, steps * step)
    return steps, reached


def start_of_month(day: date) -> date:
    return day.replace(day=1)


def end_of_month(day: date) -> date:
    return day.replace(day=monthrange(day.year, day.month)[1])


def day_of_month(day: date) -> int:
    return day.day


def num_round(value: Number, places: int, up: bool) -> Number:
    """A number rounded up or down; to whole numbers (an int) when `places` is 0."""
    if type(value) is int:
        return value
    rounded = exact.round_toward(value, places, up)
    return int(rounded) if places == 0 else rounded


def money_round(value: Cash, places: int, up: bool) -> Cash:
    return Cash(exact.round_toward(value.amount, places, up), value.currency)


def band(
    quantity: Any,
    thresholds: tuple[Any, ...],
    under: tuple[bool, ...],
    values: tuple[Callable[[], Any], ...],
    kind: str,
) -> Any:
    """The value of the band `quantity` falls in (only that value is computed).

    Band k holds what is up to `thresholds[k]` (below it, when `under[k]`) and above the band
    before; a value past the last threshold takes the last of `values` when there is one more
    value than thresholds (`beyond`), and is an error (R320) when there is not.
    """
    return values[band_index(quantity, thresholds, under, len(values) > len(thresholds), kind)]()


def band_index(
    quantity: Any, thresholds: tuple[Any, ...], under: tuple[bool, ...], beyond: bool, kind: str
) -> int:
    for index, (threshold, strict) in enumerate(zip(thresholds, under, strict=True)):
        # money (a Cash, or a request's Money) is compared by amount, in one currency
        money = isinstance(quantity, Cash | Money)
        low, high = money_key(quantity, threshold) if money else (quantity, threshold)
        if low < high or (low == high and not strict):
            return index
    if beyond:
        return len(thresholds)
    last = ("under " if under[-1] else "up to ") + show(thresholds[-1], kind)
    raise EvaluationError(
        f"{show(quantity, kind)} is beyond the last band ({last}), and the band has no 'beyond'", code="R320"
    )


# -- collections and searches


def first_where(start: int, holds: Callable[[int], bool], span: int) -> int:
    """The least whole number from `start` for which `holds` is true, trying `span` numbers at most.

    `span` is the policy's `Limits.search_span` (a zero-length term never ends).
    """
    for k in range(start, start + span):
        if holds(k):
            spend(k - start + 1)
            return k
    nothing_found(start, span)
    raise AssertionError  # pragma: no cover - nothing_found raises


# -- the work of one decision
#
# The checker bounds a decision's work per item of the request's lists (L106); how many
# items there are is known only here. Every loop spends what it went through (the numbers a
# search tried, the items of a list), once, when it is done or before it starts, and a
# decision past `Limits.work_per_decision` stops with R313 instead of running for minutes.


class _Meter(threading.local):
    left = 1 << 62  # outside a decision (a definition called by a test), nothing is metered
    limit = 1 << 62


_METER = _Meter()


def meter(limit: int) -> None:
    """Start metering one decision on this thread (the compiled action calls this first)."""
    _METER.left = _METER.limit = limit


def spend(steps: int) -> None:
    left = _METER.left = _METER.left - steps
    if left < 0:
        raise EvaluationError(
            f"this request takes more than {_METER.limit:,} steps to decide (limit work_per_decision): "
            "its lists are too long for these rules",
            code="R313",
        )


def spent(items: Sequence[T]) -> Sequence[T]:
    """`items`, once their number is spent: a loop over a request's list costs one step an item."""
    spend(len(items))
    return items


def nothing_found(start: int, span: int) -> None:
    last = start + span - 1
    raise EvaluationError(
        f"'first ... where' found no number from {start} to {last} (the search_span limit is {span})",
        code="R305",
    )


def minimum(values: Iterable[Any]) -> Any:
    """The least of numbers, dates or durations."""
    items = list(values)
    if not items:
        raise EvaluationError("the minimum of an empty list", code="R306")
    return min(items)


def maximum(values: Iterable[Any]) -> Any:
    """The greatest of numbers, dates or durations."""
    items = list(values)
    if not items:
        raise EvaluationError("the maximum of an empty list", code="R306")
    return max(items)


def money_minimum(values: Iterable[Any]) -> Any:
    """The least amount (Cash, or a request's Money): one currency, amounts given "in the contract's
    currency" (no code) going with any."""
    return _money_extreme(values, min, "minimum")


def money_maximum(values: Iterable[Any]) -> Any:
    """The greatest amount, under the currency rule of `money_minimum`."""
    return _money_extreme(values, max, "maximum")


def _money_extreme(values: Iterable[Any], pick: Callable[..., Any], what: str) -> Any:
    items = list(values)
    if not items:
        raise EvaluationError(f"the {what} of an empty list", code="R306")
    currencies = {item.currency for item in items if item.currency is not None}
    if len(currencies) > 1:
        listed = ", ".join(sorted(currencies))
        raise EvaluationError(f"the {what} of money in several currencies ({listed})", code="R303")
    return pick(items, key=_amount_of)


def _amount_of(money: Any) -> Any:
    return money.amount


def count(items: Iterable[object]) -> int:
    return sum(1 for _ in items)


def distinct(items: Iterable[object]) -> int:
    return len(set(items))


# -- request facts


def missing(fact: str) -> object:
    raise RequestError(fact, "is required by this decision but the request does not give it")


def enum_name(value: object) -> str:
    return value.value if isinstance(value, enum.Enum) else str(value)


# -- text


def show(value: object, kind: str) -> str:
    """A value as a message shows it: dates ISO, money with its code, durations with their unit."""
    if kind == "days":
        return f"{value} day" + ("" if value == 1 else "s")
    if kind == "months":
        return f"{value} month" + ("" if value == 1 else "s")
    if kind == "rate":
        return f"{_plain(num_mul(value, 100))}%"  # type: ignore[arg-type]
    if kind == "bool":
        return "yes" if value else "no"
    if isinstance(value, Quotient | Decimal):
        return _plain(value)
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def _plain(value: Number) -> str:
    if isinstance(value, Quotient):
        value = value.approximate()
    return format(Decimal(value).normalize(), "f")


def money_eq(a: Cash, b: Cash) -> bool:
    x, y = money_key(a, b)
    return x == y


def money_ne(a: Cash, b: Cash) -> bool:
    x, y = money_key(a, b)
    return x != y


def money_lt(a: Cash, b: Cash) -> bool:
    x, y = money_key(a, b)
    return x < y


def money_le(a: Cash, b: Cash) -> bool:
    x, y = money_key(a, b)
    return x <= y


def money_gt(a: Cash, b: Cash) -> bool:
    x, y = money_key(a, b)
    return x > y


def money_ge(a: Cash, b: Cash) -> bool:
    x, y = money_key(a, b)
    return x >= y


def num_sum(items: Iterable[Number]) -> Number:
    total: Number = 0
    for item in items:
        total = num_add(total, item) if type(total) is not int or type(item) is not int else total + item
    return total


UNSET = object()


# -- building the decision


def charges_of(raw: list[tuple[Any, ...]], term: Term | None, request: Any) -> tuple[Charge, ...]:
    """The charges of an approval, rounded once; a charge without a period covers the term."""
    built = tuple(_charge(item, term, request) for item in raw)
    if len({c.amount.currency for c in built}) > 1:
        currencies = ", ".join(sorted({c.amount.currency for c in built}))
        raise EvaluationError(f"charges in {currencies} cannot make one total", code="R303")
    return built


def _charge(item: tuple[Any, ...], term: Term | None, request: Any) -> Charge:
    code, clause, amount, start, end, contract = item
    currency = amount.currency or contract_currency(contract, request)
    if currency is None:
        raise EvaluationError(
            f"charge '{code}' is in the contract's currency, but there is no contract", code="R310"
        )
    return built_charge(
        code,
        rounded(amount.amount, currency),
        term_of(start, end) if start is not None and end is not None else term,
        contract.id if contract is not None else None,
        clause,
    )


_make_term = maker(Term, ("start", "end"))


def term_of(start: date, end: date) -> Term:
    """The term of a `term` statement or a charge's period: the checker made both ends dates, so
    only their order is checked here (as `Term`'s validator would, with its words)."""
    if start > end:
        raise ValueError(f"a term cannot end ({end}) before it starts ({start})")
    return _make_term(start, end)


def contract_currency(contract: Any, request: Any) -> str | None:
    """The currency of an amount "in the contract's currency": the charged contract's, else the request's."""
    # a policy that declares its own request may have no `contract` or `license` fact, or a
    # license without an annual fee: then these give no currency rather than fail
    for source in (contract, getattr(request, "contract", None)):
        if source is not None:
            return str(source.currency)
    fee = getattr(getattr(request, "license", None), "annual_fee", None)
    if fee is not None:
        return str(fee.currency)
    return None


def total_currency(request: Any) -> str | None:
    """The currency of an approval's total when it charges nothing: the contract's (as for a charge
    in the contract's currency), else that of the request's first contract."""
    found = contract_currency(None, request)
    contracts = getattr(request, "contracts", None)
    if found is None and contracts:
        found = str(contracts[0].currency)
    return found


def field_money(value: Cash, request: Any) -> Money:
    currency = value.currency or contract_currency(None, request)
    if currency is None:
        raise EvaluationError("a decision field holds money without a currency", code="R310")
    return rounded(value.amount, currency)


def field_number(value: Number) -> Decimal | int:
    # A field is shown, not charged: a quotient that does not terminate is shown to 28 digits.
    return value.approximate() if isinstance(value, Quotient) else value


def failed(error: BaseException, rule_index: int) -> EvaluationError:
    """A Python error met while deciding (an out-of-range date or amount) as the rule's error.

    A value out of range is R311; anything else escaping the compiled code is R312, an
    error of mespolicy's own that the tests and fuzzers look for.
    """
    code = "R311" if isinstance(error, ValueError | ArithmeticError) else "R312"
    found = EvaluationError(f"cannot be computed for this request: {describe(error)}", code=code)
    found.rule_index = rule_index
    return found


def describe(error: BaseException) -> str:
    """A Python error met while computing a value, in words (never `[<class 'decimal.Inexact'>]`)."""
    if isinstance(error, DivisionByZero | ZeroDivisionError):
        return "division by zero"
    if isinstance(error, DecimalException):
        return "the amount is too large or too precise to compute exactly"
    if isinstance(error, OverflowError):
        return "a date or number is out of range (dates run from year 1 to 9999)"
    if isinstance(error, ValueError):
        text = str(error)
        if "year" in text and "out of range" in text:
            return f"a date is out of range (dates run from year 1 to 9999): {text}"
        if "integer string conversion" in text or "digits" in text:
            return "a whole number has too many digits"
        return text or type(error).__name__
    if isinstance(error, RecursionError | MemoryError):
        return "the computation is too large"
    return f"internal error ({type(error).__name__}: {error}); please report it"


def conflict(action: str, applied: tuple[tuple[str, bool], ...]) -> None:
    names = ", ".join(name for name, ok in applied if ok)
    raise EvaluationError(f"action '{action}': rules {names} all apply to this request", code="R308")


def no_rule_applies(action: str, day: date) -> None:
    raise EvaluationError(f"action '{action}': no rule applies to this request (day {day})", code="R309")
