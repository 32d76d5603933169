"""A solver model as a request: JSON in the shape `decide` reads, then decided to confirm what it shows.

Every declared fact gets a value (the model's, or a valid one for facts the rules
do not constrain); an entry another fact refers to (`"contract": "M1"`) is put in
its list. The witness is decided by the compiled policy: only what the compiled
code does is reported as confirmed.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from fractions import Fraction

import attrs
import z3

from mespolicy.errors import EvaluationError
from mespolicy.model.facts import FieldSpec, Kind
from mespolicy.model.request import RequestError
from mespolicy.policy import Policy
from mespolicy.proofs.calendar import Day
from mespolicy.proofs.request import CURRENCY, FRESH_TEXT, ListTerm, Opaque, RecordTerm, Request

JSON = object


@attrs.frozen
class Raw:
    """A JSON number written as its exact decimal text."""

    text: str


@attrs.frozen
class Outcome:
    """What deciding a witness gave: an error code (R308, R309, ...) or the deciding rule, and in words."""

    code: str | None
    rule: str | None
    text: str


def request_json(model: z3.ModelRef, request: Request, action: str) -> str:
    """The witness request as JSON text, with the keys in declared order."""
    builder = _Builder(model, request)
    return to_text(builder.build(action))


class _Builder:
    def __init__(self, model: z3.ModelRef, request: Request) -> None:
        self.model = model
        self.request = request
        self.texts = {code: text for text, code in request.texts.items()}
        self.entries: dict[str, dict[object, dict[str, JSON]]] = {}

    def build(self, action: str) -> dict[str, JSON]:
        found: dict[str, JSON] = {"action": action}
        spec = self.request.spec.request
        for field in spec.fields:
            if field.optional and not self.truth(self.request.given.get(field.name)):
                continue
            value = self.request.values.get(field.name)
            if field.many and field.has_default and field.kind is not Kind.RECORD:
                continue
            found[field.name] = self.value(field, value)
        for name, entries in self.entries.items():
            listed = found.get(name)
            if isinstance(listed, list):
                listed.extend(entries.values())
            else:
                found[name] = list(entries.values())
        return found

    def value(self, field: FieldSpec, value: object) -> JSON:
        if field.many or isinstance(value, ListTerm):
            return []
        if isinstance(value, RecordTerm):
            shown = self.record(value)
            if value.source is not None:
                key = shown.get(value.spec.key or "id")
                self.entries.setdefault(value.source, {}).setdefault(key, shown)
                return key
            return shown
        if isinstance(value, Opaque) or value is None:
            return self.default(field)
        if isinstance(value, Day):
            return self.day(value)
        assert isinstance(value, z3.ExprRef)
        return self.scalar(field, value)

    def day(self, value: Day) -> str:
        if value.parts is not None:
            year, month, day = (_whole(self.model.eval(part, model_completion=True)) for part in value.parts)
            return date(year, month, day).isoformat()
        assert value.number is not None
        return date.fromordinal(_whole(self.model.eval(value.number, model_completion=True))).isoformat()

    def record(self, record: RecordTerm) -> dict[str, JSON]:
        shown: dict[str, JSON] = {}
        for field in record.spec.fields:
            if field.optional and not self.truth(record.given.get(field.name)):
                continue
            shown[field.name] = self.value(field, record.fields.get(field.name))
        return shown

    def truth(self, flag: z3.BoolRef | None) -> bool:
        return flag is not None and z3.is_true(self.model.eval(flag, model_completion=True))

    def scalar(self, field: FieldSpec, term: z3.ExprRef) -> JSON:
        value = self.model.eval(term, model_completion=True)
        kind = field.kind
        if kind is Kind.BOOL:
            return z3.is_true(value)
        if kind is Kind.ENUM and field.members:
            return field.members[_whole(value) % len(field.members)]
        if kind is Kind.CURRENCY:
            text = self.texts.get(_whole(value), CURRENCY)
            return text if len(text) == 3 and text.isalpha() and text.isupper() else CURRENCY
        if kind in (Kind.TEXT, Kind.REFERENCE, Kind.ENUM):
            return self.text(_whole(value))
        if kind is Kind.INTEGER:
            return Raw(str(_whole(value)))
        amount = _decimal(_fraction(value))
        if kind is Kind.MONEY:
            cents = amount.quantize(Decimal("0.01"))
            return str(cents if cents == amount else amount)
        return Raw(str(amount))

    def text(self, code: int) -> str:
        written = self.texts.get(code)
        if written is not None:
            return written
        made = f"T{code - FRESH_TEXT + 1}" if code >= FRESH_TEXT else f"T{code}"
        while made in self.request.texts:
            made += "x"
        return made

    def default(self, field: FieldSpec) -> JSON:
        defaults: dict[Kind, JSON] = {
            Kind.BOOL: False,
            Kind.DATE: "2026-01-01",
            Kind.MONEY: "0.00",
            Kind.CURRENCY: CURRENCY,
            Kind.INTEGER: Raw("0"),
            Kind.NUMBER: Raw("0"),
            Kind.RATE: Raw("0"),
        }
        if field.kind is Kind.ENUM and field.members:
            return field.members[0]
        return defaults.get(field.kind, "T")


def _whole(value: z3.ExprRef) -> int:
    assert isinstance(value, z3.IntNumRef)
    return int(value.as_long())


def _fraction(value: z3.ExprRef) -> Fraction:
    if isinstance(value, z3.IntNumRef):
        return Fraction(value.as_long())
    assert isinstance(value, z3.RatNumRef)
    return Fraction(value.numerator_as_long(), value.denominator_as_long())


def _decimal(value: Fraction) -> Decimal:
    """The fraction as a decimal: exact when it terminates, else to 28 digits (deciding then tells)."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.normalize() if exact == exact.to_integral_value() else exact


def to_text(value: JSON) -> str:
    """JSON text with exact numbers (the standard encoder would write a Decimal as a float)."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ", ".join(f"{to_text(k)}: {to_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(to_text(v) for v in value) + "]"
    if value is True:
        return "true"
    if value is False:
        return "false"
    return json.dumps(value, ensure_ascii=False)


def decide(policy: Policy, text: str) -> Outcome:
    """The witness decided by the compiled policy."""
    try:
        decision = policy.decide(policy.read_json(text))
    except EvaluationError as error:
        return Outcome(error.code, None, f"{error.code}: {error.args[0]}")
    except RequestError as error:
        return Outcome(error.code, None, f"not a valid request ({error.code}: {error})")
    applied = [step.rule for step in decision.trace if step.applied]
    rule = applied[-1] if applied else None
    return Outcome(None, rule, f"{decision.outcome.value} by rule {rule}")


__all__ = ["Outcome", "decide", "request_json", "to_text"]
