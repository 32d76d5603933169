"""`mespolicy test`: one file, -k selection, -x, -v, --durations and JUnit XML, check FILE."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from mespolicy.cli import main
from mespolicy.loader import shipped_rules
from mespolicy.selection import SelectionError, matcher

RENEWAL_TESTS = "rules/tests/renewal.mes"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder holding a copy of the shipped rules, as the working directory."""
    monkeypatch.delenv("MESPOLICY_POLICY", raising=False)
    shutil.copytree(shipped_rules(), tmp_path / "rules")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--no-color", *args])
    return result.exit_code, result.stdout, result.stderr


def _names_in(path: Path) -> list[str]:
    return [line.split()[1] for line in path.read_text().splitlines() if line.startswith("test ")]


def test_a_file_runs_its_own_tests_within_its_policy(project: Path) -> None:
    code, out, err = _run("test", RENEWAL_TESTS, "-v")
    assert code == 0, out
    names = _names_in(project / RENEWAL_TESTS)
    passed = [line for line in out.splitlines() if line.startswith("PASSED ")]
    assert [line.split()[1] for line in passed] == names
    assert passed[0].endswith(f"({RENEWAL_TESTS}:3)")
    assert out.splitlines()[-1] == f"{len(names)} passed, 0 failed"
    assert err.startswith("policy: rules (given) sha256:")


@pytest.mark.parametrize(
    ("expression", "keep"),
    [
        ("late", lambda name: "late" in name),
        ("late and not leap", lambda name: "late" in name and "leap" not in name),
        ("timely or 40", lambda name: "timely" in name or "40" in name),
        ("not (late or timely)", lambda name: "late" not in name and "timely" not in name),
    ],
)
def test_k_picks_tests_by_name(project: Path, expression: str, keep: object) -> None:
    names = _names_in(project / RENEWAL_TESTS)
    wanted = [name for name in names if keep(name)]  # type: ignore[operator]
    assert 0 < len(wanted) < len(names)
    code, out, _ = _run("test", RENEWAL_TESTS, "-v", "-k", expression)
    assert code == 0
    assert [line.split()[1] for line in out.splitlines() if line.startswith("PASSED ")] == wanted
    assert out.splitlines()[-1] == f"{len(wanted)} passed, 0 failed, {len(names) - len(wanted)} deselected"


@pytest.mark.parametrize("expression", ["", "late and", "(late", "or late", "late )"])
def test_a_k_expression_that_does_not_read_is_a_usage_error(project: Path, expression: str) -> None:
    with pytest.raises(SelectionError):
        matcher(expression)
    code, _, err = _run("test", "-k", expression)
    assert code == 2 and "U103: -k" in err


def test_x_stops_at_the_first_failure(project: Path) -> None:
    parameters = project / "rules" / "parameters.mes"
    parameters.write_text(
        parameters.read_text().replace("0%..100% = 25%", "0%..100% = 30%")
    )
    code, out, _ = _run("test", "-x")
    assert code == 1
    assert out.count("\nFAILED ") == 1
    last = out.splitlines()[-1]
    assert (
        last.startswith("0 passed, 1 failed; stopped at the first failure, ") or ", 1 failed; stopped" in last
    )
    code, out, _ = _run("test")
    assert code == 1 and "stopped" not in out and out.count("\nFAILED ") > 1


def test_durations_list_the_slowest(project: Path) -> None:
    code, out, _ = _run("test", RENEWAL_TESTS, "--durations", "3")
    assert code == 0
    lines = out.splitlines()
    start = lines.index("slowest 3 tests:")
    shown = lines[start + 1 : start + 4]
    assert len(shown) == 3 and all(line.startswith("  ") and "s " in line for line in shown)
    seconds = [float(line.split()[0].removesuffix("s")) for line in shown]
    assert seconds == sorted(seconds, reverse=True)
    code, out, _ = _run("test", RENEWAL_TESTS)
    assert "slowest" not in out  # without -v, only when asked


def test_junit_xml_for_ci(project: Path) -> None:
    (project / "rules" / "tests" / "wrong.mes").write_text(
        "test wrong_total {\n"
        "  request renew on 2026-04-10\n"
        '  contract "M1" 12000.00 USD from 2025-03-01 until 2026-03-01 licenses "L1"\n'
        '  with contract = "M1"\n'
        "  expect total = 12000.00 USD\n"
        "}\n"
    )
    code, _, _ = _run("test", "--junitxml", "out/results.xml")
    assert code == 2  # out/ does not exist: the file cannot be written
    (project / "out").mkdir()
    code, _, _ = _run("test", "--junitxml", "out/results.xml")
    assert code == 1
    suites = ET.parse(project / "out" / "results.xml").getroot()
    suite = suites.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert suite.get("failures") == "1" and suite.get("tests") == str(len(cases)) and len(cases) > 100
    (failing,) = [case for case in cases if case.find("failure") is not None]
    assert failing.get("name") == "wrong_total"
    assert failing.get("file") == "rules/tests/wrong.mes" and failing.get("line") == "1"
    failure = failing.find("failure")
    assert failure is not None and failure.get("message") == "expected expect total = 12000.00 USD"
    assert "  + expect total = 12328.77 USD" in (failure.text or "")


def test_check_a_file_reports_that_file(project: Path) -> None:
    code, out, _ = _run("check", "rules/renewal.mes")
    assert code == 0 and out.startswith("rules/renewal.mes: ok")
    code, out, _ = _run("check", RENEWAL_TESTS)
    # the summary line; the proofs of the whole policy follow it
    summary = out.splitlines()[0]
    assert code == 0 and summary.endswith(f"{len(_names_in(project / RENEWAL_TESTS))} tests checked")
    renewal = project / "rules" / "renewal.mes"
    renewal.write_text(renewal.read_text() + "\naction broken {\n  approve r §6.2 when nope {\n  }\n}\n")
    code, _, err = _run("check", "rules/cancellation.mes")
    assert code == 2
    assert err.startswith(
        "cancellation.mes: no errors in this file; 1 error in other files of the policy rules"
    )
    code, _, err = _run("check", "rules/renewal.mes")
    assert code == 2 and "rules/renewal.mes:" in err and "C201: unknown name 'nope'" in err
    assert "other files" not in err


def test_test_of_a_file_with_a_typo_reports_its_error_with_a_hint(project: Path) -> None:
    (project / "rules" / "tests" / "typo.mes").write_text(
        "test typo {\n  request renw on 2026-04-10\n  expect approved\n}\n"
    )
    code, _, err = _run("test", "rules/tests/typo.mes")
    assert code == 2
    assert "rules/tests/typo.mes:2:3: C217: the policy has no action 'renw'" in err
    assert "hint: did you mean 'renew'?" in err
