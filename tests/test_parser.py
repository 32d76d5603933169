"""Parser: the nodes and spans it builds, and syntax errors in the analyst's terms, never Lark's."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mespolicy import nodes as n
from mespolicy.errors import Diagnostic, PolicySyntaxError
from mespolicy.loader import shipped_rules
from mespolicy.parser import parse
from mespolicy.source import Span, nowhere

HERE = nowhere()  # spans take no part in node equality


def where(span: Span) -> tuple[int, int, int, int]:
    return span.line, span.column, span.end_line, span.end_column


def syntax_error(text: str) -> Diagnostic:
    """The one diagnostic of a text that does not parse."""
    with pytest.raises(PolicySyntaxError) as caught:
        parse(text, "t.mes")
    (diagnostic,) = caught.value.diagnostics
    return diagnostic


def expression(source: str) -> n.Expr:
    """The expression of `let probe = <source>` in an action."""
    (action,) = parse(f"action a {{ let probe = {source} }}").items
    assert isinstance(action, n.Action)
    return action.lets[0].value


def statements(body: str) -> tuple[n.Statement, ...]:
    (action,) = parse(f"action a {{\n  approve r §1 {{\n{body}\n  }}\n}}\n").items
    assert isinstance(action, n.Action)
    return action.rules[0].body


# -- spans ------------------------------------------------------------------------------

POLICY = """\
# Renewal, in short.
parameter renewal_term = 12 months  # one year
  clause §5.5, §6.2
  source "ME&S renews in units of this length."

action renew "Renew a contract." {
  approve late §8.2 when date > contract.end + renewal_term {
    reason §8.4 "Renewed from {contract.end}."
  }
}
"""


def test_items_carry_the_span_they_were_written_at() -> None:
    tree = parse(POLICY, "renewal.mes")
    parameter, action = tree.items
    assert isinstance(parameter, n.Parameter) and isinstance(action, n.Action)
    assert where(parameter.span) == (2, 1, 4, 48)
    assert where(parameter.values[0].span) == (2, 24, 2, 35)
    assert [where(c.span) for c in parameter.clauses] == [(3, 10, 3, 14), (3, 16, 3, 20)]
    assert parameter.provenance is not None and where(parameter.provenance.span) == (4, 3, 4, 48)
    assert where(action.span) == (6, 1, 10, 2)
    assert str(action.span) == "renewal.mes:6:1"


def test_expressions_carry_their_own_span() -> None:
    (_, action) = parse(POLICY, "renewal.mes").items
    assert isinstance(action, n.Action)
    rule = action.rules[0]
    assert where(rule.span) == (7, 3, 9, 4)
    condition = rule.condition
    assert isinstance(condition, n.Binary)
    assert where(condition.span) == (7, 26, 7, 60)
    assert where(condition.left.span) == (7, 26, 7, 30)
    right = condition.right
    assert isinstance(right, n.Binary)
    assert where(right.span) == (7, 33, 7, 60)
    assert isinstance(right.left, n.FieldAccess)
    assert where(right.left.span) == (7, 33, 7, 45)
    assert where(right.left.subject.span) == (7, 33, 7, 41)


def test_a_reason_keeps_its_clause_and_the_span_of_each_placeholder() -> None:
    (_, action) = parse(POLICY, "renewal.mes").items
    assert isinstance(action, n.Action)
    (reason,) = action.rules[0].body
    assert isinstance(reason, n.Reason)
    assert reason.clause is not None and reason.clause.text == "§8.4"
    assert where(reason.clause.span) == (8, 12, 8, 16)
    placeholder = reason.message.parts[1]
    assert isinstance(placeholder, n.FieldAccess)
    assert where(placeholder.span) == (8, 32, 8, 44)
    assert where(placeholder.subject.span) == (8, 32, 8, 40)


def test_spans_do_not_take_part_in_equality() -> None:
    assert parse("parameter x = 1 clause §1") == parse("\n\nparameter   x =\n 1\n clause   §1")


# -- comments ---------------------------------------------------------------------------


def test_comments_are_collected_with_their_position() -> None:
    tree = parse(POLICY, "renewal.mes")
    assert [(c.line, c.column, c.text) for c in tree.comments] == [
        (1, 1, "# Renewal, in short."),
        (2, 37, "# one year"),
    ]


def test_a_hash_inside_a_text_is_not_a_comment() -> None:
    tree = parse('action a { approve r §1 { reason "see note #5" } }  # real')
    assert [c.text for c in tree.comments] == ["# real"]


def test_comments_do_not_leak_from_one_parse_into_the_next() -> None:
    parse("# one\nparameter x = 1")
    assert parse("parameter x = 1").comments == ()


# -- texts and placeholders ---------------------------------------------------------------


def test_placeholders_become_names_and_field_paths() -> None:
    (reason,) = statements('reason "Ends on {expiry}, renewed by {customer.id}."')
    assert isinstance(reason, n.Reason)
    assert reason.message.parts == (
        "Ends on ",
        n.Name("expiry", span=HERE),
        ", renewed by ",
        n.FieldAccess(n.Name("customer", span=HERE), "id", span=HERE),
        ".",
    )


def test_double_braces_are_literal_braces() -> None:
    (reason,) = statements('reason "{{not a placeholder}} but {this} is; }} {{"')
    assert isinstance(reason, n.Reason)
    assert reason.message.parts == (
        "{not a placeholder} but ",
        n.Name("this", span=HERE),
        " is; } {",
    )


def test_spaces_inside_a_placeholder_are_allowed_and_skipped_by_its_span() -> None:
    (reason,) = statements('    reason "a { b } c"')
    assert isinstance(reason, n.Reason)
    name = reason.message.parts[1]
    assert name == n.Name("b", span=HERE)
    assert where(name.span) == (3, 17, 3, 18)


def test_escaped_quotes_are_unquoted() -> None:
    (reason,) = statements(r'reason "say \"hi\""')
    assert isinstance(reason, n.Reason)
    assert reason.message.parts == ('say "hi"',)


def test_a_placeholder_after_an_escaped_quote_points_at_itself() -> None:
    (reason,) = statements(r'    reason "say \"hi\" {expiry}"')
    assert isinstance(reason, n.Reason)
    placeholder = reason.message.parts[1]
    assert isinstance(placeholder, n.Name)
    assert where(placeholder.span) == (3, 25, 3, 31)


@pytest.mark.parametrize(
    ("text", "column", "piece"),
    [
        ('"a {} b"', 37, "{}"),
        ('"a {1x} b"', 37, "{1x}"),
        ('"a {contract end} b"', 37, "{contract end}"),
        ('"a {x.} b"', 37, "{x.}"),
        ('"a { b"', 37, "{"),
        ('"a } b"', 37, "}"),
    ],
)
def test_a_bad_placeholder_is_reported_where_it_is(text: str, column: int, piece: str) -> None:
    error = syntax_error(f"action a {{ approve r §1 {{ reason {text} }} }}")
    assert error.code == "P107"
    assert error.message == f"'{piece}' in a text is not a placeholder"
    assert (error.span.line, error.span.column) == (1, column)
    assert error.span.end_column == column + len(piece)
    assert error.hint is not None and "{{" in error.hint


# -- parameters and other items ------------------------------------------------------------


def test_dated_parameter_values() -> None:
    (parameter,) = parse(
        "parameter fee: money = 100 from 2024-01-01\n"
        "  = 120.50 USD from 2025-07-01\n"
        "  clause §8.2\n"
        '  reading "Raised in July."\n'
    ).items
    assert isinstance(parameter, n.Parameter)
    assert parameter.declared_type == n.TypeRef("money", span=HERE)
    assert [(v.value, v.effective) for v in parameter.values] == [
        (n.NumberLiteral(Decimal(100), span=HERE), date(2024, 1, 1)),
        (n.MoneyLiteral(Decimal("120.50"), "USD", span=HERE), date(2025, 7, 1)),
    ]
    assert parameter.provenance == n.Provenance(n.Basis.READING, "Raised in July.", span=HERE)


def test_a_parameter_value_without_a_date_holds_since_always() -> None:
    (parameter,) = parse('parameter rate = 25% clause §8.3 source "s"').items
    assert isinstance(parameter, n.Parameter)
    assert [(v.value, v.effective) for v in parameter.values] == [
        (n.PercentLiteral(Decimal(25), span=HERE), None)
    ]
    assert parameter.declared_type is None


def test_include_enum_and_definition() -> None:
    include, enum, definition = parse(
        'include "other.mes"\n'
        "enum tier = gold | silver\n"
        "  clause §4.2\n"
        '  source "Tiers."\n'
        "define fee(annual: money, years: integer): money {\n"
        "  let yearly = annual\n"
        "  result yearly * years\n"
        "}\n"
    ).items
    assert include == n.Include("other.mes", span=HERE)
    assert isinstance(enum, n.Enum)
    assert [m.name for m in enum.members] == ["gold", "silver"]
    assert where(enum.members[1].span) == (2, 20, 2, 26)
    assert isinstance(definition, n.Definition)
    assert [(p.name, p.declared_type.name) for p in definition.params] == [
        ("annual", "money"),
        ("years", "integer"),
    ]
    assert definition.returns.name == "money"
    assert [let.name for let in definition.lets] == ["yearly"]
    assert isinstance(definition.result, n.Binary)
    assert definition.clauses == () and definition.provenance is None


def test_action_rules_and_their_parts() -> None:
    (action,) = parse(
        'action renew "Renew a contract." {\n'
        "  let expiry = contract.end\n"
        "  reject too_late §8.5, §8.6 when date > expiry {\n"
        '    reading "Our reading."\n'
        '    reason "Too late."\n'
        "  }\n"
        "  approve fallback §6.2 { }\n"
        "}\n"
    ).items
    assert isinstance(action, n.Action)
    assert action.description == "Renew a contract."
    assert [let.name for let in action.lets] == ["expiry"]
    reject, approve = action.rules
    assert reject.kind is n.RuleKind.REJECT and approve.kind is n.RuleKind.APPROVE
    assert [c.text for c in reject.clauses] == ["§8.5", "§8.6"]
    assert reject.provenance is not None and reject.provenance.basis is n.Basis.READING
    assert isinstance(reject.body[0], n.Reason) and reject.condition is not None
    assert approve.condition is None and approve.body == ()


def test_every_statement_kind() -> None:
    let, reason, cited, term, charge, plain, set_, loop = statements(
        "    let start = contract.end\n"
        '    reason "Renewed."\n'
        '    reason §8.4 "From the old date."\n'
        "    term from start until start + 12 months\n"
        "    charge renewal §8.2 = contract.annual_fee from start until date on contract\n"
        "    charge admin = 50 USD\n"
        "    set renewal.date = start\n"
        "    for c in contracts when c.end < start {\n"
        "      charge extension = c.annual_fee on c\n"
        "    }"
    )
    assert isinstance(let, n.Let) and let.name == "start"
    assert isinstance(reason, n.Reason) and reason.clause is None
    assert isinstance(cited, n.Reason) and cited.clause is not None and cited.clause.text == "§8.4"
    assert isinstance(term, n.Term) and term.start == n.Name("start", span=HERE)
    assert isinstance(charge, n.Charge)
    assert (charge.code, charge.clause is not None and charge.clause.text) == ("renewal", "§8.2")
    assert charge.start == n.Name("start", span=HERE)
    assert charge.end == n.Name("date", span=HERE)
    assert charge.contract == n.Name("contract", span=HERE)
    assert isinstance(plain, n.Charge)
    assert (plain.clause, plain.start, plain.end, plain.contract) == (None, None, None, None)
    assert isinstance(set_, n.Set) and set_.path == ("renewal", "date")
    assert isinstance(loop, n.ForEach) and loop.variable == "c" and loop.condition is not None
    assert [type(s) for s in loop.body] == [n.Charge]
    assert where(loop.span) == (10, 5, 12, 6)


# -- literals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "literal"),
    [
        ("42", n.NumberLiteral(Decimal(42), span=HERE)),
        ("0.5", n.NumberLiteral(Decimal("0.5"), span=HERE)),
        ("25%", n.PercentLiteral(Decimal(25), span=HERE)),
        ("12.5%", n.PercentLiteral(Decimal("12.5"), span=HERE)),
        ("1 day", n.DurationLiteral(1, n.Unit.DAYS, span=HERE)),
        ("30 days", n.DurationLiteral(30, n.Unit.DAYS, span=HERE)),
        ("1 month", n.DurationLiteral(1, n.Unit.MONTHS, span=HERE)),
        ("150.00 EUR", n.MoneyLiteral(Decimal("150.00"), "EUR", span=HERE)),
        ("2024-02-29", n.DateLiteral(date(2024, 2, 29), span=HERE)),
        ("true", n.BoolLiteral(True, span=HERE)),
        ("false", n.BoolLiteral(False, span=HERE)),
    ],
)
def test_literals(source: str, literal: n.Literal) -> None:
    assert expression(source) == literal


# -- operators -----------------------------------------------------------------------------------


def shape(expr: n.Expr) -> object:
    """An expression as nested tuples of operators and names, to read precedence at a glance."""
    match expr:
        case n.Binary(op=op, left=left, right=right):
            return (shape(left), op.value, shape(right))
        case n.Unary(op=op, operand=operand):
            return (op.value, shape(operand))
        case n.Name(name=name):
            return name
        case n.FieldAccess(subject=subject, field=field):
            return f"{shape(subject)}.{field}"
        case n.NumberLiteral(value=value):
            return str(value)
    return type(expr).__name__


@pytest.mark.parametrize(
    ("source", "tree"),
    [
        ("a + b * c", ("a", "+", ("b", "*", "c"))),
        ("a * b + c", (("a", "*", "b"), "+", "c")),
        ("a - b - c", (("a", "-", "b"), "-", "c")),
        ("a / b / c", (("a", "/", "b"), "/", "c")),
        ("(a - b) - c", (("a", "-", "b"), "-", "c")),
        ("a - (b - c)", ("a", "-", ("b", "-", "c"))),
        ("not a and b", (("not", "a"), "and", "b")),
        ("a or b and c", ("a", "or", ("b", "and", "c"))),
        ("a and b or c", (("a", "and", "b"), "or", "c")),
        ("not a == b", ("not", ("a", "==", "b"))),
        ("a + 1 <= b * 2", (("a", "+", "1"), "<=", ("b", "*", "2"))),
        ("a < b and c >= d", (("a", "<", "b"), "and", ("c", ">=", "d"))),
        ("a in b", ("a", "in", "b")),
        ("a not in b", ("a", "not in", "b")),
        ("not a in b", ("not", ("a", "in", "b"))),
        ("a not in b or c", (("a", "not in", "b"), "or", "c")),
        ("-a", ("-", "a")),
        ("-a * b", (("-", "a"), "*", "b")),
        ("a * -b", ("a", "*", ("-", "b"))),
        ("a - -b", ("a", "-", ("-", "b"))),
        ("- -a", ("-", ("-", "a"))),
        ("-a.b", ("-", "a.b")),
        ("a.b.c + d", ("a.b.c", "+", "d")),
    ],
)
def test_operator_precedence_and_associativity(source: str, tree: object) -> None:
    assert shape(expression(source)) == tree


def test_comparisons_do_not_chain() -> None:
    error = syntax_error("action a { let x = a < b < c }")
    assert error.code == "P101"
    assert (error.span.line, error.span.column) == (1, 26)


def test_calls_aggregates_given_if_and_first() -> None:
    call = expression("fee(a, b.c)")
    assert isinstance(call, n.Call) and call.function == "fee" and len(call.arguments) == 2
    total = expression("sum(c.annual_fee for c in contracts when c.end < date)")
    assert isinstance(total, n.Aggregate)
    assert (total.function, total.variable) == (n.AggregateFunction.SUM, "c")
    assert total.collection == n.Name("contracts", span=HERE)
    assert total.condition is not None
    count = expression("count(contracts)")
    assert isinstance(count, n.Aggregate)
    assert (count.variable, count.collection, count.condition) == (None, None, None)
    assert expression("given target_end") == n.Given("target_end", span=HERE)
    choice = expression("if a then b else c + 1")
    assert isinstance(choice, n.IfThenElse) and shape(choice.otherwise) == ("c", "+", "1")
    first = expression("first k from 1 where k * 2 > n")
    assert isinstance(first, n.FirstWhere) and first.variable == "k"
    assert shape(first.condition) == (("k", "*", "2"), ">", "n")


# -- syntax errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "position", "message"),
    [
        ("action a { approve r §1 { reason 'no' } }", "P102", (1, 34), 'unexpected character "\'"'),
        ("parameter x = 30 days\naction a {", "P103", (2, 11), "the file ends too early"),
        ("action a { let x = 100 usd }", "P104", (1, 24), "unknown unit 'usd'"),
        ("action a { let x = 3 weeks }", "P104", (1, 22), "unknown unit 'weeks'"),
        ("parameter x = 1.5 months", "P105", (1, 15), "a duration is a whole number"),
        ("parameter x = 30 days from 2025-13-01", "P106", (1, 28), "'2025-13-01' is not a calendar date"),
        ("action a { let x = 2023-02-29 }", "P106", (1, 20), "'2023-02-29' is not a calendar date"),
        ('action a { approve r §1 { reason "{1}" } }', "P107", (1, 35), "'{1}' in a text"),
        ("action a { let x = a b }", "P101", (1, 22), "expected "),
    ],
)
def test_syntax_errors_are_located_and_worded(
    text: str, code: str, position: tuple[int, int], message: str
) -> None:
    error = syntax_error(text)
    assert (error.code, (error.span.line, error.span.column)) == (code, position)
    assert error.message.startswith(message)


def test_a_missing_brace_at_the_end_points_after_the_last_line() -> None:
    error = syntax_error("action a {\n  approve r §1 {\n  }\n")
    assert error.code == "P103"
    assert (error.span.line, error.span.column) == (3, 4)
    assert error.hint == "is a '}' missing?"


def test_an_unexpected_token_names_what_was_expected() -> None:
    error = syntax_error("action a { approve r §1 { term from date } }")
    assert error.code == "P101"
    assert error.message == "expected 'until', found '}'"
    assert (error.span.column, error.span.end_column) == (42, 43)


@pytest.mark.parametrize(
    "text",
    [
        "action a { approve r when x = 1 { } }",
        "action a { reject r when x.y = 1 { } }",
        "action a { approve r when x = y and z { } }",
        pytest.param(
            "action a { approve r §1 when x = 1 { } }",
        ),
        pytest.param(
            'action a "Renew." { approve r when x = 1 { } }',
        ),
        pytest.param(
            "action a { approve r §1 when x + 1 = 2 { } }",
        ),
        pytest.param(
            "action a { approve r §1 { set x = a = 1 } }",
        ),
        pytest.param(
            "define f: bool { x = 1 }",
        ),
    ],
)
def test_single_equals_in_a_comparison_is_p110(text: str) -> None:
    error = syntax_error(text)
    assert error.code == "P110"
    assert error.message == "'=' does not compare; write '==' to compare two values"
    assert text[error.span.column - 1 : error.span.end_column - 1] == "="


def test_single_equals_in_an_action_let_is_a_syntax_error_not_a_crash() -> None:
    error = syntax_error("action a { let b = x = 1 }")
    assert error.code == "P110"
    assert error.span.column == 22


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("P111", "parameter x 30 days"),
        pytest.param("P111", 'parameter y = 1 clause §1 source "s"\nparameter x 30 days'),
        ("P112", "parameter x = 1 clause 8.3"),
        ("P112", "action a { approve r 8.3 { } }"),
        pytest.param("P112", 'action a "Renew." { approve r 8.3 { } }'),
        ("P113", "action a { approve §8.2 { } }"),
        ("P113", "action a { reject when x { } }"),
        pytest.param("P113", 'action a "Renew." { approve §8.2 { } }'),
        pytest.param("P113", "action a { approve q §1 { } reject §8.2 { } }"),
        pytest.param(
            "P113",
            "action a { approve when x { } }",
        ),
    ],
)
def test_hand_picked_messages_hold_in_any_context(code: str, text: str) -> None:
    error = syntax_error(text)
    assert error.code == code
    assert error.hint is not None


# -- never Lark's words, never another exception ----------------------------------------------

_LARK_WORDS = re.compile(r"Expected one of|Token\(|__ANON|\$END|UnexpectedToken|UnexpectedCharacters")

BROKEN = [
    "action",
    "action a {",
    "action a { approve }",
    "action a { approve r §1 { charge = 1 } }",
    "action a { let x = (1 + 2 }",
    "action a { let x = 1 + }",
    "action a { let x = f(1,) }",
    "parameter x = ",
    "parameter x = 1 clause",
    "enum e = ",
    "define f: { 1 }",
    "include other.mes",
    "}",
    "@",
    "action a { let x = 1 ] }",
    'action a { approve r §1 { reason "unterminated } }',
]


@pytest.mark.parametrize("text", BROKEN)
def test_broken_text_raises_a_syntax_error_in_our_words(text: str) -> None:
    error = syntax_error(text)
    assert re.fullmatch(r"P1\d\d", error.code)
    assert not _LARK_WORDS.search(error.message)
    assert not _LARK_WORDS.search(error.render())


SHIPPED = [path.read_text(encoding="utf-8") for path in sorted(shipped_rules().glob("*.mes"))]
_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|§\d+(?:\.\d+)*|\d+(?:\.\d+)?%?|\w+|==|!=|<=|>=|\S')


@st.composite
def mutated_rules(draw: st.DrawFn) -> str:
    """A shipped rule file with one token or one character deleted or duplicated."""
    text = draw(st.sampled_from(SHIPPED))
    by_token = draw(st.booleans())
    if by_token:
        tokens = list(_TOKEN.finditer(text))
        start, end = tokens[draw(st.integers(0, len(tokens) - 1))].span()
    else:
        start = draw(st.integers(0, len(text) - 1))
        end = start + 1
    if draw(st.booleans()):
        return text[:start] + text[end:]
    return text[:start] + text[start:end] + (" " if by_token else "") + text[start:]


@given(mutated_rules())
def test_mutated_rules_parse_or_fail_with_a_located_syntax_error(text: str) -> None:
    try:
        parse(text, "mutated.mes")
    except PolicySyntaxError as error:
        (diagnostic,) = error.diagnostics
        assert re.fullmatch(r"P1\d\d", diagnostic.code)
        assert not _LARK_WORDS.search(error.render())
        lines = text.splitlines() or [""]
        span = diagnostic.span
        assert 1 <= span.line <= len(lines)
        assert 1 <= span.column <= len(lines[span.line - 1]) + 1
        assert span.end_line == span.line and span.end_column > span.column


def test_the_shipped_rules_parse() -> None:
    for path in sorted(shipped_rules().glob("*.mes")):
        tree = parse(path.read_text(encoding="utf-8"), str(path))
        assert tree.items
        assert Path(tree.path).name == path.name
