"""The parties and objects a policy speaks of: customers, licenses and ME&S contracts.

These are the host's own objects of the shipped ME&S facts, built in Python and not
checked when built: `Policy.decide` reads them by the policy's declared facts (the
same reader as a request's JSON), so a bad value is one ``RequestError`` naming its
field path, however the request came.
"""

from __future__ import annotations

import enum
from datetime import date
from typing import Any

import attrs

from mespolicy.model.calendar import Term
from mespolicy.model.money import Money


class Role(enum.Enum):
    """Who holds the contract; a partner gets the decision a customer would (§1.2)."""

    CUSTOMER = "customer"
    PARTNER = "partner"


class LicenseKind(enum.Enum):
    """How a license is held: bought outright, or rented for a term."""

    PERPETUAL = "perpetual"
    SUBSCRIPTION = "subscription"


def check_id(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """attrs validator: an identifier is a non-empty string."""
    if not isinstance(value, str):
        raise TypeError(f"{attribute.name} must be a string, got {type(value).__name__}")
    if not value:
        raise ValueError(f"{attribute.name} must not be empty")


@attrs.frozen
class Customer:
    """The party asking; ``existing`` means it already holds an ME&S contract (§5.3)."""

    id: str
    role: Role
    existing: bool


@attrs.frozen
class License:
    """A license of one product, shipped on ``shipped``, with the annual ME&S fee it carries."""

    id: str
    product: str
    kind: LicenseKind
    shipped: date
    annual_fee: Money

    @property
    def currency(self) -> str:
        """The currency of its ME&S fee, read by the request's declared `currency` field."""
        return self.annual_fee.currency


@attrs.frozen
class Contract:
    """An ME&S contract covering ``licenses`` over the half-open term [start, end)."""

    id: str
    currency: str
    start: date
    end: date
    annual_fee: Money
    licenses: tuple[str, ...]

    @property
    def term(self) -> Term:
        """The current term, [start, end)."""
        return Term(self.start, self.end)
