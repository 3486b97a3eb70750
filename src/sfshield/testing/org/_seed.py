"""Deterministic, seeded CRM data for the embedded org: one call builds an org's schema and every record.

:func:`seed_org` returns the same :class:`OrgData` for the same arguments, and orgs with different ``org_index``
never share a value that identifies a person (names, emails, phones, SSNs) or an id. Randomness comes only from
``random.Random(f"{seed}:{org_index}")``.

What an org holds:

* CRM objects — Account, Contact, Lead, Opportunity, Case, User and the custom ``Invoice__c`` — with describe
  metadata and data classification (``SecurityClassification``/``ComplianceGroup``) on a realistic subset of
  fields. Ids are 18 characters with the real key prefixes and the real case-safe suffix (:func:`salesforce_id`).
  Dates are ``YYYY-MM-DD``, datetimes ``2026-05-20T20:49:32.000+0000`` (the REST format).
* Free text (``Case.Description``, ``Opportunity.NextStep``, ``Account.Contract_Terms__c``) that carries planted
  PII and secrets on a fixed cycle: row ``i`` of each of those objects carries :func:`planted_kind` ``(i)`` —
  one of :class:`PlantedKind` for 8 rows in 10, nothing for the other 2. The values come from
  :data:`CARD_NUMBERS`, :data:`IBANS`, :data:`CODE_NAMES`, the record's contact (email, phone) and a fake
  access token shaped ``<org id>!AQ…``.
* Permission objects for the privilege check: Profile, PermissionSet (profile-owned ones too),
  PermissionSetAssignment, ObjectPermissions, FieldPermissions. Three users: an integration user
  (``integration@org<n>.example``, least privilege: reads Account, Contact, Case, Opportunity and Invoice__c,
  not Lead, and its field permissions deny ``Contact.SSN__c`` and ``Contact.Birthdate``), an administrator with
  View All Data (``admin@org<n>.example``) and a sales user (``sales@org<n>.example``).
* ``Sfshield_Field_Policy__mdt``, sfshield's Custom Metadata Type, with one record per classified field; their
  ``SystemModstamp`` values are a minute apart from 2026-05-20 09:00 UTC, in deployment order.

Metadata Relationship fields on ``Sfshield_Field_Policy__mdt``: ``Object__c`` and ``Field__c`` hold the raw values
Salesforce persists — the API name for standard objects (``"Account"``) but the CustomObject id (``01I…``) for
custom ones, and ``"Account.Industry"`` for standard fields but ``"Invoice__c.00N…"`` for custom ones. Their
targets (EntityDefinition, FieldDefinition) are not records of the org, so each record also carries the resolved
target under the relationship name, ready for the evaluator to answer ``Object__r.QualifiedApiName``::

    "Object__r": {"QualifiedApiName": "Invoice__c", "DeveloperName": "Invoice"}
    "Field__r": {"QualifiedApiName": "Amount__c", "DeveloperName": "Amount"}

Every other record holds exactly its object's fields (``None`` for null).
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple

from sfshield._ids import case_suffix
from sfshield.testing.org._schema import ChildRelationship, FieldSpec, ObjectSpec, OrgData

__all__ = [
    "CARD_NUMBERS",
    "CODE_NAMES",
    "CONFIDENTIAL_MARKER",
    "IBANS",
    "MAX_ORG_INDEX",
    "MAX_SIZE",
    "PLANT_CYCLE",
    "PlantedKind",
    "build_schema",
    "checksum_suffix",
    "planted_kind",
    "salesforce_id",
    "seed_org",
]

MAX_ORG_INDEX = 99
"""The highest ``org_index``: ids and person numbers are laid out for 100 orgs."""
MAX_SIZE = 100_000
"""The most Accounts one org may hold (keeps every org's people inside its own block of person numbers)."""

CODE_NAMES = ("Project BLUEFIN", "Project KESTREL", "Project NIGHTJAR", "Project SILVERBACK", "Project TAMARACK")
"""Internal project code names planted in free text."""
CARD_NUMBERS = ("4111111111111111", "5555555555554444", "378282246310005", "4012888888881881")
"""Luhn-valid test card numbers (Visa, Mastercard, Amex, Visa) planted in free text."""
IBANS = ("DE89370400440532013000", "GB82WEST12345698765432", "FR1420041010050500013M02606", "NL91ABNA0417164300")
"""IBANs with valid mod-97 check digits planted in free text."""
CONFIDENTIAL_MARKER = "CONFIDENTIAL:"
"""How every planted pricing phrase starts: ``CONFIDENTIAL: 32% discount until 2027.``"""


class PlantedKind(StrEnum):
    """What a free-text row carries."""

    EMAIL = "email"
    PHONE_E164 = "phone_e164"
    PHONE_NATIONAL = "phone_national"
    CARD_NUMBER = "card_number"
    IBAN = "iban"
    ACCESS_TOKEN = "access_token"  # noqa: S105 -- the name of a kind, not a secret
    CODE_NAME = "code_name"
    CONFIDENTIAL_PRICING = "confidential_pricing"


PLANT_CYCLE: tuple[PlantedKind | None, ...] = (*PlantedKind, None, None)
"""Row ``i`` of every free-text object carries ``PLANT_CYCLE[i % len(PLANT_CYCLE)]``: each kind 1 row in 10."""


def planted_kind(row: int) -> PlantedKind | None:
    """Return what row ``row`` (0-based, in record order) of Case, Opportunity or Account carries, if anything."""
    return PLANT_CYCLE[row % len(PLANT_CYCLE)]


# --- ids ---------------------------------------------------------------------------------------------------------

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_POD_OFFSET = 352  # base 62 "5g": org 0 ids look like 0015g0000…, as many real orgs' do
_SERIAL_OFFSET = 62**6 * 3 + 62**5 * 33 + 62**4 * 46  # serials start at "003Xk0000": mixed case, like real ids
_SERIAL_DIGITS = 9


def checksum_suffix(id15: str, /) -> str:
    """Return the 3-character case-safe suffix of a 15-character Salesforce id.

    For each 5-character chunk, bit ``i`` is set when character ``i`` is an uppercase letter ``A``-``Z``; the
    5-bit value indexes ``ABCDEFGHIJKLMNOPQRSTUVWXYZ012345``.

    Raises:
        ValueError: ``id15`` is not 15 characters.
    """
    if len(id15) != 15:
        raise ValueError(f"a 15-character id is needed, got {len(id15)} characters")
    return case_suffix(id15)


def salesforce_id(prefix: str, number: int, org_index: int) -> str:
    """Return the 18-character id of record ``number`` of the object with key prefix ``prefix`` in org ``org_index``.

    The id is ``prefix`` + a 2-character pod that encodes the org + ``0`` + a 9-character base-62 serial + the
    case-safe suffix. Different ``(prefix, number, org_index)`` give different ids; serials grow with ``number``.

    Raises:
        ValueError: ``prefix`` is not 3 base-62 characters, ``number`` is negative or too large, or ``org_index``
            is outside ``0..MAX_ORG_INDEX``.
    """
    if len(prefix) != 3 or any(char not in _BASE62 for char in prefix):
        raise ValueError(f"a key prefix is 3 characters of [0-9A-Za-z], got {prefix!r}")
    if not 0 <= number < 62**_SERIAL_DIGITS - _SERIAL_OFFSET:
        raise ValueError(f"record number {number} is out of range")
    _check_range("org_index", org_index, 0, MAX_ORG_INDEX)
    return _make_id(prefix, number, _pod(org_index))


def _make_id(prefix: str, number: int, pod: str) -> str:
    body = prefix + pod + _base62(number + _SERIAL_OFFSET, _SERIAL_DIGITS)
    return body + checksum_suffix(body)


def _pod(org_index: int) -> str:
    return _base62(org_index + _POD_OFFSET, 2) + "0"


def _base62(value: int, width: int) -> str:
    digits = []
    for _ in range(width):
        value, digit = divmod(value, 62)
        digits.append(_BASE62[digit])
    return "".join(reversed(digits))


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")


# --- schema ------------------------------------------------------------------------------------------------------

_PII, _PII_GDPR = "PII", "PII;GDPR"


def _f(
    name: str,
    kind: str,
    label: str,
    length: int = 0,
    level: str | None = None,
    *,
    groups: str | None = None,
    encrypted: bool = False,
    required: bool = False,
) -> FieldSpec:
    return FieldSpec(name, kind, label, length, security_classification=level, compliance_group=groups,
                     encrypted=encrypted, nillable=not required)  # fmt: skip


def _ref(name: str, target: str, relationship: str, label: str, level: str | None = None) -> FieldSpec:
    return FieldSpec(name, "reference", label, 18, (target,), relationship, level)


def _id() -> FieldSpec:
    return FieldSpec("Id", "id", "Record ID", 18, nillable=False)


def _created() -> FieldSpec:
    return FieldSpec("CreatedDate", "datetime", "Created Date", nillable=False)


def _flags(*names: str) -> tuple[FieldSpec, ...]:
    return tuple(FieldSpec(f"Permissions{name}", "boolean", name, nillable=False) for name in names)


def _children(*triples: tuple[str, str, str]) -> tuple[ChildRelationship, ...]:
    return tuple(ChildRelationship(*triple) for triple in triples)


_SYSTEM_PERMISSIONS = (
    "ViewAllData", "ModifyAllData", "ViewAllUsers", "CustomizeApplication", "AuthorApex", "ApiEnabled",
    "ApiUserOnly", "ViewSetup", "ManageUsers", "ModifyMetadata", "ViewEncryptedData",
)  # fmt: skip
_OBJECT_PERMISSIONS = ("Create", "Read", "Edit", "Delete", "ViewAllRecords", "ModifyAllRecords", "ViewAllFields")


def _crm_objects() -> tuple[ObjectSpec, ...]:
    return (
        ObjectSpec("Account", "Account", "001", (
            _id(),
            _f("Name", "string", "Account Name", 255, "Internal", required=True),
            _f("Industry", "picklist", "Industry", 255, "Public"),
            _f("AnnualRevenue", "currency", "Annual Revenue", 0, "Confidential"),
            _f("Phone", "phone", "Account Phone", 40, "Internal"),
            _f("BillingCity", "string", "Billing City", 40, "Public"),
            _ref("OwnerId", "User", "Owner", "Owner ID", "Internal"),
            _f("Discount__c", "percent", "Discount", 0, "Confidential"),
            _f("Contract_Terms__c", "textarea", "Contract Terms", 32768, "Restricted"),
            _created(),
        ), _children(("Contacts", "Contact", "AccountId"), ("Opportunities", "Opportunity", "AccountId"),
                     ("Cases", "Case", "AccountId"), ("Invoices__r", "Invoice__c", "Account__c"))),
        ObjectSpec("Contact", "Contact", "003", (
            _id(),
            _f("FirstName", "string", "First Name", 40, "Confidential", groups=_PII_GDPR),
            _f("LastName", "string", "Last Name", 80, "Confidential", groups=_PII_GDPR, required=True),
            _f("Name", "string", "Full Name", 121, "Confidential", groups=_PII_GDPR, required=True),
            _f("Email", "email", "Email", 80, "Confidential", groups=_PII_GDPR),
            _f("Phone", "phone", "Business Phone", 40, "Confidential", groups=_PII),
            _f("Title", "string", "Title", 128, "Internal"),
            _f("Department", "string", "Department", 80, "Internal"),
            _f("MailingCity", "string", "Mailing City", 40, "Internal", groups="GDPR"),
            _f("Birthdate", "date", "Birthdate", 0, "Restricted", groups=_PII_GDPR),
            _f("SSN__c", "string", "Social Security Number", 11, "MissionCritical", groups=_PII, encrypted=True),
            _ref("AccountId", "Account", "Account", "Account ID"),
            _ref("OwnerId", "User", "Owner", "Owner ID"),
            _created(),
        ), _children(("Cases", "Case", "ContactId"))),
        ObjectSpec("Lead", "Lead", "00Q", (
            _id(),
            _f("FirstName", "string", "First Name", 40, "Confidential", groups=_PII_GDPR),
            _f("LastName", "string", "Last Name", 80, "Confidential", groups=_PII_GDPR, required=True),
            _f("Name", "string", "Full Name", 121, "Confidential", groups=_PII_GDPR, required=True),
            _f("Company", "string", "Company", 255, "Internal", required=True),
            _f("Email", "email", "Email", 80, "Confidential", groups=_PII_GDPR),
            _f("Phone", "phone", "Phone", 40, "Confidential", groups=_PII),
            _f("Status", "picklist", "Status", 255, "Public", required=True),
            _f("LeadSource", "picklist", "Lead Source", 255),
        )),
        ObjectSpec("Opportunity", "Opportunity", "006", (
            _id(),
            _f("Name", "string", "Name", 120, "Internal", required=True),
            _ref("AccountId", "Account", "Account", "Account ID"),
            _f("Amount", "currency", "Amount", 0, "Confidential"),
            _f("StageName", "picklist", "Stage", 255, "Public", required=True),
            _f("CloseDate", "date", "Close Date", 0, "Internal", required=True),
            _f("Discount__c", "percent", "Discount", 0, "Restricted"),
            _f("Contract_Terms__c", "textarea", "Contract Terms", 32768, "Restricted"),
            _f("NextStep", "string", "Next Step", 255, "Internal"),
        )),
        ObjectSpec("Case", "Case", "500", (
            _id(),
            _f("CaseNumber", "string", "Case Number", 30, "Public", required=True),
            _f("Subject", "string", "Subject", 255, "Internal"),
            _f("Description", "textarea", "Description", 32000, "Confidential"),
            _f("Status", "picklist", "Status", 255, "Public"),
            _f("Priority", "picklist", "Priority", 255, "Public"),
            _ref("AccountId", "Account", "Account", "Account ID"),
            _ref("ContactId", "Contact", "Contact", "Contact ID"),
            _created(),
        )),
        ObjectSpec("User", "User", "005", (
            _id(),
            _f("Name", "string", "Full Name", 121, "Internal", groups=_PII, required=True),
            _f("Username", "string", "Username", 80, "Internal", required=True),
            _f("Email", "email", "Email", 128, "Confidential", groups=_PII, required=True),
            _f("IsActive", "boolean", "Active", 0, "Public", required=True),
            _ref("ProfileId", "Profile", "Profile", "Profile ID"),
        ), _children(("PermissionSetAssignments", "PermissionSetAssignment", "AssigneeId"))),
        ObjectSpec("Invoice__c", "Invoice", "a0A", (
            _id(),
            _f("Name", "string", "Invoice Name", 80, "Internal", required=True),
            _ref("Account__c", "Account", "Account__r", "Account"),
            _f("Amount__c", "currency", "Amount", 0, "Restricted"),
            _f("Due_Date__c", "date", "Due Date", 0, "Internal"),
        )),
    )  # fmt: skip


def _setup_objects() -> tuple[ObjectSpec, ...]:
    return (
        ObjectSpec("Profile", "Profile", "00e", (
            _id(), _f("Name", "string", "Name", 255, required=True), *_flags(*_SYSTEM_PERMISSIONS),
        )),
        ObjectSpec("PermissionSet", "Permission Set", "0PS", (
            _id(),
            _f("Name", "string", "Name", 80, required=True),
            _f("Label", "string", "Label", 80, required=True),
            _f("IsOwnedByProfile", "boolean", "Is Owned by Profile", required=True),
            _ref("ProfileId", "Profile", "Profile", "Profile ID"),
            *_flags(*_SYSTEM_PERMISSIONS),
        ), _children(("Assignments", "PermissionSetAssignment", "PermissionSetId"),
                     ("ObjectPerms", "ObjectPermissions", "ParentId"), ("FieldPerms", "FieldPermissions", "ParentId"))),
        ObjectSpec("PermissionSetAssignment", "Permission Set Assignment", "0Pa", (
            _id(),
            _ref("AssigneeId", "User", "Assignee", "Assignee ID"),
            _ref("PermissionSetId", "PermissionSet", "PermissionSet", "Permission Set ID"),
        )),
        ObjectSpec("ObjectPermissions", "Object Permissions", "110", (
            _id(),
            _ref("ParentId", "PermissionSet", "Parent", "Parent ID"),
            _f("SobjectType", "picklist", "Sobject Type Name", 40, required=True),
            *_flags(*_OBJECT_PERMISSIONS),
        )),
        ObjectSpec("FieldPermissions", "Field Permissions", "01k", (
            _id(),
            _ref("ParentId", "PermissionSet", "Parent", "Parent ID"),
            _f("SobjectType", "picklist", "Sobject Type Name", 40, required=True),
            _f("Field", "string", "Field Name", 255, required=True),
            *_flags("Read", "Edit"),
        )),
        ObjectSpec("Sfshield_Field_Policy__mdt", "Sfshield Field Policy", "m01", (
            _id(),
            _f("DeveloperName", "string", "Custom Metadata Record Name", 40, required=True),
            _f("MasterLabel", "string", "Label", 40, required=True),
            _f("Label", "string", "Label", 40, required=True),
            _f("NamespacePrefix", "string", "Namespace Prefix", 15),
            _f("QualifiedApiName", "string", "Qualified API Name", 70, required=True),
            FieldSpec("Object__c", "reference", "Object", 18, ("EntityDefinition",), "Object__r"),
            FieldSpec("Field__c", "reference", "Field", 18, ("FieldDefinition",), "Field__r"),
            _f("Sensitivity__c", "picklist", "Sensitivity", 255),
            _f("Compliance_Groups__c", "multipicklist", "Compliance Groups", 4099),
            _f("Tags__c", "string", "Tags", 255),
            _f("Kind__c", "string", "Kind", 40),
            _f("SystemModstamp", "datetime", "System Modstamp", required=True),
        )),
        # The metadata catalog, as far as classification needs it. Ids are the durable ids Salesforce stores in
        # Metadata Relationship fields: the API name for standard objects/fields, 01I…/00N… ids for custom ones.
        ObjectSpec("EntityDefinition", "Entity Definition", "", (
            _id(),
            _f("DurableId", "string", "Durable ID", 255),
            _f("QualifiedApiName", "string", "Qualified API Name", 255),
            _f("DeveloperName", "string", "Developer Name", 40),
            _f("Label", "string", "Label", 40),
        )),
        ObjectSpec("FieldDefinition", "Field Definition", "", (
            _id(),
            _f("DurableId", "string", "Durable ID", 255),
            _f("QualifiedApiName", "string", "Qualified API Name", 255),
            _f("DeveloperName", "string", "Developer Name", 40),
            _f("DataType", "string", "Data Type", 255),
            _f("SecurityClassification", "picklist", "Data Sensitivity Level", 255),
            _f("ComplianceGroup", "multipicklist", "Compliance Categorization", 4099),
            _f("BusinessStatus", "picklist", "Field Usage", 255),
            _f("BusinessOwnerId", "string", "Data Owner", 18),
            FieldSpec("EntityDefinitionId", "reference", "Entity Definition", 18, ("EntityDefinition",),
                      "EntityDefinition"),
        )),
    )  # fmt: skip


_OBJECTS = (*_crm_objects(), *_setup_objects())
_CRM_NAMES = tuple(spec.name for spec in _crm_objects())


def build_schema() -> dict[str, ObjectSpec]:
    """Return a new dict of every object an embedded org holds, keyed by API name (the specs are immutable)."""
    return {spec.name: spec for spec in _OBJECTS}


# --- vocabularies ------------------------------------------------------------------------------------------------

_FIRST_NAMES = (
    "Ada", "Ahmed", "Aiko", "Alice", "Amara", "Ana", "Arjun", "Ben", "Carla", "Chen", "Chloe", "Daniel", "David",
    "Elena", "Emma", "Farah", "Felix", "Grace", "Hana", "Hugo", "Ingrid", "Isaac", "Jonas", "Julia", "Kai", "Karim",
    "Laura", "Leo", "Lina", "Lucas", "Maya", "Mateo", "Mei", "Nadia", "Noah", "Olga", "Omar", "Priya", "Rafael",
    "Rosa", "Sam", "Sara", "Sofia", "Tariq", "Tom", "Uma", "Victor", "Yara", "Yusuf", "Zoe",
)  # fmt: skip
_SYLLABLES = tuple(c + v for c in "bdfghklmnprstv" for v in "aeiou")  # 70
# Each ending is exactly 3 letters and each syllable 2, so a surname parses back to exactly one number.
_ENDINGS = ("son", "ton", "ley", "man", "sen", "ner", "dal", "mer", "ard", "ell", "ick", "ing", "ore", "win", "ham",
            "gan")  # fmt: skip
_AREA_CODES = ("212", "213", "305", "312", "415", "512", "617", "646", "702", "720", "206", "303", "404", "503",
               "602", "713")  # fmt: skip
_PEOPLE_PER_ORG = 1_000_000
_PEOPLE_STRIDE = 7919  # coprime with _PEOPLE_PER_ORG: scatters consecutive people over the org's block

_ADJECTIVES = (
    "Northwind", "Bluewater", "Granite", "Silverline", "Redwood", "Summit", "Harbor", "Ironbridge", "Brightpath",
    "Cedar", "Evergreen", "Falcon", "Golden", "Highland", "Lakeside", "Meridian", "Nordhavn", "Oakridge", "Pinecrest",
    "Quartz", "Riverbend", "Stonegate", "Tidewater", "Westfield",
)  # fmt: skip
_NOUNS = (
    "Logistics", "Analytics", "Foods", "Robotics", "Health", "Energy", "Textiles", "Software", "Shipping", "Pharma",
    "Foundry", "Outfitters", "Capital", "Media", "Motors", "Labs", "Farms", "Systems", "Telecom", "Builders",
)  # fmt: skip
_COMPANY_SUFFIXES = ("Inc.", "Ltd", "GmbH", "AB", "LLC", "S.A.", "plc", "Group")
_CITIES = ("Stockholm", "Berlin", "Austin", "Toronto", "Lyon", "Osaka", "Denver", "Dublin", "Porto", "Seattle",
           "Melbourne", "Utrecht", "Boston", "Madrid", "Oslo")  # fmt: skip
_INDUSTRIES = ("Technology", "Manufacturing", "Healthcare", "Retail", "Finance", "Transportation", "Energy",
               "Education", "Media")  # fmt: skip
_TITLES = ("Head of Procurement", "IT Director", "Operations Manager", "CFO", "Data Engineer", "Buyer",
           "VP Sales", "Office Manager", "CTO", "Account Payable Clerk")  # fmt: skip
_DEPARTMENTS = ("Operations", "Finance", "IT", "Procurement", "Sales", "Engineering", "Legal")
_STAGES = ("Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote", "Negotiation/Review",
           "Closed Won", "Closed Lost")  # fmt: skip
_CASE_STATUSES = ("New", "Working", "Escalated", "Closed")
_PRIORITIES = ("Low", "Medium", "High")
_LEAD_STATUSES = ("Open - Not Contacted", "Working - Contacted", "Closed - Converted", "Closed - Not Converted")
_LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Trade Show", "Other", None)
_SUBJECTS = ("Export stops halfway", "Login error after release", "Invoice total mismatch", "Dashboard walkthrough",
             "Damaged shipment", "Duplicate records after sync", "Password reset fails", "Renewal timing")  # fmt: skip
# Clean free text: no digits, addresses or markers, so a row carries exactly what PLANT_CYCLE says.
_CASE_TEXT = (
    "Customer reports that the export to the data warehouse stops halfway.",
    "The login page shows an error after the latest release.",
    "The invoice total does not match the signed quote.",
    "Customer asked for a walkthrough of the new reporting dashboard.",
    "The shipment arrived damaged and the customer wants a replacement.",
    "Sync with the billing system duplicates some records.",
    "Password reset from the mobile app never sends the email.",
    "Customer asks whether the renewal can move to the end of the quarter.",
)
_NEXT_STEPS = ("Send revised proposal.", "Schedule technical deep dive.", "Confirm budget with finance.",
               "Book executive sponsor call.", "Legal review of the order form.")  # fmt: skip
_TERMS = ("Payment net thirty days, annual renewal.", "Three-year term with a price cap.",
          "Quarterly billing in arrears.", "Renews automatically unless cancelled in writing.")  # fmt: skip
_TOKEN_CHARS = _BASE62 + "._"
_EPOCH = datetime(2023, 1, 1, tzinfo=UTC)
_CREATED_SPAN = int((datetime(2026, 5, 20, tzinfo=UTC) - _EPOCH).total_seconds())
_CMT_DEPLOYED = datetime(2026, 5, 20, 9, 0, tzinfo=UTC)
_TAGS = MappingProxyType({
    "Account.AnnualRevenue": "commercial-terms", "Account.Discount__c": "commercial-terms",
    "Account.Contract_Terms__c": "commercial-terms;free-text", "Opportunity.Amount": "commercial-terms",
    "Opportunity.Discount__c": "commercial-terms", "Opportunity.Contract_Terms__c": "commercial-terms;free-text",
    "Opportunity.NextStep": "free-text", "Case.Description": "free-text", "Invoice__c.Amount__c": "commercial-terms",
})  # fmt: skip
_KINDS = MappingProxyType({
    "FirstName": "name", "LastName": "name", "Name": "name", "Email": "email", "Phone": "phone",
    "Birthdate": "date_of_birth", "SSN__c": "ssn", "Amount": "amount", "Amount__c": "amount",
    "AnnualRevenue": "amount", "Discount__c": "percent",
})  # fmt: skip
_NAMED_PEOPLE = frozenset({"Contact", "Lead", "User"})  # objects whose Name is a person's name


# --- people ------------------------------------------------------------------------------------------------------


class _Person(NamedTuple):
    """One person; ``u`` is unique across all orgs and determines the surname, phone and SSN."""

    first: str
    last: str
    u: int
    domain: str

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def email(self) -> str:
        return f"{self.first}.{self.last}@{self.domain}".lower()

    @property
    def phone_national(self) -> str:
        return f"({self._digits[:3]}) {self._digits[3:6]}-{self._digits[6:]}"

    @property
    def phone_e164(self) -> str:
        return f"+1{self._digits}"

    @property
    def ssn(self) -> str:
        digits = str(900_000_000 + self.u)  # area numbers 9xx are never issued as SSNs
        return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"

    @property
    def _digits(self) -> str:
        # injective while u < 16 * 800 * 10_000 (MAX_ORG_INDEX and _PEOPLE_PER_ORG keep u below 10**8)
        rest, area = divmod(self.u, len(_AREA_CODES))
        exchange, line = divmod(rest, 10_000)
        return f"{_AREA_CODES[area]}{200 + exchange:03d}{line:04d}"


def _surname(u: int) -> str:
    """Spell ``u`` as 2-letter syllables plus a 3-letter ending: injective, so no two people share a surname."""
    rest, ending = divmod(u, len(_ENDINGS))
    syllables = []
    while True:  # bijective base 70: at least one syllable, and every length is used
        rest, digit = divmod(rest, len(_SYLLABLES))
        syllables.append(_SYLLABLES[digit])
        if rest == 0:
            break
        rest -= 1
    return ("".join(reversed(syllables)) + _ENDINGS[ending]).capitalize()


class _Company(NamedTuple):
    name: str
    domain: str


# --- the builder -------------------------------------------------------------------------------------------------


class _OrgBuilder:
    """Builds one org's records; every random draw goes through ``self.rng``, in a fixed order."""

    def __init__(self, org_index: int, rng: random.Random) -> None:
        self.org_index = org_index
        self.rng = rng
        self.pod = _pod(org_index)
        self.org_id = _make_id("00D", 1 + org_index, self.pod)
        self.schema = build_schema()
        self.records: dict[str, list[dict[str, Any]]] = {name: [] for name in self.schema}
        self.owners: tuple[str, ...] = ()
        self._field_names = {name: tuple(f.name for f in spec.fields) for name, spec in self.schema.items()}
        self._people = 0
        self._company_offset = rng.randrange(_COMPANY_COMBOS)

    def add(self, sobject: str, **values: Any) -> dict[str, Any]:
        """Append a record of ``sobject`` with the next id; fields not given are ``None``."""
        rows = self.records[sobject]
        record: dict[str, Any] = dict.fromkeys(self._field_names[sobject])
        record["Id"] = _make_id(self.schema[sobject].key_prefix, len(rows) + 1, self.pod)
        record.update(values)
        rows.append(record)
        return record

    def person(self, domain: str) -> _Person:
        """A new person of this org: numbers are scattered over the org's own block, so orgs never overlap."""
        u = self.org_index * _PEOPLE_PER_ORG + (self._people * _PEOPLE_STRIDE) % _PEOPLE_PER_ORG
        self._people += 1
        return _Person(self.rng.choice(_FIRST_NAMES), _surname(u), u, domain)

    def company(self, index: int) -> _Company:
        """Company ``index``: every adjective/noun/suffix combination once, then numbered repeats."""
        repeat, slot = divmod(index, _COMPANY_COMBOS)
        rest, suffix = divmod((self._company_offset + slot * 7) % _COMPANY_COMBOS, len(_COMPANY_SUFFIXES))
        adjective, noun = divmod(rest, len(_NOUNS))
        stem = f"{_ADJECTIVES[adjective]} {_NOUNS[noun]}"
        number = f" {repeat + 1}" if repeat else ""
        slug = f"{stem}{number}".lower().replace(" ", "-")
        return _Company(f"{stem} {_COMPANY_SUFFIXES[suffix]}{number}", f"{slug}.example")

    def created(self) -> str:
        return _rest_datetime(_EPOCH + timedelta(seconds=self.rng.randrange(_CREATED_SPAN)))

    def day(self, start: date, span_days: int) -> str:
        return (start + timedelta(days=self.rng.randrange(span_days))).isoformat()

    def planted(self, row: int, person: _Person) -> str:
        """The sentence free-text row ``row`` carries, with a leading space; empty for clean rows."""
        kind = planted_kind(row)
        return "" if kind is None else _PLANTERS[kind](self, row, person)

    def access_token(self) -> str:
        """A fake access token, shaped like Salesforce's: the 15-character org id, ``!AQ``, then noise."""
        return f"{self.org_id[:15]}!AQ{''.join(self.rng.choices(_TOKEN_CHARS, k=96))}"


_COMPANY_COMBOS = len(_ADJECTIVES) * len(_NOUNS) * len(_COMPANY_SUFFIXES)  # 7 must stay coprime with this
_Planter = Callable[[_OrgBuilder, int, _Person], str]
_PLANTERS: Mapping[PlantedKind, _Planter] = MappingProxyType({
    PlantedKind.EMAIL: lambda _, __, who: f" Reply to {who.email} instead of the shared inbox.",
    PlantedKind.PHONE_E164: lambda _, __, who: f" Call back on {who.phone_e164}.",
    PlantedKind.PHONE_NATIONAL: lambda _, __, who: f" Call back on {who.phone_national}.",
    PlantedKind.CARD_NUMBER: lambda _, row, __: f" Card on file {CARD_NUMBERS[row // 10 % len(CARD_NUMBERS)]}.",
    PlantedKind.IBAN: lambda _, row, __: f" Refund to IBAN {IBANS[row // 10 % len(IBANS)]}.",
    PlantedKind.ACCESS_TOKEN: lambda b, _, __: f" Debug log: Authorization: Bearer {b.access_token()}",
    PlantedKind.CODE_NAME: lambda b, _, __: f" Part of {b.rng.choice(CODE_NAMES)}; do not share outside the team.",
    PlantedKind.CONFIDENTIAL_PRICING: lambda b, _, __: (
        f" {CONFIDENTIAL_MARKER} {b.rng.randint(5, 45)}% discount until {b.rng.randint(2027, 2029)}."
    ),
})  # fmt: skip


# --- users and permissions ---------------------------------------------------------------------------------------


class _Access(NamedTuple):
    """What a permission set grants: permissions per object, and the fields it may not read."""

    objects: Mapping[str, frozenset[str]]
    hidden_fields: frozenset[str] = frozenset()


_ALL_ACCESS, _READ = frozenset(_OBJECT_PERMISSIONS), frozenset({"Read"})
_READ_WRITE = frozenset({"Create", "Read", "Edit"})
_ADMIN = _Access(MappingProxyType(dict.fromkeys([n for n in _CRM_NAMES if n != "User"], _ALL_ACCESS)))
_SALES = _Access(
    MappingProxyType({**dict.fromkeys(["Account", "Contact", "Lead", "Opportunity", "Case"], _READ_WRITE),
                      "Invoice__c": _READ}),
    frozenset({"Contact.SSN__c"}),
)  # fmt: skip
_INTEGRATION = _Access(
    MappingProxyType(dict.fromkeys(["Account", "Contact", "Case", "Opportunity", "Invoice__c"], _READ)),
    frozenset({"Contact.SSN__c", "Contact.Birthdate"}),
)
_NO_ACCESS = _Access(MappingProxyType({}))
_ADMIN_PERMISSIONS = frozenset(_SYSTEM_PERMISSIONS) - {"ApiUserOnly"}


def _system_grants(granted: frozenset[str]) -> dict[str, bool]:
    return {f"Permissions{name}": name in granted for name in _SYSTEM_PERMISSIONS}


def _seed_security(b: _OrgBuilder) -> None:
    """Profiles (each with its profile-owned permission set), the integration permission set and three users."""
    n = b.org_index
    admin_set = _profile(b, "System Administrator", _ADMIN_PERMISSIONS, _ADMIN)
    sales_set = _profile(b, "Standard User", frozenset({"ApiEnabled"}), _SALES)
    api_only_set = _profile(b, "Minimum Access - API Only Integrations", frozenset({"ApiEnabled", "ApiUserOnly"}),
                            _NO_ACCESS)  # fmt: skip
    integration_set = b.add("PermissionSet", Name="Sfshield_Integration", Label="sfshield Integration",
                            IsOwnedByProfile=False, **_system_grants(frozenset({"ApiEnabled"})))  # fmt: skip
    _grant(b, integration_set["Id"], _INTEGRATION)
    username = f"integration@org{n}.example"
    integration = b.add("User", Name=f"Integration User org{n}", Username=username, Email=username, IsActive=True,
                        ProfileId=api_only_set["ProfileId"])  # fmt: skip
    admin = _user(b, "admin", admin_set)
    sales = _user(b, "sales", sales_set)
    for user, permission_set in ((integration, api_only_set), (integration, integration_set), (admin, admin_set),
                                 (sales, sales_set)):  # fmt: skip
        b.add("PermissionSetAssignment", AssigneeId=user["Id"], PermissionSetId=permission_set["Id"])
    b.owners = (admin["Id"], sales["Id"])


def _profile(b: _OrgBuilder, name: str, granted: frozenset[str], access: _Access) -> dict[str, Any]:
    """A profile and the permission set it owns (how Salesforce exposes profile permissions); returns the set."""
    profile = b.add("Profile", Name=name, **_system_grants(granted))
    owned = b.add("PermissionSet", Name=f"X{profile['Id'][:15]}", Label=profile["Id"][:15], IsOwnedByProfile=True,
                  ProfileId=profile["Id"], **_system_grants(granted))  # fmt: skip
    _grant(b, owned["Id"], access)
    return owned


def _user(b: _OrgBuilder, role: str, permission_set: dict[str, Any]) -> dict[str, Any]:
    who = b.person(f"org{b.org_index}.example")
    return b.add("User", Name=who.name, Username=f"{role}@org{b.org_index}.example", Email=who.email, IsActive=True,
                 ProfileId=permission_set["ProfileId"])  # fmt: skip


def _grant(b: _OrgBuilder, permission_set_id: str, access: _Access) -> None:
    """ObjectPermissions per object, FieldPermissions per permissionable (nillable) field; hidden fields read false."""
    for sobject, granted in access.objects.items():
        flags = {f"Permissions{name}": name in granted for name in _OBJECT_PERMISSIONS}
        b.add("ObjectPermissions", ParentId=permission_set_id, SobjectType=sobject, **flags)
        for spec in b.schema[sobject].fields:
            if not spec.nillable:
                continue
            key = f"{sobject}.{spec.name}"
            read = key not in access.hidden_fields
            b.add("FieldPermissions", ParentId=permission_set_id, SobjectType=sobject, Field=key,
                  PermissionsRead=read, PermissionsEdit=read and "Edit" in granted)  # fmt: skip


# --- CRM records -------------------------------------------------------------------------------------------------

_BIRTH_START, _CLOSE_START, _DUE_START = date(1955, 1, 1), date(2025, 1, 1), date(2026, 1, 1)


def _seed_account(b: _OrgBuilder, index: int) -> None:
    """Account ``index`` with 1-5 Contacts, 1-2 Opportunities, 1-3 Cases and 0-2 Invoices."""
    rng, company = b.rng, b.company(index)
    account = b.add(
        "Account", Name=company.name, Industry=rng.choice(_INDUSTRIES),
        AnnualRevenue=float(rng.randrange(1, 500) * 100_000), Phone=_company_phone(rng),
        BillingCity=rng.choice(_CITIES), OwnerId=rng.choice(b.owners), Discount__c=rng.choice(_DISCOUNTS),
        CreatedDate=b.created(),
    )  # fmt: skip
    people = [_seed_contact(b, account["Id"], company.domain) for _ in range(rng.randint(1, 5))]
    account["Contract_Terms__c"] = rng.choice(_TERMS) + b.planted(index, people[0][0])
    for _ in range(rng.randint(1, 2)):
        _seed_opportunity(b, account, people[0][0])
    for _ in range(rng.randint(1, 3)):
        _seed_case(b, account, rng.choice(people))
    for _ in range(rng.randint(0, 2)):
        number = len(b.records["Invoice__c"]) + 1
        b.add("Invoice__c", Name=f"INV-{number:06d}", Account__c=account["Id"],
              Amount__c=float(rng.randrange(100, 100_000)), Due_Date__c=b.day(_DUE_START, 365))  # fmt: skip


_DISCOUNTS = (None, None, 5.0, 10.0, 12.5, 20.0, 32.5)


def _company_phone(rng: random.Random) -> str:
    return f"({rng.choice(_AREA_CODES)}) {rng.randint(200, 999)}-{rng.randrange(10_000):04d}"


def _seed_contact(b: _OrgBuilder, account_id: str | None, domain: str) -> tuple[_Person, dict[str, Any]]:
    rng, who = b.rng, b.person(domain)
    record = b.add(
        "Contact", FirstName=who.first, LastName=who.last, Name=who.name, Email=who.email, Phone=who.phone_national,
        Title=rng.choice(_TITLES), Department=rng.choice(_DEPARTMENTS), MailingCity=rng.choice(_CITIES),
        Birthdate=b.day(_BIRTH_START, 365 * 48), SSN__c=who.ssn, AccountId=account_id, OwnerId=rng.choice(b.owners),
        CreatedDate=b.created(),
    )  # fmt: skip
    return who, record


def _seed_opportunity(b: _OrgBuilder, account: dict[str, Any], who: _Person) -> None:
    rng, row = b.rng, len(b.records["Opportunity"])
    b.add(
        "Opportunity", Name=f"{account['Name']} - {rng.choice(_DEALS)}", AccountId=account["Id"],
        Amount=float(rng.randrange(5, 500) * 1_000), StageName=rng.choice(_STAGES),
        CloseDate=b.day(_CLOSE_START, 3 * 365), Discount__c=rng.choice(_DISCOUNTS),
        Contract_Terms__c=rng.choice((*_TERMS, None)), NextStep=rng.choice(_NEXT_STEPS) + b.planted(row, who),
    )  # fmt: skip


_DEALS = ("Renewal", "Expansion", "New Business", "Pilot")


def _seed_case(b: _OrgBuilder, account: dict[str, Any], contact: tuple[_Person, dict[str, Any]]) -> None:
    rng, row = b.rng, len(b.records["Case"])
    b.add(
        "Case", CaseNumber=f"{row + 1001:08d}", Subject=rng.choice(_SUBJECTS),
        Description=rng.choice(_CASE_TEXT) + b.planted(row, contact[0]), Status=rng.choice(_CASE_STATUSES),
        Priority=rng.choice(_PRIORITIES), AccountId=account["Id"], ContactId=contact[1]["Id"], CreatedDate=b.created(),
    )  # fmt: skip


def _seed_lead(b: _OrgBuilder, company: _Company) -> None:
    rng, who = b.rng, b.person(company.domain)
    b.add(
        "Lead", FirstName=who.first, LastName=who.last, Name=who.name, Company=company.name, Email=who.email,
        Phone=who.phone_national, Status=rng.choice(_LEAD_STATUSES), LeadSource=rng.choice(_LEAD_SOURCES),
    )  # fmt: skip


# --- classification metadata -------------------------------------------------------------------------------------


def _seed_field_policies(b: _OrgBuilder) -> None:
    """One ``Sfshield_Field_Policy__mdt`` record per classified CRM field, with raw and resolved relationships."""
    custom_objects = custom_fields = 0
    for sobject in _CRM_NAMES:
        spec = b.schema[sobject]
        object_value = sobject
        if sobject.endswith("__c"):
            custom_objects += 1
            object_value = _make_id("01I", custom_objects, b.pod)[:15]
        b.records["EntityDefinition"].append(
            {
                "Id": object_value,
                "DurableId": object_value,
                "QualifiedApiName": sobject,
                "DeveloperName": _stem(sobject),
                "Label": spec.label,
            }
        )
        for field_spec in spec.fields:
            if field_spec.custom:
                custom_fields += 1
            field_id = _make_id("00N", custom_fields, b.pod)[:15] if field_spec.custom else field_spec.name
            _seed_field_definition(b, sobject, field_spec, object_value, field_id)
            if field_spec.security_classification or field_spec.compliance_group:
                policy = _policy(sobject, field_spec, object_value, field_id)
                # Deployed one after another, a minute apart: the newest SystemModstamp versions the labels.
                deployed = _CMT_DEPLOYED + timedelta(minutes=len(b.records["Sfshield_Field_Policy__mdt"]))
                b.add("Sfshield_Field_Policy__mdt", **policy, SystemModstamp=_rest_datetime(deployed))


def _seed_field_definition(b: _OrgBuilder, sobject: str, spec: FieldSpec, entity: str, field_value: str) -> None:
    durable = f"{sobject}.{field_value}"
    b.records["FieldDefinition"].append(
        {
            "Id": durable,
            "DurableId": durable,
            "QualifiedApiName": spec.name,
            "DeveloperName": _stem(spec.name),
            "DataType": spec.type,
            "SecurityClassification": spec.security_classification,
            "ComplianceGroup": spec.compliance_group,
            "BusinessStatus": "Active",
            "BusinessOwnerId": None,
            "EntityDefinitionId": entity,
        }
    )


def _policy(sobject: str, spec: FieldSpec, object_value: str, field_value: str) -> dict[str, Any]:
    developer_name = f"{_stem(sobject)}_{_stem(spec.name)}"
    kind = None if spec.name == "Name" and sobject not in _NAMED_PEOPLE else _KINDS.get(spec.name)
    return {
        "DeveloperName": developer_name,
        "MasterLabel": developer_name.replace("_", " "),
        "Label": developer_name.replace("_", " "),
        "QualifiedApiName": developer_name,
        "Object__c": object_value,
        "Field__c": f"{sobject}.{field_value}",
        "Object__r": {"QualifiedApiName": sobject, "DeveloperName": _stem(sobject)},
        "Field__r": {"QualifiedApiName": spec.name, "DeveloperName": _stem(spec.name)},
        "Sensitivity__c": spec.security_classification,
        "Compliance_Groups__c": spec.compliance_group,
        "Tags__c": _TAGS.get(f"{sobject}.{spec.name}"),
        "Kind__c": kind,
    }


def _rest_datetime(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _stem(api_name: str) -> str:
    return api_name.removesuffix("__c")


# --- the front door ----------------------------------------------------------------------------------------------


def seed_org(*, org_index: int, size: int = 50, seed: int = 0) -> OrgData:
    """Build org ``org_index``: ``size`` Accounts and everything around them, the same for the same arguments.

    Orgs with different ``org_index`` have different ids and never share a person's name, email, phone or SSN.

    Raises:
        ValueError: ``org_index`` is outside ``0..MAX_ORG_INDEX`` or ``size`` outside ``1..MAX_SIZE``.
    """
    _check_range("org_index", org_index, 0, MAX_ORG_INDEX)
    _check_range("size", size, 1, MAX_SIZE)
    # Reproducible test data, not secrets: a seeded Mersenne Twister is the point.
    builder = _OrgBuilder(org_index, random.Random(f"{seed}:{org_index}"))  # noqa: S311
    _seed_security(builder)
    for index in range(size):
        _seed_account(builder, index)
    for _ in range(size // 10):  # private contacts: no Account, so the AccountId lookup is null
        _seed_contact(builder, None, "mail.example")
    for index in range(max(1, size // 2)):
        _seed_lead(builder, builder.company(size + index))
    _seed_field_policies(builder)
    return OrgData(builder.org_id, builder.schema, builder.records)
