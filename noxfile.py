"""Project tasks: tests, lint, docs and benchmarks, each in its own virtualenv."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint"]
nox.options.reuse_existing_virtualenvs = True
nox.options.default_venv_backend = "venv"


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite, with the hypothesis profile sized for CI."""
    session.install("-e", ".[test]")
    session.run("pytest", "-q", *session.posargs, env={"HYPOTHESIS_PROFILE": "ci"})


@nox.session
def lint(session: nox.Session) -> None:
    """ruff and mypy --strict over the package and the tests."""
    session.install("-e", ".[test,lint]")
    session.run("ruff", "check", "mespolicy", "tests", "noxfile.py")
    session.run("mypy", "--strict")


@nox.session
def docs(session: nox.Session) -> None:
    """The Sphinx site, warnings as errors."""
    session.install("-e", ".[docs]")
    session.run("sphinx-build", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html")


@nox.session
def bench(session: nox.Session) -> None:
    """Throughput, load time and memory as ratios against baselines measured in the same run."""
    session.install("-e", ".[bench]")
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session
def fuzz(session: nox.Session) -> None:
    """The long fuzz run (tests/fuzz): `nox -s fuzz -- --minutes 30`; found cases go to tests/fuzz/found/."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "tests.fuzz", *session.posargs)
