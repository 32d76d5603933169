"""`diff --prove`: two policies encoded over one request, per action proved alike or shown apart."""

from __future__ import annotations

import json
from datetime import date

from click.testing import CliRunner

from mespolicy.cli import main
from mespolicy.model.calendar import add_months
from mespolicy.policy import load
from mespolicy.proofs.diff import prove_diff

# The solver's budget is wall-clock time: generous, so a machine busy with other work gives the same answers.
SOLVER_MS = 30000


def test_the_shipped_policy_is_proved_to_decide_as_itself() -> None:
    policy = load()
    found = prove_diff(policy, policy, SOLVER_MS)
    assert [(action.action, action.proved_same) for action in found] == [
        (name, True) for name in policy.checked.actions
    ]


def test_a_shorter_cutoff_gives_witnesses_between_the_new_cutoff_and_the_old() -> None:
    old = load()
    new = old.with_overrides({"reactivation_cutoff": "24 months"})
    found = {action.action: action for action in prove_diff(old, new, SOLVER_MS)}
    assert {name for name, action in found.items() if not action.proved_same} == {"renew", "status"}
    renew = found["renew"]
    (late,) = [d for d in renew.differences if (d.old, d.new) == ("late_renewal", "past_reactivation_cutoff")]
    assert late.confirmed
    request = json.loads(late.witness)
    (contract,) = [c for c in request["contracts"] if c["id"] == request["contract"]]
    expiry, day = date.fromisoformat(contract["end"]), date.fromisoformat(request["date"])
    # rejected under the new cutoff, renewed late under the old: the day is between the two
    assert add_months(expiry, 24) < day <= add_months(expiry, 36)
    assert json.loads(late.old_decision)["outcome"] == "approved"
    assert json.loads(late.new_decision)["outcome"] == "rejected"
    # every difference shown is one the two compiled policies confirm
    assert all(d.confirmed for action in found.values() for d in action.differences)


def test_diff_prove_prints_each_action_and_needs_no_requests() -> None:
    arguments = ["diff", "shipped", "shipped", "--set", "reactivation_cutoff=24 months", "--prove"]
    arguments += ["--solver-timeout", str(SOLVER_MS)]
    result = CliRunner().invoke(main, ["--no-color", *arguments])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "  cancel: no request is decided differently (proved)" in lines
    assert "  renew: decided differently" in lines
    assert "    old late_renewal, new past_reactivation_cutoff (confirmed)" in lines


def test_diff_without_requests_or_prove_says_what_it_needs() -> None:
    result = CliRunner().invoke(main, ["--no-color", "diff", "shipped", "shipped"])
    assert result.exit_code == 2
    assert "--requests FILE" in result.stderr
