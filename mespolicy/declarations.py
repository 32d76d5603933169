"""Fact declarations to types: the records a policy reads, the request's facts, the outputs a decision sets.

The checker calls `declare_facts` once the enums are known; it yields the language's
types (`types.Record`, the facts a rule can name) and the request reader's plain
`FactsSpec`. A policy that declares no `request` reads the standard ME&S facts of
the shipped `rules/facts.mes`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import cache

import attrs

from mespolicy import nodes as n
from mespolicy import types as t
from mespolicy.checked import Fact
from mespolicy.errors import did_you_mean
from mespolicy.model.facts import FactsSpec, FieldSpec, Kind, RecordSpec
from mespolicy.source import Span

STANDARD_FACTS = "facts.mes"

_SCALAR_KINDS = {
    "text": Kind.TEXT,
    "currency": Kind.CURRENCY,
    "date": Kind.DATE,
    "integer": Kind.INTEGER,
    "number": Kind.NUMBER,
    "rate": Kind.RATE,
    "bool": Kind.BOOL,
    "money": Kind.MONEY,
}
_SCALAR_TYPES: dict[Kind, t.Type] = {
    Kind.TEXT: t.TEXT,
    Kind.CURRENCY: t.TEXT,
    Kind.DATE: t.DATE,
    Kind.INTEGER: t.INTEGER,
    Kind.NUMBER: t.NUMBER,
    Kind.RATE: t.RATE,
    Kind.BOOL: t.BOOL,
    Kind.MONEY: t.MONEY,
}
# Keys of a request that are not facts: what is asked, and the caller's own reference.
TRANSPORT_KEYS = ("action", "ref")

Fail = Callable[[str, str, Span, "str | None"], object]


@cache
def standard_facts() -> n.PolicyFile:
    """The shipped `rules/facts.mes`, parsed once: the facts of a policy that declares none."""
    from mespolicy.loader import shipped_rules
    from mespolicy.parser import parse

    # named by its place, never by the install path, as every rule file is (errors, traces)
    path = shipped_rules() / STANDARD_FACTS
    return parse(path.read_text(encoding="utf-8"), f"standard:{STANDARD_FACTS}")


def with_standard_facts(files: tuple[n.PolicyFile, ...]) -> tuple[n.PolicyFile, ...]:
    declares = any(isinstance(item, n.RequestFacts) for file in files for item in file.items)
    return files if declares else (standard_facts(), *files)


@attrs.frozen
class Declared:
    records: Mapping[str, t.Record]
    facts: Mapping[str, Fact]
    spec: FactsSpec
    outputs: Mapping[tuple[str, ...], n.Output]


def declare_facts(items: list[n.Item], enums: Mapping[str, t.EnumType], fail: Fail) -> Declared:
    return _Declarer(items, enums, fail).run()


class _Declarer:
    def __init__(self, items: list[n.Item], enums: Mapping[str, t.EnumType], fail: Fail) -> None:
        self.enums = enums
        self.fail = fail
        self.nodes: dict[str, n.Record] = {}
        self.requests = [item for item in items if isinstance(item, n.RequestFacts)]
        self.outputs: dict[tuple[str, ...], n.Output] = {}
        for item in items:
            if isinstance(item, n.Record):
                if item.name in self.nodes or item.name in enums:
                    fail("C202", f"record '{item.name}' is defined twice", item.span, None)
                elif item.name in t.SCALARS or item.name in ("money", "currency", "list"):
                    fail(
                        "C222", f"'{item.name}' is a type of the language, not a record name", item.span, None
                    )
                else:
                    self.nodes[item.name] = item
            elif isinstance(item, n.Output):
                if item.path in self.outputs:
                    fail("C202", f"output '{item.name}' is declared twice", item.span, None)
                self.outputs.setdefault(item.path, item)
        self.types: dict[str, t.Record] = {}
        self.specs: dict[str, RecordSpec] = {}
        self.open: set[str] = set()

    def run(self) -> Declared:
        for name in self.nodes:
            self.record(name)
        for extra in self.requests[1:]:
            self.fail("C202", "the request's facts are declared twice", extra.span, None)
        facts: dict[str, Fact] = {}
        fields: list[FieldSpec] = []
        request = self.requests[0] if self.requests else None
        for field in request.fields if request else ():
            if field.name in TRANSPORT_KEYS or field.name in facts:
                self.fail(
                    "C202", f"request fact '{field.name}' is declared twice or reserved", field.span, None
                )
                continue
            found, spec, pending = self.field(field, None, request=True)
            if spec is None:
                continue
            facts[field.name] = Fact(field.name, found, field.optional, field.description or "", pending)
            fields.append(spec)
        request_spec = RecordSpec("request", tuple(fields), None, request.description if request else None)
        for field, spec in zip(
            (f for f in request.fields if f.name in facts) if request else (), fields, strict=False
        ):
            if spec.kind is Kind.REFERENCE:
                source = facts.get(spec.source or "")
                record = self.types.get(spec.record or "")
                if source is None or not (
                    isinstance(source.type, t.ListOf) and source.type.element == record
                ):
                    self.fail(
                        "C222",
                        f"'{field.name}' names one of '{spec.source}', which is not a request fact "
                        f"holding a list of {spec.record}",
                        field.type.span,
                        f"declare it: {spec.source}: list of {spec.record}",
                    )
        return Declared(self.types, facts, FactsSpec(dict(self.specs), request_spec), self.outputs)

    def record(self, name: str) -> t.Record | None:
        if name in self.types:
            return self.types[name]
        node = self.nodes.get(name)
        if node is None:
            return None
        if name in self.open:
            self.fail(
                "C222",
                f"record '{name}' contains itself",
                node.span,
                "refer to it by id: FIELD: NAME from LIST",
            )
            return None
        self.open.add(name)
        typed: list[tuple[str, t.Type]] = []
        specs: list[FieldSpec] = []
        keys = [f.name for f in node.fields if f.key]
        seen: set[str] = set()
        for field in node.fields:
            if field.name in seen:
                self.fail(
                    "C202", f"field '{field.name}' of record '{name}' is declared twice", field.span, None
                )
                continue
            seen.add(field.name)
            found, spec, _ = self.field(field, node, request=False)
            if spec is not None:
                typed.append((field.name, found))
                specs.append(spec)
        if len(keys) > 1:
            self.fail("C222", f"record '{name}' has {len(keys)} key fields; at most one", node.span, None)
        self.open.discard(name)
        record = t.Record(name, tuple(typed))
        self.types[name] = record
        self.specs[name] = RecordSpec(name, tuple(specs), keys[0] if keys else None, node.description)
        return record

    def field(
        self, field: n.FactField, owner: n.Record | None, *, request: bool
    ) -> tuple[t.Type, FieldSpec | None, str | None]:
        """The field's type, its reader spec, and (of a request fact) an enum it names not declared."""
        ftype = field.type
        name = ftype.name
        kind: Kind
        found: t.Type
        pending: str | None = None
        members: tuple[str, ...] | None = None
        record: str | None = None
        if ftype.shape is n.FactShape.REFERENCE:
            target = self.record(name)
            if target is None or self.specs.get(name) is None or self.specs[name].key is None:
                self.fail(
                    "C222",
                    f"'{field.name}' refers to a '{name}' by its key, "
                    f"but '{name}' is not a record with a key field",
                    ftype.span,
                    "mark the field that identifies it: id: text, key",
                )
                return t.UNKNOWN, None, None
            kind, found, record = Kind.REFERENCE, target, name
        elif name in _SCALAR_KINDS:
            kind, found = _SCALAR_KINDS[name], _SCALAR_TYPES[_SCALAR_KINDS[name]]
        elif name in self.enums:
            kind, found, members = Kind.ENUM, self.enums[name], self.enums[name].members
        elif name in self.nodes:
            target = self.record(name)
            if target is None:
                return t.UNKNOWN, None, None
            kind, found, record = Kind.RECORD, target, name
        elif request and ftype.shape is n.FactShape.ONE:
            # an enum another file of the policy may declare: its uses say so when it does not
            kind, found, pending = Kind.ENUM, t.UNKNOWN, name
        else:
            known = [*_SCALAR_KINDS, *self.enums, *self.nodes]
            self.fail("C215", f"unknown type '{name}'", ftype.span, did_you_mean(name, known))
            return t.UNKNOWN, None, None
        if (ftype.currency is not None) != (kind is Kind.MONEY):
            self.fail(
                "C222",
                f"'{field.name}': money says which field gives its currency "
                "(money in currency), and only money does",
                ftype.span,
                None,
            )
            return t.UNKNOWN, None, None
        if ftype.currency is not None:
            other = next((f for f in owner.fields if f.name == ftype.currency), None) if owner else None
            if other is None or other.type.name != "currency" or other.type.shape is not n.FactShape.ONE:
                self.fail(
                    "C222",
                    f"'{field.name}' takes its currency from '{ftype.currency}', "
                    "which is not a currency field of this record",
                    ftype.span,
                    f"declare it: {ftype.currency}: currency",
                )
        many = ftype.shape is n.FactShape.LIST
        spec = FieldSpec(
            field.name,
            kind,
            many=many,
            optional=field.optional,
            members=members,
            record=record,
            source=ftype.source,
            currency=ftype.currency,
            at_least=self.at_least(field, kind),
            not_before=self.not_before(field, owner),
            distinct=field.distinct,
            description=field.description,
        )
        if field.default is not None:
            spec = self.default(field, spec)
        if field.key and (kind is not Kind.TEXT or many or field.optional):
            self.fail(
                "C222", f"a key field is text, given in every entry: '{field.name}' is not", field.span, None
            )
        if field.distinct and not many:
            self.fail(
                "C222", f"'distinct' is said of a list, and '{field.name}' is not one", field.span, None
            )
        return (t.ListOf(found) if many else found), spec, pending

    def at_least(self, field: n.FactField, kind: Kind) -> Decimal | None:
        bound = field.at_least
        if bound is None:
            return None
        if isinstance(bound, n.NumberLiteral) and kind in (Kind.MONEY, Kind.INTEGER, Kind.NUMBER):
            return bound.value
        if isinstance(bound, n.PercentLiteral) and kind is Kind.RATE:
            return bound.value / 100
        self.fail(
            "C222", f"'at least' on '{field.name}' needs a plain number of the field's kind", bound.span, None
        )
        return None

    def not_before(self, field: n.FactField, owner: n.Record | None) -> str | None:
        other = field.not_before
        if other is None:
            return None
        fields = owner.fields if owner else ()
        found = next((f for f in fields if f.name == other), None)
        if field.type.name != "date" or found is None or found.type.name != "date":
            self.fail(
                "C222", f"'not before {other}' compares two date fields of one record", field.span, None
            )
            return None
        return other

    def default(self, field: n.FactField, spec: FieldSpec) -> FieldSpec:
        value = field.default
        if isinstance(value, n.EmptyList) and spec.many:
            return attrs.evolve(spec, default=(), has_default=True)
        if isinstance(value, n.EnumValueLiteral) and spec.members and value.name in spec.members:
            return attrs.evolve(spec, default=value.name, has_default=True)
        if isinstance(value, n.BoolLiteral) and spec.kind is Kind.BOOL:
            return attrs.evolve(spec, default=value.value, has_default=True)
        if isinstance(value, n.NumberLiteral) and spec.kind in (Kind.INTEGER, Kind.NUMBER):
            if spec.kind is Kind.INTEGER and value.value != value.value.to_integral_value():
                pass
            else:
                number: object = int(value.value) if spec.kind is Kind.INTEGER else value.value
                return attrs.evolve(spec, default=number, has_default=True)
        if isinstance(value, n.PercentLiteral) and spec.kind is Kind.RATE:
            return attrs.evolve(spec, default=value.value / 100, has_default=True)
        if isinstance(value, n.DateLiteral) and spec.kind is Kind.DATE:
            return attrs.evolve(spec, default=value.value, has_default=True)
        if (
            isinstance(value, n.TextLiteral)
            and spec.kind is Kind.TEXT
            and all(isinstance(p, str) for p in value.parts)
        ):
            return attrs.evolve(spec, default="".join(str(p) for p in value.parts), has_default=True)
        span = value.span if value is not None else field.span
        self.fail("C222", f"this default does not fit the field '{field.name}'", span, None)
        return spec


@cache
def standard_spec() -> FactsSpec:
    """The reader's spec of the standard ME&S facts (`rules/facts.mes` checked alone)."""
    from mespolicy.checker import check

    return check((standard_facts(),)).spec
