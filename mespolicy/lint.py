"""Warnings on a policy that checks (W1xx): what it declares that no rule can ever read.

A warning does not stop a policy from loading or deciding; `mespolicy check` prints
them and `check --strict` fails on them (as `opa check --strict`). Each kind of
warning is one function of the checked policy in `LINTS`; another analysis (dead
rules, unreachable bands) adds its own function there and its diagnostics are
reported, sorted and made errors by `--strict` with the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from mespolicy import nodes as n
from mespolicy.checked import CheckedPolicy, DefinitionRef, ParameterRef
from mespolicy.cost import children
from mespolicy.errors import Diagnostic, Severity, collect
from mespolicy.loader import LIBRARY_PREFIX
from mespolicy.source import Span

Lint = Callable[[CheckedPolicy], Iterable[Diagnostic]]


def warning(code: str, message: str, span: Span, hint: str | None = None) -> Diagnostic:
    """A diagnostic of warning severity (its code a W)."""
    return Diagnostic(code, message, span, hint, Severity.WARNING)


def unread_declarations(checked: CheckedPolicy) -> Iterator[Diagnostic]:
    """W101 for a parameter, W102 for a definition, that no action reads, directly or through definitions.

    A library's definitions are read by the library itself: a policy includes a library
    for some of its definitions, and the parameters it gives are those the library needs.
    """
    reads = _Reads(checked)
    reached: set[str] = set()
    waiting = [name for action in checked.actions.values() for name in reads.of_action(action)]
    waiting += [name for name, d in checked.definitions.items() if _in_library(d.node.span)]
    while waiting:
        name = waiting.pop()
        if name in reached:
            continue
        reached.add(name)
        if name in checked.definitions:
            waiting.extend(reads.of_definition(checked.definitions[name].node))
    # a parameter read only by definitions no rule uses: the hint names the first of them
    unused_readers = {
        read: name
        for name, definition in list(checked.definitions.items())[::-1]
        if name not in reached
        for read in reads.of_definition(definition.node)
    }
    for name, parameter in checked.parameters.items():
        node = parameter.node
        if name not in reached and not _in_library(node.span):
            reader = unused_readers.get(name)
            yield warning(
                "W101",
                f"parameter '{name}' is never read by a rule",
                node.span,
                f"only definition '{reader}' reads it, and no rule uses that" if reader else
                "use it in a rule, or remove it",
            )
    for name, definition in checked.definitions.items():
        if name not in reached and not _in_library(definition.node.span):
            yield warning(
                "W102",
                f"definition '{name}' is never used by a rule",
                definition.node.span,
                "use it in a rule, or remove it",
            )


LINTS: tuple[tuple[str, Lint], ...] = (("unread declarations", unread_declarations),)


def warnings_of(checked: CheckedPolicy, lints: Iterable[tuple[str, Lint]] = LINTS) -> tuple[Diagnostic, ...]:
    """Every warning on the policy, in file and line order."""
    found = [diagnostic for _, lint in lints for diagnostic in lint(checked)]
    return tuple(collect(found, limit=len(found)))


def _in_library(span: Span) -> bool:
    return span.source.path.startswith(LIBRARY_PREFIX)


class _Reads:
    """The parameters and definitions an action or a definition names."""

    def __init__(self, checked: CheckedPolicy) -> None:
        self.checked = checked

    def of_definition(self, definition: n.Definition) -> Iterator[str]:
        for let in definition.lets:
            yield from self.of_expr(let.value)
        yield from self.of_expr(definition.result)

    def of_action(self, action: n.Action) -> Iterator[str]:
        for item in action.body:
            if isinstance(item, n.Let):
                yield from self.of_expr(item.value)
            else:
                if item.condition is not None:
                    yield from self.of_expr(item.condition)
                yield from self.of_statements(item.body)

    def of_statements(self, body: tuple[n.Statement, ...]) -> Iterator[str]:
        for statement in body:
            for expr in _exprs(statement):
                if expr is not None:
                    yield from self.of_expr(expr)
            if isinstance(statement, n.ForEach):
                yield from self.of_statements(statement.body)

    def of_expr(self, root: n.Expr) -> Iterator[str]:
        # a walk with its own stack: expressions may nest as deep as the limits allow
        stack = [root]
        while stack:
            node = stack.pop()
            stack.extend(children(node))
            if isinstance(node, n.Call) and node.function in self.checked.definitions:
                yield node.function
            elif isinstance(node, n.Name):
                binding = self.checked.bindings.get(id(node))
                if isinstance(binding, ParameterRef | DefinitionRef):
                    yield binding.name


def _exprs(statement: n.Statement) -> tuple[n.Expr | None, ...]:
    """The expressions a statement holds (a loop's body is walked apart)."""
    match statement:
        case n.Let(value=value):
            return (value,)
        case n.Reason(message=message):
            return (message,)
        case n.Term(start=start, end=end):
            return (start, end)
        case n.Charge(amount=amount, start=start, end=end, contract=contract):
            return (amount, start, end, contract)
        case n.Set(value=value):
            return (value,)
        case n.ForEach(collection=collection, condition=condition):
            return (collection, condition)
    return ()
