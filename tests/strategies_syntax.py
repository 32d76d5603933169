"""Hypothesis strategies for random syntax trees that the rule language can express.

Every tree built here prints (formatter) and parses back to an equal tree: names
are lowercase and never keywords, numbers are non-negative Decimals, durations
whole, texts alternate non-empty strings and `{placeholder}`s, quoted strings
hold no newline, charges have both ends of their period or neither, aggregates
have a variable and a collection or neither. Nodes carry the `nowhere()` span.

The strategy factories are cached: building the nested strategies anew for every
use made drawing a file five times slower.
"""

from __future__ import annotations

import functools
import re
import string
from decimal import Decimal
from importlib import resources

import lark
from hypothesis import strategies as st

from mespolicy import nodes as n
from mespolicy.source import nowhere


def _keywords() -> frozenset[str]:
    """The grammar's quoted words that look like names (`if`, `charge`, `result`...).

    The lexer takes such a word for the keyword wherever the keyword could come next,
    so the trees use none of them as names.
    """
    grammar = resources.files("mespolicy").joinpath("grammar.lark").read_text(encoding="utf-8")
    words = (t.pattern.value for t in lark.Lark(grammar, parser="lalr").terminals)
    return frozenset(w for w in words if re.fullmatch(r"[a-z_][a-z0-9_]*", w))


KEYWORDS = _keywords()

SPAN = nowhere()
_SPAN = st.just(SPAN)

_NAME_HEAD = string.ascii_lowercase + "_"
_NAME_TAIL = string.ascii_lowercase + string.digits + "_"


@functools.cache
def names() -> st.SearchStrategy[str]:
    """A NAME that the lexer does not take for a keyword."""
    name = st.builds(str.__add__, st.sampled_from(_NAME_HEAD), st.text(_NAME_TAIL, max_size=6))
    return name.filter(lambda s: s not in KEYWORDS)


@functools.cache
def _characters() -> st.SearchStrategy[str]:
    tricky = st.sampled_from('{}"\\#§ ')
    return st.one_of(tricky, st.characters(exclude_characters="\n", exclude_categories=["Cs"]))


@functools.cache
def plain_texts() -> st.SearchStrategy[str]:
    """The inside of a quoted string that has no placeholders (paths, descriptions)."""
    return st.text(_characters(), max_size=8)


@functools.cache
def decimals() -> st.SearchStrategy[Decimal]:
    """Non-negative numbers as they can be written: digits, maybe a fraction."""
    return st.builds(
        lambda digits, exponent: Decimal(digits).scaleb(exponent),
        st.integers(0, 10**9),
        st.integers(-4, 2),
    )


@functools.cache
def clauses() -> st.SearchStrategy[n.Clause]:
    return st.builds(
        lambda major, minor: n.Clause(f"§{major}" + (f".{minor}" if minor else ""), span=SPAN),
        st.integers(1, 20),
        st.integers(0, 12),
    )


@functools.cache
def placeholders() -> st.SearchStrategy[n.Name | n.FieldAccess]:
    def chain(head: str, fields: list[str]) -> n.Name | n.FieldAccess:
        node: n.Name | n.FieldAccess = n.Name(head, span=SPAN)
        for field in fields:
            node = n.FieldAccess(node, field, span=SPAN)
        return node

    return st.builds(chain, names(), st.lists(names(), max_size=2))


def _join(parts: list[str | n.Name | n.FieldAccess]) -> tuple[str | n.Name | n.FieldAccess, ...]:
    """Adjacent strings merged, as the parser builds them."""
    joined: list[str | n.Name | n.FieldAccess] = []
    for part in parts:
        if isinstance(part, str) and joined and isinstance(joined[-1], str):
            joined[-1] += part
        else:
            joined.append(part)
    return tuple(joined)


@functools.cache
def texts() -> st.SearchStrategy[n.TextLiteral]:
    part = st.one_of(st.text(_characters(), min_size=1, max_size=6), placeholders())
    return st.builds(lambda parts: n.TextLiteral(_join(parts), span=SPAN), st.lists(part, max_size=4))


@functools.cache
def money() -> st.SearchStrategy[n.MoneyLiteral]:
    currency = st.text(string.ascii_uppercase, min_size=3, max_size=3)
    return st.builds(n.MoneyLiteral, decimals(), currency, span=_SPAN)


@functools.cache
def literals() -> st.SearchStrategy[n.Literal]:
    return st.one_of(
        st.builds(n.NumberLiteral, decimals(), span=_SPAN),
        st.builds(n.PercentLiteral, decimals(), span=_SPAN),
        st.builds(n.DurationLiteral, st.integers(0, 400), st.sampled_from(n.Unit), span=_SPAN),
        money(),
        st.builds(n.DateLiteral, st.dates(), span=_SPAN),
        st.builds(n.BoolLiteral, st.booleans(), span=_SPAN),
        texts(),
    )


@functools.cache
def _leaves() -> st.SearchStrategy[n.Expr]:
    return st.one_of(
        literals(),
        st.builds(n.Name, names(), span=_SPAN),
        # the words that lead constructs stay names (`months from`, `round up(` lead them only together)
        st.builds(
            n.Name, st.sampled_from(["months", "years", "start", "end", "day", "round", "band"]), span=_SPAN
        ),
        st.builds(n.Given, names(), span=_SPAN),
    )


def _aggregates(children: st.SearchStrategy[n.Expr]) -> st.SearchStrategy[n.Expr]:
    function = st.sampled_from(n.AggregateFunction)
    simple = st.builds(n.Aggregate, function, children, span=_SPAN)
    over = st.builds(
        n.Aggregate,
        function,
        children,
        names(),
        children,
        st.none() | children,
        span=_SPAN,
    )
    return simple | over


def _compound(children: st.SearchStrategy[n.Expr]) -> st.SearchStrategy[n.Expr]:
    return st.one_of(
        st.builds(n.Binary, st.sampled_from(n.BinaryOp), children, children, span=_SPAN),
        st.builds(n.Unary, st.sampled_from(n.UnaryOp), children, span=_SPAN),
        st.builds(n.FieldAccess, children, names(), span=_SPAN),
        st.builds(n.Call, names(), st.lists(children, max_size=3).map(tuple), span=_SPAN),
        _aggregates(children),
        st.builds(n.IfThenElse, children, children, children, span=_SPAN),
        st.builds(n.FirstWhere, names(), children, children, span=_SPAN),
        *_constructs(children),
    )


def _constructs(children: st.SearchStrategy[n.Expr]) -> tuple[st.SearchStrategy[n.Expr], ...]:
    """The calendar and number constructs and bands."""
    rounding = st.sampled_from(n.Rounding) | st.builds(n.WholeAfter, children, span=_SPAN)
    extreme = st.sampled_from([n.AggregateFunction.MIN, n.AggregateFunction.MAX])
    step = st.builds(n.BandStep, st.sampled_from(n.Bound), children, children, span=_SPAN)
    return (
        st.builds(n.CalendarCount, st.sampled_from(n.CalendarUnit), children, children, rounding, span=_SPAN),
        st.builds(n.MonthOf, st.sampled_from(n.MonthPart), children, span=_SPAN),
        st.builds(n.Extreme, extreme, st.lists(children, min_size=2, max_size=3).map(tuple), span=_SPAN),
        st.builds(n.Round, st.sampled_from(n.Rounding), children, st.integers(0, 20), span=_SPAN),
        st.builds(
            n.Band,
            children,
            st.lists(step, min_size=1, max_size=3).map(tuple),
            st.none() | children,
            span=_SPAN,
        ),
    )


@functools.cache
def exprs(max_leaves: int = 8) -> st.SearchStrategy[n.Expr]:
    return st.recursive(_leaves(), _compound, max_leaves=max_leaves)


@functools.cache
def provenances() -> st.SearchStrategy[n.Provenance]:
    return st.builds(n.Provenance, st.sampled_from(n.Basis), plain_texts(), span=_SPAN)


@st.composite
def _charges(draw: st.DrawFn) -> n.Charge:
    code, clause, amount = draw(names()), draw(st.none() | clauses()), draw(exprs(6))
    start, end = draw(st.none() | st.tuples(exprs(4), exprs(4))) or (None, None)
    return n.Charge(code, clause, amount, start, end, draw(st.none() | exprs(3)), span=SPAN)


@functools.cache
def statements(depth: int = 2) -> st.SearchStrategy[n.Statement]:
    """Statements of a rule body; `for` blocks nest up to `depth` deep."""
    simple: st.SearchStrategy[n.Statement] = st.one_of(
        st.builds(n.Let, names(), exprs(), span=_SPAN),
        st.builds(n.Reason, st.none() | clauses(), texts(), span=_SPAN),
        st.builds(n.Term, exprs(4), exprs(4), span=_SPAN),
        _charges(),
        st.builds(n.Set, st.lists(names(), min_size=1, max_size=3).map(tuple), exprs(), span=_SPAN),
    )
    if depth == 0:
        return simple
    for_each = st.builds(
        n.ForEach,
        names(),
        exprs(4),
        st.none() | exprs(4),
        st.lists(statements(depth - 1), max_size=3).map(tuple),
        span=_SPAN,
    )
    return simple | for_each


@functools.cache
def rules() -> st.SearchStrategy[n.Rule]:
    return st.builds(
        n.Rule,
        st.sampled_from(n.RuleKind),
        names(),
        st.lists(clauses(), max_size=3).map(tuple),
        st.none() | exprs(),
        st.lists(statements(), max_size=4).map(tuple),
        provenance=st.none() | provenances(),
        span=_SPAN,
    )


@functools.cache
def _types() -> st.SearchStrategy[n.TypeRef]:
    return st.builds(n.TypeRef, names(), span=_SPAN)


@functools.cache
def _meta() -> st.SearchStrategy[tuple[tuple[n.Clause, ...], n.Provenance | None]]:
    return st.tuples(st.lists(clauses(), max_size=3).map(tuple), st.none() | provenances())


@st.composite
def _parameters(draw: st.DrawFn) -> n.Parameter:
    name, declared = draw(names()), draw(st.none() | _types())
    value = st.builds(n.DatedValue, literals(), st.none() | st.dates(), span=_SPAN)
    values = tuple(draw(st.lists(value, max_size=3)))
    clauses, provenance = draw(_meta())
    # a range is written after a declared type, open on either side but not both
    bounds = st.tuples(st.none() | literals(), st.none() | literals()).filter(lambda b: b != (None, None))
    ranges = st.none() | bounds.map(lambda b: n.ValueRange(b[0], b[1], span=SPAN))
    value_range = draw(ranges) if declared is not None else None
    return n.Parameter(name, declared, values, clauses, provenance, value_range, span=SPAN)


@st.composite
def _enums(draw: st.DrawFn) -> n.Enum:
    name = draw(names())
    members = draw(st.lists(st.builds(n.EnumMember, names(), span=_SPAN), min_size=1, max_size=4))
    clauses, provenance = draw(_meta())
    return n.Enum(name, tuple(members), clauses, provenance, span=SPAN)


@st.composite
def _definitions(draw: st.DrawFn) -> n.Definition:
    name = draw(names())
    params = draw(st.lists(st.builds(n.Param, names(), _types(), span=_SPAN), max_size=3))
    returns = draw(_types())
    clauses, provenance = draw(_meta())
    lets = draw(st.lists(st.builds(n.Let, names(), exprs(), span=_SPAN), max_size=3))
    result = draw(exprs())
    return n.Definition(name, tuple(params), returns, clauses, provenance, tuple(lets), result, span=SPAN)


@functools.cache
def _actions() -> st.SearchStrategy[n.Action]:
    body = st.lists(st.builds(n.Let, names(), exprs(), span=_SPAN) | rules(), max_size=4)
    return st.builds(n.Action, names(), st.none() | plain_texts(), body.map(tuple), span=_SPAN)


@functools.cache
def _test_values() -> st.SearchStrategy[n.TestValue]:
    return st.one_of(
        texts(),
        st.builds(n.DateLiteral, st.dates(), span=_SPAN),
        st.builds(n.EnumValueLiteral, names(), span=_SPAN),
        st.builds(n.NumberLiteral, decimals(), span=_SPAN),
        st.builds(n.PercentLiteral, decimals(), span=_SPAN),
        st.builds(n.BoolLiteral, st.booleans(), span=_SPAN),
        money(),
    )


@functools.cache
def _settings() -> st.SearchStrategy[tuple[n.FactSetting, ...]]:
    """A record line's `with` settings, each with one or more values."""
    values = st.lists(_test_values(), min_size=1, max_size=3).map(tuple)
    return st.lists(st.builds(n.FactSetting, names(), values, span=_SPAN), max_size=3).map(tuple)


@functools.cache
def _test_facts() -> st.SearchStrategy[n.TestFact]:
    value = _test_values()
    return st.one_of(
        st.builds(n.RequestLine, names(), st.dates(), span=_SPAN),
        st.builds(
            n.CustomerLine,
            plain_texts(),
            st.booleans(),
            st.sampled_from(["customer", "partner"]),
            _settings(),
            span=_SPAN,
        ),
        st.builds(
            n.ContractLine,
            plain_texts(),
            money(),
            st.dates(),
            st.dates(),
            st.lists(plain_texts(), max_size=3).map(tuple),
            _settings(),
            span=_SPAN,
        ),
        st.builds(
            n.LicenseLine,
            plain_texts(),
            st.sampled_from(["perpetual", "subscription"]),
            money(),
            st.dates(),
            _settings(),
            span=_SPAN,
        ),
        st.builds(n.WithLine, names(), st.lists(value, min_size=1, max_size=3).map(tuple), span=_SPAN),
        st.builds(n.RecordLine, names(), st.none() | plain_texts(), _settings(), span=_SPAN),
    )


@st.composite
def _fact_types(draw: st.DrawFn) -> n.FactType:
    shape = draw(st.sampled_from(n.FactShape))
    if shape is n.FactShape.REFERENCE:
        return n.FactType(shape, draw(names()), source=draw(names()), span=SPAN)
    return n.FactType(shape, draw(names()), draw(st.none() | names()), span=SPAN)


@st.composite
def _fact_fields(draw: st.DrawFn) -> n.FactField:
    # a field's values are never durations (no field has that type)
    plain = literals().filter(lambda literal: not isinstance(literal, n.DurationLiteral))
    default = st.none() | plain | st.builds(n.EnumValueLiteral, names(), span=_SPAN)
    clauses, provenance = draw(_meta())
    return n.FactField(
        draw(names()),
        draw(_fact_types()),
        draw(st.booleans()),
        draw(default | st.builds(n.EmptyList, span=_SPAN)),
        draw(st.booleans()),
        draw(st.booleans()),
        draw(st.none() | plain),
        draw(st.none() | names()),
        draw(st.none() | plain_texts()),
        clauses,
        provenance,
        span=SPAN,
    )


@st.composite
def _fact_declarations(draw: st.DrawFn) -> n.Record | n.RequestFacts | n.Output:
    """`record NAME { ... }`, `request { ... }` and `output PATH: TYPE`, as the parser builds them."""
    clauses, provenance = draw(_meta())
    description = draw(st.none() | plain_texts())
    kind = draw(st.sampled_from(["record", "request", "output"]))
    if kind == "output":
        path = tuple(draw(st.lists(names(), min_size=1, max_size=3)))
        return n.Output(path, draw(_types()), description, clauses, provenance, span=SPAN)
    fields = tuple(draw(st.lists(_fact_fields(), max_size=3)))
    if kind == "record":
        return n.Record(draw(names()), description, fields, clauses, provenance, span=SPAN)
    return n.RequestFacts(description, fields, clauses, provenance, span=SPAN)


@functools.cache
def _expectations() -> st.SearchStrategy[n.Expectation]:
    charge = _expected_charges()
    return st.one_of(
        st.builds(n.ExpectNoCharge, span=_SPAN),
        st.builds(
            n.ExpectOutcome,
            st.sampled_from(["approved", "rejected"]),
            st.lists(clauses(), max_size=3).map(tuple),
            span=_SPAN,
        ),
        st.builds(n.ExpectReason, clauses(), span=_SPAN),
        st.builds(n.ExpectTerm, st.dates(), st.dates(), span=_SPAN),
        charge,
        st.builds(
            n.ExpectField,
            st.lists(names(), min_size=1, max_size=3).map(tuple),
            literals() | st.builds(n.EnumValueLiteral, names(), span=_SPAN),
            span=_SPAN,
        ),
    )


@st.composite
def _expected_charges(draw: st.DrawFn) -> n.ExpectCharge:
    code, amount = draw(names()), draw(money())
    start, end = draw(st.none() | st.tuples(st.dates(), st.dates())) or (None, None)
    return n.ExpectCharge(code, amount, start, end, draw(st.none() | plain_texts()), span=SPAN)


@functools.cache
def _tests() -> st.SearchStrategy[n.Test]:
    lines = st.lists(_test_facts() | _expectations(), max_size=5).map(tuple)
    return st.builds(n.Test, names(), st.none() | plain_texts(), lines, span=_SPAN)


@functools.cache
def items() -> st.SearchStrategy[n.Item]:
    return st.one_of(
        st.builds(n.Include, plain_texts(), span=_SPAN),
        _parameters(),
        _enums(),
        _definitions(),
        _actions(),
        _tests(),
        _fact_declarations(),
    )


@functools.cache
def policy_files() -> st.SearchStrategy[n.PolicyFile]:
    return st.builds(lambda found: n.PolicyFile("<generated>", tuple(found)), st.lists(items(), max_size=4))
