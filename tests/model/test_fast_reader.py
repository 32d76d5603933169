"""The fast request reader (generated from the declarations) reads as the full reader does.

On valid requests it gives the same records; on requests broken in every way the generators
below know (a value of the wrong type, a key missing, unknown or given twice, a limit passed,
a float, a lone surrogate, a reference to nothing) it gives the same error, field and code,
because it hands everything it does not take to the full reader.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mespolicy.limits import DEFAULT as LIMITS
from mespolicy.model import Request, RequestError, parse_request, parse_request_json, request_to_json
from mespolicy.model.money import Money, amount_problem, parse_amount
from mespolicy.model.reader import Slow, read_amount
from mespolicy.model.request import _fast_reader, _keys_at_least, _standard_spec, decode_json, read_fully
from tests.model.strategies import requests

ODD_VALUES: list[Any] = [
    None,
    "",
    "x",
    "\ud800",
    "2024-02-30",
    "1899-12-31",
    "2026-01-01",
    "12.345",
    "-1.00",
    "1" + "0" * 20,
    "USD",
    "XXX",
    "customer",
    "perpetual",
    True,
    0,
    -1,
    10**50,
    1.5,
    Decimal("2.5"),
    [],
    ["L1", "L1"],
    {},
    {"id": "C1"},
]


def _outcome(read: Any) -> tuple[object, ...]:
    try:
        found = read()
    except RequestError as error:
        return ("refused", error.field, error.message, error.code, error.ref)
    return ("read", repr(found), request_to_json(found))


def _paths(data: object, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key and index of decoded JSON, parents before children."""
    found = [here] if here else []
    if isinstance(data, dict):
        for key, value in data.items():
            found.extend(_paths(value, (*here, key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.extend(_paths(value, (*here, index)))
    return found


def _items(data: object) -> int:
    """How many list items decoded JSON holds (the paths that are not keys)."""
    if isinstance(data, dict):
        return sum(_items(value) for value in data.values())
    if isinstance(data, list):
        return len(data) + sum(_items(value) for value in data)
    return 0


def _change(data: Any, path: tuple[Any, ...], how: str, value: Any) -> None:
    node = data
    for step in path[:-1]:
        node = node[step]
    last = path[-1]
    if how == "delete":
        del node[last]
    elif how == "unknown" and isinstance(node, dict):
        node["unknown_key"] = value
    else:
        node[last] = value


def break_it(decoded: Any, data: st.DataObject, steps: st.SearchStrategy[int]) -> None:
    """Change `decoded` in place a drawn number of times: a key set to an odd value, deleted, or added."""
    for _ in range(data.draw(steps)):
        paths = _paths(decoded)
        if not paths:
            break
        path = data.draw(st.sampled_from(paths))
        how = data.draw(st.sampled_from(["set", "delete", "unknown"]))
        # a copy: an odd value set in place may be changed by the next step (a key added to {})
        _change(decoded, path, how, copy.deepcopy(data.draw(st.sampled_from(ODD_VALUES))))


def _text(data: Any) -> str:
    def default(value: object) -> object:
        if isinstance(value, Decimal):
            return float(value) if value == value.to_integral_value() else str(value)
        raise TypeError(value)

    return json.dumps(data, default=default)


def _both_ways(text: str | bytes) -> None:
    spec = _standard_spec()
    fast = _outcome(lambda: parse_request_json(text, LIMITS, spec))
    full = _outcome(lambda: read_fully(decode_json(text, LIMITS), LIMITS, spec))
    assert fast == full


def _both_ways_decoded(data: object) -> None:
    spec = _standard_spec()
    full = _outcome(lambda: read_fully(data, LIMITS, spec))
    assert _outcome(lambda: parse_request(data, LIMITS, spec)) == full


@given(requests())
def test_a_valid_request_is_read_by_the_fast_reader_to_the_same_records(req: Request) -> None:
    spec = _standard_spec()
    text = json.dumps(request_to_json(req)).encode()
    # read by the fast reader itself, not handed on (the key count is left out: an id such as
    # '":' counts as a key end, and such a request is rightly handed on)
    fast = _fast_reader(spec, LIMITS)
    assert fast is not None
    taken = fast.read(orjson.loads(text))
    assert _keys_at_least(text) >= len(_paths(json.loads(text))) - _items(json.loads(text))
    assert repr(taken) == repr(read_fully(decode_json(text, LIMITS), LIMITS, spec))
    assert taken == parse_request(request_to_json(req)) == parse_request_json(text)


@given(requests(), st.data())
def test_a_broken_request_gets_the_full_readers_answer(req: Request, data: st.DataObject) -> None:
    decoded = request_to_json(req)
    break_it(decoded, data, st.integers(1, 3))
    text = _text(decoded)
    _both_ways(text)
    _both_ways(text.encode("utf-8", "surrogatepass"))
    _both_ways_decoded(decoded)


GOOD = json.dumps(
    {
        "action": "renew",
        "date": "2026-04-10",
        "customer": {"id": "C1", "role": "customer", "existing": True},
        "contracts": [
            {
                "id": "M1",
                "currency": "USD",
                "start": "2025-03-01",
                "end": "2026-03-01",
                "annual_fee": "12000.00",
                "licenses": ["L1"],
            }
        ],
        "contract": "M1",
    }
)


@pytest.mark.parametrize(
    "text",
    [
        GOOD.replace('{"action": "renew",', '{"action": "renew", "action": "cancel",'),
        GOOD.replace('{"action": "renew",', '{"action" : "renew", "action":"cancel",'),
        GOOD.replace('"id": "M1",', '"id": "M1", "id"\n:"M2",'),
        GOOD.replace('"existing": true', '"existing": true, "existing": false'),
        GOOD.replace('"contract": "M1"', '"contract": "M1", "ref": "a\\": b"'),
        GOOD.replace('"12000.00"', "12000.00"),
        GOOD.replace('"12000.00"', "NaN"),
        GOOD.replace('"contract": "M1"', '"contract": "M9"'),
        GOOD.replace('"C1"', '"\\ud800"'),
        "\ufeff" + GOOD,
        GOOD,
    ],
)
def test_duplicates_and_other_json_the_fast_decoder_would_hide_are_read_as_before(text: str) -> None:
    _both_ways(text)
    _both_ways(text.encode("utf-8", "surrogatepass"))


def test_a_key_given_twice_is_refused_though_orjson_keeps_the_last() -> None:
    text = GOOD.replace('"existing": true', '"existing": true, "existing" :false')
    with pytest.raises(RequestError) as caught:
        parse_request_json(text.encode())
    assert caught.value.field == "customer.existing"
    assert "duplicate key 'existing'" in caught.value.message


def test_every_field_of_a_request_given_every_odd_value_is_read_as_before() -> None:
    good = json.loads(GOOD)
    good["licenses"] = [
        {
            "id": "L1",
            "product": "NX",
            "kind": "perpetual",
            "shipped": "2025-03-01",
            "annual_fee": "100.00",
            "currency": "USD",
        }
    ]
    good["ref"] = "r-1"
    for path in _paths(good):
        for how in ("set", "delete", "unknown"):
            for value in ODD_VALUES if how != "delete" else [None]:
                changed = json.loads(json.dumps(good))
                _change(changed, path, how, value)
                text = _text(changed)
                _both_ways(text)
                _both_ways_decoded(changed)


@given(
    st.from_regex(r"-?[0-9]{1,17}(\.[0-9]{1,7})?", fullmatch=True),
    st.sampled_from(["USD", "JPY", "BHD", "CLF"]),
    st.sampled_from([None, Decimal(0), Decimal("-5.5")]),
)
def test_an_amount_is_taken_by_the_fast_reader_exactly_when_the_full_reader_takes_it(
    text: str, currency: str, at_least: Decimal | None
) -> None:
    # the fast reader reads the minor unit off the text; the full reader quantizes the amount
    amount = parse_amount(text, currency, "fee")
    full = amount_problem(amount, currency) is None and (at_least is None or amount >= at_least)
    try:
        taken = read_amount(text, currency, at_least)
    except Slow:
        assert not full
    else:
        assert full and taken == Money(amount, currency) and str(taken.amount) == str(amount)
