"""Proofs about a checked policy with an SMT solver (z3): exclusive and exhaustive rules, dead rules, diffs.

The stage after checking: `encode` turns the checked rules into solver terms,
`analysis` asks the solver about each action, `witness` turns a model into a
request the compiled policy then decides, so no conflict is reported unconfirmed.
z3 is the `proofs` extra (`pip install mespolicy[proofs]`); `available()` says
whether it is installed.
"""

from __future__ import annotations

import importlib.util


def available() -> bool:
    """Whether z3 (the `proofs` extra) can be imported."""
    return importlib.util.find_spec("z3") is not None
