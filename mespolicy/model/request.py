"""A request to the policy (renew, cancel, ...) and its strict JSON form, with field-path errors."""

from __future__ import annotations

import datetime as dt
import enum
import functools
import json
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import attrs
import orjson

from mespolicy.errors import MespolicyError
from mespolicy.limits import DEFAULT as DEFAULT_LIMITS
from mespolicy.limits import Limits
from mespolicy.model.calendar import DateError, is_calendar_date, parse_date
from mespolicy.model.contracts import (
    Contract,
    Customer,
    License,
)
from mespolicy.model.decoder import Decoder
from mespolicy.model.decoder import generate as decoder_of
from mespolicy.model.facts import Facts, FactsSpec, FieldSpec, Kind, RecordSpec, record_class
from mespolicy.model.money import (
    AmountError,
    Money,
    amount_problem,
    format_amount,
    is_known_currency,
    parse_amount,
)
from mespolicy.model.reader import FastReader, generate

_ROOT = "<request>"
_JSON = "<json>"


class RequestError(MespolicyError, ValueError):
    """A request that cannot be read; ``field`` is its JSON path, such as ``contracts[0].end``.

    ``line`` is left to the caller reading JSON Lines, who alone knows it. ``code``
    is Q101 for a request that breaks the request's form, Q102 for bytes that are
    not UTF-8, Q103 for a string that is not Unicode text (a lone surrogate), Q104
    for a blank line of JSON Lines, Q2xx for one past a limit (`mespolicy.limits`).
    """

    def __init__(self, field: str, message: str, line: int | None = None, code: str = "Q101") -> None:
        super().__init__(field, message)
        self.field = field
        self.message = message
        self.line = line
        self.code = code
        # the request's `ref`, when it could be read: a JSON Lines error object echoes it
        self.ref: str | None = None

    def __str__(self) -> str:
        where = "" if self.line is None else f"line {self.line}: "
        return f"{where}request field {self.field!r}: {self.message}"


@attrs.frozen
class Request:
    """One question for the policy, built in Python: a host object of the shipped shape.

    It is not checked when built: `Policy.decide` reads it by its declared facts, the
    same way as a request's JSON, and refuses it with a ``RequestError`` naming the field.
    ``contract``, ``license`` and ``coterminate_with`` are entries of ``contracts`` or
    ``licenses``.
    """

    action: str
    date: dt.date
    customer: Customer
    contracts: tuple[Contract, ...] = ()
    licenses: tuple[License, ...] = ()
    contract: Contract | None = None
    license: License | None = None
    coterminate_with: Contract | None = None
    cancel_licenses: tuple[str, ...] | None = None
    target_end: dt.date | None = None
    tier: str | None = None
    ref: str | None = None


# ---------------------------------------------------------------- reading JSON

def _at(path: str, key: str) -> str:
    return key if path == _ROOT else f"{path}.{key}"


def _shown(text: str, most: int = 60) -> str:
    """``text`` quoted for a message, cut short when long (a request may hold megabytes in one string)."""
    if len(text) <= most:
        return repr(text)
    return f"{text[:most]!r}... ({len(text)} characters)"


def _kind(value: object) -> str:
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, str):
        return f"the string {_shown(value)}"
    if isinstance(value, int | float | Decimal):
        return f"the number {value}"
    if isinstance(value, dict):
        return "an object"
    return "an array" if isinstance(value, list) else type(value).__name__


def _object(value: object, path: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise RequestError(path, f"expected a JSON object, got {_kind(value)}")
    return value


def _string(value: object, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise RequestError(path, f"expected a non-empty string, got {_kind(value)}")
    return value


def _bool(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise RequestError(path, f"expected true or false, got {_kind(value)}")
    return value


def _date(value: object, path: str) -> dt.date:
    try:
        return parse_date(value, path)
    except DateError as err:
        raise RequestError(path, err.problem) from None


def _currency(value: object, path: str) -> str:
    code = _string(value, path)
    if not is_known_currency(code):
        raise RequestError(path, f"unknown currency code {code!r} (expected ISO 4217, e.g. 'USD')")
    return code


_MISSING = object()
_PLAIN = (str, bytes, int, float, Decimal, bool, list, tuple, type(None))


@attrs.define
class _Pending:
    """A reference by id, resolved once the request's lists are read."""

    holder: Facts
    name: str
    ident: str
    field: FieldSpec
    path: str


def _currencies_first(record: RecordSpec) -> tuple[FieldSpec, ...]:
    """The fields in the order to read them: an amount after the currency field it is in, whatever
    the order of the declaration (otherwise in declared order, so the first error is the first field)."""
    fields = record.fields
    names = [f.name for f in fields]
    late = [
        f
        for i, f in enumerate(fields)
        if f.kind is Kind.MONEY and f.currency in names and names.index(f.currency) > i
    ]
    if not late:
        return fields
    return (*(f for f in fields if f not in late), *late)


class _Reader:
    """One request read by a policy's declarations, from decoded JSON, a mapping or a host object.

    A mapping is read by its keys (an unknown key is refused); any other object by the
    attributes of the declared names. Values are read the same way from both: dates as
    ``YYYY-MM-DD`` text or ``datetime.date``, amounts as decimal text or `Money`, enum
    values as text or a Python enum member holding the text.
    """

    def __init__(self, spec: FactsSpec, limits: Limits) -> None:
        self.spec = spec
        self.limits = limits
        self.pending: list[_Pending] = []
        self.orders: dict[str, tuple[FieldSpec, ...]] = {}

    def request(self, data: object) -> Facts:
        request = self.spec.request
        values: dict[str, object] = {}
        get = self.fields(data, _ROOT, request, ("action",), ("ref",))
        values["action"] = _string(get("action"), "action")
        ref = get("ref")
        if ref is not _MISSING and ref is not None and not isinstance(ref, str):
            raise RequestError("ref", f"expected a string, got {_kind(ref)}")
        if isinstance(ref, str) and len(ref) > self.limits.request_ref_chars:
            most = self.limits.request_ref_chars
            message = f"{len(ref)} characters; at most {most} (limit request_ref_chars)"
            raise RequestError("ref", message, code="Q205")
        values["ref"] = None if ref is _MISSING else ref
        self.read_fields(request, get, _ROOT, values)
        values["_spec"] = self.spec
        made = request_class(request)(**values)
        self.resolve(made)
        return made

    def fields(
        self,
        data: object,
        path: str,
        record: RecordSpec,
        required: tuple[str, ...] = (),
        optional: tuple[str, ...] = (),
    ) -> Callable[[str], object]:
        """How to get the record's fields from ``data``: its keys, or its attributes."""
        if isinstance(data, Mapping):
            obj = _object(dict(data) if not isinstance(data, dict) else data, path)
            needed = [*required, *(f.name for f in record.fields if not f.optional and not f.has_default)]
            others = [*optional, *(f.name for f in record.fields if f.optional or f.has_default)]
            allowed = [*required, *(f.name for f in record.fields), *optional]
            for key in obj:
                if key not in allowed:
                    expected = ", ".join(allowed)
                    raise RequestError(
                        _at(path, key), f"unknown key {_shown(key)} (expected one of: {expected})"
                    )
            del others
            for key in needed:
                if key not in obj:
                    raise RequestError(_at(path, key), "missing (this key is required)")
            return lambda name: obj.get(name, _MISSING)
        if isinstance(data, (*_PLAIN, dt.date, Money, enum.Enum)):
            _object(data, path)
        return lambda name: getattr(data, name, _MISSING)

    def read_fields(
        self, record: RecordSpec, get: Callable[[str], object], path: str, values: dict[str, object]
    ) -> None:
        later: list[tuple[FieldSpec, object]] = []
        order = self.orders.get(record.name)
        if order is None:
            order = self.orders[record.name] = _currencies_first(record)
        for field in order:
            value = get(field.name)
            where = _at(path, field.name)
            if value is _MISSING or value is None:
                if field.has_default:
                    values[field.name] = field.default
                    continue
                if field.optional:
                    values[field.name] = None
                    continue
                if value is _MISSING:
                    raise RequestError(where, "missing (this key is required)")
            if field.kind is Kind.REFERENCE and not field.many:
                later.append((field, value))
                values[field.name] = None
                continue
            if field.many:
                values[field.name] = self.many(field, value, where, values)
            else:
                values[field.name] = self.one(field, value, where, values)
            if field.not_before is not None:
                other = values.get(field.not_before)
                if isinstance(other, dt.date) and values[field.name] < other:  # type: ignore[operator]
                    raise RequestError(where, f"{values[field.name]} is before {field.not_before} {other}")
        self.later = later

    def many(
        self, field: FieldSpec, value: object, path: str, record: Mapping[str, object]
    ) -> tuple[object, ...]:
        if not isinstance(value, list | tuple):
            raise RequestError(path, f"expected a JSON array, got {_kind(value)}")
        if len(value) > self.limits.request_items:
            raise RequestError(
                path,
                f"holds {len(value)} items; at most {self.limits.request_items} (limit request_items)",
                code="Q202",
            )
        items = tuple(self.one(field, item, f"{path}[{i}]", record) for i, item in enumerate(value))
        if field.kind is Kind.RECORD:
            key = self.spec.records[field.record or ""].key
            if key is not None:
                seen: set[object] = set()
                for i, item in enumerate(items):
                    ident = getattr(item, key)
                    if ident in seen:
                        raise RequestError(f"{path}[{i}].{key}", f"duplicate id {_shown(str(ident))}")
                    seen.add(ident)
        elif field.distinct:
            listed: set[object] = set()
            for i, item in enumerate(items):
                if item in listed:
                    raise RequestError(f"{path}[{i}]", f"{_shown(str(item))} is listed twice")
                listed.add(item)
        return items

    def one(self, field: FieldSpec, value: object, path: str, record: Mapping[str, object]) -> object:
        kind = field.kind
        if kind is Kind.TEXT or kind is Kind.REFERENCE:
            return _string(value, path)
        if kind is Kind.CURRENCY:
            return _currency(value, path)
        if kind is Kind.DATE:
            if is_calendar_date(value):
                return _date(value.isoformat(), path)  # type: ignore[attr-defined]
            return _date(value, path)
        if kind is Kind.BOOL:
            return _bool(value, path)
        if kind is Kind.MONEY:
            return self.money(field, value, path, record)
        if kind is Kind.ENUM:
            if isinstance(value, enum.Enum):
                value = value.value
            if field.members is None:
                return _string(value, path)
            if not isinstance(value, str) or value not in field.members:
                choices = ", ".join(repr(member) for member in field.members)
                raise RequestError(path, f"expected one of {choices}, got {_kind(value)}")
            return value
        if kind is Kind.RECORD:
            return self.record(self.spec.records[field.record or ""], value, path)
        return self.number(field, value, path)

    def number(self, field: FieldSpec, value: object, path: str) -> object:
        if isinstance(value, float):
            # a float has already lost digits: the caller must say the exact number it meant
            raise RequestError(path, f"got the float {value!r}: numbers are exact (an int or a Decimal)")
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            raise RequestError(path, f"expected a number, got {_kind(value)}")
        if field.kind is Kind.INTEGER and not isinstance(value, int):
            raise RequestError(path, f"expected a whole number, got {_kind(value)}")
        if isinstance(value, Decimal) and not value.is_finite():
            raise RequestError(path, f"expected a finite number, got {value}")
        if field.at_least is not None and value < field.at_least:
            raise RequestError(path, f"must be at least {field.at_least}, got {value}")
        return value

    def money(self, field: FieldSpec, value: object, path: str, record: Mapping[str, object]) -> Money:
        currency = record.get(field.currency or "")
        if not isinstance(currency, str):
            raise RequestError(path, f"its currency '{field.currency}' is not given")
        if isinstance(value, Money):
            if value.currency != currency:
                raise RequestError(
                    path, f"{field.name} is in {value.currency} but the record is in {currency}"
                )
            amount = value.amount
            if not isinstance(amount, Decimal):
                raise RequestError(path, f"an amount is a Decimal, not {type(amount).__name__}")
        else:
            try:
                amount = parse_amount(value, currency, path)
            except AmountError as err:
                raise RequestError(path, err.problem) from None
        if field.at_least is not None and amount.is_finite() and amount < field.at_least:
            if field.at_least == 0:
                raise RequestError(path, f"a fee cannot be negative: {amount}")
            raise RequestError(path, f"must be at least {field.at_least}, got {amount}")
        problem = amount_problem(amount, currency)
        if problem is not None:
            raise RequestError(path, problem)
        return Money(amount, currency)

    def record(self, record: RecordSpec, value: object, path: str) -> Facts:
        get = self.fields(value, path, record)
        values: dict[str, object] = {}
        self.read_fields(record, get, path, values)
        later = self.later
        made = record_class(record.name, tuple(f.name for f in record.fields))(**values)
        for field, ident in later:
            self.pending.append(
                _Pending(
                    made,
                    field.name,
                    self.ident(field, ident, _at(path, field.name)),
                    field,
                    _at(path, field.name),
                )
            )
        return made

    def ident(self, field: FieldSpec, value: object, path: str) -> str:
        """A reference is an id; a host object may give the record itself."""
        if not isinstance(value, _PLAIN):
            key = self.spec.records[field.record or ""].key or "id"
            value = getattr(value, key, value)
        return _string(value, path)

    def resolve(self, request: Facts) -> None:
        for field, ident in self.later:
            self.pending.append(
                _Pending(request, field.name, self.ident(field, ident, field.name), field, field.name)
            )
        pools: dict[str, dict[object, object]] = {}
        for pending in self.pending:
            source = pending.field.source or ""
            pool = pools.get(source)
            if pool is None:
                key = self.spec.records[pending.field.record or ""].key or "id"
                pool = {getattr(item, key): item for item in getattr(request, source, ()) or ()}
                pools[source] = pool
            found = pool.get(pending.ident)
            if found is None:
                raise RequestError(pending.path, f"no entry of {source} has id {_shown(pending.ident)}")
            object.__setattr__(pending.holder, pending.name, found)


def request_class(request: RecordSpec) -> type[Facts]:
    return record_class("request", ("action", "ref", *(f.name for f in request.fields), "_spec"))


def _standard_spec() -> FactsSpec:
    # The standard ME&S facts are declared in the shipped rules/facts.mes; read lazily so the
    # model does not import the rule language when it is loaded.
    from mespolicy.declarations import standard_spec

    return standard_spec()


def parse_request(data: object, limits: Limits = DEFAULT_LIMITS, spec: FactsSpec | None = None) -> Facts:
    """A request from decoded JSON, a mapping or a host object; a ``RequestError`` naming the field otherwise.

    ``spec`` is the policy's declared facts (the standard ME&S facts when None).
    Unknown keys are refused (they are usually typos); optional keys may be
    absent or ``null``. ``limits`` bounds its lists (Q202), nesting (Q203) and
    numbers (Q204); reading takes time linear in the request's size.
    """
    spec = spec or _standard_spec()
    found = read_fast(data, limits, spec)
    return found if found is not None else read_fully(data, limits, spec)


def read_fast(data: object, limits: Limits, spec: FactsSpec) -> Facts | None:
    """The request `data` holds when the generated reader takes it as it is, else None.

    For callers that would otherwise reshape every request first (Arrow rows): they reshape
    only those this returns None for, then read them as usual, so errors are worded as always.
    """
    fast = _fast_reader(spec, limits) if type(data) is dict else None
    if fast is None:
        return None
    try:
        return fast.read(data)
    except Exception:  # Slow, or anything it did not foresee
        return None


def read_fully(data: object, limits: Limits, spec: FactsSpec) -> Facts:
    """`parse_request` by the full reader alone: every check in document order, each error worded."""
    if isinstance(data, (Mapping, *_PLAIN)):
        _check_bounds(data, limits)
        _object(data, _ROOT)
    try:
        return _Reader(spec, limits).request(data)
    except RequestError as error:
        # the caller's reference, echoed with the error where the request gave one as text
        ref = data.get("ref") if isinstance(data, Mapping) else getattr(data, "ref", None)
        if isinstance(ref, str) and len(ref) <= limits.request_ref_chars:
            error.ref = ref
        raise


def parse_request_json(
    text: str | bytes, limits: Limits = DEFAULT_LIMITS, spec: FactsSpec | None = None
) -> Facts:
    """A request from JSON text (or its UTF-8 bytes); ``RequestError`` naming the field otherwise.

    Numbers with a fraction are read as Decimal, never float, so that the
    amount fields can refuse them by name rather than lose digits. A UTF-8
    byte order mark at the start is allowed. ``limits`` bounds the request's
    size (Q201) and, as for `parse_request`, its lists, nesting and numbers;
    what the JSON itself refuses (NaN, a key given twice) is reported at its field.
    """
    spec = spec or _standard_spec()
    readers = _readers(spec, limits)
    fast = readers.fast
    if fast is not None and _small(text, limits.request_bytes):
        try:
            decoder = readers.decoder(limits)
            if decoder is not None:
                return decoder.read(text, _keys_at_least(text))
            return fast.read(orjson.loads(text), _keys_at_least(text))
        except Exception:  # not JSON these take, or not a request they take
            pass
    # the decoded request may still be one the fast reader takes (a number with a fraction)
    return parse_request(decode_json(text, limits), limits, spec)


def decode_json(text: str | bytes, limits: Limits) -> object:
    """A request's JSON decoded by the standard library: every number exact, NaN and a key given
    twice kept to be refused at their field, the size and nesting limits checked first."""
    source = _text(text, limits)
    _check_nesting(source, limits.request_depth)
    try:
        data = json.loads(
            source,
            parse_float=functools.partial(_number, Decimal, limits.request_digits),
            parse_int=functools.partial(_number, int, limits.request_digits),
            parse_constant=_Constant,
            object_pairs_hook=_object_of,
        )
    except json.JSONDecodeError as err:
        where = f"line {err.lineno}, column {err.colno}"
        raise RequestError(_JSON, f"invalid JSON at {where}: {err.msg}") from None
    except RecursionError:
        # only when the depth limit is set above what Python's parser can nest
        raise RequestError(_JSON, "invalid JSON: nested too deeply", code="Q203") from None
    return data


_BOM = "\ufeff"

class _Readers:
    """The readers generated for one spec under one set of limits: of decoded JSON, made at once,
    and of JSON text, made on first use (callers that only read decoded data, as Arrow rows are,
    never pay for it). None where the declarations rule a reader out."""

    __slots__ = ("_decoder", "_made", "fast", "spec")

    def __init__(self, spec: FactsSpec, limits: Limits) -> None:
        self.spec = spec  # kept, so that its id stays its own
        self.fast = generate(spec, limits)
        self._decoder: Decoder | None = None
        self._made = False

    def decoder(self, limits: Limits) -> Decoder | None:
        if not self._made:
            # it nests as the fast reader does: only where no valid request passes the depth limit
            self._decoder = None if self.fast is None else _decoder(self.spec, limits)
            self._made = True
        return self._decoder


_FAST: dict[tuple[int, Limits], _Readers] = {}


def _readers(spec: FactsSpec, limits: Limits) -> _Readers:
    key = (id(spec), limits)
    found = _FAST.get(key)
    if found is None or found.spec is not spec:
        if len(_FAST) >= 32:
            _FAST.clear()
        found = _FAST[key] = _Readers(spec, limits)
    return found


def _decoder(spec: FactsSpec, limits: Limits) -> Decoder | None:
    try:
        return decoder_of(spec, limits)
    except (TypeError, ValueError):  # Structs msgspec cannot make: read as before, by the fast reader
        return None


def _fast_reader(spec: FactsSpec, limits: Limits) -> FastReader | None:
    return _readers(spec, limits).fast


def _small(text: object, most: int) -> bool:
    """Text that is surely within the byte limit (a str of n characters is at most 4n bytes)."""
    if type(text) is bytes:
        return len(text) <= most
    return type(text) is str and len(text) * 4 <= most


# The end of a key: its closing quote, then a colon. Every key of the text ends so, and a string
# value may hold the same characters: the count is at least the number of keys. orjson keeps the
# last of a key given twice; the request's objects then hold fewer keys than this count, and the
# full reader (whose decoder sees every key) reads it and refuses the duplicate. Counting `":`
# alone is enough when no quote is followed by JSON whitespace and a colon (twice as fast).
_KEY_END = re.compile(r'"\s*:')
_KEY_END_BYTES = re.compile(rb'"\s*:')
_SPACED_KEY_END = re.compile(r'"[ \t\n\r]+:')
_SPACED_KEY_END_BYTES = re.compile(rb'"[ \t\n\r]+:')


def _keys_at_least(text: str | bytes) -> int:
    if isinstance(text, bytes):
        if _SPACED_KEY_END_BYTES.search(text) is None:
            return text.count(b'":')
        return len(_KEY_END_BYTES.findall(text))
    if _SPACED_KEY_END.search(text) is None:
        return text.count('":')
    return len(_KEY_END.findall(text))


def _text(text: str | bytes, limits: Limits) -> str:
    """The request's text: within the byte limit, UTF-8 if given as bytes, without a leading BOM."""
    most = limits.request_bytes
    if isinstance(text, bytes | bytearray):
        size = len(text)
        if size > most:
            raise too_big(most, size)
        try:
            decoded = bytes(text).decode("utf-8")
        except UnicodeDecodeError as err:
            where = f"byte offset {err.start}"
            line = text.count(b"\n", 0, err.start) + 1
            if line > 1:
                where += f" (line {line})"
            bad = text[err.start]
            raise RequestError(_JSON, f"not UTF-8 text: byte 0x{bad:02x} at {where}", code="Q102") from None
    elif isinstance(text, str):
        # a character is 1 to 4 bytes of UTF-8: count them only when it matters
        if len(text) > most or (len(text) * 4 > most and _utf8_size(text) > most):
            raise too_big(most, _utf8_size(text))
        decoded = text
    else:
        raise TypeError(f"a request's JSON is a str or bytes, not {type(text).__name__}")
    return decoded[1:] if decoded.startswith(_BOM) else decoded


def _utf8_size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def too_big(most: int, size: int | None = None, what: str = "request") -> RequestError:
    """Q201: a request (or a JSON Lines line, `what`) over `most` bytes; `size` where it was measured."""
    found = f"{size} bytes" if size is not None else f"over {most} bytes"
    return RequestError(_JSON, f"the {what} is {found}; at most {most} (limit request_bytes)", code="Q201")


# A string (skipped whole) or a bracket: what the nesting pre-scan looks at.
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def _check_nesting(text: str, deepest: int) -> None:
    """Refuse JSON nested deeper than ``deepest`` before Python's parser recurses into it (Q203)."""
    if text.count("[") + text.count("{") <= deepest:
        return
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        start = match.start()
        char = text[start]
        if char in "[{":
            depth += 1
            if depth > deepest:
                line = text.count("\n", 0, start) + 1
                column = start - text.rfind("\n", 0, start)
                raise RequestError(
                    _JSON,
                    f"nested deeper than {deepest} levels at line {line}, column {column} "
                    "(limit request_depth)",
                    code="Q203",
                )
        elif char in "]}":
            depth -= 1


class _Constant:
    """NaN or an infinity where the JSON holds a number: kept until the field it sits in is known."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class _LongNumber:
    """A JSON number with more digits than the limit, never converted (Python's int stops at 4,300)."""

    __slots__ = ("digits",)

    def __init__(self, digits: int) -> None:
        self.digits = digits


def _number(kind: Callable[[str], object], most: int, text: str) -> object:
    if len(text) > most:
        digits = sum(char.isdigit() for char in text)
        if digits > most:
            return _LongNumber(digits)
    return kind(text)


class _Duplicated(dict[str, object]):
    """A JSON object that gives ``key`` twice: kept until the field path of the object is known."""

    key: str


def _object_of(pairs: list[tuple[str, object]]) -> dict[str, object]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            duplicated = _Duplicated(obj)
            duplicated.key = key
            return duplicated
        seen.add(key)
    return obj  # pragma: no cover - a shorter dict always has a repeated key


_SURROGATE = re.compile("[\ud800-\udfff]")


def _path(parts: tuple[str | int, ...]) -> str:
    out = ""
    for part in parts:
        out = f"{out}[{part}]" if isinstance(part, int) else _at(out or _ROOT, part)
    return out or _ROOT


@functools.cache
def _power_of_ten(digits: int) -> int:
    power: int = 10**digits
    return power


def _check_bounds(data: object, limits: Limits) -> None:
    """Refuse, at its field path, what the readers must not meet: more items in a list than
    request_items (Q202), deeper nesting than request_depth (Q203), a number with more digits
    than request_digits (Q204), a string that is not Unicode text (Q103), and what JSON itself
    refuses (NaN, a key given twice). One pass, without recursion, in document order.
    """
    most_items, deepest, digits = limits.request_items, limits.request_depth, limits.request_digits
    stack: list[tuple[object, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        value, parts = stack.pop()
        if isinstance(value, str):
            if not value.isascii() and _SURROGATE.search(value):
                raise _not_text(value, parts)
        elif isinstance(value, dict):
            if len(parts) >= deepest:
                raise _too_deep(parts, deepest)
            children: list[tuple[object, tuple[str | int, ...]]] = []
            for key, item in value.items():
                if not isinstance(key, str):
                    raise RequestError(_path(parts), f"keys are strings, not {_kind_of_key(key)}")
                if not key.isascii() and _SURROGATE.search(key):
                    raise _not_text(key, parts)
                children.append((item, (*parts, key)))
            if isinstance(value, _Duplicated):
                message = f"duplicate key {_shown(value.key)} in one object"
                raise RequestError(_path((*parts, value.key)), message)
            stack.extend(reversed(children))
        elif isinstance(value, list):
            if len(parts) >= deepest:
                raise _too_deep(parts, deepest)
            if len(value) > most_items:
                raise RequestError(
                    _path(parts),
                    f"holds {len(value)} items; at most {most_items} (limit request_items)",
                    code="Q202",
                )
            stack.extend((value[i], (*parts, i)) for i in range(len(value) - 1, -1, -1))
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            if abs(value) >= _power_of_ten(digits):
                raise _too_long(parts, digits, "more than")
        elif isinstance(value, Decimal):
            if len(value.as_tuple().digits) > digits:
                raise _too_long(parts, digits, "more than")
        elif isinstance(value, _LongNumber):
            raise _too_long(parts, digits, str(value.digits))
        elif isinstance(value, _Constant):
            raise RequestError(_path(parts), f"invalid JSON: {value.name} is not a JSON number")


def _kind_of_key(key: object) -> str:
    return f"a {type(key).__name__}"


def _not_text(text: str, parts: tuple[str | int, ...]) -> RequestError:
    found = _SURROGATE.search(text)
    code = f"\\u{ord(found.group()):04x}" if found else "a surrogate"
    return RequestError(
        _path(parts),
        f"holds {code}, half of a UTF-16 surrogate pair alone, which is not Unicode text",
        code="Q103",
    )


def _too_deep(parts: tuple[str | int, ...], deepest: int) -> RequestError:
    return RequestError(
        _path(parts), f"nested deeper than {deepest} levels (limit request_depth)", code="Q203"
    )


def _too_long(parts: tuple[str | int, ...], most: int, found: str) -> RequestError:
    return RequestError(
        _path(parts), f"a number of {found} digits; at most {most} (limit request_digits)", code="Q204"
    )


# ---------------------------------------------------------------- writing JSON


def request_to_json(req: Any, spec: FactsSpec | None = None) -> dict[str, object]:
    """The JSON form of ``req`` (read by its declared names); ``parse_request`` reads it back equal.

    Optional fields that are ``None`` are left out.
    """
    spec = spec or _standard_spec()
    out: dict[str, object] = {"action": req.action}
    ref = getattr(req, "ref", None)
    if ref is not None:
        out["ref"] = ref
    out.update(_fields_json(spec, spec.request, req))
    return out


def _fields_json(spec: FactsSpec, record: RecordSpec, obj: object) -> dict[str, object]:
    out: dict[str, object] = {}
    for field in record.fields:
        value: Any = getattr(obj, field.name, None)
        if value is None:
            continue
        if field.many:
            out[field.name] = [_value_json(spec, field, item) for item in value]
        else:
            out[field.name] = _value_json(spec, field, value)
    return out


def _value_json(spec: FactsSpec, field: FieldSpec, value: object) -> object:
    if isinstance(value, Money):
        return format_amount(value.amount, value.currency)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if field.kind is Kind.RECORD:
        return _fields_json(spec, spec.records[field.record or ""], value)
    if field.kind is Kind.REFERENCE and not isinstance(value, str):
        key = spec.records[field.record or ""].key or "id"
        return getattr(value, key)
    return value
