"""A policy diff for people: what changed by kind and by charge, then each changed request, old -> new."""

from __future__ import annotations

from decimal import Decimal

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from mespolicy.decision_table import show_value
from mespolicy.diff import GAINED, KINDS, LOST, REASONS, TOTAL, Change, DiffReport
from mespolicy.model.money import Money, format_money


def diff_report(report: DiffReport, old: str, new: str) -> Group:
    """The report: counts, the money (amounts within approvals apart from revenue that moved), examples."""
    parts: list[RenderableType] = [Text(f"Decided {report.requests} requests under {old} and under {new}.")]
    if report.errors:
        parts.append(Text(f"{len(report.errors)} requests could not be decided (see --json for each)."))
    if not report.changed:
        parts.append(Text("no decision changed"))
        return Group(*parts)
    parts.append(Text(f"{report.changed} decisions changed."))
    parts += ["", _kinds(report), "", _money(report)]
    if report.changes:
        parts += ["", _section(f"Changed requests (the first {len(report.changes)})")]
        for change in report.changes:
            parts += [_change_heading(change), Padding(_change_rows(change), (0, 0, 0, 2))]
    return Group(*parts)


def _section(title: str) -> Text:
    return Text(title, style="bold")


def _grid() -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(overflow="fold")
    grid.add_column(overflow="fold")
    return grid


def _kinds(report: DiffReport) -> Group:
    by_kind = _grid()
    for kind in KINDS:
        if report.by_kind[kind]:
            by_kind.add_row(kind, str(report.by_kind[kind]))
    by_action = _grid()
    for action, counts in sorted(report.by_action.items()):
        by_action.add_row(action, ", ".join(f"{kind} {counts[kind]}" for kind in KINDS if counts[kind]))
    return Group(
        _section("Changes by kind"),
        Padding(by_kind, (0, 0, 0, 2)),
        _section("By action"),
        Padding(by_action, (0, 0, 0, 2)),
    )


def _money(report: DiffReport) -> Group:
    within = Table.grid(padding=(0, 2))
    within.add_column()
    within.add_column(justify="right")
    codes = [code for code in report.by_charge if code != TOTAL]
    for code in [*codes, TOTAL]:
        for currency, value in sorted(report.by_charge.get(code, {}).items()):
            within.add_row(code, signed(value, currency))
    if not report.by_charge:
        within.add_row("none", "")
    moved = Table.grid(padding=(0, 2))
    moved.add_column()
    moved.add_column(justify="right")
    moved.add_column()
    for way in (LOST, GAINED):
        count = report.moved_requests[way]
        sums = report.moved.get(way, {})
        money = ", ".join(signed(value, currency) for currency, value in sorted(sums.items())) or "none"
        moved.add_row(way, money, f"({count} request{'' if count == 1 else 's'})")
    net = ", ".join(signed(value, currency) for currency, value in sorted(report.net.items())) or "none"
    return Group(
        _section("Money, new - old"),
        Text("  amount changes within decisions approved under both:"),
        Padding(within, (0, 0, 0, 4)),
        Text("  revenue moved between approved and rejected:"),
        Padding(moved, (0, 0, 0, 4)),
        Text(f"  net: {net}"),
    )


def signed(value: Decimal, currency: str) -> str:
    """An amount as `explain` formats it, with its sign: +65.75 USD, -12,000.00 USD."""
    text = format_money(Money(value, currency))
    return text if text.startswith("-") else f"+{text}"


def _change_heading(change: Change) -> Text:
    ref = f" ({change.ref})" if change.ref else ""
    kinds = ", ".join(change.kinds)
    return Text.assemble((f"line {change.line}{ref}: {change.action}", "bold"), f" - {kinds}")


def _change_rows(change: Change) -> Table:
    rows = Table.grid(padding=(0, 2))
    rows.add_column(overflow="fold")
    rows.add_column(overflow="fold")
    for field in change.fields:
        if field.kind == REASONS:  # sentences: one under the other reads better than side by side
            rows.add_row(field.field, f"old: {_shown(field.old)}")
            rows.add_row("", f"new: {_shown(field.new)}")
        else:
            rows.add_row(field.field, f"{_shown(field.old)} -> {_shown(field.new)}")
    return rows


def _shown(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, tuple) and all(isinstance(item, str) for item in value):
        return "; ".join(value)  # reasons, each with its clause
    return show_value(value)
