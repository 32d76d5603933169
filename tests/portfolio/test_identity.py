"""The same requests get the same answers, byte for byte, by API, JSON Lines, --jobs, Arrow and Spark."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from mespolicy.model.decision import decision_to_json
from mespolicy.model.request import RequestError
from mespolicy.policy import Policy
from mespolicy.portfolio.answers import answer_line, json_text
from mespolicy.portfolio.arrow import requests_batch, row_json
from mespolicy.spark import decide as spark_decide

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from mespolicy.cli import main; main()", *args]
    return subprocess.run(command, capture_output=True, text=True, encoding="utf-8", check=False)


def _api(policy: Policy, request: dict[str, Any], line: int) -> str:
    """What the library's own API answers, written as a JSON Lines run writes it (no trace unless asked)."""
    read = None
    try:
        read = policy.read(request)
        answer: dict[str, Any] = decision_to_json(policy.decide(read), trace=False)
    except RequestError as error:
        error.line = line
        answer = error.error_object(line, error.ref or (None if read is None else read.ref))
    return json_text(answer, None)


def test_every_path_answers_a_portfolio_alike(
    shipped: Policy,
    portfolio: list[dict[str, Any]],
    portfolio_jsonl: str,
    spark: SparkSession,
    tmp_path: Path,
) -> None:
    path = tmp_path / "portfolio.jsonl"
    path.write_text(portfolio_jsonl, encoding="utf-8")
    one = _cli("--no-color", "decide", "--jsonl", "--jobs", "1", str(path))
    two = _cli("--no-color", "decide", "--jsonl", "--jobs", "2", str(path))
    assert (one.returncode, two.returncode) == (1, 1), one.stderr + two.stderr
    assert two.stdout == one.stdout
    by_line = one.stdout.splitlines()
    assert len(by_line) == len(portfolio)
    assert json.loads(by_line[1])["error"]["line"] == 2  # lines only JSON Lines can hold, answered in place
    assert json.loads(by_line[2])["error"]["code"] == "Q104"
    assert json.loads(by_line[3])["error"]["ref"] == "float"

    lines = portfolio_jsonl.splitlines(keepends=True)
    in_process = [
        answer_line(shipped, line.encode(), n, False)[0] for n, line in enumerate(lines, 1) if n != 3
    ]
    assert in_process == by_line[:2] + by_line[3:]

    # the rows Arrow can hold: every one but the three lines above
    kept = [n for n in range(len(portfolio)) if n not in (1, 2, 3)]
    expected = [by_line[n] for n in kept]
    assert [_api(shipped, portfolio[n], n + 1) for n in kept] == expected
    refused = sum('{"error"' in line for line in expected)
    assert refused >= 15 and refused < len(expected) - 1500  # the bad rows are there, and mostly decisions

    batch = requests_batch(shipped, [portfolio[n] for n in kept])
    batch = batch.append_column("line", pa.array([n + 1 for n in kept], pa.int64()))
    arrow = shipped.decide_arrow(batch)
    assert [row_json(row) for row in arrow.to_pylist()] == expected

    frame = spark.createDataFrame(pa.Table.from_batches([batch])).repartition(2)
    rows = spark_decide(frame, policy=shipped).toArrow().to_pylist()
    assert sorted(row_json(row) for row in rows) == sorted(expected)
    assert [row["line"] for row in sorted(rows, key=lambda row: row["line"])] == [n + 1 for n in kept]
