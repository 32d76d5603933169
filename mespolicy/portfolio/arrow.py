"""Decide a batch of requests as Arrow (`Policy.decide_arrow`), and read a decision row back as its JSON.

Every row is decided on its own: a row that cannot be read or decided gets its
error in the `error` column, and the rest of the batch is decided as usual.
`row_json` turns a decision row back into the very text `mespolicy decide
--jsonl` writes for that request, which is what the Spark and identity tests
compare.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import gc
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from mespolicy.checked import CheckedPolicy
from mespolicy.errors import MespolicyError
from mespolicy.model.calendar import Term
from mespolicy.model.decision import (
    Charge,
    Decision,
    Outcome,
    PolicyIdentity,
    Reason,
    TraceStep,
    decision_to_json,
)
from mespolicy.model.facts import Facts, FactsSpec, FieldSpec, Kind, RecordSpec
from mespolicy.model.money import Money
from mespolicy.model.request import RequestError, read_fast
from mespolicy.portfolio.answers import CHUNK_BYTES, CHUNK_LINES, in_stages, json_text
from mespolicy.portfolio.arrow_schema import (
    MONEY_SCALE,
    NUMBER,
    decision_schema,
    output_type,
    request_schema,
)

if TYPE_CHECKING:
    from mespolicy.policy import Policy

Row = dict[str, Any]
# the most digits decimal128 holds, less the ones after the point
_WHOLE_DIGITS = 38 - MONEY_SCALE


class ArrowValueError(MespolicyError):
    """A decision value Arrow's decision schema cannot hold exactly (E101): said on its row."""

    code = "E101"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def decide_arrow(
    policy: Policy, batch: pa.RecordBatch, *, first_line: int = 1, trace: bool = False
) -> pa.RecordBatch:
    """The decisions on a batch of requests, one row each, in the schema `decision_schema` gives.

    A `line` column (when the policy declares no fact of that name) numbers the rows;
    without one they are numbered from `first_line`.

    Python's cyclic garbage collector is paused while a slice of `SLICE_ROWS` rows is decided,
    and set going again after it (unless the host had paused it itself). Deciding makes no
    reference cycles, so reference counting frees all it makes as it goes; without the pause,
    every full collection walked the slice's rows and the host's own objects again, some 30%
    of the time (5,455 against 7,784 rows/s on 10k mixed requests).
    """
    rows = DecisionRows(policy, trace)
    numbered = "line" in batch.schema.names and policy.checked.spec.request.field("line") is None
    decided = []
    # a slice at a time, so that only a slice's rows are ever Python objects
    for start in range(0, batch.num_rows, SLICE_ROWS):
        part = batch.slice(start, SLICE_ROWS)
        with _collector_paused():
            for number, data in enumerate(request_rows(part), start=first_line + start):
                given = data.pop("line", None) if numbered else None
                rows.add(given if isinstance(given, int) else number, data)
            decided.append(rows.batch())
    if not decided:
        return rows.batch()
    return pa.concat_batches(decided) if len(decided) > 1 else decided[0]


# how many rows of a batch are Python objects at once
SLICE_ROWS = 1024


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    if not gc.isenabled():  # the host's own choice, left as it is
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class DecisionRows:
    """Decision rows as they are made, turned into one record batch at the end.

    Requests are decided a chunk at a time, stage by stage (`answers.in_stages`): a chunk's
    requests are held until it is full, its rows from then on.
    """

    def __init__(self, policy: Policy, trace: bool = False) -> None:
        self.policy = policy
        self.trace = trace
        self.schema = decision_schema(policy.checked)
        self.outputs = _output_kinds(policy.checked)
        self.reader = RequestReader(policy.checked.spec)
        self.rows: list[Row] = []
        self.failures = 0
        self._pending: list[tuple[int, Any]] = []
        self._pending_bytes = 0
        self._reading: Callable[[Any], Facts] = self.read

    def __len__(self) -> int:
        """The rows so far, decided or not yet."""
        return len(self.rows) + len(self._pending)

    def add(self, line: int, data: Mapping[str, object]) -> None:
        """Decide one request given as a row (a mapping in the JSON shape) and keep its row."""
        self._queue(line, data, self.read, 0)

    def read(self, data: Mapping[str, object]) -> Facts:
        # most rows are in the JSON shape already (`request_rows`): reshaped only when not
        policy = self.policy
        found = read_fast(data, policy.limits, policy.checked.spec)
        return found if found is not None else policy.read(self.reader.data(data))

    def add_json(self, line: int, text: bytes | RequestError) -> None:
        """Decide one request given as JSON text (or the reason it has none) and keep its row."""
        self._queue(line, text, self._read_json, len(text) if isinstance(text, bytes) else 0)

    def _read_json(self, text: bytes | RequestError) -> Facts:
        if isinstance(text, RequestError):
            raise text
        return self.policy.read_json(text)

    def _queue(self, line: int, payload: object, read: Callable[[Any], Facts], size: int) -> None:
        if self._pending and (read != self._reading or self._pending_bytes + size > CHUNK_BYTES):
            self._decide_pending()
        self._reading = read
        self._pending.append((line, payload))
        self._pending_bytes += size
        if len(self._pending) >= CHUNK_LINES:
            self._decide_pending()

    def _decide_pending(self) -> None:
        pending, self._pending, self._pending_bytes = self._pending, [], 0
        self.rows += in_stages(self.policy, pending, self._reading, self.decided, self.failed)

    def failed(self, error: Exception, line: int, request: Facts | None) -> Row:
        if isinstance(error, RequestError):
            error.line = line  # as a JSON Lines run says it: the message names the line
            return self.refused(line, error, error.ref or _ref(request))
        if isinstance(error, MespolicyError):
            return self.refused(line, error, _ref(request))
        # a bug of ours must not drop the batch: reported on its row
        message = f"internal error: {type(error).__name__}: {error}"
        self.failures += 1
        return _error_row(line, {"code": "E999", "field": None, "message": message}, _ref(request))

    def refused(self, line: int, error: MespolicyError, ref: str | None) -> Row:
        self.failures += 1
        found = error.error_object(line, ref)["error"]
        echoed = found["ref"]
        shown = {k: found[k] for k in ("code", "field", "message")}
        return _error_row(line, shown, echoed if isinstance(echoed, str) else None)

    def decided(self, line: int, decision: Decision) -> Row:
        try:
            return decision_row(line, decision, self.outputs, self.trace)
        except ArrowValueError as error:
            self.failures += 1
            return _error_row(
                line, {"code": error.code, "field": error.field, "message": str(error)}, decision.ref
            )

    def batch(self) -> pa.RecordBatch:
        if self._pending:
            self._decide_pending()
        found = pa.RecordBatch.from_pylist(self.rows, schema=self.schema)
        self.rows = []
        return found


def _ref(request: Facts | None) -> str | None:
    return None if request is None else request.ref


def _error_row(line: int, error: Row, ref: str | None) -> Row:
    return {"line": line, "ref": ref, "error": error}


# ---------------------------------------------------------------- requests


def request_rows(batch: pa.RecordBatch | pa.Table) -> list[dict[str, Any]]:
    """The batch's rows as Python dicts, its dates as ISO text, as JSON has them.

    Arrow casts the dates to text for the whole column at once: building a `datetime.date` per
    value in `to_pylist` cost five times the rest of the row, and the reader takes text.
    """
    target = pa.schema([field.with_type(_dates_as_text(field.type)) for field in batch.schema])
    rows: list[dict[str, Any]] = (batch.cast(target) if target != batch.schema else batch).to_pylist()
    return rows


def _dates_as_text(kind: pa.DataType) -> pa.DataType:
    if pa.types.is_date(kind):
        return pa.string()
    if pa.types.is_struct(kind):
        return pa.struct([field.with_type(_dates_as_text(field.type)) for field in kind])
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        item = kind.value_field
        made = pa.list_ if pa.types.is_list(kind) else pa.large_list
        return made(item.with_type(_dates_as_text(item.type)))
    return kind


def request_data(spec: FactsSpec, row: Mapping[str, object]) -> dict[str, object]:
    """A request row as the reader takes it: nulls left out (a missing fact), numbers as Decimal."""
    return RequestReader(spec).data(row)


class RequestReader:
    """Request rows into the JSON shape the reader takes, with each record's fields looked up once."""

    def __init__(self, spec: FactsSpec) -> None:
        self.spec = spec
        self.fields = {
            name: {field.name: field for field in record.fields}
            for name, record in (*spec.records.items(), ("", spec.request))
        }

    def data(self, row: Mapping[str, object]) -> dict[str, object]:
        data = self.record("", row)
        for name in ("action", "ref"):
            if row.get(name) is not None:
                data[name] = row[name]
        return data

    def record(self, name: str, row: Mapping[str, object]) -> dict[str, object]:
        fields = self.fields[name]
        data: dict[str, object] = {}
        for key, value in row.items():
            if value is None:
                continue
            field = fields.get(key)
            if field is None or field.kind in _AS_GIVEN:
                data[key] = value  # the reader names a field it does not know
            elif field.many and isinstance(value, list):
                data[key] = [self.value(field, item) for item in value]
            else:
                data[key] = self.value(field, value)
        return data

    def value(self, field: FieldSpec, value: object) -> object:
        kind = field.kind
        if kind is Kind.RECORD and isinstance(value, Mapping) and field.record is not None:
            return self.record(field.record, value)
        if kind in (Kind.NUMBER, Kind.RATE) and isinstance(value, str):
            try:
                return Decimal(value)
            except ArithmeticError:
                return value  # the reader says it is not a number
        if kind is Kind.MONEY and isinstance(value, Decimal):
            return format(value, "f")
        if kind is Kind.DATE and type(value) is dt.date:
            # as JSON gives it: the generated reader takes dates as text (and any other value
            # sends the request to the full reader, which is several times slower)
            return value.isoformat()
        return value


# kinds whose Arrow values the reader takes as they are
_AS_GIVEN = frozenset({Kind.TEXT, Kind.REFERENCE, Kind.CURRENCY, Kind.BOOL, Kind.ENUM, Kind.INTEGER})


def requests_batch(policy: Policy, requests: Iterable[Mapping[str, object]]) -> pa.RecordBatch:
    """Requests in the JSON shape (as `json.loads` gives them, dates as text) as one batch."""
    spec = policy.checked.spec
    rows = [
        {**_arrow_record(spec, spec.request, r), "action": r.get("action"), "ref": r.get("ref")}
        for r in requests
    ]
    return pa.RecordBatch.from_pylist(rows, schema=request_schema(policy.checked))


def _arrow_record(spec: FactsSpec, record: RecordSpec, data: Mapping[str, object]) -> Row:
    out: Row = {}
    for field in record.fields:
        value = data.get(field.name)
        if value is not None and field.many and isinstance(value, list):
            out[field.name] = [_arrow_value(spec, field, item) for item in value]
        elif value is not None:
            out[field.name] = _arrow_value(spec, field, value)
    return out


def _arrow_value(spec: FactsSpec, field: FieldSpec, value: object) -> object:
    if field.kind is Kind.DATE and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if field.kind in (Kind.NUMBER, Kind.RATE) and isinstance(value, int | Decimal):
        return str(value)
    if field.kind is Kind.RECORD and isinstance(value, Mapping) and field.record is not None:
        return _arrow_record(spec, spec.records[field.record], value)
    return value


# ---------------------------------------------------------------- decisions to rows


def _output_kinds(policy: CheckedPolicy) -> dict[str, pa.DataType] | None:
    """Each declared output's Arrow type by dotted name; None for a policy that declares none."""
    if not policy.outputs:
        return None
    return {".".join(path): output_type(policy, output.type.name) for path, output in policy.outputs.items()}


def decision_row(
    line: int, decision: Decision, outputs: dict[str, pa.DataType] | None, trace: bool = True
) -> Row:
    """One decision as a row of `decision_schema`; ArrowValueError for a value it cannot hold."""
    charges = [_charge(i, c) for i, c in enumerate(decision.charges)]
    if len(charges) == 1:  # the sum of one charge is that charge's amount
        total: Row | None = {"amount": charges[0]["amount"], "currency": charges[0]["currency"]}
    else:
        summed = decision.total
        total = None if summed is None else _money(summed, "total")
    row: Row = {
        "line": line,
        "action": decision.action,
        "outcome": decision.outcome.value,
        "reasons": [{"clause": r.clause, "message": r.message} for r in decision.reasons],
        "term": _term(decision.term),
        "charges": charges,
        "total": total,
        "ref": decision.ref,
        "policy": None if decision.policy is None else _identity(decision.policy),
        "trace": [_step(step) for step in decision.trace] if trace else None,
    }
    if outputs is None:
        row["outputs"] = [
            {"name": name, "json": json.dumps(decision_to_json(_only(decision, name), trace=False)[name])}
            for name in _roots(decision)
        ]
    else:
        row["outputs"] = _declared_outputs(decision, outputs)
        row["output_order"] = [name for name, _ in decision.fields]
    return row


def _roots(decision: Decision) -> list[str]:
    """The top-level keys the fields make, in the order the JSON form has them."""
    return list(dict.fromkeys(name.split(".")[0] for name, _ in decision.fields))


def _only(decision: Decision, root: str) -> Decision:
    kept = tuple(pair for pair in decision.fields if pair[0].split(".")[0] == root)
    return Decision(decision.action, decision.outcome, (), None, (), kept, ())


def _declared_outputs(decision: Decision, kinds: dict[str, pa.DataType]) -> Row:
    out: Row = {}
    for name, value in decision.fields:
        *parents, leaf = name.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = _output_value(name, value, kinds.get(name))
    return out


def _output_value(name: str, value: object, kind: pa.DataType | None) -> object:
    if isinstance(value, Money):
        return _money(value, name)
    if kind == NUMBER:
        if isinstance(value, int) and not isinstance(value, bool):
            return {"decimal": None, "whole": value}
        if isinstance(value, Decimal) and value.is_finite():
            return {"decimal": format(value, "f"), "whole": None}
    if isinstance(value, enum.Enum):  # as the JSON form writes a member
        return value.value if isinstance(value.value, str) else value.name
    return value


def _term(term: Term | None) -> Row | None:
    return None if term is None else {"start": term.start, "end": term.end}


def _money(money: Money, field: str) -> Row:
    return {"amount": _amount(money.amount, field), "currency": money.currency}


def _amount(amount: Decimal, field: str) -> Decimal:
    """The amount unchanged when decimal128 at MONEY_SCALE holds it exactly."""
    _, digits, exponent = amount.as_tuple()
    if not isinstance(exponent, int) or exponent < -MONEY_SCALE:
        raise ArrowValueError(field, f"{field}: {amount} has more than {MONEY_SCALE} digits after the point")
    if len(digits) + exponent > _WHOLE_DIGITS:
        raise ArrowValueError(
            field, f"{field}: {amount} has more than {_WHOLE_DIGITS} digits before the point"
        )
    return amount


def _charge(index: int, charge: Charge) -> Row:
    period = charge.period
    return {
        "code": charge.code,
        "amount": _amount(charge.amount.amount, f"charges[{index}].amount"),
        "currency": charge.amount.currency,
        "start": None if period is None else period.start,
        "end": None if period is None else period.end,
        "contract": charge.contract,
        "clause": charge.clause,
    }


def _identity(identity: PolicyIdentity) -> Row:
    return {"name": identity.name, "version": identity.version, "hash": identity.hash}


def _step(step: TraceStep) -> Row:
    return {
        "rule": step.rule,
        "kind": step.kind,
        "applied": step.applied,
        "clauses": list(step.clauses),
        "location": step.location,
        "detail": [{"name": name, "value": value} for name, value in step.detail],
    }


# ---------------------------------------------------------------- rows back to JSON


def row_answer(row: Mapping[str, Any]) -> dict[str, object]:
    """The JSON data `decide --jsonl` writes for the request of `row`: its decision or its error."""
    error = row.get("error")
    if error is not None:
        return {"error": {"line": row["line"], **error, "ref": row.get("ref")}}
    trace = row.get("trace")
    answer = decision_to_json(row_decision(row), trace=trace is not None)
    outputs = row.get("outputs")
    if "output_order" not in row and outputs:  # a policy without declared outputs: JSON text each
        answer.update({item["name"]: json.loads(item["json"]) for item in outputs})
    return answer


def row_json(row: Mapping[str, Any]) -> str:
    """`row_answer` as the very text `decide --jsonl` writes (one line, without its newline)."""
    return json_text(row_answer(row), None)


def row_decision(row: Mapping[str, Any]) -> Decision:
    """The Decision a decided row holds (its fields too, when the policy declares its outputs)."""
    charges = tuple(_charge_of(c) for c in row["charges"] or ())
    total = row.get("total")
    policy = row.get("policy")
    return Decision(
        row["action"],
        Outcome(row["outcome"]),
        tuple(Reason(r["clause"], r["message"]) for r in row["reasons"] or ()),
        None if row.get("term") is None else Term(row["term"]["start"], row["term"]["end"]),
        charges,
        _fields_of(row),
        tuple(_step_of(s) for s in row.get("trace") or ()),
        ref=row.get("ref"),
        policy=None if policy is None else PolicyIdentity(policy["name"], policy["version"], policy["hash"]),
        currency=None if total is None or charges else total["currency"],
    )


def _charge_of(c: Mapping[str, Any]) -> Charge:
    period = None if c["start"] is None else Term(c["start"], c["end"])
    return Charge(c["code"], Money(c["amount"], c["currency"]), period, c["contract"], c["clause"])


def _step_of(s: Mapping[str, Any]) -> TraceStep:
    detail = tuple((d["name"], d["value"]) for d in s["detail"] or ())
    return TraceStep(s["rule"], s["kind"], s["applied"], tuple(s["clauses"] or ()), s["location"], detail)


def _fields_of(row: Mapping[str, Any]) -> tuple[tuple[str, object], ...]:
    order = row.get("output_order")
    if order is None:
        return ()
    return tuple((name, _field_of(_at(row["outputs"], name))) for name in order)


def _at(outputs: Mapping[str, Any], name: str) -> object:
    node: Any = outputs
    for part in name.split("."):
        node = node[part]
    return node


def _field_of(value: object) -> object:
    if isinstance(value, Mapping) and "currency" in value:
        return Money(value["amount"], value["currency"])
    if isinstance(value, Mapping) and "whole" in value:
        return value["whole"] if value["decimal"] is None else Decimal(value["decimal"])
    return value
