"""The policy page printed as Markdown (GitHub flavour: pipe tables, fenced code)."""

from __future__ import annotations

import html
import html.entities
import re
from collections.abc import Sequence
from datetime import date

from mespolicy import nodes as n
from mespolicy.policy import Policy
from mespolicy.publish.page import (
    READING_LABEL,
    READING_NOTE,
    READING_TAG,
    RULE_ORDER,
    SOURCE_NOTE,
    ActionEntry,
    BandTable,
    ClauseEntry,
    ClauseText,
    Code,
    DefinitionEntry,
    ExampleEntry,
    Phrase,
    PolicyPage,
    Provenance,
    RecordEntry,
    Step,
    policy_page,
)

# -- Markdown ----------------------------------------------------------------------------------

_ENTITY = re.compile(r"&(#?[A-Za-z0-9]+;)")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]])")


def policy_markdown(policy: Policy, *, day: date | None = None, origin: str | None = None) -> str:
    """The page of `policy` in Markdown (GitHub flavour: pipe tables, fenced code)."""
    return render_markdown(policy_page(policy, day=day, origin=origin))


def _md(text: str) -> str:
    """Rule-file text as Markdown prose: HTML and Markdown syntax in it shown, never interpreted."""
    text = _ENTITY.sub(_entity, text).replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _entity(match: re.Match[str]) -> str:
    """`&amp;` only where the `&` would otherwise start a character reference."""
    name = match.group(1)
    known = name in html.entities.html5 or (name.startswith("#") and name[1:-1].isalnum())
    return "&amp;" + name if known else match.group(0)


def _md_code(text: str) -> str:
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _md_phrase(phrase: Phrase) -> str:
    return "".join(_md_code(part.text) if isinstance(part, Code) else _md(part) for part in phrase)


def _md_cell(text: str) -> str:
    """A table cell: one line, its pipes escaped even inside code spans (GitHub's rule)."""
    return " ".join(text.split()).replace("|", "\\|")


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(_md_cell(cell) for cell in row) + " |" for row in rows]
    return lines


def _md_step(step: Step) -> list[str]:
    """A step as a list item (one level in per `for`), each band of it a table inside the item."""
    indent = "  " * (step.depth + 1) if step.depth else ""
    lines = [f"{indent}- {_md_phrase(step.phrase)}"]
    for table in step.tables:
        lines += ["", *(f"{indent}  {line}" for line in _md_band(table)), ""]
    return lines


def _md_band(table: BandTable) -> list[str]:
    rows = [(_md_code(bound), _md_code(value)) for bound, value in table.rows]
    return _md_table((_md_code(table.quantity), "value"), rows)


def _md_fence(text: str, language: str) -> list[str]:
    fence = "`" * max(3, max((len(run) + 1 for run in re.findall(r"`{3,}", text)), default=3))
    return [f"{fence}{language}", text, fence]


def _md_basis(provenance: Provenance | None) -> str:
    if provenance is None:
        return ""
    return f"**{provenance.basis}**" if provenance.is_reading else provenance.basis


def render_markdown(page: PolicyPage) -> str:
    """Print a `PolicyPage` as Markdown."""
    lines = [f"# {_md(page.title)}", ""]
    lines += [
        f"Rules read from {_md_code(page.origin)}; parameter values in force on {page.day.isoformat()}. "
        "Every number and rule below is read from the rule files, with the clause of the policy it rests on: "
        f"*source* is {SOURCE_NOTE}; **{READING_LABEL.lower()}** is {READING_NOTE}.",
        "",
    ]
    if page.identity is not None:
        lines += [_md_identity(page), ""]
    lines += ["## Parameters", ""]
    rows = [
        [
            _md_code(p.name),
            _md_code(p.value),
            p.unit,
            p.range,
            ", ".join(p.clauses),
            _md(p.effective),
            _md_basis(p.provenance),
            _md(p.provenance.description) if p.provenance else "",
        ]
        for p in page.parameters
    ]
    header = ["Parameter", "Value", "Unit", "Range", "Clauses", "Effective", "Basis", "Description"]
    lines += _md_table(header, rows)
    lines += ["", "## Actions", "", RULE_ORDER, ""]
    for action in page.actions:
        lines += _md_action(action)
    if page.definitions:
        lines += ["## Definitions", ""]
        for definition in page.definitions:
            lines += _md_definition(definition)
    if page.enums:
        lines += ["## Named values", ""]
        for enum in page.enums:
            members = " | ".join(_md_code(m) for m in enum.members)
            lines += [f"- {_md_code(enum.name)} ({enum.cited}): {members}"]
            lines += _md_provenance(enum.provenance, "  ")
        lines += [""]
    if page.clauses:
        lines += ["## Clauses", "", "The clauses of the policy, as the rule files declare them.", ""]
        for entry in page.clauses:
            lines += _md_clause_entry(entry)
    if page.facts or page.outputs:
        lines += _md_facts(page)
    if page.examples:
        lines += [
            "## Worked examples",
            "",
            "Decided and explained by the rules above when this page was made.",
            "",
        ]
        for example in page.examples:
            lines += _md_example(example)
    return "\n".join(lines).rstrip("\n") + "\n"


def _md_identity(page: PolicyPage) -> str:
    identity = page.identity
    assert identity is not None
    name = f"*{_md(identity.name)}*" if identity.name else "This policy (unnamed)"
    version = f", version {_md(identity.version)}" if identity.version else ""
    return f"{name}{version}; content hash {_md_code(identity.hash)}."


def _md_clause_quote(clause: ClauseText) -> str:
    kind = " (summary)" if clause.summary else ""
    return f"> **{_md(clause.id)} {_md(clause.title)}**{kind}: {_md(clause.text)}"


def _md_clause_entry(entry: ClauseEntry) -> list[str]:
    clause = entry.clause
    lines = [f'<a id="{clause.anchor}"></a>', "", f"### {_md(clause.id)} {_md(clause.title)}", ""]
    lines += [("*Summary:* " if clause.summary else "") + _md(clause.text), ""]
    if entry.cited_by:
        cited = ", ".join(
            f"[{_md(c.label)}](#{c.anchor})" if c.anchor else _md(c.label) for c in entry.cited_by
        )
        lines += [f"Cited by: {cited}.", ""]
    else:
        lines += ["Cited by no rule or value.", ""]
    return lines


def _md_facts(page: PolicyPage) -> list[str]:
    """What a request gives (the request's facts, then each record) and what a decision may set."""
    lines = ["## Facts", ""]
    for record in page.facts:
        lines += _md_record(record)
    if page.outputs:
        lines += ["### What a decision may set", ""]
        rows = [
            [_md_code(o.name), _md_code(o.type), _md(o.description), ", ".join(o.clauses)]
            for o in page.outputs
        ]
        lines += [*_md_table(["Output", "Type", "Description", "Clauses"], rows), ""]
    return lines


def _md_record(record: RecordEntry) -> list[str]:
    title = "The request" if record.name == "request" else f"Record {_md_code(record.name)}"
    lines = [f"### {title}", ""]
    if record.description:
        lines += [_md(record.description) + (f" ({', '.join(record.clauses)})" if record.clauses else ""), ""]
    rows = [
        [_md_code(f.name), _md_code(f.type), f.presence, _md(f.description), ", ".join(f.clauses)]
        for f in record.fields
    ]
    return [*lines, *_md_table(["Field", "Type", "Given", "Description", "Clauses"], rows), ""]


def _md_provenance(provenance: Provenance | None, indent: str = "") -> list[str]:
    if provenance is None:
        return []
    if provenance.is_reading:
        return [f"{indent}> **{READING_LABEL}** ({READING_TAG}): {_md(provenance.description)}"]
    return [f"{indent}*Source:* {_md(provenance.description)}"]


def _md_action(action: ActionEntry) -> list[str]:
    title = f"### {_md_code(action.name)}"
    if action.description:
        title += f" — {_md(action.description)}"
    lines = [f'<a id="{action.anchor}"></a>', "", title, ""]
    if action.lets:
        lines += ["Where " + "; ".join(_md_phrase(let) for let in action.lets) + ".", ""]
        for table in action.tables:
            lines += [*_md_band(table), ""]
    for rule in action.rules:
        lines += [f'<a id="{rule.anchor}"></a>', ""]
        lines += [f"#### {rule.title} ({rule.cited})", ""]
        lines += [f"{_md_code(rule.name)} · {_md(rule.location)}", ""]
        for clause in rule.texts:
            lines += [_md_clause_quote(clause), ""]
        for step in (Step(rule.condition, 0, rule.condition_tables), *rule.steps):
            lines += _md_step(step)
        lines += [""]
        if rule.reading:
            lines += [*_md_provenance(Provenance(n.Basis.READING.value, rule.reading)), ""]
        if rule.source:
            lines += [*_md_fence(rule.source, "mespolicy"), ""]
    return lines


def _md_definition(definition: DefinitionEntry) -> list[str]:
    lines = [
        f"### {_md_code(definition.signature)}"
        + (f" ({', '.join(definition.clauses)})" if definition.clauses else ""),
        "",
    ]
    lines += [line for step in definition.steps for line in _md_step(step)] + [""]
    provenance = _md_provenance(definition.provenance)
    lines += provenance + ([""] if provenance else [])
    if definition.source:
        lines += [*_md_fence(definition.source, "mespolicy"), ""]
    return lines


def _md_example(example: ExampleEntry) -> list[str]:
    lines = [
        f'<a id="example-{example.key}"></a>',
        "",
        f"### {_md(example.title)}",
        "",
        _md(example.summary),
        "",
    ]
    lines += ["Request:", "", *_md_fence(example.request, "json"), ""]
    if example.error is not None:
        return [*lines, f"This policy cannot decide it: {_md(example.error)}", ""]
    lines += [
        f"Decision: **{example.outcome}**" + (f", term {example.term}" if example.term else "") + ".",
        "",
    ]
    if example.charges:
        rows = [
            [_md_code(c.code), c.amount, c.clause, c.period or "", c.contract or ""] for c in example.charges
        ]
        lines += _md_table(["Charge", "Amount", "Clause", "Period", "Contract"], rows)
        lines += [f"| **total** | **{example.total}** | | | |", ""]
    if example.fields:
        lines += [f"- {_md_code(name)}: {_md(value)}" for name, value in example.fields] + [""]
    lines += ["Explanation:", "", *_md_fence(example.explanation, "text"), ""]
    return lines
