"""The answer `decide --jsonl` writes for each request: its decision as JSON text, or its error object.

A run's lines are answered a chunk at a time and stage by stage: every request of the
chunk is read, then every one decided, then every decision written. Each stage's code
and data then stay in the processor's caches across the chunk; answering a line
through all three stages before the next, as a loop would, evicts them three times a
line, and costs a quarter more (71 against 55 us a line, 20k mixed requests, one core).

The answers are those of each line on its own: a line refused at any stage gets its
error object there and takes no further part, and nothing a line holds can fail
another line or the run.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from mespolicy.errors import MespolicyError
from mespolicy.model.decision import decision_to_json
from mespolicy.model.request import RequestError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from mespolicy.model.decision import Decision
    from mespolicy.model.facts import Facts
    from mespolicy.policy import Policy

# The payload of one request: its bytes, or why there are none to read (a line over the size limit).
Payload = bytes | RequestError
# one line's answer: its JSON text, and 1 when it was refused, 0 when decided
Answer = tuple[str, int]


# A chunk ends at this many lines, or before this many bytes of requests: long lines are
# not held many at a time (`jobs.chunks`, `arrow.DecisionRows`).
CHUNK_LINES = 256
CHUNK_BYTES = 1 << 20

L = TypeVar("L")  # how a line is numbered
P = TypeVar("P")  # what a line holds
T = TypeVar("T")  # what is made of it


def in_stages(
    policy: Policy,
    lines: Sequence[tuple[L, P]],
    read: Callable[[P], Facts],
    written: Callable[[L, Decision], T],
    refused: Callable[[Exception, L, Facts | None], T],
    explain: bool = False,
) -> list[T]:
    """What `written` makes of each line's decision, or `refused` of why it has none, in order:
    every line read, then every one decided, then every decision written."""
    done: list[T | None] = [None] * len(lines)
    requests: list[tuple[int, L, Facts]] = []
    for index, (line, payload) in enumerate(lines):
        try:
            requests.append((index, line, read(payload)))
        except Exception as error:
            done[index] = refused(error, line, None)
    decided: list[tuple[int, L, Facts, Decision]] = []
    for index, line, request in requests:
        try:
            decision = policy.explain(request).decision if explain else policy.decide(request)
            decided.append((index, line, request, decision))
        except Exception as error:
            done[index] = refused(error, line, request)
    del requests
    for index, line, request, decision in decided:
        # written inside the line's own error handling: nothing a decision holds can fail the run
        try:
            done[index] = written(line, decision)
        except Exception as error:
            done[index] = refused(error, line, request)
    return done  # type: ignore[return-value] # each line is done by one stage


def answer_lines(
    policy: Policy,
    lines: Sequence[tuple[int | None, Payload]],
    trace: bool,
    explain: bool = False,
    indent: int | None = None,
) -> list[Answer]:
    """The answer to each of `lines` (its number, its payload), in order: never an exception."""

    def read(payload: Payload) -> Facts:
        if isinstance(payload, RequestError):
            raise payload
        return policy.read_json(payload)

    def written(line: int | None, decision: Decision) -> Answer:
        return json_text(decision_to_json(decision, trace=trace), indent), 0

    def refused(error: Exception, line: int | None, request: Facts | None) -> Answer:
        return refusal(error, line, request, indent)

    return in_stages(policy, lines, read, written, refused, explain)


def answer_line(
    policy: Policy,
    payload: Payload,
    line: int | None,
    trace: bool,
    explain: bool = False,
    indent: int | None = None,
) -> Answer:
    """The answer to one request, as `answer_lines` gives it."""
    return answer_lines(policy, [(line, payload)], trace, explain, indent)[0]


def refusal(error: Exception, line: int | None, request: Facts | None, indent: int | None) -> Answer:
    """The error object of a line that could not be answered, as JSON text."""
    if isinstance(error, RequestError):
        error.line = line
        hinted(error, line)
        answer = error.error_object(line, error.ref or ref_of(request))
    elif isinstance(error, MespolicyError):
        answer = error.error_object(line, ref_of(request))
    else:  # a bug of ours must not end a portfolio run: reported on its line
        internal_error = {"line": line, "code": "E999", "field": None, "message": internal(error)}
        answer = {"error": {**internal_error, "ref": ref_of(request)}}
    return json_text(answer, indent), 1


def json_text(answer: dict[str, Any], indent: int | None) -> str:
    """JSON text, UTF-8 where it can be; a string no UTF-8 can hold (a lone surrogate) escaped.

    A line of JSON Lines is written by orjson (a third of the time of json.dumps); what orjson
    refuses (a lone surrogate, a whole number past 64 bits) and indented JSON go through json.
    """
    if indent is None:
        try:
            return orjson.dumps(answer).decode("utf-8")
        except orjson.JSONEncodeError:
            pass
    text = json.dumps(answer, indent=indent, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(answer, indent=indent, ensure_ascii=True)
    return text


# what the JSON reader says when a file holds a second value after the first
_EXTRA_DATA = ("Extra data", "trailing characters")


def hinted(error: RequestError, line: int | None) -> RequestError:
    """`error`, its message saying to use --jsonl when a request file holds more than one JSON value."""
    extra = any(sign in error.message for sign in _EXTRA_DATA) and "--jsonl" not in error.message
    if line is None and error.code == "Q101" and extra:
        error.message += " (the file holds more than one JSON value: for one request a line, use --jsonl)"
    return error


def internal(error: BaseException) -> str:
    return f"internal error: {type(error).__name__}: {error}"


def ref_of(request: Facts | None) -> str | None:
    return None if request is None else request.ref
