r"""The scanner: one pass over the text for every pattern, validators on candidates only, typed overlap resolution.

How a text is scanned:

1. **One pass.** All patterns are compiled into one google-re2 ``Set`` (a DFA, linear time whatever the input);
   a single scan tells which patterns match anywhere in the text. Most CRM text matches none, and costs only that
   pass. (Without google-re2, every pattern runs instead: same results, several times slower.)
2. **Candidates.** Only the patterns that matched run again, one by one, to find their spans; each match is
   checked by the pattern's validator (Luhn, mod-97, ranges, structure).
3. **Context.** Exclusion words near a match drop it (``version 1.2.3.4`` is no address). Context words near a
   match, or in the field's name (a ``Phone`` field holds phones), raise its confidence by one level; patterns
   that require context drop matches without it (and do not run at all where none of their words occurs).
4. **Overlaps.** Candidates are taken by kind priority (a validated IBAN beats a card beats a phone; a
   Salesforce record id claims its span so it is not mistaken for a phone or a secret), then length, then
   confidence; a candidate that overlaps one already taken is dropped. Exclusions run last, and only where a
   candidate they could take a span from was found.
5. **Allow-list and threshold.** Findings whose text is allow-listed, or below ``min_confidence``, are dropped.

**Two engines, one answer.** What a pattern matches is defined by Python's ``re`` (ASCII mode for ASCII patterns,
so that ``\b``, ``\s`` and ``\w`` mean what they mean in RE2). RE2 only makes it faster:

- The one pass may match *more* than the patterns do, never less: it looks for each pattern's ``prefilter`` if it
  has one, and repetitions counted past 12 are unbounded there (:func:`_loosened`), which keeps its DFA small.
- In step 2, RE2 finds the spans itself where it is known to find re's: the pattern has no separate ``confirm``
  expression, no match is empty, and the text has none of the few characters on which the engines disagree
  (``\v`` and ``\x1c``-``\x1f``, which only re counts as space; the long s and the Kelvin sign, which only RE2
  folds to ``s`` and ``k``). Patterns with non-ASCII letters (re runs them in Unicode mode) get RE2 on ASCII texts
  only. A capturing group's span is re's own, from one anchored match at each start RE2 found. Otherwise re finds
  the spans. ``tests/dlp/test_scanner_engines.py`` holds the two engines to that.

The scanner is built once and is safe to share between threads. It never makes a network call and loads no
model. Findings never contain the matched text.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sfshield.dlp.findings import Confidence, Finding
from sfshield.dlp.patterns import KIND_PRIORITY, Pattern, default_patterns
from sfshield.exceptions import ScanError
from sfshield.protocols import Detector

try:  # google-re2 is a dependency; the fallback keeps the scanner working where it has no wheel
    import re2 as _re2  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - exercised only where google-re2 is missing
    _re2 = None

__all__ = ["ENGINE", "ScanResult", "Scanner"]

ENGINE: Final = "re2" if _re2 is not None else "re"
"""The regular-expression engine in use: ``re2`` (google-re2) or ``re`` (the slower pure-Python fallback)."""

_MAX_TEXT_CHARS: Final = 8 * 1024 * 1024
_RE2_MAX_MEM: Final = 256 * 1024 * 1024
_DISAGREE: Final = r"[\x0b\x1c-\x1f\x{17f}\x{212a}]"
"""The characters on which RE2 and re disagree (see the module docstring): in a text with one, re finds spans."""


@dataclass(frozen=True, slots=True)
class ScanResult:
    """The findings in one text, ordered by position. Falsy when nothing was found."""

    findings: tuple[Finding, ...]

    def __bool__(self) -> bool:
        return bool(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    @property
    def kinds(self) -> frozenset[str]:
        """The distinct kinds found (as plain strings)."""
        return frozenset(str(finding.kind) for finding in self.findings)

    def counts(self) -> dict[str, int]:
        """How many findings of each kind (for audit events and summaries)."""
        out: dict[str, int] = {}
        for finding in self.findings:
            kind = str(finding.kind)
            out[kind] = out.get(kind, 0) + 1
        return dict(sorted(out.items()))


class Scanner:
    """Finds personal data, credentials and company information in free text.

    Args:
        patterns: the pattern detectors; default :func:`~sfshield.dlp.patterns.default_patterns` (every
            built-in kind).
        detectors: extra :class:`~sfshield.protocols.Detector` objects (your own recognizers, a Presidio
            adapter); their findings take part in overlap resolution like the built-ins'.
        dictionary: company terms (code names, product names) to report as ``IP_MARKER``.
        allow: values never to report (exact text, compared case-insensitively), such as your support address.
        min_confidence: findings below this level are not reported.

    Overlap priorities are read from :data:`~sfshield.dlp.patterns.KIND_PRIORITY` when the scanner is built.

    >>> scanner = Scanner()
    >>> [(f.kind, f.start, f.end) for f in scanner.scan("Call me on +44 20 7946 0958 or at ana@example.com")]
    [('PHONE_NUMBER', 11, 27), ('EMAIL_ADDRESS', 34, 49)]

    Raises:
        ValueError: a pattern name is used twice, or a pattern is not valid for the engine.
    """

    def __init__(
        self,
        patterns: Sequence[Pattern] | None = None,
        *,
        detectors: Sequence[Detector] = (),
        dictionary: Sequence[str] = (),
        allow: Iterable[str] = (),
        min_confidence: Confidence = Confidence.POSSIBLE,
    ) -> None:
        for name, value in (("dictionary", dictionary), ("allow", allow)):
            if isinstance(value, str | bytes):
                raise TypeError(f"{name} takes a list of strings, not one string (wrap it: [{value!r}])")
        if not isinstance(min_confidence, Confidence):
            raise TypeError(f"min_confidence must be a Confidence level (Confidence.LIKELY), not {min_confidence!r}")
        chosen = list(patterns) if patterns is not None else default_patterns(dictionary=dictionary)
        if patterns is not None and dictionary:
            from sfshield.dlp.patterns import dictionary_pattern  # noqa: PLC0415 - rare path

            chosen.append(dictionary_pattern(dictionary))
        names = [p.name for p in chosen]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"pattern names must be unique; repeated: {', '.join(duplicates)}")
        self._patterns = tuple(chosen)
        self._detectors = tuple(detectors)
        self._allow = frozenset(value.casefold() for value in allow)
        self.min_confidence = min_confidence
        self._match: Callable[[bytes], list[int] | None] | None = None
        self._words: Callable[[bytes], list[int] | None] | None = None
        # Exclusions (no kind) come last, so that they run only where they can change the outcome (see _find). Each
        # rule keeps its pattern's rank, which orders ties as the patterns are ordered.
        ranked = sorted(enumerate(self._patterns), key=lambda item: item[1].kind is None)
        if _re2 is None:
            self._rules = tuple(_Rule(pattern, rank, {}, None) for rank, pattern in ranked)
            return
        # The one pass holds every rule's pattern, then the disagreement guard. The word lists of patterns that
        # require context get a set of their own, run only where such a pattern matched.
        self._match = _compile_set([pattern for _, pattern in ranked], [_DISAGREE])
        word_lists = list(dict.fromkeys(p.context for p in self._patterns if p.requires_context and p.context))
        if word_lists:
            self._words = _compile_set([], [_any_word(words) for words in word_lists])
        entries = {words: index for index, words in enumerate(word_lists)}
        self._rules = tuple(_Rule(pattern, rank, entries, _span_engine(pattern)) for rank, pattern in ranked)

    def __repr__(self) -> str:
        return (
            f"Scanner({len(self._patterns)} patterns, {len(self._detectors)} detectors, engine={ENGINE!r}, "
            f"min_confidence={self.min_confidence.name})"
        )

    @property
    def patterns(self) -> tuple[Pattern, ...]:
        """The pattern detectors in use."""
        return self._patterns

    def scan(self, text: str, /, *, field: str | None = None) -> ScanResult:
        """Find what is sensitive in ``text``.

        Args:
            text: the free text (a Case description, an e-mail body, a note).
            field: the field the text comes from, if any (``"MobilePhone"``); its name counts as context.

        Raises:
            TypeError: ``text`` is not a string.
            ScanError: ``text`` is longer than 8 MiB, or a detector failed (fail closed: nothing is reported as
                clean on an error).
        """
        if not isinstance(text, str):
            raise TypeError(f"scan() takes text (str), not {type(text).__name__}")
        if len(text) > _MAX_TEXT_CHARS:
            raise ScanError(f"a text of {len(text):,} characters is over the scanner's 8 MiB limit; split it")
        if not text:
            return _EMPTY
        try:
            candidates = self._candidates(text, field)
            if self._detectors:
                for rank, detector in enumerate(self._detectors, start=len(self._rules)):
                    candidates.extend(_external(detector, text, rank * _RANK))
        except ScanError:
            raise
        except Exception as exc:  # noqa: BLE001 - any detector failure must fail closed
            raise ScanError(
                f"a detector failed ({type(exc).__name__}); the text was not passed as clean. Fix or remove the "
                "detector"
            ) from None
        if not candidates:
            return _EMPTY
        return ScanResult(self._resolve(text, candidates))

    def scan_many(self, texts: Iterable[str], /, *, field: str | None = None) -> list[ScanResult]:
        """:meth:`scan` for many texts (one result per text, in order)."""
        scan = self.scan
        return [scan(text, field=field) for text in texts]

    def scan_record(
        self, record: Mapping[str, Any], /, *, fields: Iterable[str] | None = None
    ) -> dict[str, ScanResult]:
        """Scan the string fields of a record; returns the fields with findings, keyed by field name.

        Args:
            record: a flat record (field name → value); nested values and non-strings are skipped.
            fields: which fields to scan (default: every string field except ``Id`` and ``attributes``).
        """
        if isinstance(fields, str):
            raise TypeError(f"fields takes a list of field names, not one string (wrap it: [{fields!r}])")
        names = fields if fields is not None else [k for k in record if k not in ("Id", "attributes")]
        out: dict[str, ScanResult] = {}
        for name in names:
            value = record.get(name)
            if isinstance(value, str) and value:
                result = self.scan(value, field=name)
                if result:
                    out[name] = result
        return out

    # -- internals -----------------------------------------------------------------------------------------------

    def _candidates(self, text: str, field: str | None) -> list[_Candidate]:
        if self._match is not None:
            try:
                encoded = text.encode()
            except UnicodeEncodeError:  # RE2 reads UTF-8 and a lone surrogate has none: re runs every pattern
                pass
            else:
                matched = self._match(encoded)
                return self._matched(matched, text, field, encoded) if matched else []
        return _find(self._rules, text, field, None, None, re2_spans=False, exclusions=bool(self._detectors))

    def _matched(self, matched: list[int], text: str, field: str | None, encoded: bytes) -> list[_Candidate]:
        """The candidates of the set entries ``matched`` in ``text``."""
        matched.sort()
        count = len(self._rules)
        if matched[0] == count:  # only the disagreement guard
            return []
        every = bool(self._detectors)  # the detectors' findings may overlap an exclusion: always run exclusions
        if matched[-1] == count:  # a character on which RE2 and re disagree: re finds the spans
            rules = [self._rules[index] for index in matched[:-1]]
            return _find(rules, text, field, encoded, self._words, re2_spans=False, exclusions=every)
        rules = [self._rules[index] for index in matched]
        return _find(rules, text, field, encoded, self._words, re2_spans=True, exclusions=every)

    def _resolve(self, text: str, candidates: list[_Candidate]) -> tuple[Finding, ...]:
        # A candidate that will not be reported (below the threshold, allow-listed) must not claim its span either:
        # an unlikely phone number may not hide the discount it overlaps. Exclusions (no kind) do claim theirs.
        floor = self.min_confidence
        allow = self._allow
        eligible = [
            candidate
            for candidate in candidates
            if candidate[_KIND] is None
            or (
                candidate[_CONFIDENCE] >= floor
                and (not allow or text[candidate[_START] : candidate[_END]].casefold() not in allow)
            )
        ]
        if len(eligible) > 1:
            eligible.sort()  # by the sort key the tuples start with
            taken = _Spans()
            eligible = [c for c in eligible if taken.claim(c[_START], c[_END])]
            eligible.sort(key=_start)  # the spans taken are disjoint: their starts differ
        return tuple(
            [
                Finding(start, end, kind, confidence, detector)
                for _, _, _, start, _, end, kind, confidence, detector in eligible
                if kind is not None
            ]
        )


_Candidate = tuple[int, int, int, int, int, int, str | None, Confidence, str]
"""A match that passed its checks: ``(-priority, start - end, -confidence, start, order, end, kind, confidence,
detector)``. A plain tuple, because thousands are made per second; it begins with its sort key, so sorting a list of
them orders them as overlap resolution takes them: priority, then length, then confidence, then position, then
``order``, which is the rank of the pattern (or detector, after every pattern) times 2**32 plus the number of
candidates found before it."""

_START: Final = 3
_END: Final = 5
_KIND: Final = 6
_CONFIDENCE: Final = 7
_RANK: Final = 2**32
"""More than a text can hold matches (8 MiB): order numbers of different patterns never meet."""


def _start(candidate: _Candidate) -> int:
    return candidate[_START]


class _Spans:
    """Disjoint claimed spans, kept sorted: claiming is O(log n), so many findings stay linear-ish, not O(n²)."""

    __slots__ = ("_ends", "_starts")

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []

    def claim(self, start: int, end: int) -> bool:
        """Claim ``[start, end)`` unless it overlaps a claimed span; return whether it was claimed."""
        index = bisect.bisect_right(self._starts, start)
        if index and self._ends[index - 1] > start:
            return False
        if index < len(self._starts) and self._starts[index] < end:
            return False
        self._starts.insert(index, start)
        self._ends.insert(index, end)
        return True


_EMPTY: Final = ScanResult(())


class _EveryEntry:
    """Stands for the word set's answer where it cannot run: every word list may occur in the text."""

    def __contains__(self, entry: object) -> bool:
        return True


_EVERY_ENTRY: Final = _EveryEntry()


class _Rule:
    """One pattern, prepared for the hot path: its settings unpacked, its word lists compiled, its set entries known.

    Args:
        pattern: the pattern.
        rank: its position among the scanner's patterns.
        entries: the word set's entry of each word list (empty without a set; only lists a pattern requires).
        engine: RE2's search for the pattern (``Match(utf8, start, end)``) and whether it may find the spans in ASCII
            texts only; None where only re may find them. Where re does and the one pass looked for a looser form
            of the pattern, the same search (the ``gate``) first checks that the pattern itself is there.
    """

    __slots__ = (
        "_compiled",
        "ascii_texts",
        "context",
        "context_entry",
        "context_finder",
        "empty_word",
        "engine",
        "exclude_finder",
        "gate",
        "group",
        "kind",
        "name",
        "order",
        "pattern",
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
        self.pattern = pattern
        self.order = rank * _RANK
        self.name = pattern.name
        self.kind = pattern.kind
        self.group = pattern.group
        self.engine: Callable[[bytes, int, int], list[tuple[int, int]]] | None = None
        self.ascii_texts = False
        if engine is not None:
            self.engine, self.ascii_texts = engine
        self.gate = None
        if _re2 is not None and _one_pass_form(pattern) != pattern.regex:
            self.gate = self.engine or _re2_search(pattern.regex)
        self.validator = pattern.validator
        self.start_confidence = pattern.confidence
        self.raised = pattern.confidence.raised()
        self.context = pattern.context
        self.context_finder = _word_finder(pattern.context) if pattern.context else None
        self.context_entry = entries.get(pattern.context, -1) if pattern.requires_context else -1
        self.empty_word = "" in pattern.context  # "" is in every field name, even a missing one
        self.requires_context = pattern.requires_context
        self.exclude_finder = _word_finder(pattern.exclude_context) if pattern.exclude_context else None
        self.window = pattern.window
        self.shrink = pattern.shrink
        self.refine = pattern.refine if pattern.kind is not None else None
        self.priority = pattern.priority
        self._compiled: re.Pattern[str] | None = None

    def in_field(self, field_words: str) -> bool:
        """Whether one of the context words is in the (lower-cased) field name."""
        return any(word in field_words for word in self.context) if field_words else self.empty_word

    @property
    def compiled(self) -> re.Pattern[str]:
        """Python's ``re`` for the pattern; compiled on first use, as RE2 finds most spans."""
        if self._compiled is None:  # a race only compiles it twice
            self._compiled = _compile(self.pattern.confirm or self.pattern.regex)
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


def _find(
    rules: Iterable[_Rule],
    text: str,
    field: str | None,
    encoded: bytes | None,
    words: Callable[[bytes], list[int] | None] | None,
    *,
    re2_spans: bool,
    exclusions: bool,
) -> list[_Candidate]:
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
    out: list[_Candidate] = []
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
                words_seen = _EVERY_ENTRY if words is None or encoded is None else words(encoded) or ()
            if rule.context_entry not in words_seen:
                continue
        if lowered is None and (context_finder or rule.exclude_finder):
            lowered = _Lowered(text)
        spans = rule.spans(text, encoded, re2_spans=re2_spans)
        _add_candidates(out, rule, text, spans, lowered, confidence, context_finder)
    return out


def _add_candidates(  # noqa: PLR0917 - the hot path: positional on purpose
    out: list[_Candidate],
    rule: _Rule,
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
    rule: _Rule,
    text: str,
    start: int,
    end: int,
    lowered: _Lowered | None,
    confidence: Confidence,
    context_finder: re.Pattern[str] | None,
    exclude_finder: re.Pattern[str] | None,
    order: int,
) -> _Candidate | None:
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
    rule: _Rule,
    text: str,
    start: int,
    end: int,
    lowered: _Lowered | None,
    confidence: Confidence,
    context_finder: re.Pattern[str] | None,
    exclude_finder: re.Pattern[str] | None,
    order: int,
) -> _Candidate | None:
    """The longest shorter match, ending before a space inside the refused one, that validates."""
    validator = rule.validator
    cut = text.rfind(" ", start, end)
    while cut > start:
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


def _any_word(words: tuple[str, ...]) -> str:
    """An RE2 expression that matches wherever one of ``words`` could occur in the lower-cased text.

    It may match more often (that only costs a window search), never less: RE2's case folding covers what
    ``str.lower`` does, except that ``İ`` lower-cases to two characters, ``i`` and a combining dot.
    """
    alternation = [_re2_literal(word) for word in words]
    if any("i" in word or "\u0307" in word for word in words):
        alternation.append("\u0130")
    return f"(?i)(?:{'|'.join(alternation)})"


def _re2_literal(word: str) -> str:
    return "".join(char if char.isalnum() or not char.isascii() else f"\\x{{{ord(char):x}}}" for char in word)


def _external(detector: Detector, text: str, first: int) -> Iterator[_Candidate]:
    name = type(detector).__name__
    for order, finding in enumerate(detector.detect(text), start=first):
        start, end, kind = int(finding.start), int(finding.end), str(finding.kind)
        if not 0 <= start < end <= len(text):
            raise ScanError(f"detector {name} reported an impossible span {start}..{end}; fix the detector")
        confidence = getattr(finding, "confidence", Confidence.POSSIBLE)
        if not isinstance(confidence, Confidence):
            confidence = Confidence(int(confidence))
        detector_name = getattr(finding, "detector", name)
        priority = KIND_PRIORITY.get(kind, 50)
        yield (-priority, start - end, -confidence, start, order, end, kind, confidence, detector_name)


def _compile(regex: str) -> re.Pattern[str]:
    # ASCII mode gives \b, \s and \w the same meaning as in RE2. Patterns with non-ASCII letters (Zürich, für) need
    # Unicode case folding, which ASCII mode turns off.
    return re.compile(regex, re.ASCII if regex.isascii() else 0)


def _re2_options() -> Any:
    options = _re2.Options()
    options.max_mem = _RE2_MAX_MEM
    return options


def _compile_set(patterns: Sequence[Pattern], extra: Sequence[str]) -> Callable[[bytes], list[int] | None]:
    """The set of ``patterns`` (entry i is pattern i) then ``extra`` expressions, as a function of UTF-8 bytes."""
    checked = _re2.Set.SearchSet(_re2_options())  # each pattern as written, so that its own errors are reported
    pattern_set = _re2.Set.SearchSet(_re2_options())
    for pattern in patterns:
        try:
            checked.Add(pattern.regex)
        except _re2.error:
            raise ValueError(f"pattern {pattern.name!r} is not valid RE2 syntax") from None
        pattern_set.Add(_one_pass_form(pattern))
    for regex in extra:
        pattern_set.Add(regex)
    try:
        pattern_set.Compile()
    except Exception as exc:  # noqa: BLE001 - the binding reports failures with varying types
        raise ValueError(
            f"the pattern set does not compile ({type(exc).__name__}); use fewer or smaller patterns"
        ) from None
    # The binding's Set.Match is a thin Python wrapper (encode, call, "or None"); call the compiled set directly
    # when the binding exposes it.
    inner: Any = getattr(pattern_set, "_set", None)
    match: Callable[[bytes], list[int] | None] = inner.Match if hasattr(inner, "Match") else pattern_set.Match
    return match


def _one_pass_form(pattern: Pattern) -> str:
    """What the one pass looks for: the pattern's prefilter or expression, loosened."""
    return _loosened(pattern.prefilter or pattern.regex)


_COUNTED: Final = re.compile(r"\{([0-9]+)(?:(,)([0-9]*))?\}")
_LOOSEN_ABOVE: Final = 12


def _loosened(regex: str) -> str:
    r"""``regex`` for the one pass: each repetition counted past 12 (``{0,63}``, ``{40,}``) made unbounded from 12.

    The language only grows (whatever ``regex`` matches, this matches), so the one pass still sees every pattern
    that matches; and the DFA shrinks, as each counted step is a state of its own. Escapes (``\{``, ``\x{41}``) and
    character classes are copied as they are.
    """
    out = []
    index, size = 0, len(regex)
    in_class = False
    while index < size:
        char = regex[index]
        if char == "\\":
            end = index + 2
            if regex[index + 1 : index + 2] in ("x", "p", "P", "N") and regex[end : end + 1] == "{":
                end = regex.find("}", end) + 1 or size
            out.append(regex[index:end])
            index = end
            continue
        if in_class:
            in_class = char != "]" or regex[index - 1] == "[" or regex[index - 2 : index] == "[^"
        elif char == "[":
            in_class = True
        elif char == "{" and (counted := _COUNTED.match(regex, index)):
            low, comma, high = counted.groups()
            bound = int(high) if high else (None if comma else int(low))
            if bound is not None and bound <= _LOOSEN_ABOVE:
                out.append(counted.group())
            else:
                out.append({0: "*", 1: "+"}.get(min(int(low), _LOOSEN_ABOVE), f"{{{min(int(low), _LOOSEN_ABOVE)},}}"))
            index = counted.end()
            continue
        out.append(char)
        index += 1
    return "".join(out)


def _span_engine(pattern: Pattern) -> tuple[Any, bool] | None:
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
    if ascii_only and (_NON_ASCII_RANGE.search(regex) or any(map(_folds_to_ascii, set(regex) - _ASCII))):
        return None
    search = _re2_search(regex)
    return None if search is None else (search, ascii_only)


def _re2_search(regex: str) -> Callable[[bytes, int, int], list[tuple[int, int]]] | None:
    """RE2's unanchored search for ``regex`` in UTF-8 bytes, whole match only; None if the binding cannot tell."""
    if _UNANCHORED is None:
        return None
    options = _re2_options()
    options.never_capture = True  # the whole match is enough: re finds a group itself (see _Rule._groups)
    try:
        inner = _re2.compile(regex, options)._regexp  # noqa: SLF001 - the binding's C++ object
    except Exception:  # noqa: BLE001 - no such attribute, or the binding refuses the pattern alone
        return None
    return functools.partial(inner.Match, _UNANCHORED) if hasattr(inner, "Match") else None


_CHARACTER_ESCAPE: Final = re.compile(r"\\(?:x[89a-fA-F]|[0-9])")
"""A non-ASCII character written as an escape, an octal escape or a back-reference."""
_NON_ASCII_RANGE: Final = re.compile(r"[^\x00-\x7f]-|-[^\x00-\x7f]")
_ASCII: Final = frozenset(map(chr, range(128)))


def _folds_to_ascii(char: str) -> bool:
    """Whether either engine, ignoring case, matches ``char`` to an ASCII character."""
    letters = "".join(sorted(_ASCII))
    case_free = f"(?i){re.escape(char)}"
    return bool(re.search(case_free, letters) or _re2.search(case_free, letters))


_UNANCHORED: Final = getattr(getattr(_re2, "_Anchor", None), "UNANCHORED", None)


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
