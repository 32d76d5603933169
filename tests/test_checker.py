"""Checker: the shipped policy checks, expressions get their types, errors are all reported in order.

The broken files of tests/bad cover one error class each; these tests cover what
a bad file cannot show: types and bindings of a policy that checks, hints, the
order of many errors, the overlap detector's cases and the engine's own source.
"""

from __future__ import annotations

import ast
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

import mespolicy
from mespolicy import nodes as n
from mespolicy import types as t
from mespolicy.checked import CheckedPolicy, EnumValue, FactRef, Local, ParameterRef
from mespolicy.checker import check
from mespolicy.errors import Diagnostic, PolicyCheckError
from mespolicy.loader import read_policy, shipped_rules
from mespolicy.overlap import overlapping_rules
from mespolicy.parser import parse
from tests import standard as schema

PRELUDE = """\
parameter notice = 30 days
  clause §10.1
  source "Notice period."
parameter rate = 25%
  clause §8.3
  source "Reinstatement fee rate."
parameter fee_cap: money = 500
  clause §8.2
  reading "A cap, in the contract's currency."
enum premium_tier = after_hours | weekend
  clause §4.2
  source "Tiers."
define double(amount: money): money {
  amount * 2
}
"""
PRELUDE_LINES = PRELUDE.count("\n")


def checked(text: str, path: str = "t.mes") -> CheckedPolicy:
    return check((parse(text, path),))


def errors(text: str) -> list[Diagnostic]:
    """The diagnostics of a policy that must not check (PRELUDE is not added)."""
    with pytest.raises(PolicyCheckError) as caught:
        checked(text)
    return list(caught.value.diagnostics)


def probe(expression: str) -> tuple[CheckedPolicy, n.Expr]:
    """Check `let probe = <expression>` in an action after PRELUDE; the policy and the expression."""
    policy = checked(f"{PRELUDE}action probe {{\n  let probe = {expression}\n}}\n")
    return policy, policy.actions["probe"].lets[0].value


def type_of(expression: str) -> t.Type:
    policy, expr = probe(expression)
    return policy.type_of(expr)


# -- the shipped policy ----------------------------------------------------------------------------


def test_the_shipped_rules_check_cleanly() -> None:
    policy = check(read_policy(shipped_rules()))
    assert set(policy.actions) == {
        "cancel",
        "coterminate",
        "initial",
        "premium_support",
        "renew",
        "status",
    }
    assert policy.parameters["renewal_term"].type == t.MONTHS
    assert policy.parameters["reinstatement_fee_rate"].type == t.RATE
    assert policy.definitions["fee"].returns == t.MONEY
    assert "weekend" in policy.enums["premium_tier"].members


def test_every_expression_of_the_shipped_rules_has_a_type() -> None:
    policy = check(read_policy(shipped_rules()))
    for action in policy.actions.values():
        for rule in action.rules:
            if rule.condition is not None:
                assert policy.type_of(rule.condition) == t.BOOL
        for let in action.lets:
            assert not isinstance(policy.type_of(let.value), t.Unknown)


# -- types ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("date - contract.end", t.DAYS),
        ("date + notice", t.DATE),
        ("contract.end + 12 months", t.DATE),
        ("contract.end - 12 months", t.DATE),
        ("2 * 12 months", t.MONTHS),
        ("12 months * 2", t.MONTHS),
        ("notice + 5 days", t.DAYS),
        ("(date - contract.end) / notice", t.NUMBER),
        ("1 + 2", t.INTEGER),
        ("1.5 + 2", t.NUMBER),
        ("3 / 2", t.NUMBER),
        ("25%", t.RATE),
        ("rate", t.RATE),
        ("contract.annual_fee * rate", t.MONEY),
        ("rate * contract.annual_fee", t.MONEY),
        ("contract.annual_fee / 2", t.MONEY),
        ("contract.annual_fee / contract.annual_fee", t.NUMBER),
        ("fee_cap", t.MONEY),
        ("100 USD", t.Money("USD")),
        ("100 USD + 5 USD", t.Money("USD")),
        ("100 USD + fee_cap", t.Money("USD")),
        ("-notice", t.DAYS),
        ("contract.end > date", t.BOOL),
        ("not given contract", t.BOOL),
        ("license.id in contract.licenses", t.BOOL),
        ("license.id not in contract.licenses", t.BOOL),
        ("count(contracts)", t.INTEGER),
        ("distinct(c.currency for c in contracts)", t.INTEGER),
        ("max(c.end for c in contracts)", t.DATE),
        ("min(c.annual_fee for c in contracts when c.end > date)", t.MONEY),
        ("sum(c.annual_fee for c in contracts)", t.MONEY),
        ("any(c.end < date for c in contracts)", t.BOOL),
        ("if given contract then 1 else 2.5", t.NUMBER),
        ("first k from 1 where contract.end + k * 12 months > date", t.INTEGER),
        ("double(contract.annual_fee)", t.MONEY),
        ('"ends on {contract.end}"', t.TEXT),
        ("2024-02-29", t.DATE),
        ("contract.licenses", t.ListOf(t.TEXT)),
        ("contracts", t.ListOf(schema.CONTRACT)),
        ("coterminate_with", schema.CONTRACT),
        ("customer.role", schema.ROLE),
    ],
)
def test_type_of_expressions(expression: str, expected: t.Type) -> None:
    assert type_of(expression) == expected


def test_the_parts_of_an_expression_have_their_types_too() -> None:
    policy, expr = probe("contract.end + notice > date")
    assert isinstance(expr, n.Binary) and isinstance(expr.left, n.Binary)
    assert policy.type_of(expr.left) == t.DATE
    assert policy.type_of(expr.left.left) == t.DATE
    assert policy.type_of(expr.left.right) == t.DAYS
    assert policy.type_of(expr.right) == t.DATE


def test_names_are_bound_to_what_they_refer_to() -> None:
    policy, expr = probe("date + notice")
    assert isinstance(expr, n.Binary)
    assert isinstance(expr.left, n.Name) and isinstance(expr.right, n.Name)
    assert policy.binding_of(expr.left) == FactRef("date")
    assert policy.binding_of(expr.right) == ParameterRef("notice")
    policy = checked("action a {\n  let expiry = contract.end\n  let later = expiry + 1 days\n}\n")
    later = policy.actions["a"].lets[1].value
    assert isinstance(later, n.Binary) and isinstance(later.left, n.Name)
    assert policy.binding_of(later.left) == Local("expiry")


# -- enums -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "enum", "member"),
    [
        ("weekend", "premium_tier", "weekend"),
        ("premium_tier.after_hours", "premium_tier", "after_hours"),
        ("perpetual", "license_kind", "perpetual"),
        ("partner", "role", "partner"),
    ],
)
def test_enum_members_resolve(expression: str, enum: str, member: str) -> None:
    policy, expr = probe(expression)
    assert policy.type_of(expr) == policy.enums[enum]
    name = expr.subject if isinstance(expr, n.FieldAccess) else expr
    assert isinstance(name, n.Name)
    assert policy.binding_of(name) == EnumValue(enum, member)


def test_an_enum_fact_takes_the_declared_enum() -> None:
    assert type_of("tier") == t.EnumType("premium_tier", ("after_hours", "weekend"))
    assert type_of("tier == weekend") == t.BOOL


def test_an_enum_fact_needs_its_enum_declared() -> None:
    (error,) = errors("action a {\n  approve r §1 when given tier { set tier = tier }\n}\n")
    assert (error.code, error.span.line, error.span.column) == ("C201", 2, 45)
    assert error.message.startswith("the request fact 'tier' takes its values from")
    assert error.hint == "declare it: enum premium_tier = ... | ..."


def test_a_value_of_another_enum_does_not_compare() -> None:
    (error,) = errors(PRELUDE + "action a {\n  approve r §1 when tier == perpetual { }\n}\n")
    assert error.code == "C203"
    assert error.message.startswith("cannot compare")


# -- given ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fact", [f.name for f in schema.FACTS.values() if f.optional and f.name != "tier"])
def test_given_tests_an_optional_fact(fact: str) -> None:
    assert type_of(f"given {fact}") == t.BOOL


@pytest.mark.parametrize("fact", ["date", "customer", "contracts", "licenses", "expiry"])
def test_given_on_anything_else_is_an_error_that_lists_the_optional_facts(fact: str) -> None:
    (error,) = errors(f"action a {{\n  approve r §1 when given {fact} {{ }}\n}}\n")
    assert (error.code, error.span.line, error.span.column) == ("C213", 2, 21)
    assert error.message == f"'given' tests an optional request fact, and '{fact}' is not one"
    assert error.hint is not None
    assert error.hint.startswith("optional facts: contract, license")


# -- did you mean ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("action a { approve r §1 when date > contract.end + notise { } }", "did you mean 'notice'?"),
        (
            "action a { let expiry = contract.end\n approve r §1 when expirry > date { } }",
            "did you mean 'expiry'?",
        ),
        ("action a { approve r §1 when contrat.end > date { } }", "did you mean 'contract'?"),
        ("action a { approve r §1 when license.kind == perpetul { } }", "did you mean 'perpetual'?"),
        ("action a { approve r §1 { charge c = doubel(contract.annual_fee) } }", "did you mean 'double'?"),
        ("action a { approve r §1 when contract.annual_fees > 1 USD { } }", "did you mean 'annual_fee'?"),
        ("define f(x: datee): date { x }", "did you mean 'date'?"),
        ("define f: monye { 1 USD }", "did you mean 'money'?"),
    ],
)
def test_did_you_mean(text: str, hint: str) -> None:
    (error,) = errors(PRELUDE + text)
    assert error.hint == hint


def test_no_hint_when_nothing_is_close() -> None:
    (error,) = errors(PRELUDE + "action a { approve r §1 when zzzzzz { } }")
    assert (error.code, error.hint) == ("C201", None)


def test_an_unknown_field_lists_the_fields_when_nothing_is_close() -> None:
    (error,) = errors("action a { approve r §1 when contract.zzzzzz > date { } }")
    assert error.hint == "fields: id, currency, start, end, annual_fee, licenses"


def test_a_duplicate_points_at_the_first_definition() -> None:
    (error,) = errors(PRELUDE + 'parameter rate = 30%\n  clause §8.3\n  source "Again."\n')
    assert (error.code, error.span.line) == ("C202", PRELUDE_LINES + 1)
    assert error.hint == "first defined at t.mes:4:1"


# -- parameters with dated values -------------------------------------------------------------------------


def test_dated_parameter_values_are_kept_in_order_with_their_type() -> None:
    policy = checked(
        "parameter notice = 30 days from 2024-01-01\n"
        "  = 45 days from 2025-01-01\n"
        "  = 60 days from 2026-07-01\n"
        "  clause §10.1\n"
        '  source "Raised twice."\n'
    )
    parameter = policy.parameters["notice"]
    assert parameter.type == t.DAYS
    assert [effective for effective, _ in parameter.values] == [
        date(2024, 1, 1),
        date(2025, 1, 1),
        date(2026, 7, 1),
    ]
    assert [literal for _, literal in parameter.values] == [
        n.DurationLiteral(days, n.Unit.DAYS, span=parameter.node.span) for days in (30, 45, 60)
    ]


def test_the_first_value_may_hold_since_always() -> None:
    policy = checked('parameter cap: money = 100 = 120 from 2025-01-01 clause §8.2 source "s"')
    parameter = policy.parameters["cap"]
    assert parameter.type == t.MONEY
    assert [effective for effective, _ in parameter.values] == [None, date(2025, 1, 1)]
    assert [literal for _, literal in parameter.values][1] == n.NumberLiteral(
        Decimal(120), span=parameter.node.span
    )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ("= 1 days from 2025-01-01 = 2 days from 2024-01-01", "values must take effect in date order"),
        ("= 1 days from 2025-01-01 = 2 days from 2025-01-01", "values must take effect in date order"),
        ("= 1 days = 2 days", "only the first value may leave out its date"),
        ("= 1 days from 2025-01-01 = 2 days", "only the first value may leave out its date"),
    ],
)
def test_dated_values_out_of_order_are_reported_at_the_later_value(values: str, message: str) -> None:
    (error,) = errors(f'parameter p {values} clause §1 source "s"')
    assert error.code == "C214"
    assert error.message.startswith(message)
    assert error.span.column == values.index("=", 1) + len("parameter p ") + 1


def test_dated_values_share_one_type() -> None:
    (error,) = errors('parameter p = 30 days from 2024-01-01 = 1 months from 2025-01-01 clause §1 source "s"')
    assert (error.code, error.message) == ("C203", "parameter 'p' is days, but this value is months")
    assert error.span.column == 39


def test_dated_values_of_declared_money_share_one_currency() -> None:
    (error,) = errors(
        'parameter cap: money = 100 USD from 2024-01-01 = 100 EUR from 2025-01-01 clause §1 source "s"'
    )
    assert error.code in ("C203", "C205")
    assert error.span.column == 48


# -- errors: all of them, in order, without follow-ons -------------------------------------------------


def test_all_errors_are_reported_sorted_by_position() -> None:
    found = errors(
        "action a {\n"
        "  approve r §1 when date > expirty { }\n"  # found last: actions are checked last
        "}\n"
        "define f: money { 1 days }\n"
        "parameter p = 1 days\n"
        "  clause §1\n"
    )
    assert [(d.span.line, d.code) for d in found] == [(2, "C201"), (4, "C203"), (5, "C207")]


def test_errors_of_several_files_are_sorted_by_file_then_position() -> None:
    later = parse("action b {\n  approve r §1 when zzz { }\n}\n", "b.mes")
    earlier = parse('parameter p = 1 days\n  source "s"\naction a {\n  approve q { }\n}\n', "a.mes")
    with pytest.raises(PolicyCheckError) as caught:
        check((later, earlier))
    assert [(str(d.span), d.code) for d in caught.value.diagnostics] == [
        ("a.mes:1:1", "C206"),
        ("a.mes:4:3", "C206"),
        ("b.mes:2:21", "C201"),
    ]


def test_a_check_error_has_the_code_of_its_first_diagnostic() -> None:
    with pytest.raises(PolicyCheckError) as caught:
        checked("action a {\n  approve r when zzz { }\n}\n")
    assert [d.code for d in caught.value.diagnostics] == ["C206", "C201"]
    assert caught.value.code == "C206"
    assert caught.value.render().endswith("2 errors")


def test_a_flood_of_errors_is_cut_to_the_first_fifty() -> None:
    lines = "".join(f"  approve r{i} §1 when zzz{i} {{ }}\n" for i in range(60))
    found = errors(f"action a {{\n{lines}}}\n")
    assert len(found) == 50
    assert [d.span.line for d in found] == list(range(2, 52))


def test_a_cut_flood_says_how_many_errors_there_were() -> None:
    lines = "".join(f"  approve r{i} §1 when zzz{i} {{ }}\n" for i in range(60))
    with pytest.raises(PolicyCheckError) as caught:
        checked(f"action a {{\n{lines}}}\n")
    assert "60" in caught.value.render().splitlines()[-1]


@pytest.mark.parametrize(
    ("expression", "code"),
    [
        ("zzz + 1 days > date and not zzz", "C201"),
        ("contract.zzz - date > 30 days", "C212"),
        ("max(c.zzz for c in contracts) + 1 days < date", "C212"),
        ("any(c.end < zzz for c in contracts)", "C201"),
        ("if zzz then true else false", "C201"),
        ("double(zzz) > contract.annual_fee", "C201"),
        ("count(c for c in zzz) > 1", "C201"),
        ("zzz in contract.licenses", "C201"),
        ("-zzz < 1 days", "C201"),
        ("contract.end.zzz > date", "C212"),
    ],
)
def test_an_error_deep_in_an_expression_is_its_only_error(expression: str, code: str) -> None:
    found = errors(PRELUDE + f"action a {{\n  approve r §1 when {expression} {{ }}\n}}\n")
    assert [d.code for d in found] == [code] * expression.count("zzz")


def test_a_failed_definition_type_silences_its_uses() -> None:
    (error,) = errors(
        "define f(x: mony): money { x * 2 }\naction a { approve r §1 { charge c = f(1 days) } }"
    )
    assert error.code == "C215"


def test_a_loop_over_an_unknown_list_is_quiet_inside() -> None:
    (error,) = errors(
        "action a {\n  approve r §1 {\n"
        "    for c in contrcts when c.end < date { charge x = c.fee * 2 on c }\n"
        "  }\n}\n"
    )
    assert (error.code, error.message) == ("C201", "unknown name 'contrcts'")


def test_a_parameter_without_value_is_reported_once() -> None:
    found = errors(
        'parameter p\n  clause §1\n  source "s"\n'
        "action a {\n  approve r §1 when date > contract.end + p { }\n}\n"
    )
    assert [d.code for d in found] == ["C214"]


def test_a_duplicate_definition_is_reported_once() -> None:
    found = errors("define f: integer { 1 }\ndefine f: money { 1 USD }\n")
    assert [(d.span.line, d.code) for d in found] == [(2, "C202")]


def test_a_wrong_result_type_reads_well() -> None:
    (error,) = errors("define f: money { 1 }")
    assert error.code == "C203"
    assert "returns needs" not in error.message


def test_a_call_with_one_parameter_says_argument() -> None:
    (error,) = errors(PRELUDE + "action a { approve r §1 { charge c = double(1 USD, 2 USD) } }")
    assert error.code == "C210"
    assert error.message == "'double' takes 1 argument, 2 given"


def test_a_wrong_argument_type_is_reported_at_the_argument() -> None:
    (error,) = errors(PRELUDE + "action a {\n  approve r §1 { charge c = double(1 days) }\n}\n")
    assert (error.code, error.span.line, error.span.column) == ("C203", PRELUDE_LINES + 2, 36)
    assert error.message == "argument 'amount' of 'double' needs a money, but this is a duration in days"


# -- rules of one action that can both apply ---------------------------------------------------------------


def rules(*conditions: str) -> tuple[n.Rule, ...]:
    body = " ".join(
        f"approve r{i} §1 when {c} {{ }}" if c else f"approve r{i} §1 {{ }}" for i, c in enumerate(conditions)
    )
    (action,) = parse(f"action a {{ {body} }}").items
    assert isinstance(action, n.Action)
    return action.rules


def overlaps(*conditions: str) -> list[tuple[str, str]]:
    return [(a.name, b.name) for a, b in overlapping_rules(rules(*conditions))]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("date <= contract.end", "date > contract.end"),
        ("date < contract.end", "date >= contract.end"),
        ("date <= contract.end", "contract.end < date"),
        ("date == contract.end", "date != contract.end"),
        ("given tier", "not given tier"),
        ("customer.existing", "not customer.existing"),
        ("a", "not a"),
        ("a and date <= x", "a and date > x"),
        ("date <= x and a", "not a and date <= x"),
        ("date <= contract.end", "given tier"),
        ("date <= x", "date <= y"),
        ("date <= x or a", "date <= x"),
        ("not customer.existing", "not not customer.existing"),
        ("a", "not not not a"),
    ],
)
def test_rules_that_cannot_both_apply_or_cannot_be_seen_to(first: str, second: str) -> None:
    assert overlaps(first, second) == []


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("date <= contract.end", "date >= contract.end"),
        ("date <= contract.end", "contract.end >= date"),
        ("date < x", "date != x"),
        ("a", "a"),
        ("given tier and date <= x", "date < x and given tier"),
        ("", ""),
        ("customer.existing", "not not customer.existing"),
        ("not a", "not not not a"),
    ],
)
def test_rules_that_can_visibly_both_apply(first: str, second: str) -> None:
    assert overlaps(first, second) == [("r0", "r1")]


def test_every_overlapping_pair_is_reported_in_file_order() -> None:
    assert overlaps("date <= x", "date > x", "date >= x") == [("r0", "r2"), ("r1", "r2")]


def test_only_approve_rules_are_checked_for_overlap() -> None:
    assert checked(
        "action a {\n"
        '  reject too_late §8.5 when date >= contract.end { reason "Too late." }\n'
        "  approve on_time §6.2 when date <= contract.end { }\n"
        "}\n"
    ).actions


def test_an_overlap_is_reported_at_the_second_rule_pointing_at_the_first() -> None:
    (error,) = errors(
        "action renew {\n"
        "  approve on_time §6.2 when date <= contract.end { }\n"
        "  approve late §8.2 when date >= contract.end { }\n"
        "}\n"
    )
    assert (error.code, error.span.line, error.span.column) == ("C209", 3, 3)
    assert error.message == "rules 'on_time' and 'late' of action 'renew' can both apply"
    assert error.hint == "'on_time' is at t.mes:2:3; make their 'when' conditions exclusive"


def test_an_unconditional_approve_overlaps_any_other_approve() -> None:
    assert overlaps("", "date > contract.end") == [("r0", "r1")]


# -- the engine never evaluates rule text ------------------------------------------------------------------

_DYNAMIC = {"eval", "exec", "compile"}


def dynamic_calls(path: Path) -> list[tuple[str, str]]:
    """(enclosing function, callee) of each call to eval, exec or compile in a module."""
    found: list[tuple[str, str]] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
            if isinstance(child, ast.Call):
                callee = child.func
                if isinstance(callee, ast.Name) and callee.id in _DYNAMIC:
                    found.append((function, callee.id))
                elif (
                    isinstance(callee, ast.Attribute)
                    and callee.attr in _DYNAMIC
                    and isinstance(callee.value, ast.Name)
                    and callee.value.id in ("builtins", "__builtins__")
                ):
                    found.append((function, callee.attr))
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8")), "<module>")
    return found


def test_only_the_compiler_executes_code_and_only_its_own() -> None:
    package = Path(mespolicy.__file__).parent
    calls = {
        str(path.relative_to(package.parent)): dynamic_calls(path) for path in sorted(package.rglob("*.py"))
    }
    assert {name: found for name, found in calls.items() if found} == {
        "mespolicy/compiler.py": [("compile_policy", "compile"), ("compile_policy", "exec")],
        # the request reader generated from the declared facts, written as the compiler writes
        "mespolicy/model/reader.py": [("generate", "exec"), ("generate", "compile")],
        # the explaining variant of the same generated code, from the same checked tree
        "mespolicy/compiler_explain.py": [("compile_explaining", "compile"), ("compile_explaining", "exec")],
        # the msgspec decoder's pass, written by the same writer as the request reader
        "mespolicy/model/decoder.py": [("generate", "exec"), ("generate", "compile")],
        # makers of frozen objects, from field names that are ASCII identifiers and not keywords
        "mespolicy/model/trusted.py": [("_maker", "exec"), ("_maker", "compile")],
    }
