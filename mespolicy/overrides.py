"""What-if runs: parameter values replaced for one run (`--set NAME=VALUE`), checked like rule text."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from mespolicy import nodes as n
from mespolicy import types as t
from mespolicy.bands import out_of_order
from mespolicy.checked import CheckedParameter, CheckedPolicy
from mespolicy.errors import MespolicyError, PolicySyntaxError, closest
from mespolicy.parameter_types import bare_number, describe_range, outside
from mespolicy.parser import parse
from mespolicy.typecheck import literal_type


class OverrideError(MespolicyError):
    """A `--set` that names no parameter, or gives a value of the wrong type or unit."""

    code = "S501"


class OverrideRangeError(OverrideError):
    """A `--set` value of the right type outside the range the parameter declares."""

    code = "S502"


def parse_assignments(assignments: Iterable[str]) -> dict[str, str]:
    """`["deferral_grace=60 days", ...]` as a mapping; each must be NAME=VALUE."""
    found: dict[str, str] = {}
    for assignment in assignments:
        name, equals, value = assignment.partition("=")
        if not equals or not name.strip() or not value.strip():
            raise OverrideError(f"--set {assignment!r}: write NAME=VALUE, e.g. reinstatement_fee_rate=20%")
        found[name.strip()] = value.strip()
    return found


def apply_overrides(checked: CheckedPolicy, overrides: Mapping[str, str]) -> CheckedPolicy:
    """The policy with each named parameter fixed to the given value on every day."""
    if not overrides:
        return checked
    parameters = dict(checked.parameters)
    for name, text in overrides.items():
        parameters[name] = _override(checked, name, text)
    for band in checked.bands:
        problem = out_of_order(band, parameters, checked.bindings)
        if problem is not None:
            where = f"{problem.span.source.path}:{problem.span.line}"
            given = ", ".join(f"{name}={text}" for name, text in overrides.items())
            raise OverrideError(f"--set {given}: {problem.message} ({where})")
    return attrs.evolve(checked, parameters=parameters)


def _override(checked: CheckedPolicy, name: str, text: str) -> CheckedParameter:
    parameter = checked.parameters.get(name)
    if parameter is None:
        close = closest(name, checked.parameters)
        guess = f" (did you mean {close}?)" if close else ""
        raise OverrideError(
            f"--set {name}: no such parameter{guess}; the parameters are:\n{_listing(checked)}"
        )
    literal = _literal(parameter, text)
    found = literal_type(literal, parameter.type)
    meant = bare_number(literal, parameter.type)
    if meant is not None or not t.assignable(found, parameter.type):
        raise OverrideError(
            f"--set {name}={text}: {name} is {_describe(parameter.type)}, and {text!r} is {_describe(found)}"
            f" (now {_shown(parameter)})" + (f"; did you mean {meant}?" if meant else "")
        )
    missed = outside(literal, parameter.ranges)
    if missed is not None:
        where = f"{missed.span.source.path}:{missed.span.line}"
        raise OverrideRangeError(
            f"--set {name}={text}: {name} must be {describe_range(missed)} (declared at {where});"
            f" now {_shown(parameter)}"
        )
    return attrs.evolve(parameter, values=((None, literal),))


def _literal(parameter: CheckedParameter, text: str) -> n.Literal:
    """The value as rule text would write it; anything else names the type the parameter wants."""
    name = parameter.node.name
    wanted = f"{name} is {_describe(parameter.type)} (now {_shown(parameter)})"
    try:
        tree = parse(f"parameter {name} = {text}", f"--set {name}")
    except PolicySyntaxError as error:
        diagnostic = error.diagnostics[0]
        detail = diagnostic.message if diagnostic.code in _TOLD_IN_WORDS else "not such a value"
        raise OverrideError(f"--set {name}={text}: {wanted}; {text!r}: {detail}") from None
    item = tree.items[0] if len(tree.items) == 1 else None
    if not isinstance(item, n.Parameter) or len(item.values) != 1 or item.clauses or item.provenance:
        raise OverrideError(f"--set {name}={text}: {wanted}; give one value")
    return item.values[0].value


# syntax errors whose message already says what is wrong with a value
_TOLD_IN_WORDS = frozenset({"P104", "P105", "P106"})


def _describe(kind: t.Type) -> str:
    examples = {
        "days": "a number of days (e.g. 60 days)",
        "months": "a number of months (e.g. 24 months)",
        "rate": "a percentage (e.g. 20%)",
        "integer": "a whole number",
        "number": "a number",
        "date": "a date (YYYY-MM-DD)",
        "bool": "true or false",
        "money": "an amount of money (e.g. 150.00 USD)",
    }
    return examples.get(str(kind).split(" ")[0], str(kind))


def _shown(parameter: CheckedParameter) -> str:
    from mespolicy.formatter import format_expr

    return ", ".join(format_expr(value) for _, value in parameter.values)


def _listing(checked: CheckedPolicy) -> str:
    return "\n".join(f"  {name} = {_shown(p)}" for name, p in sorted(checked.parameters.items()))
