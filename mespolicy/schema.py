"""The facts a rule can read from a request, with their types: the language's view of the contract model.

Field names are those of `mespolicy.model` classes, so the compiler reads them as
attributes; an optional fact may be absent from a request and is tested with `given`.
"""

from __future__ import annotations

import attrs

from mespolicy import types as t

ROLE = t.EnumType("role", ("customer", "partner"))
LICENSE_KIND = t.EnumType("license_kind", ("perpetual", "subscription"))
BUILTIN_ENUMS = {e.name: e for e in (ROLE, LICENSE_KIND)}

CUSTOMER = t.Record("customer", (("id", t.TEXT), ("role", ROLE), ("existing", t.BOOL)))
LICENSE = t.Record(
    "license",
    (
        ("id", t.TEXT),
        ("product", t.TEXT),
        ("kind", LICENSE_KIND),
        ("shipped", t.DATE),
        ("annual_fee", t.MONEY),
    ),
)
CONTRACT = t.Record(
    "contract",
    (
        ("id", t.TEXT),
        ("currency", t.TEXT),
        ("start", t.DATE),
        ("end", t.DATE),
        ("annual_fee", t.MONEY),
        ("licenses", t.ListOf(t.TEXT)),
    ),
)
RECORDS = {r.name: r for r in (CUSTOMER, LICENSE, CONTRACT)}


@attrs.frozen
class Fact:
    """One field of a request: `optional` facts may be missing and are tested with `given`.

    `enum` names an enum the rule files must declare; the request's text is checked
    against its members when the request is decided.
    """

    name: str
    type: t.Type
    optional: bool
    description: str
    enum: str | None = None


FACTS: dict[str, Fact] = {
    fact.name: fact
    for fact in (
        Fact("date", t.DATE, False, "the decision day: the day the request is made"),
        Fact("customer", CUSTOMER, False, "the customer (or partner) asking"),
        Fact("contracts", t.ListOf(CONTRACT), False, "the customer's ME&S contracts in the request"),
        Fact("licenses", t.ListOf(LICENSE), False, "the customer's licenses in the request"),
        Fact("contract", CONTRACT, True, "the ME&S contract the request is about"),
        Fact("license", LICENSE, True, "the license the request is about"),
        Fact("coterminate_with", CONTRACT, True, "the contract an initial term is to end with"),
        Fact("cancel_licenses", t.ListOf(t.TEXT), True, "the licenses a cancellation names"),
        Fact("target_end", t.DATE, True, "the end date asked for by a co-termination"),
        Fact("tier", t.UNKNOWN, True, "the premium support tier asked for", enum="premium_tier"),
    )
}
