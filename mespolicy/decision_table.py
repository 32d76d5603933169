"""A decision for people: outcome, reasons, term, charges and total, the trace only when asked."""

from __future__ import annotations

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from mespolicy import runtime
from mespolicy.model.calendar import Term
from mespolicy.model.decision import Charge, Decision, Outcome
from mespolicy.model.money import Money, format_money


def decision_table(decision: Decision, *, title: str | None = None, trace: bool = False) -> Group:
    """`decision` as a short report; `title` (the request's file) leads it, `trace` adds the rules."""
    parts: list[RenderableType] = []
    style = "bold green" if decision.outcome is Outcome.APPROVED else "bold red"
    heading = Text.assemble((f"{decision.action}: ", "bold"), (decision.outcome.value, style))
    if title:
        heading.append(f"  ({title})")
    parts.append(heading)
    parts.append(_facts(decision))
    # a blank line before each section, so that a reader finds them by eye
    if decision.charges or decision.total is not None:
        parts += ["", _Fitted(_charges(decision), _charges_narrow(decision))]
    if decision.reasons:
        parts += ["", _reasons(decision)]
    if trace and decision.trace:
        parts += ["", _Fitted(_trace(decision), _trace_narrow(decision))]
    return Group(*parts)


# below this many columns a table of five columns folds each cell into a few letters a line
NARROW = 72


class _Fitted:
    """A table where there is room for it, else the same rows one item under another."""

    def __init__(self, wide: RenderableType, narrow: RenderableType) -> None:
        self.wide = wide
        self.narrow = narrow

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.wide if options.max_width >= NARROW else self.narrow


def _grid(title: str | None = None) -> Table:
    grid = Table(box=None, show_header=False, title=title, title_justify="left", pad_edge=False)
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    return grid


def _facts(decision: Decision) -> Table:
    """The term, the reference and each output field, one a row."""
    grid = _grid()
    if decision.term is not None:
        grid.add_row("term", _term(decision.term))
    for name, value in decision.fields:
        grid.add_row(name.replace(".", " ").replace("_", " "), show_value(value))
    if decision.ref is not None:
        grid.add_row("ref", decision.ref)
    if decision.policy is not None:
        identity = decision.policy
        named = " ".join(part for part in (identity.name, identity.version) if part)
        # the hash only when the rules name no version: the name and version are what people quote
        grid.add_row("policy", named or identity.hash)
    return grid


def _table(title: str) -> Table:
    return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)


def _charges(decision: Decision) -> Table:
    table = _table("Charges")
    table.add_column("code", overflow="fold")
    table.add_column("on", overflow="fold")
    table.add_column("period", overflow="fold")
    table.add_column("amount", justify="right", no_wrap=True)
    table.add_column("clause", no_wrap=True)
    for charge in decision.charges:
        table.add_row(*_charge_row(charge))
    total = decision.total
    if total is not None:
        table.add_row(Text("total", style="bold"), "", "", Text(format_money(total), style="bold"), "")
    return table


def _charge_row(charge: Charge) -> tuple[str, str, str, str, str]:
    period = "" if charge.period is None else _term(charge.period)
    return (charge.code, charge.contract or "", period, format_money(charge.amount), charge.clause)


def _charges_narrow(decision: Decision) -> Table:
    grid = _grid("Charges")
    for code, contract, period, amount, clause in map(_charge_row, decision.charges):
        grid.add_row(code, amount)
        where = (f"on {contract}" if contract else "", period, clause)
        grid.add_row("", " ".join(part for part in where if part))
    total = decision.total
    if total is not None:
        grid.add_row("total", Text(format_money(total), style="bold"))
    return grid


def _reasons(decision: Decision) -> Table:
    grid = _grid("Reasons")
    for reason in decision.reasons:
        grid.add_row(reason.clause, reason.message)
    return grid


def _trace(decision: Decision) -> Table:
    table = _table("Rules considered, in order")
    table.add_column("rule", no_wrap=True)
    for column in ("kind", "applied", "clauses", "location"):
        table.add_column(column, overflow="fold")
    for step in decision.trace:
        applied = "yes" if step.applied else "no"
        table.add_row(step.rule, step.kind, applied, ", ".join(step.clauses), step.location)
    return table


def _trace_narrow(decision: Decision) -> Group:
    lines: list[RenderableType] = [Text("Rules considered, in order", style="italic")]
    for step in decision.trace:
        mark = "applied" if step.applied else "did not apply"
        lines.append(Text(step.rule, style="bold"))
        said = Text(f"{step.kind} {', '.join(step.clauses)}: {mark}, {step.location}")
        lines.append(Padding(said, (0, 0, 0, 2)))
    return Group(*lines)


def _term(term: Term) -> str:
    return f"{term.start.isoformat()} until {term.end.isoformat()}"


def show_value(value: object) -> str:
    """An output field as `explain` shows it: money with its code, dates ISO, yes/no."""
    if isinstance(value, Money):
        return format_money(value)
    if isinstance(value, Term):
        return _term(value)
    if isinstance(value, tuple):
        return ", ".join(show_value(item) for item in value)
    return runtime.show(value, "bool" if isinstance(value, bool) else "value")

