"""TenantClient end to end against the embedded org: guard → paged fetch → Shield → audit, per tenant."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from simple_salesforce.api import Salesforce

from sfshield import Shield
from sfshield._demo import load_demo_policy
from sfshield.audit import (
    AuditPipeline,
    InMemoryAuditSink,
    PrivilegeChecked,
    QueryChecked,
    RecordsFiltered,
    TokenIssued,
    TokenRevoked,
)
from sfshield.classification import labels_from_custom_metadata
from sfshield.crypto import (
    EnvelopeCipher,
    EventOpener,
    EventSealer,
    MemoryReplayCache,
    TokenKind,
    TokenRef,
    TokenStore,
)
from sfshield.exceptions import (
    ExportInterruptedError,
    PrivilegeError,
    QueryRejectedError,
    ReplayError,
    TransientError,
)
from sfshield.salesforce import RequestPolicy, TenantConfig
from sfshield.salesforce.client import TenantClient
from sfshield.testing import EmbeddedOrg, InMemoryKeyProvider
from sfshield.testing.org._bulk import published_events
from sfshield.transforms import PseudonymKey
from tests._closing import close_after_test

OBJECTS = ("Account", "Contact", "Case", "User", "Opportunity", "Invoice__c")
QUERY = "SELECT Id, FirstName, Email, Title, Account.Name FROM Contact"


@pytest.fixture(scope="module")
def org() -> Iterator[EmbeddedOrg]:
    with EmbeddedOrg(orgs=2, size=30) as running:
        yield running


def _config(org: EmbeddedOrg, index: int, **changes: Any) -> TenantConfig:
    handle = org.handles[index]
    fields: dict[str, Any] = {
        "tenant": f"tenant-{index}",
        "org_id": handle.org_id,
        "login_url": org.instance_url,
        "oauth_flow": "client_credentials",
        "client_id": handle.client_id,
        "integration_username": handle.username,
        "allowed_purposes": ["embedding", "training", "support_copilot"],
        "allowed_objects": list(OBJECTS),
    }
    fields.update(changes)
    return TenantConfig.model_validate(fields)


def _policy(org: EmbeddedOrg, index: int) -> Any:

    handle = org.handles[index]
    sf = Salesforce(
        instance_url=org.instance_url, session_id=handle.access_token, session=org.session(), version="66.0"
    )
    rows = sf.query_all(
        "SELECT DeveloperName, Object__r.QualifiedApiName, Field__r.QualifiedApiName, Sensitivity__c, "
        "Compliance_Groups__c, Tags__c, Kind__c FROM Sfshield_Field_Policy__mdt"
    )["records"]
    return load_demo_policy().with_labels(labels_from_custom_metadata(rows))


def _client(
    org: EmbeddedOrg, index: int, session: Any = None, **changes: Any
) -> tuple[TenantClient, InMemoryAuditSink]:
    config = _config(org, index, **changes)
    sink = InMemoryAuditSink()
    audit = AuditPipeline(sinks=[sink])
    shield = Shield(_policy(org, index), tenant=config.tenant, audit=audit, pseudonym_key=PseudonymKey(bytes(32)))
    store = close_after_test(TokenStore.in_memory(EnvelopeCipher(InMemoryKeyProvider())))
    app = {"tenant": config.tenant, "org_id": config.org_id, "client_id": config.client_id}
    store.put(TokenRef(**app, kind=TokenKind.CLIENT_SECRET), org.handles[index].client_secret)
    policy = RequestPolicy(backoff=0.01, max_backoff=0.02, attempts=6, sleep=lambda _: None)
    client = TenantClient(config, shield=shield, token_store=store, session=session or org.session(), policy=policy)
    return client, sink


def test_a_query_is_guarded_fetched_protected_and_audited(org: EmbeddedOrg) -> None:
    client, sink = _client(org, 0)
    records = list(client.query(QUERY, purpose="embedding"))
    assert records
    assert all(str(r.get("Email", "email_")).startswith("email_") for r in records)  # pseudonymized, never raw
    kinds = [type(e) for e in sink.events]
    assert PrivilegeChecked in kinds and QueryChecked in kinds and RecordsFiltered in kinds
    assert sum(e.record_count for e in sink.events if isinstance(e, RecordsFiltered)) == len(records)


def test_disallowed_purposes_and_objects_are_refused_before_any_call(org: EmbeddedOrg) -> None:
    client, _ = _client(org, 0)
    before = len(org.requests_log(0))
    with pytest.raises(QueryRejectedError, match="not allowed for tenant"):
        client.query(QUERY, purpose="analytics")
    with pytest.raises(QueryRejectedError):
        client.query("SELECT Id, Name FROM Lead", purpose="embedding")
    assert len(org.requests_log(0)) == before


def test_an_over_privileged_configuration_is_refused(org: EmbeddedOrg) -> None:
    client, sink = _client(org, 0, allowed_objects=["Contact"])
    with pytest.raises(PrivilegeError) as caught:
        client.connect()
    assert any(item.startswith("read:") for item in caught.value.excessive)
    assert [e.outcome for e in sink.events if isinstance(e, PrivilegeChecked)] == ["blocked"]


def test_faults_at_ten_percent_lose_and_duplicate_nothing(org: EmbeddedOrg) -> None:
    client, _ = _client(org, 0)
    expected = {r["Id"] for r in client.query("SELECT Id FROM Contact", purpose="training")}
    org.org(0).child_batch = 200
    org.inject("server_error", org=0, rate=0.1, times=None)
    try:
        got = [r["Id"] for r in client.query("SELECT Id FROM Contact", purpose="training", batch_size=50)]
    finally:
        org.clear_faults(0)
    assert len(got) == len(set(got)) == len(expected)
    assert set(got) == expected


def test_retries_are_bounded(org: EmbeddedOrg) -> None:
    client, _ = _client(org, 0)
    list(client.query("SELECT Id FROM Contact LIMIT 1", purpose="training"))
    org.inject("server_error", org=0, rate=1.0, times=None)
    try:
        with pytest.raises(TransientError):
            list(client.query("SELECT Id FROM Contact", purpose="training"))
    finally:
        org.clear_faults(0)


def test_two_tenants_read_concurrently_and_never_mix(org: EmbeddedOrg) -> None:
    results: dict[int, list[str]] = {}

    def ingest(index: int) -> None:
        client, _ = _client(org, index)
        results[index] = [r["Id"] for r in client.query("SELECT Id, Title FROM Contact", purpose="training")]

    threads = [threading.Thread(target=ingest, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results[0] and results[1]
    assert not set(results[0]) & set(results[1])


def test_no_token_or_secret_reaches_the_audit_trail(org: EmbeddedOrg) -> None:
    client, sink = _client(org, 1)
    list(client.query(QUERY, purpose="embedding"))
    trail = json.dumps([e.to_json_dict() for e in sink.events])
    handle = org.handles[1]
    for secret in (handle.client_secret, handle.access_token[:24]):
        assert secret not in trail
    assert "!" not in repr(client)


def test_an_expired_session_mid_stream_is_renewed_once_and_nothing_is_lost(org: EmbeddedOrg) -> None:
    session = org.session()
    token_calls: list[str] = []
    session.hooks["response"].append(
        lambda response, *_, **__: token_calls.append(response.url) if "/oauth2/token" in response.url else None
    )
    client, sink = _client(org, 0, session=session)
    expected = [r["Id"] for r in client.query("SELECT Id FROM Contact ORDER BY Id", purpose="training")]
    assert len(token_calls) == 1
    org.inject("expired_session", org=0, nth=1)
    try:
        got = [r["Id"] for r in client.query("SELECT Id FROM Contact ORDER BY Id", purpose="training")]
    finally:
        org.clear_faults(0)
    assert got == expected
    assert len(token_calls) == 2  # one renewal
    issued = [e for e in sink.events if isinstance(e, TokenIssued)]
    revoked = [e for e in sink.events if isinstance(e, TokenRevoked)]
    assert [e.replaced for e in issued] == [False, True]
    assert [(e.reason, e.succeeded) for e in revoked] == [("rotated", True)]


def test_nothing_secret_in_logs_errors_reprs_or_audit_across_a_whole_run(
    org: EmbeddedOrg, caplog: pytest.LogCaptureFixture
) -> None:
    """Everything a run leaves behind holds no client secret, access token or pseudonymized value.

    Scanned: log records at DEBUG, error texts, reprs and the audit trail.
    """
    caplog.set_level(logging.DEBUG)
    client, sink = _client(org, 0)
    captured: list[str] = [repr(client), repr(client.config)]
    records = list(client.query(QUERY, purpose="embedding"))
    narrow, _ = _client(org, 0, allowed_objects=["Contact"])
    try:
        client.query("SELECT Id, Name FROM Contact WHERE Email LIKE '%x%'", purpose="embedding")
    except QueryRejectedError as exc:
        captured += [str(exc), repr(exc)]
    try:
        narrow.connect()
    except PrivilegeError as exc:
        captured += [str(exc), repr(exc)]
    captured += [record.getMessage() for record in caplog.records]
    captured += [json.dumps(e.to_json_dict()) for e in sink.events]
    everything = "\n".join(captured)
    raw = Salesforce(
        instance_url=org.instance_url, session_id=org.handles[0].access_token, session=org.session(), version="66.0"
    ).query_all("SELECT Email FROM Contact WHERE Email != null")["records"]
    secrets = [org.handles[0].client_secret, org.handles[0].access_token, *(r["Email"] for r in raw)]
    assert records
    assert not [secret for secret in secrets if secret and secret in everything]
    assert not re.search(r"00D\w{12,15}![\w.]{20,}", everything)  # no session id of any kind


def test_export_streams_bulk_pages_through_the_shield(org: EmbeddedOrg) -> None:
    client, sink = _client(org, 0)
    expected = {r["Id"] for r in client.query("SELECT Id FROM Contact", purpose="training")}
    rows = list(client.export("Contact", ["Id", "Email", "Title", "Account.Name"], purpose="embedding", page_size=7))
    assert {r["Id"] for r in rows} == expected and len(rows) == len(expected)
    assert all(not r.get("Email") or str(r["Email"]).startswith("email_") for r in rows)  # pseudonymized
    results_pages = [e for e in org.requests_log(0) if "/results" in e.path]
    assert len(results_pages) >= len(expected) // 7  # one page at a time, never the whole result
    assert any(isinstance(e, RecordsFiltered) and e.sobject == "Contact" for e in sink.events)


def test_an_interrupted_export_resumes_without_gaps_or_repeats(org: EmbeddedOrg) -> None:
    client, _ = _client(org, 0)
    expected = [r["Id"] for r in client.export("Contact", ["Id"], purpose="training", page_size=10)]
    delivered: list[str] = []
    strict = TenantClient(
        client.config,
        shield=client._shield,
        token_store=client._tokens._store,
        session=org.session(),
        policy=RequestPolicy(attempts=1, sleep=lambda _: None),
        check_privileges_on_connect=False,
    )
    rows = strict.export("Contact", ["Id"], purpose="training", page_size=10)  # the job is created here
    org.inject("server_error", org=0, nth=3, times=None)  # the third page download fails; no retry is allowed
    position = None
    try:
        delivered.extend(r["Id"] for r in rows)
    except ExportInterruptedError as stopped:
        position = stopped.position
    finally:
        org.clear_faults(0)
    assert position is not None and position.locator  # stopped after some pages
    delivered.extend(
        r["Id"] for r in client.export("Contact", ["Id"], purpose="training", page_size=10, resume=position)
    )
    assert delivered == expected


def test_export_refuses_names_that_are_not_names(org: EmbeddedOrg) -> None:
    client, _ = _client(org, 0)
    with pytest.raises(ValueError, match="not a Salesforce"):
        client.export("Contact", ["Id FROM User --"], purpose="training")
    with pytest.raises(ValueError, match="non-empty list"):
        client.export("Contact", "Id", purpose="training")  # type: ignore[arg-type]


def test_publish_sends_only_ciphertext_that_a_subscriber_opens_once(org: EmbeddedOrg) -> None:
    client, _ = _client(org, 0)
    cipher = EnvelopeCipher(InMemoryKeyProvider())
    sealer = EventSealer(cipher, event="Order_Sync__e", schema_version="1")
    payload = {"OrderId": "801000000000001AAA", "Amount": 1200.5, "Contact": "ana.lopez@example.com"}
    event_id = client.publish(sealer, payload)
    assert event_id
    (published,) = published_events(org.org(0))["Order_Sync__e"]
    assert "ana.lopez" not in json.dumps(published.payload)  # Salesforce and its bus see ciphertext only
    opener = EventOpener(cipher, event="Order_Sync__e", schema_versions="1", replay_cache=MemoryReplayCache())
    opened = opener.open(published.payload, tenant="tenant-0")
    assert opened.payload == payload
    with pytest.raises(ReplayError):
        opener.open(published.payload, tenant="tenant-0")
    with pytest.raises(ValueError, match="Platform Event"):
        client.publish(EventSealer(cipher, event="Order_Sync", schema_version="1"), payload)
