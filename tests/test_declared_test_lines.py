"""Test lines for every declared fact (issue 10, item 9): record lines and `{ field = value }`.

A test sets each fact of its request by a line: no fact is set by a convention the
policy's declarations do not say.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import mespolicy
from mespolicy import nodes as n
from mespolicy.cli import main
from mespolicy.errors import PolicyCheckError
from mespolicy.parser import parse
from mespolicy.testing import check_tests, request_data, run_test
from mespolicy.testing import tests_in as cases_in

SEATS = """\
enum edition_kind = single | network
enum band = standard | gold

record customer "A customer." {
  id: text, key "the customer's number"
  segment: band = standard "the customer's segment"
}

record license "A license." {
  id: text, key "the license number"
  product: text "the product"
  kind: text "perpetual or subscription"
  shipped: date "the day shipped"
  currency: currency "the currency of its fees"
  annual_fee: money in currency, at least 0 "the annual ME&S fee"
  list_price: money in currency, at least 0 "the list price"
  edition: edition_kind = single "single user or network"
  seats: integer = 1, at least 1 "seats licensed"
}

record seat "A named user of a network license." {
  id: text, key "the seat's number"
  license: text "the license it uses"
  share: rate = 100% "its share of the license"
}

record product_line "The product line the request is about." {
  name: text "its name"
  fee: money in currency "the line's yearly fee"
  currency: currency "its currency"
}

request "A question about a license." {
  date: date "the decision day"
  customer: customer "who asks"
  licenses: list of license = empty "the licenses"
  seats: list of seat = empty "the seats in use"
  line: optional product_line "the product line"
  license: optional license from licenses "the license asked about"
  rate: optional rate "a rate asked for"
}

output seats_used: integer "seats in use"
output per_seat: money "the fee per seat"

action price "The fee per seat of a network license." {
  approve network §1.1 when given license and license.edition == network and customer.segment == gold {
    let used = count(seats)
    reason "{used} seats in use."
    set seats_used = used
    set per_seat = license.annual_fee / license.seats
  }
  reject single §1.1 when not given license or license.edition == single or customer.segment != gold {
    reason "Only gold customers' network licenses are priced per seat."
  }
}
"""

CASES = """\
test priced_per_seat "A network license of 2 seats, 1 in use." {
  request price on 2026-01-10
  customer "C1" existing { segment = gold }
  license "L1" perpetual 1200.00 USD shipped 2025-03-01 { edition = network, seats = 2, list_price = 50 USD }
  with license = "L1"
  record seat "S1" { license = "L1", share = 50% }
  record product_line { name = "CAD", fee = 10.00 USD }
  with rate = 12.5%
  expect approved §1.1
  expect seats_used = 1
  expect per_seat = 600.00 USD
}

test single_user_by_default "A license line without an edition is single user, as declared." {
  request price on 2026-01-10
  customer "C1" existing { segment = gold }
  license "L1" perpetual 1200.00 USD shipped 2025-03-01 { list_price = 5000.00 USD }
  with license = "L1"
  expect rejected §1.1
}
"""


def _policy(tmp_path: Path, cases: str = CASES) -> Path:
    (tmp_path / "seats.mes").write_text(SEATS)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "cases.mes").write_text(cases)
    return tmp_path


def test_record_lines_and_settings_give_every_declared_fact(tmp_path: Path) -> None:
    folder = _policy(tmp_path)
    policy = mespolicy.load(folder)
    cases = cases_in((parse(CASES, "cases.mes"),))
    check_tests(policy, cases)
    data = request_data(cases[0], policy.checked.spec)
    assert data["customer"] == {"id": "C1", "segment": "gold"}  # role and existing: not declared
    (license_,) = data["licenses"]
    assert (license_["edition"], license_["seats"], license_["list_price"]) == ("network", 2, "50")
    assert str(data["seats"][0]["share"]) == "0.5"
    assert data["line"] == {"name": "CAD", "fee": "10.00", "currency": "USD"}  # currency from the amount
    assert str(data["rate"]) == "0.125"
    assert all(run_test(policy, case).passed for case in cases)


def test_the_command_runs_them(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["test", str(_policy(tmp_path))])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "2 passed, 0 failed"


def test_a_with_line_is_a_request_fact_and_braces_hold_the_record_lines_fields() -> None:
    (test,) = cases_in((parse(CASES.split("test single")[0], "cases.mes"),))
    license_line = next(line for line in test.lines if isinstance(line, n.LicenseLine))
    assert [s.name for s in license_line.settings] == ["edition", "seats", "list_price"]
    with_lines = [line for line in test.lines if isinstance(line, n.WithLine)]
    assert [line.field for line in with_lines] == ["license", "rate"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('record seet "S1" { license = "L1" }', "the policy declares no record 'seet'"),
        ('record seat "S1" { licence = "L1" }', "record 'seat' has no field 'licence'"),
        ('record product_line "X" { name = "CAD" }', "record 'product_line' has no key field"),
        ('record product_line { name = "CAD", fee = 1.00 USD, currency = "EUR" }', None),
        ('license "L2" perpetual 1.00 USD shipped 2025-01-01 { editon = network }', "has no field 'editon'"),
    ],
)
def test_a_line_the_declarations_do_not_hold_is_a_check_error(
    tmp_path: Path, line: str, message: str | None
) -> None:
    folder = _policy(tmp_path)
    policy = mespolicy.load(folder)
    text = CASES.replace("  with rate = 12.5%\n", f"  {line}\n", 1)
    cases = cases_in((parse(text, "cases.mes"),))
    if message is None:
        # an amount in another currency than the record's: the test fails, naming it
        check_tests(policy, cases)
        result = run_test(policy, cases[0])
        assert not result.passed
        assert "1.00 USD is not in the record's currency EUR" in result.failures[0].actual
        return
    with pytest.raises(PolicyCheckError) as caught:
        check_tests(policy, cases)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "C218"
    assert message in diagnostic.message


def test_a_number_ending_a_line_does_not_take_the_next_lines_name_for_a_unit() -> None:
    # found by the formatter's round trip: `at least 1` or `= 1` then a field without description
    text = "record seat {\n  count: integer, at least 1\n  rank: integer = 2\n  share: rate\n}\n"
    declared = parse(text, "s.mes")
    (record,) = declared.items
    assert isinstance(record, n.Record)
    assert [f.name for f in record.fields] == ["count", "rank", "share"]
    (test,) = parse(
        'test t {\n  request price on 2026-01-01\n  expect seats_used = 1\n  record seat "S1"\n}\n', "t.mes"
    ).items
    assert isinstance(test, n.Test)
    assert isinstance(test.lines[-1], n.RecordLine)
