"""`mespolicy docs`: the policy in force written to a folder as HTML or Markdown."""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

import click

from mespolicy.discovery import POLICY_HELP, Found, describe, discover, load_found, run_libraries
from mespolicy.errors import MespolicyError
from mespolicy.identity import content_hash
from mespolicy.overrides import parse_assignments
from mespolicy.publish.as_html import policy_html
from mespolicy.publish.as_markdown import policy_markdown

# -- the command -------------------------------------------------------------------------------

_SUFFIXES = {"html": "html", "markdown": "md"}

@click.command(name="docs")
@click.option(
    "--policy",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help=POLICY_HELP,
)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write policy.html (or policy.md) into; made if missing.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(sorted(_SUFFIXES)),
    default="html",
    show_default=True,
    help="A standalone HTML page, or Markdown.",
)
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="NAME=VALUE",
    help="What-if: fix a parameter for this page (repeatable), e.g. --set deferral_grace='60 days'.",
)
@click.option(
    "--on",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Show the parameter values in force on this day (default: today).",
)
def docs_command(
    policy: Path | None,
    out: Path,
    output_format: str,
    assignments: tuple[str, ...],
    day: datetime.datetime | None,
) -> None:
    """Write the policy in force as one page: parameters, rules in plain language, facts, worked examples.

    \b
    Examples:
      mespolicy docs --out site/
      mespolicy docs --out site/ --format markdown
      mespolicy docs --policy my-rules/ --out site/
      mespolicy docs --out site/ --set reinstatement_fee_rate=20%
      mespolicy docs --out site/ --on 2027-01-01
    """
    found: Found | None = None
    try:
        found = discover(policy)
        loaded = load_found(found, libraries=run_libraries()).with_overrides(parse_assignments(assignments))
    except MespolicyError as error:
        click.echo(error.render(found.shown if found else None), err=True)
        sys.exit(2)
    click.echo(describe(found, content_hash(loaded.checked.files)), err=True)
    on = None if day is None else day.date()
    text = policy_html(loaded, day=on) if output_format == "html" else policy_markdown(loaded, day=on)
    target = out / f"policy.{_SUFFIXES[output_format]}"
    try:
        out.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as error:
        click.echo(f"{target}: cannot write: {error.strerror}", err=True)
        sys.exit(2)
    click.echo(f"wrote {target}")
