"""The syntax tree of a rule file: frozen, typed nodes, each carrying the span it was written at.

One name across layers: grammar rule `charge` builds node `Charge`. Spans do not
take part in equality, so a tree compares equal to its formatted-and-reparsed self.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import TypeAlias

import attrs

from mespolicy.source import Span


def _span() -> Span:
    return attrs.field(eq=False, repr=False, kw_only=True)  # type: ignore[no-any-return]


# -- expressions -------------------------------------------------------------


class Unit(enum.Enum):
    DAYS = "days"
    MONTHS = "months"


@attrs.frozen
class NumberLiteral:
    value: Decimal
    span: Span = _span()


@attrs.frozen
class PercentLiteral:
    """`25%`: `value` is the number written before the sign."""

    value: Decimal
    span: Span = _span()


@attrs.frozen
class DurationLiteral:
    amount: int
    unit: Unit
    span: Span = _span()


@attrs.frozen
class MoneyLiteral:
    """`150.00 USD`; a bare amount given where money is declared has `currency` None."""

    amount: Decimal
    currency: str | None
    span: Span = _span()


@attrs.frozen
class DateLiteral:
    value: date
    span: Span = _span()


@attrs.frozen
class BoolLiteral:
    value: bool
    span: Span = _span()


@attrs.frozen
class TextLiteral:
    """A quoted message; `{name}` and `{name.field}` placeholders are parsed into expressions."""

    parts: tuple[str | Name | FieldAccess, ...]
    span: Span = _span()


@attrs.frozen
class Name:
    name: str
    span: Span = _span()


@attrs.frozen
class FieldAccess:
    subject: Expr
    field: str
    span: Span = _span()


@attrs.frozen
class Call:
    function: str
    arguments: tuple[Expr, ...]
    span: Span = _span()


class AggregateFunction(enum.Enum):
    SUM = "sum"
    COUNT = "count"
    MIN = "min"
    MAX = "max"
    ANY = "any"
    ALL = "all"
    DISTINCT = "distinct"


@attrs.frozen
class Aggregate:
    """`sum(c.annual_fee for c in contracts when c.end < target)`, or `count(contracts)`."""

    function: AggregateFunction
    value: Expr
    variable: str | None = None
    collection: Expr | None = None
    condition: Expr | None = None
    span: Span = _span()


@attrs.frozen
class Given:
    """`given target_end`: whether the request supplied an optional fact."""

    name: str
    span: Span = _span()


class UnaryOp(enum.Enum):
    NEGATE = "-"
    NOT = "not"


@attrs.frozen
class Unary:
    op: UnaryOp
    operand: Expr
    span: Span = _span()


class BinaryOp(enum.Enum):
    ADD = "+"
    SUBTRACT = "-"
    MULTIPLY = "*"
    DIVIDE = "/"
    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    IN = "in"
    NOT_IN = "not in"
    AND = "and"
    OR = "or"


COMPARISONS = frozenset({BinaryOp.EQ, BinaryOp.NE, BinaryOp.LT, BinaryOp.LE, BinaryOp.GT, BinaryOp.GE})


@attrs.frozen
class Binary:
    op: BinaryOp
    left: Expr
    right: Expr
    span: Span = _span()


@attrs.frozen
class IfThenElse:
    condition: Expr
    then: Expr
    otherwise: Expr
    span: Span = _span()


@attrs.frozen
class FirstWhere:
    """`first k from 1 where expiry + k * renewal_term > date`: the least whole number that fits."""

    variable: str
    start: Expr
    condition: Expr
    span: Span = _span()


class Rounding(enum.Enum):
    """Which way a count or a number is rounded: up toward the later date or greater number, down
    toward the earlier or lesser."""

    UP = "up"
    DOWN = "down"


@attrs.frozen
class WholeAfter:
    """`a remainder of 15 days or more counting whole`: a part month of at least `days` counts whole."""

    days: Expr
    span: Span = _span()


class CalendarUnit(enum.Enum):
    MONTHS = "months"
    YEARS = "years"


@attrs.frozen
class CalendarCount:
    """`months from expiry until date, rounded up`: the whole months (or years) from `start` to `end`.

    A month is counted from `start` as `start + k months` counts it (clamped at month end);
    the part left over is rounded as `rounding` says.
    """

    unit: CalendarUnit
    start: Expr
    end: Expr
    rounding: Rounding | WholeAfter
    span: Span = _span()


class MonthPart(enum.Enum):
    START = "start"
    END = "end"
    DAY = "day"


@attrs.frozen
class MonthOf:
    """`start of month of d` (its first day), `end of month of d` (its last), `day of month of d` (1-31)."""

    part: MonthPart
    date: Expr
    span: Span = _span()


@attrs.frozen
class Extreme:
    """`max(a, b)`: the greater (or, `min`, the lesser) of two or more values ("whichever is greater")."""

    function: AggregateFunction
    values: tuple[Expr, ...]
    span: Span = _span()


@attrs.frozen
class Round:
    """`round up(x)`, `round down(x, 2 places)`: a number or amount rounded as written, not half-up."""

    direction: Rounding
    value: Expr
    places: int = 0
    span: Span = _span()


class Bound(enum.Enum):
    UP_TO = "up to"
    UNDER = "under"


@attrs.frozen
class BandStep:
    """`up to 30 days: 0 USD`: the value up to (or under) `threshold`, above the band before."""

    bound: Bound
    threshold: Expr
    value: Expr
    span: Span = _span()


@attrs.frozen
class Band:
    """`band of lapse { up to 30 days: 0 USD ... beyond: 120 USD }`: a value chosen by thresholds.

    Each band starts where the one before it ends, so bands neither overlap nor leave gaps;
    `beyond` (optional) is the value above the last threshold.
    """

    quantity: Expr
    steps: tuple[BandStep, ...]
    beyond: Expr | None
    span: Span = _span()


Literal: TypeAlias = (
    NumberLiteral | PercentLiteral | DurationLiteral | MoneyLiteral | DateLiteral | BoolLiteral | TextLiteral
)
Expr: TypeAlias = (
    Literal
    | Name
    | FieldAccess
    | Call
    | Aggregate
    | Given
    | Unary
    | Binary
    | IfThenElse
    | FirstWhere
    | CalendarCount
    | MonthOf
    | Extreme
    | Round
    | Band
)


def chain(expr: Expr, op: BinaryOp) -> Iterator[Expr]:
    """The operands of an `op` chain (`a and b and c`), left to right, without recursion however long
    it is; an expression that is no `op` is its own operand, and a chain of another operator is one."""
    pending = [expr]
    while pending:
        item = pending.pop()
        if isinstance(item, Binary) and item.op is op:
            pending.extend((item.right, item.left))
        else:
            yield item


def conjuncts(condition: Expr) -> Iterator[Expr]:
    """The parts of an `and`-chain, left to right (a condition that is no `and` is its own part)."""
    return chain(condition, BinaryOp.AND)


# -- citations and provenance ------------------------------------------------


@attrs.frozen
class Clause:
    """A citation of the policy, `§8.3`."""

    text: str
    span: Span = _span()


class Basis(enum.Enum):
    """Whether a value is the source document's or a reading chosen for it (interpretation.md)."""

    SOURCE = "source"
    READING = "reading"


@attrs.frozen
class Provenance:
    basis: Basis
    description: str
    span: Span = _span()


# -- statements inside actions and rules --------------------------------------


@attrs.frozen
class Let:
    name: str
    value: Expr
    span: Span = _span()


@attrs.frozen
class Reason:
    """`reason §8.4 "..."`: a message for the customer; the rule's first clause when none is given."""

    clause: Clause | None
    message: TextLiteral
    span: Span = _span()


@attrs.frozen
class Term:
    start: Expr
    end: Expr
    span: Span = _span()


@attrs.frozen
class Charge:
    """`charge renewal §8.2 = amount from a until b on contract`."""

    code: str
    clause: Clause | None
    amount: Expr
    start: Expr | None = None
    end: Expr | None = None
    contract: Expr | None = None
    span: Span = _span()


@attrs.frozen
class Set:
    """`set renewal.date = target`: an action-specific field of the decision."""

    path: tuple[str, ...]
    value: Expr
    span: Span = _span()


@attrs.frozen
class ForEach:
    variable: str
    collection: Expr
    condition: Expr | None
    body: tuple[Statement, ...]
    span: Span = _span()


Statement: TypeAlias = Let | Reason | Term | Charge | Set | ForEach

# -- top-level items -----------------------------------------------------------


class RuleKind(enum.Enum):
    APPROVE = "approve"
    REJECT = "reject"


@attrs.frozen
class Rule:
    kind: RuleKind
    name: str
    clauses: tuple[Clause, ...]
    condition: Expr | None
    body: tuple[Statement, ...]
    provenance: Provenance | None = None
    span: Span = _span()


@attrs.frozen
class Action:
    name: str
    description: str | None
    body: tuple[Let | Rule, ...]
    span: Span = _span()

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(item for item in self.body if isinstance(item, Rule))

    @property
    def lets(self) -> tuple[Let, ...]:
        return tuple(item for item in self.body if isinstance(item, Let))


@attrs.frozen
class TypeRef:
    name: str
    span: Span = _span()


@attrs.frozen
class ValueRange:
    """`in 0%..100%`, `in 1 day..`: the values a parameter may take, bounds included (None: open)."""

    low: Literal | None
    high: Literal | None
    span: Span = _span()


@attrs.frozen
class DatedValue:
    """One value of a parameter and the day it takes effect (None: since always)."""

    value: Literal
    effective: date | None
    span: Span = _span()


@attrs.frozen
class Parameter:
    name: str
    declared_type: TypeRef | None
    values: tuple[DatedValue, ...]
    clauses: tuple[Clause, ...]
    provenance: Provenance | None
    # declared with the type: `parameter x: rate in 0%..100% = 25%`
    value_range: ValueRange | None = None
    span: Span = _span()


@attrs.frozen
class EnumMember:
    name: str
    span: Span = _span()


@attrs.frozen
class Enum:
    """`enum premium_tier = after_hours | weekend | ...`: a closed set of named values."""

    name: str
    members: tuple[EnumMember, ...]
    clauses: tuple[Clause, ...]
    provenance: Provenance | None
    span: Span = _span()


@attrs.frozen
class Param:
    name: str
    declared_type: TypeRef
    span: Span = _span()


@attrs.frozen
class Definition:
    name: str
    params: tuple[Param, ...]
    returns: TypeRef
    clauses: tuple[Clause, ...]
    provenance: Provenance | None
    lets: tuple[Let, ...]
    result: Expr
    span: Span = _span()


class FactShape(enum.Enum):
    """How a declared field holds its type: one value, a list, or an entry of a request list named by key."""

    ONE = "one"
    LIST = "list"
    REFERENCE = "reference"


@attrs.frozen
class FactType:
    """`date`, `money in currency`, `list of text`, `contract from contracts`."""

    shape: FactShape
    name: str
    # `money in currency`: the field of the same record that gives the currency
    currency: str | None = None
    # `contract from contracts`: the list of the request the id names an entry of
    source: str | None = None
    span: Span = _span()


@attrs.frozen
class EmptyList:
    """`= empty`: a list left out of a request is empty."""

    span: Span = _span()


@attrs.frozen
class FactField:
    """One field of a record or of the request: `annual_fee: money in currency, at least 0 "..."`."""

    name: str
    type: FactType
    optional: bool
    default: Literal | EnumValueLiteral | EmptyList | None
    key: bool
    distinct: bool
    at_least: Literal | None
    not_before: str | None
    description: str | None
    clauses: tuple[Clause, ...]
    provenance: Provenance | None
    span: Span = _span()


@attrs.frozen
class Record:
    """`record contract "..." { id: text, key ... }`: a kind of thing a request describes."""

    name: str
    description: str | None
    fields: tuple[FactField, ...]
    clauses: tuple[Clause, ...]
    provenance: Provenance | None
    span: Span = _span()


@attrs.frozen
class RequestFacts:
    """`request { date: date ... }`: the top-level facts of a request (besides its action)."""

    description: str | None
    fields: tuple[FactField, ...]
    clauses: tuple[Clause, ...]
    provenance: Provenance | None
    span: Span = _span()

    @property
    def name(self) -> str:
        return "request"


@attrs.frozen
class Output:
    """`output effective: date "..."`: a field a decision may set."""

    path: tuple[str, ...]
    type: TypeRef
    description: str | None
    clauses: tuple[Clause, ...]
    provenance: Provenance | None
    span: Span = _span()

    @property
    def name(self) -> str:
        return ".".join(self.path)


@attrs.frozen
class Include:
    path: str
    span: Span = _span()


@attrs.frozen
class LibraryInclude:
    """`include library "fees.mes"`: a file of a library folder the caller named, not of the policy's."""

    path: str
    span: Span = _span()


@attrs.frozen
class PolicyHeader:
    """`policy "ACME ME&S" version "2026.1"`: the name and version every decision carries."""

    name: str
    version: str | None
    span: Span = _span()


@attrs.frozen
class ClauseDeclaration:
    """`§8.3 "Reinstatement fee" text "..."`: a clause of the policy's document, its title and words.

    `wording` holds the quoted pieces as written (a long text may be written over
    several lines); `summary` says they summarise the clause rather than quote it.
    """

    id: Clause
    title: str
    wording: tuple[str, ...]
    summary: bool
    span: Span = _span()
    # the line each quoted piece is written on, so the formatter keeps comments beside them
    lines: tuple[int, ...] = attrs.field(default=(), eq=False, repr=False, kw_only=True)

    @property
    def text(self) -> str:
        return " ".join(self.wording)


@attrs.frozen
class ClauseList:
    """`clauses { ... }`: clauses a policy declares; once any are declared, every citation is checked."""

    clauses: tuple[ClauseDeclaration, ...]
    span: Span = _span()


# -- tests written next to the rules ------------------------------------------------


@attrs.frozen
class RequestLine:
    """`request renew on 2026-04-10`: the action asked for and the decision day."""

    action: str
    day: date
    span: Span = _span()


@attrs.frozen
class FactSetting:
    """`edition = network` after a record line's `with`: one field of that record and its value(s)."""

    name: str
    values: tuple[TestValue, ...]
    span: Span = _span()


@attrs.frozen
class CustomerLine:
    """`customer "C1" existing`, or `partner "P1" new`: who asks, and in which role (§1.2)."""

    id: str
    existing: bool
    role: str
    settings: tuple[FactSetting, ...] = ()
    span: Span = _span()


@attrs.frozen
class ContractLine:
    """`contract "M1" 12000.00 USD from 2025-03-01 until 2026-03-01 licenses "L1", "L2"`."""

    id: str
    annual_fee: MoneyLiteral
    start: date
    end: date
    licenses: tuple[str, ...]
    settings: tuple[FactSetting, ...] = ()
    span: Span = _span()


@attrs.frozen
class LicenseLine:
    """`license "L1" perpetual 12000.00 USD shipped 2025-03-01`."""

    id: str
    kind: str
    annual_fee: MoneyLiteral
    shipped: date
    settings: tuple[FactSetting, ...] = ()
    span: Span = _span()


@attrs.frozen
class WithLine:
    """`with contract = "M1"`: another field of the request (ids, dates, numbers, amounts, named values)."""

    field: str
    values: tuple[TestValue, ...]
    span: Span = _span()


@attrs.frozen
class RecordLine:
    """`record seat "S1" with tier = gold`: an entry of a declared record (its key, then its fields)."""

    record: str
    id: str | None
    settings: tuple[FactSetting, ...] = ()
    span: Span = _span()


@attrs.frozen
class EnumValueLiteral:
    """A named value written in a test (`weekend`, `lapsed`)."""

    name: str
    span: Span = _span()


# a value a test gives a fact: text, a date, a number, an amount, a share, true/false or a named value
TestValue: TypeAlias = (
    TextLiteral | DateLiteral | NumberLiteral | MoneyLiteral | PercentLiteral | BoolLiteral | EnumValueLiteral
)


@attrs.frozen
class ExpectNoCharge:
    """`expect no charge`: the decision charges nothing."""

    span: Span = _span()


@attrs.frozen
class ExpectOutcome:
    outcome: str
    clauses: tuple[Clause, ...]
    span: Span = _span()


@attrs.frozen
class ExpectReason:
    clause: Clause
    span: Span = _span()


@attrs.frozen
class ExpectTerm:
    start: date
    end: date
    span: Span = _span()


@attrs.frozen
class ExpectCharge:
    code: str
    amount: MoneyLiteral
    start: date | None
    end: date | None
    contract: str | None
    span: Span = _span()


@attrs.frozen
class ExpectField:
    """`expect effective = 2027-03-01`, `expect total = 12328.77 USD`, `expect status = lapsed`."""

    path: tuple[str, ...]
    value: Literal | EnumValueLiteral
    span: Span = _span()


TestFact: TypeAlias = RequestLine | CustomerLine | ContractLine | LicenseLine | WithLine | RecordLine
Expectation: TypeAlias = (
    ExpectNoCharge | ExpectOutcome | ExpectReason | ExpectTerm | ExpectCharge | ExpectField
)


@attrs.frozen
class Test:
    """A named case: the facts of one request and what its decision must be."""

    __test__ = False  # not a pytest test class

    name: str
    description: str | None
    lines: tuple[TestFact | Expectation, ...]
    span: Span = _span()


Item: TypeAlias = (
    Include
    | LibraryInclude
    | PolicyHeader
    | ClauseList
    | Parameter
    | Enum
    | Definition
    | Action
    | Test
    | Record
    | RequestFacts
    | Output
)


@attrs.frozen
class Comment:
    line: int
    column: int
    text: str


@attrs.frozen
class PolicyFile:
    """One parsed rule file: its items in order and its comments (kept for the formatter)."""

    path: str
    items: tuple[Item, ...]
    comments: tuple[Comment, ...] = attrs.field(default=(), eq=False)
    # the text as read, which the policy's content hash is made of
    text: str = attrs.field(default="", eq=False, repr=False)
