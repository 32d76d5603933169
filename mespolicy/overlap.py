"""Finds approve rules of one action whose conditions can visibly hold together.

Only what can be seen without solving: conditions that are `and`-chains of
comparisons between the same two expressions (or boolean tests). Two rules
overlap when they constrain the same pairs and every pair can agree, e.g.
`date <= expiry` and `date >= expiry` (both hold when the day is the expiry).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

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
    """Pairs of rules (in file order of the second, then of the first) that can both apply to one request.

    Lazy and without recursion: a rule is compared only with the earlier rules that constrain the
    same pairs of expressions (found by one dictionary look-up) and with the rules without a
    condition, so thousands of rules over different facts cost no more than one pass.
    """
    by_keys: dict[frozenset[Key], list[tuple[int, n.Rule, Constraints]]] = {}
    unconditional: list[tuple[int, n.Rule]] = []
    seen: list[n.Rule] = []  # every earlier rule whose condition can be read
    for rule in rules:
        found = _constraints(rule.condition)
        if found is None:
            continue
        if not found:
            # a rule without a condition applies alongside any other
            yield from ((first, rule) for first in seen)
            unconditional.append((len(seen), rule))
        else:
            group = by_keys.setdefault(frozenset(found), [])
            earlier = [
                (index, first)
                for index, first, other in group
                if all(other[key] & found[key] for key in found)
            ]
            yield from ((first, rule) for _, first in sorted([*earlier, *unconditional], key=_first))
            group.append((len(seen), rule, found))
        seen.append(rule)


def _first(pair: tuple[int, n.Rule]) -> int:
    return pair[0]


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
        # `not` flips a boolean test, so `not not x` is `x` again
        return inner[0], frozenset("tf") - inner[1]
    if isinstance(atom, n.Name | n.FieldAccess | n.Given):
        return (atom, "true"), frozenset("t")
    return None
