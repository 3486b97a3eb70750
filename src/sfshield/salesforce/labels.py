"""Field labels read from the tenant's own org, merged over its policy, versioned, and failing closed.

When a tenant sets ``labels_from_org``, its :class:`~sfshield.salesforce.TenantClient` classifies with the base
policy plus what the org itself says about its fields. :func:`load_org_labels` reads two sources through the
client's authenticated, retrying calls:

* sfshield's Custom Metadata Type records (``Sfshield_Field_Policy__mdt``, one record per field, read for the
  allowed objects; see :func:`~sfshield.classification.labels_from_custom_metadata`), and
* ``FieldDefinition``'s ``SecurityClassification`` and ``ComplianceGroup`` (one query per allowed object, since
  Salesforce refuses a ``FieldDefinition`` query that does not name its object).

Both are merged over the base policy with :meth:`~sfshield.classification.Classification.with_labels`, which never
lowers protection. The result, :class:`OrgLabels`, carries its version (the merged policy's sha256 and the newest
``SystemModstamp`` of the records) and when it is to be read again; the load is audited as
:class:`~sfshield.audit.LabelsLoaded`.

Reading fails closed. Salesforce hides the Custom Metadata records about objects the integration user cannot
read, so an object without records is a misconfiguration, not an empty classification: when an object the tenant
requires (``labels_required_for``, by default every allowed object) has none, when a query fails, or when a record
is invalid, :func:`load_org_labels` audits an ``OperationBlocked`` event and raises
:class:`~sfshield.exceptions.ClassificationError`, and the client reads no records.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime
from typing import Any, Final

from sfshield.audit.events import LabelsLoaded, OperationBlocked
from sfshield.audit.pipeline import AuditPipeline
from sfshield.classification import (
    Classification,
    CustomMetadataFields,
    FieldLabel,
    labels_from_custom_metadata,
    labels_from_field_definitions,
)
from sfshield.exceptions import ClassificationError, SalesforceError
from sfshield.salesforce.paging import QueryClient, iter_query
from sfshield.salesforce.tenancy import TenantConfig

__all__ = ["LabelSource", "OrgLabels", "load_org_labels"]

_API_NAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,79}")
_MODSTAMP: Final = "SystemModstamp"


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelSource:
    """Where in the org the labels are read from (the defaults are sfshield's own Custom Metadata Type).

    Attributes:
        custom_metadata_type: the Custom Metadata Type (``…__mdt``) holding one record per field; its object and
            field are Metadata Relationship fields, read as ``…__r.QualifiedApiName``.
        fields: the names of its fields.
        field_definitions: also read ``FieldDefinition``'s data classification (one query per allowed object).

    Raises:
        ValueError: a name is not a Salesforce API name, or the type's does not end in ``__mdt``.
    """

    custom_metadata_type: str = "Sfshield_Field_Policy__mdt"
    fields: CustomMetadataFields = field(default_factory=CustomMetadataFields)
    field_definitions: bool = True

    def __post_init__(self) -> None:
        names = (
            self.custom_metadata_type,
            *(getattr(self.fields, spec.name) for spec in dataclass_fields(self.fields)),
        )
        bad = [name for name in names if not (isinstance(name, str) and _API_NAME.fullmatch(name))]
        if bad or not self.custom_metadata_type.endswith("__mdt"):
            raise ValueError(
                f"not a Custom Metadata Type and field API names: {', '.join(map(repr, bad or names[:1]))}"
            )

    @property
    def name(self) -> str:
        """What is read, for audit events and messages: the type, and ``+FieldDefinition`` when that is too."""
        return self.custom_metadata_type + ("+FieldDefinition" if self.field_definitions else "")


@dataclass(frozen=True, slots=True, kw_only=True)
class OrgLabels:
    """The base policy with the org's labels merged in, its version, and when it is to be read again.

    Attributes:
        classification: the merged policy, which the client's queries and exports use.
        base_sha256: the sha256 of the policy the labels were merged into.
        objects: the objects whose labels were read (the tenant's allowed objects).
        custom_metadata_records: how many Custom Metadata records came back.
        field_definition_labels: how many fields ``FieldDefinition`` labelled.
        modstamp: the newest ``SystemModstamp`` of those records (``None`` if none came back).
        loaded_at: when they were read, by the client's clock.
        expires_at: when the client reads them again (``loaded_at`` plus the tenant's ``labels_ttl``).
    """

    classification: Classification
    base_sha256: str
    objects: tuple[str, ...]
    custom_metadata_records: int
    field_definition_labels: int
    modstamp: datetime | None
    loaded_at: datetime
    expires_at: datetime

    @property
    def sha256(self) -> str:
        """The sha256 of the merged policy: it changes whenever a label the org gives changes."""
        return self.classification.sha256

    @property
    def version(self) -> str:
        """``<sha256 prefix>@<newest SystemModstamp>``, for logs and displays."""
        stamp = f"{self.modstamp:%Y-%m-%dT%H:%M:%SZ}" if self.modstamp is not None else "no-records"
        return f"{self.sha256[:16]}@{stamp}"

    def is_fresh(self, now: datetime, /) -> bool:
        """Whether the labels may still be used at ``now``."""
        return now < self.expires_at


def load_org_labels(
    reader: QueryClient,
    base: Classification,
    config: TenantConfig,
    /,
    *,
    audit: AuditPipeline,
    now: datetime,
    source: LabelSource | None = None,
) -> OrgLabels:
    """Read the labels of ``config``'s allowed objects from the org with ``reader``; merge them over ``base``.

    ``reader`` is a paging client (the tenant client's, so every call is authenticated and retried). The load is
    audited: a :class:`~sfshield.audit.LabelsLoaded` event with the counts and version, or an
    ``OperationBlocked`` event (``operation="load_labels"``) with the reason.

    Raises:
        ClassificationError: a query failed (its cause is chained), an object of ``config.required_label_objects``
            has no Custom Metadata record, or the org's labels conflict with the policy's.
        PolicyLoadError: a record is invalid (an id without its ``__r.QualifiedApiName``, an invalid value).
        AuditError: the event could not be recorded; nothing is returned.
    """
    source = source or LabelSource()
    try:
        labels = _read(reader, base, config, source, now)
    except (ClassificationError, SalesforceError) as exc:
        error = exc if isinstance(exc, ClassificationError) else _unreadable(exc, config, source)
        audit.emit(
            OperationBlocked(
                **_event_base(config, base),
                operation="load_labels",
                error_type=type(error).__name__,
                message=str(error),
            )
        )
        if error is exc:
            raise
        raise error from exc
    audit.emit(
        LabelsLoaded(
            **_event_base(config, labels.classification),
            source=source.name,
            objects=labels.objects,
            custom_metadata_records=labels.custom_metadata_records,
            field_definition_labels=labels.field_definition_labels,
            label_count=len(labels.classification.labels),
            metadata_modstamp=labels.modstamp,
            base_policy_sha256=labels.base_sha256,
        )
    )
    return labels


def _read(
    reader: QueryClient, base: Classification, config: TenantConfig, source: LabelSource, now: datetime
) -> OrgLabels:
    objects = config.allowed_objects
    rows = _rows(reader, _custom_metadata_soql(source, objects)) if objects else []
    custom = labels_from_custom_metadata(rows, fields=source.fields)
    _check_required(custom, config, source)
    defined: dict[str, FieldLabel] = {}
    for sobject in objects if source.field_definitions else ():
        defined.update(labels_from_field_definitions(_rows(reader, _field_definition_soql(sobject)), sobject=sobject))
    merged = base.with_labels(defined).with_labels(custom)
    return OrgLabels(
        classification=merged,
        base_sha256=base.sha256,
        objects=objects,
        custom_metadata_records=len(rows),
        field_definition_labels=len(defined),
        modstamp=_newest(rows),
        loaded_at=now,
        expires_at=now + config.labels_ttl,
    )


def _rows(reader: QueryClient, soql: str) -> list[dict[str, Any]]:
    return list(iter_query(reader, soql))


def _custom_metadata_soql(source: LabelSource, objects: Sequence[str]) -> str:
    names = source.fields
    object_name = f"{_relationship(names.object)}.QualifiedApiName"
    columns = [
        "DeveloperName",
        names.object,
        object_name,
        names.field,
        f"{_relationship(names.field)}.QualifiedApiName",
        names.sensitivity,
        names.compliance,
        names.tags,
        names.kind,
        _MODSTAMP,
    ]
    # Every name was checked (LabelSource, and TenantConfig's ObjectName pattern), so nothing here can be quoted.
    listed = ", ".join(f"'{name}'" for name in objects)
    return f"SELECT {', '.join(columns)} FROM {source.custom_metadata_type} WHERE {object_name} IN ({listed})"  # noqa: S608


def _field_definition_soql(sobject: str) -> str:
    # FieldDefinition must be filtered by its object with "=", one object per query (no OR, no IN guaranteed).
    return (
        "SELECT QualifiedApiName, SecurityClassification, ComplianceGroup FROM FieldDefinition "  # noqa: S608
        f"WHERE EntityDefinition.QualifiedApiName = '{sobject}'"
    )


def _relationship(name: str) -> str:
    return name[:-3] + "__r" if name.endswith("__c") else name


def _check_required(labels: Mapping[str, FieldLabel], config: TenantConfig, source: LabelSource) -> None:
    present = {key.split(".", 1)[0].casefold() for key in labels}
    missing = [name for name in config.required_label_objects if name.casefold() not in present]
    if missing:
        raise ClassificationError(
            f"the org of tenant {config.tenant!r} returned no {source.custom_metadata_type} records for "
            f"{', '.join(missing)}, which must be labelled from the org (labels_required_for); nothing was read. "
            "Salesforce hides these records from a user who cannot read the object: check the integration user's "
            "object permissions and that the records are deployed, or leave the object out of labels_required_for"
        )


def _unreadable(exc: SalesforceError, config: TenantConfig, source: LabelSource) -> ClassificationError:
    return ClassificationError(
        f"the field labels of tenant {config.tenant!r} could not be read from its org ({source.name}): {exc}; "
        "nothing was read. Check that the Custom Metadata Type is deployed with the expected fields and that the "
        "integration user may read it and FieldDefinition (View Setup), or retry once Salesforce answers again"
    )


def _newest(rows: Sequence[Mapping[str, Any]]) -> datetime | None:
    stamps = [_parse_datetime(row.get(_MODSTAMP)) for row in rows]
    known = [stamp for stamp in stamps if stamp is not None]
    return max(known) if known else None


def _parse_datetime(value: object) -> datetime | None:
    """A REST datetime (``2026-05-20T09:00:00.000+0000``); anything else is ignored (it only names a version)."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z").astimezone(UTC)
    except ValueError:
        return None


def _event_base(config: TenantConfig, policy: Classification) -> dict[str, Any]:
    return {
        "tenant": config.tenant,
        "org_id": config.org_id,
        "policy_version": policy.version,
        "policy_sha256": policy.sha256,
    }
