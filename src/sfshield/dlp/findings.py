"""What the scanner reports: a kind, a span and a confidence — never the matched text.

Kind names follow Presidio's where Presidio has the kind (``EMAIL_ADDRESS``, ``PHONE_NUMBER``, ``CREDIT_CARD`` …),
so that its users feel at home; sfshield adds Salesforce credentials, provider secrets and company-IP markers.
Confidence uses the five likelihood levels of Google's Sensitive Data Protection and Nightfall.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum, StrEnum

__all__ = ["Confidence", "EntityKind", "Finding", "TextAction", "check_kind_names"]


class EntityKind(StrEnum):
    """The kinds of sensitive data the built-in detectors find."""

    # The values below are kind names, not credentials.

    # personal data (Presidio's names)
    EMAIL_ADDRESS = "EMAIL_ADDRESS"
    PHONE_NUMBER = "PHONE_NUMBER"
    CREDIT_CARD = "CREDIT_CARD"
    IBAN_CODE = "IBAN_CODE"
    US_SSN = "US_SSN"
    UK_NINO = "UK_NINO"
    IP_ADDRESS = "IP_ADDRESS"
    DATE_OF_BIRTH = "DATE_OF_BIRTH"
    # Salesforce credentials
    SALESFORCE_ACCESS_TOKEN = "SALESFORCE_ACCESS_TOKEN"  # noqa: S105
    SALESFORCE_REFRESH_TOKEN = "SALESFORCE_REFRESH_TOKEN"  # noqa: S105
    SALESFORCE_CONSUMER_KEY = "SALESFORCE_CONSUMER_KEY"
    SALESFORCE_CONSUMER_SECRET = "SALESFORCE_CONSUMER_SECRET"  # noqa: S105
    # other secrets
    JWT = "JWT"
    PRIVATE_KEY = "PRIVATE_KEY"
    AWS_ACCESS_KEY = "AWS_ACCESS_KEY"
    GITHUB_TOKEN = "GITHUB_TOKEN"  # noqa: S105
    SLACK_TOKEN = "SLACK_TOKEN"  # noqa: S105
    STRIPE_KEY = "STRIPE_KEY"
    GENERIC_SECRET = "GENERIC_SECRET"  # noqa: S105
    # company information
    IP_MARKER = "IP_MARKER"
    COMMERCIAL_TERMS = "COMMERCIAL_TERMS"

    @property
    def is_secret(self) -> bool:
        """Whether the kind is a credential (never allowed to pass, whatever the purpose)."""
        return self in _SECRETS


_SECRETS = frozenset(
    {
        EntityKind.SALESFORCE_ACCESS_TOKEN,
        EntityKind.SALESFORCE_REFRESH_TOKEN,
        EntityKind.SALESFORCE_CONSUMER_KEY,
        EntityKind.SALESFORCE_CONSUMER_SECRET,
        EntityKind.JWT,
        EntityKind.PRIVATE_KEY,
        EntityKind.AWS_ACCESS_KEY,
        EntityKind.GITHUB_TOKEN,
        EntityKind.SLACK_TOKEN,
        EntityKind.STRIPE_KEY,
        EntityKind.GENERIC_SECRET,
    }
)


class Confidence(IntEnum):
    """How likely a finding is to be what its kind says (five levels, lowest first)."""

    VERY_UNLIKELY = 1
    UNLIKELY = 2
    POSSIBLE = 3
    LIKELY = 4
    VERY_LIKELY = 5

    def raised(self, steps: int = 1) -> Confidence:
        """This level raised by ``steps`` (capped at VERY_LIKELY)."""
        return Confidence(min(Confidence.VERY_LIKELY, self + steps))

    def lowered(self, steps: int = 1) -> Confidence:
        """This level lowered by ``steps`` (floored at VERY_UNLIKELY)."""
        return Confidence(max(Confidence.VERY_UNLIKELY, self - steps))


@dataclass(frozen=True, slots=True, order=True)
class Finding:
    """One piece of sensitive data in a text: where it is and what it is, never the text itself.

    Attributes:
        start: offset (in characters) of the first character.
        end: offset after the last character.
        kind: what was found (an :class:`EntityKind`, or a custom detector's own kind name).
        confidence: how likely the finding is right.
        detector: the name of the detector (or pattern) that found it.
    """

    start: int
    end: int
    kind: str
    confidence: Confidence
    detector: str

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(f"a finding needs 0 <= start < end, got {self.start}..{self.end}")

    def overlaps(self, other: Finding) -> bool:
        """Whether the two spans share a character."""
        return self.start < other.end and other.start < self.end


def _slot_setters() -> tuple[Callable[[Finding, object], None], ...]:
    return tuple(vars(Finding)[name].__set__ for name in ("start", "end", "kind", "confidence", "detector"))


_SET_START, _SET_END, _SET_KIND, _SET_CONFIDENCE, _SET_DETECTOR = _slot_setters()
_new = object.__new__


def _finding(start: int, end: int, kind: str, confidence: Confidence, detector: str, /) -> Finding:
    """``Finding(start, end, kind, confidence, detector)``, at half the cost: the scanner makes thousands per second.

    It sets the slots directly instead of going through the frozen dataclass's ``__init__``; the span is checked
    all the same. The result is equal to the one the constructor makes, field for field.

    Raises:
        ValueError: the span is not ``0 <= start < end``.
    """
    if not 0 <= start < end:
        raise ValueError(f"a finding needs 0 <= start < end, got {start}..{end}")
    finding = _new(Finding)
    _SET_START(finding, start)
    _SET_END(finding, end)
    _SET_KIND(finding, kind)
    _SET_CONFIDENCE(finding, confidence)
    _SET_DETECTOR(finding, detector)
    return finding


class TextAction(StrEnum):
    """What happens to a finding in free text, from the least to the most protective.

    When several actions apply to one span, the stricter wins. A placeholder ranks above encryption because it
    removes the value from the text altogether (it can come back only through the vault, inside the trust
    boundary), where a ciphertext still carries it.
    """

    ALLOW = "allow"
    """The finding stays as it is."""
    MASK = "mask"
    """Replaced by ``*`` characters (optionally keeping the last few)."""
    PSEUDONYMIZE = "pseudonymize"
    """Replaced by the tenant's keyed pseudonym (stable across records and runs)."""
    ENCRYPT = "encrypt"
    """Replaced by a ciphertext bound to the context (tenant, purpose, object, field, record, kind)."""
    PLACEHOLDER = "placeholder"
    """Replaced by a typed placeholder such as ``<EMAIL_ADDRESS_1>``, consistent within one text or vault scope."""
    QUARANTINE = "quarantine"
    """The whole record is held back, encrypted, in the quarantine store; the caller gets the rest."""
    BLOCK = "block"
    """The whole operation stops with an error; nothing of the batch is returned."""

    @property
    def strictness(self) -> int:
        """Position in the order above; the stricter action wins."""
        return _ACTION_STRICTNESS[self]

    @property
    def holds_back(self) -> bool:
        """Whether the action is a record-level decision (``QUARANTINE``, ``BLOCK``): the text is not returned."""
        return self in (TextAction.QUARANTINE, TextAction.BLOCK)


_ACTION_STRICTNESS = {action: rank for rank, action in enumerate(TextAction)}


def check_kind_names(kinds: object, /, *, what: str) -> frozenset[str]:
    """Return ``kinds`` as a set of kind names, refusing the shapes that would silently match nothing.

    A bare string (``"CREDIT_CARD"`` where a collection is expected) would be read letter by letter; a built-in
    kind in the wrong case (``"credit_card"``) or a policy category (``"secret"``) never equals a finding's kind.
    All three raise instead of failing open. Your own detectors' kinds may be spelt as they like.

    Raises:
        TypeError: ``kinds`` is a string, not a collection of strings.
        ValueError: a name is a built-in kind in the wrong case, or a category.
    """
    if isinstance(kinds, str | bytes):
        raise TypeError(f"{what} takes a collection of kind names, not one string (wrap it: [{kinds!r}])")
    names = frozenset(str(kind) for kind in kinds)  # type: ignore[attr-defined]
    builtin = {kind.value for kind in EntityKind}
    wrong = sorted(name for name in names if name not in builtin and name.upper() in builtin)
    categories = sorted(name for name in names if name in {"secret", "personal", "company", "*"})
    if wrong or categories:
        raise ValueError(
            f"{what}: {', '.join(map(repr, wrong + categories))} would match no finding; kinds are spelt like "
            "EMAIL_ADDRESS (categories such as 'secret' work only in a policy's dlp rules)"
        )
    return names
