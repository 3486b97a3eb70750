"""Audit events: typed, frozen records of what sfshield decided, with ids, counts, names and hashes, never values.

An event says who (tenant, org), under which policy (version and sha256), what happened (filtered N records of an
object for a purpose, blocked an operation) and how it ended. Field *names* and action counts are recorded; field
*values*, tokens and keys never are. Producers build events; the :class:`~sfshield.audit.AuditPipeline` passes them
through processors to sinks.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AuditEvent",
    "FieldActionCount",
    "FindingCount",
    "KeyOperation",
    "KeyOperationKind",
    "LabelsLoaded",
    "OperationBlocked",
    "Outcome",
    "PolicyLoaded",
    "PrivilegeChecked",
    "QuarantineReviewed",
    "QueryChecked",
    "RecordsFiltered",
    "RecordsQuarantined",
    "TextScanned",
    "TokenIssued",
    "TokenRevoked",
    "VaultOperation",
    "event_from_json",
]


def _new_event_id() -> str:
    return uuid.uuid4().hex


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Outcome(StrEnum):
    """How the audited operation ended."""

    ALLOWED = "allowed"
    BLOCKED = "blocked"


class AuditEvent(BaseModel):
    """Base of every audit event.

    Events are immutable. Processors that enrich or scrub an event return a copy made with ``model_copy``.
    ``event_id`` and ``timestamp`` default to a random id and the current UTC time; a processor may replace both
    (for example with an injected clock in tests).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ClassVar[str] = "event"

    event_id: str = Field(default_factory=_new_event_id)
    timestamp: datetime = Field(default_factory=_utc_now)
    tenant: str
    org_id: str | None = None
    policy_version: str | None = None
    policy_sha256: str | None = None
    correlation_id: str | None = None
    outcome: Outcome = Outcome.ALLOWED
    extra: dict[str, str] = Field(default_factory=dict)
    """Free-form enrichment added by processors (host name, job id). Strings only; never values or secrets."""

    def to_json_dict(self) -> dict[str, Any]:
        """Return the event as JSON-ready data, with its ``kind`` first."""
        return {"kind": self.kind, **self.model_dump(mode="json")}


class FieldActionCount(BaseModel):
    """How often one field path got one action in a batch, and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str
    action: str
    reason: str
    rule: str | None = None
    count: int


class RecordsFiltered(AuditEvent):
    """A batch of records passed the field filter for a purpose."""

    kind: ClassVar[str] = "records_filtered"

    operation: str = "protect"
    purpose: str
    sobject: str
    record_count: int
    record_ids_sha256: str | None = None
    """sha256 over the batch's record ids joined by newlines, so a batch can be matched without listing ids."""
    fields: tuple[FieldActionCount, ...] = ()


class OperationBlocked(AuditEvent):
    """An operation was stopped (fail closed). ``message`` is the ShieldError text, which never holds values."""

    kind: ClassVar[str] = "operation_blocked"

    outcome: Outcome = Outcome.BLOCKED
    operation: str
    purpose: str | None = None
    sobject: str | None = None
    error_type: str
    message: str


class QueryChecked(AuditEvent):
    """A SOQL query was checked by the guard: allowed (possibly rewritten) or rejected, and why.

    The query itself is not recorded (its literals may hold values); ``query_sha256`` identifies it.
    """

    kind: ClassVar[str] = "query_checked"

    purpose: str
    query_sha256: str
    objects: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    changes: tuple[str, ...] = ()
    query_all: bool = False


class PolicyLoaded(AuditEvent):
    """A classification policy came into force for a tenant."""

    kind: ClassVar[str] = "policy_loaded"

    source: str
    label_count: int
    rule_count: int


class LabelsLoaded(AuditEvent):
    """Field labels were read from the tenant's org and merged over its policy (``policy_sha256`` is the result's).

    Names and counts only: which objects were read, how many Custom Metadata records and ``FieldDefinition``
    labels came back, the newest ``SystemModstamp`` of those records, and the hash of the policy they were merged
    into. A failed read is an ``OperationBlocked`` event with ``operation="load_labels"`` instead.
    """

    kind: ClassVar[str] = "labels_loaded"

    source: str
    """The Custom Metadata Type read (``Sfshield_Field_Policy__mdt``), with ``+FieldDefinition`` if that was too."""
    objects: tuple[str, ...] = ()
    custom_metadata_records: int = 0
    field_definition_labels: int = 0
    label_count: int = 0
    """Labels of the merged policy."""
    metadata_modstamp: datetime | None = None
    base_policy_sha256: str


class KeyOperationKind(StrEnum):
    """What was done with keys."""

    CREATE = "create"
    """A new data key was generated and wrapped (a tenant's first key, or a rotation's new key)."""
    UNWRAP = "unwrap"
    """A wrapped data key was unwrapped by the key provider (once per key and process, not per value)."""
    PROMOTE = "promote"
    """A data key became the primary; the previous primary is decrypt-only."""
    REWRAP = "rewrap"
    """Data keys were re-wrapped under another key-encryption key (KEK rotation)."""
    REENCRYPT = "reencrypt"
    """Ciphertexts under older data keys were re-encrypted under the primary."""
    DESTROY = "destroy"
    """Data keys were destroyed (crypto-shredding): what they encrypted can never be read again."""


class KeyOperation(AuditEvent):
    """A key operation: ids, counts and the provider's name, never key material.

    ``key_ids`` are the tenant's data-key ids (small integers); ``kek_id`` is the key-encryption key's id in the
    provider (for a rewrap, the new one; ``previous_kek_ids`` the ones it replaced).
    """

    kind: ClassVar[str] = "key_operation"

    operation: KeyOperationKind
    provider: str
    key_ids: tuple[int, ...] = ()
    kek_id: str | None = None
    previous_kek_ids: tuple[str, ...] = ()
    count: int = 0
    purpose: str | None = None


class FindingCount(BaseModel):
    """How many findings of one kind the scanner made in one field path of a batch, and what was done."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str
    kind: str
    action: str
    count: int


class TextScanned(AuditEvent):
    """Free-text fields of a batch were scanned for sensitive data; counts per field, kind and action."""

    kind: ClassVar[str] = "text_scanned"

    operation: str = "protect"
    purpose: str
    sobject: str | None = None
    record_count: int
    texts_scanned: int = 0
    """How many text values were scanned (kept text fields the policy lists)."""
    findings: tuple[FindingCount, ...] = ()
    held_back: int = 0
    """Records withheld from the caller (quarantined or blocked) because of what was found."""


class RecordsQuarantined(AuditEvent):
    """Records were held back whole, encrypted, in the quarantine store; ids and kinds, never content."""

    kind: ClassVar[str] = "records_quarantined"

    outcome: Outcome = Outcome.BLOCKED
    purpose: str
    sobject: str | None = None
    record_count: int
    quarantine_ids: tuple[str, ...] = ()
    finding_kinds: tuple[str, ...] = ()
    reason: str


class QuarantineReviewed(AuditEvent):
    """A quarantined record was reviewed: released to its purpose or discarded, by whom and why."""

    kind: ClassVar[str] = "quarantine_reviewed"

    quarantine_id: str
    decision: str
    reviewer: str
    reason: str
    sobject: str | None = None
    record_id: str | None = None


class VaultOperation(AuditEvent):
    """The placeholder vault was used: values stored, placeholders restored, an answer checked, entries expired."""

    kind: ClassVar[str] = "vault_operation"

    operation: str
    scope: str
    count: int = 0
    finding_kinds: tuple[str, ...] = ()


class PrivilegeChecked(AuditEvent):
    """The integration user's rights were checked at start-up: what it holds beyond the tenant's needs.

    ``outcome`` is ``blocked`` when the client refused to start, ``allowed`` otherwise (including a start with
    ``allow_excess``: then ``excessive`` is not empty, which is what an access review looks for).
    """

    kind: ClassVar[str] = "privilege_checked"

    user_id: str
    profile: str | None = None
    permission_sets: tuple[str, ...] = ()
    excessive: tuple[str, ...] = ()
    allow_excess: bool = False
    unchecked: tuple[str, ...] = ()
    api_only: bool = False


class TokenIssued(AuditEvent):
    """sfshield obtained and verified a new access token for a tenant (never the token itself)."""

    kind: ClassVar[str] = "token_issued"

    flow: str
    user_id: str
    scopes: tuple[str, ...] = ()
    instance_host: str
    expires_at: datetime
    replaced: bool = False


class TokenRevoked(AuditEvent):
    """sfshield revoked an access token it replaced by rotation (``reason="rotated"``).

    A grant refused right after login (wrong org, scope or user) is revoked too, and recorded as an
    :class:`OperationBlocked` event instead, with the reason of the refusal.
    """

    kind: ClassVar[str] = "token_revoked"

    user_id: str | None = None
    reason: str
    succeeded: bool = True


_KINDS: dict[str, type[AuditEvent]] = {
    cls.kind: cls
    for cls in (
        RecordsFiltered,
        OperationBlocked,
        QueryChecked,
        PolicyLoaded,
        LabelsLoaded,
        KeyOperation,
        TextScanned,
        RecordsQuarantined,
        QuarantineReviewed,
        VaultOperation,
        PrivilegeChecked,
        TokenIssued,
        TokenRevoked,
    )
}


def event_from_json(data: dict[str, Any]) -> AuditEvent:
    """Rebuild an event from :meth:`AuditEvent.to_json_dict` output.

    Raises:
        ValueError: the ``kind`` is unknown or the data does not validate.
    """
    payload = dict(data)
    kind = payload.pop("kind", None)
    cls = _KINDS.get(str(kind))
    if cls is None:
        raise ValueError(f"unknown audit event kind {kind!r}")
    return cls.model_validate(payload)
