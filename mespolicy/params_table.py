"""The parameters in force on a day, for people: one block a parameter, wrapped to the terminal."""

from __future__ import annotations

from datetime import date

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from mespolicy.checked import CheckedParameter
from mespolicy.formatter import format_expr
from mespolicy.parameter_types import describe_range
from mespolicy.policy import Policy
from mespolicy.publish.page import effective_words


def parameters_list(policy: Policy, on: date, origin: str) -> Group:
    """Each parameter's value on `on`, clauses and basis on its line; when it is in force and what
    it means below, indented, so that a narrow terminal wraps the sentences instead of cutting names."""
    parts: list[RenderableType] = [Text(f"Parameters in force on {on.isoformat()} ({origin})", style="bold")]
    rows = [(name, _row(name, parameter, on)) for name, parameter in policy.checked.parameters.items()]
    # the same widths in every block, so that values, clauses and bases line up down the list
    widths = [max((len(cells[i]) for _, cells in rows), default=0) for i in range(4)]
    for name, cells in rows:
        parameter = policy.checked.parameters[name]
        line = Table.grid(padding=(0, 2))
        for index, width in enumerate(widths):
            line.add_column(style="bold" if index == 0 else None, min_width=width)
        line.add_row(*cells)
        about = [
            Text(f"type: {type_and_range(parameter)}"),
            Text("in force: " + effective_words([(d, format_expr(v)) for d, v in parameter.values])),
        ]
        if parameter.node.provenance:
            about.append(Text(parameter.node.provenance.description))
        parts += ["", line, Padding(Group(*about), (0, 0, 0, 4))]
    return Group(*parts)


def _row(name: str, parameter: CheckedParameter, on: date) -> tuple[str, str, str, str]:
    value = parameter.value_on(on)
    node = parameter.node
    return (
        name,
        format_expr(value) if value is not None else "(none yet)",
        ", ".join(c.text for c in node.clauses),
        node.provenance.basis.value if node.provenance else "",
    )


def type_and_range(parameter: CheckedParameter) -> str:
    """`rate, between 0% and 100%`: the type a value must have and the range it must fall in."""
    # a library's range often repeats the policy's own: each is shown once
    return ", ".join(dict.fromkeys([str(parameter.type), *(describe_range(r) for r in parameter.ranges)]))
