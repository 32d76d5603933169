"""``python -m benchmarks.reading``: reading requests, the declaration-driven reader against msgspec.

Both read the same JSON lines of the benchmark corpus in one run, best of several
passes, interleaved: ``policy.read_json`` (every check: the declared facts, minor
units, references, duplicate keys, limits) against a ``msgspec.json.decode`` into
Structs typed like the shipped facts (types, unknown and missing keys, enum values,
dates; none of the checks that need the declarations' meaning), and that decode
followed by reading its result with the policy's reader (what a msgspec front end
would still have to do). msgspec is optional: ``pip install msgspec``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from decimal import Decimal
from typing import Literal

import msgspec

import mespolicy
from benchmarks import corpus
from benchmarks.measure import interleaved, loop


class Customer(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    role: Literal["customer", "partner"]
    existing: bool


class Contract(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    currency: str
    start: dt.date
    end: dt.date
    annual_fee: Decimal
    licenses: list[str]


class License(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    product: str
    kind: Literal["perpetual", "subscription"]
    shipped: dt.date
    annual_fee: Decimal
    currency: str


class Request(msgspec.Struct, forbid_unknown_fields=True):
    action: str
    date: dt.date
    customer: Customer
    contracts: list[Contract] = []
    licenses: list[License] = []
    contract: str | None = None
    license: str | None = None
    coterminate_with: str | None = None
    cancel_licenses: list[str] | None = None
    target_end: dt.date | None = None
    tier: str | None = None
    ref: str | None = None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size", type=int, default=2000, help="Requests in the corpus (2000).")
    parser.add_argument("--repeat", type=int, default=5, help="Passes; the best counts (5).")
    args = parser.parse_args(argv)
    policy = mespolicy.load()
    lines = [line.encode() for line in corpus.to_jsonl(corpus.build(args.size).requests).splitlines()]
    decoder = msgspec.json.Decoder(Request)
    # the same requests read both ways before anything is timed
    for line in lines:
        decoder.decode(line)
        policy.read_json(line)

    def msgspec_then_reader(line: bytes) -> object:
        return policy.read(msgspec.to_builtins(decoder.decode(line)))

    names = (
        "policy.read_json (declarations, every check)",
        "msgspec.json.decode (types only)",
        "msgspec decode, then policy.read",
    )
    runs = [loop(policy.read_json, lines), loop(decoder.decode, lines), loop(msgspec_then_reader, lines)]
    timings = dict(zip(names, interleaved(runs, repeat=args.repeat), strict=True))
    base = timings[names[0]]
    print(f"{len(lines)} requests, best of {args.repeat} passes (Python {sys.version.split()[0]})")
    for name, timing in timings.items():
        faster = base.seconds / timing.seconds
        print(f"  {name:48} {timing.micros:8.1f} us/request  {timing.rate:>10,.0f}/s  x{faster:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
