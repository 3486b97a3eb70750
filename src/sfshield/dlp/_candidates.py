"""Candidates: each pattern that may match runs, and its matches pass validators and context words.

For each pattern the one pass let through (see :mod:`sfshield.dlp._prefilter`), :func:`find` gets its spans
(:mod:`sfshield.dlp._spans`) and keeps the matches its validator accepts (Luhn, mod-97, ranges, structure).
Exclusion words near a match drop it (``version 1.2.3.4`` is no address). Context words near a match, or in the
field's name (a ``Phone`` field holds phones), raise its confidence by one level; patterns that require context drop
matches without it, and do not run at all where none of their words occurs. Exclusions run last, and only where a
candidate they could take a span from was found.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Container, Iterable, Mapping
from typing import Any

from sfshield.dlp._prefilter import EVERY_ENTRY
from sfshield.dlp._resolve import RANK, Candidate
from sfshield.dlp._spans import PatternSpans, re_flags
from sfshield.dlp.findings import Confidence
from sfshield.dlp.patterns import KIND_PRIORITY, Pattern

__all__ = ["Rule", "find"]

_MAX_FIELDS = 1024


class Rule(PatternSpans):
    """One pattern, prepared for the hot path: its settings unpacked, its word lists compiled, its set entries known.

    Args:
        pattern: the pattern.
        rank: its position among the scanner's patterns.
        entries: the word set's entry of each word list (empty without a set; only lists a pattern requires).
        engine: how its spans are found (see :class:`~sfshield.dlp._spans.PatternSpans`).
    """

    __slots__ = (
        "context",
        "context_entry",
        "context_finder",
        "empty_word",
        "exclude_finder",
        "field_memo",
        "kind",
        "min_width",
        "name",
        "order",
        "priority",
        "raised",
        "refine",
        "requires_context",
        "shrink",
        "start_confidence",
        "validator",
        "window",
    )

    def __init__(
        self, pattern: Pattern, rank: int, entries: Mapping[tuple[str, ...], int], engine: tuple[Any, bool] | None
    ) -> None:
        super().__init__(pattern, engine)
        self.order = rank * RANK
        self.name = pattern.name
        self.kind = pattern.kind
        self.validator = pattern.validator
        self.start_confidence = pattern.confidence
        self.raised = pattern.confidence.raised()
        self.context = pattern.context
        self.context_finder = _word_finder(pattern.context) if pattern.context else None
        self.context_entry = entries.get(pattern.context, -1) if pattern.requires_context else -1
        self.empty_word = "" in pattern.context  # "" is in every field name, even a missing one
        self.field_memo: dict[str, bool] = {}  # field name -> in_field: a scan names one of a few fields
        self.requires_context = pattern.requires_context
        self.exclude_finder = _word_finder(pattern.exclude_context) if pattern.exclude_context else None
        self.window = pattern.window
        self.shrink = pattern.shrink
        self.min_width = _min_width(pattern.confirm or pattern.regex) if pattern.shrink else 0
        self.refine = pattern.refine if pattern.kind is not None else None
        self.priority = pattern.priority

    def in_field(self, field_words: str) -> bool:
        """Whether one of the context words is in the (lower-cased) field name (remembered per name)."""
        if not field_words:
            return self.empty_word
        found = self.field_memo.get(field_words)
        if found is None:
            if len(self.field_memo) >= _MAX_FIELDS:  # names come from records: keep the memo bounded
                self.field_memo.clear()
            found = self.field_memo[field_words] = any(word in field_words for word in self.context)
        return found


def find(
    rules: Iterable[Rule],
    text: str,
    field: str | None,
    encoded: bytes | None,
    words: Callable[[bytes], list[int] | None] | None,
    *,
    re2_spans: bool,
    exclusions: bool,
) -> list[Candidate]:
    """Every candidate of ``rules`` in ``text``.

    Args:
        rules: the patterns to run, exclusions last.
        text: the text.
        field: the field name, if any.
        encoded: the text in UTF-8, if it has that form and RE2 is in use.
        words: the scanner's word set (the word lists that patterns require), if it has one.
        re2_spans: whether RE2 may find the spans (else re does).
        exclusions: whether to run exclusions even where they cannot change the outcome (detectors will add
            candidates).
    """
    field_words = field.lower() if field else ""
    lowered: _Lowered | None = None
    words_seen: Container[int] | None = None
    out: list[Candidate] = []
    for rule in rules:
        if rule.kind is None and not exclusions and (not out or rule.priority < -max(out)[0]):
            # An exclusion takes spans only from the candidates that overlap resolution takes after it, those of
            # lower (or equal) priority: where there are none, it changes nothing.
            continue
        confidence, context_finder = rule.start_confidence, rule.context_finder
        if rule.context and rule.in_field(field_words):
            confidence, context_finder = rule.raised, None
        elif rule.context_entry >= 0:  # context required: run the pattern only where one of its words occurs
            if words_seen is None:
                words_seen = EVERY_ENTRY if words is None or encoded is None else words(encoded) or ()
            if rule.context_entry not in words_seen:
                continue
        if lowered is None and (context_finder or rule.exclude_finder):
            lowered = _Lowered(text)
        spans = rule.spans(text, encoded, re2_spans=re2_spans)
        _add_candidates(out, rule, text, spans, lowered, confidence, context_finder)
    return out


def _add_candidates(  # noqa: PLR0917 - the hot path: positional on purpose
    out: list[Candidate],
    rule: Rule,
    text: str,
    spans: list[tuple[int, int]],
    lowered: _Lowered | None,
    confidence: Confidence,
    context_finder: re.Pattern[str] | None,
) -> None:
    """Append to ``out`` the candidate of each of ``rule``'s spans that passes its checks."""
    validator, exclude_finder = rule.validator, rule.exclude_finder
    for start, end in spans:
        if start < 0 or start == end:
            continue
        candidate = None
        order = rule.order + len(out)
        if validator is None or validator(text[start:end]):
            candidate = _accepted(rule, text, start, end, lowered, confidence, context_finder, exclude_finder, order)
        if candidate is None and rule.shrink:
            candidate = _shrunk(rule, text, start, end, lowered, confidence, context_finder, exclude_finder, order)
        if candidate is not None:
            out.append(candidate)


def _accepted(  # noqa: PLR0917 - the hot path: positional on purpose
    rule: Rule,
    text: str,
    start: int,
    end: int,
    lowered: _Lowered | None,
    confidence: Confidence,
    context_finder: re.Pattern[str] | None,
    exclude_finder: re.Pattern[str] | None,
    order: int,
) -> Candidate | None:
    """The candidate for a match its validator accepted, or None when context words refuse it.

    ``confidence`` is the level before context words near the match; ``context_finder`` and ``exclude_finder``
    search for them in ``lowered`` (None: no need to; the field name already counted, or the word set saw none).
    """
    window = rule.window
    if lowered is not None:  # there are words to look for
        if exclude_finder is not None and _near(exclude_finder, lowered, start, end, window):
            return None
        if context_finder is not None:
            if _near(context_finder, lowered, start, end, window):
                confidence = rule.raised
            elif rule.requires_context:
                return None
    kind = rule.kind
    priority = rule.priority
    if rule.refine is not None:
        kind = rule.refine(text[start:end]) or kind
        if rule.pattern.priority_override is None:
            priority = KIND_PRIORITY.get(kind or "", 50)
    return (-priority, start - end, -confidence, start, order, end, kind, confidence, rule.name)


def _shrunk(  # noqa: PLR0917 - mirrors _accepted
    rule: Rule,
    text: str,
    start: int,
    end: int,
    lowered: _Lowered | None,
    confidence: Confidence,
    context_finder: re.Pattern[str] | None,
    exclude_finder: re.Pattern[str] | None,
    order: int,
) -> Candidate | None:
    """The longest shorter match, ending before a space inside the refused one, that validates."""
    validator = rule.validator
    shortest = start + rule.min_width  # a match of the pattern is never shorter than that
    cut = text.rfind(" ", start, end)
    while cut >= shortest and cut > start:
        match = rule.compiled.match(text, start, cut)
        if match is not None and match.end() == cut and (validator is None or validator(text[start:cut])):
            candidate = _accepted(rule, text, start, cut, lowered, confidence, context_finder, exclude_finder, order)
            if candidate is not None:
                return candidate
        cut = text.rfind(" ", start, cut)
    return None


def _near(finder: re.Pattern[str], lowered: _Lowered, start: int, end: int, window: int) -> bool:
    """Whether ``finder`` finds one of its words within ``window`` characters of the match.

    The window reaches ``window`` characters before the match and half as many after it. Whole words: ``tel`` must
    not fire inside "Telko", nor ``ver`` inside "server".
    """
    text = lowered.get()
    return bool(finder.search(text, max(0, start - window), start) or finder.search(text, end, end + window // 2))


def _min_width(regex: str) -> int:
    """The fewest characters a match of ``regex`` can span, as re reads it (0 where re's parser cannot tell).

    :func:`_shrunk` tries no cut that leaves fewer. The parser is re's own (private, but what ``re.compile`` runs);
    where an interpreter lacks it, every cut is tried, as before.
    """
    try:
        from re import _parser  # type: ignore[attr-defined]  # noqa: PLC0415 - private: imported only here

        low, _ = _parser.parse(regex, re_flags(regex)).getwidth()
    except Exception:  # noqa: BLE001 - no such parser: try every cut
        return 0
    return max(0, int(low))


class _Lowered:
    """The lower-cased text, computed once per scan, and only when a match that passed its validator needs it."""

    __slots__ = ("_text", "_value")

    def __init__(self, text: str) -> None:
        self._text = text
        self._value: str | None = None

    def get(self) -> str:
        if self._value is None:
            self._value = self._text.lower()
        return self._value


@functools.lru_cache(maxsize=256)
def _word_finder(words: tuple[str, ...]) -> re.Pattern[str]:
    alternation = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternation})(?!\w)")
