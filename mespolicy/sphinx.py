"""A Sphinx extension that renders the active policy from its rule files, so the docs cannot drift from them.

Add ``"mespolicy.sphinx"`` to ``extensions`` in ``conf.py``; it gives three
directives, each read from a `PolicyPage` (the structure `mespolicy.publish`
prints its pages from):

``.. mespolicy-parameters::``
    a table of every parameter: value, unit, clauses, effective dates, source or reading.
``.. mespolicy-rules::``
    every action and each of its rules in plain language, with the rule's text;
    then the definitions and the named values (enums). ``:action: NAME`` shows one action only.
``.. mespolicy-example:: late-renewal``
    a worked example decided and explained when the docs are built.
``.. mespolicy-limits::``
    the bounds on untrusted input (`mespolicy.limits`): name, default, error code, what each bounds.
``.. mespolicy-clauses::``
    the clauses the policy declares: id, title, text (or summary), and what cites each;
    ``mespolicy-rules`` also quotes, beside each rule, the clauses it cites.
``.. mespolicy-facts::``
    the facts a request gives (the request's own, each record's fields) and the outputs a decision sets.
``.. mespolicy-schema:: request`` (or ``decision``)
    the JSON Schema of the policy's requests (or decisions), as ``mespolicy schema`` prints it.

Each (but ``mespolicy-limits``) takes ``:policy: PATH``, a folder of rule files relative to the docs source
folder; the config value ``mespolicy_policy`` sets the default, and without
either the shipped policy is shown. The config value ``mespolicy_libraries``
lists the library folders (relative to the docs source folder) that
``include library`` may read, before the shipped library. The extension also registers the
``mespolicy`` Pygments lexer for ``.. code-block:: mespolicy``.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from mespolicy.errors import MespolicyError
from mespolicy.lexer import MespolicyLexer
from mespolicy.limits import described
from mespolicy.loader import SUFFIX, shipped_rules
from mespolicy.policy import load
from mespolicy.publish import (
    EXAMPLES,
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
    EnumEntry,
    ExampleEntry,
    Phrase,
    PolicyPage,
    Provenance,
    RuleEntry,
    Step,
    policy_page,
)

logger = logging.getLogger(__name__)

Cell = str | Sequence[nodes.Node]


@functools.lru_cache(maxsize=8)
def _page(
    folder: str, stamp: tuple[tuple[str, int], ...], origin: str, libraries: tuple[str, ...] = ()
) -> PolicyPage:
    """The page of the rules in `folder`, built once per build while the files stay as they are."""
    return policy_page(load(folder, libraries=libraries), origin=origin)


def _rule_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob(f"*{SUFFIX}")) if folder.is_dir() else [folder]


class _PolicyDirective(SphinxDirective):
    """What the three directives share: which policy to show, loaded once and tracked for rebuilds."""

    option_spec: ClassVar[dict[str, Any]] = {"policy": directives.unchanged}

    def page(self) -> PolicyPage:
        path = self.options.get("policy") or self.config.mespolicy_policy
        folder = (Path(self.env.srcdir) / path).resolve() if path else shipped_rules()
        if not folder.exists():
            raise self.error(f"mespolicy: no rule folder or file at {folder}")
        libraries = tuple(
            str((Path(self.env.srcdir) / library).resolve()) for library in self.config.mespolicy_libraries
        )
        files = _rule_files(folder) + [f for library in libraries for f in _rule_files(Path(library))]
        for file in files:
            self.env.note_dependency(str(file))
        stamp = tuple((str(file), file.stat().st_mtime_ns) for file in files)
        origin = os.path.relpath(folder, self.env.srcdir)
        try:
            return _page(str(folder), stamp, origin, libraries)
        except MespolicyError as error:
            raise self.error(f"mespolicy: the rules at {folder} do not load:\n{error.render()}") from None


class ParametersDirective(_PolicyDirective):
    """``.. mespolicy-parameters::``: every parameter in one table."""

    def run(self) -> list[nodes.Node]:
        page = self.page()
        intro = nodes.paragraph(
            "",
            "",
            nodes.Text(f"Values in force on {page.day.isoformat()}, read from "),
            nodes.literal("", page.origin),
            nodes.Text(". Basis: "),
            nodes.emphasis("", "source"),
            nodes.Text(f" is {SOURCE_NOTE}; "),
            nodes.strong("", "reading"),
            nodes.Text(f" is {READING_NOTE}."),
        )
        rows: list[Sequence[Cell]] = [
            [
                [nodes.literal("", p.name)],
                [nodes.literal("", p.value)],
                p.unit,
                p.range,
                ", ".join(p.clauses),
                p.effective,
                _basis(p.provenance),
                p.provenance.description if p.provenance else "",
            ]
            for p in page.parameters
        ]
        header = ["Parameter", "Value", "Unit", "Range", "Clauses", "Effective", "Basis", "Description"]
        return [intro, _table(header, rows, [17, 10, 6, 10, 8, 8, 7, 34], "mespolicy-parameters")]


class FactsDirective(_PolicyDirective):
    """``.. mespolicy-facts::``: the request's facts, each record's fields, the outputs a decision sets."""

    def run(self) -> list[nodes.Node]:
        page = self.page()
        out: list[nodes.Node] = []
        header = ["Field", "Type", "Given", "Description", "Clauses"]
        for record in page.facts:
            title = "The request" if record.name == "request" else f"Record {record.name}"
            rows: list[Sequence[Cell]] = [
                [
                    [nodes.literal("", f.name)],
                    [nodes.literal("", f.type)],
                    f.presence,
                    f.description,
                    ", ".join(f.clauses),
                ]
                for f in record.fields
            ]
            body: list[nodes.Node] = [nodes.rubric("", title)]
            if record.description:
                cited = f" ({', '.join(record.clauses)})" if record.clauses else ""
                body.append(nodes.paragraph("", record.description + cited))
            body.append(_table(header, rows, [14, 22, 12, 44, 8], "mespolicy-facts"))
            out.extend(body)
        if page.outputs:
            rows = [
                [
                    [nodes.literal("", o.name)],
                    [nodes.literal("", o.type)],
                    o.description,
                    ", ".join(o.clauses),
                ]
                for o in page.outputs
            ]
            out.append(nodes.rubric("", "What a decision may set"))
            header = ["Output", "Type", "Description", "Clauses"]
            out.append(_table(header, rows, [18, 14, 58, 10], "mespolicy-facts"))
        return out


class LimitsDirective(SphinxDirective):
    """``.. mespolicy-limits::``: the table of `mespolicy.limits.Limits`, read from its fields."""

    def run(self) -> list[nodes.Node]:
        rows: list[Sequence[Cell]] = [
            [[nodes.literal("", name)], f"{default:,}", [nodes.literal("", code)], bounds]
            for name, default, code, bounds in described()
        ]
        header = ["Limit", "Default", "Code", "What it bounds"]
        return [_table(header, rows, [20, 12, 8, 60], "mespolicy-limits")]


class RulesDirective(_PolicyDirective):
    """``.. mespolicy-rules::``: each action a section, each rule in words and in its own text."""

    option_spec: ClassVar[dict[str, Any]] = {**_PolicyDirective.option_spec, "action": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        page = self.page()
        only = self.options.get("action")
        actions = [a for a in page.actions if only is None or a.name == only]
        if not actions:
            raise self.error(f"mespolicy: no action '{only}'; the actions are: {_names(page.actions)}")
        out: list[nodes.Node] = [nodes.paragraph("", RULE_ORDER)]
        out += [self.action(action) for action in actions]
        if only is None and page.definitions:
            out.append(self.section("Definitions", "definitions", [_definition(d) for d in page.definitions]))
        if only is None and page.enums:
            out.append(self.section("Named values", "named-values", [_enums(page.enums)]))
        return out

    def section(
        self, title: str | Sequence[nodes.Node], key: str, body: Sequence[nodes.Node]
    ) -> nodes.section:
        section = nodes.section()
        section += nodes.title("", title) if isinstance(title, str) else nodes.title("", "", *title)
        section["names"].append(f"mespolicy {key}")
        self.state.document.note_implicit_target(section, section)
        if not section["ids"]:
            section["ids"].append(nodes.make_id(f"mespolicy-{key}"))
        section.extend(body)
        return section

    def action(self, action: ActionEntry) -> nodes.section:
        title: list[nodes.Node] = [nodes.Text("Action "), nodes.literal("", action.name)]
        body: list[nodes.Node] = []
        if action.description:
            body.append(nodes.paragraph("", action.description))
        if action.lets:
            body.append(_paragraph(("Where ", *_join(action.lets, "; "), ".")))
            body.extend(_band(table) for table in action.tables)
        for rule in action.rules:
            body += _rule(rule)
        return self.section(title, action.anchor, body)


class ClausesDirective(_PolicyDirective):
    """``.. mespolicy-clauses::``: each declared clause, its words, and the rules and values citing it."""

    def run(self) -> list[nodes.Node]:
        page = self.page()
        if not page.clauses:
            return [nodes.paragraph("", "This policy declares no clauses.")]
        return [_clause_entry(entry) for entry in page.clauses]


class ExampleDirective(_PolicyDirective):
    """``.. mespolicy-example:: KEY``: request, decision and explanation, computed at build time."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        key = self.arguments[0]
        if key not in EXAMPLES:
            raise self.error(f"mespolicy: no worked example '{key}'; the examples are: {', '.join(EXAMPLES)}")
        page = self.page()
        example = next(e for e in page.examples if e.key == key)
        if example.error is not None:
            logger.warning(
                "mespolicy: example %r cannot be decided: %s",
                key,
                example.error,
                location=self.get_location(),
            )
        return _example(example)


# -- nodes from the page's entries ---------------------------------------------------------------


def _inline(phrase: Phrase) -> list[nodes.Node]:
    return [nodes.literal("", p.text) if isinstance(p, Code) else nodes.Text(p) for p in phrase]


def _paragraph(phrase: Phrase) -> nodes.paragraph:
    return nodes.paragraph("", "", *_inline(phrase))


def _join(phrases: Sequence[Phrase], separator: str) -> Phrase:
    joined: Phrase = ()
    for index, phrase in enumerate(phrases):
        joined += (separator, *phrase) if index else phrase
    return joined


def _names(actions: Sequence[ActionEntry]) -> str:
    return ", ".join(a.name for a in actions)


def _basis(provenance: Provenance | None) -> Cell:
    if provenance is None:
        return ""
    return [nodes.strong("", provenance.basis)] if provenance.is_reading else provenance.basis


def _entry(cell: Cell) -> nodes.entry:
    content = [nodes.Text(cell)] if isinstance(cell, str) else list(cell)
    return nodes.entry("", nodes.paragraph("", "", *content))


def _table(
    header: Sequence[str], rows: Sequence[Sequence[Cell]], widths: Sequence[int], name: str
) -> nodes.table:
    group = nodes.tgroup(cols=len(header))
    group.extend(nodes.colspec(colwidth=width) for width in widths)
    group += nodes.thead("", nodes.row("", *(_entry(cell) for cell in header)))
    group += nodes.tbody("", *(nodes.row("", *(_entry(cell) for cell in row)) for row in rows))
    # widths as given, so a long description gets the room and short columns stay narrow
    return nodes.table("", group, classes=[name, "colwidths-given"], width="100%")


def _band(table: BandTable) -> nodes.table:
    """A band as the vendor's fee table: the quantity's bounds, and the value of each band."""
    header: list[Cell] = [[nodes.literal("", table.quantity)], "value"]
    rows = [[[nodes.literal("", bound)], [nodes.literal("", value)]] for bound, value in table.rows]
    return _table(header, rows, (1, 2), "mespolicy-band")  # type: ignore[arg-type]


def _steps(steps: Sequence[Step]) -> nodes.bullet_list:
    """Steps as a bullet list; a step one `for` deeper goes in a list inside the step before it."""
    top = nodes.bullet_list()
    lists = [top]
    items: list[nodes.list_item] = []
    for step in steps:
        del lists[step.depth + 1 :], items[step.depth + 1 :]
        while len(lists) < step.depth + 1 and items:
            inner = nodes.bullet_list()
            items[-1] += inner
            lists.append(inner)
        item = nodes.list_item("", _paragraph(step.phrase), *(_band(table) for table in step.tables))
        lists[-1] += item
        del items[len(lists) - 1 :]
        items.append(item)
    return top


def _reading(text: str) -> nodes.admonition:
    title = nodes.title("", f"{READING_LABEL} ({READING_TAG})")
    return nodes.admonition("", title, nodes.paragraph("", text), classes=["mespolicy-reading"])


def _provenance(provenance: Provenance | None) -> list[nodes.Node]:
    if provenance is None:
        return []
    if provenance.is_reading:
        return [_reading(provenance.description)]
    return [nodes.paragraph("", "", nodes.emphasis("", "Source: "), nodes.Text(provenance.description))]


def _source(text: str) -> list[nodes.Node]:
    if not text:
        return []
    block = nodes.literal_block(text, text)
    block["language"] = "mespolicy"
    return [block]


def _rule(rule: RuleEntry) -> list[nodes.Node]:
    heading = nodes.rubric(
        "", f"{rule.title} ({rule.cited})", ids=[nodes.make_id(f"mespolicy-{rule.anchor}")]
    )
    where = nodes.paragraph(
        "", "", nodes.literal("", rule.name), nodes.Text(" · "), nodes.emphasis("", rule.location)
    )
    condition = Step(rule.condition, 0, rule.condition_tables)
    out: list[nodes.Node] = [heading, where, *(_clause_quote(c) for c in rule.texts)]
    out.append(_steps((condition, *rule.steps)))
    if rule.reading:
        out.append(_reading(rule.reading))
    return out + _source(rule.source)


def _clause_quote(clause: ClauseText) -> nodes.block_quote:
    kind = " (summary)" if clause.summary else ""
    words = nodes.paragraph(
        "", "", nodes.strong("", f"{clause.id} {clause.title}"), nodes.Text(f"{kind}: {clause.text}")
    )
    return nodes.block_quote("", words, classes=["mespolicy-clause"])


def _clause_entry(entry: ClauseEntry) -> nodes.container:
    clause = entry.clause
    title = nodes.strong("", f"{clause.id} {clause.title}")
    head = nodes.paragraph("", "", title, ids=[nodes.make_id(f"mespolicy-{clause.anchor}")])
    words = nodes.paragraph("", ("Summary: " if clause.summary else "") + clause.text)
    cited = ", ".join(c.label for c in entry.cited_by) or "no rule or value"
    by = nodes.paragraph("", "", nodes.emphasis("", "Cited by: "), nodes.Text(f"{cited}."))
    return nodes.container("", head, words, by, classes=["mespolicy-clause-entry"])


def _definition(definition: DefinitionEntry) -> nodes.container:
    cited = f" ({', '.join(definition.clauses)})" if definition.clauses else ""
    head = nodes.paragraph("", "", nodes.literal("", definition.signature), nodes.Text(cited))
    body = [head, _steps(definition.steps), *_provenance(definition.provenance), *_source(definition.source)]
    return nodes.container("", *body, classes=["mespolicy-definition"])


def _enums(enums: Sequence[EnumEntry]) -> nodes.bullet_list:
    items = nodes.bullet_list()
    for enum in enums:
        members = _join(tuple((Code(m),) for m in enum.members), " | ")
        line = _paragraph((Code(enum.name), f" ({enum.cited}): ", *members))
        items += nodes.list_item("", line, *_provenance(enum.provenance))
    return items


def _example(example: ExampleEntry) -> list[nodes.Node]:
    request = nodes.literal_block(example.request, example.request)
    request["language"] = "json"
    out: list[nodes.Node] = [nodes.paragraph("", example.summary), nodes.rubric("", "Request"), request]
    if example.error is not None:
        return [*out, nodes.paragraph("", f"This policy cannot decide it: {example.error}")]
    decision: Phrase = ("Decision: ", Code(example.outcome))
    if example.term:
        decision += (f", term {example.term}",)
    out += [nodes.rubric("", "Decision"), _paragraph((*decision, "."))]
    if example.charges:
        rows: list[Sequence[Cell]] = [
            [[nodes.literal("", c.code)], c.amount, c.clause, c.period or "", c.contract or ""]
            for c in example.charges
        ]
        rows.append([[nodes.strong("", "total")], [nodes.strong("", example.total or "")], "", "", ""])
        out.append(
            _table(
                ["Charge", "Amount", "Clause", "Period", "Contract"],
                rows,
                [20, 18, 8, 30, 10],
                "mespolicy-charges",
            )
        )
    if example.fields:
        out.append(_steps([Step((Code(name), f": {value}")) for name, value in example.fields]))
    explanation = nodes.literal_block(example.explanation, example.explanation)
    explanation["language"] = "text"
    return [*out, nodes.rubric("", "Explanation"), explanation]


_CSS = """
div.admonition.mespolicy-reading { background: #fff8e1; border: none; border-left: 4px solid #d4a72c; }
div.admonition.mespolicy-reading p.admonition-title { color: #7d4e00; font-size: 1em; font-weight: bold; }
table.mespolicy-parameters td, table.mespolicy-charges td { vertical-align: top; }
table.mespolicy-parameters code { white-space: nowrap; }
blockquote.mespolicy-clause { border-left: 4px solid #8c959f; background: #f6f8fa; margin: .5rem 0;
  padding: .3rem .8rem; }
"""


def _add_css(app: Sphinx) -> None:
    if app.builder.format == "html":
        app.add_css_file("mespolicy.css")


@functools.lru_cache(maxsize=8)
def _schema(folder: str, stamp: tuple[tuple[str, int], ...], what: str) -> str:
    """A JSON Schema of the rules in `folder`, as `mespolicy schema` prints it."""
    from mespolicy.json_schema import decision_schema, request_schema

    checked = load(folder).checked
    schema = request_schema(checked) if what == "request" else decision_schema(checked)
    return json.dumps(schema, indent=2, ensure_ascii=False)


class SchemaDirective(SphinxDirective):
    """``.. mespolicy-facts::``
    the facts a request gives (the request's own, each record's fields) and the outputs a decision sets.
``.. mespolicy-schema:: request`` (or ``decision``): the JSON Schema made from the declarations."""

    required_arguments = 1
    option_spec: ClassVar[dict[str, Any]] = {"policy": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        what = self.arguments[0]
        if what not in ("request", "decision"):
            raise self.error(f"mespolicy-schema: 'request' or 'decision', not {what!r}")
        path = self.options.get("policy") or self.config.mespolicy_policy
        folder = (Path(self.env.srcdir) / path).resolve() if path else shipped_rules()
        if not folder.exists():
            raise self.error(f"mespolicy: no rule folder or file at {folder}")
        files = _rule_files(folder)
        for file in files:
            self.env.note_dependency(str(file))
        stamp = tuple((str(file), file.stat().st_mtime_ns) for file in files)
        try:
            text = _schema(str(folder), stamp, what)
        except MespolicyError as error:
            raise self.error(f"mespolicy: the rules at {folder} do not load:\n{error.render()}") from None
        block = nodes.literal_block(text, text, language="json")
        return [block]


def _write_css(app: Sphinx, exception: Exception | None) -> None:
    if exception is None and app.builder.format == "html":
        static = Path(app.outdir) / "_static"
        static.mkdir(parents=True, exist_ok=True)
        (static / "mespolicy.css").write_text(_CSS, encoding="utf-8")


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directives, the config values ``mespolicy_policy`` and ``mespolicy_libraries``,
    the ``mespolicy`` lexer and its CSS."""
    app.add_config_value("mespolicy_policy", None, "env", types=(str, type(None)))
    app.add_config_value("mespolicy_libraries", [], "env", types=(list, tuple))
    app.add_directive("mespolicy-parameters", ParametersDirective)
    app.add_directive("mespolicy-rules", RulesDirective)
    app.add_directive("mespolicy-example", ExampleDirective)
    app.add_directive("mespolicy-limits", LimitsDirective)
    app.add_directive("mespolicy-clauses", ClausesDirective)
    app.add_directive("mespolicy-schema", SchemaDirective)
    app.add_directive("mespolicy-facts", FactsDirective)
    app.add_lexer("mespolicy", MespolicyLexer)
    app.add_lexer("mes", MespolicyLexer)
    app.connect("builder-inited", _add_css)
    app.connect("build-finished", _write_css)
    return {"version": "1", "env_version": 1, "parallel_read_safe": True, "parallel_write_safe": True}
