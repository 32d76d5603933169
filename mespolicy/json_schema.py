"""JSON Schema (2020-12) of a policy's requests and decisions, generated from its declarations.

Other systems validate what they send and what they get back against these; the
reader (`mespolicy.model.request`) and `decision_to_json` are the ground truth, and
a test validates every request and decision of the test suite against the schemas,
so the two cannot drift. What a schema cannot say (a reference names an entry that
exists, an amount is not finer than its currency's minor unit, a date is not before
another) the reader still refuses with a ``RequestError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mespolicy import types as t
from mespolicy.checked import CheckedPolicy
from mespolicy.model.decision import Outcome
from mespolicy.model.facts import FactsSpec, FieldSpec, Kind, RecordSpec
from mespolicy.model.money import known_currencies

DIALECT = "https://json-schema.org/draft/2020-12/schema"

Schema = dict[str, Any]

_DATE: Schema = {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
_TEXT: Schema = {"type": "string", "minLength": 1}
# amounts are decimal text, never JSON numbers, so no binary float ever holds one
_AMOUNT = "^-?[0-9]+(\\.[0-9]+)?$"
_FEE = "^[0-9]+(\\.[0-9]+)?$"
_NULL: Schema = {"type": "null"}


def request_schema(policy: CheckedPolicy, title: str = "request") -> Schema:
    """The schema of one request (a JSON document, or one line of JSON Lines) under ``policy``."""
    spec = policy.spec
    top = _record(spec, spec.request)
    top["properties"] = {
        "action": {"enum": list(policy.actions), "description": "what is asked: one of the policy's actions"},
        "ref": {
            "type": ["string", "null"],
            "maxLength": policy.limits.request_ref_chars,
            "description": "the caller's own reference, echoed for correlation",
        },
        **top["properties"],
    }
    top["required"] = ["action", *top["required"]]
    defs: Schema = {name: _record(spec, record) for name, record in spec.records.items() if _used(spec, name)}
    defs["currency"] = {"enum": sorted(known_currencies()), "description": "an ISO 4217 currency code"}
    return {"$schema": DIALECT, "title": title, **top, "$defs": defs}


def decision_schema(policy: CheckedPolicy, title: str = "decision") -> Schema:
    """The schema of one decision as `decision_to_json` writes it (the trace optional)."""
    money = {
        "type": "object",
        "properties": {
            "amount": {"type": "string", "pattern": _AMOUNT},
            "currency": {"$ref": "#/$defs/currency"},
        },
        "required": ["amount", "currency"],
        "additionalProperties": False,
    }
    term = _closed({"start": _DATE, "end": _DATE})
    charge = _closed(
        {
            "code": _TEXT,
            "amount": {"type": "string", "pattern": _AMOUNT},
            "currency": {"$ref": "#/$defs/currency"},
            "start": {"anyOf": [_DATE, _NULL]},
            "end": {"anyOf": [_DATE, _NULL]},
            "contract": {"anyOf": [_TEXT, _NULL]},
            "clause": _TEXT,
        }
    )
    step = _closed(
        {
            "rule": _TEXT,
            "kind": _TEXT,
            "applied": {"type": "boolean"},
            "clauses": {"type": "array", "items": {"type": "string"}},
            "location": _TEXT,
            "detail": {"type": "object", "additionalProperties": {"type": "string"}},
        }
    )
    properties: Schema = {
        "action": {"enum": list(policy.actions)},
        "outcome": {"enum": [outcome.value for outcome in Outcome]},
        "reasons": {"type": "array", "items": _closed({"clause": _TEXT, "message": _TEXT})},
        "term": {"anyOf": [{"$ref": "#/$defs/term"}, _NULL]},
        "charges": {"type": "array", "items": {"$ref": "#/$defs/charge"}},
        "total": {"anyOf": [{"$ref": "#/$defs/money"}, _NULL]},
        "trace": {"type": "array", "items": {"$ref": "#/$defs/step"}},
        "ref": {"type": ["string", "null"], "description": "the request's own reference, echoed"},
        "policy": {
            "anyOf": [
                _closed(
                    {
                        "name": {"type": ["string", "null"]},
                        "version": {"type": ["string", "null"]},
                        "hash": {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"},
                    }
                ),
                _NULL,
            ],
            "description": "the policy that decided: its name, version and the hash of its rule files",
        },
    }
    fixed = [name for name in properties if name != "trace"]
    schema: Schema = {"$schema": DIALECT, "title": title, "type": "object"}
    if policy.outputs:
        properties.update(_outputs(policy))
        schema.update(properties=properties, required=fixed, additionalProperties=False)
    else:
        # a policy that declares no output may set any field
        schema.update(properties=properties, required=fixed)
    schema["$defs"] = {
        "money": money,
        "term": term,
        "charge": charge,
        "step": step,
        "currency": {"enum": sorted(known_currencies())},
    }
    return schema


# ---------------------------------------------------------------- the request's records


def _used(spec: FactsSpec, name: str) -> bool:
    """Whether a record is held by the request (directly or inside another): referenced ones are ids."""
    seen: set[str] = set()
    todo = [spec.request]
    while todo:
        record = todo.pop()
        for field in record.fields:
            if field.kind is Kind.RECORD and field.record and field.record not in seen:
                seen.add(field.record)
                todo.append(spec.records[field.record])
    return name in seen


def _record(spec: FactsSpec, record: RecordSpec) -> Schema:
    properties: Schema = {}
    required: list[str] = []
    for field in record.fields:
        properties[field.name] = _field(field)
        if not (field.optional or field.has_default):
            required.append(field.name)
    schema: Schema = {"type": "object", "properties": properties, "required": required}
    schema["additionalProperties"] = False
    if record.description:
        schema["description"] = record.description
    return schema


def _field(field: FieldSpec) -> Schema:
    one = _value(field)
    schema: Schema = {"type": "array", "items": one} if field.many else one
    if field.many and field.distinct:
        schema["uniqueItems"] = True
    if field.optional or field.has_default:
        schema = {"anyOf": [schema, _NULL]}
    if field.description:
        schema["description"] = field.description
    return schema


def _value(field: FieldSpec) -> Schema:
    kind = field.kind
    if kind is Kind.TEXT:
        return dict(_TEXT)
    if kind is Kind.REFERENCE:
        return {**_TEXT, "description": f"the {field.record} of {field.source} with this id"}
    if kind is Kind.CURRENCY:
        return {"$ref": "#/$defs/currency"}
    if kind is Kind.DATE:
        return dict(_DATE)
    if kind is Kind.BOOL:
        return {"type": "boolean"}
    if kind is Kind.MONEY:
        fee = field.at_least is not None and field.at_least >= 0
        return {"type": "string", "pattern": _FEE if fee else _AMOUNT}
    if kind is Kind.ENUM:
        return {"enum": list(field.members)} if field.members is not None else dict(_TEXT)
    if kind is Kind.RECORD:
        return {"$ref": f"#/$defs/{field.record}"}
    number: Schema = {"type": "integer" if kind is Kind.INTEGER else "number"}
    if field.at_least is not None:
        number["minimum"] = int(field.at_least) if kind is Kind.INTEGER else float(field.at_least)
    return number


# ---------------------------------------------------------------- the decision's outputs


def _outputs(policy: CheckedPolicy) -> Schema:
    """The declared outputs as properties; a dotted output nests (``renewal.date``)."""
    root: Schema = {}
    for path, output in policy.outputs.items():
        node = root
        for part in path[:-1]:
            empty: Schema = {"type": "object", "properties": {}, "additionalProperties": False}
            parent = node.setdefault(part, empty)
            node = parent["properties"]
        schema = _output_type(policy, output.type.name)
        if output.description:
            schema = {**schema, "description": output.description}
        node[path[-1]] = schema
    return root


def _output_type(policy: CheckedPolicy, name: str) -> Schema:
    if name == "money":
        return {"$ref": "#/$defs/money"}
    enum = policy.enums.get(name)
    if enum is not None:
        return {"enum": list(enum.members)}
    found = t.SCALARS.get(name)
    if found == t.DATE:
        return dict(_DATE)
    if found in (t.INTEGER, t.DAYS, t.MONTHS):
        return {"type": "integer"}
    if found in (t.NUMBER, t.RATE):
        # exact decimals are written as text ("0.25"); a whole number may stay a number
        return {"anyOf": [{"type": "string", "pattern": _AMOUNT}, {"type": "integer"}]}
    if found == t.BOOL:
        return {"type": "boolean"}
    if found == t.TEXT:
        return {"type": "string"}
    return {}


def _closed(properties: Mapping[str, Schema]) -> Schema:
    return {
        "type": "object",
        "properties": dict(properties),
        "required": list(properties),
        "additionalProperties": False,
    }
