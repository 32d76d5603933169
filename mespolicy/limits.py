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
from typing import Any

import attrs

from mespolicy.errors import MespolicyError


def _positive(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise LimitSettingError(
            f"limit '{attribute.name}' must be a whole number of at least 1, not {value!r}"
        )


def _limit(default: int, code: str, bounds: str) -> Any:
    """A field of `Limits`: its default, the code of the error reaching it, what it bounds (for the docs)."""
    return attrs.field(default=default, validator=_positive, metadata={"code": code, "bounds": bounds})


# the hash is kept: every request read looks its generated readers up by the limits
@attrs.frozen(cache_hash=True)
class Limits:
    """How much rule text and request data mespolicy reads, and how much work one decision may take."""

    # -- rule folders: errors located in the rule file
    file_bytes: int = _limit(1_000_000, "L101", "bytes in one rule file")
    policy_files: int = _limit(500, "L102", "rule files in one policy, its includes and tests counted")
    policy_bytes: int = _limit(
        2_000_000, "L110", "bytes of all the rule files of one policy (reading takes about 3 s a megabyte)"
    )
    rules_per_action: int = _limit(2_000, "L103", "rules, approve and reject, in one action")
    nesting_depth: int = _limit(
        100, "L104", "how deep expressions and blocks nest (an `and` of n operands nests n deep)"
    )
    number_digits: int = _limit(40, "L105", "digits of a number written in a rule file or given with --set")
    search_span: int = _limit(10_000, "R305", "whole numbers one `first k from s where ...` tries")
    work_per_decision: int = _limit(
        2_000_000,
        "L106",
        "steps of one decision as the checker bounds them: a search counts its span of tries, "
        "a definition its body at every call; per item of the request's lists",
    )

    # -- requests: errors name the field path (and the line of a JSON Lines run)
    request_bytes: int = _limit(8_000_000, "Q201", "bytes in one request: a file, a JSON Lines line")
    request_items: int = _limit(
        20_000, "Q202", "items in any one list of a request (contracts, licenses, ids)"
    )
    request_depth: int = _limit(32, "Q203", "how deep a request's JSON nests")
    request_digits: int = _limit(40, "Q204", "digits of one number in a request")
    request_ref_chars: int = _limit(200, "Q205", "characters of a request's ref, which its decision echoes")

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


def described() -> list[tuple[str, int, str, str]]:
    """Each limit as (name, default, code, what it bounds), in declaration order: the docs' table."""
    defaults = Limits()
    return [
        (f.name, getattr(defaults, f.name), f.metadata["code"], f.metadata["bounds"])
        for f in attrs.fields(Limits)
    ]
