"""A deterministic mixed corpus of requests of every action, with each request's kind.

The same size and seed always give the same requests. The mix covers the
boundaries the rules turn on: timely, late and past-cutoff renewals (exact
anniversaries and the cutoff day among them), initials in and after the grace,
co-terminated initials, cancellations in time, late and after expiry, partial
and unknown-license notices, co-terminations of 2-4 contracts (and their
rejections), status of contracts and of licenses, premium support; fees in
currencies with 0, 2 and 3 minor digits; month-end and leap-day dates.
"""

from __future__ import annotations

import calendar
import json
import random
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import attrs

from mespolicy.model import (
    Contract,
    Customer,
    License,
    LicenseKind,
    Money,
    Request,
    Role,
    add_months,
    minor_units,
    request_to_json,
)

SEED = 20250301
SIZE = 2000

# Annual fees drawn in minor units, roughly 500 to 60,000 US dollars' worth.
_FEES_MINOR: dict[str, tuple[int, int]] = {
    "USD": (500_00, 60_000_00),
    "EUR": (500_00, 60_000_00),
    "GBP": (400_00, 50_000_00),
    "CHF": (450_00, 55_000_00),
    "JPY": (75_000, 9_000_000),
    "KRW": (650_000, 78_000_000),
    "BHD": (190_000, 22_000_000),
    "KWD": (150_000, 18_000_000),
}
CURRENCIES = tuple(_FEES_MINOR)

# Share of each action in the mix.
_ACTIONS: dict[str, float] = {
    "renew": 0.30,
    "cancel": 0.20,
    "initial": 0.15,
    "coterminate": 0.15,
    "status": 0.10,
    "premium_support": 0.10,
}
ACTIONS = tuple(_ACTIONS)
TIERS = ("after_hours", "weekend", "emergency_access", "support_cloud")


@attrs.frozen
class Corpus:
    """Requests and, for each, its kind: ``"renew/late"``, ``"cancel/in_time"``, ..."""

    requests: tuple[Request, ...]
    kinds: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.requests)

    def of_actions(self, *actions: str) -> list[Request]:
        """The requests of these actions, in corpus order."""
        return [r for r in self.requests if r.action in actions]

    def late_renewals(self) -> list[Request]:
        """Renewals asked for after the expiration date, past the reactivation cutoff too."""
        return [r for r in self.requests if is_late_renewal(r)]

    def read_by(self, read: Callable[[Request], Any]) -> Corpus:
        """The same corpus with each request read once by a policy (`Policy.read`)."""
        return Corpus(tuple(read(r) for r in self.requests), self.kinds)

    def mix(self) -> Counter[str]:
        """How many requests of each kind."""
        return Counter(self.kinds)


def is_late_renewal(request: Request) -> bool:
    """A renewal asked for after the contract's expiration date (§8)."""
    return request.action == "renew" and request.contract is not None and request.date > request.contract.end


def build(size: int = SIZE, seed: int = SEED) -> Corpus:
    """``size`` requests drawn from ``random.Random(seed)``."""
    maker = _Maker(random.Random(seed))
    makers: dict[str, Callable[[], tuple[str, Request]]] = {
        "renew": maker.renew,
        "cancel": maker.cancel,
        "initial": maker.initial,
        "coterminate": maker.coterminate,
        "status": maker.status,
        "premium_support": maker.premium_support,
    }
    kinds: list[str] = []
    requests: list[Request] = []
    for action in maker.rng.choices(ACTIONS, weights=list(_ACTIONS.values()), k=size):
        kind, request = makers[action]()
        kinds.append(kind)
        requests.append(request)
    return Corpus(tuple(requests), tuple(kinds))


def to_jsonl(requests: Iterable[Request]) -> str:
    """One request a line, as ``mespolicy decide --jsonl`` reads them."""
    return "".join(json.dumps(request_to_json(r), ensure_ascii=False) + "\n" for r in requests)


def _days(n: int) -> timedelta:
    return timedelta(days=n)


class _Maker:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.serial = 0

    # -- parts

    def ident(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial}"

    def day(self) -> date:
        """A day in 2019-2027; month ends and leap days more often than by chance."""
        roll = self.rng.random()
        if roll < 0.08:
            year, month = self.rng.randint(2019, 2027), self.rng.randint(1, 12)
            return date(year, month, calendar.monthrange(year, month)[1])
        if roll < 0.10:
            return self.rng.choice((date(2020, 2, 29), date(2024, 2, 29)))
        return date(2019, 1, 1) + _days(self.rng.randrange(9 * 365))

    def currency(self) -> str:
        return self.rng.choice(CURRENCIES)

    def fee(self, currency: str) -> Money:
        low, high = _FEES_MINOR[currency]
        minor = self.rng.randint(low, high)
        if self.rng.random() < 0.2:  # a round fee, as price lists have
            step = 100 * 10 ** minor_units(currency)
            minor = max(step, minor // step * step)
        return Money(Decimal(minor).scaleb(-minor_units(currency)), currency)

    def customer(self, existing: bool | None = None) -> Customer:
        role = Role.PARTNER if self.rng.random() < 0.2 else Role.CUSTOMER
        known = self.rng.random() < 0.7 if existing is None else existing
        return Customer(self.ident("C"), role, known)

    def license_ids(self, low: int = 1, high: int = 3) -> tuple[str, ...]:
        return tuple(self.ident("L") for _ in range(self.rng.randint(low, high)))

    def contract(
        self,
        currency: str | None = None,
        end: date | None = None,
        licenses: tuple[str, ...] | None = None,
        months: int | None = None,
    ) -> Contract:
        """A contract of 12 months mostly, 6 to 36 otherwise; ending on ``end`` when given."""
        code = currency or self.currency()
        if months is None:
            months = self.rng.choices((12, 24, 36, 6, 18), weights=(75, 10, 5, 5, 5))[0]
        if end is None:
            start = self.day()
            end = add_months(start, months)
        else:
            start = add_months(end, -months)
        held = licenses if licenses is not None else self.license_ids()
        return Contract(self.ident("M"), code, start, end, self.fee(code), held)

    def license(self, kind: LicenseKind | None = None, ident: str | None = None) -> License:
        perpetual = self.rng.random() < 0.8
        chosen = kind or (LicenseKind.PERPETUAL if perpetual else LicenseKind.SUBSCRIPTION)
        code = self.currency()
        product = self.rng.choice(("NX", "TC", "SC", "CAE"))
        return License(ident or self.ident("L"), product, chosen, self.day(), self.fee(code))

    def portfolio(self, contract: Contract) -> tuple[Contract, ...]:
        """The contract, sometimes with one or two other contracts of the customer."""
        others = [self.contract() for _ in range(self.rng.choice((0, 0, 0, 1, 2)))]
        return (contract, *others)

    # -- actions

    def renew(self) -> tuple[str, Request]:
        contract = self.contract()
        end = contract.end
        last = add_months(end, 36)
        roll = self.rng.random()
        if roll < 0.40:
            kind = "renew/timely"
            day = end if self.rng.random() < 0.1 else end - _days(self.rng.randint(1, 120))
        elif roll < 0.85:
            kind = "renew/late"
            edge = self.rng.random()
            if edge < 0.05:
                day = add_months(end, 12 * self.rng.randint(1, 3))  # an anniversary: k steps up
            elif edge < 0.08:
                day = last  # the last day reinstatement is possible
            elif edge < 0.11:
                day = end + _days(1)
            else:
                day = end + _days(self.rng.randint(1, (last - end).days))
        else:
            kind = "renew/cutoff"
            day = last + _days(1 if self.rng.random() < 0.1 else self.rng.randint(1, 600))
        request = Request("renew", day, self.customer(True), self.portfolio(contract), (), contract)
        return kind, request

    def cancel(self) -> tuple[str, Request]:
        roll = self.rng.random()
        contract = self.contract(licenses=self.license_ids(2, 3) if roll >= 0.80 else None)
        end = contract.end
        named: tuple[str, ...] | None = None
        if roll < 0.35:
            kind = "cancel/in_time"
            day = end - _days(30 if self.rng.random() < 0.1 else self.rng.randint(30, 330))
        elif roll < 0.60:
            kind = "cancel/late"
            day = end - _days(29 if self.rng.random() < 0.1 else self.rng.randint(0, 29))
        elif roll < 0.80:
            kind = "cancel/after_expiry"
            day = end + _days(self.rng.randint(1, 800))
        elif roll < 0.88:
            kind = "cancel/all_named"
            named = tuple(self.rng.sample(contract.licenses, len(contract.licenses)))
            day = end - _days(self.rng.randint(0, 200))
        elif roll < 0.94:
            kind = "cancel/partial"
            named = contract.licenses[: self.rng.randint(1, len(contract.licenses) - 1)]
            day = end - _days(self.rng.randint(0, 200))
        else:
            kind = "cancel/unknown_license"
            named = (*contract.licenses, self.ident("L"))
            day = end - _days(self.rng.randint(0, 200))
        request = Request(
            "cancel",
            day,
            self.customer(True),
            self.portfolio(contract),
            (),
            contract,
            cancel_licenses=named,
        )
        return kind, request

    def initial(self) -> tuple[str, Request]:
        lic = self.license()
        shipped = lic.shipped
        roll = self.rng.random()
        if roll < 0.35:
            kind, customer = "initial/in_grace", self.customer()
            day = shipped + _days(90 if self.rng.random() < 0.1 else self.rng.randint(0, 90))
            return kind, Request("initial", day, customer, (), (lic,), license=lic)
        if roll < 0.65:
            kind, customer = "initial/after_grace", self.customer()
            day = shipped + _days(91 if self.rng.random() < 0.1 else self.rng.randint(91, 1500))
            return kind, Request("initial", day, customer, (), (lic,), license=lic)
        if roll < 0.80:
            kind, customer = "initial/coterm_in_grace", self.customer(True)
            day = shipped + _days(self.rng.randint(0, 90))
            other = self.contract(lic.annual_fee.currency, end=day + _days(self.rng.randint(1, 700)))
        elif roll < 0.92:
            kind, customer = "initial/coterm_after_grace", self.customer(True)
            day = shipped + _days(self.rng.randint(91, 900))
            other = self.contract(lic.annual_fee.currency, end=day + _days(self.rng.randint(1, 700)))
        elif roll < 0.96:
            kind, customer = "initial/coterm_new_customer", self.customer(False)
            day = shipped + _days(self.rng.randint(0, 200))
            other = self.contract(end=day + _days(self.rng.randint(1, 400)))
        elif roll < 0.98:
            kind, customer = "initial/coterm_date_passed", self.customer(True)
            day = shipped + _days(self.rng.randint(0, 200))
            other = self.contract(end=day - _days(self.rng.randint(0, 100)))
        else:
            kind, customer = "initial/before_shipping", self.customer()
            day = shipped - _days(self.rng.randint(1, 60))
            return kind, Request("initial", day, customer, (), (lic,), license=lic)
        request = Request("initial", day, customer, (other,), (lic,), license=lic, coterminate_with=other)
        return kind, request

    def coterminate(self) -> tuple[str, Request]:
        code = self.currency()
        day = self.day()
        count = self.rng.choice((2, 2, 3, 3, 4))
        # Active on the day: start <= day < end, with 12-month terms ending within 360 days.
        ends = [day + _days(self.rng.randint(1, 360)) for _ in range(count)]
        contracts = [self.contract(code, end=end, months=12) for end in ends]
        target: date | None = None
        roll = self.rng.random()
        if roll < 0.70:
            kind = "coterminate/to_latest"
        elif roll < 0.82:
            kind = "coterminate/to_target"
            target = max(ends) + _days(self.rng.randint(0, 200))
        elif roll < 0.86:
            kind = "coterminate/mixed_currencies"
            other = self.rng.choice([c for c in CURRENCIES if c != code])
            contracts[-1] = self.contract(other, end=ends[-1], months=12)
        elif roll < 0.90:
            kind = "coterminate/inactive"
            contracts[-1] = self.contract(code, end=day - _days(self.rng.randint(0, 300)))
        elif roll < 0.94:
            kind = "coterminate/same_expiration"
            contracts = [self.contract(code, end=ends[0], months=12) for _ in ends]
        elif roll < 0.97:
            kind = "coterminate/target_shortens"
            target = max(ends) - _days(self.rng.randint(1, 30))
        else:
            kind = "coterminate/too_few"
            contracts = contracts[:1]
        request = Request("coterminate", day, self.customer(True), tuple(contracts), (), target_end=target)
        return kind, request

    def status(self) -> tuple[str, Request]:
        if self.rng.random() < 0.7:
            contract = self.contract()
            day = contract.start + _days(self.rng.randint(-60, 1800))
            request = Request("status", day, self.customer(True), self.portfolio(contract), (), contract)
            return "status/contract", request
        lic = self.license()
        day = lic.shipped + _days(self.rng.randint(-30, 400))
        return "status/license", Request("status", day, self.customer(), (), (lic,), license=lic)

    def premium_support(self) -> tuple[str, Request]:
        lic = self.license()
        contract = self.contract(licenses=(lic.id, *self.license_ids(0, 2)))
        active = self.rng.random() < 0.75
        if active:
            day = contract.start + _days(self.rng.randrange(max(1, (contract.end - contract.start).days)))
        else:
            day = contract.end + _days(self.rng.randint(0, 400))
        tier = self.rng.choice(TIERS) if self.rng.random() < 0.6 else None
        kind = f"premium_support/{lic.kind.value}/{'active' if active else 'inactive'}"
        request = Request(
            "premium_support", day, self.customer(True), (contract,), (lic,), license=lic, tier=tier
        )
        return kind, request
