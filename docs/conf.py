"""Sphinx configuration for plait's documentation site."""

from __future__ import annotations

import importlib.metadata

project = "plait"
author = "The plait developers"
copyright = "2026, The plait developers"
release = importlib.metadata.version("plait-core")
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
# _draft.md is written by the docs session and only included by changelog.md.
exclude_patterns = ["_build", "_draft.md"]
myst_heading_anchors = 3
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "undoc-members": False}
nitpicky = False
intersphinx_mapping: dict[str, tuple[str, str | None]] = {}
html_theme = "alabaster"
html_title = f"plait {release}"
