"""Rule files in tests/bad/proofs that pass the checker but not the proofs: overlaps, gaps, dead rules.

Each file states its findings in `# expect:` lines, as the files of tests/bad do; every overlap and
gap comes with a witness request, which these tests decide again to see it fail as predicted.
"""

from __future__ import annotations

import functools
import json
from datetime import date
from pathlib import Path

import pytest

from mespolicy.errors import EvaluationError
from mespolicy.model.calendar import add_months
from mespolicy.policy import Policy, load
from mespolicy.proofs.analysis import GAP, OVERLAP, ActionReport, Finding, prove
from mespolicy.proofs.report import message
from tests.test_bad_rules import expectations

BAD = Path(__file__).parents[1] / "bad" / "proofs"
PATHS = sorted(BAD.glob("*.mes"))
# The solver's budget is wall-clock time: generous, so a machine busy with other work gives the same answers.
SOLVER_MS = 30000


@functools.cache
def proved(path: Path) -> tuple[Policy, tuple[ActionReport, ...]]:
    """The policy of a bad file and its proofs, worked out once for all the tests that look at them."""
    policy = load(path)
    return policy, prove(policy, SOLVER_MS)


def findings(path: Path) -> list[Finding]:
    return [finding for report in proved(path)[1] for finding in report.findings]


def decided_code(policy: Policy, witness: str) -> str | None:
    """The error code of deciding the witness request, read as `decide` reads a JSON file."""
    try:
        policy.decide(policy.read_json(witness))
    except EvaluationError as error:
        return error.code
    return None


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_the_proofs_report_exactly_the_expected_findings(path: Path) -> None:
    policy, reports = proved(path)
    found = []
    for report in reports:
        action = policy.checked.actions[report.action]
        for finding in report.findings:
            span = finding.location(action.span)
            said = f"action '{finding.action}': {message(finding)}"
            found.append(f"{span.line}:{span.column} {finding.code} {said}")
    assert found == [str(w) for w in expectations(path)]


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_every_overlap_and_gap_has_a_witness_that_fails_as_predicted(path: Path) -> None:
    policy, _ = proved(path)
    for finding in findings(path):
        if finding.kind in (OVERLAP, GAP):
            assert finding.witness is not None
            assert decided_code(policy, finding.witness) == {OVERLAP: "R308", GAP: "R309"}[finding.kind]


def witness_of(name: str, kind: str = OVERLAP) -> dict[str, object]:
    (finding,) = [f for f in findings(BAD / name) if f.kind == kind]
    assert finding.witness is not None
    found = json.loads(finding.witness)
    assert isinstance(found, dict)
    return found


def contract_end(request: dict[str, object]) -> date:
    contracts = request["contracts"]
    assert isinstance(contracts, list)
    (contract,) = [c for c in contracts if c["id"] == request["contract"]]
    return date.fromisoformat(contract["end"])


def test_the_leap_day_overlap_is_found_on_a_contract_ending_on_29_february() -> None:
    end = contract_end(witness_of("overlap_on_leap_day.mes"))
    assert (end.month, end.day) == (2, 29)


def test_the_month_end_overlap_is_found_on_a_contract_ending_where_a_month_step_clamps() -> None:
    end = contract_end(witness_of("overlap_on_month_end.mes"))
    # a month later falls in a shorter month, so the day is clamped
    assert add_months(end, 1).day < end.day


def test_the_gap_is_found_where_a_month_from_the_notice_is_shorter_than_the_notice_period() -> None:
    request = witness_of("gap_notice_longer_than_short_month.mes", GAP)
    day = date.fromisoformat(str(request["date"]))
    end = contract_end(request)
    assert (add_months(day, 1) - day).days < 30
    assert add_months(day, 1) <= end < day.fromordinal(day.toordinal() + 30)


def test_without_the_clamping_case_the_leap_day_policy_proves() -> None:
    """Rules that differ only where a month step clamps are proved once the contract cannot end there."""
    text = (BAD / "overlap_on_leap_day.mes").read_text(encoding="utf-8")
    fixed = text.replace("date + renewal_term >= next_end", "date >= expiry")
    from mespolicy.parser import parse
    from mespolicy.policy import from_files

    policy = from_files((parse(fixed, "fixed.mes"),), "fixed")
    (report,) = prove(policy, SOLVER_MS)
    assert report.proved and not report.findings
