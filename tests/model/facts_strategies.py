"""Requests as JSON data for any declared facts (a `FactsSpec`), drawn field by field from the declarations.

`json_requests(spec, actions)` draws requests the reader takes: every field of its
declared kind, keys unique, references to entries that exist, amounts in their
currency's minor unit, dates in order. With ``slips=True`` some draw one mistake the
JSON Schema cannot see (a dangling reference, a duplicate key, a date out of order,
an amount finer than a cent, a negative fee), which the reader must refuse.
`host_object` turns the data into the host's own objects (attributes, dates, Money).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import attrs
from hypothesis import strategies as st

from mespolicy.model.facts import FactsSpec, FieldSpec, Kind, RecordSpec
from mespolicy.model.money import Money, minor_units

CURRENCIES = ("USD", "EUR", "JPY", "BHD")
_AMOUNT = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _ids(prefix: str) -> st.SearchStrategy[str]:
    return st.integers(1, 9).map(lambda i: f"{prefix}{i}")


def _days() -> st.SearchStrategy[dt.date]:
    return st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31))


def _amount(draw: st.DrawFn, currency: str, least: Decimal | None) -> str:
    places = minor_units(currency)
    low = int(least * 10**places) if least is not None else -(10**8)
    cents = draw(st.integers(max(low, -(10**8)), 10**8))
    return str(Decimal(cents).scaleb(-places))


def _scalar(draw: st.DrawFn, field: FieldSpec, record: dict[str, Any]) -> Any:
    kind = field.kind
    if kind is Kind.TEXT or kind is Kind.REFERENCE:
        return draw(_ids(field.name[:1].upper() or "X"))
    if kind is Kind.CURRENCY:
        return draw(st.sampled_from(CURRENCIES))
    if kind is Kind.DATE:
        day = draw(_days())
        if field.not_before is not None and isinstance(record.get(field.not_before), str):
            earliest = dt.date.fromisoformat(record[field.not_before])
            day = max(day, earliest)
        return day.isoformat()
    if kind is Kind.BOOL:
        return draw(st.booleans())
    if kind is Kind.ENUM:
        return draw(st.sampled_from(field.members or ("x",)))
    if kind is Kind.MONEY:
        return _amount(draw, record.get(field.currency or "", "USD"), field.at_least)
    if kind is Kind.INTEGER:
        least = int(field.at_least) if field.at_least is not None else -1000
        return draw(st.integers(least, least + 1000))
    # number, rate: exact decimals as JSON gives them
    least_number = field.at_least if field.at_least is not None else Decimal(-10)
    return least_number + Decimal(draw(st.integers(0, 10_000))).scaleb(-2)


def _ordered(record: RecordSpec) -> list[FieldSpec]:
    """Fields in the order a value can be drawn: currencies and earlier dates first."""
    first = {f.currency for f in record.fields if f.currency} | {f.not_before for f in record.fields}
    return sorted(record.fields, key=lambda f: f.name not in first)


@st.composite
def _record(draw: st.DrawFn, spec: FactsSpec, record: RecordSpec, key: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in _ordered(record):
        if field.name == record.key and key is not None:
            out[field.name] = key
            continue
        if (field.optional or field.has_default) and not field.many and draw(st.booleans()):
            continue
        out[field.name] = draw(_value(spec, field, out))
    # the declared order, as request_to_json writes it
    return {f.name: out[f.name] for f in record.fields if f.name in out}


def _value(spec: FactsSpec, field: FieldSpec, record: dict[str, Any]) -> st.SearchStrategy[Any]:
    if field.kind is Kind.RECORD:
        nested = spec.records[field.record or ""]
        one = _record(spec, nested, None)
        if field.many:
            return _keyed_list(spec, nested)
        return one

    @st.composite
    def value(draw: st.DrawFn) -> Any:
        if not field.many:
            return _scalar(draw, field, record)
        items = draw(st.lists(st.just(None), max_size=3))
        drawn = [_scalar(draw, field, record) for _ in items]
        return list(dict.fromkeys(drawn)) if field.distinct else drawn

    return value()


@st.composite
def _keyed_list(draw: st.DrawFn, spec: FactsSpec, record: RecordSpec) -> list[dict[str, Any]]:
    keys = draw(st.lists(_ids(record.name[:1].upper()), max_size=3, unique=True))
    if record.key is None:
        return [draw(_record(spec, record, None)) for _ in keys]
    return [draw(_record(spec, record, key)) for key in keys]


@st.composite
def json_requests(
    draw: st.DrawFn, spec: FactsSpec, actions: tuple[str, ...], slips: bool = False
) -> dict[str, Any]:
    """A request as JSON data by ``spec``: valid, or (``slips``) with a mistake only the reader sees."""
    data: dict[str, Any] = {"action": draw(st.sampled_from(actions))}
    if draw(st.booleans()):
        data["ref"] = draw(st.text(max_size=5))
    later: list[FieldSpec] = []
    for field in spec.request.fields:
        if field.kind is Kind.REFERENCE:
            later.append(field)
            continue
        if field.optional and draw(st.booleans()):
            continue
        data[field.name] = draw(_value(spec, field, data))
    for field in later:
        key = spec.records[field.record or ""].key or "id"
        pool = [item[key] for item in data.get(field.source or "", [])]
        if pool and (not field.optional or draw(st.booleans())):
            data[field.name] = draw(st.sampled_from(pool))
    if slips:
        _slip(draw, spec, data)
    return data


@st.composite
def slipped(draw: st.DrawFn, spec: FactsSpec, data: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``data`` with one mistake the schema cannot see (equal to it when it has no place)."""
    copy: dict[str, Any] = json.loads(json.dumps(data, default=str))
    copy = _restore(copy, data)
    _slip(draw, spec, copy)
    return copy


def _restore(copy: Any, original: Any) -> Any:
    """The copy with the original's exact decimals back (JSON text would round them to floats)."""
    if isinstance(original, dict):
        return {k: _restore(copy[k], v) for k, v in original.items()}
    if isinstance(original, list):
        return [_restore(c, o) for c, o in zip(copy, original, strict=True)]
    return original


def _slip(draw: st.DrawFn, spec: FactsSpec, data: dict[str, Any]) -> None:
    """One mistake of a kind the schema lets through, if the request has a place for it."""
    places: list[tuple[dict[str, Any], FieldSpec, RecordSpec | None]] = []
    for field in spec.request.fields:
        value = data.get(field.name)
        if field.kind is Kind.REFERENCE and isinstance(value, str):
            places.append((data, field, None))
        if field.kind is Kind.RECORD and field.many and isinstance(value, list):
            record = spec.records[field.record or ""]
            for entry in value:
                for inner in record.fields:
                    places.append((entry, inner, record))
            if value and record.key is not None:
                places.append((data, field, record))
    if not places:
        return
    holder, field, record = draw(st.sampled_from(places))
    if field.kind is Kind.REFERENCE:
        holder[field.name] = "NOWHERE"
    elif field.kind is Kind.RECORD and record is not None and record.key is not None:
        holder[field.name] = [*holder[field.name], dict(holder[field.name][0])]  # a key given twice
    elif field.kind is Kind.MONEY and field.name in holder:
        currency = holder.get(field.currency or "", "USD")
        finer = Decimal(1).scaleb(-minor_units(currency) - 1)
        negative = field.at_least is not None and field.at_least >= 0 and draw(st.booleans())
        holder[field.name] = "-1" if negative else str(Decimal(holder[field.name]) + finer)
    elif field.kind is Kind.DATE and field.not_before is not None and field.name in holder:
        earlier = dt.date.fromisoformat(holder[field.not_before]) - dt.timedelta(days=1)
        holder[field.name] = earlier.isoformat()
    elif field.kind is Kind.CURRENCY and field.name in holder:
        holder[field.name] = "XYZ"


def host_object(spec: FactsSpec, data: dict[str, Any]) -> Any:
    """The same facts as the host system's own objects: attributes, dates, Money, tuples."""
    top = spec.request
    values = {"action": data["action"], "ref": data.get("ref")}
    for field in top.fields:
        values[field.name] = _host(spec, field, data.get(field.name), data)
    return SimpleNamespace(**values)


def _host(spec: FactsSpec, field: FieldSpec, value: Any, record: dict[str, Any]) -> Any:
    if value is None:
        return None
    if field.many:
        return tuple(_host(spec, _one(field), item, record) for item in value)
    if field.kind is Kind.RECORD:
        declared = spec.records[field.record or ""]
        inner = {f.name: _host(spec, f, value.get(f.name), value) for f in declared.fields}
        return SimpleNamespace(**inner)
    if field.kind is Kind.DATE and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    if field.kind is Kind.MONEY and isinstance(value, str) and _AMOUNT.fullmatch(value):
        currency = record.get(field.currency or "")
        if currency in CURRENCIES:
            return Money(Decimal(value), currency)
    return value


def _one(field: FieldSpec) -> FieldSpec:
    return attrs.evolve(field, many=False)
