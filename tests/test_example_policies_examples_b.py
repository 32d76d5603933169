"""Two example policies of other vendors' shapes (issue 10, "What it must show").

- ``flat-fee-by-edition``: a reinstatement fee by lapse band and license edition,
  back ME&S by the month, and a cutoff after 36 months;
- ``per-seat-coterm``: added seats co-termed in whole months, a part month whole for
  a customer and only from 15 days for a partner.

Each folder declares its own facts and clauses and keeps its worked numbers in its
``tests/``; here the commands a user runs on it, and one worked number through the API.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import mespolicy
from mespolicy.cli import main

POLICIES = Path(__file__).parent.parent / "examples" / "policies"
NAMES = {
    "flat-fee-by-edition": "Kestrel Maintenance Reinstatement Terms",
    "per-seat-coterm": "Halyard Co-terming Additional Seats",
}
FOLDERS = list(NAMES)


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout


@pytest.mark.parametrize("name", FOLDERS)
def test_it_checks(name: str) -> None:
    code, out = _run("check", str(POLICIES / name))
    assert code == 0, out
    assert ": ok (" in out


@pytest.mark.parametrize("name", FOLDERS)
def test_its_worked_numbers_pass(name: str) -> None:
    code, out = _run("test", str(POLICIES / name))
    assert code == 0, out
    passed, failed = out.splitlines()[-1].split(", ")
    assert failed == "0 failed"
    assert int(passed.split()[0]) >= 10


@pytest.mark.parametrize("name", FOLDERS)
def test_its_example_request_is_decided(name: str) -> None:
    folder = POLICIES / name
    code, out = _run("decide", "--policy", str(folder), str(folder / "request.json"))
    assert code == 0, out
    decision = json.loads(out)
    assert decision["outcome"] == "approved"
    assert decision["ref"] == json.loads((folder / "request.json").read_text())["ref"]


@pytest.mark.parametrize("name", FOLDERS)
def test_its_example_request_is_explained(name: str) -> None:
    # explained by the explaining code: a charge on no contract must not need one
    folder = POLICIES / name
    code, out = _run("explain", "--policy", str(folder), str(folder / "request.json"))
    assert code == 0, out
    assert out.splitlines()[0].endswith(": approved")
    assert "Total: " in out


@pytest.mark.parametrize("name", FOLDERS)
def test_its_page_is_written(name: str, tmp_path: Path) -> None:
    code, out = _run("docs", "--policy", str(POLICIES / name), "--out", str(tmp_path))
    assert code == 0, out
    page = (tmp_path / "policy.html").read_text()
    assert NAMES[name] in page


@pytest.mark.parametrize("name", FOLDERS)
def test_it_is_formatted(name: str) -> None:
    code, out = _run("fmt", "--check", str(POLICIES / name))
    assert code == 0, out


def _charges(decision: mespolicy.Decision) -> dict[str, tuple[Decimal, str]]:
    return {c.code: (c.amount.amount, c.amount.currency) for c in decision.charges}


def test_a_network_license_31_days_late_pays_two_months_back_and_the_network_fee() -> None:
    # 2026-03-31 + 1 month = 2026-04-30, so 2026-05-01 is 1 month and a day: 2 months of
    # 3,000.00 / 12 = 250.00 back, and 150.00 for a Network license lapsed up to 12 months.
    policy = mespolicy.load(POLICIES / "flat-fee-by-edition")
    decision = policy.decide(
        {
            "action": "renew",
            "date": "2026-05-01",
            "license": {
                "id": "L2",
                "edition": "network",
                "currency": "USD",
                "annual_fee": "3000.00",
                "expires": "2026-03-31",
            },
        }
    )
    assert _charges(decision) == {
        "maintenance": (Decimal("3000.00"), "USD"),
        "back_maintenance": (Decimal("500.00"), "USD"),
        "reinstatement_fee": (Decimal("150.00"), "USD"),
    }
    # the policy declares no contract: its charges are on none
    assert {c.contract for c in decision.charges} == {None}


def _seat_order(kind: str, joined_end: str) -> dict[str, Any]:
    return {
        "action": "add_seats",
        "date": "2026-03-10",
        "buyer": {"id": "B1", "kind": kind},
        "order": {"id": "O1", "currency": "USD", "seats": 5, "seat_price": "40.00", "start": "2026-03-10"},
        "subscriptions": [
            {
                "id": "S1",
                "currency": "USD",
                "seats": 20,
                "seat_price": "40.00",
                "start": "2025-06-10",
                "end": joined_end,
            }
        ],
        "joins": "S1",
    }


@pytest.mark.parametrize(
    ("kind", "joined_end", "amount"),
    [
        # 2026-03-10 + 3 months = 2026-06-10; 14 days more to 06-24, 15 to 06-25
        ("partner", "2026-06-24", "600.00"),  # 5 x 40.00 x 3
        ("partner", "2026-06-25", "800.00"),  # 5 x 40.00 x 4
        ("customer", "2026-06-24", "800.00"),  # any part month: 4
        ("customer", "2026-06-10", "600.00"),  # no part month: 3
    ],
)
def test_added_seats_are_billed_by_the_15_day_rule_for_partners_only(
    kind: str, joined_end: str, amount: str
) -> None:
    policy = mespolicy.load(POLICIES / "per-seat-coterm")
    decision = policy.decide(_seat_order(kind, joined_end))
    assert _charges(decision) == {"added_seats": (Decimal(amount), "USD")}
    # billed on the order, not on a contract: the policy has none
    assert [c.contract for c in decision.charges] == ["O1"]
