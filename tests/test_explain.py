"""Explanations agree with the decisions they explain, amount for amount, and read as the golden files say.

The golden files under `tests/golden/explain/` are the text of `mespolicy --no-color
explain <case>.json` (80 columns) for each request there, compared exactly. After a change
to the wording on purpose, regenerate them and review the diff:

    MESPOLICY_UPDATE_GOLDEN=1 python -m pytest tests/test_explain.py -k golden
"""

from __future__ import annotations

import ast
import os
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import assume, given
from hypothesis import strategies as st

import mespolicy
from mespolicy import Contract, Customer, License, LicenseKind, Money, Request, Role, compiler_explain
from mespolicy.cli import main
from mespolicy.explain import Explanation, Level, render_text
from mespolicy.parser import parse
from mespolicy.policy import from_files

GOLDEN = Path(__file__).parent / "golden" / "explain"
CASES = sorted(path.stem for path in GOLDEN.glob("*.json"))
UPDATE = os.environ.get("MESPOLICY_UPDATE_GOLDEN") == "1"

POLICY = mespolicy.load()


@st.composite
def requests(draw: st.DrawFn) -> Request:
    currency = draw(st.sampled_from(["USD", "JPY", "BHD"]))
    places = {"USD": 2, "JPY": 0, "BHD": 3}[currency]
    fee = Money(Decimal(draw(st.integers(1, 10**8))).scaleb(-places), currency)
    start = draw(st.dates(date(2020, 1, 1), date(2030, 12, 31)))
    end = start + timedelta(days=draw(st.integers(28, 800)))
    contracts = tuple(
        Contract(f"M{i}", currency, start, end + timedelta(days=31 * i), fee, (f"L{i}",))
        for i in range(draw(st.integers(1, 3)))
    )
    kind = draw(st.sampled_from(LicenseKind))
    license = License("L0", "NX", kind, start, fee)
    action = draw(st.sampled_from(["renew", "cancel", "initial", "coterminate", "status", "premium_support"]))
    day = end + timedelta(days=draw(st.integers(-400, 1500)))
    maybe = st.booleans()
    return Request(
        action=action,
        date=day,
        customer=Customer("C1", draw(st.sampled_from(Role)), draw(st.booleans())),
        contracts=contracts,
        licenses=(license,),
        contract=contracts[0] if action in ("renew", "cancel", "status") and draw(maybe) else None,
        license=license if action in ("initial", "premium_support", "status") else None,
        coterminate_with=contracts[-1] if action == "initial" and draw(maybe) else None,
        cancel_licenses=(("L0",) if draw(maybe) else ("L0", "L9"))
        if action == "cancel" and draw(maybe)
        else None,
        target_end=end + timedelta(days=draw(st.integers(-60, 400))) if draw(maybe) else None,
        tier=draw(st.sampled_from(["weekend", "support_cloud"])) if draw(maybe) else None,
    )


def explain_or_none(request: Request) -> Explanation | None:
    """The explanation, or None where the request lacks what its action needs."""
    try:
        return POLICY.explain(request)
    except mespolicy.RequestError:
        return None


@given(requests())
def test_every_explained_amount_is_the_amount_charged(request: Request) -> None:
    explanation = explain_or_none(request)
    assume(explanation is not None)
    assert explanation is not None
    charged = [(c.code, str(c.amount)) for c in explanation.decision.charges]
    explained = [(a.code, a.amount) for a in explanation.amounts]
    assert explained == charged


@given(requests())
def test_the_explainer_reads_each_condition_as_the_compiled_code_did(request: Request) -> None:
    explanation = explain_or_none(request)
    assume(explanation is not None)
    assert explanation is not None
    for rule in explanation.rules:
        assert rule.holds == rule.applied, rule.rule.name


@given(requests())
def test_every_rule_considered_is_named_with_its_clauses(request: Request) -> None:
    explanation = explain_or_none(request)
    assume(explanation is not None)
    assert explanation is not None
    text = render_text(explanation)
    for rule in explanation.rules:
        assert f"{rule.rule.name} (" in text
        for clause in rule.rule.clauses:
            assert clause.text in text


# -- the text a business reader gets


def explain_text(*args: str) -> str:
    result = CliRunner().invoke(main, ["--no-color", "explain", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("case", CASES)
def test_golden_explanation(case: str) -> None:
    out = explain_text(str(GOLDEN / f"{case}.json"))
    expected = GOLDEN / f"{case}.txt"
    if UPDATE:
        expected.write_text(out, encoding="utf-8")
    assert out == expected.read_text(encoding="utf-8")
    assert "\x1b" not in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_the_golden_cases_are_the_ones_promised() -> None:
    assert {"renew-on-time", "renew-late", "renew-past-cutoff", "cancel-late"} <= set(CASES)


def test_the_outcome_and_reasons_lead_and_the_code_does_not() -> None:
    out = explain_text(str(GOLDEN / "renew-late.json"))
    lines = out.splitlines()
    assert lines[0] == "renew: approved"
    assert lines[2] == "Reasons, in the policy's words:"
    # no factors of one, no units left to cancel, no rule text in the conditions
    assert "× 1 " not in out and "12 months / 12 months" not in out
    assert "renewal on M1 (§8.2): 12,000.00 USD" in out
    assert "date > last_day" not in out and "is false" not in out
    assert "since the date (2026-04-10) is on or before the last day (2029-03-01)." in out


@pytest.mark.parametrize(
    ("level", "shown", "left_out"),
    [
        ("reasons", ["Reasons, in the policy's words:", "Term: "], ["Amounts:", "Conditions"]),
        ("amounts", ["Reasons, in the policy's words:", "Amounts:", "Total: 12,328.77 USD"], ["Conditions"]),
        ("full", ["Reasons, in the policy's words:", "Amounts:", "Conditions"], []),
    ],
)
def test_the_level_says_how_much_is_told(level: str, shown: list[str], left_out: list[str]) -> None:
    out = explain_text("--level", level, str(GOLDEN / "renew-late.json"))
    assert all(text in out for text in shown)
    assert not any(text in out for text in left_out)


def test_the_default_level_is_full() -> None:
    path = str(GOLDEN / "renew-late.json")
    assert explain_text(path) == explain_text("--level", "full", path)


def test_a_narrower_text_is_wrapped_to_its_width() -> None:
    explanation = POLICY.explain(POLICY.read_json((GOLDEN / "renew-late.json").read_bytes()))
    text = render_text(explanation, Level.FULL, width=50)
    assert max(len(line) for line in text.splitlines() if "[" not in line) <= 50
    # a number keeps its unit on its line
    assert not any(line.rstrip().endswith(("12,000.00", "40")) for line in text.splitlines())


# -- one semantics: the explaining code decides, explain.py only words it


PRELUDE = (Path(__file__).parent.parent / "rules" / "facts.mes").read_text(encoding="utf-8")


def _policy(body: str) -> mespolicy.Policy:
    return from_files((parse(PRELUDE + body, "t.mes"),), "t")


def _renew(day: str = "2026-04-10") -> dict[str, object]:
    contract: dict[str, object] = {"id": "M1", "currency": "USD", "start": "2025-03-01"}
    contract |= {"end": "2026-03-01", "annual_fee": "12000.00", "licenses": ["L1"]}
    customer = {"id": "C1", "role": "customer", "existing": True}
    return {"action": "renew", "date": day, "customer": customer, "contracts": [contract], "contract": "M1"}


def test_explain_py_evaluates_nothing() -> None:
    """The explainer calls no operation of the language: only `runtime.show` to print a value."""
    source = (Path(mespolicy.__file__).parent / "explain.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    imports = [node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    imported = {alias.name for node in imports for alias in node.names}
    assert "operations" not in imported and "literal_value" not in imported
    used = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "runtime"
    }
    assert used <= {"show", "Cash"}


def test_the_explaining_code_is_compiled_on_first_use_only(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[object] = []
    original = compiler_explain.compile_explaining

    def counted(checked: object) -> compiler_explain.ExplainingPolicy:
        made.append(checked)
        return original(checked)  # type: ignore[arg-type]

    monkeypatch.setattr(compiler_explain, "compile_explaining", counted)
    policy = mespolicy.load()
    request = policy.read_json((GOLDEN / "renew-late.json").read_bytes())
    policy.decide(request)
    assert made == []
    policy.explain(request)
    policy.explain(request)
    assert len(made) == 1


def test_what_a_short_circuit_skipped_is_not_shown() -> None:
    # the right side of the `and` would divide by zero: the deciding code never computes it
    policy = _policy(
        "action renew {\n"
        "  reject r §1.1 when date < contract.end and 1 / count(contract.licenses) > 0 {}\n"
        "  approve a §1.1 when date > contract.end or contract.annual_fee / 0 > 1 USD {}\n"
        "}\n"
    )
    explanation = policy.explain(_renew())
    reject, approve = explanation.rules
    assert dict(reject.values) == {"date": "2026-04-10", "contract.end": "2026-03-01"}
    assert reject.failed == "date < contract.end"
    assert reject.words == "the date (2026-04-10) is on or after the contract's end (2026-03-01)"
    assert dict(approve.values) == {"date": "2026-04-10", "contract.end": "2026-03-01"}
    assert approve.words is not None and "annual fee" in approve.words  # said, though not computed
    assert "annual fee (" not in approve.words


def test_a_definition_called_twice_is_opened_up_with_each_calls_values() -> None:
    policy = _policy(
        "define part(fee: money, k: integer): money { fee * k / 4 }\n"
        "action renew {\n"
        "  approve a §1.1 { charge c = part(contract.annual_fee, 1) + part(contract.annual_fee, 3) }\n"
        "}\n"
    )
    (amount,) = policy.explain(_renew()).amounts
    assert amount.formula == "12,000.00 USD / 4 + 12,000.00 USD × 3 / 4"
    assert amount.amount == "12,000.00 USD"


def test_factors_of_one_are_left_out_and_units_cancel() -> None:
    policy = _policy(
        "action renew {\n"
        "  approve a §1.1 {\n"
        "    charge c = contract.annual_fee * count(contract.licenses) * (12 months / 12 months)\n"
        "    charge d = contract.annual_fee / 12 * (3 months / 1 month)\n"
        "    charge e = 0 USD + contract.annual_fee * 10%\n"
        "  }\n"
        "}\n"
    )
    c, d, e = policy.explain(_renew()).amounts
    assert (c.formula, c.amount) == ("12,000.00 USD", "12,000.00 USD")
    assert (d.formula, d.amount) == ("12,000.00 USD / 12 × 3", "3,000.00 USD")
    assert (e.formula, e.amount) == ("12,000.00 USD × 10%", "1,200.00 USD")
