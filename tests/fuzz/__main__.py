"""The long fuzz run: `python -m tests.fuzz --minutes 30` (or `nox -s fuzz -- --minutes 30`).

Loops over the targets in rounds until the time is up. Each finding is shrunk by
hypothesis, written to `tests/fuzz/found/<kind>-<hash>/` and remembered for the
rest of the run, so the run goes on looking for other bugs. Prints the figures at
the end; the exit status is 1 if anything unexpected came out.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections.abc import Iterator

from tests.fuzz import harness, mutations, targets
from tests.fuzz.harness import Unexpected


def _findings(error: BaseException) -> Iterator[Unexpected]:
    if isinstance(error, Unexpected):
        yield error
    elif isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            yield from _findings(inner)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="how long to run (default 5)")
    parser.add_argument("--chunk", type=int, default=40, help="examples per target per round")
    parser.add_argument("--only", choices=targets.KINDS, action="append", help="run only these targets")
    parser.add_argument("--seconds-per-input", type=float, default=30.0, help="a slower input is a finding")
    parser.add_argument(
        "--memory-gb", type=float, default=2.0, help="address space cap (MemoryError past it)"
    )
    parser.add_argument("--no-save", action="store_true", help="do not write found cases")
    args = parser.parse_args(argv)

    cap = int(args.memory_gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (cap, resource.getrlimit(resource.RLIMIT_AS)[1]))
    harness.BUDGET.seconds = args.seconds_per_input
    harness.KNOWN.skip_known = True
    mutations.SCALE.repeat, mutations.SCALE.depth, mutations.SCALE.digits = 3000, 3000, 5000
    kinds = args.only or list(targets.KINDS)
    deadline = time.monotonic() + args.minutes * 60
    found: list[tuple[str, Unexpected, str]] = []
    rounds = 0
    while time.monotonic() < deadline:
        rounds += 1
        for kind in kinds:
            if time.monotonic() >= deadline:
                break
            try:
                targets.target(kind, args.chunk, long_run=True)()
            except Exception as error:
                findings = list(_findings(error))
                if not findings:
                    raise
                for first in findings:
                    harness.KNOWN.signatures.add(first.signature)
                    finding = harness.minimize_case(kind, first)
                    where = "" if args.no_save else str(harness.save_case(kind, finding))
                    found.append((kind, finding, where))
                    print(f"found ({kind}): {finding}\n  {where}", flush=True)
    _report(rounds, found)
    return 1 if harness.STATS["unexpected"] else 0


_TRIED = ("policies generated", "rule folders mutated", "request lines mutated", "jsonl runs")


def _report(rounds: int, found: list[tuple[str, Unexpected, str]]) -> None:
    stats = harness.STATS
    print(f"\nfuzz run: {rounds} rounds, {sum(stats[k] for k in _TRIED)} inputs tried")
    for key in sorted(stats):
        print(f"  {key}: {stats[key]}")
    print(f"  distinct findings: {len(found)}")
    for kind, finding, where in found:
        print(f"    [{kind}] {finding.signature}: {finding}\n      {where}")


if __name__ == "__main__":
    sys.exit(main())
