"""Golden decisions of the shipped policy, each expected number worked by hand from interpretation.md.

The arithmetic sits in a comment beside every expected amount and date; nothing
here is computed with the code under test. ``fee(annual, a, b)`` is whole
12-month units from ``a`` at the annual fee plus the remaining days at
``annual / 365``; amounts are rounded once, half-up, to the currency's digits.
"""

from __future__ import annotations

import functools
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

import mespolicy
from tests.policy import requests as rq

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

Row = tuple[str, str, str, str | None, str | None, str | None, str]


@functools.cache
def policy() -> mespolicy.Policy:
    return mespolicy.load()


def decide(request: mespolicy.Facts) -> mespolicy.Decision:
    return policy().decide(request)


def rows(decision: mespolicy.Decision) -> list[Row]:
    """Each charge as (code, amount, currency, start, end, contract, clause); the amount as
    written, so that its minor digits are checked too."""
    out: list[Row] = []
    for c in decision.charges:
        start = None if c.period is None else c.period.start.isoformat()
        end = None if c.period is None else c.period.end.isoformat()
        out.append((c.code, str(c.amount.amount), c.amount.currency, start, end, c.contract, c.clause))
    return out


def clauses(decision: mespolicy.Decision) -> list[str]:
    return [r.clause for r in decision.reasons]


def term(decision: mespolicy.Decision) -> tuple[str, str] | None:
    t = decision.term
    return None if t is None else (t.start.isoformat(), t.end.isoformat())


def total(decision: mespolicy.Decision) -> tuple[str, str] | None:
    t = decision.total
    return None if t is None else (str(t.amount), t.currency)


def approved(decision: mespolicy.Decision) -> bool:
    return decision.outcome is mespolicy.Outcome.APPROVED


def assert_rejected(decision: mespolicy.Decision, clause: str) -> None:
    """Rejected, citing ``clause``, and nothing changes: no term, no charge, no field."""
    assert decision.outcome is mespolicy.Outcome.REJECTED
    assert clause in clauses(decision)
    assert decision.term is None
    assert decision.charges == ()
    assert decision.total is None
    assert decision.fields == ()


# ---------------------------------------------------------------- renew


class TestRenew:
    def test_timely_on_the_expiry_day(self) -> None:
        d = decide(rq.renew("2026-03-01", "2025-03-01", "2026-03-01"))
        assert approved(d)
        assert clauses(d) == ["§6.2"]
        # timely: [end, end + 12 months) = [2026-03-01, 2027-03-01)
        assert term(d) == ("2026-03-01", "2027-03-01")
        # renewal = the annual fee; its period is the new term
        assert rows(d) == [
            ("renewal", "12000.00", "USD", "2026-03-01", "2027-03-01", "M1", "§6.2"),
        ]
        assert total(d) == ("12000.00", "USD")

    def test_timely_months_ahead_is_the_same_renewal(self) -> None:
        early = decide(rq.renew("2025-11-15", "2025-03-01", "2026-03-01"))
        on_day = decide(rq.renew("2026-03-01", "2025-03-01", "2026-03-01"))
        assert (term(early), rows(early)) == (term(on_day), rows(on_day))

    def test_late_by_40_days(self) -> None:
        # examples/renew-late.json: end 2026-03-01, renewed 2026-04-10.
        d = decide(mespolicy.parse_request_json((EXAMPLES / "renew-late.json").read_text()))
        assert approved(d)
        assert clauses(d) == ["§8.4", "§8.2", "§8.3"]
        # §8.4: starts at the old end; k = 1 since 2026-03-01 + 12 months = 2027-03-01 > 2026-04-10
        assert term(d) == ("2026-03-01", "2027-03-01")
        assert rows(d) == [
            # 1 x 12,000.00
            ("renewal", "12000.00", "USD", "2026-03-01", "2027-03-01", "M1", "§8.2"),
            # 2026-03-01..2026-04-10 = 31 + 9 = 40 days; 25% x 12,000 x 40/365 = 328.767.. -> 328.77
            ("reinstatement_fee", "328.77", "USD", "2026-03-01", "2026-04-10", "M1", "§8.3"),
        ]
        # 12,000.00 + 328.77
        assert total(d) == ("12328.77", "USD")

    def test_late_by_more_than_twelve_months_takes_two_terms(self) -> None:
        d = decide(rq.renew("2027-04-10", "2025-03-01", "2026-03-01"))
        assert approved(d)
        # k = 1: 2027-03-01 is not after 2027-04-10; k = 2: 2028-03-01 is
        assert term(d) == ("2026-03-01", "2028-03-01")
        assert rows(d) == [
            # 2 x 12,000.00
            ("renewal", "24000.00", "USD", "2026-03-01", "2028-03-01", "M1", "§8.2"),
            # fee(12000, 2026-03-01, 2027-04-10) = 12,000 + 12,000 x 40/365 (2027-03-01..04-10)
            # = 13,315.068..; x 25% = 3,328.767.. -> 3,328.77
            ("reinstatement_fee", "3328.77", "USD", "2026-03-01", "2027-04-10", "M1", "§8.3"),
        ]
        # 24,000.00 + 3,328.77
        assert total(d) == ("27328.77", "USD")

    def test_on_the_cutoff_day_is_approved(self) -> None:
        # cutoff = end + 36 months = 2029-03-01
        d = decide(rq.renew("2029-03-01", "2025-03-01", "2026-03-01"))
        assert approved(d)
        # k = 3 gives 2029-03-01, not after the renewal day; k = 4 gives 2030-03-01
        assert term(d) == ("2026-03-01", "2030-03-01")
        assert rows(d) == [
            # 4 x 12,000.00
            ("renewal", "48000.00", "USD", "2026-03-01", "2030-03-01", "M1", "§8.2"),
            # fee(12000, 2026-03-01, 2029-03-01) = 3 whole years = 36,000; x 25% = 9,000.00
            ("reinstatement_fee", "9000.00", "USD", "2026-03-01", "2029-03-01", "M1", "§8.3"),
        ]
        assert total(d) == ("57000.00", "USD")

    def test_the_day_after_the_cutoff_is_rejected(self) -> None:
        d = decide(rq.renew("2029-03-02", "2025-03-01", "2026-03-01"))
        assert_rejected(d, "§8.5")
        assert clauses(d) == ["§8.5"]

    def test_leap_day_end_counts_months_from_the_original_date(self) -> None:
        # end 2024-02-29; cutoff = 2024-02-29 + 36 months = 2027-02-28 (clamped)
        d = decide(rq.renew("2027-02-28", "2023-02-28", "2024-02-29"))
        assert approved(d)
        # k = 3: 2027-02-28, not after the day; k = 4: 2024-02-29 + 48 months = 2028-02-29
        # (not 2028-02-28, which stepping 12 months at a time from 2027-02-28 would give)
        assert term(d) == ("2024-02-29", "2028-02-29")
        assert rows(d) == [
            ("renewal", "48000.00", "USD", "2024-02-29", "2028-02-29", "M1", "§8.2"),
            # fee(12000, 2024-02-29, 2027-02-28): + 36 months = 2027-02-28, so 3 whole years
            # and 0 days = 36,000; x 25% = 9,000.00
            ("reinstatement_fee", "9000.00", "USD", "2024-02-29", "2027-02-28", "M1", "§8.3"),
        ]
        assert_rejected(decide(rq.renew("2027-03-01", "2023-02-28", "2024-02-29")), "§8.5")

    def test_late_renewal_json_form(self) -> None:
        text = (EXAMPLES / "renew-late.json").read_text()
        d = decide(mespolicy.parse_request_json(text))
        data = mespolicy.decision_to_json(d, trace=False)
        reasons = data.pop("reasons")
        assert isinstance(reasons, list)
        assert [r["clause"] for r in reasons] == ["§8.4", "§8.2", "§8.3"]
        assert all(set(r) == {"clause", "message"} for r in reasons)
        # the policy's identity: the name and version of rules/clauses.mes, a hash of the rule files
        identity = data.pop("policy")
        assert isinstance(identity, dict)
        assert (identity["name"], identity["version"]) == ("ME&S policy", "2026.1")
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", identity["hash"])
        assert data == {
            "action": "renew",
            "outcome": "approved",
            "term": {"start": "2026-03-01", "end": "2027-03-01"},
            "charges": [
                {
                    "code": "renewal",
                    "amount": "12000.00",
                    "currency": "USD",
                    "start": "2026-03-01",
                    "end": "2027-03-01",
                    "contract": "M1",
                    "clause": "§8.2",
                },
                {
                    "code": "reinstatement_fee",
                    "amount": "328.77",
                    "currency": "USD",
                    "start": "2026-03-01",
                    "end": "2026-04-10",
                    "contract": "M1",
                    "clause": "§8.3",
                },
            ],
            "total": {"amount": "12328.77", "currency": "USD"},
            "ref": None,
        }
        # The messages name the dates the analyst checks.
        messages = [r.message for r in d.reasons]
        assert "2026-03-01" in messages[0]
        assert "2027-03-01" in messages[1]
        assert "25%" in messages[2]
        # With the trace: one step per rule of the action, only late_renewal applied; and
        # the whole thing is plain JSON.
        traced = mespolicy.decision_to_json(d)
        steps = traced["trace"]
        assert isinstance(steps, list)
        assert [s["rule"] for s in steps if s["applied"]] == ["late_renewal"]
        assert {s["rule"] for s in steps} >= {"past_reactivation_cutoff", "timely_renewal"}
        assert json.loads(json.dumps(traced)) == traced


# ---------------------------------------------------------------- initial


class TestInitial:
    def test_with_the_license_on_the_ship_day(self) -> None:
        d = decide(rq.initial("2025-03-01", "2025-03-01"))
        assert approved(d)
        # new customer: [shipped, shipped + 12 months)
        assert term(d) == ("2025-03-01", "2026-03-01")
        assert rows(d) == [
            ("initial_term", "12000.00", "USD", "2025-03-01", "2026-03-01", None, "§5.2"),
        ]
        assert d.field("support_from") == date(2025, 3, 1)

    def test_new_customer_on_day_90_pays_no_fee(self) -> None:
        # 2025-03-01 + 90 days = 2025-05-30 (31 - 1 + 30 + 30 = 90)
        d = decide(rq.initial("2025-05-30", "2025-03-01"))
        assert approved(d)
        assert clauses(d) == ["§5.2", "§9.1", "§9.3"]
        # dated from the ship day (§9.1), 12 months (§5.2)
        assert term(d) == ("2025-03-01", "2026-03-01")
        assert rows(d) == [
            # the annual fee for the first term, and no reinstatement fee
            ("initial_term", "12000.00", "USD", "2025-03-01", "2026-03-01", None, "§5.2"),
        ]
        assert total(d) == ("12000.00", "USD")
        # §9.3: support from the signing day, not the ship day
        assert d.field("support_from") == date(2025, 5, 30)

    def test_new_customer_on_day_91_pays_the_reinstatement_fee(self) -> None:
        d = decide(rq.initial("2025-05-31", "2025-03-01"))
        assert approved(d)
        assert clauses(d) == ["§9.2", "§9.3"]
        # k = 1: 2025-03-01 + 12 months = 2026-03-01 > 2025-05-31
        assert term(d) == ("2025-03-01", "2026-03-01")
        assert rows(d) == [
            ("initial_term", "12000.00", "USD", "2025-03-01", "2026-03-01", None, "§9.2"),
            # 91 days; 25% x 12,000 x 91/365 = 747.945.. -> 747.95
            ("reinstatement_fee", "747.95", "USD", "2025-03-01", "2025-05-31", None, "§9.2"),
        ]
        # 12,000.00 + 747.95
        assert total(d) == ("12747.95", "USD")
        assert d.field("support_from") == date(2025, 5, 31)

    def test_deferred_more_than_a_year_takes_two_terms(self) -> None:
        d = decide(rq.initial("2025-04-20", "2024-01-15"))
        assert approved(d)
        # k = 1: 2025-01-15 is not after 2025-04-20; k = 2: 2026-01-15 is
        assert term(d) == ("2024-01-15", "2026-01-15")
        assert rows(d) == [
            # 2 x 12,000.00
            ("initial_term", "24000.00", "USD", "2024-01-15", "2026-01-15", None, "§9.2"),
            # fee(12000, 2024-01-15, 2025-04-20) = 12,000 + 12,000 x 95/365
            #   (2025-01-15..04-20 = 31 + 28 + 31 + 5 = 95 days) = 15,123.287..
            # x 25% = 3,780.821.. -> 3,780.82
            ("reinstatement_fee", "3780.82", "USD", "2024-01-15", "2025-04-20", None, "§9.2"),
        ]
        assert total(d) == ("27780.82", "USD")

    def test_deferred_from_a_leap_day(self) -> None:
        d = decide(rq.initial("2028-03-10", "2024-02-29"))
        assert approved(d)
        # + 48 months = 2028-02-29 is not after 2028-03-10; + 60 months = 2029-02-28 is
        assert term(d) == ("2024-02-29", "2029-02-28")
        assert rows(d) == [
            # fee(12000, 2024-02-29, 2029-02-28) = 5 whole years (+ 60 months = 2029-02-28)
            ("initial_term", "60000.00", "USD", "2024-02-29", "2029-02-28", None, "§9.2"),
            # fee(12000, 2024-02-29, 2028-03-10) = 4 years + 10 days (2028-02-29..03-10)
            # = 48,000 + 328.767.. ; x 25% = 12,082.191.. -> 12,082.19
            ("reinstatement_fee", "12082.19", "USD", "2024-02-29", "2028-03-10", None, "§9.2"),
        ]

    def test_existing_customer_coterminating_in_the_grace(self) -> None:
        d = decide(rq.initial("2025-05-30", "2025-03-01", existing=True, coterminate_end="2025-09-01"))
        assert approved(d)
        assert clauses(d) == ["§5.3", "§9.1", "§9.3"]
        # [shipped, E)
        assert term(d) == ("2025-03-01", "2025-09-01")
        assert rows(d) == [
            # 2025-03-01..09-01 = 31 + 30 + 31 + 30 + 31 + 31 = 184 days;
            # 12,000 x 184/365 = 6,049.315.. -> 6,049.32; no reinstatement fee in the grace
            ("initial_term", "6049.32", "USD", "2025-03-01", "2025-09-01", None, "§5.3"),
        ]
        assert d.field("support_from") == date(2025, 5, 30)

    def test_existing_customer_coterminating_after_the_grace(self) -> None:
        d = decide(rq.initial("2025-07-01", "2025-03-01", existing=True, coterminate_end="2025-12-01"))
        assert approved(d)
        assert clauses(d) == ["§5.3", "§9.2", "§9.3"]
        assert term(d) == ("2025-03-01", "2025-12-01")
        assert rows(d) == [
            # 2025-03-01..12-01 = 31+30+31+30+31+31+30+31+30 = 275 days;
            # 12,000 x 275/365 = 9,041.095.. -> 9,041.10
            ("initial_term", "9041.10", "USD", "2025-03-01", "2025-12-01", None, "§5.3"),
            # 2025-03-01..07-01 = 122 days (> 90); 25% x 12,000 x 122/365 = 1,002.739.. -> 1,002.74
            ("reinstatement_fee", "1002.74", "USD", "2025-03-01", "2025-07-01", None, "§9.2"),
        ]
        # 9,041.10 + 1,002.74
        assert total(d) == ("10043.84", "USD")

    def test_new_customer_cannot_coterminate(self) -> None:
        d = decide(rq.initial("2025-05-30", "2025-03-01", existing=False, coterminate_end="2025-09-01"))
        assert_rejected(d, "§5.3")

    @pytest.mark.parametrize("end", ["2025-05-30", "2025-05-01"], ids=["on", "before"])
    def test_coterm_date_on_or_before_the_signing_day(self, end: str) -> None:
        d = decide(rq.initial("2025-05-30", "2025-03-01", existing=True, coterminate_end=end))
        assert_rejected(d, "§5.3")


# ---------------------------------------------------------------- cancel


class TestCancel:
    def test_thirty_days_before_stops_the_renewal(self) -> None:
        # 2026-01-30..2026-03-01 = 2 + 28 = 30 days
        d = decide(rq.cancel("2026-01-30", "2025-03-01", "2026-03-01"))
        assert approved(d)
        assert clauses(d) == ["§10.1"]
        assert d.field("effective") == date(2026, 3, 1)
        assert d.charges == ()
        # cancel can charge (a late notice renews): its approval always has a total, here zero
        assert total(d) == ("0.00", "USD")

    def test_twenty_nine_days_before_renews_once(self) -> None:
        # 2026-01-31..2026-03-01 = 29 days < 30: renews at 2026-03-01;
        # 2027-03-01 is 394 days after the notice, >= 30
        d = decide(rq.cancel("2026-01-31", "2025-03-01", "2026-03-01"))
        assert approved(d)
        assert clauses(d) == ["§5.5", "§10.1"]
        assert d.field("effective") == date(2027, 3, 1)
        assert rows(d) == [
            # 1 x 12,000.00
            ("renewal", "12000.00", "USD", "2026-03-01", "2027-03-01", "M1", "§5.5"),
        ]
        assert total(d) == ("12000.00", "USD")

    def test_notice_after_the_end_finds_the_renewal_made(self) -> None:
        d = decide(rq.cancel("2026-03-05", "2025-03-01", "2026-03-01"))
        assert approved(d)
        # 2027-03-01 - 2026-03-05 = 361 days >= 30
        assert d.field("effective") == date(2027, 3, 1)
        assert rows(d) == [
            ("renewal", "12000.00", "USD", "2026-03-01", "2027-03-01", "M1", "§5.5"),
        ]

    def test_notice_within_thirty_days_of_the_next_expiry_takes_two_renewals(self) -> None:
        # k = 1: 2027-03-01 - 2027-02-15 = 14 days < 30; k = 2: 2028-03-01, 380 days
        d = decide(rq.cancel("2027-02-15", "2025-03-01", "2026-03-01"))
        assert d.field("effective") == date(2028, 3, 1)
        assert rows(d) == [
            # 2 x 12,000.00
            ("renewal", "24000.00", "USD", "2026-03-01", "2028-03-01", "M1", "§5.5"),
        ]

    def test_month_end_expiry(self) -> None:
        # end 2025-05-31: 2025-05-01 is 30 days before, 2025-05-02 is 29
        stop = decide(rq.cancel("2025-05-01", "2024-05-31", "2025-05-31"))
        assert stop.field("effective") == date(2025, 5, 31)
        assert stop.charges == ()
        late = decide(rq.cancel("2025-05-02", "2024-05-31", "2025-05-31"))
        assert late.field("effective") == date(2026, 5, 31)
        assert rows(late) == [
            ("renewal", "12000.00", "USD", "2025-05-31", "2026-05-31", "M1", "§5.5"),
        ]

    def test_partial_cancellation_is_rejected(self) -> None:
        d = decide(rq.cancel("2026-01-01", "2025-03-01", "2026-03-01", cancel_licenses=["L1"]))
        assert_rejected(d, "§10.2")
        with pytest.raises(KeyError):
            d.field("effective")

    def test_naming_every_license_is_not_partial(self) -> None:
        d = decide(rq.cancel("2026-01-01", "2025-03-01", "2026-03-01", cancel_licenses=["L2", "L1"]))
        assert approved(d)
        assert d.field("effective") == date(2026, 3, 1)

    def test_naming_a_license_of_another_contract_is_rejected(self) -> None:
        d = decide(rq.cancel("2026-01-01", "2025-03-01", "2026-03-01", cancel_licenses=["L1", "L2", "L9"]))
        assert_rejected(d, "§10.2")


# ---------------------------------------------------------------- coterminate


THREE: list[rq.Held] = [
    ("2025-01-01", "2026-01-01", "12000.00"),
    ("2024-07-01", "2025-07-01", "3650.00"),
    ("2025-03-01", "2026-03-01", "7300.00"),
]


class TestCoterminate:
    def test_three_contracts_to_the_latest_end(self) -> None:
        d = decide(rq.coterminate("2025-06-01", THREE))
        assert approved(d)
        assert clauses(d) == ["§7.2"]
        assert rows(d) == [
            # M1: 2026-01-01..03-01 = 31 + 28 = 59 days; 12,000 x 59/365 = 1,939.726.. -> 1,939.73
            ("coterm_extension", "1939.73", "USD", "2026-01-01", "2026-03-01", "M1", "§7.2"),
            # M2: 2025-07-01..2026-03-01 = 31+31+30+31+30+31+31+28 = 243 days;
            # 3,650 x 243/365 = 10 x 243 = 2,430.00
            ("coterm_extension", "2430.00", "USD", "2025-07-01", "2026-03-01", "M2", "§7.2"),
            # M3 already ends on the target: no charge
        ]
        # 1,939.73 + 2,430.00
        assert total(d) == ("4369.73", "USD")
        assert d.field("coterm_end") == date(2026, 3, 1)
        assert d.field("renewal.date") == date(2026, 3, 1)
        # 12,000 + 3,650 + 7,300
        assert d.field("renewal.amount") == mespolicy.Money(Decimal("22950.00"), "USD")

    def test_to_a_later_date_asked_for(self) -> None:
        d = decide(rq.coterminate("2025-06-01", [THREE[0], THREE[2]], target_end="2027-04-15"))
        assert approved(d)
        assert rows(d) == [
            # fee(12000, 2026-01-01, 2027-04-15) = 12,000 + 12,000 x 104/365
            #   (2027-01-01..04-15 = 31 + 28 + 31 + 14) = 15,419.178.. -> 15,419.18
            ("coterm_extension", "15419.18", "USD", "2026-01-01", "2027-04-15", "M1", "§7.2"),
            # fee(7300, 2026-03-01, 2027-04-15) = 7,300 + 7,300 x 45/365 (31 + 14) = 8,200.00
            ("coterm_extension", "8200.00", "USD", "2026-03-01", "2027-04-15", "M2", "§7.2"),
        ]
        assert total(d) == ("23619.18", "USD")
        assert d.field("coterm_end") == date(2027, 4, 15)
        # 12,000 + 7,300
        assert d.field("renewal.amount") == mespolicy.Money(Decimal("19300.00"), "USD")

    def test_renewal_json_nests(self) -> None:
        data = mespolicy.decision_to_json(decide(rq.coterminate("2025-06-01", THREE)), trace=False)
        assert data["coterm_end"] == "2026-03-01"
        assert data["renewal"] == {
            "date": "2026-03-01",
            "amount": {"amount": "22950.00", "currency": "USD"},
        }

    def test_target_before_the_latest_end_is_rejected(self) -> None:
        d = decide(rq.coterminate("2025-06-01", THREE, target_end="2026-02-01"))
        # a reading (interpretation.md names no clause); the rules cite §7
        assert d.outcome is mespolicy.Outcome.REJECTED
        assert all(c.startswith("§7.") for c in clauses(d))
        assert d.charges == ()

    def test_one_contract_is_rejected(self) -> None:
        assert_rejected(decide(rq.coterminate("2025-06-01", THREE[:1])), "§7.1")

    def test_mixed_currencies_are_rejected(self) -> None:
        contracts: list[rq.Held] = [THREE[0], ("2025-03-01", "2026-03-01", "7300.00", "EUR")]
        assert_rejected(decide(rq.coterminate("2025-06-01", contracts)), "§7.1")

    def test_a_lapsed_contract_is_rejected(self) -> None:
        # [2024-01-01, 2025-01-01) has lapsed by 2025-06-01
        contracts: list[rq.Held] = [("2024-01-01", "2025-01-01", "12000.00"), THREE[2]]
        assert_rejected(decide(rq.coterminate("2025-06-01", contracts)), "§7.1")

    def test_contracts_already_ending_together_are_rejected(self) -> None:
        contracts: list[rq.Held] = [THREE[2], ("2025-04-01", "2026-03-01", "500.00")]
        assert_rejected(decide(rq.coterminate("2025-06-01", contracts)), "§7.1")


# ---------------------------------------------------------------- status


class TestStatus:
    @pytest.mark.parametrize(
        ("day", "expected"),
        [
            ("2025-02-28", "not_started"),  # before start
            ("2025-03-01", "active"),  # start is covered
            ("2026-02-28", "active"),  # the last covered day
            ("2026-03-01", "lapsed"),  # end is the first day without cover
            ("2029-03-01", "lapsed"),  # end + 36 months, still reinstatable
            ("2029-03-02", "expired"),  # past the cutoff
        ],
    )
    def test_contract_status(self, day: str, expected: str) -> None:
        d = decide(rq.status(day, "2025-03-01", "2026-03-01"))
        assert approved(d)
        assert d.field("status") == expected
        # 2026-03-01 - 90 days = 2025-12-01 (Dec 31 + Jan 31 + Feb 28 = 90)
        assert d.field("renewal_notice_by") == date(2025, 12, 1)
        # 2026-03-01 - 30 days = 2026-01-30
        assert d.field("cancel_notice_by") == date(2026, 1, 30)
        # 2026-03-01 + 36 months
        assert d.field("reinstatable_until") == date(2029, 3, 1)

    def test_deadlines_of_a_leap_day_end(self) -> None:
        d = decide(rq.status("2024-01-01", "2023-02-28", "2024-02-29"))
        # 2024-02-29 - 90 = 2023-12-01 (Dec 31 + Jan 31 + Feb 28 up to the 29th = 90)
        assert d.field("renewal_notice_by") == date(2023, 12, 1)
        # 2024-02-29 - 30 = 2024-01-30 (Jan 30 -> Jan 31 = 1, + 29)
        assert d.field("cancel_notice_by") == date(2024, 1, 30)
        # + 36 months clamps: 2027-02-28
        assert d.field("reinstatable_until") == date(2027, 2, 28)
        assert d.field("status") == "active"

    def test_deadlines_of_a_31st_end(self) -> None:
        d = decide(rq.status("2025-05-31", "2024-05-31", "2025-05-31"))
        # 2025-05-31 - 90 = 2025-03-02 (29 + 30 + 31 = 90)
        assert d.field("renewal_notice_by") == date(2025, 3, 2)
        # 2025-05-31 - 30 = 2025-05-01
        assert d.field("cancel_notice_by") == date(2025, 5, 1)
        assert d.field("reinstatable_until") == date(2028, 5, 31)
        assert d.field("status") == "lapsed"

    @pytest.mark.parametrize(
        ("day", "expected"),
        [
            ("2025-02-28", "not_started"),
            ("2025-03-01", "grace"),  # ship day
            ("2025-05-30", "grace"),  # day 90
            ("2025-05-31", "deferred"),  # day 91
        ],
    )
    def test_license_without_mes(self, day: str, expected: str) -> None:
        d = decide(rq.status(day, shipped="2025-03-01"))
        assert approved(d)
        assert d.field("status") == expected
        # 2025-03-01 + 90 days
        assert d.field("grace_until") == date(2025, 5, 30)
        assert d.charges == ()


# ---------------------------------------------------------------- premium support


class TestPremium:
    def test_perpetual_with_active_mes(self) -> None:
        d = decide(rq.premium("2025-06-01"))
        assert approved(d)
        assert "§4.2" in clauses(d)
        # the policy gives no prices (§4.3)
        assert d.charges == ()
        assert d.total is None

    def test_a_named_tier(self) -> None:
        d = decide(rq.premium("2025-06-01", tier="weekend"))
        assert approved(d)
        assert d.field("tier") == "weekend"

    def test_unknown_tier_is_a_request_error(self) -> None:
        with pytest.raises(mespolicy.RequestError) as caught:
            decide(rq.premium("2025-06-01", tier="gold"))
        assert caught.value.field == "tier"

    def test_subscription_is_rejected(self) -> None:
        assert_rejected(decide(rq.premium("2025-06-01", kind="subscription")), "§4.1")

    def test_without_mes_is_rejected(self) -> None:
        assert_rejected(decide(rq.premium("2025-06-01", start=None)), "§4.1")

    def test_on_the_expiration_date_is_rejected(self) -> None:
        # [2025-01-01, 2026-01-01): 2026-01-01 has no cover
        assert_rejected(decide(rq.premium("2026-01-01")), "§4.1")


# ---------------------------------------------------------------- partners (§1.2)


PARTNER_CASES = {
    "renew late": rq.renew("2026-04-10", "2025-03-01", "2026-03-01"),
    "renew past cutoff": rq.renew("2029-03-02", "2025-03-01", "2026-03-01"),
    "initial deferred": rq.initial("2025-05-31", "2025-03-01"),
    "initial coterm": rq.initial("2025-05-30", "2025-03-01", existing=True, coterminate_end="2025-09-01"),
    "cancel late": rq.cancel("2026-01-31", "2025-03-01", "2026-03-01"),
    "coterminate": rq.coterminate("2025-06-01", THREE),
    "status": rq.status("2026-03-01", "2025-03-01", "2026-03-01"),
    "premium": rq.premium("2025-06-01", tier="support_cloud"),
}


@pytest.mark.parametrize("name", PARTNER_CASES)
def test_partner_gets_the_customer_decision(name: str) -> None:
    request = PARTNER_CASES[name]
    partner = rq.as_partner(request)
    assert partner.customer.role == mespolicy.Role.PARTNER.value
    assert decide(partner) == decide(request)


def test_partner_late_renewal_numbers() -> None:
    d = decide(rq.renew("2026-04-10", "2025-03-01", "2026-03-01", role="partner"))
    # the 40-day example: 12,000.00 + 328.77
    assert total(d) == ("12328.77", "USD")


# ---------------------------------------------------------------- rounding per currency


@pytest.mark.parametrize(
    ("fee", "currency", "renewal", "reinstatement", "total_"),
    [
        # 40 days late (2026-03-01..04-10)
        # 25% x 1,200,000 x 40/365 = 32,876.71.. -> 32,877 (0 places)
        ("1200000", "JPY", "1200000", "32877", "1232877"),
        ("1200000", "KRW", "1200000", "32877", "1232877"),
        # 25% x 1,200 x 40/365 = 32.876712.. -> 32.877 (3 places)
        ("1200.000", "BHD", "1200.000", "32.877", "1232.877"),
        ("1200.000", "KWD", "1200.000", "32.877", "1232.877"),
        # 25% x 1,200 x 40/365 -> 32.88 (2 places)
        ("1200.00", "USD", "1200.00", "32.88", "1232.88"),
    ],
)
def test_forty_days_late_in_each_currency(
    fee: str, currency: str, renewal: str, reinstatement: str, total_: str
) -> None:
    d = decide(rq.renew("2026-04-10", "2025-03-01", "2026-03-01", fee, currency))
    assert [(c.code, str(c.amount.amount), c.amount.currency) for c in d.charges] == [
        ("renewal", renewal, currency),
        ("reinstatement_fee", reinstatement, currency),
    ]
    assert total(d) == (total_, currency)


@pytest.mark.parametrize(
    ("fee", "currency", "reinstatement"),
    [
        # one day late: 25% x fee / 365, each an exact half of the minor unit, rounded up
        # (half-even would go down in every case but the last)
        ("730", "JPY", "1"),  # 730 / 365 / 4 = 0.5 -> 1
        ("3650", "KRW", "3"),  # 3650 / 365 / 4 = 2.5 -> 3
        ("3.650", "BHD", "0.003"),  # 3.650 / 365 / 4 = 0.0025 -> 0.003
        ("18.250", "KWD", "0.013"),  # 18.250 / 365 / 4 = 0.0125 -> 0.013
        ("36.50", "USD", "0.03"),  # 36.50 / 365 / 4 = 0.025 -> 0.03
        ("10.95", "EUR", "0.01"),  # 10.95 / 365 / 4 = 0.0075 -> 0.01
    ],
)
def test_half_rounds_up(fee: str, currency: str, reinstatement: str) -> None:
    d = decide(rq.renew("2026-03-02", "2025-03-01", "2026-03-01", fee, currency))
    fees = [c for c in d.charges if c.code == "reinstatement_fee"]
    assert [str(c.amount.amount) for c in fees] == [reinstatement]
