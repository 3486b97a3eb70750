"""The embedded org, driven by simple-salesforce unchanged, over real HTTPS with a throwaway CA."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator

import jwt
import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceResourceNotFound,
)

from sfshield.classification import labels_from_custom_metadata, labels_from_field_definitions
from sfshield.testing import EmbeddedOrg


class Clock:
    """A clock the tests move by hand, so token expiry needs no sleeping."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        """Return the current fake time."""
        return self.now


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def org(clock: Clock) -> Iterator[EmbeddedOrg]:
    with EmbeddedOrg(orgs=2, size=100, clock=clock) as running:
        yield running


def client(org: EmbeddedOrg, index: int = 0) -> Salesforce:
    handle = org.handles[index]
    return Salesforce(
        instance_url=org.instance_url, session_id=handle.access_token, session=org.session(), version="66.0"
    )


class TestQueries:
    def test_query_returns_salesforce_shaped_records(self, org: EmbeddedOrg) -> None:
        """A query answers with attributes, nested parents and child query results, as the REST API does."""
        soql = "SELECT Id, LastName, Account.Name, (SELECT Subject FROM Cases) FROM Contact WHERE AccountId != null"
        result = client(org).query(soql + " LIMIT 5")
        record = result["records"][0]
        assert record["attributes"]["type"] == "Contact"
        assert record["attributes"]["url"].endswith(record["Id"])
        assert set(record["Account"]) == {"attributes", "Name"}
        assert record["Cases"] is None or set(record["Cases"]) >= {"totalSize", "done", "records"}

    def test_paging_loses_and_duplicates_nothing(self, org: EmbeddedOrg) -> None:
        """query_all_iter over 200-record pages yields exactly the records of one unpaged query."""
        sf = client(org)
        soql = "SELECT Id FROM Contact"
        paged = [r["Id"] for r in sf.query_all_iter(soql, headers={"Sforce-Query-Options": "batchSize=200"})]
        first = sf.query(soql, headers={"Sforce-Query-Options": "batchSize=200"})
        assert first["done"] is False and first["nextRecordsUrl"]
        whole = [r["Id"] for r in sf.query_all(soql)["records"]]
        assert len(paged) == len(set(paged)) == len(whole) > 200
        assert set(paged) == set(whole)

    def test_query_more_follows_the_next_records_url(self, org: EmbeddedOrg) -> None:
        """query_more with the nextRecordsUrl returns the next page."""
        sf = client(org)
        first = sf.query("SELECT Id FROM Contact", headers={"Sforce-Query-Options": "batchSize=200"})
        second = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
        assert not {r["Id"] for r in first["records"]} & {r["Id"] for r in second["records"]}

    def test_describe_and_api_usage(self, org: EmbeddedOrg) -> None:
        """Global and object describe answer, and simple-salesforce parses Sforce-Limit-Info into api_usage."""
        sf = client(org)
        names = {o["name"] for o in sf.describe()["sobjects"]}
        assert {"Account", "Contact", "Case"} <= names
        fields = {f["name"]: f for f in sf.Contact.describe()["fields"]}
        assert "Email" in fields and fields["Email"]["type"] == "email"
        assert sf.api_usage["api-usage"].total > sf.api_usage["api-usage"].used > 0

    def test_restful_reads_a_record_by_id(self, org: EmbeddedOrg) -> None:
        """restful() GETs an sObject by id."""
        sf = client(org)
        record_id = sf.query("SELECT Id FROM Account LIMIT 1")["records"][0]["Id"]
        assert sf.restful(f"sobjects/Account/{record_id}")["Id"] == record_id


class TestSecurity:
    def test_syntax_errors_are_malformed_query(self, org: EmbeddedOrg) -> None:
        """Invalid SOQL answers 400 MALFORMED_QUERY in Salesforce's error list shape."""
        with pytest.raises(SalesforceMalformedRequest) as caught:
            client(org).query("SELECT Id FROM Contact WHERE")
        assert caught.value.content[0]["errorCode"] == "MALFORMED_QUERY"

    def test_an_unreadable_field_is_invalid_field_in_any_clause(self, org: EmbeddedOrg) -> None:
        """The integration user cannot read Contact.SSN__c, in SELECT or in WHERE."""
        for soql in ("SELECT Id, SSN__c FROM Contact", "SELECT Id FROM Contact WHERE SSN__c != null"):
            with pytest.raises(SalesforceMalformedRequest) as caught:
                client(org).query(soql)
            assert caught.value.content[0]["errorCode"] == "INVALID_FIELD"

    def test_an_unreadable_object_is_invalid_type(self, org: EmbeddedOrg) -> None:
        """The integration user cannot read Lead, so querying it is INVALID_TYPE."""
        with pytest.raises(SalesforceMalformedRequest) as caught:
            client(org).query("SELECT Id FROM Lead")
        assert caught.value.content[0]["errorCode"] == "INVALID_TYPE"

    def test_two_orgs_never_share_data(self, org: EmbeddedOrg) -> None:
        """Each org's token sees only that org's records."""
        first = {r["Email"] for r in client(org, 0).query_all("SELECT Email FROM Contact")["records"]}
        second = {r["Email"] for r in client(org, 1).query_all("SELECT Email FROM Contact")["records"]}
        assert first and second and not first & second

    def test_expired_tokens_get_invalid_session_id(self, org: EmbeddedOrg, clock: Clock) -> None:
        """After its lifetime a token gets 401 INVALID_SESSION_ID, which simple-salesforce raises as expired."""
        sf = client(org)
        clock.now += 3 * 3600
        try:
            with pytest.raises(SalesforceExpiredSession):
                sf.query("SELECT Id FROM Account LIMIT 1")
        finally:
            clock.now -= 3 * 3600

    def test_the_server_logs_what_left_the_org(self, org: EmbeddedOrg) -> None:
        """The request log names the user, the SOQL and how many rows were returned."""
        client(org).query("SELECT Id FROM Account LIMIT 3")
        entry = org.requests_log(0)[-1]
        assert (entry.soql, entry.rows, entry.user_id) == ("SELECT Id FROM Account LIMIT 3", 3, org.handles[0].user_id)


class TestOAuth:
    def test_client_credentials_and_relogin_on_401(self, org: EmbeddedOrg, clock: Clock) -> None:
        """simple-salesforce logs in with client credentials and logs in again by itself when the token expires."""
        handle = org.handles[0]
        host = org.instance_url.removeprefix("https://")
        sf = Salesforce(
            consumer_key=handle.client_id,
            consumer_secret=handle.client_secret,
            domain=f"{host}/services/oauth2/token#",
            session=org.session(),
            version="66.0",
        )
        assert sf.query("SELECT Id FROM Account LIMIT 1")["totalSize"] == 1
        clock.now += 3 * 3600
        try:
            assert sf.query("SELECT Id FROM Account LIMIT 1")["totalSize"] == 1
        finally:
            clock.now -= 3 * 3600

    def test_oauth_errors_have_salesforce_shape(self, org: EmbeddedOrg) -> None:
        """A wrong client secret answers 400 with error and error_description."""
        reply = org.session().post(
            f"{org.instance_url}/services/oauth2/token",
            data={"grant_type": "client_credentials", "client_id": org.handles[0].client_id, "client_secret": "x"},
            timeout=10,
        )
        assert reply.status_code == 400
        assert reply.json() == {"error": "invalid_client", "error_description": "invalid client credentials"}

    def test_an_unknown_path_is_not_found(self, org: EmbeddedOrg) -> None:
        """Unknown resources answer 404 NOT_FOUND."""
        with pytest.raises(SalesforceResourceNotFound):
            client(org).restful("nope/nothing")

    def test_tls_is_verified_against_the_throwaway_ca(self, org: EmbeddedOrg) -> None:
        """A session that does not trust the CA cannot talk to the org."""
        plain = requests.Session()
        plain.trust_env = False
        with pytest.raises(requests.exceptions.SSLError):
            plain.get(f"{org.instance_url}/services/data/", timeout=10)


class TestServe:
    def test_serve_prints_one_ready_json_line(self) -> None:
        """`python -m sfshield.testing serve` prints instance_url, ca_file and per-org credentials, then serves."""
        process = subprocess.Popen(
            [sys.executable, "-m", "sfshield.testing", "serve", "--orgs", "2", "--size", "5"],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stdout is not None
            ready = json.loads(process.stdout.readline())
            session = requests.Session()
            session.verify, session.trust_env = ready["ca_file"], False
            reply = session.get(
                f"{ready['instance_url']}/services/data/v66.0/query/",
                params={"q": "SELECT Id FROM Account"},
                headers={"Authorization": f"Bearer {ready['orgs'][0]['access_token']}"},
                timeout=10,
            )
            assert reply.json()["totalSize"] == 5
            assert {o["org_id"][:3] for o in ready["orgs"]} == {"00D"}
        finally:
            process.terminate()
            process.wait(timeout=10)
            if process.stdout is not None:
                process.stdout.close()


class TestMetadata:
    def test_custom_metadata_resolves_metadata_relationships(self, org: EmbeddedOrg) -> None:
        """CMT rows hold raw durable values and answer __r.QualifiedApiName, which the label loader uses."""
        rows = client(org).query_all(
            "SELECT DeveloperName, Object__c, Object__r.QualifiedApiName, Field__r.QualifiedApiName, Sensitivity__c,"
            " Compliance_Groups__c, Tags__c, Kind__c FROM Sfshield_Field_Policy__mdt"
        )["records"]
        custom = [r for r in rows if r["Object__r"]["QualifiedApiName"] == "Invoice__c"]
        assert custom and all(r["Object__c"].startswith("01I") for r in custom)
        labels = labels_from_custom_metadata(rows)
        assert labels["Contact.SSN__c"].sensitivity == "MissionCritical"

    def test_tooling_field_definitions_carry_classification(self, org: EmbeddedOrg) -> None:
        """A Tooling query on FieldDefinition returns SecurityClassification and ;-joined ComplianceGroup."""
        soql = (
            "SELECT QualifiedApiName, SecurityClassification, ComplianceGroup FROM FieldDefinition "
            "WHERE EntityDefinition.QualifiedApiName = 'Contact'"
        )
        result = client(org).toolingexecute("query/?q=" + urllib.parse.quote(soql))
        labels = labels_from_field_definitions(result["records"], sobject="Contact")
        assert labels["Contact.Email"].compliance == ("GDPR", "PII")


class TestJwtBearer:
    def test_simple_salesforce_logs_in_with_a_signed_assertion(self) -> None:
        """The JWT bearer flow verifies the RS256 assertion against the client's certificate and issues a token."""
        with EmbeddedOrg(orgs=1, size=3) as real_time_org:  # simple-salesforce stamps exp from the real clock
            handle = real_time_org.handles[0]
            host = real_time_org.instance_url.removeprefix("https://")
            sf = Salesforce(
                username=handle.username,
                consumer_key=handle.client_id,
                privatekey=real_time_org.jwt_private_key(0).decode(),
                domain=f"{host}/services/oauth2/token#",
                session=real_time_org.session(),
                version="66.0",
            )
            assert sf.query("SELECT Id FROM Account LIMIT 1")["totalSize"] == 1

    @pytest.mark.parametrize("flaw", ["wrong-key", "wrong-user", "wrong-audience", "expired", "far-future"])
    def test_a_flawed_assertion_is_invalid_grant(self, org: EmbeddedOrg, clock: Clock, flaw: str) -> None:
        """A bad signature, subject, audience or expiry answers 400 invalid_grant, whatever the flaw."""
        handle = org.handles[0]
        key = org.jwt_private_key(1 if flaw == "wrong-key" else 0)
        claims = {
            "iss": handle.client_id,
            "sub": "nobody@example.com" if flaw == "wrong-user" else handle.username,
            "aud": "https://login.salesforce.com" if flaw == "wrong-audience" else org.instance_url,
            "exp": int(clock.now + {"expired": -10, "far-future": 3600}.get(flaw, 120)),
        }
        reply = org.session().post(
            f"{org.instance_url}/services/oauth2/token",
            data={
                "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "assertion": jwt.encode(claims, key, algorithm="RS256"),
            },
            timeout=10,
        )
        assert (reply.status_code, reply.json()["error"]) == (400, "invalid_grant")


class TestMetadataVisibility:
    def test_cmt_rows_about_objects_the_user_cannot_see_are_hidden(self, org: EmbeddedOrg) -> None:
        """The integration user cannot read Lead, so the org hides the policy rows that point at Lead."""
        stored = [r for r in org.org(0).data.records["Sfshield_Field_Policy__mdt"] if r["Object__c"] == "Lead"]
        rows = client(org).query_all("SELECT DeveloperName, Object__r.QualifiedApiName FROM Sfshield_Field_Policy__mdt")
        seen = {r["Object__r"]["QualifiedApiName"] for r in rows["records"]}
        assert stored and "Lead" not in seen and "Contact" in seen


class TestToolingRestrictions:
    @pytest.mark.parametrize(
        "where",
        [
            "",  # FieldDefinition must be filtered by its object
            "WHERE EntityDefinition.QualifiedApiName = 'Contact' OR QualifiedApiName = 'Email'",
            "WHERE EntityDefinition.QualifiedApiName = 'Contact' AND QualifiedApiName != 'Email'",
        ],
    )
    def test_field_definition_keeps_salesforces_query_restrictions(self, org: EmbeddedOrg, where: str) -> None:
        """No object filter, OR, or != on FieldDefinition is refused as Salesforce refuses it."""
        soql = f"SELECT QualifiedApiName FROM FieldDefinition {where}".strip()
        with pytest.raises(SalesforceMalformedRequest):
            client(org).toolingexecute("query/?q=" + urllib.parse.quote(soql))


class TestIdentityAndTokens:
    def test_introspect_reports_live_and_revoked_tokens(self, org: EmbeddedOrg) -> None:
        """Introspection says active with scope, client and username, and inactive once the token is revoked."""
        handle = org.handles[0]
        session = org.session()
        token = session.post(
            f"{org.instance_url}/services/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": handle.client_id,
                "client_secret": handle.client_secret,
            },
            timeout=10,
        ).json()["access_token"]
        url = f"{org.instance_url}/services/oauth2/introspect"
        live = session.post(url, data={"token": token}, timeout=10).json()
        assert (live["active"], live["scope"], live["client_id"], live["username"]) == (
            True,
            "api",
            handle.client_id,
            handle.username,
        )
        assert session.post(f"{org.instance_url}/services/oauth2/revoke", data={"token": token}, timeout=10).ok
        assert session.post(url, data={"token": token}, timeout=10).json() == {"active": False}

    def test_the_identity_url_names_org_and_user(self, org: EmbeddedOrg) -> None:
        """GET on the token's id URL returns the organization and user ids the tenant client pins."""
        handle = org.handles[0]
        reply = (
            org.session()
            .get(
                f"{org.instance_url}/id/{handle.org_id}/{handle.user_id}",
                headers={"Authorization": f"Bearer {handle.access_token}"},
                timeout=10,
            )
            .json()
        )
        assert (reply["organization_id"], reply["user_id"], reply["username"]) == (
            handle.org_id,
            handle.user_id,
            handle.username,
        )

    def test_a_refresh_token_gets_a_new_access_token(self, org: EmbeddedOrg) -> None:
        """The refresh grant works for the client it was issued to, and not for a made-up token."""
        handle = org.handles[0]
        form = {"grant_type": "refresh_token", "client_id": handle.client_id, "client_secret": handle.client_secret}
        url = f"{org.instance_url}/services/oauth2/token"
        good = org.session().post(url, data={**form, "refresh_token": org.issue_refresh_token(0)}, timeout=10)
        assert good.status_code == 200 and good.json()["id"].endswith(f"/{handle.org_id}/{handle.user_id}")
        bad = org.session().post(url, data={**form, "refresh_token": "5Aep861nope"}, timeout=10)
        assert (bad.status_code, bad.json()["error"]) == (400, "invalid_grant")

    def test_describe_answers_304_when_nothing_changed(self, org: EmbeddedOrg) -> None:
        """If-Modified-Since after the schema date gets 304 Not Modified."""
        handle = org.handles[0]
        reply = org.session().get(
            f"{org.instance_url}/services/data/v66.0/sobjects/Contact/describe/",
            headers={
                "Authorization": f"Bearer {handle.access_token}",
                "If-Modified-Since": "Wed, 01 Jan 2031 00:00:00 GMT",
            },
            timeout=10,
        )
        assert reply.status_code == 304


def test_clients_can_be_over_scoped_on_purpose() -> None:
    """client_scopes makes the integration client grant more than api, so scope checks can be tested."""
    with EmbeddedOrg(orgs=1, size=2, client_scopes=("api", "full", "refresh_token")) as org:
        handle = org.handles[0]
        reply = org.session().post(
            f"{org.instance_url}/services/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": handle.client_id,
                "client_secret": handle.client_secret,
            },
            timeout=10,
        )
        assert reply.json()["scope"] == "api full refresh_token"


class TestChildPaging:
    def test_long_child_results_page_with_their_own_next_records_url(self, org: EmbeddedOrg) -> None:
        """A child subquery longer than the child batch is cut into pages that together hold every child once."""
        sf = client(org)
        state = org.org(0)
        counts: dict[str, int] = {}
        for contact in state.data.records["Contact"]:
            if contact.get("AccountId"):
                counts[contact["AccountId"]] = counts.get(contact["AccountId"], 0) + 1
        account_id = max(counts, key=lambda key: counts[key])
        state.child_batch = 1
        try:
            result = sf.query(f"SELECT Id, (SELECT Id FROM Contacts) FROM Account WHERE Id = '{account_id}'")
        finally:
            state.child_batch = 200
        children = result["records"][0]["Contacts"]
        assert children["done"] is False and children["totalSize"] == counts[account_id] >= 2
        rest = sf.query_more(children["nextRecordsUrl"], identifier_is_url=True)
        ids = [r["Id"] for r in children["records"]] + [r["Id"] for r in rest["records"]]
        assert len(ids) == len(set(ids)) == counts[account_id]
