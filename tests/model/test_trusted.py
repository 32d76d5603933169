"""A maker's object is the one the class's constructor makes: same class, same fields, still frozen."""

from __future__ import annotations

import pickle
from datetime import date
from decimal import Decimal

import attrs
import pytest

from mespolicy.model.calendar import Term
from mespolicy.model.facts import record_class
from mespolicy.model.money import Money
from mespolicy.model.trusted import maker


def test_an_attrs_frozen_object_made_is_the_constructors_and_stays_frozen() -> None:
    made = maker(Money, ("amount", "currency"))(Decimal("12.50"), "USD")
    built = Money(Decimal("12.50"), "USD")
    assert type(made) is Money
    assert made == built and hash(made) == hash(built) and repr(made) == repr(built)
    assert pickle.loads(pickle.dumps(made)) == built
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        made.amount = Decimal(1)  # type: ignore[misc]
    term = maker(Term, ("start", "end"))(date(2026, 1, 1), date(2027, 1, 1))
    assert type(term) is Term and term.covers(date(2026, 6, 1))


def test_a_record_made_is_the_one_its_class_makes_and_refuses_changes() -> None:
    cls = record_class("contract", ("id", "end"))
    made = maker(cls, ("id", "end"))("M1", date(2026, 3, 1))
    assert type(made) is cls
    assert made == cls(id="M1", end=date(2026, 3, 1))
    with pytest.raises(AttributeError, match="cannot be changed"):
        made.id = "M2"


def test_names_no_python_function_can_store_are_set_one_call_each() -> None:
    # a declared field may be named as a Python keyword: no attribute store can be written for it
    # nor a non-ASCII one: Python source would read the fullwidth "id" as "id", another slot
    wide_id = "\uff49\uff44"
    wide = record_class("wide", (wide_id, "id"))
    made_wide = maker(wide, (wide_id, "id"))("full", "plain")
    assert getattr(made_wide, wide_id) == "full" and made_wide.id == "plain"
    cls = record_class("odd", ("class", "from", "id"))
    made = maker(cls, ("class", "from", "id"))("a", "b", "c")
    assert type(made) is cls
    assert made == cls(**{"class": "a", "from": "b", "id": "c"})
    assert getattr(made, "class") == "a" and getattr(made, "from") == "b"
