"""Figures 7-11: mespolicy against the lean hand-written reading (`benchmarks.lean`) on generated portfolios.

The portfolio files (`benchmarks.portfolio`, one per size) are written once per
run into a temporary folder. Before anything is timed, ``mespolicy decide
--jsonl`` and ``python -m benchmarks.lean`` answer every line of every file and
the answers are compared line by line (JSON-equal once ``trace`` is dropped; two
error objects agree whatever their wording); those runs also give the peak RSS.

7. Whole process: ``mespolicy decide --jsonl < N.jsonl > out`` against
   ``python -m benchmarks.lean < N.jsonl > out``, start included, taken in turn.
8. In process: ``policy.decide`` on requests read once against ``lean.decide`` on
   dicts already parsed.
9. Peak RSS of ``decide --jsonl`` at each size (flat means streaming).
10. ``decide --jsonl --jobs 2`` against ``--jobs 1``, when the CLI has ``--jobs``.
11. ``Policy.decide_arrow`` against the in-process path, when the policy has it.
"""

from __future__ import annotations

import compileall
import functools
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from itertools import islice, zip_longest
from pathlib import Path
from typing import Any, Protocol

import attrs

import mespolicy
from benchmarks import lean, portfolio
from benchmarks.measure import ROOT, environment, interleaved, loop
from mespolicy import Policy
from mespolicy.identity import identity_of
from mespolicy.model.request import RequestError

SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (300, 1_000)
WHOLE_PROCESS_SIZE = 100_000
IN_PROCESS_MOST = 10_000
SHOWN_DISAGREEMENTS = 5


class Table(Protocol):
    def add(self, figure: str, what: str, ours: str, baseline: str = "", ratio: str = "") -> None: ...


@attrs.frozen
class Child:
    """A finished child process: its wall time, peak resident memory (0: not measured), exit status."""

    seconds: float
    peak_rss: int
    status: int


@attrs.frozen
class Scale:
    """What figures 7-11 are run on: the sizes of the generated files, and how often each is timed."""

    sizes: tuple[int, ...]
    seed: int = portfolio.SEED
    repeat: int = 3
    in_process_repeat: int = 5

    def whole_process_size(self) -> int:
        """The size timed whole-process: 100k when asked for, else the largest below it (or the smallest)."""
        below = [s for s in self.sizes if s <= WHOLE_PROCESS_SIZE]
        return max(below) if below else min(self.sizes)


# Spawns the command, waits for it and writes its own peak RSS (KiB) as the last line of stderr.
# A child's ru_maxrss starts from the RSS of the process that forked it (Linux carries the old
# address space's high-water mark across exec), so the benchmark's own 50 MiB would be every
# child's floor; this small interpreter (-I -S: no site, no environment) keeps the floor at a few MiB.
_PEAK_RSS = """
import os, sys
pid = os.posix_spawnp(sys.argv[1], sys.argv[1:], os.environ)
_, status, usage = os.wait4(pid, 0)
sys.stderr.write(f"\\n{usage.ru_maxrss}\\n")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_child(command: Sequence[str], stdin: Path, stdout: Path, *, peak_rss: bool = False) -> Child:
    """Run ``command`` with a file on stdin and stdout: its wall time, and its peak RSS in bytes if asked.

    Exit status 1 is accepted: ``decide --jsonl`` ends so when some lines were refused, each
    with an error object. The peak comes from a small wrapper process, so the wall time is only
    meaningful without it.
    """
    run = [sys.executable, "-I", "-S", "-c", _PEAK_RSS, *command] if peak_rss else list(command)
    with open(stdin, "rb") as given, open(stdout, "wb") as out:
        start = time.perf_counter()
        done = subprocess.run(
            run, stdin=given, stdout=out, stderr=subprocess.PIPE, env=environment(), check=False
        )
        seconds = time.perf_counter() - start
    errors = done.stderr.decode(errors="replace").rstrip()
    peak = 0
    if peak_rss:
        errors, _, last = errors.rpartition("\n")
        peak = int(last) * 1024  # ru_maxrss is in KiB on Linux
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {errors.strip()}")
    return Child(seconds, peak, done.returncode)


def mespolicy_command(*options: str) -> list[str]:
    """``mespolicy decide --jsonl`` on stdin, as installed beside this interpreter (or by ``-m``)."""
    script = Path(sys.executable).parent / "mespolicy"
    start = [str(script)] if script.is_file() else [sys.executable, "-m", "mespolicy.cli"]
    return [*start, "decide", "--jsonl", *options, "-"]


def lean_command(policy_hash: str) -> list[str]:
    return [sys.executable, "-m", "benchmarks.lean", "--policy-hash", policy_hash]


@functools.cache
def decide_help() -> str:
    done = subprocess.run(
        [*mespolicy_command()[:-2], "--help"], capture_output=True, text=True, env=environment(), check=True
    )
    return done.stdout


def untraced() -> tuple[str, ...]:
    """``--no-trace`` while the CLI traces by default: the lean reading writes no trace."""
    return ("--no-trace",) if "--no-trace" in decide_help() else ()


def has_jobs() -> bool:
    return "--jobs" in decide_help()


# -- agreement


def _comparable(text: str) -> Any:
    data = json.loads(text)
    if isinstance(data, dict):
        data.pop("trace", None)
        if "error" in data:
            return "error"
    return data


def disagreements(requests: Path, ours: Path, theirs: Path) -> tuple[int, list[str]]:
    """Lines compared, and where the two answers differ: the first few in full (with the request),
    the others as empty strings, so they are counted; a missing line ends the comparison."""
    found: list[str] = []
    count = 0
    with (
        open(requests, encoding="utf-8") as asked,
        open(ours, encoding="utf-8") as a,
        open(theirs, encoding="utf-8") as b,
    ):
        for count, (request, mine, lean_answer) in enumerate(zip_longest(asked, a, b), 1):
            if request is None or mine is None or lean_answer is None:
                found.append(f"line {count}: the request, mespolicy's and lean's line counts differ")
                return count - 1, found
            if _comparable(mine) != _comparable(lean_answer):
                shown = len(found) < SHOWN_DISAGREEMENTS
                found.append(
                    f"line {count}: {request.strip()}\n    mespolicy: {mine.strip()}\n"
                    f"    lean:      {lean_answer.strip()}"
                    if shown
                    else ""
                )
    return count, found


@attrs.define
class Sized:
    """A generated file and what its agreement runs measured."""

    size: int
    path: Path
    mespolicy: Child | None = None
    lean: Child | None = None


def generate(scale: Scale, folder: Path) -> list[Sized]:
    files = []
    for size in scale.sizes:
        path = folder / f"portfolio-{size}.jsonl"
        portfolio.write(path, size, scale.seed)
        files.append(Sized(size, path))
    return files


def check_agreement(files: list[Sized], policy_hash: str, folder: Path) -> tuple[list[str], list[str]]:
    """Notes to print, and the disagreements found, after both readings answered every file."""
    notes, problems = [], []
    for item in files:
        ours, theirs = folder / f"mespolicy-{item.size}.jsonl", folder / f"lean-{item.size}.jsonl"
        item.mespolicy = run_child(mespolicy_command(*untraced()), item.path, ours, peak_rss=True)
        item.lean = run_child(lean_command(policy_hash), item.path, theirs, peak_rss=True)
        count, found = disagreements(item.path, ours, theirs)
        ours.unlink()
        theirs.unlink()
        shown = [f for f in found if f]
        problems.extend(shown)
        hidden = len(found) - len(shown)
        notes.append(
            f"lean agrees with decide --jsonl on {count - len(found)}/{item.size} lines "
            f"of portfolio-{item.size}"
            + (f" ({hidden} more disagreements not shown)" if hidden else "")
        )
    # A gigabyte of answers was just written: none of it may still be going to disk while the
    # figures are timed (figure 7, timed next, once took 7.45 s for what took 6.54 s later on)
    os.sync()
    return notes, problems


# -- figures


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s"


def _mib(count: int) -> str:
    return f"{count / (1 << 20):,.1f} MiB"


def whole_process(table: Table, item: Sized, policy_hash: str, folder: Path, repeat: int) -> None:
    """Figure 7: the whole processes on the same file, taken in turn, the best of ``repeat`` each.

    ``decide --jsonl < file`` runs one process (stdin is never split); ``decide --jsonl file``
    is the default a user gets on a file, every core for one of 4 MiB or more.
    """
    ours_out, lean_out = folder / "timed-mespolicy.jsonl", folder / "timed-lean.jsonl"
    ours, default, theirs = [], [], []
    for _ in range(repeat):
        ours.append(run_child(mespolicy_command(*untraced()), item.path, ours_out).seconds)
        on_file = [*mespolicy_command(*untraced())[:-1], str(item.path)]
        default.append(run_child(on_file, item.path, ours_out).seconds)
        theirs.append(run_child(lean_command(policy_hash), item.path, lean_out).seconds)
    best, lean_best = min(ours), min(theirs)
    table.add(
        "7",
        f"`decide --jsonl < {item.size:,}.jsonl`, whole process, one core, best of {repeat}",
        f"{best:.2f} s, {_rate(item.size, best)}",
        f"lean {lean_best:.2f} s, {_rate(item.size, lean_best)}",
        f"{best / lean_best:.2f}x the lean time (target <= 1.5x)",
    )
    table.add(
        "7",
        f"  `decide --jsonl {item.size:,}.jsonl`, the default on a file ({os.cpu_count()} workers)",
        f"{min(default):.2f} s, {_rate(item.size, min(default))}",
        "lean, one core, as above",
        f"{min(default) / lean_best:.2f}x the lean time",
    )


def _lines(path: Path, most: int) -> list[str]:
    with open(path, encoding="utf-8") as lines:
        return list(islice(lines, most))


def readable(policy: Policy, lines: Sequence[str]) -> tuple[list[Any], list[dict[str, Any]], list[str]]:
    """The lines both readings accept: read once by the policy, as parsed dicts, and as the lines."""
    read, dicts, kept = [], [], []
    for line in lines:
        data = json.loads(line)
        try:
            request = policy.read(data)
        except RequestError:
            continue
        read.append(request)
        dicts.append(data)
        kept.append(line)
    return read, dicts, kept


def in_process(table: Table, policy: Policy, item: Sized, policy_hash: str, repeat: int) -> None:
    """Figure 8: decide on requests read once against lean.decide on parsed dicts."""
    read, dicts, _ = readable(policy, _lines(item.path, IN_PROCESS_MOST))
    identity = lean.identity(policy_hash)
    lean_decide = functools.partial(lean.decide, policy=identity)

    def decide_json(request: Any) -> object:
        return mespolicy.decision_to_json(policy.decide(request), trace=False)

    def read_decide_json(data: object) -> object:
        return mespolicy.decision_to_json(policy.decide(policy.read(data)), trace=False)

    decide, lean_timing, with_json, from_dict = interleaved(
        [
            loop(policy.decide, read),
            loop(lean_decide, dicts),
            loop(decide_json, read),
            loop(read_decide_json, dicts),
        ],
        repeat=repeat,
    )
    count = len(read)
    table.add(
        "8",
        f"policy.decide, requests read once ({count:,} valid, mixed)",
        f"{decide.rate:,.0f}/s ({decide.micros:.1f} µs)",
        f"lean.decide on dicts {lean_timing.rate:,.0f}/s ({lean_timing.micros:.1f} µs)",
        f"{decide.rate / lean_timing.rate:.2f}x (target >= 1.0x)",
    )
    table.add(
        "8",
        "  decide + decision_to_json(trace=False)",
        f"{with_json.rate:,.0f}/s ({with_json.micros:.1f} µs)",
        "",
        f"{with_json.rate / lean_timing.rate:.2f}x",
    )
    table.add(
        "8",
        "  policy.read + decide + decision_to_json, from dicts",
        f"{from_dict.rate:,.0f}/s ({from_dict.micros:.1f} µs)",
        "",
        f"{from_dict.rate / lean_timing.rate:.2f}x",
    )


def memory(table: Table, files: Sequence[Sized]) -> None:
    """Figure 9: peak RSS of each agreement run, mespolicy and lean."""
    first = files[0].mespolicy
    for item in files:
        ours, theirs = item.mespolicy, item.lean
        assert ours is not None and theirs is not None and first is not None
        table.add(
            "9",
            f"peak RSS, `decide --jsonl` on {item.size:,} lines",
            _mib(ours.peak_rss),
            f"lean {_mib(theirs.peak_rss)}",
            f"{ours.peak_rss / first.peak_rss:.2f}x of {files[0].size:,} lines",
        )


def jobs(table: Table, item: Sized, folder: Path, repeat: int) -> None:
    """Figure 10: ``--jobs 2`` against ``--jobs 1`` on the same file, taken in turn."""
    if not has_jobs():
        table.add("10", "`decide --jsonl --jobs 2` vs `--jobs 1`", "n/a (no --jobs)")
        return
    out = folder / "timed-jobs.jsonl"
    one, two = [], []
    for _ in range(repeat):
        one.append(run_child(mespolicy_command(*untraced(), "--jobs", "1"), item.path, out).seconds)
        two.append(run_child(mespolicy_command(*untraced(), "--jobs", "2"), item.path, out).seconds)
    table.add(
        "10",
        f"`decide --jsonl --jobs 2` on {item.size:,} lines, best of {repeat}",
        f"{min(two):.2f} s, {_rate(item.size, min(two))}",
        f"--jobs 1 {min(one):.2f} s, {_rate(item.size, min(one))}",
        f"{min(one) / min(two):.2f}x faster (target >= 1.7x; {os.cpu_count()} CPUs, shared)",
    )


def arrow(table: Table, policy: Policy, item: Sized, repeat: int) -> None:
    """Figure 11: `Policy.decide_arrow` against the single process, per core: Arrow in and out
    against JSON text in and out as `decide --jsonl` answers it (`answer_lines`, a chunk of
    lines at a time), the same requests."""
    decide_arrow: Callable[[Any], Any] | None = getattr(policy, "decide_arrow", None)
    if decide_arrow is None:
        table.add("11", "Policy.decide_arrow vs the single process", "n/a (no Policy.decide_arrow)")
        return
    import pyarrow as pa  # only when there is something to hand it

    from mespolicy.portfolio.answers import CHUNK_LINES, answer_lines

    lines = _lines(item.path, IN_PROCESS_MOST)
    _, dicts, kept = readable(policy, lines)
    numbered = [(number, line.encode("utf-8")) for number, line in enumerate(kept, 1)]
    chunks = [numbered[start : start + CHUNK_LINES] for start in range(0, len(numbered), CHUNK_LINES)]
    batch = pa.Table.from_pylist(dicts)

    def jsonl() -> None:
        for chunk in chunks:
            answer_lines(policy, chunk, trace=False)

    arrow_timing, single = interleaved(
        [(lambda: decide_arrow(batch), len(dicts)), (jsonl, len(numbered))], repeat=repeat
    )
    table.add(
        "11",
        f"Policy.decide_arrow, one table of {len(dicts):,} requests, Arrow in and out",
        f"{arrow_timing.rate:,.0f}/s",
        f"JSON text in and out, as `decide --jsonl` {single.rate:,.0f}/s",
        f"{arrow_timing.rate / single.rate:.2f}x (target >= 1.0x per core)",
    )


def parquet_file(table: Table, policy: Policy, item: Sized, folder: Path, repeat: int) -> None:
    """Figure 11, whole process: ``decide --in N.parquet --out D.parquet`` against
    ``decide --jsonl --jobs 1`` on the same requests (the lines every reading accepts), in turn."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    lines = _lines(item.path, item.size)
    _, dicts, kept = readable(policy, lines)
    valid = folder / f"valid-{item.size}.jsonl"
    valid.write_text("".join(kept), encoding="utf-8")
    requests = folder / f"valid-{item.size}.parquet"
    pq.write_table(pa.Table.from_pylist(dicts), requests)
    decided = folder / "timed-decisions.parquet"
    command = mespolicy_command()[:-2]  # mespolicy decide
    by_file, by_line = [], []
    for _ in range(repeat):
        to_parquet = [*command, "--in", str(requests), "--out", str(decided)]
        by_file.append(run_child(to_parquet, valid, folder / "timed-stdout.txt").seconds)
        one = [*command, "--jsonl", "--jobs", "1", *untraced(), str(valid)]
        by_line.append(run_child(one, valid, folder / "timed-jobs.jsonl").seconds)
    table.add(
        "11",
        f"  `decide --in N.parquet --out D.parquet`, {len(dicts):,} requests, whole process",
        f"{min(by_file):.2f} s, {_rate(len(dicts), min(by_file))}",
        f"`decide --jsonl --jobs 1` {min(by_line):.2f} s, {_rate(len(dicts), min(by_line))}",
        # the target is decide_arrow's (the line above); this one adds reading and
        # writing Parquet and starting pyarrow (which imports pandas where it is installed)
        f"{min(by_line) / min(by_file):.2f}x (reported; the target is the line above)",
    )


def figures(table: Table, policy: Policy, scale: Scale, folder: Path) -> list[str]:
    """Generate the files, check agreement, then add figures 7-11 to ``table``; the disagreements found."""
    policy_hash = identity_of(policy.checked.header, policy.checked.files).hash
    started = time.perf_counter()
    files = generate(scale, folder)
    print(
        f"portfolios: {', '.join(f'{s:,}' for s in scale.sizes)} generated requests, seed {scale.seed}, "
        f"in {time.perf_counter() - started:.1f} s"
    )
    print(compiled())
    notes, problems = check_agreement(files, policy_hash, folder)
    for note in notes:
        print(note)
    timed = next(f for f in files if f.size == scale.whole_process_size())
    whole_process(table, timed, policy_hash, folder, scale.repeat)
    in_process(table, policy, files[0], policy_hash, scale.in_process_repeat)
    memory(table, files)
    jobs(table, timed, folder, scale.repeat)
    arrow(table, policy, files[0], scale.in_process_repeat)
    if hasattr(policy, "decide_arrow"):
        parquet_file(table, policy, timed, folder, scale.repeat)
    return problems


def compiled() -> str:
    """Compile the checkout's Python to bytecode, as installing a wheel does, and say so.

    Each child process imports mespolicy and the lean reading from this checkout. Where
    PYTHONDONTWRITEBYTECODE is set (CI images, this project's sandbox) nothing is cached, so
    every start would compile mespolicy's modules from source again (0.2 s of its 1 s start),
    which no installed mespolicy does. The bytecode goes to the ignored ``__pycache__`` folders.
    """
    done = [compileall.compile_dir(ROOT / name, quiet=1) for name in ("mespolicy", "benchmarks")]
    return f"bytecode of mespolicy/ and benchmarks/: {'written' if all(done) else 'NOT all written'}"


def parse_sizes(text: str) -> tuple[int, ...]:
    """``"10000,100000"`` as sizes, each a positive whole number."""
    sizes = tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())
    if not sizes or any(s <= 0 for s in sizes):
        raise ValueError(f"sizes are positive whole numbers separated by commas, not {text!r}")
    return tuple(sorted(set(sizes)))
