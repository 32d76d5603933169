"""JSON Lines read a block at a time and split into numbered requests, by the rules of a line at a time."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mespolicy.model.request import RequestError
from mespolicy.portfolio.answers import Payload
from mespolicy.portfolio.lines import BLOCK_LINES, SKIP_AT_MOST, Block, blocks, numbered

Read = list[tuple[int, bytes | tuple[str, str]]]


def _a_line_at_a_time(data: bytes, most: int) -> Read:
    """The rules of a JSON Lines file read a line at a time, as `decide --jsonl` first read it."""
    stream = io.BytesIO(data)
    found: Read = []
    number = 0
    while line := stream.readline(most + 1):
        number += 1
        if len(line) > most and not line.endswith(b"\n"):
            found.append(
                (number, ("Q201", f"the line is over {most} bytes; at most {most} (limit request_bytes)"))
            )
            while (rest := stream.readline(1 << 16)) and not rest.endswith(b"\n"):
                pass
        elif not line.strip():
            message = "a blank line is not a request (JSON Lines holds one request a line)"
            found.append((number, ("Q104", message)))
        else:
            found.append((number, line))
    return found


class _Trickle(io.RawIOBase):
    """A stream that gives at most `most` bytes a read, as a pipe may."""

    def __init__(self, data: bytes, most: int) -> None:
        self.data, self.most = data, most

    def readable(self) -> bool:
        return True

    def read1(self, size: int = -1) -> bytes:
        taken, self.data = self.data[: min(size, self.most)], self.data[min(size, self.most) :]
        return taken


def _whole(found: Iterator[Block | None]) -> Iterator[Block]:
    """The blocks of a stream that holds all it will give: never a read that waits."""
    for block in found:
        assert block is not None
        yield block


def _shown(payload: Payload) -> bytes | tuple[str, str]:
    return (payload.code, payload.message) if isinstance(payload, RequestError) else payload


def _in_blocks(
    data: bytes, most: int, size: int, trickle: int
) -> Iterator[tuple[int, bytes | tuple[str, str]]]:
    expected_first = 1
    for name, first, count, lines in _whole(blocks("p.jsonl", _Trickle(data, trickle), most, size)):  # type: ignore[arg-type]
        assert name == "p.jsonl" and first == expected_first and count >= 1
        found = numbered(first, lines, most)
        assert len(found) == count
        expected_first += count
        for number, payload in found:
            yield number, _shown(payload)


LINE = st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"x")) | st.sampled_from(
    [b"", b"  ", b"\r", b"{}"]
)


@given(
    lines=st.lists(LINE, max_size=30),
    ended=st.booleans(),
    most=st.integers(1, 24),
    size=st.integers(1, 64),
    trickle=st.integers(1, 64),
)
def test_blocks_read_as_a_line_at_a_time_did(
    lines: list[bytes], ended: bool, most: int, size: int, trickle: int
) -> None:
    data = b"\n".join(lines) + (b"\n" if ended and lines else b"")
    assert list(_in_blocks(data, most, size, trickle)) == _a_line_at_a_time(data, most)


def test_a_block_holds_whole_lines_of_about_the_size_asked() -> None:
    data = b"".join(b'{"n": %d}\n' % n for n in range(10_000))
    found = list(_whole(blocks("p.jsonl", io.BufferedReader(io.BytesIO(data)), 1000, 4096)))
    longest = max(len(line) for line in data.splitlines(keepends=True))
    # a read's whole lines and the start of the line it cut, which ends in the next read
    assert all(lines.endswith(b"\n") and len(lines) < 4096 + longest for *_, lines in found)
    assert len(found) < 2 * len(data) / 4096
    assert b"".join(lines for *_, lines in found) == data
    assert sum(count for _, _, count, _ in found) == 10_000


def test_an_over_long_line_is_held_no_further_than_the_limit() -> None:
    most = 100
    data = b"{}\n" + b"x" * (10 * most) + b"\n{}\n"
    found = list(_whole(blocks("p.jsonl", io.BytesIO(data), most, 16)))
    assert [(first, count, len(lines)) for _, first, count, lines in found] == [
        (1, 1, 3),
        (2, 1, most + 1),
        (3, 1, 3),
    ]
    assert [_shown(p)[0] for _, p in numbered(2, found[1][3], most)] == ["Q201"]


def test_a_line_that_never_ends_stops_the_reading_after_the_lines_before_it() -> None:
    most = 10
    data = b"{}\n" + b"x" * (SKIP_AT_MOST * most + 2 * most)
    read = _whole(blocks("p.jsonl", io.BytesIO(data), most, 32))
    assert next(read)[1:3] == (1, 1)
    assert next(read)[1:3] == (2, 1)  # answered Q201, then
    with pytest.raises(OSError, match="line 2 runs on past"):
        next(read)


def test_a_block_of_many_short_lines_is_cut_at_so_many_lines() -> None:
    # the answers to a block are held at once: a file of blank lines must not make them many
    data = b"\n" * (3 * BLOCK_LINES + 5)
    found = list(_whole(blocks("p.jsonl", io.BytesIO(data), 10)))
    assert [(first, count) for _, first, count, _ in found] == [
        (1, BLOCK_LINES),
        (BLOCK_LINES + 1, BLOCK_LINES),
        (2 * BLOCK_LINES + 1, BLOCK_LINES),
        (3 * BLOCK_LINES + 1, 5),
    ]
    assert all(lines == b"\n" * count for _, _, count, lines in found)


def test_before_a_read_of_a_pipe_that_would_wait_the_reader_is_told() -> None:
    # a program feeding a pipe a line at a time waits for each answer before it sends the next
    read_end, write_end = os.pipe()
    with open(read_end, "rb") as stream:
        os.write(write_end, b'{"a": 1}\n{"a"')
        found = blocks("p.jsonl", stream, 100)
        assert next(found) == ("p.jsonl", 1, 1, b'{"a": 1}\n')
        assert next(found) is None  # all it holds is read: the next read would wait
        os.write(write_end, b": 2}\n")
        assert next(found) == ("p.jsonl", 2, 1, b'{"a": 2}\n')
        os.close(write_end)
        assert list(found) == []  # the pipe has ended: no read waits
