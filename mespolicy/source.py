"""Rule-file text and the spans that tie every syntax node to a place in it."""

from __future__ import annotations

import attrs


def split_lines(text: str) -> tuple[str, ...]:
    """The lines of a rule file as the parser counts them: split at '\\n' only, a '\\r' before it dropped.

    Lark numbers lines by '\\n' alone, so the excerpt of an error must too: str.splitlines
    would also break at '\\v', '\\f', '\\x1c'-'\\x1e', '\\x85', '\\u2028' and '\\u2029' and
    quote a line other than the one the error is on.
    """
    return tuple(line[:-1] if line.endswith("\r") else line for line in text.split("\n"))


@attrs.frozen(eq=False)
class Source:
    """The text of one rule file, kept so any error can quote the line it points at.

    `path` is where the file is inside its policy folder (POSIX form, `renewal.mes`,
    `tests/renewal.mes`), so locations read the same from any working directory and on
    any install; `in_folder` says it is such a path (not `--set name` or `<text>`).
    """

    path: str
    text: str
    in_folder: bool = False
    lines: tuple[str, ...] = attrs.field(init=False, repr=False)

    @lines.default
    def _split(self) -> tuple[str, ...]:
        return split_lines(self.text)

    def line(self, number: int) -> str:
        return self.lines[number - 1] if 0 < number <= len(self.lines) else ""


def _shown(text: str) -> str:
    """A source line as printed in an error: characters that would move the cursor or
    drive the terminal shown as one replacement character each, so the caret stays under
    its column (a tab is kept, as the analyst typed it)."""
    return "".join(c if c == "\t" or c.isprintable() else "\ufffd" for c in text)


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
        return [f"  {_shown(text)}", "  " + " " * (self.column - 1) + "^" * width]


NOWHERE_SOURCE = Source("<generated>", "")


def nowhere() -> Span:
    """A span for nodes built by code rather than parsed (tests, what-if overrides)."""
    return Span(NOWHERE_SOURCE, 1, 1, 1, 1)
