"""The JSON Schemas of requests and decisions (issue 10, item 3): generated from the declarations.

Every request the suite decides and every decision it gets is also validated
(tests/schemas.py, wrapped around Policy.decide by tests/conftest.py); here, the
examples, the command, and what a schema says of a policy's own declarations.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

import mespolicy
from mespolicy.cli import main
from mespolicy.json_schema import DIALECT, decision_schema, request_schema
from tests.schemas import check_decision_json, check_request, validators
from tests.test_cli import SEATS_POLICY, SEATS_REQUEST

EXAMPLES = Path(__file__).parent.parent / "examples"
SHIPPED = mespolicy.load()


def _example_requests() -> list[str]:
    texts = [path.read_text(encoding="utf-8") for path in sorted(EXAMPLES.glob("*.json"))]
    for path in sorted(EXAMPLES.glob("*.jsonl")):
        texts.extend(line for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return texts


@pytest.mark.parametrize("text", _example_requests())
def test_every_example_request_and_its_decision_fit_the_schemas(text: str) -> None:
    checked = SHIPPED.checked
    check_request(checked, json.loads(text))
    decision = SHIPPED.decide(SHIPPED.read_json(text))
    check_decision_json(checked, mespolicy.decision_to_json(decision))
    check_decision_json(checked, mespolicy.decision_to_json(decision, trace=False))
    explained = SHIPPED.explain(SHIPPED.read_json(text)).decision
    check_decision_json(checked, mespolicy.decision_to_json(explained))


def _cli(*args: str) -> Any:
    result = CliRunner().invoke(main, ["schema", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("what", ["request", "decision"])
def test_the_command_prints_the_schema_of_the_shipped_policy(what: str) -> None:
    schema = _cli(what)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == DIALECT == "https://json-schema.org/draft/2020-12/schema"
    assert schema == (request_schema if what == "request" else decision_schema)(SHIPPED.checked)


def test_the_request_schema_says_what_the_shipped_facts_declare() -> None:
    schema = request_schema(SHIPPED.checked)
    assert schema["required"] == ["action", "date", "customer"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["action"]["enum"] == sorted(SHIPPED.actions)
    contract = schema["$defs"]["contract"]
    assert contract["required"] == ["id", "currency", "start", "end", "annual_fee", "licenses"]
    assert contract["properties"]["annual_fee"]["pattern"] == "^[0-9]+(\\.[0-9]+)?$"  # at least 0
    assert contract["properties"]["licenses"]["uniqueItems"] is True
    role = schema["$defs"]["customer"]["properties"]["role"]
    assert role["enum"] == ["customer", "partner"]
    assert "USD" in schema["$defs"]["currency"]["enum"]
    assert "usd" not in schema["$defs"]["currency"]["enum"]


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"annual_fee": 12000}, "annual_fee"),  # amounts are text
        ({"annual_fee": "-1.00"}, "annual_fee"),  # at least 0
        ({"currency": "usd"}, "currency"),
        ({"start": "2025-3-1"}, "start"),
        ({"licenses": ["L1", "L1"]}, "licenses"),
        ({"extra": 1}, "extra"),
    ],
)
def test_the_request_schema_refuses_what_the_reader_refuses(change: dict[str, object], where: str) -> None:
    data = json.loads((EXAMPLES / "renew-late.json").read_text(encoding="utf-8"))
    data["contracts"][0].update(change)
    request_validator, _ = validators(SHIPPED.checked)
    errors = list(request_validator.iter_errors(data))
    assert errors
    with pytest.raises(mespolicy.RequestError) as caught:
        SHIPPED.read(data)
    assert caught.value.field.startswith(f"contracts[0].{where}")


def test_the_schemas_of_a_policy_follow_its_own_declarations(tmp_path: Path) -> None:
    (tmp_path / "seats.mes").write_text(SEATS_POLICY)
    request = _cli("request", "--policy", str(tmp_path))
    assert request["required"] == ["action", "date", "customer", "edition", "seats"]
    assert request["properties"]["edition"]["enum"] == ["single", "network"]
    assert request["properties"]["seats"]["type"] == "integer"
    assert request["properties"]["action"]["enum"] == ["count"]
    decision = _cli("decision", "--policy", str(tmp_path))
    assert decision["additionalProperties"] is False
    assert decision["properties"]["seats_counted"]["type"] == "integer"
    policy = mespolicy.load(tmp_path)
    made = mespolicy.decision_to_json(policy.decide({**SEATS_REQUEST, "seats": 3}))
    jsonschema.validate(made, decision)
    jsonschema.validate({**SEATS_REQUEST, "seats": 3}, request)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**made, "seats_counted": "3"}, decision)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**made, "undeclared": 1}, decision)


def test_a_policy_that_declares_no_output_may_set_any_field(tmp_path: Path) -> None:
    undeclared = SEATS_POLICY.replace('output seats_counted: integer "the seats the answer counted"\n', "")
    (tmp_path / "seats.mes").write_text(undeclared)
    decision = _cli("decision", "--policy", str(tmp_path))
    assert "additionalProperties" not in decision
    assert "seats_counted" not in decision["properties"]


def test_nested_outputs_nest_in_the_decision_schema() -> None:
    renewal = decision_schema(SHIPPED.checked)["properties"]["renewal"]
    assert renewal["properties"]["date"]["format"] == "date"
    assert renewal["properties"]["amount"] == {
        "$ref": "#/$defs/money",
        "description": "what the co-terminated contracts cost together at renewal",
    }
