"""Tokens of SOQL: one compiled regular expression, one pass, positions kept for error messages.

Anything SOQL through the REST API does not allow is refused here with a precise message: comments, ``;``,
double-quoted strings, Apex bind variables (``:name``), and characters that belong to no token.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from sfshield.exceptions import SoqlSyntaxError

__all__ = ["Token", "tokenize"]

MAX_QUERY_CHARS = 100_000
"""Salesforce caps a SOQL statement at 100,000 characters; longer text is refused before it is scanned."""

_TOKEN = re.compile(
    r"""
    \s*(?:
    (?P<comment>--|/\*|//)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<unterminated>')
  | (?P<dquote>")
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:\d{2})(?![\w:.]))
  | (?P<baddatetime>\d{4}-\d{2}-\d{2}T[\w:.+-]*)
  | (?P<date>\d{4}-\d{2}-\d{2}(?![\w:-]))
  | (?P<currency>[A-Z]{3}(?:-\d+(?:\.\d+)?|\d+\.\d+)(?![\w.]))
  | (?P<number>-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?(?![\w.]))
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<op>!=|<>|<=|>=|=|<|>)
  | (?P<punct>[(),:])
  | (?P<semicolon>;)
  | (?P<end>\Z)
  | (?P<other>.)
    )""",
    re.VERBOSE | re.DOTALL | re.ASCII,
)

_ESCAPE = re.compile(r"\\(?:u[0-9a-fA-F]{4}|[nrtbfNRTBF\"'\\%_])")


class Token(NamedTuple):
    """One token: kind (``ident``, ``string``, ``number``, ``op``, ``punct`` …), text, offset, upper-case text.

    ``upper`` is set for identifiers only (the parser compares keywords with it) and empty otherwise.
    """

    kind: str
    text: str
    pos: int
    upper: str = ""


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, ending with an ``end`` token.

    Raises:
        SoqlSyntaxError: the text holds something no SOQL query through the REST API may contain.
    """
    if len(text) > MAX_QUERY_CHARS:
        raise SoqlSyntaxError(text, MAX_QUERY_CHARS, f"a query may be at most {MAX_QUERY_CHARS:,} characters")
    tokens: list[Token] = []
    append = tokens.append
    new = tuple.__new__  # NamedTuple's own __new__ is a Python function: too slow for every token
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind == "end":
            break
        start = match.start(kind)
        if kind in _REFUSED:
            raise SoqlSyntaxError(text, start, _REFUSED[kind])
        word = match.group(kind)
        if kind == "string":
            _check_escapes(text, start, word)
        append(new(Token, (kind, word, start, word.upper() if kind == "ident" else "")))
    append(Token("end", "", len(text)))
    return tokens


_REFUSED = {
    "comment": "comments are not allowed in SOQL",
    "unterminated": "this string is never closed: add the closing '",
    "dquote": "strings are quoted with single quotes in SOQL",
    "baddatetime": "a datetime needs seconds and a zone: 2026-01-31T10:00:00Z or …+02:00",
    "semicolon": "';' is not allowed: send exactly one query, without a terminator",
    "other": "this character is not part of SOQL",
}


def _check_escapes(text: str, start: int, literal: str) -> None:
    body = literal[1:-1]
    index = body.find("\\")
    while index != -1:
        if not _ESCAPE.match(body, index):
            raise SoqlSyntaxError(
                text,
                start + 1 + index,
                "invalid escape; SOQL knows \\n \\r \\t \\b \\f \\\" \\' \\\\ \\% \\_ and \\uXXXX",
            )
        index = body.find("\\", index + (6 if body[index + 1] == "u" else 2))
