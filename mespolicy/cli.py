"""The `mespolicy` command: check, format and decide with rule files, without writing Python."""

from __future__ import annotations

import datetime
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, NoReturn

import click

from mespolicy.errors import MespolicyError
from mespolicy.loader import shipped_rules
from mespolicy.model.decision import decision_to_json
from mespolicy.model.request import RequestError, parse_request_json
from mespolicy.overrides import parse_assignments
from mespolicy.pipeline import PASSES, run_passes
from mespolicy.policy import Policy, load
from mespolicy.publish import docs_command


def _fail(message: str, code: int = 1) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


def _load(policy: Path | None, assignments: tuple[str, ...] = ()) -> Policy:
    try:
        return load(policy).with_overrides(parse_assignments(assignments))
    except MespolicyError as error:
        _fail(error.render())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--no-color", is_flag=True, help="Plain output, for pipes and logs.")
@click.pass_context
def main(context: click.Context, no_color: bool) -> None:
    """Software maintenance (ME&S) policy as code.

    \b
    Examples:
      mespolicy check rules/
      mespolicy fmt --check rules/
      mespolicy decide examples/renew-late.json
      mespolicy decide --jsonl examples/portfolio.jsonl
    """
    context.color = False if no_color else None


_POLICY = click.option(
    "--policy",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="Folder (or file) of rules; the shipped policy by default.",
)
_SET = click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="NAME=VALUE",
    help="What-if: fix a parameter for this run (repeatable), e.g. --set reinstatement_fee_rate=20%.",
)


@main.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path), required=False)
@click.option(
    "--until",
    type=click.Choice([name for name, _ in PASSES]),
    default=PASSES[-1][0],
    show_default=True,
    help="Stop after this pass.",
)
def check(path: Path | None, until: str) -> None:
    """Parse, check and compile a folder of rule files; report every error.

    \b
    Examples:
      mespolicy check rules/
      mespolicy check --until parse rules/renewal.mes
    """
    from mespolicy.testing import check_tests, collect_tests

    folder = path or shipped_rules()
    try:
        summary = run_passes(folder, until)
        # the tests beside the rules are rule text too: parsed, and checked against the policy
        tests = collect_tests(folder)
        if until != "parse":
            check_tests(load(folder), tests)
    except MespolicyError as error:
        _fail(error.render())
    click.echo(f"{folder}: {summary}; {len(tests)} tests {'parsed' if until == 'parse' else 'checked'}")


@main.command()
@click.argument("paths", type=click.Path(exists=True, path_type=Path), nargs=-1)
@click.option(
    "--check", "check_only", is_flag=True, help="Change nothing; exit 1 if a file is not formatted."
)
def fmt(paths: tuple[Path, ...], check_only: bool) -> None:
    """Rewrite rule files in the one canonical layout (comments kept).

    \b
    Examples:
      mespolicy fmt rules/
      mespolicy fmt --check rules/
    """
    from mespolicy.formatter import format_text

    files = [f for p in (paths or (shipped_rules(),)) for f in _rule_files(p)]
    unformatted = []
    for file in files:
        text = file.read_text(encoding="utf-8")
        try:
            formatted = format_text(text, str(file))
        except MespolicyError as error:
            _fail(error.render())
        if formatted != text:
            unformatted.append(file)
            if not check_only:
                file.write_text(formatted, encoding="utf-8")
    verb = "would reformat" if check_only else "reformatted"
    for file in unformatted:
        click.echo(f"{verb} {file}")
    click.echo(f"{len(files)} files, {len(unformatted)} {verb}")
    if check_only and unformatted:
        sys.exit(1)


def _rule_files(path: Path) -> list[Path]:
    return sorted(path.rglob("*.mes")) if path.is_dir() else [path]


@main.command()
@click.argument("requests", nargs=-1, type=click.Path(allow_dash=True, path_type=Path))
@click.option(
    "--jsonl",
    is_flag=True,
    help="Read one request a line (- for stdin); print one decision a line.",
)
@click.option("--no-trace", is_flag=True, help="Leave the trace of rules out of each decision.")
@click.option("--explain", is_flag=True, help="Trace with each condition's values and each amount's formula.")
@_POLICY
@_SET
def decide(
    requests: tuple[Path, ...],
    jsonl: bool,
    no_trace: bool,
    explain: bool,
    policy: Path | None,
    assignments: tuple[str, ...],
) -> None:
    """Decide requests (JSON) under the policy and print the decisions (JSON).

    A bad request is reported with the field at fault; with --jsonl the other
    lines are still decided, the bad line gets an error object, and the exit
    status is 1 at the end.

    \b
    Examples:
      mespolicy decide examples/renew-late.json
      mespolicy decide --jsonl examples/portfolio.jsonl
      cat requests.jsonl | mespolicy decide --jsonl -
      mespolicy decide --policy my-rules/ request.json
      mespolicy decide --set reinstatement_fee_rate=20% examples/renew-late.json
    """
    if not requests:
        _fail("decide: give a request file (or --jsonl FILE, - for stdin)", 2)
    loaded = _load(policy, assignments)
    failures = 0
    out = sys.stdout
    for name, line, text in _request_texts(requests, jsonl):
        answer, failed = _decide_one(loaded, text, line, not no_trace, explain)
        failures += failed
        indent = None if jsonl or len(requests) > 1 else 2
        # written, not echoed: click.echo flushes every line, which halves a portfolio's throughput
        out.write(json.dumps(answer, indent=indent, ensure_ascii=False) + "\n")
        if failed and not jsonl:
            click.echo(f"{name}: {answer['error']['message']}", err=True)
    out.flush()
    if failures:
        sys.exit(1)


def _request_texts(paths: tuple[Path, ...], jsonl: bool) -> Iterator[tuple[str, int | None, str]]:
    for path in paths:
        stream: IO[str] = sys.stdin if str(path) == "-" else _open(path)
        with stream:
            if not jsonl:
                yield str(path), None, stream.read()
                continue
            for number, line in enumerate(stream, start=1):
                if line.strip():
                    yield str(path), number, line


def _open(path: Path) -> IO[str]:
    try:
        return path.open(encoding="utf-8")
    except OSError as error:
        _fail(f"{path}: cannot read: {error.strerror}")


def _decide_one(
    policy: Policy, text: str, line: int | None, trace: bool, explain: bool = False
) -> tuple[dict[str, Any], int]:
    try:
        request = parse_request_json(text)
        decision = policy.explain(request).decision if explain else policy.decide(request)
    except RequestError as error:
        error.line = line
        return _error_object(line, error.field, str(error)), 1
    except MespolicyError as error:
        return _error_object(line, None, str(error)), 1
    except Exception as error:  # a bug of ours must not end a portfolio run: report it on its line
        return _error_object(line, None, f"internal error: {type(error).__name__}: {error}"), 1
    return decision_to_json(decision, trace=trace), 0


def _error_object(line: int | None, field: str | None, message: str) -> dict[str, Any]:
    return {"error": {"line": line, "field": field, "message": message}}


@main.command()
@click.argument("request", type=click.Path(allow_dash=True, path_type=Path))
@click.option(
    "--json", "as_json", is_flag=True, help="The explanation as data (the decision with its explained trace)."
)
@_POLICY
@_SET
def explain(request: Path, as_json: bool, policy: Path | None, assignments: tuple[str, ...]) -> None:
    """Explain one decision: the rules considered and why, each amount's formula, the clauses.

    \b
    Examples:
      mespolicy explain examples/renew-late.json
      mespolicy explain --set reinstatement_fee_rate=20% examples/renew-late.json
      mespolicy explain --json examples/renew-late.json
    """
    from mespolicy.explain import render_text

    loaded = _load(policy, assignments)
    stream = sys.stdin if str(request) == "-" else _open(request)
    with stream:
        text = stream.read()
    try:
        explanation = loaded.explain(parse_request_json(text))
    except (RequestError, MespolicyError) as error:
        _fail(f"{request}: {error}")
    if as_json:
        click.echo(json.dumps(decision_to_json(explanation.decision), indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(explanation))


def _policy_argument(text: str) -> Path | None:
    return None if text == "shipped" else Path(text)


@main.command()
@click.argument("old")
@click.argument("new")
@click.option(
    "--requests",
    "requests_file",
    required=True,
    type=click.Path(allow_dash=True, path_type=Path),
    help="JSON Lines file of requests (- for stdin).",
)
@click.option("--json", "as_json", is_flag=True, help="The report as data.")
@click.option("--examples", default=5, show_default=True, help="How many changed requests to show.")
@_SET
def diff(
    old: str, new: str, requests_file: Path, as_json: bool, examples: int, assignments: tuple[str, ...]
) -> None:
    """Decide every request under two policies and report what changes.

    OLD and NEW are rule folders, or the word `shipped` for the shipped policy;
    --set overrides apply to NEW, so one policy can be compared with a what-if
    version of itself.

    \b
    Examples:
      mespolicy diff rules/ my-rules/ --requests portfolio.jsonl
      mespolicy diff shipped shipped --set reinstatement_fee_rate=20% --requests portfolio.jsonl
      mespolicy diff shipped my-rules/ --requests portfolio.jsonl --json
    """
    from rich.progress import Progress

    from mespolicy.diff import diff_policies, render_report

    before = _load(_policy_argument(old))
    after = _load(_policy_argument(new), assignments)
    lines = [(line, text) for _, line, text in _request_texts((requests_file,), jsonl=True)]
    show_progress = not as_json and len(lines) > 500 and sys.stderr.isatty()
    with Progress(disable=not show_progress, transient=True) as progress:
        task = progress.add_task("deciding", total=len(lines))
        report = diff_policies(
            before,
            after,
            ((line or 0, text) for line, text in lines),
            examples=examples,
            advance=lambda: progress.advance(task),
        )
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        click.echo(render_report(report, before.origin, after.origin))


@main.command(name="test")
@click.argument("path", type=click.Path(exists=True, path_type=Path), required=False)
@_SET
def test_command(path: Path | None, assignments: tuple[str, ...]) -> None:
    """Run the tests written beside the rules (in the rule files and in their tests/ folder).

    Prints one line per failing test with its file:line, expected and actual
    side by side, then `N passed, N failed`; exit status 1 on any failure.

    \b
    Examples:
      mespolicy test
      mespolicy test rules/
      mespolicy test rules/ --set reinstatement_fee_rate=20%
    """
    from mespolicy.testing import check_tests, collect_tests, report_line, run_tests, summary

    folder = path or shipped_rules()
    loaded = _load(folder, assignments)
    try:
        tests = collect_tests(folder)
        check_tests(loaded, tests)
    except MespolicyError as error:
        _fail(error.render())
    results = list(run_tests(loaded, tests))
    for result in results:
        if not result.passed:
            click.echo(report_line(result))
    click.echo(summary(results))
    if not all(r.passed for r in results):
        sys.exit(1)


@main.command()
@_POLICY
@_SET
@click.option(
    "--on",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Values in force on this day (default: today).",
)
def params(policy: Path | None, assignments: tuple[str, ...], day: datetime.datetime | None) -> None:
    """List the parameters in force on a day: value, clause, source or reading, effective dates.

    \b
    Examples:
      mespolicy params
      mespolicy params --on 2027-06-01
      mespolicy params --policy my-rules/ --set deferral_grace=60days
    """
    from rich.console import Console
    from rich.table import Table

    from mespolicy.formatter import format_expr

    loaded = _load(policy, assignments)
    on = day.date() if day else datetime.date.today()
    table = Table(title=f"Parameters in force on {on} ({loaded.origin})")
    for column in ("parameter", "value", "clause", "basis", "effective", "description"):
        table.add_column(column)
    for name, parameter in loaded.checked.parameters.items():
        value = parameter.value_on(on)
        node = parameter.node
        table.add_row(
            name,
            format_expr(value) if value is not None else "(none yet)",
            ", ".join(c.text for c in node.clauses),
            node.provenance.basis.value if node.provenance else "",
            "; ".join(
                f"{format_expr(v)} from {d}" if d else f"{format_expr(v)} always" for d, v in parameter.values
            ),
            node.provenance.description if node.provenance else "",
        )
    Console(no_color=not _color(), width=200 if not sys.stdout.isatty() else None).print(table)


def _color() -> bool:
    context = click.get_current_context(silent=True)
    return context is None or context.find_root().color is not False


main.add_command(docs_command)


def _no_color(context: click.Context, _: click.Parameter, value: bool) -> None:
    if value:
        context.find_root().color = False


# `--no-color` is taken before or after the command's name (`mespolicy params --no-color`).
for _command in main.commands.values():
    _command.params.append(
        click.Option(
            ["--no-color"],
            is_flag=True,
            expose_value=False,
            is_eager=True,
            callback=_no_color,
            help="Plain output, for pipes and logs.",
        )
    )


if __name__ == "__main__":  # pragma: no cover
    main()
