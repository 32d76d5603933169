"""The types of the rule language and the table of what each operator accepts and yields."""

from __future__ import annotations

import attrs

from mespolicy.nodes import BinaryOp


@attrs.frozen
class Scalar:
    """A type without parts: date, days, months, number, integer, rate, bool, text."""

    name: str

    def __str__(self) -> str:
        return self.name


@attrs.frozen
class Money:
    """Money; `currency` is known only for literals written with a code."""

    currency: str | None = None

    def __str__(self) -> str:
        return f"money ({self.currency})" if self.currency else "money"


@attrs.frozen
class EnumType:
    name: str
    members: tuple[str, ...]

    def __str__(self) -> str:
        return self.name


@attrs.frozen
class Record:
    """A contract, license or customer: named fields of the request's facts."""

    name: str
    fields: tuple[tuple[str, Type], ...]

    def field(self, name: str) -> Type | None:
        return dict(self.fields).get(name)

    def __str__(self) -> str:
        return self.name


@attrs.frozen
class ListOf:
    element: Type

    def __str__(self) -> str:
        return f"list of {self.element}"


@attrs.frozen
class Unknown:
    """The type of an expression that already has an error: silences follow-on errors."""

    def __str__(self) -> str:
        return "unknown"


Type = Scalar | Money | EnumType | Record | ListOf | Unknown

DATE = Scalar("date")
DAYS = Scalar("days")
MONTHS = Scalar("months")
NUMBER = Scalar("number")
INTEGER = Scalar("integer")
RATE = Scalar("rate")
BOOL = Scalar("bool")
TEXT = Scalar("text")
MONEY = Money()
UNKNOWN = Unknown()

SCALARS = {t.name: t for t in (DATE, DAYS, MONTHS, NUMBER, INTEGER, RATE, BOOL, TEXT)}
DURATIONS = (DAYS, MONTHS)
NUMERIC = (NUMBER, INTEGER, RATE)


def is_numeric(t: Type) -> bool:
    return t in NUMERIC


def is_orderable(t: Type) -> bool:
    """Types `<` and `min`/`max` work on."""
    return t in (DATE, DAYS, MONTHS, *NUMERIC) or isinstance(t, Money)


def join(a: Type, b: Type) -> Type | None:
    """The type both branches of an `if` (or two compared values) share, or None."""
    if a == b:
        return a
    if is_numeric(a) and is_numeric(b):
        return INTEGER if a == b == INTEGER else NUMBER
    if isinstance(a, Money) and isinstance(b, Money):
        if a.currency and b.currency and a.currency != b.currency:
            return None
        return Money(a.currency or b.currency)
    return None


def assignable(found: Type, declared: Type) -> bool:
    """Whether a value of type `found` may stand where `declared` is expected (a parameter's value).

    Stricter than `join`: a plain 20 is not 20%, nor a rate a number.
    """
    if found == declared or (found == INTEGER and declared == NUMBER):
        return True
    if isinstance(found, Money) and isinstance(declared, Money):
        return join(found, declared) is not None
    return False


def arithmetic(op: BinaryOp, left: Type, right: Type) -> Type | None:
    """What `left op right` yields, or None when the operator does not apply."""
    if op is BinaryOp.ADD:
        return _add(left, right) or _add(right, left)
    if op is BinaryOp.SUBTRACT:
        if left == DATE and right == DATE:
            return DAYS
        if left == DATE and right in DURATIONS:
            return DATE
        return _same_kind(left, right)
    if op is BinaryOp.MULTIPLY:
        return _multiply(left, right) or _multiply(right, left)
    return _divide(left, right)


def _add(left: Type, right: Type) -> Type | None:
    if left == DATE and right in DURATIONS:
        return DATE
    return _same_kind(left, right)


def _same_kind(left: Type, right: Type) -> Type | None:
    if left in DURATIONS and left == right:
        return left
    if isinstance(left, Money) or is_numeric(left):
        return join(left, right)
    return None


def _multiply(left: Type, right: Type) -> Type | None:
    if left == INTEGER and right in (*DURATIONS, INTEGER):
        return right
    if is_numeric(left) and isinstance(right, Money):
        return right
    if is_numeric(left) and is_numeric(right):
        return NUMBER
    return None


def _divide(left: Type, right: Type) -> Type | None:
    if isinstance(left, Money) and is_numeric(right):
        return left
    if isinstance(left, Money) and isinstance(right, Money):
        return NUMBER if join(left, right) else None
    if left in DURATIONS and left == right:
        return NUMBER
    if is_numeric(left) and is_numeric(right):
        return NUMBER
    return None


def comparable(op: BinaryOp, left: Type, right: Type) -> bool:
    """Whether `left op right` is a meaningful comparison (days with days, never with months)."""
    shared = join(left, right)
    if shared is None:
        return False
    if op in (BinaryOp.EQ, BinaryOp.NE):
        return not isinstance(shared, Record | ListOf)
    return is_orderable(shared)
