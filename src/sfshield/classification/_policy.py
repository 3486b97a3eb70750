"""The policy: labels per ``Object.Field``, rules mapping purpose x label to an action, versioned and hashed.

How a field is decided for a purpose (the whole algorithm, also in ``docs/concepts/classification.md``):

1. Find the field's label: ``Object.Field``, else ``*.Field``. No label, or an empty one → **drop** (unlabelled).
2. Collect the rules that name the purpose (or ``*``) and whose every condition holds for the label.
   Rules that list ``fields`` are more specific: if any of them matches, only those count.
3. No rule → **drop** (uncovered). Otherwise the most protective action wins
   (keep < mask < pseudonymize < encrypt < drop); among masks, the one that keeps fewer characters.

So nothing passes unless a rule says so, and adding a rule can make a label-based decision stricter but never
looser — except through a rule that names the field explicitly, which is a deliberate, reviewable exception.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, model_validator

from sfshield.classification._labels import (
    Action,
    FieldLabel,
    LevelSet,
    NameSet,
    Purpose,
    Sensitivity,
    SensitivityName,
    merge_labels,
    sensitivity_rank,
)
from sfshield.dlp.policy import DlpPolicy
from sfshield.exceptions import ClassificationError, UnknownPurposeError

__all__ = ["STANDARD_RELATIONSHIPS", "Classification", "Decision", "DecisionReason", "Rule"]

ANY_PURPOSE = "*"
_MAX_MEMO = 65_536
_NAME = r"[A-Za-z][A-Za-z0-9_]*"
_FIELD_REF = re.compile(rf"^(\*|{_NAME})\.({_NAME})$")
_PATTERN = re.compile(rf"^(\*|{_NAME})\.(\*|{_NAME})$")

STANDARD_RELATIONSHIPS: Mapping[str, str] = {
    "Account": "Account",
    "Contact": "Contact",
    "Opportunity": "Opportunity",
    "Case": "Case",
    "Lead": "Lead",
    "Owner": "User",
    "CreatedBy": "User",
    "LastModifiedBy": "User",
    "ReportsTo": "Contact",
    "Contacts": "Contact",
    "Opportunities": "Opportunity",
    "Cases": "Case",
    "Tasks": "Task",
    "Events": "Event",
    "OpportunityLineItems": "OpportunityLineItem",
    "CaseComments": "CaseComment",
}
"""Relationship name → target object for standard lookups, used when neither the record (``attributes.type``) nor
the policy's ``relationships`` table says. ``Owner`` can also be a Group on some objects; name it in the policy."""


class DecisionReason(StrEnum):
    """Why a field got its action."""

    RULE = "rule"
    UNLABELLED = "unlabelled"
    UNCOVERED = "uncovered"
    UNRESOLVED = "unresolved-relationship"
    INVALID_NAME = "invalid-name"


@dataclass(frozen=True, slots=True)
class Decision:
    """The action for one field and purpose, and why."""

    action: Action
    reason: DecisionReason
    rule: str | None = None
    keep_last: int = 0
    kind: str | None = None


def _check_field_ref(ref: str) -> str:
    if not _FIELD_REF.match(ref):
        raise ValueError("a label key must look like Object.Field or *.Field")
    return ref


def _check_pattern(patterns: tuple[str, ...]) -> tuple[str, ...]:
    for pattern in patterns:
        if not _PATTERN.match(pattern):
            raise ValueError("a field pattern must look like Object.Field, Object.* or *.Field")
    return patterns


def _check_known_level(level: str | None) -> str | None:
    if level is not None and level not in Sensitivity.__members__.values():
        known = ", ".join(Sensitivity)
        raise ValueError(f"not a Salesforce sensitivity level; use one of {known}")
    return level


class Rule(BaseModel):
    """Maps purposes x label conditions to an action.

    Every condition that is given must hold (AND); within a list, one match is enough (OR). A rule without
    conditions matches every labelled field.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = None
    purposes: Annotated[NameSet, Field(min_length=1)]
    action: Action
    fields: Annotated[NameSet, AfterValidator(_check_pattern)] = ()
    sensitivity: LevelSet = ()
    min_sensitivity: Annotated[SensitivityName, AfterValidator(_check_known_level)] = None
    max_sensitivity: Annotated[SensitivityName, AfterValidator(_check_known_level)] = None
    compliance: NameSet = ()
    tags: NameSet = ()
    keep_last: Annotated[int, Field(ge=0, le=8)] = 0

    @model_validator(mode="after")
    def _keep_last_only_for_mask(self) -> Self:
        if self.keep_last and self.action is not Action.MASK:
            raise ValueError("keep_last only applies to action = 'mask'")
        return self

    def applies_to(self, purpose: str) -> bool:
        """Whether the rule names ``purpose`` (or every purpose)."""
        return ANY_PURPOSE in self.purposes or purpose in self.purposes

    def matches(self, sobject: str, field: str, label: FieldLabel) -> bool:
        """Whether every condition of the rule holds for this field and label."""
        return (
            self.field_match(sobject, field) is not None
            and self._matches_level(label)
            and _any_shared(self.compliance, label.compliance)
            and _any_shared(self.tags, label.tags)
        )

    def field_match(self, sobject: str, field: str) -> bool | None:
        """``None`` if the rule's ``fields`` exclude the field; else whether a pattern names the field itself.

        Only a pattern that names the field (``Contact.Email`` or ``*.Email``) makes the rule *field-specific*;
        ``Contact.*`` merely scopes a rule to an object.
        """
        if not self.fields:
            return False
        obj, fld = sobject.casefold(), field.casefold()
        found: bool | None = None
        for pattern in self.fields:
            p_obj, p_fld = pattern.casefold().split(".")
            if p_obj in ("*", obj) and p_fld in ("*", fld):
                found = found or p_fld != "*"
        return found

    def _matches_level(self, label: FieldLabel) -> bool:
        if self.sensitivity and (label.sensitivity or "").casefold() not in {s.casefold() for s in self.sensitivity}:
            return False
        rank = label.rank
        if self.min_sensitivity is not None and rank < sensitivity_rank(self.min_sensitivity):
            return False
        return self.max_sensitivity is None or rank <= sensitivity_rank(self.max_sensitivity)


def _read_only(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


def _any_shared(wanted: tuple[str, ...], present: tuple[str, ...]) -> bool:
    if not wanted:
        return True
    folded = {p.casefold() for p in present}
    return any(w.casefold() in folded for w in wanted)


LabelKey = Annotated[str, AfterValidator(_check_field_ref)]


class Classification(BaseModel):
    """A versioned field classification policy: labels, rules, custom purposes, relationship targets.

    Immutable. :attr:`sha256` is computed over a canonical JSON form, so two policies with the same content have
    the same hash whatever file format or key order they came from; every audit event names it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Annotated[str, Field(min_length=1)]
    description: str = ""
    purposes: NameSet = ()
    labels: Annotated[
        Mapping[LabelKey, FieldLabel],
        AfterValidator(_read_only),
        PlainSerializer(dict, return_type=dict[str, FieldLabel]),
    ] = Field(default_factory=dict)
    rules: tuple[Rule, ...] = ()
    relationships: Annotated[
        Mapping[LabelKey, str], AfterValidator(_read_only), PlainSerializer(dict, return_type=dict[str, str])
    ] = Field(default_factory=dict)
    dlp: DlpPolicy | None = None
    """Free-text scanning: which kept text fields are scanned and what happens to findings (``None``: no scan)."""

    @model_validator(mode="after")
    def _labels_merge(self) -> Self:
        """Merge now whatever lookups will merge later, so a conflict is a load error, not a surprise at run time."""
        index = self._label_index
        for key, label in index.items():
            wildcard = index.get("*." + key.split(".", 1)[1])
            if wildcard is not None and not key.startswith("*."):
                merge_labels(wildcard, label)
        return self

    @model_validator(mode="after")
    def _rule_purposes_are_known(self) -> Self:
        known = {*self.known_purposes, ANY_PURPOSE}
        for index, rule in enumerate(self.rules):
            unknown = sorted(set(rule.purposes) - known)
            if unknown:
                raise ValueError(
                    f"rules[{index}] names unknown purpose(s) {', '.join(unknown)}; declare them under `purposes` "
                    "or fix the spelling (a misspelt purpose would silently disable the rule)"
                )
        for index, dlp_rule in enumerate(self.dlp.rules if self.dlp else ()):
            unknown = sorted(set(dlp_rule.purposes) - known)
            if unknown:
                raise ValueError(
                    f"dlp.rules[{index}] names unknown purpose(s) {', '.join(unknown)}; declare them under "
                    "`purposes` or fix the spelling (a misspelt purpose would silently disable the rule)"
                )
        return self

    @cached_property
    def sha256(self) -> str:
        """Hex sha256 of the canonical JSON form of the policy."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()

    @cached_property
    def known_purposes(self) -> tuple[str, ...]:
        """Built-in purposes followed by the policy's own."""
        return (*Purpose, *(p for p in self.purposes if p not in Purpose.__members__.values()))

    @cached_property
    def _label_index(self) -> dict[str, FieldLabel]:
        # Keys that differ only in case are one Salesforce field: merge them rather than let the last one win.
        index: dict[str, FieldLabel] = {}
        for key, label in self.labels.items():
            folded = key.casefold()
            index[folded] = merge_labels(index[folded], label) if folded in index else label
        return {key: label for key, label in index.items() if not label.is_empty}

    @cached_property
    def _relationship_index(self) -> dict[str, str]:
        return {key.casefold(): target for key, target in self.relationships.items()}

    def check_purpose(self, purpose: str) -> str:
        """Return ``purpose`` as a plain string if the policy knows it.

        Raises:
            UnknownPurposeError: the purpose is neither built in nor declared by the policy.
        """
        if purpose not in self.known_purposes:
            raise UnknownPurposeError(str(purpose), tuple(str(p) for p in self.known_purposes))
        return str(purpose)

    def label_for(self, sobject: str, field: str) -> FieldLabel | None:
        """Return the label of ``sobject.field``, or ``None`` if unlabelled.

        A ``*.field`` label is a floor: when both exist they are merged, so an object-specific label can add
        sensitivity but never remove what the wildcard says.
        """
        index = self._label_index
        specific = index.get(f"{sobject}.{field}".casefold())
        wildcard = index.get(f"*.{field}".casefold())
        if specific is not None and wildcard is not None:
            return merge_labels(wildcard, specific)
        return specific or wildcard

    def target_of(self, sobject: str, relationship: str) -> str | None:
        """Return the object a relationship of ``sobject`` points to, or ``None`` if nobody says."""
        index = self._relationship_index
        target = index.get(f"{sobject}.{relationship}".casefold()) or index.get(f"*.{relationship}".casefold())
        if target is None and relationship == "Parent":
            return sobject
        return target or STANDARD_RELATIONSHIPS.get(relationship)

    @cached_property
    def _decisions(self) -> dict[tuple[str, str, str], Decision]:
        return {}

    def decide(self, sobject: str, field: str, purpose: str) -> Decision:
        """Decide the action for ``sobject.field`` under ``purpose`` (see the module docstring).

        Decisions are memoised (the policy is immutable); the memo is bounded, since names can come from
        LLM-written queries.

        Raises:
            UnknownPurposeError: the purpose is unknown.
        """
        key = (sobject, field, purpose)
        cache = self._decisions
        decision = cache.get(key)
        if decision is None:
            decision = self._decide(sobject, field, purpose)
            if len(cache) >= _MAX_MEMO:
                cache.clear()
            cache[key] = decision
        return decision

    def _decide(self, sobject: str, field: str, purpose: str) -> Decision:
        purpose = self.check_purpose(purpose)
        label = self.label_for(sobject, field)
        if label is None:
            return Decision(Action.DROP, DecisionReason.UNLABELLED)
        matching = [
            (i, rule)
            for i, rule in enumerate(self.rules)
            if rule.applies_to(purpose) and rule.matches(sobject, field, label)
        ]
        specific = [(i, rule) for i, rule in matching if rule.field_match(sobject, field)]
        chosen = specific or matching
        if not chosen:
            return Decision(Action.DROP, DecisionReason.UNCOVERED, kind=label.kind)
        index, rule = min(chosen, key=lambda item: (-item[1].action.strictness, item[1].keep_last, item[0]))
        name = rule.name or f"rules[{index}]"
        return Decision(rule.action, DecisionReason.RULE, name, rule.keep_last, label.kind)

    def with_labels(self, labels: Mapping[str, FieldLabel]) -> Classification:
        """Return a copy with ``labels`` merged in; a merged label is never less protected than either side.

        Use it to add labels read from the org (``FieldDefinition``, Custom Metadata) to a policy file's rules.
        The result has a new :attr:`sha256`.
        """
        merged = dict(self.labels)
        keys = {key.casefold(): key for key in merged}
        for key, label in labels.items():
            existing = keys.setdefault(key.casefold(), key)
            try:
                merged[existing] = merge_labels(merged[existing], label) if existing in merged else label
            except ValueError as exc:
                raise ClassificationError(f"{key}: {exc}") from None
        return type(self).model_validate(
            {
                **self.model_dump(exclude={"labels", "relationships"}),
                "labels": merged,
                "relationships": dict(self.relationships),
            }
        )
