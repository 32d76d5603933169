"""The LALR tables of grammar.lark, built once by a developer and shipped as JSON beside it.

Building the parser from the grammar takes most of a second (Lark's LALR analysis), which every
`mespolicy decide` would pay before its first request. The tables are the same every time, so
they ship as ``grammar-tables.json``: Lark's own serialized form of the built parser, in JSON
rather than Lark's pickle (`Lark.save`), because unpickling is running code. They are used only
when they were built from this very grammar by this very Lark version; otherwise the parser is
built from the grammar as before, so an edited grammar is never parsed with stale tables.

After editing grammar.lark, write them again with
``python -c "import mespolicy.parser_tables as t; t.write()"`` (`tests/test_parser_tables.py`
fails until then).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import lark
from lark.grammar import Rule
from lark.lexer import TerminalDef, Token

GRAMMAR = "grammar.lark"
TABLES = "grammar-tables.json"

# How every mespolicy parser is made; what `Lark.load` may not take back is stored with the tables.
OPTIONS: dict[str, Any] = {"parser": "lalr", "propagate_positions": True, "maybe_placeholders": False}


def grammar_text() -> str:
    return resources.files("mespolicy").joinpath(GRAMMAR).read_text(encoding="utf-8")


def stamp(grammar: str) -> dict[str, str]:
    """What the tables were built from: the grammar's hash and the Lark version."""
    return {"grammar_sha256": hashlib.sha256(grammar.encode("utf-8")).hexdigest(), "lark": lark.__version__}


def build(grammar: str, comment: Callable[[Token], Token]) -> lark.Lark:
    """The parser built from the grammar (Lark's LALR analysis: the slow way)."""
    return lark.Lark(grammar, **OPTIONS, lexer_callbacks={"COMMENT": comment})


def serialize(parser: lark.Lark, grammar: str) -> str:
    """The built parser's tables as JSON text, stamped with what they were built from."""
    data, memo = parser.memo_serialize([TerminalDef, Rule])
    # the load-time options (the comment callback above all) are given again when loading
    data["options"] = {k: v for k, v in data["options"].items() if k not in lark.lark._LOAD_ALLOWED_OPTIONS}
    return json.dumps(
        {"built_from": stamp(grammar), "data": data, "memo": memo},
        sort_keys=True,
        separators=(",", ":"),
    )


def load(text: str, grammar: str, comment: Callable[[Token], Token]) -> lark.Lark | None:
    """The parser from shipped tables, or None when they were not built from `grammar` by this Lark."""
    try:
        shipped = json.loads(text)
    except ValueError:
        return None
    if not isinstance(shipped, dict) or shipped.get("built_from") != stamp(grammar):
        return None
    # JSON keys are text; Lark's tables are keyed by state and token numbers
    table = shipped["data"]["parser"]["parser"]
    table["tokens"] = {int(k): v for k, v in table["tokens"].items()}
    table["states"] = {
        int(state): {int(token): tuple(action) for token, action in actions.items()}
        for state, actions in table["states"].items()
    }
    memo = {int(k): v for k, v in shipped["memo"].items()}
    options = {k: v for k, v in OPTIONS.items() if k in lark.lark._LOAD_ALLOWED_OPTIONS}
    # the loader Lark's standalone parsers use; Lark.load would read the same from a pickle
    loaded: lark.Lark = lark.Lark._load_from_dict(  # type: ignore[no-untyped-call]
        shipped["data"], memo, **options, lexer_callbacks={"COMMENT": comment}
    )
    return loaded


def shipped_text() -> str | None:
    try:
        return resources.files("mespolicy").joinpath(TABLES).read_text(encoding="utf-8")
    except OSError:
        return None


def parser(comment: Callable[[Token], Token]) -> lark.Lark:
    """The parser: from the shipped tables when they match the grammar, else built from it."""
    grammar = grammar_text()
    text = shipped_text()
    loaded = load(text, grammar, comment) if text is not None else None
    return loaded if loaded is not None else build(grammar, comment)


def write(folder: Path = Path(__file__).parent) -> Path:
    """Build the tables from the grammar in `folder` (this package's) and write them beside it."""
    grammar = (folder / GRAMMAR).read_text(encoding="utf-8")
    target = folder / TABLES
    target.write_text(serialize(build(grammar, lambda token: token), grammar) + "\n", encoding="utf-8")
    return target

