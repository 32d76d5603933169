"""Sphinx configuration of the mespolicy docs: the API by autodoc, the policy by mespolicy.sphinx."""

from __future__ import annotations

import sys
from pathlib import Path

# The docs build from a source checkout as well as from an installed package.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

project = "mespolicy"
author = "mespolicy contributors"
copyright = "mespolicy contributors"
release = "0.1.0"

extensions = [
    "sphinx.ext.autodoc",
    "mespolicy.sphinx",
]

# The rules the policy page shows, relative to this folder (the shipped policy when unset).
mespolicy_policy = "../rules"

# Docstrings write `name` for code, as the rule files and the README do.
default_role = "code"
highlight_language = "none"
exclude_patterns = ["_build"]
nitpicky = False

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True}

html_theme = "alabaster"
html_title = f"mespolicy {release}"
html_theme_options = {
    "description": "Software maintenance (ME&S) policy as code",
    "fixed_sidebar": True,
    # room for the policy's tables: seven columns of parameters, five of charges
    "page_width": "1240px",
    "sidebar_width": "230px",
    "body_max_width": "none",
}
html_static_path: list[str] = []
