"""What `mespolicy.spark.decide` ships to executors: the rule files' content, loaded once per worker."""

from __future__ import annotations

import pickle

import pytest

from mespolicy.identity import content_hash
from mespolicy.policy import Policy
from mespolicy.spark import ShippedPolicy, policy_in_worker


def test_a_policy_travels_as_its_rule_files_and_loads_once_per_worker(shipped: Policy) -> None:
    travelled = pickle.loads(pickle.dumps(ShippedPolicy.of(shipped)))
    assert travelled.hash == content_hash(shipped.checked.files)
    first = policy_in_worker(travelled)
    assert policy_in_worker(pickle.loads(pickle.dumps(travelled))) is first
    assert first.checked.parameters.keys() == shipped.checked.parameters.keys()


def test_what_if_settings_travel_as_overrides(shipped: Policy) -> None:
    settings = {"reinstatement_fee_rate": "20%"}
    changed = shipped.with_overrides(settings)
    with pytest.raises(ValueError, match="pass the same settings as overrides="):
        ShippedPolicy.of(changed)
    loaded = policy_in_worker(ShippedPolicy.of(changed, settings))
    assert loaded is not policy_in_worker(ShippedPolicy.of(shipped))
    rate = loaded.checked.parameters["reinstatement_fee_rate"].values
    assert rate == changed.checked.parameters["reinstatement_fee_rate"].values
