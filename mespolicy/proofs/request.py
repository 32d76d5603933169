"""The facts of any one request as solver variables, made from the policy's declared facts.

Each top-level fact, record field and `given` test is one variable, with the
constraints every valid request meets (a date between years 1 and 9999, an
amount at least its declared floor, an end not before its start). A second set,
`preferences`, asks for a request that reads well and that `decide` can read
(dates this century, whole cents, distinct ids); it is only tried first when a
witness is wanted, never relied on for a proof.
"""

from __future__ import annotations

import attrs
import z3

from mespolicy.model.facts import FactsSpec, FieldSpec, Kind, RecordSpec
from mespolicy.proofs.calendar import Calendar, Day, valid

# years a witness is first looked for in (every date in one year): one leap, one common
_PINNED_YEARS = (2024, 2023)
_NEAR_YEARS = range(2020, 2030)
# the years of a readable witness
_NEAR_FIRST = 2020
_NEAR_LAST = 2039
# how deep records inside records are made variables (deeper ones are left unconstrained)
_RECORD_DEPTH = 3
CURRENCY = "USD"
# texts of a witness the rules do not write are numbered from here (`T1`, `T2`, ...)
FRESH_TEXT = 1000


@attrs.define(eq=False)
class RecordTerm:
    """One record of the request (`contract`, `customer`), its fields as terms."""

    path: str
    spec: RecordSpec
    fields: dict[str, object] = attrs.Factory(dict)
    given: dict[str, z3.BoolRef] = attrs.Factory(dict)
    # a reference into a list of the request: the list's name (`contracts`)
    source: str | None = None


@attrs.define(eq=False)
class ListTerm:
    """A list of the request: its items are not variables, so what is computed from it is left open."""

    path: str
    field: FieldSpec


@attrs.define(eq=False)
class Opaque:
    """A value the encoding leaves open (a record computed by an `if`): its fields are fresh variables."""

    what: str


class Request:
    """The variables of one request, shared by every rule (and, for a diff, by both policies)."""

    def __init__(self, spec: FactsSpec, calendar: Calendar) -> None:
        self.spec = spec
        self.calendar = calendar
        self.facts: list[z3.BoolRef] = []
        self.preferences: list[z3.BoolRef] = []
        self.values: dict[str, object] = {}
        self.given: dict[str, z3.BoolRef] = {}
        self.texts: dict[str, int] = {}
        self.text_variables: list[z3.ArithRef] = []
        self.references: list[RecordTerm] = []
        # optional facts a rule reads (not only tests with `given`): a witness gives them if it can
        self.read_optional: set[str] = set()
        # open values of expressions over the request's facts alone, by expression (spans aside)
        self.shared_open: dict[object, object] = {}
        # the years of the request's dates: fixing them turns the calendar's divisions into constants
        self.years: list[z3.ArithRef] = []

    # -- top-level facts

    def fact(self, name: str) -> object:
        found = self.values.get(name)
        if found is None:
            field = self.spec.request.field(name)
            if field is None:
                return None
            found = self.values[name] = self.value(field, name, 0)
        return found

    def given_facts(self) -> list[z3.BoolRef]:
        """The optional facts a rule reads, given: a request without one fails before any rule decides."""
        return [self.given_flag(name) for name in sorted(self.read_optional)]

    def given_flag(self, name: str) -> z3.BoolRef:
        flag = self.given.get(name)
        if flag is None:
            flag = self.given[name] = z3.Bool(f"given {name}")
        return flag

    def touch_all(self) -> None:
        """Every declared fact as a variable, so a witness has a value for each."""
        for field in self.spec.request.fields:
            self.fact(field.name)
            if field.optional:
                self.given_flag(field.name)

    def text(self, value: str) -> int:
        """The number standing for a text written in the rules (texts are compared, never taken apart)."""
        return self.texts.setdefault(value, len(self.texts))

    # -- values by declaration

    def value(self, field: FieldSpec, path: str, depth: int) -> object:
        if field.many:
            return ListTerm(path, field)
        if field.kind in (Kind.RECORD, Kind.REFERENCE):
            record = self.spec.records.get(field.record or "")
            if record is None or depth >= _RECORD_DEPTH:
                return Opaque(path)
            made = self.record(record, path, depth + 1)
            if field.kind is Kind.REFERENCE:
                made.source = field.source
                self.references.append(made)
            return made
        return self.scalar(field, path)

    def record(self, spec: RecordSpec, path: str, depth: int) -> RecordTerm:
        made = RecordTerm(path, spec)
        for field in spec.fields:
            made.fields[field.name] = self.value(field, f"{path}.{field.name}", depth)
            if field.optional:
                made.given[field.name] = z3.Bool(f"given {path}.{field.name}")
        for field in spec.fields:
            other = made.fields.get(field.not_before or "")
            mine = made.fields[field.name]
            if isinstance(other, Day) and isinstance(mine, Day):
                self.facts.append(self.calendar.compare(">=", mine, other))
            elif isinstance(other, z3.ArithRef) and isinstance(mine, z3.ArithRef):
                self.facts.append(mine >= other)
        return made

    def scalar(self, field: FieldSpec, path: str) -> z3.ExprRef | Day:
        kind = field.kind
        if kind is Kind.DATE:
            year, month, day = (z3.Int(f"{path}.{part}") for part in ("year", "month", "day"))
            self.facts.extend([*valid(year, month, day), year >= 1, year <= 9999])
            self.preferences.extend([year >= _NEAR_FIRST, year <= _NEAR_LAST])
            self.years.append(year)
            return Day(parts=(year, month, day))
        if kind is Kind.BOOL:
            return z3.Bool(path)
        if kind in (Kind.MONEY, Kind.NUMBER, Kind.RATE):
            real = z3.Real(path)
            if field.at_least is not None:
                self.facts.append(real >= z3.RealVal(str(field.at_least)))
            self.preferences.extend([z3.IsInt(real * 100), real <= 10**7, real >= -(10**7)])
            return real
        variable = z3.Int(path)
        if kind is Kind.ENUM and field.members is not None:
            self.facts.extend([variable >= 0, variable < len(field.members)])
        elif kind is Kind.CURRENCY:
            # any number that is no text of the rules is shown as the currency CURRENCY
            self.preferences.append(variable == -1)
        elif kind in (Kind.TEXT, Kind.REFERENCE, Kind.ENUM):
            self.text_variables.append(variable)
        elif kind is Kind.INTEGER:
            if field.at_least is not None:
                self.facts.append(variable >= int(field.at_least))
            self.preferences.extend([variable <= 10**6, variable >= -(10**6)])
        return variable

    def pinned(self) -> list[list[z3.BoolRef]]:
        """Ways to fix the years of every date of the request: in a leap year, in a common year, then each in
        a few years around them (a witness may need dates years apart, as a lapse of 24 months does)."""
        if not self.years:
            return []
        found = [[year == pin for year in self.years] for pin in _PINNED_YEARS]
        found.append([z3.Or(*(year == pin for pin in _NEAR_YEARS)) for year in self.years])
        return found

    def witness_preferences(self) -> list[z3.BoolRef]:
        """What a readable witness also meets: the preferences, distinct ids for the entries of one list,
        and a text that is either one the rules write or none of them."""
        found = list(self.preferences)
        written = list(self.texts.values())
        for variable in self.text_variables:
            found.append(z3.Or(variable >= FRESH_TEXT, *(variable == code for code in written)))
        by_list: dict[str, list[object]] = {}
        for record in self.references:
            key = record.spec.key
            if key is not None and record.source is not None:
                by_list.setdefault(record.source, []).append(record.fields.get(key))
        for keys in by_list.values():
            terms = [k for k in keys if isinstance(k, z3.ArithRef)]
            if len(terms) > 1:
                found.append(z3.Distinct(*terms))
        return found

