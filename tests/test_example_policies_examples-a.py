"""Two vendors' policies of examples/policies/ (issue 10): monthly back billing, and a reinstatement
that starts a new year on the reinstatement day. Each checks, passes its own tests, decides its
example request and renders its page; one worked number of each is asserted through the API."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

import mespolicy
from mespolicy.cli import main

EXAMPLES = Path(__file__).parent.parent / "examples" / "policies"
FOLDERS = ["monthly-back-billing", "reinstate-from-today"]


@pytest.mark.parametrize("name", FOLDERS)
def test_the_policy_checks_passes_its_tests_decides_and_renders(name: str, tmp_path: Path) -> None:
    folder = EXAMPLES / name
    runner = CliRunner()
    # proved in tests/proofs/test_proofs.py and by check --strict in tests/test_parameter_types.py
    checked = runner.invoke(main, ["--no-color", "check", "--no-prove", str(folder)])
    assert checked.exit_code == 0, checked.output
    tested = runner.invoke(main, ["--no-color", "test", str(folder)])
    assert tested.exit_code == 0, tested.output
    assert tested.stdout.splitlines()[-1].endswith(" passed, 0 failed")
    decided = runner.invoke(main, ["decide", "--policy", str(folder), str(folder / "request.json")])
    assert decided.exit_code == 0, decided.output
    assert '"outcome": "approved"' in decided.stdout
    for kind, instance in (("request", (folder / "request.json").read_text()), ("decision", decided.stdout)):
        schema = runner.invoke(main, ["schema", kind, "--policy", str(folder)])
        assert schema.exit_code == 0, schema.output
        jsonschema.Draft202012Validator(json.loads(schema.stdout)).validate(json.loads(instance))
    rendered = runner.invoke(main, ["docs", "--policy", str(folder), "--out", str(tmp_path)])
    assert rendered.exit_code == 0, rendered.output
    assert (tmp_path / "policy.html").stat().st_size > 0
    formatted = runner.invoke(main, ["fmt", "--check", str(folder)])
    assert formatted.exit_code == 0, formatted.output


def test_back_charges_from_the_1st_of_the_month_after_a_31_january_expiry() -> None:
    policy = mespolicy.load(EXAMPLES / "monthly-back-billing")
    decision = policy.decide(
        {
            "action": "renew",
            "date": "2026-03-01",
            "contracts": [
                {
                    "id": "M1",
                    "currency": "USD",
                    "start": "2025-01-31",
                    "end": "2026-01-31",
                    "annual_fee": "12000.00",
                }
            ],
            "contract": "M1",
        }
    )
    charges = {c.code: c for c in decision.charges}
    # February billed back whole (1,000.00), 1.25% late on it, 60.00 for 2 months begun lapsed
    assert charges["back_charges"].amount.amount == Decimal("1000.00")
    assert charges["back_charges"].period is not None
    assert charges["back_charges"].period.start == date(2026, 2, 1)
    assert charges["late_fee"].amount.amount == Decimal("12.50")
    assert decision.total is not None and decision.total.amount == Decimal("13072.50")
    # a charge without `on` is on the request's contract
    assert {c.contract for c in decision.charges} == {"M1"}


def test_a_year_from_29_february_and_the_one_month_minimum_fee() -> None:
    policy = mespolicy.load(EXAMPLES / "reinstate-from-today")
    license_ = {
        "id": "T-300",
        "product": "Tessera CAD",
        "currency": "USD",
        "list_price": "12000.00",
        "expiry": "2027-12-31",
    }
    decision = policy.decide(
        {"action": "reinstate", "date": "2028-02-29", "licenses": [license_], "license": "T-300"}
    )
    assert decision.term is not None
    assert (decision.term.start, decision.term.end) == (date(2028, 2, 29), date(2029, 2, 28))
    charges = {c.code: c.amount.amount for c in decision.charges}
    # 2,400.00 x 60 / 365 back; 15% of it is under 2,400.00 / 12
    assert charges == {
        "me_s": Decimal("2400.00"),
        "back_me_s": Decimal("394.52"),
        "reinstatement_fee": Decimal("200.00"),
    }
    # a policy whose request has no contract charges nothing "on" one
    assert all(c.contract is None for c in decision.charges)
