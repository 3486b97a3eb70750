"""Bulk API 2.0 query jobs and Platform Event publishing on the embedded org, driven over real HTTPS."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound

from sfshield.testing import EmbeddedOrg
from sfshield.testing.org._bulk import published_events
from sfshield.testing.org._state import Client

VERSION = "66.0"
CONTACTS = "SELECT Id, Email, Account.Name FROM Contact"


@pytest.fixture(scope="module")
def org() -> Iterator[EmbeddedOrg]:
    with EmbeddedOrg(orgs=1, size=60) as running:
        yield running


def client(org: EmbeddedOrg) -> Salesforce:
    handle = org.handles[0]
    return Salesforce(
        instance_url=org.instance_url, session_id=handle.access_token, session=org.session(), version=VERSION
    )


def raw(org: EmbeddedOrg, token: str | None = None) -> requests.Session:
    session = org.session()
    session.headers["Authorization"] = f"Bearer {token or org.handles[0].access_token}"
    return session


def jobs_url(org: EmbeddedOrg, *parts: str, version: str = VERSION) -> str:
    return "/".join((f"{org.instance_url}/services/data/v{version}/jobs/query", *parts))


def create_job(org: EmbeddedOrg, soql: str = CONTACTS, **settings: Any) -> requests.Response:
    return raw(org).post(jobs_url(org), json={"operation": "query", "query": soql} | settings, timeout=10)


def completed_job(org: EmbeddedOrg, soql: str = CONTACTS, **settings: Any) -> str:
    job_id: str = create_job(org, soql, **settings).json()["id"]
    assert raw(org).get(jobs_url(org, job_id), timeout=10).json()["state"] == "JobComplete"
    return job_id


def rows_of(pages: list[str]) -> list[dict[str, str]]:
    return [row for page in pages for row in csv.DictReader(io.StringIO(page))]


def contacts(org: EmbeddedOrg) -> list[dict[str, Any]]:
    return [c for c in org.org(0).data.records["Contact"] if not c.get("IsDeleted")]


def error_code(response: requests.Response) -> str:
    code: str = response.json()[0]["errorCode"]
    return code


class TestQueryJobs:
    def test_pages_together_are_exactly_the_contacts(self, org: EmbeddedOrg) -> None:
        """simple-salesforce's bulk2 query, 50 rows a page, yields every Contact once, with its email and account."""
        pages = list(client(org).bulk2.Contact.query(CONTACTS, max_records=50, wait=0))
        rows = rows_of(pages)
        accounts = {a["Id"]: a["Name"] for a in org.org(0).data.records["Account"] if not a.get("IsDeleted")}
        expected = {c["Id"]: (c["Email"] or "", accounts.get(c["AccountId"], "")) for c in contacts(org)}
        assert len(pages) == -(-len(expected) // 50) > 1
        assert len(rows) == len(expected)
        assert {r["Id"]: (r["Email"], r["Account.Name"]) for r in rows} == expected

    def test_every_page_starts_with_the_header_in_select_order(self, org: EmbeddedOrg) -> None:
        """Each CSV page repeats the header row, parent fields dotted, every cell double-quoted."""
        pages = list(client(org).bulk2.Contact.query(CONTACTS, max_records=80, wait=0))
        assert all(page.startswith('"Id","Email","Account.Name"\n') for page in pages)

    def test_a_missing_parent_is_an_empty_cell(self, org: EmbeddedOrg) -> None:
        """A Contact without an Account has an empty Account.Name, not the text 'None'."""
        rows = rows_of(list(client(org).bulk2.Contact.query(CONTACTS + " WHERE AccountId = null", wait=0)))
        assert rows and all(row["Account.Name"] == "" for row in rows)

    def test_quoted_values_round_trip(self, org: EmbeddedOrg) -> None:
        """Values with commas and quotes come back unchanged through a CSV reader."""
        soql = "SELECT Id, Contract_Terms__c FROM Account"
        rows = rows_of(list(client(org).bulk2.Account.query(soql, wait=0)))
        accounts = [a for a in org.org(0).data.records["Account"] if not a.get("IsDeleted")]
        terms = {a["Id"]: a["Contract_Terms__c"] or "" for a in accounts}
        assert any("," in text for text in terms.values())
        assert {row["Id"]: row["Contract_Terms__c"] for row in rows} == terms

    def test_crlf_line_endings(self, org: EmbeddedOrg) -> None:
        """A job created with lineEnding CRLF ends every row with CRLF."""
        job_id = completed_job(org, "SELECT Id FROM Account", lineEnding="CRLF")
        body = raw(org).get(jobs_url(org, job_id, "results"), timeout=10).text
        assert body.count("\r\n") == body.count("\n") > 1

    def test_locators_page_and_the_last_one_is_null(self, org: EmbeddedOrg) -> None:
        """Sforce-Locator is opaque until the last page says null; Sforce-NumberOfRecords counts each page."""
        job_id, session, counts, locator = completed_job(org), raw(org), [], ""
        while locator != "null":
            params = {"maxRecords": "70"} | ({"locator": locator} if locator else {})
            page = session.get(jobs_url(org, job_id, "results"), params=params, timeout=10)
            assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/csv")
            locator = page.headers["Sforce-Locator"]
            counts.append(int(page.headers["Sforce-NumberOfRecords"]))
            assert len(page.text.splitlines()) == counts[-1] + 1
        assert counts[:-1] == [70] * (len(counts) - 1) and sum(counts) == len(contacts(org))

    def test_each_results_page_is_logged_with_its_rows(self, org: EmbeddedOrg) -> None:
        """The request log shows every results page and the rows it carried out of the org."""
        seen = len(org.requests_log(0))
        list(client(org).bulk2.Contact.query(CONTACTS, max_records=100, wait=0))
        logged = org.requests_log(0)[seen:]
        pages = [entry for entry in logged if entry.path.endswith("/results")]
        assert [entry.path for entry in logged[:1]] == ["jobs/query"]
        assert all(entry.soql == CONTACTS and entry.user_id == org.handles[0].user_id for entry in pages)
        assert [entry.rows for entry in pages] == [100, len(contacts(org)) - 100]

    def test_job_info_has_salesforce_fields(self, org: EmbeddedOrg) -> None:
        """Create answers UploadComplete job info; the first poll finds the job complete with its row count."""
        created = create_job(org).json()
        assert created["id"].startswith("750") and len(created["id"]) == 18
        assert created | {"id": "", "createdById": "", "createdDate": "", "systemModstamp": ""} == {
            "id": "",
            "operation": "query",
            "object": "Contact",
            "createdById": "",
            "createdDate": "",
            "systemModstamp": "",
            "state": "UploadComplete",
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": 66.0,
            "lineEnding": "LF",
            "columnDelimiter": "COMMA",
        }
        assert created["createdById"] == org.handles[0].user_id
        polled = raw(org).get(jobs_url(org, created["id"]), timeout=10).json()
        assert polled["state"] == "JobComplete"
        assert polled["numberRecordsProcessed"] == len(contacts(org))

    def test_query_all_runs_as_a_query_all_job(self, org: EmbeddedOrg) -> None:
        """A queryAll job reports its operation and answers the same rows when nothing is deleted."""
        created = create_job(org, operation="queryAll").json()
        assert created["operation"] == "queryAll"
        assert raw(org).get(jobs_url(org, created["id"]), timeout=10).json()["numberRecordsProcessed"] == len(
            contacts(org)
        )

    def test_listing_shows_the_users_jobs(self, org: EmbeddedOrg) -> None:
        """GET jobs/query lists the jobs this user created."""
        job_id = create_job(org).json()["id"]
        listed = raw(org).get(jobs_url(org), timeout=10).json()
        assert listed["done"] is True and job_id in {job["id"] for job in listed["records"]}


class TestQueryJobErrors:
    def test_an_unreadable_field_fails_the_job(self, org: EmbeddedOrg) -> None:
        """The integration user cannot read Contact.SSN__c, so the bulk query fails with INVALID_FIELD."""
        with pytest.raises(SalesforceMalformedRequest) as caught:
            list(client(org).bulk2.Contact.query("SELECT Id, SSN__c FROM Contact", wait=0))
        assert caught.value.content[0]["errorCode"] == "INVALID_FIELD"

    def test_an_unreadable_object_fails_the_job(self, org: EmbeddedOrg) -> None:
        """The integration user cannot read Lead, so the job is refused with INVALID_TYPE."""
        response = create_job(org, "SELECT Id FROM Lead")
        assert response.status_code == 400 and error_code(response) == "INVALID_TYPE"

    @pytest.mark.parametrize(
        "soql",
        [
            "SELECT AccountId, COUNT(Id) FROM Contact GROUP BY AccountId",
            "SELECT COUNT() FROM Contact",
            "SELECT MAX(CreatedDate) FROM Contact",
            "SELECT Id FROM Contact LIMIT 10 OFFSET 5",
            "SELECT FIELDS(STANDARD) FROM Contact",
            "SELECT Id, (SELECT Id FROM Contacts) FROM Account",
            "SELECT TYPEOF Owner WHEN User THEN Name END FROM Case",
        ],
    )
    def test_unsupported_query_shapes_are_refused(self, org: EmbeddedOrg, soql: str) -> None:
        """What Bulk API 2.0 cannot run is refused at create with 400 API_ERROR."""
        response = create_job(org, soql)
        assert response.status_code == 400 and error_code(response) == "API_ERROR"

    def test_a_syntax_error_is_malformed_query(self, org: EmbeddedOrg) -> None:
        """Unparsable SOQL is MALFORMED_QUERY."""
        response = create_job(org, "SELECT Id FROM Contact WHERE")
        assert response.status_code == 400 and error_code(response) == "MALFORMED_QUERY"

    @pytest.mark.parametrize(
        "settings",
        [
            {"columnDelimiter": "PIPE"},
            {"columnDelimiter": "SPACE"},
            {"lineEnding": "CR"},
            {"contentType": "JSON"},
            {"operation": "insert"},
            {"query": ""},
            {"query": ["SELECT Id FROM Contact"]},
            {"columnDelimiter": ["COMMA"]},
            {"lineEnding": {"LF": True}},
        ],
    )
    def test_bad_settings_are_refused(self, org: EmbeddedOrg, settings: dict[str, Any]) -> None:
        """Delimiters other than COMMA, unknown line endings, content types and operations, and no query are 400."""
        response = create_job(org, **settings)
        assert response.status_code == 400 and error_code(response) == "API_ERROR"

    def test_a_body_that_is_not_json_is_refused(self, org: EmbeddedOrg) -> None:
        """A create body that is not a JSON object is JSON_PARSER_ERROR."""
        for body in (b"not json", b"[1, 2]"):
            response = raw(org).post(jobs_url(org), data=body, timeout=10)
            assert response.status_code == 400 and error_code(response) == "JSON_PARSER_ERROR"

    def test_results_before_completion_are_412(self, org: EmbeddedOrg) -> None:
        """Results of a job nobody has polled to completion are 412 JOB_NOT_COMPLETE."""
        job_id = create_job(org).json()["id"]
        response = raw(org).get(jobs_url(org, job_id, "results"), timeout=10)
        assert response.status_code == 412 and error_code(response) == "JOB_NOT_COMPLETE"

    def test_results_need_the_jobs_api_version(self, org: EmbeddedOrg) -> None:
        """Results asked for under another API version than the job's are 409."""
        job_id = completed_job(org)
        response = raw(org).get(jobs_url(org, job_id, "results", version="60.0"), timeout=10)
        assert response.status_code == 409

    @pytest.mark.parametrize("params", [{"locator": "bm9wZQ"}, {"locator": "!!"}, {"maxRecords": "0"}])
    def test_bad_paging_parameters_are_refused(self, org: EmbeddedOrg, params: dict[str, str]) -> None:
        """A locator the job never issued, or a maxRecords below 1, is 400."""
        job_id = completed_job(org)
        response = raw(org).get(jobs_url(org, job_id, "results"), params=params, timeout=10)
        assert response.status_code == 400

    def test_unknown_jobs_are_not_found(self, org: EmbeddedOrg) -> None:
        """An id no job has is 404 NOT_FOUND, as are paths under jobs/ the org does not serve."""
        for url in (jobs_url(org, "750000000000000AAA"), jobs_url(org).replace("query", "ingest")):
            response = raw(org).get(url, timeout=10)
            assert response.status_code == 404 and error_code(response) == "NOT_FOUND"

    def test_another_users_job_is_not_found(self, org: EmbeddedOrg) -> None:
        """A job and its rows are visible only to the user who created it."""
        job_id = completed_job(org)
        state = org.org(0)
        other = next(u["Id"] for u in state.data.records["User"] if u["Id"] != org.handles[0].user_id)
        token = state.issue(Client("3MVG9other", "secret", other)).token
        for url in (jobs_url(org, job_id), jobs_url(org, job_id, "results")):
            assert raw(org, token).get(url, timeout=10).status_code == 404


class TestAbortAndDelete:
    def test_an_aborted_job_has_no_results(self, org: EmbeddedOrg) -> None:
        """PATCH state Aborted aborts a job that has not completed; its results are then 412."""
        job_id = create_job(org).json()["id"]
        aborted = raw(org).patch(jobs_url(org, job_id), json={"state": "Aborted"}, timeout=10)
        assert aborted.status_code == 200 and aborted.json()["state"] == "Aborted"
        assert raw(org).get(jobs_url(org, job_id, "results"), timeout=10).status_code == 412

    def test_a_completed_job_cannot_be_aborted(self, org: EmbeddedOrg) -> None:
        """Aborting a completed job, or setting any state but Aborted, is 400."""
        job_id = completed_job(org)
        for state in ("Aborted", "JobComplete"):
            response = raw(org).patch(jobs_url(org, job_id), json={"state": state}, timeout=10)
            assert response.status_code == 400

    def test_delete_removes_a_finished_job(self, org: EmbeddedOrg) -> None:
        """DELETE answers 204 and the job is gone; a job still waiting for its poll cannot be deleted."""
        job_id = completed_job(org)
        assert raw(org).delete(jobs_url(org, job_id), timeout=10).status_code == 204
        assert raw(org).get(jobs_url(org, job_id), timeout=10).status_code == 404
        waiting = create_job(org).json()["id"]
        assert raw(org).delete(jobs_url(org, waiting), timeout=10).status_code == 400


class TestPlatformEvents:
    def test_publish_is_enqueued_and_recorded(self, org: EmbeddedOrg) -> None:
        """Publishing answers success with OPERATION_ENQUEUED and the event UUID, and the org keeps the event."""
        fields = {"Order_Number__c": "SO-1042", "Amount__c": 129.5}
        answer = client(org).restful("sobjects/Order_Event__e/", method="POST", json=fields)
        assert answer["success"] is True and answer["id"].startswith("e01") and len(answer["id"]) == 18
        [enqueued] = answer["errors"]
        assert enqueued["statusCode"] == "OPERATION_ENQUEUED" and enqueued["fields"] == []
        event = published_events(org.org(0))["Order_Event__e"][-1]
        assert (event.payload, event.uuid, event.id) == (fields, enqueued["message"], answer["id"])
        assert event.user_id == org.handles[0].user_id

    def test_each_event_gets_its_own_uuid(self, org: EmbeddedOrg) -> None:
        """Two publishes of the same event are two recorded events with different UUIDs."""
        sf = client(org)
        first, second = (sf.restful("sobjects/Audit__e/", method="POST", json={"n": n}) for n in (1, 2))
        assert first["errors"][0]["message"] != second["errors"][0]["message"]
        assert [e.payload for e in published_events(org.org(0))["Audit__e"]][-2:] == [{"n": 1}, {"n": 2}]

    def test_a_name_that_is_not_an_event_is_not_found(self, org: EmbeddedOrg) -> None:
        """POST to an sObject that is not a Platform Event (no __e) is 404 NOT_FOUND."""
        with pytest.raises(SalesforceResourceNotFound):
            client(org).restful("sobjects/Account/", method="POST", json={"Name": "Acme"})

    def test_a_body_over_one_megabyte_is_refused(self, org: EmbeddedOrg) -> None:
        """A publish body larger than 1 MiB is 400, and nothing is recorded."""
        before = sum(len(events) for events in published_events(org.org(0)).values())
        big = {"Payload__c": "x" * (1 << 20)}
        response = raw(org).post(f"{org.instance_url}/services/data/v{VERSION}/sobjects/Big__e/", json=big, timeout=10)
        assert response.status_code == 400 and error_code(response) == "EXCEEDED_MAX_SIZE_REQUEST"
        assert sum(len(events) for events in published_events(org.org(0)).values()) == before

    def test_a_body_that_is_not_an_object_is_refused(self, org: EmbeddedOrg) -> None:
        """A publish body that is not a JSON object is 400 JSON_PARSER_ERROR."""
        url = f"{org.instance_url}/services/data/v{VERSION}/sobjects/Order_Event__e/"
        response = raw(org).post(url, json=["not", "an", "object"], timeout=10)
        assert response.status_code == 400 and error_code(response) == "JSON_PARSER_ERROR"
