"""Hostile rule folders (issue 9): reading and parsing them runs no code, reads nothing outside
the folder, and refuses what is too big or too deep with a located error, never a traceback."""

from __future__ import annotations

import pickle
import tempfile
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import lark
import pytest

from mespolicy import parser
from mespolicy.errors import PolicySyntaxError
from mespolicy.limits import DEFAULT, Limits
from mespolicy.parser import parse

PLANTED: list[str] = []


def _planted_code_ran() -> None:
    PLANTED.append("ran")


class _Payload:
    """Unpickling this calls _planted_code_ran: what a planted cache file would do."""

    def __reduce__(self) -> tuple[object, tuple[()]]:
        return (_planted_code_ran, ())


# -- finding 1: no pickle cache in the temp folder ------------------------------------------


def test_building_the_parser_reads_and_writes_nothing_in_the_temp_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    # Where Lark's cache=True would look: the name it derives for these very options.
    grammar = resources.files("mespolicy").joinpath("grammar.lark").read_text(encoding="utf-8")
    lark.Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=False, cache=True)
    (cache_file,) = tmp_path.iterdir()
    cache_file.write_bytes(b"any hash\n" + pickle.dumps(_Payload()))
    before = sorted(p.name for p in tmp_path.iterdir())
    opened: list[str] = []
    real_open = lark.utils.FS.open

    def spy(name: str, *args: Any, **kwargs: Any) -> Any:
        opened.append(name)
        return real_open(name, *args, **kwargs)  # type: ignore[no-untyped-call]

    monkeypatch.setattr(lark.utils.FS, "open", spy)
    parser._lark.cache_clear()
    try:
        parse("action a { }\n", "a.mes")
    finally:
        parser._lark.cache_clear()
    assert PLANTED == [], "a planted file in the temp folder was unpickled"
    assert opened == []
    assert sorted(p.name for p in tmp_path.iterdir()) == before


# -- finding 6: a syntax error is reported in time linear in the file -------------------------

_LONG_COMMENT = """\
import resource, sys
resource.setrlimit(resource.RLIMIT_CPU, (60, 60))
from mespolicy.errors import PolicySyntaxError
from mespolicy.parser import parse
text = "define f: number {\\n  # " + "let " * 220_000 + "\\n  result 1 }\\n)\\n"
try:
    parse(text, "long.mes")
except PolicySyntaxError as error:
    print(error.code, error.diagnostics[0].span)
"""


def test_a_syntax_error_after_a_long_comment_is_reported_without_backtracking() -> None:
    # The old hint pattern backtracked over the comment for every 'let' in it: quadratic,
    # hours for this 880 KB file. The child may use a minute of CPU; it needs well under a second.
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _LONG_COMMENT], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.split() == ["P101", "long.mes:4:1"]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("define f: number {\n  let a = 1\n  (a)\n}\n", "P114 t.mes:3:3"),
        ("define f: number {\n  let a = 1\n  -a\n}\n", "P101 t.mes:4:1"),
        ("action a {\n  approve {\n  }\n}\n", "P113 t.mes:2:11"),
        ("action a {\n  reject\n  when true {\n  }\n}\n", "P113 t.mes:3:8"),
        ("action a {\n  disapprove {\n  }\n}\n", "P101 t.mes:2:3"),
        ("action a {\n  approve r 8.3 { }\n}\n", "P112 t.mes:2:13"),
        ("action a {\n  approve r §1 when a = b { }\n}\n", "P110 t.mes:2:23"),
        ("action a {\n  approve r §1 when a ==\n\n\n", "P103 t.mes:4:1"),
        ("action a {\r\n  approve r §1 when a == \r\n", "P103 t.mes:2:26"),
    ],
)
def test_the_hints_still_recognise_the_mistakes_they_name(text: str, where: str) -> None:
    # the same codes and places as before the hints were rewritten to read from the end
    with pytest.raises(PolicySyntaxError) as caught:
        parse(text, "t.mes")
    assert f"{caught.value.code} {caught.value.diagnostics[0].span}" == where


# -- finding 8: nesting deeper than the limit is L104 at its place, never a RecursionError -----

def _refused(text: str, limits: Limits = DEFAULT) -> PolicySyntaxError:
    with pytest.raises(PolicySyntaxError) as caught:
        if limits is DEFAULT:
            parse(text, "deep.mes")
        else:
            parse(text, "deep.mes", limits)
    return caught.value


@pytest.mark.parametrize(
    "expression",
    [
        " and ".join(["true"] * 1_000),
        " or ".join(["true"] * 5_000),
        "1" + " + 1" * 3_000,
        "(" * 2_000 + "1" + " + 1)" * 2_000,
        "-" * 3_000 + "1",
        "not " * 3_000 + "true",
        "if true then " * 1_000 + "1" + " else 2" * 1_000,
    ],
    ids=["and", "or", "plus", "parentheses", "negation", "not", "if"],
)
def test_a_deep_expression_is_refused_at_its_deepest_node(expression: str) -> None:
    error = _refused(f"action a {{\n  let x = {expression}\n}}\n")
    (diagnostic,) = error.diagnostics
    assert diagnostic.code == "L104"
    assert "at most 100 deep" in diagnostic.message
    assert diagnostic.span.line == 2
    assert diagnostic.span.column > 11  # inside the expression, not at the action
    assert "L104" in error.render()


def test_nested_blocks_are_refused_too() -> None:
    body = "for c in contracts {\n" * 150 + "}\n" * 150
    error = _refused(f"action a {{\n  approve r §1 {{\n{body}  }}\n}}\n")
    assert error.code == "L104"
    assert error.diagnostics[0].span.line > 100


def test_the_nesting_limit_is_the_callers() -> None:
    text = "action a {\n  let x = " + " and ".join(["true"] * 50) + "\n}\n"
    parse(text, "ok.mes")
    assert _refused(text, Limits(nesting_depth=20)).code == "L104"


def test_parentheses_alone_nest_nothing() -> None:
    (action,) = parse("action a {\n  let x = " + "(" * 5_000 + "1" + ")" * 5_000 + "\n}\n").items
    assert action.lets[0].value.value == 1  # type: ignore[union-attr]


# -- finding 11: an error quotes the line it is on, whatever characters the text holds --------


@pytest.mark.parametrize("odd", ["\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\r"])
def test_the_excerpt_is_the_line_lark_counted(odd: str) -> None:
    text = f'# a comment with {odd} inside\naction a {{\n  let x = @\n}}\n'
    (diagnostic,) = _refused(text).diagnostics
    assert (diagnostic.code, diagnostic.span.line, diagnostic.span.column) == ("P102", 3, 11)
    source_line, caret = diagnostic.render().splitlines()[1:3]
    assert source_line == "  " + "  let x = @"
    assert caret == "  " + " " * 10 + "^"


def test_the_excerpt_of_a_line_holding_a_control_character_keeps_the_caret_in_place() -> None:
    (diagnostic,) = _refused('action a {\n  let x = "\x1b[2J\x85" + @\n}\n').diagnostics
    source_line, caret = diagnostic.render().splitlines()[1:3]
    assert "\x1b" not in source_line and "\x85" not in source_line
    assert caret.index("^") == source_line.index("@")


def test_crlf_files_quote_their_lines_without_the_carriage_return() -> None:
    (diagnostic,) = _refused("action a {\r\n  let x = @\r\n}\r\n").diagnostics
    assert diagnostic.render().splitlines()[1] == "    let x = @"


# -- finding 14 and L105: numbers are ASCII digits, and not too many of them --------------------


# fullwidth, Arabic-Indic, Devanagari and mathematical bold 2 and 5
@pytest.mark.parametrize("digits", ["\uff12\uff15", "\u0662\u0665", "\u0968\u096b", "\U0001d7d0\U0001d7d3"])
def test_only_ascii_digits_are_numbers(digits: str) -> None:
    for text in (
        f"parameter p = {digits}%\n",
        f"parameter p = {digits}\n",
        f"parameter p = {digits} days\n",
        f"parameter p = {digits} USD\n",
        f"parameter p = 20{digits}-01-01\n",
        f"parameter p = 1\n  clause §{digits}\n",
    ):
        assert _refused(text).code == "P102", text


@pytest.mark.parametrize(
    "literal",
    ["1" * 5_000, "1" * 41, "0." + "1" * 40, "1" * 41 + "%", "1" * 5_000 + " days", "1" * 41 + " USD"],
)
def test_a_number_with_too_many_digits_is_refused_where_it_is_written(literal: str) -> None:
    (diagnostic,) = _refused(f"parameter p = 1\nparameter q = {literal}\n").diagnostics
    assert (diagnostic.code, diagnostic.span.line, diagnostic.span.column) == ("L105", 2, 15)
    assert "at most 40" in diagnostic.message


def test_forty_digits_are_a_number() -> None:
    (parameter,) = parse("parameter p = " + "9" * 20 + "." + "9" * 20 + "\n").items
    assert parameter.values[0].value.value == Decimal("9" * 20 + "." + "9" * 20)  # type: ignore[union-attr]
    parse("parameter p = " + "1" * 60 + "\n", "p.mes", Limits(number_digits=60))
