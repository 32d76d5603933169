"""A seeded, edge-heavy stream of mixed requests of all six actions, as JSON dicts and JSON Lines files.

Unlike `benchmarks.corpus` (model objects, held in memory), this draws plain
request dicts one at a time, so a file of a million lines is written without
holding them: ``write(path, size, seed)``. The same size and seed give the same
bytes. The days lean on the edges the rules turn on: month ends and 29 February,
the expiration day and the day after, exactly 30 days' notice and one day less,
the 90th and 91st day after shipping, the last day of the 36-month reactivation
window and the day after, anniversaries of the expiry; fees in currencies of 0,
2 and 3 minor digits, zero fees and fees written with fewer digits than the
currency's minor unit. About one line in a hundred is a request a careful reader
refuses (a 30 February, a fee as a JSON number, a fee finer than its currency's
unit, a contract that is not in the request, an end before the start).
"""

from __future__ import annotations

import calendar
import json
import random
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

SEED = 20261202

# Currencies and their minor digits, with a range of annual fees in minor units.
_CURRENCIES: dict[str, tuple[int, int, int]] = {
    "USD": (2, 500_00, 60_000_00),
    "EUR": (2, 500_00, 60_000_00),
    "GBP": (2, 400_00, 50_000_00),
    "CHF": (2, 450_00, 55_000_00),
    "SEK": (2, 5_000_00, 600_000_00),
    "JPY": (0, 75_000, 9_000_000),
    "KRW": (0, 650_000, 78_000_000),
    "BHD": (3, 190_000, 22_000_000),
    "KWD": (3, 150_000, 18_000_000),
    "OMR": (3, 190_000, 22_000_000),
}
CURRENCIES = tuple(_CURRENCIES)

_ACTIONS = {
    "renew": 0.28,
    "cancel": 0.20,
    "initial": 0.16,
    "coterminate": 0.14,
    "status": 0.12,
    "premium_support": 0.10,
}
ACTIONS = tuple(_ACTIONS)
_WEIGHTS = tuple(_ACTIONS.values())
TIERS = ("after_hours", "weekend", "emergency_access", "support_cloud")
INVALID_SHARE = 0.01
_LEAP_DAYS = (date(2020, 2, 29), date(2024, 2, 29), date(2028, 2, 29))


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months``, clamped to the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _days(n: int) -> timedelta:
    return timedelta(days=n)


class _Maker:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.serial = 0

    def ident(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial}"

    def day(self) -> date:
        """A day in 2019-2028: month ends, leap days and the days around them half the time."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.30:
            year, month = rng.randint(2019, 2028), rng.randint(1, 12)
            return date(year, month, calendar.monthrange(year, month)[1])
        if roll < 0.42:
            return rng.choice(_LEAP_DAYS)
        if roll < 0.50:
            return rng.choice(_LEAP_DAYS) + _days(rng.choice((-1, 1, 365, 366)))
        return date(2019, 1, 1) + _days(rng.randrange(10 * 365))

    def fee(self, currency: str) -> str:
        digits, low, high = _CURRENCIES[currency]
        roll = self.rng.random()
        if roll < 0.02:
            minor = 0
        elif roll < 0.22:  # a round fee, as price lists have
            step = 100 * 10**digits
            minor = max(step, self.rng.randint(low, high) // step * step)
        else:
            minor = self.rng.randint(low, high)
        whole, cents = divmod(minor, 10**digits)
        if not digits:
            return str(whole)
        text = f"{whole}.{cents:0{digits}d}"
        if self.rng.random() < 0.05:  # "1200.5", "1200": fewer digits than the minor unit
            text = text.rstrip("0").rstrip(".")
        return text

    def customer(self, existing: bool | None = None) -> dict[str, Any]:
        known = self.rng.random() < 0.7 if existing is None else existing
        role = "partner" if self.rng.random() < 0.2 else "customer"
        return {"id": self.ident("C"), "role": role, "existing": known}

    def license_ids(self, low: int = 1, high: int = 3) -> list[str]:
        return [self.ident("L") for _ in range(self.rng.randint(low, high))]

    def contract(
        self,
        currency: str | None = None,
        end: date | None = None,
        licenses: list[str] | None = None,
        months: int | None = None,
    ) -> dict[str, Any]:
        code = currency or self.rng.choice(CURRENCIES)
        if months is None:
            months = self.rng.choices((12, 24, 36, 6, 18), weights=(75, 10, 5, 5, 5))[0]
        if end is None:
            start = self.day()
            end = add_months(start, months)
        else:
            start = add_months(end, -months)
        return {
            "id": self.ident("M"),
            "currency": code,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "annual_fee": self.fee(code),
            "licenses": licenses if licenses is not None else self.license_ids(),
        }

    def license(self, kind: str | None = None) -> dict[str, Any]:
        code = self.rng.choice(CURRENCIES)
        return {
            "id": self.ident("L"),
            "product": self.rng.choice(("NX", "TC", "SC", "CAE")),
            "kind": kind or ("perpetual" if self.rng.random() < 0.8 else "subscription"),
            "shipped": self.day().isoformat(),
            "currency": code,
            "annual_fee": self.fee(code),
        }

    def portfolio(self, contract: dict[str, Any]) -> list[dict[str, Any]]:
        """The contract, sometimes among other contracts of the customer (in any place)."""
        others = [self.contract() for _ in range(self.rng.choice((0, 0, 0, 1, 2)))]
        others.insert(self.rng.randint(0, len(others)), contract)
        return others

    def request(self, action: str, day: date, customer: dict[str, Any], **facts: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"action": action, "date": day.isoformat(), "customer": customer}
        out.update((k, v) for k, v in facts.items() if v is not None)
        if self.rng.random() < 0.1:
            out["ref"] = self.ident("ref-")
        return out

    # -- the actions

    def renew(self) -> dict[str, Any]:
        contract = self.contract()
        end = date.fromisoformat(contract["end"])
        last = add_months(end, 36)
        rng = self.rng
        edge = rng.random()
        if edge < 0.30:
            day = rng.choice(
                (
                    end,
                    end - _days(1),
                    end + _days(1),
                    last,
                    last + _days(1),
                    add_months(end, 12),
                    add_months(end, 24) - _days(1),
                    add_months(end, 36) - _days(1),
                )
            )
        elif edge < 0.55:
            day = end - _days(rng.randint(1, 120))
        elif edge < 0.90:
            day = end + _days(rng.randint(1, (last - end).days))
        else:
            day = last + _days(rng.randint(1, 600))
        return self.request(
            "renew", day, self.customer(True), contracts=self.portfolio(contract), contract=contract["id"]
        )

    def cancel(self) -> dict[str, Any]:
        rng = self.rng
        roll = rng.random()
        contract = self.contract(licenses=self.license_ids(2, 3) if roll >= 0.80 else None)
        end = date.fromisoformat(contract["end"])
        held: list[str] = contract["licenses"]
        named: list[str] | None = None
        if roll < 0.35:
            day = end - _days(rng.choice((30, 31, 29, rng.randint(30, 330))))
        elif roll < 0.60:
            day = end - _days(rng.randint(0, 29))
        elif roll < 0.80:
            day = end + _days(rng.choice((1, 335, 336, rng.randint(1, 800))))
        elif roll < 0.88:
            named = rng.sample(held, len(held))
            day = end - _days(rng.randint(0, 200))
        elif roll < 0.94:
            named = held[: rng.randint(1, len(held) - 1)]
            day = end - _days(rng.randint(0, 200))
        else:
            named = [*held, self.ident("L")]
            day = end - _days(rng.randint(0, 200))
        return self.request(
            "cancel",
            day,
            self.customer(True),
            contracts=self.portfolio(contract),
            contract=contract["id"],
            cancel_licenses=named,
        )

    def initial(self) -> dict[str, Any]:
        rng = self.rng
        lic = self.license()
        shipped = date.fromisoformat(lic["shipped"])
        roll = rng.random()
        if roll < 0.35:
            day = shipped + _days(rng.choice((0, 89, 90, rng.randint(0, 90))))
            return self.request("initial", day, self.customer(), licenses=[lic], license=lic["id"])
        if roll < 0.65:
            day = shipped + _days(rng.choice((91, 365, 366, rng.randint(91, 1500))))
            return self.request("initial", day, self.customer(), licenses=[lic], license=lic["id"])
        if roll < 0.97:
            customer = self.customer(rng.random() < 0.9)
            day = shipped + _days(rng.choice((90, 91, rng.randint(0, 900))))
            gap = rng.choice((1, rng.randint(1, 700), -rng.randint(0, 60)))
            currency = lic["currency"] if rng.random() < 0.9 else None
            other = self.contract(currency, end=day + _days(gap))
        else:
            day = shipped - _days(rng.randint(1, 60))
            return self.request("initial", day, self.customer(), licenses=[lic], license=lic["id"])
        return self.request(
            "initial",
            day,
            customer,
            contracts=[other],
            licenses=[lic],
            license=lic["id"],
            coterminate_with=other["id"],
        )

    def coterminate(self) -> dict[str, Any]:
        rng = self.rng
        code = rng.choice(CURRENCIES)
        day = self.day()
        ends = [day + _days(rng.randint(1, 360)) for _ in range(rng.choice((2, 2, 3, 3, 4)))]
        contracts = [self.contract(code, end=end, months=12) for end in ends]
        target: date | None = None
        roll = rng.random()
        if roll < 0.60:
            pass
        elif roll < 0.75:
            target = max(ends) + _days(rng.choice((0, 1, rng.randint(0, 400))))
        elif roll < 0.80:
            other = rng.choice([c for c in CURRENCIES if c != code])
            contracts[-1] = self.contract(other, end=ends[-1], months=12)
        elif roll < 0.86:
            contracts[-1] = self.contract(code, end=day - _days(rng.randint(0, 300)))
        elif roll < 0.90:
            contracts = [self.contract(code, end=ends[0], months=12) for _ in ends]
        elif roll < 0.96:
            target = max(ends) - _days(rng.randint(1, 30))
        else:
            contracts = contracts[: rng.randint(0, 1)]
        asked = None if target is None else target.isoformat()
        return self.request("coterminate", day, self.customer(True), contracts=contracts, target_end=asked)

    def status(self) -> dict[str, Any]:
        rng = self.rng
        if rng.random() < 0.7:
            contract = self.contract()
            start, end = date.fromisoformat(contract["start"]), date.fromisoformat(contract["end"])
            last = add_months(end, 36)
            day = rng.choice(
                (
                    start - _days(1),
                    start,
                    end - _days(1),
                    end,
                    last,
                    last + _days(1),
                    start + _days(rng.randint(-60, 1800)),
                )
            )
            contracts = self.portfolio(contract)
            customer = self.customer(True)
            return self.request("status", day, customer, contracts=contracts, contract=contract["id"])
        lic = self.license()
        shipped = date.fromisoformat(lic["shipped"])
        day = shipped + _days(rng.choice((-1, 0, 90, 91, rng.randint(-30, 400))))
        return self.request("status", day, self.customer(), licenses=[lic], license=lic["id"])

    def premium_support(self) -> dict[str, Any]:
        rng = self.rng
        lic = self.license()
        contract = self.contract(licenses=[*self.license_ids(0, 2), lic["id"]])
        start, end = date.fromisoformat(contract["start"]), date.fromisoformat(contract["end"])
        roll = rng.random()
        if roll < 0.70:
            day = start + _days(rng.randrange(max(1, (end - start).days)))
        elif roll < 0.85:
            day = rng.choice((start, end - _days(1), end, start - _days(1)))
        else:
            day = end + _days(rng.randint(0, 400))
        tier = rng.choice(TIERS) if rng.random() < 0.6 else None
        return self.request(
            "premium_support",
            day,
            self.customer(True),
            contracts=[contract],
            licenses=[lic],
            license=lic["id"],
            tier=tier,
        )

    # -- requests a careful reader refuses

    def invalid(self, request: dict[str, Any]) -> dict[str, Any]:
        """``request`` with one fault a reader must catch."""
        rng = self.rng
        fault = rng.randrange(6)
        contracts = request.get("contracts") or []
        if fault == 0:
            request["date"] = f"{rng.randint(2019, 2028)}-02-30"
        elif fault == 1 and contracts:
            contracts[0]["annual_fee"] = rng.randint(1, 10_000)  # a JSON number, not a string
        elif fault == 2 and contracts:
            contracts[0]["annual_fee"] = "1200.0001"  # finer than any minor unit
        elif fault == 3 and contracts:
            contracts[0]["end"], contracts[0]["start"] = contracts[0]["start"], contracts[0]["end"]
        elif fault == 4:
            request["customer"]["existing"] = "yes"
        else:
            request["contract"] = self.ident("M")
            request["action"] = rng.choice(("renew", "cancel", "status"))
        return request


def requests(size: int, seed: int = SEED) -> Iterator[dict[str, Any]]:
    """``size`` request dicts drawn from ``random.Random(seed)``, one at a time."""
    maker = _Maker(random.Random(seed))
    makers = {action: getattr(maker, action) for action in ACTIONS}
    rng = maker.rng
    for _ in range(size):
        request = makers[rng.choices(ACTIONS, _WEIGHTS)[0]]()
        if rng.random() < INVALID_SHARE:
            request = maker.invalid(request)
        yield request


def write(path: Path, size: int, seed: int = SEED) -> Counter[str]:
    """Write ``size`` requests to ``path`` as JSON Lines, streaming; how many of each action."""
    actions: Counter[str] = Counter()
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    with open(path, "w", encoding="utf-8") as out:
        for request in requests(size, seed):
            actions[request["action"]] += 1
            out.write(dumps(request) + "\n")
    return actions
