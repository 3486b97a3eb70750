"""The privilege check at start-up: does the integration user hold only what the tenant needs?

sfshield filters what it reads, but the integration user's own rights are the outer wall: a user with View All Data
reads past sharing, one with View All Fields past field-level security, and one that may author Apex or customize
the application can change what it is allowed to see. :func:`check_privileges` reads the user's profile, its
permission sets (the profile's own set included), the system permissions they grant and their object permissions,
and returns a :class:`PrivilegeReport` of ids, names and rights, never a record. :func:`enforce` refuses to start
on anything excessive or, when the caller allows it on purpose, lets it pass loudly: an audit event and a logged
warning.

Every query is fixed text plus Salesforce ids that were validated first (15 or 18 characters, key prefix, case-safe
suffix), including the ids Salesforce itself returned. The check reads through a :class:`RestClient`: a
simple-salesforce client, or the :class:`~sfshield.salesforce.TenantClient`'s own reader, which retries transient
failures with the client's limit-aware backoff and renews an expired session. simple-salesforce and requests errors
go through sfshield's one boundary, :func:`~sfshield.salesforce.translate_errors`, so they never carry a response
body.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, Protocol, TypeVar

from sfshield._ids import ID_SHAPE, id18
from sfshield._logging import get_logger
from sfshield.audit.events import Outcome, PrivilegeChecked
from sfshield.audit.pipeline import AuditPipeline
from sfshield.exceptions import PrivilegeError, SalesforceError
from sfshield.salesforce.errors import translate_errors

__all__ = [
    "DEFAULT_DANGEROUS",
    "SETUP_OBJECTS",
    "ObjectRight",
    "PermissionGrant",
    "PermissionSource",
    "PrivilegeReport",
    "RestClient",
    "check_privileges",
    "enforce",
]

_log = get_logger(__name__)
_T = TypeVar("_T")

DEFAULT_DANGEROUS: Final = frozenset(
    "PermissionsViewAllData PermissionsModifyAllData PermissionsViewAllUsers PermissionsCustomizeApplication "
    "PermissionsAuthorApex PermissionsManageUsers PermissionsModifyMetadata PermissionsAssignPermissionSets "
    "PermissionsManageProfilesPermissionsets PermissionsBulkApiHardDelete PermissionsExportReport "
    "PermissionsViewEncryptedData PermissionsManageEncryptionKeys PermissionsViewEventLogFiles".split()
)
"""System permissions an integration user should not hold: they bypass sharing or field-level security, change
metadata or code, grant rights, or reach keys and logs. API Enabled, API Only User and View Setup are not among
them (the check itself needs View Setup to read the permission objects)."""

SETUP_OBJECTS: Final = frozenset(
    "User Profile PermissionSet PermissionSetAssignment PermissionSetGroup PermissionSetGroupComponent "
    "ObjectPermissions FieldPermissions Sfshield_Field_Policy__mdt EntityDefinition FieldDefinition".split()
)
"""Setup and metadata objects sfshield itself reads (this check, the classification loader): reading them is never
excessive."""


class RestClient(Protocol):
    """The part of ``simple_salesforce.Salesforce`` that :func:`check_privileges` uses."""

    def restful(self, path: str, params: dict[str, Any] | None = None, method: str = "GET", **kwargs: Any) -> Any:
        """Make one REST call to ``path`` (relative to the versioned data URL); return the decoded answer."""
        ...

    def query_all(self, query: str, include_deleted: bool = False, **kwargs: Any) -> Any:  # noqa: FBT001, FBT002
        """Run a SOQL query; return its result with the records of every page."""
        ...


class ObjectRight(StrEnum):
    """A right on one sObject, as ``ObjectPermissions`` grants it."""

    READ = "read"
    CREATE = "create"
    EDIT = "edit"
    DELETE = "delete"
    VIEW_ALL_RECORDS = "view_all"
    """Reads every record, whatever the sharing rules say."""
    MODIFY_ALL_RECORDS = "modify_all"
    """Reads, edits and deletes every record, whatever the sharing rules say."""
    VIEW_ALL_FIELDS = "view_all_fields"
    """Reads every field of the object, whatever field-level security says."""


_RIGHT_FIELDS: Final = {
    ObjectRight.READ: "PermissionsRead",
    ObjectRight.CREATE: "PermissionsCreate",
    ObjectRight.EDIT: "PermissionsEdit",
    ObjectRight.DELETE: "PermissionsDelete",
    ObjectRight.VIEW_ALL_RECORDS: "PermissionsViewAllRecords",
    ObjectRight.MODIFY_ALL_RECORDS: "PermissionsModifyAllRecords",
    ObjectRight.VIEW_ALL_FIELDS: "PermissionsViewAllFields",
}
_BYPASSES: Final = frozenset(
    {ObjectRight.VIEW_ALL_RECORDS, ObjectRight.MODIFY_ALL_RECORDS, ObjectRight.VIEW_ALL_FIELDS}
)
_API_ONLY: Final = "PermissionsApiUserOnly"


@dataclass(frozen=True, slots=True)
class PermissionSource:
    """A permission set the user holds; for the set a profile owns, the profile's name is kept in ``profile``."""

    permission_set_id: str
    name: str
    profile: str | None = None

    def __str__(self) -> str:
        return f"profile {self.profile!r}" if self.profile is not None else f"permission set {self.name!r}"


@dataclass(frozen=True, slots=True)
class PermissionGrant:
    """One right the user holds, and every permission set that grants it.

    ``str(grant)`` is the right as :attr:`PrivilegeReport.excessive` lists it: ``PermissionsViewAllData`` for a
    system permission, ``read:Lead`` (an :class:`ObjectRight` and the object) for an object right.
    """

    permission: str
    sobject: str | None
    granted_by: tuple[PermissionSource, ...]

    def __str__(self) -> str:
        return f"{self.permission}:{self.sobject}" if self.sobject is not None else self.permission

    def explain(self) -> str:
        """Return the right and where it comes from: ``read:Lead (permission set 'Sales_Extra')``."""
        return f"{self} ({', '.join(map(str, self.granted_by))})"


@dataclass(frozen=True, slots=True, repr=False)
class PrivilegeReport:
    """What one user may do in the org, and what of it is more than the tenant allows. Ids, names and rights only.

    Attributes:
        user_id: the user that was checked.
        profile_id: the user's profile, if Salesforce named one.
        profile: the profile's name.
        permission_sets: every permission set the user holds, the profile's own set included.
        object_rights: every object right the user holds (for the review; writes are listed here, not refused).
        system_permissions: the dangerous system permissions the user holds (excessive).
        unallowed_reads: objects the user may read beyond ``allowed_objects`` and :data:`SETUP_OBJECTS`
            (excessive).
        sharing_bypasses: View All, Modify All and View All Fields on any object (excessive).
        unchecked: dangerous permissions this org does not have (no edition or feature for them), so nobody
            holds them.
        api_only: whether the user is API-only (cannot log in to the user interface), as integration users should.
    """

    user_id: str
    profile_id: str | None
    profile: str | None
    permission_sets: tuple[PermissionSource, ...]
    object_rights: tuple[PermissionGrant, ...]
    system_permissions: tuple[PermissionGrant, ...]
    unallowed_reads: tuple[PermissionGrant, ...]
    sharing_bypasses: tuple[PermissionGrant, ...]
    unchecked: tuple[str, ...]
    api_only: bool

    @property
    def findings(self) -> tuple[PermissionGrant, ...]:
        """Every excessive grant, system permissions first."""
        return (*self.system_permissions, *self.unallowed_reads, *self.sharing_bypasses)

    @property
    def excessive(self) -> tuple[str, ...]:
        """Every excessive right as a string (``PermissionsViewAllData``, ``read:Lead``, ``view_all:Account``)."""
        return tuple(str(grant) for grant in self.findings)

    def __repr__(self) -> str:
        sets = ", ".join(repr(source.profile or source.name) for source in self.permission_sets)
        return (
            f"PrivilegeReport(user_id={self.user_id!r}, profile={self.profile!r}, permission_sets=[{sets}], "
            f"excessive={self.excessive!r})"
        )


def check_privileges(
    sf: RestClient,
    /,
    *,
    user_id: str,
    allowed_objects: Collection[str],
    dangerous: Collection[str] = DEFAULT_DANGEROUS,
    tenant: str | None = None,
) -> PrivilegeReport:
    """Read what ``user_id`` may do in the org behind ``sf`` and report what is more than the tenant needs.

    The session's user needs View Setup and Configuration to read the permission objects; it may be the integration
    user itself. It describes PermissionSet (to learn which permissions this org has), then queries User,
    PermissionSetAssignment, PermissionSet and ObjectPermissions: six API calls for a usual user. No CRM record is
    read.

    Args:
        sf: a simple-salesforce client for the org, or another :class:`RestClient` (a
            :class:`~sfshield.salesforce.TenantClient` passes its reader, which retries transient failures).
        user_id: the integration user's id (``005…``, 15 or 18 characters).
        allowed_objects: the sObjects the tenant's purposes read; reading any other object (beyond
            :data:`SETUP_OBJECTS`) is excessive. Compared without regard to case.
        dangerous: system permission fields (``PermissionsViewAllData`` …) that are excessive when held.
        tenant: named in errors.

    Raises:
        ValueError: ``user_id`` is not a User id, or a name in ``allowed_objects`` or ``dangerous`` is malformed;
            nothing was sent to Salesforce.
        TypeError: ``allowed_objects`` or ``dangerous`` is a single string instead of a collection of them.
        SalesforceError: Salesforce refused or failed a call (:class:`~sfshield.exceptions.TransientError` when
            retrying may help, :class:`~sfshield.exceptions.AuthenticationError` for a dead session), or its answer
            hid some of the user's permission sets (the check fails closed rather than report rights it cannot see).
        ConfigurationError: the client's instance URL is malformed.
    """
    user_id = id18(user_id, "005", "user_id")
    allowed = {name.casefold() for name in (*_names(allowed_objects, "allowed_objects"), *SETUP_OBJECTS)}
    wanted = set(_permission_names(dangerous))
    reader = _Reader(sf, tenant)
    present = reader.permission_fields()
    checked = sorted(wanted & present)
    profile_id, profile = reader.user(user_id)
    sets = reader.permission_sets(user_id, profile_id, [*checked, _API_ONLY] if _API_ONLY in present else checked)
    object_rights = _object_grants(reader.object_permissions(list(sets)), sets)
    return PrivilegeReport(
        user_id=user_id,
        profile_id=profile_id,
        profile=profile,
        permission_sets=tuple(source for source, _ in sets.values()),
        object_rights=object_rights,
        system_permissions=tuple(grant for name in checked if (grant := _system_grant(name, sets)) is not None),
        unallowed_reads=tuple(
            g for g in object_rights if g.permission == ObjectRight.READ and str(g.sobject).casefold() not in allowed
        ),
        sharing_bypasses=tuple(g for g in object_rights if g.permission in _BYPASSES),
        unchecked=tuple(sorted(wanted - present)),
        api_only=any(_API_ONLY in held for _, held in sets.values()),
    )


def enforce(report: PrivilegeReport, /, *, allow_excess: bool, tenant: str, audit: AuditPipeline) -> None:
    """Refuse to start when ``report`` finds anything excessive, unless ``allow_excess`` says to start anyway.

    Every check is audited as :class:`~sfshield.audit.PrivilegeChecked`: with outcome ``blocked`` before
    :class:`PrivilegeError` is raised, or ``allowed`` (with the excessive rights listed and a logged warning when
    ``allow_excess`` let the client start anyway). The audit comes first, so a failing sink stops the start-up too
    (fail closed).

    Raises:
        PrivilegeError: something is excessive and ``allow_excess`` is false; ``excessive`` lists it.
        AuditSinkError: the audit trail could not record the decision.
        TypeError: ``report`` is not a :class:`PrivilegeReport`.
    """
    if not isinstance(report, PrivilegeReport):
        raise TypeError(f"enforce() takes the PrivilegeReport of check_privileges(), not {type(report).__name__}")
    if not report.findings:
        audit.emit(_event(report, tenant, Outcome.ALLOWED, allow_excess=allow_excess))
        return
    what = f"integration user {report.user_id} holds more rights than tenant {tenant!r} allows: " + "; ".join(
        grant.explain() for grant in report.findings
    )
    if not allow_excess:
        error = PrivilegeError(
            f"{what}. Remove them in Setup (see the access-review guide), or pass allow_excess=True to start anyway "
            "(audited)",
            excessive=report.excessive,
            tenant=tenant,
        )
        audit.emit(_event(report, tenant, Outcome.BLOCKED, allow_excess=allow_excess))
        raise error
    audit.emit(_event(report, tenant, Outcome.ALLOWED, allow_excess=allow_excess))
    _log.warning("sfshield started with excessive Salesforce rights (allow_excess=True): %s", what)


def _event(report: PrivilegeReport, tenant: str, outcome: Outcome, *, allow_excess: bool) -> PrivilegeChecked:
    return PrivilegeChecked(
        tenant=tenant,
        outcome=outcome,
        user_id=report.user_id,
        profile=report.profile,
        permission_sets=tuple(source.name for source in report.permission_sets),
        excessive=report.excessive,
        allow_excess=allow_excess,
        unchecked=report.unchecked,
        api_only=report.api_only,
    )


# --- reading the org ---------------------------------------------------------------------------------------------

_Sets = dict[str, tuple[PermissionSource, frozenset[str]]]
"""Permission set id -> the set, and the system permission fields it grants (of those that were asked for)."""

_IN_CHUNK: Final = 200  # ids per IN list: keeps every query URL far below Salesforce's 16,384-byte limit


class _Reader:
    """The org's permission objects, read through one error boundary."""

    def __init__(self, sf: RestClient, tenant: str | None) -> None:
        self._sf = sf
        self._tenant = tenant

    def permission_fields(self) -> set[str]:
        """The system permission fields PermissionSet has in this org (they vary with edition and features)."""
        answer: Any = self._call("describe PermissionSet", lambda: self._sf.restful("sobjects/PermissionSet/describe"))
        try:
            names = {f["name"] for f in answer["fields"]}
        except (KeyError, TypeError):
            raise self._unexpected("describe PermissionSet") from None
        return {name for name in names if isinstance(name, str) and _PERMISSION.fullmatch(name)}

    def user(self, user_id: str) -> tuple[str | None, str | None]:
        """The user's profile id and name."""
        rows = self._query("User", _soql("ProfileId, Profile.Name", "User", f"Id = '{user_id}'"))
        if not rows:
            raise SalesforceError(
                f"user {user_id} was not found, or the session's user may not see it: check the integration user's "
                "id (the id URL of its token response names it)",
                tenant=self._tenant,
                error_code="NOT_FOUND",
            )
        profile_id = rows[0].get("ProfileId")
        if profile_id is None:
            return None, None
        return self._returned_id(profile_id, "00e"), _name_of(rows[0].get("Profile"))

    def permission_sets(self, user_id: str, profile_id: str | None, fields: list[str]) -> _Sets:
        """Every permission set assigned to the user, and the set its profile owns; fails closed on a hidden one."""
        soql = _soql("PermissionSetId", "PermissionSetAssignment", f"AssigneeId = '{user_id}'")
        assigned = {self._returned_id(row.get("PermissionSetId"), "0PS") for row in self._query("assignment", soql)}
        select = ", ".join(["Id", "Name", "IsOwnedByProfile", "Profile.Name", *fields])
        wheres = [f"Id IN ({_id_list(chunk)})" for chunk in _chunks(sorted(assigned))]
        if profile_id is not None:  # Salesforce assigns the profile's own set too, but do not rely on it
            wheres.append(f"ProfileId = '{profile_id}'")
        sets: _Sets = {}
        for where in wheres:
            for row in self._query("PermissionSet", _soql(select, "PermissionSet", where)):
                source = _source(row, self._returned_id(row.get("Id"), "0PS"))
                sets[source.permission_set_id] = (source, frozenset(name for name in fields if row.get(name) is True))
        if not sets or not assigned <= sets.keys():
            raise SalesforceError(
                f"some permission sets of user {user_id} could not be read, so its rights cannot be checked: give "
                "the session's user View Setup and Configuration",
                tenant=self._tenant,
                error_code="INSUFFICIENT_ACCESS",
            )
        return sets

    def object_permissions(self, set_ids: list[str]) -> list[dict[str, Any]]:
        """The ObjectPermissions rows of the given permission sets."""
        select = ", ".join(["ParentId", "SobjectType", *_RIGHT_FIELDS.values()])
        return [
            row
            for chunk in _chunks(set_ids)
            for row in self._query(
                "ObjectPermissions", _soql(select, "ObjectPermissions", f"ParentId IN ({_id_list(chunk)})")
            )
        ]

    def _query(self, what: str, soql: str) -> list[dict[str, Any]]:
        answer = self._call(f"the {what} query", lambda: self._sf.query_all(soql))
        records = answer.get("records") if isinstance(answer, dict) else None
        if not isinstance(records, list) or not all(isinstance(row, dict) for row in records):
            raise self._unexpected(f"the {what} query")
        return records

    def _call(self, what: str, call: Callable[[], _T]) -> _T:
        """Run one simple-salesforce call through sfshield's error boundary; name View Setup when access is refused."""
        try:
            with translate_errors(tenant=self._tenant):
                return call()
        except SalesforceError as exc:
            if exc.error_code not in _ACCESS_REFUSED:
                raise
            raise SalesforceError(
                f"{what} was refused ({exc.error_code}): give the session's user View Setup and Configuration, which "
                "reading the permission objects needs",
                tenant=self._tenant,
                error_code=exc.error_code,
                request_id=exc.request_id,
            ) from None

    def _returned_id(self, value: object, prefix: str) -> str:
        """An id Salesforce returned, validated before it goes into the next query."""
        try:
            return id18(value, prefix, "id")
        except ValueError:
            raise self._unexpected("a permission query") from None

    def _unexpected(self, what: str) -> SalesforceError:
        return SalesforceError(f"{what} returned an answer of an unexpected shape", tenant=self._tenant)


_ACCESS_REFUSED: Final = frozenset({"INSUFFICIENT_ACCESS", "INSUFFICIENT_ACCESS_OR_READONLY", "INVALID_TYPE"})


def _source(row: dict[str, Any], permission_set_id: str) -> PermissionSource:
    profile = _name_of(row.get("Profile")) if row.get("IsOwnedByProfile") is True else None
    return PermissionSource(permission_set_id, str(row.get("Name") or ""), profile)


def _name_of(parent: object) -> str | None:
    name = parent.get("Name") if isinstance(parent, dict) else None
    return name if isinstance(name, str) else None


def _system_grant(name: str, sets: _Sets) -> PermissionGrant | None:
    sources = tuple(source for source, held in sets.values() if name in held)
    return PermissionGrant(name, None, sources) if sources else None


def _object_grants(rows: list[dict[str, Any]], sets: _Sets) -> tuple[PermissionGrant, ...]:
    """One grant per (object, right) held, with every set that grants it; sorted by object, then right."""
    granted: dict[tuple[str, ObjectRight], tuple[str, list[PermissionSource]]] = {}
    for row in rows:
        sobject, parent = row.get("SobjectType"), sets.get(str(row.get("ParentId")))
        if not isinstance(sobject, str) or parent is None:
            continue
        for right, field in _RIGHT_FIELDS.items():
            if row.get(field) is True:
                granted.setdefault((sobject.casefold(), right), (sobject, []))[1].append(parent[0])
    order = list(ObjectRight)
    return tuple(
        PermissionGrant(right, name, tuple(sources))
        for (_, right), (name, sources) in sorted(granted.items(), key=lambda i: (i[0][0], order.index(i[0][1])))
    )


# --- validation --------------------------------------------------------------------------------------------------

_API_NAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,79}")
_PERMISSION: Final = re.compile(r"Permissions[A-Za-z0-9]{1,80}")


def _names(values: Collection[str], argument: str) -> list[str]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise TypeError(f"{argument} must be a collection of sObject names, such as {{'Account', 'Contact'}}")
    bad = [value for value in values if not isinstance(value, str) or not _API_NAME.fullmatch(value)]
    if bad:
        raise ValueError(f"{argument} holds {len(bad)} value(s) that are not sObject API names")
    return list(values)


def _permission_names(values: Collection[str]) -> list[str]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise TypeError("dangerous must be a collection of permission fields, such as {'PermissionsViewAllData'}")
    bad = [value for value in values if not isinstance(value, str) or not _PERMISSION.fullmatch(value)]
    if bad:
        raise ValueError(f"dangerous holds {len(bad)} value(s) that are not PermissionSet fields (Permissions…)")
    return list(values)


def _chunks(ids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), _IN_CHUNK):
        yield ids[start : start + _IN_CHUNK]


def _soql(select: str, sobject: str, where: str) -> str:
    """The one place SOQL is assembled: fixed field and object names, and a condition on validated ids only."""
    return f"SELECT {select} FROM {sobject} WHERE {where}"  # noqa: S608 - no caller passes untrusted text


def _id_list(ids: list[str]) -> str:
    """``'a','b'``: ids are letters and digits only (checked again here), so quoting them needs no escaping."""
    if not all(ID_SHAPE.fullmatch(value) for value in ids):
        raise ValueError("only validated Salesforce ids may be put into a query")
    return ",".join(f"'{value}'" for value in ids)
