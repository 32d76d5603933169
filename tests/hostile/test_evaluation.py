"""Hostile and unusual rule files, from the checked policy to decisions (issue 9: 4, 5, 6, 8, 9, 13).

Every policy here either loads and decides, or is refused with a located error
that has a code: never a NameError, TypeError, SyntaxError, RecursionError or
MemoryError from the generated code.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

import mespolicy
from mespolicy import Contract, Customer, License, LicenseKind, Money, Request, Role
from mespolicy.errors import EvaluationError, PolicyFileError
from mespolicy.limits import Limits
from mespolicy.parser import parse
from mespolicy.policy import Policy, from_files

HEADER = """\
parameter notice = 30 days
  clause §1
  source "s"
"""
# 31 digits: three of them multiplied need more than the 80 digits exact arithmetic keeps
DIGITS = "0.1234567890123456789012345678901"


def approval(body: str) -> str:
    """An action `a` whose one rule `r` approves with `body`."""
    return 'action a "a" {\n  approve r §1 {\n    ' + body + "\n  }\n}\n"


def load(text: str, limits: Limits | None = None) -> Policy:
    files = (parse(HEADER + text, "t.mes"),)
    return from_files(files, "t", limits) if limits is not None else from_files(files, "t")


def refused(text: str, limits: Limits | None = None) -> PolicyFileError:
    with pytest.raises(PolicyFileError) as caught:
        load(text, limits)
    return caught.value


def line_of(text: str, needle: str) -> int:
    """The line of the first occurrence of `needle` in HEADER + text (1-based)."""
    return (HEADER + text)[: (HEADER + text).index(needle)].count("\n") + 1


def contract(ident: str = "M1", fee: str = "1200.00", currency: str = "USD") -> Contract:
    return Contract(
        id=ident,
        currency=currency,
        start=date(2025, 1, 1),
        end=date(2026, 1, 1),
        annual_fee=Money(Decimal(fee), currency),
        licenses=("L1",),
    )


def request(action: str = "a", contracts: tuple[Contract, ...] | None = None) -> Request:
    found = contracts if contracts is not None else (contract(),)
    return Request(
        action=action,
        date=date(2026, 4, 10),
        customer=Customer(id="C1", role=Role.CUSTOMER, existing=True),
        contracts=found,
        licenses=(
            License(
                id="L1",
                product="NX",
                kind=LicenseKind.PERPETUAL,
                shipped=date(2025, 1, 1),
                annual_fee=Money(Decimal("1200.00"), "USD"),
            ),
        ),
        contract=found[0] if found else None,
    )


def field(text: str, expression: str, *, extra: str = "") -> object:
    """The value `set x = <expression>` puts in an approval's decision fields."""
    policy = load(extra + 'action a "a" {\n  approve r §1 {\n    set x = ' + expression + "\n  }\n}\n")
    decision = policy.decide(request())
    return dict(decision.fields)["x"]


# -- finding 4: constant folding ------------------------------------------------------------------


def test_a_what_if_on_a_folded_parameter_loads_and_decides() -> None:
    # renewal_term / fee_year is folded; with 1 month it does not terminate (1/12)
    policy = mespolicy.load().with_overrides({"renewal_term": "1 months"})
    text = (Path(__file__).parents[2] / "examples" / "renew-late.json").read_text(encoding="utf-8")
    decision = policy.decide(mespolicy.parse_request_json(text))
    assert decision.outcome is mespolicy.Outcome.APPROVED
    assert decision.total is not None and decision.total.amount > 0


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("1 / 3", Decimal(1) / Decimal(3)),  # a quotient that does not terminate
        ("2 / 8", Decimal("0.25")),
        ("-(7 / 3)", -(Decimal(7) / Decimal(3))),
        ("notice * 2 / 7 days", Decimal(60) / Decimal(7)),
        ("25% / 3", Decimal("0.25") / Decimal(3)),
        ("10 * 3", 30),
        ("123456789012345678901 * 10", 1234567890123456789010),  # too long to write inline
        ("notice - 1 days", 29),
    ],
)
def test_every_kind_of_folded_number_is_bound_in_the_module(expression: str, expected: Decimal) -> None:
    found = field("", expression)
    assert isinstance(found, int | Decimal)
    assert abs(Decimal(found) - Decimal(expected)) < Decimal("1e-20")


@pytest.mark.parametrize(
    ("expression", "amount"),
    [
        ("100.00 USD / 3", "33.33"),
        ("100.00 USD * 2 / 3", "66.67"),
        ("-(100.00 USD / 3)", "-33.33"),
        ("100.00 USD - 0.01 USD", "99.99"),
        ("fee_cap / 3", "166.67"),  # money in the contract's currency
    ],
)
def test_folded_money_is_bound_in_the_module(expression: str, amount: str) -> None:
    extra = 'parameter fee_cap: money = 500\n  clause §1\n  source "s"\n'
    found = field("", expression, extra=extra)
    assert found == Money(Decimal(amount), "USD")


def test_folded_dates_and_durations_are_bound_in_the_module() -> None:
    extra = 'parameter start_day = 2025-01-31\n  clause §1\n  source "s"\n'
    assert field("", "start_day + 1 months", extra=extra) == date(2025, 2, 28)
    assert field("", "start_day - notice", extra=extra) == date(2025, 1, 1)
    assert field("", "(start_day + 1 months) - start_day", extra=extra) == 28


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("1 / 0", "division by zero"),
        ("100.00 USD / (2 - 2)", "division by zero"),
        ("start_day + 99999999 months", "out of range"),
        ("start_day + 999999999 days", "out of range"),
        (f"{DIGITS} * {DIGITS} * {DIGITS}", "too large or too precise"),
        ("100.00 USD + 1.00 EUR", "EUR"),
    ],
)
def test_a_constant_that_cannot_be_computed_is_refused_at_its_expression(expression: str, words: str) -> None:
    extra = 'parameter start_day = 2025-01-31\n  clause §1\n  source "s"\n'
    text = extra + 'action a "a" {\n  approve r §1 {\n    set x = ' + expression + "\n  }\n}\n"
    error = refused(text)
    (diagnostic,) = error.diagnostics
    assert diagnostic.code in ("C219", "C205")
    assert diagnostic.span.line == line_of(text, "set x")
    if diagnostic.code == "C219":
        assert words in diagnostic.message
        assert diagnostic.span.column == (HEADER + text).splitlines()[diagnostic.span.line - 1].index("=") + 3


def test_a_runtime_division_by_zero_names_its_rule() -> None:
    text = 'action a "a" {\n  approve r §1 {\n    set x = 1 / (count(contracts) - 1)\n  }\n}\n'
    policy = load(text)
    with pytest.raises(EvaluationError) as caught:
        policy.decide(request())
    assert caught.value.code == "R302"
    assert caught.value.span is not None and caught.value.span.line == line_of(text, "approve r")
    assert "rule 'r'" in str(caught.value)


def test_a_date_out_of_range_at_decide_time_says_so_in_words() -> None:
    policy = load(
        'action a "a" {\n  approve r §1 {\n    set x = date + count(contracts) * 99999999 months\n  }\n}\n'
    )
    with pytest.raises(EvaluationError) as caught:
        policy.decide(request())
    assert caught.value.code == "R311"
    assert "out of range" in str(caught.value)
    assert "<class" not in str(caught.value)


def test_an_inexact_amount_at_decide_time_says_so_in_words() -> None:
    big = DIGITS
    policy = load(
        'action a "a" {\n  approve r §1 {\n'
        f"    set x = contract.annual_fee * {big} * {big} * {big}\n"
        "  }\n}\n"
    )
    with pytest.raises(EvaluationError) as caught:
        policy.decide(request())
    assert caught.value.code == "R311"
    assert "too large or too precise" in str(caught.value)
    assert "decimal" not in str(caught.value)


# -- finding 5: min and max over request money ----------------------------------------------------


def two_contracts(second_currency: str = "USD") -> tuple[Contract, ...]:
    return (contract("M1", "1200.00"), contract("M2", "3000.00", second_currency))


@pytest.mark.parametrize(("function", "amount"), [("max", "3000.00"), ("min", "1200.00")])
def test_min_and_max_over_request_money(function: str, amount: str) -> None:
    policy = load(
        'action a "a" {\n  approve r §1 {\n    set x = '
        + function
        + "(c.annual_fee for c in contracts)\n  }\n}\n"
    )
    decision = policy.decide(request(contracts=two_contracts()))
    assert dict(decision.fields)["x"] == Money(Decimal(amount), "USD")
    # the explainer computes the same
    policy.explain(request(contracts=two_contracts()))


def test_max_over_money_computed_from_request_money_and_literals() -> None:
    policy = load(
        'action a "a" {\n  approve r §1 {\n'
        "    set x = max(c.annual_fee * 2 - 100.00 USD for c in contracts)\n"
        "    set y = min(c.annual_fee / 3 for c in contracts)\n"
        "    charge z = max(c.annual_fee for c in contracts) - min(c.annual_fee for c in contracts)\n"
        "  }\n}\n"
    )
    decision = policy.decide(request(contracts=two_contracts()))
    fields = dict(decision.fields)
    assert fields["x"] == Money(Decimal("5900.00"), "USD")
    assert fields["y"] == Money(Decimal("400.00"), "USD")
    assert decision.total == Money(Decimal("1800.00"), "USD")


def test_max_over_money_of_several_currencies_is_a_located_error() -> None:
    policy = load(
        'action a "a" {\n  approve r §1 {\n    set x = max(c.annual_fee for c in contracts)\n  }\n}\n'
    )
    with pytest.raises(EvaluationError) as caught:
        policy.decide(request(contracts=two_contracts("EUR")))
    assert caught.value.code == "R303"
    assert caught.value.span is not None


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("max(c.end for c in contracts)", date(2026, 1, 1)),
        ("min(c.end - c.start for c in contracts)", 365),
        ("max((c.end - c.start) / 7 days for c in contracts)", Decimal(365) / Decimal(7)),
        ("min(count(c.licenses) * 1 months for c in contracts)", 1),
    ],
)
def test_min_and_max_over_every_orderable_type(expression: str, expected: object) -> None:
    found = field("", expression)
    if isinstance(expected, Decimal):
        assert isinstance(found, Decimal) and abs(found - expected) < Decimal("1e-20")
    else:
        assert found == expected


# -- finding 6: rules per action, work per decision, code that grows linearly ---------------------


def rejects(count: int) -> str:
    lines = [f'  reject r{i} §1 when contract.id == "c{i}" {{ reason "No {i}." }}\n' for i in range(count)]
    return 'action a "a" {\n' + "".join(lines) + '  approve ok §1 { reason "Yes." }\n}\n'


def test_the_compiled_code_grows_linearly_with_reject_rules() -> None:
    small, large = (len(load(rejects(count)).compiled.source) for count in (150, 300))
    # each reject's trace used to list every earlier reject: twice the rules, about four times the code
    assert large < 2.3 * small


def test_a_late_reject_traces_every_reject_before_it() -> None:
    policy = load(rejects(300))
    decision = policy.decide(request(contracts=(contract("c250"),)))
    assert decision.outcome is mespolicy.Outcome.REJECTED
    assert [step.rule for step in decision.trace] == [f"r{i}" for i in range(251)]
    assert [step.applied for step in decision.trace] == [False] * 250 + [True]
    approved = policy.decide(request(contracts=(contract("none"),)))
    assert [step.rule for step in approved.trace] == [*(f"r{i}" for i in range(300)), "ok"]
    assert [step.applied for step in approved.trace] == [False] * 300 + [True]


def test_too_many_rules_in_one_action_is_l103_at_the_first_rule_too_many() -> None:
    text = rejects(5)
    error = refused(text, Limits(rules_per_action=4))
    (diagnostic,) = error.diagnostics
    assert diagnostic.code == "L103"
    assert diagnostic.span.line == line_of(text, "reject r4 ")
    assert "rules_per_action" in diagnostic.message


def test_thousands_of_approve_rules_load_and_decide_when_the_limit_allows_them() -> None:
    # the overlap check is not quadratic in recursion, nor `c1 + c2 + ...` too deep for Python
    count = 3000
    lines = [f'  approve r{i} §1 when contract.id == "c{i}" {{ reason "Yes." }}\n' for i in range(count)]
    policy = load('action a "a" {\n' + "".join(lines) + "}\n", Limits(rules_per_action=count))
    decision = policy.decide(request(contracts=(contract("c2999"),)))
    assert [step.rule for step in decision.trace if step.applied] == ["r2999"]


def test_two_approvals_of_many_that_both_apply_are_a_conflict() -> None:
    lines = [f'  approve r{i} §1 when contract.id == "c{i}" {{ reason "Yes." }}\n' for i in range(40)]
    lines.append('  approve by_currency §1 when contract.currency == "USD" { reason "Yes." }\n')
    policy = load('action a "a" {\n' + "".join(lines) + "}\n")
    with pytest.raises(EvaluationError) as caught:
        policy.decide(request(contracts=(contract("c7"),)))
    assert caught.value.code == "R308"
    assert "r7, by_currency" in str(caught.value)


def test_nested_searches_are_refused_by_their_work() -> None:
    text = approval('let k = first i from 0 where (first j from 0 where j > i) > 5000\n    reason "x"')
    (diagnostic,) = refused(text).diagnostics
    assert diagnostic.code == "L106"
    assert "work_per_decision" in diagnostic.message
    assert diagnostic.span.line == line_of(text, "let k")
    assert diagnostic.span.column == (HEADER + text).splitlines()[diagnostic.span.line - 1].index("first") + 1


def test_a_definition_calling_the_previous_one_twice_is_refused_where_it_crosses_the_bound() -> None:
    chain = ["define f0(x: integer): integer { x + 1 }\n"]
    chain += [f"define f{i}(x: integer): integer {{ f{i - 1}(x) + f{i - 1}(x) }}\n" for i in range(1, 40)]
    text = "".join(chain) + approval("set y = f39(1)")
    error = refused(text)
    codes = {(d.code, d.span.line) for d in error.diagnostics}
    # 2^n work: f18 is the first over 2,000,000 steps; the definitions calling it are not reported again
    assert ("L106", line_of(text, "define f18(")) in codes
    assert all(code == "L106" for code, _ in codes)
    assert len(codes) == 2  # f18, and the call in the action's rule
    assert all(len(d.message) < 200 for d in error.diagnostics)


@pytest.mark.parametrize("reverse", [False, True])
def test_a_long_chain_of_definitions_is_refused_where_it_nests_too_deep(reverse: bool) -> None:
    # no RecursionError in the checker (the cycle check, the bound) nor at decide time
    chain = ["define f0(x: integer): integer { x + 1 }\n"]
    chain += [f"define f{i}(x: integer): integer {{ f{i - 1}(x) + 1 }}\n" for i in range(1, 1500)]
    text = "".join(reversed(chain) if reverse else chain) + approval("set y = f1499(1)")
    error = refused(text)
    first = error.diagnostics[0]
    assert first.code == "L104" and "nesting_depth" in first.message
    assert first.span.line == line_of(text, "define f50(")


def test_a_long_chain_of_action_lets_is_refused_where_it_nests_too_deep() -> None:
    lets = "".join(f"  let a{i} = a{i - 1} + 1\n" for i in range(1, 1500))
    text = 'action a "a" {\n  let a0 = count(contracts)\n' + lets + "  approve r §1 { set y = a1499 }\n}\n"
    (diagnostic,) = refused(text).diagnostics
    assert diagnostic.code == "L104"
    assert diagnostic.span.line == line_of(text, "let a50 ")


def test_a_chain_within_the_nesting_limit_decides_and_explains() -> None:
    chain = ["define f0(x: integer): integer { x + 1 }\n"]
    chain += [f"define f{i}(x: integer): integer {{ f{i - 1}(x) + 1 }}\n" for i in range(1, 15)]
    lets = "".join(f"  let a{i} = a{i - 1} + 1\n" for i in range(1, 31))
    text = "".join(chain) + 'action a "a" {\n  let a0 = f14(0)\n' + lets
    text += "  approve r §1 when a30 > 0 { set y = a30 }\n}\n"
    policy = load(text)  # 93 deep: each definition and each let adds two
    assert dict(policy.decide(request()).fields)["y"] == 15 + 30
    policy.explain(request())


def test_the_work_bound_follows_the_limits() -> None:
    text = approval("let k = first i from 0 where i > 10\n    set k = k")
    load(text)
    (diagnostic,) = refused(text, Limits(work_per_decision=1_000)).diagnostics
    assert diagnostic.code == "L106"
    load(text, Limits(work_per_decision=1_000, search_span=50))


def test_the_shipped_policy_is_well_under_the_work_bound() -> None:
    from mespolicy.cost import WorkBound

    checked = mespolicy.load().checked
    bound = WorkBound(checked.definitions, checked.bindings, checked.limits.search_span)
    for action in checked.actions.values():
        assert 0 < bound.action(action) <= checked.limits.work_per_decision // 5


@pytest.mark.parametrize("as_let", [True, False])
def test_first_where_searches_the_span_the_limits_give(as_let: bool) -> None:
    search = "first i from 0 where i > count(contracts) * 10"
    body = f"let k = {search}\n    set k = k" if as_let else f"set k = 1 + ({search})"
    policy = load(approval(body), Limits(search_span=5))
    with pytest.raises(EvaluationError) as caught:
        policy.decide(request())
    assert caught.value.code == "R305"
    assert "from 0 to 4" in str(caught.value)
    wide = load(approval(body), Limits(search_span=20))
    assert dict(wide.decide(request()).fields)["k"] == (11 if as_let else 12)


# -- finding 8: generated code that Python cannot compile, names Python holds dear ----------------


def test_an_and_chain_longer_than_pythons_bracket_limit_compiles() -> None:
    # Python allows 200 nested brackets; the chain is written flat, so only the nesting limit counts
    condition = " and ".join(["date > 2020-01-01"] * 250)
    text = 'action a "a" {\n  approve r §1 when ' + condition + ' { reason "Yes." }\n}\n'
    files = (parse(HEADER + text, "t.mes", Limits(nesting_depth=1000)),)
    policy = from_files(files, "t", Limits(nesting_depth=1000))
    assert policy.decide(request()).outcome is mespolicy.Outcome.APPROVED
    (line,) = [line for line in policy.compiled.source.splitlines() if line.strip().startswith("c0 = ")]
    assert line.count(" and ") == 249 and "(((" not in line


def test_code_too_deep_for_python_is_a_located_error() -> None:
    amount = " + ".join(["contract.annual_fee"] * 300)
    text = approval(f"charge c = {amount}")
    limits = Limits(nesting_depth=1000)
    with pytest.raises(PolicyFileError) as caught:
        from_files((parse(HEADER + text, "t.mes", limits),), "t", limits)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "L104"
    assert diagnostic.span.line == line_of(text, "charge c")
    assert "nests too deeply" in diagnostic.message


NESTED: dict[str, tuple[str, str, str]] = {
    # kind: (opening, innermost, closing), each repeated `depth` times around the innermost
    "sum": ("(", "contract.annual_fee", " + contract.annual_fee)"),
    "if": ("if date > contract.end then contract.annual_fee else ", "contract.annual_fee", ""),
    "call": ("f(", "contract.annual_fee", ")"),
    "negate": ("-(", "contract.annual_fee", ")"),
    "max": ("max(", "c.annual_fee", " for c in contracts)"),
    "sum of": ("sum(", "c.annual_fee", " for c in contracts)"),
    "and-or": ('(contract.id == "x" or (', "true", ") and true)"),
    "not": ("not (", "true", ")"),
}


def nested(kind: str, depth: int) -> str:
    """An expression of `kind` nested `depth` deep."""
    opening, innermost, closing = NESTED[kind]
    return opening * depth + innermost + closing * depth


@pytest.mark.parametrize("kind", list(NESTED))
def test_the_deepest_expression_the_parser_allows_compiles_and_decides(kind: str) -> None:
    prelude = "define f(x: money): money { x }\n"
    for depth in range(100, 0, -1):
        expression = nested(kind, depth)
        statement = f"set v = {expression}" if kind in ("and-or", "not") else f"charge c = {expression}"
        text = prelude + approval(statement)
        try:
            parse(HEADER + text, "t.mes")
        except PolicyFileError as error:
            assert error.code == "L104"
            continue
        break
    assert depth > 30
    policy = load(text)
    decision = policy.decide(request())
    assert decision.outcome is mespolicy.Outcome.APPROVED
    policy.explain(request())


def test_loops_nested_deeper_than_pythons_twenty_blocks_compile_and_decide() -> None:
    body = "let k = first i from 1 where i > 2\n    charge c = x.annual_fee * k on x"
    body = f"for x in contracts when x.end > date {{ {body} }}"
    for i in range(40):
        body = f"for y{i} in contracts {{ {body} }}"
    policy = load(approval(body))
    decision = policy.decide(request(contracts=(contract("M1"),)))
    # an approval of an action that can charge has a total, zero when nothing was charged
    assert decision.total in (Money(Decimal("3600.00"), "USD"), Money.zero("USD"))
    policy.explain(request(contracts=(contract("M1"),)))


@pytest.mark.parametrize("name", ["self", "req", "rt", "loc", "trace", "term", "len", "cls", "none"])
def test_a_variable_may_have_any_name(name: str) -> None:
    policy = load(
        'action a "a" {\n'
        f"  let {name} = count(contracts)\n"
        f"  approve r §1 when {name} > 0 {{\n"
        f"    for {name}2 in contracts {{ charge c = {name}2.annual_fee on {name}2 }}\n"
        f"    set n = {name}\n"
        f"    set m = sum({name}3.annual_fee for {name}3 in contracts)\n"
        "  }\n}\n"
    )
    decision = policy.decide(request())
    assert dict(decision.fields)["n"] == 1
    policy.explain(request())


@pytest.mark.parametrize("loop", ["for x in contracts {}", "for x in contracts { for y in x.licenses {} }"])
def test_an_empty_loop_compiles(loop: str) -> None:
    policy = load(approval(loop))
    assert policy.decide(request()).outcome is mespolicy.Outcome.APPROVED


def test_a_loop_variable_named_self() -> None:
    policy = load(approval("for self in contracts { charge c = self.annual_fee on self }"))
    assert policy.decide(request()).total == Money(Decimal("1200.00"), "USD")
    policy.explain(request())


# -- finding 9: the explainer reads what the compiled code read ------------------------------------


@pytest.mark.parametrize(
    "condition",
    [
        "count(contracts) > 5 and date + count(contracts) * 99999999 months > date",
        "not (count(contracts) < 5 or date + count(contracts) * 99999999 months > date)",
        "(if count(contracts) > 5 then date + count(contracts) * 99999999 months else date) > date",
    ],
)
def test_explain_does_not_evaluate_what_decide_skipped(condition: str) -> None:
    text = (
        'action a "a" {\n'
        f'  reject odd §1 when {condition} {{ reason "No." }}\n'
        '  approve ok §1 { reason "Yes." }\n'
        "}\n"
    )
    policy = load(text)
    decision = policy.decide(request())
    assert decision.outcome is mespolicy.Outcome.APPROVED
    explanation = policy.explain(request())
    (odd,) = [r for r in explanation.rules if r.rule.name == "odd"]
    assert odd.applied is False and odd.holds is False
    assert not any("99999999" in name for name, _ in odd.values)


# -- finding 13: reasons ---------------------------------------------------------------------------


@pytest.mark.parametrize("message", ['""', '"   "', '"{blank}"'])
def test_a_reason_that_can_only_be_empty_is_a_check_error(message: str) -> None:
    extra = 'parameter blank = ""\n  clause §1\n  source "s"\n'
    text = extra + approval(f"reason {message}")
    (diagnostic,) = refused(text).diagnostics
    assert diagnostic.code == "C220"
    assert diagnostic.span.line == line_of(text, "reason")
    assert diagnostic.hint is not None


def test_a_reason_with_words_or_a_value_is_fine() -> None:
    load(approval('reason "{date}"'))
    load(approval('reason "Yes {contract.id}."'))


# -- numbers cannot grow past memory ---------------------------------------------------------------


def _squarings(start: str, steps: int, kind: str) -> str:
    lets = "".join(f"  let a{i} = a{i - 1} * a{i - 1}\n" for i in range(1, steps + 1))
    return (
        f'define grown(a0: {kind}): {kind} clause §1 reading "r" {{\n'
        + lets
        + f"  result a{steps}\n}}\n"
        + approval(f"set x = grown({start})")
    )


@pytest.mark.parametrize(
    ("start", "kind"),
    [
        ("count(contracts) + 98", "integer"),
        ("count(contracts) + 98", "number"),
        ("1 / (count(contracts) + 2)", "number"),
    ],
)
def test_a_chain_of_squarings_stops_at_a_located_error_not_at_memory(start: str, kind: str) -> None:
    # 40 squarings would be a number of about 2^40 digits: each product is bounded instead
    policy = load(_squarings(start, 40, kind))
    with pytest.raises(EvaluationError) as caught:
        policy.decide(request())
    assert caught.value.code == "R311"
    assert caught.value.span is not None
    assert "300 digits" in str(caught.value) or "too large" in str(caught.value)


def test_whole_numbers_within_the_bound_multiply_exactly() -> None:
    assert field("", "(count(contracts) + 9) * (count(contracts) + 9) * 1000") == 100_000


# -- the work of one decision grows with the request's lists: counted, and stopped ------------------


def _cotermination(contracts: int, target_end: str) -> dict[str, object]:
    return {
        "action": "coterminate",
        "date": "2025-09-01",
        "customer": {"id": "C1", "role": "customer", "existing": True},
        "contracts": [
            {
                "id": f"M{i}",
                "currency": "USD",
                "start": "2025-01-15",
                "end": f"2026-01-{1 + i % 28:02d}",
                "annual_fee": "3650.00",
                "licenses": [f"L{i}"],
            }
            for i in range(contracts)
        ],
        "target_end": target_end,
    }


def test_a_request_whose_lists_make_the_rules_run_too_long_is_refused_with_r313() -> None:
    # the shipped fee() searches its fee years for each contract: 2,000 contracts and an end
    # nine centuries out took seconds a line; counted, it stops at the limit instead
    policy = mespolicy.load(limits=Limits(work_per_decision=400_000))
    request = mespolicy.parse_request(_cotermination(2_000, "2999-01-15"))
    with pytest.raises(EvaluationError) as caught:
        policy.decide(request)
    assert caught.value.code == "R313"
    assert caught.value.span is not None
    assert "work_per_decision" in str(caught.value)
    small = mespolicy.parse_request(_cotermination(3, "2027-01-15"))
    assert policy.decide(small).outcome.value == "approved"


def test_the_meter_starts_anew_for_each_decision() -> None:
    policy = mespolicy.load(limits=Limits(work_per_decision=400_000))
    request = mespolicy.parse_request(_cotermination(200, "2099-01-15"))
    decisions = {policy.decide(request).total for _ in range(50)}
    assert len(decisions) == 1
