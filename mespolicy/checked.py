"""The typed, checked policy: what the checker hands the compiler (declarations, types, bindings)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import attrs

from mespolicy import nodes as n
from mespolicy import types as t
from mespolicy.limits import DEFAULT as DEFAULT_LIMITS
from mespolicy.limits import Limits
from mespolicy.model.facts import FactsSpec, Kind, RecordSpec

# -- what a name refers to ----------------------------------------------------------


@attrs.frozen
class Local:
    """A `let`, a parameter of a definition, or a variable bound by `for`, `first` or an aggregate."""

    name: str


@attrs.frozen
class ParameterRef:
    name: str


@attrs.frozen
class DefinitionRef:
    name: str


@attrs.frozen
class FactRef:
    name: str


@attrs.frozen
class EnumValue:
    enum: str
    member: str


Binding = Local | ParameterRef | DefinitionRef | FactRef | EnumValue


@attrs.frozen
class Fact:
    """One top-level fact of a request: `optional` facts may be missing and are tested with `given`.

    `enum` names an enum the type names but no file declares: its uses are errors (C201).
    """

    name: str
    type: t.Type
    optional: bool
    description: str
    enum: str | None = None


# -- the checked policy ----------------------------------------------------------------


@attrs.frozen
class CheckedParameter:
    node: n.Parameter
    type: t.Type
    values: tuple[tuple[date | None, n.Literal], ...]
    # the declared ranges every value must fall in: its own, and a library's that declares it
    ranges: tuple[n.ValueRange, ...] = ()

    def value_on(self, day: date) -> n.Literal | None:
        """The value in force on `day`: the last one that took effect on or before it."""
        found = None
        for effective, value in self.values:
            if effective is None or effective <= day:
                found = value
        return found


@attrs.frozen
class CheckedDefinition:
    node: n.Definition
    params: tuple[tuple[str, t.Type], ...]
    returns: t.Type


@attrs.frozen(eq=False)
class CheckedPolicy:
    """A policy that passed every check: its declarations, and the type and binding of every expression.

    The tables are keyed by node identity, so the compiler can ask about any
    expression of the trees in `files` without re-resolving names.
    """

    files: tuple[n.PolicyFile, ...]
    parameters: Mapping[str, CheckedParameter]
    enums: Mapping[str, t.EnumType]
    definitions: Mapping[str, CheckedDefinition]
    actions: Mapping[str, n.Action]
    types: Mapping[int, t.Type]
    bindings: Mapping[int, Binding]
    limits: Limits = DEFAULT_LIMITS
    # the clauses the policy declares, by id (empty: citations are not checked), and its name line
    clauses: Mapping[str, n.ClauseDeclaration] = attrs.field(factory=dict)
    header: n.PolicyHeader | None = None
    bands: tuple[n.Band, ...] = ()
    facts: Mapping[str, Fact] = attrs.field(factory=dict)
    records: Mapping[str, t.Record] = attrs.field(factory=dict)
    spec: FactsSpec = attrs.field(factory=lambda: FactsSpec({}, RecordSpec("request", ())))
    # the decision fields a rule may set (none declared: any)
    outputs: Mapping[tuple[str, ...], n.Output] = attrs.field(factory=dict)

    def has_request_contract(self) -> bool:
        """Whether the request declares one `contract` record: the one a charge without `on` is on."""
        declared = self.spec.request.field("contract")
        return declared is not None and declared.kind in (Kind.RECORD, Kind.REFERENCE) and not declared.many

    def type_of(self, expr: n.Expr) -> t.Type:
        return self.types[id(expr)]

    def binding_of(self, expr: n.Name) -> Binding:
        return self.bindings[id(expr)]
