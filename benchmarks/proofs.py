"""Figure 12: `check`'s proofs (z3) on the shipped policy, against loading it (parse, check, compile)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

import mespolicy
from benchmarks.measure import median


class _Table(Protocol):
    def add(self, figure: str, what: str, ours: str, baseline: str = "", ratio: str = "") -> None: ...


def _seconds(work: Callable[[], object], runs: int) -> float:
    found = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        found.append(time.perf_counter() - start)
    return median(found)


def proofs(table: _Table, runs: int = 3) -> None:
    """Every action proved exclusive and exhaustive, dead rules looked for (the issue's budget: 10 s)."""
    try:
        from mespolicy.proofs.analysis import prove
    except ImportError:  # z3, the proofs extra, is not installed: the figure is skipped
        table.add("12", "check's proofs of the shipped policy (z3)", "skipped: z3 not installed")
        return
    policy = mespolicy.load()
    proved = _seconds(lambda: prove(policy), runs)
    loaded = _seconds(mespolicy.load, runs)
    actions = len(policy.actions)
    table.add(
        "12",
        f"check's proofs of the shipped policy, {actions} actions, median of {runs}",
        f"{proved:.2f} s",
        f"load (parse, check, compile) {loaded * 1000:.0f} ms",
        f"{proved / loaded:.1f}x",
    )
