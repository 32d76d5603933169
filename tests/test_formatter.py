"""The formatter: canonical layout by example, and round trips over random syntax trees."""

from __future__ import annotations

import functools
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path

import lark
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mespolicy import nodes as n
from mespolicy.errors import PolicySyntaxError
from mespolicy.formatter import format_expr, format_file, format_text
from mespolicy.parser import parse
from tests.strategies_syntax import SPAN, exprs, policy_files

parse("")  # build the parser once, so the first example does not pay for it


def check(source: str, expected: str) -> None:
    """`source` formats to `expected`, which is its own canonical form."""
    assert format_text(source) == expected
    assert format_text(expected) == expected


# -- items ---------------------------------------------------------------------------------


def test_parameter_meta_each_on_its_own_line() -> None:
    check(
        "parameter cancellation_notice=30 days clause §5.5,§10.1 source"
        ' "Written cancellation notice at least 30 days before the expiration date."',
        """\
parameter cancellation_notice = 30 days
  clause §5.5, §10.1
  source "Written cancellation notice at least 30 days before the expiration date."
""",
    )


def test_dated_values_each_on_their_own_line() -> None:
    check(
        "parameter flat_fee: money = 100.00 from 2020-01-01 = 150.00 from 2024-07-01"
        ' clause §3 reading "Raised in 2024."',
        """\
parameter flat_fee: money
  = 100.00 from 2020-01-01
  = 150.00 from 2024-07-01
  clause §3
  reading "Raised in 2024."
""",
    )
    check("parameter start = 5 from 2024-01-01", "parameter start\n  = 5 from 2024-01-01\n")


def test_single_values_stay_on_the_header_line() -> None:
    check(
        "parameter flat_fee : money = 150.00 parameter grace = 1 day parameter term = 1 month",
        """\
parameter flat_fee: money = 150.00

parameter grace = 1 day

parameter term = 1 month
""",
    )
    check("parameter pending clause §1", "parameter pending\n  clause §1\n")


def test_clause_groups_are_merged() -> None:
    check(
        'parameter x = 1 source "s" clause §1 clause §2.3',
        'parameter x = 1\n  clause §1, §2.3\n  source "s"\n',
    )


def test_money_without_currency_prints_the_bare_amount() -> None:
    value = n.DatedValue(n.MoneyLiteral(Decimal("150.00"), None, span=SPAN), None, span=SPAN)
    money = n.TypeRef("money", span=SPAN)
    parameter = n.Parameter("flat_fee", money, (value,), (), None, span=SPAN)
    assert format_file(n.PolicyFile("p", (parameter,))) == "parameter flat_fee: money = 150.00\n"


def test_enum_and_include() -> None:
    check(
        'include "common.mes" enum premium_tier=after_hours|weekend clause §4.2 source "Tiers."',
        """\
include "common.mes"

enum premium_tier = after_hours | weekend
  clause §4.2
  source "Tiers."
""",
    )


def test_definitions() -> None:
    check(
        "define fee(annual: money, first_day: date, end_day: date): money"
        ' clause §8.2 reading "Pro rata." {'
        " let days = end_day - first_day result (annual / 365) * days }"
        " define double(x: number): number { x * 2 }"
        " define zero(): number { result 0 }",
        """\
define fee(annual: money, first_day: date, end_day: date): money
  clause §8.2
  reading "Pro rata."
{
  let days = end_day - first_day
  result annual / 365 * days
}

define double(x: number): number {
  x * 2
}

define zero: number {
  0
}
""",
    )


def test_result_ends_the_lets_of_a_definition() -> None:
    # Without `result`, `(c)` would call b and `-c` would subtract from it.
    (called,) = parse("define f: number { let a = b (c) result a }").items
    assert isinstance(called, n.Definition)
    assert called.lets[0].value == n.Call("b", (n.Name("c", span=SPAN),), span=SPAN)
    check(
        "define f: number { let a = b result -c }",
        "define f: number {\n  let a = b\n  result -c\n}\n",
    )


def test_action_with_every_statement() -> None:
    check(
        """\
action renew "Renew the ME&S of a contract." { let expiry = contract.end
  approve late_renewal §8.2, §8.3 when date > expiry { reading "In whole terms."
    let terms = first k from 1 where expiry + k * renewal_term > date
    reason §8.4 "Starts on {expiry}, not on { request.date }."
    term from expiry until expiry + terms * renewal_term
    charge renewal §8.2 = contract.annual_fee * terms from expiry until date on contract
    charge fee = 150.00 USD
    set renewal.date = expiry
    for c in contracts when c.end < date { charge back = c.annual_fee for l in c.licenses { } } }
  reject too_late when date > expiry + 36 months { reason "Too late." }
  approve nothing {
  }
}
action empty {}""",
        """\
action renew "Renew the ME&S of a contract." {
  let expiry = contract.end

  approve late_renewal §8.2, §8.3 when date > expiry {
    reading "In whole terms."
    let terms = first k from 1 where expiry + k * renewal_term > date
    reason §8.4 "Starts on {expiry}, not on {request.date}."
    term from expiry until expiry + terms * renewal_term
    charge renewal §8.2 = contract.annual_fee * terms from expiry until date on contract
    charge fee = 150.00 USD
    set renewal.date = expiry
    for c in contracts when c.end < date {
      charge back = c.annual_fee
      for l in c.licenses {}
    }
  }

  reject too_late when date > expiry + 36 months {
    reason "Too late."
  }

  approve nothing {}
}

action empty {}
""",
    )


def test_lets_between_rules_are_set_apart() -> None:
    check(
        "action a { let x = 1 let y = 2 approve r {} let z = 3 }",
        """\
action a {
  let x = 1
  let y = 2

  approve r {}

  let z = 3
}
""",
    )


def test_tests_written_beside_the_rules() -> None:
    check(
        """\
test late "Back ME&S." { request renew on 2026-04-10
  customer "C1" existing partner "P2" new
  contract "M1" 12000.00 USD from 2025-03-01 until 2026-03-01 licenses "L1","L2"
  license "L1" perpetual 12000.00 USD shipped 2025-03-01
  with contract = "M1" with days = 2026-01-01, lapsed
  expect approved §8.2,§8.3 expect reason §8.4 expect term from 2026-03-01 until 2027-03-01
  expect charge renewal = 12000.00 USD from 2026-03-01 until 2027-03-01 on "M1"
  expect total = 12328.77 USD expect status = lapsed expect no charge }
test nothing {}""",
        """\
test late "Back ME&S." {
  request renew on 2026-04-10
  customer "C1" existing
  partner "P2" new
  contract "M1" 12000.00 USD from 2025-03-01 until 2026-03-01 licenses "L1", "L2"
  license "L1" perpetual 12000.00 USD shipped 2025-03-01
  with contract = "M1"
  with days = 2026-01-01, lapsed
  expect approved §8.2, §8.3
  expect reason §8.4
  expect term from 2026-03-01 until 2027-03-01
  expect charge renewal = 12000.00 USD from 2026-03-01 until 2027-03-01 on "M1"
  expect total = 12328.77 USD
  expect status = lapsed
  expect no charge
}

test nothing {}
""",
    )


RULE_FILES = sorted((Path(__file__).parent.parent / "rules").rglob("*.mes"))


@pytest.mark.parametrize("path", RULE_FILES, ids=[p.name for p in RULE_FILES])
def test_the_shipped_rule_files_keep_their_tree_and_comments(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    try:
        tree = parse(text, str(path))
    except PolicySyntaxError as error:  # the rule tests report it; nothing to format
        pytest.skip(str(error))
    once = format_file(tree)
    assert parse(once, str(path)) == tree
    assert [c.text for c in parse(once).comments] == [c.text.rstrip() for c in parse(text).comments]
    assert format_text(once, str(path)) == once


def test_empty_file() -> None:
    assert format_text("") == ""
    assert format_text("\n\n  \n") == ""


# -- texts -----------------------------------------------------------------------------------


def test_text_escapes_braces_and_placeholders() -> None:
    check(
        r'action a { approve r { reason "Quote \"as is\", path C:\\x, braces {{ and }}, {a.b}{c}." } }',
        r"""action a {
  approve r {
    reason "Quote \"as is\", path C:\\x, braces {{ and }}, {a.b}{c}."
  }
}
""",
    )


def test_quoted_strings_escape_quotes_and_backslashes_only() -> None:
    check(
        r'include "a\"b\\c{d}" action a "say \"{x}\"" {}',
        'include "a\\"b\\\\c{d}"\n\naction a "say \\"{x}\\"" {}\n',
    )


def test_text_parts_round_trip() -> None:
    field = n.FieldAccess(n.Name("contract", span=SPAN), "end", span=SPAN)
    text = n.TextLiteral(("{", field, '}"\\', n.Name("x", span=SPAN)), span=SPAN)
    assert format_expr(text) == r'"{{{contract.end}}}\"\\{x}"'
    assert reparse(format_expr(text)) == text


# -- expressions -----------------------------------------------------------------------------


def reparse(expr: str) -> n.Expr:
    (action,) = parse(f"action a {{ let x = {expr} }}").items
    assert isinstance(action, n.Action)
    return action.lets[0].value


def name(text: str) -> n.Name:
    return n.Name(text, span=SPAN)


a, b, c = name("a"), name("b"), name("c")
ADD, SUB, MUL, DIV = n.BinaryOp.ADD, n.BinaryOp.SUBTRACT, n.BinaryOp.MULTIPLY, n.BinaryOp.DIVIDE
AND, OR, EQ, IN, NOT_IN = n.BinaryOp.AND, n.BinaryOp.OR, n.BinaryOp.EQ, n.BinaryOp.IN, n.BinaryOp.NOT_IN
NOT, NEG = n.UnaryOp.NOT, n.UnaryOp.NEGATE


def binary(op: n.BinaryOp, left: n.Expr, right: n.Expr) -> n.Binary:
    return n.Binary(op, left, right, span=SPAN)


def un(op: n.UnaryOp, operand: n.Expr) -> n.Unary:
    return n.Unary(op, operand, span=SPAN)


def field(subject: n.Expr, name: str) -> n.FieldAccess:
    return n.FieldAccess(subject, name, span=SPAN)


def number(text: str) -> n.NumberLiteral:
    return n.NumberLiteral(Decimal(text), span=SPAN)


def if_(condition: n.Expr, then: n.Expr, otherwise: n.Expr) -> n.IfThenElse:
    return n.IfThenElse(condition, then, otherwise, span=SPAN)


FIRST = n.FirstWhere("k", number("1"), binary(n.BinaryOp.GT, name("k"), a), span=SPAN)

PRECEDENCE = [
    (binary(SUB, binary(SUB, a, b), c), "a - b - c"),
    (binary(SUB, a, binary(SUB, b, c)), "a - (b - c)"),
    (binary(ADD, a, binary(SUB, b, c)), "a + (b - c)"),
    (binary(ADD, binary(MUL, a, b), c), "a * b + c"),
    (binary(MUL, a, binary(ADD, b, c)), "a * (b + c)"),
    (binary(DIV, a, binary(MUL, b, c)), "a / (b * c)"),
    (binary(MUL, binary(DIV, a, b), c), "a / b * c"),
    (binary(EQ, binary(ADD, a, b), c), "a + b == c"),
    (binary(EQ, binary(EQ, a, b), c), "(a == b) == c"),
    (binary(EQ, a, binary(EQ, b, c)), "a == (b == c)"),
    (binary(IN, binary(IN, a, b), c), "(a in b) in c"),
    (binary(NOT_IN, a, b), "a not in b"),
    (un(NOT, binary(NOT_IN, a, b)), "not a not in b"),
    (un(NOT, binary(EQ, a, b)), "not a == b"),
    (binary(EQ, un(NOT, a), b), "(not a) == b"),
    (un(NOT, binary(AND, a, b)), "not (a and b)"),
    (binary(AND, un(NOT, a), b), "not a and b"),
    (un(NOT, un(NOT, a)), "not not a"),
    (binary(OR, a, binary(AND, b, c)), "a or b and c"),
    (binary(AND, binary(OR, a, b), c), "(a or b) and c"),
    (binary(OR, a, binary(OR, b, c)), "a or (b or c)"),
    (binary(OR, binary(OR, a, b), c), "a or b or c"),
    (un(NEG, binary(ADD, a, b)), "-(a + b)"),
    (un(NEG, un(NEG, a)), "- -a"),
    (un(NEG, number("5")), "-5"),
    (binary(SUB, a, un(NEG, b)), "a - -b"),
    (binary(MUL, un(NEG, a), un(NEG, b)), "-a * -b"),
    (un(NEG, field(a, "f")), "-a.f"),
    (field(un(NEG, a), "f"), "(-a).f"),
    (field(binary(ADD, a, b), "f"), "(a + b).f"),
    (field(field(a, "b"), "c"), "a.b.c"),
    (field(number("5"), "f"), "5.f"),
    (un(NEG, un(NOT, a)), "-(not a)"),
    (binary(ADD, if_(a, b, c), number("1")), "(if a then b else c) + 1"),
    (
        if_(if_(a, b, c), if_(a, b, c), if_(a, b, c)),
        "if if a then b else c then if a then b else c else if a then b else c",
    ),
    (binary(MUL, FIRST, number("2")), "(first k from 1 where k > a) * 2"),
    (field(FIRST, "f"), "(first k from 1 where k > a).f"),
    (n.Call("f", (if_(a, b, c), FIRST), span=SPAN), "f(if a then b else c, first k from 1 where k > a)"),
    (n.Call("f", (), span=SPAN), "f()"),
    (n.Aggregate(n.AggregateFunction.COUNT, a, span=SPAN), "count(a)"),
    (
        n.Aggregate(n.AggregateFunction.SUM, field(c, "fee"), "c", a, binary(EQ, b, c), span=SPAN),
        "sum(c.fee for c in a when b == c)",
    ),
    (field(n.Given("x", span=SPAN), "y"), "given x.y"),
    (un(NOT, n.Given("x", span=SPAN)), "not given x"),
]


@pytest.mark.parametrize(("tree", "text"), PRECEDENCE, ids=[text for _, text in PRECEDENCE])
def test_fewest_parentheses_that_keep_the_tree(tree: n.Expr, text: str) -> None:
    assert format_expr(tree) == text
    assert reparse(text) == tree


LITERALS = [
    (n.NumberLiteral(Decimal("12000.00"), span=SPAN), "12000.00"),
    (n.NumberLiteral(Decimal("1E+2"), span=SPAN), "100"),
    (n.NumberLiteral(Decimal("0.0001"), span=SPAN), "0.0001"),
    (n.PercentLiteral(Decimal("25"), span=SPAN), "25%"),
    (n.PercentLiteral(Decimal("12.5"), span=SPAN), "12.5%"),
    (n.DurationLiteral(30, n.Unit.DAYS, span=SPAN), "30 days"),
    (n.DurationLiteral(1, n.Unit.DAYS, span=SPAN), "1 day"),
    (n.DurationLiteral(12, n.Unit.MONTHS, span=SPAN), "12 months"),
    (n.DurationLiteral(1, n.Unit.MONTHS, span=SPAN), "1 month"),
    (n.DurationLiteral(0, n.Unit.MONTHS, span=SPAN), "0 months"),
    (n.MoneyLiteral(Decimal("150.00"), "USD", span=SPAN), "150.00 USD"),
    (n.DateLiteral(date(2024, 7, 1), span=SPAN), "2024-07-01"),
    (n.BoolLiteral(True, span=SPAN), "true"),
    (n.BoolLiteral(False, span=SPAN), "false"),
    (n.TextLiteral((), span=SPAN), '""'),
]


@pytest.mark.parametrize(("tree", "text"), LITERALS, ids=[text for _, text in LITERALS])
def test_literals(tree: n.Expr, text: str) -> None:
    assert format_expr(tree) == text
    assert reparse(text) == tree


# -- comments ---------------------------------------------------------------------------------


def test_comments_leading_trailing_end_of_block_and_end_of_file() -> None:
    check(
        """\
# File header
# second line

parameter a = 1  # trailing
# before b
parameter b = 2
action x {
  # before let
  let y = 1 +  # inside an expression
    2
  approve r {  # on a header
    set z = 1
    # end of rule
  }  # after a closing brace
  # end of action
}
# end of file""",
        """\
# File header
# second line

parameter a = 1  # trailing

# before b
parameter b = 2

action x {
  # before let
  # inside an expression
  let y = 1 + 2

  approve r {  # on a header
    set z = 1
    # end of rule
  }  # after a closing brace
  # end of action
}

# end of file
""",
    )


def test_comments_in_parameter_meta_and_definitions() -> None:
    check(
        """\
parameter fee: money  # the fee
  = 1.00 from 2020-01-01  # first
  # the raise
  = 2.00 from 2024-01-01
  # why
  clause §1
  source "s"  # where
define f: number
  clause §2  # c
  # before the brace
{
  let a = 1  # one
  result a  # the value
}  # end""",
        """\
parameter fee: money  # the fee
  = 1.00 from 2020-01-01  # first
  # the raise
  = 2.00 from 2024-01-01
  # why
  clause §1
  source "s"  # where

define f: number
  clause §2  # c
{
  # before the brace
  let a = 1  # one
  result a  # the value
}  # end
""",
    )


def test_comments_keep_an_empty_block_open() -> None:
    check(
        "action a {\n  # to do\n}\naction b {\n}  # b\naction c {  # c\n}",
        """\
action a {
  # to do
}

action b {}  # b

# c
action c {}
""",
    )


def test_a_comment_belongs_to_what_follows_it_on_its_line() -> None:
    check(
        "action a { let x = 1 let y = 2  # on y\n}",
        "action a {\n  let x = 1\n  let y = 2  # on y\n}\n",
    )
    check("action a { let x = 1 }  # on the brace", "action a {\n  let x = 1\n}  # on the brace\n")


def test_blank_lines_between_comments_are_kept() -> None:
    check(
        "# header\n\n\n# section\n\nparameter a = 1\n\n\n# loose\n# end\n",
        "# header\n\n# section\n\nparameter a = 1\n\n# loose\n# end\n",
    )


def test_windows_line_ends() -> None:
    check("# a\r\n\r\n# b  \r\nparameter a = 1  # c\r\n", "# a\n\n# b\nparameter a = 1  # c\n")


def test_a_file_of_comments() -> None:
    check("# only\n\n  # comments  \n", "# only\n\n# comments\n")


# -- properties ---------------------------------------------------------------------------------


@given(policy_files())
def test_round_trip(tree: n.PolicyFile) -> None:
    text = format_file(tree)
    assert parse(text, tree.path) == tree
    assert format_text(text) == text


@given(exprs())
def test_expressions_round_trip(expr: n.Expr) -> None:
    assert reparse(format_expr(expr)) == expr


COMMENT_TEXT = st.text(st.characters(exclude_characters="\n", exclude_categories=["Cs"]), max_size=8)


@given(policy_files(), st.data())
def test_comments_kept_in_order_and_formatting_is_idempotent(tree: n.PolicyFile, data: st.DataObject) -> None:
    lines = format_file(tree).split("\n")
    places = st.tuples(st.booleans(), st.booleans())
    choices = data.draw(st.lists(places, min_size=len(lines), max_size=len(lines)))
    comments: list[str] = []
    marked: list[str] = []
    for line, (before, after) in zip(lines, choices, strict=True):
        if before:
            comments.append(f"# c{len(comments)} {data.draw(COMMENT_TEXT)}")
            marked.append(comments[-1])
        if after:
            comments.append(f"# c{len(comments)} {data.draw(COMMENT_TEXT)}")
            line += "  " + comments[-1]
        marked.append(line)
    once = format_text("\n".join(marked))
    assert format_text(once) == once
    again = parse(once)
    assert again == n.PolicyFile("<text>", tree.items)
    assert [c.text for c in again.comments] == [c.rstrip() for c in comments]


@functools.cache
def basic_lexer() -> lark.Lark:
    grammar = resources.files("mespolicy").joinpath("grammar.lark").read_text(encoding="utf-8")
    return lark.Lark(grammar, parser="lalr", lexer="basic")


SEPARATORS = [" ", "\n", "\n\n", "  # c\n", "\n# c\n", "\n\n# c\n\n", "# c\n  \n"]


@given(policy_files(), st.data())
def test_any_layout_formats_the_same(tree: n.PolicyFile, data: st.DataObject) -> None:
    """Lay the canonical text out anew: line breaks and comments between any two tokens."""
    text = format_file(tree)
    tokens = list(basic_lexer().lex(text))
    separators = st.sampled_from(["", *SEPARATORS])
    choices = data.draw(st.lists(separators, min_size=len(tokens), max_size=len(tokens)))
    pieces: list[str] = []
    comments = 0
    end: int | None = 0
    for token, separator in zip(tokens, choices, strict=True):
        if not separator and text[end : token.start_pos]:
            separator = " "  # tokens apart in the canonical text stay apart
        if "#" in separator:
            separator = separator.replace("c", f"c{comments}")
            comments += 1
        pieces += [separator, text[token.start_pos : token.end_pos]]
        end = token.end_pos
    messy = "".join(pieces)
    expected = n.PolicyFile("<text>", tree.items)
    assert parse(messy) == expected
    once = format_text(messy)
    assert format_text(once) == once
    assert parse(once) == expected
    assert [c.text for c in parse(once).comments] == [f"# c{i}" for i in range(comments)]
    if comments == 0:
        assert once == text
