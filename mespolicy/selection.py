"""`mespolicy test -k`: which tests a keyword expression picks, as `pytest -k` reads one.

An expression is words joined by `and`, `or`, `not` and parentheses; a word picks the tests
whose name holds it (case-insensitive). `renewal and not late` picks `early_renewal`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from mespolicy.errors import MespolicyError

Matcher = Callable[[str], bool]

_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")


class SelectionError(MespolicyError):
    """A `-k` expression that does not read: a missing word or parenthesis (U103)."""

    code = "U103"

    def render(self, folder: str | None = None) -> str:
        return f"{self.code}: {self}"


def matcher(expression: str) -> Matcher:
    """A test-name predicate from a `-k` expression; SelectionError says where it stops reading."""
    tokens = _TOKEN.findall(expression)
    if not tokens:
        raise SelectionError(f"-k {expression!r}: give a word of the test names to pick")
    parser = _Parser(expression, tokens)
    found = parser.either()
    if parser.at < len(tokens):
        raise SelectionError(f"-k {expression!r}: unexpected {tokens[parser.at]!r}")
    return found


class _Parser:
    """Recursive descent, loosest first: or, and, not, then a word or a parenthesised expression."""

    def __init__(self, expression: str, tokens: list[str]) -> None:
        self.expression = expression
        self.tokens = tokens
        self.at = 0

    def _peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _take(self) -> str:
        token = self._peek()
        if token is None:
            raise SelectionError(f"-k {self.expression!r}: ends where a word or '(' was expected")
        self.at += 1
        return token

    def either(self) -> Matcher:
        left = self.both()
        while self._peek() == "or":
            self.at += 1
            right = self.both()
            left = _or(left, right)
        return left

    def both(self) -> Matcher:
        left = self.negated()
        while self._peek() == "and":
            self.at += 1
            right = self.negated()
            left = _and(left, right)
        return left

    def negated(self) -> Matcher:
        if self._peek() == "not":
            self.at += 1
            inner = self.negated()
            return lambda name: not inner(name)
        token = self._take()
        if token == "(":
            inner = self.either()
            if self._peek() != ")":
                raise SelectionError(f"-k {self.expression!r}: a '(' is not closed")
            self.at += 1
            return inner
        if token in {")", "and", "or"}:
            raise SelectionError(f"-k {self.expression!r}: unexpected {token!r} where a word was expected")
        word = token.casefold()
        return lambda name: word in name.casefold()


def _or(left: Matcher, right: Matcher) -> Matcher:
    return lambda name: left(name) or right(name)


def _and(left: Matcher, right: Matcher) -> Matcher:
    return lambda name: left(name) and right(name)


__all__ = ["Matcher", "SelectionError", "matcher"]
