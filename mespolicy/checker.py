"""Syntax trees to a typed, checked policy: names resolved, types and units checked, every error collected.

The checker never stops at the first error: it reports all it finds, and an
expression that already failed gets the `Unknown` type so its parents stay quiet.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from itertools import islice

import attrs

from mespolicy import nodes as n
from mespolicy import types as t
from mespolicy.checked import (
    Binding,
    CheckedDefinition,
    CheckedParameter,
    CheckedPolicy,
    Fact,
    ParameterRef,
)
from mespolicy.clauses import declared_clauses, undeclared
from mespolicy.cost import WorkBound, callees_first, work_errors
from mespolicy.declarations import Declared, declare_facts, standard_facts, with_standard_facts
from mespolicy.errors import Diagnostic, PolicyCheckError, collect, did_you_mean
from mespolicy.formatter import format_expr
from mespolicy.limits import DEFAULT as DEFAULT_LIMITS
from mespolicy.limits import Limits
from mespolicy.overlap import overlapping_rules
from mespolicy.parameter_types import bare_number, describe_range, outside, range_problems
from mespolicy.source import Span
from mespolicy.typecheck import Scope, literal_type, type_of


def check(files: tuple[n.PolicyFile, ...], limits: Limits = DEFAULT_LIMITS) -> CheckedPolicy:
    """Check the files of one policy; raise PolicyCheckError with every error found."""
    return _Checker(with_standard_facts(files), limits).run()


_STATEMENTS_OF_REJECT = (n.Let, n.Reason)
# Overlapping pairs reported per action, at most (errors.collect shows 50 in all).
_OVERLAPS_REPORTED = 100


class _Checker:
    def __init__(self, files: tuple[n.PolicyFile, ...], limits: Limits) -> None:
        self.files = files
        self.limits = limits
        self.errors: list[Diagnostic] = []
        self.types: dict[int, t.Type] = {}
        self.bindings: dict[int, Binding] = {}
        self.parameters: dict[str, CheckedParameter] = {}
        self.enums: dict[str, t.EnumType] = {}
        self.members: dict[str, t.EnumType] = {}
        self.facts: Mapping[str, Fact] = {}
        self.records: Mapping[str, t.Record] = {}
        self.fact_names: set[str] = set()
        self.definitions: dict[str, CheckedDefinition] = {}
        self.actions: dict[str, n.Action] = {}
        self.declared: dict[str, Span] = {}
        self.calls: dict[str, set[str]] = {}
        self.current_definition: str | None = None
        # parameters declared with a type and no value: another file (the including policy) gives them
        self.required: list[n.Parameter] = []
        self.required_ids: set[int] = set()
        self.header: n.PolicyHeader | None = None
        # bands whose thresholds check could order: a what-if run orders them again
        self.bands: list[n.Band] = []

    def fail(self, code: str, message: str, span: Span, hint: str | None = None) -> t.Unknown:
        self.errors.append(Diagnostic(code, message, span, hint))
        return t.UNKNOWN

    def run(self) -> CheckedPolicy:
        items = [item for file in self.files for item in file.items]
        clauses, repeated = declared_clauses(self.files)
        self.errors.extend(repeated)
        # the standard facts (read where a policy declares none) cite the shipped policy's clauses
        own = [item for file in self.files if file is not standard_facts() for item in file.items]
        self.errors.extend(undeclared(own, clauses))
        self.fact_names = {
            name
            for item in items
            if isinstance(item, n.Record | n.RequestFacts)
            for name in ([item.name] if isinstance(item, n.Record) else [f.name for f in item.fields])
        }
        for item in items:
            self.declare(item)
        for item in items:
            if isinstance(item, n.Enum):
                self.check_enum(item)
        declared = declare_facts(items, self.enums, self.fail)
        self.facts, self.records = declared.facts, declared.records
        self.declared_facts: Declared = declared
        for item in items:
            if isinstance(item, n.Parameter) and id(item) not in self.required_ids:
                self.check_parameter(item)
            elif isinstance(item, n.Definition):
                self.declare_definition(item)
        self.check_required()
        for item in items:
            if isinstance(item, n.Definition) and self.definitions[item.name].node is item:
                self.check_definition(item)
        self.check_cycles()
        for item in items:
            if isinstance(item, n.Action):
                self.check_action(item)
        if not self.errors:
            # only a policy whose every name and type checked has work to bound
            bound = WorkBound(self.definitions, self.bindings, self.limits.search_span)
            limit = self.limits.work_per_decision
            depth = self.limits.nesting_depth
            work_errors(bound, self.definitions, self.actions, self.calls, limit, depth, self.errors.append)
        if self.errors:
            raise PolicyCheckError(collect(self.errors), total=len(self.errors))
        return CheckedPolicy(
            self.files,
            self.parameters,
            self.enums,
            self.definitions,
            self.actions,
            self.types,
            self.bindings,
            self.limits,
            clauses,
            self.header,
            tuple(self.bands),
            self.facts,
            self.records,
            self.declared_facts.spec,
            self.declared_facts.outputs,
        )

    # -- declarations

    def declare(self, item: n.Item) -> None:
        kinds = (n.Include, n.LibraryInclude, n.ClauseList, n.Test, n.Record, n.RequestFacts, n.Output)
        if isinstance(item, kinds):
            return
        if isinstance(item, n.PolicyHeader):
            if self.header is not None:
                self.fail(
                    "C243",
                    "the policy is named twice",
                    item.span,
                    f"first named at {self.header.span}; a policy has one 'policy' line",
                )
            else:
                self.header = item
            return
        if isinstance(item, n.Parameter) and not item.values and item.declared_type is not None:
            self.required.append(item)
            self.required_ids.add(id(item))
            return
        if isinstance(item, n.Action):
            self.declare_name(item.name, item.span, "action", self.actions)
            self.actions.setdefault(item.name, item)
            return
        if item.name in self.fact_names:
            self.fail(
                "C202",
                f"'{item.name}' is already the name of a request fact or built-in type",
                item.span,
                "choose another name",
            )
            return
        self.declare_name(item.name, item.span, type(item).__name__.lower(), self.declared)

    def declare_name(self, name: str, span: Span, kind: str, table: Mapping[str, object]) -> None:
        first = self.declared.get(name) if table is self.declared else None
        if table is not self.declared and name in table:
            first = table[name].span  # type: ignore[attr-defined]
        if first is not None:
            self.fail("C202", f"{kind} '{name}' is defined twice", span, f"first defined at {first}")
        elif table is self.declared:
            self.declared[name] = span

    def check_provenance(
        self, what: str, clauses: tuple[n.Clause, ...], provenance: n.Provenance | None, span: Span
    ) -> None:
        if not clauses:
            self.fail("C206", f"{what} cites no clause", span, "add a line: clause §N.M")
        if provenance is None:
            self.fail(
                "C207",
                f"{what} does not say where its value comes from",
                span,
                'add a line: source "..." (the policy says so) or reading "..." (our reading)',
            )

    def check_enum(self, item: n.Enum) -> None:
        members = tuple(dict.fromkeys(m.name for m in item.members))
        listed: set[str] = set()
        for member in item.members:
            clash = self.members.get(member.name)
            if clash or member.name in self.declared or member.name in listed:
                self.fail("C202", f"'{member.name}' is defined twice", member.span)
            listed.add(member.name)
        enum = t.EnumType(item.name, members)
        self.enums[item.name] = enum
        self.members.update(dict.fromkeys(members, enum))

    def check_parameter(self, item: n.Parameter) -> None:
        self.check_provenance(f"parameter '{item.name}'", item.clauses, item.provenance, item.span)
        if not item.values:
            self.fail(
                "C214",
                f"parameter '{item.name}' has no value",
                item.span,
                f"give it a value; or, for the including policy to give, its type: parameter {item.name}:"
                " months (or days, money, rate, ...)",
            )
            self.parameters[item.name] = CheckedParameter(item, t.UNKNOWN, ())
            return
        declared = self.resolve_type(item.declared_type) if item.declared_type else None
        found = [self.literal_type(v.value, declared) for v in item.values]
        kind = declared or found[0]
        ranges = self.check_range(item, kind)
        for value, value_type in zip(item.values, found, strict=True):
            guess = bare_number(value.value, kind)
            if guess is not None:
                self.fail(
                    "C250",
                    f"parameter '{item.name}' is declared {_article(kind)}, but this value is a bare number",
                    value.value.span,
                    f"did you mean {guess}?",
                )
            elif not t.assignable(value_type, kind) and not isinstance(kind, t.Unknown):
                self.fail(
                    "C203",
                    f"parameter '{item.name}' is {kind}, but this value is {value_type}",
                    value.span,
                )
            else:
                self.check_in_range(item.name, value.value, ranges)
                if isinstance(kind, t.Money):
                    # each dated value narrows the currency, so two values cannot disagree
                    kind = t.join(kind, value_type) or kind
        self.check_effective_dates(item)
        values = tuple((v.effective, v.value) for v in item.values)
        self.parameters[item.name] = CheckedParameter(item, kind, values, ranges)

    def check_range(self, item: n.Parameter, kind: t.Type) -> tuple[n.ValueRange, ...]:
        """The parameter's declared range, when it fits the declared type (C250, C252 when not)."""
        if item.value_range is None:
            return ()
        problems = range_problems(item.value_range, kind)
        for problem in problems:
            self.fail(problem.code, problem.message, problem.span, problem.hint)
        return () if problems else (item.value_range,)

    def check_in_range(self, name: str, value: n.Literal, ranges: tuple[n.ValueRange, ...]) -> None:
        missed = outside(value, ranges)
        if missed is not None:
            self.fail(
                "C251",
                f"parameter '{name}' must be {describe_range(missed)}, but this value is"
                f" {format_expr(value)}",
                value.span,
                f"the range is declared at {missed.span}",
            )

    def check_required(self) -> None:
        """Each parameter declared without a value (a library's) is given by the policy, with its type."""
        for wanted in self.required:
            assert wanted.declared_type is not None
            kind = self.resolve_type(wanted.declared_type)
            given = self.parameters.get(wanted.name)
            if given is None:
                self.fail(
                    "C244",
                    f"parameter '{wanted.name}' ({wanted.declared_type.name}) is declared here without a"
                    " value, and the policy does not give it",
                    wanted.span,
                    f"give it in a file of the policy: parameter {wanted.name} = ..., with its clause and"
                    " source or reading",
                )
                # uses of the name stay quiet: the one error is here
                self.parameters[wanted.name] = CheckedParameter(wanted, t.UNKNOWN, ())
            elif (
                not isinstance(given.type, t.Unknown)
                and not isinstance(kind, t.Unknown)
                and not t.assignable(given.type, kind)
            ):
                meant = bare_number(given.values[0][1], kind) if given.values else None
                where = f"declared at {wanted.span}"
                self.fail(
                    "C245",
                    f"parameter '{wanted.name}' is given as {given.type}, but {wanted.span.source.path}"
                    f" needs {_article(kind)}",
                    given.node.values[0].span if given.node.values else given.node.span,
                    f"did you mean {meant}? {where}" if meant else where,
                )
            else:
                # the library's range holds for the policy's values, and for what-if values
                ranges = self.check_range(wanted, kind)
                for _, value in given.values:
                    self.check_in_range(wanted.name, value, ranges)
                self.parameters[wanted.name] = attrs.evolve(given, ranges=given.ranges + ranges)

    def check_effective_dates(self, item: n.Parameter) -> None:
        previous: date | None = None
        for index, value in enumerate(item.values):
            if value.effective is None and index > 0:
                self.fail("C214", "only the first value may leave out its date", value.span)
            elif value.effective is not None and previous is not None and value.effective <= previous:
                self.fail(
                    "C214",
                    f"values must take effect in date order: {value.effective} is not after {previous}",
                    value.span,
                )
            previous = value.effective or previous

    def literal_type(self, literal: n.Literal, declared: t.Type | None) -> t.Type:
        found = literal_type(literal, declared)
        self.types[id(literal)] = found
        return found

    def resolve_type(self, ref: n.TypeRef) -> t.Type:
        if ref.name in t.SCALARS:
            return t.SCALARS[ref.name]
        if ref.name == "money":
            return t.MONEY
        if ref.name in self.enums:
            return self.enums[ref.name]
        if ref.name in self.records:
            return self.records[ref.name]
        known = [*t.SCALARS, "money", *self.enums, *self.records]
        return self.fail("C215", f"unknown type '{ref.name}'", ref.span, did_you_mean(ref.name, known))

    def declare_definition(self, item: n.Definition) -> None:
        if item.clauses or item.provenance:
            self.check_provenance(f"definition '{item.name}'", item.clauses, item.provenance, item.span)
        params = tuple((p.name, self.resolve_type(p.declared_type)) for p in item.params)
        seen: set[str] = set()
        for param in item.params:
            if param.name in seen:
                self.fail("C202", f"parameter '{param.name}' is listed twice", param.span)
            seen.add(param.name)
        returns = self.resolve_type(item.returns)
        self.definitions.setdefault(item.name, CheckedDefinition(item, params, returns))

    def check_definition(self, item: n.Definition) -> None:
        checked = self.definitions[item.name]
        self.current_definition = item.name
        self.calls[item.name] = set()
        scope = Scope(dict(checked.params))
        for let in item.lets:
            scope = self.check_let(let, scope)
        found = self.expr(item.result, scope)
        self.expect(found, checked.returns, item.result.span, f"the result of '{item.name}'")
        self.current_definition = None

    def check_cycles(self) -> None:
        """C208 for definitions that call each other in a cycle (a walk with its own stack, so a chain
        of thousands of definitions needs no Python recursion)."""
        _, cycles = callees_first(self.calls, self.calls)
        for cycle in cycles:
            self.fail(
                "C208",
                "definitions depend on each other in a cycle: " + " -> ".join(cycle),
                self.definitions[cycle[-1]].node.span,
            )

    # -- actions, rules and statements

    def check_action(self, action: n.Action) -> None:
        rules = action.rules
        if len(rules) > self.limits.rules_per_action:
            limit = self.limits.rules_per_action
            self.fail(
                "L103",
                f"action '{action.name}' has {len(rules)} rules; an action may have at most {limit}"
                " (rules_per_action)",
                rules[limit].span,
                "split the action, or raise the rules_per_action limit",
            )
            return
        scope = Scope({})
        for item in action.body:
            if isinstance(item, n.Let):
                scope = self.check_let(item, scope)
            else:
                self.check_rule(item, scope)
        seen: dict[str, Span] = {}
        for rule in action.rules:
            if rule.name in seen:
                self.fail("C202", f"rule '{rule.name}' is defined twice", rule.span)
            seen.setdefault(rule.name, rule.span)
        approvals = [r for r in action.rules if r.kind is n.RuleKind.APPROVE]
        # a flood of overlaps (many rules without a condition) is cut, as any flood of errors is
        for first, second in islice(overlapping_rules(approvals), _OVERLAPS_REPORTED):
            self.fail(
                "C209",
                f"rules '{first.name}' and '{second.name}' of action '{action.name}' can both apply",
                second.span,
                f"'{first.name}' is at {first.span}; make their 'when' conditions exclusive",
            )

    def check_rule(self, rule: n.Rule, scope: Scope) -> None:
        if not rule.clauses:
            self.fail(
                "C206",
                f"rule '{rule.name}' cites no clause",
                rule.span,
                "write the clause after the rule's name: approve name §8.2 when ...",
            )
        if rule.condition is not None:
            self.expect(self.expr(rule.condition, scope), t.BOOL, rule.condition.span, "a 'when' condition")
        for statement in rule.body:
            if rule.kind is n.RuleKind.REJECT and not isinstance(statement, _STATEMENTS_OF_REJECT):
                self.fail(
                    "C211",
                    f"a reject rule only gives reasons; '{_keyword(statement)}' belongs in an approve rule",
                    statement.span,
                )
        self.check_block(rule.body, scope)
        self.check_fields(rule.body)

    def check_fields(self, body: tuple[n.Statement, ...]) -> None:
        """Each decision field is set once per rule, outside loops, and never over the decision's own keys."""
        seen: dict[tuple[str, ...], n.Set] = {}
        for statement, looped in _sets(body, looped=False):
            path = statement.path
            if looped:
                self.fail(
                    "C211", f"'{'.'.join(path)}' would be set once per item of the list", statement.span
                )
            elif path[0] in RESERVED_FIELDS:
                self.fail(
                    "C211",
                    f"'{path[0]}' is part of every decision and cannot be set",
                    statement.span,
                    "choose another field name",
                )
            for other, first in seen.items():
                if other[: len(path)] == path or path[: len(other)] == other:
                    self.fail(
                        "C211",
                        f"'{'.'.join(path)}' is set twice in this rule",
                        statement.span,
                        f"first set at {first.span}",
                    )
                    break
            seen.setdefault(path, statement)

    def check_block(self, body: tuple[n.Statement, ...], scope: Scope) -> None:
        for statement in body:
            if isinstance(statement, n.Let):
                scope = self.check_let(statement, scope)
            else:
                self.check_statement(statement, scope)

    def check_let(self, let: n.Let, scope: Scope) -> Scope:
        if scope.lookup(let.name) is not None or let.name in self.declared:
            self.fail("C202", f"'{let.name}' is already defined here", let.span, "choose another name")
        return scope.child({let.name: self.expr(let.value, scope)})

    def check_statement(self, statement: n.Statement, scope: Scope) -> None:
        if isinstance(statement, n.Reason):
            self.expr(statement.message, scope)
            if self.blank(statement.message):
                self.fail(
                    "C220",
                    "a reason must say something: this message is empty",
                    statement.message.span,
                    'write the reason in words, e.g. reason "Renewed within the notice period."',
                )
        elif isinstance(statement, n.Term):
            self.expect(self.expr(statement.start, scope), t.DATE, statement.start.span, "a term starts on")
            self.expect(self.expr(statement.end, scope), t.DATE, statement.end.span, "a term ends on")
        elif isinstance(statement, n.Charge):
            self.check_charge(statement, scope)
        elif isinstance(statement, n.Set):
            found = self.expr(statement.value, scope)
            if isinstance(found, t.Record | t.ListOf):
                self.fail(
                    "C203",
                    f"a decision field holds a single value, not a {found}",
                    statement.value.span,
                )
            else:
                self.check_output(statement, found)
        elif isinstance(statement, n.ForEach):
            element = self.element_type(statement.collection, scope)
            inner = scope.child({statement.variable: element})
            if statement.condition is not None:
                self.expect(
                    self.expr(statement.condition, inner),
                    t.BOOL,
                    statement.condition.span,
                    "a 'when' condition",
                )
            self.check_block(statement.body, inner)

    def check_output(self, statement: n.Set, found: t.Type) -> None:
        """A policy that declares its outputs sets only those, each with a value of its type (C221)."""
        outputs = self.declared_facts.outputs
        if not outputs:
            return
        output = outputs.get(statement.path)
        name = ".".join(statement.path)
        if output is None:
            known = [o.name for o in outputs.values()]
            self.fail(
                "C221",
                f"'{name}' is not an output of this policy",
                statement.span,
                did_you_mean(name, known) or "declare it: output " + name + ": TYPE",
            )
            return
        self.expect(found, self.resolve_type(output.type), statement.value.span, f"the output '{name}'")

    def blank(self, message: n.TextLiteral) -> bool:
        """Whether a message can only come out empty (or blank): no words, and any placeholder a
        text parameter whose every value is blank. A decision's reasons are never empty."""
        for part in message.parts:
            if isinstance(part, str):
                if part.strip():
                    return False
                continue
            binding = self.bindings.get(id(part))
            parameter = self.parameters.get(binding.name) if isinstance(binding, ParameterRef) else None
            if parameter is None or not all(_blank_text(value) for _, value in parameter.values):
                return False
        return True

    def check_charge(self, charge: n.Charge, scope: Scope) -> None:
        found = self.expr(charge.amount, scope)
        if not isinstance(found, t.Money | t.Unknown):
            self.fail("C203", f"a charge is an amount of money, not {found}", charge.amount.span)
        for bound in (charge.start, charge.end):
            if bound is not None:
                self.expect(self.expr(bound, scope), t.DATE, bound.span, "a charge period")
        if charge.contract is not None:
            contract = self.records.get("contract", t.UNKNOWN)
            self.expect(self.expr(charge.contract, scope), contract, charge.contract.span, "'on'")

    def expect(self, found: t.Type, wanted: t.Type, span: Span, what: str) -> None:
        if isinstance(found, t.Unknown) or isinstance(wanted, t.Unknown):
            return
        if t.join(found, wanted) is None or (wanted == t.INTEGER and found != t.INTEGER):
            self.fail("C203", f"{what} needs {_article(wanted)}, but this is {_article(found)}", span)

    # -- expressions

    def expr(self, node: n.Expr, scope: Scope) -> t.Type:
        found = type_of(self, node, scope)
        self.types[id(node)] = found
        return found

    def element_type(self, collection: n.Expr, scope: Scope) -> t.Type:
        found = self.expr(collection, scope)
        if isinstance(found, t.ListOf):
            return found.element
        if not isinstance(found, t.Unknown):
            self.fail(
                "C203",
                f"expected a list to go through, but this is {_article(found)}",
                collection.span,
            )
        return t.UNKNOWN

    def note_call(self, callee: str) -> None:
        if self.current_definition is not None:
            self.calls[self.current_definition].add(callee)


def _blank_text(value: n.Literal) -> bool:
    return (
        isinstance(value, n.TextLiteral) and not "".join(p for p in value.parts if isinstance(p, str)).strip()
    )


def _article(found: t.Type) -> str:
    text = str(found)
    if text.startswith("list") or text.startswith("unknown"):
        return text
    if text in ("days", "months"):
        return f"a duration in {text}"
    return ("an " if text[0] in "aeiou" else "a ") + text


# The keys every decision has; a rule's `set` cannot use them.
RESERVED_FIELDS = frozenset(
    {"action", "outcome", "reasons", "term", "charges", "total", "trace", "ref", "policy"}
)


def _sets(body: tuple[n.Statement, ...], looped: bool) -> Iterator[tuple[n.Set, bool]]:
    for statement in body:
        if isinstance(statement, n.Set):
            yield statement, looped
        elif isinstance(statement, n.ForEach):
            yield from _sets(statement.body, looped=True)


def _keyword(statement: n.Statement) -> str:
    """The word a statement starts with in a rule file."""
    return "for" if isinstance(statement, n.ForEach) else type(statement).__name__.lower()
