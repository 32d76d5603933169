"""The tests written beside the rules: each shipped case passes, and a failing case says where and why."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import mespolicy
from mespolicy import nodes as n
from mespolicy.cli import main
from mespolicy.loader import shipped_rules
from mespolicy.testing import check_tests, collect_tests, report_line, run_test

RULES = shipped_rules()
POLICY = mespolicy.load(RULES)
CASES = collect_tests(RULES)


def test_the_shipped_rules_come_with_cases() -> None:
    assert len(CASES) >= 2
    check_tests(POLICY, CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_shipped_case(case: n.Test) -> None:
    result = run_test(POLICY, case)
    assert result.passed, report_line(result)


def _copy(tmp_path: Path) -> Path:
    copy = tmp_path / "rules"
    shutil.copytree(RULES, copy)
    return copy


def test_a_failing_case_names_its_line_and_shows_expected_against_actual(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    (copy / "tests" / "broken.mes").write_text(
        "test wrong_total {\n"
        "  request renew on 2026-04-10\n"
        '  contract "M1" 12000.00 USD from 2025-03-01 until 2026-03-01 licenses "L1"\n'
        '  with contract = "M1"\n'
        "  expect approved\n"
        "  expect total = 12000.00 USD\n"
        "}\n"
    )
    result = CliRunner().invoke(main, ["test", str(copy)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    start = lines.index(f"FAILED wrong_total ({copy / 'tests' / 'broken.mes'}:1)")
    # the test's line, then the line that holds for the decision, pasteable into the case
    assert lines[start + 1 : start + 5] == [
        "  line 6:",
        "  - expect total = 12000.00 USD",
        "  + expect total = 12328.77 USD",
        "",
    ]
    assert lines[-1] == f"{len(CASES)} passed, 1 failed"


def test_cases_follow_a_what_if(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["test", str(RULES), "--set", "reinstatement_fee_rate=20%"])
    assert result.exit_code == 1
    assert "late_by_40_days" in result.stdout
    assert (
        "  - expect charge reinstatement_fee = 328.77 USD from 2026-03-01 until 2026-04-10" in result.stdout
    )
    assert (
        "  + expect charge reinstatement_fee = 263.01 USD from 2026-03-01 until 2026-04-10" in result.stdout
    )


def test_a_case_naming_no_action_of_the_policy_is_a_check_error(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    (copy / "tests" / "typo.mes").write_text(
        "test typo {\n  request renw on 2026-04-10\n  expect approved\n}\n"
    )
    result = CliRunner().invoke(main, ["test", str(copy)])
    assert result.exit_code == 2  # the tests do not check: a policy error
    assert "typo.mes:2:3: C217: the policy has no action 'renw'" in result.stderr
    assert "did you mean 'renew'?" in result.stderr


def test_a_case_whose_request_is_malformed_fails_naming_the_field(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    (copy / "tests" / "bad_request.mes").write_text(
        'test bad_request {\n  request renew on 2026-04-10\n  with contract = "M9"\n  expect approved\n}\n'
    )
    result = CliRunner().invoke(main, ["test", str(copy)])
    assert result.exit_code == 1
    assert "bad_request" in result.stdout
    assert "'contract'" in result.stdout


def test_a_case_listing_charges_must_list_them_all(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    (copy / "tests" / "partial.mes").write_text(
        "test lists_only_the_fee {\n"
        "  request renew on 2026-04-10\n"
        '  contract "M1" 12000.00 USD from 2025-03-01 until 2026-03-01 licenses "L1"\n'
        '  with contract = "M1"\n'
        "  expect charge reinstatement_fee = 328.77 USD\n"
        "}\n"
    )
    result = CliRunner().invoke(main, ["test", str(copy)])
    assert result.exit_code == 1
    # a charge of a code the test never names, said once, as the line that would list it
    assert "  a charge the test does not list:\n  + expect charge renewal = 12000.00 USD" in result.stdout
    assert result.stdout.count("renewal = 12000.00 USD") == 1


def test_a_wrong_amount_of_a_listed_charge_is_that_line_alone(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    (copy / "tests" / "wrong.mes").write_text(
        "test wrong_fee {\n"
        "  request renew on 2026-04-10\n"
        '  contract "M1" 12000.00 USD from 2025-03-01 until 2026-03-01 licenses "L1"\n'
        '  with contract = "M1"\n'
        "  expect charge renewal = 12000.00 USD\n"
        "  expect charge reinstatement_fee = 3000.00 USD\n"
        "}\n"
    )
    result = CliRunner().invoke(main, ["--no-color", "test", str(copy), "-k", "wrong_fee"])
    assert result.exit_code == 1
    block = result.stdout.split(f"FAILED wrong_fee ({copy / 'tests' / 'wrong.mes'}:1)\n")[1]
    assert block.split("\n\n")[0].splitlines() == [
        "  line 6:",
        "  - expect charge reinstatement_fee = 3000.00 USD",
        "  + expect charge reinstatement_fee = 328.77 USD",
    ]
    assert "does not list" not in result.stdout
