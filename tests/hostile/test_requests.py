"""Hostile requests (issue 9, findings 3, 7, 9b, 15 and the request limits Q201-Q204).

A request is untrusted: whatever it holds, reading it ends in a `Request` or a
`RequestError` with a code and the path of the field at fault, in time linear
in its size, never a RecursionError, a ValueError from Python's own limits or
a lost line of a JSON Lines run.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from mespolicy.errors import MespolicyError
from mespolicy.limits import DEFAULT, Limits
from mespolicy.model import AmountError, DateError, format_money
from mespolicy.model.contracts import Contract, Customer, License, LicenseKind, Role
from mespolicy.model.money import Money
from mespolicy.model.request import Request, RequestError, parse_request, parse_request_json

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE: dict[str, Any] = json.loads((EXAMPLES / "renew-late.json").read_text(encoding="utf-8"))


def _example() -> dict[str, Any]:
    return copy.deepcopy(EXAMPLE)


def _refused(source: object, limits: Limits = DEFAULT) -> RequestError:
    with pytest.raises(RequestError) as caught:
        if isinstance(source, str | bytes):
            parse_request_json(source, limits)
        else:
            parse_request(source, limits)
    return caught.value


# ---------------------------------------------------------------- finding 7: linear reading


class CountingId(str):
    """An id that counts how often it is compared for equality (a quadratic check compares n^2 times)."""

    compared = 0

    def __eq__(self, other: object) -> bool:
        CountingId.compared += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def _many(n: int, ident: type[str] = str) -> dict[str, Any]:
    data = _example()
    contract, license_ = data["contracts"][0], data["licenses"][0]
    data["contracts"] = [dict(contract, id=ident(f"M{i}"), licenses=[]) for i in range(n)]
    data["contracts"][0]["licenses"] = [ident(f"L{i}") for i in range(n)]
    data["licenses"] = [dict(license_, id=ident(f"L{i}")) for i in range(n)]
    data["contract"] = ident(f"M{n - 1}")
    data.pop("coterminate_with", None)
    data.pop("license", None)
    return data


def test_reading_compares_ids_a_number_of_times_linear_in_their_count() -> None:
    # The old reader compared each id with every id before it (n^2 / 2 = 1,125,000 here).
    n = 1_500
    data = _many(n, CountingId)
    CountingId.compared = 0
    request = parse_request(data)
    assert len(request.contracts) == len(request.licenses) == n
    assert request.contract is request.contracts[-1]
    assert CountingId.compared < 10 * n


def test_building_a_request_in_python_checks_unique_ids_in_linear_time() -> None:
    n = 1_500
    fee = Money(Decimal("10.00"), "USD")
    contracts = tuple(
        Contract(CountingId(f"M{i}"), "USD", date(2025, 1, 1), date(2026, 1, 1), fee, ()) for i in range(n)
    )
    CountingId.compared = 0
    Request("renew", date(2025, 6, 1), Customer("C", Role.CUSTOMER, True), contracts, ())
    assert CountingId.compared < 10 * n


def test_the_default_limit_of_items_is_read_and_one_more_is_refused_by_name() -> None:
    most = DEFAULT.request_items
    request = parse_request_json(json.dumps(_many(most)))
    assert len(request.contracts) == most
    error = _refused(json.dumps(_many(most + 1)))
    assert (error.code, error.field) == ("Q202", "contracts")
    assert f"holds {most + 1} items; at most {most}" in error.message


def test_a_lower_limit_of_items_is_honoured_on_every_list() -> None:
    limits = Limits(request_items=2)
    data = _example()
    data["contracts"][0]["licenses"] = ["L1", "L2", "L3"]
    error = _refused(data, limits)
    assert (error.code, error.field) == ("Q202", "contracts[0].licenses")


# ---------------------------------------------------------------- the other request limits


def test_a_request_over_the_byte_limit_is_refused_as_text_and_as_bytes() -> None:
    text = json.dumps(_example())
    limits = Limits(request_bytes=len(text) - 1)
    for source in (text, text.encode()):
        error = _refused(source, limits)
        assert (error.code, error.field) == ("Q201", "<json>")
    assert parse_request_json(text, Limits(request_bytes=len(text))).action == "renew"
    # counted in UTF-8 bytes, not characters
    wide = json.dumps({"tier": "é" * 10}, ensure_ascii=False)
    assert _refused(wide, Limits(request_bytes=len(wide))).code == "Q201"


@pytest.mark.parametrize("opening", ["[", '{"a":', '{"contracts": ['])
def test_json_nested_a_hundred_thousand_deep_is_q203_not_a_recursion_error(opening: str) -> None:
    error = _refused(opening * 100_000)
    assert error.code == "Q203"
    assert "nested deeper than 32 levels" in error.message


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    data = _example()
    data["tier"] = "[" * 100 + '\\"{' * 100
    assert parse_request_json(json.dumps(data)).tier == data["tier"]


def test_nesting_built_in_python_is_refused_at_its_path_even_when_it_loops() -> None:
    data = _example()
    deep: dict[str, Any] = {}
    data["customer"]["extra"] = deep
    for _ in range(100):
        deep["x"] = {}
        deep = deep["x"]
    error = _refused(data)
    assert error.code == "Q203"
    assert error.field.startswith("customer.extra.x.x")
    loop: list[object] = []
    loop.append(loop)
    data = _example()
    data["contracts"] = loop
    assert _refused(data).code == "Q203"


def test_a_4300_digit_integer_is_q204_at_its_field() -> None:
    data = json.dumps(_example()).replace('"existing": true', '"existing": ' + "9" * 4_300)
    error = _refused(data)
    assert (error.code, error.field) == ("Q204", "customer.existing")
    assert "a number of 4300 digits; at most 40" in error.message
    error = _refused(json.dumps(_example()).replace('"existing": true', '"existing": -1.' + "5" * 50))
    assert (error.code, error.field) == ("Q204", "customer.existing")


def test_long_numbers_built_in_python_are_q204() -> None:
    for huge in (10**5_000, Decimal("1." + "1" * 60)):
        data = _example()
        data["customer"]["existing"] = huge
        error = _refused(data)
        assert (error.code, error.field) == ("Q204", "customer.existing")


def test_a_number_within_the_digit_limit_is_still_read_and_refused_by_type() -> None:
    data = json.dumps(_example()).replace('"existing": true', '"existing": ' + "9" * 40)
    error = _refused(data)
    assert (error.code, error.field) == ("Q101", "customer.existing")


# ---------------------------------------------------------------- finding 15: fields, BOM


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('"annual_fee": "12000.00"', '"annual_fee": NaN', "contracts[0].annual_fee"),
        ('"annual_fee": "12000.00"', '"annual_fee": Infinity', "contracts[0].annual_fee"),
        ('"annual_fee": "12000.00"', '"annual_fee": -Infinity', "contracts[0].annual_fee"),
        ('"id": "M1",', '"id": "M1", "id": "M2",', "contracts[0].id"),
        ('"role": "customer"', '"role": "customer", "role": "partner"', "customer.role"),
    ],
)
def test_nan_infinity_and_duplicate_keys_are_reported_at_their_field(old: str, new: str, field: str) -> None:
    text = json.dumps(_example())
    assert old in text
    error = _refused(text.replace(old, new, 1))
    assert (error.code, error.field) == ("Q101", field)


def test_a_byte_order_mark_at_the_start_is_accepted() -> None:
    text = json.dumps(_example())
    assert parse_request_json("\ufeff" + text).action == "renew"
    assert parse_request_json(b"\xef\xbb\xbf" + text.encode()).action == "renew"


def test_bytes_that_are_not_utf8_name_the_offset() -> None:
    raw = json.dumps(_example()).encode()
    at = raw.index(b"renew")
    error = _refused(raw[:at] + b"\xff" + raw[at + 1 :])
    assert (error.code, error.field) == ("Q102", "<json>")
    assert f"byte 0xff at byte offset {at}" in error.message


def test_a_lone_surrogate_is_refused_at_its_field() -> None:
    text = json.dumps(_example()).replace('"id": "M1"', '"id": "M\\ud800"', 1)
    error = _refused(text)
    assert (error.code, error.field) == ("Q103", "contracts[0].id")
    assert "\\ud800" in error.message
    error.message.encode("utf-8")  # the message itself is text that can be written
    # a surrogate pair in JSON is one character, and fine
    data = _example()
    data["tier"] = "\U0001f600"
    assert "\\ud83d\\ude00" in json.dumps(data)
    assert parse_request_json(json.dumps(data)).tier == "\U0001f600"
    # a key holding a lone surrogate is reported at the object holding it
    data = _example()
    data["customer"]["\udcff"] = 1
    error = _refused(data)
    assert (error.code, error.field) == ("Q103", "customer")


def test_every_request_error_is_under_the_one_root_with_a_code() -> None:
    assert issubclass(RequestError, MespolicyError)
    assert issubclass(AmountError, MespolicyError)
    assert issubclass(DateError, MespolicyError)
    assert AmountError("f", "x").code == "Q101"


# ---------------------------------------------------------------- finding 9b: amounts from Python

FEE_CASES = [
    ("1E+100", "is not a plausible fee"),
    ("1000000000000000", "is not a plausible fee"),
    ("-1.00", "cannot be negative"),
    ("1.001", "finer than USD's minor unit"),
]


@pytest.mark.parametrize(("amount", "message"), FEE_CASES)
def test_a_contract_built_in_python_refuses_an_implausible_fee(amount: str, message: str) -> None:
    fee = Money(Decimal(amount), "USD")
    with pytest.raises(AmountError, match=message) as caught:
        Contract("M1", "USD", date(2025, 1, 1), date(2026, 1, 1), fee, ())
    assert caught.value.field == "annual_fee"
    with pytest.raises(AmountError, match=message):
        License("L1", "NX", LicenseKind.PERPETUAL, date(2025, 1, 1), fee)


@pytest.mark.parametrize(("amount", "message"), FEE_CASES)
def test_json_refuses_the_same_fees_the_same_way(amount: str, message: str) -> None:
    data = _example()
    data["contracts"][0]["annual_fee"] = amount if "E" not in amount else "1" + "0" * 100
    error = _refused(data)
    assert error.field == "contracts[0].annual_fee"
    assert message in error.message


@pytest.mark.parametrize("amount", ["1E+100", "-1E+100", "1E+27", "123456789012345678901234567890.5"])
def test_any_finite_amount_formats_for_people(amount: str) -> None:
    text = format_money(Money(Decimal(amount), "USD"))
    assert text.endswith(" USD")
    digits = text.replace(",", "").replace(" USD", "").lstrip("-")
    assert Decimal(digits) == Decimal(amount).copy_abs()
