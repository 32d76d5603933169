"""Shared test settings: hypothesis profiles sized for CI's two cores."""

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from mespolicy.policy import Policy
from tests.schemas import checked_decide

# CI: enough examples to reach month ends and the grace/notice/cutoff boundaries,
# few enough that the whole suite stays within a few minutes on two cores.
settings.register_profile("ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(autouse=True, scope="session")
def _decisions_match_their_schemas() -> Iterator[None]:
    """Every request decided in the suite and its decision must fit the policy's JSON Schemas."""
    original = Policy.decide
    Policy.decide = checked_decide(original)  # type: ignore[method-assign, assignment]
    try:
        yield
    finally:
        Policy.decide = original  # type: ignore[method-assign]
