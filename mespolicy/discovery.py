"""Which policy a command means when none is named: the one in front of the analyst, not the installed copy.

Without `--policy`, the command line takes, in order:

1. the folder (or file) named by the environment variable ``MESPOLICY_POLICY``;
2. ``[tool.mespolicy] policy = "..."`` in the nearest ``pyproject.toml`` from the
   working directory upwards that has it (the path relative to that file);
3. ``./rules`` when it holds ``*.mes`` files;
4. the policy shipped with mespolicy.

A value that names nothing, or a ``pyproject.toml`` that is not TOML, is a
:class:`DiscoveryError` naming the variable or the file (and its line), never a
fall back to another policy: the analyst asked for that one.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import click

from mespolicy.errors import MespolicyError
from mespolicy.limits import DEFAULT as DEFAULT_LIMITS
from mespolicy.limits import Limits
from mespolicy.loader import SUFFIX, TESTS_FOLDER, shipped_rules

if TYPE_CHECKING:
    from mespolicy.policy import Policy

ENVIRONMENT = "MESPOLICY_POLICY"
# where the mespolicy group keeps its `--library DIR` folders for the commands of the run
RUN_LIBRARIES = "mespolicy.libraries"
PYPROJECT = "pyproject.toml"
RULES = "rules"
# A pyproject.toml is the analyst's own file, but a huge one is no project file: read at most this much.
_PYPROJECT_BYTES = 1 << 20

# the --policy option's help, in every command that takes one
POLICY_HELP = (
    "Folder (or file) of rules. Default: $MESPOLICY_POLICY, else [tool.mespolicy] policy in the "
    "nearest pyproject.toml, else ./rules if it holds rule files, else the shipped policy."
)


class DiscoveryError(MespolicyError):
    """The policy named by ``MESPOLICY_POLICY`` (U101) or by a ``pyproject.toml`` (U102) cannot be used."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code

    def render(self, folder: str | None = None) -> str:
        return f"{self.code}: {self}"


@attrs.frozen
class Found:
    """A policy folder (or one rule file) and why it is the one (`--policy`, the variable, `./rules`)."""

    path: Path
    # how it was found, as the human output says it: "--policy", "MESPOLICY_POLICY", "pyproject.toml", ...
    why: str
    # the folder as the user would write it, to lead the paths in errors (None: the shipped policy)
    shown: str | None

    @property
    def origin(self) -> str:
        """The policy's name in reports: the folder as given (`rules`, `my-rules`), or `shipped`, the word
        `diff` takes for it (the same on every install)."""
        return self.shown if self.shown is not None else "shipped"


def discover(
    given: Path | None = None, cwd: Path | None = None, environ: Mapping[str, str] | None = None
) -> Found:
    """The policy a command uses: `given` (`--policy`) when named, else the first of the list above."""
    if given is not None:
        return Found(given, "--policy", _folder_of(given))
    here = Path.cwd() if cwd is None else cwd
    variables = os.environ if environ is None else environ
    named = variables.get(ENVIRONMENT, "")
    if named:
        return _named(Path(named), named, ENVIRONMENT, "U101", f"{ENVIRONMENT}={named}")
    found = _from_pyproject(here)
    if found is not None:
        return found
    rules = here / RULES
    if holds_rules(rules):
        # from the process's own working folder, the path as the user would type it
        return Found(Path(RULES) if cwd is None else rules, f"./{RULES}", RULES)
    return Found(shipped_rules(), "shipped", None)


def holds_rules(folder: Path) -> bool:
    """A folder with `*.mes` files of its own (not only in subfolders)."""
    try:
        return folder.is_dir() and any(p.suffix == SUFFIX and p.is_file() for p in folder.iterdir())
    except OSError:
        return False


def policy_root(file: Path, around: Found | None = None) -> Path:
    """The policy folder a rule file belongs to: the discovered one when it holds the file, else the
    file's folder, or the folder above it for a file of a `tests/` folder."""
    real = file.resolve()
    if around is not None and around.path.is_dir() and real.is_relative_to(around.path.resolve()):
        return around.path
    folder = file.parent
    if folder.name == TESTS_FOLDER and holds_rules(folder.parent):
        return folder.parent
    return folder


def _named(path: Path, written: str, why: str, code: str, where: str) -> Found:
    if not path.exists():
        raise DiscoveryError(code, f"{where}: no such rule folder or file")
    if path.is_dir() and not holds_rules(path):
        raise DiscoveryError(code, f"{where}: no {SUFFIX} rule files in this folder")
    if path.is_file() and path.suffix != SUFFIX:
        raise DiscoveryError(code, f"{where}: not a {SUFFIX} rule file")
    return Found(path, why, _folder_of(Path(written)))


def _folder_of(path: Path) -> str:
    return str(path.parent) if path.is_file() else str(path)


def _from_pyproject(start: Path) -> Found | None:
    for folder in (start, *start.parents):
        file = folder / PYPROJECT
        if not file.is_file():
            continue
        table = _tool_table(file)
        if table is None or "policy" not in table:
            continue
        value = table["policy"]
        where = f"{_relative(file, start)}: [tool.mespolicy] policy"
        if not isinstance(value, str) or not value:
            raise DiscoveryError("U102", f"{where}: expected a folder as text, got {value!r}")
        target = folder / value
        return _named(target, _relative(target, start), PYPROJECT, "U102", f"{where} = {value!r}")
    return None


def _tool_table(file: Path) -> Mapping[str, object] | None:
    """The `[tool.mespolicy]` table of a pyproject.toml, None when it has none."""
    shown = str(file)
    try:
        with file.open("rb") as stream:
            data = stream.read(_PYPROJECT_BYTES + 1)
        if len(data) > _PYPROJECT_BYTES:
            raise DiscoveryError("U102", f"{shown}: over {_PYPROJECT_BYTES} bytes, not read")
        document = tomllib.loads(data.decode("utf-8"))
    except OSError as error:
        raise DiscoveryError("U102", f"{shown}: cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise DiscoveryError("U102", f"{shown}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        # tomllib says where: "Invalid value (at line 3, column 10)"
        raise DiscoveryError("U102", f"{shown}: not TOML: {error}") from None
    tool = document.get("tool")
    table = tool.get("mespolicy") if isinstance(tool, dict) else None
    if table is not None and not isinstance(table, dict):
        raise DiscoveryError("U102", f"{shown}: [tool.mespolicy] must be a table")
    return table


def _relative(path: Path, start: Path) -> str:
    """`path` as written from `start` when it is below it (`rules`), else in full."""
    try:
        return str(path.relative_to(start)) or "."
    except ValueError:
        return os.path.relpath(path, start) if path.is_absolute() == start.is_absolute() else str(path)


def load_found(found: Found, limits: Limits = DEFAULT_LIMITS, libraries: Sequence[Path] = ()) -> Policy:
    """The policy of a found folder, named in reports as the user would write it."""
    from mespolicy.policy import load

    return attrs.evolve(load(found.path, limits=limits, libraries=libraries), origin=found.origin)


def describe(found: Found, content_hash: str | None, label: str = "policy") -> str:
    """The line human output opens with: which policy, how it was found, the start of its hash.

    The hash is left out when the policy was only parsed (its library files not yet read).
    """
    shown = found.origin if found.shown is not None else "the shipped policy"
    if content_hash is None:
        return f"{label}: {shown} ({found.why})"
    algorithm, _, digest = content_hash.partition(":")
    return f"{label}: {shown} ({found.why}) {algorithm}:{digest[:12]}"


__all__ = [
    "ENVIRONMENT",
    "POLICY_HELP",
    "DiscoveryError",
    "Found",
    "describe",
    "discover",
    "holds_rules",
    "load_found",
    "policy_root",
]


def run_libraries() -> tuple[Path, ...]:
    """The library folders of this run: the mespolicy group's `--library DIR` options, in order."""
    context = click.get_current_context(silent=True)
    found = None if context is None else context.meta.get(RUN_LIBRARIES)
    return found if isinstance(found, tuple) else ()
