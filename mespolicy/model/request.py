"""A request to the policy (renew, cancel, ...) and its strict JSON form, with field-path errors."""

from __future__ import annotations

import datetime as dt
import enum
import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, Protocol, TypeVar

import attrs

from mespolicy.errors import MespolicyError
from mespolicy.limits import DEFAULT as DEFAULT_LIMITS
from mespolicy.limits import Limits
from mespolicy.model.calendar import DateError, check_date, parse_date
from mespolicy.model.contracts import (
    Contract,
    Customer,
    License,
    LicenseKind,
    Role,
    check_id,
    check_ids,
)
from mespolicy.model.money import (
    AmountError,
    Money,
    fee_problem,
    format_amount,
    is_known_currency,
    parse_amount,
)


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T")
Item = TypeVar("Item", bound=_Identified)
E = TypeVar("E", bound=enum.Enum)

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


def _member_of(*names: str) -> Callable[[Request, attrs.Attribute[Any], object], None]:
    def check(instance: Request, attribute: attrs.Attribute[Any], value: object) -> None:
        pool = {name: getattr(instance, name) for name in names}
        if value is not None and not any(value in items for items in pool.values()):
            raise ValueError(f"{attribute.name} must be one of the request's {' or '.join(names)}")

    return check


def _unique_ids(_: Request, attribute: attrs.Attribute[Any], items: tuple[object, ...]) -> None:
    seen: set[object] = set()
    for item in items:
        ident = getattr(item, "id", None)
        if ident in seen:
            raise ValueError(f"{attribute.name} has two entries with id {ident!r}")
        seen.add(ident)


def _tuple_of(kind: type) -> Callable[[object, attrs.Attribute[Any], object], None]:
    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, tuple):
            raise TypeError(f"{attribute.name} must be a tuple, got {type(value).__name__}")
        for item in value:
            if not isinstance(item, kind):
                found = type(item).__name__
                raise TypeError(f"{attribute.name} holds a {found}, not a {kind.__name__}")

    return check


def _optional(kind: type) -> Callable[[object, attrs.Attribute[Any], object], None]:
    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is not None and not isinstance(value, kind):
            raise TypeError(f"{attribute.name} must be a {kind.__name__} or None")

    return check


@attrs.frozen
class Request:
    """One question for the policy: ``action`` on ``date`` for ``customer``, and its facts.

    ``contract``, ``license`` and ``coterminate_with`` are objects, not ids; each
    is one of ``contracts`` or ``licenses``.
    """

    action: str = attrs.field(validator=check_id)
    date: dt.date = attrs.field(validator=check_date)
    customer: Customer = attrs.field(validator=attrs.validators.instance_of(Customer))
    contracts: tuple[Contract, ...] = attrs.field(validator=[_tuple_of(Contract), _unique_ids])
    licenses: tuple[License, ...] = attrs.field(validator=[_tuple_of(License), _unique_ids])
    contract: Contract | None = attrs.field(
        default=None, validator=[_optional(Contract), _member_of("contracts")]
    )
    license: License | None = attrs.field(
        default=None, validator=[_optional(License), _member_of("licenses")]
    )
    coterminate_with: Contract | None = attrs.field(
        default=None, validator=[_optional(Contract), _member_of("contracts")]
    )
    cancel_licenses: tuple[str, ...] | None = attrs.field(
        default=None, validator=attrs.validators.optional(check_ids)
    )
    target_end: dt.date | None = attrs.field(default=None, validator=attrs.validators.optional(check_date))
    tier: str | None = attrs.field(default=None, validator=attrs.validators.optional(check_id))
    # The caller's own reference (a ticket, a row id): not a fact of the policy, echoed by the decision.
    ref: str | None = attrs.field(default=None, validator=_optional(str))


# ---------------------------------------------------------------- reading JSON

_TOP_REQUIRED = ("action", "date", "customer")
_TOP_OPTIONAL = (
    "contracts",
    "licenses",
    "contract",
    "license",
    "coterminate_with",
    "cancel_licenses",
    "target_end",
    "tier",
    "ref",
)
_CUSTOMER_KEYS = ("id", "role", "existing")
_CONTRACT_KEYS = ("id", "currency", "start", "end", "annual_fee", "licenses")
_LICENSE_KEYS = ("id", "product", "kind", "shipped", "annual_fee", "currency")


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


def _keys(
    obj: Mapping[str, object], path: str, required: Iterable[str], optional: Iterable[str] = ()
) -> None:
    allowed = (*required, *optional)
    for key in obj:
        if key not in allowed:
            expected = ", ".join(allowed)
            raise RequestError(_at(path, key), f"unknown key {_shown(key)} (expected one of: {expected})")
    for key in required:
        if key not in obj:
            raise RequestError(_at(path, key), "missing (this key is required)")


def _string(value: object, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise RequestError(path, f"expected a non-empty string, got {_kind(value)}")
    return value


def _bool(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise RequestError(path, f"expected true or false, got {_kind(value)}")
    return value


def _list(value: object, path: str) -> list[object]:
    if not isinstance(value, list):
        raise RequestError(path, f"expected a JSON array, got {_kind(value)}")
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


def _money(value: object, currency: str, path: str) -> Money:
    try:
        amount = parse_amount(value, currency, path)
    except AmountError as err:
        raise RequestError(path, err.problem) from None
    problem = fee_problem(amount, currency)
    if problem is not None:
        raise RequestError(path, problem)
    return Money(amount, currency)


def _enum(kind: type[E], value: object, path: str) -> E:
    for member in kind:
        if member.value == value:
            return member
    choices = ", ".join(repr(member.value) for member in kind)
    raise RequestError(path, f"expected one of {choices}, got {_kind(value)}")


def _ids(value: object, path: str) -> tuple[str, ...]:
    ids = tuple(_string(item, f"{path}[{i}]") for i, item in enumerate(_list(value, path)))
    seen: set[str] = set()
    for i, ident in enumerate(ids):
        if ident in seen:
            raise RequestError(f"{path}[{i}]", f"{_shown(ident)} is listed twice")
        seen.add(ident)
    return ids


def _build(path: str, make: Callable[[], T]) -> T:
    # The readers above check every field first; this only keeps a model
    # invariant they missed from leaving as a bare TypeError.
    try:
        return make()
    except RequestError:
        raise
    except (TypeError, ValueError) as err:
        raise RequestError(path, str(err)) from None


def _customer(value: object, path: str) -> Customer:
    obj = _object(value, path)
    _keys(obj, path, _CUSTOMER_KEYS)
    ident = _string(obj["id"], _at(path, "id"))
    role = _enum(Role, obj["role"], _at(path, "role"))
    existing = _bool(obj["existing"], _at(path, "existing"))
    return _build(path, lambda: Customer(ident, role, existing))


def _contract(value: object, path: str) -> Contract:
    obj = _object(value, path)
    _keys(obj, path, _CONTRACT_KEYS)
    ident = _string(obj["id"], _at(path, "id"))
    currency = _currency(obj["currency"], _at(path, "currency"))
    start = _date(obj["start"], _at(path, "start"))
    end = _date(obj["end"], _at(path, "end"))
    if end < start:
        raise RequestError(_at(path, "end"), f"{end} is before start {start}")
    fee = _money(obj["annual_fee"], currency, _at(path, "annual_fee"))
    licenses = _ids(obj["licenses"], _at(path, "licenses"))
    return _build(path, lambda: Contract(ident, currency, start, end, fee, licenses))


def _license(value: object, path: str) -> License:
    obj = _object(value, path)
    _keys(obj, path, _LICENSE_KEYS)
    ident = _string(obj["id"], _at(path, "id"))
    product = _string(obj["product"], _at(path, "product"))
    kind = _enum(LicenseKind, obj["kind"], _at(path, "kind"))
    shipped = _date(obj["shipped"], _at(path, "shipped"))
    currency = _currency(obj["currency"], _at(path, "currency"))
    fee = _money(obj["annual_fee"], currency, _at(path, "annual_fee"))
    return _build(path, lambda: License(ident, product, kind, shipped, fee))


def _each(value: object, path: str, read: Callable[[object, str], Item]) -> dict[str, Item]:
    """The items of a list by id, in their order; a duplicate id is refused where it is repeated."""
    items: dict[str, Item] = {}
    for i, entry in enumerate(_list(value, path)):
        item = read(entry, f"{path}[{i}]")
        if item.id in items:
            raise RequestError(f"{path}[{i}].id", f"duplicate id {_shown(item.id)}")
        items[item.id] = item
    return items


def _ref(obj: Mapping[str, object], key: str, pool: Mapping[str, Item], where: str) -> Item | None:
    if obj.get(key) is None:
        return None
    ident = _string(obj[key], key)
    found = pool.get(ident)
    if found is None:
        raise RequestError(key, f"no entry of {where} has id {_shown(ident)}")
    return found


def _optional_value(obj: Mapping[str, object], key: str, read: Callable[[object, str], T]) -> T | None:
    value = obj.get(key)
    return None if value is None else read(value, key)


def parse_request(data: object, limits: Limits = DEFAULT_LIMITS) -> Request:
    """A request from decoded JSON; a ``RequestError`` naming the field path otherwise.

    Unknown keys are refused (they are usually typos); optional keys may be
    absent or ``null``. ``limits`` bounds its lists (Q202), nesting (Q203) and
    numbers (Q204); reading takes time linear in the request's size.
    """
    _check_bounds(data, limits)
    obj = _object(data, _ROOT)
    ref = _optional_value(obj, "ref", functools.partial(_caller_ref, most=limits.request_ref_chars))
    try:
        return _read_request(obj, ref)
    except RequestError as error:
        error.ref = ref
        raise


def _caller_ref(value: object, path: str, most: int) -> str:
    """The caller's reference: any text of at most `most` characters (Q205)."""
    if not isinstance(value, str):
        raise RequestError(path, f"expected a string, got {_kind(value)}")
    if len(value) > most:
        message = f"{len(value)} characters; at most {most} (limit request_ref_chars)"
        raise RequestError(path, message, code="Q205")
    return value


def _read_request(obj: dict[str, object], ref: str | None) -> Request:
    _keys(obj, _ROOT, _TOP_REQUIRED, _TOP_OPTIONAL)
    action = _string(obj["action"], "action")
    day = _date(obj["date"], "date")
    customer = _customer(obj["customer"], "customer")
    contracts = _each(_or_empty(obj, "contracts"), "contracts", _contract)
    licenses = _each(_or_empty(obj, "licenses"), "licenses", _license)
    contract = _ref(obj, "contract", contracts, "contracts")
    license_ = _ref(obj, "license", licenses, "licenses")
    coterminate_with = _ref(obj, "coterminate_with", contracts, "contracts")
    cancel_licenses = _optional_value(obj, "cancel_licenses", _ids)
    target_end = _optional_value(obj, "target_end", _date)
    tier = _optional_value(obj, "tier", _string)
    return _build(
        _ROOT,
        lambda: Request(
            action,
            day,
            customer,
            tuple(contracts.values()),
            tuple(licenses.values()),
            contract,
            license_,
            coterminate_with,
            cancel_licenses,
            target_end,
            tier,
            ref,
        ),
    )


def _or_empty(obj: Mapping[str, object], key: str) -> object:
    value = obj.get(key)
    return [] if value is None else value


def parse_request_json(text: str | bytes, limits: Limits = DEFAULT_LIMITS) -> Request:
    """A request from JSON text (or its UTF-8 bytes); ``RequestError`` naming the field otherwise.

    Numbers with a fraction are read as Decimal, never float, so that the
    amount fields can refuse them by name rather than lose digits. A UTF-8
    byte order mark at the start is allowed. ``limits`` bounds the request's
    size (Q201) and, as for `parse_request`, its lists, nesting and numbers;
    what the JSON itself refuses (NaN, a key given twice) is reported at its field.
    """
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
    return parse_request(data, limits)


_BOM = "\ufeff"


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


def _money_json(m: Money) -> str:
    return format_amount(m.amount, m.currency)


def _customer_json(c: Customer) -> dict[str, object]:
    return {"id": c.id, "role": c.role.value, "existing": c.existing}


def _contract_json(c: Contract) -> dict[str, object]:
    return {
        "id": c.id,
        "currency": c.currency,
        "start": c.start.isoformat(),
        "end": c.end.isoformat(),
        "annual_fee": _money_json(c.annual_fee),
        "licenses": list(c.licenses),
    }


def _license_json(lic: License) -> dict[str, object]:
    return {
        "id": lic.id,
        "product": lic.product,
        "kind": lic.kind.value,
        "shipped": lic.shipped.isoformat(),
        "annual_fee": _money_json(lic.annual_fee),
        "currency": lic.annual_fee.currency,
    }


def request_to_json(req: Request) -> dict[str, object]:
    """The JSON form of ``req``, which ``parse_request`` reads back to an equal request.

    Optional fields that are ``None`` are left out.
    """
    out: dict[str, object] = {
        "action": req.action,
        "date": req.date.isoformat(),
        "customer": _customer_json(req.customer),
        "contracts": [_contract_json(c) for c in req.contracts],
        "licenses": [_license_json(lic) for lic in req.licenses],
    }
    optional: dict[str, object | None] = {
        "contract": req.contract and req.contract.id,
        "license": req.license and req.license.id,
        "coterminate_with": req.coterminate_with and req.coterminate_with.id,
        "cancel_licenses": None if req.cancel_licenses is None else list(req.cancel_licenses),
        "target_end": req.target_end and req.target_end.isoformat(),
        "tier": req.tier,
        "ref": req.ref,
    }
    out.update({key: value for key, value in optional.items() if value is not None})
    return out
