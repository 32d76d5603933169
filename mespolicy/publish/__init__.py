"""The active policy as a document: its parameters, its rules in plain language, worked examples.

`page.policy_page` reads a loaded `Policy` into one structure, `PolicyPage`;
`as_markdown` and `as_html` print it, and the Sphinx extension (`mespolicy.sphinx`)
turns the same structure into docutils nodes, so every form of the documentation
shows the same numbers, each with the clause it rests on. The worked examples are
decided and explained by the policy when the page is built, never written by hand.
"""

from mespolicy.publish.as_html import policy_html, render_html
from mespolicy.publish.as_markdown import policy_markdown, render_markdown
from mespolicy.publish.command import docs_command
from mespolicy.publish.page import (
    EXAMPLES,
    READING_LABEL,
    READING_NOTE,
    READING_TAG,
    RULE_ORDER,
    SOURCE_NOTE,
    ActionEntry,
    BandTable,
    Citation,
    ClauseEntry,
    ClauseText,
    Code,
    DefinitionEntry,
    EnumEntry,
    ExampleEntry,
    Phrase,
    PolicyPage,
    Provenance,
    RuleEntry,
    Step,
    example_request,
    policy_page,
    worked_example,
)

__all__ = [
    "EXAMPLES",
    "READING_LABEL",
    "READING_NOTE",
    "READING_TAG",
    "RULE_ORDER",
    "SOURCE_NOTE",
    "ActionEntry",
    "BandTable",
    "Citation",
    "ClauseEntry",
    "ClauseText",
    "Code",
    "DefinitionEntry",
    "EnumEntry",
    "ExampleEntry",
    "Phrase",
    "PolicyPage",
    "Provenance",
    "RuleEntry",
    "Step",
    "docs_command",
    "example_request",
    "policy_html",
    "policy_markdown",
    "policy_page",
    "render_html",
    "render_markdown",
    "worked_example",
]
