"""TokenManager: one verified access token per tenant, kept encrypted, rotated, and renewed once for many threads.

The manager logs the tenant in with its own flow (:mod:`sfshield.salesforce.oauth`), verifies the grant, and keeps
the token encrypted in the :class:`~sfshield.crypto.TokenStore`, so that a restarted process reuses it. It replaces
the token when it is older than the tenant's ``token_lifetime`` (24 hours at most) or was reported dead with
:meth:`TokenManager.invalidate`: the new token is verified and stored first, and only then is the old one revoked.
One lock serialises renewals, so many threads meeting the same dead token cause one login. With an audit pipeline,
every new token is recorded as a ``TokenIssued`` event, every revocation of a replaced one as ``TokenRevoked``, and
every refused login as ``OperationBlocked``; the token itself never is.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, NoReturn
from urllib.parse import urlsplit

import requests

from sfshield._logging import get_logger
from sfshield.audit.events import OperationBlocked, TokenIssued, TokenRevoked
from sfshield.audit.pipeline import AuditPipeline
from sfshield.crypto.tokens import TokenKind, TokenRef, TokenStore
from sfshield.exceptions import SalesforceError, ShieldError, TokenStoreError, TransientError
from sfshield.salesforce.calls import _DEFAULT_POLICY, RequestPolicy
from sfshield.salesforce.oauth import (
    AccessToken,
    Grant,
    _Channel,
    _secret_of,
    _utc_now,
    client_credentials,
    jwt_bearer,
    verify_grant,
)
from sfshield.salesforce.tenancy import OAuthFlow, TenantConfig
from sfshield.secret import Secret

__all__ = ["TokenManager"]

_log = get_logger(__name__)


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
