"""The policy page printed as one standalone HTML file: inline CSS, no external assets."""

from __future__ import annotations

import html
import html.entities
from collections.abc import Sequence
from datetime import date

from mespolicy import nodes as n
from mespolicy.policy import Policy
from mespolicy.publish.page import (
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
blockquote.clause { border-left: 4px solid #8c959f; background: #f6f8fa; margin: .5rem 0;
  padding: .3rem .8rem; color: #424a53; }
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
        _h_identity(page),
        _h_contents(page),
        '<h2 id="parameters">Parameters</h2>',
    ]
    rows = [
        [
            f'<span id="param-{_h(p.name)}">{_h_code(p.name)}</span>',
            _h_code(p.value),
            _h(p.unit),
            _h(p.range),
            _h(", ".join(p.clauses)),
            _h(p.effective),
            _h_basis(p.provenance),
            _h(p.provenance.description) if p.provenance else "",
        ]
        for p in page.parameters
    ]
    header = ["Parameter", "Value", "Unit", "Range", "Clauses", "Effective", "Basis", "Description"]
    out.append(_h_table(header, rows))
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
    if page.clauses:
        out += [
            '<h2 id="clauses">Clauses</h2>',
            "<p>The clauses of the policy, as the rule files declare them.</p>",
        ]
        out += [_h_clause_entry(entry) for entry in page.clauses]
    if page.facts or page.outputs:
        out += _h_facts(page)
    if page.examples:
        out += [
            '<h2 id="examples">Worked examples</h2>',
            "<p>Decided and explained by the rules above when this page was made.</p>",
        ]
        out += [_h_example(example) for example in page.examples]
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"


def _h_identity(page: PolicyPage) -> str:
    identity = page.identity
    if identity is None:
        return ""
    name = f"<em>{_h(identity.name)}</em>" if identity.name else "This policy (unnamed)"
    version = f", version {_h(identity.version)}" if identity.version else ""
    return f'<p class="meta">{name}{version}; content hash {_h_code(identity.hash)}.</p>'


def _h_clause_quote(clause: ClauseText) -> str:
    kind = " (summary)" if clause.summary else ""
    return (
        f'<blockquote class="clause"><a href="#{_h(clause.anchor)}"><strong>{_h(clause.id)} '
        f"{_h(clause.title)}</strong></a>{kind}: {_h(clause.text)}</blockquote>"
    )


def _h_clause_entry(entry: ClauseEntry) -> str:
    clause = entry.clause
    words = ("<em>Summary:</em> " if clause.summary else "") + _h(clause.text)
    cited = ", ".join(
        f'<a href="#{_h(c.anchor)}">{_h(c.label)}</a>' if c.anchor else _h(c.label) for c in entry.cited_by
    )
    return (
        f'<section id="{_h(clause.anchor)}"><h3>{_h(clause.id)} {_h(clause.title)}</h3>'
        f"<p>{words}</p><p>Cited by: {cited or 'no rule or value'}.</p></section>"
    )
def _h_facts(page: PolicyPage) -> list[str]:
    """What a request gives (the request's facts, then each record) and what a decision may set."""
    out = ['<h2 id="facts">Facts</h2>']
    out += [_h_record(record) for record in page.facts]
    if page.outputs:
        rows = [
            [_h_code(o.name), _h_code(o.type), _h(o.description), _h(", ".join(o.clauses))]
            for o in page.outputs
        ]
        header = ["Output", "Type", "Description", "Clauses"]
        out += ["<h3>What a decision may set</h3>", _h_table(header, rows)]
    return out


def _h_record(record: RecordEntry) -> str:
    title = "The request" if record.name == "request" else f"Record {_h_code(record.name)}"
    cited = f" ({_h(', '.join(record.clauses))})" if record.clauses else ""
    about = f"<p>{_h(record.description)}{cited}</p>" if record.description else ""
    rows = [
        [_h_code(f.name), _h_code(f.type), _h(f.presence), _h(f.description), _h(", ".join(f.clauses))]
        for f in record.fields
    ]
    return f"<h3>{title}</h3>{about}" + _h_table(["Field", "Type", "Given", "Description", "Clauses"], rows)


def _h_contents(page: PolicyPage) -> str:
    items = ['<li><a href="#parameters">Parameters</a></li>']
    items += [f'<li><a href="#{_h(a.anchor)}">Action {_h_code(a.name)}</a></li>' for a in page.actions]
    if page.definitions:
        items.append('<li><a href="#definitions">Definitions</a></li>')
    if page.enums:
        items.append('<li><a href="#named-values">Named values</a></li>')
    if page.clauses:
        items.append('<li><a href="#clauses">Clauses</a></li>')
    if page.facts or page.outputs:
        items.append('<li><a href="#facts">Facts</a></li>')
    items += [f'<li><a href="#example-{_h(e.key)}">Example: {_h(e.title)}</a></li>' for e in page.examples]
    return "<nav><ul>" + "".join(items) + "</ul></nav>"


def _h_action(action: ActionEntry) -> str:
    title = _h_code(action.name) + (f" — {_h(action.description)}" if action.description else "")
    out = [f'<section id="{_h(action.anchor)}"><h3>{title}</h3>']
    if action.lets:
        out.append("<p>Where " + "; ".join(_h_phrase(let) for let in action.lets) + ".</p>")
        out.extend(_h_band(table) for table in action.tables)
    for rule in action.rules:
        out.append(
            f'<article class="rule {_h(rule.kind)}" id="{_h(rule.anchor)}">'
            f"<h4>{_h(rule.title)} ({_h(rule.cited)})</h4>"
            f'<p class="where">{_h_code(rule.name)} · {_h(rule.location)}</p>'
        )
        out += [_h_clause_quote(clause) for clause in rule.texts]
        out.append(_h_steps((Step(rule.condition, 0, rule.condition_tables), *rule.steps)))
        if rule.reading:
            out.append(_h_provenance(Provenance(n.Basis.READING.value, rule.reading)))
        if rule.source:
            out.append(f"<details><summary>Rule text</summary>{_h_pre(rule.source, 'mespolicy')}</details>")
        out.append("</article>")
    out.append("</section>")
    return "\n".join(out)


def _h_band(table: BandTable) -> str:
    """A band as the vendor's fee table: the quantity's bounds, and the value of each band."""
    head = f"<tr><th>{_h_code(table.quantity)}</th><th>value</th></tr>"
    body = "".join(
        f"<tr><td>{_h_code(bound)}</td><td>{_h_code(value)}</td></tr>" for bound, value in table.rows
    )
    return f'<table class="band"><thead>{head}</thead><tbody>{body}</tbody></table>'


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
        tables = "".join(_h_band(table) for table in step.tables)
        out.append(f"<li>{_h_phrase(step.phrase)}{tables}" + ("" if following > step.depth else "</li>"))
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
