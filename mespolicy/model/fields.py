"""The error for an input value (a date, an amount) that cannot be read, naming the field it came from."""

from __future__ import annotations


class FieldValueError(ValueError):
    """A value of a named input field that cannot be read."""

    def __init__(self, field: str, problem: str) -> None:
        # Both in args, so the error survives pickling (worker processes).
        super().__init__(field, problem)
        self.field = field
        self.problem = problem

    def __str__(self) -> str:
        return f"{self.field}: {self.problem}"
