"""A Pygments lexer for rule files, so Sphinx and `pygmentize` highlight `.mes` text.

It follows `grammar.lark`: keywords, clauses (`§8.3`), dates, durations
(`30 days`), percentages, money (`150.00 USD`), texts with `{placeholders}` and
`#` comments. It is lenient where the grammar is strict (a stray `{` in a text
is shown as text), so that only characters the language never uses come out as
errors.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pygments.lexer import RegexLexer, bygroups, include, words
from pygments.token import (
    Comment,
    Keyword,
    Literal,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
    _TokenType,
)

_NAME = r"[a-z_][a-z0-9_]*"
_NUMBER = r"[0-9]+(?:\.[0-9]+)?"

_DECLARATIONS = ("parameter", "enum", "define", "action", "test", "include", "policy", "clauses")
_STATEMENTS = ("let", "reason", "term", "charge", "set", "for", "when", "result")
_META = ("clause", "source", "reading", "version", "library")
_WORDS = ("from", "until", "on", "where", "first", "given", "if", "then", "else")
_TEST_LINES = ("request", "customer", "partner", "contract", "license", "with", "expect")
_AGGREGATES = ("sum", "count", "min", "max", "any", "all", "distinct")
_UNITS = ("days", "day", "months", "month")


def _groups(*tokens: _TokenType) -> Any:
    """`bygroups`, typed: one token type for each group of the pattern."""
    return bygroups(*tokens)  # type: ignore[no-untyped-call]


def _declares(keywords: str, keyword: _TokenType, declared: _TokenType) -> tuple[str, Any]:
    """A keyword and the name it introduces (`action renew`, `approve late_renewal`)."""
    return rf"\b({keywords})(\s+)({_NAME})\b", _groups(keyword, Whitespace, declared)


class MespolicyLexer(RegexLexer):
    """Rule files of mespolicy (`*.mes`): parameters, enums, definitions, actions, rules and tests."""

    name = "mespolicy"
    aliases: ClassVar[list[str]] = ["mespolicy", "mes"]
    filenames: ClassVar[list[str]] = ["*.mes"]
    mimetypes: ClassVar[list[str]] = ["text/x-mespolicy"]
    url = "https://pypi.org/project/mespolicy/"

    tokens: ClassVar[dict[str, list[Any]]] = {
        "root": [
            # `contract.end` is a name; `contract "M1" ...` at the start of a test line is a keyword
            (rf"(?m)^([ \t]*)({'|'.join(_TEST_LINES)})\b(?!\s*[.=])", _groups(Whitespace, Keyword.Reserved)),
            (r"[ \t\r]+|\n", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (r'"', String.Double, "text"),
            (r"§[0-9]+(?:\.[0-9]+)*", Name.Label),
            (r"\b[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+(?:\.[0-9]+)*", Name.Label),
            # a clause's wording in a clauses block
            (r"\b(?:text|summary)\b(?=[ \t]+\")", Keyword.Pseudo),
            include("headers"),
            include("constructs"),
            include("literals"),
            include("keywords"),
            # `..` of a parameter's range (`in 0%..100%`)
            (r"==|!=|<=|>=|<|>|\+|-|\*|/|\.\.", Operator),
            (r"[=|:,.(){}]", Punctuation),
            (r"[A-Za-z_][A-Za-z0-9_]*", Name),
        ],
        # a declaration keyword and the name it declares
        "headers": [
            _declares("parameter|define|test", Keyword.Declaration, Name.Function),
            _declares("action|enum", Keyword.Declaration, Name.Class),
            _declares("approve|reject", Keyword, Name.Function),
            (r"\b(include)\b", Keyword.Namespace),
        ],
        # the calendar and number constructs and bands, each a phrase of several words
        "constructs": [
            (r"\b(months|years)(\s+)(from)\b", _groups(Keyword, Whitespace, Keyword)),
            (
                r"\b(start|end|day)(\s+)(of)(\s+)(month)(\s+)(of)\b",
                _groups(Keyword, Whitespace, Keyword, Whitespace, Keyword, Whitespace, Keyword),
            ),
            (r"\b(rounded|round)(\s+)(up|down)\b", _groups(Keyword, Whitespace, Keyword)),
            (r"\b(a)(\s+)(remainder)(\s+)(of)\b", _groups(Keyword, Whitespace, Keyword, Whitespace, Keyword)),
            (
                r"\b(or)(\s+)(more)(\s+)(counting)(\s+)(whole)\b",
                _groups(Operator.Word, Whitespace, Keyword, Whitespace, Keyword, Whitespace, Keyword),
            ),
            (r"([0-9]+)(\s+)(places?)\b", _groups(Number.Integer, Whitespace, Keyword)),
            (r"\b(band)(\s+)(of)\b", _groups(Keyword, Whitespace, Keyword)),
            (r"\b(up)(\s+)(to)\b", _groups(Keyword, Whitespace, Keyword)),
            (r"\b(under|beyond)\b(?=\s*[-0-9(:a-z])", Keyword),
        ],
        "literals": [
            (r"[0-9]{4}-[0-9]{2}-[0-9]{2}\b", Literal.Date),
            (rf"{_NUMBER}[ \t]*%", Number),
            (rf"({_NUMBER})(\s+)([A-Z]{{3}})\b", _groups(Number.Float, Whitespace, Name.Constant)),
            (rf"([0-9]+)(\s+)({'|'.join(_UNITS)})\b", _groups(Number.Integer, Whitespace, Keyword.Type)),
            (r"[0-9]+\.[0-9]+", Number.Float),
            (r"[0-9]+", Number.Integer),
            (r"\b[A-Z]{3}\b", Name.Constant),
            (words(("true", "false"), prefix=r"\b", suffix=r"\b"), Keyword.Constant),
        ],
        "keywords": [
            (words(_DECLARATIONS, prefix=r"\b", suffix=r"\b"), Keyword.Declaration),
            (words(("approve", "reject"), prefix=r"\b", suffix=r"\b"), Keyword),
            (words(_STATEMENTS + _WORDS, prefix=r"\b", suffix=r"\b"), Keyword),
            (words(_META, prefix=r"\b", suffix=r"\b"), Keyword.Pseudo),
            (words(("and", "or", "not", "in"), prefix=r"\b", suffix=r"\b"), Operator.Word),
            (r"\b(licenses|shipped)\b(?=\s+[\"0-9])", Keyword.Reserved),
            (r"\bno\b(?=\s+charge\b)", Keyword.Reserved),
            (rf"\b({'|'.join(_AGGREGATES)})\b(?=\s*\()", Name.Builtin),
        ],
        "text": [
            (r"\\.", String.Escape),
            (r"\{\{|\}\}", String.Escape),
            (r"\{[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*\}", String.Interpol),
            (r'[^"\\{}\n]+', String.Double),
            (r"[{}]", String.Double),
            (r'"', String.Double, "#pop"),
            (r"\n", String.Double, "#pop"),
        ],
    }


__all__ = ["MespolicyLexer"]
