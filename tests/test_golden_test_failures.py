"""Golden output of `mespolicy test` failures at 80 columns, --no-color: each case a test file and its `.out`.

Each `tests/golden/test-failures/NAME.mes` is added to a copy of the shipped rules and run as
`mespolicy --no-color test rules/tests/NAME.mes` from the copy's project folder; stdout must be
`NAME.out` exactly. After a deliberate change, regenerate with `MESPOLICY_RESET_GOLDEN=1` and
review the diff (as Catala's `--reset`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from mespolicy.cli import main
from mespolicy.loader import shipped_rules

GOLDEN = Path(__file__).resolve().parent / "golden" / "test-failures"
CASES = sorted(GOLDEN.glob("*.mes"))


@pytest.mark.parametrize("case", CASES, ids=[case.stem for case in CASES])
def test_failures_read_as_the_golden_output(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MESPOLICY_POLICY", raising=False)
    shutil.copytree(shipped_rules(), tmp_path / "rules")
    shutil.copy(case, tmp_path / "rules" / "tests" / case.name)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        main, ["--no-color", "test", f"rules/tests/{case.name}"], env={"COLUMNS": "80"}, terminal_width=80
    )
    assert result.exit_code == 1, result.output
    expected = case.with_suffix(".out")
    if os.environ.get("MESPOLICY_RESET_GOLDEN"):
        expected.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == expected.read_text(encoding="utf-8")
    for line in result.stdout.splitlines():
        # the lines of the test language are kept whole, so they paste back; the rest fits in 80 columns
        assert len(line) <= 80 or line.startswith(("  - ", "  + ")), line
    assert "\x1b[" not in result.stdout


def test_every_golden_case_has_its_output() -> None:
    assert CASES, "golden cases of test failures"
    assert all(case.with_suffix(".out").is_file() for case in CASES)
