"""The README's promise: every error mespolicy raises on bad input is a MespolicyError with a code."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import mespolicy
from mespolicy.errors import MespolicyError

ROOT = Path(__file__).resolve().parents[2]
LANGUAGE = ROOT / "docs" / "reference" / "language.rst"


def _modules() -> list[str]:
    return [
        info.name
        for info in pkgutil.walk_packages(mespolicy.__path__, "mespolicy.")
        if not info.name.endswith("__main__")
    ]


def test_every_exception_class_of_the_package_is_under_the_one_root() -> None:
    found = []
    for name in _modules():
        module = importlib.import_module(name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__.startswith("mespolicy"):
                found.append(value)
    assert len(found) >= 8  # the stage errors, the request's and the limits'
    outside = sorted({f"{c.__module__}.{c.__qualname__}" for c in found if not issubclass(c, MespolicyError)})
    assert outside == []


def test_the_root_is_exported_with_every_public_error() -> None:
    public = [getattr(mespolicy, name) for name in mespolicy.__all__]
    errors = [value for value in public if inspect.isclass(value) and issubclass(value, BaseException)]
    assert MespolicyError in errors
    assert all(issubclass(error, MespolicyError) for error in errors)


def _codes_in_source() -> set[str]:
    text = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "mespolicy").rglob("*.py"))
    return set(re.findall(r"""["']([PCRLQSEU][0-9]{3})["']""", text))


def test_every_error_code_the_code_raises_is_in_the_language_reference() -> None:
    documented = set(re.findall(r"``([PCRLQSEU][0-9]{3})``", LANGUAGE.read_text(encoding="utf-8")))
    codes = _codes_in_source()
    assert len(codes) >= 40
    assert sorted(codes - documented) == []
