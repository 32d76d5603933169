"""Reads a policy from disk: every `*.mes` file of a folder (or one file), following `include`s.

The folder is untrusted input, read within bounds: only files inside the policy
folder (the folder given, or the folder of the one file given) are read; an
`include` with an absolute path, a `..` that climbs out, or a symbolic link whose
target leaves the folder is refused (L107), as is a path no file could have (L108).
A file is read only up to `limits.file_bytes` (L101), a policy has at most
`limits.policy_files` files (L102) of `limits.policy_bytes` in all (L110), and a
file that cannot be read is L109. Each is a located error that never quotes the
file it refused.

Every file's `Source.path` is its place inside the policy folder in POSIX form
(`renewal.mes`, `tests/renewal.mes`), so errors, traces and decisions read the same
from any working directory and on any install.

Library folders: `include library "fees.mes"` reads a file of a library folder,
never of the policy folder. Only the caller names library folders
(`mespolicy.load(path, libraries=[...])`, `mespolicy --library DIR`); the rule
text can only pick a file inside one of them, by a relative path that is held
to the same bounds as an include (L107, L108). The folders are searched in the
order given, then the library shipped with mespolicy; the first that has the
file gives it (C246 when none has). A library file is named `library:fees.mes`,
its place inside its library folder, and may include its own folder's files.
A library folder is as untrusted as a policy folder; it is only trusted to be
the one the caller meant.
"""

from __future__ import annotations

import errno
import os
import posixpath
import stat
from collections.abc import Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath

import attrs

from mespolicy import nodes as n
from mespolicy.errors import Diagnostic, PolicyCheckError, PolicyFolderError, PolicyLoadError
from mespolicy.limits import DEFAULT as DEFAULT_LIMITS
from mespolicy.limits import Limits
from mespolicy.parser import parse
from mespolicy.source import Source, Span

SUFFIX = ".mes"
TESTS_FOLDER = "tests"
LIBRARY_PREFIX = "library:"
# The longest path, and file name, an include may give (bytes, as most file systems count).
_PATH_BYTES = 4096
_NAME_BYTES = 255


def shipped_rules() -> Path:
    """The folder of the shipped policy: packaged in the wheel, or `rules/` beside a source checkout."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "_rules", package.parent / "rules"):
        if candidate.is_dir():
            return candidate
    raise PolicyLoadError("the shipped rules are missing from this installation")


def shipped_libraries() -> Path | None:
    """The library folder shipped with mespolicy (`fees.mes`, ...), searched after the caller's."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "_libraries", package.parent / "libraries"):
        if candidate.is_dir():
            return candidate
    return None


@attrs.frozen
class Folder:
    """What one read of a policy folder gave: the policy's files and those of its `tests/` folder."""

    policy: tuple[n.PolicyFile, ...]
    tests: tuple[n.PolicyFile, ...] = ()

    @property
    def files(self) -> tuple[n.PolicyFile, ...]:
        return self.policy + self.tests


def read_policy(
    path: Path, limits: Limits = DEFAULT_LIMITS, libraries: Sequence[Path] = ()
) -> tuple[n.PolicyFile, ...]:
    """Parse the files of a policy, in name order, each once, includes after their includer."""
    return read_folder(path, limits, tests=False, libraries=libraries).policy


def read_folder(
    path: Path, limits: Limits = DEFAULT_LIMITS, *, tests: bool = True, libraries: Sequence[Path] = ()
) -> Folder:
    """Parse the files of a policy and (with `tests`) of its `tests/` folder, each file once.

    One read serves a command that checks the policy and its tests: the files of
    `tests/` are those it includes or holds beyond the policy's own. `libraries`
    are the folders `include library` may read from, before the shipped one.
    """
    path = Path(path)
    shipped = shipped_libraries()
    folders = [*libraries, *([shipped] if shipped is not None else [])]
    found = tuple(_real(Path(folder)) for folder in folders)
    if path.is_dir():
        reader = _Reader(_real(path), limits, found)
        policy = reader.read(reader.found(reader.root))
        if not policy:
            raise PolicyLoadError(f"{path}: no {SUFFIX} rule files in this folder")
        folder = reader.root / TESTS_FOLDER
        test_files = reader.read(reader.found(folder)) if tests and folder.is_dir() else ()
        return Folder(policy, test_files)
    if path.is_file():
        real = _real(path)
        reader = _Reader(real.parent, limits, found)
        return Folder(reader.read([(real.name, real)]))
    raise PolicyLoadError(f"{path}: no such rule file or folder")


def read_rule_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> str:
    """The text of one rule file named on a command line (`mespolicy fmt`), read as the loader
    reads a policy's files: not through a symbolic link, a regular file, at most `file_bytes`,
    UTF-8; errors are located at the file and carry the path as given."""
    name = str(path)
    where = Span(Source(name, ""), 1, 1, 1, 1)
    return _text(path, name, where, limits, follow=False)


def write_rule_file(path: Path, text: str) -> None:
    """Rewrite a rule file in place, never through a symbolic link (L109 if it has become one)."""
    flags = os.O_WRONLY | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    try:
        with os.fdopen(os.open(path, flags), "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    except OSError as error:
        where = Span(Source(str(path), ""), 1, 1, 1, 1)
        raise _refuse("L109", f"'{path}' cannot be written: {_why(error)}", where) from None


def _real(path: Path) -> Path:
    try:
        return Path(os.path.realpath(path, strict=True))
    except (OSError, ValueError) as error:
        raise PolicyLoadError(f"{path}: cannot read: {_why(error)}") from None


def _why(error: Exception) -> str:
    if isinstance(error, OSError):
        if error.errno == errno.ELOOP:
            return "a loop of symbolic links"
        return error.strerror or type(error).__name__
    return str(error)


def _hidden(path: str) -> bool:
    """A path with a hidden part (`.env`, `.ssh/...`): never a rule file, whatever it ends with."""
    return any(part.startswith(".") and part not in (".", "..") for part in path.split("/"))


def _at_file(name: str) -> Span:
    """The place of a file's own name, for an error about the file rather than its text."""
    return Span(Source(name, "", in_folder=True), 1, 1, 1, 1)


def _refuse(code: str, message: str, span: Span, hint: str | None = None) -> PolicyFolderError:
    return PolicyFolderError([Diagnostic(code, message, span, hint)])


class _Reader:
    """Reads files inside `root` (a real path), each once, counting them against the limit."""

    def __init__(self, root: Path, limits: Limits, libraries: tuple[Path, ...] = ()) -> None:
        self.root = root
        self.limits = limits
        self.libraries = libraries
        self.seen: set[Path] = set()
        self.read_bytes = 0  # of every file read so far, against limits.policy_bytes
        # the library folder each library file was found in, so its own includes stay inside it
        self.library_of: dict[Path, Path] = {}

    def inside(self, real: Path, root: Path | None = None) -> bool:
        """Whether a real path is a rule file of `root` (the policy folder, or a library folder):
        inside it, `*.mes`, not hidden.

        Checked on the real path, so that no link (`a.mes -> .env`) can lead to a
        file whose first line a syntax error would quote.
        """
        root = self.root if root is None else root
        if root not in real.parents:
            return False
        return real.name.endswith(SUFFIX) and not _hidden(real.relative_to(root).as_posix())

    def name(self, real: Path) -> str:
        library = self.library_of.get(real)
        if library is not None:
            return LIBRARY_PREFIX + real.relative_to(library).as_posix()
        return real.relative_to(self.root).as_posix()

    def found(self, folder: Path) -> list[tuple[str, Path]]:
        """The `*.mes` files of a folder of the policy, by name, each with its real path.

        A link whose target leaves the policy folder (or loops) is refused here, before
        anything is read through it.
        """
        # hidden files (an editor's `.#renewal.mes`) are not the policy's
        entries = sorted(e for e in folder.glob(f"*{SUFFIX}") if not e.name.startswith("."))
        files = []
        for entry in entries:
            name = entry.relative_to(self.root).as_posix()
            try:
                real = Path(os.path.realpath(entry, strict=True))
            except (OSError, ValueError) as error:
                raise _refuse("L109", f"'{name}' cannot be read: {_why(error)}", _at_file(name)) from None
            if not self.inside(real):
                raise _refuse(
                    "L107",
                    f"'{name}' is a link to a file outside the policy folder (or not a rule file)",
                    _at_file(name),
                    "a policy reads only the files inside its folder; copy the file in",
                )
            files.append((name, real))
        return files

    def read(self, roots: list[tuple[str, Path]]) -> tuple[n.PolicyFile, ...]:
        """Parse `roots` (name, real path) and what they include, includes after their includer."""
        files: list[n.PolicyFile] = []
        pending: list[tuple[Path, Span]] = [(real, _at_file(name)) for name, real in roots]
        while pending:
            current, where = pending.pop(0)
            if current in self.seen:
                continue
            if len(self.seen) >= self.limits.policy_files:
                raise _refuse(
                    "L102",
                    f"a policy may have at most {self.limits.policy_files} rule files "
                    "(its includes and tests counted)",
                    where,
                    "a caller trusting this folder may raise the policy_files limit",
                )
            self.seen.add(current)
            name = self.name(current)
            text = self.text(current, name, where)
            self.read_bytes += len(text.encode("utf-8", "surrogatepass"))
            if self.read_bytes > self.limits.policy_bytes:
                raise _refuse(
                    "L110",
                    f"the rule files of a policy may hold at most {self.limits.policy_bytes} bytes in all",
                    where,
                    "a caller trusting this folder may raise the policy_bytes limit",
                )
            # a library file is not in the policy folder: errors show it by its own name
            in_folder = current not in self.library_of
            tree = parse(text, name, self.limits, in_folder=in_folder)
            files.append(tree)
            pending.extend(self.includes(tree, current))
        return tuple(files)

    def text(self, real: Path, name: str, where: Span) -> str:
        return _text(real, name, where, self.limits, follow=True)

    def includes(self, tree: n.PolicyFile, current: Path) -> list[tuple[Path, Span]]:
        targets = []
        for item in tree.items:
            if isinstance(item, n.Include):
                targets.append((self.target(item, current), item.span))
            elif isinstance(item, n.LibraryInclude):
                targets.append((self.library_target(item), item.span))
        return targets

    def library_target(self, item: n.LibraryInclude) -> Path:
        """The real path of `include library "x.mes"`: in the first library folder that has it."""
        _check_written(item.path, item.span, "library")
        inner = posixpath.normpath(item.path)
        if inner == ".." or inner.startswith("../"):
            raise _refuse(
                "L107",
                f"include library '{item.path}' leaves the library folder",
                item.span,
                "name a file inside a library folder, relative to it",
            )
        if not _rule_file(inner):
            # only rule files: a `.env` or notes beside a library must never be read, since a
            # syntax error would quote their first line
            raise _refuse(
                "L108",
                f"include library names a rule file ({SUFFIX}), never a hidden one: not '{item.path}'",
                item.span,
                'write: include library "fees.mes"',
            )
        for library in self.libraries:
            try:
                real = Path(os.path.realpath(library / inner, strict=True))
            except FileNotFoundError:
                continue
            except (OSError, ValueError) as error:
                message = f"library file '{item.path}' cannot be read: {_why(error)}"
                raise _refuse("L109", message, item.span) from None
            if not self.inside(real, library) or not _rule_file(real.relative_to(library).as_posix()):
                raise _refuse(
                    "L107",
                    f"include library '{item.path}' is a link to a file outside its library folder"
                    " (or not a rule file)",
                    item.span,
                )
            if real.is_file():
                self.library_of.setdefault(real, library)
                return real
        searched = ", ".join(folder.name for folder in self.libraries) or "none"
        raise PolicyCheckError(
            [
                Diagnostic(
                    "C246",
                    f"no library folder has '{item.path}' (library folders: {searched})",
                    item.span,
                    "name the folder that holds it: mespolicy --library DIR, or "
                    "mespolicy.load(path, libraries=[DIR])",
                )
            ]
        )

    def target(self, item: n.Include, current: Path) -> Path:
        """The real path of the file an include names, relative to its includer, inside its folder
        (the policy folder, or for a library file its library folder)."""
        root = self.library_of.get(current, self.root)
        written = item.path
        _check_written(written, item.span, "")
        here = posixpath.dirname(posixpath.relpath(current.as_posix(), root.as_posix()))
        inner = posixpath.normpath(posixpath.join(here, written))
        folder = "policy folder" if root == self.root else "library folder"
        if inner == ".." or inner.startswith("../"):
            raise _refuse(
                "L107",
                f"include '{written}' leaves the {folder}",
                item.span,
                f"a policy reads only the files inside its folder; a library of another folder is "
                f'included with: include library "{posixpath.basename(written)}"',
            )
        if _hidden(written) or not written.endswith(SUFFIX):
            # Only rule files: a `.env` or `.ssh/...` beside the rules must never be read,
            # since a syntax error would quote its first line.
            raise _refuse(
                "L108",
                f"an include names a rule file ({SUFFIX}), never a hidden one: not '{written}'",
                item.span,
                'write: include "common.mes"',
            )
        try:
            real = Path(os.path.realpath(root / inner, strict=True))
        except FileNotFoundError:
            raise PolicyCheckError(
                [Diagnostic("C216", f"included file '{written}' does not exist", item.span)]
            ) from None
        except (OSError, ValueError) as error:
            why = _why(error)
            raise _refuse("L109", f"included file '{written}' cannot be read: {why}", item.span) from None
        if not self.inside(real, root):
            raise _refuse(
                "L107",
                f"include '{written}' is a link to a file outside the {folder} (or not a rule file)",
                item.span,
                "a policy reads only the files inside its folder; copy the file in",
            )
        if real.is_dir():
            raise PolicyCheckError(
                [Diagnostic("C216", f"included file '{written}' does not exist (it is a folder)", item.span)]
            )
        if root != self.root:
            self.library_of.setdefault(real, root)
        return real


def _rule_file(path: str) -> bool:
    """A `*.mes` path without a hidden part (`.env`, `.git/...`): what a library may give."""
    parts = path.split("/")
    return path.endswith(SUFFIX) and not any(p.startswith(".") and p not in (".", "..") for p in parts)


def _check_written(written: str, span: Span, kind: str) -> None:
    """An include's path: no control characters (L108), not too long (L108), relative (L107)."""
    keyword = f"include {kind} " if kind else "include "
    if not written or "\0" in written or any(ord(c) < 32 for c in written):
        raise _refuse(
            "L108",
            "an include names a rule file: a path without control characters",
            span,
            f'write: {keyword}"common.mes"',
        )
    if len(written.encode("utf-8", "surrogatepass")) > _PATH_BYTES or any(
        len(part.encode("utf-8", "surrogatepass")) > _NAME_BYTES for part in written.split("/")
    ):
        raise _refuse(
            "L108",
            f"an include path is at most {_PATH_BYTES} bytes, each name in it at most {_NAME_BYTES}",
            span,
        )
    if PurePosixPath(written).is_absolute() or PureWindowsPath(written).anchor:
        raise _refuse(
            "L107",
            "an include names a file inside the policy folder, relative to this file; "
            "not an absolute path",
            span,
            f'write: {keyword}"common.mes"',
        )


def _text(path: Path, name: str, where: Span, limits: Limits, *, follow: bool) -> str:
    """The file's text: a regular file, at most `file_bytes` long, in UTF-8 (L101, L109)."""
    most = limits.file_bytes
    # opened without blocking, so a FIFO is refused rather than waited on
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | (0 if follow else getattr(os, "O_NOFOLLOW", 0))
    try:
        with os.fdopen(os.open(path, flags), "rb") as handle:
            status = os.fstat(handle.fileno())
            if not stat.S_ISREG(status.st_mode):
                raise _refuse("L109", f"'{name}' is not a regular file", where)
            data = handle.read(most + 1) if status.st_size <= most else b""
    except OSError as error:
        raise _refuse("L109", f"'{name}' cannot be read: {_why(error)}", where) from None
    if status.st_size > most or len(data) > most:
        raise _refuse(
            "L101",
            f"'{name}' is over {most} bytes",
            where,
            "a caller trusting this folder may raise the file_bytes limit",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _not_utf8(name, data, error, where.source.in_folder) from None


def _not_utf8(name: str, data: bytes, error: UnicodeDecodeError, in_folder: bool) -> PolicyFolderError:
    """L109 at the first byte that is not UTF-8 (the text before it is, by construction)."""
    before = data[: error.start].decode("utf-8")
    line = before.count("\n") + 1
    column = len(before) - (before.rfind("\n") + 1) + 1
    text = before + "\ufffd"
    span = Span(Source(name, text, in_folder), line, column, line, column + 1)
    return _refuse("L109", f"'{name}' is not UTF-8 text: byte 0x{data[error.start]:02x}", span)
