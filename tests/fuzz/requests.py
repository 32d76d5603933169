"""Well-typed random requests for a generated policy: the model's request strategy, asking its actions."""

from __future__ import annotations

import attrs
from hypothesis import strategies as st

import mespolicy
from tests.fuzz.policies import GeneratedPolicy
from tests.model.strategies import requests as model_requests


@st.composite
def requests_for(draw: st.DrawFn, policy: GeneratedPolicy) -> mespolicy.Request:
    """A request for one of the policy's actions; its tier a member of `premium_tier` when it has one."""
    request = draw(model_requests())
    action = draw(st.sampled_from(policy.actions)) if policy.actions else request.action
    tiers = dict(policy.enums).get("premium_tier")
    tier = draw(st.none() | st.sampled_from(tiers)) if tiers else None
    return attrs.evolve(request, action=action, tier=tier)
