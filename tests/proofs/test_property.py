"""Proofs against deciding, on random small policies built from the grammar and random requests.

Whenever `check` claims an action proved, no request decided under it fails with R308 or R309;
whenever it reports an overlap or gap (V401, V402), deciding its witness, read as `decide` reads
a JSON file, fails with that error.
"""

from __future__ import annotations

import attrs
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from mespolicy.errors import EvaluationError, MespolicyError, PolicyCheckError
from mespolicy.parser import parse
from mespolicy.policy import Policy, from_files
from mespolicy.proofs.analysis import GAP, OVERLAP, prove
from tests.fuzz.policies import policies
from tests.fuzz.requests import requests_for

PREDICTED = {OVERLAP: "R308", GAP: "R309"}


def code_of(policy: Policy, request: object) -> str | None:
    try:
        policy.decide(request)
    except EvaluationError as error:
        return error.code
    except MespolicyError:
        return None
    return None


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(st.data())
def test_a_proof_holds_on_random_requests_and_a_witness_fails_as_predicted(data: st.DataObject) -> None:
    generated = data.draw(policies())
    try:
        policy = from_files((parse(generated.text, "fuzz.mes"),), "fuzz")
    except PolicyCheckError:
        # the generator's policies are meant to check; one that does not is the fuzzers' to report
        reject()
    for report in prove(policy, timeout_ms=1000):
        for finding in report.findings:
            if finding.kind in PREDICTED and finding.is_error:
                assert finding.witness is not None
                read = policy.read_json(finding.witness)
                assert code_of(policy, read) == PREDICTED[finding.kind], finding.witness
        if report.proved:
            for _ in range(3):
                request = attrs.evolve(data.draw(requests_for(generated)), action=report.action)
                assert code_of(policy, request) not in ("R308", "R309"), (generated.text, request)
