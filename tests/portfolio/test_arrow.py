"""Arrow batches: schemas from the declarations, errors in their rows, JSON read back byte for byte."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from mespolicy.model.decision import Charge, Decision, Outcome
from mespolicy.model.money import Money, known_currencies, minor_units
from mespolicy.policy import Policy, load
from mespolicy.portfolio.answers import answer_line
from mespolicy.portfolio.arrow import DecisionRows, requests_batch, row_json
from mespolicy.portfolio.arrow_schema import MONEY_SCALE, decision_schema, request_schema

EXAMPLES = Path(__file__).parents[2] / "examples" / "policies"


def test_the_request_schema_is_the_declared_facts_in_the_json_shape(shipped: Policy) -> None:
    schema = request_schema(shipped.checked)
    assert schema.names[:3] == ["action", "ref", "date"]
    assert schema.field("date").type == pa.date32()
    customer = schema.field("customer").type
    assert pa.types.is_struct(customer) and customer.field("role").type == pa.string()
    contract = schema.field("contracts").type.value_type
    assert contract.field("end").type == pa.date32()
    assert contract.field("annual_fee").type == pa.string()  # decimal text, as in JSON
    assert contract.field("licenses").type == pa.list_(pa.string())


def test_money_in_decisions_is_decimal128_at_the_scale_of_the_finest_currency(shipped: Policy) -> None:
    assert max(minor_units(code) for code in known_currencies()) == MONEY_SCALE
    schema = decision_schema(shipped.checked)
    charge = schema.field("charges").type.value_type
    assert charge.field("amount").type == pa.decimal128(38, MONEY_SCALE)
    assert schema.field("total").type.field("amount").type == pa.decimal128(38, MONEY_SCALE)
    renewal = schema.field("outputs").type.field("renewal").type
    assert renewal.field("date").type == pa.date32()
    assert schema.field("error").type.names == ["code", "field", "message"]


def _expected(policy: Policy, requests: list[dict[str, Any]], trace: bool = False) -> list[str]:
    lines = [(json.dumps(r) + "\n").encode() for r in requests]
    return [answer_line(policy, line, n, trace)[0] for n, line in enumerate(lines, 1)]


def test_a_bad_row_gets_its_error_and_the_rest_of_the_batch_is_decided(
    shipped: Policy, portfolio: list[dict[str, Any]]
) -> None:
    requests = portfolio[:40]
    requests[3] = {**requests[3], "action": "fly"}
    requests[4] = {key: value for key, value in requests[4].items() if key != "customer"}
    decided = shipped.decide_arrow(requests_batch(shipped, requests))
    rows = decided.to_pylist()
    assert len(rows) == 40
    assert rows[3]["error"]["message"].startswith("line 4: request field 'action'")
    assert rows[4]["error"]["field"] == "customer" and rows[4]["line"] == 5
    assert [row_json(row) for row in rows] == _expected(shipped, requests)
    assert sum(row["error"] is None for row in rows) >= 30


def test_a_float_is_refused_on_its_row_not_for_the_batch(
    shipped: Policy, portfolio: list[dict[str, Any]]
) -> None:
    good = next(r for r in portfolio if r.get("contracts"))
    floating = json.loads(json.dumps(good))
    floating["contracts"][0]["annual_fee"] = 12000.5
    batch = pa.RecordBatch.from_pylist([floating, floating])
    rows = shipped.decide_arrow(batch).to_pylist()
    assert all(row["error"]["field"] == "contracts[0].annual_fee" for row in rows)
    assert all("amounts are strings" in row["error"]["message"] for row in rows)


def test_an_amount_arrow_cannot_hold_exactly_is_e101_on_its_row(shipped: Policy) -> None:
    fine = Money(Decimal("1.00001"), "USD")
    charge = Charge("renewal", fine, None, None, "§8.1")
    decision = Decision("renew", Outcome.APPROVED, (), None, (charge,), (), (), ref="R-1")
    rows = DecisionRows(shipped)
    row = rows.decided(9, decision)
    assert row["error"]["code"] == "E101" and row["error"]["field"] == "charges[0].amount"
    assert row["ref"] == "R-1" and rows.failures == 1


@pytest.mark.parametrize("trace", [True, False])
@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir()))
def test_each_example_policy_row_reads_back_as_its_json_line(name: str, trace: bool) -> None:
    policy = load(EXAMPLES / name)
    request = json.loads((EXAMPLES / name / "request.json").read_text(encoding="utf-8"))
    batch = requests_batch(policy, [request, {**request, "ref": None}])
    rows = policy.decide_arrow(batch, trace=trace).to_pylist()
    assert [row_json(row) for row in rows] == _expected(policy, [request, {**request, "ref": None}], trace)


def test_fields_of_a_policy_that_declares_no_outputs_read_back_in_their_order(tmp_path: Path) -> None:
    folder = tmp_path / "policy"
    shutil.copytree(EXAMPLES / "flat-fee-by-edition", folder)
    rules = folder / "reinstatement.mes"
    text = rules.read_text(encoding="utf-8").replace(
        "    charge maintenance = license.annual_fee\n    charge back_maintenance",
        "    charge maintenance = license.annual_fee\n    set lapse.months = lapse\n"
        "    set expired = expiry\n    set lapse.fee = monthly\n    charge back_maintenance",
    )
    rules.write_text(text, encoding="utf-8")
    policy = load(folder)
    assert not policy.checked.outputs
    request = json.loads((folder / "request.json").read_text(encoding="utf-8"))
    rows = policy.decide_arrow(requests_batch(policy, [request])).to_pylist()
    assert [item["name"] for item in rows[0]["outputs"]] == ["lapse", "expired"]
    assert [row_json(row) for row in rows] == _expected(policy, [request])


def test_rows_in_the_request_schema_are_read_by_the_generated_reader(
    shipped: Policy, portfolio: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # dates arrive as date32: were they handed over as date objects, every row would go to the
    # full reader (several times slower) while giving the same decisions, so only this shows it
    import mespolicy.model.request as request

    batch = requests_batch(shipped, portfolio[:200])
    assert batch.schema.field("date").type == pa.date32()
    valid = sum(1 for r in batch.to_pylist() if _reads_fast(shipped, r))
    read_fully = request.read_fully
    slow: list[object] = []

    def counted(*given: Any) -> Any:
        slow.append(given)
        return read_fully(*given)

    monkeypatch.setattr(request, "read_fully", counted)
    decided = shipped.decide_arrow(batch).to_pylist()
    assert len(decided) == 200
    assert len(slow) == 200 - valid < 20  # only the portfolio's broken rows


def _reads_fast(policy: Policy, row: dict[str, Any]) -> bool:
    from mespolicy.portfolio.arrow import request_rows

    (data,) = request_rows(pa.RecordBatch.from_pylist([row], schema=request_schema(policy.checked)))
    try:
        policy.read(data)
    except Exception:
        return False
    return True


@pytest.mark.parametrize("rows", [0, 1, 1023, 1024, 1025, 2100])
def test_a_batch_is_decided_a_slice_at_a_time_into_one_batch_in_order(
    shipped: Policy, portfolio: list[dict[str, Any]], rows: int
) -> None:
    requests = (portfolio * 2)[:rows]
    decided = shipped.decide_arrow(requests_batch(shipped, requests), first_line=7)
    assert isinstance(decided, pa.RecordBatch)
    assert decided.num_rows == rows
    assert decided.column("line").to_pylist() == list(range(7, 7 + rows))
    assert [row_json(r) for r in decided.to_pylist()][:5] == [
        r.rstrip("\n") for r in _expected(shipped, requests[:5])
    ]


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_paused_while_a_slice_is_decided_and_left_as_the_host_had_it(
    shipped: Policy, portfolio: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, enabled: bool
) -> None:
    import gc

    import mespolicy.portfolio.arrow as arrow

    seen: list[bool] = []
    add = DecisionRows.add

    def noted(self: DecisionRows, line: int, data: Any) -> None:
        seen.append(gc.isenabled())
        add(self, line, data)

    monkeypatch.setattr(arrow.DecisionRows, "add", noted)
    requests = (portfolio * 3)[:1100]  # two slices
    (gc.enable if enabled else gc.disable)()
    try:
        decided = shipped.decide_arrow(requests_batch(shipped, requests))
        assert gc.isenabled() is enabled
    finally:
        gc.enable()
    assert decided.num_rows == 1100 and seen == [False] * 1100
