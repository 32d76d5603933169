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


def generated(policy: GeneratedPolicy, data: st.DataObject) -> None:
    """A generated policy loads (or fails located), and decides and explains random requests."""
    harness.STATS["policies generated"] += 1
    requests = data.draw(st.lists(requests_for(policy), max_size=4), label="requests")
    loaded = harness.run_policy_text(policy.text, requests)
    if loaded is not None:
        harness.STATS["generated policies that passed check"] += 1


def rule_folder(folder: mutations.RuleFolder) -> None:
    """A mutated copy of the shipped rule folder loads (or fails located) and decides the examples."""
    harness.STATS["rule folders mutated"] += 1
    harness.run_folder(folder.files, harness.example_requests(), folder.links)


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
        return chosen(given(mutations.rule_folders())(rule_folder))
    if kind == "request":
        return chosen(given(mutations.request_texts())(request_line))
    if kind == "jsonl":
        return chosen(given(mutations.jsonl_files())(jsonl_file))
    raise ValueError(f"no fuzz target {kind!r}")


KINDS = ("generated", "rules", "request", "jsonl")
