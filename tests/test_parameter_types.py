"""Declared parameter types and ranges at every place a value enters, and the warnings of `check`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import mespolicy
from mespolicy.cli import main
from mespolicy.errors import PolicyCheckError, Severity
from mespolicy.policy import load

EXAMPLES = Path(__file__).parent.parent / "examples"
RULES = Path(__file__).parent.parent / "rules"

POLICY = """\
parameter late_fee_rate: rate in 0%..100% = 5%
  clause §1
  source "A late fee, as a share of the annual fee."

parameter notice: days in 1 day.. = 30 days
  clause §1
  source "Notice before the end."

action renew {
  approve renewal §1 when date + notice > date {
    reason "Renewed at {late_fee_rate}."
  }
}
"""

UNUSED = '\nparameter spare: months in 1 month.. = 12 months\n  clause §1\n  source "Not read."\n'


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--no-color", *args])
    return result.exit_code, result.stdout, result.stderr


def folder(tmp_path: Path, text: str) -> Path:
    (tmp_path / "policy.mes").write_text(text)
    return tmp_path


def copied_rules(tmp_path: Path, old: str, new: str) -> Path:
    """The shipped rules with one text of parameters.mes replaced."""
    text = (RULES / "parameters.mes").read_text()
    assert old in text
    copy = tmp_path / "rules"
    copy.mkdir()
    for file in RULES.glob("*.mes"):
        (copy / file.name).write_text(file.read_text())
    (copy / "parameters.mes").write_text(text.replace(old, new))
    return copy


def errors_of(tmp_path: Path, text: str) -> list[tuple[str, str, str | None]]:
    with pytest.raises(PolicyCheckError) as error:
        load(folder(tmp_path, text))
    return [(d.code, d.message, d.hint) for d in error.value.diagnostics]


# -- rule files


def test_a_forgotten_percent_sign_is_refused_with_the_value_meant(tmp_path: Path) -> None:
    found = errors_of(tmp_path, POLICY.replace("= 5%", "= 25"))
    assert found == [
        (
            "C250",
            "parameter 'late_fee_rate' is declared a rate, but this value is a bare number",
            "did you mean 25%?",
        )
    ]


def test_a_bare_number_for_a_duration_names_the_unit(tmp_path: Path) -> None:
    found = errors_of(tmp_path, POLICY.replace("= 30 days", "= 30"))
    assert [(code, hint) for code, _, hint in found] == [("C250", "did you mean 30 days?")]


def test_bounds_are_included(tmp_path: Path) -> None:
    policy = load(folder(tmp_path, POLICY.replace("= 5%", "= 100%").replace("= 30 days", "= 1 day")))
    assert policy.warnings == ()


def test_an_untyped_parameter_keeps_the_type_of_its_value(tmp_path: Path) -> None:
    # other vendors' policies may leave the type out: it is the type of the first value
    policy = load(folder(tmp_path, POLICY.replace("late_fee_rate: rate in 0%..100% =", "late_fee_rate =")))
    assert str(policy.checked.parameters["late_fee_rate"].type) == "rate"


def test_a_library_range_holds_for_the_value_the_policy_gives(tmp_path: Path) -> None:
    copy = copied_rules(tmp_path, "days_per_year: days in 1 day.. = 365 days", "days_per_year = 0 days")
    with pytest.raises(PolicyCheckError) as error:
        load(copy)
    (diagnostic,) = error.value.diagnostics
    assert (diagnostic.code, diagnostic.span.source.path) == ("C251", "parameters.mes")
    assert diagnostic.message == "parameter 'days_per_year' must be at least 1 day, but this value is 0 days"
    assert diagnostic.hint is not None and "library:fees.mes" in diagnostic.hint


def test_a_bare_number_given_for_a_library_parameter_says_what_was_meant(tmp_path: Path) -> None:
    copy = copied_rules(tmp_path, "fee_year: months in 1 month.. = 12 months", "fee_year = 12")
    with pytest.raises(PolicyCheckError) as error:
        load(copy)
    (diagnostic,) = [d for d in error.value.diagnostics if d.code == "C245"]
    assert diagnostic.hint is not None
    assert diagnostic.hint.startswith("did you mean 12 months? declared at library:fees.mes")


def test_every_shipped_parameter_declares_its_type() -> None:
    for path in [RULES, *sorted((EXAMPLES / "policies").iterdir())]:
        for name, parameter in load(path).checked.parameters.items():
            assert parameter.node.declared_type is not None, f"{path.name}: {name}"


# -- what-if values: --set, diff's NEW side, docs --set


def test_set_outside_the_range_is_refused_naming_the_declaration() -> None:
    code, _, err = run("params", "--set", "reinstatement_fee_rate=200%")
    assert code == 2
    assert err.startswith(
        "error: S502: --set reinstatement_fee_rate=200%: reinstatement_fee_rate must be between 0% and 100%"
        " (declared at parameters.mes:"
    )


def test_set_of_zero_days_per_year_is_refused_before_any_division() -> None:
    code, out, err = run("decide", "--set", "days_per_year=0days", str(EXAMPLES / "renew-late.json"))
    assert (code, out) == (2, "")
    assert "S502: --set days_per_year=0days: days_per_year must be at least 1 day" in err


def test_set_of_a_bare_number_for_a_rate_says_what_was_meant() -> None:
    code, _, err = run("params", "--set", "reinstatement_fee_rate=25")
    assert code == 2
    assert "S501" in err and err.rstrip().endswith("did you mean 25%?")


def test_set_inside_the_range_decides() -> None:
    code, out, _ = run("decide", "--set", "reinstatement_fee_rate=100%", str(EXAMPLES / "renew-late.json"))
    assert code == 0
    assert json.loads(out)["outcome"] == "approved"


def test_docs_set_outside_the_range_is_refused(tmp_path: Path) -> None:
    code, _, err = run("docs", "--set", "fee_year=0months", "--out", str(tmp_path / "site"))
    assert code == 2  # a usage or policy error, as the exit codes go
    assert "S502: --set fee_year=0months: fee_year must be at least 1 month" in err


def test_with_overrides_raises_the_range_error() -> None:
    with pytest.raises(mespolicy.MespolicyError) as error:
        load().with_overrides({"deferral_grace": "-1 days"})
    assert error.value.code in ("S501", "S502")
    with pytest.raises(mespolicy.MespolicyError) as error:
        load().with_overrides({"renewal_notice_lead": "0 days", "renewal_term": "0 months"})
    assert error.value.code == "S502"


def _block(out: str, name: str) -> str:
    """A parameter's block of `params`: its line, then its type and when it is in force below."""
    lines = out.splitlines()
    first = next(index for index, line in enumerate(lines) if line.startswith(name + " "))
    return " ".join(" ".join(lines[first : first + 3]).split())


def test_params_shows_each_type_and_range() -> None:
    code, out, _ = run("params")
    assert code == 0
    assert "type: rate, between 0% and 100% in force" in _block(out, "reinstatement_fee_rate")
    # days_per_year has its own range and the library's, the same: shown once
    assert "type: days, at least 1 day in force" in _block(out, "days_per_year")


# -- warnings


def test_a_policy_with_warnings_loads_decides_and_lists_them(tmp_path: Path) -> None:
    policy = load(folder(tmp_path, POLICY + UNUSED))
    (warning,) = policy.warnings
    assert (warning.code, warning.severity, warning.span.line) == ("W101", Severity.WARNING, 15)
    customer = {"id": "C1", "role": "customer", "existing": True}
    decision = policy.decide({"action": "renew", "date": "2026-01-01", "customer": customer})
    assert decision.outcome.value == "approved"


def test_check_prints_warnings_and_passes(tmp_path: Path) -> None:
    code, out, err = run("check", str(folder(tmp_path, POLICY + UNUSED)))
    assert code == 0
    assert out.splitlines()[0].endswith("; 1 warning")
    assert f"{tmp_path}/policy.mes:15:1: W101: parameter 'spare' is never read by a rule" in err


def test_check_strict_fails_on_warnings(tmp_path: Path) -> None:
    code, out, err = run("check", "--strict", str(folder(tmp_path, POLICY + UNUSED)))
    assert code == 2 and out.splitlines()[0].endswith("; 1 warning")
    assert "W101" in err and "1 warning (--strict: warnings fail the check)" in err


def test_check_strict_passes_a_policy_without_warnings() -> None:
    for path in [RULES, *sorted((EXAMPLES / "policies").iterdir())]:
        code, out, err = run("check", "--strict", str(path))
        assert code == 0, err
        assert "warning" not in out + err
