"""Broken rule files in tests/bad, one per error class, each stating the errors it must produce.

A file lists its expected diagnostics in comment lines at its top::

    # expect: 7:18 C201 unknown name 'expirty'

(line:column, code, and the message or a stable prefix of it). The list must
match what parsing and checking the file report, no more and no fewer, in
order; a file that checks is held to its warnings (W codes) the same way. A
file that shows an engine bug says so in a `# xfail: why` line.
"""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import pytest

from mespolicy.checker import check
from mespolicy.errors import Diagnostic, PolicyFileError, PolicyWarnings, Severity
from mespolicy.lint import warnings_of
from mespolicy.loader import read_policy

BAD = Path(__file__).parent / "bad"
_EXPECT = re.compile(r"#\s*expect:\s*(\d+):(\d+)\s+([A-Z]\d{3})\s+(.+?)\s*$")
_XFAIL = re.compile(r"#\s*xfail:\s*(.+?)\s*$")


@attrs.frozen
class Expected:
    line: int
    column: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.line}:{self.column} {self.code} {self.message}"


def expectations(path: Path) -> list[Expected]:
    """The `# expect:` lines of a bad file, in order."""
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _EXPECT.match(line)
        if match:
            found.append(Expected(int(match[1]), int(match[2]), match[3], match[4]))
    return found


def known_bug(path: Path) -> str | None:
    match = next(filter(None, map(_XFAIL.match, path.read_text(encoding="utf-8").splitlines())), None)
    return match[1] if match else None


def load_errors(path: Path) -> PolicyFileError | None:
    """Parse the file (and check it when it parses); the error raised, or else its warnings, if any."""
    try:
        checked = check(read_policy(path))
    except PolicyFileError as error:
        return error
    warnings = warnings_of(checked)
    return PolicyWarnings(warnings) if warnings else None


def as_found(diagnostic: Diagnostic, wanted: Expected | None) -> str:
    """The diagnostic in `# expect:` form, its message cut to the expected prefix when it has it."""
    message = diagnostic.message
    if wanted is not None and message.startswith(wanted.message):
        message = wanted.message
    return f"{diagnostic.span.line}:{diagnostic.span.column} {diagnostic.code} {message}"


PATHS = sorted(BAD.glob("*.mes"))


def _cases() -> list[object]:
    """One case per bad file; a file with a `# xfail:` line is expected to fail, strictly."""
    cases: list[object] = []
    for path in PATHS:
        reason = known_bug(path)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        cases.append(pytest.param(path, id=path.stem, marks=marks))
    return cases


CASES = _cases()


def test_every_bad_file_states_what_it_expects() -> None:
    assert len(PATHS) >= 25
    for path in PATHS:
        assert expectations(path), f"{path.name} has no '# expect:' line"


@pytest.mark.parametrize("path", CASES)
def test_bad_file_reports_exactly_the_expected_errors(path: Path) -> None:
    wanted = expectations(path)
    error = load_errors(path)
    assert error is not None, f"{path.name} loaded without error"
    found = [as_found(d, wanted[i] if i < len(wanted) else None) for i, d in enumerate(error.diagnostics)]
    assert found == [str(w) for w in wanted]


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_bad_file_renders_location_source_line_and_caret(path: Path) -> None:
    error = load_errors(path)
    if error is None:
        assert known_bug(path), f"{path.name} loaded without error"
        pytest.skip("nothing to render: the engine misses this error (known bug)")
    rendered = error.render()
    source = path.read_text(encoding="utf-8").splitlines()
    for diagnostic in error.diagnostics:
        span = diagnostic.span
        head = f"{span.source.path}:{span.line}:{span.column}: {diagnostic.code}: "
        assert head + diagnostic.message in rendered
        assert span.source.path.endswith(path.name)
        block = diagnostic.render().splitlines()
        assert block[1] == "  " + source[span.line - 1]
        caret = block[2]
        assert caret.startswith("  " + " " * (span.column - 1) + "^")
        assert set(caret.strip()) == {"^"}
    count = len(error.diagnostics)
    noun = "warning" if isinstance(error, PolicyWarnings) else "error"
    assert rendered.endswith(f"{count} {noun}{'s' if count != 1 else ''}")


def test_independent_errors_are_all_reported() -> None:
    error = load_errors(BAD / "several_errors.mes")
    assert error is not None
    assert len(error.diagnostics) >= 3
    assert len({d.code for d in error.diagnostics}) >= 3


def test_a_file_that_does_not_parse_reports_one_syntax_error() -> None:
    for path in BAD.glob("syntax_*.mes"):
        error = load_errors(path)
        assert error is not None
        assert len(error.diagnostics) == 1, path.name
        assert error.diagnostics[0].code.startswith("P")


def test_warnings_are_reported_only_for_files_without_errors_and_have_warning_severity() -> None:
    for path in PATHS:
        error = load_errors(path)
        if error is None:
            continue
        warned = isinstance(error, PolicyWarnings)
        assert all((d.severity is Severity.WARNING) == warned for d in error.diagnostics), path.name
        assert all(d.code.startswith("W") == warned for d in error.diagnostics), path.name
