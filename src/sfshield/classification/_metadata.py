"""Turning the org's own metadata into field labels: ``FieldDefinition`` records and Custom Metadata Type records.

Both functions are pure: they take records exactly as simple-salesforce returns them (nested relationship dicts,
``attributes`` present or not) or as flat rows with dotted keys (Bulk/CSV), and return labels keyed by
``Object.Field``. Fetching the records is the tenant client's job.

Salesforce facts they rely on: ``ComplianceGroup`` is a multipicklist returned ``;``-joined; unset picklists are
``null``; a Metadata Relationship field returns the API name for standard objects and fields but an id
(``01I…`` object, ``Account.00N…`` field) for custom ones, so the ``__r.QualifiedApiName`` form is preferred and an
id without it is an error, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from sfshield.classification._labels import FieldLabel, merge_labels
from sfshield.exceptions import PolicyLoadError

__all__ = ["CustomMetadataFields", "labels_from_custom_metadata", "labels_from_field_definitions"]

_SALESFORCE_ID = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")


@dataclass(frozen=True, slots=True)
class CustomMetadataFields:
    """The field names of the Custom Metadata Type that holds your labels (defaults: sfshield's own CMT)."""

    object: str = "Object__c"
    field: str = "Field__c"
    sensitivity: str = "Sensitivity__c"
    compliance: str = "Compliance_Groups__c"
    tags: str = "Tags__c"
    kind: str = "Kind__c"


def labels_from_field_definitions(
    records: Iterable[Mapping[str, Any]], /, *, sobject: str | None = None
) -> dict[str, FieldLabel]:
    """Return labels from ``FieldDefinition`` records (``SecurityClassification``, ``ComplianceGroup``).

    The object comes from each record's ``EntityDefinition.QualifiedApiName`` when selected, else from
    ``sobject``. Fields with neither a level nor a group get no label (so they stay default-denied).

    Raises:
        PolicyLoadError: a record lacks ``QualifiedApiName`` or its object cannot be told.
    """
    labels: dict[str, FieldLabel] = {}
    for index, record in enumerate(records):
        where = f"FieldDefinition record {index}"
        obj = _lookup(record, "EntityDefinition.QualifiedApiName") or sobject
        name = _lookup(record, "QualifiedApiName")
        if not obj or not name:
            raise PolicyLoadError(
                where,
                "",
                "needs QualifiedApiName and an object: select EntityDefinition.QualifiedApiName or pass sobject=",
            )
        label = _label(where, record.get("SecurityClassification"), record.get("ComplianceGroup"), None, None)
        if not label.is_empty:
            _add(labels, f"{obj}.{name}", label)
    return labels


def labels_from_custom_metadata(
    records: Iterable[Mapping[str, Any]], /, *, fields: CustomMetadataFields | None = None
) -> dict[str, FieldLabel]:
    """Return labels from Custom Metadata Type records, one record per field.

    Raises:
        PolicyLoadError: a record names its object or field only by id (select ``…__r.QualifiedApiName``),
            names neither, or holds an invalid value. The message names the record's ``DeveloperName``.
    """
    names = fields or CustomMetadataFields()
    labels: dict[str, FieldLabel] = {}
    for index, record in enumerate(records):
        where = f"custom metadata record {record.get('DeveloperName') or index}"
        key = f"{_object_name(record, names, where)}.{_field_name(record, names, where)}"
        label = _label(
            where,
            record.get(names.sensitivity),
            record.get(names.compliance),
            record.get(names.tags),
            record.get(names.kind),
        )
        _add(labels, key, label)
    return labels


def _add(labels: dict[str, FieldLabel], key: str, label: FieldLabel) -> None:
    """Add a label; two records for one field are merged (query order is not defined, so none may win)."""
    try:
        labels[key] = merge_labels(labels[key], label) if key in labels else label
    except ValueError as exc:
        raise PolicyLoadError(key, "", str(exc)) from None


def _object_name(record: Mapping[str, Any], names: CustomMetadataFields, where: str) -> str:
    value = _lookup(record, f"{_relationship(names.object)}.QualifiedApiName") or record.get(names.object)
    if not isinstance(value, str) or not value:
        raise PolicyLoadError(where, names.object, "no object named")
    if _SALESFORCE_ID.match(value) and value.startswith("01I"):
        raise PolicyLoadError(
            where, names.object, f"is an id; select {_relationship(names.object)}.QualifiedApiName too"
        )
    return value


def _field_name(record: Mapping[str, Any], names: CustomMetadataFields, where: str) -> str:
    value = _lookup(record, f"{_relationship(names.field)}.QualifiedApiName") or record.get(names.field)
    if not isinstance(value, str) or not value:
        raise PolicyLoadError(where, names.field, "no field named")
    field = value.rsplit(".", 1)[-1]
    if _SALESFORCE_ID.match(field) and field.startswith("00N"):
        raise PolicyLoadError(where, names.field, f"is an id; select {_relationship(names.field)}.QualifiedApiName too")
    return field


def _relationship(field: str) -> str:
    return field[:-3] + "__r" if field.endswith("__c") else field


def _lookup(record: Mapping[str, Any], path: str) -> Any:
    """Read ``A.B`` from a nested record (simple-salesforce) or a flat row with dotted keys (CSV)."""
    if path in record:
        return record[path]
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _split(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v for v in re.split(r"[;,]", value) if v.strip())
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    raise TypeError("expected a ;-joined string or a list")


def _label(where: str, level: Any, compliance: Any, tags: Any, kind: Any) -> FieldLabel:
    try:
        return FieldLabel(
            sensitivity=level or None, compliance=_split(compliance), tags=_split(tags), kind=kind or None
        )
    except (ValidationError, TypeError) as exc:
        raise PolicyLoadError(where, "", "holds a value that is not a valid label") from exc
