"""The explaining variant of the compiled policy: the same generated code, noting the values it reads.

`compiler.py` writes each action as Python once; this module writes it a second time
from the same checked tree, through the same emitter, with each sub-expression wrapped
in a call that notes its value on a recorder (`R.note(k, ...)`, `k` the node's number)
before handing it on. So an explanation shows what the deciding code computed, in the
order and with the short-circuits it computed it, and nothing evaluates the rule
language a second time. The source follows `compiler.py`'s rules (names from the
checker, literals by `repr` or bound constants) and is compiled on first use only,
so loading a policy costs no more than before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from mespolicy import nodes as n
from mespolicy.checked import CheckedDefinition, CheckedPolicy, DefinitionRef
from mespolicy.compiler import _action_name, _Expressions, _Generator, _namespace
from mespolicy.model.decision import Decision

# Sub-expressions nested deeper than this are computed but not noted: each note is one more
# bracket, and Python's parser has a limit on brackets (an explanation shows such a part as
# written). A policy nested near that limit already is noted less deep, down to not at all.
_NOTED_DEPTHS = (40, 8, 0)


class Recording:
    """What one explained decision computed: per rule its condition's values, per charge its amount's.

    A frame maps node numbers to values. A definition's call gets a frame of its own, kept in
    the caller's frame at `-k - 1` beside the call's value at `k`, so a formula can open the
    call up with the values of that call.
    """

    def __init__(self) -> None:
        self.rules: dict[int, dict[int, Any]] = {}
        self.charges: list[tuple[int, dict[int, Any]]] = []
        self.frame: dict[int, Any] = {}
        self._outer: list[dict[int, Any]] = []
        self._last_call: dict[int, Any] = {}

    def note(self, key: int, value: Any) -> Any:
        self.frame[key] = value
        return value

    def called(self, key: int, value: Any) -> Any:
        """A definition's value, noted with the frame its body just filled."""
        self.frame[key] = value
        self.frame[-key - 1] = self._last_call
        return value

    def rule(self, index: int) -> None:
        self.frame = self.rules[index] = {}

    def charge(self, key: int) -> None:
        self.frame = {}
        self.charges.append((key, self.frame))

    def enter(self) -> None:
        self._outer.append(self.frame)
        self.frame = {}

    def leave(self) -> None:
        self._last_call = self.frame
        self.frame = self._outer.pop()


class _Noting(_Expressions):
    """The compiler's expression emitter, each sub-expression's code wrapped to note its value."""

    def __init__(self, generator: _ExplainingGenerator) -> None:
        super().__init__(generator)
        self.explaining = generator

    def expr(self, node: n.Expr) -> str:
        generator = self.explaining
        generator.level += 1
        try:
            code = super().expr(node)
        finally:
            generator.level -= 1
        if isinstance(node, n.Literal) or generator.level >= generator.noted_depth:
            return code
        key = generator.key(node)
        if isinstance(node, n.Call) or _calls_definition(generator.checked, node):
            return f"R.called({key}, {code})"
        return f"R.note({key}, {code})"

    def folded(self, node: n.Expr) -> str | None:
        # constants are computed where they stand, so a formula can show their parts
        # (the plain compile has already refused any that cannot be computed, C219)
        return None


def _calls_definition(checked: CheckedPolicy, node: n.Expr) -> bool:
    return isinstance(node, n.Name) and isinstance(checked.bindings.get(id(node)), DefinitionRef)


class _ExplainingGenerator(_Generator):
    """`compiler._Generator` with notes: where each rule's condition and each charge starts."""

    def __init__(self, checked: CheckedPolicy, noted_depth: int) -> None:
        super().__init__(checked)
        self.noted_depth = noted_depth
        self.level = 0
        self.keys: dict[int, int] = {}
        self.nodes: list[n.Expr] = []

    def key(self, node: n.Expr) -> int:
        found = self.keys.get(id(node))
        if found is None:
            found = self.keys[id(node)] = len(self.nodes)
            self.nodes.append(node)
        return found

    def expressions(self) -> _Expressions:
        return _Noting(self)

    def condition(self, index: int, rule: n.Rule) -> str:
        self.emit(f"R.rule({index})")
        return super().condition(index, rule)

    def charge(self, charge: n.Charge, default_clause: str) -> None:
        self.emit(f"R.charge({self.charge_key(charge)})")
        super().charge(charge, default_clause)

    def charge_key(self, charge: n.Charge) -> int:
        return self.key(charge.amount)

    def definition(self, name: str, definition: CheckedDefinition) -> None:
        params = ["req"]
        self.scope = {}
        for param, _ in definition.params:
            self.scope[param] = self.fresh(param)
            params.append(self.scope[param])
        with self.block(f"def d_{name}({', '.join(params)}):"):
            self.emit("R.enter()")
            with self.block("try:"):
                for let in definition.node.lets:
                    self.let_statement(let)
                self.emit(f"return {self.expr(definition.node.result)}")
            with self.block("finally:"):
                self.emit("R.leave()")


@attrs.frozen
class ExplainingPolicy:
    """The explaining functions of a policy, and the number each noted expression has."""

    source: str
    build: Callable[[Recording], Mapping[str, Callable[[Any], Decision]]]
    keys: Mapping[int, int]

    def run(self, action: str, request: Any) -> tuple[Decision, Recording]:
        """Decide `request` by the explaining code: the decision, and what it computed on the way."""
        recording = Recording()
        decision = self.build(recording)[action](request)
        return decision, recording

    def key(self, node: n.Expr) -> int | None:
        return self.keys.get(id(node))


def compile_explaining(checked: CheckedPolicy) -> ExplainingPolicy:
    """The explaining variant of the policy's actions, generated from the checked tree.

    The generated module is one function, `instrumented(R)`, that defines the actions and
    definitions around the recorder `R` it is given: each explanation has its own, so
    explaining is as thread-safe as deciding.
    """
    for depth in _NOTED_DEPTHS:
        generator = _ExplainingGenerator(checked, depth)
        source = _factory(generator.module(), checked)
        try:
            code = compile(source, "<mespolicy explaining policy>", "exec")
        except (SyntaxError, RecursionError, MemoryError):
            continue
        break
    else:  # pragma: no cover - with nothing noted the code is the plain code's, which compiled
        raise AssertionError("the explaining module does not compile, but the plain one did")
    namespace = _namespace(checked)
    namespace.update(generator.values)
    exec(code, namespace)  # noqa: S102 - source generated from the checked tree, see compiler.py
    return ExplainingPolicy(source, namespace["instrumented"], dict(generator.keys))


def _factory(module: str, checked: CheckedPolicy) -> str:
    names = ", ".join(f"{name!r}: {_action_name(name)}" for name in checked.actions)
    lines = ["def instrumented(R):"]
    lines += [f"    {line}" if line else "" for line in module.splitlines()]
    lines.append(f"    return {{{names}}}")
    return "\n".join([*lines, ""])


__all__ = ["ExplainingPolicy", "Recording", "compile_explaining"]
