"""sfshield keeps Salesforce CRM data — customer PII, commercial terms, company IP — out of self-hosted LLMs.

The front door: load a policy, build a :class:`Shield` for a tenant, and pass records through
:meth:`Shield.protect` (or decorate your ingestion function with :meth:`Shield.ingest`)::

    import sfshield
    from sfshield.audit import JsonlAuditSink

    policy = sfshield.load_classification("policy.toml")
    shield = sfshield.Shield(policy, tenant="acme-eu", audit=JsonlAuditSink("audit.jsonl"))
    safe = shield.protect(records, purpose=sfshield.Purpose.EMBEDDING)

Importing sfshield does nothing else: no logging configuration, no I/O, no optional extra imported.
"""

import logging

from sfshield._version import __version__
from sfshield.audit import AuditPipeline, JsonlAuditSink
from sfshield.classification import (
    Action,
    Classification,
    ComplianceGroup,
    FieldLabel,
    Purpose,
    Rule,
    Sensitivity,
    labels_from_custom_metadata,
    labels_from_field_definitions,
    load_classification,
)
from sfshield.exceptions import ShieldError
from sfshield.filtering import FieldDecision, FieldFilter, FilterResult, RecordDecision
from sfshield.protocols import FieldContext
from sfshield.shield import Shield
from sfshield.transforms import PseudonymKey

__all__ = [
    "Action",
    "AuditPipeline",
    "Classification",
    "ComplianceGroup",
    "FieldContext",
    "FieldDecision",
    "FieldFilter",
    "FieldLabel",
    "FilterResult",
    "JsonlAuditSink",
    "PseudonymKey",
    "Purpose",
    "RecordDecision",
    "Rule",
    "Sensitivity",
    "Shield",
    "ShieldError",
    "__version__",
    "labels_from_custom_metadata",
    "labels_from_field_definitions",
    "load_classification",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())
