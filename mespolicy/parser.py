"""Rule-file text to syntax tree: Lark parses with grammar.lark, a Transformer builds `nodes` once."""

from __future__ import annotations

import contextvars
import datetime
import re
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

import attrs
import lark
from lark import Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.tree import Meta

from mespolicy import nodes as n
from mespolicy import parser_tables
from mespolicy.errors import PolicySyntaxError
from mespolicy.limits import DEFAULT as DEFAULT_LIMITS
from mespolicy.limits import Limits
from mespolicy.source import Source, Span

_comments: contextvars.ContextVar[list[Token]] = contextvars.ContextVar("comments")


def _collect_comment(token: Token) -> Token:
    _comments.get().append(token)
    return token


@cache
def _lark() -> lark.Lark:
    """The parser, made once per process from the shipped tables (`parser_tables`), kept in memory only.

    Never `cache=True`: Lark would unpickle a file of a fixed name in the shared temp
    folder, and whoever planted it there would run code in this process.
    """
    return parser_tables.parser(_collect_comment)


def parse(
    text: str, path: str = "<text>", limits: Limits = DEFAULT_LIMITS, *, in_folder: bool = False
) -> n.PolicyFile:
    """Parse one rule file; raise PolicySyntaxError at the first syntax error.

    `path` is the file's place in its policy folder (`in_folder`), as errors and traces
    show it, or what the text is (`<text>`, `--set name`).
    Rule text nested deeper than `limits.nesting_depth` (L104) or with a number of more
    than `limits.number_digits` digits (L105) is refused with its place.
    """
    source = Source(path, text, in_folder)
    comments: list[Token] = []
    reset = _comments.set(comments)
    try:
        tree = _lark().parse(text)
        _check_depth(tree, source, limits.nesting_depth)
        items = _Builder(source, limits).transform(tree)
    except UnexpectedInput as error:
        raise _syntax_error(error, source) from None
    except lark.exceptions.VisitError as error:
        if isinstance(error.orig_exc, PolicySyntaxError):
            raise error.orig_exc from None
        raise
    finally:
        _comments.reset(reset)
    found = tuple(n.Comment(c.line or 0, c.column or 0, str(c)) for c in comments)
    return n.PolicyFile(path, tuple(items), found, text)


def _check_depth(tree: lark.Tree[Token], source: Source, limit: int) -> None:
    """Refuse a tree nested deeper than `limit` (L104) before anything recurses into it.

    Measured without recursion: each node of the tree below the file's top level is one
    level (an action, a rule, a statement, every operator of an expression), so an `and`
    of n operands nests n deep. The error points at the deepest node.
    """
    deepest: tuple[int, lark.Tree[Token] | None] = (0, None)
    pending = [(child, 1) for child in tree.children if isinstance(child, lark.Tree)]
    while pending:
        node, depth = pending.pop()
        if depth > deepest[0]:
            deepest = (depth, node)
        pending.extend((child, depth + 1) for child in node.children if isinstance(child, lark.Tree))
    depth, where = deepest
    if depth > limit and where is not None:
        raise PolicySyntaxError(
            "L104",
            f"this nests {depth} deep; rule text may nest at most {limit} deep",
            _span_of(source, where.meta),
            "name a part with let or define, or split the rule; "
            "a caller trusting this text may raise the nesting_depth limit",
        )


# -- building nodes --------------------------------------------------------------

_T = TypeVar("_T")


def _span_of(source: Source, where: Meta | Token) -> Span:
    return Span(
        source,
        where.line or 1,
        where.column or 1,
        where.end_line or where.line or 1,
        where.end_column or where.column or 1,
    )


def _unquote(token: Token) -> str:
    return re.sub(r"\\(.)", r"\1", str(token)[1:-1])


_PLACEHOLDER = re.compile(r"\\(.)|\{\{|\}\}|\{([^{}]*)\}|[{}]")
_DOTTED = re.compile(r"[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*\Z")
_STATEMENT_NODES = (n.Let, n.Reason, n.Term, n.Charge, n.Set, n.ForEach)
# `round up(x, 20 places)` at most: finer than any currency or rate a policy states
_MOST_PLACES = 20
_UNITS = {"day": n.Unit.DAYS, "days": n.Unit.DAYS, "month": n.Unit.MONTHS, "months": n.Unit.MONTHS}


def _with_meta(method: Callable[..., _T]) -> Callable[..., _T]:
    return v_args(meta=True)(method)


@attrs.frozen
class _Settings:
    """A record line's `with` settings, on their way to the line that owns them."""

    items: tuple[n.FactSetting, ...]


def _through(first: Span, last: Span) -> Span:
    """From the start of ``first`` to the end of ``last``."""
    return attrs.evolve(first, end_line=last.end_line, end_column=last.end_column)


def _split_settings(children: list[Any]) -> list[Any]:
    """The children of a record line, its settings (a tuple, maybe empty) last."""
    if children and isinstance(children[-1], _Settings):
        return [*children[:-1], children[-1].items]
    return [*children, ()]


@attrs.frozen
class _Default:
    """A field's default, on its way from the tree to its `FactField`."""

    value: n.Literal | n.EnumValueLiteral | n.EmptyList


@attrs.frozen
class _Option:
    """A field's option (`key`, `distinct`, `at least 0`, `not before start`) on its way to its field."""

    kind: str
    value: n.Literal | None = None
    name: str | None = None


class _Builder(Transformer[Token, Any]):
    """Turns the Lark parse tree into nodes; every node gets the span Lark recorded for it."""

    def __init__(self, source: Source, limits: Limits = DEFAULT_LIMITS) -> None:
        super().__init__()
        self.source = source
        self.limits = limits

    def span(self, where: Meta | Token) -> Span:
        return _span_of(self.source, where)

    def fail(self, code: str, message: str, where: Meta | Token, hint: str | None = None) -> None:
        raise PolicySyntaxError(code, message, self.span(where), hint)

    # -- top level

    def start(self, items: list[n.Item]) -> list[n.Item]:
        return items

    @_with_meta
    def include(self, meta: Meta, children: list[Token]) -> n.Include:
        return n.Include(_unquote(children[0]), span=self.span(meta))

    @_with_meta
    def library_include(self, meta: Meta, children: list[Token]) -> n.LibraryInclude:
        return n.LibraryInclude(_unquote(children[0]), span=self.span(meta))

    @_with_meta
    def policy_header(self, meta: Meta, children: list[Token]) -> n.PolicyHeader:
        version = _unquote(children[1]) if len(children) > 1 else None
        return n.PolicyHeader(_unquote(children[0]), version, span=self.span(meta))

    @_with_meta
    def clause_list(self, meta: Meta, children: list[n.ClauseDeclaration]) -> n.ClauseList:
        return n.ClauseList(tuple(children), span=self.span(meta))

    @_with_meta
    def clause_declaration(self, meta: Meta, children: list[Token]) -> n.ClauseDeclaration:
        ident, title, kind, *wording = children
        clause = n.Clause(str(ident), span=self.span(ident))
        pieces = tuple(_unquote(piece) for piece in wording)
        lines = tuple(piece.line or 0 for piece in wording)
        summary = kind.type == "SUMMARY"
        span = self.span(meta)
        return n.ClauseDeclaration(clause, _unquote(title), pieces, summary, span=span, lines=lines)

    @_with_meta
    def parameter(self, meta: Meta, children: list[Any]) -> n.Parameter:
        name, *rest = children
        declared = next((c for c in rest if isinstance(c, n.TypeRef)), None)
        value_range = next((c for c in rest if isinstance(c, n.ValueRange)), None)
        values = tuple(c for c in rest if isinstance(c, n.DatedValue))
        clauses, provenance = self._meta(rest)
        span = self.span(meta)
        return n.Parameter(str(name), declared, values, clauses, provenance, value_range, span=span)

    @_with_meta
    def type_annotation(self, meta: Meta, children: list[Token]) -> n.TypeRef:
        return n.TypeRef(str(children[0]), span=self.span(meta))

    @_with_meta
    def value_range(self, meta: Meta, children: list[Any]) -> n.ValueRange:
        low = next((c[1] for c in children if isinstance(c, tuple) and c[0] == "low"), None)
        high = next((c[1] for c in children if isinstance(c, tuple) and c[0] == "high"), None)
        return n.ValueRange(low, high, span=self.span(meta))

    def range_low(self, children: list[n.Literal]) -> tuple[str, n.Literal]:
        return "low", children[0]

    def range_high(self, children: list[n.Literal]) -> tuple[str, n.Literal]:
        return "high", children[0]

    @_with_meta
    def dated_value(self, meta: Meta, children: list[Any]) -> n.DatedValue:
        effective = self._date(children[1]) if len(children) > 1 else None
        return n.DatedValue(children[0], effective, span=self.span(meta))

    def clauses(self, children: list[Token]) -> tuple[n.Clause, ...]:
        return tuple(n.Clause(str(c), span=self.span(c)) for c in children)

    rule_clauses = clauses

    @_with_meta
    def provenance(self, meta: Meta, children: list[Token]) -> n.Provenance:
        basis = n.Basis(str(children[0]))
        return n.Provenance(basis, _unquote(children[1]), span=self.span(meta))

    def _meta(self, rest: list[Any]) -> tuple[tuple[n.Clause, ...], n.Provenance | None]:
        clauses = tuple(c for group in rest if isinstance(group, tuple) for c in group)
        provenances = [c for c in rest if isinstance(c, n.Provenance)]
        if len(provenances) > 1:
            raise PolicySyntaxError(
                "P109",
                "a value has one provenance: one 'source' or 'reading' line",
                provenances[1].span,
                "merge the two descriptions into one line",
            )
        return clauses, (provenances[0] if provenances else None)

    @_with_meta
    def enum(self, meta: Meta, children: list[Any]) -> n.Enum:
        name, *rest = children
        members = tuple(c for c in rest if isinstance(c, n.EnumMember))
        clauses, provenance = self._meta(rest)
        return n.Enum(str(name), members, clauses, provenance, span=self.span(meta))

    # -- fact declarations

    @_with_meta
    def record(self, meta: Meta, children: list[Any]) -> n.Record:
        name, *rest = children
        description, fields, clauses, provenance = self._declaration(rest)
        return n.Record(str(name), description, fields, clauses, provenance, span=self.span(meta))

    @_with_meta
    def request_facts(self, meta: Meta, children: list[Any]) -> n.RequestFacts:
        description, fields, clauses, provenance = self._declaration(children)
        return n.RequestFacts(description, fields, clauses, provenance, span=self.span(meta))

    def _declaration(
        self, rest: list[Any]
    ) -> tuple[str | None, tuple[n.FactField, ...], tuple[n.Clause, ...], n.Provenance | None]:
        description = next((_unquote(c) for c in rest if isinstance(c, Token) and c.type == "STRING"), None)
        fields = tuple(c for c in rest if isinstance(c, n.FactField))
        clauses, provenance = self._meta(rest)
        return description, fields, clauses, provenance

    @_with_meta
    def fact_field(self, meta: Meta, children: list[Any]) -> n.FactField:
        name, *rest = children
        optional = any(isinstance(c, Token) and c.type == "OPTIONAL" for c in rest)
        fact_type = next(c for c in rest if isinstance(c, n.FactType))
        default = next((c.value for c in rest if isinstance(c, _Default)), None)
        options = [c for c in rest if isinstance(c, _Option)]
        at_least = next((o.value for o in options if o.kind == "at_least"), None)
        not_before = next((o.name for o in options if o.kind == "not_before"), None)
        description = next((_unquote(c) for c in rest if isinstance(c, Token) and c.type == "STRING"), None)
        clauses, provenance = self._meta(rest)
        return n.FactField(
            str(name),
            fact_type,
            optional,
            default,
            any(o.kind == "key" for o in options),
            any(o.kind == "distinct" for o in options),
            at_least,
            not_before,
            description,
            clauses,
            provenance,
            span=self.span(meta),
        )

    @_with_meta
    def plain_type(self, meta: Meta, children: list[Token]) -> n.FactType:
        currency = str(children[2]) if len(children) > 2 else None
        return n.FactType(n.FactShape.ONE, str(children[0]), currency, span=self.span(meta))

    @_with_meta
    def list_type(self, meta: Meta, children: list[Token]) -> n.FactType:
        currency = str(children[2]) if len(children) > 2 else None
        return n.FactType(n.FactShape.LIST, str(children[0]), currency, span=self.span(meta))

    @_with_meta
    def reference_type(self, meta: Meta, children: list[Token]) -> n.FactType:
        record, source = children
        return n.FactType(n.FactShape.REFERENCE, str(record), source=str(source), span=self.span(meta))

    @_with_meta
    def fact_default(self, meta: Meta, children: list[Any]) -> _Default:
        value = children[0]
        if isinstance(value, Token):
            return _Default(n.EmptyList(span=self.span(meta)))
        return _Default(value)

    def at_least(self, children: list[Any]) -> _Option:
        return _Option("at_least", value=children[0])

    def not_before(self, children: list[Token]) -> _Option:
        return _Option("not_before", name=str(children[-1]))

    def distinct(self, children: list[Token]) -> _Option:
        return _Option("distinct")

    def key(self, children: list[Token]) -> _Option:
        return _Option("key")

    @_with_meta
    def output(self, meta: Meta, children: list[Any]) -> n.Output:
        names = [c for c in children if isinstance(c, Token) and c.type == "NAME"]
        *path, type_name = names
        description = next(
            (_unquote(c) for c in children if isinstance(c, Token) and c.type == "STRING"), None
        )
        clauses, provenance = self._meta(children)
        type_ref = n.TypeRef(str(type_name), span=self.span(type_name))
        return n.Output(
            tuple(str(p) for p in path), type_ref, description, clauses, provenance, span=self.span(meta)
        )

    @_with_meta
    def enum_member(self, meta: Meta, children: list[Token]) -> n.EnumMember:
        return n.EnumMember(str(children[0]), span=self.span(meta))

    @_with_meta
    def definition(self, meta: Meta, children: list[Any]) -> n.Definition:
        name, *rest = children
        params: tuple[n.Param, ...] = ()
        if rest and isinstance(rest[0], list):
            params = tuple(rest.pop(0))
        returns = rest.pop(0)
        clauses, provenance = self._meta(rest)
        lets = tuple(c for c in rest if isinstance(c, n.Let))
        result = rest[-1]
        return n.Definition(
            str(name),
            params,
            n.TypeRef(str(returns), span=self.span(returns)),
            clauses,
            provenance,
            lets,
            result,
            span=self.span(meta),
        )

    def params(self, children: list[n.Param]) -> list[n.Param]:
        return list(children)

    @_with_meta
    def param(self, meta: Meta, children: list[Token]) -> n.Param:
        declared = n.TypeRef(str(children[1]), span=self.span(children[1]))
        return n.Param(str(children[0]), declared, span=self.span(meta))

    @_with_meta
    def action(self, meta: Meta, children: list[Any]) -> n.Action:
        name, *rest = children
        description = None
        if rest and isinstance(rest[0], Token):
            description = _unquote(rest.pop(0))
        return n.Action(str(name), description, tuple(rest), span=self.span(meta))

    @_with_meta
    def rule(self, meta: Meta, children: list[Any]) -> n.Rule:
        kind, name, *rest = children
        clauses: tuple[n.Clause, ...] = ()
        if rest and isinstance(rest[0], tuple):
            clauses = rest.pop(0)
        condition = None
        if rest and not isinstance(rest[0], (*_STATEMENT_NODES, n.Provenance)):
            condition = rest.pop(0)
        provenance = rest.pop(0) if rest and isinstance(rest[0], n.Provenance) else None
        return n.Rule(
            n.RuleKind(str(kind)),
            str(name),
            clauses,
            condition,
            tuple(rest),
            provenance,
            span=self.span(meta),
        )

    # -- tests

    @_with_meta
    def test(self, meta: Meta, children: list[Any]) -> n.Test:
        name, *rest = children
        description = _unquote(rest.pop(0)) if rest and isinstance(rest[0], Token) else None
        return n.Test(str(name), description, tuple(rest), span=self.span(meta))

    @_with_meta
    def request_line(self, meta: Meta, children: list[Token]) -> n.RequestLine:
        return n.RequestLine(str(children[0]), self._date(children[1]), span=self.span(meta))

    @_with_meta
    def customer_line(self, meta: Meta, children: list[Any]) -> n.CustomerLine:
        *children, settings = _split_settings(children)
        role, ident, standing = children
        self._word(standing, ("existing", "new"))
        existing = str(standing) == "existing"
        return n.CustomerLine(_unquote(ident), existing, str(role), settings, span=self.span(meta))

    @_with_meta
    def contract_line(self, meta: Meta, children: list[Any]) -> n.ContractLine:
        *children, settings = _split_settings(children)
        ident, fee, start, end, *licenses = children
        return n.ContractLine(
            _unquote(ident),
            fee,
            self._date(start),
            self._date(end),
            tuple(_unquote(t) for t in licenses),
            settings,
            span=self.span(meta),
        )

    @_with_meta
    def license_line(self, meta: Meta, children: list[Any]) -> n.LicenseLine:
        *children, settings = _split_settings(children)
        ident, kind, fee, shipped = children
        self._word(kind, ("perpetual", "subscription"))
        shipped_on = self._date(shipped)
        return n.LicenseLine(_unquote(ident), str(kind), fee, shipped_on, settings, span=self.span(meta))

    @_with_meta
    def record_line(self, meta: Meta, children: list[Any]) -> n.RecordLine:
        *children, settings = _split_settings(children)
        record, *ident = children
        key = _unquote(ident[0]) if ident else None
        return n.RecordLine(str(record), key, settings, span=self.span(meta))

    def fact_settings(self, children: list[Any]) -> _Settings:
        settings: list[n.FactSetting] = []
        for child in children:
            if isinstance(child, Token):
                settings.append(n.FactSetting(str(child), (), span=self.span(child)))
            else:
                last = settings[-1]
                span = _through(last.span, child.span)
                settings[-1] = attrs.evolve(last, values=(*last.values, child), span=span)
        return _Settings(tuple(settings))

    def setting_name(self, children: list[Token]) -> Token:
        return children[0]

    @_with_meta
    def with_line(self, meta: Meta, children: list[Any]) -> n.WithLine:
        return n.WithLine(str(children[0]), tuple(children[1:]), span=self.span(meta))

    @_with_meta
    def enum_value(self, meta: Meta, children: list[Token]) -> n.EnumValueLiteral:
        return n.EnumValueLiteral(str(children[0]), span=self.span(meta))

    @_with_meta
    def expect_no_charge(self, meta: Meta, children: list[Token]) -> n.ExpectNoCharge:
        return n.ExpectNoCharge(span=self.span(meta))

    @_with_meta
    def expect_outcome(self, meta: Meta, children: list[Token]) -> n.ExpectOutcome:
        outcome, *clauses = children
        self._word(outcome, ("approved", "rejected"))
        found = tuple(n.Clause(str(c), span=self.span(c)) for c in clauses)
        return n.ExpectOutcome(str(outcome), found, span=self.span(meta))

    @_with_meta
    def expect_reason(self, meta: Meta, children: list[Token]) -> n.ExpectReason:
        clause = n.Clause(str(children[0]), span=self.span(children[0]))
        return n.ExpectReason(clause, span=self.span(meta))

    @_with_meta
    def expect_term(self, meta: Meta, children: list[Token]) -> n.ExpectTerm:
        return n.ExpectTerm(self._date(children[0]), self._date(children[1]), span=self.span(meta))

    @_with_meta
    def expect_charge(self, meta: Meta, children: list[Any]) -> n.ExpectCharge:
        code, amount, *rest = children
        start = end = contract = None
        if len(rest) >= 2 and isinstance(rest[0], Token) and rest[0].type == "DATE":
            start, end = self._date(rest[0]), self._date(rest[1])
            rest = rest[2:]
        if rest:
            contract = _unquote(rest[0])
        return n.ExpectCharge(str(code), amount, start, end, contract, span=self.span(meta))

    @_with_meta
    def expect_field(self, meta: Meta, children: list[Any]) -> n.ExpectField:
        *path, value = children
        return n.ExpectField(tuple(str(p) for p in path), value, span=self.span(meta))

    def _word(self, token: Token, allowed: tuple[str, ...]) -> None:
        if str(token) not in allowed:
            self.fail("P108", f"expected {' or '.join(allowed)}, found '{token}'", token)

    # -- statements

    @_with_meta
    def let(self, meta: Meta, children: list[Any]) -> n.Let:
        return n.Let(str(children[0]), children[1], span=self.span(meta))

    @_with_meta
    def reason(self, meta: Meta, children: list[Any]) -> n.Reason:
        clause = None
        if len(children) == 2:
            clause = n.Clause(str(children[0]), span=self.span(children[0]))
        return n.Reason(clause, children[-1], span=self.span(meta))

    @_with_meta
    def term(self, meta: Meta, children: list[Any]) -> n.Term:
        return n.Term(children[0], children[1], span=self.span(meta))

    @_with_meta
    def charge(self, meta: Meta, children: list[Any]) -> n.Charge:
        code, *rest = children
        clause = None
        if isinstance(rest[0], Token):
            token = rest.pop(0)
            clause = n.Clause(str(token), span=self.span(token))
        amount = rest.pop(0)
        start = end = contract = None
        for part in rest:
            if isinstance(part, tuple):
                start, end = part
            else:
                contract = part.value
        return n.Charge(str(code), clause, amount, start, end, contract, span=self.span(meta))

    def charge_period(self, children: list[n.Expr]) -> tuple[n.Expr, n.Expr]:
        return children[0], children[1]

    def charge_contract(self, children: list[n.Expr]) -> _OnContract:
        return _OnContract(children[0])

    @_with_meta
    def set(self, meta: Meta, children: list[Any]) -> n.Set:
        *path, value = children
        return n.Set(tuple(str(p) for p in path), value, span=self.span(meta))

    @_with_meta
    def for_each(self, meta: Meta, children: list[Any]) -> n.ForEach:
        variable, collection, *rest = children
        condition = None
        if rest and not isinstance(rest[0], _STATEMENT_NODES):
            condition = rest.pop(0)
        return n.ForEach(str(variable), collection, condition, tuple(rest), span=self.span(meta))

    # -- expressions

    @_with_meta
    def if_then_else(self, meta: Meta, children: list[n.Expr]) -> n.IfThenElse:
        return n.IfThenElse(children[0], children[1], children[2], span=self.span(meta))

    @_with_meta
    def first_where(self, meta: Meta, children: list[Any]) -> n.FirstWhere:
        return n.FirstWhere(str(children[0]), children[1], children[2], span=self.span(meta))

    @_with_meta
    def binary(self, meta: Meta, children: list[Any]) -> n.Binary:
        left, op, right = children
        return n.Binary(n.BinaryOp(str(op)), left, right, span=self.span(meta))

    @_with_meta
    def not_in(self, meta: Meta, children: list[Any]) -> n.Binary:
        return n.Binary(n.BinaryOp.NOT_IN, children[0], children[3], span=self.span(meta))

    @_with_meta
    def unary(self, meta: Meta, children: list[Any]) -> n.Unary:
        op = n.UnaryOp.NOT if str(children[0]) == "not" else n.UnaryOp.NEGATE
        return n.Unary(op, children[1], span=self.span(meta))

    @_with_meta
    def field_access(self, meta: Meta, children: list[Any]) -> n.FieldAccess:
        return n.FieldAccess(children[0], str(children[1]), span=self.span(meta))

    @_with_meta
    def name(self, meta: Meta, children: list[Token]) -> n.Name:
        return n.Name(str(children[0]), span=self.span(meta))

    @_with_meta
    def call(self, meta: Meta, children: list[Any]) -> n.Call:
        return n.Call(str(children[0]), tuple(children[1:]), span=self.span(meta))

    @_with_meta
    def aggregate(self, meta: Meta, children: list[Any]) -> n.Aggregate:
        function = n.AggregateFunction(str(children[0]))
        value = children[1]
        variable = str(children[2]) if len(children) > 2 else None
        collection = children[3] if len(children) > 3 else None
        condition = children[4] if len(children) > 4 else None
        return n.Aggregate(function, value, variable, collection, condition, span=self.span(meta))

    @_with_meta
    def given(self, meta: Meta, children: list[Token]) -> n.Given:
        return n.Given(str(children[0]), span=self.span(meta))

    # -- calendar and number constructs

    @_with_meta
    def calendar_count(self, meta: Meta, children: list[Any]) -> n.CalendarCount:
        lead, start, end, rounding = children
        unit = n.CalendarUnit(str(lead).split()[0])
        if isinstance(rounding, Token):
            rounding = n.Rounding(str(rounding))
        return n.CalendarCount(unit, start, end, rounding, span=self.span(meta))

    @_with_meta
    def whole_after(self, meta: Meta, children: list[Any]) -> n.WholeAfter:
        return n.WholeAfter(children[0], span=self.span(meta))

    @_with_meta
    def month_of(self, meta: Meta, children: list[Any]) -> n.MonthOf:
        part = n.MonthPart(str(children[0]).split()[0])
        return n.MonthOf(part, children[1], span=self.span(meta))

    @_with_meta
    def extreme(self, meta: Meta, children: list[Any]) -> n.Extreme:
        function = n.AggregateFunction(str(children[0]))
        if function not in (n.AggregateFunction.MIN, n.AggregateFunction.MAX):
            self.fail(
                "P121",
                f"'{function.value}' goes over a list; only min and max take two or more values",
                children[0],
                f"write: {function.value}(x for x in list)",
            )
        return n.Extreme(function, tuple(children[1:]), span=self.span(meta))

    @_with_meta
    def round(self, meta: Meta, children: list[Any]) -> n.Round:
        lead, value, *rest = children
        places = 0
        if rest:
            count, word = rest
            if str(word) not in ("place", "places"):
                self.fail("P120", f"expected places, found '{word}'", word, "write: round up(x, 2 places)")
            written = self._digits(count)
            if "." in written or len(written) > 2 or int(written) > _MOST_PLACES:
                self.fail(
                    "P120",
                    f"round to a whole number of places from 0 to {_MOST_PLACES}, not {count}",
                    count,
                )
            places = int(written)
        return n.Round(n.Rounding(str(lead).split()[-1]), value, places, span=self.span(meta))

    @_with_meta
    def band(self, meta: Meta, children: list[Any]) -> n.Band:
        _, quantity, *rest = children
        beyond = rest.pop() if rest and not isinstance(rest[-1], n.BandStep) else None
        return n.Band(quantity, tuple(rest), beyond, span=self.span(meta))

    @_with_meta
    def band_step(self, meta: Meta, children: list[Any]) -> n.BandStep:
        bound = n.Bound.UNDER if str(children[0]) == "under" else n.Bound.UP_TO
        return n.BandStep(bound, children[1], children[2], span=self.span(meta))

    def band_beyond(self, children: list[Any]) -> n.Expr:
        return children[0]  # type: ignore[no-any-return]

    # -- literals

    def _digits(self, token: Token) -> str:
        """The number as written, refused (L105) when it has more digits than the limit."""
        written = str(token)
        digits = sum(c.isdigit() for c in written)
        limit = self.limits.number_digits
        if digits > limit:
            self.fail(
                "L105",
                f"a number of {digits} digits; rule text may write at most {limit}",
                token,
                "a caller trusting this text may raise the number_digits limit",
            )
        return written

    @_with_meta
    def number(self, meta: Meta, children: list[Token]) -> n.NumberLiteral:
        return n.NumberLiteral(Decimal(self._digits(children[0])), span=self.span(meta))

    @_with_meta
    def percent(self, meta: Meta, children: list[Token]) -> n.PercentLiteral:
        return n.PercentLiteral(Decimal(self._digits(children[0])[:-1].rstrip()), span=self.span(meta))

    @_with_meta
    def quantity(self, meta: Meta, children: list[Token]) -> n.DurationLiteral:
        amount, unit = children
        self._digits(amount)
        if str(unit) not in _UNITS:
            hint = "durations are in days or months"
            if len(str(unit)) == 3:
                hint += f"; money is written with a capital currency code: {amount} {unit.upper()}"
            self.fail("P104", f"unknown unit '{unit}'", unit, hint)
        if "." in str(amount):
            self.fail("P105", f"a duration is a whole number of days or months, not {amount}", amount)
        return n.DurationLiteral(int(str(amount)), _UNITS[str(unit)], span=self.span(meta))

    @_with_meta
    def money(self, meta: Meta, children: list[Token]) -> n.MoneyLiteral:
        amount, currency = children
        return n.MoneyLiteral(Decimal(self._digits(amount)), str(currency), span=self.span(meta))

    @_with_meta
    def date(self, meta: Meta, children: list[Token]) -> n.DateLiteral:
        return n.DateLiteral(self._date(children[0]), span=self.span(meta))

    def _date(self, token: Token) -> datetime.date:
        try:
            return datetime.date.fromisoformat(str(token))
        except ValueError:
            self.fail("P106", f"'{token}' is not a calendar date", token, "write dates as YYYY-MM-DD")
            raise

    @_with_meta
    def boolean(self, meta: Meta, children: list[Token]) -> n.BoolLiteral:
        return n.BoolLiteral(str(children[0]) == "true", span=self.span(meta))

    @_with_meta
    def text(self, meta: Meta, children: list[Token]) -> n.TextLiteral:
        return self._text(children[0], self.span(meta))

    def _text(self, token: Token, span: Span) -> n.TextLiteral:
        # Scanned in the text as written (escapes included) so placeholder columns are exact.
        raw = str(token)[1:-1]
        parts: list[str | n.Name | n.FieldAccess] = []
        position = 0
        for match in _PLACEHOLDER.finditer(raw):
            parts.append(raw[position : match.start()])
            position = match.end()
            piece = match.group(0)
            if match.group(1) is not None:
                parts.append(match.group(1))
            elif piece in ("{{", "}}"):
                parts.append(piece[0])
            elif match.group(2) is None or not _DOTTED.match(match.group(2).strip()):
                column = span.column + 1 + match.start()
                where = Span(span.source, span.line, column, span.line, column + len(piece))
                raise PolicySyntaxError(
                    "P107",
                    f"'{piece}' in a text is not a placeholder",
                    where,
                    "placeholders are names like {expiry} or {contract.end}; write {{ and }} for braces",
                )
            else:
                parts.append(self._placeholder(match, span))
        parts.append(raw[position:])
        return n.TextLiteral(_join_text(parts), span=span)

    def _placeholder(self, match: re.Match[str], span: Span) -> n.Name | n.FieldAccess:
        inner = match.group(2)
        offset = span.column + 1 + match.start(2)
        stripped = inner.strip()
        offset += len(inner) - len(inner.lstrip())
        names = stripped.split(".")
        end = offset + len(names[0])
        node: n.Name | n.FieldAccess = n.Name(
            names[0], span=Span(span.source, span.line, offset, span.line, end)
        )
        for field in names[1:]:
            end += 1 + len(field)
            node = n.FieldAccess(node, field, span=Span(span.source, span.line, offset, span.line, end))
        return node


class _OnContract:
    """The target of `on` in a charge, kept apart from the period pair while building."""

    def __init__(self, value: n.Expr) -> None:
        self.value = value


def _join_text(
    parts: list[str | n.Name | n.FieldAccess],
) -> tuple[str | n.Name | n.FieldAccess, ...]:
    """Merge adjacent strings and drop empty ones, so equal texts build equal parts."""
    joined: list[str | n.Name | n.FieldAccess] = []
    for part in parts:
        if isinstance(part, str) and joined and isinstance(joined[-1], str):
            joined[-1] += part
        elif part != "":
            joined.append(part)
    return tuple(joined)


# -- syntax errors in the analyst's terms --------------------------------------------

_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "PERCENT": "a percentage such as 25%",
    "STRING": 'a quoted text "..."',
    "CLAUSE": "a clause such as §8.3",
    "DATE": "a date (YYYY-MM-DD)",
    "CURRENCY": "a currency code such as USD",
    "$END": "the end of the file",
    "CALENDAR_COUNT": "'months from'",
    "MONTH_OF": "'start of month of'",
    "ROUND": "'round up'",
    "BAND_OF": "'band of'",
}

# Hand-picked messages for mistakes analysts make. Each is recognised from the token
# found, what the parser expected and the words just before it, so it holds at any
# depth (Lark's match_examples only matches an example's own parser state).
_EQUALS_TO_COMPARE = ("P110", "'=' does not compare; write '==' to compare two values", "use == or !=")
_PARAMETER_VALUE = ("P111", "a parameter needs a value", "write: parameter name = value")
_CLAUSE_SIGN = ("P112", "a clause is cited with the § sign", "write §8.3")
_RULE_NAME = (
    "P113",
    "a rule needs a name after approve or reject",
    "write: approve late_renewal §8.2 when ...",
)


_RESULT = ("P114", "after its lets, a definition's value starts with 'result'", "write: result <value>")


def _known_mistake(error: UnexpectedToken, before: str) -> tuple[str, str, str] | None:
    """The hand-picked message for the mistake just before the unexpected token, if any.

    Read from the end of `before` (the text up to the token) without any pattern that
    could backtrack over the file, so even a file of one long comment is answered at once.
    """
    token, expected = error.token, set(error.expected)
    if token.type not in ("LET", "RESULT", "RBRACE") and _in_definition_after_lets(before):
        return _RESULT
    last, previous = _last_words(before)
    if _ends_with_word(last, ("approve", "reject")) or (
        last == "when" and _ends_with_word(previous, ("approve", "reject"))
    ):
        return _RULE_NAME
    if token.type == "EQUAL" and "EQ" in expected:
        return _EQUALS_TO_COMPARE
    if (
        _NAME.fullmatch(last)
        and _ends_with_word(previous, ("parameter",))
        and token.type not in ("EQUAL", "COLON")
    ):
        return _PARAMETER_VALUE
    if token.type == "NUMBER" and "CLAUSE" in expected:
        return _CLAUSE_SIGN
    if _in_calendar_count(before, token, expected):
        return _COUNT_ROUNDING
    return None


_COUNT_ROUNDING = (
    "P122",
    "a count of months runs from one date until another, and says how a part month counts",
    "write: months from expiry until date, rounded up (or rounded down, or "
    "a remainder of 15 days or more counting whole)",
)
_COUNT_LEAD = re.compile(r"\b(months|years)[ \t\r\n]+from\b")
_COUNT_END = re.compile(r"\brounded\b|\bwhole\b")


def _in_calendar_count(before: str, token: Token, expected: set[str]) -> bool:
    """The mistake is inside a `months from ... until ...` that has no rounding yet.

    Read in the last 2,000 characters only: a count is written on a line or two.
    """
    if not ("COMMA" in expected or "UNTIL" in expected or str(token) in ("rounded", "counting", "to")):
        return False
    tail = before[-2000:]
    leads = list(_COUNT_LEAD.finditer(tail))
    return bool(leads) and _COUNT_END.search(tail, leads[-1].end()) is None


_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_LET = re.compile(r"\blet\b")
_DEFINE = re.compile(r"\bdefine\b")


def _last_words(before: str) -> tuple[str, str]:
    """The last two words of `before` (split at white space), '' where there are fewer."""
    words = before.rsplit(None, 2)[-2:]
    return (words[-1] if words else ""), (words[-2] if len(words) > 1 else "")


def _ends_with_word(text: str, words: tuple[str, ...]) -> bool:
    """`text` ends with one of `words`, not as the tail of a longer name."""
    for word in words:
        if text.endswith(word):
            head = text[: -len(word)]
            return not head or not (head[-1].isalnum() or head[-1] == "_")
    return False


def _in_definition_after_lets(before: str) -> bool:
    """`before` ends on a new line inside a `define ... {` whose body so far has a `let`.

    The body is the text after the last brace, which must be a `{`; the words before
    that brace (after the brace before it) must hold `define`.
    """
    stripped = before.rstrip()
    if "\n" not in before[len(stripped) :]:
        return False
    opening = max(before.rfind("{"), before.rfind("}"))
    if opening < 0 or before[opening] != "{" or not _LET.search(before, opening + 1):
        return False
    start = max(before.rfind("{", 0, opening), before.rfind("}", 0, opening)) + 1
    return _DEFINE.search(before, start, opening) is not None


def _describe(terminal: str) -> str:
    if terminal in _WORDS:
        return _WORDS[terminal]
    try:
        pattern = _lark().get_terminal(terminal).pattern.value
    except KeyError:
        return terminal.lower()
    return f"'{pattern}'"


def _expected(names: set[str]) -> str:
    words = sorted({_describe(name) for name in names}, key=lambda w: (w.startswith("'"), w))
    if len(words) > 8:
        words = [*words[:7], "..."]
    return ", ".join(words[:-1]) + f" or {words[-1]}" if len(words) > 1 else words[0]


def _syntax_error(error: UnexpectedInput, source: Source) -> PolicySyntaxError:
    line, column = error.line or 1, error.column or 1
    if isinstance(error, UnexpectedCharacters):
        char = source.line(line)[column - 1 : column] or "?"
        span = Span(source, line, column, line, column + 1)
        hint = "texts are written in double quotes" if char == "'" else None
        return PolicySyntaxError("P102", f"unexpected character {char!r}", span, hint)
    token = getattr(error, "token", None)
    if isinstance(error, UnexpectedEOF) or (token is not None and token.type == "$END"):
        lines = _without_trailing_empty(source.lines)
        span = Span(source, len(lines), len(lines[-1]) + 1, len(lines), len(lines[-1]) + 2)
        expected = _expected(set(getattr(error, "expected", set()) or {"$END"}))
        return PolicySyntaxError(
            "P103", f"the file ends too early: expected {expected}", span, "is a '}' missing?"
        )
    assert isinstance(error, UnexpectedToken)
    width = len(str(error.token)) or 1
    span = Span(source, line, column, line, column + width)
    before = source.text[: _offset(source, line, column)]
    known = _known_mistake(error, before)
    if known is not None:
        code, message, hint = known
        return PolicySyntaxError(code, message, span, hint)
    found = _describe(error.token.type) if error.token.type in _WORDS else repr(str(error.token))
    return PolicySyntaxError("P101", f"expected {_expected(set(error.expected))}, found {found}", span)


def _without_trailing_empty(lines: tuple[str, ...]) -> tuple[str, ...]:
    """The lines of the file, without the empty one after its final newline."""
    return lines[:-1] if len(lines) > 1 and lines[-1] == "" else lines


def _offset(source: Source, line: int, column: int) -> int:
    """The index in the text of `line`:`column` (lines counted at '\\n', as Lark counts them)."""
    start = 0
    for _ in range(line - 1):
        found = source.text.find("\n", start)
        if found < 0:
            return len(source.text)
        start = found + 1
    return min(start + column - 1, len(source.text))
