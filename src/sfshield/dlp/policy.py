"""The free-text part of a classification policy: which text fields are scanned, and what happens to each finding.

In a policy file::

    [dlp]
    fields = ["Case.Description", "*.Description", "Opportunity.NextStep"]
    dictionary = ["Project Falcon", "Bluebird"]     # company terms, reported as IP_MARKER
    allow = ["support@acme.example"]               # never reported
    min_confidence = "POSSIBLE"

    [[dlp.rules]]
    name = "no credentials, ever"
    purposes = ["*"]
    kinds = ["secret"]
    action = "quarantine"

    [[dlp.rules]]
    purposes = ["embedding", "inference"]
    kinds = ["EMAIL_ADDRESS", "PHONE_NUMBER"]
    action = "placeholder"

A text field is scanned when the field filter *kept* it (a dropped field needs no scan, a masked, pseudonymised or
encrypted one no longer holds the text) and it matches ``fields``. For each finding the strictest matching rule
wins (allow < mask < pseudonymize < encrypt < placeholder < quarantine < block). Kinds no rule covers get the
default, which fails closed: credentials are quarantined, everything else is replaced by a placeholder. A rule
cannot allow credentials through in clear: where ``allow`` would win for a credential kind, it is quarantined.

``kinds`` accepts kind names (``EMAIL_ADDRESS``, your detectors' own kinds), the categories ``secret``,
``personal`` and ``company``, and ``*``.
"""

from __future__ import annotations

import fnmatch
from functools import cached_property
from typing import Annotated, Final

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from sfshield.dlp.findings import Confidence, EntityKind, TextAction

__all__ = ["DlpDecision", "DlpPolicy", "DlpRule", "TextAction"]


_PERSONAL: Final = frozenset(
    {
        EntityKind.EMAIL_ADDRESS,
        EntityKind.PHONE_NUMBER,
        EntityKind.CREDIT_CARD,
        EntityKind.IBAN_CODE,
        EntityKind.US_SSN,
        EntityKind.UK_NINO,
        EntityKind.IP_ADDRESS,
        EntityKind.DATE_OF_BIRTH,
    }
)
_COMPANY: Final = frozenset({EntityKind.IP_MARKER, EntityKind.COMMERCIAL_TERMS})
_CATEGORIES: Final = ("secret", "personal", "company", "*")
_MAX_MEMO: Final = 4096


def _category_of(kind: str) -> str:
    if kind in _PERSONAL:
        return "personal"
    if kind in _COMPANY:
        return "company"
    if kind in EntityKind.__members__ and EntityKind(kind).is_secret:
        return "secret"
    return ""


def _names(value: object) -> object:
    if isinstance(value, str):
        return (value,)
    return value


NameTuple = Annotated[tuple[str, ...], BeforeValidator(_names)]


class DlpRule(BaseModel):
    """One rule: for these purposes, findings of these kinds get this action."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = None
    purposes: Annotated[NameTuple, Field(min_length=1)]
    kinds: Annotated[NameTuple, Field(min_length=1)]
    action: TextAction
    keep_last: Annotated[int, Field(ge=0, le=4)] = 0

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, kinds: tuple[str, ...]) -> tuple[str, ...]:
        for kind in kinds:
            if kind not in _CATEGORIES and not (kind.isupper() and kind.replace("_", "").isalnum()):
                raise ValueError(
                    f"kind {kind!r} is neither a category ({', '.join(_CATEGORIES)}) nor an UPPER_CASE kind name "
                    "(EMAIL_ADDRESS, or your detector's kind)"
                )
        return kinds

    def covers(self, kind: str, purpose: str) -> bool:
        """Whether the rule applies to findings of ``kind`` under ``purpose``."""
        if "*" not in self.purposes and purpose not in self.purposes:
            return False
        return "*" in self.kinds or kind in self.kinds or _category_of(kind) in self.kinds


class DlpDecision(BaseModel):
    """What to do with findings of one kind under one purpose, and which rule said so."""

    model_config = ConfigDict(frozen=True)

    action: TextAction
    rule: str
    keep_last: int = 0


def _confidence(value: object) -> object:
    if isinstance(value, str):
        try:
            return Confidence[value.strip().upper()]
        except KeyError:
            raise ValueError(
                f"min_confidence {value!r} is not one of {', '.join(level.name for level in Confidence)}"
            ) from None
    return value


class DlpPolicy(BaseModel):
    """Which text fields are scanned for sensitive data and what happens to each finding (see the module docs)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fields: NameTuple = ()
    dictionary: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    min_confidence: Annotated[Confidence, BeforeValidator(_confidence)] = Confidence.POSSIBLE
    rules: tuple[DlpRule, ...] = ()

    @field_validator("dictionary")
    @classmethod
    def _terms(cls, terms: tuple[str, ...]) -> tuple[str, ...]:
        if any(not term.strip() for term in terms):
            raise ValueError("dictionary terms must not be empty or only spaces")
        return terms

    @field_validator("fields")
    @classmethod
    def _field_refs(cls, fields: tuple[str, ...]) -> tuple[str, ...]:
        for ref in fields:
            sobject, dot, field = ref.partition(".")
            if not dot or not sobject or not field:
                raise ValueError(f"text field {ref!r} must be written Object.Field (or *.Field)")
        return fields

    @cached_property
    def _scan_memo(self) -> dict[tuple[str, str], bool]:
        return {}

    def scans(self, sobject: str, field: str) -> bool:
        """Whether ``sobject.field`` is a text field to scan (memoised; bounded, since names come from records)."""
        key = (sobject, field)
        memo = self._scan_memo
        found = memo.get(key)
        if found is None:
            name = f"{sobject}.{field}".casefold()
            found = any(fnmatch.fnmatchcase(name, ref.casefold()) for ref in self.fields)
            if len(memo) >= _MAX_MEMO:
                memo.clear()
            memo[key] = found
        return found

    def decide(self, kind: str, purpose: str) -> DlpDecision:
        """The action for findings of ``kind`` under ``purpose``: the strictest matching rule, else the default."""
        matching = [(index, rule) for index, rule in enumerate(self.rules) if rule.covers(kind, purpose)]
        if not matching:
            default = TextAction.QUARANTINE if _category_of(kind) == "secret" else TextAction.PLACEHOLDER
            return DlpDecision(action=default, rule="default")
        index, rule = max(matching, key=lambda item: (item[1].action.strictness, -item[0]))
        name = rule.name or f"dlp.rules[{index}]"
        if rule.action is TextAction.ALLOW and _category_of(kind) == "secret":
            # Credentials never pass in clear, whatever a broad rule (kinds = ["*"]) says.
            return DlpDecision(action=TextAction.QUARANTINE, rule=f"{name} (credentials are never allowed)")
        return DlpDecision(action=rule.action, rule=name, keep_last=rule.keep_last)
