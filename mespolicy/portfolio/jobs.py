"""Decide a JSON Lines run in worker processes (`decide --jsonl --jobs N`), answers in input order.

A worker forked from the run decides by the policy the run loaded; one started
otherwise (spawned) loads the policy once, from the same folder, limits,
libraries and `--set` values as the run, and checks that its rule files hash as
the run's did, so no worker decides under another policy. Lines go out in blocks
(`mespolicy.portfolio.lines`); at most `jobs * 4` blocks are in flight, so memory
stays flat whatever the input's size. A worker answers its block's lines by the
run's own function of a chunk (`mespolicy.portfolio.answers`), as a run in one
process does here; a worker that dies leaves each line of its block an E999 error
object, never a lost line.
"""

from __future__ import annotations

import collections
import contextlib
import gc
import itertools
import multiprocessing
import os
import sys
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, TypeVar

import attrs

from mespolicy.errors import MespolicyError
from mespolicy.identity import content_hash
from mespolicy.limits import Limits
from mespolicy.portfolio.answers import CHUNK_BYTES, CHUNK_LINES, Answer, Payload
from mespolicy.portfolio.lines import Block, numbered

# (file name, line, payload) as the run reads them
Item = tuple[str, int | None, Payload]
# as the run writes them: (file name, first line, last line, the answers, how many refused);
# the answer to one line as its text, the answers to a block of lines as UTF-8, a line each
Answered = tuple[str, int | None, int | None, str | bytes, int]
# the answers to a chunk of lines (number, payload), in order (`answers.answer_lines`)
DecideLines = Callable[[Any, list[tuple[int | None, Payload]]], list[Answer]]

CHUNKS_PER_JOB = 4
T = TypeVar("T")
# below this many bytes of input, a run started without --jobs stays in one process:
# starting workers costs about what its first two thousand lines take
PARALLEL_FROM_BYTES = 4 << 20


@attrs.frozen
class PolicySource:
    """What a worker needs to load the run's policy itself: pickled once per worker, not per line."""

    folder: Path | None
    limits: Limits
    libraries: tuple[Path, ...]
    overrides: Mapping[str, str]
    hash: str


def default_jobs(paths: Iterable[Path]) -> int:
    """Workers for a run without --jobs: one process for stdin or small files, else every core."""
    total = 0
    for path in paths:
        if str(path) == "-":
            return 1  # a pipe may be fed a line at a time: answer each as it comes
        try:
            total += path.stat().st_size
        except OSError:
            return 1  # the run itself says the file cannot be read
    return (os.cpu_count() or 1) if total >= PARALLEL_FROM_BYTES else 1


def decide_here(
    policy: Any, decide_lines: DecideLines, items: Iterator[Item], chunk_lines: int = CHUNK_LINES
) -> Generator[Answered, None, None]:
    """The answer to each item, in order, decided in this process a chunk at a time.

    What reading `items` raises (an OSError, the SystemExit of a file that cannot be opened) is
    raised after every line read before it has been answered.
    """
    for chunk in chunks(items, chunk_lines):
        if isinstance(chunk, BaseException):
            raise chunk
        for (name, line, _), (answer, failed) in zip(
            chunk, decide_lines(policy, [(line, payload) for _, line, payload in chunk]), strict=True
        ):
            yield name, line, line, answer, failed


def decide_in_workers(
    source: PolicySource,
    decide_lines: DecideLines,
    blocks: Iterator[Block | None],
    jobs: int,
    loaded: Any = None,
) -> Generator[Answered, None, None]:
    """The answers to each block of lines, in the order of `blocks`, decided by `jobs` worker processes.

    A block goes to a worker as it was read, and its answers come back as one UTF-8 text:
    this process, which reads and writes for all the workers, spends no time on a line of its
    own (it had spent 0.45 s of CPU per 100,000 lines, taken from the workers' two cores).

    Workers forked from this process decide by `loaded`, the run's policy as this process
    loaded it (`source` must name it), which they find in their copy of its memory: loading
    it again cost each worker 0.05 s of CPU (some 800 lines' deciding) while the run waited
    for its first answers. Workers started otherwise (spawned, where there is no fork) load
    `source`.

    What reading `blocks` raises (an OSError, the SystemExit of a file that cannot be opened) is
    raised after every line read before it has been answered.
    """
    fork = "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if fork else "spawn")
    run = next(_RUNS)  # this call's own key: two runs of one process never share a policy
    if fork and loaded is not None:
        _INHERITED[run] = loaded
    start = (source, decide_lines, run)
    pending: collections.deque[tuple[Block, Future[tuple[bytes, int]]]] = collections.deque()
    pool = ProcessPoolExecutor(jobs, context, initializer=_start_worker, initargs=start)
    try:
        for block in _until_stopped(blocks):
            if isinstance(block, BaseException):
                while pending:
                    yield _answered(*pending.popleft())
                raise block
            if block is None:  # the next read waits: the program may be waiting for these answers
                while pending:
                    yield _answered(*pending.popleft())
                continue
            while len(pending) >= jobs * CHUNKS_PER_JOB:
                yield _answered(*pending.popleft())
            _, first, _, lines = block
            try:
                future = pool.submit(_decide_block, first, lines)
            except BrokenProcessPool:  # a worker died: the next blocks go to a new pool
                pool.shutdown(cancel_futures=True)
                pool = ProcessPoolExecutor(jobs, context, initializer=_start_worker, initargs=start)
                future = pool.submit(_decide_block, first, lines)
            pending.append((block, future))
        while pending:
            yield _answered(*pending.popleft())
    finally:
        pool.shutdown(cancel_futures=True)
        _INHERITED.pop(run, None)


class WorkerPolicyError(MespolicyError):
    """A worker could not load the run's policy, or loaded another one: the run cannot go on (E103)."""

    code = "E103"


def chunks(items: Iterator[Item], most: int = CHUNK_LINES) -> Iterator[list[Item] | BaseException]:
    """Chunks of the items, of at most `most` lines and, but for a single line, `CHUNK_BYTES`
    bytes; an error reading them (any but Ctrl-C) comes last, after the chunk read before it."""
    chunk: list[Item] = []
    size = 0
    for item in _until_stopped(items):
        if isinstance(item, BaseException):
            if chunk:
                yield chunk
            yield item
            return
        payload = item[2]
        if isinstance(payload, bytes):
            if chunk and size + len(payload) > CHUNK_BYTES:
                yield chunk
                chunk, size = [], 0
            size += len(payload)
        chunk.append(item)
        if len(chunk) >= most:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _until_stopped(items: Iterator[T]) -> Iterator[T | BaseException]:
    """The items, then what stopped reading them (any error but Ctrl-C)."""
    try:
        yield from items
    except (Exception, SystemExit) as error:
        yield error


def _answered(block: Block, future: Future[tuple[bytes, int]]) -> Answered:
    name, first, count, _ = block
    try:
        answers, failed = future.result()
    except WorkerPolicyError:
        raise
    except Exception as error:  # the worker died (killed, out of memory): each line still gets its answer
        lost = [_lost(line, error) for line in range(first, first + count)]
        answers, failed = "\n".join(lost).encode("utf-8", "backslashreplace"), count
    return name, first, first + count - 1, answers, failed


def _lost(line: int, error: BaseException) -> str:
    import json

    message = f"internal error: the worker process deciding this line ended: {type(error).__name__}: {error}"
    answer = {"error": {"line": line, "code": "E999", "field": None, "message": message, "ref": None}}
    return json.dumps(answer, ensure_ascii=False)


def progress(
    items: Iterator[T], paths: tuple[Path, ...], jsonl: bool, size: Callable[[T], int]
) -> Iterator[T]:
    """`items` (lines or blocks of them, of `size` bytes), with a progress bar on stderr by bytes
    read when it is a terminal and the input is files."""
    shown = jsonl and bool(paths) and all(str(p) != "-" for p in paths) and sys.stderr.isatty()
    return _with_bar(items, paths, size) if shown else items


def line_size(item: Item) -> int:
    payload = item[2]
    return len(payload) if isinstance(payload, bytes) else 1


def block_size(block: Block | None) -> int:
    return 0 if block is None else len(block[3])


def _with_bar(items: Iterator[T], paths: tuple[Path, ...], size: Callable[[T], int]) -> Iterator[T]:
    from rich.console import Console
    from rich.progress import Progress

    total = 0
    for path in paths:
        with contextlib.suppress(OSError):
            total += path.stat().st_size
    # the bar ends with the items, or when the run stops reading them (the generator is closed)
    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("deciding", total=total or None)
        for item in items:
            bar.advance(task, size(item))
            yield item


# ---------------------------------------------------------------- in the worker

_WORKER: dict[str, Any] = {}
# the policy of each run deciding in workers forked from this process, by the run's key
_INHERITED: dict[int, Any] = {}
_RUNS = itertools.count()


def settle() -> None:
    """Keep what is loaded so far (the policy, its compiled code, the modules) out of every later
    garbage collection, in a process that decides a portfolio until it ends.

    Only for processes mespolicy's CLI owns (run as the program, and its workers), never a
    host's. The loaded policy is many thousand objects that live as long as the run; each
    full collection would walk them all again, a seventh of `decide --jsonl` on one core
    (134 against 116 us a line, 20k mixed requests). Garbage left from loading is collected
    first, so that none of it is kept for good.
    """
    gc.collect()
    gc.freeze()


def _start_worker(source: PolicySource, decide_lines: DecideLines, run: int) -> None:
    _WORKER["decide"] = decide_lines
    inherited = _INHERITED.get(run)
    try:
        _WORKER["policy"] = inherited if inherited is not None else load_source(source)
    except Exception as error:  # said by the first chunk: an initializer's error would only break the pool
        _WORKER["failed"] = f"{type(error).__name__}: {error}"
    settle()


def load_source(source: PolicySource) -> Any:
    """The policy `source` names, refused when its rule files no longer hash as the run's did."""
    from mespolicy.policy import load

    policy = load(source.folder, limits=source.limits, libraries=source.libraries)
    found = content_hash(policy.checked.files)
    if found != source.hash:
        raise WorkerPolicyError(
            f"the rule files changed while the run started workers: {found}, not {source.hash}"
        )
    return policy.with_overrides(source.overrides)


def _decide_block(first: int, lines: bytes) -> tuple[bytes, int]:
    """The answers to a block of lines, a line each, as UTF-8; how many of them were refused."""
    if "failed" in _WORKER:
        raise WorkerPolicyError(f"a worker could not load the policy: {_WORKER['failed']}")
    policy = _WORKER["policy"]
    requests = numbered(first, lines, policy.limits.request_bytes)
    texts: list[str] = []
    refused = 0
    for start in range(0, len(requests), CHUNK_LINES):
        answers: list[Answer] = _WORKER["decide"](policy, requests[start : start + CHUNK_LINES])
        for text, failed in answers:
            texts.append(text)
            refused += failed
    return "\n".join(texts).encode("utf-8"), refused
