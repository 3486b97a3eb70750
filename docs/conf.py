"""Sphinx configuration for the sfshield docs (Markdown pages via MyST, API reference via autodoc).

Build: ``sphinx-build -W --keep-going -b html docs docs/_build/html`` (``nox -s docs``); every warning is an error.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docutils.nodes import Element
    from sphinx.application import Sphinx

# Sphinx + MyST rather than MkDocs, on purpose: MkDocs 1.x is no longer maintained and mkdocs-material's fixes
# ended in November 2026, while Sphinx is maintained and its autodoc reads our docstrings directly.

# nox installs the package (`pip install -e .[docs]`); the path entry lets a bare checkout build too.
sys.path.insert(0, str(Path(__file__).parents[1] / "src"))

from sfshield._version import __version__

project = "sfshield"
author = "The sfshield authors"
copyright = "the sfshield authors"
version = release = __version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]
# No sphinx.ext.intersphinx: the build must not touch the network.

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
nitpicky = False

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

autodoc_typehints = "description"
autodoc_member_order = "bysource"

napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True  # `Attributes:` become fields, not objects that could collide with autodoc's members

html_theme = "furo"
html_title = f"sfshield {release}"


# --- autodoc clean-up -------------------------------------------------------------------------------------------
# Three small hooks keep the API reference readable. Each degrades to a no-op if Sphinx changes underneath it.

_ANNOTATED = re.compile(r"(?:~?typing\.)?Annotated\[")


def _strip_annotated(hint: str) -> str:
    """Render ``Annotated[T, metadata...]`` as ``T``: pydantic's validators are noise in a parameter type."""
    while match := _ANNOTATED.search(hint):
        depth, first_arg_end = 0, None
        for index in range(match.end(), len(hint)):
            char = hint[index]
            if char in "[(":
                depth += 1
            elif char in "])" and depth:
                depth -= 1
            elif char in "])":
                break
            elif char == "," and not depth and first_arg_end is None:
                first_arg_end = index
        else:
            return hint  # unbalanced: leave it as Sphinx wrote it
        end = first_arg_end if first_arg_end is not None else index
        hint = hint[: match.start()] + hint[match.end() : end] + hint[index + 1 :]
    return hint


def _recorded_typehints(app: Sphinx) -> dict[str, dict[str, str]]:
    """Return the type hints autodoc recorded for the current document (Sphinx >= 8.2, else the 8.0 location)."""
    document = getattr(app.env, "current_document", None)
    annotations = getattr(document, "autodoc_annotations", None)
    if annotations is None:
        annotations = getattr(app.env, "temp_data", {}).get("annotations", {})
    return annotations


def _clean_typehints(app: Sphinx, domain: str, objtype: str, _contentnode: Element) -> None:
    """Before autodoc merges type hints into descriptions: strip ``Annotated`` metadata; no ``None`` for errors."""
    if domain != "py":
        return
    for name, hints in _recorded_typehints(app).items():
        for parameter, hint in hints.items():
            hints[parameter] = _strip_annotated(hint)
        if objtype == "exception" and name.startswith("sfshield.exceptions."):
            hints.pop("return", None)  # an exception's __init__ returns None; saying so is noise


def _hide_protocol_signature(_app: Sphinx, what: str, _name: str, obj: object, *rest: object) -> tuple[str, str] | None:
    """Show ``class AuditSink`` rather than ``class AuditSink(*args, **kwargs)``: protocols are not constructed."""
    if what == "class" and getattr(obj, "_is_protocol", False):
        return "", str(rest[-1] or "")  # rest is (options, signature, return_annotation)
    return None


def _skip_pydantic_config(_app: Sphinx, _what: str, name: str, *_rest: object) -> bool | None:
    """Leave out ``model_config``, which every pydantic model has and pydantic documents."""
    return True if name == "model_config" else None


def setup(app: Sphinx) -> None:
    """Connect the autodoc clean-up hooks."""
    app.connect("object-description-transform", _clean_typehints, priority=400)  # autodoc's merge runs at 500
    app.connect("autodoc-process-signature", _hide_protocol_signature)
    app.connect("autodoc-skip-member", _skip_pydantic_config)
