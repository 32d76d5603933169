"""Lines answered a chunk at a time, stage by stage: each answer is the one its line gets alone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from mespolicy.cli import main
from mespolicy.model.decision import Decision, decision_to_json
from mespolicy.model.facts import Facts
from mespolicy.model.request import too_big
from mespolicy.policy import Policy
from mespolicy.portfolio import answers, jobs
from mespolicy.portfolio.answers import CHUNK_BYTES, Payload, answer_line, answer_lines
from mespolicy.portfolio.arrow import DecisionRows

EXAMPLES = Path(__file__).parents[2] / "examples"


def _chunk(portfolio_jsonl: str) -> list[tuple[int | None, Payload]]:
    lines: list[tuple[int | None, Payload]] = [
        (n, (line + "\n").encode()) for n, line in enumerate(portfolio_jsonl.splitlines()[:120], 1)
    ]
    lines[10] = (11, too_big(100, what="line"))
    lines[20] = (21, b'{"action": "no_such_action", "date": "2026-01-01", "ref": "R21"}\n')
    return lines


def test_a_chunk_gets_the_answers_its_lines_get_one_at_a_time(shipped: Policy, portfolio_jsonl: str) -> None:
    lines = _chunk(portfolio_jsonl)
    found = answer_lines(shipped, lines, trace=False)
    assert found == [answer_line(shipped, payload, line, False) for line, payload in lines]
    decided = 0
    for (line, payload), (text, failed) in zip(lines, found, strict=True):
        if failed:
            assert json.loads(text)["error"]["line"] == line
            continue
        decided += 1
        assert isinstance(payload, bytes)
        alone = decision_to_json(shipped.decide(shipped.read_json(payload)), trace=False)
        assert text == orjson.dumps(alone).decode()
    refused = [json.loads(text)["error"] for text, failed in found if failed]
    assert {"Q101", "Q201"} <= {e["code"] for e in refused}
    assert any(e["line"] == 21 and e["ref"] == "R21" for e in refused)  # refused by decide, ref kept
    assert decided > 100


class _Failing:
    """The shipped policy, but deciding the request whose ref is `ref` fails as a bug would."""

    def __init__(self, policy: Policy, ref: str) -> None:
        self.policy = policy
        self.ref = ref

    def read_json(self, text: bytes) -> Facts:
        return self.policy.read_json(text)

    def decide(self, request: Facts) -> Decision:
        if request.ref == self.ref:
            raise KeyError("a bug")
        return self.policy.decide(request)


def _refs(portfolio_jsonl: str) -> list[tuple[int, bytes, str]]:
    """The portfolio's lines that are JSON objects, each given the ref R<line>."""
    found = []
    for n, line in enumerate(portfolio_jsonl.splitlines()[:60], 1):
        try:
            request = json.loads(line)
        except ValueError:
            continue
        found.append((n, json.dumps({**request, "ref": f"R{n}"}).encode() + b"\n", f"R{n}"))
    return found


def test_a_line_that_fails_in_a_later_stage_is_answered_on_its_own_line(
    shipped: Policy, portfolio_jsonl: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    refs = _refs(portfolio_jsonl)
    lines: list[tuple[int | None, Payload]] = [(n, payload) for n, payload, _ in refs]
    decidable = [(n, ref) for n, payload, ref in refs if not answer_line(shipped, payload, n, False)[1]]
    (undecided_line, undecided), (unwritten_line, unwritten) = decidable[3], decidable[7]
    to_json = decision_to_json

    def unwritable(decision: Decision, trace: bool = True) -> dict[str, Any]:
        if decision.ref == unwritten:
            raise ValueError("cannot be written")
        return to_json(decision, trace=trace)

    monkeypatch.setattr(answers, "decision_to_json", unwritable)
    found = answer_lines(_Failing(shipped, undecided), lines, trace=False)  # type: ignore[arg-type]
    failed = {json.loads(text)["error"]["ref"]: json.loads(text)["error"] for text, bad in found if bad}
    assert failed[undecided]["code"] == failed[unwritten]["code"] == "E999"
    assert failed[undecided]["line"] == undecided_line
    assert failed[unwritten]["line"] == unwritten_line
    assert "KeyError" in failed[undecided]["message"]
    assert "cannot be written" in failed[unwritten]["message"]
    for (line, payload), (text, bad) in zip(lines, found, strict=True):
        if not bad:
            assert text == answer_line(shipped, payload, line, False)[0]


def _items(sizes: list[int]) -> Iterator[jobs.Item]:
    for n, size in enumerate(sizes, 1):
        yield "p.jsonl", n, b"x" * size


def test_a_chunk_ends_at_so_many_lines_or_bytes_and_a_long_line_goes_alone() -> None:
    by_lines = [len(c) for c in jobs.chunks(_items([10] * 600), 256) if isinstance(c, list)]
    assert by_lines == [256, 256, 88]
    big = CHUNK_BYTES // 2 - 1
    chunks = jobs.chunks(_items([big] * 5 + [3 * CHUNK_BYTES, 5]), 256)
    by_bytes = [len(c) for c in chunks if isinstance(c, list)]
    assert by_bytes == [2, 2, 1, 1, 1]  # the long line alone, and a line after it starts a chunk
    streamed = jobs.chunks(_items([10] * 3), 1)
    assert [len(c) for c in streamed if isinstance(c, list)] == [1, 1, 1]  # a line each


@pytest.mark.parametrize("stop", [OSError("the disk went away"), SystemExit(2)])
def test_what_stops_the_reading_comes_after_the_chunk_read_before_it(stop: BaseException) -> None:
    def stopping() -> Iterator[jobs.Item]:
        yield from _items([10] * 300)
        raise stop

    found = list(jobs.chunks(stopping(), 256))
    assert [len(c) if isinstance(c, list) else c for c in found] == [256, 44, stop]


def test_ctrl_c_while_reading_stops_at_once() -> None:
    def interrupted() -> Iterator[jobs.Item]:
        yield from _items([10] * 3)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        list(jobs.chunks(interrupted(), 256))


def test_with_jobs_a_file_that_cannot_be_opened_comes_after_the_answers_to_the_files_before_it(
    tmp_path: Path,
) -> None:
    portfolio = EXAMPLES / "portfolio.jsonl"
    missing = tmp_path / "missing.jsonl"
    result = CliRunner().invoke(main, ["decide", "--jsonl", "--jobs", "2", str(portfolio), str(missing)])
    assert result.exit_code == 2
    assert len(result.stdout.splitlines()) == len(portfolio.read_text().splitlines())
    assert "missing.jsonl: cannot read" in result.stderr


def test_an_arrow_row_a_bug_refused_is_counted_refused_in_its_place(
    shipped: Policy, portfolio: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    requests = [{**request, "ref": f"R{n}"} for n, request in enumerate(portfolio[:40], 1)]
    decide = Policy.decide

    def failing(self: Policy, request: object) -> Decision:
        if getattr(request, "ref", None) == "R7":
            raise KeyError("a bug")
        return decide(self, request)

    monkeypatch.setattr(Policy, "decide", failing)
    rows = DecisionRows(shipped)
    for n, request in enumerate(requests, 1):
        rows.add(n, request)
    assert len(rows) == 40
    found = rows.batch().to_pylist()
    errors = [row for row in found if row["error"] is not None]
    assert rows.failures == len(errors)
    (bug,) = [row for row in errors if row["error"]["code"] == "E999"]
    assert (bug["line"], bug["ref"]) == (7, "R7")
    assert [row["line"] for row in found] == list(range(1, 41))
