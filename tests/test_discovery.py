"""The policy in force is the one in front of you: every command without --policy reads the edited rules."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from mespolicy.cli import main
from mespolicy.discovery import DiscoveryError, discover, policy_root
from mespolicy.loader import shipped_rules

ROOT = Path(__file__).resolve().parent.parent
RENEW_LATE = ROOT / "examples" / "renew-late.json"
# examples/renew-late.json: 40 days late on 12,000.00 USD a year; 25% of the lapsed fees is 328.77
SHIPPED_FEE, EDITED_FEE = "328.77", "394.52"


def _edited_copy(folder: Path) -> Path:
    """A copy of the shipped rules with the reinstatement fee raised from 25% to 30%."""
    shutil.copytree(shipped_rules(), folder)
    parameters = folder / "parameters.mes"
    text = parameters.read_text(encoding="utf-8")
    assert "parameter reinstatement_fee_rate: rate in 0%..100% = 25%" in text
    parameters.write_text(text.replace("0%..100% = 25%", "0%..100% = 30%"))
    return folder


@pytest.fixture(params=["cwd", "environment", "pyproject"])
def project(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A working folder whose policy is the edited copy, found by ./rules, MESPOLICY_POLICY or pyproject."""
    monkeypatch.delenv("MESPOLICY_POLICY", raising=False)
    (tmp_path / "requests.jsonl").write_text(json.dumps(json.loads(RENEW_LATE.read_text())) + "\n")
    shutil.copy(RENEW_LATE, tmp_path / "renew-late.json")
    if request.param == "cwd":
        _edited_copy(tmp_path / "rules")
        where = tmp_path
    elif request.param == "environment":
        _edited_copy(tmp_path / "elsewhere" / "vendor-rules")
        monkeypatch.setenv("MESPOLICY_POLICY", str(tmp_path / "elsewhere" / "vendor-rules"))
        where = tmp_path
    else:
        _edited_copy(tmp_path / "policy" / "vendor")
        (tmp_path / "pyproject.toml").write_text(
            '[project]\nname = "x"\n\n[tool.mespolicy]\npolicy = "policy/vendor"\n'
        )
        # run from a subfolder: the nearest pyproject.toml upwards counts
        where = tmp_path / "work"
        where.mkdir()
        for name in ("requests.jsonl", "renew-late.json"):
            shutil.move(tmp_path / name, where / name)
    monkeypatch.chdir(where)
    yield request.param


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--no-color", *args])
    return result.exit_code, result.stdout, result.stderr


def test_every_command_without_policy_uses_the_edited_rules(project: str, tmp_path: Path) -> None:
    code, out, _ = _run("decide", "renew-late.json")
    assert code == 0, out
    assert f'"{EDITED_FEE}"' in out and SHIPPED_FEE not in out

    code, out, err = _run("test")
    assert code == 1  # the written cases still expect 25%
    assert f"  - expect charge reinstatement_fee = {SHIPPED_FEE} USD from 2026-03-01 until 2026-04-10" in out
    assert f"  + expect charge reinstatement_fee = {EDITED_FEE} USD from 2026-03-01 until 2026-04-10" in out
    why = {"cwd": "(./rules)", "environment": "(MESPOLICY_POLICY)", "pyproject": "(pyproject.toml)"}[project]
    assert err.startswith("policy: ") and why in err and "sha256:" in err

    code, out, _ = _run("params")
    assert code == 0
    row = next(line for line in out.splitlines() if "reinstatement_fee_rate" in line)
    assert "30%" in row and "25%" not in row

    code, out, _ = _run("explain", "renew-late.json")
    assert code == 0 and EDITED_FEE in out and SHIPPED_FEE not in out

    code, out, _ = _run("docs", "--out", str(tmp_path / "site"), "--format", "markdown")
    assert code == 0, out
    page = (tmp_path / "site" / "policy.md").read_text(encoding="utf-8")
    assert EDITED_FEE in page and "30%" in page

    # diff: OLD left out is the shipped policy, NEW left out the one in front of you
    code, out, _ = _run("diff", "--requests", "requests.jsonl", "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["changed"] == 1, report


def test_the_shipped_policy_when_nothing_else_is_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MESPOLICY_POLICY", raising=False)
    monkeypatch.chdir(tmp_path)
    assert discover().why == "shipped"
    (tmp_path / "rules").mkdir()  # a rules folder without rule files is not a policy
    assert discover().why == "shipped"
    code, out, _ = _run("decide", str(RENEW_LATE))
    assert code == 0 and f'"{SHIPPED_FEE}"' in out


def test_policy_named_on_the_command_line_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MESPOLICY_POLICY", "no-such-folder")
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run("decide", "--policy", str(shipped_rules()), str(RENEW_LATE))
    assert code == 0 and f'"{SHIPPED_FEE}"' in out


@pytest.mark.parametrize(
    ("pyproject", "message"),
    [
        ("[tool.mespolicy]\npolicy = \n", "pyproject.toml: not TOML: Invalid value (at line 2, column 10)"),
        (
            "[tool.mespolicy]\npolicy = 3\n",
            "pyproject.toml: [tool.mespolicy] policy: expected a folder as text, got 3",
        ),
        (
            '[tool.mespolicy]\npolicy = "gone"\n',
            "pyproject.toml: [tool.mespolicy] policy = 'gone': no such rule",
        ),
    ],
)
def test_a_bad_pyproject_setting_is_a_located_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pyproject: str, message: str
) -> None:
    monkeypatch.delenv("MESPOLICY_POLICY", raising=False)
    (tmp_path / "pyproject.toml").write_text(pyproject)
    monkeypatch.chdir(tmp_path)
    for command in (["params"], ["test"], ["check"], ["decide", str(RENEW_LATE)]):
        code, _, err = _run(*command)
        assert code == 2, command
        assert message in err and "Traceback" not in err
    with pytest.raises(DiscoveryError):
        discover()


def test_a_bad_environment_variable_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MESPOLICY_POLICY", str(tmp_path / "missing"))
    code, _, err = _run("params")
    assert code == 2
    assert f"U101: MESPOLICY_POLICY={tmp_path / 'missing'}: no such rule folder or file" in err
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("MESPOLICY_POLICY", str(tmp_path / "empty"))
    code, _, err = _run("explain", str(RENEW_LATE))
    assert code == 2 and "no .mes rule files in this folder" in err


def test_a_file_of_a_tests_folder_belongs_to_the_policy_above(tmp_path: Path) -> None:
    rules = _edited_copy(tmp_path / "rules")
    assert policy_root(rules / "tests" / "renewal.mes") == rules
    assert policy_root(rules / "renewal.mes") == rules


def test_the_order_of_discovery(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """MESPOLICY_POLICY, then the nearest pyproject.toml that sets a policy, then ./rules."""
    monkeypatch.delenv("MESPOLICY_POLICY", raising=False)
    _edited_copy(tmp_path / "vendor")
    _edited_copy(tmp_path / "project" / "rules")
    (tmp_path / "pyproject.toml").write_text('[tool.mespolicy]\npolicy = "vendor"\n')
    # a pyproject.toml without the setting (a subproject's own) is passed over
    (tmp_path / "project" / "pyproject.toml").write_text('[project]\nname = "sub"\n')
    here = tmp_path / "project"
    found = discover(cwd=here, environ={})
    assert (found.why, found.path) == ("pyproject.toml", tmp_path / "vendor")
    assert found.origin == "../vendor"
    found = discover(cwd=here, environ={"MESPOLICY_POLICY": str(here / "rules")})
    assert found.why == "MESPOLICY_POLICY"
    (tmp_path / "pyproject.toml").unlink()
    assert discover(cwd=here, environ={}).why == "./rules"
    assert discover(tmp_path / "vendor", cwd=here, environ={}).why == "--policy"
