"""Fixtures for portfolios: the shipped policy, a generated portfolio with bad rows, one Spark session."""

from __future__ import annotations

import copy
import json
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from benchmarks.corpus import build, to_jsonl
from mespolicy.policy import Policy, load

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

SIZE = 2000


@pytest.fixture(scope="session")
def shipped() -> Policy:
    return load()


def _broken(request: dict[str, Any], how: int) -> dict[str, Any]:
    """A request the reader or the rules refuse, in a shape Arrow can still hold."""
    bad = copy.deepcopy(request)
    if how == 0:
        del bad["date"]
    elif how == 1:
        bad["action"] = "fly"
    elif how == 2 and bad.get("contracts"):
        bad["contracts"][0]["currency"] = "XXX"
    elif how == 3 and bad.get("contracts"):
        bad["contracts"][0]["annual_fee"] = "-5.00"
    else:
        bad["customer"]["role"] = "boss"
    bad["ref"] = f"bad-{how}"
    return bad


@pytest.fixture(scope="session")
def portfolio() -> list[dict[str, Any]]:
    """A generated portfolio (the benchmark corpus) with a refused request every 97 rows, as JSON data."""
    requests = [json.loads(line) for line in to_jsonl(build(SIZE, seed=11).requests).splitlines()]
    for index in range(5, len(requests), 97):
        requests[index] = _broken(requests[index], index % 5)
    return requests


@pytest.fixture(scope="session")
def portfolio_jsonl(portfolio: list[dict[str, Any]]) -> str:
    """The portfolio as JSON Lines, with lines only JSON Lines can hold: not JSON, blank, a float."""
    lines = [json.dumps(request, ensure_ascii=False) for request in portfolio]
    lines[1] = '{"action": "renew",'
    lines[2] = ""
    lines[3] = '{"action": "renew", "date": 1.5, "ref": "float"}'
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    """One local[2] Spark session for the whole test session: small shuffles, no UI."""
    from pyspark.sql import SparkSession

    # the Python workers run this interpreter, which has mespolicy's dependencies
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("mespolicy-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()
