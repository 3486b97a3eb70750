"""The scanner: one pass over the text for every pattern, validators on candidates only, typed overlap resolution.

How a text is scanned:

1. **One pass.** All patterns are compiled into one google-re2 ``Set`` (a DFA, linear time whatever the input);
   a single scan tells which patterns match anywhere in the text. Most CRM text matches none, and costs only that
   pass. (Without google-re2, every pattern runs instead: same results, several times slower.) The set's last
   entry finds Unicode lookalikes (no-break spaces, zero-width characters, dashes, full-width digits); a text that
   holds one is read with them as ASCII, one character for one, and scanned again, so its spans stay its own.
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

**Two engines, one answer.** What a pattern matches is defined by Python's ``re``; RE2 only makes it faster, and
``tests/dlp/test_scanner_engines.py`` holds the two engines to the same answer. The steps live in private modules:

- :mod:`sfshield.dlp._prefilter` — the one pass (step 1): the RE2 set, the loosening of counted repetitions that
  keeps its DFA small, and the guard for the characters on which the engines disagree.
- :mod:`sfshield.dlp._spans` — per pattern, whether RE2 may find its spans or ``re`` must, and finding them.
- :mod:`sfshield.dlp._candidates` — steps 2 and 3: validators and context words on each match.
- :mod:`sfshield.dlp._resolve` — steps 4 and 5, and the findings of external detectors.

This module is the public entry point: :class:`Scanner`, :class:`ScanResult` and :data:`ENGINE`.

The scanner is built once and is safe to share between threads. It never makes a network call and loads no
model. Findings never contain the matched text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sfshield.dlp._candidates import Rule, find
from sfshield.dlp._prefilter import DISAGREE, any_word, compile_set, re2
from sfshield.dlp._resolve import RANK, Candidate, external_candidates, resolve
from sfshield.dlp._spans import span_engine
from sfshield.dlp.findings import Confidence, Finding
from sfshield.dlp.patterns import Pattern, default_patterns
from sfshield.exceptions import ScanError
from sfshield.protocols import Detector, FindingLike

if TYPE_CHECKING:
    from sfshield.dlp.policy import DlpPolicy

__all__ = ["ENGINE", "ScanResult", "Scanner"]

ENGINE: Final = "re2" if re2 is not None else "re"
"""The regular-expression engine in use: ``re2`` (google-re2) or ``re`` (the slower pure-Python fallback)."""

_MAX_TEXT_CHARS: Final = 8 * 1024 * 1024


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
            adapter), or plain functions ``(text) -> findings`` (their findings are named after the function);
            their findings take part in overlap resolution like the built-ins'.
        dictionary: company terms (code names, product names) to report as ``IP_MARKER``.
        allow: values never to report (exact text, compared case-insensitively), such as your support address.
        min_confidence: findings below this level are not reported.

    Overlap priorities are read from :data:`~sfshield.dlp.patterns.KIND_PRIORITY` when the scanner is built.

    >>> scanner = Scanner()
    >>> [(str(f.kind), f.start, f.end) for f in scanner.scan("Call me on +44 20 7946 0958 or at ana@example.com")]
    [('PHONE_NUMBER', 11, 27), ('EMAIL_ADDRESS', 34, 49)]

    Raises:
        TypeError: a detector has no ``detect`` method and is not callable.
        ValueError: a pattern name is used twice, or a pattern is not valid for the engine.
    """

    def __init__(
        self,
        patterns: Sequence[Pattern] | None = None,
        *,
        detectors: Sequence[Detector | Callable[[str], Iterable[FindingLike]]] = (),
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
        self._detectors = tuple(_as_detector(detector) for detector in detectors)
        self._dictionary = frozenset(term.strip().casefold() for term in dictionary)
        self._allow = frozenset(value.casefold() for value in allow)
        self._min_confidence = min_confidence
        self._match: Callable[[bytes], list[int] | None] | None = None
        self._words: Callable[[bytes], list[int] | None] | None = None
        self._clean_exit = False  # whether a text the one pass finds nothing in is clean (no detectors to run)
        # Exclusions (no kind) come last, so that they run only where they can change the outcome (see _find). Each
        # rule keeps its pattern's rank, which orders ties as the patterns are ordered.
        ranked = sorted(enumerate(self._patterns), key=lambda item: item[1].kind is None)
        if re2 is None:
            self._rules = tuple(Rule(pattern, rank, {}, None) for rank, pattern in ranked)
            return
        # The one pass holds every rule's pattern, then the disagreement guard. The word lists of patterns that
        # require context get a set of their own, run only where such a pattern matched.
        self._match = compile_set([pattern for _, pattern in ranked], [DISAGREE, _LOOKALIKE_CLASS])
        self._clean_exit = not self._detectors
        self._lookalike = len(ranked) + 1  # the set entry that says a text holds a lookalike
        word_lists = list(dict.fromkeys(p.context for p in self._patterns if p.requires_context and p.context))
        if word_lists:
            self._words = compile_set([], [any_word(words) for words in word_lists])
        entries = {words: index for index, words in enumerate(word_lists)}
        self._rules = tuple(Rule(pattern, rank, entries, span_engine(pattern)) for rank, pattern in ranked)
        # The first rule that is an exclusion (they come last): a text that matches only those holds nothing.
        self._exclusions_from = next((i for i, rule in enumerate(self._rules) if rule.kind is None), len(self._rules))

    @classmethod
    def for_policy(
        cls,
        dlp: DlpPolicy,
        /,
        *,
        patterns: Sequence[Pattern] | None = None,
        detectors: Sequence[Detector | Callable[[str], Iterable[FindingLike]]] = (),
    ) -> Scanner:
        """A scanner with a policy's ``dlp`` dictionary, allow-list and threshold, and your patterns or detectors.

        Build the scanner you give :class:`~sfshield.Shield` this way: a scanner that lacks the policy's
        dictionary terms, allow-lists more, or reports less than its threshold is refused there.

        >>> from sfshield.dlp.policy import DlpPolicy
        >>> scanner = Scanner.for_policy(DlpPolicy(dictionary=("Project Falcon",)), detectors=[])
        >>> [str(finding.kind) for finding in scanner.scan("Status of Project Falcon?")]
        ['IP_MARKER']
        """
        if dlp is None or not hasattr(dlp, "dictionary"):
            raise TypeError(
                "Scanner.for_policy takes a policy's dlp section (policy.dlp); this policy has none: add a [dlp] "
                "section, or build Scanner() directly"
            )
        return cls(
            patterns,
            detectors=detectors,
            dictionary=dlp.dictionary,
            allow=dlp.allow,
            min_confidence=dlp.min_confidence,
        )

    def __repr__(self) -> str:
        return (
            f"Scanner({len(self._patterns)} patterns, {len(self._detectors)} detectors, engine={ENGINE!r}, "
            f"min_confidence={self._min_confidence.name})"
        )

    @property
    def patterns(self) -> tuple[Pattern, ...]:
        """The pattern detectors in use."""
        return self._patterns

    @property
    def dictionary(self) -> frozenset[str]:
        """The dictionary terms given as ``dictionary``, trimmed and case-folded (they match ignoring case)."""
        return self._dictionary

    @property
    def allow(self) -> frozenset[str]:
        """The allow-listed values, case-folded."""
        return self._allow

    @property
    def min_confidence(self) -> Confidence:
        """The lowest confidence reported (fixed when the scanner is built, so a check made on it stays true)."""
        return self._min_confidence

    def scan(self, text: str, /, *, field: str | None = None) -> ScanResult:  # noqa: PLR0912 - the hot path, inlined
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
            # ``text`` comes back with its Unicode lookalikes read as ASCII if it holds any (see _ASCII_LOOKALIKES).
            if self._clean_exit:  # the hot path, inlined: most texts hold nothing, and the one pass says so
                try:
                    encoded = text.encode()
                except UnicodeEncodeError:
                    candidates, text = self._candidates(text, field)
                else:
                    matched = self._match(encoded)  # type: ignore[misc]  # _clean_exit: the one pass is compiled
                    if not matched:
                        return _EMPTY
                    candidates, text = self._one_pass_candidates(matched, text, field, encoded)
            else:
                candidates, text = self._candidates(text, field)
            if self._detectors:
                for rank, (name, detect) in enumerate(self._detectors, start=len(self._rules)):
                    candidates.extend(external_candidates(name, detect, text, rank * RANK))
        except ScanError:
            raise
        except Exception as exc:  # noqa: BLE001 - any detector failure must fail closed
            raise ScanError(
                f"a detector failed ({type(exc).__name__}); the text was not passed as clean. Fix or remove the "
                "detector"
            ) from None
        if not candidates:
            return _EMPTY
        findings = resolve(text, candidates, self._min_confidence, self._allow)
        return _result(findings) if findings else _EMPTY

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

    def _candidates(self, text: str, field: str | None) -> tuple[list[Candidate], str]:
        """The candidates in ``text``, and the text they were found in (its lookalikes read as ASCII, if any).

        No-break and other Unicode spaces, zero-width characters, dashes and full-width digits, as word processors,
        mail clients and evasion write them, are read as their ASCII forms, one character for one, so spans stay
        the text's own. The one pass tells whether a text holds any (its last entry), so other texts pay nothing.
        """
        if self._match is not None:
            try:
                encoded = text.encode()
            except UnicodeEncodeError:  # RE2 reads UTF-8 and a lone surrogate has none: re runs every pattern
                pass
            else:
                return self._one_pass_candidates(self._match(encoded), text, field, encoded)
        if not text.isascii() and _HAS_LOOKALIKE(text) is not None:
            text = text.translate(_ASCII_LOOKALIKES)
        return find(self._rules, text, field, None, None, re2_spans=False, exclusions=bool(self._detectors)), text

    def _one_pass_candidates(
        self, matched: list[int] | None, text: str, field: str | None, encoded: bytes
    ) -> tuple[list[Candidate], str]:
        """:meth:`_candidates` once the one pass has run: ``matched`` is its answer for ``text`` (``encoded``)."""
        if not matched:
            return [], text
        if self._lookalike in matched:
            return self._candidates(text.translate(_ASCII_LOOKALIKES), field)
        return self._matched(matched, text, field, encoded), text

    def _matched(self, matched: list[int], text: str, field: str | None, encoded: bytes) -> list[Candidate]:
        """The candidates of the set entries ``matched`` in ``text``."""
        matched.sort()
        count = len(self._rules)
        every = bool(self._detectors)  # the detectors' findings may overlap an exclusion: always run exclusions
        if matched[0] >= (count if every else self._exclusions_from):
            # Only exclusions (which take spans from candidates, and there are none) or the disagreement guard.
            return []
        if matched[-1] == count:  # a character on which RE2 and re disagree: re finds the spans
            rules = [self._rules[index] for index in matched[:-1]]
            return find(rules, text, field, encoded, self._words, re2_spans=False, exclusions=every)
        rules = [self._rules[index] for index in matched]
        return find(rules, text, field, encoded, self._words, re2_spans=True, exclusions=every)

    def _resolve(self, text: str, candidates: list[Candidate]) -> tuple[Finding, ...]:
        return resolve(text, candidates, self._min_confidence, self._allow)


_EMPTY: Final = ScanResult(())
_SET_FINDINGS: Final = vars(ScanResult)["findings"].__set__


def _result(findings: tuple[Finding, ...]) -> ScanResult:
    """``ScanResult(findings)`` without the frozen dataclass's ``__init__`` (a third of the cost, same object)."""
    result = object.__new__(ScanResult)
    _SET_FINDINGS(result, findings)
    return result


_ASCII_LOOKALIKES: Final = str.maketrans(
    {
        **dict.fromkeys(
            "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000", " "
        ),
        **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff", " "),  # zero-width characters: read as a separator
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2212\ufe63\uff0d", "-"),
        **{chr(0xFF10 + digit): str(digit) for digit in range(10)},
        "\uff0b": "+",
        "\uff20": "@",
    }
)
"""One character for one: Unicode spaces, zero-width characters, dashes, and full-width digits, plus and at sign
that word processors, mail clients and evasion put into numbers and addresses, as the ASCII characters the patterns
expect (an IBAN or a card number with no-break spaces is still one)."""
_HAS_LOOKALIKE: Final = re.compile("[" + "".join(map(chr, _ASCII_LOOKALIKES)) + "]").search
"""Whether a text holds any of them, where there is no one pass (a surrogate in the text, or no RE2)."""
_LOOKALIKE_CLASS: Final = "[" + "".join(f"\\x{{{code:x}}}" for code in _ASCII_LOOKALIKES) + "]"
"""The same characters as an RE2 class: the one pass's last entry."""


def _as_detector(detector: object) -> tuple[str, Callable[[str], Iterable[FindingLike]]]:
    """A detector as its name (for its findings' ``detector`` field) and its detect function.

    Raises:
        TypeError: ``detector`` has no ``detect`` method and is not callable.
    """
    detect = getattr(detector, "detect", None)
    if callable(detect):
        return type(detector).__name__, detect
    if callable(detector):
        return getattr(detector, "__name__", type(detector).__name__), detector
    raise TypeError(
        "a detector must be an object with a detect(text) method or a function (text) -> findings, "
        f"not {type(detector).__name__}"
    )
