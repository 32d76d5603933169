"""Rule-file text and the spans that tie every syntax node to a place in it."""

from __future__ import annotations

import attrs


@attrs.frozen(eq=False)
class Source:
    """The text of one rule file, kept so any error can quote the line it points at."""

    path: str
    text: str

    def line(self, number: int) -> str:
        lines = self.text.splitlines()
        return lines[number - 1] if 0 < number <= len(lines) else ""


@attrs.frozen(eq=False, repr=False)
class Span:
    """Where a node was written: 1-based line and column of its first and last character.

    Spans never take part in node equality, so two trees that differ only in
    layout compare equal (the formatter's round trip relies on that).
    """

    source: Source
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.source.path}:{self.line}:{self.column}"

    def __repr__(self) -> str:
        return f"Span({self})"

    def excerpt(self) -> list[str]:
        """The source line with a caret under the span (to the end of the line if it spans lines)."""
        text = self.source.line(self.line)
        if not text:
            return []
        last = self.end_column if self.end_line == self.line else len(text) + 1
        width = max(1, last - self.column)
        return [f"  {text}", "  " + " " * (self.column - 1) + "^" * width]


NOWHERE_SOURCE = Source("<generated>", "")


def nowhere() -> Span:
    """A span for nodes built by code rather than parsed (tests, what-if overrides)."""
    return Span(NOWHERE_SOURCE, 1, 1, 1, 1)
