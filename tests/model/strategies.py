"""Hypothesis strategies for the contract model, shared by the model tests and any other."""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal
from typing import TypeVar

from hypothesis import strategies as st

from mespolicy.model import (
    Contract,
    Customer,
    License,
    LicenseKind,
    Money,
    Request,
    Role,
    minor_units,
)

CURRENCIES = ("USD", "EUR", "JPY", "KRW", "BHD", "KWD")
T = TypeVar("T")

ACTIONS = ("renew", "cancel", "coterminate", "initial", "status", "premium_support")


def month_ends() -> st.SearchStrategy[date]:
    """Last days of months, 29 February included: where month arithmetic clamps."""
    return st.builds(
        lambda year, month: date(year, month, calendar.monthrange(year, month)[1]),
        st.integers(1990, 2100),
        st.integers(1, 12),
    )


def days() -> st.SearchStrategy[date]:
    """Calendar dates, with month ends and leap days drawn often."""
    leap_days = st.sampled_from([date(2024, 2, 29), date(2028, 2, 29), date(2000, 2, 29)])
    return st.one_of(st.dates(date(1990, 1, 1), date(2100, 12, 31)), month_ends(), leap_days)


def ids() -> st.SearchStrategy[str]:
    """Identifiers: short non-empty strings, not only ASCII."""
    return st.text(min_size=1, max_size=6)


def currencies() -> st.SearchStrategy[str]:
    """Currencies with 0, 2 and 3 minor digits."""
    return st.sampled_from(CURRENCIES)


def amounts(currency: str) -> st.SearchStrategy[Decimal]:
    """Fees written with exactly ``currency``'s minor digits (never negative, as requests require)."""
    places = minor_units(currency)
    return st.integers(0, 10**12).map(lambda n: Decimal(f"{n}E-{places}"))


def money(currency: str) -> st.SearchStrategy[Money]:
    """Money in ``currency``."""
    return amounts(currency).map(lambda amount: Money(amount, currency))


def customers() -> st.SearchStrategy[Customer]:
    """Customers and partners, new and existing."""
    return st.builds(Customer, ids(), st.sampled_from(Role), st.booleans())


@st.composite
def licenses(draw: st.DrawFn, currency: str | None = None) -> License:
    """A license; its fee in ``currency`` when given."""
    code = currency or draw(currencies())
    return License(
        draw(ids()),
        draw(ids()),
        draw(st.sampled_from(LicenseKind)),
        draw(days()),
        draw(money(code)),
    )


@st.composite
def contracts(draw: st.DrawFn, currency: str | None = None) -> Contract:
    """A contract with start <= end; in ``currency`` when given."""
    code = currency or draw(currencies())
    start, end = sorted((draw(days()), draw(days())))
    covered = draw(st.lists(ids(), unique=True, max_size=3))
    return Contract(draw(ids()), code, start, end, draw(money(code)), tuple(covered))


def _maybe(draw: st.DrawFn, pool: tuple[T, ...]) -> T | None:
    return draw(st.none() | st.sampled_from(pool)) if pool else None


@st.composite
def requests(draw: st.DrawFn) -> Request:
    """A request with every optional field sometimes set, references always resolvable."""
    held = tuple(draw(st.lists(contracts(), unique_by=lambda c: c.id, max_size=3)))
    owned = tuple(draw(st.lists(licenses(), unique_by=lambda lic: lic.id, max_size=3)))
    return Request(
        action=draw(st.sampled_from(ACTIONS) | ids()),
        date=draw(days()),
        customer=draw(customers()),
        contracts=held,
        licenses=owned,
        contract=_maybe(draw, held),
        license=_maybe(draw, owned),
        coterminate_with=_maybe(draw, held),
        cancel_licenses=draw(st.none() | st.lists(ids(), unique=True).map(tuple)),
        target_end=draw(st.none() | days()),
        tier=draw(st.none() | ids()),
        # any text, the empty string and lone surrogates' neighbours included, up to the limit
        ref=draw(st.none() | st.text(st.characters(codec="utf-8"), max_size=200)),
    )
