"""Two custom detectors beside the built-in patterns: internal ticket ids and a list of project code names.

A detector is any object with ``detect(text)`` that returns findings: a kind, a span and, optionally, a confidence
and a detector name. It never returns the matched text. The scanner merges its findings with the built-in ones
(overlaps, allow-list, confidence threshold), and the redactor treats its kinds like any other.

Run: python examples/custom_detector.py
"""

import re
from collections.abc import Iterable, Iterator

from sfshield.dlp import Confidence, Finding, Redactor, Scanner, TextAction
from sfshield.dlp.redaction import ActionSpec
from sfshield.dlp.validators import luhn
from sfshield.exceptions import ScanError


class TicketIdDetector:
    """ACME support tickets, ``ACME-TKT-`` and six digits whose last is a Luhn check digit."""

    _SHAPE = re.compile(r"\bACME-TKT-([0-9]{6})\b")

    def detect(self, text: str, /) -> Iterator[Finding]:
        for match in self._SHAPE.finditer(text):
            if luhn(match.group(1)):  # the check digit: a typo or a look-alike is not a ticket id
                yield Finding(match.start(), match.end(), "ACME_TICKET_ID", Confidence.VERY_LIKELY, "acme_ticket_id")


class CodeNameDetector:
    """Project code names from a list: "Falcon" is a project; "falcon", lower-case, is probably the bird."""

    _WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")

    def __init__(self, names: Iterable[str]) -> None:
        self._names = frozenset(name.casefold() for name in names)  # built once; detect() keeps no state

    def detect(self, text: str, /) -> Iterator[Finding]:
        for match in self._WORD.finditer(text):
            word = match.group()
            if word.casefold() in self._names:
                # Below the scanner's default threshold (POSSIBLE), UNLIKELY findings are dropped.
                confidence = Confidence.LIKELY if word[0].isupper() else Confidence.UNLIKELY
                yield Finding(match.start(), match.end(), "PROJECT_CODE_NAME", confidence, "code_names")


scanner = Scanner(detectors=[TicketIdDetector(), CodeNameDetector(["Falcon", "Nightjar"])])

note = (
    "Ana (ana.lopez@example.com) reopened ACME-TKT-123455 about the Falcon rollout; ACME-TKT-123456 is a typo. "
    "She also saw a falcon over the car park."
)
result = scanner.scan(note, field="Description")
for finding in result:
    print(f"{finding.kind:<18} {finding.start:>3}-{finding.end:<3} {finding.confidence.name:<11} {finding.detector}")

# The built-in e-mail pattern and the two custom detectors, in text order; the typo and the bird are not reported.
assert [str(f.kind) for f in result] == ["EMAIL_ADDRESS", "ACME_TICKET_ID", "PROJECT_CODE_NAME"]
assert note[result.findings[1].start : result.findings[1].end] == "ACME-TKT-123455"
assert not hasattr(result.findings[1], "text")  # findings hold offsets, never the value

# The redactor knows nothing of custom kinds (is a ticket id a secret?), so map each of them explicitly.
redactor = Redactor(
    {
        "ACME_TICKET_ID": ActionSpec(TextAction.MASK, keep_last=4),
        "PROJECT_CODE_NAME": TextAction.PLACEHOLDER,
    }
)
redacted = redactor.redact(note, result)
print("redacted:", redacted.text)
assert redacted.text is not None
assert "ana.lopez" not in redacted.text
assert "Falcon" not in redacted.text
assert "<PROJECT_CODE_NAME_1> rollout" in redacted.text
assert "***********3455" in redacted.text
assert "ACME-TKT-123456 is a typo" in redacted.text  # not a ticket id, so left alone
print("counts:", [(c.kind, c.action.value, c.count) for c in redacted.counts])


# A detector that fails stops the scan: a text is never passed as clean because a detector broke.
class BrokenDetector:
    def detect(self, text: str, /) -> list[Finding]:
        raise RuntimeError("lookup table unavailable")


try:
    Scanner(detectors=[BrokenDetector()]).scan(note)
except ScanError as exc:
    print("fails closed:", exc)
else:
    raise AssertionError("a failing detector must stop the scan")
