"""`decide --jsonl --jobs N`: worker processes, answers in input order, bounded reading, no lost line."""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
import select
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest

from mespolicy.identity import content_hash
from mespolicy.limits import DEFAULT as DEFAULT_LIMITS
from mespolicy.policy import Policy
from mespolicy.portfolio import jobs
from mespolicy.portfolio.answers import Payload, answer_line, answer_lines
from mespolicy.portfolio.jobs import PolicySource, WorkerPolicyError, decide_in_workers, default_jobs
from mespolicy.portfolio.lines import Block, numbered

DECIDE = functools.partial(answer_line, trace=False)
DECIDE_LINES = functools.partial(answer_lines, trace=False)


def _source(policy: Policy, hash: str | None = None) -> PolicySource:
    return PolicySource(None, DEFAULT_LIMITS, (), {}, hash or content_hash(policy.checked.files))


def _blocks(lines: list[str], read: list[int] | None = None, size: int = 7) -> Iterator[Block]:
    """The lines in blocks of `size`, as the run reads them; `read` gets each line number read."""
    for start in range(0, len(lines), size):
        part = lines[start : start + size]
        if read is not None:
            read.extend(range(start + 1, start + len(part) + 1))
        yield "portfolio.jsonl", start + 1, len(part), "".join(line + "\n" for line in part).encode()


def _read(lines: list[str]) -> list[tuple[int, Payload]]:
    """The lines as the run reads them: a blank one is refused before any reading of JSON."""
    return numbered(1, "".join(line + "\n" for line in lines).encode(), DEFAULT_LIMITS.request_bytes)


def _lines(found: list[jobs.Answered]) -> list[str]:
    """Each line's answer text, from the blocks' answers."""
    texts = [text if isinstance(text, str) else text.decode("utf-8") for *_, text, _ in found]
    return [line for text in texts for line in text.split("\n")]


def test_answers_come_in_input_order_as_the_run_itself_gives_them(
    shipped: Policy, portfolio_jsonl: str
) -> None:
    lines = portfolio_jsonl.splitlines()[:700]
    found = list(decide_in_workers(_source(shipped), DECIDE_LINES, _blocks(lines), 2))
    expected = [DECIDE(shipped, payload, n) for n, payload in _read(lines)]
    assert _lines(found) == [answer for answer, _ in expected]
    assert sum(failed for *_, failed in found) == sum(failed for _, failed in expected) > 0
    assert [(first, last) for _, first, last, _, _ in found] == [
        (n, min(n + 6, 700)) for n in range(1, 701, 7)
    ]


def test_reading_runs_at_most_so_many_chunks_ahead_of_the_answers(
    shipped: Policy, portfolio_jsonl: str
) -> None:
    lines = portfolio_jsonl.splitlines() * 10
    read: list[int] = []
    answers = decide_in_workers(_source(shipped), DECIDE_LINES, _blocks(lines, read), 2)
    next(answers)
    ahead = (2 * jobs.CHUNKS_PER_JOB + 1) * 7
    assert len(read) <= ahead < len(lines)
    answers.close()


def test_a_read_error_comes_after_the_answers_to_every_line_read_before_it(
    shipped: Policy, portfolio_jsonl: str
) -> None:
    lines = portfolio_jsonl.splitlines()[:300]

    def failing() -> Iterator[Block]:
        yield from _blocks(lines)
        raise OSError("the disk went away")

    answered: list[jobs.Answered] = []
    with pytest.raises(OSError, match="the disk went away"):
        for item in decide_in_workers(_source(shipped), DECIDE_LINES, failing(), 2):
            answered.append(item)
    assert len(_lines(answered)) == 300 and answered[-1][2] == 300


def test_a_worker_under_another_policy_stops_the_run(shipped: Policy) -> None:
    source = _source(shipped, hash="sha256:" + "0" * 64)
    with pytest.raises(WorkerPolicyError, match="rule files changed"):
        list(decide_in_workers(source, DECIDE_LINES, _blocks(['{"action": "renew"}']), 2))


def test_each_line_of_a_block_whose_worker_died_gets_an_error_in_its_place() -> None:
    died: Future[tuple[bytes, int]] = Future()
    died.set_exception(MemoryError("killed"))
    answered = jobs._answered(("p.jsonl", 7, 2, b"{}\n{}\n"), died)
    assert answered[:3] == ("p.jsonl", 7, 8) and answered[4] == 2
    errors = [json.loads(answer)["error"] for answer in _lines([answered])]
    assert [(e["line"], e["code"]) for e in errors] == [(7, "E999"), (8, "E999")]
    assert "worker process" in errors[0]["message"]


def test_one_process_for_stdin_and_small_files_every_core_for_big_ones(tmp_path: Path) -> None:
    small = tmp_path / "small.jsonl"
    small.write_text("{}\n")
    big = tmp_path / "big.jsonl"
    with big.open("wb") as stream:
        stream.truncate(jobs.PARALLEL_FROM_BYTES)
    assert default_jobs((Path("-"),)) == 1
    assert default_jobs((small,)) == 1
    assert default_jobs((big,)) == (os.cpu_count() or 1)
    assert default_jobs((big, Path("-"))) == 1


def test_jobs_keeps_the_exit_status_and_the_explained_answers(tmp_path: Path) -> None:
    path = tmp_path / "two.jsonl"
    request = Path("examples/renew-late.json").read_text(encoding="utf-8")
    path.write_text(json.dumps(json.loads(request)) + "\nnot json\n", encoding="utf-8")
    runs = [
        subprocess.run(
            [
                sys.executable,
                "-c",
                "from mespolicy.cli import main; main()",
                "decide",
                "--jsonl",
                "--explain",
                *j,
                str(path),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        for j in (["--jobs", "1"], ["--jobs", "2"])
    ]
    assert [run.returncode for run in runs] == [1, 1]
    assert runs[0].stdout == runs[1].stdout
    first, second = runs[1].stdout.splitlines()
    assert json.loads(first)["outcome"] in ("approved", "rejected")
    assert json.loads(second)["error"]["line"] == 2


def test_the_progress_bar_shows_only_for_files_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text("{}\n{}\n", encoding="utf-8")
    items = list(_blocks(["{}", "{}"]))
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    plain = iter(items)
    assert jobs.progress(plain, (path,), True, jobs.block_size) is plain
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    piped = iter(items)
    assert jobs.progress(piped, (Path("-"),), True, jobs.block_size) is piped
    shown = jobs.progress(iter(items), (path,), True, jobs.block_size)
    assert list(shown) == items


@pytest.mark.parametrize("jobs", [[], ["--jobs", "2"]])
def test_a_program_feeding_a_pipe_a_line_at_a_time_gets_each_answer_before_sending_the_next(
    jobs: list[str],
) -> None:
    # the guide's promise for standard input: each answer comes as soon as its line does
    request = json.dumps(json.loads(Path("examples/renew-late.json").read_text(encoding="utf-8")))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # block-buffered stdout
    run = subprocess.Popen(
        [sys.executable, "-c", "from mespolicy.cli import main; main()", "decide", "--jsonl", *jobs, "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert run.stdin is not None and run.stdout is not None
    try:
        for line in (request, "not json", request):
            run.stdin.write(line.encode() + b"\n")
            run.stdin.flush()
            ready, _, _ = select.select([run.stdout], [], [], 60)
            assert ready, f"no answer to {line[:20]!r} while the pipe stays open"
            answer = json.loads(run.stdout.readline())
            assert ("error" in answer) == (line == "not json")
    finally:
        run.stdin.close()
        run.wait(timeout=60)
    assert run.returncode == 1


def test_a_fifo_or_dev_stdin_is_streamed_and_a_file_is_not(tmp_path: Path) -> None:
    from mespolicy.cli import _streamed

    fifo = tmp_path / "requests.fifo"
    os.mkfifo(fifo)
    plain = tmp_path / "requests.jsonl"
    plain.write_text("{}\n", encoding="utf-8")
    assert _streamed((fifo,)) and _streamed((plain, fifo))
    assert not _streamed((plain,))


def test_a_run_called_with_arguments_leaves_its_hosts_garbage_collection_as_it_was() -> None:
    # only the program itself (reading sys.argv) freezes what it loaded: a host calling the
    # command, as a test does, keeps every object collectable
    import gc

    from click.testing import CliRunner

    from mespolicy.cli import main

    frozen = gc.get_freeze_count()
    request = json.loads(Path("examples/renew-late.json").read_text(encoding="utf-8"))
    result = CliRunner().invoke(main, ["decide", "--jsonl", "-"], input=json.dumps(request) + "\n")
    assert result.exit_code == 0 and json.loads(result.stdout)["outcome"] == "approved"
    assert gc.get_freeze_count() == frozen


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork here")
def test_forked_workers_decide_by_the_policy_the_run_loaded(shipped: Policy, portfolio_jsonl: str) -> None:
    # a policy only this process holds: workers that loaded the source themselves would decide otherwise
    loaded = shipped.with_overrides({"reinstatement_fee_rate": "20%"})
    lines = portfolio_jsonl.splitlines()[:300]
    source = _source(loaded)
    answers = decide_in_workers(source, DECIDE_LINES, _blocks(lines), 2, loaded)
    taken = [next(answers)]
    assert list(jobs._INHERITED.values()) == [loaded]  # held for this run's workers while it runs
    found = _lines(taken + list(answers))
    assert found == [DECIDE(loaded, payload, n)[0] for n, payload in _read(lines)]
    assert found != [DECIDE(shipped, payload, n)[0] for n, payload in _read(lines)]
    assert not jobs._INHERITED  # the run's policy is not kept past the run
