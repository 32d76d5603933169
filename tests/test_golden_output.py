"""The output for people, pinned: `decide` and `diff` at 80 columns with --no-color, as golden files.

A golden file is the whole output, reviewed in the diff when it changes on purpose:
regenerate with `MESPOLICY_RESET_GOLDEN=1 pytest tests/test_golden_output.py`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from mespolicy.cli import main

GOLDEN = Path(__file__).parent / "golden"
RULES = Path(__file__).parent.parent / "rules"
ESCAPE = re.compile(r"\x1b|\x9b")


def _run(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, args, env=env)
    return result.exit_code, result.stdout, result.stderr


def _compare(golden: Path, actual: str) -> None:
    if os.environ.get("MESPOLICY_RESET_GOLDEN"):
        golden.write_text(actual, encoding="utf-8")
    expected = golden.read_text(encoding="utf-8")
    assert actual == expected, f"{golden.name} differs (MESPOLICY_RESET_GOLDEN=1 to rewrite it)"


DECIDE = sorted(path.stem for path in (GOLDEN / "decide").glob("*.json"))


def test_the_decide_goldens_cover_the_four_cases() -> None:
    assert DECIDE == ["cancellation", "renewal-late", "renewal-on-time", "renewal-past-cutoff"]


@pytest.mark.parametrize("name", DECIDE)
def test_decide_table_at_80_columns_without_color(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(GOLDEN / "decide")  # the request's name, as typed, heads the table
    code, out, err = _run(["--no-color", "decide", "--format", "table", f"{name}.json"])
    assert (code, err) == (0, "")
    assert not ESCAPE.search(out)
    assert max(len(line) for line in out.splitlines()) <= 80
    assert out == out.rstrip() + "\n" and all(line == line.rstrip() for line in out.splitlines())
    _compare(GOLDEN / "decide" / f"{name}.txt", out)


def test_decide_table_with_the_trace_lists_every_rule_considered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(GOLDEN / "decide")
    _, plain, _ = _run(["--no-color", "decide", "--format", "table", "renewal-late.json"])
    _, traced, _ = _run(["--no-color", "decide", "--format", "table", "--trace", "renewal-late.json"])
    assert "Rules considered" not in plain
    assert traced.startswith(plain.rstrip("\n"))
    for rule in ("past_reactivation_cutoff", "timely_renewal", "late_renewal"):
        assert rule in traced
    assert "renewal.mes:17" in traced  # located in the policy folder, never an install path


def _proposed(folder: Path) -> Path:
    """The shipped policy with the reinstatement fee at 30% and the reactivation cutoff at 24 months."""
    proposed = folder / "proposed"
    shutil.copytree(RULES, proposed)
    parameters = proposed / "parameters.mes"
    text = parameters.read_text(encoding="utf-8")
    for old, new in (
        ("reinstatement_fee_rate: rate in 0%..100% = 25%", "reinstatement_fee_rate: rate in 0%..100% = 30%"),
        (
            "reactivation_cutoff: months in 0 months.. = 36 months",
            "reactivation_cutoff: months in 0 months.. = 24 months",
        ),
    ):
        assert old in text
        text = text.replace(old, new)
    parameters.write_text(text, encoding="utf-8")
    return proposed


@pytest.fixture
def proposed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(GOLDEN / "diff" / "requests.jsonl", tmp_path / "requests.jsonl")
    monkeypatch.chdir(tmp_path)
    return _proposed(tmp_path)


DIFF = ["diff", "shipped", "proposed", "--requests", "requests.jsonl", "--examples", "20"]


def test_diff_at_80_columns_without_color(proposed: Path) -> None:
    code, out, err = _run(["--no-color", *DIFF])
    # stderr names the two policies compared, and holds nothing else
    assert code == 0 and [line.split(" sha256:")[0] for line in err.splitlines()] == [
        "old policy: the shipped policy (shipped)",
        "new policy: proposed (given)",
    ]
    assert not ESCAPE.search(out)
    assert max(len(line) for line in out.splitlines()) <= 80
    _compare(GOLDEN / "diff" / "report.txt", out)


def test_no_color_in_the_environment_is_plain_too(proposed: Path) -> None:
    _, flagged, _ = _run(["--no-color", *DIFF])
    _, by_environment, _ = _run(DIFF, env={"NO_COLOR": "1"})
    assert by_environment == flagged


def test_diff_labels_each_change_by_its_kind(proposed: Path) -> None:
    _, out, _ = _run([*DIFF, "--json"])
    report = json.loads(out)
    changes = {change["line"]: change for change in report["changes"]}
    # the status's reinstatable_until moved with the cutoff: an output, not a term
    assert changes[10]["kinds"] == ["output changed"]
    assert changes[10]["fields"] == [
        {"field": "reinstatable_until", "kind": "output changed", "old": "2029-03-01", "new": "2028-03-01"}
    ]
    # the renewal 27 months late is rejected under the 24-month cutoff: its revenue moved, not an amount
    assert changes[3]["kinds"] == ["outcome changed"]
    assert {f["field"] for f in changes[3]["fields"]} >= {"outcome", "renewal on M1", "total"}
    assert report["by_kind"]["amount changed"] == 2  # the late renewal and the late deferral only
    moved = report["money"]["moved"]["approved -> rejected"]
    assert moved["requests"] == 1
    within = report["money"]["within_approved"]
    # 30% instead of 25% on the lapsed fees of the late renewal (40 days) and the deferral (91 days)
    assert within["by_charge"] == {"reinstatement_fee": {"USD": "215.33"}}
    assert within["total"] == {"USD": "215.33"}
    lost = Decimal(moved["amount"]["USD"])
    assert lost < 0
    assert report["money"]["net"] == {"USD": str(Decimal("215.33") + lost)}


def _decide_bytes(cwd: Path, *args: str) -> bytes:
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    done = subprocess.run(
        [sys.executable, "-m", "mespolicy.cli", "decide", "--format", "json", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        check=True,
    )
    return done.stdout


@pytest.mark.parametrize("trace", [[], ["--trace"]])
def test_a_decision_is_the_same_bytes_from_any_working_directory(tmp_path: Path, trace: list[str]) -> None:
    request = str((GOLDEN / "decide" / "renewal-late.json").resolve())
    here = Path(__file__).parent.parent
    shipped = [_decide_bytes(folder, *trace, request) for folder in (here, tmp_path)]
    assert shipped[0] == shipped[1]
    # the trace, where the locations are, is in the JSON only when asked for
    assert (b'"location": "renewal.mes:' in shipped[0]) == bool(trace)
    # a policy folder named relatively from one place and absolutely from another
    own = [
        _decide_bytes(here, *trace, "--policy", "rules", request),
        _decide_bytes(tmp_path, *trace, "--policy", str(RULES.resolve()), request),
    ]
    assert own[0] == own[1] == shipped[0]
