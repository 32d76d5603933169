"""Properties of the one request path, for the shipped facts and for a policy's own (issue 10, items 2, 3).

- every declared fact round-trips JSON -> request -> JSON;
- JSON text, a mapping and the host's own objects give the same decision or the same error;
- any request the JSON Schema accepts is decided or refused with a located error, never
  another exception.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import mespolicy
from mespolicy.errors import EvaluationError
from mespolicy.model.facts import FactsSpec, Kind, RecordSpec
from mespolicy.model.request import RequestError, request_to_json
from mespolicy.parser import parse
from mespolicy.policy import Policy, from_files
from tests.model.facts_strategies import host_object, json_requests, slipped
from tests.schemas import validators
from tests.test_declared_test_lines import SEATS

POLICIES: dict[str, Policy] = {
    "shipped": mespolicy.load(),
    "seats": from_files((parse(SEATS, "seats.mes"),), "seats"),
}


def to_json(value: Any) -> str:
    """JSON text of drawn data, its exact decimals written as JSON numbers."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(to_json(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return format(value, "f")
    return json.dumps(value)


def _requests(name: str, slips: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    policy = POLICIES[name]
    return json_requests(policy.checked.spec, policy.actions, slips)


def _contains(given: Any, written: Any, spec: FactsSpec, record: RecordSpec | None) -> None:
    """What was given is what is written back; what is written besides is a declared default."""
    if record is None or not isinstance(given, dict):
        assert written == given
        return
    for field in record.fields:
        if field.name not in given:
            assert field.name not in written or field.has_default, field.name
            continue
        inner = spec.records.get(field.record or "") if field.kind is Kind.RECORD else None
        if field.many and inner is not None:
            assert len(written[field.name]) == len(given[field.name])
            for one, other in zip(given[field.name], written[field.name], strict=True):
                _contains(one, other, spec, inner)
        else:
            _contains(given[field.name], written[field.name], spec, inner)


@pytest.mark.parametrize("name", POLICIES)
@given(data=st.data())
def test_every_declared_fact_round_trips_json_request_json(name: str, data: st.DataObject) -> None:
    policy = POLICIES[name]
    spec = policy.checked.spec
    given_json = data.draw(_requests(name))
    read = policy.read_json(to_json(given_json))
    written = request_to_json(read, spec)
    assert written["action"] == given_json["action"]
    assert written.get("ref") == given_json.get("ref")
    _contains(given_json, written, spec, spec.request)
    # and what is written reads back to the same request
    assert policy.read_json(to_json(written)) == read
    assert request_to_json(policy.read(written), spec) == written


def _outcome(policy: Policy, source: object) -> tuple[object, ...]:
    try:
        request = policy.read_json(source) if isinstance(source, str) else source
        return ("decided", mespolicy.decision_to_json(policy.decide(request)))
    except RequestError as error:
        return ("refused", error.code, error.field, error.message)
    except EvaluationError as error:
        return ("failed", error.code, str(error))


@pytest.mark.parametrize("name", POLICIES)
@given(data=st.data())
def test_json_a_mapping_and_host_objects_get_the_same_decision_or_error(
    name: str, data: st.DataObject
) -> None:
    policy = POLICIES[name]
    drawn = data.draw(_requests(name, slips=data.draw(st.booleans())))
    from_text = _outcome(policy, to_json(drawn))
    assert _outcome(policy, drawn) == from_text
    assert _outcome(policy, host_object(policy.checked.spec, drawn)) == from_text


@pytest.mark.parametrize("name", POLICIES)
@given(data=st.data())
def test_a_request_the_schema_accepts_is_decided_or_refused_with_a_located_error(
    name: str, data: st.DataObject
) -> None:
    policy = POLICIES[name]
    drawn = data.draw(_requests(name, slips=True))
    request_schema, _ = validators(policy.checked)
    if not request_schema.is_valid(json.loads(to_json(drawn))):
        return  # a currency outside CLDR's list, say: the schema refuses it too
    try:
        policy.decide(policy.read_json(to_json(drawn)))
    except RequestError as error:
        assert error.code.startswith("Q") and error.field
    except EvaluationError as error:
        # a rule that cannot compute (a date past 9999) fails at its rule, with its code
        assert error.code and error.span is not None


@pytest.mark.parametrize("name", POLICIES)
@given(data=st.data())
def test_a_slip_the_schema_cannot_see_is_refused_by_the_reader_at_its_field(
    name: str, data: st.DataObject
) -> None:
    policy = POLICIES[name]
    spec = policy.checked.spec
    clean = data.draw(_requests(name))
    policy.read_json(to_json(clean))
    wrong = data.draw(slipped(spec, clean))
    if wrong == clean:
        return  # no list, reference, amount or ordered date to get wrong
    request_schema, _ = validators(policy.checked)
    with pytest.raises(RequestError) as caught:
        policy.read_json(to_json(wrong))
    assert caught.value.code == "Q101"
    assert caught.value.field != "<request>"
    if request_schema.is_valid(json.loads(to_json(wrong))):
        # the schema let it through: only the reader stands between it and a decision
        assert caught.value.field.split(".")[0].split("[")[0] in {f.name for f in spec.request.fields}
