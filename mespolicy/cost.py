"""A static bound on the work of one decision: a policy that would hang is refused when checked (L106).

The bound counts steps, about one per expression evaluated:

* a search `first k from s where c` counts its condition once for every number it may
  try (`Limits.search_span`), so searches nested in searches multiply;
* a call of a definition (or a definition without parameters named as a value) counts
  the definition's whole work at each call; each definition's work is computed once and
  remembered, so the bound is linear to compute even where the work it bounds is exponential;
* a loop over a request's list (`for`, `any(...)`, `sum(...)`) counts its body once: the
  bound is per item of the request's lists (docs/reliability.rst says what that leaves out);
* an action counts its lets once (they are computed once), every rule's condition, and the
  body of the one rule that applies (the costliest).

Counts saturate at `_CAP`, so no number here grows without bound.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

from mespolicy import nodes as n
from mespolicy.checked import Binding, CheckedDefinition, DefinitionRef, Local
from mespolicy.errors import Diagnostic
from mespolicy.source import Span

_CAP = 10**18


def _add(*counts: int) -> int:
    return min(sum(counts), _CAP)


def _times(a: int, b: int) -> int:
    return min(a * b, _CAP)


class WorkBound:
    """The work of expressions, statements, definitions and actions of one checked policy."""

    def __init__(
        self,
        definitions: Mapping[str, CheckedDefinition],
        bindings: Mapping[int, Binding],
        search_span: int,
    ) -> None:
        self.definitions = definitions
        self.bindings = bindings
        self.search_span = search_span
        self.known: dict[str, int] = {}
        self.memo: dict[int, int] = {}
        # how deep evaluation nests, through definitions called and action lets used
        self.depths: dict[int, int] = {}
        self.definition_depths: dict[str, int] = {}
        self.let_depths: dict[str, int] = {}

    def definition_depth(self, name: str) -> int:
        found = self.definition_depths.get(name)
        if found is None:
            self.definition_depths[name] = 0  # a cycle is C208
            node = self.definitions[name].node
            values = [let.value for let in node.lets]
            found = self.definition_depths[name] = max(self.depth(e) for e in [*values, node.result])
        return found

    def depth(self, node: n.Expr) -> int:
        found = self.depths.get(id(node))
        if found is None:
            inner = max((self.depth(child) for child in children(node)), default=0)
            match node:
                case n.Call(function=function) if function in self.definitions:
                    inner = max(inner, self.definition_depth(function))
                case n.Name(name=name):
                    binding = self.bindings.get(id(node))
                    if isinstance(binding, DefinitionRef) and binding.name in self.definitions:
                        inner = self.definition_depth(binding.name)
                    elif isinstance(binding, Local):
                        inner = self.let_depths.get(name, 0)
            found = self.depths[id(node)] = 1 + inner
        return found

    def deepest(self, node: n.Expr, limit: int) -> n.Expr:
        """The innermost part of `node` that alone nests deeper than `limit`."""
        while True:
            inner = [c for c in children(node) if self.depth(c) > limit]
            if not inner:
                return node
            node = inner[0]

    # -- definitions and actions

    def definition(self, name: str) -> int:
        """The work of one call of definition `name` (computed once)."""
        found = self.known.get(name)
        if found is None:
            self.known[name] = 0  # a cycle is the checker's error C208; count it no further
            node = self.definitions[name].node
            found = self.known[name] = _add(
                *(self.expr(let.value) for let in node.lets), self.expr(node.result)
            )
        return found

    def action(self, action: n.Action) -> int:
        lets = _add(*(self.expr(let.value) for let in action.lets))
        conditions = _add(*(1 + (self.expr(r.condition) if r.condition else 0) for r in action.rules))
        bodies = max((self.block(r.body) for r in action.rules), default=0)
        return _add(lets, conditions, bodies)

    def parts(self, action: n.Action) -> Iterator[tuple[int, Span, n.Expr | None]]:
        """The action's lets, conditions and statements with their work, to find the costliest."""
        for let in action.lets:
            yield self.expr(let.value), let.span, let.value
        for rule in action.rules:
            if rule.condition is not None:
                yield self.expr(rule.condition), rule.condition.span, rule.condition
            for statement in rule.body:
                value = statement.value if isinstance(statement, n.Let | n.Set) else None
                yield self.statement(statement), statement.span, value

    # -- statements

    def block(self, body: tuple[n.Statement, ...]) -> int:
        return _add(*(self.statement(s) for s in body))

    def statement(self, statement: n.Statement) -> int:
        match statement:
            case n.Let(value=value):
                return _add(1, self.expr(value))
            case n.Reason(message=message):
                return _add(1, self.expr(message))
            case n.Term(start=start, end=end):
                return _add(1, self.expr(start), self.expr(end))
            case n.Charge(amount=amount, start=start, end=end, contract=contract):
                bounds = (self.expr(e) for e in (start, end, contract) if e is not None)
                return _add(1, self.expr(amount), *bounds)
            case n.Set(value=value):
                return _add(1, self.expr(value))
            case n.ForEach(collection=collection, condition=condition, body=body):
                test = self.expr(condition) if condition is not None else 0
                return _add(1, self.expr(collection), test, self.block(body))
        return 1

    # -- expressions

    def expr(self, node: n.Expr) -> int:
        found = self.memo.get(id(node))
        if found is None:
            found = self.memo[id(node)] = self._expr(node)
        return found

    def _expr(self, node: n.Expr) -> int:
        match node:
            case n.FirstWhere(start=start, condition=condition):
                return _add(1, self.expr(start), _times(self.search_span, _add(1, self.expr(condition))))
            case n.Call(function=function, arguments=arguments):
                callee = self.definition(function) if function in self.definitions else 0
                return _add(1, callee, *(self.expr(a) for a in arguments))
            case n.Name():
                binding = self.bindings.get(id(node))
                if isinstance(binding, DefinitionRef) and binding.name in self.definitions:
                    return _add(1, self.definition(binding.name))
                return 1
            case n.IfThenElse(condition=condition, then=then, otherwise=otherwise):
                return _add(1, self.expr(condition), max(self.expr(then), self.expr(otherwise)))
            case n.Band(quantity=quantity, steps=steps, beyond=beyond):
                # every threshold may be compared, one value computed (the costliest)
                values = [step.value for step in steps] + ([beyond] if beyond is not None else [])
                thresholds = (self.expr(step.threshold) for step in steps)
                return _add(1, self.expr(quantity), *thresholds, max(self.expr(v) for v in values))
        return _add(1, *(self.expr(child) for child in children(node)))

    def costliest(self, node: n.Expr, limit: int) -> n.Expr:
        """The innermost part of `node` whose work alone is over `limit` (`node` itself if none)."""
        while True:
            inner = [c for c in children(node) if self.expr(c) > limit]
            if not inner:
                return node
            node = max(inner, key=self.expr)


def children(node: n.Expr) -> tuple[n.Expr, ...]:
    """The expressions directly inside `node`."""
    match node:
        case n.TextLiteral(parts=parts):
            return tuple(p for p in parts if not isinstance(p, str))
        case n.FieldAccess(subject=subject):
            return (subject,)
        case n.Call(arguments=arguments):
            return arguments
        case n.Aggregate(collection=collection, value=value, condition=condition):
            return tuple(e for e in (collection, value, condition) if e is not None)
        case n.Unary(operand=operand):
            return (operand,)
        case n.Binary(left=left, right=right):
            return (left, right)
        case n.IfThenElse(condition=condition, then=then, otherwise=otherwise):
            return (condition, then, otherwise)
        case n.FirstWhere(start=start, condition=condition):
            return (start, condition)
        case n.CalendarCount(start=start, end=end, rounding=rounding):
            return (start, end, rounding.days) if isinstance(rounding, n.WholeAfter) else (start, end)
        case n.MonthOf(date=day):
            return (day,)
        case n.Extreme(values=values):
            return values
        case n.Round(value=value):
            return (value,)
        case n.Band(quantity=quantity, steps=steps, beyond=beyond):
            rows = tuple(e for step in steps for e in (step.threshold, step.value))
            return (quantity, *rows, beyond) if beyond is not None else (quantity, *rows)
    return ()


def shown(work: int) -> str:
    return f"{work:,}" if work < _CAP else f"more than {_CAP:,}"


def work_errors(
    bound: WorkBound,
    definitions: Mapping[str, CheckedDefinition],
    actions: Mapping[str, n.Action],
    calls: Mapping[str, Iterable[str]],
    limit: int,
    depth_limit: int,
    fail: Callable[[Diagnostic], None],
) -> None:
    """L106 for each definition and action whose work per call or decision is over `limit`, and
    L104 where evaluation nests deeper than `depth_limit` through the definitions and lets it uses.

    A definition is reported only where its own work crosses the limit, not again at every
    definition that calls it (`calls`: the definitions each one calls).
    """
    order, _ = callees_first(definitions, calls)  # cycles are the checker's C208, reported already
    for name in order:
        bound.definition(name)  # callees first, so no chain of calls recurses here
        bound.definition_depth(name)
    _depth_errors(bound, definitions, actions, calls, depth_limit, fail)
    hint = (
        "a 'first ... where' tries up to search_span numbers, searches inside searches multiply, and a "
        "definition's work counts again at each call; compute a value once with 'let', or raise "
        "the work_per_decision limit"
    )
    for name, definition in definitions.items():
        work = bound.definition(name)
        if work > limit and all(bound.definition(callee) <= limit for callee in calls.get(name, ())):
            node = definition.node
            spot = bound.costliest(node.result, limit) if bound.expr(node.result) > limit else None
            span = spot.span if spot is not None else node.span
            fail(
                Diagnostic(
                    "L106",
                    f"one call of '{name}' may take {shown(work)} steps; "
                    f"a decision may take at most {limit:,} (work_per_decision)",
                    span,
                    hint,
                )
            )
    for name, action in actions.items():
        work = bound.action(action)
        if work <= limit:
            continue
        cost, span, expr = max(bound.parts(action), key=lambda part: part[0])
        if expr is not None and cost > limit:
            span = bound.costliest(expr, limit).span
        fail(
            Diagnostic(
                "L106",
                f"one decision of action '{name}' may take {shown(work)} steps; "
                f"at most {limit:,} are allowed (work_per_decision)",
                span,
                hint,
            )
        )


def callees_first(
    names: Iterable[str], calls: Mapping[str, Iterable[str]]
) -> tuple[list[str], list[list[str]]]:
    """The definitions in an order where each comes after those it calls, and the cycles met.

    One walk with its own stack, so a chain of thousands of definitions needs no Python
    recursion; a cycle is given as the names around it, its first name again at its end.
    """
    roots = list(names)
    known = set(roots)
    order: list[str] = []
    cycles: list[list[str]] = []
    done: dict[str, bool] = {}  # False while a name is on the path, True once left
    for root in roots:
        if root in done:
            continue
        done[root] = False
        path = [root]
        pending = [iter(sorted(calls.get(root, ())))]
        while pending:
            callee = next(pending[-1], None)
            if callee is None:
                name = path.pop()
                done[name] = True
                order.append(name)
                pending.pop()
            elif done.get(callee) is False:
                cycles.append([*path[path.index(callee) :], callee])
            elif callee not in done and callee in known:
                done[callee] = False
                path.append(callee)
                pending.append(iter(sorted(calls.get(callee, ()))))
    return order, cycles


def _depth_errors(
    bound: WorkBound,
    definitions: Mapping[str, CheckedDefinition],
    actions: Mapping[str, n.Action],
    calls: Mapping[str, Iterable[str]],
    limit: int,
    fail: Callable[[Diagnostic], None],
) -> None:
    """L104 where evaluation would nest deeper than `limit` (Python's stack is bounded) through calls
    of definitions and action lets: at the definition where the chain crosses the limit, and at the
    expression of an action that goes deeper."""
    hint = "shorten the chain of definitions or lets, or split the expression"

    def report(what: str, depth: int, span: Span) -> None:
        message = f"{what} nests {depth} deep through the definitions and lets it uses; at most {limit}"
        fail(Diagnostic("L104", message + " (nesting_depth)", span, hint))

    for name, definition in definitions.items():
        depth = bound.definition_depth(name)
        if depth > limit and all(bound.definition_depth(c) <= limit for c in calls.get(name, ())):
            node = definition.node
            values = [let.value for let in node.lets]
            worst = max([*values, node.result], key=bound.depth)
            report(f"definition '{name}'", depth, bound.deepest(worst, limit).span)
    for action in actions.values():
        bound.let_depths = {}
        for let in action.lets:
            bound.let_depths[let.name] = bound.depth(let.value)
        deep = [(e, f"let '{let.name}'") for let in action.lets for e in (let.value,)]
        deep += [(e, "this expression") for e in _expressions(action)]
        for expr, what in deep:
            if bound.depth(expr) > limit:
                report(what, bound.depth(expr), bound.deepest(expr, limit).span)
                break  # the first is the root of the others
        bound.let_depths = {}


def _expressions(action: n.Action) -> Iterator[n.Expr]:
    """The top expressions of an action's rules: conditions and the values of statements."""
    for rule in action.rules:
        if rule.condition is not None:
            yield rule.condition
        pending = list(rule.body)
        while pending:
            statement = pending.pop()
            match statement:
                case n.Let(value=value) | n.Set(value=value):
                    yield value
                case n.Reason(message=message):
                    yield message
                case n.Term(start=start, end=end):
                    yield from (start, end)
                case n.Charge(amount=amount, start=start, end=end, contract=contract):
                    yield from (e for e in (amount, start, end, contract) if e is not None)
                case n.ForEach(collection=collection, condition=condition, body=body):
                    yield collection
                    if condition is not None:
                        yield condition
                    pending.extend(body)
