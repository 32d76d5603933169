"""Calendar dates as solver integers: day numbers, their year, month and day, month steps clamped.

A date is its proleptic Gregorian ordinal, as `datetime.date.toordinal` gives it
(0001-01-01 is 1). Year, month and day are found by Howard Hinnant's
`days_from_civil`, written with floor division only, so it holds for every
integer and the solver needs no range to stay faithful; leap years follow the
Gregorian rule (every 4th year, not every 100th, every 400th).
"""

from __future__ import annotations

from datetime import date

import z3

FIRST_DAY = date(1, 1, 1).toordinal()
LAST_DAY = date(9999, 12, 31).toordinal()
# 1970-01-01 in Hinnant's count is 0; Python's ordinal of that day
_EPOCH = date(1970, 1, 1).toordinal()


def is_leap(year: z3.ArithRef) -> z3.BoolRef:
    return z3.Or(z3.And(year % 4 == 0, year % 100 != 0), year % 400 == 0)


def days_in_month(year: z3.ArithRef, month: z3.ArithRef) -> z3.ArithRef:
    thirty = z3.Or(month == 4, month == 6, month == 9, month == 11)
    february = z3.If(is_leap(year), z3.IntVal(29), z3.IntVal(28))
    return z3.If(month == 2, february, z3.If(thirty, z3.IntVal(30), z3.IntVal(31)))


def ordinal(year: z3.ArithRef, month: z3.ArithRef, day: z3.ArithRef) -> z3.ArithRef:
    """The day number of a valid year, month and day (z3's `/` on integers floors for a positive divisor)."""
    shifted = year - z3.If(month <= 2, z3.IntVal(1), z3.IntVal(0))
    era = shifted / 400
    year_of_era = shifted - era * 400
    month_from_march = z3.If(month > 2, month - 3, month + 9)
    day_of_year = (153 * month_from_march + 2) / 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year
    return era * 146097 + day_of_era - 719468 + _EPOCH


class Calendar:
    """Year/month/day of date terms, made once per term, with the facts that tie them to the day number.

    The facts are exact for any integer day number (each has exactly one valid
    year, month and day), so asserting them never rules a request out.
    """

    def __init__(self) -> None:
        self.facts: list[z3.BoolRef] = []
        self._parts: dict[int, tuple[z3.ArithRef, z3.ArithRef, z3.ArithRef]] = {}
        self._count = 0
        # the terms whose parts are known, kept alive so z3 never gives their ids to other terms
        self._kept: list[z3.ArithRef] = []

    def parts(self, day: z3.ArithRef) -> tuple[z3.ArithRef, z3.ArithRef, z3.ArithRef]:
        key = day.get_id()
        found = self._parts.get(key)
        if found is None:
            self._count += 1
            y, m, d = (z3.Int(f"{part}!{self._count}") for part in ("year", "month", "day"))
            self.facts.extend(valid(y, m, d))
            self.facts.append(ordinal(y, m, d) == day)
            found = self._parts[key] = (y, m, d)
            self._kept.append(day)
        return found

    def add_months(self, day: z3.ArithRef, months: z3.ArithRef) -> z3.ArithRef:
        """`day + months`, the same day of the month, clamped to the month's last day (2025-01-31 + 1 month
        is 2025-02-28)."""
        y, m, d = self.parts(day)
        total = y * 12 + (m - 1) + months
        year = total / 12
        month = total % 12 + 1
        last = days_in_month(year, month)
        return self.made(year, month, z3.If(d > last, last, d))

    def start_of_month(self, day: z3.ArithRef) -> z3.ArithRef:
        y, m, _ = self.parts(day)
        return self.made(y, m, z3.IntVal(1))

    def end_of_month(self, day: z3.ArithRef) -> z3.ArithRef:
        y, m, _ = self.parts(day)
        return self.made(y, m, days_in_month(y, m))

    def made(self, year: z3.ArithRef, month: z3.ArithRef, day: z3.ArithRef) -> z3.ArithRef:
        """The day number of a date built from its parts, whose parts are then known without solving for them
        (a month step of a month step would otherwise ask the solver to take a day number apart again)."""
        found = ordinal(year, month, day)
        if found.get_id() not in self._parts:
            self._parts[found.get_id()] = (year, month, day)
            self._kept.append(found)
        return found

    def day_of_month(self, day: z3.ArithRef) -> z3.ArithRef:
        return self.parts(day)[2]


def valid(year: z3.ArithRef, month: z3.ArithRef, day: z3.ArithRef) -> list[z3.BoolRef]:
    return [month >= 1, month <= 12, day >= 1, day <= days_in_month(year, month)]
