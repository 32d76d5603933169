"""The mespolicy command end to end: exit codes, errors naming files and fields, JSON out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mespolicy.cli import main

EXAMPLES = Path(__file__).parent.parent / "examples"
RULES = Path(__file__).parent.parent / "rules"


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--no-color", *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_check_passes_on_the_shipped_rules() -> None:
    code, out, _ = run("check", str(RULES))
    assert code == 0
    assert "ok" in out


@pytest.mark.parametrize("until", ["parse", "check", "compile"])
def test_check_stops_after_the_pass_asked_for(until: str) -> None:
    code, out, _ = run("check", "--until", until, str(RULES))
    assert code == 0
    summary = {"parse": "files parsed", "check": "parameters", "compile": "actions compiled"}
    assert [word for word in summary.values() if word in out] == [summary[until]]


def test_check_reports_a_broken_file_with_its_position(tmp_path: Path) -> None:
    (tmp_path / "broken.mes").write_text("action a {\n  approve r §1.1 when nope {\n  }\n}\n")
    code, _, err = run("check", str(tmp_path))
    assert code == 2  # a policy error: the exit codes of docs/reference/cli.rst
    assert "broken.mes:2:23: C201: unknown name 'nope'" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", ["decide", "explain"])
def test_a_broken_policy_is_shown_from_the_folder_as_typed(tmp_path: Path, command: str) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "broken.mes").write_text("action a {\n  approve r §1.1 when nope {\n  }\n}\n")
    code, _, err = run(command, "--policy", str(folder), str(EXAMPLES / "renew-late.json"))
    assert code == 2  # the run cannot go on: no request was read
    assert f"{folder}/broken.mes:2:23: C201" in err


def test_decide_prints_the_decision_as_json() -> None:
    code, out, _ = run("decide", str(EXAMPLES / "renew-late.json"))
    assert code == 0
    decision = json.loads(out)
    assert decision["outcome"] == "approved"
    assert decision["total"] == {"amount": "12328.77", "currency": "USD"}
    assert [c["code"] for c in decision["charges"]] == ["renewal", "reinstatement_fee"]
    assert "trace" not in decision, "the trace of rules is left out unless asked"


def test_decide_with_trace_includes_the_rules_considered() -> None:
    code, out, _ = run("decide", "--trace", str(EXAMPLES / "renew-late.json"))
    assert code == 0
    steps = json.loads(out)["trace"]
    assert [step["rule"] for step in steps if step["applied"]] == ["late_renewal"]
    code, out, _ = run("decide", "--jsonl", "--trace", str(EXAMPLES / "portfolio.jsonl"))
    assert code == 0
    assert all(json.loads(line)["trace"] for line in out.splitlines())


def test_decide_explain_includes_the_explained_trace() -> None:
    code, out, _ = run("decide", "--explain", str(EXAMPLES / "renew-late.json"))
    assert code == 0
    fee = next(step for step in json.loads(out)["trace"] if step["rule"] == "reinstatement_fee")
    assert fee["detail"]["amount"] == "328.77 USD"


def test_decide_jsonl_keeps_going_past_a_bad_line_and_fails_at_the_end() -> None:
    good = (EXAMPLES / "renew-late.json").read_text().replace("\n", " ")
    bad = json.loads(good)
    bad["contracts"][0]["annual_fee"] = 12000.5
    lines = "\n".join([good, json.dumps(bad), "{not json", good]) + "\n"
    code, out, _ = run("decide", "--jsonl", "-", stdin=lines)
    assert code == 1
    answers = [json.loads(line) for line in out.splitlines()]
    assert len(answers) == 4
    assert answers[0]["outcome"] == answers[3]["outcome"] == "approved"
    assert answers[1]["error"]["line"] == 2
    assert answers[1]["error"]["field"] == "contracts[0].annual_fee"
    assert answers[1]["error"]["code"] == answers[2]["error"]["code"] == "Q101"
    assert answers[2]["error"]["line"] == 3
    assert "trace" not in answers[0]


def test_decide_names_a_missing_fact() -> None:
    request = json.loads((EXAMPLES / "renew-late.json").read_text())
    del request["contract"]
    code, out, _ = run("decide", "--jsonl", "-", stdin=json.dumps(request) + "\n")
    assert code == 1
    assert json.loads(out)["error"]["field"] == "contract"


def test_decide_every_example_of_the_portfolio() -> None:
    code, out, _ = run("decide", "--jsonl", str(EXAMPLES / "portfolio.jsonl"))
    assert code == 0
    actions = {json.loads(line)["action"] for line in out.splitlines()}
    assert actions == {"renew", "initial", "cancel", "coterminate", "status", "premium_support"}


def test_what_if_changes_the_decision() -> None:
    code, out, _ = run("decide", "--set", "reinstatement_fee_rate=20%", str(EXAMPLES / "renew-late.json"))
    assert code == 0
    # 20% of 12,000.00 x 40/365 = 263.013... -> 263.01
    assert json.loads(out)["total"]["amount"] == "12263.01"


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("reinstatement_fee=20%", "did you mean reinstatement_fee_rate?"),
        ("deferral_grace=2 months", "deferral_grace is a number of days"),
        ("deferral_grace=60dayz", "unknown unit 'dayz'"),
        ("deferral_grace", "write NAME=VALUE"),
        ("reinstatement_fee_rate=20", "is a percentage"),
        (
            "deferral_grace=abc",
            "deferral_grace is a number of days (e.g. 60 days) (now 90 days); 'abc': not such",
        ),
        ("deferral_grace=-5 days", "'-5 days': not such a value"),
        ("deferral_grace=4.5 days", "a duration is a whole number of days or months"),
    ],
)
def test_bad_what_if_is_a_clear_error(assignment: str, message: str) -> None:
    code, _, err = run("decide", "--set", assignment, str(EXAMPLES / "renew-late.json"))
    assert code == 2  # the run cannot go on: no request was read
    assert message in err
    assert "Traceback" not in err


def test_bad_what_if_lists_the_parameters() -> None:
    _, _, err = run("params", "--set", "nothing=1")
    for name in ("renewal_term", "cancellation_notice", "reinstatement_fee_rate", "deferral_grace"):
        assert name in err


def test_explain_shows_rules_values_formulas_and_clauses() -> None:
    code, out, _ = run("explain", str(EXAMPLES / "renew-late.json"))
    assert code == 0
    assert "late_renewal (§8.2, §8.3, §8.4) applied" in out
    assert "timely_renewal (§6.2) did not apply" in out
    # the condition that failed, said as what held instead, with the values it read
    assert "since the date (2026-04-10) is after the expiry (2026-03-01)." in out
    assert "25% × 12,000.00 USD × 40 days / 365 days = 328.77 USD" in out
    # the outcome and the reasons lead; the conditions come last
    assert out.index("Reasons, in the policy's words:") < out.index("Amounts:") < out.index("Conditions")


def test_explain_as_data_puts_formulas_in_the_trace() -> None:
    code, out, _ = run("explain", "--json", str(EXAMPLES / "renew-late.json"))
    assert code == 0
    trace = json.loads(out)["trace"]
    fee = next(step for step in trace if step["rule"] == "reinstatement_fee")
    assert fee["kind"] == "charge"
    assert fee["detail"]["amount"] == "328.77 USD"
    timely = next(step for step in trace if step["rule"] == "timely_renewal")
    assert timely["detail"]["false"] == "date <= expiry"


def test_params_lists_values_clauses_and_basis() -> None:
    code, out, _ = run("params", "--on", "2026-01-01")
    assert code == 0
    row = next(line for line in out.splitlines() if "renewal_notice_lead" in line)
    assert "90 days" in row
    assert "§6.1" in row
    assert "reading" in row


def test_params_on_a_copy_with_a_changed_parameter(tmp_path: Path) -> None:
    copy = tmp_path / "rules"
    copy.mkdir()
    for file in RULES.glob("*.mes"):
        (copy / file.name).write_text(file.read_text())
    text = (copy / "parameters.mes").read_text()
    (copy / "parameters.mes").write_text(text.replace("= 90 days\n  clause §9.1", "= 60 days\n  clause §9.1"))
    _, out, _ = run("params", "--policy", str(copy))
    row = next(line for line in out.splitlines() if "deferral_grace" in line)
    assert "60 days" in row


def test_diff_of_a_rule_text_change_that_changes_no_decision(tmp_path: Path) -> None:
    copy = tmp_path / "rules"
    copy.mkdir()
    for file in RULES.glob("*.mes"):
        (copy / file.name).write_text(file.read_text())
    renewal = (copy / "renewal.mes").read_text()
    assert "last_day" in renewal
    (copy / "renewal.mes").write_text(renewal.replace("last_day", "final_day"))
    code, out, _ = run("diff", "shipped", str(copy), "--requests", str(EXAMPLES / "portfolio.jsonl"))
    assert code == 0
    assert "no decision changed" in out


def _rules_with(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the shipped rules with one text of parameters.mes replaced."""
    copy = tmp_path / "rules"
    copy.mkdir()
    for file in RULES.glob("*.mes"):
        (copy / file.name).write_text(file.read_text())
    text = (copy / "parameters.mes").read_text()
    assert old in text
    (copy / "parameters.mes").write_text(text.replace(old, new))
    return copy


def test_diff_refuses_a_what_if_outside_the_declared_range() -> None:
    portfolio = str(EXAMPLES / "portfolio.jsonl")
    code, _, err = run("diff", "shipped", "shipped", "--set", "days_per_year=0days", "--requests", portfolio)
    assert code == 2
    assert "S502" in err
    assert "days_per_year must be at least 1 day (declared at parameters.mes:" in err


def test_diff_counts_requests_the_new_policy_cannot_decide() -> None:
    code, out, _ = run(
        "diff",
        "shipped",
        "shipped",
        "--set",
        "renewal_term=99999months",
        "--json",
        "--requests",
        str(EXAMPLES / "portfolio.jsonl"),
    )
    assert code == 0
    report = json.loads(out)
    # every request whose new term ends past year 9999 can no longer be decided
    assert report["by_action"] == {"cancel": {"became an error": 1}, "renew": {"became an error": 2}}
    assert report["changes"][0]["fields"][0]["field"] == "error"
    assert "a date is out of range" in report["changes"][0]["fields"][0]["new"]
    assert report["errors"] == []


def test_diff_with_a_what_if_counts_the_changes() -> None:
    code, out, _ = run(
        "diff",
        "shipped",
        "shipped",
        "--set",
        "reinstatement_fee_rate=20%",
        "--requests",
        str(EXAMPLES / "portfolio.jsonl"),
        "--json",
    )
    assert code == 0
    report = json.loads(out)
    # Late renewal: 328.77 -> 263.01; deferral on day 91: 25% -> 20% of 12,000 x 91/365 = 747.95 -> 598.36
    assert report["changed"] == 2
    assert report["by_action"] == {"renew": {"amount changed": 1}, "initial": {"amount changed": 1}}
    assert report["money"]["net"] == {"USD": "-215.35"}
    assert report["money"]["within_approved"]["by_charge"] == {"reinstatement_fee": {"USD": "-215.35"}}
    total = next(f for f in report["changes"][0]["fields"] if f["field"] == "total")
    assert (total["old"]["amount"], total["new"]["amount"]) == ("12328.77", "12263.01")


def test_help_has_examples_for_every_command() -> None:
    for command in ("check", "fmt", "decide", "explain", "test", "params", "diff", "docs"):
        code, out, _ = run(command, "--help")
        assert code == 0
        assert "Examples:" in out, command


def test_a_date_written_in_a_rule_compiles_and_decides(tmp_path: Path) -> None:
    (tmp_path / "policy.mes").write_text(
        "action renew {\n"
        "  approve after_launch §1.1 when date >= 2026-03-01 {\n"
        "    set launched = 2026-03-01\n"
        '    reason "Launched on {date}."\n'
        "  }\n"
        "}\n"
    )
    code, out, _ = run("decide", "--policy", str(tmp_path), str(EXAMPLES / "renew-late.json"))
    assert code == 0
    assert json.loads(out)["launched"] == "2026-03-01"


def test_docs_writes_the_policy_page(tmp_path: Path) -> None:
    code, _, _ = run("docs", "--out", str(tmp_path), "--format", "markdown")
    assert code == 0
    page = (tmp_path / "policy.md").read_text()
    assert "reinstatement_fee_rate" in page
    assert "§8.3" in page


def test_decide_jsonl_survives_dates_and_amounts_out_of_range() -> None:
    base = json.loads((EXAMPLES / "renew-late.json").read_text())
    far = json.loads(json.dumps(base))
    far["contracts"][0]["end"] = "9999-12-31"
    huge = json.loads(json.dumps(base))
    huge["contracts"][0]["annual_fee"] = "1" + "0" * 90
    lines = "\n".join(json.dumps(r) for r in (far, huge, base)) + "\n"
    code, out, err = run("decide", "--jsonl", "-", stdin=lines)
    assert code == 1
    answers = [json.loads(line) for line in out.splitlines()]
    assert answers[0]["error"]["field"] == "contracts[0].end"
    assert answers[1]["error"]["field"] == "contracts[0].annual_fee"
    assert answers[2]["outcome"] == "approved"
    assert "Traceback" not in err


def test_a_longer_renewal_term_is_charged_for_its_length() -> None:
    code, out, _ = run(
        "decide", "--set", "renewal_term=24 months", str(EXAMPLES / "renew-late.json")
    )
    assert code == 0
    decision = json.loads(out)
    assert decision["term"] == {"start": "2026-03-01", "end": "2028-03-01"}
    # two fee years of 12,000.00, and 25% of the 40 days lapsed as before
    assert [c["amount"] for c in decision["charges"]] == ["24000.00", "328.77"]


def test_a_zero_length_renewal_term_is_refused_by_its_declared_range() -> None:
    code, _, err = run("decide", "--set", "renewal_term=0months", str(EXAMPLES / "renew-late.json"))
    assert code == 2
    assert "S502: --set renewal_term=0months: renewal_term must be at least 1 month" in err


def test_a_zero_length_renewal_term_is_an_error_naming_the_rule(tmp_path: Path) -> None:
    # without its declared range, the what-if reaches the rules, which fail with a located error
    untyped = _rules_with(tmp_path, "renewal_term: months in 1 month.. =", "renewal_term =")
    code, out, _ = run(
        "decide",
        "--policy",
        str(untyped),
        "--jsonl",
        "--set",
        "renewal_term=0months",
        str(EXAMPLES / "portfolio.jsonl"),
    )
    assert code == 1
    late = json.loads(out.splitlines()[1])
    assert "rule 'late_renewal'" in late["error"]["message"]
    assert "'first ... where' found no number" in late["error"]["message"]


SEATS_POLICY = """\
enum edition_kind = single | network

record customer "A customer." {
  id: text, key "the customer's number"
}

request "A question about seats." {
  date: date "the decision day"
  customer: customer "who asks"
  edition: edition_kind "the edition licensed"
  seats: integer "the seats licensed"
}

output seats_counted: integer "the seats the answer counted"

action count "Count the seats of a network license." {
  approve network §1.1 when edition == network and seats >= 2 {
    reason "{seats} seats."
    set seats_counted = seats
  }
  reject too_few §1.1 when edition == network and seats < 2 {
    reason "A network license has at least 2 seats."
  }
  reject single §1.1 when edition == single {
    reason "A single-user license."
  }
}
"""

SEATS_REQUEST = {"action": "count", "date": "2026-01-01", "customer": {"id": "C1"}, "edition": "network"}


def _least_seats(seats: int) -> str:
    return SEATS_POLICY.replace(">= 2", f">= {seats}").replace("< 2", f"< {seats}")


def _seats_policy(tmp_path: Path, seats: int = 2) -> tuple[Path, Path]:
    folder = tmp_path / "seats"
    folder.mkdir()
    (folder / "seats.mes").write_text(_least_seats(seats))
    request = tmp_path / "request.json"
    request.write_text(json.dumps({**SEATS_REQUEST, "seats": 3}))
    return folder, request


@pytest.mark.parametrize("command", [("decide",), ("decide", "--jsonl"), ("explain", "--json")])
def test_a_request_is_read_by_the_facts_its_policy_declares(tmp_path: Path, command: tuple[str, ...]) -> None:
    folder, request = _seats_policy(tmp_path)
    code, out, err = run(*command, "--policy", str(folder), str(request))
    assert (code, err) == (0, "")
    decision = json.loads(out)
    assert (decision["outcome"], decision["seats_counted"]) == ("approved", 3)


def test_a_request_missing_a_declared_fact_is_refused_at_that_field(tmp_path: Path) -> None:
    folder, request = _seats_policy(tmp_path)
    request.write_text(json.dumps(SEATS_REQUEST))
    code, out, _ = run("decide", "--jsonl", "--policy", str(folder), str(request))
    assert code == 1
    error = json.loads(out)["error"]
    assert (error["code"], error["field"]) == ("Q101", "seats")


def test_diff_reads_each_request_by_the_facts_both_policies_declare(tmp_path: Path) -> None:
    old, request = _seats_policy(tmp_path)
    new = tmp_path / "stricter"
    new.mkdir()
    (new / "seats.mes").write_text(_least_seats(5))
    code, out, _ = run("diff", str(old), str(new), "--requests", str(request), "--json")
    assert code == 0
    report = json.loads(out)
    assert (report["requests"], report["changed"], report["errors"]) == (1, 1, [])
    assert report["by_action"] == {"count": {"outcome changed": 1}}
    # the rejection has no seats_counted output: listed, as part of the outcome's change
    fields = report["changes"][0]["fields"]
    assert [(f["field"], f["kind"]) for f in fields] == [
        ("outcome", "outcome changed"),
        ("seats_counted", "outcome changed"),
    ]
