"""The SOQL queries the parser benchmark times: short, typical and large, a few variants each.

Every query must pass two checks, both made by :func:`benchmarks.bench_soql.check_queries` before timing:

* sfshield's guard accepts it unchanged for ``support_copilot`` under the demo policy, so WHERE and ORDER BY
  touch only fields the policy *keeps* (Title, Department, MailingCity, Account.Name, Account.Industry,
  Case.Subject/Status/Priority, ids); pseudonymized and masked fields (names, Email, Phone) are only selected;
* python-soql-parser 0.2.0 parses the *whole* text. It supports a small subset and, because it does not ask
  pyparsing for ``parseAll``, silently stops at the first construct it does not know. So these queries avoid:
  functions and aggregates (``COUNT()``, ``toLabel()``), aliases, ``NOT``, ``LIKE``, ``NOT IN``,
  ``INCLUDES``/``EXCLUDES``, date-only values (``2026-01-31``) and date literals with ``:n``
  (``LAST_N_DAYS:30``), ``NULLS FIRST|LAST``, ``GROUP BY``/``HAVING``, ``WITH``, ``TYPEOF`` and subqueries.

The demo policy labels no date or number field, so the guard-accepted queries compare strings only.
"""

from __future__ import annotations

__all__ = ["LARGE", "SHORT", "SIZES", "TYPICAL"]

SHORT = (
    "SELECT Id, Name FROM Account LIMIT 10",
    "SELECT Id, Title FROM Contact LIMIT 10",
    "SELECT Id, Subject, Status FROM Case LIMIT 5",
)
"""About 40 characters: one object, two or three fields, a LIMIT."""

TYPICAL = (
    (
        "SELECT Id, FirstName, LastName, Email, Phone FROM Contact WHERE Department = 'Customer Support' "
        "AND MailingCity = 'Chicago' ORDER BY Title LIMIT 25"
    ),
    (
        "SELECT Id, FirstName, LastName, Title, Account.Name FROM Contact WHERE Account.Industry = 'Healthcare' "
        "AND Title != null ORDER BY Account.Name LIMIT 50"
    ),
    (
        "SELECT Id, Email, Title, Department FROM Contact WHERE MailingCity IN ('Berlin', 'Munich', 'Hamburg') "
        "AND Department = 'Procurement' ORDER BY Title DESC LIMIT 20"
    ),
    (
        "SELECT Id, FirstName, LastName, Email FROM Contact WHERE (Title = 'CFO' OR Title = 'Controller') "
        "AND Account.Industry = 'Banking' ORDER BY MailingCity LIMIT 10 OFFSET 10"
    ),
)
"""About 150 characters: what an LLM writes for a support question — two or three filters, an order, a limit."""

_CONTACT_FIELDS = (
    "Id, FirstName, LastName, Email, Phone, Title, Department, MailingCity, Account.Id, Account.Name, "
    "Account.Industry, Account.Owner.Id, Account.Owner.Name"
)
_CITIES = ("Chicago", "Denver", "Austin", "Berlin", "Munich", "Hamburg", "Lyon", "Porto")
_DEPARTMENTS = ("Customer Support", "Procurement", "Finance", "IT Operations", "Legal", "Facilities")
_INDUSTRIES = ("Healthcare", "Banking", "Retail", "Manufacturing", "Energy")


def _contact_query(groups: int, *, shift: int, order: str) -> str:
    terms = [
        f"(Department = '{_DEPARTMENTS[(i + shift) % len(_DEPARTMENTS)]}' AND MailingCity IN "
        f"('{_CITIES[(i + shift) % len(_CITIES)]}', '{_CITIES[(i + shift + 3) % len(_CITIES)]}') "
        f"AND Account.Industry = '{_INDUSTRIES[(i + shift) % len(_INDUSTRIES)]}')"
        for i in range(groups)
    ]
    where = " OR ".join(terms)
    return f"SELECT {_CONTACT_FIELDS} FROM Contact WHERE {where} ORDER BY {order} LIMIT 200"  # noqa: S608 - constants


def _case_query(groups: int) -> str:
    statuses = ("New", "Working", "Escalated", "On Hold")
    priorities = ("High", "Medium", "Low")
    subjects = ("Login failure", "Invoice question", "Password reset", "Shipping delay", "Refund request")
    terms = [
        f"(Status = '{statuses[i % len(statuses)]}' AND Priority IN ('{priorities[i % 3]}', "
        f"'{priorities[(i + 1) % 3]}') AND Subject = '{subjects[i % len(subjects)]}')"
        for i in range(groups)
    ]
    select = "SELECT Id, Subject, Status, Priority, Description, Card_Number__c FROM Case"
    where = " OR ".join(terms)
    return f"{select} WHERE {where} ORDER BY Priority DESC, Status LIMIT 500 OFFSET 100"


LARGE = (
    _contact_query(14, shift=0, order="Account.Name, Title"),
    _contact_query(16, shift=2, order="MailingCity DESC"),
    _case_query(17),
)
"""About 1,500-2,000 characters: every selectable field and a long OR of AND'ed groups, as a report asks."""

SIZES = {"short": SHORT, "typical": TYPICAL, "large": LARGE}
"""The query sets by size name, in the order the benchmark reports them."""
