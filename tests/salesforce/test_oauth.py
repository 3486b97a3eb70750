"""OAuth done by sfshield, against the embedded org: flows, tenant binding, rotation, one refresh, no leaks."""

from __future__ import annotations

import inspect
import io
import json
import logging
import pickle
import re
import threading
import traceback
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import requests.exceptions
import simple_salesforce.exceptions as foreign
import urllib3
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from requests.adapters import HTTPAdapter

from sfshield.audit import AuditPipeline, OperationBlocked
from sfshield.crypto import EnvelopeCipher, TokenKind, TokenRef, TokenStore
from sfshield.exceptions import (
    AuthenticationError,
    ConfigurationError,
    SalesforceError,
    ScopeError,
    ShieldError,
    TenantMismatchError,
    TokenStoreError,
    TransientError,
)
from sfshield.salesforce import (
    CALL_OPTIONS,
    AccessToken,
    Grant,
    OAuthFlow,
    RequestPolicy,
    TenantConfig,
    TokenManager,
    client_credentials,
    jwt_bearer,
    revoke,
    translate_error,
    translate_errors,
    verify_grant,
)
from sfshield.secret import Secret
from sfshield.testing import EmbeddedOrg, InMemoryAuditSink, InMemoryKeyProvider, capture_audit
from sfshield.testing.org import FaultKind

TOKEN_PATH = "/services/oauth2/token"
JWT, CC = OAuthFlow.JWT_BEARER, OAuthFlow.CLIENT_CREDENTIALS


FOREIGN_ERRORS: list[Exception] = [
    foreign.SalesforceMoreThanOneRecord("u", 300, "Contact", [{"errorCode": "X", "message": "SECRET-ROW"}]),
    foreign.SalesforceMalformedRequest("u", 400, "query", [{"errorCode": "MALFORMED_QUERY", "message": "SECRET"}]),
    foreign.SalesforceExpiredSession("u", 401, "query", [{"errorCode": "INVALID_SESSION_ID", "message": "x"}]),
    foreign.SalesforceRefusedRequest("u", 403, "query", [{"errorCode": "REQUEST_LIMIT_EXCEEDED"}]),
    foreign.SalesforceResourceNotFound("u", 404, "Contact", [{"errorCode": "NOT_FOUND", "message": "SECRET"}]),
    foreign.SalesforceGeneralError("u", 503, "query", "<html>SECRET</html>"),
    foreign.SalesforceAuthenticationFailed("invalid_grant", "SECRET user hasn't approved this consumer"),
    foreign.SalesforceError("u", 418, "query", b"SECRET"),
    foreign.SalesforceBulkV2ExtractError("job 750 failed: SECRET"),
    foreign.SalesforceBulkV2LoadError("SECRET"),
    foreign.SalesforceOperationError("SECRET"),
]
"""One instance of every exception class simple-salesforce defines, each carrying a body marked SECRET."""


REQUESTS_ERRORS: list[type[Exception]] = [
    cls
    for _, cls in inspect.getmembers(requests.exceptions, inspect.isclass)
    if issubclass(cls, Exception) and not issubclass(cls, Warning)
]
"""Every exception class requests defines."""


class FakeClock:
    """One clock for the org (epoch seconds) and for sfshield (aware datetimes); it moves only when told to."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        """The current fake time."""
        return self.now

    def epoch(self) -> float:
        """The current fake time in seconds since the epoch, for the embedded org."""
        return self.now.timestamp()

    def advance(self, delta: timedelta) -> None:
        """Move the fake time forward."""
        self.now += delta


class Recorder:
    """Every request a session got an answer to, via requests' own response hook."""

    def __init__(self, session: requests.Session) -> None:
        self.requests: list[requests.PreparedRequest] = []
        session.hooks["response"].append(self)

    def __call__(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Record the request behind ``response``."""
        self.requests.append(response.request)

    def count(self, path: str = TOKEN_PATH) -> int:
        """How many requests went to ``path``."""
        return sum(urlsplit(request.url or "").path == path for request in self.requests)


class FlakyTokenEndpoint(HTTPAdapter):
    """A real transport that answers the first ``failures`` token requests itself: a status page or a dropped line.

    For what the embedded org's token-endpoint faults cannot say (429, oversized or hand-made bodies).
    """

    def __init__(
        self, failures: int, *, status: int | None = 503, body: bytes = b"<html>Down for maintenance</html>"
    ) -> None:
        super().__init__()
        self.failures = failures
        self.status = status
        self.body = body

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        """Fail the token request while failures remain; pass everything else to the network."""
        if self.failures and urlsplit(request.url or "").path == TOKEN_PATH:
            self.failures -= 1
            if self.status is None:
                raise requests.ConnectionError("connection refused")
            page = io.BytesIO(self.body)
            raw = urllib3.HTTPResponse(
                body=page, status=self.status, headers={"Content-Type": "text/html"}, preload_content=False
            )
            return self.build_response(request, raw)
        return super().send(request, *args, **kwargs)


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def org(clock: FakeClock) -> Iterator[EmbeddedOrg]:
    with EmbeddedOrg(orgs=2, size=3, clock=clock.epoch) as running:
        for index in range(2):
            running.org(index).token_lifetime = 3 * 86_400  # outlives the 24 hours the rotation tests skip
        yield running


@pytest.fixture(scope="module")
def overscoped(clock: FakeClock) -> Iterator[EmbeddedOrg]:
    with EmbeddedOrg(orgs=1, size=3, clock=clock.epoch, client_scopes=("api", "full", "refresh_token")) as running:
        yield running


@pytest.fixture
def session(org: EmbeddedOrg) -> Iterator[requests.Session]:
    with org.session() as opened:
        yield opened


@pytest.fixture
def calls(session: requests.Session) -> Recorder:
    return Recorder(session)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def policy(sleeps: list[float]) -> RequestPolicy:
    return RequestPolicy(backoff=0.01, max_backoff=0.05, sleep=sleeps.append)


@pytest.fixture
def store(clock: FakeClock) -> Iterator[TokenStore]:
    with TokenStore.in_memory(EnvelopeCipher(InMemoryKeyProvider()), clock=clock) as opened:
        yield opened


@pytest.fixture
def faults(org: EmbeddedOrg) -> Iterator[EmbeddedOrg]:
    yield org
    org.clear_faults(0)


def config_for(org: EmbeddedOrg, index: int = 0, *, flow: OAuthFlow = CC, **changes: Any) -> TenantConfig:
    handle = org.handles[index]
    fields: dict[str, Any] = {
        "tenant": f"tenant-{index}",
        "org_id": handle.org_id,
        "login_url": org.instance_url,
        "oauth_flow": flow,
        "client_id": handle.client_id,
        "integration_username": handle.username,
    }
    fields.update(changes)
    return TenantConfig.model_validate(fields)


def misbound(org: EmbeddedOrg, flow: OAuthFlow) -> TenantConfig:
    """Tenant A (org 0) configured, by mistake, with the connected app and user of org 1."""
    other = org.handles[1]
    return config_for(org, 0, flow=flow, client_id=other.client_id, integration_username=other.username)


def store_credentials(store: TokenStore, config: TenantConfig, org: EmbeddedOrg, index: int = 0) -> None:
    app = {"tenant": config.tenant, "org_id": config.org_id, "client_id": config.client_id}
    store.put(TokenRef(**app, kind=TokenKind.CLIENT_SECRET), org.handles[index].client_secret)
    store.put(TokenRef(**app, kind=TokenKind.PRIVATE_KEY), org.jwt_private_key(index).decode())


def log_in(org: EmbeddedOrg, config: TenantConfig, session: requests.Session, index: int = 0, **options: Any) -> Grant:
    if config.oauth_flow is JWT:
        return jwt_bearer(config, Secret(org.jwt_private_key(index)), session, **options)
    return client_credentials(config, Secret(org.handles[index].client_secret), session, **options)


def unusable_key(kind: str) -> bytes:
    if kind == "garbage":
        return (
            b"-----BEGIN PRIVATE KEY-----\n" + b"TUlJRXZnSUJBREFOQmdrcWhraUc5dzBC" * 2 + b"\n-----END PRIVATE KEY-----"
        )
    key = (
        rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - too small on purpose
        if kind == "small-rsa"
        else ec.generate_private_key(ec.SECP256R1())
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def is_active(org: EmbeddedOrg, token: Secret) -> bool:
    with org.session() as opened:
        url = f"{org.instance_url}/services/oauth2/introspect"
        return bool(opened.post(url, data={"token": token.reveal()}, timeout=10).json()["active"])


def data_call(org: EmbeddedOrg, token: Secret) -> int:
    with org.session() as opened:
        return opened.get(
            f"{org.instance_url}/services/data/v66.0/query",
            params={"q": "SELECT Id FROM Account LIMIT 1"},
            headers={"Authorization": f"Bearer {token.reveal()}"},
            timeout=10,
        ).status_code


class TestFlows:
    @pytest.mark.parametrize("flow", [JWT, CC])
    def test_both_flows_return_a_grant_that_verifies(
        self, org: EmbeddedOrg, session: requests.Session, clock: FakeClock, flow: OAuthFlow
    ) -> None:
        """JWT bearer and client credentials yield the tenant's org, user, instance and the api scope only."""
        config = config_for(org, 0, flow=flow)
        grant = log_in(org, config, session, clock=clock)
        handle = org.handles[0]
        assert (grant.org_id, grant.user_id, grant.instance_url) == (handle.org_id, handle.user_id, org.instance_url)
        assert grant.scopes == ("api",)
        assert grant.id_url.endswith(f"/id/{handle.org_id}/{handle.user_id}")
        assert verify_grant(grant, config, session) is grant
        assert data_call(org, grant.access_token) == 200

    def test_every_call_is_tagged_and_keeps_credentials_out_of_urls(
        self, org: EmbeddedOrg, session: requests.Session, calls: Recorder, clock: FakeClock
    ) -> None:
        """Each call sends Sforce-Call-Options and its own 32-hex request id; no token or secret is in a URL."""
        config = config_for(org)
        grant = verify_grant(log_in(org, config, session, clock=clock), config, session)
        revoke(grant, config, session)
        assert len(calls.requests) == 3  # token, user check, revoke
        ids = [request.headers["X-SFDC-REQUEST-ID"] for request in calls.requests]
        assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids) and len(set(ids)) == 3
        assert {request.headers["Sforce-Call-Options"] for request in calls.requests} == {CALL_OPTIONS}
        secret = org.handles[0].client_secret
        assert not any(secret in (r.url or "") or grant.access_token.reveal() in (r.url or "") for r in calls.requests)

    def test_a_wrong_secret_is_refused_once_without_retry(
        self, org: EmbeddedOrg, session: requests.Session, calls: Recorder, policy: RequestPolicy, sleeps: list[float]
    ) -> None:
        """invalid_client is an AuthenticationError with the code and request id; the endpoint is asked once."""
        with pytest.raises(AuthenticationError, match="invalid_client") as caught:
            client_credentials(config_for(org), Secret("not-the-secret"), session, policy=policy)
        assert (caught.value.error_code, caught.value.tenant) == ("invalid_client", "tenant-0")
        assert caught.value.request_id == calls.requests[0].headers["X-SFDC-REQUEST-ID"]
        assert (calls.count(), sleeps) == (1, [])

    def test_a_key_whose_certificate_is_not_registered_is_invalid_grant(
        self, org: EmbeddedOrg, session: requests.Session, calls: Recorder, clock: FakeClock
    ) -> None:
        """An assertion signed with another org's key is refused (never retried), and the message says what to check."""
        config = config_for(org, 0, flow=JWT)
        with pytest.raises(AuthenticationError, match=r"invalid_grant.*certificate") as caught:
            jwt_bearer(config, Secret(org.jwt_private_key(1)), session, clock=clock)
        assert caught.value.error_code == "invalid_grant" and calls.count() == 1

    @pytest.mark.parametrize("kind", ["garbage", "small-rsa", "ec"])
    def test_an_unusable_private_key_is_a_configuration_error(
        self, org: EmbeddedOrg, session: requests.Session, calls: Recorder, kind: str
    ) -> None:
        """Garbage, an RSA key under 2048 bits or an EC key is refused before anything is sent, without key bytes."""
        pem = unusable_key(kind)
        with pytest.raises(ConfigurationError, match="not an unencrypted PEM RSA key") as caught:
            jwt_bearer(config_for(org, 0, flow=JWT), Secret(pem), session)
        text = "".join(traceback.format_exception(caught.value))
        assert pem.decode().splitlines()[1] not in text and calls.count() == 0

    def test_tls_must_be_verified(self, org: EmbeddedOrg) -> None:
        """A session with verify=False is refused; one that does not trust the server fails without retry."""
        with requests.Session() as insecure:
            insecure.verify = False
            with pytest.raises(ConfigurationError, match="does not verify TLS"):
                client_credentials(config_for(org), Secret("x"), insecure)
        sleeps: list[float] = []
        with requests.Session() as untrusting:
            untrusting.trust_env = False
            with pytest.raises(SalesforceError, match="TLS verification") as caught:
                client_credentials(config_for(org), Secret("x"), untrusting, policy=RequestPolicy(sleep=sleeps.append))
        assert not isinstance(caught.value, TransientError) and caught.value.error_code == "TLS" and sleeps == []

    def test_bad_arguments_are_programming_errors(self, org: EmbeddedOrg, session: requests.Session) -> None:
        """Another flow than the tenant's, a plain-string secret or a foreign config raise ValueError or TypeError."""
        with pytest.raises(ValueError, match="logs in with client_credentials, not jwt_bearer"):
            jwt_bearer(config_for(org, 0, flow=CC), Secret(org.jwt_private_key(0)), session)
        with pytest.raises(TypeError, match="client_secret must be a Secret"):
            client_credentials(config_for(org), org.handles[0].client_secret, session)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="config must be a TenantConfig"):
            client_credentials({"tenant": "x"}, Secret("x"), session)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="expected a Grant, AccessToken or Secret"):
            revoke("00D!token", config_for(org), session)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="attempts must be 1 to 10"):
            RequestPolicy(attempts=0)
        with pytest.raises(ValueError, match="positive"):
            RequestPolicy(read_timeout=0)


class TestVerifyGrant:
    @pytest.mark.parametrize("flow", [JWT, CC])
    def test_a_token_of_another_org_is_revoked_and_refused(
        self, org: EmbeddedOrg, session: requests.Session, clock: FakeClock, flow: OAuthFlow
    ) -> None:
        """Org B's token obtained for tenant A is a TenantMismatchError, and the token no longer works anywhere."""
        config = misbound(org, flow)
        grant = log_in(org, config, session, index=1, clock=clock)
        assert grant.org_id == org.handles[1].org_id
        with pytest.raises(TenantMismatchError, match=r"belongs to org .* the token was revoked") as caught:
            verify_grant(grant, config, session)
        assert caught.value.error_code == "TENANT_MISMATCH"
        assert not is_active(org, grant.access_token)
        assert data_call(org, grant.access_token) == 401

    def test_an_over_scoped_token_is_revoked_and_refused(self, overscoped: EmbeddedOrg, clock: FakeClock) -> None:
        """Scopes beyond the allowed ones (full, refresh_token) raise ScopeError naming them; the token is revoked."""
        config = config_for(overscoped)
        with overscoped.session() as session:
            grant = log_in(overscoped, config, session, clock=clock)
            with pytest.raises(ScopeError, match=r"\(full, refresh_token\).* the token was revoked"):
                verify_grant(grant, config, session)
        assert not is_active(overscoped, grant.access_token)

    def test_scopes_allowed_on_purpose_pass(self, overscoped: EmbeddedOrg, clock: FakeClock) -> None:
        """A tenant that allows the extra scopes explicitly accepts the token."""
        config = config_for(overscoped, allowed_scopes=("api", "full", "refresh_token"))
        with overscoped.session() as session:
            grant = verify_grant(log_in(overscoped, config, session, clock=clock), config, session)
        assert grant.scopes == ("api", "full", "refresh_token")

    def test_a_token_of_another_user_is_revoked_and_refused(
        self, org: EmbeddedOrg, session: requests.Session, clock: FakeClock
    ) -> None:
        """A run-as user other than the configured integration user is an AuthenticationError; the token is revoked."""
        config = config_for(org, integration_username="sales@org0.example")
        grant = log_in(org, config, session, clock=clock)
        with pytest.raises(AuthenticationError, match=r"not to the integration user sales@org0\.example") as caught:
            verify_grant(grant, config, session)
        assert caught.value.error_code == "WRONG_USER" and not is_active(org, grant.access_token)

    def test_a_pinned_instance_must_match(self, org: EmbeddedOrg, session: requests.Session, clock: FakeClock) -> None:
        """A tenant whose instance_url is pinned refuses a token naming another instance, before using it."""
        config = config_for(org, instance_url="https://acme.my.salesforce.com")
        grant = log_in(org, config, session, clock=clock)
        with pytest.raises(TenantMismatchError, match="names instance") as caught:
            verify_grant(grant, config, session)
        assert caught.value.error_code == "INSTANCE_MISMATCH" and not is_active(org, grant.access_token)

    def test_a_dead_token_fails_the_user_check(
        self, org: EmbeddedOrg, session: requests.Session, clock: FakeClock, sleeps: list[float], policy: RequestPolicy
    ) -> None:
        """A token revoked before verification gets 401 on the user check: AuthenticationError, not retried."""
        config = config_for(org)
        grant = log_in(org, config, session, clock=clock)
        assert revoke(grant, config, session)
        with pytest.raises(AuthenticationError, match="INVALID_SESSION_ID"):
            verify_grant(grant, config, session, policy=policy)
        assert sleeps == []

    def test_revoking_an_unknown_token_says_so(self, org: EmbeddedOrg, session: requests.Session) -> None:
        """Salesforce's invalid_token answer to a revocation is reported as False, not raised."""
        assert revoke(Secret("00D000000000000!unknown"), config_for(org), session) is False


class TestTokenManager:
    def test_the_token_is_reused_for_a_day_then_rotated_and_the_old_one_revoked(
        self, org: EmbeddedOrg, session: requests.Session, calls: Recorder, store: TokenStore, clock: FakeClock
    ) -> None:
        """Within the lifetime the stored token is reused; at 24 hours a new one replaces it and the old is revoked."""
        config = config_for(org, 0, flow=JWT)
        store_credentials(store, config, org)
        manager = TokenManager(config, store, session, clock=clock)
        first = manager.get_token()
        clock.advance(timedelta(hours=23, minutes=59))
        assert manager.get_token() is first and calls.count() == 1
        clock.advance(timedelta(minutes=1))
        second = manager.get_token()
        assert second.secret != first.secret and calls.count() == 2
        assert not is_active(org, first.secret) and is_active(org, second.secret)
        ref = TokenRef(
            tenant=config.tenant,
            org_id=config.org_id,
            user_id=second.user_id,
            client_id=config.client_id,
            kind=TokenKind.ACCESS_TOKEN,
        )
        stored = store.get(ref)
        assert (stored.secret, stored.expires_at, stored.instance_url) == (
            second.secret,
            clock() + timedelta(hours=24),
            org.instance_url,
        )

    def test_a_new_manager_reuses_the_stored_token(
        self, org: EmbeddedOrg, session: requests.Session, calls: Recorder, store: TokenStore, clock: FakeClock
    ) -> None:
        """A process restarted on the same token store logs in only when the stored token has aged out."""
        config = config_for(org)
        store_credentials(store, config, org)
        first = TokenManager(config, store, session, clock=clock).get_token()
        again = TokenManager(config, store, session, clock=clock).get_token()
        assert again.secret == first.secret and calls.count() == 1

    def test_eight_threads_with_the_same_dead_token_cause_one_refresh(
        self, org: EmbeddedOrg, session: requests.Session, calls: Recorder, store: TokenStore, clock: FakeClock
    ) -> None:
        """Eight threads get 401 with one token and invalidate it; the token endpoint is called once between them."""
        config = config_for(org)
        store_credentials(store, config, org)
        manager = TokenManager(config, store, session, clock=clock)
        dead = manager.get_token()
        revoke(dead, config, session)
        before = calls.count()
        barrier = threading.Barrier(8)

        def worker(_: int) -> tuple[int, int, bool]:
            token = manager.get_token()
            barrier.wait()
            refused = data_call(org, token.secret)
            invalidated = manager.invalidate(token)
            return refused, data_call(org, manager.get_token().secret), invalidated

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(worker, range(8)))
        assert [r[:2] for r in results] == [(401, 200)] * 8
        assert sum(r[2] for r in results) == 1
        assert calls.count() - before == 1

    def test_invalidating_a_replaced_or_foreign_token_does_nothing(
        self, org: EmbeddedOrg, session: requests.Session, calls: Recorder, store: TokenStore, clock: FakeClock
    ) -> None:
        """Only the current token can be invalidated, and only once; anything else is ignored."""
        config = config_for(org)
        store_credentials(store, config, org)
        manager = TokenManager(config, store, session, clock=clock)
        token = manager.get_token()
        assert manager.invalidate(Secret("something else")) is False
        assert manager.invalidate(token) is True
        assert manager.invalidate(token) is False
        renewed = manager.get_token()
        assert manager.invalidate(token) is False and manager.get_token() is renewed and calls.count() == 2

    def test_a_refused_login_is_audited_and_nothing_is_stored(
        self, org: EmbeddedOrg, session: requests.Session, store: TokenStore, clock: FakeClock
    ) -> None:
        """A tenant mismatch emits OperationBlocked with the error, and no access token lands in the store."""
        config = misbound(org, CC)
        store_credentials(store, config, org, index=1)
        audit = AuditPipeline(sinks=[InMemoryAuditSink()])
        manager = TokenManager(config, store, session, clock=clock, audit=audit)
        with capture_audit(audit) as events, pytest.raises(TenantMismatchError) as caught:
            manager.get_token()
        assert len(events) == 1 and isinstance(events[0], OperationBlocked)
        event = events[0]
        assert (event.tenant, event.org_id, event.operation, event.error_type) == (
            "tenant-0",
            config.org_id,
            "oauth_login",
            "TenantMismatchError",
        )
        assert event.message == str(caught.value)
        assert [r.kind for r in store.list_refs()] == [TokenKind.CLIENT_SECRET, TokenKind.PRIVATE_KEY]

    def test_a_missing_credential_names_what_to_store(
        self, org: EmbeddedOrg, session: requests.Session, store: TokenStore, clock: FakeClock
    ) -> None:
        """Without the private key in the token store the manager says which secret to put there."""
        manager = TokenManager(config_for(org, 0, flow=JWT), store, session, clock=clock)
        with pytest.raises(TokenStoreError, match="no private key of tenant 'tenant-0'"):
            manager.get_token()

    def test_bad_arguments_are_type_errors(self, org: EmbeddedOrg, session: requests.Session) -> None:
        """A manager needs a TokenStore and, if any, an AuditPipeline."""
        with pytest.raises(TypeError, match="TokenStore"):
            TokenManager(config_for(org), {}, session)  # type: ignore[arg-type]
        with (
            TokenStore.in_memory(EnvelopeCipher(InMemoryKeyProvider())) as store,
            pytest.raises(TypeError, match="AuditPipeline"),
        ):
            TokenManager(config_for(org), store, session, audit=print)  # type: ignore[arg-type]


class TestTransientFailures:
    def test_one_failed_token_request_is_retried(
        self, org: EmbeddedOrg, session: requests.Session, calls: Recorder, policy: RequestPolicy, sleeps: list[float]
    ) -> None:
        """A 503 maintenance page from the token endpoint is retried after a backoff, and the login succeeds."""
        session.mount(org.instance_url, FlakyTokenEndpoint(1))
        grant = client_credentials(config_for(org), Secret(org.handles[0].client_secret), session, policy=policy)
        assert grant.org_id == org.handles[0].org_id
        assert calls.count() == 2 and len(sleeps) == 1

    @pytest.mark.parametrize(("status", "code"), [(503, "503"), (500, "500"), (429, "429"), (None, "ConnectionError")])
    def test_a_failing_token_endpoint_is_a_transient_error_after_the_attempts(
        self,
        org: EmbeddedOrg,
        session: requests.Session,
        policy: RequestPolicy,
        sleeps: list[float],
        status: int | None,
        code: str,
    ) -> None:
        """5xx, 429 and dropped connections are retried with growing waits, then raised as TransientError."""
        flaky = FlakyTokenEndpoint(10, status=status)
        session.mount(org.instance_url, flaky)
        with pytest.raises(TransientError, match="gave up after 4 attempts") as caught:
            client_credentials(config_for(org), Secret(org.handles[0].client_secret), session, policy=policy)
        assert caught.value.error_code == code and caught.value.request_id
        assert flaky.failures == 6 and len(sleeps) == 3 and all(0 < s <= 0.1 for s in sleeps)

    @pytest.mark.parametrize(
        "kind",
        [
            FaultKind.SERVER_ERROR,
            FaultKind.REQUEST_LIMIT,
            FaultKind.NON_JSON_BODY,
            FaultKind.TRUNCATED_BODY,
            FaultKind.CONNECTION_RESET,
        ],
    )
    def test_a_failed_user_check_is_retried(
        self,
        faults: EmbeddedOrg,
        session: requests.Session,
        policy: RequestPolicy,
        sleeps: list[float],
        clock: FakeClock,
        kind: FaultKind,
    ) -> None:
        """The embedded org's transient faults on the user check cost one retry, and the grant verifies."""
        config = config_for(faults)
        grant = log_in(faults, config, session, clock=clock)
        faults.inject(kind, org=0, nth=1)
        assert verify_grant(grant, config, session, policy=policy) is grant
        assert len(sleeps) == 1

    def test_a_user_check_that_keeps_failing_revokes_the_token(
        self,
        faults: EmbeddedOrg,
        session: requests.Session,
        policy: RequestPolicy,
        sleeps: list[float],
        clock: FakeClock,
    ) -> None:
        """When every attempt fails, the unverified token is revoked and TransientError is raised."""
        config = config_for(faults)
        grant = log_in(faults, config, session, clock=clock)
        faults.inject(FaultKind.SERVER_ERROR, org=0, nth=1, times=None)
        with pytest.raises(TransientError, match=r"UNKNOWN_EXCEPTION.*gave up after 4 attempts"):
            verify_grant(grant, config, session, policy=policy)
        faults.clear_faults(0)
        assert len(sleeps) == 3 and not is_active(faults, grant.access_token)

    def test_an_expired_session_on_the_user_check_is_not_retried(
        self,
        faults: EmbeddedOrg,
        session: requests.Session,
        policy: RequestPolicy,
        sleeps: list[float],
        clock: FakeClock,
    ) -> None:
        """A 401 INVALID_SESSION_ID is a refusal: AuthenticationError at once."""
        config = config_for(faults)
        grant = log_in(faults, config, session, clock=clock)
        faults.inject(FaultKind.EXPIRED_SESSION, org=0, nth=1)
        with pytest.raises(AuthenticationError, match="INVALID_SESSION_ID"):
            verify_grant(grant, config, session, policy=policy)
        assert sleeps == []


class TestTokenEndpointFaults:
    """The embedded org's own token-endpoint faults: transient ones are retried, a refusal never is."""

    @pytest.mark.parametrize(
        ("kind", "status"),
        [
            (FaultKind.SERVER_ERROR, 500),
            (FaultKind.SERVER_ERROR, 503),
            (FaultKind.NON_JSON_BODY, 500),
            (FaultKind.TRUNCATED_BODY, 500),
            (FaultKind.CONNECTION_RESET, 500),
        ],
    )
    @pytest.mark.parametrize("flow", [CC, JWT])
    def test_a_transient_token_failure_is_retried(
        self,
        faults: EmbeddedOrg,
        session: requests.Session,
        calls: Recorder,
        policy: RequestPolicy,
        sleeps: list[float],
        clock: FakeClock,
        kind: FaultKind,
        status: int,
        flow: OAuthFlow,
    ) -> None:
        """A 5xx, garbled body or reset from the token endpoint costs one backoff, and the login succeeds."""
        faults.inject(kind, endpoint="token", nth=1, status=status)
        grant = log_in(faults, config_for(faults, flow=flow), session, clock=clock, policy=policy)
        assert grant.org_id == faults.handles[0].org_id
        assert len(sleeps) == 1 and calls.count() <= 2  # a reset leaves no response for the recorder

    def test_a_token_endpoint_timeout_is_retried(
        self, faults: EmbeddedOrg, session: requests.Session, sleeps: list[float], clock: FakeClock
    ) -> None:
        """An answer slower than the read timeout is a timeout, retried like any transient failure."""
        faults.inject(FaultKind.LATENCY, endpoint="token", nth=1, seconds=0.5)
        hasty = RequestPolicy(read_timeout=0.1, backoff=0.01, max_backoff=0.05, sleep=sleeps.append)
        grant = log_in(faults, config_for(faults), session, clock=clock, policy=hasty)
        assert grant.org_id == faults.handles[0].org_id and len(sleeps) == 1

    def test_a_token_endpoint_that_stays_down_is_a_transient_error(
        self, faults: EmbeddedOrg, session: requests.Session, policy: RequestPolicy, sleeps: list[float]
    ) -> None:
        """After every attempt fails the login raises TransientError with the status, having slept between tries."""
        faults.inject(FaultKind.SERVER_ERROR, endpoint="token", nth=1, times=None)
        with pytest.raises(TransientError, match=r"HTTP 500 unknown_error.*gave up after 4 attempts"):
            log_in(faults, config_for(faults), session, policy=policy)
        assert len(sleeps) == 3

    @pytest.mark.parametrize("flow", [CC, JWT])
    def test_an_auth_refusal_is_never_retried(
        self,
        faults: EmbeddedOrg,
        session: requests.Session,
        calls: Recorder,
        policy: RequestPolicy,
        sleeps: list[float],
        clock: FakeClock,
        flow: OAuthFlow,
    ) -> None:
        """invalid_grant from the token endpoint is an AuthenticationError at once: one call, no backoff."""
        faults.inject(FaultKind.INVALID_GRANT, endpoint="token", nth=1)
        with pytest.raises(AuthenticationError, match="invalid_grant"):
            log_in(faults, config_for(faults, flow=flow), session, clock=clock, policy=policy)
        assert calls.count() == 1 and sleeps == []

    def test_the_token_manager_retries_outages_and_audits_refusals(
        self,
        faults: EmbeddedOrg,
        session: requests.Session,
        calls: Recorder,
        policy: RequestPolicy,
        sleeps: list[float],
        clock: FakeClock,
    ) -> None:
        """Two 503s cost the manager two backoffs; a later invalid_grant is audited, stored nothing, not retried."""
        config = config_for(faults)
        sink = InMemoryAuditSink()
        with TokenStore.in_memory(EnvelopeCipher(InMemoryKeyProvider()), clock=clock) as store:
            store_credentials(store, config, faults)
            manager = TokenManager(
                config, store, session, clock=clock, policy=policy, audit=AuditPipeline(sinks=[sink])
            )
            faults.inject(FaultKind.SERVER_ERROR, endpoint="token", nth=1, times=2, status=503)
            token = manager.get_token()
            assert len(sleeps) == 2 and calls.count() == 3
            manager.invalidate(token)
            faults.clear_faults(0)
            faults.inject(FaultKind.INVALID_GRANT, endpoint="token", nth=1)
            with pytest.raises(AuthenticationError):
                manager.get_token()
        assert len(sleeps) == 2 and calls.count() == 4
        blocked = [e for e in sink.events if isinstance(e, OperationBlocked)]
        assert [(e.operation, e.error_type) for e in blocked] == [("oauth_login", "AuthenticationError")]


class TestMalformedAnswers:
    def test_an_oversized_answer_is_refused_without_retry(
        self, org: EmbeddedOrg, session: requests.Session, policy: RequestPolicy, sleeps: list[float]
    ) -> None:
        """A 200 answer longer than any token response is not read to the end, not parsed and not retried."""
        session.mount(org.instance_url, FlakyTokenEndpoint(1, status=200, body=b"{" + b" " * 100_000 + b"}"))
        with pytest.raises(SalesforceError, match="exceeds") as caught:
            client_credentials(config_for(org), Secret(org.handles[0].client_secret), session, policy=policy)
        assert caught.value.error_code == "BODY_TOO_LARGE" and not isinstance(caught.value, TransientError)
        assert sleeps == []

    def test_an_oversized_error_page_still_counts_by_its_status(
        self, org: EmbeddedOrg, session: requests.Session, policy: RequestPolicy
    ) -> None:
        """A long 503 maintenance page is a transient failure like a short one."""
        session.mount(org.instance_url, FlakyTokenEndpoint(1, body=b"<html>" + b"x" * 100_000))
        assert client_credentials(config_for(org), Secret(org.handles[0].client_secret), session, policy=policy)

    @pytest.mark.parametrize(
        ("answer", "problem"),
        [
            ({"instance_url": "https://x.example", "scope": "api"}, "id is not an https identity URL"),
            (
                {"id": "https://x.example/id/00D/005", "instance_url": "https://x.example", "scope": "api"},
                "/id/<org id>",
            ),
            ({"id": "https://x.example/id/00D5i00000CIhxb/0055i00000AbCdE", "scope": "api"}, "instance_url is missing"),
            (
                {
                    "id": "https://x.example/id/00D5i00000CIhxb/0055i00000AbCdE",
                    "instance_url": "http://x",
                    "scope": "api",
                },
                "instance_url is not an https origin",
            ),
        ],
    )
    def test_a_malformed_token_response_is_refused_and_its_token_revoked(
        self, org: EmbeddedOrg, session: requests.Session, calls: Recorder, answer: dict[str, str], problem: str
    ) -> None:
        """A token response without a usable id URL, instance or scope is an error naming the field, not the token."""
        body = json.dumps({"access_token": "00D5i00000CIhxb!NotToBeShown", **answer}).encode()
        session.mount(org.instance_url, FlakyTokenEndpoint(1, status=200, body=body))
        with pytest.raises(SalesforceError, match=re.escape(problem)) as caught:
            client_credentials(config_for(org), Secret(org.handles[0].client_secret), session)
        assert caught.value.error_code == "MALFORMED_RESPONSE" and "NotToBeShown" not in str(caught.value)
        assert calls.count("/services/oauth2/revoke") == 1


class TestNothingLeaks:
    def test_no_token_secret_or_key_reaches_logs_errors_or_reprs(
        self,
        org: EmbeddedOrg,
        overscoped: EmbeddedOrg,
        session: requests.Session,
        store: TokenStore,
        clock: FakeClock,
        policy: RequestPolicy,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """Logs at DEBUG (urllib3's included), error texts with their tracebacks and reprs hold no credential."""
        caplog.set_level(logging.DEBUG)
        shown: list[str] = []

        def expect_failure(call: Any) -> None:
            with pytest.raises(ShieldError) as caught:
                call()
            shown.extend([str(caught.value), repr(caught.value), "".join(traceback.format_exception(caught.value))])

        config = config_for(org, 0, flow=JWT)
        store_credentials(store, config, org)
        manager = TokenManager(config, store, session, clock=clock)
        token = manager.get_token()
        manager.invalidate(token)
        shown += [repr(manager), repr(token), repr(manager.get_token()), repr(store)]
        shown.append(repr(verify_grant(log_in(org, config, session, clock=clock), config, session)))
        expect_failure(lambda: verify_grant(log_in(org, misbound(org, CC), session, 1), misbound(org, CC), session))
        expect_failure(lambda: client_credentials(config_for(org), Secret(org.handles[1].client_secret), session))
        with overscoped.session() as other:
            expect_failure(
                lambda: verify_grant(log_in(overscoped, config_for(overscoped), other), config_for(overscoped), other)
            )
        session.mount(org.instance_url, FlakyTokenEndpoint(10))
        expect_failure(
            lambda: client_credentials(config_for(org), Secret(org.handles[0].client_secret), session, policy=policy)
        )
        text = "\n".join([*shown, caplog.text, *(r.getMessage() for r in caplog.records)])
        issued = [
            t for running in (org, overscoped) for i in range(len(running.handles)) for t in running.org(i).sessions
        ]
        credentials = [h.client_secret for running in (org, overscoped) for h in running.handles]
        key_lines = [line for i in range(2) for line in org.jwt_private_key(i).decode().splitlines() if len(line) > 40]
        assert len(issued) >= 8 and caplog.records  # the handles' tokens and the five issued here
        assert [s for s in [*issued, *credentials, *key_lines] if s in text] == []

    def test_secret_holders_cannot_be_pickled(
        self, org: EmbeddedOrg, session: requests.Session, store: TokenStore, clock: FakeClock
    ) -> None:
        """Grants, access tokens and managers refuse pickling, so no token travels to another process."""
        config = config_for(org)
        store_credentials(store, config, org)
        manager = TokenManager(config, store, session, clock=clock)
        for holder in (log_in(org, config, session, clock=clock), manager.get_token(), manager):
            with pytest.raises(TypeError, match="cannot be pickled"):
                pickle.dumps(holder)
        assert isinstance(manager.get_token(), AccessToken)


class TestTranslateError:
    @pytest.mark.parametrize("cls", REQUESTS_ERRORS, ids=lambda cls: cls.__name__)
    def test_every_requests_exception_is_mapped(self, cls: type[BaseException]) -> None:
        """Each exception class requests can raise becomes a ShieldError, stays chained and says only its class."""
        try:
            exc = cls("https://acme.example/services/oauth2/token failed")
        except TypeError:
            exc = cls("Expecting value", "<html>", 0)
        with pytest.raises(ShieldError) as caught, translate_errors(tenant="acme", request_id="r1"):
            raise exc
        assert caught.value.__cause__ is exc and "<html>" not in str(caught.value)

    @pytest.mark.parametrize("exc", FOREIGN_ERRORS, ids=lambda exc: type(exc).__name__)
    def test_every_simple_salesforce_exception_is_mapped_without_its_body(self, exc: Exception) -> None:
        """simple-salesforce's errors become sfshield errors that hold neither the body nor a chained cause."""
        with pytest.raises(SalesforceError) as caught, translate_errors(tenant="acme"):
            raise exc
        assert "SECRET" not in "".join(traceback.format_exception(caught.value))
        assert caught.value.__cause__ is None and caught.value.__suppress_context__

    def test_the_simple_salesforce_module_is_covered(self) -> None:
        """The cases above include every exception class simple-salesforce defines."""
        defined = {name for name, cls in inspect.getmembers(foreign, inspect.isclass) if issubclass(cls, Exception)}
        assert {type(exc).__name__ for exc in FOREIGN_ERRORS} == defined

    @pytest.mark.parametrize(
        ("status", "code", "expected"),
        [
            (500, "UNKNOWN_EXCEPTION", TransientError),
            (503, None, TransientError),
            (429, None, TransientError),
            (403, "REQUEST_LIMIT_EXCEEDED", TransientError),
            (400, "UNABLE_TO_LOCK_ROW", TransientError),
            (401, "INVALID_SESSION_ID", AuthenticationError),
            (400, "MALFORMED_QUERY", SalesforceError),
            (403, "INSUFFICIENT_ACCESS", SalesforceError),
            (404, "NOT_FOUND", SalesforceError),
        ],
    )
    def test_statuses_and_codes_map_to_one_error_each(
        self, status: int, code: str | None, expected: type[SalesforceError]
    ) -> None:
        """The table of transient, refused and other answers, as simple-salesforce reports them."""
        content = [{"errorCode": code, "message": "x"}] if code else "<html>"
        error = translate_error(foreign.SalesforceError("u", status, "query", content), tenant="acme")
        assert type(error) is expected
        assert error.error_code == (code or str(status))

    def test_an_error_code_that_is_not_one_is_dropped(self) -> None:
        """A code with spaces or markup is not echoed into the message."""
        error = translate_error(foreign.SalesforceError("u", 400, "q", [{"errorCode": "<b>Tok 00D!x</b>"}]))
        assert isinstance(error, SalesforceError) and "00D!x" not in str(error) and error.error_code == "400"

    def test_other_exceptions_pass_through(self) -> None:
        """translate_errors leaves sfshield and unrelated exceptions alone; translate_error refuses the latter."""
        with pytest.raises(KeyError), translate_errors():
            raise KeyError("x")
        mine = ScopeError("x")
        with pytest.raises(ScopeError) as caught, translate_errors():
            raise mine
        assert caught.value is mine and translate_error(mine) is mine
        with pytest.raises(TypeError, match="not ValueError"):
            translate_error(ValueError("x"))
