"""Tests for policy dates: clamping month arithmetic, day counts, half-open terms, ISO dates."""

from __future__ import annotations

import calendar
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mespolicy.model.calendar import (
    DateError,
    Term,
    add_days,
    add_months,
    days_between,
    parse_date,
)
from tests.model.strategies import days


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
        (date(2025, 3, 1), 12, date(2026, 3, 1)),
        (date(2025, 3, 1), 36, date(2028, 3, 1)),
        (date(2025, 12, 31), 2, date(2026, 2, 28)),
        (date(2025, 5, 15), 0, date(2025, 5, 15)),
    ],
)
def test_add_months_keeps_the_day_and_clamps(start: date, months: int, expected: date) -> None:
    moved = add_months(start, months)
    assert moved == expected
    assert type(moved) is date


def _reference_add_months(d: date, n: int) -> date:
    year, month0 = divmod(d.year * 12 + d.month - 1 + n, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(d.day, last))


@given(days(), st.integers(-240, 240))
def test_add_months_matches_a_plain_month_count(d: date, n: int) -> None:
    assert add_months(d, n) == _reference_add_months(d, n)


def test_months_are_added_to_the_original_date() -> None:
    start = date(2024, 1, 31)
    assert add_months(start, 2) == date(2024, 3, 31)
    assert add_months(add_months(start, 1), 1) == date(2024, 3, 29)


def test_add_months_refuses_a_datetime() -> None:
    with pytest.raises(TypeError, match=r"datetime\.date"):
        add_months(datetime(2025, 1, 31, 12, 0), 1)


def test_add_days_and_days_between() -> None:
    assert add_days(date(2025, 2, 28), 1) == date(2025, 3, 1)
    assert add_days(date(2024, 3, 1), -1) == date(2024, 2, 29)
    assert days_between(date(2026, 1, 1), date(2026, 3, 1)) == 59
    assert days_between(date(2026, 3, 1), date(2026, 1, 1)) == -59


@given(days(), st.integers(-5000, 5000))
def test_days_between_undoes_add_days(d: date, n: int) -> None:
    assert days_between(d, add_days(d, n)) == n


def test_term_is_half_open() -> None:
    term = Term(date(2025, 3, 1), date(2026, 3, 1))
    assert term.covers(date(2025, 3, 1))
    assert term.covers(date(2026, 2, 28))
    assert not term.covers(date(2026, 3, 1))
    assert not term.covers(date(2025, 2, 28))
    assert str(term) == "2025-03-01 until 2026-03-01"


def test_an_empty_term_covers_nothing() -> None:
    day = date(2025, 3, 1)
    assert not Term(day, day).covers(day)


def test_term_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match=r"cannot end \(2025-02-28\) before it starts"):
        Term(date(2025, 3, 1), date(2025, 2, 28))


@pytest.mark.parametrize("bad", ["2025-03-01", datetime(2025, 3, 1), None])
def test_term_takes_calendar_dates_only(bad: object) -> None:
    with pytest.raises(TypeError, match=r"start must be a datetime\.date"):
        Term(bad, date(2026, 3, 1))  # type: ignore[arg-type]


def test_parse_date_reads_iso_dates() -> None:
    assert parse_date("2024-02-29", "date") == date(2024, 2, 29)


@pytest.mark.parametrize(
    "text",
    [
        "2026-13-01",
        "2025-02-29",
        "2025-04-31",
        "20250301",
        "2025-W09-6",
        "2025-060",
        "2025-03-01T00:00",
        "2025-3-1",
        " 2025-03-01",
        "2025-03-01 ",
        "",
        "\uff12\uff10\uff12\uff15-03-01",
    ],
)
def test_parse_date_refuses_anything_but_yyyy_mm_dd(text: str) -> None:
    with pytest.raises(DateError) as caught:
        parse_date(text, "contracts[0].end")
    assert caught.value.field == "contracts[0].end"
    assert caught.value.problem == f"not a date: {text!r} (expected YYYY-MM-DD)"
    assert str(caught.value) == f"contracts[0].end: not a date: {text!r} (expected YYYY-MM-DD)"


def test_parse_date_refuses_non_strings() -> None:
    with pytest.raises(DateError, match=r"^date: not a date: 20250301 \(expected a string"):
        parse_date(20250301, "date")


@given(days())
def test_parse_date_reads_back_isoformat(d: date) -> None:
    assert parse_date(d.isoformat(), "date") == d
