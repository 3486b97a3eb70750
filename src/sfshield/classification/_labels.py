"""Field labels: what a field *is* (sensitivity, compliance groups, tags), independent of any purpose.

Salesforce's own vocabulary is the base: the ``SecurityClassification`` picklist (Public … MissionCritical) and the
``ComplianceGroup`` multipicklist (PII, GDPR …). Orgs may add their own sensitivity levels; sfshield does not know
what they mean, so it ranks every unknown level — and a missing one — above ``MissionCritical``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict

__all__ = [
    "MOST_SENSITIVE_RANK",
    "Action",
    "ComplianceGroup",
    "FieldLabel",
    "Purpose",
    "Sensitivity",
    "merge_labels",
    "sensitivity_rank",
]


class Sensitivity(StrEnum):
    """Salesforce's built-in data sensitivity levels (``FieldDefinition.SecurityClassification``), least first."""

    PUBLIC = "Public"
    INTERNAL = "Internal"
    CONFIDENTIAL = "Confidential"
    RESTRICTED = "Restricted"
    MISSION_CRITICAL = "MissionCritical"


_RANK = {level.value.casefold(): rank for rank, level in enumerate(Sensitivity)}
MOST_SENSITIVE_RANK = len(_RANK)
"""The rank of an unknown or missing sensitivity level: above every level Salesforce defines."""


def sensitivity_rank(level: str | None) -> int:
    """Return the rank of a sensitivity level; unknown and missing levels rank as the most sensitive."""
    if level is None:
        return MOST_SENSITIVE_RANK
    return _RANK.get(level.casefold(), MOST_SENSITIVE_RANK)


class ComplianceGroup(StrEnum):
    """Salesforce's built-in compliance categories (``FieldDefinition.ComplianceGroup``). Custom ones are allowed."""

    CCPA = "CCPA"
    COPPA = "COPPA"
    GDPR = "GDPR"
    HIPAA = "HIPAA"
    PCI = "PCI"
    PERSONAL_INFO = "PersonalInfo"
    PII = "PII"


class Purpose(StrEnum):
    """What records are used for. A policy may declare more purposes of its own (``purposes = [...]``)."""

    INFERENCE = "inference"
    EMBEDDING = "embedding"
    TRAINING = "training"
    FINE_TUNING = "fine_tuning"
    ANALYTICS = "analytics"
    SYNC = "sync"


class Action(StrEnum):
    """What happens to a field value, from the least to the most protective.

    When several rules match a field, the most protective action wins (see :attr:`strictness`).
    """

    KEEP = "keep"
    MASK = "mask"
    PSEUDONYMIZE = "pseudonymize"
    ENCRYPT = "encrypt"
    DROP = "drop"

    @property
    def strictness(self) -> int:
        """Position in the order keep < mask < pseudonymize < encrypt < drop."""
        return _STRICTNESS[self]


_STRICTNESS = {action: rank for rank, action in enumerate(Action)}


def _canonical_level(value: object) -> object:
    if isinstance(value, str):
        stripped = value.strip()
        for level in Sensitivity:
            if level.value.casefold() == stripped.casefold():
                return level.value
        return stripped or None
    return value


def _sorted_names(value: object) -> object:
    if isinstance(value, str):
        value = value.split(";")
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(sorted({str(v).strip() for v in value if str(v).strip()}))
    return value


def _sorted_levels(value: object) -> object:
    names = _sorted_names(value)
    if isinstance(names, tuple):
        return tuple(sorted({str(_canonical_level(name)) for name in names}))
    return names


SensitivityName = Annotated[str | None, BeforeValidator(_canonical_level)]
NameSet = Annotated[tuple[str, ...], BeforeValidator(_sorted_names)]
LevelSet = Annotated[tuple[str, ...], BeforeValidator(_sorted_levels)]


class FieldLabel(BaseModel):
    """The classification of one field.

    Attributes:
        sensitivity: a :class:`Sensitivity` value or an org-custom level (ranked most sensitive), or ``None``.
        compliance: compliance groups (``;``-joined strings are split, as Salesforce returns them).
        tags: free tags such as ``ip`` or ``commercial-terms``.
        kind: what the value is (``email``, ``phone``, ``card``); prefixes pseudonyms and guides masking.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    sensitivity: SensitivityName = None
    compliance: NameSet = ()
    tags: NameSet = ()
    kind: str | None = None

    @property
    def rank(self) -> int:
        """The sensitivity rank; unknown and missing levels rank above ``MissionCritical``."""
        return sensitivity_rank(self.sensitivity)

    @property
    def is_empty(self) -> bool:
        """Whether the label says nothing at all (such a field counts as unlabelled)."""
        return self.sensitivity is None and not self.compliance and not self.tags


def merge_labels(first: FieldLabel, second: FieldLabel) -> FieldLabel:
    """Combine two labels of one field so that the result is never less protected than either.

    The more sensitive level wins (an unknown level beats every known one; a level one side leaves unset is taken
    from the other), compliance groups and tags are united, and the second label's ``kind`` wins when it has one.

    Raises:
        ValueError: the two labels carry different org-custom levels, which cannot be ordered.
    """
    levels = [lvl for lvl in (first.sensitivity, second.sensitivity) if lvl is not None]
    custom = {lvl.casefold() for lvl in levels if sensitivity_rank(lvl) == MOST_SENSITIVE_RANK}
    if len(custom) > 1:
        # Two org-custom levels cannot be ordered, and keeping either would hide the other from rules naming it.
        raise ValueError("two different org-custom sensitivity levels for one field; settle on one in your sources")
    level = max(levels, key=sensitivity_rank) if levels else None
    return FieldLabel(
        sensitivity=level,
        compliance=(*first.compliance, *second.compliance),
        tags=(*first.tags, *second.tags),
        kind=second.kind or first.kind,
    )
