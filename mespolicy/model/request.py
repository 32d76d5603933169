"""A request to the policy (renew, cancel, ...) and its strict JSON form, with field-path errors."""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, NoReturn, Protocol, TypeVar

import attrs

from mespolicy.errors import MespolicyError
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
    format_amount,
    is_known_currency,
    minor_units,
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
    is Q101 for a request that breaks the request's form, Q2xx for one past a limit
    (`mespolicy.limits`).
    """

    def __init__(self, field: str, message: str, line: int | None = None, code: str = "Q101") -> None:
        super().__init__(field, message)
        self.field = field
        self.message = message
        self.line = line
        self.code = code

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
    ids = [getattr(item, "id", None) for item in items]
    for index, ident in enumerate(ids):
        if ident in ids[:index]:
            raise ValueError(f"{attribute.name} has two entries with id {ident!r}")


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
)
_CUSTOMER_KEYS = ("id", "role", "existing")
_CONTRACT_KEYS = ("id", "currency", "start", "end", "annual_fee", "licenses")
_LICENSE_KEYS = ("id", "product", "kind", "shipped", "annual_fee", "currency")


def _at(path: str, key: str) -> str:
    return key if path == _ROOT else f"{path}.{key}"


def _kind(value: object) -> str:
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, str):
        return f"the string {value!r}"
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
            raise RequestError(_at(path, key), f"unknown key {key!r} (expected one of: {expected})")
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


# A fee above this is a typo, not a contract (and would only slow exact arithmetic down).
LARGEST_FEE = Decimal(10) ** 15


def _money(value: object, currency: str, path: str) -> Money:
    try:
        amount = parse_amount(value, currency, path)
    except AmountError as err:
        raise RequestError(path, err.problem) from None
    if amount < 0:
        raise RequestError(path, f"a fee cannot be negative: {value}")
    if amount >= LARGEST_FEE:
        raise RequestError(path, f"{value} is not a plausible fee (at most {LARGEST_FEE - 1})")
    places = minor_units(currency)
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        raise RequestError(path, f"{value} is finer than {currency}'s minor unit ({places} decimal places)")
    return Money(amount, currency)


def _enum(kind: type[E], value: object, path: str) -> E:
    for member in kind:
        if member.value == value:
            return member
    choices = ", ".join(repr(member.value) for member in kind)
    raise RequestError(path, f"expected one of {choices}, got {_kind(value)}")


def _ids(value: object, path: str) -> tuple[str, ...]:
    ids = tuple(_string(item, f"{path}[{i}]") for i, item in enumerate(_list(value, path)))
    for i, ident in enumerate(ids):
        if ident in ids[:i]:
            raise RequestError(f"{path}[{i}]", f"{ident!r} is listed twice")
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


def _each(value: object, path: str, read: Callable[[object, str], Item]) -> tuple[Item, ...]:
    items = tuple(read(item, f"{path}[{i}]") for i, item in enumerate(_list(value, path)))
    for i, item in enumerate(items):
        if any(item.id == other.id for other in items[:i]):
            raise RequestError(f"{path}[{i}].id", f"duplicate id {item.id!r}")
    return items


def _ref(obj: Mapping[str, object], key: str, pool: tuple[Item, ...], where: str) -> Item | None:
    if obj.get(key) is None:
        return None
    ident = _string(obj[key], key)
    for item in pool:
        if item.id == ident:
            return item
    raise RequestError(key, f"no entry of {where} has id {ident!r}")


def _optional_value(obj: Mapping[str, object], key: str, read: Callable[[object, str], T]) -> T | None:
    value = obj.get(key)
    return None if value is None else read(value, key)


def parse_request(data: object) -> Request:
    """A request from decoded JSON; a ``RequestError`` naming the field path otherwise.

    Unknown keys are refused (they are usually typos); optional keys may be
    absent or ``null``.
    """
    obj = _object(data, _ROOT)
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
            contracts,
            licenses,
            contract,
            license_,
            coterminate_with,
            cancel_licenses,
            target_end,
            tier,
        ),
    )


def _or_empty(obj: Mapping[str, object], key: str) -> object:
    value = obj.get(key)
    return [] if value is None else value


def parse_request_json(text: str) -> Request:
    """A request from JSON text; ``RequestError`` with field ``'<json>'`` if it is not JSON.

    Numbers with a fraction are read as Decimal, never float, so that the
    amount fields can refuse them by name rather than lose digits.
    """
    try:
        data = json.loads(
            text, parse_float=Decimal, parse_constant=_no_constant, object_pairs_hook=_no_duplicates
        )
    except json.JSONDecodeError as err:
        where = f"line {err.lineno}, column {err.colno}"
        raise RequestError(_JSON, f"invalid JSON at {where}: {err.msg}") from None
    except RecursionError:
        raise RequestError(_JSON, "invalid JSON: nested too deeply") from None
    except ValueError as err:
        if isinstance(err, RequestError):
            raise
        raise RequestError(_JSON, f"invalid JSON: {err}") from None
    return parse_request(data)


def _no_constant(name: str) -> NoReturn:
    raise RequestError(_JSON, f"invalid JSON: {name} is not a JSON number")


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    obj: dict[str, object] = {}
    for key, value in pairs:
        if key in obj:
            raise RequestError(_JSON, f"duplicate key {key!r} in one object")
        obj[key] = value
    return obj


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
    }
    out.update({key: value for key, value in optional.items() if value is not None})
    return out
