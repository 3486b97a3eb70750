r"""The span engines: for each pattern, whether RE2 may find its spans or ``re`` must, and finding them.

What a pattern matches is defined by Python's ``re`` (ASCII mode for ASCII patterns, so that ``\b``, ``\s`` and
``\w`` mean what they mean in RE2). RE2 finds the spans itself where it is known to find re's: the pattern has no
separate ``confirm`` expression, no match is empty, and the text has none of the characters on which the engines
disagree (:data:`~sfshield.dlp._prefilter.DISAGREE`: ``\v`` and ``\x1c``-``\x1f``, which only re counts as space;
the long s and the Kelvin sign, which only RE2 folds to ``s`` and ``k``). Patterns with non-ASCII letters (re runs
them in Unicode mode) get RE2 on ASCII texts only. A capturing group's span is re's own, from one anchored match at
each start RE2 found. Otherwise re finds the spans. ``tests/dlp/test_scanner_engines.py`` holds the two engines to
that.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, Final

from sfshield.dlp._prefilter import one_pass_form, re2, re2_options
from sfshield.dlp.patterns import Pattern

__all__ = ["PatternSpans", "folds_to_ascii", "re_flags", "span_engine"]


class PatternSpans:
    """Finds one pattern's spans, with RE2 where it agrees with re, else with re.

    Args:
        pattern: the pattern.
        engine: RE2's search for the pattern (``Match(utf8, start, end)``) and whether it may find the spans in ASCII
            texts only; None where only re may find them. Where re does and the one pass looked for a looser form
            of the pattern, the same search (the ``gate``) first checks that the pattern itself is there.
    """

    __slots__ = ("_compiled", "ascii_texts", "engine", "gate", "group", "pattern")

    def __init__(self, pattern: Pattern, engine: tuple[Any, bool] | None) -> None:
        self.pattern = pattern
        self.group = pattern.group
        self.engine: Callable[[bytes, int, int], list[tuple[int, int]]] | None = None
        self.ascii_texts = False
        if engine is not None:
            self.engine, self.ascii_texts = engine
        self.gate = None
        if re2 is not None and one_pass_form(pattern) != pattern.regex:
            self.gate = self.engine or _re2_search(pattern.regex)
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        """Python's ``re`` for the pattern; compiled on first use, as RE2 finds most spans."""
        if self._compiled is None:  # a race only compiles it twice
            self._compiled = _compile_re(self.pattern.confirm or self.pattern.regex)
        return self._compiled

    def spans(self, text: str, encoded: bytes | None, *, re2_spans: bool) -> list[tuple[int, int]]:
        """The span of the pattern's group in each match, as ``re.finditer`` finds them.

        Args:
            text: the text.
            encoded: the text in UTF-8, if it has that form and RE2 is in use.
            re2_spans: whether RE2 may find the spans (the text has no disagreement character).
        """
        if encoded is not None:
            if re2_spans and self.engine is not None and (not self.ascii_texts or len(encoded) == len(text)):
                found = _engine_spans(self.engine, encoded)
                if found is not None and len(encoded) != len(text):
                    found = _char_spans(encoded, found)
                if found is not None:
                    return self._groups(text, found) if self.group else found
            if self.gate is not None and self.gate(encoded, 0, len(encoded))[0][0] < 0:
                # The one pass looked for a looser form than the pattern, and RE2 finds no match of the pattern
                # itself: re is not asked, just as when the one pass ran the pattern as written.
                return []
        group = self.group
        return [match.span(group) for match in self.compiled.finditer(text)]

    def _groups(self, text: str, matches: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """The group's span in each of ``matches``, from re's anchored match at its start.

        That costs less than RE2's submatch search, and is re's own answer.
        """
        out = []
        group = self.group
        for start, end in matches:
            match = self.compiled.match(text, start)
            if match is None or match.end() != end:  # pragma: no cover - the engines agree on these patterns
                return [match.span(group) for match in self.compiled.finditer(text)]
            out.append(match.span(group))
        return out


def _compile_re(regex: str) -> re.Pattern[str]:
    return re.compile(regex, re_flags(regex))


def re_flags(regex: str) -> int:
    r"""The flags re reads a pattern with: ASCII mode for ASCII patterns.

    ASCII mode gives ``\b``, ``\s`` and ``\w`` the same meaning as in RE2. Patterns with non-ASCII letters (Zürich,
    für) need Unicode case folding, which ASCII mode turns off.
    """
    return re.ASCII if regex.isascii() else 0


def span_engine(pattern: Pattern) -> tuple[Any, bool] | None:
    r"""RE2's search for ``pattern`` and whether it agrees with re on ASCII texts only; None where it may not agree.

    An ASCII pattern (which re runs in ASCII mode) agrees on any text but those with a disagreement character. A
    pattern with non-ASCII letters runs in Unicode mode in re, where ``\b``, ``\w`` and ``\s`` know every script:
    on ASCII text they mean what they mean in RE2, as long as none of those letters is a case variant of an ASCII
    one (the Kelvin sign, the long s, the dotless i, the dotted capital I) or ends a range. Characters written as
    escapes (``\xe9``) are not checked: such patterns are left to re.
    """
    regex = pattern.regex
    if pattern.confirm is not None or _CHARACTER_ESCAPE.search(regex):
        return None
    ascii_only = not regex.isascii()
    if ascii_only and (_NON_ASCII_RANGE.search(regex) or any(map(folds_to_ascii, set(regex) - _ASCII))):
        return None
    search = _re2_search(regex)
    return None if search is None else (search, ascii_only)


def _re2_search(regex: str) -> Callable[[bytes, int, int], list[tuple[int, int]]] | None:
    """RE2's unanchored search for ``regex`` in UTF-8 bytes, whole match only; None if the binding cannot tell."""
    if _UNANCHORED is None:
        return None
    options = re2_options()
    options.never_capture = True  # the whole match is enough: re finds a group itself (see Rule._groups)
    try:
        inner = re2.compile(regex, options)._regexp  # noqa: SLF001 - the binding's C++ object
    except Exception:  # noqa: BLE001 - no such attribute, or the binding refuses the pattern alone
        return None
    return functools.partial(inner.Match, _UNANCHORED) if hasattr(inner, "Match") else None


_CHARACTER_ESCAPE: Final = re.compile(r"\\(?:x[89a-fA-F]|[0-9])")
"""A non-ASCII character written as an escape, an octal escape or a back-reference."""
_NON_ASCII_RANGE: Final = re.compile(r"[^\x00-\x7f]-|-[^\x00-\x7f]")
_ASCII: Final = frozenset(map(chr, range(128)))


def folds_to_ascii(char: str) -> bool:
    """Whether either engine, ignoring case, matches ``char`` to an ASCII character."""
    letters = "".join(sorted(_ASCII))
    case_free = f"(?i){re.escape(char)}"
    return bool(re.search(case_free, letters) or re2.search(case_free, letters))


_UNANCHORED: Final = getattr(getattr(re2, "_Anchor", None), "UNANCHORED", None)


def _engine_spans(engine: Callable[..., Any], encoded: bytes) -> list[tuple[int, int]] | None:
    """The spans (in bytes) of RE2's successive matches, as ``re.finditer`` steps; None on an empty match."""
    found = []
    position, size = 0, len(encoded)
    while position < size:
        ((start, end),) = engine(encoded, position, size)
        if start < 0:
            break
        if start == end:
            return None  # re's rule for stepping past an empty match is its own: let re find the spans
        found.append((start, end))
        position = end
    return found


def _char_spans(encoded: bytes, spans: list[tuple[int, int]]) -> list[tuple[int, int]] | None:
    """``spans`` (ascending, disjoint byte offsets in ``encoded``) as character offsets.

    None if a span splits a character: RE2 matches whole characters, so this is only a safeguard (re then finds the
    spans).
    """
    out = []
    byte = char = 0
    try:
        for start, end in spans:
            char += len(encoded[byte:start].decode())
            first = char
            char += len(encoded[start:end].decode())
            byte = end
            out.append((first, char))
    except UnicodeDecodeError:  # pragma: no cover - see above
        return None
    return out
