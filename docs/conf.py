"""Sphinx configuration for plait's documentation site."""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

# Our own small extensions (zope.interface support for autodoc).
sys.path.insert(0, str(Path(__file__).parent / "_ext"))

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
    "zopeinterfaces",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
# _draft.md is written by the docs session and only included by changelog.md.
exclude_patterns = ["_build", "_draft.md", "_ext"]
myst_heading_anchors = 3
autodoc_member_order = "bysource"
# Signatures show the annotations; the types are plait's own or the
# standard library's, named in the text where it matters.
autodoc_typehints = "signature"
autodoc_typehints_format = "short"
autodoc_default_options = {"members": True, "undoc-members": False}
nitpicky = False
# References the site cannot resolve offline: the standard library and
# third-party types in signatures (no intersphinx: the build needs no
# network), private names and type variables.
nitpick_ignore_regex = [
    (
        "py:.*",
        r"(collections\.abc|socket|types|threading|random|os|asyncio|typing)\..*",
    ),
    ("py:.*", r"zope\.interface\..*"),
    ("py:.*", r"OpenSSL\..*"),
    # dnspython's types, in plait.dns signatures (no network for intersphinx).
    ("py:.*", r"dns\..*"),
    ("py:.*", r"plait\.(\w+\.)*_\w+(\..*)?"),
    ("py:.*", r"_?[A-Z]{1,2}"),
    # An attribute annotated with an interface or None.
    ("py:.*", r"<InterfaceClass .*"),
    # Names that docstrings mention in passing, not documented objects.
    ("py:.*", r"ERROR|READ|WRITE|DEFAULT_HOST|DEFAULT_PEER|declareTLS"),
    ("py:.*", r"errback|cancel|ClientTLSOptions|ServerTLSOptions"),
]
intersphinx_mapping: dict[str, tuple[str, str | None]] = {}
html_theme = "furo"
html_title = f"plait {release}"
html_static_path: list[str] = []
pygments_style = "friendly"
pygments_dark_style = "monokai"
