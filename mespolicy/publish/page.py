"""The page of the active policy as data: parameters, rules in plain language, worked examples.

`policy_page` reads a loaded `Policy` into one structure, `PolicyPage`;
`policy_markdown` and `policy_html` print it, and the Sphinx extension
(`mespolicy.sphinx`) turns the same structure into docutils nodes, so every form
of the documentation shows the same numbers, each with the clause it rests on.
The worked examples are decided and explained by the policy when the page is
built, never written by hand.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date

import attrs

from mespolicy import nodes as n
from mespolicy import types as t
from mespolicy.clauses import rule_citations
from mespolicy.cost import children
from mespolicy.errors import MespolicyError
from mespolicy.explain import render_text
from mespolicy.formatter import fact_options, fact_type, format_expr
from mespolicy.identity import identity_of
from mespolicy.model.decision import Charge, PolicyIdentity
from mespolicy.model.facts import Facts
from mespolicy.model.money import Money
from mespolicy.model.request import RequestError, parse_request
from mespolicy.parameter_types import describe_range
from mespolicy.policy import Policy, parameter_values
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
    # the declared range in words (`between 0% and 100%`, `at least 1 day`), empty when none
    range: str = ""

    @property
    def effective(self) -> str:
        """`always` for one undated value; otherwise each value with the day it takes effect."""
        if len(self.schedule) == 1 and self.schedule[0][0] is None:
            return "always"
        return "; ".join(
            f"{value} from {day.isoformat()}" if day else f"{value} at first" for day, value in self.schedule
        )


@attrs.frozen
class BandTable:
    """A band as a vendor's fee table: each row a band's bound and its value."""

    quantity: str
    rows: tuple[tuple[str, str], ...]

    @property
    def header(self) -> tuple[str, str]:
        return (self.quantity, "value")


@attrs.frozen
class Step:
    """One statement of a rule in plain language; `depth` counts the `for` loops around it.

    A band in the statement is named in the phrase by its quantity and shown whole in `tables`.
    """

    phrase: Phrase
    depth: int = 0
    tables: tuple[BandTable, ...] = ()


@attrs.frozen
class ClauseText:
    """A clause of the policy's document as the rule files declare it: id, title, its words."""

    id: str
    title: str
    text: str
    summary: bool = False

    @property
    def anchor(self) -> str:
        return "clause-" + "".join(c if c.isalnum() else "-" for c in self.id.lstrip("§")).lower()


@attrs.frozen
class Citation:
    """Who cites a clause: `rule renew / late_renewal`, `parameter fee_year`; `anchor` links a rule."""

    label: str
    anchor: str | None = None


@attrs.frozen
class ClauseEntry:
    """A declared clause, and every rule, parameter, enum and definition that cites it."""

    clause: ClauseText
    cited_by: tuple[Citation, ...]


@attrs.frozen
class RuleEntry:
    """One rule: its kind, name and clauses, its condition and statements in words, its text.

    `texts` holds the declared clauses it cites (none when the policy declares no clauses),
    so every form of the page shows the policy's words beside the rule resting on them.
    """

    action: str
    kind: str
    name: str
    clauses: tuple[str, ...]
    condition: Phrase
    steps: tuple[Step, ...]
    reading: str | None
    source: str
    location: str
    texts: tuple[ClauseText, ...] = ()
    condition_tables: tuple[BandTable, ...] = ()

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
    tables: tuple[BandTable, ...] = ()

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
class FactEntry:
    """One declared field of a record, of the request, or an output: its type and what it means."""

    name: str
    type: str
    presence: str  # "required", "optional", "default 1", "empty unless given"
    description: str
    clauses: tuple[str, ...]


@attrs.frozen
class RecordEntry:
    """A declared record (or the request's own facts, named ``request``) and its fields."""

    name: str
    description: str
    fields: tuple[FactEntry, ...]
    clauses: tuple[str, ...]


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
    # the clauses the policy declares (none: the page has no clause list), and who the policy is
    clauses: tuple[ClauseEntry, ...] = ()
    identity: PolicyIdentity | None = None
    # the facts a request gives (the request's own, then each record) and the outputs a decision sets
    facts: tuple[RecordEntry, ...] = ()
    outputs: tuple[FactEntry, ...] = ()


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


def example_request(key: str) -> Facts:
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
    keys = _examples_for(policy) if examples is None else tuple(examples)
    return PolicyPage(
        title=TITLE,
        origin=origin or policy.origin,
        day=on,
        parameters=tuple(_parameters(policy, on)),
        actions=tuple(_action(action, checked.clauses) for action in checked.actions.values()),
        definitions=tuple(_definition(d.node) for d in checked.definitions.values()),
        enums=tuple(_enums(policy)),
        examples=tuple(worked_example(policy, key) for key in keys),
        clauses=tuple(_clause_list(policy)),
        identity=identity_of(checked.header, checked.files),
        facts=tuple(_facts(policy)),
        outputs=tuple(_outputs(policy)),
    )


def _clause_text(clause: n.ClauseDeclaration) -> ClauseText:
    return ClauseText(clause.id.text, clause.title, clause.text, clause.summary)


def _clause_list(policy: Policy) -> Iterator[ClauseEntry]:
    """Each declared clause in the order written, with what cites it, each citer once."""
    checked = policy.checked
    citers: dict[str, dict[Citation, None]] = {ident: {} for ident in checked.clauses}

    def cite(clauses: Iterable[n.Clause], citation: Citation) -> None:
        for clause in clauses:
            if clause.text in citers:
                citers[clause.text][citation] = None

    for name, parameter in checked.parameters.items():
        cite(parameter.node.clauses, Citation(f"parameter {name}"))
    for action in checked.actions.values():
        for rule in action.rules:
            anchor = f"rule-{action.name}-{rule.name}"
            cite(rule_citations(rule), Citation(f"rule {action.name} / {rule.name}", anchor))
    for definition in checked.definitions.values():
        cite(definition.node.clauses, Citation(f"definition {definition.node.name}"))
    for file in checked.files:
        for item in file.items:
            if isinstance(item, n.Enum):
                cite(item.clauses, Citation(f"named values {item.name}"))
            elif isinstance(item, n.Record | n.RequestFacts):
                record = "the request" if isinstance(item, n.RequestFacts) else f"record {item.name}"
                cite(item.clauses, Citation(record))
                for field in item.fields:
                    cite(field.clauses, Citation(f"{record}: {field.name}"))
            elif isinstance(item, n.Output):
                cite(item.clauses, Citation(f"output {item.name}"))
    for ident, clause in checked.clauses.items():
        yield ClauseEntry(_clause_text(clause), tuple(citers[ident]))


def _facts(policy: Policy) -> Iterator[RecordEntry]:
    """The request's own facts first, then each record, as the rule files declare them."""
    items = [item for f in policy.checked.files for item in f.items]
    for item in items:
        if isinstance(item, n.RequestFacts):
            yield _record_entry("request", item.description, item.fields, item.clauses)
    for item in items:
        if isinstance(item, n.Record):
            yield _record_entry(item.name, item.description, item.fields, item.clauses)


def _record_entry(
    name: str, description: str | None, fields: Sequence[n.FactField], clauses: Sequence[n.Clause]
) -> RecordEntry:
    entries = tuple(
        FactEntry(f.name, fact_type_text(f), _presence(f), f.description or "", _clauses(f.clauses))
        for f in fields
    )
    return RecordEntry(name, description or "", entries, _clauses(clauses))


def fact_type_text(field: n.FactField) -> str:
    """A field's type and options as the rule files write them: `money in currency, at least 0`."""
    return ", ".join([fact_type(field), *fact_options(field)])


def _presence(field: n.FactField) -> str:
    if isinstance(field.default, n.EmptyList):
        return "empty unless given"
    if isinstance(field.default, n.EnumValueLiteral):
        return f"default {field.default.name}"
    if field.default is not None:
        return f"default {format_expr(field.default)}"
    return "optional" if field.optional else "required"


def _outputs(policy: Policy) -> Iterator[FactEntry]:
    for output in policy.checked.outputs.values():
        yield FactEntry(output.name, output.type.name, "", output.description or "", _clauses(output.clauses))


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
            range="; ".join(dict.fromkeys(describe_range(r) for r in parameter.ranges)),
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


def _action(action: n.Action, declared: Mapping[str, n.ClauseDeclaration]) -> ActionEntry:
    lets = tuple((Code(let.name), " = ", _code(let.value)) for let in action.lets)
    tables = tuple(table for let in action.lets for table in band_tables(let.value))
    rules = tuple(_rule(action, r, declared) for r in action.rules)
    return ActionEntry(action.name, action.description, lets, rules, tables)


def _rule(action: n.Action, rule: n.Rule, declared: Mapping[str, n.ClauseDeclaration]) -> RuleEntry:
    default = rule.clauses[0].text if rule.clauses else ""
    if rule.condition is not None:
        condition: Phrase = ("when ", _code(rule.condition))
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
        condition_tables=band_tables(rule.condition) if rule.condition is not None else (),
        steps=tuple(_steps(rule.body, default, 0)),
        reading=reading,
        source=source_text(rule.span),
        location=f"{rule.span.source.path}:{rule.span.line}",
        texts=tuple(
            _clause_text(declared[ident])
            for ident in dict.fromkeys(c.text for c in rule_citations(rule))
            if ident in declared
        ),
    )


def _steps(body: Sequence[n.Statement], default: str, depth: int) -> Iterator[Step]:
    for statement in body:
        if isinstance(statement, n.ForEach):
            yield Step(_for_each(statement), depth)
            yield from _steps(statement.body, default, depth + 1)
        else:
            yield Step(_statement(statement, default), depth, _statement_tables(statement))


def _statement_tables(statement: n.Statement) -> tuple[BandTable, ...]:
    match statement:
        case n.Let(value=value) | n.Set(value=value):
            return band_tables(value)
        case n.Term(start=start, end=end):
            return band_tables(start) + band_tables(end)
        case n.Charge(amount=amount, start=start, end=end, contract=contract):
            found = (e for e in (amount, start, end, contract) if e is not None)
            return tuple(table for e in found for table in band_tables(e))
    return ()


def band_tables(expr: n.Expr) -> tuple[BandTable, ...]:
    """The bands of an expression as tables, outermost first (a band in a band's row has its own)."""
    tables: list[BandTable] = []
    pending = [expr]
    while pending:
        node = pending.pop(0)
        if isinstance(node, n.Band):
            rows = [(f"{step.bound.value} {format_expr(step.threshold)}", step.value) for step in node.steps]
            if node.beyond is not None:
                rows.append(("beyond", node.beyond))
            quantity = format_expr(node.quantity)
            tables.append(BandTable(quantity, tuple((bound, _briefly(value)) for bound, value in rows)))
            pending.extend(value for _, value in rows)
        else:
            pending.extend(children(node))
    return tuple(tables)


def _briefly(expr: n.Expr) -> str:
    """An expression on one line: each band in it named by its quantity (its table is shown apart)."""
    text = format_expr(expr)
    pending = [expr]
    while pending:
        node = pending.pop()
        if isinstance(node, n.Band):
            text = text.replace(format_expr(node), f"band of {format_expr(node.quantity)} (table)")
        else:
            pending.extend(children(node))
    return text


def _code(expr: n.Expr) -> Code:
    return Code(_briefly(expr))


def _for_each(loop: n.ForEach) -> Phrase:
    phrase: Phrase = ("for each ", Code(loop.variable), " in ", _code(loop.collection))
    if loop.condition is not None:
        phrase += (" when ", _code(loop.condition))
    return (*phrase, ":")


def _statement(statement: n.Statement, default: str) -> Phrase:
    match statement:
        case n.Let(name, value):
            return ("let ", Code(name), " = ", _code(value))
        case n.Reason(clause, message):
            cited = clause.text if clause is not None else default
            return (f"says ({cited}): “", *message_phrase(message), "”")
        case n.Term(start, end):
            return ("term from ", _code(start), " until ", _code(end))
        case n.Charge():
            return _charge(statement, default)
        case n.Set(path, value):
            return ("sets ", Code(".".join(path)), " = ", _code(value))
    raise TypeError(f"not a statement: {statement!r}")


def _charge(charge: n.Charge, default: str) -> Phrase:
    cited = charge.clause.text if charge.clause is not None else default
    phrase: Phrase = ("charges ", Code(charge.code), " = ", _code(charge.amount), f" ({cited})")
    if charge.start is not None and charge.end is not None:
        phrase += (" from ", _code(charge.start), " until ", _code(charge.end))
    if charge.contract is not None:
        phrase += (" on ", _code(charge.contract))
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
    steps = [
        Step(("let ", Code(let.name), " = ", _code(let.value)), 0, band_tables(let.value))
        for let in node.lets
    ]
    steps.append(Step(("gives ", _code(node.result)), 0, band_tables(node.result)))
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


def _examples_for(policy: Policy) -> tuple[str, ...]:
    """The worked examples a policy's page shows by default: those its declared facts can read.

    The examples are requests to the shipped policy. A policy that reads the same facts
    shows them all (one it no longer decides shows why, which an analyst editing the rules
    wants to see); another vendor's policy, with facts of its own, would show them only as
    refused requests, so they are left out.
    """
    keys = []
    for key, example in EXAMPLES.items():
        try:
            policy.read(example.request)
        except RequestError:
            continue
        keys.append(key)
    return tuple(keys)


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
