"""TenantClient: the one door through which an application reads one Salesforce org.

Every read takes the same path::

    client.query(soql, purpose=...)
      → tenant check (the purpose and the query's objects are allowed for this tenant)
      → SoqlGuard (fields allowed for the purpose, LIMIT capped; audited)
      → paged fetch (top-level and child ``nextRecordsUrl`` followed), one page in memory at a time
      → Shield.protect (field filter, DLP, encryption; audited per batch)
      → the caller

Authentication is the :class:`~sfshield.salesforce.TokenManager`'s: a verified token from the tenant's own OAuth
client, kept in the encrypted token store, renewed after its lifetime; a page refused with ``INVALID_SESSION_ID``
is retried once with a new token, and many threads meeting the same dead token cause one renewal. Transient
failures (5xx, timeouts, ``UNABLE_TO_LOCK_ROW``, ``REQUEST_LIMIT_EXCEEDED``) are retried with backoff; nothing else
is. Every call carries ``Sforce-Call-Options: client=sfshield`` and its own ``X-SFDC-REQUEST-ID``, so Salesforce's
event logs can be matched with the audit trail. On any failure nothing unprotected is returned: the error is a
:class:`~sfshield.exceptions.SalesforceError` (never quoting a response body) and the records of the failing
page are not yielded.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Final, NoReturn

import requests
import tenacity
from requests.adapters import HTTPAdapter
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceExpiredSession

from sfshield.exceptions import (
    AuthenticationError,
    ConfigurationError,
    QueryRejectedError,
    ShieldError,
    TransientError,
)
from sfshield.salesforce.oauth import CALL_OPTIONS, AccessToken, RequestPolicy, TokenManager, translate_error
from sfshield.salesforce.paging import iter_query
from sfshield.salesforce.privileges import check_privileges, enforce

if TYPE_CHECKING:
    from sfshield.crypto import TokenStore
    from sfshield.salesforce.tenancy import TenantConfig
    from sfshield.shield import Shield

__all__ = ["API_VERSION", "TenantClient"]

API_VERSION: Final = "66.0"
_REQUEST_ID_HEADER: Final = "X-SFDC-REQUEST-ID"


class _TaggingAdapter(HTTPAdapter):
    """Stamps every request with sfshield's call options and a fresh request id (Salesforce logs both)."""

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        request.headers["Sforce-Call-Options"] = CALL_OPTIONS
        request.headers[_REQUEST_ID_HEADER] = uuid.uuid4().hex
        return super().send(request, *args, **kwargs)


class TenantClient:
    """Reads one tenant's org through the SOQL guard and the Shield, with its own OAuth client and token.

    Args:
        config: the tenant (org id, OAuth client, allowed purposes and objects …).
        shield: the tenant's Shield (its policy, audit trail, pseudonym key, cipher, quarantine). Its ``tenant``
            must be ``config.tenant``.
        token_store: where the tenant's client secret or private key and its access token are kept.
        session: the ``requests.Session`` to use (TLS verification must be on); default a new one.
        policy: timeouts and retries.
        check_privileges_on_connect: query the integration user's rights on :meth:`connect` and refuse to run
            when they exceed the tenant's needs (unless ``config.allow_excess_privileges``).

    Raises:
        ConfigurationError: the Shield belongs to another tenant, or the session does not verify TLS.
    """

    def __init__(
        self,
        config: TenantConfig,
        /,
        *,
        shield: Shield,
        token_store: TokenStore,
        session: requests.Session | None = None,
        policy: RequestPolicy | None = None,
        check_privileges_on_connect: bool = True,
    ) -> None:
        if shield.tenant != config.tenant:
            raise ConfigurationError(
                f"the Shield is tenant {shield.tenant!r}'s, not {config.tenant!r}'s: one Shield (policy, keys, audit) "
                "per tenant, never shared"
            )
        self._config = config
        self._shield = shield
        self._policy = policy or RequestPolicy()
        self._session = session or requests.Session()
        adapter = _TaggingAdapter()
        self._session.mount("https://", adapter)
        if hasattr(session, "verify") and session is not None and not session.verify:
            raise ConfigurationError("the session does not verify TLS certificates; never turn verification off")
        self._tokens = TokenManager(config, token_store, self._session, audit=shield.audit, policy=self._policy)
        self._check = check_privileges_on_connect
        self._lock = threading.Lock()
        self._sf: tuple[AccessToken, Salesforce] | None = None
        self._checked = False

    def __repr__(self) -> str:
        return f"TenantClient(tenant={self._config.tenant!r}, org_id={self._config.org_id!r})"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a TenantClient holds a session token and cannot be pickled")

    @property
    def config(self) -> TenantConfig:
        """The tenant."""
        return self._config

    def connect(self) -> None:
        """Log in (or reuse the stored token) and, once, check the integration user's privileges.

        Raises:
            AuthenticationError, TenantMismatchError, ScopeError: the login was refused (token revoked, audited).
            PrivilegeError: the integration user holds more than the tenant allows (audited).
            TransientError: Salesforce could not be reached.
        """
        token, sf = self._client()
        if self._check and not self._checked:
            report = check_privileges(
                sf, user_id=token.user_id, allowed_objects=self._config.allowed_objects, tenant=self._config.tenant
            )
            enforce(
                report,
                allow_excess=self._config.allow_excess_privileges,
                tenant=self._config.tenant,
                audit=self._shield.audit,
            )
            self._checked = True

    def query(
        self, soql: str, /, *, purpose: str, max_limit: int = 50_000, batch_size: int = 1000, rewrite: bool = False
    ) -> Iterator[dict[str, Any]]:
        """Run an (LLM-written or application) query for ``purpose``; yield protected records, batch by batch.

        The query is checked before anything is sent; records are filtered, scanned and audited ``batch_size`` at
        a time, and a batch is yielded only after its audit event was written. With ``rewrite``, fields the
        purpose may not read are removed from the query instead of rejecting it (the guard's rewrite mode; the
        changes are audited).

        Raises:
            QueryRejectedError: the purpose or an object is not allowed for this tenant, or the guard refused a
                field (raised at once, not at the first ``next()``).
            SoqlSyntaxError: the query does not parse.
            SalesforceError: reading failed (the records of the failing page are not yielded).
        """
        if not self._config.allows_purpose(purpose):
            raise QueryRejectedError((f"purpose {purpose!r} is not allowed for tenant {self._config.tenant!r}",))
        guard = self._shield.soql_guard(
            purpose=purpose, max_limit=max_limit, objects=self._config.allowed_objects, rewrite=rewrite
        )
        checked = guard.check(soql)
        self.connect()
        records = iter_query(_Reader(self), checked.soql)
        return self._shield.protect_stream(records, purpose=purpose, batch_size=batch_size)

    # -- internals -----------------------------------------------------------------------------------------------

    def _client(self) -> tuple[AccessToken, Salesforce]:
        token = self._tokens.get_token()
        with self._lock:
            if self._sf is None or self._sf[0] is not token:
                sf = Salesforce(
                    instance_url=token.instance_url,
                    session_id=token.secret.reveal(),
                    session=self._session,
                    version=API_VERSION,
                )
                self._sf = (token, sf)
            return self._sf

    def _call(self, action: Callable[[Salesforce], Any]) -> Any:
        """Run ``action`` with a live client: transient failures retried, one renewal on an expired session."""
        renewed = False
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self._policy.attempts),
            wait=tenacity.wait_exponential(multiplier=self._policy.backoff, max=self._policy.max_backoff)
            + tenacity.wait_random(0, self._policy.backoff),
            retry=tenacity.retry_if_exception_type(TransientError),
            sleep=self._policy.sleep,
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                token, sf = self._client()
                try:
                    return action(sf)
                except SalesforceExpiredSession:
                    if renewed:
                        raise AuthenticationError(
                            "the session expired again right after it was renewed; check the connected app's "
                            "session policies",
                            tenant=self._config.tenant,
                            error_code="INVALID_SESSION_ID",
                        ) from None
                    renewed = True
                    self._tokens.invalidate(token)
                    raise TransientError(
                        "the session expired; renewed once", tenant=self._config.tenant, error_code="INVALID_SESSION_ID"
                    ) from None
                except ShieldError:
                    raise
                except Exception as exc:  # noqa: BLE001 - the one boundary where library errors are translated
                    raise translate_error(exc, tenant=self._config.tenant) from None
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover


class _Reader:
    """The QueryClient that paging uses: every call goes through the client's retry and renewal."""

    def __init__(self, client: TenantClient) -> None:
        self._client = client

    def query(self, query: str, include_deleted: bool = False, **kwargs: Any) -> Any:  # noqa: FBT001, FBT002
        return self._client._call(lambda sf: sf.query(query, include_deleted=include_deleted, **kwargs))  # noqa: SLF001

    def query_more(
        self,
        next_records_identifier: str,
        identifier_is_url: bool = False,  # noqa: FBT001, FBT002 - simple-salesforce's signature
        include_deleted: bool = False,  # noqa: FBT001, FBT002
        **kwargs: Any,
    ) -> Any:
        return self._client._call(  # noqa: SLF001
            lambda sf: sf.query_more(
                next_records_identifier, identifier_is_url=identifier_is_url, include_deleted=include_deleted, **kwargs
            )
        )
