"""The ordered passes from rule text to an evaluator, so a command can stop after any of them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from mespolicy.checker import check
from mespolicy.compiler import compile_policy
from mespolicy.loader import read_policy

Pass = Callable[[Any], Any]

PASSES: tuple[tuple[str, Pass], ...] = (
    ("parse", read_policy),
    ("check", check),
    ("compile", compile_policy),
)


def run_passes(path: Path, until: str = "compile") -> str:
    """Run the passes up to and including `until`; a one-line summary of what was found."""
    result: Any = path
    done = []
    for name, step in PASSES:
        result = step(result)
        done.append(name)
        if name == until:
            break
    return _summary(result, done)


def _summary(result: Any, done: list[str]) -> str:
    if isinstance(result, tuple):
        return f"{len(result)} files parsed"
    checked = getattr(result, "actions", None)
    if done[-1] == "check" and checked is not None:
        return (
            f"ok ({len(result.actions)} actions, {len(result.parameters)} parameters, "
            f"{len(result.definitions)} definitions)"
        )
    return f"ok ({', '.join(done)}; {len(result.actions)} actions compiled)"
