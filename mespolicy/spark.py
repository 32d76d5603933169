"""Decide a Spark DataFrame of requests (`decide(df, policy=...)`): Arrow batches in each Python worker.

The rule files travel with the job as their content (the parsed files, not a
path), so executors need no copy of the rule folder. Each Python worker
checks and compiles a policy once and keeps it, keyed by its content hash,
its limits and its `overrides`, for every later batch and task. Needs the
`spark` extra (`pip install 'mespolicy[spark]'`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from mespolicy import nodes as n
from mespolicy.identity import content_hash
from mespolicy.limits import DEFAULT as DEFAULT_LIMITS
from mespolicy.limits import Limits
from mespolicy.policy import Policy, from_files, load

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame
    from pyspark.sql.types import StructType


@attrs.frozen
class ShippedPolicy:
    """A policy as it travels to executors: its parsed rule files, limits and what-if settings."""

    files: tuple[n.PolicyFile, ...]
    origin: str
    limits: Limits
    overrides: tuple[tuple[str, str], ...]
    hash: str

    @classmethod
    def of(
        cls,
        policy: str | Path | Policy,
        overrides: Mapping[str, str] | None = None,
        limits: Limits = DEFAULT_LIMITS,
    ) -> ShippedPolicy:
        loaded = policy if isinstance(policy, Policy) else load(policy, limits=limits)
        settings = tuple(sorted((overrides or {}).items()))
        files = loaded.checked.files
        shipped = cls(files, loaded.origin, loaded.limits, settings, content_hash(files))
        if isinstance(policy, Policy) and _values(shipped.load()) != _values(loaded):
            raise ValueError(
                "this policy has parameters set by with_overrides(): pass the same settings as overrides="
            )
        return shipped

    def key(self) -> tuple[str, Limits, tuple[tuple[str, str], ...]]:
        return (self.hash, self.limits, self.overrides)

    def load(self) -> Policy:
        policy = from_files(self.files, self.origin, self.limits)
        return policy.with_overrides(dict(self.overrides))


def _values(policy: Policy) -> dict[str, object]:
    return {name: parameter.values for name, parameter in policy.checked.parameters.items()}


# the policies this Python worker has loaded, by content hash, limits and settings
_LOADED: dict[tuple[str, Limits, tuple[tuple[str, str], ...]], Policy] = {}


def policy_in_worker(shipped: ShippedPolicy) -> Policy:
    """The worker's policy for `shipped`: checked and compiled on its first batch, then kept."""
    key = shipped.key()
    found = _LOADED.get(key)
    if found is None:
        found = _LOADED[key] = shipped.load()
    return found


def decision_schema(policy: str | Path | Policy) -> StructType:
    """The Spark schema of the DataFrame `decide` returns (from the Arrow decision schema)."""
    from mespolicy.portfolio.arrow_schema import decision_schema as arrow_schema

    return _spark_schema(arrow_schema(_loaded(policy).checked))


def request_schema(policy: str | Path | Policy) -> StructType:
    """The Spark schema of a DataFrame of requests under the policy (its declared facts)."""
    from mespolicy.portfolio.arrow_schema import request_schema as arrow_schema

    return _spark_schema(arrow_schema(_loaded(policy).checked))


def _loaded(policy: str | Path | Policy) -> Policy:
    return policy if isinstance(policy, Policy) else load(policy)


def _spark_schema(schema: pa.Schema) -> StructType:
    from pyspark.sql.pandas.types import from_arrow_schema

    found: StructType = from_arrow_schema(schema)
    return found


def decide(
    df: DataFrame,
    *,
    policy: str | Path | Policy,
    overrides: Mapping[str, str] | None = None,
    trace: bool = False,
) -> DataFrame:
    """The decision on each request of `df` (columns as `request_schema`), a row each, via `mapInArrow`.

    A row that cannot be read or decided has its error in the `error` column. A
    `line` column in `df`, when the policy declares no fact of that name, numbers
    the rows of the result (else each batch numbers its rows from 1). `overrides`
    are `--set` values (`{"deferral_grace": "60 days"}`).
    """
    shipped = ShippedPolicy.of(policy, overrides)
    schema = _spark_schema(_arrow_decision_schema(shipped))

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        here = policy_in_worker(shipped)
        for batch in batches:
            yield here.decide_arrow(batch, trace=trace)

    found: DataFrame = df.mapInArrow(run, schema)
    return found


def _arrow_decision_schema(shipped: ShippedPolicy) -> Any:
    from mespolicy.portfolio.arrow_schema import decision_schema as arrow_schema

    return arrow_schema(policy_in_worker(shipped).checked)
