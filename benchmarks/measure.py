"""Timing and memory helpers: perf_counter loops with warm-up, best of N; tracemalloc peaks; subprocesses."""

from __future__ import annotations

import gc
import os
import statistics
import subprocess
import time
import tracemalloc
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import attrs

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent


@attrs.frozen
class Timing:
    """The best time of ``repeat`` passes over ``count`` items."""

    seconds: float
    count: int
    repeat: int

    @property
    def rate(self) -> float:
        """Items a second."""
        return self.count / self.seconds

    @property
    def micros(self) -> float:
        """Microseconds an item."""
        return self.seconds / self.count * 1e6


def best_of(run: Callable[[], object], count: int, *, repeat: int = 5, warmup: int = 1) -> Timing:
    """Time ``run()``, one pass over ``count`` items, ``repeat`` times after ``warmup`` passes: the best."""
    return interleaved([(run, count)], repeat=repeat, warmup=warmup)[0]


def interleaved(
    passes: Sequence[tuple[Callable[[], object], int]], *, repeat: int = 5, warmup: int = 1
) -> list[Timing]:
    """Best-of-``repeat`` timings of several passes, taken in turn (A B A B ...) after warm-up.

    Taking them in turn lets a figure and its baseline see the same machine:
    a busy spell slows both, rather than only whichever ran during it. The
    garbage collector stays on, as it would be for the code timed; a collection
    before each pass keeps one pass's garbage out of the next.
    """
    for _ in range(warmup):
        for run, _count in passes:
            run()
    best = [float("inf")] * len(passes)
    for _ in range(repeat):
        for index, (run, _count) in enumerate(passes):
            gc.collect()
            start = time.perf_counter()
            run()
            best[index] = min(best[index], time.perf_counter() - start)
    return [Timing(seconds, count, repeat) for seconds, (_run, count) in zip(best, passes, strict=True)]


def loop(function: Callable[[T], object], items: Sequence[T]) -> tuple[Callable[[], None], int]:
    """A pass calling ``function`` on every item of ``items`` in a plain loop, and its item count."""

    def run() -> None:
        for item in items:
            function(item)

    return run, len(items)


def each(function: Callable[[T], object], items: Sequence[T], *, repeat: int = 5, warmup: int = 1) -> Timing:
    """Time ``function`` called on every item of ``items`` in a plain loop, best of ``repeat`` passes."""
    return interleaved([loop(function, items)], repeat=repeat, warmup=warmup)[0]


def peak_memory(run: Callable[[], object]) -> int:
    """The peak of memory allocated by Python while ``run()`` runs, in bytes (tracemalloc)."""
    gc.collect()
    if tracemalloc.is_tracing():
        tracemalloc.stop()
    tracemalloc.start()
    try:
        run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a subprocess that imports this checkout's ``mespolicy``, plus ``extra``."""
    env = dict(os.environ)
    # Timed as a user's shell runs them: with PYTHONUNBUFFERED (set in CI images and this
    # sandbox) the lean reading's stdout would make a system call a line, while mespolicy
    # writes its answers many at a time whatever the setting, so the figures would flatter it.
    env.pop("PYTHONUNBUFFERED", None)
    if (ROOT / "mespolicy").is_dir():
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.update(extra or {})
    return env


def run_timed(command: Sequence[str], *, stdout: Path | None = None) -> float:
    """Run ``command`` to completion (it must succeed) and return its wall time in seconds."""
    with open(stdout, "wb") if stdout is not None else open(os.devnull, "wb") as out:
        start = time.perf_counter()
        done = subprocess.run(command, stdout=out, stderr=subprocess.PIPE, env=environment(), check=False)
        elapsed = time.perf_counter() - start
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip()
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {message}")
    return elapsed


def run_output(command: Sequence[str], extra: Mapping[str, str] | None = None) -> tuple[float, str]:
    """Run ``command`` (it must succeed) with ``extra`` in its environment: wall time, what it printed."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=environment(extra), check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {done.stderr.strip()}")
    return elapsed, done.stdout


def median(values: Sequence[float]) -> float:
    return statistics.median(values)
