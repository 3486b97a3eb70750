"""The scanner: one pass over the text for every pattern, validators on candidates only, typed overlap resolution.

How a text is scanned:

1. **One pass.** All patterns are compiled into one google-re2 ``Set`` (a DFA, linear time whatever the input);
   a single scan tells which patterns match anywhere in the text. Most CRM text matches none, and costs only that
   pass. (Without google-re2, every pattern runs instead: same results, several times slower.)
2. **Candidates.** Only the patterns that matched run again, with Python's ``re`` in ASCII mode, to find their
   spans; each match is checked by the pattern's validator (Luhn, mod-97, ranges, structure).
3. **Context.** Exclusion words near a match drop it (``version 1.2.3.4`` is no address). Context words near a
   match, or in the field's name (a ``Phone`` field holds phones), raise its confidence by one level; patterns
   that require context drop matches without it.
4. **Overlaps.** Candidates are taken by kind priority (a validated IBAN beats a card beats a phone; a
   Salesforce record id claims its span so it is not mistaken for a phone or a secret), then length, then
   confidence; a candidate that overlaps one already taken is dropped.
5. **Allow-list and threshold.** Findings whose text is allow-listed, or below ``min_confidence``, are dropped.

The scanner is built once and is safe to share between threads. It never makes a network call and loads no
model. Findings never contain the matched text.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
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
        self._compiled = tuple(_compile(p.confirm or p.regex) for p in self._patterns)
        self._set = _compile_set(self._patterns) if _re2 is not None else None
        # The binding's Set.Match is a thin Python wrapper (encode, call, "or None"); on the hot path we call the
        # compiled set directly with UTF-8 bytes when the binding exposes it, and the public method otherwise.
        inner = getattr(self._set, "_set", None)
        self._match_bytes = inner.Match if inner is not None and hasattr(inner, "Match") else None

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
            for detector in self._detectors:
                candidates.extend(_external(detector, text))
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
        indexes: Iterable[int] = range(len(self._patterns))
        if self._set is not None:
            try:
                matched = self._match_bytes(text.encode()) if self._match_bytes else self._set.Match(text)
            except UnicodeEncodeError:
                pass  # RE2 works on UTF-8 and a lone surrogate has no UTF-8 form: let re run every pattern instead
            else:
                if not matched:  # the binding returns None (not []) when nothing matches
                    return []
                indexes = sorted(matched)
        lowered = _Lowered(text)
        field_words = field.lower() if field else ""
        out: list[_Candidate] = []
        for index in indexes:
            pattern = self._patterns[index]
            compiled = self._compiled[index]
            for match in compiled.finditer(text):
                start, end = match.span(pattern.group)
                if start >= 0 and start != end:
                    candidate = _evaluate(pattern, text, start, end, lowered, field_words)
                    if candidate is None and pattern.shrink:
                        candidate = _shrunk(compiled, pattern, text, start, end, lowered, field_words)
                    if candidate is not None:
                        out.append(candidate)
        return out

    def _resolve(self, text: str, candidates: list[_Candidate]) -> tuple[Finding, ...]:
        # A candidate that will not be reported (below the threshold, allow-listed) must not claim its span either:
        # an unlikely phone number may not hide the discount it overlaps. Exclusions (no kind) do claim theirs.
        floor = self.min_confidence
        allow = self._allow
        eligible = [
            c
            for c in candidates
            if c.kind is None
            or (c.confidence >= floor and (not allow or text[c.start : c.end].casefold() not in allow))
        ]
        eligible.sort(key=lambda c: (-c.priority, c.start - c.end, -c.confidence, c.start))
        taken = _Spans()
        findings = [
            Finding(c.start, c.end, c.kind, c.confidence, c.detector)
            for c in eligible
            if taken.claim(c.start, c.end) and c.kind is not None
        ]
        findings.sort()
        return tuple(findings)


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


@dataclass(slots=True)
class _Candidate:
    start: int
    end: int
    kind: str | None
    confidence: Confidence
    detector: str
    priority: int


_EMPTY: Final = ScanResult(())


class _Lowered:
    """The lower-cased text, computed once per scan and only when a pattern needs context."""

    __slots__ = ("_text", "_value")

    def __init__(self, text: str) -> None:
        self._text = text
        self._value: str | None = None

    def get(self) -> str:
        if self._value is None:
            self._value = self._text.lower()
        return self._value


def _evaluate(  # noqa: PLR0917 - the hot path: positional on purpose
    pattern: Pattern, text: str, start: int, end: int, lowered: _Lowered, field_words: str
) -> _Candidate | None:
    value = text[start:end]
    if pattern.validator is not None and not pattern.validator(value):
        return None
    if pattern.exclude_context and _near(lowered.get(), start, end, pattern.exclude_context, pattern.window):
        return None
    confidence = pattern.confidence
    if pattern.context:
        if _near(lowered.get(), start, end, pattern.context, pattern.window) or any(
            word in field_words for word in pattern.context
        ):
            confidence = confidence.raised()
        elif pattern.requires_context:
            return None
    kind = pattern.kind
    if kind is not None and pattern.refine is not None:
        kind = pattern.refine(value) or kind
    priority = pattern.priority_override
    if priority is None:
        priority = KIND_PRIORITY.get(kind or "", 50)
    return _Candidate(start, end, kind, confidence, pattern.name, priority)


def _shrunk(  # noqa: PLR0917 - mirrors _evaluate
    compiled: re.Pattern[str], pattern: Pattern, text: str, start: int, end: int, lowered: _Lowered, field_words: str
) -> _Candidate | None:
    """The longest shorter match, ending before a space inside the refused one, that validates."""
    cut = text.rfind(" ", start, end)
    while cut > start:
        match = compiled.match(text, start, cut)
        if match is not None and match.end() == cut:
            candidate = _evaluate(pattern, text, start, cut, lowered, field_words)
            if candidate is not None:
                return candidate
        cut = text.rfind(" ", start, cut)
    return None


def _near(lowered: str, start: int, end: int, words: tuple[str, ...], window: int) -> bool:
    """Whether one of ``words`` stands, as a whole word, within ``window`` characters of the match.

    The window reaches ``window`` characters before the match and half as many after it. Whole words: ``tel`` must
    not fire inside "Telko", nor ``ver`` inside "server".
    """
    finder = _word_finder(words)
    return bool(finder.search(lowered, max(0, start - window), start) or finder.search(lowered, end, end + window // 2))


@functools.lru_cache(maxsize=256)
def _word_finder(words: tuple[str, ...]) -> re.Pattern[str]:
    alternation = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternation})(?!\w)")


def _external(detector: Detector, text: str) -> Iterator[_Candidate]:
    name = type(detector).__name__
    for finding in detector.detect(text):
        start, end, kind = int(finding.start), int(finding.end), str(finding.kind)
        if not 0 <= start < end <= len(text):
            raise ScanError(f"detector {name} reported an impossible span {start}..{end}; fix the detector")
        confidence = getattr(finding, "confidence", Confidence.POSSIBLE)
        if not isinstance(confidence, Confidence):
            confidence = Confidence(int(confidence))
        yield _Candidate(start, end, kind, confidence, getattr(finding, "detector", name), KIND_PRIORITY.get(kind, 50))


def _compile(regex: str) -> re.Pattern[str]:
    # Python's re finds the spans: it is faster than the re2 binding's Python-level finditer, and it runs only on
    # texts the re2 set said match. ASCII mode gives \b, \s and \w the same meaning as in RE2.
    # Patterns with non-ASCII letters (Zürich, für) need Unicode case folding, which ASCII mode turns off.
    return re.compile(regex, re.ASCII if regex.isascii() else 0)


def _compile_set(patterns: Sequence[Pattern]) -> Any:
    options = _re2.Options()
    options.max_mem = _RE2_MAX_MEM
    pattern_set = _re2.Set.SearchSet(options)
    for pattern in patterns:
        if pattern_set.Add(pattern.regex) < 0:
            raise ValueError(f"pattern {pattern.name!r} is not valid RE2 syntax")
    try:
        pattern_set.Compile()
    except Exception as exc:  # noqa: BLE001 - the binding reports failures with varying types
        raise ValueError(
            f"the pattern set does not compile ({type(exc).__name__}); use fewer or smaller patterns"
        ) from None
    return pattern_set
