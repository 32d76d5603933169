"""A policy's fast request reader: Python generated from its declared facts, for well-formed requests.

The generated functions read decoded JSON (dicts, lists, strings, ints, Decimals) and build
the request's records in one pass, with the checks of the full reader (`mespolicy.model.request`)
written out per field. They only ever accept: anything else (a key not declared, a value of
another type, a limit reached, a reference that does not resolve, a float, a duplicate) raises
`Slow`, and the caller reads the request again with the full reader, which finds the error and
words it by its field path. So this reader never decides what an error says, and it accepts
nothing the full reader refuses (a property test reads generated requests both ways).

As for the compiled policy, the source is built from the declarations only: every name in it
is made here (``read_3``, ``v12``), every declared name and literal is bound in the namespace
or written with `repr`, and nothing of a request is ever evaluated.
"""

from __future__ import annotations

import builtins
import functools
import operator
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Any

from mespolicy.errors import MespolicyError
from mespolicy.limits import Limits
from mespolicy.model.calendar import FIRST_YEAR, LAST_YEAR
from mespolicy.model.facts import Facts, FactsSpec, FieldSpec, Kind, RecordSpec, record_class
from mespolicy.model.money import LARGEST_FEE, built_money, known_currencies, minor_units
from mespolicy.model.trusted import maker


class Slow(MespolicyError):
    """The fast reader does not accept this request: the full reader reads it (and words any error).

    Never leaves `mespolicy.model.request`, which catches it and reads the request again.
    """


_SURROGATE = re.compile("[\ud800-\udfff]")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_AMOUNT = re.compile(r"-?[0-9]+(\.[0-9]+)?")

# The only builtins the generated reader uses.
_BUILTINS = ("type", "len", "set", "map", "tuple", "str", "bool", "list", "dict")

Read = Callable[[dict[str, Any], list[Any]], Facts]


def text_ok(text: str) -> bool:
    """Whether a string is Unicode text (no half of a surrogate pair alone)."""
    return text.isascii() or _SURROGATE.search(text) is None


# The same dates come back request after request (contract ends, notice days).
@functools.lru_cache(maxsize=8192)
def read_date(text: str) -> date:
    if _ISO_DATE.fullmatch(text) is None:
        raise Slow
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise Slow from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise Slow
    return day


@functools.cache
def _places() -> dict[str, int]:
    # per currency, once: the decimals of the minor unit an amount must not be finer than
    return {code: minor_units(code) for code in known_currencies()}


def read_amount(text: object, currency: object, at_least: Decimal | None) -> Any:
    """A request's amount in `currency`, as the full reader takes it (`parse_amount`, `amount_problem`)."""
    places = _places().get(currency) if type(currency) is str else None
    if places is None or type(text) is not str or _AMOUNT.fullmatch(text) is None:
        raise Slow
    return amount_of(text, places, currency, at_least)  # type: ignore[arg-type]


def amount_of(text: str, places: int, currency: str, at_least: Decimal | None) -> Any:
    """The amount of `text`, digits with at most one point, in `currency` of `places` minor digits."""
    point = text.find(".")
    # finer than the minor unit: a digit other than 0 past its decimals (read off the text,
    # a third of the time of comparing the amount with itself quantized)
    if point >= 0 and text[point + 1 + places :].strip("0"):
        raise Slow
    amount = Decimal(text)
    if (at_least is not None and amount < at_least) or abs(amount) >= LARGEST_FEE:
        raise Slow
    return built_money(amount, currency)


def read_number(value: object, whole: bool, most: int, bound: int, at_least: Decimal | None) -> Any:
    """An integer or number field: an int, or (unless `whole`) a finite Decimal, within the digit limit."""
    kind = type(value)
    if kind is int:
        if not -bound < value < bound:  # type: ignore[operator]
            raise Slow
    elif kind is Decimal and not whole:
        if not value.is_finite() or len(value.as_tuple().digits) > most:  # type: ignore[attr-defined]
            raise Slow
    else:
        raise Slow
    if at_least is not None and value < at_least:  # type: ignore[operator]
        raise Slow
    return value


def resolve(request: Facts, pending: list[Any]) -> None:
    """Put each referenced record in place of its id (the full reader's `_Reader.resolve`)."""
    pools: dict[str, dict[object, object]] = {}
    for holder, name, ident, source, key in pending:
        pool = pools.get(source)
        if pool is None:
            pool = pools[source] = {getattr(item, key): item for item in getattr(request, source, ()) or ()}
        found = pool.get(ident)
        if found is None:
            raise Slow
        object.__setattr__(holder, name, found)


class FastReader:
    """The generated reader of one policy's requests under one set of limits."""

    def __init__(self, read: Read, source: str) -> None:
        self._read = read
        self.source = source

    def read(self, data: object, keys: int | None = None) -> Facts:
        """The request of decoded JSON `data`; `Slow` if this reader does not take it.

        `keys`, when given, is at least the number of keys the JSON text holds (a decoder that
        keeps the last of a key given twice, as orjson, hides the duplicate: the count shows it).
        """
        if type(data) is not dict:
            raise Slow
        pending: list[Any] = [0]
        request = self._read(data, pending)
        if keys is not None and keys != pending[0]:
            raise Slow
        if len(pending) > 1:
            resolve(request, pending[1:])
        return request


def generate(spec: FactsSpec, limits: Limits) -> FastReader | None:
    """The fast reader of `spec`'s requests, or None when its records nest past the depth limit."""
    if _depth(spec, spec.request, 0) >= limits.request_depth:
        return None
    writer = _Writer(spec, limits)
    source = writer.module()
    namespace: dict[str, Any] = {"__builtins__": {name: getattr(builtins, name) for name in _BUILTINS}}
    namespace.update(writer.values)
    exec(compile(source, "<mespolicy request reader>", "exec"), namespace)  # noqa: S102 - see docstring
    return FastReader(namespace["read_request"], source)


def _depth(spec: FactsSpec, record: RecordSpec, depth: int, seen: tuple[str, ...] = ()) -> int:
    """The deepest path length at which a container (object or array) of a valid request can sit."""
    deepest = depth
    for field in record.fields:
        at = depth + 1
        if field.many:
            deepest = max(deepest, at)
            at += 1
        if field.kind is Kind.RECORD and field.record is not None:
            if field.record in seen:  # a record holding itself: no static bound
                return 1 << 30
            inner = spec.records[field.record]
            deepest = max(deepest, _depth(spec, inner, at, (*seen, field.record)))
    return deepest


def _order(record: RecordSpec) -> list[FieldSpec]:
    """The full reader's order: an amount after its currency field (`_currencies_first`)."""
    names = [f.name for f in record.fields]
    late = [
        f
        for i, f in enumerate(record.fields)
        if f.kind is Kind.MONEY and f.currency in names and names.index(f.currency) > i
    ]
    return [*(f for f in record.fields if f not in late), *late]


class _Writer:
    """Writes the reader module: one function per record, `read_request` for the request."""

    def __init__(self, spec: FactsSpec, limits: Limits) -> None:
        self.spec = spec
        self.limits = limits
        self.lines: list[str] = []
        self.depth = 0
        self.counter = 0
        self.values: dict[str, object] = {
            # the class, so that each `raise SLOW` makes a new exception: an instance raised again
            # and again keeps every traceback it was raised with, and the requests in their frames
            "SLOW": Slow,
            "TEXT": text_ok,
            "DATE": read_date,
            "AMOUNT": read_amount,
            "NUMBER": read_number,
            "Decimal": Decimal,
            "date": date,
            "CURRENCIES": known_currencies(),
            "SPEC": spec,
        }
        self.records: dict[str, str] = {}

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)

    @contextmanager
    def block(self, header: str) -> Iterator[None]:
        self.emit(header)
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    def fresh(self) -> str:
        self.counter += 1
        return f"v{self.counter}"

    def constant(self, value: object) -> str:
        name = f"K{len(self.values)}"
        self.values[name] = value
        return name

    def module(self) -> str:
        request = self.spec.request
        with self.block("def read_request(d, pending):"):
            self.keys(request, ("action", "ref"))
            self.emit("action = d.get('action')")
            self.emit("if type(action) is not str or not action or not TEXT(action): raise SLOW")
            self.emit("ref = d.get('ref')")
            most = self.limits.request_ref_chars
            with self.block("if ref is not None:"):
                self.emit(f"if type(ref) is not str or len(ref) > {most!r} or not TEXT(ref): raise SLOW")
            names = ("action", "ref", *(f.name for f in request.fields), "_spec")
            self.build(request, request_class_of(request, names), {"action": "action", "ref": "ref"})
        # each record's function is written before the first function that calls it, once
        return "\n".join([*self.lines, ""])

    def keys(self, record: RecordSpec, extra: tuple[str, ...] = ()) -> None:
        allowed = self.constant(frozenset((*extra, *(f.name for f in record.fields))))
        self.emit("pending[0] += len(d)")
        self.emit(f"if not {allowed}.issuperset(d): raise SLOW")

    def build(self, record: RecordSpec, cls: type[Facts], given: dict[str, str]) -> None:
        """Read `record`'s fields from `d` into locals, then make the object (`o`) and return it."""
        local: dict[str, str] = dict(given)
        refs: list[tuple[FieldSpec, str]] = []
        for field in _order(record):
            local[field.name] = variable = self.fresh()
            self.field(record, field, variable, local, refs)
        values = [local.get(name, "SPEC" if name == "_spec" else "None") for name in cls.__slots__]
        self.emit(f"o = {self.constant(maker(cls, cls.__slots__))}({', '.join(values)})")
        for field, variable in refs:
            source = self.spec.records[field.record or ""].key or "id"
            # only an id the request gave is resolved (a default is kept as it is, as the full reader does)
            entry = f"(o, {field.name!r}, {variable}, {field.source or ''!r}, {source!r})"
            with self.block(f"if {self.given(field, variable)} is not None:"):
                self.emit(f"pending.append({entry})")
        self.emit("return o")

    def given(self, field: FieldSpec, variable: str) -> str:
        """What the request gave for `field` (None: nothing), once `variable` holds its value."""
        return f"d.get({field.name!r})" if field.has_default else variable

    def field(
        self,
        record: RecordSpec,
        field: FieldSpec,
        variable: str,
        local: dict[str, str],
        refs: list[tuple[FieldSpec, str]],
    ) -> None:
        self.emit(f"{variable} = d.get({field.name!r})")
        with self.block(f"if {variable} is None:"):
            if field.has_default:
                self.emit(f"{variable} = {self.constant(field.default)}")
            elif field.optional:
                self.emit("pass")
            else:
                self.emit("raise SLOW")
        with self.block("else:"):
            self.present(field, variable, local, refs)

    def present(
        self, field: FieldSpec, variable: str, local: dict[str, str], refs: list[tuple[FieldSpec, str]]
    ) -> None:
        """Read the value the request gave for `field`, held in `variable`."""
        if field.kind is Kind.REFERENCE and not field.many:
            self.reference(variable)
            refs.append((field, variable))
            return
        if field.many:
            self.many(field, variable, local)
        else:
            self.value(field, variable, variable, local)
        if field.not_before is not None and field.not_before in local:
            other = local[field.not_before]
            self.emit(f"if type({other}) is date and {variable} < {other}: raise SLOW")

    def reference(self, variable: str) -> None:
        """The id a reference gives (resolved once the request is built)."""
        self.text(variable)

    def many(self, field: FieldSpec, variable: str, local: dict[str, str]) -> None:
        most = self.limits.request_items
        self.emit(f"if type({variable}) is not list or len({variable}) > {most!r}: raise SLOW")
        self.items(field, variable, local)

    def items(self, field: FieldSpec, variable: str, local: dict[str, str]) -> None:
        """Read each item of a list into a tuple in `variable`, then check the list is distinct."""
        items, item = self.fresh(), self.fresh()
        self.emit(f"{items} = []")
        with self.block(f"for {item} in {variable}:"):
            self.value(field, item, item, local)
            self.emit(f"{items}.append({item})")
        self.emit(f"{variable} = tuple({items})")
        self.distinct(field, variable)

    def distinct(self, field: FieldSpec, variable: str) -> None:
        if field.kind is Kind.RECORD:
            key = self.spec.records[field.record or ""].key
            if key is not None:
                getter = self.constant(operator.attrgetter(key))
                self.emit(f"if len(set(map({getter}, {variable}))) != len({variable}): raise SLOW")
        elif field.distinct:
            self.emit(f"if len(set({variable})) != len({variable}): raise SLOW")

    def value(self, field: FieldSpec, source: str, target: str, local: dict[str, str]) -> None:
        """`target = ` the value of one item of `field` held in `source` (or raise SLOW)."""
        x = source
        kind = field.kind
        if kind is Kind.TEXT or kind is Kind.REFERENCE or (kind is Kind.ENUM and field.members is None):
            self.text(x)
        elif kind is Kind.CURRENCY:
            self.emit(f"if type({x}) is not str or {x} not in CURRENCIES: raise SLOW")
        elif kind is Kind.ENUM:
            members = self.constant(frozenset(field.members or ()))
            self.emit(f"if type({x}) is not str or {x} not in {members}: raise SLOW")
        elif kind is Kind.DATE:
            self.emit(f"if type({x}) is not str: raise SLOW")
            self.emit(f"{target} = DATE({x})")
        elif kind is Kind.BOOL:
            self.emit(f"if type({x}) is not bool: raise SLOW")
        elif kind is Kind.MONEY:
            currency = local.get(field.currency or "", "None")
            self.emit(f"{target} = AMOUNT({x}, {currency}, {self.constant(field.at_least)})")
        elif kind is Kind.RECORD:
            self.emit(f"{target} = {self.record_function(field.record or '')}({x}, pending)")
        else:
            whole = kind is Kind.INTEGER
            digits = self.limits.request_digits
            bound = self.constant(10**digits)
            at_least = self.constant(field.at_least)
            self.emit(f"{target} = NUMBER({x}, {whole!r}, {digits!r}, {bound}, {at_least})")

    def text(self, x: str) -> None:
        """A non-empty string of Unicode text (an id, a name, a reference)."""
        self.emit(f"if type({x}) is not str or not {x} or not TEXT({x}): raise SLOW")

    def record_function(self, name: str) -> str:
        found = self.records.get(name)
        if found is not None:
            return found
        function = self.records[name] = f"read_{len(self.records)}"
        record = self.spec.records[name]
        saved_lines, saved_depth = self.lines, self.depth
        self.lines, self.depth = [], 0
        with self.block(f"def {function}(d, pending):"):
            self.record_body(record)
        written, self.lines, self.depth = self.lines, saved_lines, saved_depth
        self.lines = [*written, "", *self.lines]
        return function

    def record_body(self, record: RecordSpec) -> None:
        self.emit("if type(d) is not dict: raise SLOW")
        self.keys(record)
        self.build(record, record_class(record.name, tuple(f.name for f in record.fields)), {})


def request_class_of(record: RecordSpec, names: tuple[str, ...]) -> type[Facts]:
    return record_class("request", names)
