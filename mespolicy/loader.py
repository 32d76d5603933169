"""Reads a policy from disk: every `*.mes` file of a folder (or one file), following `include`s."""

from __future__ import annotations

from pathlib import Path

from mespolicy import nodes as n
from mespolicy.errors import Diagnostic, PolicyCheckError, PolicyLoadError
from mespolicy.limits import DEFAULT as DEFAULT_LIMITS
from mespolicy.limits import Limits
from mespolicy.parser import parse

SUFFIX = ".mes"


def shipped_rules() -> Path:
    """The folder of the shipped policy: packaged in the wheel, or `rules/` beside a source checkout."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "_rules", package.parent / "rules"):
        if candidate.is_dir():
            return candidate
    raise PolicyLoadError("the shipped rules are missing from this installation")


def read_policy(path: Path, limits: Limits = DEFAULT_LIMITS) -> tuple[n.PolicyFile, ...]:
    """Parse the files of a policy, in name order, each once, includes after their includer."""
    roots = _roots(path)
    seen: set[Path] = set()
    files: list[n.PolicyFile] = []
    pending = list(roots)
    while pending:
        current = pending.pop(0)
        if current in seen:
            continue
        seen.add(current)
        tree = parse(_read(current), _display(current))
        files.append(tree)
        pending.extend(_includes(tree, current))
    return tuple(files)


def _roots(path: Path) -> list[Path]:
    if path.is_file():
        return [path.resolve()]
    if path.is_dir():
        found = sorted(p.resolve() for p in path.glob(f"*{SUFFIX}"))
        if not found:
            raise PolicyLoadError(f"{path}: no {SUFFIX} rule files in this folder")
        return found
    raise PolicyLoadError(f"{path}: no such rule file or folder")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PolicyLoadError(f"{path}: cannot read: {error}") from None


def _includes(tree: n.PolicyFile, current: Path) -> list[Path]:
    targets = []
    for item in tree.items:
        if isinstance(item, n.Include):
            target = (current.parent / item.path).resolve()
            if not target.is_file():
                raise PolicyCheckError(
                    [Diagnostic("C216", f"included file '{item.path}' does not exist", item.span)]
                )
            targets.append(target)
    return targets


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
