"""Audit: typed events, a fail-closed processor pipeline, hash-chained sinks, and a log scrubber.

Producers build :class:`AuditEvent` values; an :class:`AuditPipeline` passes each one through processors to
sinks such as :class:`JsonlAuditSink`, whose files :func:`verify_audit_file` checks line by line.
:class:`ScrubSecretsFilter` keeps credentials out of your own logs.
"""

from __future__ import annotations

from sfshield.audit.chain import VerificationReport, verify_audit_file
from sfshield.audit.events import (
    AuditEvent,
    FieldActionCount,
    FindingCount,
    KeyOperation,
    KeyOperationKind,
    LabelsLoaded,
    OperationBlocked,
    Outcome,
    PolicyLoaded,
    PrivilegeChecked,
    QuarantineReviewed,
    QueryChecked,
    RecordsFiltered,
    RecordsQuarantined,
    TextScanned,
    TokenIssued,
    TokenRevoked,
    VaultOperation,
    event_from_json,
)
from sfshield.audit.pipeline import AuditPipeline
from sfshield.audit.scrub import ScrubSecretsFilter
from sfshield.audit.sinks import InMemoryAuditSink, JsonlAuditSink

__all__ = [
    "AuditEvent",
    "AuditPipeline",
    "FieldActionCount",
    "FindingCount",
    "InMemoryAuditSink",
    "JsonlAuditSink",
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
    "ScrubSecretsFilter",
    "TextScanned",
    "TokenIssued",
    "TokenRevoked",
    "VaultOperation",
    "VerificationReport",
    "event_from_json",
    "verify_audit_file",
]
