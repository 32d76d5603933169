"""The rich Console every command prints through: plain when asked, a fixed width off a terminal."""

from __future__ import annotations

import os
import sys
from typing import IO

from rich.console import Console, RenderableType

# Off a terminal (a pipe, a file, a test) the width is fixed, so that the same
# command prints the same text wherever it runs; 80 is what a reader's terminal gives.
PIPE_WIDTH = 80


def wants_color(flag_off: bool) -> bool:
    """Color unless `--no-color` was given or NO_COLOR is set to anything (https://no-color.org)."""
    return not flag_off and not os.environ.get("NO_COLOR")


def console(*, color: bool, file: IO[str] | None = None, width: int | None = None) -> Console:
    """A Console writing to `file` (stdout): no escape code at all without `color`.

    rich's own `no_color` still writes bold and underline; a Console with no
    terminal and no color system writes none. On a terminal the width is the
    terminal's, else `width` (80 by default); long cells wrap, never cut.
    """
    out = file or sys.stdout
    terminal = out.isatty()
    return Console(
        file=out,
        width=width or (None if terminal else PIPE_WIDTH),
        color_system="auto" if color and terminal else None,
        force_terminal=color and terminal,
        no_color=not color,
        # text from rule files and requests is printed as it is: `[x]` is no style to rich here
        markup=False,
        highlight=False,
        emoji=False,
        soft_wrap=False,
    )



def show(out: Console, renderable: RenderableType) -> None:
    """Print `renderable` without the spaces rich pads each line with, so that text copied from a
    terminal, a log or a golden file has no trailing blanks."""
    with out.capture() as captured:
        out.print(renderable)
    text = "\n".join(line.rstrip() for line in captured.get().splitlines())
    out.file.write(text + "\n")
