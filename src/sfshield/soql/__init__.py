"""SOQL: a complete parser for the REST-API query language, a canonical formatter, and a per-purpose guard.

``parse(text)`` returns an immutable :class:`~sfshield.soql.ast.Query` or raises
:class:`~sfshield.exceptions.SoqlSyntaxError` naming line, column and what was expected — never silently
ignoring the rest of the input. ``render(query)`` (or ``str(query)``) gives canonical SOQL, and
``parse(render(q)) == q``. :class:`SoqlGuard` decides what a query may touch for a purpose.
"""

from sfshield.soql import ast
from sfshield.soql._parser import parse
from sfshield.soql._render import render
from sfshield.soql.ast import Query
from sfshield.soql.guard import CheckedQuery, SoqlGuard

__all__ = ["CheckedQuery", "Query", "SoqlGuard", "ast", "parse", "render"]
