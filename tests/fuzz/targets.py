"""The fuzz targets, each a hypothesis test body shared by the suite (CI size) and the long run.

`settings_for(kind, examples, long_run)` sizes them: the suite's run is derandomized
(the same inputs every time, no database), the long run explores with a database.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

from tests.fuzz import harness, mutations
from tests.fuzz.policies import GeneratedPolicy, policies
from tests.fuzz.requests import requests_for

DATABASE = Path(__file__).resolve().parents[2] / ".hypothesis" / "fuzz"


def settings_for(examples: int, long_run: bool) -> settings:
    """The suite's run: the same inputs every time, not shrunk (the long run shrinks what it finds)."""
    phases = list(Phase) if long_run else [Phase.explicit, Phase.generate]
    return settings(
        phases=phases,
        max_examples=examples,
        deadline=None,
        derandomize=not long_run,
        database=DirectoryBasedExampleDatabase(str(DATABASE)) if long_run else None,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        print_blob=not long_run,
    )


# What-if values as an analyst might type them after --set, of every type and some of none.
WHAT_IF_VALUES = (
    "0", "1", "3", "0.5", "1/3", "25%", "0%", "1 months", "1months", "0 days", "10 days", "2026-01-01",
    "true", '"x"', '""', "100 USD", "100", "99999999999999999999", "1E+100", "-1", "1 / 0", "\x00",
)  # fmt: skip


def generated(policy: GeneratedPolicy, data: st.DataObject) -> None:
    """A generated policy loads (or fails located), and decides and explains random requests,
    also with a parameter set to another value (what-if)."""
    harness.STATS["policies generated"] += 1
    requests = data.draw(st.lists(requests_for(policy), max_size=4), label="requests")
    overrides: dict[str, str] = {}
    if policy.parameters and data.draw(st.integers(0, 3), label="what-if") == 0:
        name = data.draw(st.sampled_from(policy.parameters), label="parameter")
        overrides[name] = data.draw(st.sampled_from(WHAT_IF_VALUES), label="value")
    loaded = harness.run_policy_text(policy.text, requests, overrides)
    if loaded is not None:
        harness.STATS["generated policies that passed check"] += 1


SHIPPED_ACTIONS = ("renew", "cancel", "coterminate", "initial", "status", "premium_support")


def rule_folder(folder: mutations.RuleFolder, data: st.DataObject) -> None:
    """A mutated copy of the shipped rule folder loads (or fails located) and decides the examples
    and random requests."""
    harness.STATS["rule folders mutated"] += 1
    shipped = GeneratedPolicy("", SHIPPED_ACTIONS, (("premium_tier", ("weekend", "after_hours")),), ())
    requests = data.draw(st.lists(requests_for(shipped), max_size=2), label="requests")
    harness.run_folder(folder.files, [*harness.example_requests(), *requests], folder.links, folder.changed)


def request_line(line: bytes) -> None:
    harness.STATS["request lines mutated"] += 1
    harness.run_request_line(line)


def jsonl_file(data: bytes) -> None:
    harness.run_cli_jsonl(data)


Target = Callable[[], None]


def target(kind: str, examples: int, long_run: bool) -> Target:
    """The hypothesis test of one kind of input, run `examples` times."""
    chosen = settings_for(examples, long_run)
    if kind == "generated":
        return chosen(given(policies(), st.data())(generated))
    if kind == "rules":
        return chosen(given(mutations.rule_folders(), st.data())(rule_folder))
    if kind == "request":
        return chosen(given(mutations.request_texts())(request_line))
    if kind == "jsonl":
        return chosen(given(mutations.jsonl_files())(jsonl_file))
    raise ValueError(f"no fuzz target {kind!r}")


KINDS = ("generated", "rules", "request", "jsonl")
