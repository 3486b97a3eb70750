"""DLP for free text: find personal data, credentials and company information before text reaches a model.

- :class:`Scanner` — one pass over the text for every pattern (google-re2), validators on candidates only, context
  words, typed overlap resolution. ``Scanner().scan(text)`` returns a :class:`ScanResult` of :class:`Finding`
  objects: kind, span, confidence — never the matched text.
- :class:`EntityKind` — the built-in kinds (Presidio's names where Presidio has the kind).
- :mod:`sfshield.dlp.patterns` — the built-in pattern detectors, and :func:`dictionary_pattern` for company terms.
- :mod:`sfshield.dlp.validators` — checksums and structural checks (Luhn, mod-97, SSN and NINO rules …).
"""

from __future__ import annotations

from sfshield.dlp.findings import Confidence, EntityKind, Finding
from sfshield.dlp.patterns import Pattern, default_patterns, dictionary_pattern
from sfshield.dlp.scanner import ENGINE, Scanner, ScanResult

__all__ = [
    "ENGINE",
    "Confidence",
    "EntityKind",
    "Finding",
    "Pattern",
    "ScanResult",
    "Scanner",
    "default_patterns",
    "dictionary_pattern",
]
