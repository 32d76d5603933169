"""Calendar and number constructs and bands (issue 10: 4, 5): syntax, checks, values, explanations.

The fixed numbers are worked by hand from the calendar (month ends, 29 February);
the properties hold for any dates and numbers.
"""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from pygments.token import Error, Keyword, Name, Number

import mespolicy
from mespolicy import bands, runtime
from mespolicy import nodes as n
from mespolicy.checker import check
from mespolicy.cli import main as cli
from mespolicy.errors import EvaluationError, PolicyCheckError, PolicySyntaxError
from mespolicy.exact import Quotient, round_toward
from mespolicy.formatter import format_text
from mespolicy.lexer import MespolicyLexer
from mespolicy.loader import read_policy, shipped_rules
from mespolicy.model.calendar import add_months
from mespolicy.overrides import OverrideError
from mespolicy.parser import parse
from mespolicy.policy import from_files
from mespolicy.publish import policy_html, policy_markdown
from mespolicy.source import nowhere
from tests.policy.requests import renew

SPAN = nowhere()
LANGUAGE = Path(__file__).resolve().parents[1] / "docs" / "reference" / "language.rst"

PRELUDE = """\
parameter grace_limit = 30 days
  clause §1.1
  source "x"
parameter late_limit = 12 months
  clause §1.1
  source "x"
parameter shifting = 10 months
  = 40 months from 2027-01-01
  clause §1.1
  source "x"
parameter cap: money = 500
  clause §1.1
  source "x"
enum standing = early | late | not_renewable
  clause §1.1
  source "x"
"""


def policy_of(body: str) -> mespolicy.Policy:
    text = PRELUDE + f"action renew {{\n  approve shown §1.1 {{\n    set value = {body}\n  }}\n}}\n"
    return from_files((parse(text, "t.mes"),), "t")


def value_of(expression: str, day: str = "2026-04-10", end: str = "2026-03-01") -> object:
    """`expression` decided for a renewal of M1 (12,000.00 USD a year, until `end`) on `day`."""
    decision = policy_of(expression).decide(renew(day, "2025-03-01", end))
    return dict(decision.fields)["value"]


def errors(body: str) -> list[tuple[str, str]]:
    """The codes and messages of checking `let x = <body>` in an action."""
    text = PRELUDE + f"action renew {{\n  let x = {body}\n}}\n"
    with pytest.raises(PolicyCheckError) as caught:
        check((parse(text, "t.mes"),))
    return [(d.code, d.message) for d in caught.value.diagnostics]


def codes(body: str) -> list[str]:
    return [code for code, _ in errors(body)]


def syntax_error(text: str) -> PolicySyntaxError:
    with pytest.raises(PolicySyntaxError) as caught:
        parse(text)
    return caught.value


# -- months and years between two dates ---------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "rounding", "months"),
    [
        # from a month end, a month ends on the next month's last day (clamped)
        ("2024-01-31", "2024-02-29", "rounded down", 1),
        ("2024-01-31", "2024-02-28", "rounded down", 0),
        ("2024-01-31", "2024-02-28", "rounded up", 1),
        ("2025-01-31", "2025-02-28", "rounded down", 1),
        ("2024-01-31", "2024-03-30", "rounded down", 1),  # + 2 months is 2024-03-31
        ("2024-01-31", "2024-03-31", "rounded up", 2),
        ("2024-02-29", "2024-03-29", "rounded down", 1),
        ("2024-02-29", "2024-03-28", "rounded up", 1),
        ("2026-03-01", "2026-03-01", "rounded up", 0),
        ("2026-03-01", "2026-04-10", "rounded down", 1),
        ("2026-03-01", "2026-04-10", "rounded up", 2),
        # a later start counts below zero: down is toward the earlier date
        ("2025-03-15", "2025-02-20", "rounded down", -1),
        ("2025-03-15", "2025-02-20", "rounded up", 0),
        # a part month of 15 days or more counts whole; 14 days do not
        ("2025-01-15", "2025-03-01", "a remainder of 15 days or more counting whole", 1),
        ("2025-01-15", "2025-03-02", "a remainder of 15 days or more counting whole", 2),
        ("2024-01-31", "2024-03-14", "a remainder of 15 days or more counting whole", 1),
        ("2024-01-31", "2024-03-15", "a remainder of 15 days or more counting whole", 2),
    ],
)
def test_months_from_one_date_until_another(start: str, end: str, rounding: str, months: int) -> None:
    assert value_of(f"months from {start} until {end}, {rounding}") == months


@pytest.mark.parametrize(
    "written",
    [
        "months from a until b",
        "months from a to b, rounded up",
        "years from a until b, rounded",
        "f(months from a until b)",
        "months from a until b, a remainder of 15 days counting whole",
    ],
)
def test_a_count_without_until_or_its_rounding_says_how_to_write_it(written: str) -> None:
    error = syntax_error(f"action a {{\n  let x = {written}\n}}\n")
    if written.endswith("rounded"):
        assert error.code == "P101" and "expected 'down' or 'up'" in str(error)
    else:
        assert error.code == "P122"
        assert "hint: write: months from expiry until date, rounded up" in str(error)


@pytest.mark.parametrize("function", ["round", "month_end", "months_between"])
def test_a_function_of_another_language_is_answered_with_its_wording_here(function: str) -> None:
    text = f"action a {{\n  let x = {function}(1)\n}}\n"
    with pytest.raises(PolicyCheckError) as caught:
        check((parse(text),))
    assert caught.value.diagnostics[0].code == "C201"
    assert (caught.value.diagnostics[0].hint or "").startswith("write ")


@pytest.mark.parametrize(
    ("start", "end", "rounding", "months"),
    [
        ("2024-02-29", "2025-02-28", "rounded down", 12),  # a year from 29 February ends on the 28th
        ("2024-02-29", "2025-02-27", "rounded down", 0),
        ("2024-02-29", "2025-02-27", "rounded up", 12),
        ("2024-02-29", "2028-02-29", "rounded down", 48),
        ("2023-03-01", "2026-04-10", "rounded down", 36),
        ("2023-03-01", "2026-04-10", "rounded up", 48),
        ("2025-03-01", "2026-03-10", "a remainder of 15 days or more counting whole", 12),
        ("2025-03-01", "2026-03-16", "a remainder of 15 days or more counting whole", 24),
    ],
)
def test_years_are_counted_in_whole_years_of_twelve_months(
    start: str, end: str, rounding: str, months: int
) -> None:
    assert value_of(f"years from {start} until {end}, {rounding}") == months


def test_the_count_is_in_months_and_divides_to_a_number() -> None:
    # 12,000.00 USD a year, two months begun since the 1st of the month after expiry
    expression = (
        "contract.annual_fee / 12 * "
        "((months from start of month of contract.end + 1 month until date, rounded up) / 1 month)"
    )
    assert str(value_of(expression, day="2026-05-10", end="2026-03-20")) == "2,000.00 USD"


@given(st.dates(date(1900, 1, 1), date(2200, 12, 31)), st.integers(-120, 120))
def test_months_from_a_until_a_plus_k_months_is_k(start: date, k: int) -> None:
    end = add_months(start, k)
    for up in (False, True):
        assert runtime.calendar_count(start, end, 1, up, None) == k
        assert runtime.calendar_count(start, end, 1, up, 15) == k


@given(st.dates(date(1900, 1, 1), date(2200, 12, 31)), st.dates(date(1900, 1, 1), date(2200, 12, 31)))
def test_rounding_up_is_never_below_rounding_down(start: date, end: date) -> None:
    for step in (1, 12):
        down = runtime.calendar_count(start, end, step, False, None)
        up = runtime.calendar_count(start, end, step, True, None)
        assert up - down in (0, step)
        assert (up == down) == (add_months(start, down) == end)
        # down is the most whole steps that end on or before `end`
        assert add_months(start, down) <= end < add_months(start, down + step)
        for days in (0, 1, 15, 31):
            whole_after = runtime.calendar_count(start, end, step, False, days)
            assert down <= whole_after <= up


@given(st.dates(date(1900, 1, 1), date(2200, 12, 31)), st.integers(0, 40))
def test_a_remainder_counts_whole_from_its_threshold_on(start: date, days: int) -> None:
    end = start + timedelta(days=days)
    down = runtime.calendar_count(start, end, 1, False, None)
    rest = (end - add_months(start, down)).days
    counted = runtime.calendar_count(start, end, 1, False, 15)
    assert counted == (down + 1 if rest >= 15 else down)


# -- parts of a month --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("start of month of 2024-02-29", date(2024, 2, 1)),
        ("end of month of 2024-02-01", date(2024, 2, 29)),
        ("end of month of 2025-02-10", date(2025, 2, 28)),
        ("end of month of 2025-12-31", date(2025, 12, 31)),
        ("end of month of 2025-04-30", date(2025, 4, 30)),
        ("day of month of 2024-02-29", 29),
        ("day of month of 2025-03-01", 1),
        # binds as unary minus does: the start of expiry's month, then a month on
        ("start of month of contract.end + 1 month", date(2026, 4, 1)),
        ("end of month of (contract.end + 1 month)", date(2026, 4, 30)),
    ],
)
def test_start_end_and_day_of_month(expression: str, expected: object) -> None:
    assert value_of(expression, end="2026-03-20") == expected


@given(st.dates(date(1, 1, 1), date(9999, 12, 31)))
def test_a_day_lies_between_the_start_and_end_of_its_month(day: date) -> None:
    first, last = runtime.start_of_month(day), runtime.end_of_month(day)
    assert first <= day <= last
    assert (first.year, first.month, first.day) == (day.year, day.month, 1)
    assert last.month == day.month and (last + timedelta(days=1)).day == 1
    assert runtime.day_of_month(day) == (day - first).days + 1


# -- min and max of values written out ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("max(3, 5)", 5),
        ("min(3, 5, -1)", -1),
        ("max(1 / 3, 0.3)", "1/3"),
        ("max(2026-01-31, contract.end)", date(2026, 3, 1)),
        ("max(months from contract.start until contract.end, rounded down, 18 months)", 18),
        ("max(100.00 USD, 200.50 USD)", "200.50 USD"),
        ("min(cap, contract.annual_fee)", "500.00 USD"),
    ],
)
def test_min_and_max_of_two_or_more_values(expression: str, expected: object) -> None:
    found = value_of(expression)
    if expected == "1/3":
        assert isinstance(found, Decimal) and found == Quotient(Decimal(1), 3).approximate()
    else:
        assert (str(found) if isinstance(expected, str) else found) == expected


@pytest.mark.parametrize(
    ("expression", "code"),
    [
        ("max(30 days, 1 month)", "C204"),
        ("max(1.00 USD, 1.00 EUR)", "C205"),
        ("min(true, false)", "C203"),
        ("max(1, 2026-01-01)", "C203"),
    ],
)
def test_min_and_max_values_agree_in_type(expression: str, code: str) -> None:
    assert codes(expression) == [code]


def test_only_min_and_max_take_values_written_out() -> None:
    error = syntax_error("action a { let x = sum(1, 2) }")
    assert error.code == "P121"
    assert parse("action a { let x = max(c.end for c in contracts) }") != parse(
        "action a { let x = max(1, 2) }"
    )


# -- rounding up and down ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("round up(10 / 3)", 4),
        ("round down(10 / 3)", 3),
        ("round up(10 / 3, 2 places)", Decimal("3.34")),
        ("round down(10 / 3, 2 places)", Decimal("3.33")),
        ("round down(-2.5)", -3),
        ("round up(-2.5)", -2),
        ("round up(7)", 7),
        ("round up(0.1, 1 place)", Decimal("0.1")),
        ("round up(contract.annual_fee / 7)", "1,715.00 USD"),
        ("round down(contract.annual_fee / 7, 1 place)", "1,714.20 USD"),
    ],
)
def test_round_up_and_down(expression: str, expected: object) -> None:
    found = value_of(expression)
    assert (str(found) if isinstance(expected, str) else found) == expected
    if isinstance(expected, int):
        assert type(found) is int


def test_round_takes_numbers_and_money_to_at_most_twenty_places() -> None:
    assert codes("round up(25%)") == ["C203"]
    assert codes("round up(30 days)") == ["C203"]
    assert syntax_error("action a { let x = round up(1, 21 places) }").code == "P120"
    assert syntax_error("action a { let x = round up(1, 2 days) }").code == "P120"
    assert syntax_error("action a { let x = round up(1, 000000000000000000002 places) }").code == "P120"
    # a number of places too long to read is refused as any such number is
    assert syntax_error(f"action a {{ let x = round up(1, {'9' * 5000} places) }}").code == "L105"


@given(
    st.integers(-(10**12), 10**12),
    st.integers(1, 10**6),
    st.integers(0, 6),
)
def test_rounding_up_is_never_below_rounding_down_nor_further_than_one_place(
    top: int, bottom: int, places: int
) -> None:
    exact = Fraction(top, bottom)
    value = runtime.num_div(top, bottom)
    up, down = round_toward(value, places, True), round_toward(value, places, False)
    assert Fraction(down) <= exact <= Fraction(up)
    assert Fraction(up) - Fraction(down) in (0, Fraction(1, 10**places))
    assert (up == down) == (Fraction(up) == exact)


# -- percentages with decimals -------------------------------------------------------------------------


@pytest.mark.parametrize("written", ["1.25%", "1.25 %"])
def test_a_percentage_may_have_decimals_and_a_space(written: str) -> None:
    tree = parse(f'parameter late = {written}\n  clause §1.1\n  source "x"\n')
    assert tree.items[0].values[0].value == n.PercentLiteral(Decimal("1.25"), span=SPAN)  # type: ignore[union-attr]
    assert str(value_of(f"contract.annual_fee * {written}")) == "150.00 USD"
    assert format_text(f"action a {{ let x = {written} }}") == "action a {\n  let x = 1.25%\n}\n"


# -- bands ---------------------------------------------------------------------------------------------

FEES = """band of months from contract.end until date, rounded up {
      up to 1 month: 0 USD
      up to 12 months: 60 USD
      under 36 months: 120 USD
      up to 36 months: 150 USD
      beyond: 240 USD
    }"""


@pytest.mark.parametrize(
    ("day", "fee"),
    [
        ("2026-03-01", "0.00 USD"),  # on expiry: no month lapsed
        ("2026-04-01", "0.00 USD"),  # one month, up to 1 month
        ("2026-04-02", "60.00 USD"),  # a day into the second month
        ("2027-03-01", "60.00 USD"),  # 12 months
        ("2027-03-02", "120.00 USD"),
        ("2029-02-01", "120.00 USD"),  # 35 months
        ("2029-02-28", "150.00 USD"),  # 36 months less a day, rounded up: 36, and under 36 is not
        ("2029-03-01", "150.00 USD"),
        ("2029-03-02", "240.00 USD"),
    ],
)
def test_a_band_chooses_by_its_thresholds_without_gaps(day: str, fee: str) -> None:
    assert str(value_of(FEES, day=day, end="2026-03-01")) == fee


def test_a_band_threshold_is_inclusive_with_up_to_and_exclusive_with_under() -> None:
    band = "band of date - contract.end { up to 30 days: 1  under 60 days: 2  beyond: 3 }"
    assert [value_of(band, day=day) for day in ("2026-03-31", "2026-04-01", "2026-04-29", "2026-04-30")] == [
        1,
        2,
        2,
        3,
    ]


def test_a_band_without_beyond_fails_past_its_last_threshold() -> None:
    policy = policy_of("band of date - contract.end { up to 30 days: early  up to 90 days: late }")
    assert policy.decide(renew("2026-05-30", "2025-03-01", "2026-03-01")).fields == (("value", "late"),)
    with pytest.raises(EvaluationError) as caught:
        policy.decide(renew("2026-05-31", "2025-03-01", "2026-03-01"))
    assert caught.value.code == "R320"
    assert "91 days is beyond the last band (up to 90 days)" in str(caught.value)


def test_a_band_only_computes_the_value_it_chooses() -> None:
    band = "band of 5 { up to 10: 1  beyond: 1 / ((date - date) / 1 day) }"
    assert value_of(band) == 1


def test_a_band_of_money_in_the_contract_currency() -> None:
    band = "band of contract.annual_fee { up to cap: 1  up to 20000 USD: 2  beyond: 3 }"
    assert value_of(band) == 2


@given(
    st.lists(st.integers(-50, 50), min_size=1, max_size=6, unique=True).map(sorted),
    st.lists(st.booleans(), min_size=6, max_size=6),
    st.integers(-60, 60),
)
def test_every_quantity_falls_in_exactly_one_band(
    thresholds: list[int], under: list[bool], quantity: int
) -> None:
    strict = tuple(under[: len(thresholds)])
    index = runtime.band_index(quantity, tuple(thresholds), strict, True, "integer")
    holds = [quantity < q if s else quantity <= q for q, s in zip(thresholds, strict, strict=True)]
    # the band chosen is the first that holds the quantity; all before it end below it
    expected = next((i for i, h in enumerate(holds) if h), len(thresholds))
    assert index == expected


@pytest.mark.parametrize(
    ("band", "code", "words"),
    [
        ("band of date - contract.end { up to 30 days: 1  up to 12 months: 2 }", "C260", "in months"),
        ("band of 3 { up to 30 days: 1 }", "C260", "in days"),
        ("band of date { up to 1: 1 }", "C260", "integer"),
        ("band of 3 { up to 10: 1  up to 5: 2 }", "C261", "'up to 5' comes after 'up to 10'"),
        ("band of 3 { up to 10: 1  up to 10: 2 }", "C261", "'up to 10' comes after 'up to 10'"),
        ("band of 3 { up to 10: 1  under 10: 2 }", "C261", "'under 10' comes after 'up to 10'"),
        ("band of date - contract.end { up to grace_limit: 1  up to 20 days: 2 }", "C261", "'up to 20 days'"),
        ("band of 3 { up to 1: 1  up to 2: 2 USD }", "C262", "money"),
        ("band of 3 { up to 1: 1  beyond: true }", "C262", "bool"),
        ("band of 3 { up to 1 + 1: 1 }", "C263", "written in the rule or a parameter"),
        ("band of true { up to 1: 1 }", "C203", "has an order"),
    ],
)
def test_check_reports_a_band_table_that_is_not_one(band: str, code: str, words: str) -> None:
    found = errors(band)
    assert [c for c, _ in found] == [code], found
    assert words in found[0][1]


def test_band_thresholds_are_checked_on_every_day_a_parameter_changes() -> None:
    quantity = "months from contract.end until date, rounded up"
    assert codes(f"band of {quantity} {{ up to shifting: 1  up to 36 months: 2 }}") == ["C261"]
    message = errors(f"band of {quantity} {{ up to shifting: 1  up to 36 months: 2 }}")[0][1]
    assert "from 2027-01-01" in message
    policy_of(f"band of {quantity} {{ up to late_limit: 1  up to 36 months: 2  beyond: 3 }}")


def test_under_then_up_to_the_same_threshold_is_a_band_of_one_value() -> None:
    band = "band of 10 { under 10: 1  up to 10: 2  beyond: 3 }"
    assert value_of(band) == 2


# -- names, formatting, explanations, the docs ---------------------------------------------------------


def test_the_words_that_lead_the_constructs_stay_names() -> None:
    text = (
        "action a {\n  let months = 3\n  let start = date\n  let round = 1\n  let band = 2\n"
        "  let day = start + months * 1 day\n  let end = round + band\n}\n"
    )
    tree = parse(text)
    assert all(isinstance(let.value, n.Name | n.Binary | n.NumberLiteral) for let in tree.items[0].lets)  # type: ignore[union-attr]
    assert format_text(text) == text


def test_a_charge_of_a_name_months_over_a_period_keeps_its_meaning_when_formatted() -> None:
    text = "action a {\n  approve r §1 {\n    charge c = fee * months from a until b\n  }\n}\n"
    with pytest.raises(PolicySyntaxError):
        parse(text)  # `months from` leads a count of months
    amount = n.Binary(n.BinaryOp.MULTIPLY, n.Name("fee", span=SPAN), n.Name("months", span=SPAN), span=SPAN)
    tree = n.Charge("c", None, amount, n.Name("a", span=SPAN), n.Name("b", span=SPAN), span=SPAN)
    rule = n.Rule(n.RuleKind.APPROVE, "r", (n.Clause("§1", span=SPAN),), None, (tree,), span=SPAN)
    printed = format_text(
        "action a {\n  approve r §1 {\n    charge c = (fee * months) from a until b\n  }\n}\n"
    )
    assert "charge c = (fee * months) from a until b" in printed
    assert parse(printed).items[0] == n.Action("a", None, (rule,), span=SPAN)
    assert format_text(printed) == printed


def test_a_band_is_formatted_as_a_table() -> None:
    text = "action a { let fee = band of lapse { up to 30 days: 0 USD under 12 months: 60 USD beyond: 1 } }"
    assert format_text(text) == (
        "action a {\n"
        "  let fee = band of lapse {\n"
        "    up to 30 days: 0 USD\n"
        "    under 12 months: 60 USD\n"
        "    beyond: 1\n"
        "  }\n"
        "}\n"
    )


def test_explain_shows_the_value_of_each_construct() -> None:
    text = PRELUDE + (
        "action renew {\n"
        "  approve late §1.1 when months from contract.end until date, rounded up > 1 month"
        " and day of month of date == 10 and max(1, 2) == 2 and round up(1 / 3) == 1 and"
        " band of date - contract.end { up to 30 days: false  beyond: true } {\n"
        "    charge fee = band of date - contract.end { up to 30 days: 0 USD  beyond: 60 USD }\n"
        "  }\n"
        "  approve early §1.1 when date <= contract.end + 30 days {}\n"
        "}\n"
    )
    policy = from_files((parse(text, "t.mes"),), "t")
    explanation = policy.explain(renew("2026-04-10", "2025-03-01", "2026-03-01"))
    values = dict(next(r for r in explanation.rules if r.rule.name == "late").values)
    assert values["months from contract.end until date, rounded up"] == "2 months"
    assert values["day of month of date"] == "10"
    assert values["max(1, 2)"] == "2"
    assert values["round up(1 / 3)"] == "1"
    assert values["band of date - contract.end"] == "yes"
    assert [(a.code, a.formula, a.amount) for a in explanation.amounts] == [
        ("fee", "band of date - contract.end at 40 days", "60.00 USD")
    ]


def test_explain_opens_up_a_rounding_in_a_formula() -> None:
    text = PRELUDE + (
        "action renew {\n  approve r §1.1 {\n"
        "    charge late = round up(contract.annual_fee / 12 * 1.25%, 2 places)\n  }\n}\n"
    )
    policy = from_files((parse(text, "t.mes"),), "t")
    explanation = policy.explain(renew("2026-04-10", "2025-03-01", "2026-03-01", fee="1000.00"))
    amount = explanation.amounts[0]
    assert amount.formula == "round up(1,000.00 USD / 12 × 1.25%, 2 places)"
    assert amount.amount == "1.05 USD"  # 1.041666... rounded up, where half-up would give 1.04


def test_the_work_bound_counts_the_constructs() -> None:
    search = "first k from 1 where k > 5"
    text = PRELUDE + f"action renew {{\n  let x = band of 1 {{ up to 1: {search} }}\n}}\n"
    # the search in the band's value tries 10,000 numbers: the band counts it
    checked = check((parse(text, "t.mes"),), mespolicy.Limits(work_per_decision=50_000))
    assert checked.actions["renew"]
    with pytest.raises(PolicyCheckError) as caught:
        check((parse(text, "t.mes"),), mespolicy.Limits(work_per_decision=20_000))
    assert caught.value.diagnostics[0].code == "L106"


def _section(title: str) -> str:
    text = LANGUAGE.read_text(encoding="utf-8")
    start = text.index(f"\n{title}\n")
    return text[start : text.index("\n~~~", text.index("\n~~~", start) + 4)]


@pytest.mark.parametrize("title", ["Calendar and number constructs", "Bands"])
def test_the_examples_of_the_reference_check_with_the_shipped_rules(title: str) -> None:
    blocks = re.findall(r"\.\. code-block:: mespolicy\n\n((?:   .*\n|\n)+)", _section(title))
    assert blocks
    for block in blocks:
        text = "\n".join(line[3:] for line in block.split("\n"))
        files = (*read_policy(shipped_rules()), parse(text, "example.mes"))
        check(files)
        assert format_text(text) == text.rstrip("\n") + "\n"


# -- the policy's pages show a band as a table ---------------------------------------------------------

BAND_RULES = """\
action reinstatement_fee "A flat fee by how long ME&S has lapsed." {
  let lapse = months from contract.end until date, rounded up

  approve by_lapse §8.3 {
    charge reinstatement = band of lapse {
      up to 1 month: 0 USD
      up to 12 months: 60 USD
      beyond: 120 USD
    }
  }
}
"""


@pytest.fixture
def banded(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    shutil.copytree(shipped_rules(), folder)
    (folder / "zz_bands.mes").write_text(BAND_RULES, encoding="utf-8")
    return folder


def test_the_markdown_and_html_pages_show_a_band_as_a_table(banded: Path) -> None:
    policy = mespolicy.load(banded)
    markdown = policy_markdown(policy)
    assert "- charges `reinstatement` = `band of lapse (table)` (§8.3)" in markdown
    assert "  | `lapse` | value |" in markdown
    assert "  | `up to 12 months` | `60 USD` |" in markdown
    assert "  | `beyond` | `120 USD` |" in markdown
    html = policy_html(policy)
    assert (
        '<table class="band"><thead><tr><th><code>lapse</code></th><th>value</th></tr></thead>'
        "<tbody><tr><td><code>up to 1 month</code></td><td><code>0 USD</code></td></tr>"
    ) in html


def test_the_sphinx_directive_shows_a_band_as_a_table(tmp_path: Path, banded: Path) -> None:
    build = pytest.importorskip("sphinx.cmd.build")
    source = tmp_path / "src"
    source.mkdir()
    (source / "conf.py").write_text('extensions = ["mespolicy.sphinx"]\n', encoding="utf-8")
    (source / "index.rst").write_text(
        "Fees\n====\n\n.. mespolicy-rules::\n   :policy: ../rules\n   :action: reinstatement_fee\n",
        encoding="utf-8",
    )
    out = tmp_path / "html"
    assert build.build_main(["-W", "-q", "-E", "-b", "html", str(source), str(out)]) == 0
    page = (out / "index.html").read_text(encoding="utf-8")
    table = page[page.index('class="mespolicy-band') :]
    table = table[: table.index("</table>")]
    cells = re.findall(r'<span class="pre">([^<]*)</span>', table)
    assert " ".join(cells) == "lapse up to 1 month 0 USD up to 12 months 60 USD beyond 120 USD"


def test_a_what_if_run_that_puts_the_bands_out_of_order_is_refused() -> None:
    quantity = "months from contract.end until date, rounded up"
    policy = policy_of(f"band of {quantity} {{ up to late_limit: 1  up to 36 months: 2  beyond: 3 }}")
    assert policy.with_overrides({"late_limit": "24 months"}).decide(
        renew("2028-05-10", "2025-03-01", "2026-03-01")  # 27 months begun: above 24
    ).fields == (("value", 2),)
    with pytest.raises(OverrideError) as caught:
        policy.with_overrides({"late_limit": "40 months"})
    assert caught.value.code == "S501"
    assert "--set late_limit=40 months: the bands are out of order: 'up to 36 months' comes after" in str(
        caught.value
    )
    assert "(t.mes:19)" in str(caught.value)


@pytest.mark.parametrize(
    ("band", "expected"),
    [
        # an exact third against thresholds written in decimals
        ("band of 10 / 3 { up to 3.33: 1  up to 3.34: 2  beyond: 3 }", 2),
        ("band of 1 / 3 { under 0.3333: 1  beyond: 2 }", 2),
        ("band of 1.25% { up to 1%: 1  up to 1.25%: 2  beyond: 3 }", 2),
        ("band of date { under 2026-04-10: 1  up to 2026-04-10: 2 }", 2),
        ("band of contract.annual_fee / 365 { up to 32.87 USD: 1  up to 32.88 USD: 2 }", 2),
    ],
)
def test_bands_of_exact_numbers_rates_dates_and_money(band: str, expected: int) -> None:
    assert value_of(band) == expected


def test_the_lexer_highlights_the_words_of_the_constructs() -> None:
    text = (
        "let f = band of lapse {\n  up to 30 days: round up(x, 2 places)\n  under 12 months: max(a, b)\n"
        "  beyond: months from a until b, a remainder of 15 days or more counting whole\n}\n"
        "let g = start of month of d + (years from a until b, rounded down) * 1.25 %\n"
    )
    tokens = [(kind, value) for kind, value in MespolicyLexer().get_tokens(text) if value.strip()]
    assert not [value for kind, value in tokens if Error in kind.split()]
    keywords = {value for kind, value in tokens if kind is Keyword}
    expected = "band of up to round places under beyond months from until remainder more counting whole"
    assert set(expected.split()) | {"a", "start", "month", "years", "rounded", "down"} <= keywords
    assert (Number, "1.25 %") in tokens
    assert (Name.Builtin, "max") in tokens


# -- a whole policy written with the constructs --------------------------------------------------------

BACK_BILLING = Path(__file__).parent.parent / "examples" / "policies" / "monthly-back-billing"


def test_a_back_billing_policy_checks_and_passes_its_tests_from_the_command_line() -> None:
    runner = CliRunner()
    # its proofs are tests/proofs/test_proofs.py's and check --strict's (a minute of z3 each time)
    checked = runner.invoke(cli, ["--no-color", "check", "--no-prove", str(BACK_BILLING)])
    assert checked.exit_code == 0, checked.output
    tested = runner.invoke(cli, ["--no-color", "test", str(BACK_BILLING)])
    assert tested.exit_code == 0, tested.output
    assert "11 passed, 0 failed" in tested.output


@pytest.mark.parametrize("path", sorted(BACK_BILLING.rglob("*.mes")), ids=lambda p: p.name)
def test_the_back_billing_policy_is_in_the_canonical_layout(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert format_text(text) == text


def test_the_back_billing_page_shows_its_bands_as_tables() -> None:
    markdown = policy_markdown(mespolicy.load(BACK_BILLING))
    assert markdown.count("| `lapse` | value |") == 2
    assert "| `up to 12 months` | `60 USD` |" in markdown


def test_ordering_a_long_band_of_dated_parameters_grows_with_its_size_not_its_square() -> None:
    """Each threshold a parameter with 40 dated values: pairs are compared on their own days only."""
    count = 300
    parameters = "".join(
        f"parameter t{i} = {i * 100} days\n"
        + "".join(
            f"  = {i * 100 + k} days from {date(2000, 1, 1) + timedelta(days=40 * i + k)}\n"
            for k in range(1, 40)
        )
        + '  clause §1.1\n  source "x"\n'
        for i in range(count)
    )
    rows = " ".join(f"up to t{i}: {i}" for i in range(count))
    text = parameters + f"action renew {{\n  let x = band of date - contract.end {{ {rows} }}\n}}\n"
    checked = check((parse(text, "t.mes"),))
    assert len(checked.bands) == 1
    calls = 0
    original = bands._key

    def counted(*args: object) -> object:
        nonlocal calls
        calls += 1
        return original(*args)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bands, "_key", counted)
        assert bands.out_of_order(checked.bands[0], checked.parameters, checked.bindings) is None
    # each of the 299 pairs on its 1 + 2 x 39 days, two thresholds a day
    assert calls == 2 * (count - 1) * (1 + 2 * 39)
