"""The active policy as a document: its parameters, its rules in plain language, worked examples.

`policy_page` reads a loaded `Policy` into one structure, `PolicyPage`;
`policy_markdown` and `policy_html` print it, and the Sphinx extension
(`mespolicy.sphinx`) turns the same structure into docutils nodes, so every form
of the documentation shows the same numbers, each with the clause it rests on.
The worked examples are decided and explained by the policy when the page is
built, never written by hand.
"""

from __future__ import annotations

import html
import html.entities
import json
import re
import sys
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path

import attrs
import click

from mespolicy import nodes as n
from mespolicy import types as t
from mespolicy.errors import MespolicyError
from mespolicy.explain import render_text
from mespolicy.formatter import format_expr
from mespolicy.model.decision import Charge
from mespolicy.model.money import Money
from mespolicy.model.request import Request, RequestError, parse_request
from mespolicy.overrides import parse_assignments
from mespolicy.policy import Policy, load, parameter_values
from mespolicy.source import Span

TITLE = "The ME&S policy in force"
READING_LABEL = "Reading"
READING_TAG = "ours, not the policy's"
READING_NOTE = "our reading, chosen where the policy is silent or open: not the policy's own words"
SOURCE_NOTE = "what the policy document says"
RULE_ORDER = (
    "Reject rules are tried first, in the order written: the first that applies decides. "
    "Otherwise exactly one approve rule applies."
)

# -- the structure every form of the page is printed from ---------------------------------


@attrs.frozen
class Code:
    """A piece of rule-file text shown as code: an expression, a name, a placeholder."""

    text: str


Phrase = tuple[str | Code, ...]


@attrs.frozen
class Provenance:
    """Where a number or a rule comes from: `source` (the policy says so) or `reading` (ours)."""

    basis: str
    description: str

    @property
    def is_reading(self) -> bool:
        return self.basis == n.Basis.READING.value


@attrs.frozen
class ParameterEntry:
    """One parameter: its value in force on the page's day, unit, clauses, dated values, provenance."""

    name: str
    value: str
    unit: str
    clauses: tuple[str, ...]
    schedule: tuple[tuple[date | None, str], ...]
    provenance: Provenance | None

    @property
    def effective(self) -> str:
        """`always` for one undated value; otherwise each value with the day it takes effect."""
        if len(self.schedule) == 1 and self.schedule[0][0] is None:
            return "always"
        return "; ".join(
            f"{value} from {day.isoformat()}" if day else f"{value} at first" for day, value in self.schedule
        )


@attrs.frozen
class Step:
    """One statement of a rule in plain language; `depth` counts the `for` loops around it."""

    phrase: Phrase
    depth: int = 0


@attrs.frozen
class RuleEntry:
    """One rule: its kind, name and clauses, its condition and statements in words, its text."""

    action: str
    kind: str
    name: str
    clauses: tuple[str, ...]
    condition: Phrase
    steps: tuple[Step, ...]
    reading: str | None
    source: str
    location: str

    @property
    def title(self) -> str:
        """`Approve — late renewal`."""
        return f"{self.kind.capitalize()} — {self.name.replace('_', ' ')}"

    @property
    def cited(self) -> str:
        return ", ".join(self.clauses)

    @property
    def anchor(self) -> str:
        return f"rule-{self.action}-{self.name}"


@attrs.frozen
class ActionEntry:
    name: str
    description: str | None
    lets: tuple[Phrase, ...]
    rules: tuple[RuleEntry, ...]

    @property
    def anchor(self) -> str:
        return f"action-{self.name}"


@attrs.frozen
class DefinitionEntry:
    name: str
    signature: str
    clauses: tuple[str, ...]
    provenance: Provenance | None
    steps: tuple[Step, ...]
    source: str


@attrs.frozen
class EnumEntry:
    """A closed set of named values: declared in the rule files, or built in (`role`, `license_kind`)."""

    name: str
    members: tuple[str, ...]
    clauses: tuple[str, ...]
    provenance: Provenance | None
    builtin: bool = False

    @property
    def cited(self) -> str:
        return "built in" if self.builtin else ", ".join(self.clauses)


@attrs.frozen
class ChargeRow:
    code: str
    amount: str
    clause: str
    period: str | None
    contract: str | None


@attrs.frozen
class ExampleEntry:
    """A worked example: the request, and the decision and explanation the policy gives for it."""

    key: str
    title: str
    summary: str
    request: str
    outcome: str
    term: str | None
    charges: tuple[ChargeRow, ...]
    total: str | None
    fields: tuple[tuple[str, str], ...]
    reasons: tuple[tuple[str, str], ...]
    explanation: str
    error: str | None = None


@attrs.frozen
class PolicyPage:
    title: str
    origin: str
    day: date
    parameters: tuple[ParameterEntry, ...]
    actions: tuple[ActionEntry, ...]
    definitions: tuple[DefinitionEntry, ...]
    enums: tuple[EnumEntry, ...]
    examples: tuple[ExampleEntry, ...]


# -- the worked examples: requests as data ------------------------------------------------


@attrs.frozen
class Example:
    """A request the docs decide live; `request` is its JSON form, read by `parse_request`."""

    title: str
    summary: str
    request: Mapping[str, object]


_CUSTOMER = {"id": "C1", "role": "customer", "existing": True}
_M1 = {
    "id": "M1",
    "currency": "USD",
    "start": "2025-03-01",
    "end": "2026-03-01",
    "annual_fee": "12000.00",
    "licenses": ["L1", "L2"],
}

EXAMPLES: dict[str, Example] = {
    "late-renewal": Example(
        "A renewal 40 days late",
        "Contract M1 (12,000.00 USD a year) expired on 2026-03-01; "
        "the customer renews on 2026-04-10, 40 days after it expired.",
        {
            "action": "renew",
            "date": "2026-04-10",
            "customer": _CUSTOMER,
            "contracts": [_M1],
            "contract": "M1",
        },
    ),
    "late-deferral": Example(
        "An initial ME&S signed on day 91",
        "License L9 (12,000.00 USD a year) shipped on 2025-10-12 without ME&S; "
        "the new customer signs its initial ME&S on 2026-01-11, 91 days after shipping.",
        {
            "action": "initial",
            "date": "2026-01-11",
            "customer": {"id": "C2", "role": "customer", "existing": False},
            "licenses": [
                {
                    "id": "L9",
                    "product": "NX",
                    "kind": "perpetual",
                    "shipped": "2025-10-12",
                    "annual_fee": "12000.00",
                    "currency": "USD",
                }
            ],
            "license": "L9",
        },
    ),
    "late-cancellation": Example(
        "A cancellation 29 days before expiry",
        "Written notice to cancel contract M1, which expires on 2026-03-01, "
        "reaches the vendor on 2026-01-31, 29 days before.",
        {
            "action": "cancel",
            "date": "2026-01-31",
            "customer": _CUSTOMER,
            "contracts": [_M1],
            "contract": "M1",
        },
    ),
    "cotermination": Example(
        "A co-termination of three contracts",
        "On 2025-09-01 the customer asks to bring contracts M1 (ends 2026-03-01), "
        "M2 (ends 2026-01-15) and M3 (ends 2025-12-31) to one expiration date.",
        {
            "action": "coterminate",
            "date": "2025-09-01",
            "customer": _CUSTOMER,
            "contracts": [
                _M1,
                {
                    "id": "M2",
                    "currency": "USD",
                    "start": "2025-01-15",
                    "end": "2026-01-15",
                    "annual_fee": "3650.00",
                    "licenses": ["L3"],
                },
                {
                    "id": "M3",
                    "currency": "USD",
                    "start": "2024-12-31",
                    "end": "2025-12-31",
                    "annual_fee": "7300.00",
                    "licenses": ["L4"],
                },
            ],
        },
    ),
}


def example_request(key: str) -> Request:
    """The request of worked example `key` (`late-renewal`, ...); KeyError names the known ones."""
    if key not in EXAMPLES:
        raise KeyError(f"no worked example '{key}'; the examples are: {', '.join(EXAMPLES)}")
    return parse_request(dict(EXAMPLES[key].request))


# -- reading a policy into a page ------------------------------------------------------------


def policy_page(
    policy: Policy,
    *,
    day: date | None = None,
    origin: str | None = None,
    examples: Sequence[str] | None = None,
) -> PolicyPage:
    """The page of `policy`: parameters in force on `day` (today by default), rules, examples."""
    on = day or date.today()
    checked = policy.checked
    keys = tuple(EXAMPLES) if examples is None else tuple(examples)
    return PolicyPage(
        title=TITLE,
        origin=origin or policy.origin,
        day=on,
        parameters=tuple(_parameters(policy, on)),
        actions=tuple(_action(action) for action in checked.actions.values()),
        definitions=tuple(_definition(d.node) for d in checked.definitions.values()),
        enums=tuple(_enums(policy)),
        examples=tuple(worked_example(policy, key) for key in keys),
    )


def _parameters(policy: Policy, day: date) -> Iterator[ParameterEntry]:
    in_force = parameter_values(policy, day)
    for name, parameter in policy.checked.parameters.items():
        node = parameter.node
        value = in_force.get(name)
        yield ParameterEntry(
            name=name,
            value=format_expr(value) if isinstance(value, _LITERALS) else "(none yet)",
            unit=_unit(parameter.type),
            clauses=_clauses(node.clauses),
            schedule=tuple((d, format_expr(v)) for d, v in parameter.values),
            provenance=_provenance(node.provenance),
        )


_LITERALS = (
    n.NumberLiteral,
    n.PercentLiteral,
    n.DurationLiteral,
    n.MoneyLiteral,
    n.DateLiteral,
    n.BoolLiteral,
    n.TextLiteral,
)


def _unit(kind: t.Type) -> str:
    if isinstance(kind, t.Money):
        return kind.currency or "money"
    return {"rate": "%", "integer": "number"}.get(str(kind), str(kind))


def _clauses(clauses: Sequence[n.Clause]) -> tuple[str, ...]:
    return tuple(c.text for c in clauses)


def _provenance(provenance: n.Provenance | None) -> Provenance | None:
    if provenance is None:
        return None
    return Provenance(provenance.basis.value, provenance.description)


def _action(action: n.Action) -> ActionEntry:
    lets = tuple((Code(let.name), " = ", Code(format_expr(let.value))) for let in action.lets)
    return ActionEntry(action.name, action.description, lets, tuple(_rule(action, r) for r in action.rules))


def _rule(action: n.Action, rule: n.Rule) -> RuleEntry:
    default = rule.clauses[0].text if rule.clauses else ""
    if rule.condition is not None:
        condition: Phrase = ("when ", Code(format_expr(rule.condition)))
    elif rule.kind is n.RuleKind.APPROVE:
        condition = ("always, once no reject rule applies",)
    else:
        condition = ("always",)
    reading = rule.provenance.description if rule.provenance is not None else None
    return RuleEntry(
        action=action.name,
        kind=rule.kind.value,
        name=rule.name,
        clauses=_clauses(rule.clauses),
        condition=condition,
        steps=tuple(_steps(rule.body, default, 0)),
        reading=reading,
        source=source_text(rule.span),
        location=f"{rule.span.source.path}:{rule.span.line}",
    )


def _steps(body: Sequence[n.Statement], default: str, depth: int) -> Iterator[Step]:
    for statement in body:
        if isinstance(statement, n.ForEach):
            yield Step(_for_each(statement), depth)
            yield from _steps(statement.body, default, depth + 1)
        else:
            yield Step(_statement(statement, default), depth)


def _for_each(loop: n.ForEach) -> Phrase:
    phrase: Phrase = ("for each ", Code(loop.variable), " in ", Code(format_expr(loop.collection)))
    if loop.condition is not None:
        phrase += (" when ", Code(format_expr(loop.condition)))
    return (*phrase, ":")


def _statement(statement: n.Statement, default: str) -> Phrase:
    match statement:
        case n.Let(name, value):
            return ("let ", Code(name), " = ", Code(format_expr(value)))
        case n.Reason(clause, message):
            cited = clause.text if clause is not None else default
            return (f"says ({cited}): “", *message_phrase(message), "”")
        case n.Term(start, end):
            return ("term from ", Code(format_expr(start)), " until ", Code(format_expr(end)))
        case n.Charge():
            return _charge(statement, default)
        case n.Set(path, value):
            return ("sets ", Code(".".join(path)), " = ", Code(format_expr(value)))
    raise TypeError(f"not a statement: {statement!r}")


def _charge(charge: n.Charge, default: str) -> Phrase:
    cited = charge.clause.text if charge.clause is not None else default
    phrase: Phrase = ("charges ", Code(charge.code), " = ", Code(format_expr(charge.amount)), f" ({cited})")
    if charge.start is not None and charge.end is not None:
        phrase += (" from ", Code(format_expr(charge.start)), " until ", Code(format_expr(charge.end)))
    if charge.contract is not None:
        phrase += (" on ", Code(format_expr(charge.contract)))
    return phrase


def message_phrase(message: n.TextLiteral) -> Phrase:
    """A reason's text as written, its placeholders (`{expiry}`) shown as code."""
    return tuple(
        part if isinstance(part, str) else Code("{" + format_expr(part) + "}") for part in message.parts
    )


def _definition(node: n.Definition) -> DefinitionEntry:
    params = ", ".join(f"{p.name}: {p.declared_type.name}" for p in node.params)
    signature = (
        f"{node.name}({params}): {node.returns.name}" if node.params else f"{node.name}: {node.returns.name}"
    )
    steps = [Step(("let ", Code(let.name), " = ", Code(format_expr(let.value)))) for let in node.lets]
    steps.append(Step(("gives ", Code(format_expr(node.result)))))
    return DefinitionEntry(
        name=node.name,
        signature=signature,
        clauses=_clauses(node.clauses),
        provenance=_provenance(node.provenance),
        steps=tuple(steps),
        source=source_text(node.span),
    )


def _enums(policy: Policy) -> Iterator[EnumEntry]:
    """The enums of the rule files in the order written, then those built into the language."""
    declared = [item for f in policy.checked.files for item in f.items if isinstance(item, n.Enum)]
    for node in declared:
        members = tuple(m.name for m in node.members)
        yield EnumEntry(node.name, members, _clauses(node.clauses), _provenance(node.provenance))
    written = {node.name for node in declared}
    for name, enum in policy.checked.enums.items():
        if name not in written:
            yield EnumEntry(name, enum.members, (), None, builtin=True)


def source_text(span: Span) -> str:
    """The rule-file text a node was written as, from its first line to its last, dedented."""
    lines = span.source.text.splitlines()[span.line - 1 : span.end_line]
    if not lines:
        return ""
    lines[0] = " " * (span.column - 1) + lines[0][span.column - 1 :]
    return textwrap.dedent("\n".join(lines)).strip("\n")


def worked_example(policy: Policy, key: str) -> ExampleEntry:
    """Decide and explain example `key` under `policy`; a policy that cannot gives the error instead."""
    example = EXAMPLES[key]
    request = example_request(key)
    shown = request_json(example.request)
    try:
        explanation = policy.explain(request)
    except (MespolicyError, RequestError) as error:
        return ExampleEntry(
            key, example.title, example.summary, shown, "error", None, (), None, (), (), "", str(error)
        )
    decision = explanation.decision
    return ExampleEntry(
        key=key,
        title=example.title,
        summary=example.summary,
        request=shown,
        outcome=decision.outcome.value,
        term=str(decision.term) if decision.term is not None else None,
        charges=tuple(_charge_row(c) for c in decision.charges),
        total=str(decision.total) if decision.total is not None else None,
        fields=tuple((name, _shown(value)) for name, value in decision.fields),
        reasons=tuple((r.clause, r.message) for r in decision.reasons),
        explanation=render_text(explanation),
    )


def request_json(data: Mapping[str, object]) -> str:
    """A request as JSON, one key a line and each contract or license on a line of its own."""
    lines = []
    for key, value in data.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            items = ",\n".join(f"    {_compact(item)}" for item in value)
            lines.append(f'  "{key}": [\n{items}\n  ]')
        else:
            lines.append(f'  "{key}": {_compact(value)}')
    return "{\n" + ",\n".join(lines) + "\n}"


def _compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _charge_row(charge: Charge) -> ChargeRow:
    period = str(charge.period) if charge.period is not None else None
    return ChargeRow(charge.code, str(charge.amount), charge.clause, period, charge.contract)


def _shown(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Money):
        return str(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


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
        "## Parameters",
        "",
    ]
    rows = [
        [
            _md_code(p.name),
            _md_code(p.value),
            p.unit,
            ", ".join(p.clauses),
            _md(p.effective),
            _md_basis(p.provenance),
            _md(p.provenance.description) if p.provenance else "",
        ]
        for p in page.parameters
    ]
    lines += _md_table(["Parameter", "Value", "Unit", "Clauses", "Effective", "Basis", "Description"], rows)
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
    for rule in action.rules:
        lines += [f'<a id="{rule.anchor}"></a>', ""]
        lines += [f"#### {rule.title} ({rule.cited})", ""]
        lines += [f"{_md_code(rule.name)} · {_md(rule.location)}", ""]
        lines += [f"- {_md_phrase(rule.condition)}"]
        lines += [
            f"{'  ' * (step.depth + 1) if step.depth else ''}- {_md_phrase(step.phrase)}"
            for step in rule.steps
        ]
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
    lines += [f"- {_md_phrase(step.phrase)}" for step in definition.steps] + [""]
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


# -- HTML ---------------------------------------------------------------------------------------

_CSS = """
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; margin: 0; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem 2rem 4rem; }
h1 { margin-bottom: .25rem; }
h2 { border-bottom: 1px solid #d0d7de; padding-bottom: .3rem; margin-top: 2.5rem; }
h3 { margin-top: 2rem; } h4 { margin: 1.5rem 0 .25rem; }
code, pre { font: 13.5px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
code { background: #f1f3f5; padding: .1em .3em; border-radius: 4px; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: .75rem 1rem;
  overflow-x: auto; }
pre code { background: none; padding: 0; }
table { border-collapse: collapse; margin: .5rem 0 1rem; width: 100%; }
th, td { border: 1px solid #d0d7de; padding: .35rem .6rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } td code { white-space: nowrap; }
.num { white-space: nowrap; }
tr.total td { font-weight: 600; }
.meta { color: #59636e; margin-top: 0; } .where { color: #59636e; font-size: .9em; }
.basis { display: inline-block; border-radius: 1em; padding: 0 .6em; font-size: .85em; font-weight: 600; }
.basis.source { background: #dafbe1; color: #116329; } .basis.reading { background: #fff1c2; color: #7d4e00; }
.reading-note { border-left: 4px solid #d4a72c; background: #fff8e1; padding: .4rem .8rem; margin: .5rem 0; }
.source-note { border-left: 4px solid #4ac26b; background: #f0fff4; padding: .4rem .8rem; margin: .5rem 0; }
.rule { border: 1px solid #d0d7de; border-radius: 6px; padding: .25rem 1rem .5rem; margin: 1rem 0; }
.rule.reject { border-left: 4px solid #cf222e; } .rule.approve { border-left: 4px solid #1a7f37; }
ul.steps { margin: .25rem 0; } details summary { cursor: pointer; color: #59636e; }
.outcome.approved { color: #1a7f37; font-weight: 600; }
.outcome.rejected { color: #cf222e; font-weight: 600; }
nav ul { columns: 2; }
"""


def policy_html(policy: Policy, *, day: date | None = None, origin: str | None = None) -> str:
    """The page of `policy` as one standalone HTML file: inline CSS, no external assets."""
    return render_html(policy_page(policy, day=day, origin=origin))


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def _h_code(text: str) -> str:
    return f"<code>{_h(text)}</code>"


def _h_phrase(phrase: Phrase) -> str:
    return "".join(_h_code(part.text) if isinstance(part, Code) else _h(part) for part in phrase)


def _h_basis(provenance: Provenance | None) -> str:
    if provenance is None:
        return ""
    return f'<span class="basis {_h(provenance.basis)}">{_h(provenance.basis)}</span>'


def _h_provenance(provenance: Provenance | None) -> str:
    if provenance is None:
        return ""
    if provenance.is_reading:
        return (
            f'<p class="reading-note">{_h_basis(provenance)} <em>({_h(READING_TAG)})</em> '
            f"{_h(provenance.description)}</p>"
        )
    return f'<p class="source-note">{_h_basis(provenance)} {_h(provenance.description)}</p>'


def _h_table(header: Sequence[str], rows: Sequence[Sequence[str]], extra: str = "") -> str:
    head = "".join(f"<th>{_h(cell)}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}{extra}</tbody></table>"


def _h_pre(text: str, language: str) -> str:
    return f'<pre class="language-{_h(language)}"><code>{_h(text)}</code></pre>'


def render_html(page: PolicyPage) -> str:
    """Print a `PolicyPage` as a standalone HTML document; every text from the rules is escaped."""
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        '<head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_h(page.title)}</title>",
        f"<style>{_CSS}</style></head>",
        "<body><main>",
        f"<h1>{_h(page.title)}</h1>",
        f'<p class="meta">Rules read from {_h_code(page.origin)}; parameter values in force on '
        f"{page.day.isoformat()}.</p>",
        "<p>Every number and rule below is read from the rule files, "
        "with the clause of the policy it rests on. "
        f"{_h_basis(Provenance('source', ''))} marks {_h(SOURCE_NOTE)}; "
        f"{_h_basis(Provenance('reading', ''))} marks {_h(READING_NOTE)}.</p>",
        _h_contents(page),
        '<h2 id="parameters">Parameters</h2>',
    ]
    rows = [
        [
            f'<span id="param-{_h(p.name)}">{_h_code(p.name)}</span>',
            _h_code(p.value),
            _h(p.unit),
            _h(", ".join(p.clauses)),
            _h(p.effective),
            _h_basis(p.provenance),
            _h(p.provenance.description) if p.provenance else "",
        ]
        for p in page.parameters
    ]
    out.append(_h_table(["Parameter", "Value", "Unit", "Clauses", "Effective", "Basis", "Description"], rows))
    out += ['<h2 id="actions">Actions</h2>', f"<p>{_h(RULE_ORDER)}</p>"]
    out += [_h_action(action) for action in page.actions]
    if page.definitions:
        out.append('<h2 id="definitions">Definitions</h2>')
        out += [_h_definition(d) for d in page.definitions]
    if page.enums:
        out += ['<h2 id="named-values">Named values</h2>', "<ul>"]
        for enum in page.enums:
            members = " | ".join(_h_code(m) for m in enum.members)
            out.append(
                f"<li>{_h_code(enum.name)} ({_h(enum.cited)}): {members}{_h_provenance(enum.provenance)}</li>"
            )
        out.append("</ul>")
    if page.examples:
        out += [
            '<h2 id="examples">Worked examples</h2>',
            "<p>Decided and explained by the rules above when this page was made.</p>",
        ]
        out += [_h_example(example) for example in page.examples]
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"


def _h_contents(page: PolicyPage) -> str:
    items = ['<li><a href="#parameters">Parameters</a></li>']
    items += [f'<li><a href="#{_h(a.anchor)}">Action {_h_code(a.name)}</a></li>' for a in page.actions]
    if page.definitions:
        items.append('<li><a href="#definitions">Definitions</a></li>')
    if page.enums:
        items.append('<li><a href="#named-values">Named values</a></li>')
    items += [f'<li><a href="#example-{_h(e.key)}">Example: {_h(e.title)}</a></li>' for e in page.examples]
    return "<nav><ul>" + "".join(items) + "</ul></nav>"


def _h_action(action: ActionEntry) -> str:
    title = _h_code(action.name) + (f" — {_h(action.description)}" if action.description else "")
    out = [f'<section id="{_h(action.anchor)}"><h3>{title}</h3>']
    if action.lets:
        out.append("<p>Where " + "; ".join(_h_phrase(let) for let in action.lets) + ".</p>")
    for rule in action.rules:
        out.append(
            f'<article class="rule {_h(rule.kind)}" id="{_h(rule.anchor)}">'
            f"<h4>{_h(rule.title)} ({_h(rule.cited)})</h4>"
            f'<p class="where">{_h_code(rule.name)} · {_h(rule.location)}</p>'
        )
        out.append(_h_steps((Step(rule.condition), *rule.steps)))
        if rule.reading:
            out.append(_h_provenance(Provenance(n.Basis.READING.value, rule.reading)))
        if rule.source:
            out.append(f"<details><summary>Rule text</summary>{_h_pre(rule.source, 'mespolicy')}</details>")
        out.append("</article>")
    out.append("</section>")
    return "\n".join(out)


def _h_steps(steps: Sequence[Step]) -> str:
    """Nested lists: a step one `for` deeper than the one before opens a list inside it."""
    out, depth = ['<ul class="steps">'], 0
    for index, step in enumerate(steps):
        while depth < step.depth:
            out.append('<ul class="steps">')
            depth += 1
        while depth > step.depth:
            out.append("</ul></li>")
            depth -= 1
        following = steps[index + 1].depth if index + 1 < len(steps) else 0
        out.append(f"<li>{_h_phrase(step.phrase)}" + ("" if following > step.depth else "</li>"))
    while depth > 0:
        out.append("</ul></li>")
        depth -= 1
    out.append("</ul>")
    return "".join(out)


def _h_definition(definition: DefinitionEntry) -> str:
    cited = f" ({_h(', '.join(definition.clauses))})" if definition.clauses else ""
    return (
        f'<section id="definition-{_h(definition.name)}"><h3>{_h_code(definition.signature)}{cited}</h3>'
        + _h_steps(definition.steps)
        + _h_provenance(definition.provenance)
        + (
            f"<details><summary>Definition text</summary>{_h_pre(definition.source, 'mespolicy')}</details>"
            if definition.source
            else ""
        )
        + "</section>"
    )


def _h_example(example: ExampleEntry) -> str:
    out = [
        f'<section id="example-{_h(example.key)}"><h3>{_h(example.title)}</h3>',
        f"<p>{_h(example.summary)}</p>",
        f"<details><summary>Request (JSON)</summary>{_h_pre(example.request, 'json')}</details>",
    ]
    if example.error is not None:
        out.append(f"<p>This policy cannot decide it: {_h(example.error)}</p></section>")
        return "\n".join(out)
    term = f", term {_h(example.term)}" if example.term else ""
    out.append(
        f'<p>Decision: <span class="outcome {_h(example.outcome)}">{_h(example.outcome)}</span>{term}.</p>'
    )
    if example.charges:
        rows = [
            [
                _h_code(c.code),
                f'<span class="num">{_h(c.amount)}</span>',
                _h(c.clause),
                _h(c.period or ""),
                _h(c.contract or ""),
            ]
            for c in example.charges
        ]
        total = (
            f'<tr class="total"><td>total</td><td>{_h(example.total or "")}</td>' + "<td></td>" * 3 + "</tr>"
        )
        out.append(_h_table(["Charge", "Amount", "Clause", "Period", "Contract"], rows, total))
    if example.fields:
        out.append("<ul>" + "".join(f"<li>{_h_code(k)}: {_h(v)}</li>" for k, v in example.fields) + "</ul>")
    out += ["<p>Explanation:</p>", _h_pre(example.explanation, "text"), "</section>"]
    return "\n".join(out)


# -- the command -------------------------------------------------------------------------------

_SUFFIXES = {"html": "html", "markdown": "md"}


@click.command(name="docs")
@click.option(
    "--policy",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="Folder (or file) of rules; the shipped policy by default.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write policy.html (or policy.md) into; made if missing.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(sorted(_SUFFIXES)),
    default="html",
    show_default=True,
    help="A standalone HTML page, or Markdown.",
)
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="NAME=VALUE",
    help="What-if: fix a parameter for this page (repeatable), e.g. --set deferral_grace='60 days'.",
)
def docs_command(policy: Path | None, out: Path, output_format: str, assignments: tuple[str, ...]) -> None:
    """Write the policy in force as one page: parameters, rules in plain language, worked examples.

    \b
    Examples:
      mespolicy docs --out site/
      mespolicy docs --out site/ --format markdown
      mespolicy docs --policy my-rules/ --out site/
      mespolicy docs --out site/ --set reinstatement_fee_rate=20%
    """
    try:
        loaded = load(policy).with_overrides(parse_assignments(assignments))
    except MespolicyError as error:
        click.echo(error.render(), err=True)
        sys.exit(1)
    text = policy_html(loaded) if output_format == "html" else policy_markdown(loaded)
    target = out / f"policy.{_SUFFIXES[output_format]}"
    try:
        out.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as error:
        click.echo(f"{target}: cannot write: {error.strerror}", err=True)
        sys.exit(1)
    click.echo(f"wrote {target}")


__all__ = [
    "EXAMPLES",
    "ActionEntry",
    "ChargeRow",
    "Code",
    "DefinitionEntry",
    "EnumEntry",
    "Example",
    "ExampleEntry",
    "ParameterEntry",
    "PolicyPage",
    "Provenance",
    "RuleEntry",
    "Step",
    "docs_command",
    "example_request",
    "policy_html",
    "policy_markdown",
    "policy_page",
    "render_html",
    "render_markdown",
    "worked_example",
]
