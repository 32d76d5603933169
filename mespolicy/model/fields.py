"""The error for an input value (a date, an amount) that cannot be read, naming the field it came from."""

from __future__ import annotations

from mespolicy.errors import MespolicyError


class FieldValueError(MespolicyError, ValueError):
    """A value of a named input field that cannot be read (under the one error root, and a ValueError)."""

    code = "Q101"

    def __init__(self, field: str, problem: str) -> None:
        # Both in args, so the error survives pickling (worker processes).
        super().__init__(field, problem)
        self.field = field
        self.problem = problem

    def __str__(self) -> str:
        return f"{self.field}: {self.problem}"
