"""The msgspec decoder (generated from the declarations) reads as the full reader does.

For the shipped facts and every example policy's own: a valid request is taken by the
decoder itself and gives the records the full reader gives; a request broken anywhere (a
value of the wrong type, a key missing, unknown or given twice, a slip only the reader can
see) is refused by the decoder, so that the full reader words its error.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import mespolicy
from mespolicy.limits import DEFAULT as LIMITS
from mespolicy.limits import Limits
from mespolicy.model.decoder import Decoder, generate
from mespolicy.model.facts import FactsSpec, FieldSpec, Kind, RecordSpec
from mespolicy.model.request import RequestError, _keys_at_least, decode_json, parse_request_json, read_fully
from mespolicy.parser import parse
from mespolicy.policy import Policy, from_files
from tests.model.facts_strategies import json_requests, slipped
from tests.model.test_declared_facts import to_json
from tests.model.test_fast_reader import break_it
from tests.test_declared_test_lines import SEATS

EXAMPLES = Path(__file__).parents[2] / "examples" / "policies"
# the shipped policy and every example: each declares only kinds the decoder reads
POLICIES: dict[str, Policy] = {
    "shipped": mespolicy.load(),
    **{folder.name: mespolicy.load(folder) for folder in sorted(EXAMPLES.iterdir()) if folder.is_dir()},
}


def _decoder(policy: Policy) -> Decoder:
    found = generate(policy.checked.spec, policy.limits)
    assert found is not None
    return found


def test_the_shipped_and_example_policies_have_a_decoder_and_a_policy_with_rates_has_none() -> None:
    assert len(POLICIES) >= 5
    assert all(generate(p.checked.spec, p.limits) is not None for p in POLICIES.values())
    seats = from_files((parse(SEATS, "seats.mes"),), "seats")  # a seat's share is a rate
    assert generate(seats.checked.spec, seats.limits) is None


def _full(policy: Policy, text: str) -> tuple[object, ...]:
    try:
        read = read_fully(decode_json(text, policy.limits), policy.limits, policy.checked.spec)
    except RequestError as error:
        return ("refused", error.field, error.code)
    return ("read", repr(read))


def _decoded(decoder: Decoder, text: str) -> tuple[object, ...]:
    try:
        return ("read", repr(decoder.read(text.encode(), _keys_at_least(text))))
    except Exception:
        return ("refused",)


@pytest.mark.parametrize("name", POLICIES)
@given(data=st.data())
def test_a_valid_request_is_taken_by_the_decoder_and_read_to_the_same_records(
    name: str, data: st.DataObject
) -> None:
    policy = POLICIES[name]
    text = to_json(data.draw(json_requests(policy.checked.spec, policy.actions)))
    full = _full(policy, text)
    # the drawing cannot always give a required reference an entry to name (an empty list)
    assume(full[0] == "read")
    if '":' in text.replace('": ', ""):
        return  # an id such as '":' counts as a key end: such a request is rightly handed on
    assert _decoded(_decoder(policy), text) == full


@pytest.mark.parametrize("name", POLICIES)
@given(data=st.data())
def test_a_request_the_full_reader_refuses_the_decoder_refuses(name: str, data: st.DataObject) -> None:
    policy = POLICIES[name]
    spec = policy.checked.spec
    decoded: Any = data.draw(slipped(spec, data.draw(json_requests(spec, policy.actions))))
    break_it(decoded, data, st.integers(0, 2))
    text = to_json(decoded)
    full = _full(policy, text)
    if full[0] == "refused":
        assert _decoded(_decoder(policy), text) == ("refused",)
    else:
        assert _decoded(_decoder(policy), text) in (full, ("refused",))
    # and whichever reads it, the answer is the full reader's
    try:
        answer: tuple[object, ...] = ("read", repr(parse_request_json(text, policy.limits, spec)))
    except RequestError as error:
        answer = ("refused", error.field, error.code)
    assert answer == full


def test_a_key_given_twice_is_found_by_counting_though_msgspec_keeps_the_last() -> None:
    policy = POLICIES["shipped"]
    good = {
        "action": "status",
        "date": "2026-04-10",
        "customer": {"id": "C1", "role": "customer", "existing": True},
    }
    text = json.dumps(good)
    assert _decoded(_decoder(policy), text)[0] == "read"
    twice = text.replace('"existing": true', '"existing": false, "existing": true')
    assert _decoded(_decoder(policy), twice) == ("refused",)
    with pytest.raises(RequestError, match="duplicate key 'existing'"):
        parse_request_json(twice)


def _spec(*fields: FieldSpec, records: dict[str, RecordSpec] | None = None) -> FactsSpec:
    return FactsSpec(records or {}, RecordSpec("request", fields))


@pytest.mark.parametrize(
    "spec",
    [
        # JSON gives a number as 5 or 5.0, which the full reader keeps apart (int, Decimal)
        _spec(FieldSpec("share", Kind.NUMBER)),
        _spec(FieldSpec("rate", Kind.RATE, optional=True)),
        # a record that holds itself nests without a bound the Structs could check
        _spec(
            FieldSpec("root", Kind.RECORD, record="node"),
            records={
                "node": RecordSpec("node", (FieldSpec("child", Kind.RECORD, record="node", optional=True),))
            },
        ),
    ],
)
def test_declarations_the_structs_cannot_read_as_the_full_reader_get_no_decoder(spec: FactsSpec) -> None:
    assert generate(spec, LIMITS) is None


def test_a_record_in_two_fields_is_one_struct_read_in_both() -> None:
    period = RecordSpec(
        "period", (FieldSpec("start", Kind.DATE), FieldSpec("end", Kind.DATE, not_before="start"))
    )
    spec = _spec(
        FieldSpec("current", Kind.RECORD, record="period"),
        FieldSpec("past", Kind.RECORD, record="period", many=True),
        records={"period": period},
    )
    decoder = generate(spec, LIMITS)
    assert decoder is not None
    text = (
        '{"action": "a", "current": {"start": "2026-01-01", "end": "2027-01-01"}, '
        '"past": [{"start": "2025-01-01", "end": "2026-01-01"}]}'
    )
    read = decoder.read(text.encode(), _keys_at_least(text))
    assert repr(read) == repr(read_fully(json.loads(text), LIMITS, spec))
    backwards = text.replace('"end": "2027-01-01"', '"end": "2025-06-01"')
    assert _decoded(decoder, backwards) == ("refused",)


def test_a_whole_number_past_64_bits_is_the_full_readers_to_read() -> None:
    spec = _spec(FieldSpec("seats", Kind.INTEGER))
    decoder = generate(spec, Limits())
    assert decoder is not None
    small = '{"action": "a", "seats": 12}'
    big = '{"action": "a", "seats": ' + "9" * 30 + "}"
    assert _decoded(decoder, small)[0] == "read"
    assert _decoded(decoder, big) == ("refused",)
    assert parse_request_json(big, Limits(), spec).seats == int("9" * 30)


def test_each_whole_number_of_a_list_is_held_to_its_least_value() -> None:
    spec = _spec(FieldSpec("seats", Kind.INTEGER, many=True, at_least=Decimal(1)))
    decoder = generate(spec, LIMITS)
    assert decoder is not None
    assert _decoded(decoder, '{"action": "a", "seats": [1, 2]}')[0] == "read"
    assert _decoded(decoder, '{"action": "a", "seats": [1, 0]}') == ("refused",)
    with pytest.raises(RequestError):
        parse_request_json('{"action": "a", "seats": [1, 0]}', LIMITS, spec)


@pytest.mark.parametrize(
    "fee",
    [
        "12000.00",
        "12000",
        "12000.10",
        "-1",
        "12\n",
        "12\r\n",
        " 12",
        "12 ",
        "1e3",
        "12.",
        ".5",
        "+12",
        "12.001",
        "١٢",
        "12.000",
        "NaN",
        "9" * 30,
    ],
)
def test_an_amount_is_read_by_the_decoder_exactly_as_the_full_reader_reads_it(fee: str) -> None:
    policy = POLICIES["shipped"]
    request = json.loads((Path(__file__).parents[2] / "examples" / "renew-late.json").read_text())
    request["contracts"][0]["annual_fee"] = fee
    text = json.dumps(request)
    full = _full(policy, text)
    decoded = _decoded(_decoder(policy), text)
    assert decoded == full if full[0] == "read" else decoded == ("refused",)
