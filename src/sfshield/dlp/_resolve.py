"""Candidates and overlap resolution: which of the matches found take their span, and become findings.

A candidate is a match that passed its checks, as a plain tuple that begins with its sort key (:data:`Candidate`).
Candidates are taken by kind priority (a validated IBAN beats a card beats a phone; a Salesforce record id claims
its span so it is not mistaken for a phone or a secret), then length, then confidence; a candidate that overlaps one
already taken is dropped. Candidates that will not be reported (allow-listed, below the threshold) claim no span.
External detectors' findings become candidates here too (:func:`external_candidates`).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator
from typing import Final

from sfshield.dlp.findings import Confidence, Finding, _finding
from sfshield.dlp.patterns import KIND_PRIORITY
from sfshield.exceptions import ScanError
from sfshield.protocols import FindingLike

__all__ = ["RANK", "Candidate", "external_candidates", "resolve"]

Candidate = tuple[int, int, int, int, int, int, str | None, Confidence, str]
"""A match that passed its checks: ``(-priority, start - end, -confidence, start, order, end, kind, confidence,
detector)``. A plain tuple, because thousands are made per second; it begins with its sort key, so sorting a list of
them orders them as overlap resolution takes them: priority, then length, then confidence, then position, then
``order``, which is the rank of the pattern (or detector, after every pattern) times 2**32 plus the number of
candidates found before it."""

_START: Final = 3
_END: Final = 5
_KIND: Final = 6
_CONFIDENCE: Final = 7
RANK: Final = 2**32
"""More than a text can hold matches (8 MiB): order numbers of different patterns never meet."""


def _start(candidate: Candidate) -> int:
    return candidate[_START]


class _ClaimedSpans:
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


def resolve(text: str, candidates: list[Candidate], floor: Confidence, allow: frozenset[str]) -> tuple[Finding, ...]:
    """The findings among ``candidates``, ordered by position: overlaps resolved, ``allow`` and ``floor`` applied.

    Args:
        text: the text the candidates were found in.
        candidates: the candidates.
        floor: the lowest confidence reported.
        allow: case-folded values never to report (empty: none).
    """
    # A candidate that will not be reported (below the threshold, allow-listed) must not claim its span either:
    # an unlikely phone number may not hide the discount it overlaps. Exclusions (no kind) do claim theirs.
    if len(candidates) == 1:  # the common case: one match in the text, nothing to resolve
        _, _, _, start, _, end, kind, confidence, detector = candidates[0]
        if kind is None or confidence < floor or (allow and text[start:end].casefold() in allow):
            return ()
        return (_finding(start, end, kind, confidence, detector),)
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
        taken = _ClaimedSpans()
        eligible = [c for c in eligible if taken.claim(c[_START], c[_END])]
        eligible.sort(key=_start)  # the spans taken are disjoint: their starts differ
    return tuple(
        [
            _finding(start, end, kind, confidence, detector)
            for _, _, _, start, _, end, kind, confidence, detector in eligible
            if kind is not None
        ]
    )


def external_candidates(
    name: str, detect: Callable[[str], Iterable[FindingLike]], text: str, first: int
) -> Iterator[Candidate]:
    """The candidates of an external detector's findings in ``text``, numbered from ``first``.

    Raises:
        ScanError: a finding's span is not inside the text.
    """
    for order, finding in enumerate(detect(text), start=first):
        start, end, kind = int(finding.start), int(finding.end), str(finding.kind)
        if not 0 <= start < end <= len(text):
            raise ScanError(f"detector {name} reported an impossible span {start}..{end}; fix the detector")
        confidence = getattr(finding, "confidence", Confidence.POSSIBLE)
        if not isinstance(confidence, Confidence):
            confidence = Confidence(int(confidence))
        detector_name = getattr(finding, "detector", name)
        priority = KIND_PRIORITY.get(kind, 50)
        yield (-priority, start - end, -confidence, start, order, end, kind, confidence, detector_name)
