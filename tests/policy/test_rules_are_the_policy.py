"""The numbers live in the rule files: editing a copy's text changes the decisions, and nothing else.

Each test copies ``rules/`` to a temporary folder, changes one parameter by
editing its text, loads the copy with ``mespolicy.load(folder)`` and checks the
decisions move exactly as the new number implies (worked by hand beside each
expected value). The last tests write another vendor's policy from scratch, as
rule text only.
"""

from __future__ import annotations

import shutil
import textwrap
from datetime import date
from pathlib import Path

import pytest

import mespolicy
from tests.policy import requests as rq

RULES = Path(__file__).resolve().parents[2] / "rules"


def edited(tmp_path: Path, file: str, old: str, new: str) -> mespolicy.Policy:
    """The shipped rules, copied to ``tmp_path`` with ``old`` replaced by ``new`` in ``file``."""
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not in {file} exactly once"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return mespolicy.load(folder)


def charges(decision: mespolicy.Decision) -> list[tuple[str, str]]:
    return [(c.code, str(c.amount.amount)) for c in decision.charges]


def written(tmp_path: Path, files: dict[str, str]) -> mespolicy.Policy:
    """A policy made of ``files`` (name -> rule text) in a fresh folder."""
    folder = tmp_path / "vendor"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return mespolicy.load(folder)


LATE_40 = rq.renew("2026-04-10", "2025-03-01", "2026-03-01")  # 40 days after the end


def test_an_unchanged_copy_decides_as_the_shipped_policy(tmp_path: Path) -> None:
    copy = edited(
        tmp_path,
        "parameters.mes",
        "reinstatement_fee_rate: rate in 0%..100% = 25%",
        "reinstatement_fee_rate: rate in 0%..100% = 25%",
    )
    shipped = mespolicy.load()
    for request in (
        LATE_40,
        rq.initial("2025-05-31", "2025-03-01"),
        rq.cancel("2026-01-31", "2025-03-01", "2026-03-01"),
    ):
        mine, theirs = copy.decide(request), shipped.decide(request)
        # Same answer; only the trace's file locations differ.
        assert (mine.outcome, mine.reasons, mine.term, mine.charges, mine.fields) == (
            theirs.outcome,
            theirs.reasons,
            theirs.term,
            theirs.charges,
            theirs.fields,
        )


def test_reinstatement_fee_rate(tmp_path: Path) -> None:
    policy = edited(
        tmp_path,
        "parameters.mes",
        "reinstatement_fee_rate: rate in 0%..100% = 25%",
        "reinstatement_fee_rate: rate in 0%..100% = 20%",
    )
    late = policy.decide(LATE_40)
    assert charges(late) == [
        ("renewal", "12000.00"),
        # 20% x 12,000 x 40/365 = 263.013.. -> 263.01 (was 328.77)
        ("reinstatement_fee", "263.01"),
    ]
    assert "20%" in late.reasons[-1].message
    deferred = policy.decide(rq.initial("2025-05-31", "2025-03-01"))
    # day 91: 20% x 12,000 x 91/365 = 598.356.. -> 598.36 (was 747.95)
    assert charges(deferred) == [("initial_term", "12000.00"), ("reinstatement_fee", "598.36")]


def test_deferral_grace(tmp_path: Path) -> None:
    policy = edited(
        tmp_path,
        "parameters.mes",
        "deferral_grace: days in 0 days.. = 90 days",
        "deferral_grace: days in 0 days.. = 60 days",
    )
    # 2025-03-01 + 60 days = 2025-04-30 (30 + 30): still free
    assert charges(policy.decide(rq.initial("2025-04-30", "2025-03-01"))) == [
        ("initial_term", "12000.00"),
    ]
    # day 61: 25% x 12,000 x 61/365 = 501.369.. -> 501.37
    assert charges(policy.decide(rq.initial("2025-05-01", "2025-03-01"))) == [
        ("initial_term", "12000.00"),
        ("reinstatement_fee", "501.37"),
    ]
    # day 90, free under the shipped rules: 25% x 12,000 x 90/365 = 739.726.. -> 739.73
    assert charges(policy.decide(rq.initial("2025-05-30", "2025-03-01"))) == [
        ("initial_term", "12000.00"),
        ("reinstatement_fee", "739.73"),
    ]
    status = policy.decide(rq.status("2025-05-01", shipped="2025-03-01"))
    assert status.field("status") == "deferred"
    assert status.field("grace_until") == date(2025, 4, 30)


def test_reactivation_cutoff(tmp_path: Path) -> None:
    policy = edited(
        tmp_path,
        "parameters.mes",
        "reactivation_cutoff: months in 0 months.. = 36 months",
        "reactivation_cutoff: months in 0 months.. = 24 months",
    )
    # end 2026-03-01 + 24 months = 2028-03-01: the last day to reinstate
    last = policy.decide(rq.renew("2028-03-01", "2025-03-01", "2026-03-01"))
    assert last.outcome is mespolicy.Outcome.APPROVED
    assert charges(last) == [
        # k = 3 (2029-03-01 is the first end after 2028-03-01): 3 x 12,000
        ("renewal", "36000.00"),
        # fee(12000, 2026-03-01, 2028-03-01) = 2 years = 24,000; x 25% = 6,000.00
        ("reinstatement_fee", "6000.00"),
    ]
    after = policy.decide(rq.renew("2028-03-02", "2025-03-01", "2026-03-01"))
    assert after.outcome is mespolicy.Outcome.REJECTED
    assert [r.clause for r in after.reasons] == ["§8.5"]
    assert "2028-03-01" in after.reasons[0].message
    # the shipped policy still reinstates on that day
    shipped = mespolicy.load().decide(rq.renew("2028-03-02", "2025-03-01", "2026-03-01"))
    assert shipped.outcome is mespolicy.Outcome.APPROVED
    status = policy.decide(rq.status("2028-03-02", "2025-03-01", "2026-03-01"))
    assert status.field("status") == "expired"
    assert status.field("reinstatable_until") == date(2028, 3, 1)


def test_cancellation_notice(tmp_path: Path) -> None:
    policy = edited(
        tmp_path,
        "parameters.mes",
        "cancellation_notice: days in 0 days.. = 30 days",
        "cancellation_notice: days in 0 days.. = 45 days",
    )
    # 2026-01-15..2026-03-01 = 17 + 28 = 45 days: stops at the end
    timely = policy.decide(rq.cancel("2026-01-15", "2025-03-01", "2026-03-01"))
    assert timely.field("effective") == date(2026, 3, 1)
    assert timely.charges == ()
    # 44 days, and 30 days (enough under the shipped rules): renews once
    for day in ("2026-01-16", "2026-01-30"):
        late = policy.decide(rq.cancel(day, "2025-03-01", "2026-03-01"))
        assert late.field("effective") == date(2027, 3, 1)
        assert charges(late) == [("renewal", "12000.00")]
    status = policy.decide(rq.status("2025-06-01", "2025-03-01", "2026-03-01"))
    # 2026-03-01 - 45 days
    assert status.field("cancel_notice_by") == date(2026, 1, 15)


def test_days_per_year(tmp_path: Path) -> None:
    policy = edited(
        tmp_path,
        "parameters.mes",
        "days_per_year: days in 1 day.. = 365 days",
        "days_per_year: days in 1 day.. = 360 days",
    )
    # 25% x 12,000 x 40/360 = 333.333.. -> 333.33
    assert charges(policy.decide(LATE_40)) == [
        ("renewal", "12000.00"),
        ("reinstatement_fee", "333.33"),
    ]


def test_a_dated_value_takes_effect_on_its_day(tmp_path: Path) -> None:
    policy = edited(
        tmp_path,
        "parameters.mes",
        "reinstatement_fee_rate: rate in 0%..100% = 25%",
        "reinstatement_fee_rate: rate in 0%..100% = 25%\n  = 30% from 2026-04-01",
    )
    # renewed 2026-04-10, after the change: 30% x 12,000 x 40/365 = 394.520.. -> 394.52
    assert charges(policy.decide(LATE_40))[-1] == ("reinstatement_fee", "394.52")
    # renewed 2026-03-31, before it: 25% x 12,000 x 30/365 = 246.575.. -> 246.58
    before = policy.decide(rq.renew("2026-03-31", "2025-03-01", "2026-03-01"))
    assert charges(before)[-1] == ("reinstatement_fee", "246.58")


# ---------------------------------------------------------------- another vendor


VENDOR_PARAMETERS = """\
    # Another vendor: a late renewal starts a fresh term on the reinstatement day,
    # with no back fees, and pays a share of one year's fee to reinstate.

    parameter renewal_term = 12 months
      clause §6.2
      source "A renewal is for this long."

    parameter reinstatement_share = 10%
      clause §8.3
      reading "This vendor charges a share of the annual fee to reinstate, whatever the gap."

    parameter reactivation_cutoff = 18 months
      clause §8.5
      source "After this long past the expiration date ME&S cannot be reactivated."
"""

VENDOR_RENEWAL = """\
    action renew "Renew, the new term starting on the day of the renewal." {
      let expiry = contract.end

      reject past_cutoff §8.5 when date > expiry + reactivation_cutoff {
        reason "Too late: only a new license now."
      }

      approve timely §6.2 when date <= expiry {
        reason "Renewed in time."
        term from expiry until expiry + renewal_term
        charge renewal = contract.annual_fee
      }

      approve reinstated §8.3 when date > expiry {
        reading "This vendor restarts the term on the reinstatement day and bills no back fees."
        reason "Reinstated on {date}: a new term from that day."
        term from date until date + renewal_term
        charge renewal = contract.annual_fee
        charge reinstatement_fee = reinstatement_share * contract.annual_fee
      }
    }
"""


def test_another_vendor_starts_the_new_term_on_the_reinstatement_day(tmp_path: Path) -> None:
    policy = written(tmp_path, {"parameters.mes": VENDOR_PARAMETERS, "renewal.mes": VENDOR_RENEWAL})
    assert policy.actions == ("renew",)
    late = policy.decide(LATE_40)
    assert late.outcome is mespolicy.Outcome.APPROVED
    # [renewal day, + 12 months) rather than [old end, ...)
    assert late.term == mespolicy.Term(date(2026, 4, 10), date(2027, 4, 10))
    # 12,000 and 10% x 12,000 = 1,200.00, whatever the gap
    assert charges(late) == [("renewal", "12000.00"), ("reinstatement_fee", "1200.00")]
    # in yen: 10% x 1,000,001 = 100,000.1 -> 100,000
    yen = policy.decide(rq.renew("2026-04-10", "2025-03-01", "2026-03-01", "1000001", "JPY"))
    assert charges(yen) == [("renewal", "1000001"), ("reinstatement_fee", "100000")]
    # 2026-03-01 + 18 months = 2027-09-01 is the last day
    assert policy.decide(rq.renew("2027-09-01", "2025-03-01", "2026-03-01")).outcome is (
        mespolicy.Outcome.APPROVED
    )
    too_late = policy.decide(rq.renew("2027-09-02", "2025-03-01", "2026-03-01"))
    assert too_late.outcome is mespolicy.Outcome.REJECTED
    assert [r.clause for r in too_late.reasons] == ["§8.5"]


FLAT_FEE_PARAMETERS = """\
    parameter flat_fee: money = 150.00
      clause §8.3
      reading "Another vendor: a flat reinstatement fee, in the contract's currency."
"""

FLAT_FEE_RENEWAL = """\
    action renew "Renew; a late renewal pays a flat reinstatement fee." {
      let expiry = contract.end

      approve timely §6.2 when date <= expiry {
        reason "Renewed in time."
        term from expiry until expiry + 12 months
        charge renewal = contract.annual_fee
      }

      approve late §8.3 when date > expiry {
        reason "Renewed late: a flat reinstatement fee of {flat_fee}."
        term from expiry until expiry + 12 months
        charge renewal = contract.annual_fee
        charge reinstatement_fee = flat_fee
      }
    }
"""


def test_another_vendor_charges_a_flat_reinstatement_fee(tmp_path: Path) -> None:
    policy = written(tmp_path, {"parameters.mes": FLAT_FEE_PARAMETERS, "renewal.mes": FLAT_FEE_RENEWAL})
    late = policy.decide(LATE_40)
    assert charges(late) == [("renewal", "12000.00"), ("reinstatement_fee", "150.00")]
    assert late.charges[-1].amount.currency == "USD"
    # the same 150 in a euro contract's currency, and with yen's digits
    euro = policy.decide(rq.renew("2026-04-10", "2025-03-01", "2026-03-01", "9000.00", "EUR"))
    assert [str(c.amount) for c in euro.charges][-1] == "150.00 EUR"
    yen = policy.decide(rq.renew("2026-04-10", "2025-03-01", "2026-03-01", "1000000", "JPY"))
    assert charges(yen)[-1] == ("reinstatement_fee", "150")
    assert policy.decide(rq.renew("2026-03-01", "2025-03-01", "2026-03-01")).charges[-1].code == "renewal"


def test_a_charge_in_another_currency_is_an_evaluation_error(tmp_path: Path) -> None:
    policy = written(
        tmp_path,
        {
            "parameters.mes": FLAT_FEE_PARAMETERS.replace(
                "flat_fee: money = 150.00", "flat_fee = 150.00 USD"
            ),
            "renewal.mes": FLAT_FEE_RENEWAL,
        },
    )
    usd = policy.decide(LATE_40)
    assert charges(usd)[-1] == ("reinstatement_fee", "150.00")
    with pytest.raises(mespolicy.EvaluationError, match="late"):
        policy.decide(rq.renew("2026-04-10", "2025-03-01", "2026-03-01", "9000.00", "EUR"))
