"""The benchmark corpus builds, and the baselines decide as ``policy.decide`` does. Nothing is timed."""

from __future__ import annotations

import pytest

import mespolicy
from benchmarks import corpus, handwritten

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
