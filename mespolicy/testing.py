"""Tests written in the rule language: each `test` builds a request from its facts and checks the decision."""

from __future__ import annotations

import json
import posixpath
import time
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from mespolicy import nodes as n
from mespolicy.clauses import undeclared
from mespolicy.declarations import standard_spec
from mespolicy.errors import Diagnostic, MespolicyError, PolicyCheckError, did_you_mean
from mespolicy.formatter import format_expr
from mespolicy.limits import DEFAULT as DEFAULT_LIMITS
from mespolicy.limits import Limits
from mespolicy.loader import read_folder
from mespolicy.model.decision import Charge, Decision
from mespolicy.model.facts import Facts, FactsSpec, FieldSpec, Kind
from mespolicy.model.money import Money, format_amount
from mespolicy.model.request import RequestError, parse_request
from mespolicy.policy import Policy
from mespolicy.source import Span

_EXPECTATIONS = (
    n.ExpectNoCharge,
    n.ExpectOutcome,
    n.ExpectReason,
    n.ExpectTerm,
    n.ExpectCharge,
    n.ExpectField,
)


@attrs.frozen
class Failure:
    """One difference between what a test expects and what came out, each side as a test would write it.

    `expected` is the test's own line (empty for a charge it does not list); `actual` the line,
    or lines, that would hold for the decision made, so it can be pasted into the case (a `#`
    comment where no line can say it). `note` says what went wrong when neither side is a
    test line (a request that cannot be read).
    """

    span: Span
    expected: str
    actual: str
    note: str = ""

    def __str__(self) -> str:
        if self.note:
            return f"{self.span.source.path}:{self.span.line}: {self.note}: {self.actual}"
        where = f"{self.span.source.path}:{self.span.line}"
        return f"{where}: expected {self.expected or 'nothing'}, got {self.actual}"


@attrs.frozen
class Result:
    test: n.Test
    failures: tuple[Failure, ...]
    # how long the case took to build, decide and check, for `mespolicy test --durations`
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.failures


def collect_tests(
    policy_path: Path, limits: Limits = DEFAULT_LIMITS, libraries: tuple[Path, ...] = ()
) -> tuple[n.Test, ...]:
    """The tests inside the policy's own files and in its `tests/` folder, in file order."""
    return tests_in(read_folder(policy_path, limits, libraries=libraries).files)


def tests_in(files: tuple[n.PolicyFile, ...]) -> tuple[n.Test, ...]:
    """The tests of files already read (`read_folder(...).files`), in file order."""
    return tuple(item for file in files for item in file.items if isinstance(item, n.Test))


def check_tests(policy: Policy, tests: tuple[n.Test, ...]) -> None:
    """Every test names an action of the policy, once; raise PolicyCheckError with all that do not."""
    errors: list[Diagnostic] = []
    seen: dict[str, Span] = {}
    for test in tests:
        if test.name in seen:
            errors.append(
                Diagnostic(
                    "C202", f"test '{test.name}' is defined twice", test.span, f"first at {seen[test.name]}"
                )
            )
        seen.setdefault(test.name, test.span)
        requests = [line for line in test.lines if isinstance(line, n.RequestLine)]
        if len(requests) != 1:
            errors.append(
                Diagnostic("C218", f"test '{test.name}' needs one 'request ACTION on DATE' line", test.span)
            )
        if not any(isinstance(line, _EXPECTATIONS) for line in test.lines):
            errors.append(
                Diagnostic("C218", f"test '{test.name}' expects nothing", test.span, "add expect lines")
            )
        for fact in test.lines:
            errors.extend(_fact_line_problems(policy.checked.spec, fact))
        for line in requests:
            if line.action not in policy.checked.actions:
                hint = did_you_mean(line.action, policy.checked.actions) or "actions: " + ", ".join(
                    policy.checked.actions
                )
                errors.append(
                    Diagnostic("C217", f"the policy has no action '{line.action}'", line.span, hint)
                )
    errors.extend(undeclared(tests, policy.checked.clauses))
    if errors:
        raise PolicyCheckError(errors)


_RECORD_OF_LINE = {n.CustomerLine: "customer", n.ContractLine: "contract", n.LicenseLine: "license"}


def _fact_line_problems(spec: FactsSpec, line: n.TestFact | n.Expectation) -> Iterator[Diagnostic]:
    """A record line must name a record the request holds in one fact, and only its declared fields."""
    if isinstance(line, n.RecordLine):
        record = line.record
    elif isinstance(line, n.CustomerLine | n.ContractLine | n.LicenseLine):
        record = _RECORD_OF_LINE[type(line)]
    else:
        return
    declared = spec.records.get(record)
    found = holders(spec, record)
    if declared is None or len(found) != 1:
        if declared is None:
            message = f"the policy declares no record '{record}'"
            hint = did_you_mean(record, list(spec.records)) or "declare it: record " + record + " { ... }"
        elif not found:
            message = f"the request holds no '{record}': no request fact is a {record} or a list of them"
            hint = f"declare one: request {{ {record}s: list of {record} = empty }}"
        else:
            message = f"several request facts hold a '{record}' ({', '.join(f.name for f in found)})"
            hint = "give it by id in the fact that names it: with FACT = \"ID\""
        yield Diagnostic("C218", message, line.span, hint)
        return
    if isinstance(line, n.RecordLine) and line.id is not None and declared.key is None:
        yield Diagnostic(
            "C218",
            f"record '{record}' has no key field for the id {line.id!r}",
            line.span,
            "mark the field that identifies it: id: text, key (or leave the id out)",
        )
    for setting in line.settings:
        if declared.field(setting.name) is None:
            names = [f.name for f in declared.fields]
            yield Diagnostic(
                "C218",
                f"record '{record}' has no field '{setting.name}'",
                setting.span,
                did_you_mean(setting.name, names) or "its fields: " + ", ".join(names),
            )


def run_tests(policy: Policy, tests: tuple[n.Test, ...]) -> Iterator[Result]:
    for test in tests:
        yield run_test(policy, test)


def run_test(policy: Policy, test: n.Test) -> Result:
    started = time.perf_counter()
    result = Result(test, _failures(policy, test))
    return attrs.evolve(result, seconds=time.perf_counter() - started)


def _failures(policy: Policy, test: n.Test) -> tuple[Failure, ...]:
    try:
        request = build_request(test, policy)
        decision = policy.decide(request)
    except RequestError as error:
        return (Failure(test.span, "", str(error), "the test's request cannot be read"),)
    except MespolicyError as error:
        return (Failure(test.span, "", str(error), "the request cannot be decided"),)
    except Exception as error:  # one broken case must not stop the others
        return (Failure(test.span, "", f"{type(error).__name__}: {error}", "internal error"),)
    failures = [f for line in test.lines if (f := _check(line, decision)) is not None]
    failures.extend(_unexpected_charges(test, decision))
    return tuple(failures)


def _unexpected_charges(test: n.Test, decision: Decision) -> Iterator[Failure]:
    """A test that expects charges lists them all: a charge of a code (and contract) no line names fails it.

    A charge of a listed code whose amount or period differs is that line's failure, said once there.
    """
    expected = [line for line in test.lines if isinstance(line, n.ExpectCharge)]
    if not expected:
        return
    for charge in decision.charges:
        if not any(_names(line, charge) for line in expected):
            yield Failure(test.span, "", _charge_line(charge, with_contract=_several_contracts(decision)))


def _names(line: n.ExpectCharge, charge: Charge) -> bool:
    return charge.code == line.code and (line.contract is None or charge.contract == line.contract)


# -- the request a test describes -----------------------------------------------------

# A test without a customer line asks as this customer (the fields its record declares).
DEFAULT_CUSTOMER = {"id": "C", "role": "customer", "existing": True}


def build_request(test: n.Test, policy: Policy | None = None) -> Facts:
    """The request of a test, built as JSON data and read like any other (so its checks apply).

    Lines are read by ``policy``'s declared facts (the standard ME&S facts without one).
    """
    spec = policy.checked.spec if policy is not None else standard_spec()
    data = request_data(test, spec)
    return policy.read(data) if policy is not None else parse_request(data)


def request_data(test: n.Test, spec: FactsSpec) -> dict[str, Any]:
    """The request a test's lines describe, as JSON data, by the declared facts ``spec``."""
    request = spec.request
    data: dict[str, Any] = {}
    customer = request.field("customer")
    if customer is not None and customer.kind is Kind.RECORD and not customer.many:
        declared = spec.records[customer.record or ""]
        data["customer"] = {k: v for k, v in DEFAULT_CUSTOMER.items() if declared.field(k) is not None}
    for line in test.lines:
        match line:
            case n.RequestLine(action=action, day=day):
                data["action"], data["date"] = action, day.isoformat()
            case n.CustomerLine(id=ident, existing=existing, role=role):
                entry = {"id": ident, "role": role, "existing": existing}
                data["customer"] = _entry(spec, "customer", entry, line.settings)
            case n.ContractLine():
                _add(spec, data, "contract", _entry(spec, "contract", _contract(line), line.settings))
            case n.LicenseLine():
                _add(spec, data, "license", _entry(spec, "license", _license(line), line.settings))
            case n.RecordLine(record=record, id=ident, settings=settings):
                key = spec.records[record].key if record in spec.records else None
                start: dict[str, Any] = {} if ident is None else {key or "id": ident}
                _add(spec, data, record, _entry(spec, record, start, settings))
            case n.WithLine(field=field, values=values):
                data[field] = _fact_value(request.field(field), values)
    return data


def holders(spec: FactsSpec, record: str) -> list[FieldSpec]:
    """The request's facts that hold entries of ``record`` (a list of them, or one)."""
    return [f for f in spec.request.fields if f.kind is Kind.RECORD and f.record == record]


def _add(spec: FactsSpec, data: dict[str, Any], record: str, entry: dict[str, Any]) -> None:
    found = holders(spec, record)
    # check_tests refuses a record line no single fact holds; the standard lists otherwise
    field = found[0] if len(found) == 1 else None
    name = field.name if field is not None else f"{record}s"
    if field is not None and not field.many:
        data[name] = entry
    else:
        data.setdefault(name, []).append(entry)


def _entry(
    spec: FactsSpec, record: str, entry: dict[str, Any], settings: tuple[n.FactSetting, ...]
) -> dict[str, Any]:
    """A record's entry: what its line says, then each `with` setting by the field's declaration."""
    declared = spec.records.get(record)
    entry = dict(entry)
    if declared is not None:
        # the line's own words name only fields the record declares
        entry = {k: v for k, v in entry.items() if declared.field(k) is not None or k == "id"}
    amounts: list[tuple[str, n.FactSetting]] = []
    for setting in settings:
        field = declared.field(setting.name) if declared is not None else None
        entry[setting.name] = _fact_value(field, setting.values)
        if field is not None and field.kind is Kind.MONEY and field.currency:
            amounts.append((field.currency, setting))
    for currency, setting in amounts:
        _currency_of(entry, currency, setting)
    return entry


def _currency_of(entry: dict[str, Any], currency: str, setting: n.FactSetting) -> None:
    """An amount's currency gives the record's currency field, unless the line gives another."""
    for value in setting.values:
        if isinstance(value, n.MoneyLiteral) and value.currency:
            given = entry.setdefault(currency, value.currency)
            if given != value.currency:
                raise RequestError(
                    setting.name, f"{value.amount} {value.currency} is not in the record's {currency} {given}"
                )


def _contract(line: n.ContractLine) -> dict[str, Any]:
    return {
        "id": line.id,
        "currency": line.annual_fee.currency,
        "start": line.start.isoformat(),
        "end": line.end.isoformat(),
        "annual_fee": str(line.annual_fee.amount),
        "licenses": list(line.licenses),
    }


def _license(line: n.LicenseLine) -> dict[str, Any]:
    return {
        "id": line.id,
        # a license line names no product: the license's id stands for it unless `with product = ...`
        "product": line.id,
        "kind": line.kind,
        "shipped": line.shipped.isoformat(),
        "annual_fee": str(line.annual_fee.amount),
        "currency": line.annual_fee.currency,
    }


def _fact_value(field: FieldSpec | None, values: tuple[n.TestValue, ...]) -> Any:
    plain = [_json_value(field, v) for v in values]
    is_list = field is not None and field.many
    return plain if is_list or len(plain) > 1 else plain[0]


def _json_value(field: FieldSpec | None, value: n.TestValue) -> object:
    """A test's value as JSON gives it (amounts as text); numbers exact, whole for an integer field."""
    match value:
        case n.NumberLiteral(value=number):
            whole = field is not None and field.kind is Kind.INTEGER
            return int(number) if whole and number == number.to_integral_value() else number
        case n.PercentLiteral(value=percent):
            return percent / 100
        case n.MoneyLiteral(amount=amount):
            return str(amount)
        case n.BoolLiteral(value=flag):
            return flag
    return _plain(value)


def _plain(value: n.TestValue) -> str:
    if isinstance(value, n.DateLiteral):
        return value.value.isoformat()
    if isinstance(value, n.EnumValueLiteral):
        return value.name
    if isinstance(value, n.TextLiteral):
        return "".join(p for p in value.parts if isinstance(p, str))
    return format_expr(value)


# -- expectations -------------------------------------------------------------------


def _check(line: n.TestFact | n.Expectation, decision: Decision) -> Failure | None:
    """The line's failure, `actual` written as the line(s) that would hold for the decision."""
    actual: list[str] | None = None
    match line:
        case n.ExpectOutcome(outcome=outcome, clauses=clauses):
            cited = [r.clause for r in decision.reasons]
            if decision.outcome.value != outcome or any(c.text not in cited for c in clauses):
                actual = [" ".join(["expect", decision.outcome.value, ", ".join(_unique(cited))]).rstrip()]
        case n.ExpectReason(clause=clause):
            cited = _unique(r.clause for r in decision.reasons)
            if clause.text not in cited:
                actual = [f"expect reason {c}" for c in cited] or ["# no reason cites a clause"]
        case n.ExpectTerm(start=start, end=end):
            term = decision.term
            if term is None or (term.start, term.end) != (start, end):
                actual = [f"expect term from {term.start} until {term.end}" if term else "# no term"]
        case n.ExpectCharge():
            candidates = [c for c in decision.charges if _names(line, c)]
            if not any(_matches(line, c) for c in candidates):
                # the period is said when the line gives one: a line without asks for the amount alone
                on, period = line.contract is not None, line.start is not None
                shown = [_charge_line(c, with_contract=on, with_period=period) for c in candidates]
                actual = shown or [f"# no {line.code} charge"]
        case n.ExpectNoCharge():
            if decision.charges:
                several = _several_contracts(decision)
                actual = [_charge_line(c, with_contract=several) for c in decision.charges]
        case n.ExpectField(path=path, value=value):
            actual = _field_failure(path, value, decision)
    if actual is None:
        return None
    return Failure(line.span, written_line(line), "\n".join(actual))


def written_line(line: n.TestFact | n.Expectation) -> str:
    """A test line as its file writes it (one line, without a trailing comment's spaces)."""
    return line.span.source.line(line.span.line).strip()


def _several_contracts(decision: Decision) -> bool:
    """Whether a charge line needs `on "ID"`: the decision charges more than one contract."""
    return len({c.contract for c in decision.charges}) > 1


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _charge_line(charge: Charge, *, with_contract: bool, with_period: bool = True) -> str:
    text = f"expect charge {charge.code} = {_written(charge.amount)}"
    if with_period and charge.period is not None:
        text += f" from {charge.period.start} until {charge.period.end}"
    if with_contract and charge.contract is not None:
        text += f" on {_quoted(charge.contract)}"
    return text


def _matches(line: n.ExpectCharge, charge: Charge) -> bool:
    if not _names(line, charge):
        return False
    period_ok = line.start is None or (
        charge.period is not None and (charge.period.start, charge.period.end) == (line.start, line.end)
    )
    return charge.amount == _money(line.amount) and period_ok


def _field_failure(
    path: tuple[str, ...], value: n.Literal | n.EnumValueLiteral, decision: Decision
) -> list[str] | None:
    name = ".".join(path)
    actual = decision.total if name == "total" else dict(decision.fields).get(name)
    if actual == _expected_value(value):
        return None
    if actual is None:
        return [f"# no {name}"]
    return [f"expect {name} = {_written(actual, like=value)}"]


def _expected_value(value: n.Literal | n.EnumValueLiteral) -> object:
    match value:
        case n.MoneyLiteral():
            return _money(value)
        case n.EnumValueLiteral(name=name):
            return name
        case n.DateLiteral(value=day):
            return day
        case n.NumberLiteral(value=number):
            return int(number) if number == number.to_integral_value() else number
        case n.BoolLiteral(value=flag):
            return flag
        case n.DurationLiteral(amount=amount):
            return amount
        case n.PercentLiteral(value=percent):
            return percent / 100
        case n.TextLiteral():
            return _plain(value)
    raise AssertionError(value)


def _written(value: object, like: n.Literal | n.EnumValueLiteral | None = None) -> str:
    """A value in the test language's own syntax (`3000.00 USD`, `25%`, `30 days`), to paste into a case.

    `like` is the literal the test wrote, which says how a plain number is meant (a rate, a duration).
    """
    match value:
        case Money(amount=amount, currency=currency):
            return f"{format_amount(amount, currency)} {currency}"
        case bool():
            return "true" if value else "false"
        case Decimal() | int() if isinstance(like, n.PercentLiteral):
            return f"{_plain_number(Decimal(value) * 100)}%"
        case Decimal() | int() if isinstance(like, n.DurationLiteral):
            return f"{value} {like.unit.value}"
        case Decimal():
            return _plain_number(value)
        case str() if isinstance(like, n.TextLiteral):
            return _quoted(value)
    return str(value)


def _plain_number(number: Decimal) -> str:
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _money(literal: n.MoneyLiteral) -> Money:
    return Money(Decimal(literal.amount), literal.currency or "")


def report_line(result: Result, folder: str | None = None) -> str:
    """A failing test on one line (for a log or an assertion message): where, which test, what differs.

    `folder` (the policy folder as the user wrote it) leads the file's path in the folder.
    """
    side_by_side = " | ".join(
        f"{f.note}: {f.actual}" if f.note else f"expected {f.expected or 'nothing'}, got {f.actual}"
        for f in result.failures
    )
    return f"{located(result.failures[0].span, folder)}: {result.test.name}: {side_by_side}"


def located(span: Span, folder: str | None = None) -> str:
    """`file:line` of a span, the file's path led by the policy folder as the user wrote it."""
    where = span.source.path
    if folder and folder != "." and span.source.in_folder:
        where = posixpath.join(folder, where)
    return f"{where}:{span.line}"


def summary(results: list[Result]) -> str:
    passed = sum(r.passed for r in results)
    return f"{passed} passed, {len(results) - passed} failed"


__all__ = [
    "Failure",
    "Result",
    "build_request",
    "check_tests",
    "collect_tests",
    "located",
    "report_line",
    "run_tests",
    "summary",
    "tests_in",
    "written_line",
]
