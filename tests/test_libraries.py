"""Reusable rule libraries: `include library "..."` reads only folders the caller names, and a
library's parameters without a value are given, with their type, by the including policy."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import mespolicy
from mespolicy.cli import main
from mespolicy.errors import MespolicyError, PolicyFileError

CUSTOMER = {"id": "C1", "role": "customer", "existing": True}


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


GIVES = """
parameter fee_year = 12 months
  clause §2.1
  source "Fees count whole years of 12 months."

parameter days_per_year = 365 days
  clause §2.1
  source "A remaining day costs a 365th of the annual fee."
"""

QUOTE = """
action quote "The fee of the contract from its end until the day asked." {
  approve quoted §2.1 {
    reason "The fee from {contract.end} until {date}."
    charge back_fee = fee(contract.annual_fee, contract.end, date)
  }
}
"""


def quote_request(day: str = "2026-04-10") -> object:
    return mespolicy.parse_request(
        {
            "action": "quote",
            "date": day,
            "customer": CUSTOMER,
            "contracts": [
                {
                    "id": "M1",
                    "currency": "USD",
                    "start": "2025-03-01",
                    "end": "2026-03-01",
                    "annual_fee": "12000.00",
                    "licenses": ["L1"],
                }
            ],
            "contract": "M1",
        }
    )


def errors_of(error: MespolicyError) -> list[tuple[str, str]]:
    assert isinstance(error, PolicyFileError)
    return [(d.code, f"{d.span.source.path}:{d.span.line}") for d in error.diagnostics]


def test_the_shipped_fees_library_is_shared_by_another_policy(tmp_path: Path) -> None:
    policy = mespolicy.load(write(tmp_path, {"policy.mes": 'include library "fees.mes"\n' + GIVES + QUOTE}))
    decision = policy.decide(quote_request())
    # fee(12,000.00; 2026-03-01 .. 2026-04-10): 0 whole years, then 40 days:
    # 40 x 12,000 / 365 = 1,315.068... = 1,315.07
    assert [(c.code, str(c.amount.amount)) for c in decision.charges] == [("back_fee", "1315.07")]


def test_a_library_folder_named_by_the_caller(tmp_path: Path) -> None:
    library = write(
        tmp_path / "shared",
        {
            "flat.mes": (
                "parameter flat_fee: money\n\n"
                "define handling(annual: money): money {\n  annual * 0 + flat_fee\n}\n"
            )
        },
    )
    text = 'include library "flat.mes"\n' + QUOTE.replace(
        "fee(contract.annual_fee, contract.end, date)", "handling(contract.annual_fee)"
    )
    text += '\nparameter flat_fee = 150.00 USD\n  clause §2.2\n  source "A flat handling fee."\n'
    folder = write(tmp_path / "policy", {"policy.mes": text})
    # the rule text alone cannot reach the folder
    with pytest.raises(mespolicy.PolicyCheckError) as error:
        mespolicy.load(folder)
    assert errors_of(error.value) == [("C246", "policy.mes:1")]
    decision = mespolicy.load(folder, libraries=[library]).decide(quote_request())
    assert [str(c.amount.amount) for c in decision.charges] == ["150.00"]
    # the command line names it with --library, for every command that loads a policy
    runner = CliRunner()
    request = tmp_path / "r.json"
    request.write_text(json.dumps(mespolicy.request_to_json(quote_request())))
    result = runner.invoke(main, ["--library", str(library), "decide", "--policy", str(folder), str(request)])
    assert result.exit_code == 0, result.output
    assert '"150.00"' in result.stdout
    result = runner.invoke(main, ["--library", str(library), "check", str(folder)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["check", str(folder)])
    assert result.exit_code == 2 and "C246" in result.stderr


def test_a_parameter_the_policy_does_not_give_is_c244_at_the_library(tmp_path: Path) -> None:
    gives_one = GIVES.split("parameter days_per_year")[0]
    write(tmp_path, {"policy.mes": 'include library "fees.mes"\n' + gives_one + QUOTE})
    with pytest.raises(mespolicy.PolicyCheckError) as error:
        mespolicy.load(tmp_path)
    assert errors_of(error.value) == [("C244", "library:fees.mes:11")]
    assert "days_per_year" in error.value.diagnostics[0].message


def test_a_parameter_given_with_another_type_is_c245_at_the_value(tmp_path: Path) -> None:
    wrong = GIVES.replace("parameter fee_year = 12 months", "parameter fee_year = 365 days")
    write(tmp_path, {"policy.mes": 'include library "fees.mes"\n' + wrong + QUOTE})
    with pytest.raises(mespolicy.PolicyCheckError) as error:
        mespolicy.load(tmp_path)
    assert errors_of(error.value) == [("C245", "policy.mes:3")]
    assert "months" in error.value.diagnostics[0].message


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("../fees.mes", "L107"),
        ("a/../../fees.mes", "L107"),
        ("/etc/passwd", "L107"),
        ("C:\\\\fees.mes", "L107"),
        ("", "L108"),
        (".env", "L108"),
        ("notes.txt", "L108"),
        (".hidden/fees.mes", "L108"),
        ("nothing-here.mes", "C246"),
    ],
)
def test_include_library_stays_inside_the_library_folders(tmp_path: Path, written: str, code: str) -> None:
    library = write(
        tmp_path / "shared",
        {"fees.mes": "parameter x = 1\n", ".env": "SECRET=1\n", "notes.txt": "secret\n"},
    )
    folder = write(tmp_path / "policy", {"policy.mes": f'include library "{written}"\n'})
    with pytest.raises(MespolicyError) as error:
        mespolicy.load(folder, libraries=[library])
    assert error.value.code == code
    assert errors_of(error.value) == [(code, "policy.mes:1")]


def test_a_library_file_includes_its_own_folder_and_not_beyond(tmp_path: Path) -> None:
    write(tmp_path, {"secret.mes": "parameter secret = 1\n"})
    library = write(
        tmp_path / "shared",
        {"main.mes": 'include "parts/more.mes"\n', "parts/more.mes": 'include "../../secret.mes"\n'},
    )
    folder = write(tmp_path / "policy", {"policy.mes": 'include library "main.mes"\n'})
    with pytest.raises(MespolicyError) as error:
        mespolicy.load(folder, libraries=[library])
    assert errors_of(error.value) == [("L107", "library:parts/more.mes:1")]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_library_file_that_links_to_a_file_that_is_not_a_rule_file_is_refused(tmp_path: Path) -> None:
    library = write(tmp_path / "shared", {".env": "SECRET=1\n"})
    (library / "fees.mes").symlink_to(library / ".env")
    folder = write(tmp_path / "policy", {"policy.mes": 'include library "fees.mes"\n'})
    with pytest.raises(MespolicyError) as error:
        mespolicy.load(folder, libraries=[library])
    assert errors_of(error.value) == [("L107", "policy.mes:1")]
    assert "SECRET" not in error.value.render()


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_library_file_that_links_outside_its_folder_is_refused(tmp_path: Path) -> None:
    write(tmp_path, {"secret.mes": "parameter secret = 1\n"})
    library = write(tmp_path / "shared", {})
    (library / "fees.mes").symlink_to(tmp_path / "secret.mes")
    folder = write(tmp_path / "policy", {"policy.mes": 'include library "fees.mes"\n'})
    with pytest.raises(MespolicyError) as error:
        mespolicy.load(folder, libraries=[library])
    assert errors_of(error.value) == [("L107", "policy.mes:1")]


def test_the_first_library_folder_that_has_the_file_gives_it(tmp_path: Path) -> None:
    mine = write(tmp_path / "mine", {"fees.mes": "define fee(a: money, b: date, c: date): money { a }\n"})
    folder = write(tmp_path / "policy", {"policy.mes": 'include library "fees.mes"\n' + QUOTE})
    decision = mespolicy.load(folder, libraries=[mine]).decide(quote_request())
    # the caller's fees.mes, not the shipped one: the whole annual fee
    assert [str(c.amount.amount) for c in decision.charges] == ["12000.00"]


def test_the_policy_hash_covers_its_library_files(tmp_path: Path) -> None:
    library = write(
        tmp_path / "shared", {"fees.mes": "define fee(a: money, b: date, c: date): money { a }\n"}
    )
    folder = write(tmp_path / "policy", {"policy.mes": 'include library "fees.mes"\n' + QUOTE})
    before = mespolicy.load(folder, libraries=[library]).decide(quote_request()).policy
    (library / "fees.mes").write_text("define fee(a: money, b: date, c: date): money { a * 2 }\n")
    after = mespolicy.load(folder, libraries=[library]).decide(quote_request()).policy
    assert before is not None and after is not None and before.hash != after.hash


def test_a_librarys_citations_are_checked_against_the_policys_clauses(tmp_path: Path) -> None:
    library = write(
        tmp_path / "shared",
        {
            "fees.mes": (
                'define fee(a: money, b: date, c: date): money\n  clause §8.2\n  reading "x"\n{\n  a\n}\n'
            )
        },
    )
    clauses = 'clauses {\n  §2.1 "Quotes"\n    text "We quote."\n}\n'
    folder = write(tmp_path / "policy", {"policy.mes": 'include library "fees.mes"\n' + clauses + QUOTE})
    with pytest.raises(mespolicy.PolicyCheckError) as error:
        mespolicy.load(folder, libraries=[library])
    assert errors_of(error.value) == [("C241", "library:fees.mes:2")]
