"""The parties and objects a policy speaks of: customers, licenses and ME&S contracts."""

from __future__ import annotations

import enum
from datetime import date
from typing import Any

import attrs

from mespolicy.model.calendar import Term, check_date
from mespolicy.model.money import AmountError, Money, fee_problem, is_known_currency


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


def check_ids(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """attrs validator: a tuple of distinct non-empty string identifiers."""
    if not isinstance(value, tuple):
        raise TypeError(f"{attribute.name} must be a tuple, got {type(value).__name__}")
    for item in value:
        check_id(None, attribute, item)
    seen: set[str] = set()
    for item in value:
        if item in seen:
            raise ValueError(f"{attribute.name} lists {item!r} twice")
        seen.add(item)


def check_currency(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """attrs validator: a known upper-case ISO 4217 code."""
    if not is_known_currency(value):
        raise ValueError(f"{attribute.name}: unknown currency code {value!r}")


_money = attrs.validators.instance_of(Money)


def _check_fee(_: object, attribute: attrs.Attribute[Any], fee: Money) -> None:
    """attrs validator: a plausible annual fee, checked as a request's JSON is (`fee_problem`)."""
    problem = fee_problem(fee.amount, fee.currency)
    if problem is not None:
        raise AmountError(attribute.name, problem)


@attrs.frozen
class Customer:
    """The party asking; ``existing`` means it already holds an ME&S contract (§5.3)."""

    id: str = attrs.field(validator=check_id)
    role: Role = attrs.field(validator=attrs.validators.instance_of(Role))
    existing: bool = attrs.field(validator=attrs.validators.instance_of(bool))


@attrs.frozen
class License:
    """A license of one product, shipped on ``shipped``, with the annual ME&S fee it carries."""

    id: str = attrs.field(validator=check_id)
    product: str = attrs.field(validator=check_id)
    kind: LicenseKind = attrs.field(validator=attrs.validators.instance_of(LicenseKind))
    shipped: date = attrs.field(validator=check_date)
    annual_fee: Money = attrs.field(validator=[_money, _check_fee])

    @property
    def currency(self) -> str:
        """The currency of its ME&S fee, read by the request's declared `currency` field."""
        return self.annual_fee.currency


def _check_fee_currency(instance: Contract, _: attrs.Attribute[Any], fee: Money) -> None:
    if fee.currency != instance.currency:
        raise ValueError(f"annual_fee is in {fee.currency} but the contract is in {instance.currency}")


def _check_order(instance: Contract, _: attrs.Attribute[Any], end: date) -> None:
    if instance.start > end:
        raise ValueError(f"contract {instance.id!r} ends {end}, before it starts {instance.start}")


@attrs.frozen
class Contract:
    """An ME&S contract covering ``licenses`` over the half-open term [start, end)."""

    id: str = attrs.field(validator=check_id)
    currency: str = attrs.field(validator=check_currency)
    start: date = attrs.field(validator=check_date)
    end: date = attrs.field(validator=[check_date, _check_order])
    annual_fee: Money = attrs.field(validator=[_money, _check_fee_currency, _check_fee])
    licenses: tuple[str, ...] = attrs.field(validator=check_ids)

    @property
    def term(self) -> Term:
        """The current term, [start, end)."""
        return Term(self.start, self.end)
