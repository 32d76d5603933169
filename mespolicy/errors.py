"""Every error mespolicy reports: one root, a subclass per stage, a stable code, one printed form."""

from __future__ import annotations

import difflib
import enum
import posixpath
from collections.abc import Iterable, Sequence

import attrs

from mespolicy.source import Span


class Severity(enum.Enum):
    """An error stops a policy from loading; a warning (a W code) is reported and the policy loads."""

    ERROR = "error"
    WARNING = "warning"


@attrs.frozen
class Diagnostic:
    """One located problem in a rule file: `file:line:col: code: message`, source line, caret, hint.

    A warning (`severity` WARNING, a W code) prints the same way; it does not stop a policy loading.
    """

    code: str
    message: str
    span: Span
    hint: str | None = None
    severity: Severity = Severity.ERROR

    def render(self, folder: str | None = None) -> str:
        """The printed form; `folder` (the policy folder as the user wrote it) leads the file's path.

        A span's path is the file's place inside its policy folder (`tests/renewal.mes`),
        the same on every machine; a command line joins the folder its user typed so the
        reader can open the file from where they are.
        """
        span = self.span
        where = str(span)
        if folder and folder != "." and span.source.in_folder:
            where = f"{posixpath.join(folder, span.source.path)}:{span.line}:{span.column}"
        head = f"{where}: {self.code}: {self.message}"
        lines = [head, *span.excerpt()]
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


class MespolicyError(Exception):
    """Root of every error the library raises on bad input (rule files, requests, overrides)."""

    code = "E000"

    def render(self, folder: str | None = None) -> str:
        """The printed form; `folder` leads the paths of errors located in a policy folder's files."""
        return f"error: {self.code}: {self}"

    def error_object(self, line: int | None = None, ref: str | None = None) -> dict[str, dict[str, object]]:
        """The error as a JSON Lines run writes it in the place of a decision; `ref` is the request's own
        reference, echoed when the request could be read that far."""
        field = getattr(self, "field", None)
        ref = ref if ref is not None else getattr(self, "ref", None)
        return {"error": {"line": line, "code": self.code, "field": field, "message": str(self), "ref": ref}}


class PolicyFileError(MespolicyError):
    """Errors located in rule files: one or more diagnostics, rendered together.

    `total` counts every error found, when more were found than are shown.
    """

    def __init__(self, diagnostics: Sequence[Diagnostic], total: int | None = None) -> None:
        self.diagnostics = tuple(diagnostics)
        self.total = max(total or 0, len(self.diagnostics))
        super().__init__("\n".join(d.render() for d in self.diagnostics))

    @property
    def code(self) -> str:  # type: ignore[override]
        return self.diagnostics[0].code

    def render(self, folder: str | None = None) -> str:
        count = len(self.diagnostics)
        summary = f"{self.total} error{'s' if self.total != 1 else ''}"
        if self.total > count:
            summary += f" ({count} shown, {self.total - count} more not shown)"
        return "\n\n".join([*(d.render(folder) for d in self.diagnostics), summary])


class PolicyWarnings(PolicyFileError):
    """Warnings on a policy that checks, raised only where warnings count as errors (`check --strict`)."""

    def render(self, folder: str | None = None) -> str:
        return "\n\n".join([*(d.render(folder) for d in self.diagnostics), warning_count(self.diagnostics)])


def warning_count(diagnostics: Sequence[Diagnostic]) -> str:
    """`1 warning`, `3 warnings`."""
    return f"{len(diagnostics)} warning{'s' if len(diagnostics) != 1 else ''}"


class PolicySyntaxError(PolicyFileError):
    """A rule file that does not parse; the parser stops at the first syntax error."""

    def __init__(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        super().__init__([Diagnostic(code, message, span, hint)])


class PolicyCheckError(PolicyFileError):
    """A rule folder that parses but does not check; carries every error the checker found."""


class PolicyFolderError(PolicyFileError):
    """A rule file the policy folder cannot give: outside the folder, too big, too many, unreadable.

    Located at the `include` that names it, or at line 1 of a file found in the folder;
    never quotes the file it refused.
    """


class PolicyLoadError(MespolicyError):
    """A rule folder or file that cannot be read at all."""

    code = "L001"


class EvaluationError(MespolicyError):
    """A rule that fails while deciding a request (an empty maximum, a currency mix, no rule applied)."""

    code = "R301"

    def __init__(self, message: str, span: Span | None = None, code: str = "R301") -> None:
        self.span = span
        self.code = code
        # the rule (by position in its action) the compiled code was in, until located
        self.rule_index = -1
        where = f"{span}: " if span else ""
        super().__init__(f"{where}{message}")


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name most like `name` (a typo's likely meaning), if any is close."""
    found = difflib.get_close_matches(name, list(known), n=1)
    return found[0] if found else None


def did_you_mean(name: str, known: Iterable[str]) -> str | None:
    """The hint for a name nobody defined: "did you mean 'expiry'?", or None."""
    close = closest(name, known)
    return f"did you mean '{close}'?" if close else None


def collect(diagnostics: Iterable[Diagnostic], limit: int = 50) -> list[Diagnostic]:
    """Sort diagnostics by position and keep at most `limit`, so a flood stays readable."""
    ordered = sorted(diagnostics, key=lambda d: (d.span.source.path, d.span.line, d.span.column))
    return ordered[:limit]
