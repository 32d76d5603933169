"""Finds approve rules of one action whose conditions can visibly hold together.

Only what can be seen without solving: conditions that are `and`-chains of
comparisons between the same two expressions (or boolean tests). Two rules
overlap when they constrain the same pairs and every pair can agree, e.g.
`date <= expiry` and `date >= expiry` (both hold when the day is the expiry).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import combinations

from mespolicy import nodes as n

_RELATIONS: dict[n.BinaryOp, frozenset[str]] = {
    n.BinaryOp.LT: frozenset("<"),
    n.BinaryOp.LE: frozenset("<="),
    n.BinaryOp.EQ: frozenset("="),
    n.BinaryOp.NE: frozenset("<>"),
    n.BinaryOp.GT: frozenset(">"),
    n.BinaryOp.GE: frozenset(">="),
}
_MIRROR = str.maketrans("<>", "><")

Key = tuple[object, object]
Constraints = dict[Key, frozenset[str]]


def overlapping_rules(rules: Sequence[n.Rule]) -> Iterator[tuple[n.Rule, n.Rule]]:
    """Pairs of rules (in file order) that can both apply to one request."""
    constraints = [(rule, _constraints(rule.condition)) for rule in rules]
    for (first, a), (second, b) in combinations(constraints, 2):
        if a is not None and b is not None and _compatible(a, b):
            yield first, second


def _compatible(a: Constraints, b: Constraints) -> bool:
    if not a or not b:
        return True  # a rule without a condition applies alongside any other
    if a.keys() != b.keys():
        return False
    return all(a[key] & b[key] for key in a)


def _constraints(condition: n.Expr | None) -> Constraints | None:
    """The condition as pair -> allowed relations, or None where it is not a plain and-chain."""
    found: Constraints = {}
    if condition is None:
        return found
    for atom in n.conjuncts(condition):
        parsed = _atom(atom)
        if parsed is None:
            return None
        key, relations = parsed
        found[key] = found.get(key, relations) & relations
    return found


def _atom(atom: n.Expr) -> tuple[Key, frozenset[str]] | None:
    if isinstance(atom, n.Binary) and atom.op in _RELATIONS:
        relations = _RELATIONS[atom.op]
        left, right = atom.left, atom.right
        if repr(left) > repr(right):
            left, right = right, left
            relations = frozenset(r.translate(_MIRROR) for r in relations)
        return (left, right), relations
    if isinstance(atom, n.Unary) and atom.op is n.UnaryOp.NOT:
        inner = _atom(atom.operand)
        if inner is None or inner[0][1] != "true":
            return None
        return (inner[0][0], "true"), frozenset("f")
    if isinstance(atom, n.Name | n.FieldAccess | n.Given):
        return (atom, "true"), frozenset("t")
    return None
