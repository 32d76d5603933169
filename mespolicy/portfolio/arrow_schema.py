"""The Arrow schemas of a policy's requests and decisions, generated from its declarations.

Requests keep the JSON shape (nested records as structs, lists as lists), with
dates as date32; amounts and exact numbers stay decimal text, as in JSON, so no
digit is lost or added on the way in. Decisions carry money as decimal128 with
one scale for every currency (`MONEY_SCALE`, the most minor digits of any
currency known), so a column of mixed currencies is one Arrow type; the
currency is the column beside it.
"""

from __future__ import annotations

import pyarrow as pa

from mespolicy import types as t
from mespolicy.checked import CheckedPolicy
from mespolicy.model.facts import FactsSpec, FieldSpec, Kind, RecordSpec
from mespolicy.model.money import known_currencies, minor_units

MONEY_SCALE = max(minor_units(code) for code in known_currencies())
AMOUNT = pa.decimal128(38, MONEY_SCALE)

_STRING = pa.string()
_DATE = pa.date32()
MONEY = pa.struct([("amount", AMOUNT), ("currency", _STRING)])
TERM = pa.struct([("start", _DATE), ("end", _DATE)])
# a number or rate output: exact decimal text, or a whole number the rules computed as one
NUMBER = pa.struct([("decimal", _STRING), ("whole", pa.int64())])
REASON = pa.struct([("clause", _STRING), ("message", _STRING)])
CHARGE = pa.struct(
    [
        ("code", _STRING),
        ("amount", AMOUNT),
        ("currency", _STRING),
        ("start", _DATE),
        ("end", _DATE),
        ("contract", _STRING),
        ("clause", _STRING),
    ]
)
STEP = pa.struct(
    [
        ("rule", _STRING),
        ("kind", _STRING),
        ("applied", pa.bool_()),
        ("clauses", pa.list_(_STRING)),
        ("location", _STRING),
        ("detail", pa.list_(pa.struct([("name", _STRING), ("value", _STRING)]))),
    ]
)
IDENTITY = pa.struct([("name", _STRING), ("version", _STRING), ("hash", _STRING)])
ERROR = pa.struct([("code", _STRING), ("field", _STRING), ("message", _STRING)])
# the outputs of a policy that declares none: each field's name and its value as JSON text
ANY_OUTPUTS = pa.list_(pa.struct([("name", _STRING), ("json", _STRING)]))


def request_schema(policy: CheckedPolicy) -> pa.Schema:
    """The schema of a batch of requests: `action`, `ref`, then the request's declared facts."""
    spec = policy.spec
    own = [pa.field(f.name, _field_type(spec, f, ())) for f in spec.request.fields]
    return pa.schema([pa.field("action", _STRING), pa.field("ref", _STRING), *own])


def _field_type(spec: FactsSpec, field: FieldSpec, within: tuple[str, ...]) -> pa.DataType:
    one = _value_type(spec, field, within)
    return pa.list_(one) if field.many else one


def _value_type(spec: FactsSpec, field: FieldSpec, within: tuple[str, ...]) -> pa.DataType:
    kind = field.kind
    if kind is Kind.DATE:
        return _DATE
    if kind is Kind.BOOL:
        return pa.bool_()
    if kind is Kind.INTEGER:
        return pa.int64()
    if kind is Kind.RECORD and field.record is not None:
        if field.record in within:  # a record holding itself: its inner copies are JSON text
            return _STRING
        return _record_type(spec, spec.records[field.record], (*within, field.record))
    # text, references, currencies, enums, and amounts and numbers kept as exact decimal text
    return _STRING


def _record_type(spec: FactsSpec, record: RecordSpec, within: tuple[str, ...]) -> pa.DataType:
    return pa.struct([pa.field(f.name, _field_type(spec, f, within)) for f in record.fields])


def decision_schema(policy: CheckedPolicy) -> pa.Schema:
    """The schema of a batch of decisions: one row per request, its decision or its error.

    `line` is the request's line (or row) number, `error` is null for a decided
    request; for a refused one only `line`, `ref` and `error` are set.
    """
    fields = [
        pa.field("line", pa.int64()),
        pa.field("action", _STRING),
        pa.field("outcome", _STRING),
        pa.field("reasons", pa.list_(REASON)),
        pa.field("term", TERM),
        pa.field("charges", pa.list_(CHARGE)),
        pa.field("total", MONEY),
        pa.field("ref", _STRING),
        pa.field("policy", IDENTITY),
        pa.field("trace", pa.list_(STEP)),
    ]
    if policy.outputs:
        fields.append(pa.field("outputs", outputs_type(policy)))
        # the order the rules set them in, which the JSON form keeps
        fields.append(pa.field("output_order", pa.list_(_STRING)))
    else:
        fields.append(pa.field("outputs", ANY_OUTPUTS))
    fields.append(pa.field("error", ERROR))
    return pa.schema(fields)


def outputs_type(policy: CheckedPolicy) -> pa.StructType:
    """The declared outputs as one struct; a dotted output (`renewal.date`) nests."""
    tree: dict[str, object] = {}
    for path, output in policy.outputs.items():
        node = tree
        for part in path[:-1]:
            child = node.setdefault(part, {})
            assert isinstance(child, dict)
            node = child
        node[path[-1]] = output_type(policy, output.type.name)
    return _struct_of(tree)


def _struct_of(tree: dict[str, object]) -> pa.StructType:
    return pa.struct(
        [
            pa.field(name, _struct_of(value) if isinstance(value, dict) else value)
            for name, value in tree.items()
        ]
    )


def output_type(policy: CheckedPolicy, name: str) -> pa.DataType:
    """The Arrow type of one declared output by its type's name (as `json_schema` reads it)."""
    if name == "money":
        return MONEY
    if name in policy.enums:
        return _STRING
    found = t.SCALARS.get(name)
    if found == t.DATE:
        return _DATE
    if found in (t.INTEGER, t.DAYS, t.MONTHS):
        return pa.int64()
    if found in (t.NUMBER, t.RATE):
        return NUMBER
    if found == t.BOOL:
        return pa.bool_()
    return _STRING
