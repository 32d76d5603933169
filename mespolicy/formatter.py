"""Syntax tree to rule-file text in one canonical layout, keeping every comment the analyst wrote.

The layout: 2-space indentation, `{` at the end of a header line and `}` on its own
line, one statement per line, one blank line between top-level items (and around
the rules of an action), expressions with the fewest parentheses that keep their
tree. Lines are never wrapped.

Comments are attached by line to the lines the formatter prints: a comment written
before a statement (or inside a statement that spanned several lines) is printed
on its own line before it, a comment on the last line of a statement stays at its
end, comments after the last statement of a block go before its `}` and the rest
at the end of the file. An empty line the analyst left next to a comment is kept
as one. Formatting twice gives the same text as formatting once.
"""

from __future__ import annotations

import bisect
import re
from collections import deque
from collections.abc import Iterable, Sequence

import attrs

from mespolicy import nodes as n
from mespolicy.limits import DEFAULT as DEFAULT_LIMITS
from mespolicy.limits import Limits
from mespolicy.parser import parse
from mespolicy.source import Span

INDENT = "  "


def format_text(text: str, path: str = "<text>", limits: Limits = DEFAULT_LIMITS) -> str:
    """Parse a rule file (within `limits`) and print it in the canonical layout."""
    return format_file(parse(text, path, limits))


def format_file(tree: n.PolicyFile) -> str:
    """Print a parsed (or built) rule file in the canonical layout, with its comments."""
    comments = sorted(tree.comments, key=lambda c: (c.line, c.column))
    lines = _Layout(comments).file(tree.items)
    return _attach_comments(lines, comments, _blank_lines(tree))


def format_expr(expr: n.Expr) -> str:
    """One expression as the analyst would write it, with only the parentheses it needs."""
    return _expr(expr)[0]


def format_range(value_range: n.ValueRange) -> str:
    """`0%..100%`, `1 day..`: a parameter's declared range as the analyst writes it after `in`."""
    low = "" if value_range.low is None else _literal(value_range.low)
    high = "" if value_range.high is None else _literal(value_range.high)
    return f"{low}..{high}"


# -- expressions -----------------------------------------------------------------------
#
# Binding levels, loosest first: 0 if/first, 1 or, 2 and, 3 not, 4 comparisons,
# 5 + -, 6 * /, 7 unary minus, 8 field access, 9 atoms. An operand printed at a
# lower level than its place requires is put in parentheses.

_TOP, _NOT, _COMPARE, _NEGATE, _POSTFIX, _ATOM = 0, 3, 4, 7, 8, 9

_LEVELS = {
    n.BinaryOp.OR: 1,
    n.BinaryOp.AND: 2,
    **{op: _COMPARE for op in (*n.COMPARISONS, n.BinaryOp.IN, n.BinaryOp.NOT_IN)},
    n.BinaryOp.ADD: 5,
    n.BinaryOp.SUBTRACT: 5,
    n.BinaryOp.MULTIPLY: 6,
    n.BinaryOp.DIVIDE: 6,
}


def _operand(expr: n.Expr, level: int) -> str:
    text, own = _expr(expr)
    return f"({text})" if own < level else text


def _expr(expr: n.Expr) -> tuple[str, int]:
    """The text of an expression and the binding level of its outermost operator."""
    match expr:
        case n.IfThenElse(condition, then, otherwise):
            parts = (format_expr(condition), format_expr(then), format_expr(otherwise))
            return "if {} then {} else {}".format(*parts), _TOP
        case n.FirstWhere(variable, start, condition):
            parts = (variable, format_expr(start), format_expr(condition))
            return "first {} from {} where {}".format(*parts), _TOP
        case n.Binary(op, left, right):
            return _binary(op, left, right)
        case n.Unary(n.UnaryOp.NOT, operand):
            return f"not {_operand(operand, _NOT)}", _NOT
        case n.Unary(_, operand):
            text = _operand(operand, _NEGATE)
            return ("- " if text.startswith("-") else "-") + text, _NEGATE
        case n.FieldAccess(subject, field):
            return f"{_operand(subject, _POSTFIX)}.{field}", _POSTFIX
        case n.CalendarCount(unit, start, end, rounding):
            # an atom to the parser (its rounding closes it), but bracketed as an operand to be read
            text = f"{unit.value} from {format_expr(start)} until {format_expr(end)}"
            return f"{text}, {_count_rounding(rounding)}", _TOP
        case n.MonthOf(part, day):
            return f"{part.value} of month of {_operand(day, _NEGATE)}", _NEGATE
        case _:
            return _atom(expr), _ATOM


def _binary(op: n.BinaryOp, left: n.Expr, right: n.Expr) -> tuple[str, int]:
    level = _LEVELS[op]
    if level == _COMPARE:  # non-associative: both sides are sums
        left_text, right_text = _operand(left, level + 1), _operand(right, level + 1)
    else:  # left-associative: a right operand of the same level needs parentheses
        left_text, right_text = _operand(left, level), _operand(right, level + 1)
    return f"{left_text} {op.value} {right_text}", level


def _atom(expr: n.Expr) -> str:
    match expr:
        case n.Name(name):
            return name
        case n.Given(name):
            return f"given {name}"
        case n.Call(function, arguments):
            return f"{function}({', '.join(format_expr(a) for a in arguments)})"
        case n.Aggregate(function, value, variable, collection, condition):
            return f"{function.value}({_aggregate(value, variable, collection, condition)})"
        case n.Extreme(function, values):
            return f"{function.value}({', '.join(format_expr(v) for v in values)})"
        case n.Round(direction, value, places):
            written = f", {places} place{'' if places == 1 else 's'}" if places else ""
            return f"round {direction.value}({format_expr(value)}{written})"
        case n.Band():
            return _band(expr)
        case _:
            return _literal(expr)


def _count_rounding(rounding: n.Rounding | n.WholeAfter) -> str:
    if isinstance(rounding, n.WholeAfter):
        return f"a remainder of {_operand(rounding.days, 5)} or more counting whole"
    return f"rounded {rounding.value}"


def _band(band: n.Band) -> str:
    """A band as its table: one band a line, each line one level in from the band's own line."""
    rows = [
        f"{step.bound.value} {format_expr(step.threshold)}: {_band_value(step.value)}" for step in band.steps
    ]
    if band.beyond is not None:
        rows.append(f"beyond: {format_expr(band.beyond)}")
    inner = "".join(f"\n{INDENT}" + row.replace("\n", f"\n{INDENT}") for row in rows)
    return f"band of {format_expr(band.quantity)} {{{inner}\n}}"


def _band_value(value: n.Expr) -> str:
    # a value ending in the name `round` before the next row's `up to` would read as `round up(`
    text = format_expr(value)
    return f"({text})" if _ENDS_WITH_ROUND.search(text) else text


_ENDS_WITH_COUNT_WORD = re.compile(r"(?<![a-z0-9_.])(months|years)\Z")
_ENDS_WITH_ROUND = re.compile(r"(?<![a-z0-9_.])round\Z")


def _aggregate(
    value: n.Expr, variable: str | None, collection: n.Expr | None, condition: n.Expr | None
) -> str:
    text = format_expr(value)
    if variable is not None and collection is not None:
        text += f" for {variable} in {format_expr(collection)}"
        if condition is not None:
            text += f" when {format_expr(condition)}"
    return text


def _literal(expr: n.Expr) -> str:
    match expr:
        case n.NumberLiteral(value):
            return format(value, "f")
        case n.PercentLiteral(value):
            return f"{format(value, 'f')}%"
        case n.DurationLiteral(amount, unit):
            word = unit.value[:-1] if amount == 1 else unit.value
            return f"{amount} {word}"
        case n.MoneyLiteral(amount, currency):
            return format(amount, "f") + (f" {currency}" if currency is not None else "")
        case n.DateLiteral(value):
            return value.isoformat()
        case n.BoolLiteral(value):
            return "true" if value else "false"
        case n.TextLiteral(parts):
            return '"' + "".join(_text_part(part) for part in parts) + '"'
    raise TypeError(f"not an expression node: {expr!r}")


def _text_part(part: str | n.Name | n.FieldAccess) -> str:
    if isinstance(part, str):
        return _escape(part).replace("{", "{{").replace("}", "}}")
    return "{" + format_expr(part) + "}"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _quote(text: str) -> str:
    return f'"{_escape(text)}"'


# -- layout: the printed lines and the source lines each one came from --------------------


@attrs.frozen
class _Line:
    """One printed line; `first`..`last` are the source lines it was written on.

    Comments attach only to lines that know where they came from: blank lines
    and a definition's lone `{` have no source lines. Comments before a
    closing `}` are indented one level deeper than it.
    """

    indent: int
    text: str
    first: int | None = None
    last: int | None = None
    closing: bool = False


def _lines_of(
    node: n.Expr
    | n.Statement
    | n.Include
    | n.LibraryInclude
    | n.PolicyHeader
    | n.Clause
    | n.Provenance
    | n.TestFact
    | n.Expectation,
) -> tuple[int, int]:
    return node.span.line, node.span.end_line


class _Layout:
    """Turns items into `_Line`s; comments only decide whether an empty block prints `{}`."""

    def __init__(self, comments: Sequence[n.Comment]) -> None:
        self.comment_lines = [c.line for c in comments]

    def file(self, items: Iterable[n.Item]) -> list[_Line]:
        lines: list[_Line] = []
        for index, item in enumerate(items):
            if index:
                lines.append(_Line(0, ""))
            lines.extend(self.item(item))
        return lines

    def item(self, item: n.Item) -> list[_Line]:
        match item:
            case n.Include(path):
                return [_Line(0, f"include {_quote(path)}", *_lines_of(item))]
            case n.LibraryInclude(path):
                return [_Line(0, f"include library {_quote(path)}", *_lines_of(item))]
            case n.PolicyHeader(name, version):
                text = f"policy {_quote(name)}" + ("" if version is None else f" version {_quote(version)}")
                return [_Line(0, text, *_lines_of(item))]
            case n.ClauseList():
                return self.clause_list(item)
            case n.Parameter():
                return self.parameter(item)
            case n.Enum():
                return self.enum(item)
            case n.Definition():
                return self.definition(item)
            case n.Action():
                return self.action(item)
            case n.Test():
                return self.test(item)
            case n.Record() | n.RequestFacts():
                return self.facts(item)
            case n.Output():
                return self.output(item)
        raise TypeError(f"not an item: {item!r}")

    def clause_list(self, clauses: n.ClauseList) -> list[_Line]:
        body: list[_Line] = []
        for clause in clauses.clauses:
            first = clause.span.line
            body.append(_Line(1, f"{clause.id.text} {_quote(clause.title)}", first, first))
            kind = "summary" if clause.summary else "text"
            # each quoted piece keeps its own line: a long clause reads as the analyst wrapped it
            for index, piece in enumerate(clause.wording):
                prefix = f"{kind} " if index == 0 else INDENT
                line = clause.lines[index] if index < len(clause.lines) else None
                body.append(_Line(2, prefix + _quote(piece), line, line))
        return self.block("clauses", clauses.span.line, clauses.span, body, 0)

    def parameter(self, parameter: n.Parameter) -> list[_Line]:
        header = f"parameter {parameter.name}"
        last = parameter.span.line
        if parameter.declared_type is not None:
            header += f": {parameter.declared_type.name}"
            last = parameter.declared_type.span.end_line
        if parameter.value_range is not None:
            header += f" in {format_range(parameter.value_range)}"
            last = parameter.value_range.span.end_line
        values = parameter.values
        if len(values) == 1 and values[0].effective is None:
            header += f" = {_literal(values[0].value)}"
            last = values[0].span.end_line
            values = ()
        lines = [_Line(0, header, parameter.span.line, last)]
        for value in values:
            text = f"= {_literal(value.value)}"
            if value.effective is not None:
                text += f" from {value.effective.isoformat()}"
            lines.append(_Line(1, text, value.span.line, value.span.end_line))
        return lines + self.meta(parameter.clauses, parameter.provenance, 1)

    def meta(self, clauses: Sequence[n.Clause], provenance: n.Provenance | None, indent: int) -> list[_Line]:
        lines = []
        if clauses:
            text = "clause " + ", ".join(c.text for c in clauses)
            lines.append(_Line(indent, text, clauses[0].span.line, clauses[-1].span.end_line))
        if provenance is not None:
            text = f"{provenance.basis.value} {_quote(provenance.description)}"
            lines.append(_Line(indent, text, *_lines_of(provenance)))
        return lines

    def facts(self, item: n.Record | n.RequestFacts) -> list[_Line]:
        header = f"record {item.name}" if isinstance(item, n.Record) else "request"
        if item.description is not None:
            header += f" {_quote(item.description)}"
        meta = self.meta(item.clauses, item.provenance, 1)
        body: list[_Line] = []
        for field in item.fields:
            body.append(_Line(1, _fact_field(field), field.span.line, field.type.span.end_line))
            body.extend(self.meta(field.clauses, field.provenance, 2))
        if meta:
            lines = [_Line(0, header, item.span.line, item.span.line), *meta, _Line(0, "{")]
        else:
            lines = [_Line(0, header + " {", item.span.line, item.span.line)]
        return [*lines, *body, self.closing(item.span, 0)]

    def output(self, output: n.Output) -> list[_Line]:
        text = f"output {output.name}: {output.type.name}"
        if output.description is not None:
            text += f" {_quote(output.description)}"
        header = _Line(0, text, output.span.line, output.type.span.end_line)
        return [header, *self.meta(output.clauses, output.provenance, 1)]

    def enum(self, enum: n.Enum) -> list[_Line]:
        members = " | ".join(m.name for m in enum.members)
        last = enum.members[-1].span.end_line if enum.members else enum.span.line
        header = _Line(0, f"enum {enum.name} = {members}", enum.span.line, last)
        return [header, *self.meta(enum.clauses, enum.provenance, 1)]

    def definition(self, definition: n.Definition) -> list[_Line]:
        header = f"define {definition.name}"
        if definition.params:
            params = ", ".join(f"{p.name}: {p.declared_type.name}" for p in definition.params)
            header += f"({params})"
        header += f": {definition.returns.name}"
        first, last = definition.span.line, definition.returns.span.end_line
        meta = self.meta(definition.clauses, definition.provenance, 1)
        if meta:
            lines = [_Line(0, header, first, last), *meta, _Line(0, "{")]
        else:
            lines = [_Line(0, header + " {", first, last)]
        lines.extend(self.statement(let, 1) for let in definition.lets)
        result = format_expr(definition.result)
        if definition.lets:
            result = f"result {result}"
        lines.append(_Line(1, result, *_lines_of(definition.result)))
        return [*lines, self.closing(definition.span, 0)]

    def action(self, action: n.Action) -> list[_Line]:
        header = f"action {action.name}"
        if action.description is not None:
            header += f" {_quote(action.description)}"
        body: list[_Line] = []
        for index, item in enumerate(action.body):
            if index and (isinstance(item, n.Rule) or isinstance(action.body[index - 1], n.Rule)):
                body.append(_Line(0, ""))
            if isinstance(item, n.Rule):
                body.extend(self.rule(item, 1))
            else:
                body.append(self.statement(item, 1))
        return self.block(header, action.span.line, action.span, body, 0)

    def test(self, test: n.Test) -> list[_Line]:
        header = f"test {test.name}"
        if test.description is not None:
            header += f" {_quote(test.description)}"
        body = [_Line(1, _test_line(line), *_lines_of(line)) for line in test.lines]
        return self.block(header, test.span.line, test.span, body, 0)

    def rule(self, rule: n.Rule, indent: int) -> list[_Line]:
        header = f"{rule.kind.value} {rule.name}"
        last = rule.span.line
        if rule.clauses:
            header += " " + ", ".join(c.text for c in rule.clauses)
            last = rule.clauses[-1].span.end_line
        if rule.condition is not None:
            header += f" when {format_expr(rule.condition)}"
            last = rule.condition.span.end_line
        body = self.meta((), rule.provenance, indent + 1)
        body.extend(line for s in rule.body for line in self.statements(s, indent + 1))
        return self.block(header, last, rule.span, body, indent)

    def statements(self, statement: n.Statement, indent: int) -> list[_Line]:
        if not isinstance(statement, n.ForEach):
            return [self.statement(statement, indent)]
        header = f"for {statement.variable} in {format_expr(statement.collection)}"
        last = statement.collection.span.end_line
        if statement.condition is not None:
            header += f" when {format_expr(statement.condition)}"
            last = statement.condition.span.end_line
        body = [line for s in statement.body for line in self.statements(s, indent + 1)]
        return self.block(header, last, statement.span, body, indent)

    def statement(self, statement: n.Statement, indent: int) -> _Line:
        return _Line(indent, _statement(statement), *_lines_of(statement))

    def block(self, header: str, header_last: int, span: Span, body: list[_Line], indent: int) -> list[_Line]:
        """`header {`, the body one level in, `}`; `header {}` if empty with no comment inside."""
        # a comment on the line of the `}` comes after it
        inside = any(header_last < line < span.end_line for line in self.comment_lines)
        if not body and not inside:
            return [_Line(indent, header + " {}", span.line, span.end_line)]
        opening = _Line(indent, header + " {", span.line, header_last)
        return [opening, *body, self.closing(span, indent)]

    def closing(self, span: Span, indent: int) -> _Line:
        return _Line(indent, "}", span.end_line, span.end_line, closing=True)


def _statement(statement: n.Statement) -> str:
    match statement:
        case n.Let(name, value):
            return f"let {name} = {format_expr(value)}"
        case n.Reason(clause, message):
            cited = f"{clause.text} " if clause is not None else ""
            return f"reason {cited}{format_expr(message)}"
        case n.Term(start, end):
            return f"term from {format_expr(start)} until {format_expr(end)}"
        case n.Charge():
            return _charge(statement)
        case n.Set(path, value):
            return f"set {'.'.join(path)} = {format_expr(value)}"
    raise TypeError(f"not a one-line statement: {statement!r}")


def _charge(charge: n.Charge) -> str:
    text = f"charge {charge.code}"
    if charge.clause is not None:
        text += f" {charge.clause.text}"
    amount = format_expr(charge.amount)
    if charge.start is not None and charge.end is not None:
        # `... * months from a until b` would read as a count of months (`months from ... until ...`)
        text += f" = ({amount})" if _ENDS_WITH_COUNT_WORD.search(amount) else f" = {amount}"
        text += f" from {format_expr(charge.start)} until {format_expr(charge.end)}"
    else:
        text += f" = {amount}"
    if charge.contract is not None:
        text += f" on {format_expr(charge.contract)}"
    return text


def fact_type(field: n.FactField) -> str:
    """A declared field's type as the rule files write it: `money in currency`, `contract from contracts`."""
    ftype = field.type
    if ftype.shape is n.FactShape.REFERENCE:
        return f"{ftype.name} from {ftype.source}"
    written = ("list of " if ftype.shape is n.FactShape.LIST else "") + ftype.name
    return written if ftype.currency is None else f"{written} in {ftype.currency}"


def fact_options(field: n.FactField) -> list[str]:
    """A declared field's options as the rule files write them: `key`, `at least 0`, ..."""
    options = ["key"] if field.key else []
    if field.distinct:
        options.append("distinct")
    if field.at_least is not None:
        options.append(f"at least {_literal(field.at_least)}")
    if field.not_before is not None:
        options.append(f"not before {field.not_before}")
    return options


def _fact_field(field: n.FactField) -> str:
    text = f"{field.name}: " + ("optional " if field.optional else "") + fact_type(field)
    if isinstance(field.default, n.EmptyList):
        text += " = empty"
    elif field.default is not None:
        text += f" = {_test_value(field.default)}"
    text += "".join(f", {option}" for option in fact_options(field))
    if field.description is not None:
        text += f" {_quote(field.description)}"
    return text


def _test_line(line: n.TestFact | n.Expectation) -> str:
    match line:
        case n.RequestLine(action, day):
            return f"request {action} on {day.isoformat()}"
        case n.CustomerLine(ident, existing, role, settings):
            return f"{role} {_quote(ident)} {'existing' if existing else 'new'}" + _settings(settings)
        case n.ContractLine(ident, fee, start, end, licenses, settings):
            text = (
                f"contract {_quote(ident)} {_literal(fee)} from {start.isoformat()} until {end.isoformat()}"
            )
            text += " licenses " + ", ".join(map(_quote, licenses)) if licenses else ""
            return text + _settings(settings)
        case n.LicenseLine(ident, kind, fee, shipped, settings):
            text = f"license {_quote(ident)} {kind} {_literal(fee)} shipped {shipped.isoformat()}"
            return text + _settings(settings)
        case n.WithLine(field, values):
            return f"with {field} = " + ", ".join(_test_value(v) for v in values)
        case n.RecordLine(record, ident, settings):
            return f"record {record}" + ("" if ident is None else f" {_quote(ident)}") + _settings(settings)
        case _:
            return _expectation(line)


def _expectation(line: n.TestFact | n.Expectation) -> str:
    match line:
        case n.ExpectNoCharge():
            return "expect no charge"
        case n.ExpectOutcome(outcome, clauses):
            return f"expect {outcome}" + (" " + ", ".join(c.text for c in clauses) if clauses else "")
        case n.ExpectReason(clause):
            return f"expect reason {clause.text}"
        case n.ExpectTerm(start, end):
            return f"expect term from {start.isoformat()} until {end.isoformat()}"
        case n.ExpectCharge(code, amount, start, end, contract):
            text = f"expect charge {code} = {_literal(amount)}"
            if start is not None and end is not None:
                text += f" from {start.isoformat()} until {end.isoformat()}"
            return text + (f" on {_quote(contract)}" if contract is not None else "")
        case n.ExpectField(path, value):
            return f"expect {'.'.join(path)} = {_test_value(value)}"
    raise TypeError(f"not a test line: {line!r}")


def _test_value(value: n.Literal | n.EnumValueLiteral) -> str:
    return value.name if isinstance(value, n.EnumValueLiteral) else _literal(value)


def _settings(settings: tuple[n.FactSetting, ...]) -> str:
    """A record line's other fields: `{ edition = network, seats = 2 }`."""
    if not settings:
        return ""
    parts = (f"{s.name} = " + ", ".join(_test_value(v) for v in s.values) for s in settings)
    return " { " + ", ".join(parts) + " }"


# -- comments ------------------------------------------------------------------------------


def _blank_lines(tree: n.PolicyFile) -> list[int] | None:
    """The empty lines of the text the tree was parsed from; None if it has no item to tell."""
    if not tree.items:
        return None
    text = tree.items[0].span.source.text
    return [number for number, line in enumerate(text.split("\n"), 1) if not line.strip()]


def _attach_comments(
    lines: Sequence[_Line], comments: Sequence[n.Comment], blank_lines: list[int] | None
) -> str:
    """Print the lines, each comment before the first line written after it, or at its end."""
    printer = _Printer(comments, blank_lines)
    for line, following in zip(lines, _next_firsts(lines), strict=True):
        printer.line(line, following)
    printer.rest()
    return "".join(f"{text}\n" for text in printer.out)


class _Printer:
    """Prints lines and comments; a blank line the analyst left next to a comment is kept."""

    def __init__(self, comments: Sequence[n.Comment], blank_lines: list[int] | None) -> None:
        self.waiting = deque(comments)
        self.blank_lines = blank_lines
        self.out: list[str] = []
        self.anchor = 0  # the source line of what was printed last
        self.opened = False  # the last line printed opens a block

    def line(self, line: _Line, following: int | None) -> None:
        # a band prints as a table over several lines, each indented as the line it starts on
        text = INDENT * line.indent + line.text.replace("\n", "\n" + INDENT * line.indent)
        if line.first is None or line.last is None:
            self.emit(text if line.text else "", line.text.endswith("{"))
            return
        inner = INDENT * (line.indent + 1 if line.closing else line.indent)
        leading = False
        while self.waiting and self.waiting[0].line < line.last:
            self.comment(inner)
            leading = True
        if leading and not line.closing and self.gap(line.first):
            self.blank()
        if self.waiting and self.waiting[0].line == line.last and following != line.last:
            text += "  " + _comment(self.waiting.popleft())
        self.emit(text, line.text.endswith("{"))
        self.anchor = line.last

    def rest(self) -> None:
        """Comments after the last item, set apart from it by a blank line."""
        if self.waiting:
            self.blank()
        while self.waiting:
            self.comment("")

    def comment(self, indent: str) -> None:
        comment = self.waiting.popleft()
        if self.gap(comment.line):
            self.blank()
        self.emit(indent + _comment(comment), False)
        self.anchor = comment.line

    def gap(self, line: int) -> bool:
        """Whether an empty line was written after what was printed last and before `line`."""
        if self.blank_lines is None:  # a file of comments only: lines between them are empty
            return line > self.anchor + 1
        after = bisect.bisect_right(self.blank_lines, self.anchor)
        return after < len(self.blank_lines) and self.blank_lines[after] < line

    def blank(self) -> None:
        if self.out and self.out[-1] and not self.opened:
            self.emit("", False)

    def emit(self, text: str, opens: bool) -> None:
        self.out.append(text)
        self.opened = opens


def _next_firsts(lines: Sequence[_Line]) -> list[int | None]:
    """For each line, the source line where the next commentable line starts.

    A comment on that line belongs to what follows, so it is not printed as trailing.
    """
    found: list[int | None] = []
    following: int | None = None
    for line in reversed(lines):
        found.append(following)
        if line.first is not None:
            following = line.first
    return found[::-1]


def _comment(comment: n.Comment) -> str:
    return comment.text.rstrip()
