"""The proofs of `check`: the shipped policy and the example policies proved, the calendar as the runtime
counts it, and the command's output and exit codes."""

from __future__ import annotations

import functools
import json
import random
import shutil
from datetime import date
from pathlib import Path

import pytest
import z3
from click.testing import CliRunner

from mespolicy.cli import main
from mespolicy.loader import shipped_rules
from mespolicy.model.calendar import add_months
from mespolicy.parser import parse
from mespolicy.policy import from_files, load
from mespolicy.proofs.analysis import ActionReport, prove
from mespolicy.proofs.calendar import Calendar, Day, literal

ROOT = Path(__file__).parents[2]
EXAMPLES = sorted((ROOT / "examples" / "policies").iterdir())
BAD = ROOT / "tests" / "bad" / "proofs"

# What is not proved, by policy and action, with why: nothing, today. A change of the rules or of the
# encoding that leaves an action unproved must be written here, with its reason.
UNPROVED: dict[str, dict[str, str]] = {}
# The solver's budget is wall-clock time: generous, so a machine busy with other work gives the same answers.
SOLVER_MS = 30000


@functools.cache
def _proved(folder: Path) -> tuple[ActionReport, ...]:
    # the shipped and example policies are proved once for the tests below (a minute and more each,
    # for the policy with month steps at the generous budget)
    return prove(load(folder), SOLVER_MS)


@pytest.mark.parametrize("folder", [shipped_rules(), *EXAMPLES], ids=lambda p: p.name)
def test_every_action_of_the_shipped_and_example_policies_is_proved(folder: Path) -> None:
    reports = _proved(folder)
    unproved = {report.action: report.status for report in reports if not report.proved}
    assert unproved == UNPROVED.get(folder.name, {})
    assert [f.message for report in reports for f in report.findings] == []


def test_what_the_shipped_policy_leaves_open_is_named() -> None:
    """Lists are not variables: what is computed from them is left open, and the proof holds regardless."""
    reports = {report.action: report for report in _proved(shipped_rules())}
    assert reports["renew"].open == ()
    assert any(
        item.startswith("count(...) of a list at cotermination.mes:") for item in reports["coterminate"].open
    )


def test_month_steps_clamp_as_the_runtime_does() -> None:
    rng = random.Random(13)
    calendar = Calendar()
    day = Day(number=z3.Int("day"))
    for _ in range(30):
        start = date.fromordinal(rng.randint(date(1600, 1, 1).toordinal(), date(2400, 12, 31).toordinal()))
        months = rng.randint(-40, 40)
        stepped = calendar.add_months(day, z3.IntVal(months))
        solver = z3.Solver()
        solver.add(*calendar.facts, calendar.number(day) == start.toordinal())
        assert solver.check() == z3.sat
        found = solver.model().eval(calendar.number(stepped)).as_long()
        assert date.fromordinal(found) == add_months(start, months), (start, months)


@pytest.mark.parametrize("day", [date(2024, 2, 29), date(2023, 2, 28), date(1900, 3, 1), date(2000, 12, 31)])
def test_a_date_literal_has_its_day_number(day: date) -> None:
    calendar = Calendar()
    assert z3.simplify(calendar.number(Day(parts=literal(day).parts))).as_long() == day.toordinal()


def test_a_dated_parameter_is_proved_with_the_value_in_force_on_the_request_day() -> None:
    """From 2027 the cutoff is 24 months: a rule written for 36 overlaps only on requests from then on."""
    text = """
parameter cutoff = 36 months
  = 24 months from 2027-01-01
  clause §8.5
  source "x"

action renew "Renew." {
  reject too_late §8.5 when date > contract.end + cutoff {
    reason "Too late."
  }
  approve timely §6.2 when date <= contract.end {
    reason "On time."
  }
  approve late §8.2 when date > contract.end and date <= contract.end + 36 months {
    reason "Late."
  }
  approve very_late §8.2 when date > contract.end + 24 months {
    reason "Very late."
  }
}
"""
    policy = from_files((parse(text, "dated.mes"),), "dated")
    (report,) = prove(policy, SOLVER_MS)
    (overlap,) = [f for f in report.findings if f.kind == "overlap"]
    assert overlap.confirmed and overlap.witness is not None
    assert date.fromisoformat(json.loads(overlap.witness)["date"]) < date(2027, 1, 1)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--no-color", *args])
    return result.exit_code, result.stdout, result.stderr


def test_check_prints_a_proof_line_per_action() -> None:
    code, out, err = run("check", "--solver-timeout", str(SOLVER_MS), str(shipped_rules()))
    assert code == 0, err
    assert "  renew: proved exclusive and exhaustive" in out.splitlines()
    assert "  coterminate: proved exclusive and exhaustive" in out.splitlines()


def test_check_without_proofs_prints_none() -> None:
    code, out, _ = run("check", "--no-prove", str(shipped_rules()))
    assert code == 0
    assert "proofs (z3" not in out and "exclusive" not in out


def test_check_fails_on_a_confirmed_overlap_and_shows_the_witness(tmp_path: Path) -> None:
    # a file names its folder's policy (check FILE): the bad policy gets a folder of its own
    alone = _alone(tmp_path, "overlap_on_leap_day.mes")
    code, out, err = run("check", "--solver-timeout", str(SOLVER_MS), str(alone))
    assert code == 2  # a policy error, as the exit codes go
    assert "  renew: not proved: overlap" in out
    assert "overlap_on_leap_day.mes:18:3: V401: action 'renew': rules 'timely_renewal'" in err
    witness = next(line for line in err.splitlines() if line.startswith("  witness: "))
    (tmp_path / "witness.json").write_text(witness.removeprefix("  witness: "), encoding="utf-8")
    decided = CliRunner().invoke(main, ["decide", "--policy", str(alone), str(tmp_path / "witness.json")])
    assert "R308" in decided.output
    assert "(confirmed)" in err


def _alone(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name.removesuffix(".mes")
    folder.mkdir()
    shutil.copy(BAD / name, folder / name)
    return folder


def test_dead_rules_are_warnings_and_strict_makes_them_errors(tmp_path: Path) -> None:
    alone = _alone(tmp_path, "dead_rules.mes")
    code, _, err = run("check", "--solver-timeout", str(SOLVER_MS), str(alone))
    assert code == 0
    assert "V404" in err and "0 proof errors, 2 warnings" in err
    code, _, _ = run("check", "--strict", "--solver-timeout", str(SOLVER_MS), str(alone))
    assert code == 2


def test_an_action_of_many_rules_stops_at_its_question_budget_and_claims_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A rule folder may be someone else's: the proofs of one action are bounded, the rest unknown."""
    from mespolicy.proofs import analysis

    monkeypatch.setattr(analysis, "MAX_QUESTIONS", 5)
    rules = "".join(
        f'  approve on_day_{k} §6.2 when date == 2026-01-01 + {k} days {{\n    reason "Day {k}."\n  }}\n'
        for k in range(6)
    )
    policy = from_files((parse(f'action renew "Renew." {{\n{rules}}}\n', "many.mes"),), "many")
    (report,) = prove(policy, SOLVER_MS)
    assert not report.proved
    unknown = [f for f in report.findings if f.kind == "unknown"]
    assert len(unknown) == 1
    assert "stop after 5 questions" in unknown[0].message


@pytest.mark.parametrize("folder", [shipped_rules(), *EXAMPLES], ids=lambda p: p.name)
def test_no_band_row_of_the_shipped_and_example_policies_is_reported_unreachable(folder: Path) -> None:
    reports = _proved(folder)
    assert [f.message for report in reports for f in report.findings if f.code == "V406"] == []


def test_unreachable_band_rows_are_warnings_at_the_row_and_strict_makes_them_errors(tmp_path: Path) -> None:
    # alone in a folder: `check FILE` checks the file's whole folder, and the bad files each define 'renew'
    path = tmp_path / "unreachable_band_rows.mes"
    path.write_text((BAD / path.name).read_text(encoding="utf-8"), encoding="utf-8")
    code, _, err = run("check", "--solver-timeout", str(SOLVER_MS), str(path))
    assert code == 0
    assert "unreachable_band_rows.mes:18:7: V406" in err and "0 proof errors, 2 warnings" in err
    code, _, _ = run("check", "--strict", "--solver-timeout", str(SOLVER_MS), str(path))
    assert code == 2


def test_a_band_row_reachable_under_the_rule_condition_is_not_reported() -> None:
    """Widened to 400 days after the expiration date, the rule reaches each row of its band."""
    text = (BAD / "unreachable_band_rows.mes").read_text(encoding="utf-8")
    widened = text.replace("expiry + 180 days", "expiry + 400 days")
    policy = from_files((parse(widened, "widened.mes"),), "widened")
    codes = [f.code for report in prove(policy, SOLVER_MS) for f in report.findings]
    assert "V406" not in codes


def test_a_band_in_a_definition_is_not_reported() -> None:
    """A definition may be called where its band's rows are reached: only rules' own bands are judged."""
    text = (BAD / "unreachable_band_rows.mes").read_text(encoding="utf-8")
    start = text.index("= band of date - expiry") + 2
    end = text.index("}", start) + 1
    called = text[:start] + "reinstatement_fee(date - expiry)" + text[end:]
    called += (
        "\ndefine reinstatement_fee(lapse: days): money {\n  "
        + text[start:end].replace("date - expiry", "lapse")
        + "\n}\n"
    )
    policy = from_files((parse(called, "called.mes"),), "called")
    codes = [f.code for report in prove(policy, SOLVER_MS) for f in report.findings]
    assert codes == []
