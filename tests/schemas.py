"""Every request the test suite decides and every decision it gets, validated against the JSON Schemas.

`tests/conftest.py` wraps `Policy.decide` with `checked_decide` for the whole session,
so the schemas (`mespolicy schema request|decision`) cannot drift from the reader and
from `decision_to_json`: a decision or request outside its schema fails the test that
made it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsonschema

from mespolicy.checked import CheckedPolicy
from mespolicy.json_schema import decision_schema, request_schema
from mespolicy.model.decision import Decision, decision_to_json
from mespolicy.model.request import request_to_json
from mespolicy.policy import Policy

Validators = tuple[jsonschema.protocols.Validator, jsonschema.protocols.Validator]

# by id, holding the policy so that its id is not reused while the session runs
_VALIDATORS: dict[int, tuple[CheckedPolicy, Validators]] = {}


def validators(checked: CheckedPolicy) -> Validators:
    found = _VALIDATORS.get(id(checked))
    if found is None:
        made = []
        for schema in (request_schema(checked), decision_schema(checked)):
            jsonschema.Draft202012Validator.check_schema(schema)
            made.append(jsonschema.Draft202012Validator(schema))
        found = (checked, (made[0], made[1]))
        _VALIDATORS[id(checked)] = found
    return found[1]


def check_request(checked: CheckedPolicy, data: Any) -> None:
    validators(checked)[0].validate(data)


def check_decision_json(checked: CheckedPolicy, data: Any) -> None:
    validators(checked)[1].validate(data)


def check_decision(checked: CheckedPolicy, decision: Decision) -> None:
    check_decision_json(checked, decision_to_json(decision))


def checked_decide(decide: Callable[[Policy, object], Decision]) -> Callable[[Policy, object], Decision]:
    def wrapped(policy: Policy, request: object) -> Decision:
        decision = decide(policy, request)
        read: Any = policy.read(request)
        check_request(policy.checked, request_to_json(read, policy.checked.spec))
        check_decision(policy.checked, decision)
        return decision

    return wrapped
