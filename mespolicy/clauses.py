"""The clauses a policy declares, and the check that every citation names one of them.

A policy that declares no clause at all is not checked: declaring clauses is what
turns the check on (a first draft, or a quick what-if folder, may cite freely).
Once any `clauses { ... }` block is read, every citation of the policy — a rule's
clauses, a reason's or a charge's, a parameter's, an enum's, a definition's, and
a test's `expect` lines — must name a declared clause (C241), and no clause may be
declared twice (C242).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from mespolicy import nodes as n
from mespolicy.errors import Diagnostic, closest


def declared_clauses(
    files: Iterable[n.PolicyFile],
) -> tuple[dict[str, n.ClauseDeclaration], list[Diagnostic]]:
    """The clauses declared in `files`, by id in the order written, and a C242 for each repeat."""
    declared: dict[str, n.ClauseDeclaration] = {}
    errors: list[Diagnostic] = []
    for file in files:
        for item in file.items:
            if not isinstance(item, n.ClauseList):
                continue
            for clause in item.clauses:
                first = declared.get(clause.id.text)
                if first is not None:
                    errors.append(
                        Diagnostic(
                            "C242",
                            f"clause {clause.id.text} is declared twice",
                            clause.id.span,
                            f"first declared at {first.span}",
                        )
                    )
                else:
                    declared[clause.id.text] = clause
    return declared, errors


# Hints for this many undeclared citations at most, and a spelling match only among this
# many declared ids: a hostile folder of many clauses and citations stays linear to check.
_HINTED = 50
_SPELLING_CANDIDATES = 2_000


def undeclared(
    items: Iterable[n.Item], declared: Mapping[str, n.ClauseDeclaration]
) -> list[Diagnostic]:
    """C241 for each citation in `items` of a clause not in `declared` (none when nothing is declared)."""
    if not declared:
        return []
    sections: dict[str, list[str]] = {}
    for ident in declared:
        sections.setdefault(_section(ident), []).append(ident)
    found: list[Diagnostic] = []
    for item in items:
        for clause in citations(item):
            if clause.text in declared:
                continue
            hint = nearest(clause.text, declared, sections) if len(found) < _HINTED else None
            message = f"clause {clause.text} is not declared by this policy"
            found.append(Diagnostic("C241", message, clause.span, hint))
    return found


def _section(ident: str) -> str:
    """`§8` for `§8.3`; a named id (`TECS-2`) or a bare section (`§8`) is its own section."""
    return ident.split(".")[0] if ident.startswith("§") and "." in ident else ident


def nearest(cited: str, declared: Iterable[str], sections: Mapping[str, list[str]] | None = None) -> str:
    """The hint for an undeclared clause: the declared ids of its section, else the closest id.

    `§6.3` is nearest the other clauses of §6, which a spelling match alone would miss
    (`§9.3` spells closer); a named id (`TECS-2`) has no section and gets the closest name.
    """
    known = list(declared)
    if sections is None:
        sections = {}
        for ident in known:
            sections.setdefault(_section(ident), []).append(ident)
    section = _section(cited)
    near = [ident for ident in sections.get(section, []) if ident != section] if section != cited else []
    if near:
        shown = ", ".join(near[:8]) + (", ..." if len(near) > 8 else "")
        return f"{section} declares {shown}; or declare {cited} in a clauses block"
    close = closest(cited, known) if len(known) <= _SPELLING_CANDIDATES else None
    if close is not None:
        return f"did you mean {close}? or declare {cited} in a clauses block"
    shown = ", ".join(known[:8]) + (", ..." if len(known) > 8 else "")
    return f"the policy declares {shown}; or declare {cited} in a clauses block"


def citations(item: n.Item) -> Iterator[n.Clause]:
    """Every clause cited in an item, in the order written."""
    match item:
        case n.Parameter() | n.Enum() | n.Definition() | n.Output():
            yield from item.clauses
        case n.Record() | n.RequestFacts():
            yield from item.clauses
            for field in item.fields:
                yield from field.clauses
        case n.Action():
            for rule in item.rules:
                yield from rule_citations(rule)
        case n.Test():
            for line in item.lines:
                if isinstance(line, n.ExpectOutcome):
                    yield from line.clauses
                elif isinstance(line, n.ExpectReason):
                    yield line.clause


def rule_citations(rule: n.Rule) -> Iterator[n.Clause]:
    """The clauses a rule cites: after its name, then in its reasons and charges."""
    yield from rule.clauses
    yield from _in_statements(rule.body)


def _in_statements(body: tuple[n.Statement, ...]) -> Iterator[n.Clause]:
    pending = list(reversed(body))
    while pending:
        statement = pending.pop()
        if isinstance(statement, n.Reason | n.Charge) and statement.clause is not None:
            yield statement.clause
        elif isinstance(statement, n.ForEach):
            pending.extend(reversed(statement.body))
