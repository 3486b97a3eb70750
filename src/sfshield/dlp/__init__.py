"""DLP for free text: find personal data, credentials and company information before text reaches a model.

- :class:`Scanner` — one pass over the text for every pattern (google-re2), validators on candidates only, context
  words, typed overlap resolution. ``Scanner().scan(text)`` returns a :class:`ScanResult` of :class:`Finding`
  objects: kind, span, confidence — never the matched text.
- :class:`EntityKind` — the built-in kinds (Presidio's names where Presidio has the kind).
- :mod:`sfshield.dlp.patterns` — the built-in pattern detectors, and :func:`dictionary_pattern` for company terms.
- :mod:`sfshield.dlp.validators` — checksums and structural checks (Luhn, mod-97, SSN and NINO rules …).
- :class:`Redactor` / :func:`redact` — apply actions to findings (mask, placeholder, pseudonym, encrypt; quarantine
  and block withhold the text).
- :class:`PlaceholderVault` — encrypted, expiring placeholder → value mappings, to de-mask an LLM's answer inside
  the trust boundary and catch values it should never have seen.
- :class:`QuarantineStore` — records held back whole, encrypted, for review and audited release.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sfshield._lazy import lazy_exports
from sfshield.dlp.findings import Confidence, EntityKind, Finding, TextAction
from sfshield.dlp.patterns import Pattern, default_patterns, dictionary_pattern
from sfshield.dlp.redaction import ActionSpec, Redaction, Redactor, redact
from sfshield.dlp.scanner import ENGINE, Scanner, ScanResult

if TYPE_CHECKING:
    from sfshield.dlp.presidio import PresidioDetector
    from sfshield.dlp.quarantine import Partition, QuarantineEntry, QuarantineStatus, QuarantineStore, partition
    from sfshield.dlp.vault import LeakReport, PlaceholderVault, Restoration

# The vault and the quarantine need SQLite, pydantic and the cipher; scanning and redacting do not.
_LAZY = {
    **dict.fromkeys(("LeakReport", "PlaceholderVault", "Restoration"), "sfshield.dlp.vault"),
    "PresidioDetector": "sfshield.dlp.presidio",
    **dict.fromkeys(
        ("Partition", "QuarantineEntry", "QuarantineStatus", "QuarantineStore", "partition"), "sfshield.dlp.quarantine"
    ),
}


__getattr__, __dir__ = lazy_exports("sfshield.dlp", globals(), _LAZY)


__all__ = [
    "ENGINE",
    "ActionSpec",
    "Confidence",
    "EntityKind",
    "Finding",
    "LeakReport",
    "Partition",
    "Pattern",
    "PlaceholderVault",
    "PresidioDetector",
    "QuarantineEntry",
    "QuarantineStatus",
    "QuarantineStore",
    "Redaction",
    "Redactor",
    "Restoration",
    "ScanResult",
    "Scanner",
    "TextAction",
    "default_patterns",
    "dictionary_pattern",
    "partition",
    "redact",
]
