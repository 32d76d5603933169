"""The bounds on untrusted input: rule folders and requests are read within these, or refused with a code.

A rule folder or a request may come from someone else (docs/reliability.rst
states the threat model). Every bound here is a number a caller can change
(`mespolicy.load(path, limits=Limits(rules_per_action=5_000))`, or
`mespolicy --limit rules_per_action=5000 ...`), and reaching one is a located
error with the code listed beside it, never a RecursionError, a MemoryError or
a hang.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from mespolicy.errors import MespolicyError


def _positive(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise LimitSettingError(
            f"limit '{attribute.name}' must be a whole number of at least 1, not {value!r}"
        )


@attrs.frozen
class Limits:
    """How much rule text and request data mespolicy reads, and how much work one decision may take."""

    # -- rule folders (codes L1xx, located in the rule file)
    file_bytes: int = attrs.field(default=1_000_000, validator=_positive)
    """L101: bytes in one rule file."""
    policy_files: int = attrs.field(default=500, validator=_positive)
    """L102: rule files in one policy, includes and tests counted."""
    rules_per_action: int = attrs.field(default=2_000, validator=_positive)
    """L103: rules (approve and reject) in one action."""
    nesting_depth: int = attrs.field(default=100, validator=_positive)
    """L104: how deep expressions and blocks nest (an `and` of n operands nests n deep)."""
    number_digits: int = attrs.field(default=40, validator=_positive)
    """L105: digits in a number written in a rule file (or given with --set)."""
    search_span: int = attrs.field(default=10_000, validator=_positive)
    """R305: whole numbers one `first k from s where ...` tries before it gives up."""
    work_per_decision: int = attrs.field(default=2_000_000, validator=_positive)
    """L106: steps one decision may take at most, as the checker bounds them (searches times their
    span, definitions counted at each call), per item of the request's lists."""

    # -- requests (codes Q2xx, with the field path)
    request_bytes: int = attrs.field(default=8_000_000, validator=_positive)
    """Q201: bytes in one request (one JSON Lines line, one file, or one mapping's text)."""
    request_items: int = attrs.field(default=20_000, validator=_positive)
    """Q202: items in any one list of a request (contracts, licenses, ids)."""
    request_depth: int = attrs.field(default=32, validator=_positive)
    """Q203: how deep a request's JSON nests."""
    request_digits: int = attrs.field(default=40, validator=_positive)
    """Q204: digits in one number of a request."""

    def replace(self, settings: Iterable[tuple[str, str]]) -> Limits:
        """These limits with some changed by name (`--limit NAME=VALUE`), each value a whole number."""
        known = {a.name for a in attrs.fields(Limits)}
        changes: dict[str, int] = {}
        for name, text in settings:
            if name not in known:
                names = ", ".join(sorted(known))
                raise LimitSettingError(f"'{name}' is not a limit; the limits are: {names}")
            if not text.strip().isascii() or not text.strip().isdigit():
                raise LimitSettingError(f"limit '{name}' takes a whole number, not {text!r}")
            changes[name] = int(text.strip())
        return attrs.evolve(self, **changes)


class LimitSettingError(MespolicyError):
    """A limit set to something that is not a limit (a caller's mistake, not the input's)."""

    code = "L100"


DEFAULT = Limits()
