"""Benchmark data: Contact records exactly as simple-salesforce returns them, and the policies to apply.

The records answer this query (API v59.0)::

    SELECT Id, FirstName, LastName, Email, Phone, MobilePhone, Title, Department, MailingCity, Birthdate,
           Description, LeadSource, SSN__c, Discount__c, CreatedDate,
           Account.Name, Account.Industry, Account.AnnualRevenue, Account.Owner.Name, Account.Owner.Email,
           (SELECT Subject, Description, Status, Priority FROM Cases)
    FROM Contact

so every record carries ``attributes``, a nested ``Account`` parent (``None`` when the Contact has no
Account) with a nested ``Owner`` User, and a ``Cases`` child query result (``None`` when there are no
Cases, as the REST API returns it). Optional fields are ``None`` at realistic rates. Generation is
deterministic for a seed.
"""

from __future__ import annotations

import random
import string
from typing import Any

from sfshield.classification import Classification

__all__ = ["API_VERSION", "PURPOSE", "full_policy", "generate_contacts", "keep_drop_policy"]

API_VERSION = "v59.0"
PURPOSE = "embedding"

Record = dict[str, Any]

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_CHECKSUM = string.ascii_uppercase + "012345"

# fmt: off
# Vocabulary, packed a few words per line: one word per line would make it the bulk of the module.
_FIRST = (
    "Ava", "Ben", "Chloé", "Daniel", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kavya", "Liam", "Maya",
    "Noah", "Olga", "Pedro", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoe",
)
_LAST = (
    "Andersen", "Bauer", "Castillo", "Dubois", "Eriksson", "Fischer", "García", "Huang", "Ivanova", "Jansen",
    "Kowalski", "López", "Müller", "Nakamura", "O'Brien", "Patel", "Rossi", "Schmidt", "Tanaka", "Usman",
    "Virtanen", "Wright", "Yilmaz", "Zhang",
)
_TITLES = (
    "VP Engineering", "Head of Procurement", "IT Director", "CFO", "Operations Manager", "Buyer",
    "Data Protection Officer", "Software Engineer", "Facilities Lead", "Chief Medical Officer", None,
)
_DEPARTMENTS = ("Engineering", "Finance", "Procurement", "IT", "Operations", "Legal", "Sales", None)
_CITIES = ("Berlin", "Lyon", "Madrid", "Austin", "Toronto", "Osaka", "Milan", "Dublin", "Seattle", "Utrecht")
_LEAD_SOURCES = ("Web", "Partner Referral", "Trade Show", "Phone Inquiry", "Purchased List", None)
_INDUSTRIES = ("Manufacturing", "Healthcare", "Banking", "Retail", "Energy", "Technology", "Education", None)
_COMPANY_WORDS = (
    "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay", "Soylent", "Tyrell",
    "Cyberdyne", "Aperture", "Gringotts", "Monarch", "Oscorp", "Pied Piper", "Wonka", "Zorg",
)
_COMPANY_SUFFIXES = ("Inc.", "GmbH", "Ltd", "S.A.", "Holdings", "Group", "Labs", "AG")
_CASE_SUBJECTS = (
    "Invoice shows wrong discount", "Cannot log in to the portal", "Shipment delayed at customs",
    "Request for data export (GDPR)", "Contract renewal questions", "Device fails after firmware update",
    "Billing address change", "Escalation: outage in EU region",
)
_STATUSES = ("New", "Working", "Escalated", "Closed")
_PRIORITIES = ("Low", "Medium", "High")
_WORDS = (
    "customer", "asked", "about", "the", "renewal", "pricing", "for", "next", "quarter", "and", "mentioned",
    "their", "budget", "is", "frozen", "until", "legal", "signs", "off", "on", "new", "data", "processing",
    "agreement", "call", "back", "after", "board", "meeting", "interested", "in", "premium", "support", "tier",
    "evaluating", "a", "competitor", "offer", "prefers", "email", "over", "phone", "follow-up", "sent", "deck",
    "shared", "roadmap", "under", "NDA", "wants", "volume", "discount", "pilot", "site",
)
# fmt: on


def generate_contacts(count: int, /, *, seed: int = 0) -> list[Record]:
    """Return ``count`` Contact records with nested Account/Owner parents and Cases subqueries."""
    rng = random.Random(seed)
    accounts = [_account_row(rng) for _ in range(max(1, count // 20))]
    return [_contact(rng, accounts) for _ in range(count)]


def _contact(rng: random.Random, accounts: list[tuple[Any, ...]]) -> Record:
    contact_id = _sf_id(rng, "003")
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    # A Contact without an Account ("private contact") comes back as "Account": None.
    account = _account(*rng.choice(accounts)) if rng.random() > 0.05 else None
    return {
        "attributes": _attributes("Contact", contact_id),
        "Id": contact_id,
        "FirstName": first,
        "LastName": last,
        "Email": f"{first}.{last}@{_domain(rng)}".lower().replace("'", ""),
        "Phone": _phone(rng),
        "MobilePhone": _phone(rng) if rng.random() < 0.6 else None,
        "Title": rng.choice(_TITLES),
        "Department": rng.choice(_DEPARTMENTS),
        "MailingCity": rng.choice(_CITIES),
        "Birthdate": _date(rng, 1950, 2002) if rng.random() < 0.7 else None,
        "Description": _text(rng, 200) if rng.random() < 0.9 else None,
        "LeadSource": rng.choice(_LEAD_SOURCES),
        "SSN__c": f"{rng.randint(100, 899)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
        if rng.random() < 0.6
        else None,
        "Discount__c": round(rng.uniform(0, 30), 1) if rng.random() < 0.5 else None,
        "CreatedDate": f"{_date(rng, 2018, 2024)}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:"
        f"{rng.randint(0, 59):02d}.000+0000",
        "Account": account,
        "Cases": _cases(rng),
    }


def _account_row(rng: random.Random) -> tuple[Any, ...]:
    name = f"{rng.choice(_COMPANY_WORDS)} {rng.choice(_COMPANY_SUFFIXES)}"
    revenue = float(rng.randrange(500_000, 900_000_000, 50_000)) if rng.random() < 0.8 else None
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    owner_email = f"{first[0]}{last}@sfshield-bench.example".lower().replace("'", "")
    owner = (_sf_id(rng, "005"), f"{first} {last}", owner_email)
    return (_sf_id(rng, "001"), name, rng.choice(_INDUSTRIES), revenue, owner)


def _account(
    account_id: str, name: str, industry: str | None, revenue: float | None, owner: tuple[str, str, str]
) -> Record:
    # Each record gets its own dicts, as json.loads of a REST response gives them.
    owner_id, owner_name, owner_email = owner
    return {
        "attributes": _attributes("Account", account_id),
        "Name": name,
        "Industry": industry,
        "AnnualRevenue": revenue,
        "Owner": {"attributes": _attributes("User", owner_id), "Name": owner_name, "Email": owner_email},
    }


def _cases(rng: random.Random) -> Record | None:
    count = rng.choices((0, 1, 2, 3), weights=(40, 30, 20, 10))[0]
    if not count:
        return None
    rows = [
        {
            "attributes": _attributes("Case", _sf_id(rng, "500")),
            "Subject": rng.choice(_CASE_SUBJECTS),
            "Description": _text(rng, 200),
            "Status": rng.choice(_STATUSES),
            "Priority": rng.choice(_PRIORITIES),
        }
        for _ in range(count)
    ]
    return {"totalSize": count, "done": True, "records": rows}


def _attributes(sobject: str, record_id: str) -> Record:
    return {"type": sobject, "url": f"/services/data/{API_VERSION}/sobjects/{sobject}/{record_id}"}


def _sf_id(rng: random.Random, prefix: str) -> str:
    """Return an 18-character Salesforce Id, with the case-safe suffix computed as Salesforce does."""
    short = prefix + "8d0000" + "".join(rng.choices(_BASE62, k=6))
    suffix = ""
    for start in (0, 5, 10):
        bits = sum(1 << i for i, char in enumerate(short[start : start + 5]) if char.isupper())
        suffix += _CHECKSUM[bits]
    return short + suffix


def _domain(rng: random.Random) -> str:
    return rng.choice(_COMPANY_WORDS).lower().replace(" ", "") + rng.choice((".com", ".de", ".fr", ".io"))


def _phone(rng: random.Random) -> str:
    return f"+1 ({rng.randint(201, 989)}) 555-{rng.randint(0, 9999):04d}"


def _date(rng: random.Random, first_year: int, last_year: int) -> str:
    return f"{rng.randint(first_year, last_year)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _text(rng: random.Random, length: int) -> str:
    words: list[str] = []
    size = 0
    while size < length:
        word = rng.choice(_WORDS)
        words.append(word)
        size += len(word) + 1
    return " ".join(words).capitalize()[:length].rsplit(" ", 1)[0] + "."


_LABELS: dict[str, dict[str, Any]] = {
    "*.Id": {"sensitivity": "Public"},
    "*.CreatedDate": {"sensitivity": "Public"},
    "Contact.FirstName": {"sensitivity": "Confidential", "compliance": ["PII", "GDPR"], "kind": "name"},
    "Contact.LastName": {"sensitivity": "Confidential", "compliance": ["PII", "GDPR"], "kind": "name"},
    "Contact.Email": {"sensitivity": "Confidential", "compliance": ["PII", "GDPR"], "kind": "email"},
    "Contact.Phone": {"sensitivity": "Confidential", "compliance": ["PII"], "kind": "phone"},
    "Contact.MobilePhone": {"sensitivity": "Restricted", "compliance": ["PII"], "kind": "phone"},
    "Contact.Title": {"sensitivity": "Internal"},
    "Contact.Department": {"sensitivity": "Internal"},
    "Contact.MailingCity": {"sensitivity": "Internal"},
    "Contact.Birthdate": {"sensitivity": "Restricted", "compliance": ["PII", "GDPR"]},
    "Contact.LeadSource": {"sensitivity": "Public"},
    "Contact.SSN__c": {"sensitivity": "MissionCritical", "compliance": ["PII"], "kind": "ssn"},
    "Contact.Discount__c": {"sensitivity": "Confidential", "tags": ["commercial-terms"]},
    "Account.Name": {"sensitivity": "Internal"},
    "Account.Industry": {"sensitivity": "Public"},
    "Account.AnnualRevenue": {"sensitivity": "Confidential", "tags": ["commercial-terms"]},
    "User.Name": {"sensitivity": "Internal"},
    "User.Email": {"sensitivity": "Confidential", "compliance": ["PII"], "kind": "email"},
    "Case.Subject": {"sensitivity": "Internal"},
    "Case.Status": {"sensitivity": "Public"},
    "Case.Priority": {"sensitivity": "Public"},
    # Contact.Description and Case.Description stay unlabelled on purpose: free text is dropped by default.
}

_KEEP_DROP_RULES: list[dict[str, Any]] = [
    {"name": "keep-internal", "purposes": [PURPOSE], "action": "keep", "max_sensitivity": "Internal"},
    {"name": "drop-commercial-terms", "purposes": ["*"], "action": "drop", "tags": ["commercial-terms"]},
]

_TRANSFORM_RULES: list[dict[str, Any]] = [
    {
        "name": "pseudonymize-pii",
        "purposes": [PURPOSE],
        "action": "pseudonymize",
        "compliance": ["PII"],
        "max_sensitivity": "Confidential",
    },
    {"name": "drop-restricted", "purposes": ["*"], "action": "drop", "min_sensitivity": "Restricted"},
    {
        "name": "mask-phone-and-ssn",
        "purposes": [PURPOSE],
        "action": "mask",
        "keep_last": 4,
        "fields": ["Contact.Phone", "Contact.SSN__c"],
    },
]


def keep_drop_policy() -> Classification:
    """Return the policy that only keeps or drops: Public and Internal fields pass, the rest is dropped."""
    return Classification.model_validate({"version": "bench-keep-drop", "labels": _LABELS, "rules": _KEEP_DROP_RULES})


def full_policy() -> Classification:
    """Return the policy that also masks (Phone, SSN__c, keep_last 4) and pseudonymizes (names and emails)."""
    rules = _KEEP_DROP_RULES + _TRANSFORM_RULES
    return Classification.model_validate({"version": "bench-full", "labels": _LABELS, "rules": rules})
