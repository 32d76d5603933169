"""Every limit of `mespolicy.limits` holds: reaching it is an error with the limit's code, never a crash.

One case per field of `Limits`; a limit added without a case here fails
`test_every_limit_has_a_case`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest

import mespolicy
from mespolicy.errors import MespolicyError, PolicyFileError
from mespolicy.limits import Limits, LimitSettingError, described

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
REQUEST = json.loads((EXAMPLES / "renew-late.json").read_text(encoding="utf-8"))

HEADER = """parameter base = 10 USD
  clause §1.1
  source "A base amount."

"""


def _policy(folder: Path, text: str, name: str = "policy.mes") -> Path:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def _action(rules: str) -> str:
    return HEADER + 'action renew "Renew." {\n' + rules + "}\n"


APPROVE = "  approve always §1.1 {\n    charge renewal §1.1 = base\n  }\n"


def _load(folder: Path, **limits: int) -> MespolicyError:
    with pytest.raises(MespolicyError) as error:
        mespolicy.load(folder, limits=Limits(**limits))
    return error.value


def _codes(error: MespolicyError) -> set[str]:
    if isinstance(error, PolicyFileError):
        return {d.code for d in error.diagnostics}
    return {error.code}


def file_bytes(tmp: Path) -> set[str]:
    folder = _policy(tmp / "p", _action(APPROVE))
    return _codes(_load(folder, file_bytes=100))


def policy_files(tmp: Path) -> set[str]:
    folder = _policy(tmp / "p", _action(APPROVE))
    for number in range(3):
        (folder / f"extra{number}.mes").write_text(f"# file {number}\n", encoding="utf-8")
    return _codes(_load(folder, policy_files=2))


def rules_per_action(tmp: Path) -> set[str]:
    rejects = "".join(f'  reject r{i} §1.1 when date < 1900-01-0{1 + i % 9} {{\n    reason "no"\n  }}\n'
                      for i in range(5))
    folder = _policy(tmp / "p", _action(rejects + APPROVE))
    return _codes(_load(folder, rules_per_action=4))


def nesting_depth(tmp: Path) -> set[str]:
    condition = " and ".join(["date > 1900-01-01"] * 30)
    deep = f'  reject deep §1.1 when {condition} {{\n    reason "no"\n  }}\n'
    folder = _policy(tmp / "p", _action(deep + APPROVE))
    return _codes(_load(folder, nesting_depth=20))


def number_digits(tmp: Path) -> set[str]:
    folder = _policy(tmp / "p", _action(APPROVE).replace("10 USD", "1" + "0" * 60 + " USD"))
    return _codes(_load(folder))


def search_span(tmp: Path) -> set[str]:
    rules = (
        "  approve always §1.1 {\n"
        "    let k = first k from 1 where k > 50\n"
        "    charge renewal §1.1 = base * k\n"
        "  }\n"
    )
    policy = mespolicy.load(_policy(tmp / "p", _action(rules)), limits=Limits(search_span=10))
    with pytest.raises(MespolicyError) as error:
        policy.decide(mespolicy.parse_request(REQUEST))
    return {error.value.code}


def work_per_decision(tmp: Path) -> set[str]:
    rules = (
        "  approve always §1.1 {\n"
        "    let k = first k from 1 where k > 5000\n"
        "    charge renewal §1.1 = base * k\n"
        "  }\n"
    )
    return _codes(_load(_policy(tmp / "p", _action(rules)), work_per_decision=1_000))


def _request_error(text: str, **limits: int) -> set[str]:
    with pytest.raises(mespolicy.RequestError) as error:
        mespolicy.parse_request_json(text, limits=Limits(**limits))
    return {error.value.code}


def request_bytes(_: Path) -> set[str]:
    return _request_error(json.dumps(REQUEST), request_bytes=100)


def request_items(_: Path) -> set[str]:
    many = {**REQUEST, "contracts": [{**REQUEST["contracts"][0], "id": f"M{i}"} for i in range(1, 6)]}
    many["contracts"][0]["id"] = "M1"
    return _request_error(json.dumps(many), request_items=4)


def request_depth(_: Path) -> set[str]:
    return _request_error(json.dumps({**REQUEST, "ref": [[[[[[["deep"]]]]]]]}), request_depth=4)


def request_digits(_: Path) -> set[str]:
    return _request_error(json.dumps(REQUEST).replace('"12000.00"', "1" + "0" * 50, 1))


CASES: dict[str, Callable[[Path], set[str]]] = {
    "file_bytes": file_bytes,
    "policy_files": policy_files,
    "rules_per_action": rules_per_action,
    "nesting_depth": nesting_depth,
    "number_digits": number_digits,
    "search_span": search_span,
    "work_per_decision": work_per_decision,
    "request_bytes": request_bytes,
    "request_items": request_items,
    "request_depth": request_depth,
    "request_digits": request_digits,
}


def test_every_limit_has_a_case() -> None:
    assert sorted(CASES) == sorted(f.name for f in attrs.fields(Limits))


@pytest.mark.parametrize(("name", "code"), [(name, code) for name, _, code, _ in described()])
def test_reaching_a_limit_is_its_coded_error(name: str, code: str, tmp_path: Path) -> None:
    assert code in CASES[name](tmp_path)


def test_the_default_limits_take_the_shipped_policy_and_the_examples() -> None:
    policy = mespolicy.load(limits=Limits())
    lines = (EXAMPLES / "portfolio.jsonl").read_text(encoding="utf-8").splitlines()
    assert [policy.decide(mespolicy.parse_request_json(line)).action for line in lines]


@pytest.mark.parametrize("value", [0, -1, True, "5"])
def test_a_limit_is_a_whole_number_of_at_least_one(value: object) -> None:
    with pytest.raises(LimitSettingError):
        Limits(file_bytes=value)  # type: ignore[arg-type]


def test_limits_are_set_by_name_and_unknown_names_are_refused() -> None:
    assert Limits().replace([("request_items", "7")]).request_items == 7
    with pytest.raises(LimitSettingError, match="request_items"):
        Limits().replace([("request_itmes", "7")])
    with pytest.raises(LimitSettingError):
        Limits().replace([("request_items", "seven")])
