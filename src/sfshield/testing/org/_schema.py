"""The shape of an embedded org's data: objects, fields (with describe and classification metadata), records.

This is the contract between the seeded data (``_seed.py``), the SOQL evaluator (``_engine.py``) and the HTTPS
server (``_server.py``). Records are plain dicts keyed by field API name, lookups stored as Id fields
(``AccountId``); relationships are resolved through :class:`FieldSpec.relationship_name` and
:class:`ChildRelationship`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ChildRelationship", "FieldSpec", "ObjectSpec", "OrgData", "OrgQueryError"]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field as describe reports it, plus its data-classification metadata (``FieldDefinition``)."""

    name: str
    type: str
    """Describe type: id, string, textarea, email, phone, url, reference, boolean, date, datetime, double, int,
    currency, percent, picklist, multipicklist."""
    label: str = ""
    length: int = 0
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    security_classification: str | None = None
    compliance_group: str | None = None
    """``;``-joined, as Salesforce returns the multipicklist."""
    encrypted: bool = False
    nillable: bool = True

    @property
    def custom(self) -> bool:
        """Whether the field is custom (``__c``)."""
        return self.name.endswith("__c")


@dataclass(frozen=True, slots=True)
class ChildRelationship:
    """A parent-to-child relationship: ``Contacts`` on Account holds Contact rows whose ``AccountId`` points up."""

    name: str
    child_object: str
    field: str


@dataclass(frozen=True, slots=True)
class ObjectSpec:
    """One sObject: its fields and child relationships."""

    name: str
    label: str
    key_prefix: str
    fields: tuple[FieldSpec, ...]
    children: tuple[ChildRelationship, ...] = ()
    queryable: bool = True

    def field(self, name: str) -> FieldSpec | None:
        """Return the field named ``name`` (case-insensitive), or ``None``."""
        folded = name.casefold()
        return next((f for f in self.fields if f.name.casefold() == folded), None)

    def relationship(self, name: str) -> FieldSpec | None:
        """Return the lookup field whose relationship is named ``name`` (case-insensitive), or ``None``."""
        folded = name.casefold()
        return next((f for f in self.fields if (f.relationship_name or "").casefold() == folded), None)

    def child(self, name: str) -> ChildRelationship | None:
        """Return the child relationship named ``name`` (case-insensitive), or ``None``."""
        folded = name.casefold()
        return next((c for c in self.children if c.name.casefold() == folded), None)


@dataclass(slots=True)
class OrgData:
    """Everything one embedded org holds: its id, schema and records (``sobject -> list of field dicts``)."""

    org_id: str
    schema: dict[str, ObjectSpec]
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def object(self, name: str) -> ObjectSpec | None:
        """Return the object named ``name`` (case-insensitive), or ``None``."""
        folded = name.casefold()
        return next((spec for key, spec in self.schema.items() if key.casefold() == folded), None)

    def by_id(self, record_id: str) -> tuple[str, dict[str, Any]] | None:
        """Return ``(object name, record)`` for an 18-character id, or ``None``."""
        for sobject, rows in self.records.items():
            for row in rows:
                if row.get("Id") == record_id:
                    return sobject, row
        return None


class OrgQueryError(Exception):
    """An error the org answers with Salesforce's shape: ``[{"message", "errorCode"}]`` and an HTTP status."""

    def __init__(self, error_code: str, message: str, status: int = 400) -> None:
        self.error_code = error_code
        self.message = message
        self.status = status
        super().__init__(f"{error_code}: {message}")
