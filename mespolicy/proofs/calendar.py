"""Calendar dates for the solver: year, month and day, day numbers, and month steps clamped at month end.

A date read from a request is its year, month and day (valid: a month of 1-12, a
day within its month, 29 February only in a leap year by the Gregorian rule);
dates compare as (year, month, day) do, by a linear key, with no division. A day
number is the proleptic Gregorian ordinal `datetime.date.toordinal` gives
(0001-01-01 is 1), made from the parts with floor division only, so it holds for
every integer; it is used for day steps and the days between two dates, and
taken apart again only when a month step follows a day step.
"""

from __future__ import annotations

from datetime import date

import z3


def is_leap(year: z3.ArithRef) -> z3.BoolRef:
    return z3.Or(z3.And(year % 4 == 0, year % 100 != 0), year % 400 == 0)


def days_in_month(year: z3.ArithRef, month: z3.ArithRef) -> z3.ArithRef:
    thirty = z3.Or(month == 4, month == 6, month == 9, month == 11)
    february = z3.If(is_leap(year), z3.IntVal(29), z3.IntVal(28))
    return z3.If(month == 2, february, z3.If(thirty, z3.IntVal(30), z3.IntVal(31)))


_BEFORE_MONTH = (0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)


def ordinal(year: z3.ArithRef, month: z3.ArithRef, day: z3.ArithRef) -> z3.ArithRef:
    """The day number of a valid year, month and day: the days of the years before (z3's `/` on integers
    floors for a positive divisor, so this holds for any year), of the months before, and the day."""
    before = year - 1
    years = before * 365 + before / 4 - before / 100 + before / 400
    months: z3.ArithRef = z3.IntVal(_BEFORE_MONTH[11])
    for number in range(11, 0, -1):
        months = z3.If(month == number, z3.IntVal(_BEFORE_MONTH[number - 1]), months)
    leap_day = z3.If(z3.And(month > 2, is_leap(year)), z3.IntVal(1), z3.IntVal(0))
    return years + months + leap_day + day


Parts = tuple[z3.ArithRef, z3.ArithRef, z3.ArithRef]


class Day:
    """A date term: its year, month and day, its day number, or both (each made from the other when asked).

    A date read from a request, a literal or a month step has its parts, so comparing two such
    dates compares (year, month, day) and needs no division; a day step has its day number.
    """

    __slots__ = ("number", "parts")

    def __init__(self, parts: Parts | None = None, number: z3.ArithRef | None = None) -> None:
        self.parts = parts
        self.number = number


def _key(parts: Parts) -> z3.ArithRef:
    """A number that orders dates as (year, month, day) do: a month never has 32 days."""
    year, month, day = parts
    return (year * 12 + month) * 32 + day


class Calendar:
    """The date operations of the rules on `Day` terms, and the facts that tie parts to day numbers.

    The facts are exact for any integer day number (each has exactly one valid year, month
    and day), so asserting them never rules a request out.
    """

    def __init__(self) -> None:
        self.facts: list[z3.BoolRef] = []
        self._count = 0
        # month steps by a whole number written in the rules: (from, months, to)
        self._steps: list[tuple[Day, int, Day]] = []

    def number(self, day: Day) -> z3.ArithRef:
        if day.number is None:
            assert day.parts is not None
            day.number = ordinal(*day.parts)
        return day.number

    def parts(self, day: Day) -> Parts:
        if day.parts is None:
            self._count += 1
            y, m, d = (z3.Int(f"{part}!{self._count}") for part in ("year", "month", "day"))
            self.facts.extend(valid(y, m, d))
            self.facts.append(ordinal(y, m, d) == self.number(day))
            day.parts = (y, m, d)
        return day.parts

    def compare(self, op: str, a: Day, b: Day) -> z3.BoolRef:
        if a.parts is not None and b.parts is not None:
            left, right = _key(a.parts), _key(b.parts)
        else:
            left, right = self.number(a), self.number(b)
        return _COMPARE[op](left, right)

    def choose(self, condition: z3.BoolRef, a: Day, b: Day) -> Day:
        if a.parts is not None and b.parts is not None:
            chosen = tuple(z3.If(condition, x, y) for x, y in zip(a.parts, b.parts, strict=True))
            return Day(parts=(chosen[0], chosen[1], chosen[2]))
        return Day(number=z3.If(condition, self.number(a), self.number(b)))

    def add_days(self, day: Day, days: z3.ArithRef) -> Day:
        return Day(number=self.number(day) + days)

    def difference(self, later: Day, earlier: Day) -> z3.ArithRef:
        return self.number(later) - self.number(earlier)

    def add_months(self, day: Day, months: z3.ArithRef) -> Day:
        """`day + months`, the same day of the month, clamped to the month's last day (2025-01-31 + 1 month
        is 2025-02-28)."""
        y, m, d = self.parts(day)
        total = y * 12 + (m - 1) + months
        year = total / 12
        month = total % 12 + 1
        last = days_in_month(year, month)
        found = Day(parts=(year, month, z3.If(d > last, last, d)))
        steps = z3.simplify(months)
        if z3.is_int_value(steps):
            self._steps.append((day, steps.as_long(), found))
        return found

    def lemmas(self) -> list[z3.BoolRef]:
        """Month steps are monotone: a later date stepped by the same months is not earlier, and one date
        stepped by more months is later. True of the calendar; the solver could derive them through the
        divisions of a month step, but not within its budget (a gap between `date < expiry` and
        `date + 12 months >= expiry + 12 months` would stay unknown)."""
        found: list[z3.BoolRef] = []
        steps = [*self._steps, *((source, 0, source) for source, _, _ in self._steps)]
        for i, (a, k, stepped_a) in enumerate(steps):
            for b, j, stepped_b in steps[i + 1 :]:
                ka, kb = _key(self.parts(a)), _key(self.parts(b))
                sa, sb = _key(self.parts(stepped_a)), _key(self.parts(stepped_b))
                if k == j and a is not b:
                    found.append(z3.Implies(ka <= kb, sa <= sb))
                    found.append(z3.Implies(kb <= ka, sb <= sa))
                elif a is b and k != j:
                    found.append(sa < sb if k < j else sb < sa)
        return found

    def start_of_month(self, day: Day) -> Day:
        y, m, _ = self.parts(day)
        return Day(parts=(y, m, z3.IntVal(1)))

    def end_of_month(self, day: Day) -> Day:
        y, m, _ = self.parts(day)
        return Day(parts=(y, m, days_in_month(y, m)))

    def day_of_month(self, day: Day) -> z3.ArithRef:
        return self.parts(day)[2]


def literal(value: date) -> Day:
    parts = (z3.IntVal(value.year), z3.IntVal(value.month), z3.IntVal(value.day))
    return Day(parts, z3.IntVal(value.toordinal()))


def valid(year: z3.ArithRef, month: z3.ArithRef, day: z3.ArithRef) -> list[z3.BoolRef]:
    return [month >= 1, month <= 12, day >= 1, day <= days_in_month(year, month)]


_COMPARE = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
