"""`decide --in FILE --out FILE.parquet`: Parquet, CSV and JSON Lines portfolios into Parquet decisions."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from mespolicy.cli import main
from mespolicy.policy import Policy
from mespolicy.portfolio import files
from mespolicy.portfolio.answers import answer_line
from mespolicy.portfolio.arrow import requests_batch, row_json


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--no-color", "decide", *args])
    return result.exit_code, result.output


def _expected(policy: Policy, requests: list[dict[str, Any]]) -> list[str]:
    lines = [(json.dumps(r) + "\n").encode() for r in requests]
    return [answer_line(policy, line, n, False)[0] for n, line in enumerate(lines, 1)]


def _decisions(path: Path) -> list[str]:
    return [row_json(row) for row in pq.read_table(path).to_pylist()]


def test_a_parquet_portfolio_is_decided_batch_by_batch(
    shipped: Policy, portfolio: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "BATCH_ROWS", 64)
    requests = portfolio[:300]
    source, target = tmp_path / "portfolio.parquet", tmp_path / "decisions.parquet"
    pq.write_table(pa.Table.from_batches([requests_batch(shipped, requests)]), source, row_group_size=100)
    code, said = _run("--in", str(source), "--out", str(target))
    expected = _expected(shipped, requests)
    refused = sum('{"error"' in line for line in expected)
    assert code == 1 and f"{len(requests) - refused} decided, {refused} refused" in said
    assert _decisions(target) == expected
    assert pq.ParquetFile(target).metadata.num_row_groups >= 300 // 64


def test_a_json_lines_portfolio_keeps_its_lines_and_errors(portfolio_jsonl: str, tmp_path: Path) -> None:
    source, target = tmp_path / "portfolio.jsonl", tmp_path / "decisions.parquet"
    text = "".join(portfolio_jsonl.splitlines(keepends=True)[:120])
    source.write_text(text, encoding="utf-8")
    assert _run("--in", str(source), "--out", str(target))[0] == 1
    code, printed = _run("--jsonl", str(source))
    assert code == 1 and _decisions(target) == printed.splitlines()


def _flat(data: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """A request as CSV cells: records by dotted names, lists as JSON text."""
    cells: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            cells.update(_flat(value, f"{prefix}{key}."))
        elif isinstance(value, list):
            cells[prefix + key] = json.dumps(value)
        elif isinstance(value, bool):
            cells[prefix + key] = "true" if value else "false"
        elif value is not None:
            cells[prefix + key] = str(value)
    return cells


def test_a_csv_portfolio_reads_dotted_columns_and_json_lists(
    shipped: Policy, portfolio: list[dict[str, Any]], tmp_path: Path
) -> None:
    requests = portfolio[:150]
    rows = [_flat(r) for r in requests]
    columns = list(dict.fromkeys(column for row in rows for column in row))
    assert "customer.role" in columns and "contracts" in columns
    source, target = tmp_path / "portfolio.csv", tmp_path / "decisions.parquet"
    with source.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, columns)
        writer.writeheader()
        writer.writerows(rows)
    assert _run("--in", str(source), "--out", str(target))[0] == 1
    assert _decisions(target) == _expected(shipped, requests)


@pytest.mark.parametrize(
    ("source", "target", "words"),
    [
        ("portfolio.jsonl", "decisions.csv", "--out writes Parquet"),
        ("portfolio.xlsx", "decisions.parquet", "--in reads .parquet, .csv or .jsonl"),
        ("missing.parquet", "decisions.parquet", "cannot read further"),
    ],
)
def test_a_file_that_cannot_be_a_portfolio_ends_the_run_with_status_2(
    tmp_path: Path, source: str, target: str, words: str
) -> None:
    if source != "missing.parquet":
        (tmp_path / source).write_text("{}\n", encoding="utf-8")
    code, said = _run("--in", str(tmp_path / source), "--out", str(tmp_path / target))
    assert code == 2 and words in said


def test_in_needs_out() -> None:
    code, said = _run("--in", "portfolio.parquet")
    assert code == 2 and "--in FILE and --out FILE.parquet go together" in said
