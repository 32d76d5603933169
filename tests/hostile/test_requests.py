"""Hostile requests (issue 9, findings 3, 7, 9b, 15 and the request limits Q201-Q204).

A request is untrusted: whatever it holds, reading it ends in a `Request` or a
`RequestError` with a code and the path of the field at fault, in time linear
in its size, never a RecursionError, a ValueError from Python's own limits or
a lost line of a JSON Lines run.
"""

from __future__ import annotations

import copy
import functools
import io
import json
import os
import re
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner

from mespolicy.cli import _write_lines, main
from mespolicy.errors import MespolicyError
from mespolicy.limits import DEFAULT, Limits
from mespolicy.model import AmountError, DateError, format_amount, format_money
from mespolicy.model.contracts import Contract, Customer, License, LicenseKind, Role
from mespolicy.model.decision import decision_to_json
from mespolicy.model.money import Money
from mespolicy.model.request import Request, RequestError, parse_request, parse_request_json
from mespolicy.policy import Policy, load
from mespolicy.portfolio.answers import json_text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE: dict[str, Any] = json.loads((EXAMPLES / "renew-late.json").read_text(encoding="utf-8"))


def _example() -> dict[str, Any]:
    return copy.deepcopy(EXAMPLE)


def _refused(source: object, limits: Limits = DEFAULT) -> RequestError:
    with pytest.raises(RequestError) as caught:
        if isinstance(source, str | bytes):
            parse_request_json(source, limits)
        else:
            parse_request(source, limits)
    return caught.value


# ---------------------------------------------------------------- finding 7: linear reading


class CountingId(str):
    """An id that counts how often it is compared for equality (a quadratic check compares n^2 times)."""

    compared = 0

    def __eq__(self, other: object) -> bool:
        CountingId.compared += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def _many(n: int, ident: type[str] = str) -> dict[str, Any]:
    data = _example()
    contract, license_ = data["contracts"][0], data["licenses"][0]
    data["contracts"] = [dict(contract, id=ident(f"M{i}"), licenses=[]) for i in range(n)]
    data["contracts"][0]["licenses"] = [ident(f"L{i}") for i in range(n)]
    data["licenses"] = [dict(license_, id=ident(f"L{i}")) for i in range(n)]
    data["contract"] = ident(f"M{n - 1}")
    data.pop("coterminate_with", None)
    data.pop("license", None)
    return data


def test_reading_compares_ids_a_number_of_times_linear_in_their_count() -> None:
    # The old reader compared each id with every id before it (n^2 / 2 = 1,125,000 here).
    n = 1_500
    data = _many(n, CountingId)
    CountingId.compared = 0
    request = parse_request(data)
    assert len(request.contracts) == len(request.licenses) == n
    assert request.contract is request.contracts[-1]
    assert CountingId.compared < 10 * n


def test_reading_a_request_built_in_python_checks_unique_ids_in_linear_time() -> None:
    n = 1_500
    fee = Money(Decimal("10.00"), "USD")
    contracts = tuple(
        Contract(CountingId(f"M{i}"), "USD", date(2025, 1, 1), date(2026, 1, 1), fee, ()) for i in range(n)
    )
    CountingId.compared = 0
    customer = Customer("C", Role.CUSTOMER, True)
    read = parse_request(Request("renew", date(2025, 6, 1), customer, contracts, ()))
    assert len(read.contracts) == n
    assert CountingId.compared < 10 * n


def test_the_default_limit_of_items_is_read_and_one_more_is_refused_by_name() -> None:
    most = DEFAULT.request_items
    request = parse_request_json(json.dumps(_many(most)))
    assert len(request.contracts) == most
    error = _refused(json.dumps(_many(most + 1)))
    assert (error.code, error.field) == ("Q202", "contracts")
    assert f"holds {most + 1} items; at most {most}" in error.message


def test_a_lower_limit_of_items_is_honoured_on_every_list() -> None:
    limits = Limits(request_items=2)
    data = _example()
    data["contracts"][0]["licenses"] = ["L1", "L2", "L3"]
    error = _refused(data, limits)
    assert (error.code, error.field) == ("Q202", "contracts[0].licenses")


# ---------------------------------------------------------------- the other request limits


def test_a_request_over_the_byte_limit_is_refused_as_text_and_as_bytes() -> None:
    text = json.dumps(_example())
    limits = Limits(request_bytes=len(text) - 1)
    for source in (text, text.encode()):
        error = _refused(source, limits)
        assert (error.code, error.field) == ("Q201", "<json>")
    assert parse_request_json(text, Limits(request_bytes=len(text))).action == "renew"
    # counted in UTF-8 bytes, not characters
    wide = json.dumps({"tier": "é" * 10}, ensure_ascii=False)
    assert _refused(wide, Limits(request_bytes=len(wide))).code == "Q201"


@pytest.mark.parametrize("opening", ["[", '{"a":', '{"contracts": ['])
def test_json_nested_a_hundred_thousand_deep_is_q203_not_a_recursion_error(opening: str) -> None:
    error = _refused(opening * 100_000)
    assert error.code == "Q203"
    assert "nested deeper than 32 levels" in error.message


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    data = _example()
    data["tier"] = "[" * 100 + '\\"{' * 100
    assert parse_request_json(json.dumps(data)).tier == data["tier"]


def test_nesting_built_in_python_is_refused_at_its_path_even_when_it_loops() -> None:
    data = _example()
    deep: dict[str, Any] = {}
    data["customer"]["extra"] = deep
    for _ in range(100):
        deep["x"] = {}
        deep = deep["x"]
    error = _refused(data)
    assert error.code == "Q203"
    assert error.field.startswith("customer.extra.x.x")
    loop: list[object] = []
    loop.append(loop)
    data = _example()
    data["contracts"] = loop
    assert _refused(data).code == "Q203"


def test_a_4300_digit_integer_is_q204_at_its_field() -> None:
    data = json.dumps(_example()).replace('"existing": true', '"existing": ' + "9" * 4_300)
    error = _refused(data)
    assert (error.code, error.field) == ("Q204", "customer.existing")
    assert "a number of 4300 digits; at most 40" in error.message
    error = _refused(json.dumps(_example()).replace('"existing": true', '"existing": -1.' + "5" * 50))
    assert (error.code, error.field) == ("Q204", "customer.existing")


def test_long_numbers_built_in_python_are_q204() -> None:
    for huge in (10**5_000, Decimal("1." + "1" * 60)):
        data = _example()
        data["customer"]["existing"] = huge
        error = _refused(data)
        assert (error.code, error.field) == ("Q204", "customer.existing")


def test_a_number_within_the_digit_limit_is_still_read_and_refused_by_type() -> None:
    data = json.dumps(_example()).replace('"existing": true', '"existing": ' + "9" * 40)
    error = _refused(data)
    assert (error.code, error.field) == ("Q101", "customer.existing")


# ---------------------------------------------------------------- finding 15: fields, BOM


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('"annual_fee": "12000.00"', '"annual_fee": NaN', "contracts[0].annual_fee"),
        ('"annual_fee": "12000.00"', '"annual_fee": Infinity', "contracts[0].annual_fee"),
        ('"annual_fee": "12000.00"', '"annual_fee": -Infinity', "contracts[0].annual_fee"),
        ('"id": "M1",', '"id": "M1", "id": "M2",', "contracts[0].id"),
        ('"role": "customer"', '"role": "customer", "role": "partner"', "customer.role"),
    ],
)
def test_nan_infinity_and_duplicate_keys_are_reported_at_their_field(old: str, new: str, field: str) -> None:
    text = json.dumps(_example())
    assert old in text
    error = _refused(text.replace(old, new, 1))
    assert (error.code, error.field) == ("Q101", field)


def test_a_byte_order_mark_at_the_start_is_accepted() -> None:
    text = json.dumps(_example())
    assert parse_request_json("\ufeff" + text).action == "renew"
    assert parse_request_json(b"\xef\xbb\xbf" + text.encode()).action == "renew"


def test_bytes_that_are_not_utf8_name_the_offset() -> None:
    raw = json.dumps(_example()).encode()
    at = raw.index(b"renew")
    error = _refused(raw[:at] + b"\xff" + raw[at + 1 :])
    assert (error.code, error.field) == ("Q102", "<json>")
    assert f"byte 0xff at byte offset {at}" in error.message


def test_a_lone_surrogate_is_refused_at_its_field() -> None:
    text = json.dumps(_example()).replace('"id": "M1"', '"id": "M\\ud800"', 1)
    error = _refused(text)
    assert (error.code, error.field) == ("Q103", "contracts[0].id")
    assert "\\ud800" in error.message
    error.message.encode("utf-8")  # the message itself is text that can be written
    # a surrogate pair in JSON is one character, and fine
    data = _example()
    data["tier"] = "\U0001f600"
    assert "\\ud83d\\ude00" in json.dumps(data)
    assert parse_request_json(json.dumps(data)).tier == "\U0001f600"
    # a key holding a lone surrogate is reported at the object holding it
    data = _example()
    data["customer"]["\udcff"] = 1
    error = _refused(data)
    assert (error.code, error.field) == ("Q103", "customer")


def test_every_request_error_is_under_the_one_root_with_a_code() -> None:
    assert issubclass(RequestError, MespolicyError)
    assert issubclass(AmountError, MespolicyError)
    assert issubclass(DateError, MespolicyError)
    assert AmountError("f", "x").code == "Q101"


# ---------------------------------------------------------------- finding 9b: amounts from Python

FEE_CASES = [
    ("1E+100", "is not a plausible fee"),
    ("1000000000000000", "is not a plausible fee"),
    ("-1.00", "cannot be negative"),
    ("1.001", "finer than USD's minor unit"),
]


def _built_in_python(fee: Money, role: object = Role.CUSTOMER) -> Request:
    """The renew-late example as the host's own objects, its contract and license carrying ``fee``."""
    contract = Contract("M1", "USD", date(2025, 3, 1), date(2026, 3, 1), fee, ("L1",))
    license_ = License("L1", "NX", LicenseKind.PERPETUAL, date(2025, 3, 1), fee)
    customer = Customer("C1", role, True)  # type: ignore[arg-type]  # a host may give any value
    return Request("renew", date(2026, 4, 10), customer, (contract,), (license_,), contract)


@pytest.mark.parametrize(("amount", "message"), FEE_CASES)
def test_a_contract_built_in_python_is_refused_a_bad_fee_as_json_is(amount: str, message: str) -> None:
    # issue 10: built from the model classes, a negative fee or one finer than a cent was decided
    with pytest.raises(RequestError, match=message) as caught:
        _shipped().decide(_built_in_python(Money(Decimal(amount), "USD")))
    assert (caught.value.code, caught.value.field) == ("Q101", "contracts[0].annual_fee")
    data = _example()
    data["contracts"][0]["annual_fee"] = amount if "E" not in amount else "1" + "0" * 100
    data["licenses"][0]["annual_fee"] = "12000.00"
    assert _refused(data).field == "contracts[0].annual_fee"


def test_a_license_built_in_python_is_refused_its_implausible_fee_at_its_path() -> None:
    request = _built_in_python(Money(Decimal("12000.00"), "USD"))
    bad = License("L1", "NX", LicenseKind.PERPETUAL, date(2025, 3, 1), Money(Decimal("-1.00"), "USD"))
    with pytest.raises(RequestError, match="cannot be negative") as caught:
        _shipped().decide(attrs.evolve(request, licenses=(bad,)))
    assert caught.value.field == "licenses[0].annual_fee"


def test_a_role_given_as_text_is_read_as_json_gives_it() -> None:
    fee = Money(Decimal("12000.00"), "USD")
    policy = _shipped()
    as_text, as_member = _built_in_python(fee, "partner"), _built_in_python(fee, Role.PARTNER)
    assert policy.decide(as_text) == policy.decide(as_member)
    with pytest.raises(RequestError, match="expected one of 'customer', 'partner'") as caught:
        policy.decide(_built_in_python(fee, "boss"))
    assert (caught.value.code, caught.value.field) == ("Q101", "customer.role")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"existing": "yes"}, "customer.existing", "expected true or false"),
        ({"id": 7}, "customer.id", "expected a non-empty string"),
        ({"id": ""}, "customer.id", "expected a non-empty string"),
    ],
)
def test_a_customer_built_in_python_is_refused_at_its_field(
    change: dict[str, object], field: str, message: str
) -> None:
    request = _built_in_python(Money(Decimal("12000.00"), "USD"))
    customer = attrs.evolve(request.customer, **change)  # type: ignore[arg-type]  # wrong on purpose
    with pytest.raises(RequestError, match=message) as caught:
        _shipped().decide(attrs.evolve(request, customer=customer))
    assert caught.value.field == field


def test_a_contract_that_ends_before_it_starts_is_refused_at_its_end_from_python_too() -> None:
    request = _built_in_python(Money(Decimal("12000.00"), "USD"))
    assert request.contract is not None
    backwards = attrs.evolve(request.contract, start=date(2027, 1, 1))
    with pytest.raises(RequestError, match="before start") as caught:
        _shipped().decide(attrs.evolve(request, contracts=(backwards,), contract=backwards))
    assert caught.value.field == "contracts[0].end"


@functools.cache
def _shipped() -> Policy:
    return load()


@pytest.mark.parametrize(("amount", "message"), FEE_CASES)
def test_json_refuses_the_same_fees_the_same_way(amount: str, message: str) -> None:
    data = _example()
    data["contracts"][0]["annual_fee"] = amount if "E" not in amount else "1" + "0" * 100
    error = _refused(data)
    assert error.field == "contracts[0].annual_fee"
    assert message in error.message


@pytest.mark.parametrize("amount", ["1E+100", "-1E+100", "1E+27", "123456789012345678901234567890.5"])
def test_any_finite_amount_formats_for_people(amount: str) -> None:
    text = format_money(Money(Decimal(amount), "USD"))
    assert text.endswith(" USD")
    digits = text.replace(",", "").replace(" USD", "").lstrip("-")
    assert Decimal(digits) == Decimal(amount).copy_abs()



@pytest.mark.parametrize("amount", ["1E+999999999", "-1E+999999999", "1E-999999999"])
def test_an_amount_of_a_billion_digits_is_written_in_exponent_form(amount: str) -> None:
    money = Money(Decimal(amount), "USD")
    assert format_money(money) == f"{Decimal(amount):E} USD"
    assert format_amount(money.amount, "USD") == f"{Decimal(amount):E}"


# ---------------------------------------------------------------- finding 3: the JSON Lines run


def _run(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--no-color", *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


GOOD = json.dumps(EXAMPLE)


def _with(old: str, new: str) -> bytes:
    assert old in GOOD
    return GOOD.replace(old, new, 1).encode()


HOSTILE_LINES: list[tuple[bytes, str | None, str | None]] = [
    # (the line, the code of its error or None when decided, the field at fault)
    (b"\xef\xbb\xbf" + GOOD.encode(), None, None),
    (GOOD.encode(), None, None),
    (b"", "Q104", "<json>"),
    (_with('"renew"', '"re\u00ffnew"').replace("\u00ff".encode(), b"\xff"), "Q102", "<json>"),
    (_with('"action": "renew"', '"action": "\\ud800"'), "Q103", "action"),
    (_with('"contract": "M1"', '"contract": "M1", "tier": "\\udfff"'), "Q103", "tier"),
    (_with('"existing": true', '"existing": ' + "9" * 4_300), "Q204", "customer.existing"),
    (b"[" * 100_000, "Q203", "<json>"),
    (b'{"action": "renew", "a": ' + b"{" * 50_000, "Q203", "<json>"),
    (b"   \t", "Q104", "<json>"),
    (
        _with('"annual_fee": "12000.00", "licenses"', '"annual_fee": NaN, "licenses"'),
        "Q101",
        "contracts[0].annual_fee",
    ),
    (_with('"id": "M1"', '"id": "M1", "id": "M1"'), "Q101", "contracts[0].id"),
    (GOOD.encode() + b"\r", None, None),
    (b"{not json", "Q101", "<json>"),
    (GOOD.encode(), None, None),
]


def test_jsonl_gives_one_line_out_for_every_line_in_whatever_it_holds(tmp_path: Path) -> None:
    portfolio = tmp_path / "hostile.jsonl"
    portfolio.write_bytes(b"\n".join(line for line, _, _ in HOSTILE_LINES) + b"\n")
    code, out, err = _run("decide", "--jsonl", str(portfolio))
    assert code == 1, err
    answers = [json.loads(line) for line in out.splitlines()]
    assert len(answers) == len(HOSTILE_LINES)
    for number, (answer, (_, expected, field)) in enumerate(zip(answers, HOSTILE_LINES, strict=True), 1):
        if expected is None:
            assert answer["outcome"] == "approved", (number, answer)
        else:
            assert answer["error"]["line"] == number
            assert (answer["error"]["code"], answer["error"]["field"]) == (expected, field), number
            assert answer["error"]["message"]
    assert "Traceback" not in err


def test_the_undecodable_byte_is_named_by_its_offset_in_the_line() -> None:
    line = GOOD.encode()
    at = line.index(b"renew")
    code, out, _ = _run(
        "decide", "--jsonl", "-", stdin=GOOD.encode() + b"\n" + line[:at] + b"\xff" + line[at:]
    )
    assert code == 1
    error = json.loads(out.splitlines()[1])["error"]
    assert (error["line"], error["code"]) == (2, "Q102")
    assert f"byte 0xff at byte offset {at}" in error["message"]


def test_a_line_over_the_size_limit_is_refused_without_reading_it_whole() -> None:
    big = b'{"tier": "' + b"x" * 50_000 + b'"}'
    lines = b"\n".join([GOOD.encode(), big, GOOD.encode(), big]) + b"\n" + big  # the last without newline
    code, out, _ = _run("--limit", "request_bytes=10000", "decide", "--jsonl", "-", stdin=lines)
    assert code == 1
    answers = [json.loads(line) for line in out.splitlines()]
    assert [a.get("outcome") or a["error"]["code"] for a in answers] == [
        "approved",
        "Q201",
        "approved",
        "Q201",
        "Q201",
    ]
    assert [a["error"]["line"] for a in answers if "error" in a] == [2, 4, 5]


def test_a_json_request_file_with_a_bom_is_decided() -> None:
    code, out, _ = _run("decide", "-", stdin=b"\xef\xbb\xbf" + (EXAMPLES / "renew-late.json").read_bytes())
    assert code == 0
    assert json.loads(out)["outcome"] == "approved"


def test_exit_status_is_0_when_all_are_decided() -> None:
    code, out, _ = _run("decide", "--jsonl", str(EXAMPLES / "portfolio.jsonl"))
    assert code == 0
    assert len(out.splitlines()) == len((EXAMPLES / "portfolio.jsonl").read_text().splitlines())


def test_exit_status_is_2_when_a_file_cannot_be_read(tmp_path: Path) -> None:
    code, out, err = _run(
        "decide", "--jsonl", str(EXAMPLES / "portfolio.jsonl"), str(tmp_path / "missing.jsonl")
    )
    assert code == 2
    assert len(out.splitlines()) == 10  # the first file was decided
    assert "missing.jsonl: cannot read: No such file or directory; stopped there" in err
    code, _, err = _run("decide", "--jsonl", str(tmp_path))
    assert code == 2
    assert "cannot read" in err
    assert "Traceback" not in err


def test_exit_status_is_2_and_the_line_is_named_when_the_output_is_closed() -> None:
    reading, writing = os.pipe()
    os.close(reading)  # nobody will read: the first write meets a closed pipe
    try:
        done = subprocess.run(
            [sys.executable, "-m", "mespolicy.cli", "decide", "--jsonl", str(EXAMPLES / "portfolio.jsonl")],
            stdout=writing,
            stderr=subprocess.PIPE,
            check=False,
            timeout=120,
        )
    finally:
        os.close(writing)
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert re.search(r"decide: output closed at .*portfolio\.jsonl line [0-9]+; stopped there", err), err
    assert "Traceback" not in err
    assert "Exception ignored" not in err


def test_an_internal_error_on_one_line_is_reported_there_and_the_run_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    decide = Policy.decide
    calls = iter([True, False])

    def broken(self: Policy, request: Request) -> Any:
        if next(calls):
            raise ZeroDivisionError("a bug with a lone \udc80 surrogate in its message")
        return decide(self, request)

    monkeypatch.setattr(Policy, "decide", broken)
    code, out, _ = _run("decide", "--jsonl", "-", stdin=(GOOD + "\n" + GOOD + "\n").encode())
    assert code == 1
    first, second = (json.loads(line) for line in out.splitlines())
    assert (first["error"]["line"], first["error"]["code"]) == (1, "E999")
    assert first["error"]["message"].startswith("internal error: ZeroDivisionError: a bug with a lone")
    assert second["outcome"] == "approved"


def test_a_string_the_output_cannot_encode_is_written_ascii_escaped() -> None:
    for encoding, text in (("utf-8", "M\ud800"), ("ascii", "§8.2")):
        raw = io.BytesIO()
        out = io.TextIOWrapper(raw, encoding=encoding)
        # in a batch with an answer the output can take: each line is written, in order
        assert _write_lines(out, [json_text({"id": "M1"}, None), json_text({"id": text}, None)])
        out.flush()
        first, second = raw.getvalue().decode("ascii").splitlines()
        assert json.loads(first) == {"id": "M1"} and json.loads(second) == {"id": text}


def test_workers_answers_go_out_as_they_came_to_utf_8_and_escaped_to_anything_else() -> None:
    # --jobs workers send a block's answers as UTF-8, a line each (U+2028 is no line end of JSON Lines)
    answers = [json_text({"id": "M1"}, None), json_text({"id": "§8.2\u2028"}, None)]
    block = "\n".join(answers).encode("utf-8")
    for encoding in ("utf-8", "ascii"):
        raw = io.BytesIO()
        out = io.TextIOWrapper(raw, encoding=encoding)
        out.write("")  # what the text layer holds is written first
        assert _write_lines(out, [block, block])
        out.flush()
        lines = raw.getvalue().decode(encoding).split("\n")
        assert [json.loads(line) for line in lines[:-1]] == [{"id": "M1"}, {"id": "§8.2\u2028"}] * 2
        assert lines[-1] == ""
        assert raw.getvalue().isascii() == (encoding == "ascii")


def test_a_decision_that_cannot_be_written_as_json_is_an_error_on_its_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # json.dumps refuses ints past 4,300 digits: the text is made inside the line's handling
    from mespolicy.portfolio import answers

    calls = iter([True, False])
    to_json = decision_to_json

    def huge(decision: Any, trace: bool = True) -> dict[str, Any]:
        data = to_json(decision, trace=trace)
        return {**data, "big": 10**5000} if next(calls) else data

    monkeypatch.setattr(answers, "decision_to_json", huge)
    code, out, err = _run("decide", "--jsonl", "-", stdin=(GOOD + "\n" + GOOD + "\n").encode())
    assert code == 1
    assert "Traceback" not in err
    first, second = (json.loads(line) for line in out.splitlines())
    assert (first["error"]["line"], first["error"]["code"]) == (1, "E999")
    assert second["outcome"] == "approved"


# ---------------------------------------------------------------- --limit, and explain


def test_limit_option_changes_a_bound_for_the_run() -> None:
    code, out, _ = _run("--limit", "request_items=1", "decide", "--jsonl", "-", stdin=GOOD.encode())
    assert code == 1
    error = json.loads(out)["error"]
    assert (error["code"], error["field"]) == ("Q202", "contracts[0].licenses")
    code, out, _ = _run("--limit", "request_items=2", "decide", "--jsonl", "-", stdin=GOOD.encode())
    assert code == 0


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("nothing=1", "'nothing' is not a limit"),
        ("request_items", "write NAME=VALUE"),
        ("request_items=0", "must be a whole number of at least 1"),
        ("request_items=many", "takes a whole number"),
    ],
)
def test_a_bad_limit_is_exit_2_with_the_l100_message(setting: str, message: str) -> None:
    code, _, err = _run("--limit", setting, "decide", str(EXAMPLES / "renew-late.json"))
    assert code == 2
    assert "L100" in err
    assert message in err


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"\xff", "Q102"),
        (b"", "Q101"),
        (b"[" * 100_000, "Q203"),
        (_with('"existing": true', '"existing": ' + "9" * 4_300), "Q204"),
        (_with('"action": "renew"', '"action": "\\ud800"'), "Q103"),
        (_with('"annual_fee": "12000.00", "licenses"', '"annual_fee": NaN, "licenses"'), "Q101"),
    ],
)
def test_explain_reports_any_bad_request_file_with_its_code(
    tmp_path: Path, content: bytes, code: str
) -> None:
    request = tmp_path / "request.json"
    request.write_bytes(content)
    status, _, err = _run("explain", str(request))
    assert status == 1
    assert f"{code}: " in err
    assert "Traceback" not in err


def test_explain_reads_a_bom_and_says_when_a_file_cannot_be_read(tmp_path: Path) -> None:
    request = tmp_path / "request.json"
    request.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert _run("explain", str(request))[0] == 0
    status, _, err = _run("explain", str(tmp_path))
    assert status == 2
    assert "cannot read" in err


def test_explain_reports_an_internal_error_with_e999(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Policy, request: Request) -> Any:
        raise KeyError("bug")

    monkeypatch.setattr(Policy, "explain", broken)
    status, _, err = _run("explain", str(EXAMPLES / "renew-late.json"))
    assert status == 1
    assert "E999: internal error: KeyError" in err
    assert "Traceback" not in err


def test_diff_reads_hostile_lines_as_errors_of_their_own(tmp_path: Path) -> None:
    portfolio = tmp_path / "hostile.jsonl"
    portfolio.write_bytes(b"\n".join(line for line, _, _ in HOSTILE_LINES) + b"\n")
    code, out, err = _run("diff", "shipped", "shipped", "--requests", str(portfolio), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["requests"] == len(HOSTILE_LINES)
    expected = [(n, c, f) for n, (_, c, f) in enumerate(HOSTILE_LINES, 1) if c is not None]
    assert [(e["line"], e["code"], e["field"]) for e in report["errors"]] == expected


def test_a_line_that_never_ends_stops_the_run_with_exit_2_after_its_answer() -> None:
    # a device or a stream with no newline: the over-long line is answered, then the run stops
    most = len(GOOD) + 10
    endless = b"{" + b" " * (70 * most)
    stdin = GOOD.encode() + b"\n" + endless
    code, out, err = _run("--limit", f"request_bytes={most}", "decide", "--jsonl", "-", stdin=stdin)
    assert code == 2
    first, second = out.splitlines()
    assert json.loads(first)["outcome"] == "approved"
    assert json.loads(second)["error"]["code"] == "Q201"
    assert "line 2 runs on past" in err
    assert "Traceback" not in err


def test_requests_read_again_by_the_full_reader_are_not_kept_alive() -> None:
    # The fast reader gives up on a request by raising; one exception instance raised again and
    # again kept every traceback it had been raised with, and each the request in its frames:
    # a million-line portfolio with a bad line in a hundred grew by 100 MiB.
    import tracemalloc

    from mespolicy import load

    policy = load()
    slow = (
        b'{"action": "renew", "date": "2025-02-30", '
        b'"customer": {"id": "C1", "role": "customer", "existing": true}}'
    )

    def read_many(times: int) -> None:
        for _ in range(times):
            with pytest.raises(RequestError):
                policy.read_json(slow)

    read_many(50)
    tracemalloc.start()
    try:
        read_many(50)
        before = tracemalloc.get_traced_memory()[0]
        read_many(1000)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 64 * 1024, f"{grown} bytes kept by 1,000 refused requests"


@pytest.mark.parametrize(("terminal", "writes"), [(False, [256, 256, 88]), (True, [1] * 600)])
def test_answers_are_written_many_at_a_time_except_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, terminal: bool, writes: list[int]
) -> None:
    # an unbuffered stdout (PYTHONUNBUFFERED) makes every write a system call: 12 us a line
    import mespolicy.cli as cli

    batches: list[int] = []
    write = cli._write_lines

    def counted(out: Any, answers: list[str]) -> bool:
        batches.append(len(answers))
        return write(out, answers)

    monkeypatch.setattr(cli, "_write_lines", counted)
    monkeypatch.setattr(cli, "_interactive", lambda out: terminal)
    lines = (GOOD + "\n").encode() * 599 + b"\n"  # the last one blank: refused, and written too
    code, out, _ = _run("decide", "--jsonl", "-", stdin=lines)
    assert code == 1
    assert batches == writes
    answers = out.splitlines()
    assert len(answers) == 600 and json.loads(answers[-1])["error"]["code"] == "Q104"
    assert json.loads(answers[0]) == json.loads(answers[598])
