"""The shape of a request as a policy declares it: records, their fields, the request's own facts.

Plain data built by the checker from the rule files' `record` and `request`
declarations; the request reader (`mespolicy.model.request`) is driven by it
alone, so the model knows nothing of the parser.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs


class Kind(enum.Enum):
    """What one value of a field is."""

    TEXT = "text"
    CURRENCY = "currency"
    DATE = "date"
    INTEGER = "integer"
    NUMBER = "number"
    RATE = "rate"
    BOOL = "bool"
    MONEY = "money"
    ENUM = "enum"
    RECORD = "record"
    REFERENCE = "reference"


@attrs.frozen
class FieldSpec:
    """One declared field. `many` means a list of values of `kind`."""

    name: str
    kind: Kind
    many: bool = False
    optional: bool = False
    # a list that may be left out is empty; any other default is a value of `kind`
    default: object = None
    has_default: bool = False
    members: tuple[str, ...] | None = None  # an enum's values (None: the enum is not declared)
    record: str | None = None  # a record, or the record a reference names
    source: str | None = None  # a reference: the request's list holding the records
    currency: str | None = None  # money: the field of the same record giving its currency
    at_least: Decimal | None = None
    not_before: str | None = None
    distinct: bool = False
    description: str | None = None


@attrs.frozen
class RecordSpec:
    name: str
    fields: tuple[FieldSpec, ...]
    key: str | None = None  # the field that identifies an entry of a list
    description: str | None = None

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)


@attrs.frozen
class FactsSpec:
    """The records a policy reads and the request's top-level facts (`request` is a record too)."""

    records: Mapping[str, RecordSpec]
    request: RecordSpec


class Facts:
    """A record read from a request by its declarations: its fields as attributes, compared by value.

    Each declared record gets its own subclass with slots (see `record_class`).
    """

    __slots__: tuple[str, ...] = ()
    _record_name = "record"

    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any: ...

    def __init__(self, **values: object) -> None:
        for name in self.__slots__:
            object.__setattr__(self, name, values.get(name))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a {self._record_name} read from a request cannot be changed")

    def _names(self) -> tuple[str, ...]:
        return tuple(name for name in self.__slots__ if not name.startswith("_"))

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self._names())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Facts) or other._record_name != self._record_name:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((self._record_name, self._values()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._names())
        return f"{self._record_name}({shown})"

    def __reduce__(self) -> tuple[object, ...]:
        # rebuilt by name, so a request can cross to a worker process
        values = tuple(getattr(self, name) for name in self.__slots__)
        return (_rebuild, (self._record_name, self.__slots__, values))


def record_class(name: str, fields: tuple[str, ...]) -> type[Facts]:
    return _record_class(name, fields)


_CLASSES: dict[tuple[str, tuple[str, ...]], type[Facts]] = {}


def _record_class(name: str, fields: tuple[str, ...]) -> type[Facts]:
    found = _CLASSES.get((name, fields))
    if found is None:
        found = type(name, (Facts,), {"__slots__": fields, "_record_name": name})
        _CLASSES[(name, fields)] = found
    return found


def _rebuild(name: str, fields: tuple[str, ...], values: tuple[object, ...]) -> Facts:
    return _record_class(name, fields)(**dict(zip(fields, values, strict=True)))
