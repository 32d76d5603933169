"""Decide a portfolio file (Parquet, CSV or JSON Lines) into a Parquet file of decisions, batch by batch.

The input is read a record batch at a time and each batch of decisions is
written before the next is read, so memory stays flat whatever the file's
size. `line` numbers the requests: a JSON Lines file's line, a Parquet file's
row (from 1), a CSV file's data row (from 1, the header not counted).

A CSV file has one column per fact, nested records by dotted names
(`customer.id`, `customer.role`); an empty cell is a fact not given; a list
(`contracts`, `licenses`) is a cell of JSON text, as the request's JSON would
hold it; `true`/`false` are booleans, and numbers are read exactly (never as
floats).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from mespolicy.errors import MespolicyError
from mespolicy.model.facts import FactsSpec, FieldSpec, Kind
from mespolicy.portfolio.arrow import DecisionRows, request_rows

if TYPE_CHECKING:
    from mespolicy.policy import Policy

BATCH_ROWS = 4096
_CSV_FIELD_BYTES = 1 << 24


class PortfolioError(MespolicyError):
    """A portfolio file that cannot be read or written as a whole (named, with why): E102."""

    code = "E102"


def decide_file(policy: Policy, source: Path, target: Path, *, trace: bool = False) -> tuple[int, int]:
    """Decide every request of `source` into the Parquet file `target`: how many decided, how many refused."""
    if target.suffix.lower() != ".parquet":
        raise PortfolioError(f"{target}: --out writes Parquet: name a .parquet file")
    kind = source.suffix.lower()
    if kind not in _READERS:
        raise PortfolioError(
            f"{source}: --in reads .parquet, .csv or .jsonl files, not {kind or 'this file'}"
        )
    rows = DecisionRows(policy, trace)
    count = 0
    try:
        with pq.ParquetWriter(target, rows.schema) as writer:
            for batch in _READERS[kind](rows, source):
                count += batch.num_rows
                writer.write_batch(batch)
    except (OSError, pa.ArrowException, csv.Error, UnicodeDecodeError) as error:
        raise PortfolioError(
            f"{source}: cannot read further: {error}; stopped after {count} requests"
        ) from None
    return count - rows.failures, rows.failures


def _parquet(rows: DecisionRows, source: Path) -> Iterator[pa.RecordBatch]:
    first = 1
    for batch in pq.ParquetFile(source).iter_batches(batch_size=BATCH_ROWS):
        for number, data in enumerate(request_rows(batch), start=first):
            rows.add(number, data)
        first += batch.num_rows
        yield rows.batch()


def _jsonl(rows: DecisionRows, source: Path) -> Iterator[pa.RecordBatch]:
    from mespolicy.cli import _request_texts

    for _, line, payload in _request_texts((source,), True, rows.policy.limits):
        rows.add_json(line or 0, payload)
        if len(rows) >= BATCH_ROWS:
            yield rows.batch()
    if len(rows):
        yield rows.batch()


def _csv(rows: DecisionRows, source: Path) -> Iterator[pa.RecordBatch]:
    spec = rows.policy.checked.spec
    csv.field_size_limit(min(_CSV_FIELD_BYTES, rows.policy.limits.request_bytes))
    with source.open("r", encoding="utf-8", newline="") as stream:
        for number, cells in enumerate(csv.DictReader(stream), start=1):
            rows.add(number, csv_request(spec, cells))
            if len(rows) >= BATCH_ROWS:
                yield rows.batch()
    if len(rows):
        yield rows.batch()


_READERS = {".parquet": _parquet, ".jsonl": _jsonl, ".csv": _csv}


def csv_request(spec: FactsSpec, cells: dict[str, str | None]) -> dict[str, object]:
    """One CSV row as a request in the JSON shape: dotted columns nested, cells read by their fact's kind."""
    data: dict[str, object] = {}
    for column, cell in cells.items():
        if column is None or cell is None or cell == "":
            continue  # an empty cell (or a row shorter than the header): the fact is not given
        *parents, leaf = column.split(".")
        node = data
        record = spec.request
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
            field = record.field(part)
            record = spec.records.get(field.record or "", record) if field is not None else record
        node[leaf] = _cell(record.field(leaf), cell)
    return data


def _cell(field: FieldSpec | None, cell: str) -> object:
    """A cell's text as the value JSON would give: what cannot be read stays text for the reader to refuse."""
    if field is None:
        return cell
    try:
        if field.many:
            return json.load(io.StringIO(cell), parse_float=Decimal)
        if field.kind is Kind.BOOL and cell in ("true", "false"):
            return cell == "true"
        if field.kind is Kind.INTEGER and cell.removeprefix("-").isdigit():
            return int(cell)
        if field.kind in (Kind.NUMBER, Kind.RATE):
            return Decimal(cell)
    except (ValueError, InvalidOperation):
        return cell
    return cell
