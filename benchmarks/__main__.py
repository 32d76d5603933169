"""``python -m benchmarks [--quick]``: every figure, each against its baseline measured in the same run.

1. ``policy.decide`` on the mixed corpus of all actions.
2. ``policy.decide`` against hand-written Python on the renew and cancel requests.
3. ``policy.decide`` against a GoRules ZEN graph on the late renewals.
4. ``mespolicy decide --jsonl`` end to end in a subprocess; the JSON form with and without the trace.
5. Loading the shipped policy in a fresh process, first run and warm.
6. Peak memory of deciding the corpus while streaming, and of loading the policy.
7-11. On generated portfolios of each ``--sizes``, against the lean hand-written reading
   (``benchmarks.lean``, all six actions): ``decide --jsonl`` whole process, ``decide`` in
   process, peak RSS at each size, ``--jobs 2`` and ``decide_arrow`` (``benchmarks.scale``).
12. ``check``'s proofs (z3) on the shipped policy, against loading it (``benchmarks/proofs.py``).

The baselines are checked against ``policy.decide`` on the same requests before
anything is timed; a disagreement is printed and makes the exit status 1.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import attrs
import orjson

import mespolicy
from benchmarks import corpus as corpus_module
from benchmarks import handwritten, scale
from benchmarks.measure import Timing, interleaved, loop, median, peak_memory, run_output, run_timed
from benchmarks.proofs import proofs
from mespolicy import Decision, Policy, Request

try:
    from benchmarks import zen
except ImportError:  # zen-engine is not installed: figure 3 is skipped
    zen = None  # type: ignore[assignment]

_LOAD_TIMES = """
import time
start = time.perf_counter()
import mespolicy
imported = time.perf_counter()
mespolicy.load()
loaded = time.perf_counter()
print(imported - start, loaded - imported)
"""

_LOAD_MEMORY = """
import tracemalloc
tracemalloc.start()
import mespolicy
before, import_peak = tracemalloc.get_traced_memory()
tracemalloc.reset_peak()
policy = mespolicy.load()
after, load_peak = tracemalloc.get_traced_memory()
print(import_peak, load_peak - before, after - before)
"""


@attrs.frozen
class Settings:
    size: int
    seed: int
    repeat: int
    cli_runs: int
    load_runs: int
    sizes: tuple[int, ...] = scale.SIZES


@attrs.define
class Table:
    rows: list[tuple[str, str, str, str, str]] = attrs.field(factory=list)

    def add(self, figure: str, what: str, ours: str, baseline: str = "", ratio: str = "") -> None:
        self.rows.append((figure, what, ours, baseline, ratio))

    def render(self) -> str:
        header = ("#", "measure", "mespolicy", "baseline (same run)", "ratio")
        widths = [max(len(row[i]) for row in [header, *self.rows]) for i in range(len(header))]
        lines = [_line(header, widths), "  ".join("-" * w for w in widths)]
        previous = ""
        for row in self.rows:
            figure = row[0] if row[0] != previous else ""
            previous = row[0]
            lines.append(_line((figure, *row[1:]), widths))
        return "\n".join(lines)


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()


def _rate(timing: Timing | float) -> str:
    value = timing.rate if isinstance(timing, Timing) else timing
    return f"{value:,.0f}/s"


def _per(timing: Timing) -> str:
    return f"{timing.rate:,.0f}/s ({timing.micros:.1f} µs)"


def _ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}x"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def _bytes(count: float) -> str:
    if count >= 1 << 20:
        return f"{count / (1 << 20):,.1f} MiB"
    return f"{count / 1024:,.0f} KiB"


def machine() -> str:
    processor = platform.processor() or platform.machine() or "unknown processor"
    version = sys.version.split()[0]
    return (
        f"machine: {processor}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}; "
        f"Python {version} ({platform.python_implementation()})"
    )


def _cli_command() -> list[str]:
    script = Path(sys.executable).parent / "mespolicy"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "mespolicy.cli"]


def _decide_json(policy: Policy, trace: bool) -> Callable[[Request], bytes]:
    # as `decide --jsonl` writes a decision (orjson), so the in-process figure is of the same work
    def run(request: Request) -> bytes:
        return orjson.dumps(mespolicy.decision_to_json(policy.decide(request), trace=trace))

    return run


def check_baselines(policy: Policy, corpus: corpus_module.Corpus) -> tuple[list[str], list[str]]:
    """Agreement lines to print, and the disagreements found (empty when all agree)."""
    notes: list[str] = []
    problems: list[str] = []
    renew_cancel = corpus.of_actions("renew", "cancel")
    for request in renew_cancel:
        ours, theirs = policy.decide(request), handwritten.decide(request)
        differing = handwritten.differences(ours, theirs)
        if differing:
            problems.append(f"hand-written: {mespolicy.request_to_json(request)}: " + "; ".join(differing))
    agreed = len(renew_cancel) - sum(p.startswith("hand-written") for p in problems)
    notes.append(
        f"hand-written agrees with decide on {agreed}/{len(renew_cancel)} renew+cancel requests "
        "(outcome, term, charges, effective)"
    )
    if zen is not None:
        late = corpus.late_renewals()
        found = zen.disagreements(policy, late)
        problems.extend(f"ZEN: {line}" for line in found)
        notes.append(
            f"ZEN agrees with decide on {len(late) - len(found)}/{len(late)} late renewals "
            "(outcome, term end, renewal, reinstatement fee)"
        )
    return notes, problems


def run(settings: Settings) -> int:
    print(machine())
    corpus = corpus_module.build(settings.size, settings.seed)
    actions = Counter(r.action for r in corpus.requests)
    print(
        f"corpus: {len(corpus)} requests, seed {settings.seed}: "
        + ", ".join(f"{action} {count}" for action, count in sorted(actions.items()))
        + f"; {len(corpus.late_renewals())} late renewals"
    )
    print(
        f"timing: time.perf_counter, best of {settings.repeat} passes after a warm-up pass; "
        "a figure and its baseline take their passes in turn"
    )
    policy = mespolicy.load()
    # read once at the boundary, as `decide --jsonl` reads each line: decide is then timed on
    # requests the policy has validated, as it was when the model validated them on construction
    corpus = corpus.read_by(policy.read)
    notes, problems = check_baselines(policy, corpus)
    for note in notes:
        print(note)
    print()

    table = Table()
    throughput(table, policy, corpus, settings.repeat)
    against_zen(table, policy, corpus, settings.repeat)
    command_line(table, policy, corpus, settings)
    load_time(table, settings.load_runs)
    memory(table, policy, corpus)
    proofs(table)
    problems.extend(portfolios(table, policy, settings))
    print(table.render())
    if problems:
        print(f"\n{len(problems)} disagreement(s) with policy.decide:")
        for problem in problems:
            print("  " + problem)
        return 1
    return 0


def throughput(table: Table, policy: Policy, corpus: corpus_module.Corpus, repeat: int) -> None:
    """Figures 1 and 2: decide on the mixed corpus; against hand-written Python on renew + cancel."""
    requests = list(corpus.requests)
    actions = len({r.action for r in requests})
    (mixed,) = interleaved([loop(policy.decide, requests)], repeat=repeat)
    table.add("1", f"decide, mixed corpus ({len(requests)} requests, {actions} actions)", _per(mixed))

    renew_cancel = corpus.of_actions("renew", "cancel")
    ours, theirs = interleaved(
        [loop(policy.decide, renew_cancel), loop(handwritten.decide, renew_cancel)], repeat=repeat
    )
    table.add(
        "2",
        f"decide vs hand-written, renew+cancel ({len(renew_cancel)})",
        _per(ours),
        f"hand-written {_per(theirs)}",
        f"{_ratio(ours.rate, theirs.rate)} (target >= 0.70x)",
    )


def against_zen(table: Table, policy: Policy, corpus: corpus_module.Corpus, repeat: int) -> None:
    """Figure 3: decide against the ZEN graph on the late renewals."""
    late = corpus.late_renewals()
    if zen is None:
        table.add("3", "decide vs ZEN, late renewals", "skipped: zen-engine not installed (.[bench])")
        return
    engine = zen.ZenRenewal()
    inputs = [zen.zen_input(r) for r in late]
    ours, theirs, by_key, converted = interleaved(
        [
            loop(policy.decide, late),
            loop(engine.evaluate, inputs),
            loop(engine.evaluate_by_key, inputs),
            loop(lambda r: engine.evaluate_by_key(zen.zen_input(r)), late),
        ],
        repeat=repeat,
    )
    table.add(
        "3",
        f"decide vs ZEN decision.evaluate, late renewals ({len(late)})",
        _per(ours),
        f"ZEN {_per(theirs)}",
        _ratio(ours.rate, theirs.rate),
    )
    table.add(
        "3",
        "  ZEN by engine.evaluate(key), static loader",
        "",
        f"ZEN {_per(by_key)}",
        _ratio(ours.rate, by_key.rate),
    )
    table.add(
        "3",
        "  same, counting Request -> ZEN input too",
        "",
        f"ZEN {_per(converted)}",
        _ratio(ours.rate, converted.rate),
    )


def command_line(table: Table, policy: Policy, corpus: corpus_module.Corpus, settings: Settings) -> None:
    """Figure 4: `mespolicy decide --jsonl` end to end; the JSON form with and without the trace."""
    requests = list(corpus.requests)
    with_trace, without_trace = interleaved(
        [loop(_decide_json(policy, True), requests), loop(_decide_json(policy, False), requests)],
        repeat=settings.repeat,
    )
    command = _cli_command()
    traced: list[float] = []
    untraced: list[float] = []
    with tempfile.TemporaryDirectory(prefix="mespolicy-bench-") as folder:
        jsonl = Path(folder) / "corpus.jsonl"
        jsonl.write_text(corpus_module.to_jsonl(requests), encoding="utf-8")
        output = Path(folder) / "decisions.jsonl"
        for _ in range(settings.cli_runs):
            traced.append(run_timed([*command, "decide", "--jsonl", "--trace", str(jsonl)]))
            untraced.append(run_timed([*command, "decide", "--jsonl", str(jsonl)], stdout=output))
        lines = output.read_text(encoding="utf-8").splitlines()
        if len(lines) != len(requests) or any('"error"' in line[:12] for line in lines):
            raise RuntimeError(f"decide --jsonl gave {len(lines)} lines for {len(requests)} requests")
    cli_trace, cli = len(requests) / min(traced), len(requests) / min(untraced)
    shown = "mespolicy" if len(command) == 1 else "python -m mespolicy.cli"
    table.add(
        "4",
        f"`{shown} decide --jsonl`, subprocess, incl. start",
        _rate(cli),
        f"in process, decide + JSON {_rate(without_trace)}",
        _ratio(cli, without_trace.rate),
    )
    table.add(
        "4",
        "  same with --trace",
        _rate(cli_trace),
        f"in process, with the trace {_rate(with_trace)}",
        _ratio(cli_trace, with_trace.rate),
    )
    table.add(
        "4",
        "decide + decision_to_json(trace=True) + orjson.dumps",
        _per(with_trace),
        f"trace=False {_per(without_trace)}",
        _ratio(with_trace.rate, without_trace.rate),
    )


def load_time(table: Table, runs: int) -> None:
    """Figure 5: `import mespolicy` and `mespolicy.load()` in fresh processes."""
    script = [sys.executable, "-c", _LOAD_TIMES]
    with tempfile.TemporaryDirectory(prefix="mespolicy-bench-pycache-") as empty:
        _, printed = run_output(script, {"PYTHONPYCACHEPREFIX": empty})
    no_cache = tuple(float(x) for x in printed.split())
    timings: list[tuple[float, float, float]] = []
    bare: list[float] = []
    for _ in range(runs):  # in turn with bare interpreter starts, to see the same machine
        wall, printed = run_output(script)
        imported, loaded = (float(x) for x in printed.split())
        timings.append((wall, imported, loaded))
        bare.append(run_timed([sys.executable, "-c", "pass"]))
    first, warm = timings[0], timings[1:] or timings
    table.add(
        "5",
        "mespolicy.load(), fresh process: first run",
        _ms(first[2]),
        f"import mespolicy {_ms(first[1])}",
    )
    table.add(
        "5",
        f"mespolicy.load(), fresh process: warm, median of {len(warm)}",
        _ms(median([t[2] for t in warm])),
        f"import mespolicy {_ms(median([t[1] for t in warm]))}",
    )
    table.add(
        "5",
        "mespolicy.load(), no bytecode cache at all (cold)",
        _ms(no_cache[1]),
        f"import mespolicy {_ms(no_cache[0])}",
    )
    table.add(
        "5",
        "whole process: python + import + load, median",
        _ms(median([t[0] for t in timings])),
        f"python -c pass {_ms(median(bare))}",
    )


def memory(table: Table, policy: Policy, corpus: corpus_module.Corpus) -> None:
    """Figure 6: tracemalloc peaks of deciding the corpus while streaming, and of loading the policy."""
    requests = list(corpus.requests)
    streamed = peak_memory(lambda: _drain(policy.decide_many(iter(requests))))
    kept = peak_memory(lambda: list(policy.decide_many(iter(requests))))
    table.add(
        "6",
        f"decide_many over the corpus, streaming ({len(requests)})",
        _bytes(streamed),
        f"keeping the decisions {_bytes(kept)}",
        _ratio(streamed, kept),
    )
    _, printed = run_output([sys.executable, "-c", _LOAD_MEMORY])
    import_peak, load_peak, retained = (int(x) for x in printed.split())
    table.add(
        "6",
        "mespolicy.load(), fresh process after import: peak",
        _bytes(load_peak),
        f"import mespolicy peak {_bytes(import_peak)}",
    )
    table.add("6", "  kept by the loaded policy", _bytes(retained))


def portfolios(table: Table, policy: Policy, settings: Settings) -> list[str]:
    """Figures 7-11, on portfolio files written for this run only; the disagreements found."""
    runs = scale.Scale(settings.sizes, repeat=min(settings.cli_runs, 3), in_process_repeat=settings.repeat)
    with tempfile.TemporaryDirectory(prefix="mespolicy-bench-portfolio-") as folder:
        return [f"lean: {line}" for line in scale.figures(table, policy, runs, Path(folder))]


def _drain(decisions: Iterable[Decision]) -> None:
    for _ in decisions:
        pass


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="A smaller corpus and fewer repetitions.")
    parser.add_argument("--size", type=int, help="Requests in the corpus (2000; 400 with --quick).")
    parser.add_argument("--seed", type=int, default=corpus_module.SEED, help="Seed of the corpus.")
    parser.add_argument(
        "--sizes",
        type=scale.parse_sizes,
        help="Generated portfolio sizes for figures 7-11 (10000,100000,1000000; 300,1000 with --quick).",
    )
    args = parser.parse_args(argv)
    quick = bool(args.quick)
    settings = Settings(
        size=args.size or (400 if quick else corpus_module.SIZE),
        seed=args.seed,
        repeat=3 if quick else 7,
        cli_runs=1 if quick else 3,
        load_runs=3 if quick else 7,
        sizes=args.sizes or (scale.QUICK_SIZES if quick else scale.SIZES),
    )
    return run(settings)


if __name__ == "__main__":
    sys.exit(main())
