"""A policy's JSON decoder: msgspec Structs generated from its declared facts, for well-formed requests.

The fast reader (`mespolicy.model.reader`) checks decoded JSON field by field in Python. Most
of those checks are of shape - a key not declared, a missing one, a value of another type, an
empty id, an enum's member, an ISO date, a list too long - and msgspec makes them in C while it
decodes, into Structs made here from the declarations (`msgspec.defstruct`). What the types
cannot say is checked by Python generated from the same declarations, which then builds the
request's records exactly as the fast reader does: an amount in its currency's minor unit, a
year within the calendar's, "not before", keys unique, references that resolve, no key given
twice (msgspec keeps the last one; the key count shows it).

Like the fast reader it only ever accepts: anything else raises (`Slow`, or msgspec's own
error), and the request is read again by the full reader, which words the error by its
field path. A policy with a field kind msgspec would read otherwise than the full reader (a
number, which JSON may give as an integer or a fraction) gets no decoder and keeps the fast
reader. The same rules as for the compiled policy hold for the generated source: every name
in it is made here, every declared name and literal is bound in the namespace or written with
`repr`, and nothing of a request is ever evaluated.
"""

from __future__ import annotations

import builtins
import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec

from mespolicy.limits import Limits
from mespolicy.model.calendar import FIRST_YEAR, LAST_YEAR
from mespolicy.model.facts import Facts, FactsSpec, FieldSpec, Kind, RecordSpec, record_class
from mespolicy.model.money import Money, known_currencies
from mespolicy.model.reader import (
    _BUILTINS,
    Slow,
    _order,
    _places,
    _Writer,
    amount_of,
    request_class_of,
    resolve,
)

# what the full reader takes as an amount (`reader._AMOUNT`), anchored, since msgspec searches;
# by \Z, as `$` would take a newline after the digits
_AMOUNT = r"^-?[0-9]+(\.[0-9]+)?\Z"
# the calendar's first and last day: a date outside them is read by the full reader
_FIRST_DAY = datetime.date(FIRST_YEAR, 1, 1)
_LAST_DAY = datetime.date(LAST_YEAR, 12, 31)
_INT64 = 2**63 - 1
# the kinds a Struct field reads as the full reader does
_DECODED = frozenset(Kind) - {Kind.NUMBER, Kind.RATE}

Text = Annotated[str, msgspec.Meta(min_length=1)]


class Decoder:
    """The generated decoder of one policy's requests under one set of limits."""

    def __init__(self, decode: Any, build: Any, source: str) -> None:
        self._decode = decode
        self._build = build
        self.source = source

    def read(self, text: str | bytes, keys: int) -> Facts:
        """The request of JSON `text`, which holds at least `keys` keys; raises if this decoder
        does not take it (the caller then reads it with the full reader)."""
        pending: list[Any] = [0]
        request: Facts = self._build(self._decode(text), pending)
        if keys != pending[0]:
            raise Slow
        if len(pending) > 1:
            resolve(request, pending[1:])
        return request


def generate(spec: FactsSpec, limits: Limits) -> Decoder | None:
    """The decoder of `spec`'s requests, or None when a declared kind or nesting rules it out."""
    if not _decodable(spec):
        return None
    types = _Types(spec, limits)
    request = types.request()
    writer = _StructWriter(spec, limits)
    source = writer.module()
    namespace: dict[str, Any] = {"__builtins__": {name: getattr(builtins, name) for name in _BUILTINS}}
    namespace.update(writer.values)
    exec(compile(source, "<mespolicy request decoder>", "exec"), namespace)  # noqa: S102 - see docstring
    return Decoder(msgspec.json.Decoder(request).decode, namespace["read_request"], source)


def _decodable(spec: FactsSpec, record: RecordSpec | None = None, path: tuple[str, ...] = ()) -> bool:
    """Whether every field of every record reached from the request reads as a Struct field."""
    for field in (record or spec.request).fields:
        if field.kind not in _DECODED or field.members == ():
            return False  # (no Literal has no members)
        if field.kind is Kind.RECORD:
            name = field.record or ""
            if name in path or name not in spec.records:
                return False  # a record that holds itself nests without a bound
            if not _decodable(spec, spec.records[name], (*path, name)):
                return False
    return True


def _amount_reader() -> Callable[[str, object, Decimal | None], Money]:
    """`reader.read_amount` for text msgspec has matched with `_AMOUNT` already (1.6 us a call,
    against 2.1): the pattern is not matched again, the minor units are looked up in place."""
    places_of = _places()

    def read_amount(text: str, currency: object, at_least: Decimal | None) -> Money:
        places = places_of.get(currency)  # type: ignore[call-overload]
        if places is None:
            raise Slow
        found: Money = amount_of(text, places, currency, at_least)  # type: ignore[arg-type]
        return found

    return read_amount


def _slot(index: int) -> str:
    # Struct attributes are named here, never by the rule files: a declared name may be a
    # keyword or one of msgspec's own; `rename` gives each its JSON key
    return f"f{index}"


class _Types:
    """The Structs of one spec: one per record, each field typed as the declarations say."""

    def __init__(self, spec: FactsSpec, limits: Limits) -> None:
        self.spec = spec
        self.limits = limits
        self.structs: dict[str, type] = {}

    def request(self) -> type:
        request = self.spec.request
        ref = Annotated[str, msgspec.Meta(max_length=self.limits.request_ref_chars)]
        given: list[tuple[str, Any, Any]] = [
            ("action", Text, msgspec.NODEFAULT),
            ("ref", _maybe(ref), msgspec.UNSET),
        ]
        return self._struct("request", request, given)

    def record(self, name: str) -> type:
        found = self.structs.get(name)
        if found is None:
            found = self.structs[name] = self._struct(name, self.spec.records[name], [])
        return found

    def _struct(self, name: str, record: RecordSpec, given: list[tuple[str, Any, Any]]) -> type:
        fields = [*given, *((f.name, self.field(f), _default(f)) for f in _order(record))]
        slots = [(_slot(i), kind, default) for i, (_, kind, default) in enumerate(fields)]
        rename = {_slot(i): key for i, (key, _, _) in enumerate(fields)}
        return msgspec.defstruct(
            f"{name}_json",
            [
                (slot, kind) if default is msgspec.NODEFAULT else (slot, kind, default)
                for slot, kind, default in slots
            ],
            rename=rename,
            forbid_unknown_fields=True,
            kw_only=True,
            gc=False,
        )

    def field(self, field: FieldSpec) -> Any:
        kind = self.value(field)
        if field.many:
            kind = Annotated[list[kind], msgspec.Meta(max_length=self.limits.request_items)]  # type: ignore[valid-type]
        return kind if _default(field) is msgspec.NODEFAULT else _maybe(kind)

    def value(self, field: FieldSpec) -> Any:
        kind = field.kind
        if kind is Kind.CURRENCY:
            return Literal[tuple(sorted(known_currencies()))]
        if kind is Kind.ENUM and field.members is not None:
            return Literal[tuple(field.members)]
        if kind is Kind.DATE:
            return datetime.date
        if kind is Kind.BOOL:
            return bool
        if kind is Kind.MONEY:
            return Annotated[str, msgspec.Meta(pattern=_AMOUNT)]
        if kind is Kind.RECORD:
            return self.record(field.record or "")
        if kind is Kind.INTEGER:
            # msgspec's bounds are 64-bit; a whole number past them is the full reader's to read
            most = min(10**self.limits.request_digits - 1, _INT64)
            return Annotated[int, msgspec.Meta(ge=-most, le=most)]
        return Text  # text, a reference, an enum whose members are not declared


def _maybe(kind: Any) -> Any:
    return kind | None | msgspec.UnsetType


def _default(field: FieldSpec) -> Any:
    # a field that may be left out reads as UNSET when it is, so that the keys can be counted
    return msgspec.UNSET if field.optional or field.has_default else msgspec.NODEFAULT


class _StructWriter(_Writer):
    """Writes the pass from decoded Structs to the request's records: the checks types cannot make."""

    def __init__(self, spec: FactsSpec, limits: Limits) -> None:
        super().__init__(spec, limits)
        self.values.update({"UNSET": msgspec.UNSET, "FIRST_DAY": _FIRST_DAY, "LAST_DAY": _LAST_DAY})
        self.values["AMOUNT"] = _amount_reader()
        self.slot_of: dict[str, str] = {}

    def module(self) -> str:
        request = self.spec.request
        with self.block("def read_request(d, pending):"):
            self.emit("action = d.f0")
            self.emit("ref = d.f1")
            with self.block("if ref is UNSET:"):
                self.emit("ref = None")
            with self.block("else:"):
                self.emit("pending[0] += 1")
            self.emit("pending[0] += 1")
            names = ("action", "ref", *(f.name for f in request.fields), "_spec")
            self.slot_names(request, 2)
            self.build(request, request_class_of(request, names), {"action": "action", "ref": "ref"})
        return "\n".join([*self.lines, ""])

    def slot_names(self, record: RecordSpec, first: int) -> None:
        self.slot_of = {f.name: _slot(first + i) for i, f in enumerate(_order(record))}

    def record_body(self, record: RecordSpec) -> None:
        saved = self.slot_of
        self.slot_names(record, 0)
        self.build(record, record_class(record.name, tuple(f.name for f in record.fields)), {})
        self.slot_of = saved

    def field(
        self,
        record: RecordSpec,
        field: FieldSpec,
        variable: str,
        local: dict[str, str],
        refs: list[tuple[FieldSpec, str]],
    ) -> None:
        self.emit(f"{variable} = d.{self.slot_of[field.name]}")
        if _default(field) is msgspec.NODEFAULT:
            self.emit("pending[0] += 1")
            self.present(field, variable, local, refs)
            return
        with self.block(f"if {variable} is UNSET or {variable} is None:"):
            self.emit(f"if {variable} is None: pending[0] += 1")
            self.emit(
                f"{variable} = {self.constant(field.default)}" if field.has_default else f"{variable} = None"
            )
        with self.block("else:"):
            self.emit("pending[0] += 1")
            self.present(field, variable, local, refs)

    def reference(self, variable: str) -> None:
        self.emit("pass")  # non-empty text: the Struct's type

    def many(self, field: FieldSpec, variable: str, local: dict[str, str]) -> None:
        # a list of the Struct's type, within the limit; only dates, amounts, records and whole
        # numbers with a least value need more than its items as they are
        if field.kind in (Kind.DATE, Kind.MONEY, Kind.RECORD) or field.at_least is not None:
            self.items(field, variable, local)
        else:
            self.emit(f"{variable} = tuple({variable})")
            self.distinct(field, variable)

    def value(self, field: FieldSpec, source: str, target: str, local: dict[str, str]) -> None:
        kind = field.kind
        if kind is Kind.DATE:
            self.emit(f"if not FIRST_DAY <= {source} <= LAST_DAY: raise SLOW")
        elif kind is Kind.MONEY:
            currency = local.get(field.currency or "", "None")
            self.emit(f"{target} = AMOUNT({source}, {currency}, {self.constant(field.at_least)})")
        elif kind is Kind.RECORD:
            self.emit(f"{target} = {self.record_function(field.record or '')}({source}, pending)")
        elif kind is Kind.INTEGER and field.at_least is not None:
            self.emit(f"if {source} < {self.constant(field.at_least)}: raise SLOW")

    def given(self, field: FieldSpec, variable: str) -> str:
        # a default stands in for an id the request left out, and is not resolved
        slot = f"d.{self.slot_of[field.name]}"
        return f"(None if {slot} is UNSET else {slot})" if field.has_default else variable
