"""The oracles every fuzzed input goes through, the figures they keep, and the found cases they write.

What may come out of mespolicy on any input is its own error (`MespolicyError`), and
in the located form: a `PolicyFileError` has diagnostics, each with a file and a line;
an `EvaluationError` raised by `Policy.decide` has a span. Anything else is
`Unexpected`, which carries the input that raised it so the driver can keep it in
`found/`. Besides exceptions the oracles check:

- no error output quotes text from outside the policy folder (a planted file, /etc/passwd,
  the process environment);
- `explain` succeeds (and agrees) wherever `decide` succeeded;
- `mespolicy decide --jsonl` prints one line per request line, each JSON, never a
  traceback or an internal error, and exits 0 when every line was decided, 1 otherwise;
- one input takes at most `Budget.seconds` (a hang is a finding, not a stuck run).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import signal
import tempfile
import traceback
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType

import attrs
from click.testing import CliRunner

import mespolicy
from mespolicy.cli import main as cli_main
from mespolicy.errors import EvaluationError, MespolicyError, PolicyFileError
from mespolicy.explain import render_text
from mespolicy.model.facts import Facts
from mespolicy.model.request import Request, RequestError

# a request built in Python (the host's objects) or read from JSON by a policy's declared facts
AnyRequest = Request | Facts

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"
EXAMPLES = ROOT / "examples"
FOUND = Path(__file__).resolve().parent / "found"

# A planted file beside every fuzzed policy folder: its text must never show in an error.
CANARY = "FUZZ-CANARY-3f9a1c"
OUTSIDE_TEXT = f"# {CANARY} outside the policy folder\n{CANARY}-secret = 1\n"

STATS: Counter[str] = Counter()


class Unexpected(AssertionError):
    """An outcome no input may cause; `case` is the input (file name -> bytes) that caused it."""

    def __init__(self, what: str, case: Mapping[str, bytes], error: BaseException | None = None) -> None:
        self.what = what
        self.case = dict(case)
        self.error = error
        detail = "" if error is None else f": {type(error).__name__}: {_short(error)}"
        super().__init__(f"{what}{detail}")

    def __repr__(self) -> str:
        return f"Unexpected({self})"

    @property
    def signature(self) -> str:
        """What makes two findings the same bug: the check, the exception and where it was raised."""
        if self.error is None:
            return self.what.split(":")[0]
        frames = traceback.extract_tb(self.error.__traceback__)
        ours = [f for f in frames if "mespolicy" in f.filename and "/tests/" not in f.filename]
        where = f"{Path(ours[-1].filename).name}:{ours[-1].name}" if ours else "?"
        return f"{self.what.split(':')[0]}|{type(self.error).__name__}|{where}"

    def summary(self) -> str:
        lines = [str(self)]
        if self.error is not None:
            lines += traceback.format_exception(type(self.error), self.error, self.error.__traceback__)[-12:]
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _short(error: BaseException) -> str:
    text = str(error)
    return text if len(text) < 300 else text[:300] + "..."


# -- known findings: the long run records each bug once and goes on looking for others


@attrs.define
class Known:
    """Signatures already found in this run; a repeat is counted, not raised."""

    signatures: set[str] = attrs.Factory(set)
    skip_known: bool = False

    def raise_(self, found: Unexpected) -> None:
        STATS["unexpected"] += 1
        if self.skip_known and found.signature in self.signatures:
            STATS["unexpected (already found)"] += 1
            return
        raise found


KNOWN = Known()


# -- time budget: a hang is a finding


class Timeout(BaseException):
    """One input ran past its budget."""


@attrs.define
class Budget:
    seconds: float = 20.0


BUDGET = Budget()


@contextlib.contextmanager
def time_limit(what: str) -> Iterator[None]:
    def expire(_signum: int, _frame: FrameType | None) -> None:
        raise Timeout(f"{what} took more than {BUDGET.seconds:g} s")

    if not hasattr(signal, "setitimer"):
        yield
        return
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, BUDGET.seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# -- the foreign text an error must never quote


def _foreign_snippets() -> tuple[tuple[str, str], ...]:
    """(where from, text): the planted canary, the lines of /etc/passwd, the process environment."""
    snippets = [("the planted file outside.mes", CANARY)]
    for path in ("/etc/passwd", "/proc/self/environ"):
        with contextlib.suppress(OSError):
            raw = Path(path).read_bytes().decode("utf-8", "replace")
            parts = raw.replace("\0", "\n").splitlines()
            snippets.extend((path, p) for p in parts if len(p) >= 16 and ("=" in p or ":" in p))
    return tuple(snippets)


FOREIGN = _foreign_snippets()


def check_no_leak(text: str, what: str, case: Mapping[str, bytes]) -> None:
    """No foreign text in `text` (named by where it is from: a found case must not keep a secret)."""
    inside = b"".join(case.values()).decode("utf-8", "replace")
    for origin, snippet in FOREIGN:
        if snippet in text and snippet not in inside:
            KNOWN.raise_(Unexpected(f"leak: {what} quotes text of {origin}", case))


# -- the oracles


_OWN_ERRORS = frozenset({"R312", "E999"})


def check_project_error(error: BaseException, what: str, case: Mapping[str, bytes]) -> None:
    """`error` must be mespolicy's own, located, and render without raising or leaking."""
    if isinstance(error, Unexpected):
        raise error
    if isinstance(error, Timeout):
        KNOWN.raise_(Unexpected(f"slow: {what}: {error}", case))
        return
    if not isinstance(error, MespolicyError):
        KNOWN.raise_(Unexpected(what, case, error))
        return
    if error.code in _OWN_ERRORS:
        # R312 and E999 are how mespolicy reports a bug of its own without stopping: still a finding
        KNOWN.raise_(Unexpected(f"{what}: {error.code}", case, error))
        return
    try:
        rendered = error.render()
        str(error)
    except Exception as inner:
        KNOWN.raise_(Unexpected(f"{what}: render()", case, inner))
        return
    check_no_leak(rendered, f"{what} error", case)
    if isinstance(error, PolicyFileError):
        spans = [d.span for d in error.diagnostics]
        if not spans or any(s.line < 1 or s.column < 1 or not s.source.path for s in spans):
            KNOWN.raise_(Unexpected(f"{what}: a PolicyFileError without a located diagnostic", case, error))


def load_folder(folder: Path, case: Mapping[str, bytes]) -> mespolicy.Policy | None:
    """The policy of a folder, or None after checking the error it gave."""
    STATS["policies read"] += 1
    try:
        with time_limit("load"):
            policy = mespolicy.load(folder)
    except (Exception, Timeout) as error:
        check_project_error(error, "load", case)
        return None
    STATS["policies loaded"] += 1
    return policy


def load_text(text: str, case: Mapping[str, bytes]) -> mespolicy.Policy | None:
    """The policy of one rule file's text (parse, check, compile without the disk)."""
    from mespolicy.parser import parse
    from mespolicy.policy import from_files

    STATS["policies read"] += 1
    try:
        with time_limit("load"):
            policy = from_files((parse(text, "generated.mes"),), "generated")
    except (Exception, Timeout) as error:
        check_project_error(error, "load", case)
        codes = [d.code for d in error.diagnostics] if isinstance(error, PolicyFileError) else []
        if "L104" in codes:
            # a generated policy nests a few levels, far below Limits.nesting_depth
            found = Unexpected("load: L104 (nests too deeply) on a policy nesting a few levels", case, error)
            KNOWN.raise_(found)
        return None
    STATS["policies loaded"] += 1
    return policy


def decide(policy: mespolicy.Policy, request: AnyRequest, case: Mapping[str, bytes]) -> None:
    """Decide and explain one request: project errors only, located; explain wherever decide works."""
    case = {**case, "requests.jsonl": _request_line(request)}
    STATS["requests tried"] += 1
    try:
        with time_limit("decide"):
            decision = policy.decide(request)
    except (Exception, Timeout) as error:
        check_project_error(error, "decide", case)
        if isinstance(error, EvaluationError) and error.span is None:
            KNOWN.raise_(Unexpected("decide: an EvaluationError without a location", case, error))
        STATS["requests refused"] += 1
        return
    STATS["requests decided"] += 1
    try:
        with time_limit("decide again"):
            again = policy.decide(request)
    except (Exception, Timeout) as error:
        KNOWN.raise_(Unexpected("decide: the same request failed the second time", case, error))
        return
    if again != decision:
        KNOWN.raise_(Unexpected("decide: the same request decided twice differs", case))
    try:
        with time_limit("explain"):
            json.dumps(mespolicy.decision_to_json(decision), ensure_ascii=False)
            explanation = policy.explain(request)
            render_text(explanation)
    except (Exception, Timeout) as error:
        KNOWN.raise_(
            Unexpected("explain (or the decision's JSON) failed where decide succeeded", case, error)
        )
        return
    shown = explanation.decision
    if (shown.outcome, shown.charges, shown.total, shown.reasons) != (
        decision.outcome,
        decision.charges,
        decision.total,
        decision.reasons,
    ):
        KNOWN.raise_(Unexpected("explain: its decision differs from decide's", case))


def what_if(
    policy: mespolicy.Policy,
    overrides: Mapping[str, str],
    requests: Sequence[AnyRequest],
    case: Mapping[str, bytes],
) -> None:
    """`Policy.with_overrides` (what `--set NAME=VALUE` does), then the same requests under it."""
    shown = "".join(f"# --set {name}={value}\n" for name, value in overrides.items())
    case = {**case, "overrides.txt": shown.encode("utf-8", "surrogatepass")}
    STATS["what-if runs"] += 1
    try:
        with time_limit("with_overrides"):
            changed = policy.with_overrides(overrides)
    except (Exception, Timeout) as error:
        check_project_error(error, "with_overrides", case)
        return
    for request in requests:
        decide(changed, request, case)


def _request_line(request: AnyRequest) -> bytes:
    return json.dumps(mespolicy.request_to_json(request), ensure_ascii=False).encode("utf-8", "surrogatepass")


def example_requests() -> list[Facts]:
    """The shipped example requests (every line of the .jsonl files, every .json file)."""
    found = [
        mespolicy.parse_request_json(p.read_text(encoding="utf-8")) for p in sorted(EXAMPLES.glob("*.json"))
    ]
    for path in sorted(EXAMPLES.glob("*.jsonl")):
        found.extend(
            mespolicy.parse_request_json(line)
            for line in path.read_text(encoding="utf-8").splitlines()
            if line
        )
    return found


@contextlib.contextmanager
def policy_folder(files: Mapping[str, bytes], links: Mapping[str, str] = {}) -> Iterator[Path]:
    """A temporary folder `policy/` holding `files` (names may have one `tests/` level), beside
    `outside.mes` (the canary); `links` are symlinks to make in it (name -> target)."""
    with tempfile.TemporaryDirectory(prefix="mespolicy-fuzz-") as tmp:
        root = Path(tmp)
        (root / "outside.mes").write_text(OUTSIDE_TEXT, encoding="utf-8")
        folder = root / "policy"
        folder.mkdir()
        for name, data in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        for name, target in links.items():
            with contextlib.suppress(OSError):
                (folder / name).symlink_to(target.replace("{root}", str(root)))
        yield folder


def check_format(name: str, data: bytes, case: Mapping[str, bytes]) -> None:
    """`mespolicy fmt` on a rule file: project errors only; what it prints parses back to the same
    tree, and formatting that again changes nothing (formatter.py's promises)."""
    from mespolicy.formatter import format_text
    from mespolicy.parser import parse

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return  # the loader refuses it, located; fmt reads text
    STATS["files formatted"] += 1
    try:
        with time_limit("fmt"):
            tree = parse(text, name)
            once = format_text(text, name)
    except (Exception, Timeout) as error:
        check_project_error(error, "fmt", case)
        return
    try:
        with time_limit("fmt again"):
            again_tree = parse(once, name)
            twice = format_text(once, name)
    except (Exception, Timeout) as error:
        KNOWN.raise_(Unexpected("fmt: the formatted text does not parse", case, error))
        return
    if again_tree != tree:
        KNOWN.raise_(Unexpected("fmt: the formatted text parses to another tree", case))
    elif twice != once:
        KNOWN.raise_(Unexpected("fmt: formatting twice changes the text again", case))


def run_folder(
    files: Mapping[str, bytes],
    requests: Sequence[AnyRequest],
    links: Mapping[str, str] = {},
    changed: Sequence[str] = (),
) -> None:
    """Load a rule folder, decide and explain `requests` under it, and run the tests beside its rules;
    the `changed` files also go through the formatter."""
    from mespolicy.testing import build_request, check_tests, collect_tests

    case = {f"rules/{name}": data for name, data in files.items()}
    case.update({f"links/{name}": target.encode() for name, target in links.items()})
    for name in changed:
        check_format(name, files[name], case)
    with policy_folder(files, links) as folder:
        policy = load_folder(folder, case)
        if policy is None:
            return
        for request in requests:
            decide(policy, request, case)
        try:
            with time_limit("rule tests"):
                tests = collect_tests(folder)
                check_tests(policy, tests)
        except (Exception, Timeout) as error:
            check_project_error(error, "rule tests", case)
            return
        for test in tests:
            try:
                request = build_request(test)
            except (Exception, Timeout) as error:
                check_project_error(error, "rule test request", case)
                continue
            decide(policy, request, case)


def run_policy_text(
    text: str, requests: Sequence[AnyRequest], overrides: Mapping[str, str] = {}
) -> mespolicy.Policy | None:
    """A generated rule file: it must load (or fail with a located error), then decide and explain,
    also with `overrides` (what-if)."""
    case = {"rules/generated.mes": text.encode("utf-8", "surrogatepass")}
    policy = load_text(text, case)
    if policy is not None:
        for request in requests:
            decide(policy, request, case)
        if overrides:
            what_if(policy, overrides, requests, case)
    return policy


@attrs.define
class _Shipped:
    policy: mespolicy.Policy | None = None

    def get(self) -> mespolicy.Policy:
        if self.policy is None:
            self.policy = mespolicy.load(RULES)
        return self.policy


SHIPPED = _Shipped()


def run_request_line(line: bytes) -> None:
    """One request line (any bytes) through `parse_request_json` and the shipped policy."""
    case = {"requests.jsonl": line}
    text = line.decode("utf-8", "surrogateescape")
    STATS["request lines tried"] += 1
    try:
        with time_limit("parse_request_json"):
            request = mespolicy.parse_request_json(text)
    except (Exception, Timeout) as error:
        check_project_error(error, "parse_request_json", case)
        if isinstance(error, MespolicyError) and not isinstance(error, RequestError):
            KNOWN.raise_(Unexpected("parse_request_json: an error other than RequestError", case, error))
        return
    decide(SHIPPED.get(), request, {})


JSON_BLANK = b" \t\r"


def run_cli_jsonl(data: bytes) -> None:
    """`mespolicy decide --jsonl FILE`: one JSON line out per request line in, exit 0 or 1, no traceback."""
    case = {"requests.jsonl": data}
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    wanted = list(range(1, len(lines) + 1))  # every line, a blank one too, gets its line out
    STATS["jsonl runs"] += 1
    STATS["jsonl lines"] += len(lines)
    with tempfile.TemporaryDirectory(prefix="mespolicy-fuzz-") as tmp:
        path = Path(tmp) / "requests.jsonl"
        path.write_bytes(data)
        runner = CliRunner()
        try:
            with time_limit("decide --jsonl"):
                result = runner.invoke(cli_main, ["--no-color", "decide", "--jsonl", str(path)])
        except Timeout as error:
            KNOWN.raise_(Unexpected(f"slow: {error}", case))
            return
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        KNOWN.raise_(Unexpected("decide --jsonl raised", case, result.exception))
        return
    for stream, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        if "Traceback" in text:
            KNOWN.raise_(Unexpected(f"decide --jsonl: a traceback on {stream}", case))
    if result.exit_code not in (0, 1):
        KNOWN.raise_(Unexpected(f"decide --jsonl: exit status {result.exit_code}", case))
    out = result.stdout_bytes.split(b"\n")
    if out and out[-1] == b"":
        out.pop()
    if len(out) != len(wanted):
        KNOWN.raise_(Unexpected(f"decide --jsonl: {len(wanted)} request lines, {len(out)} lines out", case))
        return
    failed = 0
    for number, answer in zip(wanted, out, strict=True):
        try:
            obj = json.loads(answer)
        except ValueError:
            KNOWN.raise_(Unexpected(f"decide --jsonl: line {number}'s answer is not JSON", case))
            return
        refused = obj.get("error") if isinstance(obj, dict) else None
        if refused is not None:
            failed += 1
            message = str(refused.get("message", ""))
            if "internal error" in message:
                KNOWN.raise_(Unexpected(f"decide --jsonl: line {number}: {message[:200]}", case))
            named = refused.get("line")
            if named != number:
                KNOWN.raise_(Unexpected(f"decide --jsonl: line {number}'s error names line {named}", case))
            check_no_leak(message, "decide --jsonl", case)
    if (result.exit_code == 0) != (failed == 0):
        KNOWN.raise_(
            Unexpected(f"decide --jsonl: exit status {result.exit_code} with {failed} lines refused", case)
        )
    STATS["jsonl lines decided"] += len(wanted) - failed


# -- found cases: written by the driver, replayed by the tests


def case_name(kind: str, case: Mapping[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(case):
        digest.update(name.encode() + b"\0" + case[name] + b"\0")
    return f"{kind}-{digest.hexdigest()[:12]}"


def save_case(kind: str, found: Unexpected, folder: Path = FOUND) -> Path:
    """Write the input of a finding to `found/<kind>-<hash>/` (its files, and what it raised)."""
    target = folder / case_name(kind, found.case)
    if target.exists():
        shutil.rmtree(target)
    _write_case(target, found.case)
    (target / "FOUND.txt").write_text(found.summary(), encoding="utf-8", errors="backslashreplace")
    return target


def minimize_case(kind: str, found: Unexpected) -> Unexpected:
    """The finding with every rule file it does not need left out (hypothesis shrinks the edits,
    not the untouched files of the folder): a file goes if the case still fails the same way."""
    current = found
    skipping, KNOWN.skip_known = KNOWN.skip_known, False
    try:
        current = _without_unneeded_files(current)
    finally:
        KNOWN.skip_known = skipping
    return current


def _without_unneeded_files(found: Unexpected) -> Unexpected:
    current = found
    for name in sorted(current.case):
        if not name.startswith("rules/") or len(current.case) < 2:
            continue
        smaller = {k: v for k, v in current.case.items() if k != name}
        try:
            with tempfile.TemporaryDirectory(prefix="mespolicy-fuzz-") as tmp:
                replay_case(_write_case(Path(tmp) / "case", smaller))
        except Unexpected as again:
            if again.signature == current.signature:
                current = again
    return current


def _write_case(target: Path, case: Mapping[str, bytes]) -> Path:
    for name, data in case.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return target


def replay_case(folder: Path) -> None:
    """Run a found case through the oracles it came from; raises Unexpected if it still fails."""
    rules = folder / "rules"
    lines = (folder / "requests.jsonl").read_bytes() if (folder / "requests.jsonl").exists() else None
    if rules.is_dir():
        files = {str(p.relative_to(rules)): p.read_bytes() for p in sorted(rules.rglob("*")) if p.is_file()}
        links_folder = folder / "links"
        links = (
            {p.name: p.read_text(encoding="utf-8") for p in links_folder.iterdir()}
            if links_folder.is_dir()
            else {}
        )
        requests = example_requests() if lines is None else _readable_requests(lines)
        overrides = {}
        if (folder / "overrides.txt").exists():
            shown = (folder / "overrides.txt").read_bytes().decode("utf-8", "surrogatepass")
            for assignment in shown.splitlines():
                name, _, value = assignment.removeprefix("# --set ").partition("=")
                overrides[name] = value
        if list(files) == ["generated.mes"] and not links:
            run_policy_text(files["generated.mes"].decode("utf-8", "surrogatepass"), requests, overrides)
        else:
            shipped = {p.relative_to(RULES).as_posix(): p.read_bytes() for p in RULES.rglob("*.mes")}
            changed = [name for name, data in files.items() if shipped.get(name) != data]
            run_folder(files, requests, links, changed)
        return
    if lines is not None:
        for line in lines.split(b"\n"):
            if line.strip(JSON_BLANK):
                run_request_line(line)
        run_cli_jsonl(lines)


def _readable_requests(lines: bytes) -> list[Facts]:
    """The requests of a found case that still read (a later change may refuse some: no matter here)."""
    found = []
    for line in lines.splitlines():
        try:
            found.append(mespolicy.parse_request_json(line.decode("utf-8", "surrogatepass")))
        except (MespolicyError, UnicodeDecodeError):
            continue
    return found


def found_cases(folder: Path = FOUND) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
