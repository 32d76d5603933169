"""The fuzzers at CI size, the replay of every case they found, and checks of the oracles themselves.

Sizes scale with the hypothesis profile (`ci`: 150 examples a test elsewhere); the
inputs are derandomized, so a failure here reproduces on the next run. The long run
is `nox -s fuzz -- --minutes 30`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from tests.fuzz import harness, targets
from tests.fuzz.harness import Unexpected

# Examples per target under the `ci` profile (150 examples a test); other profiles scale.
CI_EXAMPLES = {"generated": 400, "rules": 150, "request": 1000, "jsonl": 100}
# The generator must make policies that pass check, or it tests nothing past the checker.
MIN_PASSING = 0.6


def examples(kind: str) -> int:
    return max(5, CI_EXAMPLES[kind] * settings().max_examples // 150)


@pytest.fixture(autouse=True)
def fresh_stats() -> None:
    harness.STATS.clear()
    harness.KNOWN.skip_known = False


def test_generated_policies_load_decide_and_explain() -> None:
    targets.target("generated", examples("generated"), long_run=False)()
    generated = harness.STATS["policies generated"]
    passed = harness.STATS["generated policies that passed check"]
    assert generated >= examples("generated")
    assert passed >= MIN_PASSING * generated, f"only {passed} of {generated} generated policies passed check"
    assert harness.STATS["requests decided"] > 0


def test_mutated_rule_folders_fail_located_or_decide() -> None:
    targets.target("rules", examples("rules"), long_run=False)()
    assert harness.STATS["rule folders mutated"] >= examples("rules")


def test_mutated_request_lines_fail_located_or_decide() -> None:
    targets.target("request", examples("request"), long_run=False)()
    assert harness.STATS["request lines tried"] >= examples("request")


def test_decide_jsonl_answers_every_line() -> None:
    targets.target("jsonl", examples("jsonl"), long_run=False)()
    assert harness.STATS["jsonl lines"] >= examples("jsonl")


@pytest.mark.parametrize("case", harness.found_cases(), ids=lambda p: p.name)
def test_found_case_gives_only_project_errors(case: Path) -> None:
    harness.replay_case(case)


# -- the oracles themselves


def test_an_exception_of_another_kind_is_unexpected() -> None:
    with pytest.raises(Unexpected, match="load: KeyError"):
        harness.check_project_error(KeyError("x"), "load", {})


def test_an_error_quoting_the_planted_file_is_a_leak() -> None:
    from mespolicy.errors import PolicyLoadError

    with pytest.raises(Unexpected, match="leak"):
        harness.check_project_error(PolicyLoadError(f"cannot read {harness.CANARY}"), "load", {})


def test_a_located_syntax_error_is_expected() -> None:
    harness.run_folder({"bad.mes": b"parameter = = ="}, [])
    assert harness.STATS["policies read"] == 1
    assert harness.STATS["policies loaded"] == 0


def test_a_known_finding_is_counted_once_raised_then_skipped() -> None:
    harness.KNOWN.skip_known = True
    found = Unexpected("load", {}, KeyError("x"))
    harness.KNOWN.signatures.add(found.signature)
    harness.KNOWN.raise_(found)
    assert harness.STATS["unexpected (already found)"] == 1
    harness.KNOWN.signatures.clear()
    with pytest.raises(Unexpected):
        harness.KNOWN.raise_(found)


def test_a_found_case_is_written_and_replayed(tmp_path: Path) -> None:
    found = Unexpected("decide", {"requests.jsonl": b'{"action": "renew"}'}, KeyError("x"))
    written = harness.save_case("request", found, tmp_path)
    assert (written / "requests.jsonl").read_bytes() == b'{"action": "renew"}'
    assert "KeyError" in (written / "FOUND.txt").read_text(encoding="utf-8")
    assert harness.found_cases(tmp_path) == [written]
    harness.replay_case(written)  # a bad request gives a RequestError: expected
