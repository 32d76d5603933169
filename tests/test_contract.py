"""The decision as a contract for other systems: the policy's identity, the caller's ref, the total."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings

import mespolicy
from mespolicy.cli import main
from tests.model.strategies import requests as model_requests
from tests.policy import requests as rq

EXAMPLES = Path(__file__).parent.parent / "examples"
RULES = Path(__file__).parent.parent / "rules"


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--no-color", *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def renew_late(**extra: object) -> dict[str, object]:
    data = json.loads((EXAMPLES / "renew-late.json").read_text())
    assert isinstance(data, dict)
    return {**data, **extra}


@pytest.fixture
def shipped() -> mespolicy.Policy:
    return mespolicy.load()


# ---------------------------------------------------------------- identity


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


TINY = {
    "a.mes": 'policy "Tiny" version "1"\n',
    "b.mes": ('action ping {\n  approve pong §1.1 {\n    reason "Pong."\n  }\n}\n'),
}
PING = {
    "action": "ping",
    "date": "2026-01-01",
    "customer": {"id": "C1", "role": "customer", "existing": True},
}


def test_the_hash_is_of_the_files_places_and_bytes_in_a_defined_order(tmp_path: Path) -> None:
    policy = mespolicy.load(write(tmp_path, TINY))
    # worked here from the rule stated in mespolicy.identity, not with the code under test
    expected = hashlib.sha256()
    # TINY declares no request facts, so it reads the standard ones: they decide too
    standard = (RULES / "facts.mes").read_text(encoding="utf-8")
    files = {**TINY, "standard:facts.mes": standard}
    for name in sorted(files):
        data = files[name].encode("utf-8")
        expected.update(name.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
    decision = policy.decide(mespolicy.parse_request(PING))
    assert decision.policy == mespolicy.PolicyIdentity("Tiny", "1", "sha256:" + expected.hexdigest())


@pytest.fixture
def elsewhere(tmp_path: Path) -> Iterator[Path]:
    """The shipped rules copied to another folder, the working directory changed to a third."""
    copy = tmp_path / "deep" / "copy"
    shutil.copytree(RULES, copy)
    before = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield copy
    finally:
        os.chdir(before)


def test_the_hash_is_the_same_from_any_folder_and_working_directory(
    shipped: mespolicy.Policy, elsewhere: Path
) -> None:
    request = mespolicy.parse_request_json((EXAMPLES / "renew-late.json").read_text())
    here = shipped.decide(request).policy
    there = mespolicy.load(os.path.relpath(elsewhere)).decide(request).policy
    assert here is not None and here == there


def test_the_hash_changes_with_a_byte_or_a_file_name(tmp_path: Path) -> None:
    def identity(files: dict[str, str], name: str) -> mespolicy.PolicyIdentity | None:
        return mespolicy.load(write(tmp_path / name, files)).decide(mespolicy.parse_request(PING)).policy

    first = identity(TINY, "first")
    changed = identity({**TINY, "a.mes": TINY["a.mes"] + " "}, "changed")
    renamed = identity({"c.mes": TINY["a.mes"], "b.mes": TINY["b.mes"]}, "renamed")
    tests_added = identity({**TINY, "tests/t.mes": "# the tests decide nothing\n"}, "tests")
    assert first is not None and changed is not None and renamed is not None
    assert len({first.hash, changed.hash, renamed.hash}) == 3
    # the tests beside the rules are not part of the policy
    assert tests_added == first


def test_a_policy_without_a_policy_line_has_no_name_but_a_hash(tmp_path: Path) -> None:
    policy = mespolicy.load(write(tmp_path, {"b.mes": TINY["b.mes"]}))
    found = policy.decide(mespolicy.parse_request(PING)).policy
    assert found is not None and (found.name, found.version) == (None, None)
    assert found.hash.startswith("sha256:")


def test_a_policy_named_twice_is_a_check_error(tmp_path: Path) -> None:
    write(tmp_path, {**TINY, "c.mes": 'policy "Other"\n'})
    with pytest.raises(mespolicy.PolicyCheckError) as error:
        mespolicy.load(tmp_path)
    assert [(d.code, d.span.source.path, d.span.line) for d in error.value.diagnostics] == [
        ("C243", "c.mes", 1)
    ]


def test_identity_command_prints_what_decisions_carry(shipped: mespolicy.Policy) -> None:
    code, out, _ = run("identity")
    assert code == 0
    request = mespolicy.parse_request_json((EXAMPLES / "renew-late.json").read_text())
    carried = mespolicy.decision_to_json(shipped.decide(request))["policy"]
    assert json.loads(out) == carried


def test_version_prints_the_library_version() -> None:
    code, out, _ = run("--version")
    assert code == 0
    assert out == f"mespolicy {mespolicy.__version__}\n"


# ---------------------------------------------------------------- ref


def _host_with_ref(request: Any, ref: str) -> object:
    """The request as the host system's own object (read by attribute), carrying `ref`."""
    names = ("action", *(name for name in request.__slots__ if not name.startswith("_")))
    return types.SimpleNamespace(**{name: getattr(request, name) for name in names if name != "ref"}, ref=ref)


def test_the_decision_echoes_the_requests_ref(shipped: mespolicy.Policy) -> None:
    request = mespolicy.parse_request(renew_late(ref="ticket 4711 / row 12"))
    decision = shipped.decide(request)
    assert decision.ref == "ticket 4711 / row 12"
    assert mespolicy.decision_to_json(decision)["ref"] == "ticket 4711 / row 12"
    assert mespolicy.request_to_json(request)["ref"] == "ticket 4711 / row 12"
    # built in Python, the same
    built = _host_with_ref(rq.renew("2026-04-10", "2025-03-01", "2026-03-01"), "R-1")
    assert shipped.decide(built).ref == "R-1"


def test_a_ref_is_text_of_bounded_length(shipped: mespolicy.Policy) -> None:
    with pytest.raises(mespolicy.RequestError) as error:
        mespolicy.parse_request(renew_late(ref=12))
    assert (error.value.field, error.value.code) == ("ref", "Q101")
    with pytest.raises(mespolicy.RequestError) as error:
        mespolicy.parse_request(renew_late(ref="x" * 201))
    assert (error.value.field, error.value.code) == ("ref", "Q205")
    # the API path keeps the same bound
    built = _host_with_ref(rq.renew("2026-04-10", "2025-03-01", "2026-03-01"), "x" * 201)
    with pytest.raises(mespolicy.RequestError) as error:
        shipped.decide(built)
    assert (error.value.field, error.value.code) == ("ref", "Q205")


def test_a_json_lines_error_carries_code_field_line_and_the_ref() -> None:
    bad = renew_late(ref="row 2")
    bad["date"] = "2026-02-30"
    unknown_action = renew_late(ref="row 3", action="reinstate")
    lines = [json.dumps(renew_late(ref="row 1")), json.dumps(bad), json.dumps(unknown_action), "{"]
    code, out, _ = run("decide", "--jsonl", "-", stdin="\n".join(lines) + "\n")
    assert code == 1
    answers = [json.loads(line) for line in out.splitlines()]
    assert answers[0]["ref"] == "row 1"
    assert {k: answers[1]["error"][k] for k in ("line", "code", "field", "ref")} == {
        "line": 2,
        "code": "Q101",
        "field": "date",
        "ref": "row 2",
    }
    assert (answers[2]["error"]["field"], answers[2]["error"]["ref"]) == ("action", "row 3")
    # JSON that cannot be read has no ref to echo
    assert (answers[3]["error"]["line"], answers[3]["error"]["ref"]) == (4, None)


# ---------------------------------------------------------------- total


def test_an_approval_of_an_action_that_can_charge_has_a_total_even_of_zero(
    shipped: mespolicy.Policy,
) -> None:
    # notice 30 days before expiry: approved, nothing charged (cancel charges when a notice is late)
    decision = shipped.decide(rq.cancel("2026-01-30", "2025-03-01", "2026-03-01"))
    assert decision.outcome is mespolicy.Outcome.APPROVED and decision.charges == ()
    assert mespolicy.decision_to_json(decision)["total"] == {"amount": "0.00", "currency": "USD"}


def test_a_rejection_and_an_action_that_never_charges_have_no_total(shipped: mespolicy.Policy) -> None:
    rejected = shipped.decide(rq.renew("2030-03-02", "2026-03-01", "2027-03-01"))
    assert rejected.outcome is mespolicy.Outcome.REJECTED
    assert mespolicy.decision_to_json(rejected)["total"] is None
    status = shipped.decide(mespolicy.parse_request(renew_late(action="status", date="2026-01-01")))
    assert status.outcome is mespolicy.Outcome.APPROVED
    assert mespolicy.decision_to_json(status)["total"] is None


@settings(max_examples=60, deadline=None)
@given(request=model_requests())
def test_every_decision_echoes_its_requests_ref_and_names_its_policy(request: mespolicy.Request) -> None:
    policy = _shipped()
    try:
        decision = policy.decide(request)
    except (mespolicy.RequestError, mespolicy.EvaluationError):
        return
    assert decision.ref == request.ref
    assert decision.policy is not None and decision.policy.name == "ME&S policy"
    assert mespolicy.decision_to_json(decision)["ref"] == request.ref


@functools.cache
def _shipped() -> mespolicy.Policy:
    return mespolicy.load()
