"""OAuth done by sfshield: log a tenant in, prove the token belongs to the tenant, and keep one valid token.

:func:`jwt_bearer` and :func:`client_credentials` perform the two server-to-server flows with a ``requests.Session``
and return a :class:`Grant`. A grant is *unverified* until :func:`verify_grant` has checked it against the tenant:
the org named by its ``id`` URL must be the tenant's org, its scopes must be among the tenant's allowed scopes, and
its user must be the tenant's integration user. A grant that fails a check is revoked before the error is raised,
so a token meant for another org is never used for data. :class:`TokenManager` is the safe recipe on top: it logs
in, verifies, keeps the token encrypted in the :class:`~sfshield.crypto.TokenStore`, replaces it when it is older
than the tenant's token lifetime (revoking the old one), and lets many threads share one refresh.

Every call is made over verified TLS with a timeout, and carries ``Sforce-Call-Options: client=sfshield`` and a
fresh ``X-SFDC-REQUEST-ID`` (32 hex characters) so that it can be found in the org's event logs. Failures are
translated at one boundary (:func:`translate_error`): refusals (``invalid_grant``, ``invalid_client``, 401) become
:class:`~sfshield.exceptions.AuthenticationError` and are never retried; connection errors, timeouts, 5xx, 429 and
non-JSON maintenance pages are retried with exponential backoff and become
:class:`~sfshield.exceptions.TransientError` once the attempts run out. Messages carry the HTTP status,
Salesforce's error code and the request id, never a response body, a token, a secret or a key.

Retries respect the org's API allowance: the ``Sforce-Limit-Info`` header (``api-usage=N/M``) of each answer is
read into an :class:`ApiUsage`, and after ``REQUEST_LIMIT_EXCEEDED``, or while usage is at or above the
:class:`RequestPolicy`'s ``usage_threshold``, the wait before the next attempt grows toward ``max_backoff``
(:meth:`RequestPolicy.limit_wait`) instead of hammering an org that is out of requests.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, NoReturn
from urllib.parse import quote, urlsplit

import requests
import tenacity
import urllib3.exceptions
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from sfshield._logging import get_logger
from sfshield.audit.events import OperationBlocked, TokenIssued, TokenRevoked
from sfshield.audit.pipeline import AuditPipeline
from sfshield.crypto.tokens import TokenKind, TokenRef, TokenStore
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
from sfshield.salesforce.tenancy import OAuthFlow, TenantConfig, _https_origin, _id18
from sfshield.secret import Secret

__all__ = [
    "CALL_OPTIONS",
    "AccessToken",
    "ApiUsage",
    "Grant",
    "RequestPolicy",
    "TokenManager",
    "client_credentials",
    "jwt_bearer",
    "revoke",
    "translate_error",
    "translate_errors",
    "verify_grant",
]

_log = get_logger(__name__)

CALL_OPTIONS: Final = "client=sfshield"
"""The ``Sforce-Call-Options`` value sent with every call (it shows as CLIENT_NAME in ApiTotalUsage logs)."""

_API_VERSION: Final = "66.0"
_JWT_GRANT: Final = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_ASSERTION_LIFETIME: Final = timedelta(minutes=2)  # Salesforce refuses an exp more than ~3 minutes ahead
_MIN_RSA_BITS: Final = 2048
_MAX_BODY: Final = 64 * 1024  # token, revoke and one-row query answers are small; anything bigger is refused
_ERROR_CODE: Final = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_ID_PATH: Final = re.compile(r"/id/(00D[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?)/(005[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?)/?")
_REQUEST_LIMIT: Final = "REQUEST_LIMIT_EXCEEDED"
_TRANSIENT_CODES: Final = frozenset({_REQUEST_LIMIT, "UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE"})
_LIMIT_INFO: Final = "Sforce-Limit-Info"
_API_USAGE: Final = re.compile(r"(?:^|[;,\s])api-usage=(\d{1,12})/(\d{1,12})")
_MAX_LIMIT_INFO: Final = 512  # the header is a few dozen characters; a longer one is not parsed
_KEY_HINT: Final = "check the client id and the client secret or private key stored for the tenant"
_HINTS: Final = {
    "invalid_grant": (
        "check the integration username, that the user is pre-authorised for the app (profile or permission set), "
        "the certificate uploaded to the app, this host's clock, and that login_url is the org's My Domain URL"
    ),
    "invalid_client": _KEY_HINT,
    "invalid_client_id": _KEY_HINT,
    "unsupported_grant_type": "enable this flow (JWT bearer or client credentials) on the External Client App",
    "INVALID_SESSION_ID": "the token is no longer valid; obtain a new one",
}


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ApiUsage:
    """The org's API requests as Salesforce last reported them (``Sforce-Limit-Info: api-usage=used/limit``).

    Salesforce counts requests per org over a rolling 24 hours; every REST answer except the versions list says
    where the org stands. It is an org-wide count, not this client's.

    Attributes:
        used: requests made in the window.
        limit: requests allowed in the window.
    """

    used: int
    limit: int

    def __str__(self) -> str:
        return f"{self.used}/{self.limit} ({self.share:.0%})"

    @property
    def share(self) -> float:
        """``used / limit``: 1.0 or more means the allowance is spent."""
        return self.used / self.limit

    @classmethod
    def from_header(cls, value: str | None, /) -> ApiUsage | None:
        """Parse a ``Sforce-Limit-Info`` value; ``None`` if it is absent, too long or has no usable ``api-usage``."""
        if not value or len(value) > _MAX_LIMIT_INFO:
            return None
        match = _API_USAGE.search(value)
        if match is None or int(match.group(2)) == 0:
            return None
        return cls(int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestPolicy:
    """Timeouts and retries of the calls this module makes.

    Attributes:
        connect_timeout: seconds to wait for a connection.
        read_timeout: seconds to wait for an answer.
        attempts: how many times a call is made before a transient failure becomes a ``TransientError``.
        backoff: the first wait between attempts, in seconds; it doubles each time (plus up to as much jitter).
        max_backoff: the longest wait between attempts (jitter aside), whatever the cause.
        usage_threshold: the share of the org's API requests (``Sforce-Limit-Info``) from which a warning is
            logged and retries wait longer (see :meth:`limit_wait`).
        limit_backoff: the shortest wait before retrying under API-limit pressure; bounded by ``max_backoff``.
        sleep: how to wait (a seam for tests, which must not sleep).

    Raises:
        ValueError: a timeout or wait is not positive, ``attempts`` is not 1 to 10, or ``usage_threshold`` is not
            between 0 and 1 (exclusive).
    """

    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    attempts: int = 4
    backoff: float = 0.5
    max_backoff: float = 8.0
    usage_threshold: float = 0.95
    limit_backoff: float = 4.0
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        waits = (self.connect_timeout, self.read_timeout, self.backoff, self.max_backoff, self.limit_backoff)
        if min(waits) <= 0:
            raise ValueError("timeouts and waits must be positive numbers of seconds")
        if not 1 <= self.attempts <= 10:
            raise ValueError("attempts must be 1 to 10")
        if not 0 < self.usage_threshold < 1:
            raise ValueError("usage_threshold is a share of the API allowance: more than 0 and less than 1")

    def limit_wait(self, usage: ApiUsage | None, /, *, limited: bool = False) -> float:
        """How long to wait before the next attempt because of the org's API usage; ``0.0`` if it is not high.

        Under pressure — the answer was ``REQUEST_LIMIT_EXCEEDED`` (``limited``), or ``usage`` is at or above
        ``usage_threshold`` — the wait starts at ``limit_backoff`` at the threshold and grows linearly to
        ``max_backoff`` at the limit. A refusal with no known usage waits ``max_backoff``. The result never
        exceeds ``max_backoff``.
        """
        if usage is None:
            return self.max_backoff if limited else 0.0
        if not limited and usage.share < self.usage_threshold:
            return 0.0
        pressure = min(1.0, max(0.0, (usage.share - self.usage_threshold) / (1 - self.usage_threshold)))
        low = min(self.limit_backoff, self.max_backoff)
        return low + (self.max_backoff - low) * pressure


_DEFAULT_POLICY: Final = RequestPolicy()


@dataclass(frozen=True, slots=True, kw_only=True)
class Grant:
    """A token response from Salesforce: unverified until :func:`verify_grant` accepts it.

    Its ``repr`` omits the token, and it cannot be pickled.

    Attributes:
        access_token: the access token.
        instance_url: the org's instance (``https://acme.my.salesforce.com``).
        id_url: the identity URL (``https://login.salesforce.com/id/00D…/005…``).
        issued_at: when Salesforce issued it (UTC).
        scopes: the granted scopes, sorted.
        org_id: the 18-character org id, from the ``id`` URL.
        user_id: the 18-character user id, from the ``id`` URL.
    """

    access_token: Secret
    instance_url: str
    id_url: str
    issued_at: datetime
    scopes: tuple[str, ...]
    org_id: str
    user_id: str

    def __repr__(self) -> str:
        return (
            f"Grant(org_id={self.org_id!r}, user_id={self.user_id!r}, instance_url={self.instance_url!r}, "
            f"scopes={self.scopes!r}, issued_at={self.issued_at.isoformat()!r}, <token redacted>)"
        )

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Grant holds an access token and cannot be pickled")


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessToken:
    """A verified access token handed out by :class:`TokenManager`; its ``repr`` omits the token.

    Attributes:
        secret: the token; pass ``secret.reveal()`` as simple-salesforce's ``session_id``.
        instance_url: the org's instance, for simple-salesforce's ``instance_url``.
        org_id: the tenant's org.
        user_id: the integration user the token belongs to.
        expires_at: when :class:`TokenManager` replaces it (UTC). Salesforce may end the session sooner; report the
            401 with :meth:`TokenManager.invalidate`.
    """

    secret: Secret
    instance_url: str
    org_id: str
    user_id: str
    expires_at: datetime

    def __repr__(self) -> str:
        return (
            f"AccessToken(org_id={self.org_id!r}, user_id={self.user_id!r}, instance_url={self.instance_url!r}, "
            f"expires_at={self.expires_at.isoformat()!r}, <token redacted>)"
        )

    def __reduce__(self) -> NoReturn:
        raise TypeError("an AccessToken cannot be pickled; keep it in the TokenStore")


# -- the flows ---------------------------------------------------------------------------------------------------


def jwt_bearer(
    config: TenantConfig,
    private_key: Secret,
    session: requests.Session,
    /,
    *,
    clock: Callable[[], datetime] = _utc_now,
    policy: RequestPolicy = _DEFAULT_POLICY,
) -> Grant:
    """Log in with an RS256 assertion (``iss`` client id, ``sub`` integration user, ``aud`` login URL, short ``exp``).

    The grant is not verified yet: pass it to :func:`verify_grant` before using it.

    Raises:
        ValueError: the tenant is configured for another flow.
        ConfigurationError: ``private_key`` is not an unencrypted PEM RSA key of at least 2048 bits, or the session
            does not verify TLS.
        AuthenticationError: Salesforce refused the assertion (``invalid_grant``: user not pre-authorised, wrong
            certificate, clock skew …); never retried.
        TransientError: the token endpoint failed temporarily on every attempt.
        SalesforceError: the answer was not a usable token response.
    """
    channel = _Channel.open(config, session, policy, flow=OAuthFlow.JWT_BEARER)
    claims = {
        "iss": config.client_id,
        "sub": config.integration_username,
        "aud": config.login_url,
        "exp": int((clock() + _ASSERTION_LIFETIME).timestamp()),
    }
    form = {"grant_type": _JWT_GRANT, "assertion": _sign(claims, _rsa_key(private_key, config.tenant))}
    return channel.token(form, {}, clock=clock, what="the JWT bearer login")


def client_credentials(
    config: TenantConfig,
    client_secret: Secret,
    session: requests.Session,
    /,
    *,
    clock: Callable[[], datetime] = _utc_now,
    policy: RequestPolicy = _DEFAULT_POLICY,
) -> Grant:
    """Log in with the connected app's consumer key and secret (HTTP Basic); the token runs as the app's run-as user.

    The grant is not verified yet: pass it to :func:`verify_grant` before using it.

    Raises:
        ValueError: the tenant is configured for another flow.
        ConfigurationError: the session does not verify TLS.
        AuthenticationError: Salesforce refused the client (``invalid_client``, ``invalid_grant``); never retried.
        TransientError: the token endpoint failed temporarily on every attempt.
        SalesforceError: the answer was not a usable token response.
    """
    channel = _Channel.open(config, session, policy, flow=OAuthFlow.CLIENT_CREDENTIALS)
    if not isinstance(client_secret, Secret):
        raise TypeError(f"client_secret must be a Secret, not {type(client_secret).__name__}")
    # RFC 6749 section 2.3.1: both parts are form-encoded before they are joined and base64-encoded.
    pair = f"{quote(config.client_id, safe='')}:{quote(client_secret.reveal(), safe='')}"
    basic = {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}
    return channel.token({"grant_type": "client_credentials"}, basic, clock=clock, what="the client credentials login")


def verify_grant(
    grant: Grant, config: TenantConfig, session: requests.Session, /, *, policy: RequestPolicy = _DEFAULT_POLICY
) -> Grant:
    """Check that ``grant`` belongs to the tenant; return it, or revoke it and raise.

    The org and user ids come from the ``id`` URL of the token response (received over verified TLS from the
    tenant's login URL); they are checked before the token is sent anywhere. The username is then read with one
    SOQL query on the ``User`` record, which needs only the ``api`` scope (the identity URL would need ``id``).

    Raises:
        TenantMismatchError: the token is for another org (or another instance than ``config.instance_url``).
        ScopeError: the token carries a scope the tenant does not allow.
        AuthenticationError: the token belongs to another user than the integration user, or its user could not be
            read with it.
        TransientError: the user could not be read because of a temporary failure.

    In every case the token is revoked first; the message says if revoking failed, and how to do it by hand.
    """
    if not isinstance(grant, Grant):
        raise TypeError(f"grant must be a Grant, not {type(grant).__name__}")
    channel = _Channel.open(config, session, policy)
    problem = _identity_problem(grant, config)
    if problem is None:
        username = channel.username(grant)
        if not config.is_integration_user(username):
            problem = AuthenticationError(
                f"the token for tenant {config.tenant!r} belongs to user {grant.user_id}, not to the integration user "
                f"{config.integration_username}: check the app's run-as user and the tenant's integration_username",
                tenant=config.tenant,
                error_code="WRONG_USER",
            )
    if problem is not None:
        channel.refuse(grant.access_token, problem)
    _log.debug("verified a token of tenant %r: org %s, user %s", config.tenant, grant.org_id, grant.user_id)
    return grant


def revoke(
    token: Grant | AccessToken | Secret,
    config: TenantConfig,
    session: requests.Session,
    /,
    *,
    policy: RequestPolicy = _DEFAULT_POLICY,
) -> bool:
    """Revoke an access token at the tenant's login URL; return ``False`` if Salesforce says it was already invalid.

    Raises:
        TransientError: the revoke endpoint failed temporarily on every attempt.
        AuthenticationError, SalesforceError: Salesforce refused the revocation for another reason.
    """
    return _Channel.open(config, session, policy).revoke(_secret_of(token))


def _identity_problem(grant: Grant, config: TenantConfig) -> SalesforceError | None:
    """Whether the grant's org, instance and scopes fit the tenant; checked offline, before the token is used."""
    tenant = config.tenant
    if grant.org_id != config.org_id:
        return TenantMismatchError(
            f"the token Salesforce issued for tenant {tenant!r} belongs to org {grant.org_id}, not to the tenant's "
            f"org {config.org_id}: check the tenant's login_url and client_id",
            tenant=tenant,
            error_code="TENANT_MISMATCH",
        )
    if config.instance_url is not None and grant.instance_url != config.instance_url:
        return TenantMismatchError(
            f"the token for tenant {tenant!r} names instance {grant.instance_url}, not the configured "
            f"{config.instance_url}: fix instance_url if the org moved",
            tenant=tenant,
            error_code="INSTANCE_MISMATCH",
        )
    excess = ", ".join(sorted(set(grant.scopes) - set(config.allowed_scopes)))
    if excess:
        return ScopeError(
            f"the token for tenant {tenant!r} carries scopes the tenant does not allow ({excess}): remove them from "
            "the External Client App (sfshield needs only `api`), or add them to the tenant's allowed_scopes",
            tenant=tenant,
            error_code="EXCESS_SCOPE",
        )
    return None


# -- the token manager -------------------------------------------------------------------------------------------


class TokenManager:
    """Hands out a verified access token for one tenant, renewing it when it ages out or is reported dead.

    The token is reused while it is younger than ``config.token_lifetime`` (by the injected ``clock``). Then, or
    after :meth:`invalidate`, the tenant's flow runs again with the client secret or private key read from the
    token store; the new grant is verified, stored in place of the old token (``TokenStore.rotate``), and only then
    is the old token revoked. One lock serialises renewals: when many threads report the same dead token, the first
    renews and the others get its result.

    Args:
        config: the tenant.
        token_store: holds the tenant's client secret or private key, and the access token between runs.
        session: the ``requests.Session`` for OAuth calls (TLS verification must be on).
        clock: the current UTC time (a seam for tests).
        audit: if given, every refused login is recorded as an ``OperationBlocked`` event (fail closed: a failing
            sink stops the login).
        policy: timeouts and retries.

    Raises:
        TypeError: an argument has the wrong type.
        ConfigurationError: the session does not verify TLS.
    """

    def __init__(
        self,
        config: TenantConfig,
        token_store: TokenStore,
        session: requests.Session,
        /,
        *,
        clock: Callable[[], datetime] = _utc_now,
        audit: AuditPipeline | None = None,
        policy: RequestPolicy = _DEFAULT_POLICY,
    ) -> None:
        if not isinstance(token_store, TokenStore):
            raise TypeError(f"token_store must be a TokenStore, not {type(token_store).__name__}")
        if audit is not None and not isinstance(audit, AuditPipeline):
            raise TypeError(f"audit must be an AuditPipeline, not {type(audit).__name__}")
        self._channel = _Channel.open(config, session, policy)
        self._config = config
        self._store = token_store
        self._clock = clock
        self._audit = audit
        self._current: AccessToken | None = None
        self._stale = False
        self._lock = threading.Lock()

    @property
    def config(self) -> TenantConfig:
        """The tenant."""
        return self._config

    def __repr__(self) -> str:
        return f"TokenManager(tenant={self._config.tenant!r}, flow={self._config.oauth_flow.value!r})"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a TokenManager holds tokens and cannot be pickled")

    def get_token(self) -> AccessToken:
        """A verified access token for the tenant: the current one, or a new one if it aged out or was invalidated.

        Raises:
            TokenStoreError: the client secret or private key is not stored, or a stored token cannot be read.
            AuthenticationError, TenantMismatchError, ScopeError: the login was refused (and audited).
            TransientError: Salesforce could not be reached on any attempt.
        """
        with self._lock:
            current = self._current or self._load()
            if current is None or self._stale or self._clock() >= current.expires_at:
                current = self._renew(current)
                self._stale = False
            self._current = current
            return current

    def invalidate(self, token: AccessToken | Secret, /) -> bool:
        """Report that ``token`` was refused (401): the next :meth:`get_token` renews it, once.

        Returns whether ``token`` was the current token. A token that was already replaced is ignored, so threads
        that saw the same 401 cause one renewal between them.
        """
        secret = _secret_of(token)
        with self._lock:
            self._current = self._current or self._load()
            if self._current is None or self._stale or self._current.secret != secret:
                return False
            self._stale = True
            _log.debug("the access token of tenant %r was invalidated", self._config.tenant)
            return True

    def _renew(self, old: AccessToken | None) -> AccessToken:
        try:
            grant = self._login()
            verify_grant(grant, self._config, self._channel.session, policy=self._channel.policy)
        except TransientError:
            raise
        except ShieldError as exc:
            self._audit_refusal(exc)
            raise
        token = AccessToken(
            secret=grant.access_token,
            instance_url=grant.instance_url,
            org_id=grant.org_id,
            user_id=grant.user_id,
            expires_at=self._clock() + self._config.token_lifetime,
        )
        try:
            replaced = self._store_replacing(token, old)
        except ShieldError:  # not stored, so nothing could ever revoke it later
            self._channel.revoke_quietly(token.secret, "the token that could not be stored")
            raise
        if self._audit is not None:
            self._audit.emit(
                TokenIssued(
                    tenant=self._config.tenant,
                    org_id=self._config.org_id,
                    flow=self._config.oauth_flow.value,
                    user_id=token.user_id,
                    scopes=grant.scopes,
                    instance_host=urlsplit(token.instance_url).hostname or "",
                    expires_at=token.expires_at,
                    replaced=bool(replaced),
                )
            )
        for secret in replaced:
            revoked = self._channel.revoke_quietly(secret, "the replaced token")
            if self._audit is not None:
                self._audit.emit(
                    TokenRevoked(
                        tenant=self._config.tenant,
                        org_id=self._config.org_id,
                        user_id=old.user_id if old is not None else token.user_id,
                        reason="rotated",
                        succeeded=revoked,
                    )
                )
        _log.info("obtained a new access token for tenant %r (user %s)", self._config.tenant, token.user_id)
        return token

    def _login(self) -> Grant:
        config, channel = self._config, self._channel
        if config.oauth_flow is OAuthFlow.JWT_BEARER:
            key = self._store.get(self._ref(TokenKind.PRIVATE_KEY)).secret
            return jwt_bearer(config, key, channel.session, clock=self._clock, policy=channel.policy)
        secret = self._store.get(self._ref(TokenKind.CLIENT_SECRET)).secret
        return client_credentials(config, secret, channel.session, clock=self._clock, policy=channel.policy)

    def _store_replacing(self, token: AccessToken, old: AccessToken | None) -> list[Secret]:
        """Store ``token`` in place of the previous one; return the tokens to revoke now that it is safe."""
        ref = self._ref(TokenKind.ACCESS_TOKEN, token.user_id)
        metadata: dict[str, Any] = {"expires_at": token.expires_at, "instance_url": token.instance_url}
        try:
            replaced = [self._store.rotate(ref, token.secret, **metadata).secret]
        except TokenStoreError:  # nothing stored for this user yet, or the row is unreadable: store it afresh
            self._store.put(ref, token.secret, **metadata)
            replaced = []
        if old is not None and old.user_id != token.user_id:
            self._store.delete(self._ref(TokenKind.ACCESS_TOKEN, old.user_id))
        if old is not None and all(old.secret != r for r in replaced):
            replaced.append(old.secret)
        return [r for r in replaced if r != token.secret]

    def _load(self) -> AccessToken | None:
        """The access token stored by an earlier run, if any (the newest, if the integration user changed)."""
        config = self._config
        stored = [
            self._store.get(ref)
            for ref in self._store.list_refs(tenant=config.tenant)
            if ref.kind is TokenKind.ACCESS_TOKEN and ref.org_id == config.org_id and ref.client_id == config.client_id
        ]
        tokens = [
            AccessToken(
                secret=s.secret,
                instance_url=s.instance_url,
                org_id=s.ref.org_id,
                user_id=s.ref.user_id,
                expires_at=s.expires_at,
            )
            for s in sorted(stored, key=lambda s: s.issued_at, reverse=True)
            if s.expires_at is not None and s.instance_url is not None and s.ref.user_id is not None
        ]
        return tokens[0] if tokens else None

    def _audit_refusal(self, exc: ShieldError) -> None:
        if self._audit is not None:
            event = OperationBlocked(
                tenant=self._config.tenant,
                org_id=self._config.org_id,
                correlation_id=exc.request_id if isinstance(exc, SalesforceError) else None,
                operation="oauth_login",
                error_type=type(exc).__name__,
                message=str(exc),
            )
            self._audit.emit(event)

    def _ref(self, kind: TokenKind, user_id: str | None = None) -> TokenRef:
        config = self._config
        return TokenRef(
            tenant=config.tenant, org_id=config.org_id, user_id=user_id, client_id=config.client_id, kind=kind
        )


# -- the calls ---------------------------------------------------------------------------------------------------


class _UsageMonitor:
    """The newest :class:`ApiUsage` one tenant's answers reported; a ``requests`` response hook.

    Pass :meth:`hooks` with every call (``session.request(..., hooks=monitor.hooks(session))``): answers refused
    with ``REQUEST_LIMIT_EXCEEDED`` carry the header too, and the retry wait reads it. A warning (tenant and
    counts, nothing else) is logged each time usage rises to the policy's ``usage_threshold``.
    """

    def __init__(self, tenant: str, policy: RequestPolicy) -> None:
        self._tenant = tenant
        self._threshold = policy.usage_threshold
        self._lock = threading.Lock()
        self._high = False
        self.current: ApiUsage | None = None
        """The newest usage seen, or ``None`` before the first answer that carried it."""

    def hooks(self, session: requests.Session) -> dict[str, list[Callable[..., Any]]]:
        """Per-request hooks: the session's own response hooks (which per-request ones would replace), then ours."""
        return {"response": [*session.hooks.get("response", ()), self.observe]}

    def observe(self, response: requests.Response, *_: Any, **__: Any) -> None:
        """Read ``Sforce-Limit-Info`` from ``response`` (a ``requests`` response hook; it returns nothing)."""
        usage = ApiUsage.from_header(response.headers.get(_LIMIT_INFO))
        if usage is None:
            return
        high = usage.share >= self._threshold
        with self._lock:
            self.current, rising, self._high = usage, high and not self._high, high
        if rising:
            _log.warning(
                "the org of tenant %r has used %s of its API requests; retries wait longer until usage falls below "
                "%.0f%%",
                self._tenant,
                usage,
                self._threshold * 100,
            )


def _limit_aware_wait(
    policy: RequestPolicy, usage: Callable[[], ApiUsage | None], *, tenant: str
) -> Callable[[tenacity.RetryCallState], float]:
    """Tenacity's wait: exponential backoff with jitter, lengthened under API-limit pressure (see ``limit_wait``)."""
    exponential = tenacity.wait_exponential(multiplier=policy.backoff, max=policy.max_backoff)
    jitter = tenacity.wait_random(0, policy.backoff)

    def wait(state: tenacity.RetryCallState) -> float:
        limited = _code_of(state) == _REQUEST_LIMIT
        seen = usage()
        backoff, longer = exponential(state), policy.limit_wait(seen, limited=limited)
        if longer > backoff:
            why = "Salesforce refused the request (REQUEST_LIMIT_EXCEEDED)" if limited else "API usage is high"
            _log.warning(
                "%s for tenant %r (usage %s); waiting %.1f s before attempt %d",
                why,
                tenant,
                seen or "unknown",
                longer,
                state.attempt_number + 1,
            )
        return max(backoff, longer) + jitter(state)

    return wait


@dataclass(frozen=True, slots=True)
class _Channel:
    """How one tenant's calls are made: its configuration, the session and the request policy."""

    config: TenantConfig
    session: requests.Session
    policy: RequestPolicy

    @classmethod
    def open(
        cls, config: TenantConfig, session: requests.Session, policy: RequestPolicy, *, flow: OAuthFlow | None = None
    ) -> _Channel:
        if not isinstance(config, TenantConfig):
            raise TypeError(f"config must be a TenantConfig, not {type(config).__name__}")
        if flow is not None and config.oauth_flow is not flow:
            raise ValueError(f"tenant {config.tenant!r} logs in with {config.oauth_flow.value}, not {flow.value}")
        if not isinstance(session, requests.Session):
            raise TypeError(f"session must be a requests.Session, not {type(session).__name__}")
        if session.verify is False:
            raise ConfigurationError("the session does not verify TLS (verify=False), which would expose tokens")
        if not isinstance(policy, RequestPolicy):
            raise TypeError(f"policy must be a RequestPolicy, not {type(policy).__name__}")
        return cls(config, session, policy)

    def token(
        self, form: dict[str, str], headers: dict[str, str], *, clock: Callable[[], datetime], what: str
    ) -> Grant:
        """POST to the token endpoint and parse the answer; a malformed answer's token is revoked, never used."""
        tenant = self.config.tenant
        body = self.call("POST", f"{self.config.login_url}/services/oauth2/token", what, data=form, headers=headers)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise SalesforceError(f"{what} for tenant {tenant!r} returned no access token", tenant=tenant)
        try:
            grant = _parse_grant(body, Secret(token), clock)
        except ValueError as exc:
            self.revoke_quietly(Secret(token), "a malformed token response's token")
            raise SalesforceError(
                f"{what} for tenant {tenant!r} returned a malformed token response ({exc}); the token was not used",
                tenant=tenant,
                error_code="MALFORMED_RESPONSE",
            ) from None
        _log.debug("%s for tenant %r returned a token for org %s, user %s", what, tenant, grant.org_id, grant.user_id)
        return grant

    def username(self, grant: Grant) -> str:
        """The ``Username`` of the grant's user, read with the grant's token; the token is revoked if that fails."""
        soql = f"SELECT Id, Username FROM User WHERE Id = '{grant.user_id}'"  # noqa: S608 - a checked 18-character id
        url = f"{grant.instance_url}/services/data/v{_API_VERSION}/query"
        bearer = {"Authorization": f"Bearer {grant.access_token.reveal()}"}
        try:
            body = self.call("GET", url, "reading the integration user", params={"q": soql}, headers=bearer)
        except SalesforceError:
            self.revoke_quietly(grant.access_token, "the unverified token")
            raise
        records = body.get("records") if isinstance(body, dict) else None
        record = records[0] if isinstance(records, list) and len(records) == 1 else None
        username = record.get("Username") if isinstance(record, dict) and record.get("Id") == grant.user_id else None
        if not isinstance(username, str):
            self.refuse(
                grant.access_token,
                AuthenticationError(
                    f"user {grant.user_id} cannot read its own User record with the token of tenant "
                    f"{self.config.tenant!r}; give the integration user access to it",
                    tenant=self.config.tenant,
                    error_code="USER_UNREADABLE",
                ),
            )
        return username

    def revoke(self, token: Secret) -> bool:
        """Revoke ``token``; ``False`` if Salesforce says it was already invalid."""
        url = f"{self.config.login_url}/services/oauth2/revoke"
        try:
            self.call("POST", url, "revoking a token", data={"token": token.reveal()}, expect_json=False)
        except AuthenticationError as exc:
            if exc.error_code == "invalid_token":
                return False
            raise
        _log.debug("revoked a token of tenant %r", self.config.tenant)
        return True

    def revoke_quietly(self, token: Secret, what: str) -> bool:
        """Revoke ``token``; log (never raise) a failure. Returns whether Salesforce accepted the revocation."""
        try:
            self.revoke(token)
        except SalesforceError as exc:
            _log.warning("could not revoke %s of tenant %r (%s)", what, self.config.tenant, exc.error_code)
            return False
        return True

    def refuse(self, token: Secret, error: SalesforceError) -> NoReturn:
        """Revoke ``token`` and raise ``error``, saying whether the revocation worked."""
        if self.revoke_quietly(token, "a refused token"):
            outcome = "the token was revoked"
        else:
            outcome = "revoking the token failed: revoke it in Setup > Connected Apps OAuth Usage"
        _log.warning("refused a token of tenant %r (%s); %s", self.config.tenant, error.error_code, outcome)
        raise type(error)(f"{error}; {outcome}", tenant=error.tenant, error_code=error.error_code)

    def call(
        self,
        method: str,
        url: str,
        what: str,
        *,
        data: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        expect_json: bool = True,
    ) -> Any:
        """One call, retried on transient failures; returns the decoded JSON answer (``None`` unless expected)."""
        policy, tenant = self.policy, self.config.tenant
        login = "/services/oauth2/" in url
        usage = _UsageMonitor(tenant, policy)

        def attempt() -> Any:
            request_id = secrets.token_hex(16)
            sent = {"Sforce-Call-Options": CALL_OPTIONS, "X-SFDC-REQUEST-ID": request_id, "Accept": "application/json"}
            with translate_errors(tenant=tenant, request_id=request_id):
                response = self.session.request(
                    method,
                    url,
                    data=data,
                    params=params,
                    headers=sent | (headers or {}),
                    timeout=(policy.connect_timeout, policy.read_timeout),
                    verify=self.session.verify,  # explicit, so REQUESTS_CA_BUNDLE cannot replace the session's CA file
                    allow_redirects=False,  # a redirect would carry the credentials to another host
                    stream=True,
                    hooks=usage.hooks(self.session),
                )
                body = _read_bounded(response)
            where = f"{what} for tenant {tenant!r}"
            if response.status_code >= 300:
                code = _clean_code(_error_code(_json_or_none(body or b"")))
                raise _status_error(response.status_code, code, where, tenant, request_id, login=login)
            if body is None:
                message = f"{where}: the answer exceeds {_MAX_BODY} bytes and was refused"
                raise SalesforceError(message, tenant=tenant, error_code="BODY_TOO_LARGE", request_id=request_id)
            with translate_errors(tenant=tenant, request_id=request_id):  # a maintenance page instead of JSON
                return json.loads(body) if expect_json else None

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(policy.attempts),
            wait=_limit_aware_wait(policy, lambda: usage.current, tenant=tenant),
            retry=tenacity.retry_if_exception_type(TransientError),
            sleep=policy.sleep,
            before_sleep=lambda state: _log.warning(
                "%s for tenant %r failed (%s); attempt %d of %d",
                what,
                tenant,
                _code_of(state),
                state.attempt_number,
                policy.attempts,
            ),
        )
        try:
            return retrying(attempt)
        except tenacity.RetryError as exc:
            last = exc.last_attempt.exception()
            assert isinstance(last, TransientError)  # noqa: S101 - only TransientError is retried
            raise TransientError(
                f"{last} (gave up after {policy.attempts} attempts)",
                tenant=tenant,
                error_code=last.error_code,
                request_id=last.request_id,
            ) from last


def _code_of(state: tenacity.RetryCallState) -> str | None:
    error = state.outcome.exception() if state.outcome is not None else None
    return error.error_code if isinstance(error, SalesforceError) else None


def _read_bounded(response: requests.Response) -> bytes | None:
    """The body, or ``None`` if it is longer than any answer these endpoints give (it is not read further)."""
    chunks: list[bytes] = []
    size = 0
    with response:
        for chunk in response.iter_content(8192):
            size += len(chunk)
            if size > _MAX_BODY:
                return None
            chunks.append(chunk)
    return b"".join(chunks)


class _MalformedError(ValueError):
    """A token response field is missing or malformed (the message names the field, never its value)."""


def _parse_grant(body: dict[str, Any], token: Secret, clock: Callable[[], datetime]) -> Grant:
    instance_url, id_url, scope = body.get("instance_url"), body.get("id"), body.get("scope")
    if not isinstance(instance_url, str):
        raise _MalformedError("instance_url is missing")
    try:
        instance_url = _https_origin(instance_url)
    except ValueError:
        raise _MalformedError("instance_url is not an https origin") from None
    if not isinstance(id_url, str) or not id_url.startswith("https://"):
        raise _MalformedError("id is not an https identity URL")
    match = _ID_PATH.fullmatch(urlsplit(id_url).path)
    if match is None:
        raise _MalformedError("id does not end in /id/<org id>/<user id>")
    if not isinstance(scope, str):
        raise _MalformedError("scope is missing")
    return Grant(
        access_token=token,
        instance_url=instance_url,
        id_url=id_url,
        issued_at=_issued_at(body.get("issued_at"), clock),
        scopes=tuple(sorted(set(scope.split()))),
        org_id=_id18(match.group(1), "00D", "org id"),
        user_id=_id18(match.group(2), "005", "user id"),
    )


def _issued_at(value: object, clock: Callable[[], datetime]) -> datetime:
    """Salesforce's ``issued_at`` (milliseconds since the epoch, as a string), or now if it is absent or absurd."""
    try:
        return datetime.fromtimestamp(int(str(value)) / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return clock()


def _secret_of(token: Grant | AccessToken | Secret) -> Secret:
    if isinstance(token, Grant):
        return token.access_token
    if isinstance(token, AccessToken):
        return token.secret
    if isinstance(token, Secret):
        return token
    raise TypeError(f"expected a Grant, AccessToken or Secret, not {type(token).__name__}")


def _rsa_key(private_key: Secret, tenant: str) -> rsa.RSAPrivateKey:
    if not isinstance(private_key, Secret):
        raise TypeError(f"private_key must be a Secret, not {type(private_key).__name__}")
    problem = (
        f"the private key of tenant {tenant!r} is not an unencrypted PEM RSA key of at least {_MIN_RSA_BITS} bits; "
        "store the key whose certificate is uploaded to the External Client App"
    )
    try:
        key = serialization.load_pem_private_key(private_key.reveal_bytes(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ConfigurationError(problem) from None  # the cause could quote key bytes
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < _MIN_RSA_BITS:
        raise ConfigurationError(problem)
    return key


def _sign(claims: dict[str, Any], key: rsa.RSAPrivateKey) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "RS256"}, separators=(",", ":")).encode())
    body = b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = key.sign(f"{header}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{body}.{b64(signature)}"


# -- error translation: the one boundary -------------------------------------------------------------------------

_TLS_ERRORS: Final = (requests.exceptions.SSLError, urllib3.exceptions.SSLError)
_URL_ERRORS: Final = (
    requests.exceptions.InvalidURL,
    requests.exceptions.InvalidSchema,
    requests.exceptions.MissingSchema,
    requests.exceptions.URLRequired,
    requests.exceptions.InvalidHeader,
)
_TRANSIENT_ERRORS: Final = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.RetryError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    requests.exceptions.InvalidJSONError,
    urllib3.exceptions.HTTPError,
    json.JSONDecodeError,  # a maintenance page instead of JSON
)
_HTTP_ERRORS: Final = (requests.RequestException, urllib3.exceptions.HTTPError, json.JSONDecodeError)


def translate_error(exc: BaseException, /, *, tenant: str | None = None, request_id: str | None = None) -> ShieldError:
    """The sfshield error for a requests or simple-salesforce exception; its message never holds a response body.

    sfshield errors are returned unchanged. Connection errors, timeouts, truncated or non-JSON bodies, 5xx, 429,
    ``REQUEST_LIMIT_EXCEEDED`` and ``UNABLE_TO_LOCK_ROW`` become :class:`~sfshield.exceptions.TransientError`; 401
    and login failures :class:`~sfshield.exceptions.AuthenticationError`; malformed URLs
    :class:`~sfshield.exceptions.ConfigurationError`; everything else (TLS verification failures included) a plain
    :class:`~sfshield.exceptions.SalesforceError`.

    Raises:
        TypeError: ``exc`` comes from neither requests nor simple-salesforce.
    """
    if isinstance(exc, ShieldError):
        return exc
    name = type(exc).__name__
    if isinstance(exc, _HTTP_ERRORS):
        if isinstance(exc, _TLS_ERRORS):
            return SalesforceError(
                "TLS verification of Salesforce's certificate failed: check the session's CA bundle (or the "
                "connection is being intercepted)",
                tenant=tenant,
                error_code="TLS",
                request_id=request_id,
            )
        if isinstance(exc, _URL_ERRORS):
            return ConfigurationError(f"a Salesforce URL or header is malformed ({name}): check login_url")
        if isinstance(exc, _TRANSIENT_ERRORS):
            message = f"Salesforce could not be reached or answered garbled ({name}); try again later"
            return TransientError(message, tenant=tenant, error_code=name, request_id=request_id)
        return SalesforceError(f"a call to Salesforce failed ({name})", tenant=tenant, error_code=name)
    if type(exc).__module__.startswith("simple_salesforce"):
        return _from_simple_salesforce(exc, tenant, request_id)
    raise TypeError(f"translate_error() maps requests and simple-salesforce exceptions, not {name}")


@contextmanager
def translate_errors(*, tenant: str | None = None, request_id: str | None = None) -> Iterator[None]:
    """Translate requests and simple-salesforce exceptions raised in the block (see :func:`translate_error`).

    A requests exception stays chained as the cause (its text is a URL and a reason). A simple-salesforce exception
    is not chained, because its ``str()`` embeds the response body, which may hold record data.
    """
    try:
        yield
    except ShieldError:
        raise
    except _HTTP_ERRORS as exc:
        raise translate_error(exc, tenant=tenant, request_id=request_id) from exc
    except Exception as exc:
        if not type(exc).__module__.startswith("simple_salesforce"):
            raise
        raise translate_error(exc, tenant=tenant, request_id=request_id) from None


def _from_simple_salesforce(exc: BaseException, tenant: str | None, request_id: str | None) -> ShieldError:
    login = hasattr(exc, "auth_message")  # SalesforceAuthenticationFailed carries Salesforce's code as `code`
    code = _clean_code(getattr(exc, "code", None) if login else _error_code(getattr(exc, "content", None)))
    status = getattr(exc, "status", 0)
    resource = getattr(exc, "resource_name", None)
    where = f"the call to {resource}" if isinstance(resource, str) and resource else "a simple-salesforce call"
    return _status_error(status if isinstance(status, int) else 0, code, where, tenant, request_id, login=login)


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _error_code(content: object) -> object:
    """Salesforce's error code: ``error`` of an OAuth error, ``errorCode`` of a REST error list."""
    if isinstance(content, dict):
        return content.get("error")
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return content[0].get("errorCode")
    return None


def _clean_code(code: object) -> str | None:
    """The error code if it looks like one; anything else from the wire is dropped, not echoed."""
    return code if isinstance(code, str) and _ERROR_CODE.fullmatch(code) else None


def _status_error(
    status: int, code: str | None, where: str, tenant: str | None, request_id: str | None, *, login: bool
) -> SalesforceError:
    """The sfshield error for an HTTP status and Salesforce error code (the body itself is never quoted)."""
    label = (f"HTTP {status}" if status else "an error") + (f" {code}" if code else "")
    details: dict[str, Any] = {"tenant": tenant, "error_code": code or (str(status) if status else None)}
    details["request_id"] = request_id
    if status == 429 or status >= 500 or code in _TRANSIENT_CODES:
        return TransientError(f"{where} failed temporarily ({label}); try again later", **details)
    if status == 401 or (login and status in {400, 401, 403}) or code in _HINTS:
        hint = _HINTS.get(code or "", "check the External Client App's policies and the tenant's configuration")
        return AuthenticationError(f"{where} was refused ({label}): {hint}", **details)
    if 300 <= status < 400:
        return SalesforceError(f"{where} was redirected ({label}): use the org's My Domain URL as login_url", **details)
    return SalesforceError(f"{where} failed ({label})", **details)
