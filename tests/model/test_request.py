"""Tests for requests: the strict JSON reader, its field-path errors, and the JSON round trip."""

from __future__ import annotations

import copy
import json
import pickle
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mespolicy.model import (
    AmountError,
    Contract,
    Customer,
    DateError,
    License,
    LicenseKind,
    Money,
    Request,
    RequestError,
    Role,
    parse_request,
    parse_request_json,
    request_to_json,
)
from tests.model.strategies import requests

EXAMPLE = """{"action": "renew", "date": "2026-04-10",
 "customer": {"id": "C1", "role": "customer", "existing": true},
 "contracts": [{"id": "M1", "currency": "USD", "start": "2025-03-01",
   "end": "2026-03-01", "annual_fee": "12000.00", "licenses": ["L1", "L2"]}],
 "licenses": [{"id": "L1", "product": "NX", "kind": "perpetual",
   "shipped": "2025-03-01", "annual_fee": "12000.00", "currency": "USD"}],
 "contract": "M1"}"""


def example() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXAMPLE)
    return data


def test_example_request_is_read_into_the_model() -> None:
    req = parse_request_json(EXAMPLE)
    fee = Money(Decimal("12000.00"), "USD")
    m1 = Contract("M1", "USD", date(2025, 3, 1), date(2026, 3, 1), fee, ("L1", "L2"))
    assert req == parse_request(
        Request(
            action="renew",
            date=date(2026, 4, 10),
            customer=Customer("C1", Role.CUSTOMER, existing=True),
            contracts=(m1,),
            licenses=(License("L1", "NX", LicenseKind.PERPETUAL, date(2025, 3, 1), fee),),
            contract=m1,
        )
    )
    assert req.contract is req.contracts[0]


def test_optional_keys_fill_in() -> None:
    data = example()
    data["contracts"].append({**data["contracts"][0], "id": "M2", "end": "2026-09-01"})
    data.update(
        license="L1", coterminate_with="M2", cancel_licenses=["L1"], target_end="2027-03-01", tier="weekend"
    )
    req = parse_request(data)
    assert req.license is req.licenses[0]
    assert req.coterminate_with is req.contracts[1]
    assert req.cancel_licenses == ("L1",)
    assert req.target_end == date(2027, 3, 1)
    assert req.tier == "weekend"


def test_lists_default_to_empty_and_null_means_absent() -> None:
    data = {
        "action": "status",
        "date": "2026-04-10",
        "tier": None,
        "license": None,
        "customer": {"id": "C1", "role": "partner", "existing": False},
    }
    req = parse_request(data)
    assert (req.contracts, req.licenses, req.tier, req.license) == ((), (), None, None)
    assert req.customer.role == Role.PARTNER.value


@given(requests())
def test_request_to_json_round_trips(req: Request) -> None:
    assert request_to_json(parse_request(request_to_json(req))) == request_to_json(req)


@given(requests())
def test_request_json_text_round_trips(req: Request) -> None:
    assert request_to_json(parse_request_json(json.dumps(request_to_json(req)))) == request_to_json(req)


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        node: Any = data
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value

    return change


def _drop(path: tuple[Any, ...]) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        node: Any = data
        for step in path[:-1]:
            node = node[step]
        del node[path[-1]]

    return change


BAD_REQUESTS = [
    (
        _set(("contracts", 0, "end"), "2026-13-01"),
        "contracts[0].end",
        "not a date: '2026-13-01' (expected YYYY-MM-DD)",
    ),
    (
        _set(("contracts", 0, "end"), "2024-03-01"),
        "contracts[0].end",
        "2024-03-01 is before start 2025-03-01",
    ),
    (_set(("date",), 20260410), "date", "not a date: 20260410 (expected a string YYYY-MM-DD)"),
    (
        _set(("contracts", 0, "annual_fee"), 12000),
        "contracts[0].annual_fee",
        'got the number 12000: amounts are strings, e.g. "12000.00"',
    ),
    (
        _set(("licenses", 0, "annual_fee"), "12,000"),
        "licenses[0].annual_fee",
        "not an amount: '12,000' (expected digits such as \"12000.00\")",
    ),
    (
        _set(("contracts", 0, "currency"), "usd"),
        "contracts[0].currency",
        "unknown currency code 'usd' (expected ISO 4217, e.g. 'USD')",
    ),
    (_set(("contract",), "M9"), "contract", "no entry of contracts has id 'M9'"),
    (_set(("license",), "L9"), "license", "no entry of licenses has id 'L9'"),
    (_set(("coterminate_with",), "M9"), "coterminate_with", "no entry of contracts has id 'M9'"),
    (_set(("customer", "existing"), 1), "customer.existing", "expected true or false, got the number 1"),
    (
        _set(("customer", "existing"), "true"),
        "customer.existing",
        "expected true or false, got the string 'true'",
    ),
    (
        _set(("customer", "role"), "reseller"),
        "customer.role",
        "expected one of 'customer', 'partner', got the string 'reseller'",
    ),
    (
        _set(("licenses", 0, "kind"), "perp"),
        "licenses[0].kind",
        "expected one of 'perpetual', 'subscription', got the string 'perp'",
    ),
    (
        _set(("customer", "rolle"), "customer"),
        "customer.rolle",
        "unknown key 'rolle' (expected one of: id, role, existing)",
    ),
    (
        _set(("contracts", 0, "fee"), "1"),
        "contracts[0].fee",
        "unknown key 'fee' (expected one of: id, currency, start, end, annual_fee, licenses)",
    ),
    (_set(("contract_id",), "M1"), "contract_id", "unknown key 'contract_id'"),
    (_drop(("customer",)), "customer", "missing (this key is required)"),
    (_drop(("licenses", 0, "currency")), "licenses[0].currency", "missing (this key is required)"),
    (_set(("customer",), []), "customer", "expected a JSON object, got an array"),
    (_set(("contracts",), {}), "contracts", "expected a JSON array, got an object"),
    (_set(("contracts", 0, "licenses", 1), "L1"), "contracts[0].licenses[1]", "'L1' is listed twice"),
    (
        _set(("contracts", 0, "licenses", 0), ""),
        "contracts[0].licenses[0]",
        "expected a non-empty string, got the string ''",
    ),
    (lambda data: data["licenses"].append(dict(data["licenses"][0])), "licenses[1].id", "duplicate id 'L1'"),
    (_set(("action",), None), "action", "expected a non-empty string, got null"),
    (_set(("cancel_licenses",), "L1"), "cancel_licenses", "expected a JSON array, got the string 'L1'"),
    (_set(("target_end",), "2027-02-29"), "target_end", "not a date: '2027-02-29' (expected YYYY-MM-DD)"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_REQUESTS)
def test_bad_requests_name_their_field(
    change: Callable[[dict[str, Any]], None], field: str, message: str
) -> None:
    data = example()
    change(data)
    with pytest.raises(RequestError) as caught:
        parse_request(data)
    assert caught.value.field == field
    assert caught.value.message.startswith(message)
    assert str(caught.value) == f"request field {field!r}: {caught.value.message}"


def test_a_json_fraction_in_an_amount_is_refused_by_name() -> None:
    text = EXAMPLE.replace('"12000.00", "licenses"', '12000.00, "licenses"')
    with pytest.raises(RequestError) as caught:
        parse_request_json(text)
    assert str(caught.value) == (
        "request field 'contracts[0].annual_fee': "
        'got the number 12000.00: amounts are strings, e.g. "12000.00"'
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (EXAMPLE[:-5], "invalid JSON at line 7, column 14: Expecting value"),
        (
            "{\n  'action': 1}",
            "invalid JSON at line 2, column 3: Expecting property name enclosed in double quotes",
        ),
        ("", "invalid JSON at line 1, column 1: Expecting value"),
    ],
)
def test_text_that_is_not_json(text: str, message: str) -> None:
    with pytest.raises(RequestError) as caught:
        parse_request_json(text)
    assert caught.value.field == "<json>"
    assert caught.value.message == message
    assert caught.value.code == "Q101"


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ('{"date": NaN}', "date", "invalid JSON: NaN is not a JSON number"),
        ('{"date": -Infinity}', "date", "invalid JSON: -Infinity is not a JSON number"),
        ('{"tier": "a", "tier": "b"}', "tier", "duplicate key 'tier' in one object"),
    ],
)
def test_what_json_refuses_is_reported_at_its_field(text: str, field: str, message: str) -> None:
    with pytest.raises(RequestError) as caught:
        parse_request_json(text)
    assert (caught.value.field, caught.value.message) == (field, message)


def test_a_request_must_be_an_object() -> None:
    with pytest.raises(RequestError, match=r"^request field '<request>': expected a JSON object"):
        parse_request_json("[1, 2]")


def test_the_caller_can_add_a_line_number() -> None:
    err = RequestError("date", "not a date: 'x' (expected YYYY-MM-DD)")
    assert err.line is None
    err.line = 3
    assert str(err) == "line 3: request field 'date': not a date: 'x' (expected YYYY-MM-DD)"


def test_errors_survive_pickling() -> None:
    errors = (RequestError("date", "bad", line=2), AmountError("fee", "bad"), DateError("d", "x"))
    for err in errors:
        copied = pickle.loads(pickle.dumps(err))
        assert (type(copied), str(copied)) == (type(err), str(err))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, list):
        node = dict(enumerate(node))
    for key, child in node.items() if isinstance(node, dict) else []:
        found += _paths(child, (*prefix, key))
    return found


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.decimals(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(["2026-03-01", "12000.00", "USD", "M1", "L1", "customer", "perpetual"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


@given(st.data())
def test_any_damage_gives_a_request_error_and_nothing_else(data: st.DataObject) -> None:
    doc = example()
    path = data.draw(st.sampled_from(_paths(doc)))
    damaged = copy.deepcopy(doc)
    if data.draw(st.booleans()):
        _set(path, data.draw(JSON_VALUES))(damaged)
    else:
        _drop(path)(damaged)
    try:
        parse_request(damaged)
    except RequestError as err:
        assert err.field
        assert err.message


def test_a_request_built_in_python_keeps_references_inside_the_request() -> None:
    req = parse_request_json(EXAMPLE)
    fee = Money(Decimal(1), "USD")
    stranger = Contract("M9", "USD", date(2025, 1, 1), date(2026, 1, 1), fee, ())
    built = Request(req.action, req.date, req.customer, req.contracts, req.licenses, contract=stranger)
    with pytest.raises(RequestError) as caught:
        parse_request(built)
    assert (caught.value.field, caught.value.message) == ("contract", "no entry of contracts has id 'M9'")


def test_a_request_built_in_python_refuses_duplicate_ids_as_json_does() -> None:
    req = parse_request_json(EXAMPLE)
    built = Request(req.action, req.date, req.customer, req.contracts * 2, ())
    with pytest.raises(RequestError) as caught:
        parse_request(built)
    assert (caught.value.field, caught.value.message) == ("contracts[1].id", "duplicate id 'M1'")
