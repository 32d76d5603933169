"""JSON Lines read a block of whole lines at a time, and each block split into its numbered requests.

Reading a portfolio a line at a time (`readline`) cost a process that hands lines to
`--jobs` workers a microsecond a line, and each line then went to a worker as an object
of its own: a fifth of what the run did besides deciding. A block is read as one piece
(`read1`, so a pipe fed a line at a time yields that line at once), cut after its last
whole line, and goes to a worker as one bytes object; the worker splits it
(`numbered`), by the same rules the run applies when it reads its lines itself.

A line is its bytes and newline. Every line is one request: a blank one is the Q104
error, one of more than `most` bytes (its newline not counted) the Q201 error, read no
further than needed to know it; one that runs on past `SKIP_AT_MOST` times `most` is no
JSON Lines file (a device, a stream with no newline), and the reading stops there.
"""

from __future__ import annotations

import os
import select
import stat
from collections.abc import Callable, Iterator
from typing import IO

from mespolicy.model.request import RequestError, too_big
from mespolicy.portfolio.answers import Payload

# file name, the number of its first line, how many lines, the lines
Block = tuple[str, int, int, bytes]
# what `blocks` yields before a read of a pipe or a terminal that would wait for its data:
# a reader that holds answers must give them now, for the program feeding it may be waiting
# for them before it sends more
WAITING = None

BLOCK_BYTES = 1 << 18
# a block holds at most this many lines: the answers to a block are made and held at once
BLOCK_LINES = 1024
SKIP_AT_MOST = 64


def blocks(
    name: str, stream: IO[bytes], most: int, size: int = BLOCK_BYTES
) -> Iterator[Block | None]:
    """The stream's whole lines, a block of at most `size` bytes or `BLOCK_LINES` lines
    at a time (as a read gives them; a block may run on to end its last line).

    Memory is bounded by `most` and `size`: of a line over `most` bytes only its first
    `most + 1` are kept, as a block of that one line, which `numbered` refuses. An OSError
    (a failed read, or a line that never ends) is raised after the blocks before it. A line
    that ends within the bytes of one read is refused, however long; one that runs on
    through reads stops the reading past `SKIP_AT_MOST` times `most` bytes.
    """
    read: Callable[[int], bytes] = getattr(stream, "read1", stream.read)
    ready = _ready_check(stream)
    number = 1
    held: list[bytes] = []  # the start of a line not yet ended
    held_bytes = 0
    data = b""
    while True:
        if not data and ready is not None and not ready():
            yield WAITING
        data = data or read(size)
        if not data:
            if held:
                yield name, number, 1, b"".join(held)
            return
        end = data.rfind(b"\n")
        if end >= 0:
            lines = b"".join([*held, data[: end + 1]]) if held else data[: end + 1]
            for count, part in _at_most(lines, BLOCK_LINES):
                yield name, number, count, part
                number += count
            held, held_bytes = [], 0
            data = data[end + 1 :]
        if data:
            held.append(data)
            held_bytes += len(data)
            data = b""
            if len(held) > 64:  # a stream that gives a few bytes a read: one piece, not thousands
                held = [b"".join(held)]
        if held_bytes > most:
            yield name, number, 1, b"".join(held)[: most + 1]
            data = _after_line(read, size, number, most, held_bytes - most - 1)
            number += 1
            held, held_bytes = [], 0


def _at_most(lines: bytes, most: int) -> Iterator[tuple[int, bytes]]:
    """Whole lines in pieces of at most `most` lines, with how many each holds."""
    count = lines.count(b"\n")
    start = 0
    while count > most:
        end = start
        for _ in range(most):
            end = lines.index(b"\n", end) + 1
        yield most, lines[start:end]
        start, count = end, count - most
    yield count, lines[start:] if start else lines


def _ready_check(stream: IO[bytes]) -> Callable[[], bool] | None:
    """Whether a read of `stream` would give data at once, for a pipe, a terminal or a socket
    (where a read may wait for what is yet to be sent); None for a file, which never waits."""
    try:
        fd = stream.fileno()
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
    except (OSError, ValueError, AttributeError):  # an in-memory stream holds all it will give
        return None
    if regular:
        return None
    if os.name != "posix":  # no select() of pipes: say every read may wait
        return lambda: False
    return lambda: bool(select.select([fd], [], [], 0)[0])


def _after_line(read: Callable[[int], bytes], size: int, number: int, most: int, skipped: int) -> bytes:
    """What follows the end of an over-long line (nothing at the end of the stream); an
    OSError when the line runs on too far."""
    while True:
        if skipped > SKIP_AT_MOST * most:
            raise OSError(f"line {number} runs on past {SKIP_AT_MOST * most + most} bytes without ending")
        data = read(size)
        if not data:
            return b""
        end = data.find(b"\n")
        if end >= 0:
            return data[end + 1 :]
        skipped += len(data)


def numbered(first: int, lines: bytes, most: int) -> list[tuple[int, Payload]]:
    """Each line of a block with its number: its bytes, or why it is no request to read."""
    parts = lines.split(b"\n")
    ended = parts[-1] == b""  # the block's last line has its newline
    if ended:
        parts.pop()
    found: list[tuple[int, Payload]] = []
    last = len(parts) - 1
    for index, line in enumerate(parts):
        payload: Payload
        if len(line) > most:
            payload = too_big(most, what="line")
        elif not line.strip():
            payload = RequestError("<json>", _BLANK, code="Q104")
        else:
            payload = line + b"\n" if ended or index < last else line
        found.append((first + index, payload))
    return found


_BLANK = "a blank line is not a request (JSON Lines holds one request a line)"
