"""The proofs as `check` prints them: a line per action, then each finding located, with its witness."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from mespolicy.errors import Diagnostic
from mespolicy.proofs.analysis import DEAD, GAP, OVERLAP, UNREACHABLE, ActionReport, Finding
from mespolicy.source import Span


@attrs.frozen
class Printed:
    """What `check` prints of the proofs: status lines (stdout), findings (stderr), and whether to fail."""

    status: tuple[str, ...]
    findings: tuple[str, ...]
    errors: int
    warnings: int

    def failed(self, strict: bool) -> bool:
        return self.errors > 0 or (strict and self.warnings > 0)


def printed(reports: Sequence[ActionReport], spans: dict[str, Span], folder: str | None = None) -> Printed:
    """`spans` gives each action's own span (where a gap is reported)."""
    status = [f"  {report.action}: {report.status}" for report in reports]
    blocks = []
    errors = warnings = 0
    for report in reports:
        for finding in report.findings:
            blocks.append(render(finding, spans[report.action], folder))
            if finding.is_error:
                errors += 1
            else:
                warnings += 1
    return Printed(tuple(status), tuple(blocks), errors, warnings)


def render(finding: Finding, action_span: Span, folder: str | None = None) -> str:
    """A finding as a diagnostic (location, source line, caret), its witness, and what deciding it gave."""
    span = finding.location(action_span)
    said = f"action '{finding.action}': {message(finding)}"
    lines = [Diagnostic(finding.code, said, span, _hint(finding)).render(folder)]
    if finding.witness is not None:
        lines.append(f"  witness: {finding.witness}")
    if finding.decided is not None:
        verdict = "confirmed" if finding.confirmed else "not confirmed"
        lines.append(f"  decided: {finding.decided.text} ({verdict})")
    return "\n".join(lines)


def message(finding: Finding) -> str:
    if finding.kind == OVERLAP:
        first, second = finding.rules
        where = f"rules '{first.name}' ({_at(first.span)}) and '{second.name}' ({_at(second.span)})"
        where += " both apply"
        return where if finding.confirmed else f"possible overlap: {where}"
    if finding.kind == GAP:
        return "gap: no rule applies" if finding.confirmed else "possible gap: no rule applies"
    return finding.message


def _hint(finding: Finding) -> str | None:
    if finding.kind == OVERLAP:
        return "make their 'when' conditions exclusive; the witness is a request both apply to"
    if finding.kind == GAP:
        return "add a rule for the witness's case, or widen a condition"
    if finding.kind == DEAD:
        return "remove the rule, or correct its condition"
    if finding.kind == UNREACHABLE:
        return "remove the band row, or correct its threshold or the condition of the rule holding the band"
    return "raise --solver-timeout, or simplify the conditions; nothing is claimed for this question"


def _at(span: Span) -> str:
    return f"{span.source.path}:{span.line}"
