"""check_privileges and enforce: the integration user's rights, read from the embedded org's permission objects."""

from __future__ import annotations

import inspect
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import simple_salesforce.exceptions as foreign
from simple_salesforce.api import Salesforce

from sfshield import Shield
from sfshield._demo import load_demo_policy
from sfshield.audit import AuditPipeline, Outcome, PrivilegeChecked
from sfshield.exceptions import (
    AuditSinkError,
    AuthenticationError,
    PrivilegeError,
    SalesforceError,
    ShieldError,
    TransientError,
)
from sfshield.salesforce import RequestPolicy, TenantClient, TokenManager
from sfshield.salesforce.privileges import (
    SETUP_OBJECTS,
    ObjectRight,
    PrivilegeReport,
    check_privileges,
    enforce,
)
from sfshield.testing import EmbeddedOrg, InMemoryAuditSink
from sfshield.testing.org import FaultKind
from sfshield.testing.org._seed import salesforce_id
from sfshield.transforms import PseudonymKey
from tests.salesforce._tenants import tenant_config, token_store

NEEDED = frozenset({"Account", "Contact", "Case", "Opportunity", "Invoice__c"})
"""What the seeded integration user reads, and all it reads."""
ADMIN_POWERS = {
    "PermissionsViewAllData",
    "PermissionsModifyAllData",
    "PermissionsViewAllUsers",
    "PermissionsCustomizeApplication",
    "PermissionsAuthorApex",
    "PermissionsManageUsers",
    "PermissionsModifyMetadata",
}


@pytest.fixture(scope="module")
def org() -> Iterator[EmbeddedOrg]:
    with EmbeddedOrg(orgs=1, size=3) as running:
        yield running


@pytest.fixture
def sink() -> InMemoryAuditSink:
    return InMemoryAuditSink()


@pytest.fixture
def audit(sink: InMemoryAuditSink) -> AuditPipeline:
    return AuditPipeline(sinks=[sink])


def client(org: EmbeddedOrg, token: str | None = None) -> Salesforce:
    return Salesforce(
        instance_url=org.instance_url,
        session_id=token or org.handles[0].access_token,
        session=org.session(),
        version="66.0",
    )


def user_id(org: EmbeddedOrg, role: str) -> str:
    return next(u["Id"] for u in org.org(0).data.records["User"] if u["Username"].startswith(f"{role}@"))


def admin_client(org: EmbeddedOrg) -> Salesforce:
    """A session of the seeded administrator, issued by the org as a JWT bearer login would."""
    state = org.org(0)
    token = state.issue(next(iter(state.clients.values())), user_id=user_id(org, "admin")).token
    return client(org, token)


def integration_report(org: EmbeddedOrg, allowed: frozenset[str] | set[str] = NEEDED) -> PrivilegeReport:
    return check_privileges(client(org), user_id=org.handles[0].user_id, allowed_objects=allowed)


def admin_report(org: EmbeddedOrg) -> PrivilegeReport:
    return check_privileges(admin_client(org), user_id=user_id(org, "admin"), allowed_objects=NEEDED)


def logged_in_client(org: EmbeddedOrg, sink: InMemoryAuditSink, sleeps: list[float]) -> TenantClient:
    """A TenantClient whose token is already stored, so the first data request it makes is the privilege check's."""
    config = tenant_config(org, allowed_objects=sorted(NEEDED))
    store = token_store(org, config)
    TokenManager(config, store, org.session()).get_token()
    shield = Shield(load_demo_policy(), tenant="acme", audit=sink, pseudonym_key=PseudonymKey.generate())
    policy = RequestPolicy(backoff=0.01, max_backoff=6.0, limit_backoff=1.0, sleep=sleeps.append)
    return TenantClient(config, shield=shield, token_store=store, session=org.session(), policy=policy)


def record_values(org: EmbeddedOrg) -> set[str]:
    """Every text value of the org's people and CRM records long enough to be recognised (ids are not data)."""
    data = org.org(0).data.records
    rows = [row for sobject in ("User", "Account", "Contact", "Case", "Lead") for row in data[sobject]]
    return {v for row in rows for k, v in row.items() if isinstance(v, str) and len(v) >= 6 and not k.endswith("Id")}


# --- test doubles of simple-salesforce (a third-party client, not our code) ---------------------------------------


class Raising:
    """A simple-salesforce stand-in whose every call raises one foreign exception."""

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def restful(self, *args: Any, **kwargs: Any) -> Any:
        """Raise the exception, as a failed describe would."""
        raise self.exc

    def query_all(self, *args: Any, **kwargs: Any) -> Any:
        """Raise the exception, as a failed query would."""
        raise self.exc


class Tampering:
    """Forwards to a real client, then spoils the PermissionSet answers the way a partial view or a bad proxy would."""

    def __init__(self, sf: Salesforce, how: str) -> None:
        self.sf = sf
        self.how = how

    def restful(self, *args: Any, **kwargs: Any) -> Any:
        """Forward unchanged."""
        return self.sf.restful(*args, **kwargs)

    def query_all(self, soql: str, **kwargs: Any) -> Any:
        """Forward, then spoil the assignment answer."""
        answer = self.sf.query_all(soql, **kwargs)
        if "FROM PermissionSetAssignment" not in soql:
            return answer
        if self.how == "not-a-result":
            return ["not", "a", "result"]
        records = answer["records"]
        if self.how == "quote-in-an-id":
            records[0]["PermissionSetId"] = "0PS000000000000' OR Id != '"
        else:  # an assignment to a set the PermissionSet query will not return
            records.append({"PermissionSetId": salesforce_id("0PS", 999, 0)})
        return answer


def foreign_salesforce_errors() -> list[Exception]:
    body = [{"errorCode": "UNKNOWN_EXCEPTION", "message": "Jane Doe, jane@example.com"}]
    errors: list[Exception] = []
    for _, cls in inspect.getmembers(foreign, inspect.isclass):
        if not issubclass(cls, foreign.SalesforceError):
            continue
        if cls is foreign.SalesforceAuthenticationFailed:
            errors.append(cls("INVALID_GRANT", "Jane Doe"))
        else:
            errors.append(cls("https://x.example/services/data", 500, "query", body))
    return errors


def request_errors() -> list[Exception]:
    classes = [c for _, c in inspect.getmembers(requests.exceptions, inspect.isclass) if issubclass(c, Exception)]
    return [
        cls("Jane Doe", "Jane Doe's record", 0) if issubclass(cls, json.JSONDecodeError) else cls("Jane Doe")
        for cls in classes
        if issubclass(cls, requests.RequestException)
    ]


class TestLeastPrivilegeUser:
    def test_passes_with_the_objects_it_needs(self, org: EmbeddedOrg, audit: AuditPipeline, sink: Any) -> None:
        """The seeded integration user holds nothing excessive: enforce() passes, and the check is audited."""
        report = integration_report(org)
        assert report.excessive == () and report.findings == ()
        enforce(report, allow_excess=False, tenant="acme", audit=audit)
        [event] = sink.events
        assert isinstance(event, PrivilegeChecked)
        assert (event.outcome, event.excessive, event.user_id) == (Outcome.ALLOWED, (), report.user_id)

    def test_the_report_covers_profile_and_permission_sets(self, org: EmbeddedOrg) -> None:
        """Both the profile's own set and the assigned set are read; the user is API-only and reads five objects."""
        report = integration_report(org)
        assert report.profile == "Minimum Access - API Only Integrations"
        assert report.profile_id is not None and report.profile_id.startswith("00e")
        assert {(s.name, s.profile) for s in report.permission_sets} >= {("Sfshield_Integration", None)}
        assert report.profile in {s.profile for s in report.permission_sets}
        assert report.api_only is True
        assert {(g.permission, g.sobject) for g in report.object_rights} == {(ObjectRight.READ, o) for o in NEEDED}
        assert all(str(g.granted_by[0]) == "permission set 'Sfshield_Integration'" for g in report.object_rights)

    def test_allowed_objects_are_compared_without_case(self, org: EmbeddedOrg) -> None:
        """'account' allows Account, as Salesforce API names are case-insensitive."""
        assert integration_report(org, {name.lower() for name in NEEDED}).excessive == ()

    def test_permissions_this_org_lacks_are_unchecked_not_excessive(self, org: EmbeddedOrg) -> None:
        """The embedded org has no Export Reports permission: it is listed as unchecked, and nobody holds it."""
        report = integration_report(org)
        assert "PermissionsExportReport" in report.unchecked
        assert "PermissionsViewAllData" not in report.unchecked

    def test_the_check_reads_permission_objects_only(self, org: EmbeddedOrg) -> None:
        """Every query the check sends is on a setup object: no CRM record leaves the org for it."""
        before = len(org.requests_log(0))
        integration_report(org)
        logged = org.requests_log(0)[before:]
        queried = {m.group(1) for r in logged if r.soql and (m := re.search(r"\bFROM (\w+)", r.soql))}
        assert queried and queried <= SETUP_OBJECTS
        assert sum(r.rows for r in logged if r.soql and "FROM ObjectPermissions" not in r.soql) < 10

    def test_a_15_character_user_id_is_accepted(self, org: EmbeddedOrg) -> None:
        """A 15-character id names the same user; the report carries its 18-character form."""
        full = org.handles[0].user_id
        report = check_privileges(client(org), user_id=full[:15], allowed_objects=NEEDED)
        assert report.user_id == full and report.excessive == ()


class TestNarrowerAllowList:
    def test_extra_readable_objects_are_refused(self, org: EmbeddedOrg, audit: AuditPipeline) -> None:
        """With only Account and Contact allowed, reading Case, Invoice__c and Opportunity is excessive."""
        report = integration_report(org, {"Account", "Contact"})
        with pytest.raises(PrivilegeError) as caught:
            enforce(report, allow_excess=False, tenant="acme", audit=audit)
        expected = ("read:Case", "read:Invoice__c", "read:Opportunity")
        assert caught.value.excessive == report.excessive == expected
        assert caught.value.tenant == "acme"
        message = str(caught.value)
        assert all(item in message for item in expected)
        assert "permission set 'Sfshield_Integration'" in message and "allow_excess=True" in message

    def test_the_refusal_is_audited(self, org: EmbeddedOrg, audit: AuditPipeline, sink: Any) -> None:
        """A refusal leaves one PrivilegeChecked event with outcome blocked, listing what is excessive."""
        with pytest.raises(PrivilegeError) as caught:
            enforce(integration_report(org, {"Account"}), allow_excess=False, tenant="acme", audit=audit)
        [event] = sink.events
        assert isinstance(event, PrivilegeChecked)
        assert (event.outcome, event.tenant, event.allow_excess) == (Outcome.BLOCKED, "acme", False)
        assert event.excessive == caught.value.excessive


class TestOverPrivilegedUser:
    def test_the_administrator_is_refused_for_view_all_data_and_more(
        self, org: EmbeddedOrg, audit: AuditPipeline
    ) -> None:
        """The admin's profile grants View All Data, Modify All Data …, View All on every object, and Lead."""
        report = admin_report(org)
        with pytest.raises(PrivilegeError) as caught:
            enforce(report, allow_excess=False, tenant="acme", audit=audit)
        excessive = set(caught.value.excessive)
        assert excessive >= ADMIN_POWERS
        assert {"read:Lead", "view_all:Account", "modify_all:Contact", "view_all_fields:Contact"} <= excessive
        assert report.api_only is False
        assert {str(s) for g in report.findings for s in g.granted_by} == {"profile 'System Administrator'"}

    def test_the_same_report_comes_through_the_integration_users_session(self, org: EmbeddedOrg) -> None:
        """Permission objects are readable by the integration user, so it can check another user's rights."""
        through_integration = check_privileges(client(org), user_id=user_id(org, "admin"), allowed_objects=NEEDED)
        assert through_integration == admin_report(org)

    def test_allow_excess_passes_loudly(
        self, org: EmbeddedOrg, audit: AuditPipeline, sink: Any, caplog: pytest.LogCaptureFixture
    ) -> None:
        """allow_excess=True starts anyway, but audits the excess (outcome allowed) and logs a warning."""
        report = admin_report(org)
        with caplog.at_level(logging.WARNING, logger="sfshield.salesforce.privileges"):
            enforce(report, allow_excess=True, tenant="acme", audit=audit)
        [event] = sink.events
        assert isinstance(event, PrivilegeChecked) and event.outcome == Outcome.ALLOWED and event.allow_excess
        assert "PermissionsViewAllData" in event.excessive
        [warning] = caplog.records
        assert warning.levelno == logging.WARNING and "PermissionsModifyAllData" in warning.getMessage()

    def test_a_failing_audit_sink_stops_even_an_allowed_start(self, org: EmbeddedOrg) -> None:
        """The override is audited first: if that fails, the start-up stops (fail closed)."""

        def broken_sink(event: Any) -> None:
            raise OSError("disk full")

        with pytest.raises(AuditSinkError):
            enforce(admin_report(org), allow_excess=True, tenant="acme", audit=AuditPipeline(sinks=[broken_sink]))

    def test_only_the_given_dangerous_permissions_are_checked(self, org: EmbeddedOrg) -> None:
        """dangerous= narrows the system permissions that count; object rights are still checked."""
        report = check_privileges(
            admin_client(org), user_id=user_id(org, "admin"), allowed_objects=NEEDED,
            dangerous={"PermissionsViewAllData"},
        )  # fmt: skip
        assert [str(g) for g in report.system_permissions] == ["PermissionsViewAllData"]
        assert report.unchecked == () and report.sharing_bypasses


class TestThroughTheTenantClient:
    """TenantClient.connect() reads the permission objects through its own reader: retried, renewed, metered."""

    @pytest.mark.parametrize(
        "kind",
        [FaultKind.SERVER_ERROR, FaultKind.CONNECTION_RESET, FaultKind.NON_JSON_BODY, FaultKind.EXPIRED_SESSION],
    )
    @pytest.mark.parametrize(("nth", "call"), [(1, "describe"), (3, "query")])
    def test_a_transient_fault_during_the_check_is_retried(
        self, org: EmbeddedOrg, sink: InMemoryAuditSink, kind: FaultKind, nth: int, call: str
    ) -> None:
        """A fault on the describe or a permission query costs one backoff, and the check still passes (audited)."""
        sleeps: list[float] = []
        client = logged_in_client(org, sink, sleeps)
        fault = org.inject(kind, nth=nth)
        try:
            client.connect()
        finally:
            org.clear_faults(0)
        assert fault.fired == 1 and len(sleeps) == 1
        [event] = [e for e in sink.events if isinstance(e, PrivilegeChecked)]
        assert (event.outcome, event.excessive) == (Outcome.ALLOWED, ())

    def test_a_request_limit_during_the_check_waits_the_limit_backoff(
        self, org: EmbeddedOrg, sink: InMemoryAuditSink
    ) -> None:
        """REQUEST_LIMIT_EXCEEDED on a permission query waits at least limit_backoff, and the API usage is read."""
        sleeps: list[float] = []
        client = logged_in_client(org, sink, sleeps)
        org.inject(FaultKind.REQUEST_LIMIT, nth=2)
        try:
            client.connect()
        finally:
            org.clear_faults(0)
        assert len(sleeps) == 1 and 1.0 <= sleeps[0] <= 1.0 + 0.01
        assert client.api_usage is not None

    def test_a_fault_that_outlasts_the_retries_stops_the_start(self, org: EmbeddedOrg, sink: InMemoryAuditSink) -> None:
        """A permission query that fails on every attempt is a TransientError, and no check is audited as passed."""
        sleeps: list[float] = []
        client = logged_in_client(org, sink, sleeps)
        org.inject(FaultKind.SERVER_ERROR, nth=1, times=None)
        try:
            with pytest.raises(TransientError):
                client.connect()
        finally:
            org.clear_faults(0)
        assert len(sleeps) == 3  # four attempts, the default
        assert not [e for e in sink.events if isinstance(e, PrivilegeChecked)]


class TestNoRecordData:
    def test_errors_reports_and_audit_events_hold_ids_and_names_only(
        self, org: EmbeddedOrg, audit: AuditPipeline, sink: Any
    ) -> None:
        """No name, email or other value of a user or CRM record appears in what the check says."""
        report = admin_report(org)
        with pytest.raises(PrivilegeError) as caught:
            enforce(report, allow_excess=False, tenant="acme", audit=audit)
        said = " ".join([str(caught.value), repr(report), json.dumps([e.to_json_dict() for e in sink.events])])
        values = record_values(org)
        assert values and not [value for value in values if value in said]
        assert repr(report).startswith(f"PrivilegeReport(user_id={report.user_id!r}, profile='System Administrator'")


class TestBadInput:
    @pytest.mark.parametrize(
        "bad",
        [
            "",
            "005",
            "0055g0003Xk0001AQB",  # the case-safe suffix does not match
            "0055G0003xK0001AQA",  # the case was changed somewhere
            salesforce_id("001", 1, 0),  # an Account id
            "005' OR Id != '",
            "005000000000000AAA' OR Name LIKE '%",
            None,
            5_000_000,
        ],
    )
    def test_an_invalid_user_id_is_refused_before_any_query(self, org: EmbeddedOrg, bad: Any) -> None:
        """Anything but a 15/18-character User id is a ValueError, and nothing is sent to the org."""
        before = len(org.requests_log(0))
        with pytest.raises(ValueError, match="user_id") as caught:
            check_privileges(client(org), user_id=bad, allowed_objects=NEEDED)
        assert len(org.requests_log(0)) == before
        assert len(str(bad)) <= 3 or str(bad) not in str(caught.value)  # the value is never echoed

    @pytest.mark.parametrize(
        ("allowed", "dangerous", "error"),
        [
            ("Account", {"PermissionsViewAllData"}, TypeError),
            ({"Account"}, "PermissionsViewAllData", TypeError),
            ({"Account' OR Id != '"}, {"PermissionsViewAllData"}, ValueError),
            ({"Account", 7}, {"PermissionsViewAllData"}, ValueError),
            ({"Account"}, {"ViewAllData"}, ValueError),
            ({"Account"}, {"PermissionsViewAllData, Id FROM User --"}, ValueError),
        ],
    )
    def test_malformed_object_and_permission_names_are_refused(
        self, org: EmbeddedOrg, allowed: Any, dangerous: Any, error: type[Exception]
    ) -> None:
        """A bare string or a name that is not an API name is refused before any request."""
        before = len(org.requests_log(0))
        with pytest.raises(error):
            check_privileges(client(org), user_id=org.handles[0].user_id, allowed_objects=allowed, dangerous=dangerous)
        assert len(org.requests_log(0)) == before

    def test_enforce_takes_a_report_only(self, audit: AuditPipeline) -> None:
        """enforce() of anything but a PrivilegeReport is a TypeError, not a silent pass."""
        with pytest.raises(TypeError, match="PrivilegeReport"):
            enforce(("PermissionsViewAllData",), allow_excess=False, tenant="acme", audit=audit)  # type: ignore[arg-type]


class TestSalesforceErrors:
    @pytest.mark.parametrize(
        "kind",
        [
            kind for kind in FaultKind if kind not in {FaultKind.LATENCY, FaultKind.INVALID_GRANT}
        ],  # INVALID_GRANT: token
    )
    def test_every_fault_becomes_a_salesforce_error(self, org: EmbeddedOrg, kind: FaultKind) -> None:
        """Whatever the org does wrong, the caller gets a SalesforceError without the body, nor a foreign cause."""
        org.inject(kind, nth=1)
        try:
            with pytest.raises(SalesforceError) as caught:
                integration_report(org)
        finally:
            org.clear_faults(0)
        cause = caught.value.__cause__
        assert cause is None or isinstance(cause, requests.RequestException)  # simple-salesforce's str() is the body
        assert "Response content" not in str(caught.value) and "<html" not in str(caught.value).lower()

    def test_an_expired_token_is_an_authentication_error(self, org: EmbeddedOrg) -> None:
        """A 401 keeps Salesforce's errorCode, without quoting the body."""
        with pytest.raises(AuthenticationError) as caught:
            check_privileges(client(org, "00D000000000000!bogus"), user_id=org.handles[0].user_id,
                             allowed_objects=NEEDED)  # fmt: skip
        assert caught.value.error_code == "INVALID_SESSION_ID"
        assert "Session expired or invalid" not in str(caught.value)

    def test_an_unknown_user_is_not_found(self, org: EmbeddedOrg) -> None:
        """A well-formed id that names no user fails with NOT_FOUND instead of an empty, passing report."""
        with pytest.raises(SalesforceError) as caught:
            check_privileges(client(org), user_id=salesforce_id("005", 999, 0), allowed_objects=NEEDED)
        assert caught.value.error_code == "NOT_FOUND"

    @pytest.mark.parametrize(("status", "code"), [(403, "INSUFFICIENT_ACCESS"), (400, "INVALID_TYPE")])
    def test_a_session_that_cannot_see_permission_objects_is_told_to_view_setup(self, status: int, code: str) -> None:
        """Refused access to the permission objects names the permission that reading them needs."""
        refusal = foreign.SalesforceRefusedRequest("https://x.example/q", status, "query", [{"errorCode": code}])
        with pytest.raises(SalesforceError, match="View Setup and Configuration") as caught:
            check_privileges(Raising(refusal), user_id=salesforce_id("005", 1, 0), allowed_objects=NEEDED)
        assert caught.value.error_code == code and caught.value.__cause__ is None

    @pytest.mark.parametrize("tamper", ["hide-a-set", "quote-in-an-id", "not-a-result"])
    def test_a_suspicious_answer_fails_closed(self, org: EmbeddedOrg, tamper: str) -> None:
        """A hidden permission set, an id that is not an id, or a non-result answer stops the check."""
        with pytest.raises(SalesforceError):
            check_privileges(Tampering(client(org), tamper), user_id=org.handles[0].user_id, allowed_objects=NEEDED)

    @pytest.mark.parametrize("exc", [*foreign_salesforce_errors(), *request_errors()], ids=lambda e: type(e).__name__)
    def test_no_foreign_exception_slips_through(self, exc: Exception) -> None:
        """Every simple-salesforce and requests exception becomes a ShieldError whose message quotes none of it."""
        with pytest.raises(ShieldError) as caught:
            check_privileges(Raising(exc), user_id=salesforce_id("005", 1, 0), allowed_objects=NEEDED)
        assert "Jane Doe" not in str(caught.value)
