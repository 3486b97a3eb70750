"""OAuth done by sfshield: log a tenant in, and prove the token belongs to the tenant before it is used.

:func:`jwt_bearer` and :func:`client_credentials` perform the two server-to-server flows with a ``requests.Session``
and return a :class:`Grant`. A grant is *unverified* until :func:`verify_grant` has checked it against the tenant:
the org named by its ``id`` URL must be the tenant's org, its scopes must be among the tenant's allowed scopes, and
its user must be the tenant's integration user. A grant that fails a check is revoked before the error is raised,
so a token meant for another org is never used for data; so is the token of a malformed token response.
:func:`revoke` ends a token at the tenant's login URL. A verified grant becomes the :class:`AccessToken` that the
:class:`~sfshield.salesforce.TokenManager` (:mod:`sfshield.salesforce.tokens`) keeps, renews and hands out.

Every call is made as :mod:`sfshield.salesforce.calls` describes (verified TLS, timeouts, tagged, bounded answers,
transient failures retried under the :class:`~sfshield.salesforce.RequestPolicy`), and its failures are
translated at the one boundary, :mod:`sfshield.salesforce.errors`: a refusal is an
:class:`~sfshield.exceptions.AuthenticationError` and is never retried. Messages carry the HTTP status,
Salesforce's error code and the request id, never a response body, a token, a secret or a key.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, NoReturn
from urllib.parse import quote, urlsplit

import requests
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from sfshield._ids import id18
from sfshield._logging import get_logger
from sfshield._urls import https_origin
from sfshield.exceptions import (
    AuthenticationError,
    ConfigurationError,
    SalesforceError,
    ScopeError,
    TenantMismatchError,
)
from sfshield.salesforce.calls import _DEFAULT_POLICY, API_VERSION, RequestPolicy, _call
from sfshield.salesforce.tenancy import OAuthFlow, TenantConfig
from sfshield.secret import Secret

__all__ = ["AccessToken", "Grant", "client_credentials", "jwt_bearer", "revoke", "verify_grant"]

_log = get_logger(__name__)

_JWT_GRANT: Final = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_ASSERTION_LIFETIME: Final = timedelta(minutes=2)  # Salesforce refuses an exp more than ~3 minutes ahead
_MIN_RSA_BITS: Final = 2048
_ID_PATH: Final = re.compile(r"/id/(00D[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?)/(005[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?)/?")


def _utc_now() -> datetime:
    return datetime.now(UTC)


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


# -- one tenant's OAuth calls ------------------------------------------------------------------------------------


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
        url = f"{grant.instance_url}/services/data/v{API_VERSION}/query"
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

    def call(self, method: str, url: str, what: str, **options: Any) -> Any:
        """One call for this tenant under this policy (see ``sfshield.salesforce.calls._call``)."""
        return _call(self.session, self.policy, method, url, what, tenant=self.config.tenant, **options)


# -- parsing and signing -----------------------------------------------------------------------------------------


class _MalformedError(ValueError):
    """A token response field is missing or malformed (the message names the field, never its value)."""


def _parse_grant(body: dict[str, Any], token: Secret, clock: Callable[[], datetime]) -> Grant:
    instance_url, id_url, scope = body.get("instance_url"), body.get("id"), body.get("scope")
    if not isinstance(instance_url, str):
        raise _MalformedError("instance_url is missing")
    try:
        instance_url = https_origin(instance_url)
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
        org_id=id18(match.group(1), "00D", "org id"),
        user_id=id18(match.group(2), "005", "user id"),
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
