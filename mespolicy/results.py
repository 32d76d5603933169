"""How `mespolicy test` shows results: a block per failing test, a line per test, the slowest, JUnit XML.

A failure block names the test and its `file:line`, then each difference once: the test's
line as written (`-`) and the line that would hold for the decision made (`+`), in the rule
language, so the `+` line can be pasted into the case.
"""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from mespolicy.testing import Failure, Result, located

LEGEND = "(- the test's line, + what a test would write for the decision made)"


def failure_block(result: Result, folder: str | None = None) -> list[str]:
    """The lines of one failing test: its name and place, then each difference."""
    lines = [f"FAILED {result.test.name} ({located(result.test.span, folder)})"]
    for failure in result.failures:
        lines.extend(_difference(failure, result, folder))
    return lines


def _difference(failure: Failure, result: Result, folder: str | None) -> list[str]:
    if failure.note:
        return [f"  {failure.note}:", *(f"    {line}" for line in failure.actual.splitlines())]
    if not failure.expected:
        head = "  a charge the test does not list:"
    elif failure.span.source is result.test.span.source:
        head = f"  line {failure.span.line}:"
    else:  # pragma: no cover - a test's lines are in its own file
        head = f"  {located(failure.span, folder)}:"
    plus = [f"  + {line}" for line in failure.actual.splitlines()]
    return [head, *([f"  - {failure.expected}"] if failure.expected else []), *plus]


def verbose_line(result: Result, folder: str | None = None) -> str:
    """`PASSED name (file:line)` or `FAILED ...`, as each test runs (`mespolicy test -v`)."""
    verdict = "PASSED" if result.passed else "FAILED"
    return f"{verdict} {result.test.name} ({located(result.test.span, folder)})"


def slowest(results: Sequence[Result], count: int, folder: str | None = None) -> list[str]:
    """The `count` slowest tests, slowest first, each with its time in seconds."""
    if count <= 0 or not results:
        return []
    ranked = sorted(results, key=lambda r: r.seconds, reverse=True)[:count]
    lines = [f"slowest {len(ranked)} test{'s' if len(ranked) != 1 else ''}:"]
    lines.extend(f"  {r.seconds:.3f}s {r.test.name} ({located(r.test.span, folder)})" for r in ranked)
    return lines


def summary(results: Sequence[Result], deselected: int = 0, not_run: int = 0) -> str:
    """`N passed, N failed`, then what was left out: by -k or a FILE, or after the first failure (-x)."""
    passed = sum(r.passed for r in results)
    text = f"{passed} passed, {len(results) - passed} failed"
    if deselected:
        text += f", {deselected} deselected"
    if not_run:
        text += f"; stopped at the first failure, {not_run} not run"
    return text


def junit_xml(results: Sequence[Result], path: Path, folder: str | None = None) -> None:
    """Write the results as JUnit XML (one testsuite, a testcase per test) for CI systems; OSError if not."""
    failed = sum(not r.passed for r in results)
    total = sum(r.seconds for r in results)
    suites = ET.Element("testsuites", tests=str(len(results)), failures=str(failed), time=f"{total:.3f}")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name="mespolicy test",
        tests=str(len(results)),
        failures=str(failed),
        errors="0",
        skipped="0",
        time=f"{total:.3f}",
    )
    for result in results:
        file, _, line = located(result.test.span, folder).rpartition(":")
        case = ET.SubElement(
            suite,
            "testcase",
            classname=posixpath.splitext(file)[0].replace("/", "."),
            name=result.test.name,
            file=file,
            line=line,
            time=f"{result.seconds:.3f}",
        )
        if not result.passed:
            first = result.failures[0]
            message = first.note or f"expected {first.expected or 'no such charge'}"
            failure = ET.SubElement(case, "failure", message=message, type="mespolicy.test")
            failure.text = "\n".join(failure_block(result, folder))
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


__all__ = ["LEGEND", "failure_block", "junit_xml", "slowest", "summary", "verbose_line"]
