"""The `mespolicy` command: check, format and decide with rule files, without writing Python."""

from __future__ import annotations

import codecs
import datetime
import functools
import importlib
import itertools
import json
import os
import shutil
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar, NoReturn, TypeVar

import attrs
import click

import mespolicy
from mespolicy import nodes as n
from mespolicy.discovery import (
    POLICY_HELP,
    RUN_LIBRARIES,
    Found,
    describe,
    discover,
    load_found,
    policy_root,
    run_libraries,
)
from mespolicy.errors import MespolicyError, PolicyFileError, PolicyWarnings, warning_count
from mespolicy.identity import content_hash
from mespolicy.limits import DEFAULT as DEFAULT_LIMITS
from mespolicy.limits import Limits, LimitSettingError
from mespolicy.loader import shipped_rules
from mespolicy.model.decision import decision_to_json
from mespolicy.model.request import RequestError, too_big
from mespolicy.overrides import parse_assignments
from mespolicy.pipeline import PASSES, run_passes
from mespolicy.policy import Policy
from mespolicy.portfolio.answers import Payload, answer_lines, hinted, internal
from mespolicy.portfolio.lines import Block, blocks, numbered

if TYPE_CHECKING:
    from mespolicy.portfolio.jobs import Answered


def _fail(message: str, code: int = 1) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


def _found(policy: Path | None) -> Found:
    """The policy a command means: `--policy`, else the one in front of the analyst (mespolicy.discovery)."""
    try:
        return discover(policy)
    except MespolicyError as error:
        _fail(error.render(), 2)


def _load(
    policy: Path | Found | None,
    assignments: tuple[str, ...] = (),
    *,
    announce: bool = True,
    label: str = "policy",
) -> Policy:
    """The policy a command runs under, with its what-if settings; says on stderr which one it is."""
    found = policy if isinstance(policy, Found) else _found(policy)
    try:
        loaded = load_found(found, _limits(), run_libraries()).with_overrides(parse_assignments(assignments))
    except MespolicyError as error:
        _fail(error.render(found.shown), 2)
    if announce:
        _announce(found, loaded, label)
    return loaded


def _announce(found: Found, loaded: Policy, label: str = "policy") -> None:
    """Name the policy used, on stderr so that stdout stays the command's own output."""
    from mespolicy.identity import content_hash

    click.echo(describe(found, content_hash(loaded.checked.files), label), err=True)


_LIMITS = "mespolicy.limits"


def _limits() -> Limits:
    """The limits of this run: the defaults, changed by the group's `--limit NAME=VALUE` options."""
    context = click.get_current_context(silent=True)
    found = None if context is None else context.meta.get(_LIMITS)
    return found if isinstance(found, Limits) else DEFAULT_LIMITS


def _parse_limits(settings: tuple[str, ...]) -> Limits:
    pairs = []
    for setting in settings:
        name, equals, value = setting.partition("=")
        if not equals:
            raise LimitSettingError(f"--limit {setting!r}: write NAME=VALUE, e.g. request_items=50000")
        pairs.append((name.strip(), value))
    return DEFAULT_LIMITS.replace(pairs)


_PROCESS: dict[str, bool] = {"own": False}


def _settle() -> None:
    """`jobs.settle` (the loaded policy out of garbage collection), when this process is the program's."""
    if _PROCESS["own"]:
        from mespolicy.portfolio.jobs import settle

        settle()


class _Commands(click.Group):
    """mespolicy's commands; `docs` is imported when it is run or listed, not for every command.

    Publishing pulls in the page builder and Jinja, a tenth of a second a `decide` does not need.
    """

    _LATER: ClassVar[dict[str, tuple[str, str]]] = {"docs": ("mespolicy.publish.command", "docs_command")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._LATER})

    def main(self, *args: Any, **kwargs: Any) -> Any:
        # without arguments the command reads sys.argv: it runs as the program and owns its
        # process; a host or a test calling it with arguments keeps its process as it is
        _PROCESS["own"] = (args[0] if args else kwargs.get("args")) is None
        return super().main(*args, **kwargs)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self._LATER and cmd_name not in self.commands:
            module, name = self._LATER[cmd_name]
            self.add_command(getattr(importlib.import_module(module), name), cmd_name)
        return super().get_command(ctx, cmd_name)


def _print_version(context: click.Context, _: click.Parameter, value: bool) -> None:
    if value and not context.resilient_parsing:
        click.echo(f"mespolicy {mespolicy.version()}")
        context.exit()


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Print the library's version (a policy's own: mespolicy identity) and exit.",
)
@click.option("--no-color", is_flag=True, help="Plain output, no color or style (also when NO_COLOR is set).")
@click.option(
    "--limit",
    "limit_settings",
    multiple=True,
    metavar="NAME=VALUE",
    help="Change one bound on rule files or requests (repeatable), e.g. --limit request_items=50000.",
)
@click.option(
    "--library",
    "libraries",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    metavar="DIR",
    help='A folder that include library "..." may read from (repeatable; searched in order, '
    "then the shipped library).",
)
@click.pass_context
def main(
    context: click.Context, no_color: bool, limit_settings: tuple[str, ...], libraries: tuple[Path, ...]
) -> None:
    """Software maintenance (ME&S) policy as code.

    \b
    Examples:
      mespolicy check rules/
      mespolicy fmt --check rules/
      mespolicy decide examples/renew-late.json
      mespolicy decide --jsonl examples/portfolio.jsonl
      mespolicy --limit request_items=50000 decide big-request.json
    """
    context.color = False if no_color else None
    context.meta[RUN_LIBRARIES] = libraries
    try:
        context.meta[_LIMITS] = _parse_limits(limit_settings)
    except LimitSettingError as error:
        _fail(error.render(), 2)


_POLICY = click.option(
    "--policy",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help=POLICY_HELP,
)


@main.command()
@_POLICY
def identity(policy: Path | None) -> None:
    """Print the policy's identity as every decision carries it: name, version, content hash (JSON).

    \b
    Examples:
      mespolicy identity
      mespolicy identity --policy my-rules/
    """
    from mespolicy.identity import identity_of

    loaded = _load(policy, announce=False)
    found = identity_of(loaded.checked.header, loaded.checked.files)
    click.echo(json.dumps({"name": found.name, "version": found.version, "hash": found.hash}, indent=2))


# decide's --format: for people, for one request, for a portfolio
FORMATS = ("table", "json", "jsonl")


def default_format(jsonl: bool, terminal: bool) -> str:
    """--jsonl alone keeps meaning one decision a line (scripts rely on it); otherwise a table
    for a person at a terminal, and JSON for a pipe or a file."""
    if jsonl:
        return "jsonl"
    return "table" if terminal else "json"


F = TypeVar("F", bound=Callable[..., Any])


def _solver_timeout(help_text: str) -> Callable[[F], F]:
    """`--solver-timeout MS`, one budget for check's proofs and diff --prove."""
    return click.option(
        "--solver-timeout",
        "solver_timeout",
        type=click.IntRange(min=1),
        default=5000,
        show_default=True,
        metavar="MS",
        help=help_text,
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
@click.option(
    "--prove/--no-prove",
    default=None,
    help="Prove each action's rules exclusive and exhaustive, and find dead rules, with z3 "
    "(on by default when z3, the proofs extra, is installed).",
)
@_solver_timeout("The solver's time budget per question, in milliseconds; past it the question is unknown.")
@click.option(
    "--strict",
    is_flag=True,
    help="Warnings (unused parameters and definitions, dead rules, unconfirmed conflicts, unknowns) "
    "fail the check (exit 2), as errors do.",
)
def check(path: Path | None, until: str, prove: bool | None, solver_timeout: int, strict: bool) -> None:
    """Parse, check and compile a folder of rule files; report errors, then warnings; prove the rules.

    PATH is a policy folder, or one rule file: its policy folder is checked
    (the folder above, for a file of tests/) and the errors of that file are
    reported. Without PATH: the policy --policy would default to.

    \b
    Examples:
      mespolicy check rules/
      mespolicy check rules/renewal.mes
      mespolicy check --strict rules/
      mespolicy check --until parse rules/renewal.mes
      mespolicy check --strict --solver-timeout 20000 rules/
    """
    from mespolicy.compiler import compile_policy
    from mespolicy.loader import read_folder
    from mespolicy.testing import check_tests, tests_in

    found, only = _target(path)
    limits = _limits()
    try:
        # every file, the tests beside the rules too, read and parsed once
        read = read_folder(found.path, limits, libraries=run_libraries())
        if only is not None and only not in {file.path for file in read.files}:
            # a file the folder's policy does not hold (nothing includes it): checked on its own
            found, only = Found(path or found.path, "given", _shown_folder(path)), None
            read = read_folder(found.path, limits, libraries=run_libraries())
        done = run_passes(read.policy, until, limits)
        # the tests beside the rules are rule text too: parsed, and checked against the policy
        tests = tests_in(read.files)
        if done.checked is not None:
            compiled = done.compiled or compile_policy(done.checked)
            check_tests(Policy(done.checked, compiled, found.origin, limits), tests)
    except MespolicyError as error:
        _fail(_errors_of(error, found, only), 2)
    _announce_files(found, done.checked.files if done.checked else None)
    if only is not None:
        tests = tuple(test for test in tests if test.span.source.path == only)
    shown = path if path is not None else found.origin
    summary = f"{shown}: {done.summary}; {len(tests)} tests {'parsed' if until == 'parse' else 'checked'}"
    if done.warnings:
        click.echo(PolicyWarnings(done.warnings).render(found.shown) + "\n", err=True)
        summary += f"; {warning_count(done.warnings)}"
    click.echo(summary)
    proved_clean = True
    if done.checked is not None and until == PASSES[-1][0]:
        checked_policy = Policy(done.checked, compiled, found.origin, limits)
        proved_clean = _prove(checked_policy, found.shown, prove, solver_timeout, strict)
    if strict and done.warnings:
        _fail(f"{warning_count(done.warnings)} (--strict: warnings fail the check)", 2)
    if not proved_clean:
        sys.exit(2)


def _prove(policy: Policy, folder: str | None, prove: bool | None, timeout: int, strict: bool) -> bool:
    """The proofs of `check`: a status line per action; False when a witness confirms an overlap or gap
    (or, with --strict, when the proofs warn)."""
    from mespolicy import proofs

    if prove is False:
        return True
    if not proofs.available():
        note = "proofs skipped: z3 is not installed (it is the proofs extra: pip install 'mespolicy[proofs]')"
        if prove:
            _fail(note, 2)
        click.echo(note)
        return True
    from mespolicy.proofs.analysis import prove as prove_policy
    from mespolicy.proofs.report import printed

    shown = printed(
        prove_policy(policy, timeout),
        {name: action.span for name, action in policy.checked.actions.items()},
        folder,
    )
    click.echo(f"proofs (z3, at most {timeout} ms a question):")
    for line in shown.status:
        click.echo(line)
    for block in shown.findings:
        click.echo(block + "\n", err=True)
    if shown.errors or shown.warnings:
        click.echo(f"{shown.errors} proof errors, {shown.warnings} warnings", err=True)
    return not shown.failed(strict)


def _target(path: Path | None) -> tuple[Found, str | None]:
    """The policy a command given PATH runs under, and the file's place in it when PATH is one file."""
    if path is None:
        return _found(None), None
    if path.is_dir():
        return Found(path, "given", str(path)), None
    try:
        around: Found | None = discover()
    except MespolicyError:  # a bad MESPOLICY_POLICY does not stop a command given its file
        around = None
    root = policy_root(path, around)
    try:
        only = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:  # pragma: no cover - policy_root gives a folder above the file
        only = path.name
    return Found(root, "given", str(root)), only


def _errors_of(error: MespolicyError, found: Found, only: str | None) -> str:
    """The printed errors; for one file, its own and how many the other files of its policy have."""
    if only is None or not isinstance(error, PolicyFileError):
        return error.render(found.shown)
    mine = [d for d in error.diagnostics if d.span.source.path == only]
    elsewhere = error.total - len(mine)
    note = (
        f"{elsewhere} error{'s' if elsewhere != 1 else ''} in other files of the policy "
        f"{found.origin} (mespolicy check {found.origin} lists them)"
    )
    if not mine:
        return f"{only}: no errors in this file; {note}"
    text = PolicyFileError(mine).render(found.shown)
    return f"{text}; {note}" if elsewhere else text


def _announce_files(found: Found, files: tuple[n.PolicyFile, ...] | None) -> None:
    from mespolicy.identity import content_hash

    click.echo(describe(found, None if files is None else content_hash(files)), err=True)


def _shown_folder(path: Path | None) -> str | None:
    """The policy folder as the user wrote it, to lead the paths in errors (none for the shipped policy)."""
    if path is None:
        return None
    return str(path.parent) if path.is_file() else str(path)


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
    from mespolicy.loader import read_rule_file, write_rule_file

    limits = _limits()
    files: list[Path] = []
    for path in paths or (shipped_rules(),):
        found, links = _rule_files(path)
        files.extend(found)
        for link in links:
            # a link may lead out of the folder: fmt rewrites only the files it was given
            click.echo(f"skipped {link}: a symbolic link", err=True)
    unformatted = []
    for file in files:
        try:
            text = read_rule_file(file, limits)
            formatted = format_text(text, str(file), limits)
            if formatted != text and not check_only:
                write_rule_file(file, formatted)
        except MespolicyError as error:
            _fail(error.render(), 2)
        if formatted != text:
            unformatted.append(file)
    verb = "would reformat" if check_only else "reformatted"
    for file in unformatted:
        click.echo(f"{verb} {file}")
    click.echo(f"{len(files)} files, {len(unformatted)} {verb}")
    if check_only and unformatted:
        sys.exit(1)


def _rule_files(path: Path) -> tuple[list[Path], list[Path]]:
    """The `*.mes` files under `path` (or `path` itself), and the symbolic links left out.

    Links are never followed, to files or to folders, so nothing outside `path` is read
    or written.
    """
    if path.is_symlink():
        return [], [path]
    if not path.is_dir():
        return [path], []
    files: list[Path] = []
    links: list[Path] = []
    for folder, subfolders, names in os.walk(path):  # followlinks=False: linked folders not entered
        here = Path(folder)
        for name in sorted(subfolders):
            if (here / name).is_symlink():
                links.append(here / name)
        for name in sorted(names):
            if name.endswith(".mes"):
                (links if (here / name).is_symlink() else files).append(here / name)
    return sorted(files), sorted(links)


@main.command()
@click.argument("requests", nargs=-1, type=click.Path(allow_dash=True, path_type=Path))
@click.option(
    "--jsonl",
    is_flag=True,
    help="Read one request a line (- for stdin); print one decision a line.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default=None,
    help="table: a summary for people (the default on a terminal); json: each decision as JSON "
    "(the default otherwise); jsonl: one decision a line (the default with --jsonl).",
)
@click.option(
    "--trace", is_flag=True, help="Include the rules considered: in each JSON decision, and in the table."
)
@click.option(
    "--explain", is_flag=True, help="Include a trace with each condition's values and each amount's formula."
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes for --jsonl (default: every core for files of 4 MiB or more, else one).",
)
@click.option(
    "--in",
    "in_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A portfolio (.parquet, .csv or .jsonl) to decide into --out.",
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The Parquet file of decisions.",
)
@_POLICY
@_SET
def decide(
    requests: tuple[Path, ...],
    jsonl: bool,
    output_format: str | None,
    trace: bool,
    explain: bool,
    jobs: int | None,
    in_file: Path | None,
    out_file: Path | None,
    policy: Path | None,
    assignments: tuple[str, ...],
) -> None:
    """Decide requests (JSON) under the policy and print the decisions: a table for people, or JSON.

    A bad request is reported with the field at fault; with --jsonl every line,
    whatever it holds, gets one line out: its decision, or an error object
    {"error": {"line", "code", "field", "message", "ref"}} (a blank line too). Exit
    status 0 when every request was decided, 1 when some were refused, 2 when
    the run could not go on (a file that cannot be read, output closed); it
    then says on stderr where it stopped.

    \b
    Examples:
      mespolicy decide examples/renew-late.json
      mespolicy decide --jsonl examples/portfolio.jsonl
      cat requests.jsonl | mespolicy decide --jsonl -
      mespolicy decide --policy my-rules/ request.json
      mespolicy decide --set reinstatement_fee_rate=20% examples/renew-late.json
      mespolicy decide --jsonl --jobs 2 portfolio.jsonl
      mespolicy decide --in portfolio.parquet --out decisions.parquet
    """
    if in_file is not None or out_file is not None:
        _decide_portfolio(in_file, out_file, requests, policy, assignments, trace or explain)
    if not requests:
        _fail("decide: give a request file (or --jsonl FILE, - for stdin)", 2)
    shown = output_format or default_format(jsonl, sys.stdout.isatty())
    loaded = _load(policy, assignments, announce=False)
    if shown == "table":
        _decide_table(loaded, requests, jsonl, trace, explain)
        return
    jsonl = jsonl or shown == "jsonl"
    failures = 0
    out = sys.stdout
    indent = None if jsonl or len(requests) > 1 else 2
    last: tuple[str, int | None] | None = None  # the request last answered
    unwritten: tuple[str, int | None] | None = None  # the first answer not yet written and flushed
    answered: list[str | bytes] = []
    # each answer as it comes to a terminal, or to a program feeding a pipe a line at a time
    every = 1 if _interactive(out) or _streamed(requests) else _WRITE_EVERY
    from mespolicy.portfolio.jobs import WorkerPolicyError

    options = (trace or explain, explain, indent)
    answers = _answers(loaded, requests, jsonl, jobs, policy, assignments, options, every)
    try:
        for count in itertools.count(1):
            try:
                item = next(answers, None)
            except OSError as error:
                where = _after(last)
                _fail(f"decide: cannot read further {where}: {error.strerror or error}; stopped there", 2)
            except WorkerPolicyError as error:
                _fail(f"decide: {error.code}: {error}; stopped {_after(last)}", 2)
            if item is None:
                break
            name, first, line, answer, failed = item
            last = (name, line)
            failures += failed
            unwritten = unwritten or (name, first)
            answered.append(answer)
            # written, not echoed (click.echo flushes every line, which halves a portfolio's throughput),
            # so many answers in one write and flushed then: a closed output is found near where it
            # closed, and an unbuffered stdout (PYTHONUNBUFFERED) is not one system call a line
            if count % every == 0 or isinstance(answer, bytes):
                if not _write_lines(out, answered) or not _flush(out):
                    _stopped_writing(_here(last), _here(unwritten))
                answered.clear()
                unwritten = None
            if failed and not jsonl and isinstance(answer, str):
                refused = json.loads(answer)["error"]
                click.echo(f"{name}: {refused['code']}: {refused['message']}", err=True)
    except BaseException:  # a stop (a file that cannot be read, Ctrl-C): what was answered goes out
        if answered:
            _write_lines(out, answered) and _flush(out)
        raise
    if unwritten is not None and last is not None and (not _write_lines(out, answered) or not _flush(out)):
        _stopped_writing(_here(last), _here(unwritten))
    if failures:
        sys.exit(1)


_WRITE_EVERY = 256


def _interactive(out: IO[str]) -> bool:
    try:
        return out.isatty()
    except (OSError, ValueError):  # pragma: no cover - a closed or detached stream
        return False


def _streamed(requests: tuple[Path, ...]) -> bool:
    """Whether a request comes from no regular file: a pipe, a terminal, a socket (`-`,
    /dev/stdin, a FIFO), which may bring one line at a time and wait for its answer."""
    for path in requests:
        try:
            mode = os.fstat(sys.stdin.fileno()).st_mode if str(path) == "-" else os.stat(path).st_mode
        except (OSError, ValueError, AttributeError):  # an in-memory stdin (it holds all it will
            continue  # give), or a path that cannot be read (said when it is opened)
        if not stat.S_ISREG(mode):
            return True
    return False


def _here(request: tuple[str, int | None]) -> str:
    name, line = request
    return name if line is None else f"{name} line {line}"


def _after(request: tuple[str, int | None] | None) -> str:
    return "before the first request" if request is None else f"after {_here(request)}"


def _answers(
    loaded: Policy,
    requests: tuple[Path, ...],
    jsonl: bool,
    jobs: int | None,
    policy: Path | None,
    assignments: tuple[str, ...],
    options: tuple[bool, bool, int | None],
    chunk_lines: int,
) -> Iterator[Answered]:
    """Each request's answer in input order: here, chunks of at most `chunk_lines` lines at a
    time, or in --jobs workers (`mespolicy.portfolio.jobs`), a block of lines at a time."""
    from mespolicy.portfolio.jobs import (
        PolicySource,
        block_size,
        decide_here,
        decide_in_workers,
        default_jobs,
        line_size,
        progress,
    )

    trace, explain, indent = options
    workers = 1 if not jsonl else jobs if jobs is not None else default_jobs(requests)
    _settle()
    decide_lines = functools.partial(answer_lines, trace=trace, explain=explain, indent=indent)
    if workers <= 1:
        lines = progress(_request_texts(requests, jsonl, loaded.limits), requests, jsonl, line_size)
        return decide_here(loaded, decide_lines, lines, chunk_lines)
    source = PolicySource(
        policy, _limits(), run_libraries(), parse_assignments(assignments), content_hash(loaded.checked.files)
    )
    blocks = progress(_request_blocks(requests, loaded.limits), requests, jsonl, block_size)
    return decide_in_workers(source, decide_lines, blocks, workers, loaded)


def _decide_portfolio(
    in_file: Path | None,
    out_file: Path | None,
    requests: tuple[Path, ...],
    policy: Path | None,
    assignments: tuple[str, ...],
    trace: bool,
) -> NoReturn:
    """`decide --in FILE --out FILE.parquet`: a portfolio decided by record batches (`portfolio.files`)."""
    if in_file is None or out_file is None or requests:
        _fail("decide: --in FILE and --out FILE.parquet go together, without request files", 2)
    from mespolicy.portfolio.files import PortfolioError, decide_file

    loaded = _load(policy, assignments)
    _settle()
    try:
        decided, refused = decide_file(loaded, in_file, out_file, trace=trace)
    except PortfolioError as error:
        _fail(f"decide: {error.code}: {error}", 2)
    click.echo(f"{out_file}: {decided} decided, {refused} refused", err=True)
    sys.exit(1 if refused else 0)


def _decide_table(
    policy: Policy, requests: tuple[Path, ...], lines: bool, trace: bool, explain: bool
) -> None:
    """Each decision as a table for people; a request that cannot be decided said on stderr."""
    from mespolicy.decision_table import decision_table
    from mespolicy.terminal import console, show

    out = console(color=_color())
    failures = decided = 0
    for name, line, text in _request_texts(requests, lines, policy.limits):
        here = name if line is None else f"{name} line {line}"
        try:
            if isinstance(text, RequestError):
                raise text
            request = policy.read_json(text)
            decision = policy.explain(request).decision if explain else policy.decide(request)
        except RequestError as error:
            failures += 1
            click.echo(f"{here}: {error.code}: {hinted(error, line)}", err=True)
            continue
        except MespolicyError as error:
            failures += 1
            click.echo(f"{here}: {error.code}: {error}", err=True)
            continue
        if decided:
            out.file.write("\n")
        decided += 1
        show(out, decision_table(decision, title=here, trace=trace or explain))
    if failures:
        sys.exit(1)


def _flush(out: IO[str]) -> bool:
    try:
        out.flush()
    except OSError:
        return False
    return True


def _write_lines(out: IO[str], given: Sequence[str | bytes]) -> bool:
    """Write answers (JSON texts, or blocks of them as UTF-8), one a line; False when the output is closed.

    JSON is written as UTF-8 text; a string the output cannot encode (an output
    that is not UTF-8) is written ASCII-escaped instead, which any JSON reader
    reads back the same. (A text stream encodes all it is given before it writes
    any of it, so a refused batch has written nothing.)
    """
    if given and isinstance(given[0], bytes):
        blocks = b"\n".join(a for a in given if isinstance(a, bytes)) + b"\n"
        buffer = getattr(out, "buffer", None)
        if buffer is not None and _utf8(out):
            try:  # already UTF-8: written as it came, not decoded and encoded again
                out.flush()
                _write_all(buffer, blocks)
            except OSError:
                return False
            return True
        answers = blocks.decode("utf-8").removesuffix("\n").split("\n")
    else:
        answers = [a for a in given if isinstance(a, str)]
    try:
        try:
            out.write("\n".join(answers) + "\n" if answers else "")
        except UnicodeEncodeError:
            for answer in answers:
                try:
                    out.write(answer + "\n")
                except UnicodeEncodeError:
                    out.write(json.dumps(json.loads(answer), ensure_ascii=True) + "\n")
    except OSError:  # a closed pipe (BrokenPipeError) or a full disk
        return False
    return True


def _write_all(buffer: IO[bytes], data: bytes) -> None:
    # an unbuffered stdout (python -u) is the raw file, whose write may take only a part
    view = memoryview(data)
    while view:
        written = buffer.write(view)
        if not written:  # a non-blocking output that takes no more now
            raise BlockingIOError("the output takes no more")
        view = view[written:]


def _utf8(out: IO[str]) -> bool:
    try:
        return codecs.lookup(getattr(out, "encoding", "")).name == "utf-8"
    except (LookupError, AttributeError, TypeError):
        return False


def _stopped_writing(here: str, unflushed: str | None) -> NoReturn:
    """Exit 2, saying at which request the output was found closed and what may not have reached it."""
    # Nothing more can reach the output; point it at the null device so that
    # Python's own flush at exit does not complain a second time.
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # pragma: no cover - an output without a file
        pass
    lost = f"the answers from {unflushed} on" if unflushed and unflushed != here else "its answer"
    _fail(f"decide: output closed at {here}; stopped there ({lost} may not have been written)", 2)


def _request_texts(
    paths: tuple[Path, ...], jsonl: bool, limits: Limits = DEFAULT_LIMITS
) -> Iterator[tuple[str, int | None, Payload]]:
    """Each request of the files, as bytes, with its file name and line (with --jsonl).

    Every line of a JSON Lines file yields one item, a blank line too (Q104),
    so that the output has one line per input line. A request over the size
    limit is not held in memory: its item is the Q201 error. An OSError while
    reading ends the run (the caller says where).
    """
    most = limits.request_bytes
    if jsonl:
        for block in _request_blocks(paths, limits):
            if block is not None:  # (a pipe about to wait: each line read is answered as it came)
                name, first, _, lines = block
                for number, payload in numbered(first, lines, most):
                    yield name, number, payload
        return
    for path in paths:
        with _stream(path) as stream:
            data = stream.read(most + 1)
            yield str(path), None, data if len(data) <= most else too_big(most, what="request file")


def _request_blocks(paths: tuple[Path, ...], limits: Limits) -> Iterator[Block | None]:
    """The lines of JSON Lines files, a block of whole lines at a time (`portfolio.lines`)."""
    for path in paths:
        with _stream(path) as stream:
            yield from blocks(str(path), stream, limits.request_bytes)


def _stream(path: Path) -> IO[bytes]:
    return sys.stdin.buffer if str(path) == "-" else _open(path)


def _open(path: Path) -> IO[bytes]:
    try:
        return path.open("rb")
    except OSError as error:
        _fail(f"{path}: cannot read: {error.strerror or error}; stopped there", 2)


@main.command()
@click.argument("request", type=click.Path(allow_dash=True, path_type=Path))
@click.option(
    "--json", "as_json", is_flag=True, help="The explanation as data (the decision with its explained trace)."
)
@click.option(
    "--level",
    type=click.Choice(["reasons", "amounts", "full"]),
    default="full",
    show_default=True,
    help="How much to tell: the reasons, also the amounts, or also every rule's condition.",
)
@_POLICY
@_SET
def explain(
    request: Path, as_json: bool, level: str, policy: Path | None, assignments: tuple[str, ...]
) -> None:
    """Explain one decision: the outcome and its reasons in the policy's words, each amount with
    its formula, then each rule considered and its condition in plain words with its values.

    Exit status 1 for a request that cannot be decided (the error names its
    code and field), 2 for a file that cannot be read.

    \b
    Examples:
      mespolicy explain examples/renew-late.json
      mespolicy explain --level reasons examples/renew-late.json
      mespolicy explain --set reinstatement_fee_rate=20% examples/renew-late.json
      mespolicy explain --json examples/renew-late.json
    """
    from mespolicy.explain import Level, render_text

    loaded = _load(policy, assignments, announce=not as_json)
    try:
        _, _, text = next(_request_texts((request,), False, loaded.limits))
    except OSError as error:
        _fail(f"{request}: cannot read: {error.strerror or error}", 2)
    try:
        if isinstance(text, RequestError):
            raise text
        explanation = loaded.explain(loaded.read_json(text))
        if as_json:
            shown = json.dumps(decision_to_json(explanation.decision), indent=2, ensure_ascii=False)
        else:
            # at the terminal's width; piped or captured, 80 columns, the same on every machine
            width = shutil.get_terminal_size((80, 24)).columns if sys.stdout.isatty() else 80
            shown = render_text(explanation, Level(level), width, partial(click.style, bold=True))
    except MespolicyError as error:
        _fail(f"{request}: {error.code}: {error}")
    except Exception as error:  # a bug of ours: said in one line, with its code, not a traceback
        _fail(f"{request}: E999: {internal(error)}")
    try:
        click.echo(shown, color=_color() and None)
    except UnicodeEncodeError:
        click.echo(click.unstyle(shown).encode("ascii", "backslashreplace").decode("ascii"))


def _policy_argument(text: str | None) -> Found:
    """A policy named on the command line: a folder, `shipped`, or (left out) the one discovery finds."""
    if text == "shipped":
        return Found(shipped_rules(), "shipped", None)
    if text is None:
        return _found(None)
    # named as an argument, not by --policy: said so where the policy is named
    return attrs.evolve(_found(Path(text)), why="given")


@main.command()
@click.argument("old", required=False)
@click.argument("new", required=False)
@click.option(
    "--requests",
    "requests_file",
    default=None,
    type=click.Path(allow_dash=True, path_type=Path),
    help="JSON Lines file of requests (- for stdin); required unless --prove.",
)
@click.option("--json", "as_json", is_flag=True, help="The report as data.")
@click.option("--examples", default=5, show_default=True, help="How many changed requests to show.")
@click.option(
    "--prove",
    is_flag=True,
    help="Also prove, per action with z3, that no request is decided differently, or show each "
    "pair of rules that can decide one request differently with a witness request.",
)
@_solver_timeout("With --prove: the solver's time budget per question, in milliseconds.")
@_SET
def diff(
    old: str | None,
    new: str | None,
    requests_file: Path | None,
    as_json: bool,
    examples: int,
    prove: bool,
    solver_timeout: int,
    assignments: tuple[str, ...],
) -> None:
    """Decide every request under two policies and report what changes; with --prove, prove it.

    OLD and NEW are rule folders, or the word `shipped` for the shipped policy;
    NEW left out is the policy in front of you (--policy's default, see
    mespolicy check --help), OLD left out is `shipped`: `mespolicy diff
    --requests FILE` shows what your edits change. --set overrides apply to
    NEW, so one policy can be compared with a what-if version of itself.

    \b
    Examples:
      mespolicy diff --requests portfolio.jsonl
      mespolicy diff rules/ my-rules/ --requests portfolio.jsonl
      mespolicy diff shipped shipped --set reinstatement_fee_rate=20% --requests portfolio.jsonl
      mespolicy diff shipped my-rules/ --requests portfolio.jsonl --json
      mespolicy diff shipped shipped --set reactivation_cutoff="24 months" --prove
    """
    old_found, new_found = _policy_argument(old or "shipped"), _policy_argument(new)
    before = _load(old_found, label="old policy")
    after = _load(new_found, assignments, label="new policy")
    if requests_file is None and not prove:
        _fail("diff needs --requests FILE (a JSON Lines file of requests), or --prove, or both", 2)
    proved: dict[str, Any] = {}
    if requests_file is not None:
        names = shown_origin(old_found), shown_origin(new_found, assignments)
        proved.update(_corpus_diff(before, after, requests_file, as_json, examples, names))
    if prove:
        from mespolicy import proofs

        if not proofs.available():
            _fail("diff --prove needs z3, the proofs extra: pip install 'mespolicy[proofs]'", 2)
        from mespolicy.proofs.diff import prove_diff, render_diff

        found = prove_diff(before, after, solver_timeout)
        if as_json:
            proved["proofs"] = [action.to_json() for action in found]
        else:
            click.echo(render_diff(found, solver_timeout))
    if as_json:
        click.echo(json.dumps(proved, indent=2, ensure_ascii=False))


def _corpus_diff(
    before: Policy,
    after: Policy,
    requests_file: Path,
    as_json: bool,
    examples: int,
    names: tuple[str, str],
) -> dict[str, Any]:
    """The requests of the file decided under both policies: the report printed, or returned as data."""
    from rich.progress import Progress

    from mespolicy.diff import diff_policies
    from mespolicy.diff_report import diff_report
    from mespolicy.terminal import console, show

    lines = [(line, text) for _, line, text in _request_texts((requests_file,), True, after.limits)]
    # the bar goes to stderr, so it shows with --json too, and never into a file or a pipe
    shown_bar = len(lines) > _LARGE_PORTFOLIO and sys.stderr.isatty()
    bar = console(color=_color(), file=sys.stderr)
    with Progress(console=bar, disable=not shown_bar, transient=True) as progress:
        task = progress.add_task("deciding", total=len(lines))
        report = diff_policies(
            before,
            after,
            ((line or 0, text) for line, text in lines),
            examples=examples,
            advance=lambda: progress.advance(task),
        )
    if as_json:
        return report.to_json()
    show(console(color=_color()), diff_report(report, *names))
    return {}


# a portfolio this large takes long enough under two policies that a progress bar helps
_LARGE_PORTFOLIO = 500


@main.command()
@click.argument("what", type=click.Choice(["request", "decision"]))
@_POLICY
def schema(what: str, policy: Path | None) -> None:
    """Print the JSON Schema (2020-12) of the policy's requests or decisions, from its declarations.

    \b
    Examples:
      mespolicy schema request
      mespolicy schema decision --policy my-rules/
    """
    from mespolicy.json_schema import decision_schema, request_schema

    loaded = _load(policy, announce=False)
    make = request_schema if what == "request" else decision_schema
    click.echo(json.dumps(make(loaded.checked), indent=2, ensure_ascii=False))


@main.command(name="test")
@click.argument("path", type=click.Path(exists=True, path_type=Path), required=False)
@click.option(
    "-k",
    "keyword",
    metavar="EXPRESSION",
    help="Only the tests whose name holds a word; words joined by and, or, not, ( ) as with pytest -k.",
)
@click.option("-x", "--exitfirst", is_flag=True, help="Stop at the first failing test.")
@click.option("-v", "--verbose", is_flag=True, help="One line per test, PASSED or FAILED, as it runs.")
@click.option(
    "--junitxml",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the results to this file as JUnit XML, for CI systems.",
)
@click.option(
    "--durations",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help="Show the N slowest tests (0: none). Default: 5 with -v, none without.",
)
@_SET
def test_command(
    path: Path | None,
    keyword: str | None,
    exitfirst: bool,
    verbose: bool,
    junitxml: Path | None,
    durations: int | None,
    assignments: tuple[str, ...],
) -> None:
    """Run the tests written beside the rules (in the rule files and in their tests/ folder).

    PATH is a policy folder, or one rule file: the tests of that file, run
    under its policy. Without PATH: the policy --policy would default to (see
    mespolicy check --help). Each failing test is a block: its name and
    file:line, then each difference as the test's line (-) and the line that
    would hold for the decision made (+), ready to paste; then `N passed, N
    failed`. Exit status 0 when every test passed, 1 when one failed, 2 when
    the policy or its tests do not check.

    \b
    Examples:
      mespolicy test
      mespolicy test rules/
      mespolicy test rules/tests/renewal.mes -k late
      mespolicy test -x -v --junitxml results.xml
      mespolicy test rules/ --set reinstatement_fee_rate=20%
    """
    from mespolicy.loader import read_folder
    from mespolicy.policy import from_files
    from mespolicy.results import LEGEND, failure_block, junit_xml, slowest, summary, verbose_line
    from mespolicy.selection import matcher
    from mespolicy.testing import check_tests, run_test, tests_in

    found, only = _target(path)
    limits = _limits()
    try:
        picks = matcher(keyword) if keyword is not None else None
        read = read_folder(found.path, limits, libraries=run_libraries())  # each file read and parsed once
        loaded = from_files(read.policy, found.origin, limits).with_overrides(parse_assignments(assignments))
        tests = tests_in(read.files)
        check_tests(loaded, tests)
    except MespolicyError as error:
        _fail(_errors_of(error, found, only), 2)
    _announce(found, loaded)
    # a FILE narrows the run to its tests; -k deselects among them
    scope = [test for test in tests if only is None or test.span.source.path == only]
    chosen = [test for test in scope if picks is None or picks(test.name)]
    results = []
    for test in chosen:
        result = run_test(loaded, test)
        results.append(result)
        if verbose:
            click.echo(_styled(verbose_line(result, found.shown), result.passed))
        if exitfirst and not result.passed:
            break
    failed = [r for r in results if not r.passed]
    if failed:
        click.echo(("\n" if verbose else "") + LEGEND)
    for result in failed:
        block = failure_block(result, found.shown)
        click.echo("\n" + _styled(block[0], False))
        click.echo("\n".join(block[1:]))
    shown_slowest = slowest(results, durations if durations is not None else 5 if verbose else 0, found.shown)
    if shown_slowest:
        click.echo("\n" + "\n".join(shown_slowest))
    if junitxml is not None:
        try:
            junit_xml(results, junitxml, found.shown)
        except OSError as error:
            _fail(f"{junitxml}: cannot write: {error.strerror or error}", 2)
    if failed or verbose or shown_slowest:
        click.echo()
    click.echo(summary(results, len(scope) - len(chosen), len(chosen) - len(results)))
    if failed:
        sys.exit(1)


def _styled(line: str, passed: bool) -> str:
    return click.style(line, fg="green" if passed else "red", bold=not passed)


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
    from mespolicy.params_table import parameters_list
    from mespolicy.terminal import console, show

    found = _found(policy)
    loaded = _load(found, assignments)
    on = day.date() if day else datetime.date.today()
    show(console(color=_color()), parameters_list(loaded, on, shown_origin(found, assignments)))


def shown_origin(found: Found, assignments: tuple[str, ...] = ()) -> str:
    """The policy as people are shown it: its folder as given, or `shipped policy`, never an install path."""
    origin = "shipped policy" if found.shown is None else found.shown
    return f"{origin} with {', '.join(assignments)}" if assignments else origin


def _color() -> bool:
    """Color unless --no-color (before or after the command's name) or NO_COLOR says otherwise."""
    from mespolicy.terminal import wants_color

    context = click.get_current_context(silent=True)
    return wants_color(context is not None and context.find_root().color is False)


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
            help="Plain output, no color or style (also when NO_COLOR is set).",
        )
    )


if __name__ == "__main__":  # pragma: no cover
    main()
