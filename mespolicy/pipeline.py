"""The ordered passes from rule text to an evaluator, so a command can stop after any of them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import attrs

from mespolicy import nodes as n
from mespolicy.checked import CheckedPolicy
from mespolicy.checker import check
from mespolicy.compiler import CompiledPolicy, compile_policy
from mespolicy.errors import Diagnostic
from mespolicy.limits import DEFAULT as DEFAULT_LIMITS
from mespolicy.limits import Limits
from mespolicy.lint import warnings_of
from mespolicy.loader import read_policy


@attrs.frozen
class Passed:
    """What the passes run so far made: the parsed files, then the checked and compiled policy."""

    files: tuple[n.PolicyFile, ...]
    checked: CheckedPolicy | None = None
    compiled: CompiledPolicy | None = None
    # what the warn pass found (a policy with warnings still compiles and decides)
    warnings: tuple[Diagnostic, ...] = ()

    @property
    def summary(self) -> str:
        """One line on what was found."""
        if self.checked is None:
            return f"{len(self.files)} files parsed"
        if self.compiled is None:
            return (
                f"ok ({len(self.checked.actions)} actions, {len(self.checked.parameters)} parameters, "
                f"{len(self.checked.definitions)} definitions)"
            )
        return f"ok (parse, check, compile; {len(self.checked.actions)} actions compiled)"


def _parse(done: Passed, limits: Limits) -> Passed:
    return done  # the files are read before the passes run, once


def _check(done: Passed, limits: Limits) -> Passed:
    return attrs.evolve(done, checked=check(done.files, limits))


def _warn(done: Passed, limits: Limits) -> Passed:
    assert done.checked is not None
    return attrs.evolve(done, warnings=warnings_of(done.checked))


def _compile(done: Passed, limits: Limits) -> Passed:
    assert done.checked is not None
    return attrs.evolve(done, compiled=compile_policy(done.checked))


Pass = Callable[[Passed, Limits], Passed]

PASSES: tuple[tuple[str, Pass], ...] = (
    ("parse", _parse),
    ("check", _check),
    ("warn", _warn),
    ("compile", _compile),
)


def run_passes(
    policy: Path | tuple[n.PolicyFile, ...],
    until: str = "compile",
    limits: Limits = DEFAULT_LIMITS,
    libraries: tuple[Path, ...] = (),
) -> Passed:
    """Run the passes up to and including `until` on a folder, or on files already read."""
    files = policy if isinstance(policy, tuple) else read_policy(policy, limits, libraries)
    done = Passed(files)
    for name, step in PASSES:
        done = step(done, limits)
        if name == until:
            break
    return done
