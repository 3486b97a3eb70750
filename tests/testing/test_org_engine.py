"""The embedded org's SOQL evaluator: REST shapes, every WHERE operator, ordering, aggregates, access and refusals."""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sfshield.soql import parse
from sfshield.testing.org._engine import ExecuteResult, execute
from sfshield.testing.org._schema import ChildRelationship, FieldSpec, ObjectSpec, OrgData, OrgQueryError

TODAY = dt.date(2026, 5, 20)  # a Wednesday


def sfid(prefix: str, n: int) -> str:
    """An 18-character id; digits have no upper-case letters, so the suffix is AAA."""
    return f"{prefix}{n:012d}AAA"


A1, A2, A3, A4 = (sfid("001", n) for n in range(1, 5))
C1, C2, C3, C4, C5 = (sfid("003", n) for n in range(1, 6))
U1, U2 = sfid("005", 1), sfid("005", 2)
T1, T2, T3 = (sfid("00T", n) for n in range(1, 4))


def _schema() -> dict[str, ObjectSpec]:
    ref = functools.partial(FieldSpec, type="reference")
    account = ObjectSpec(
        "Account",
        "Account",
        "001",
        (
            FieldSpec("Id", "id"),
            FieldSpec("Name", "string"),
            FieldSpec("Industry", "picklist"),
            FieldSpec("AnnualRevenue", "currency"),
            FieldSpec("NumberOfEmployees", "int"),
            ref("OwnerId", reference_to=("User",), relationship_name="Owner"),
            FieldSpec("CreatedDate", "datetime"),
            FieldSpec("IsDeleted", "boolean"),
            FieldSpec("Rating__c", "string"),
        ),
        (ChildRelationship("Contacts", "Contact", "AccountId"), ChildRelationship("Tasks", "Task", "WhatId")),
    )
    contact = ObjectSpec(
        "Contact",
        "Contact",
        "003",
        (
            FieldSpec("Id", "id"),
            FieldSpec("FirstName", "string"),
            FieldSpec("LastName", "string"),
            FieldSpec("Email", "email"),
            FieldSpec("MailingCity", "string"),
            FieldSpec("Birthdate", "date"),
            ref("AccountId", reference_to=("Account",), relationship_name="Account"),
            FieldSpec("Languages__c", "multipicklist"),
            FieldSpec("SSN__c", "string"),
            FieldSpec("DoNotCall", "boolean"),
            FieldSpec("IsDeleted", "boolean"),
        ),
    )
    user = ObjectSpec(
        "User",
        "User",
        "005",
        (
            FieldSpec("Id", "id"),
            FieldSpec("Name", "string"),
            ref("ManagerId", reference_to=("User",), relationship_name="Manager"),
        ),
    )
    task = ObjectSpec(
        "Task",
        "Task",
        "00T",
        (
            FieldSpec("Id", "id"),
            FieldSpec("Subject", "string"),
            ref("WhatId", reference_to=("Account", "Contact"), relationship_name="What"),
        ),
    )
    catalog = ObjectSpec(
        "FieldDefinition",
        "Field Definition",
        "",
        (
            FieldSpec("Id", "id"),
            FieldSpec("QualifiedApiName", "string"),
            FieldSpec("EntityDefinitionId", "string"),
            FieldSpec("SecurityClassification", "picklist"),
        ),
    )
    return {spec.name: spec for spec in (account, contact, user, task, catalog)}


def _records() -> dict[str, list[dict[str, Any]]]:
    def contact(id_: str, first: str, last: str, **fields: Any) -> dict[str, Any]:
        return {"Id": id_, "FirstName": first, "LastName": last, "DoNotCall": False, "IsDeleted": False} | fields

    return {
        "Account": [
            {"Id": A1, "Name": "Acme", "Industry": "Technology", "AnnualRevenue": 5_000_000.0, "NumberOfEmployees": 120,
             "OwnerId": U1, "CreatedDate": "2026-05-20T10:00:00.000+0000", "IsDeleted": False, "Rating__c": "Hot"},
            {"Id": A2, "Name": "Globex", "Industry": "Energy", "AnnualRevenue": 250_000.0, "NumberOfEmployees": 40,
             "OwnerId": U2, "CreatedDate": "2026-04-15T08:30:00.000+0000", "IsDeleted": False, "Rating__c": None},
            {"Id": A3, "Name": "Initech", "Industry": None, "AnnualRevenue": None, "NumberOfEmployees": None,
             "OwnerId": None, "CreatedDate": "2025-12-31T23:59:59.000+0000", "IsDeleted": False, "Rating__c": "Cold"},
            {"Id": A4, "Name": "Umbrella 100%_off", "Industry": "Technology", "AnnualRevenue": 1_000.0,
             "NumberOfEmployees": 5, "OwnerId": U1, "CreatedDate": "2026-05-19T12:00:00.000+0000", "IsDeleted": True,
             "Rating__c": None},
        ],
        "Contact": [
            contact(C1, "Ada", "Lovelace", Email="ada@acme.example", MailingCity="London", Birthdate="1815-12-10",
                    AccountId=A1, Languages__c="English;French", SSN__c="123-45-6789"),
            contact(C2, "Grace", "Hopper", Email="grace@acme.example", MailingCity="New York", Birthdate="1906-12-09",
                    AccountId=A1, Languages__c="English", DoNotCall=True),
            contact(C3, "Alan", "Turing", Email=None, MailingCity="london", Birthdate="1912-06-23", AccountId=A2,
                    Languages__c="English;German"),
            contact(C4, "Edsger", "dijkstra", Email=None, MailingCity=None, Birthdate=None, AccountId=None,
                    Languages__c=None),
            contact(C5, "Gone", "Away", AccountId=A1, IsDeleted=True),
        ],
        "User": [{"Id": U1, "Name": "Marc", "ManagerId": None}, {"Id": U2, "Name": "Parker", "ManagerId": U1}],
        "Task": [
            {"Id": T1, "Subject": "Call", "WhatId": A1},
            {"Id": T2, "Subject": "Email", "WhatId": C1},
            {"Id": T3, "Subject": "Plan", "WhatId": None},
        ],
        "FieldDefinition": [
            {"Id": "000000000000000AAA", "QualifiedApiName": "Email", "EntityDefinitionId": "Contact",
             "SecurityClassification": "Confidential"},
        ],
    }  # fmt: skip


ORG = OrgData("00D000000000001AAA", _schema(), _records())


def result(soql: str, **options: Any) -> ExecuteResult:
    return execute(parse(soql), ORG, today=TODAY, **options)


def rows(soql: str, **options: Any) -> list[dict[str, Any]]:
    return result(soql, **options).records


def column(soql: str, name: str = "Id", **options: Any) -> list[Any]:
    return [row[name] for row in rows(soql, **options)]


def error(soql: str, **options: Any) -> OrgQueryError:
    with pytest.raises(OrgQueryError) as caught:
        result(soql, **options)
    return caught.value


def attributes(sobject: str, id_: str, version: str = "66.0") -> dict[str, str]:
    return {"type": sobject, "url": f"/services/data/v{version}/sobjects/{sobject}/{id_}"}


class TestRecordShape:
    def test_text_instead_of_a_parsed_query_is_a_type_error(self) -> None:
        """Passing SOQL text instead of a parsed query is a TypeError that says how to parse it."""
        with pytest.raises(TypeError, match=r"sfshield\.soql\.parse"):
            execute("SELECT Id FROM Account", ORG)  # type: ignore[arg-type]

    def test_rows_carry_attributes_and_fields_in_select_order(self) -> None:
        """Each row starts with attributes (type and versioned url), then the fields in SELECT order."""
        row = rows("SELECT Name, Id FROM Account WHERE Id = '" + A1 + "'", api_version="61.0")[0]
        assert row == {"attributes": attributes("Account", A1, "61.0"), "Name": "Acme", "Id": A1}
        assert list(row) == ["attributes", "Name", "Id"]

    def test_field_names_take_the_schema_spelling(self) -> None:
        """Fields come back spelled as the schema spells them, whatever the query's case."""
        assert list(rows("SELECT NAME, rating__C FROM account LIMIT 1")[0]) == ["attributes", "Name", "Rating__c"]

    def test_parent_path_nests_and_merges(self) -> None:
        """Paths through one parent share one nested object, placed where the parent first appears."""
        row = rows(
            f"SELECT Account.Name, LastName, account.owner.NAME, Account.Industry FROM Contact WHERE Id = '{C1}'"
        )[0]
        assert list(row) == ["attributes", "Account", "LastName"]
        assert row["Account"] == {
            "attributes": attributes("Account", A1),
            "Name": "Acme",
            "Owner": {"attributes": attributes("User", U1), "Name": "Marc"},
            "Industry": "Technology",
        }

    def test_empty_lookup_is_null(self) -> None:
        """A parent path through an empty lookup gives null for the whole parent."""
        assert rows(f"SELECT Account.Name FROM Contact WHERE Id = '{C4}'")[0]["Account"] is None
        assert (
            rows(f"SELECT Account.Owner.Name FROM Contact WHERE Id = '{C3}'")[0]["Account"]["Owner"]["Name"] == "Parker"
        )

    def test_polymorphic_lookup_reports_the_parent_type(self) -> None:
        """A polymorphic lookup's parent carries the type its id prefix names."""
        whats = column("SELECT What.Name FROM Task", "What")
        assert [w and w["attributes"]["type"] for w in whats] == ["Account", "Contact", None]

    def test_child_subquery_is_a_nested_result_or_null(self) -> None:
        """A child subquery is a nested query result per parent, and null (not empty) with no children."""
        found = rows("SELECT Name, (SELECT LastName FROM Contacts ORDER BY LastName) FROM Account ORDER BY Name")
        assert found[0]["Contacts"] == {
            "totalSize": 2,
            "done": True,
            "records": [
                {"attributes": attributes("Contact", C2), "LastName": "Hopper"},
                {"attributes": attributes("Contact", C1), "LastName": "Lovelace"},
            ],
        }
        assert found[2]["Name"] == "Initech" and found[2]["Contacts"] is None

    def test_child_subquery_filters_sorts_and_limits_per_parent(self) -> None:
        """A child subquery's WHERE, ORDER BY and LIMIT apply to each parent's children."""
        query = (
            "SELECT (SELECT FirstName FROM Contacts WHERE Email != null ORDER BY FirstName DESC LIMIT 1) FROM Account"
        )
        children = column(query + " ORDER BY Name", "Contacts")
        assert [c and [r["FirstName"] for r in c["records"]] for c in children] == [["Grace"], None, None]

    def test_child_subquery_reads_parents_of_children(self) -> None:
        """A child subquery may select parent paths of the child."""
        child = rows(f"SELECT (SELECT Account.Owner.Name FROM Contacts LIMIT 1) FROM Account WHERE Id = '{A1}'")[0]
        assert child["Contacts"]["records"][0]["Account"]["Owner"]["Name"] == "Marc"

    def test_from_aliases_resolve(self) -> None:
        """An alias on the object and relationships aliased in FROM resolve like the full paths."""
        row = rows("SELECT c.LastName, a.Name FROM Contact c, c.Account a WHERE a.Name = 'Globex'")[0]
        assert row["LastName"] == "Turing" and row["Account"]["Name"] == "Globex"

    def test_duplicate_field_is_refused(self) -> None:
        """Selecting one field twice, in any spelling, is INVALID_FIELD."""
        assert error("SELECT Name, NAME FROM Account").message == "duplicate field selected: NAME"
        assert error("SELECT Account.Name, account.name FROM Contact").error_code == "INVALID_FIELD"


class TestWhere:
    @pytest.mark.parametrize(
        ("where", "expected"),
        [
            ("Name = 'acme'", ["Acme"]),
            ("Name != 'ACME'", ["Globex", "Initech"]),
            ("Name < 'globex'", ["Acme"]),
            ("Name <= 'Globex'", ["Acme", "Globex"]),
            ("Name > 'Globex'", ["Initech"]),
            ("Name >= 'globex'", ["Globex", "Initech"]),
            ("NumberOfEmployees > 40", ["Acme"]),
            ("NumberOfEmployees >= 40", ["Acme", "Globex"]),
            ("NumberOfEmployees < 100.5", ["Globex"]),
            ("AnnualRevenue > USD1000000", ["Acme"]),
            ("AnnualRevenue <= 250000", ["Globex"]),
            ("Industry IN ('technology', 'ENERGY')", ["Acme", "Globex"]),
            ("Industry NOT IN ('Technology')", ["Globex", "Initech"]),
            ("Industry IN ('Energy', null)", ["Globex", "Initech"]),
            ("Industry = null", ["Initech"]),
            ("Industry != null", ["Acme", "Globex"]),
            ("Industry != 'Energy'", ["Acme", "Initech"]),
            ("Rating__c != 'hot'", ["Globex", "Initech"]),
            ("NOT Name = 'Acme'", ["Globex", "Initech"]),
            ("Name = 'Acme' OR Industry = 'Energy'", ["Acme", "Globex"]),
            ("Industry != null AND (Name = 'Globex' OR Rating__c = 'Hot')", ["Acme", "Globex"]),
            ("NOT (Industry = null OR Name LIKE 'G%')", ["Acme"]),
            (f"OwnerId = '{U1}'", ["Acme"]),
            (f"OwnerId = '{U1[:15]}'", ["Acme"]),
            (f"Id IN ('{A2}', '{A3[:15]}')", ["Globex", "Initech"]),
            (f"Id > '{A1}'", ["Globex", "Initech"]),
            ("Owner.Name = 'parker'", ["Globex"]),
            ("Owner.Manager.Name = 'Marc'", ["Globex"]),
            ("Owner.Name != 'Marc'", ["Globex", "Initech"]),
        ],
    )
    def test_operators(self, where: str, expected: list[str]) -> None:
        """Each operator filters as Salesforce does: strings ignore case, != and NOT IN keep nulls."""
        assert column(f"SELECT Name FROM Account WHERE {where}", "Name") == expected

    @pytest.mark.parametrize(
        ("where", "expected"),
        [
            ("DoNotCall = true", ["Hopper"]),
            ("DoNotCall = false", ["Lovelace", "Turing", "dijkstra"]),
            ("DoNotCall != true", ["Lovelace", "Turing", "dijkstra"]),
            ("Languages__c INCLUDES ('french')", ["Lovelace"]),
            ("Languages__c INCLUDES ('English;German', 'French')", ["Lovelace", "Turing"]),
            ("Languages__c EXCLUDES ('German')", ["Lovelace", "Hopper", "dijkstra"]),
            ("Languages__c = 'french;english'", ["Lovelace"]),
            ("Languages__c != 'English'", ["Lovelace", "Turing", "dijkstra"]),
            ("MailingCity = 'LONDON'", ["Lovelace", "Turing"]),
            ("Account.Industry = 'Technology'", ["Lovelace", "Hopper"]),
            ("Account.Name = null", ["dijkstra"]),
        ],
    )
    def test_booleans_multipicklists_and_parents(self, where: str, expected: list[str]) -> None:
        """Booleans, multi-select picklists (INCLUDES, EXCLUDES, set equality) and parent paths filter correctly."""
        assert column(f"SELECT LastName FROM Contact WHERE {where}", "LastName") == expected

    @pytest.mark.parametrize(
        ("pattern", "expected"),
        [
            ("'ac%'", ["Acme"]),
            ("'%E%'", ["Acme", "Globex", "Initech", "Umbrella 100%_off"]),
            ("'_lobex'", ["Globex"]),
            ("'%100\\%%'", ["Umbrella 100%_off"]),
            ("'%\\_off'", ["Umbrella 100%_off"]),
            ("'%100%off'", ["Umbrella 100%_off"]),
            ("'%1000%'", []),
            ("'%\\%'", []),
            ("'acme'", ["Acme"]),
            ("'ac'", []),
        ],
    )
    def test_like(self, pattern: str, expected: list[str]) -> None:
        r"""LIKE ignores case, % and _ are wildcards, and \% and \_ match themselves."""
        soql = f"SELECT Name FROM Account WHERE Name LIKE {pattern}"
        assert column(soql, "Name", include_deleted=True) == expected

    def test_like_needs_text(self) -> None:
        """LIKE on a number is refused."""
        assert (
            error("SELECT Id FROM Account WHERE NumberOfEmployees LIKE '1%'").error_code
            == "INVALID_QUERY_FILTER_OPERATOR"
        )

    @pytest.mark.parametrize(
        ("where", "message"),
        [
            ("Name = 5", "field 'Name' must be of type string and should be enclosed in quotes"),
            ("NumberOfEmployees = '5'", "field 'NumberOfEmployees' must be of type integer and should not be"),
            ("CreatedDate > 2026-01-01", "field 'CreatedDate' must be of type dateTime"),
            ("Birthdate = 2026-01-01T00:00:00Z", "field 'Birthdate' must be of type date"),
            ("IsDeleted = 'true'", "field 'IsDeleted' must be of type boolean"),
            ("NumberOfEmployees > USD5", "field 'NumberOfEmployees' must be of type integer"),
            ("Name = TODAY", "field 'Name' must be of type string"),
            ("Id = 'abc'", "invalid ID field: abc"),
            ("IsDeleted > false", "invalid operator on boolean field 'IsDeleted'"),
            ("Name INCLUDES ('a')", "apply only to multi-select picklists"),
        ],
    )
    def test_values_of_the_wrong_type_are_refused(self, where: str, message: str) -> None:
        """A value that does not fit the field is INVALID_QUERY_FILTER_OPERATOR, never a silent mismatch."""
        table = {"Birthdate": "Contact"}
        sobject = next((obj for field, obj in table.items() if where.startswith(field)), "Account")
        caught = error(f"SELECT Id FROM {sobject} WHERE {where}")
        assert caught.error_code == "INVALID_QUERY_FILTER_OPERATOR" and message in caught.message


class TestDates:
    @pytest.mark.parametrize(
        ("where", "expected"),
        [
            ("CreatedDate = TODAY", ["Acme"]),
            ("CreatedDate = YESTERDAY", []),
            ("CreatedDate < TODAY", ["Globex", "Initech"]),
            ("CreatedDate <= TODAY", ["Acme", "Globex", "Initech"]),
            ("CreatedDate > YESTERDAY", ["Acme"]),
            ("CreatedDate >= THIS_MONTH", ["Acme"]),
            ("CreatedDate = LAST_MONTH", ["Globex"]),
            ("CreatedDate != THIS_YEAR", ["Initech"]),
            ("CreatedDate = LAST_YEAR", ["Initech"]),
            ("CreatedDate = THIS_QUARTER", ["Acme", "Globex"]),
            ("CreatedDate = LAST_N_DAYS:35", ["Acme", "Globex"]),
            ("CreatedDate = LAST_N_DAYS:34", ["Acme"]),
            ("CreatedDate = N_DAYS_AGO:35", ["Globex"]),
            ("CreatedDate = LAST_N_MONTHS:1", ["Globex"]),
            ("CreatedDate = N_MONTHS_AGO:5", ["Initech"]),
            ("CreatedDate = THIS_WEEK", ["Acme"]),
            ("CreatedDate IN (LAST_YEAR, TODAY)", ["Acme", "Initech"]),
            ("CreatedDate > 2026-05-20T09:59:59Z", ["Acme"]),
            ("CreatedDate = 2026-05-20T12:00:00+02:00", ["Acme"]),
            ("CreatedDate < 2026-01-01T00:00:00Z", ["Initech"]),
        ],
    )
    def test_datetimes(self, where: str, expected: list[str]) -> None:
        """Datetimes compare as instants; relative date literals are periods counted from the injected today."""
        assert column(f"SELECT Name FROM Account WHERE {where}", "Name") == expected

    @pytest.mark.parametrize(
        ("where", "expected"),
        [
            ("Birthdate < 1900-01-01", ["Lovelace"]),
            ("Birthdate = 1906-12-09", ["Hopper"]),
            ("Birthdate >= 1906-12-09", ["Hopper", "Turing"]),
            ("Birthdate != 1906-12-09", ["Lovelace", "Turing", "dijkstra"]),
            ("Birthdate < LAST_N_YEARS:100", ["Lovelace", "Hopper", "Turing"]),
            ("Birthdate = NEXT_N_DAYS:3", []),
        ],
    )
    def test_dates(self, where: str, expected: list[str]) -> None:
        """Date fields compare with date literals and relative date literals."""
        assert column(f"SELECT LastName FROM Contact WHERE {where}", "LastName") == expected

    def test_fiscal_literals_are_refused(self) -> None:
        """Fiscal date literals depend on org settings the embedded org does not model: MALFORMED_QUERY."""
        caught = error("SELECT Id FROM Account WHERE CreatedDate = THIS_FISCAL_YEAR")
        assert caught.error_code == "MALFORMED_QUERY"
        assert caught.message == "The date literal THIS_FISCAL_YEAR is not supported by the embedded org"

    def test_today_defaults_to_the_utc_date(self) -> None:
        """Without an injected day, TODAY is the current UTC date."""
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        spec = ObjectSpec("Event", "Event", "00U", (FieldSpec("Id", "id"), FieldSpec("StartDateTime", "datetime")))
        org = OrgData("00D000000000002AAA", {"Event": spec}, {"Event": [{"Id": sfid("00U", 1), "StartDateTime": now}]})
        assert len(execute(parse("SELECT Id FROM Event WHERE StartDateTime = TODAY"), org).records) == 1


class TestOrderAndLimits:
    @pytest.mark.parametrize(
        ("order", "expected"),
        [
            ("Industry, Name", ["Initech", "Globex", "Acme"]),
            ("Industry ASC NULLS LAST, Name", ["Globex", "Acme", "Initech"]),
            ("Industry DESC, Name", ["Acme", "Globex", "Initech"]),
            ("Industry DESC NULLS FIRST", ["Initech", "Acme", "Globex"]),
            ("NumberOfEmployees DESC", ["Acme", "Globex", "Initech"]),
            ("Owner.Name DESC, Name DESC", ["Globex", "Acme", "Initech"]),
            ("CreatedDate", ["Initech", "Globex", "Acme"]),
        ],
    )
    def test_order_by(self, order: str, expected: list[str]) -> None:
        """ORDER BY sorts on fields and parent paths; nulls first ascending and last descending unless told."""
        assert column(f"SELECT Name FROM Account ORDER BY {order}", "Name") == expected

    def test_strings_sort_ignoring_case(self) -> None:
        """Text sorts without regard to case."""
        assert column("SELECT LastName FROM Contact ORDER BY LastName", "LastName") == [
            "dijkstra", "Hopper", "Lovelace", "Turing",
        ]  # fmt: skip

    @pytest.mark.parametrize(
        ("clause", "expected"),
        [
            ("LIMIT 2", ["Acme", "Globex"]),
            ("LIMIT 0", []),
            ("LIMIT 2 OFFSET 1", ["Globex", "Initech"]),
            ("OFFSET 2", ["Initech"]),
            ("OFFSET 5", []),
        ],
    )
    def test_limit_and_offset(self, clause: str, expected: list[str]) -> None:
        """OFFSET skips rows after sorting and LIMIT keeps at most that many; totalSize counts what is returned."""
        found = result(f"SELECT Name FROM Account ORDER BY Name {clause}")
        assert [r["Name"] for r in found.records] == expected and found.total_size == len(expected)

    def test_unsortable_field_is_refused(self) -> None:
        """A multi-select picklist cannot be sorted on."""
        assert error("SELECT Id FROM Contact ORDER BY Languages__c").error_code == "INVALID_FIELD"


class TestJoins:
    @pytest.mark.parametrize(
        ("where", "expected"),
        [
            ("Id IN (SELECT AccountId FROM Contact)", ["Acme", "Globex"]),
            ("Id IN (SELECT AccountId FROM Contact WHERE DoNotCall = true)", ["Acme"]),
            ("Id NOT IN (SELECT AccountId FROM Contact)", ["Initech"]),
            ("Id IN (SELECT WhatId FROM Task)", ["Acme"]),
            ("OwnerId IN (SELECT Id FROM User WHERE Name = 'Parker')", ["Globex"]),
            ("OwnerId NOT IN (SELECT Id FROM User WHERE Name = 'Parker')", ["Acme", "Initech"]),
            ("Id IN (SELECT AccountId FROM Contact WHERE LastName = 'Away')", []),
        ],
    )
    def test_semi_and_anti_joins(self, where: str, expected: list[str]) -> None:
        """Semi-joins keep rows whose id the subquery returns, anti-joins the others (deleted rows never count)."""
        assert column(f"SELECT Name FROM Account WHERE {where}", "Name") == expected

    def test_semi_join_needs_id_fields(self) -> None:
        """A semi-join between non-id fields is MALFORMED_QUERY."""
        assert (
            error("SELECT Id FROM Account WHERE Name IN (SELECT LastName FROM Contact)").error_code == "MALFORMED_QUERY"
        )

    def test_semi_join_subquery_is_checked_for_access(self) -> None:
        """A field the user cannot read is unknown inside a semi-join too."""
        hidden = error(
            "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE SSN__c != null)",
            can_read_field=lambda sobject, field: field != "SSN__c",
        )
        assert hidden.error_code == "INVALID_FIELD"


class TestAggregates:
    def test_count_rows_reports_total_size_only(self) -> None:
        """SELECT COUNT() returns no rows and the count as totalSize."""
        assert result("SELECT COUNT() FROM Contact") == ExecuteResult([], 4)
        assert result("SELECT COUNT() FROM Contact WHERE MailingCity = 'London'") == ExecuteResult([], 2)
        assert result("SELECT COUNT() FROM Contact", include_deleted=True).total_size == 5
        assert result("SELECT COUNT() FROM Contact LIMIT 3").total_size == 3

    def test_group_by_names_unaliased_aggregates_expr_n(self) -> None:
        """Grouped rows are AggregateResults; unaliased aggregates are expr0, expr1 … counting only those."""
        found = rows(
            "SELECT AccountId, COUNT(Id), MAX(Birthdate) latest, MIN(LastName) FROM Contact "
            "WHERE AccountId != null GROUP BY AccountId ORDER BY COUNT(Id) DESC"
        )
        assert found == [
            {"attributes": {"type": "AggregateResult"}, "AccountId": A1, "expr0": 2, "latest": "1906-12-09",
             "expr1": "Hopper"},
            {"attributes": {"type": "AggregateResult"}, "AccountId": A2, "expr0": 1, "latest": "1912-06-23",
             "expr1": "Turing"},
        ]  # fmt: skip

    def test_aggregates_without_group_by_give_one_row(self) -> None:
        """Aggregates over the whole object give one row, also over no rows."""
        found = rows("SELECT COUNT(Id), SUM(AnnualRevenue) total, AVG(NumberOfEmployees), COUNT(Industry) FROM Account")
        assert found == [
            {"attributes": {"type": "AggregateResult"}, "expr0": 3, "total": 5_250_000.0, "expr1": 80.0, "expr2": 2}
        ]
        empty = rows("SELECT COUNT(Id), MAX(Name) FROM Account WHERE Name = 'nobody'")
        assert empty == [{"attributes": {"type": "AggregateResult"}, "expr0": 0, "expr1": None}]

    def test_having_filters_groups(self) -> None:
        """HAVING keeps the groups whose aggregates or grouped fields pass."""
        query = "SELECT Account.Name, COUNT(Id) n FROM Contact GROUP BY Account.Name HAVING COUNT(Id) > 1"
        assert rows(query) == [{"attributes": {"type": "AggregateResult"}, "Name": "Acme", "n": 2}]
        query = "SELECT Industry, COUNT_DISTINCT(OwnerId) FROM Account GROUP BY Industry HAVING Industry != null"
        assert [(r["Industry"], r["expr0"]) for r in rows(query)] == [("Technology", 1), ("Energy", 1)]

    def test_group_limits_apply_to_groups(self) -> None:
        """ORDER BY, LIMIT and OFFSET of a grouped query apply to the groups."""
        query = "SELECT Industry FROM Account GROUP BY Industry ORDER BY Industry DESC NULLS LAST LIMIT 1 OFFSET 1"
        assert column(query, "Industry") == ["Energy"]

    def test_ungrouped_field_is_refused(self) -> None:
        """A field neither grouped nor aggregated is MALFORMED_QUERY."""
        caught = error("SELECT Name, COUNT(Id) FROM Account GROUP BY Industry")
        assert (caught.error_code, caught.message) == ("MALFORMED_QUERY", "Field must be grouped or aggregated: Name")

    def test_sum_of_text_is_refused(self) -> None:
        """SUM and AVG need a number field."""
        assert error("SELECT SUM(Name) FROM Account").error_code == "MALFORMED_QUERY"


class TestFieldsSelector:
    def test_fields_all_standard_custom(self) -> None:
        """FIELDS(ALL), FIELDS(STANDARD) and FIELDS(CUSTOM) expand to those fields in schema order."""
        all_fields = [f.name for f in ORG.schema["Account"].fields]
        assert list(rows("SELECT FIELDS(ALL) FROM Account LIMIT 1")[0])[1:] == all_fields
        assert list(rows("SELECT FIELDS(CUSTOM) FROM Account LIMIT 1")[0])[1:] == ["Rating__c"]
        assert list(rows("SELECT FIELDS(STANDARD) FROM Account")[0])[1:] == all_fields[:-1]

    def test_fields_leaves_out_unreadable_fields(self) -> None:
        """FIELDS() expands only to the fields the running user may read."""
        readable = rows("SELECT FIELDS(ALL) FROM Contact LIMIT 1", can_read_field=lambda s, f: f != "SSN__c")[0]
        assert "SSN__c" not in readable and "Email" in readable


class TestAccess:
    @pytest.mark.parametrize(
        "soql",
        [
            "SELECT SSN__c FROM Contact",
            "SELECT Id FROM Contact WHERE SSN__c = '123-45-6789'",
            "SELECT Id FROM Contact ORDER BY SSN__c",
            "SELECT Id, (SELECT SSN__c FROM Contacts) FROM Account",
            "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE SSN__c = null)",
            "SELECT COUNT() FROM Contact WHERE SSN__c != null",
            "SELECT SSN__c, COUNT(Id) FROM Contact GROUP BY SSN__c",
            "SELECT Id FROM Contact WHERE NOT (SSN__c LIKE '123%')",
        ],
    )
    def test_unreadable_field_is_unknown_in_every_clause(self, soql: str) -> None:
        """A field the user cannot read is INVALID_FIELD wherever the query names it, not only in SELECT."""
        caught = error(soql, can_read_field=lambda sobject, field: (sobject, field) != ("Contact", "SSN__c"))
        assert caught.error_code == "INVALID_FIELD" and caught.status == 400
        assert caught.message.startswith("No such column 'SSN__c' on entity 'Contact'. If you are attempting")

    def test_unknown_field_names_the_entity(self) -> None:
        """An unknown field's message is Salesforce's, naming the field as written and the entity."""
        assert error("SELECT Account.Nmae FROM Contact").message == (
            "No such column 'Nmae' on entity 'Account'. If you are attempting to use a custom field, be sure to append "
            "the '__c' after the custom field name. Please reference your WSDL or the describe call for the "
            "appropriate names."
        )

    def test_unknown_or_unreadable_object_is_invalid_type(self) -> None:
        """An unknown object and one the user cannot read both give Salesforce's INVALID_TYPE."""
        caught = error("SELECT Id FROM Widget__c")
        assert (caught.error_code, caught.status) == ("INVALID_TYPE", 400)
        assert caught.message == (
            "sObject type 'Widget__c' is not supported. If you are attempting to use a custom object, be sure to "
            "append the '__c' after the entity name. Please reference your WSDL or the describe call for the "
            "appropriate names."
        )
        hidden = error("SELECT Id FROM contact", can_read_object=lambda sobject: sobject != "Contact")
        assert hidden.error_code == "INVALID_TYPE" and "sObject type 'contact' is not supported" in hidden.message

    @pytest.mark.parametrize(
        ("soql", "can_read_object", "can_read_field"),
        [
            ("SELECT Acount.Name FROM Contact", None, None),
            ("SELECT Name.First FROM Contact", None, None),
            ("SELECT Account.Name FROM Contact", lambda s: s != "Account", None),
            ("SELECT Account.Name FROM Contact", None, lambda s, f: f != "AccountId"),
            ("SELECT Id FROM Contact WHERE Account.Owner.Name = 'Marc'", lambda s: s != "User", None),
        ],
    )
    def test_unknown_or_hidden_relationship_is_invalid_field(
        self,
        soql: str,
        can_read_object: Callable[[str], bool] | None,
        can_read_field: Callable[[str, str], bool] | None,
    ) -> None:
        """A relationship that does not exist, or whose lookup or parent the user cannot read, is INVALID_FIELD."""
        caught = error(soql, can_read_object=can_read_object, can_read_field=can_read_field)
        assert caught.error_code == "INVALID_FIELD" and caught.message.startswith("Didn't understand relationship '")

    def test_hidden_child_relationship_is_invalid_type(self) -> None:
        """A child relationship that does not exist or whose object is unreadable is INVALID_TYPE."""
        assert error("SELECT (SELECT Id FROM Contacs) FROM Account").error_code == "INVALID_TYPE"
        hidden = error("SELECT (SELECT Id FROM Contacts) FROM Account", can_read_object=lambda s: s != "Contact")
        assert hidden.message.startswith("Didn't understand relationship 'Contacts' in FROM part of query call.")


class TestDeletedRows:
    def test_deleted_rows_only_with_query_all(self) -> None:
        """Rows with IsDeleted are left out, except for queryAll (include_deleted)."""
        assert A4 not in column("SELECT Id FROM Account")
        assert column("SELECT Id FROM Account WHERE IsDeleted = true", include_deleted=True) == [A4]

    def test_deleted_children_only_with_query_all(self) -> None:
        """Deleted children are left out of child subqueries too."""
        query = f"SELECT (SELECT LastName FROM Contacts) FROM Account WHERE Id = '{A1}'"
        assert rows(query)[0]["Contacts"]["totalSize"] == 2
        assert rows(query, include_deleted=True)[0]["Contacts"]["totalSize"] == 3


class TestRefusals:
    @pytest.mark.parametrize(
        ("soql", "feature"),
        [
            ("SELECT TYPEOF What WHEN Account THEN Name END FROM Task", "TYPEOF"),
            ("SELECT toLabel(Industry) FROM Account", "toLabel()"),
            ("SELECT convertCurrency(AnnualRevenue) FROM Account", "convertCurrency()"),
            ("SELECT FORMAT(AnnualRevenue) FROM Account", "FORMAT()"),
            ("SELECT Id FROM Account WHERE CALENDAR_YEAR(CreatedDate) = 2026", "CALENDAR_YEAR()"),
            ("SELECT CALENDAR_YEAR(CreatedDate), COUNT(Id) FROM Account GROUP BY CALENDAR_YEAR(CreatedDate)",
             "CALENDAR_YEAR()"),
            ("SELECT Industry, COUNT(Id) FROM Account GROUP BY ROLLUP(Industry)", "GROUP BY ROLLUP"),
            ("SELECT Industry, COUNT(Id) FROM Account GROUP BY CUBE(Industry)", "GROUP BY CUBE"),
            ("SELECT Industry, GROUPING(Industry) FROM Account GROUP BY Industry", "GROUPING()"),
            ("SELECT Id FROM Account USING SCOPE Mine", "USING SCOPE"),
            ("SELECT Id FROM Account WITH DATA CATEGORY Geography__c AT usa__c", "WITH DATA CATEGORY"),
            ("SELECT Id FROM Account WITH SYSTEM_MODE", "WITH SYSTEM_MODE"),
            ("SELECT Id FROM Account FOR UPDATE", "FOR UPDATE"),
            ("SELECT Id FROM Account UPDATE VIEWSTAT", "UPDATE VIEWSTAT"),
            ("SELECT Id FROM Account WHERE AnnualRevenue > null", "Comparing with null by >"),
            ("SELECT Id FROM Account WHERE Name LIKE null", "LIKE null"),
            ("SELECT (SELECT COUNT(Id) FROM Contacts) FROM Account", "An aggregate function in a child subquery"),
        ],
    )  # fmt: skip
    def test_unsupported_features_are_refused(self, soql: str, feature: str) -> None:
        """What the org cannot evaluate is MALFORMED_QUERY naming it, never a silently wrong answer."""
        caught = error(soql)
        assert (caught.error_code, caught.message) == (
            "MALFORMED_QUERY",
            f"{feature} is not supported by the embedded org",
        )

    @pytest.mark.parametrize("security", ["WITH SECURITY_ENFORCED", "WITH USER_MODE", "FOR VIEW", "FOR REFERENCE"])
    def test_security_clauses_are_accepted(self, security: str) -> None:
        """WITH SECURITY_ENFORCED and USER_MODE change nothing: the org always enforces the user's access."""
        assert column(f"SELECT Name FROM Account {security}", "Name") == ["Acme", "Globex", "Initech"]


class TestMetadataCatalog:
    def test_field_definition_needs_an_object_filter(self) -> None:
        """FieldDefinition without a filter on its object is refused, as in Salesforce."""
        caught = error("SELECT QualifiedApiName FROM FieldDefinition")
        assert caught.message == "FieldDefinition: a filter on a reified column is required."

    @pytest.mark.parametrize(
        ("where", "message"),
        [
            ("EntityDefinitionId = 'Contact' OR QualifiedApiName = 'Email'", "Disjunctions not supported"),
            ("EntityDefinitionId = 'Contact' AND QualifiedApiName != 'Email'", "Only equals comparisons permitted"),
            ("EntityDefinitionId = 'Contact' AND NOT QualifiedApiName = 'Email'", "Only equals comparisons permitted"),
        ],
    )
    def test_catalog_filters_are_limited(self, where: str, message: str) -> None:
        """The Metadata Catalog refuses OR, NOT and comparisons other than equality."""
        caught = error(f"SELECT QualifiedApiName FROM FieldDefinition WHERE {where}")
        assert (caught.error_code, caught.message) == ("MALFORMED_QUERY", message)

    def test_catalog_ignores_limit_and_refuses_count(self) -> None:
        """LIMIT and OFFSET are ignored on the Metadata Catalog, and COUNT() is refused, as Salesforce does."""
        query = "SELECT QualifiedApiName FROM FieldDefinition WHERE EntityDefinitionId = 'Contact'"
        assert column(query + " LIMIT 1 OFFSET 1", "QualifiedApiName") == ["Email"]
        assert error("SELECT COUNT() FROM FieldDefinition WHERE EntityDefinitionId = 'Contact'").error_code == (
            "MALFORMED_QUERY"
        )


# -- property: the evaluator agrees with a straightforward Python filter ----------------------------------------------

_PROPERTY_FIELDS = {
    "Name": ("string", st.sampled_from(["acme", "Acme", "ACME", "beta", "Beta", "zeta", "a'b", "o\\k"])),
    "Amount": ("double", st.sampled_from([-2.5, 0.0, 1.0, 1.5, 100.0])),
    "Active": ("boolean", st.booleans()),
    "CloseDate": ("date", st.sampled_from(["2025-12-31", "2026-01-01", "2026-01-02", "2026-02-28"])),
}
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}  # fmt: skip


@st.composite
def tables(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(0, 8))
    return [
        {"Id": sfid("a01", n)} | {name: draw(st.none() | values) for name, (_, values) in _PROPERTY_FIELDS.items()}
        for n in range(1, count + 1)
    ]


@st.composite
def comparisons(draw: st.DrawFn) -> tuple[str, str, Any]:
    name = draw(st.sampled_from(sorted(_PROPERTY_FIELDS)))
    kind, values = _PROPERTY_FIELDS[name]
    ops = ["=", "!="] if kind == "boolean" else list(_OPS)
    op = draw(st.sampled_from(ops))
    literal = None if op in ("=", "!=") and draw(st.booleans()) else draw(values)
    return name, op, literal


def _soql_literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return repr(value)
    if value[:4].isdigit():
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _reference(rows: list[dict[str, Any]], name: str, op: str, literal: Any) -> list[str]:
    def fold(value: Any) -> Any:
        return value.casefold() if isinstance(value, str) else value

    def keep(value: Any) -> bool:
        if literal is None:
            return (value is None) == (op == "=")
        if value is None:
            return op == "!="
        return _OPS[op](fold(value), fold(literal))

    return [row["Id"] for row in rows if keep(row[name])]


class TestAgainstReference:
    @given(tables(), comparisons())
    def test_simple_comparisons_match_a_python_filter(
        self, table: list[dict[str, Any]], comparison: tuple[str, str, Any]
    ) -> None:
        """For a random comparison on a random table, the evaluator keeps exactly the rows a plain filter keeps."""
        name, op, literal = comparison
        schema = {
            "Deal__c": ObjectSpec(
                "Deal__c",
                "Deal",
                "a01",
                (FieldSpec("Id", "id"), *(FieldSpec(n, t) for n, (t, _) in _PROPERTY_FIELDS.items())),
            )
        }
        org = OrgData("00D000000000002AAA", schema, {"Deal__c": table})
        soql = f"SELECT Id FROM Deal__c WHERE {name} {op} {_soql_literal(literal)}"
        found = [row["Id"] for row in execute(parse(soql), org).records]
        assert found == _reference(table, name, op, literal)
