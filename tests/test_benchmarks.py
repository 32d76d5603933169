"""The benchmark corpus builds, the baselines decide as ``policy.decide`` does, the harness checks.

Nothing is timed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import mespolicy
from benchmarks import corpus, handwritten, lean, portfolio, scale
from mespolicy.identity import identity_of
from mespolicy.model.request import RequestError

SIZE = 500


@pytest.fixture(scope="module")
def policy() -> mespolicy.Policy:
    return mespolicy.load()


@pytest.fixture(scope="module")
def small() -> corpus.Corpus:
    return corpus.build(SIZE)


def test_corpus_is_deterministic_and_has_every_action(small: corpus.Corpus) -> None:
    assert len(small) == SIZE
    assert corpus.build(SIZE) == small
    assert corpus.build(SIZE, seed=corpus.SEED + 1) != small
    assert {r.action for r in small.requests} == set(corpus.ACTIONS)
    kinds = small.mix()
    for kind in ("renew/timely", "renew/late", "renew/cutoff", "cancel/in_time", "cancel/late"):
        assert kinds[kind] > 0, kind
    assert {r.contract.annual_fee.currency for r in small.of_actions("renew") if r.contract} >= {
        "USD",
        "JPY",
        "BHD",
    }


def test_policy_decides_every_request_of_the_corpus(policy: mespolicy.Policy, small: corpus.Corpus) -> None:
    outcomes = {policy.decide(r).outcome for r in small.requests}
    assert outcomes == {mespolicy.Outcome.APPROVED, mespolicy.Outcome.REJECTED}


def test_corpus_round_trips_through_jsonl(small: corpus.Corpus) -> None:
    lines = corpus.to_jsonl(small.requests).splitlines()
    read = [mespolicy.parse_request_json(line) for line in lines]
    assert [mespolicy.request_to_json(r) for r in read] == [
        mespolicy.request_to_json(r) for r in small.requests
    ]


def test_handwritten_agrees_with_decide_on_renew_and_cancel(
    policy: mespolicy.Policy, small: corpus.Corpus
) -> None:
    requests = small.of_actions("renew", "cancel")
    assert len(requests) > 100
    found = {}
    for request in requests:
        differing = handwritten.differences(policy.decide(request), handwritten.decide(request))
        if differing:
            found[str(mespolicy.request_to_json(request))] = differing
    assert found == {}


def test_zen_graph_agrees_with_decide_on_late_renewals(
    policy: mespolicy.Policy, small: corpus.Corpus
) -> None:
    pytest.importorskip("zen")
    from benchmarks import zen as zen_baseline

    late = small.late_renewals()
    assert len(late) > 20
    assert zen_baseline.disagreements(policy, late) == []


# -- the lean hand-written reading of all six actions, and the generated portfolios (issue 11)

LEAN_SIZE = 400


def _decided_by_policy(policy: mespolicy.Policy, data: dict[str, object]) -> object:
    """What `decide --jsonl --no-trace` prints for ``data``, as parsed JSON; "refused" for an error."""
    try:
        decision = policy.decide(policy.read(data))
    except RequestError:
        return "refused"
    return json.loads(json.dumps(mespolicy.decision_to_json(decision, trace=False)))


def _decided_by_lean(data: dict[str, object], identity: dict[str, str | None]) -> object:
    try:
        return lean.decide(data, identity)
    except lean.Invalid:
        return "refused"


@pytest.mark.parametrize("seed", [portfolio.SEED, 11])
def test_lean_agrees_with_decide_on_generated_requests(policy: mespolicy.Policy, seed: int) -> None:
    identity = lean.identity(identity_of(policy.checked.header, policy.checked.files).hash)
    requests = [json.loads(json.dumps(r)) for r in portfolio.requests(LEAN_SIZE, seed)]
    answers = [(_decided_by_policy(policy, r), _decided_by_lean(r, identity)) for r in requests]
    pairs = zip(requests, answers, strict=True)
    differing = [(r, ours, theirs) for r, (ours, theirs) in pairs if ours != theirs]
    assert differing == []
    # the comparison meant something: every action, both outcomes, charges, and some refusals
    decided = [ours for ours, _ in answers if isinstance(ours, dict)]
    assert {d["action"] for d in decided} == set(portfolio.ACTIONS)
    assert {d["outcome"] for d in decided} == {"approved", "rejected"}
    assert {c["code"] for d in decided for c in d["charges"]} == {
        "renewal",
        "reinstatement_fee",
        "initial_term",
        "coterm_extension",
    }
    assert sum(ours == "refused" for ours, _ in answers) >= 1


def test_lean_charges_a_leap_day_late_renewal_as_the_policy_reads_it() -> None:
    # 2024-02-29 + 12 months clamps to 2025-02-28, so two terms reach past 2025-04-28 and end on
    # 2026-02-28; the lapsed period is one fee year and 59 days: 25% of (1200 + 1200 x 59/365)
    # = 348.4931... -> 348.49
    contract = {
        "id": "M1",
        "currency": "USD",
        "start": "2023-02-28",
        "end": "2024-02-29",
        "annual_fee": "1200",
        "licenses": ["L1"],
    }
    request = {
        "action": "renew",
        "date": "2025-04-28",
        "customer": {"id": "C1", "role": "customer", "existing": True},
        "contracts": [contract],
        "contract": "M1",
    }
    decision = lean.decide(request)
    assert decision["term"] == {"start": "2024-02-29", "end": "2026-02-28"}
    assert [(c["code"], c["amount"]) for c in decision["charges"]] == [
        ("renewal", "2400.00"),
        ("reinstatement_fee", "348.49"),
    ]
    assert decision["total"] == {"amount": "2748.49", "currency": "USD"}


def _renewal(**changes: object) -> str:
    """A renewal line for contract M with ``changes`` to its keys (``contract_...`` for the contract's)."""
    contract: dict[str, object] = {"id": "M", "currency": "USD", "start": "2024-01-01", "end": "2025-01-01"}
    contract.update(annual_fee="1", licenses=[])
    request: dict[str, object] = {
        "action": "renew",
        "date": "2025-01-01",
        "customer": {"id": "C", "role": "customer", "existing": True},
        "contracts": [contract],
        "contract": "M",
    }
    for key, value in changes.items():
        if key.startswith("contract_"):
            contract[key.removeprefix("contract_")] = value
        elif key.startswith("customer_"):
            request["customer"][key.removeprefix("customer_")] = value  # type: ignore[index]
        else:
            request[key] = value
    return json.dumps(request)


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("", "<json>"),
        ("not json", "<json>"),
        ("[1, 2]", "<request>"),
        ('{"action": "renew"}', "date"),
        (_renewal(action="sell"), "action"),
        (_renewal(date="2025-02-30"), "date"),
        (_renewal(customer_role=[]), "customer.role"),
        (_renewal(customer_existing=1), "customer.existing"),
        (_renewal(contract_currency=["USD"]), "contracts[0].currency"),
        (_renewal(contract_annual_fee=12.5), "contracts[0].annual_fee"),
        (_renewal(contract_annual_fee="12.505"), "contracts[0].annual_fee"),
        (_renewal(contract_start="2026-01-01"), "contracts[0].end"),
        (_renewal(contract="M9"), "contract"),
        (_renewal(contract=None), "contract"),
        (_renewal(ref="r" * 201), "ref"),
        (_renewal(colour="red"), "colour"),
        (_renewal(contracts=[json.loads(_renewal())["contracts"][0]] * 2), "contracts[1].id"),
    ],
)
def test_lean_answers_a_bad_line_with_an_error_object(line: str, field: str) -> None:
    answer = lean.answer_line(line, 7)
    assert answer["error"]["line"] == 7
    assert answer["error"]["field"] == field


def test_portfolio_streams_the_same_edge_heavy_requests_for_a_seed(tmp_path: Path) -> None:
    first, again, other = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    actions = portfolio.write(first, 600)
    portfolio.write(again, 600)
    portfolio.write(other, 600, seed=portfolio.SEED + 1)
    assert first.read_bytes() == again.read_bytes() != other.read_bytes()
    assert set(actions) == set(portfolio.ACTIONS) and sum(actions.values()) == 600
    requests = [json.loads(line) for line in first.read_text(encoding="utf-8").splitlines()]
    days = [r["date"] for r in requests]
    assert sum(day.endswith("-02-29") for day in days) >= 5
    currencies = {c["currency"] for r in requests for c in r.get("contracts", [])}
    assert {"USD", "JPY", "BHD"} <= currencies
    # the boundaries themselves, not only days near them
    renewals = [r for r in requests if r["action"] == "renew" and "contracts" in r and r["date"] != "x"]
    assert any(r["date"] == c["end"] for r in renewals for c in r["contracts"] if c["id"] == r["contract"])


def test_disagreements_name_the_line_and_its_request(tmp_path: Path) -> None:
    asked, ours, theirs = tmp_path / "in.jsonl", tmp_path / "ours.jsonl", tmp_path / "lean.jsonl"
    asked.write_text('{"a": 1}\n{"a": 2}\n{"a": 3}\n', encoding="utf-8")
    ours.write_text(
        '{"x": 1, "trace": []}\n{"error": {"message": "one way"}}\n{"x": 3}\n', encoding="utf-8"
    )
    theirs.write_text('{"x": 1}\n{"error": {"message": "another"}}\n{"x": 4}\n', encoding="utf-8")
    count, found = scale.disagreements(asked, ours, theirs)
    assert count == 3
    assert len(found) == 1 and found[0].startswith('line 3: {"a": 3}')
    theirs.write_text('{"x": 1}\n{"error": {}}\n', encoding="utf-8")
    _, short = scale.disagreements(asked, ours, theirs)
    assert short[-1] == "line 3: the request, mespolicy's and lean's line counts differ"


class _Rows:
    def __init__(self) -> None:
        self.rows: list[tuple[str, ...]] = []

    def add(self, figure: str, what: str, ours: str, baseline: str = "", ratio: str = "") -> None:
        self.rows.append((figure, what, ours, baseline, ratio))


def test_harness_checks_agreement_then_adds_figures_7_to_11(
    policy: mespolicy.Policy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _Rows()
    problems = scale.figures(rows, policy, scale.Scale((120,), repeat=1, in_process_repeat=1), tmp_path)
    assert problems == []
    assert "lean agrees with decide --jsonl on 120/120 lines" in capsys.readouterr().out
    assert {row[0] for row in rows.rows} == {"7", "8", "9", "10", "11"}
    (peak,) = [row for row in rows.rows if row[0] == "9"]
    assert peak[2].endswith("MiB") and peak[3].startswith("lean ")
    # one core and the default on a file; Arrow per core in process and whole process (Parquet)
    whole = [row for row in rows.rows if row[0] == "7"]
    assert len(whole) == 2 and "one core" in whole[0][1] and "default" in whole[1][1]
    arrow = [row for row in rows.rows if row[0] == "11"]
    assert len(arrow) == 2 and "--in N.parquet" in arrow[1][1]
    assert all(float(row[4].split("x")[0]) > 0 for row in [*whole, *arrow])


def test_sizes_are_positive_whole_numbers() -> None:
    assert scale.parse_sizes("100000,10_000,100000") == (10_000, 100_000)
    with pytest.raises(ValueError):
        scale.parse_sizes("0,10")
