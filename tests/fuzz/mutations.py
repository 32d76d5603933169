"""Mutations of real inputs: the shipped rule files and the example requests, byte and token level.

A mutant is the seed with a few edits drawn by hypothesis (so a failing mutant
shrinks to fewer, smaller edits): lines and tokens deleted, duplicated, swapped;
hostile tokens inserted (huge numbers, deep nesting, odd line separators, NUL, a
BOM, lone surrogates, non-UTF-8 bytes, includes that leave the folder); JSON
values of a request replaced by hostile ones. `SCALE` bounds the repetitions
(the CI run keeps it small; the long run raises it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import attrs
from hypothesis import strategies as st

from tests.fuzz.harness import EXAMPLES, RULES


@attrs.define
class Scale:
    """How large repetitions may grow: rules duplicated, nesting depth, digits."""

    repeat: int = 40
    depth: int = 300
    digits: int = 500


SCALE = Scale()

# -- seeds


def rule_files() -> dict[str, bytes]:
    """The shipped policy: every rule file, and the test files under `tests/`."""
    files = {p.name: p.read_bytes() for p in sorted(RULES.glob("*.mes"))}
    files.update({f"tests/{p.name}": p.read_bytes() for p in sorted((RULES / "tests").glob("*.mes"))})
    return files


def request_lines() -> list[bytes]:
    """The example requests, one JSON text a line."""
    lines = [json.dumps(json.loads(p.read_bytes())).encode() for p in sorted(EXAMPLES.glob("*.json"))]
    for path in sorted(EXAMPLES.glob("*.jsonl")):
        lines.extend(line for line in path.read_bytes().splitlines() if line.strip())
    return lines


# -- hostile material

# Encoded with surrogatepass, so "\ud800" becomes bytes that are not UTF-8.
ODD_TEXT = (
    "\x00", "\ufeff", "\u2028", "\u2029", "\x85", "\v", "\f", "\x1c", "\x1d", "\x1e", "\r", "\r\n",
    "\t", "\ud800", "\udfff", "\u202e", "\u200b", "\U0001f600", "\uff12\uff15",
    "\u0663", "\u00e9", "e\u0301", "\\", '"',
    "§", "#", "{", "}", "(", ")", ",", ".", ":", "|", "=", "%",
)  # fmt: skip
HOSTILE_RULE_TOKENS = (
    *ODD_TEXT,
    "9" * 41, "1" * 4300, "0." + "0" * 60 + "1", "1E+100", "99999999999999999999 months",
    "999999999 days", "10000-01-01", "2024-02-30", "0000-00-00", "0001-01-01", "9999-12-31",
    "§999999999999", "100%", "1000000%", "0%", "1 / 0", "1 / 3", "0 days / 0 days",
    "self", "__import__", "__class__", "lambda", "rt", "req", "result", "given", "first k from 0 where",
    "not", "and", "or", "if", "then", "else", "let self = 1", "for self in contracts {", "set self = 1",
    "let", "reason", "charge", "term from", "approve", "reject", "when", "in", "not in",
    "max(c.annual_fee for c in contracts)", "min(contracts)", "sum(date)", "reason \"\"",
    "include \"../outside.mes\"", "include \"{root}/outside.mes\"", "include \"/etc/passwd\"",
    "include \"../../../../../../etc/passwd\"", "include \"/proc/self/environ\"",
    "include \"parameters.mes\"", "include \"./\"", "include \"\"", "include \"\\u0000\"",
    "include \"a\x00b.mes\"", "include \"" + "a" * 300 + ".mes\"", "include \"tests/renewal.mes\"",
)  # fmt: skip
HOSTILE_JSON_VALUES: tuple[str, ...] = (
    "null", "true", "false", "0", "-1", "1.5", "1e400", "-0", "1E+100", '"1E+100"', '"1e-7"', "NaN",
    "Infinity", "-Infinity", '""', '" "', '"\\ud800"', '"\\udfff\\ud800"', '"\\u0000"', '"\\u2028"',
    '"a\\nb"', '"\ufeff"', '"2024-02-30"', '"9999-12-31"', '"0001-01-01"', '"2026-03-01T00:00"',
    '"+2026-03-01"', '"\uff12\uff10\uff12\uff16-\uff10\uff13-\uff10\uff11"',
    '"XXX"', '"usd"', '"partner"', '"subscription"', "[]", "{}",
    '["L1", "L1"]', '[null]', '"12000.001"', '"-12000.00"', '"12,000.00"', '"1_000"', '" 12000.00"',
    '"0x10"', '"١٢٠٠٠"', "12000.00",
)  # fmt: skip


def _big_values() -> list[str]:
    return [
        "1" * SCALE.digits,
        '"' + "1" * SCALE.digits + '"',
        "[" * SCALE.depth + "]" * SCALE.depth,
        '{"a":' * SCALE.depth + "1" + "}" * SCALE.depth,
        '"' + "x" * (SCALE.digits * 10) + '"',
        "[" + ",".join([f'{{"id": "M{i}"}}' for i in range(SCALE.repeat)]) + "]",
    ]


_TOKEN = re.compile(rb'"(?:[^"\\\n]|\\.)*"|[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|\s+|.', re.S)


def tokens(data: bytes) -> list[bytes]:
    return _TOKEN.findall(data)


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


# -- edits: each takes the bytes and the draw function


Edit = Callable[[bytes, st.DrawFn], bytes]


def _index(draw: st.DrawFn, size: int) -> int:
    return int(draw(st.integers(0, max(size - 1, 0))))


def delete_line(data: bytes, draw: st.DrawFn) -> bytes:
    lines = data.split(b"\n")
    del lines[_index(draw, len(lines))]
    return b"\n".join(lines)


def duplicate_line(data: bytes, draw: st.DrawFn) -> bytes:
    lines = data.split(b"\n")
    i = _index(draw, len(lines))
    times = draw(st.integers(1, SCALE.repeat))
    return b"\n".join(lines[: i + 1] + [lines[i]] * times + lines[i + 1 :])


def swap_lines(data: bytes, draw: st.DrawFn) -> bytes:
    lines = data.split(b"\n")
    i, j = _index(draw, len(lines)), _index(draw, len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


def delete_token(data: bytes, draw: st.DrawFn) -> bytes:
    parts = tokens(data)
    if parts:
        del parts[_index(draw, len(parts))]
    return b"".join(parts)


def duplicate_token(data: bytes, draw: st.DrawFn) -> bytes:
    parts = tokens(data)
    if parts:
        i = _index(draw, len(parts))
        parts.insert(i, parts[i] * draw(st.integers(1, 3)))
    return b"".join(parts)


def swap_tokens(data: bytes, draw: st.DrawFn) -> bytes:
    parts = tokens(data)
    if parts:
        i, j = _index(draw, len(parts)), _index(draw, len(parts))
        parts[i], parts[j] = parts[j], parts[i]
    return b"".join(parts)


def insert_rule_token(data: bytes, draw: st.DrawFn) -> bytes:
    parts = tokens(data)
    token = _encode(draw(st.sampled_from(HOSTILE_RULE_TOKENS)))
    spaced = draw(st.booleans())
    parts.insert(_index(draw, len(parts) + 1), b" " + token + b" " if spaced else token)
    return b"".join(parts)


def replace_token(data: bytes, draw: st.DrawFn) -> bytes:
    parts = tokens(data)
    if parts:
        parts[_index(draw, len(parts))] = _encode(draw(st.sampled_from(HOSTILE_RULE_TOKENS)))
    return b"".join(parts)


def insert_bytes(data: bytes, draw: st.DrawFn) -> bytes:
    raw = draw(
        st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\xef\xbb\xbf", b"\x80"])
        | st.binary(max_size=4)
    )
    at = _index(draw, len(data) + 1)
    return data[:at] + raw + data[at:]


def bom(data: bytes, draw: st.DrawFn) -> bytes:
    return b"\xef\xbb\xbf" + data


def nest(data: bytes, draw: st.DrawFn) -> bytes:
    """An expression nested deep: parentheses, `not`s, an `and` chain or `if`s, put in place of a token."""
    depth = draw(st.integers(1, SCALE.depth))
    shape = draw(st.sampled_from(["parens", "not", "and", "if", "minus", "first", "plus"]))
    made = {
        "parens": "(" * depth + "true" + ")" * depth,
        "not": "not " * depth + "true",
        "and": " and ".join(["true"] * depth),
        "if": "if true then " * depth + "1" + " else 1" * depth,
        "minus": "-" * depth + "1",
        "first": "first k from 0 where " * min(depth, 6) + "true",
        "plus": " + ".join(["1 days"] * depth),
    }[shape]
    parts = tokens(data)
    parts.insert(_index(draw, len(parts) + 1), made.encode())
    return b"".join(parts)


def long_comment(data: bytes, draw: st.DrawFn) -> bytes:
    size = draw(st.integers(1, SCALE.digits * 20))
    return data + b"\n#" + b"x" * size + b"\n" + draw(st.sampled_from([b"", b"oops", b"parameter"]))


RULE_EDITS: tuple[Edit, ...] = (
    delete_line, duplicate_line, swap_lines, delete_token, duplicate_token, swap_tokens,
    insert_rule_token, replace_token, insert_bytes, bom, nest, long_comment,
)  # fmt: skip


def replace_json_value(data: bytes, draw: st.DrawFn) -> bytes:
    """A value of the request (found as a token after `:` or in a list) replaced by a hostile one."""
    parts = tokens(data)
    spots = [
        i for i, p in enumerate(parts) if p.startswith(b'"') or p[:1].isdigit() or p in (b"true", b"false")
    ]
    if not spots:
        return data
    values = [*HOSTILE_JSON_VALUES, *_big_values()]
    parts[spots[_index(draw, len(spots))]] = _encode(draw(st.sampled_from(values)))
    return b"".join(parts)


def insert_json_token(data: bytes, draw: st.DrawFn) -> bytes:
    parts = tokens(data)
    token = _encode(
        draw(st.sampled_from([*ODD_TEXT, '"x": 1,', '"action": "renew",', "[", "]", "{", "}", ":", ","]))
    )
    parts.insert(_index(draw, len(parts) + 1), token)
    return b"".join(parts)


REQUEST_EDITS: tuple[Edit, ...] = (
    replace_json_value, replace_json_value, insert_json_token, delete_token, duplicate_token, swap_tokens,
    insert_bytes, bom,
)  # fmt: skip


def mutate(data: bytes, draw: st.DrawFn, edits: tuple[Edit, ...], most: int = 4) -> bytes:
    for edit in draw(st.lists(st.sampled_from(edits), min_size=1, max_size=most)):
        data = edit(data, draw)
    return data


class RuleFolder:
    """A rule folder to load: its files, the symlinks to plant in it, and which files were changed.

    A plain class: hypothesis prints attrs classes field by field, and the unchanged files are long.
    """

    def __init__(self, files: dict[str, bytes], links: dict[str, str], changed: tuple[str, ...]) -> None:
        self.files = files
        self.links = links
        self.changed = changed

    def __repr__(self) -> str:
        shown = {name: self.files[name][:2000] for name in self.changed}
        return f"RuleFolder(changed={shown!r}, links={self.links!r})"


@st.composite
def rule_folders(draw: st.DrawFn) -> RuleFolder:
    """The shipped rule folder with one or two files mutated; sometimes a symlink planted in it."""
    files = rule_files()
    names = sorted(files)
    changed = set()
    for _ in range(draw(st.integers(1, 2))):
        name = draw(st.sampled_from(names))
        files[name] = mutate(files[name], draw, RULE_EDITS)
        changed.add(name)
    links: dict[str, str] = {}
    if draw(st.integers(0, 9)) == 0:
        name, target = draw(
            st.sampled_from(
                [
                    ("zz.mes", "{root}/outside.mes"),
                    ("zz.mes", "../outside.mes"),
                    ("zz.mes", "zz.mes"),
                    ("zz.mes", "/etc/passwd"),
                    ("zz.mes", "/proc/self/environ"),
                    ("sub.mes", "."),
                    ("tests", "{root}"),
                ]
            )
        )
        links[name] = target
    if draw(st.integers(0, 9)) == 0:
        files["added.mes"] = _encode(draw(st.sampled_from(HOSTILE_RULE_TOKENS)))
        changed.add("added.mes")
    return RuleFolder(files, links, tuple(sorted(changed)))


@st.composite
def request_texts(draw: st.DrawFn) -> bytes:
    """One example request line, mutated (one line: a raw newline the edits insert is escaped)."""
    line = draw(st.sampled_from(request_lines()))
    return mutate(line, draw, REQUEST_EDITS).replace(b"\n", b"\\n")


@st.composite
def jsonl_files(draw: st.DrawFn) -> bytes:
    """A JSON Lines file: example lines, mutated lines, blank lines, any line ending."""
    lines = draw(
        st.lists(
            st.sampled_from(request_lines())
            | request_texts()
            | st.sampled_from([b"", b"  ", b"\r", b"\x0c"]),
            min_size=1,
            max_size=8,
        )
    )
    data = b"\n".join(lines)
    return data + draw(st.sampled_from([b"\n", b"", b"\r\n"]))
