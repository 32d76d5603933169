"""The shipped LALR tables (`mespolicy.parser_tables`): current, equal to a fresh build, never stale."""

from __future__ import annotations

import json
from pathlib import Path

import lark
import pytest

from mespolicy import parser, parser_tables

ROOT = Path(__file__).parent.parent
RULE_FILES = sorted(
    {*ROOT.glob("rules/*.mes"), *ROOT.glob("libraries/*.mes"), *ROOT.glob("examples/**/*.mes"),
     *ROOT.glob("tests/**/*.mes")}
)


def _keep(token: lark.Token) -> lark.Token:
    return token


@pytest.fixture(scope="module")
def built() -> lark.Lark:
    return parser_tables.build(parser_tables.grammar_text(), _keep)


def test_the_shipped_tables_are_those_of_the_grammar() -> None:
    # Lark numbers states in set order, which varies with the hash seed: tables from two builds
    # differ in numbering, so what is compared is what they were built from, then how they parse.
    shipped = parser_tables.shipped_text()
    assert shipped is not None, "mespolicy/grammar-tables.json is missing"
    assert json.loads(shipped)["built_from"] == parser_tables.stamp(parser_tables.grammar_text()), (
        "grammar.lark (or Lark) changed: write the tables again with "
        "python -c \"import mespolicy.parser_tables as t; t.write()\""
    )


def test_the_parser_in_use_is_loaded_from_the_tables() -> None:
    assert parser._lark().source_path == "<deserialized>"


def _outcome(parse: lark.Lark, text: str) -> object:
    try:
        return parse.parse(text)
    except lark.exceptions.UnexpectedInput as error:
        expected = sorted(getattr(error, "expected", None) or getattr(error, "allowed", None) or ())
        return (type(error).__name__, error.line, error.column, expected)


def test_loaded_and_built_parsers_agree_on_every_rule_file(built: lark.Lark) -> None:
    assert len(RULE_FILES) > 50
    loaded = parser_tables.load(parser_tables.shipped_text() or "", parser_tables.grammar_text(), _keep)
    assert loaded is not None
    for path in RULE_FILES:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert _outcome(loaded, text) == _outcome(built, text), path


@pytest.mark.parametrize(
    "tables",
    [
        "not json",
        "[]",
        json.dumps({"built_from": {"grammar_sha256": "0" * 64, "lark": lark.__version__}}),
        json.dumps({"built_from": {"grammar_sha256": "x", "lark": "0.0.1"}}),
    ],
)
def test_tables_not_built_from_this_grammar_are_not_used(tables: str) -> None:
    assert parser_tables.load(tables, parser_tables.grammar_text(), _keep) is None


def test_an_edited_grammar_is_built_not_read_from_stale_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    edited = parser_tables.grammar_text() + "\n// edited\n"
    monkeypatch.setattr(parser_tables, "grammar_text", lambda: edited)
    made = parser_tables.parser(_keep)
    assert made.source_path != "<deserialized>"
    assert made.parse((ROOT / "rules" / "renewal.mes").read_text(encoding="utf-8"))


def test_write_puts_the_tables_beside_the_grammar(tmp_path: Path, built: lark.Lark) -> None:
    (tmp_path / parser_tables.GRAMMAR).write_text(parser_tables.grammar_text(), encoding="utf-8")
    written = parser_tables.write(tmp_path).read_text(encoding="utf-8")
    loaded = parser_tables.load(written, parser_tables.grammar_text(), _keep)
    assert loaded is not None
    text = (ROOT / "rules" / "renewal.mes").read_text(encoding="utf-8")
    assert _outcome(loaded, text) == _outcome(built, text)
