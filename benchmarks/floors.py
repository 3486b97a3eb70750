"""The floors: what a careful engineer would hand-write for these records, knowing the query and the policy.

Each floor hard-codes what the policy decides for the benchmark query (:mod:`benchmarks.data`) and produces
the same records as :class:`~sfshield.filtering.FieldFilter` — same keys, same order, same values — so the
ratio compares equal work. They know nothing sfshield has to find out at run time (which object a nested dict
is, which fields exist, what an unknown field means), and they keep no decision summary.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sfshield.transforms import Pseudonymizer, mask_value

__all__ = ["keep_drop_floor", "make_full_floor"]

Record = dict[str, Any]
Floor = Callable[[list[Record]], list[Record]]

_CONTACT_KEEP = frozenset({"Id", "Title", "Department", "MailingCity", "LeadSource", "CreatedDate"})
_ACCOUNT_KEEP = frozenset({"Name", "Industry"})
_USER_KEEP = frozenset({"Name"})
_CASE_KEEP = frozenset({"Subject", "Status", "Priority"})


def keep_drop_floor(records: list[Record]) -> list[Record]:
    """Filter with the keep/drop policy using dict comprehensions over hard-coded allowed-key sets."""
    return [_contact(record) for record in records]


def _contact(record: Record) -> Record:
    # Account and Cases are the last keys of the query, so appending them keeps sfshield's key order.
    out = {key: value for key, value in record.items() if key in _CONTACT_KEEP}
    account = record["Account"]
    if account is not None:
        out["Account"] = _account(account)
    cases = record["Cases"]
    if cases is not None:
        out["Cases"] = {
            "totalSize": cases["totalSize"],
            "done": cases["done"],
            "records": [{k: v for k, v in row.items() if k in _CASE_KEEP} for row in cases["records"]],
        }
    return out


def _account(account: Record) -> Record:
    out = {key: value for key, value in account.items() if key in _ACCOUNT_KEEP}
    owner = account["Owner"]
    if owner is not None:
        out["Owner"] = {key: value for key, value in owner.items() if key in _USER_KEEP}
    return out


def make_full_floor(pseudonymize: Pseudonymizer) -> Floor:
    """Return the floor for the full policy: the same fields kept, and the same transforms written inline.

    ``pseudonymize`` must be the pseudonymizer the :class:`~sfshield.filtering.FieldFilter` was given, so that
    both produce the same pseudonyms.
    """

    def owner(user: Record) -> Record:
        return {"Name": user["Name"], "Email": pseudonymize(user["Email"], kind="email")}

    def account(parent: Record) -> Record:
        out = {"Name": parent["Name"], "Industry": parent["Industry"]}
        if parent["Owner"] is not None:
            out["Owner"] = owner(parent["Owner"])
        return out

    def contact(record: Record) -> Record:
        out = {
            "Id": record["Id"],
            "FirstName": pseudonymize(record["FirstName"], kind="name"),
            "LastName": pseudonymize(record["LastName"], kind="name"),
            "Email": pseudonymize(record["Email"], kind="email"),
            "Phone": mask_value(record["Phone"], keep_last=4),
            "Title": record["Title"],
            "Department": record["Department"],
            "MailingCity": record["MailingCity"],
            "LeadSource": record["LeadSource"],
            "SSN__c": mask_value(record["SSN__c"], keep_last=4),
            "CreatedDate": record["CreatedDate"],
        }
        if record["Account"] is not None:
            out["Account"] = account(record["Account"])
        cases = record["Cases"]
        if cases is not None:
            out["Cases"] = {
                "totalSize": cases["totalSize"],
                "done": cases["done"],
                "records": [
                    {"Subject": row["Subject"], "Status": row["Status"], "Priority": row["Priority"]}
                    for row in cases["records"]
                ],
            }
        return out

    def full_floor(records: list[Record]) -> list[Record]:
        return [contact(record) for record in records]

    return full_floor
