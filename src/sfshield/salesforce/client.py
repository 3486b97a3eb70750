"""TenantClient: the one door through which an application reads one Salesforce org.

Every read takes the same path::

    client.query(soql, purpose=...)
      → tenant check (the purpose and the query's objects are allowed for this tenant)
      → SoqlGuard (fields allowed for the purpose, LIMIT capped; audited)
      → paged fetch (top-level and child ``nextRecordsUrl`` followed), one page in memory at a time
      → Shield.protect (field filter, DLP, encryption; audited per batch)
      → the caller

The classification is the Shield's policy, or — when the tenant sets ``labels_from_org`` — that policy with the
org's own labels merged in (:mod:`sfshield.salesforce.labels`): read on first use, kept with its version for the
tenant's ``labels_ttl``, read again after it, and never used stale. A query runs wholly under the version in force
when it started.

Authentication is the :class:`~sfshield.salesforce.TokenManager`'s: a verified token from the tenant's own OAuth
client, kept in the encrypted token store, renewed after its lifetime; a page refused with ``INVALID_SESSION_ID``
is retried once with a new token, and many threads meeting the same dead token cause one renewal. Transient
failures (5xx, timeouts, ``UNABLE_TO_LOCK_ROW``, ``REQUEST_LIMIT_EXCEEDED``) are retried with backoff; nothing else
is. The org's API usage (``Sforce-Limit-Info``) is read from every answer (:attr:`TenantClient.api_usage`): near
or over the limit, retries wait longer (:meth:`~sfshield.salesforce.RequestPolicy.limit_wait`). Every call carries
``Sforce-Call-Options: client=sfshield`` and its own ``X-SFDC-REQUEST-ID``, so Salesforce's event logs can be
matched with the audit trail. On any failure nothing unprotected is returned: the error is a
:class:`~sfshield.exceptions.SalesforceError` (never quoting a response body) and the records of the failing
page are not yielded.
"""

from __future__ import annotations

import csv
import io
import re
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final, NoReturn

import requests
import tenacity
from requests.adapters import HTTPAdapter
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceExpiredSession

from sfshield.exceptions import (
    AuthenticationError,
    ConfigurationError,
    ExportInterruptedError,
    QueryRejectedError,
    SalesforceError,
    ShieldError,
    TransientError,
)
from sfshield.salesforce.calls import (
    API_VERSION,
    CALL_OPTIONS,
    ApiUsage,
    RequestPolicy,
    _limit_aware_wait,
    _UsageMonitor,
)
from sfshield.salesforce.errors import _TRANSIENT_CODES, translate_error
from sfshield.salesforce.labels import LabelSource, OrgLabels, load_org_labels
from sfshield.salesforce.oauth import AccessToken
from sfshield.salesforce.paging import iter_query
from sfshield.salesforce.privileges import check_privileges, enforce
from sfshield.salesforce.tokens import TokenManager
from sfshield.shield import Shield

if TYPE_CHECKING:
    from sfshield.crypto import EventSealer, TokenStore
    from sfshield.salesforce.tenancy import TenantConfig

__all__ = ["API_VERSION", "ExportPosition", "TenantClient"]

_EXPORT_LIMIT: Final = 1_000_000_000
_MAX_POLLS: Final = 600
_TIMEOUT: Final = (5.0, 120.0)
_FIELD_NAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,79}(?:\.[A-Za-z][A-Za-z0-9_]{0,79}){0,5}")
_REQUEST_ID_HEADER: Final = "X-SFDC-REQUEST-ID"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class _TaggingAdapter(HTTPAdapter):
    """Stamps every request with sfshield's call options and a fresh request id (Salesforce logs both)."""

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        request.headers["Sforce-Call-Options"] = CALL_OPTIONS
        request.headers[_REQUEST_ID_HEADER] = uuid.uuid4().hex
        return super().send(request, *args, **kwargs)


class TenantClient:
    """Reads one tenant's org through the SOQL guard and the Shield, with its own OAuth client and token.

    Args:
        config: the tenant (org id, OAuth client, allowed purposes and objects, where labels come from …).
        shield: the tenant's Shield (its policy, audit trail, pseudonym key, cipher, quarantine); its ``tenant``
            must be ``config.tenant``. With ``labels_from_org``, its policy is the base the org's labels are merged
            over, and the client uses :meth:`Shield.with_policy <sfshield.Shield.with_policy>` for each version of
            the merged labels.
        token_store: where the tenant's client secret or private key and its access token are kept.
        session: the ``requests.Session`` to use (TLS verification must be on); default a new one.
        policy: timeouts, retries and the API-usage threshold.
        check_privileges_on_connect: query the integration user's rights on :meth:`connect` and refuse to run
            when they exceed the tenant's needs (unless ``config.allow_excess_privileges``).
        clock: the current UTC time, for the token's lifetime and the labels' ``labels_ttl`` (a seam for tests).
        label_source: which Custom Metadata Type (and whether ``FieldDefinition``) labels are read from.

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
        clock: Callable[[], datetime] = _utc_now,
        label_source: LabelSource | None = None,
    ) -> None:
        self._config = config
        _check_tenant(shield, config)
        self._shield = shield
        self._policy = policy or RequestPolicy()
        self._session = session or requests.Session()
        adapter = _TaggingAdapter()
        self._session.mount("https://", adapter)
        if hasattr(session, "verify") and session is not None and not session.verify:
            raise ConfigurationError("the session does not verify TLS certificates; never turn verification off")
        self._tokens = TokenManager(
            config, token_store, self._session, audit=self._shield.audit, policy=self._policy, clock=clock
        )
        self._usage = _UsageMonitor(config.tenant, self._policy)
        self._reader = _Reader(self, self._usage)
        self._clock = clock
        self._label_source = label_source or LabelSource()
        self._check = check_privileges_on_connect
        self._lock = threading.Lock()
        self._labels_lock = threading.Lock()
        self._sf: tuple[AccessToken, Salesforce] | None = None
        self._checked = False
        self._labels: OrgLabels | None = None
        self._labelled: Shield | None = None

    def __repr__(self) -> str:
        return f"TenantClient(tenant={self._config.tenant!r}, org_id={self._config.org_id!r})"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a TenantClient holds a session token and cannot be pickled")

    @property
    def config(self) -> TenantConfig:
        """The tenant."""
        return self._config

    @property
    def api_usage(self) -> ApiUsage | None:
        """The org's API usage as its newest answer reported it (``Sforce-Limit-Info``); ``None`` before any."""
        return self._usage.current

    def connect(self) -> None:
        """Log in (or reuse the stored token) and, once, check the integration user's privileges.

        Raises:
            AuthenticationError, TenantMismatchError, ScopeError: the login was refused (token revoked, audited).
            PrivilegeError: the integration user holds more than the tenant allows (audited).
            TransientError: Salesforce could not be reached.
        """
        token, _ = self._client()
        if self._check and not self._checked:
            report = check_privileges(
                self._reader,
                user_id=token.user_id,
                allowed_objects=self._config.allowed_objects,
                tenant=self._config.tenant,
            )
            enforce(
                report,
                allow_excess=self._config.allow_excess_privileges,
                tenant=self._config.tenant,
                audit=self._shield.audit,
            )
            self._checked = True

    def load_labels(self, *, refresh: bool = False) -> OrgLabels:
        """The org's labels of the allowed objects, merged over the base policy, with their version.

        The labels read last are returned while they are younger than the tenant's ``labels_ttl`` (by the
        client's clock); then, or with ``refresh``, they are read again (Custom Metadata records and
        ``FieldDefinition``, through this client's retrying calls) and the load is audited. Many threads share
        one read. This works whether or not the tenant's queries use the labels (``labels_from_org``).

        Raises:
            ClassificationError: the labels could not be read, an object the tenant requires has no Custom Metadata
                record, or a record is invalid (audited; the previous labels are dropped, nothing is read with
                them).
            AuthenticationError, PrivilegeError, TransientError: as for :meth:`connect`.
        """
        with self._labels_lock:
            return self._fresh_labels(refresh=refresh)

    def query(
        self, soql: str, /, *, purpose: str, max_limit: int = 50_000, batch_size: int = 1000, rewrite: bool = False
    ) -> Iterator[dict[str, Any]]:
        """Run an (LLM-written or application) query for ``purpose``; yield protected records, batch by batch.

        The query is checked before anything is sent; records are filtered, scanned and audited ``batch_size`` at
        a time, and a batch is yielded only after its audit event was written. With ``rewrite``, fields the
        purpose may not read are removed from the query instead of rejecting it (the guard's rewrite mode; the
        changes are audited).

        With ``labels_from_org``, the classification is the base policy merged with the org's labels
        (:meth:`load_labels`), read first if they are missing or older than ``labels_ttl``.

        Raises:
            QueryRejectedError: the purpose or an object is not allowed for this tenant, or the guard refused a
                field (raised at once, not at the first ``next()``).
            SoqlSyntaxError: the query does not parse.
            ClassificationError: the tenant takes its labels from the org and they could not be loaded (nothing
                was read).
            SalesforceError: reading failed (the records of the failing page are not yielded).
        """
        if not self._config.allows_purpose(purpose):
            raise QueryRejectedError((f"purpose {purpose!r} is not allowed for tenant {self._config.tenant!r}",))
        shield = self._shield_in_force()
        guard = shield.soql_guard(
            purpose=purpose, max_limit=max_limit, objects=self._config.allowed_objects, rewrite=rewrite
        )
        checked = guard.check(soql)
        self.connect()
        records = iter_query(self._reader, checked.soql)
        return shield.protect_stream(records, purpose=purpose, batch_size=batch_size)

    def export(
        self,
        sobject: str,
        fields: Sequence[str],
        /,
        *,
        purpose: str,
        page_size: int = 10_000,
        batch_size: int = 1000,
        resume: ExportPosition | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Export ``fields`` of ``sobject`` through Bulk API 2.0 for ``purpose`` (training sets), in constant memory.

        The query is guarded like :meth:`query` (subqueries are not allowed by Bulk 2.0); the job's CSV result
        pages are downloaded one at a time (``page_size`` rows) and each page is filtered, scanned and audited
        (``batch_size`` rows at a time) and yielded whole before the next is fetched. Columns of parent fields are
        dotted (``Account.Name``), as Salesforce writes them.

        If a page cannot be downloaded after the retries, :class:`~sfshield.exceptions.ExportInterruptedError`
        carries the position (job id and locator) to pass back as ``resume``: rows already yielded are not sent
        again, and none is skipped.

        With ``labels_from_org`` the classification is the merged one, as for :meth:`query`; a resumed export
        uses the version in force when it resumes.

        Raises:
            QueryRejectedError: the purpose, the object or a field is not allowed.
            ClassificationError: the tenant takes its labels from the org and they could not be loaded.
            ExportInterruptedError: a page failed; its ``position`` resumes the export.
            SalesforceError: the job could not be created or failed on Salesforce's side.
        """
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        if not self._config.allows_purpose(purpose):
            raise QueryRejectedError((f"purpose {purpose!r} is not allowed for tenant {self._config.tenant!r}",))
        if isinstance(fields, str) or not fields:
            raise ValueError("fields takes a non-empty list of field names (Account.Name for a parent field)")
        bad = [name for name in (sobject, *fields) if not _FIELD_NAME.fullmatch(name)]
        if bad:
            raise ValueError(f"not a Salesforce object or field name: {', '.join(map(repr, bad))}")
        # Names only (checked above), and the guard parses and checks the result before anything is sent.
        soql = f"SELECT {', '.join(fields)} FROM {sobject}"  # noqa: S608
        shield = self._shield_in_force()
        guard = shield.soql_guard(purpose=purpose, max_limit=_EXPORT_LIMIT, objects=self._config.allowed_objects)
        checked = guard.check(soql)
        self.connect()
        position = resume or ExportPosition(job_id=self._create_job(checked.soql), locator=None)
        return self._export(shield, position, page_size, purpose=purpose, sobject=sobject, batch_size=batch_size)

    def _export(
        self, shield: Shield, position: ExportPosition, page_size: int, *, purpose: str, sobject: str, batch_size: int
    ) -> Iterator[dict[str, Any]]:
        # Each page is protected and yielded whole before the next is fetched, so the position an interruption
        # reports is exactly where the caller's records end: no gap, no repeat.
        for page in self._export_pages(position, page_size):
            for start in range(0, len(page), batch_size):
                yield from shield.protect(page[start : start + batch_size], purpose=purpose, sobject=sobject)

    def publish(self, sealer: EventSealer, payload: Mapping[str, Any], /) -> str:
        """Publish ``payload`` as an encrypted Platform Event (real-time sync); return the event's id.

        The payload is sealed for this tenant by ``sealer`` (see :mod:`sfshield.crypto.events`: a key derived per
        message, bound to event name, schema version, message id and issued-at) into the event's Long Text Area
        fields; Salesforce, its event bus and every subscriber without the tenant's keys see only ciphertext.
        Subscribers open it with an :class:`~sfshield.crypto.EventOpener` and a replay cache.

        Raises:
            ValueError, TypeError: the payload does not fit the event's fields or is not JSON data (nothing sent).
            SalesforceError: Salesforce refused the event; transient failures were retried.
        """
        fields = sealer.seal(payload, tenant=self._config.tenant)
        self.connect()
        event = sealer.event
        if not _FIELD_NAME.fullmatch(event) or not event.endswith("__e"):
            raise ValueError(f"{event!r} is not a Platform Event API name (Name__e)")
        body = self._bulk("POST", f"sobjects/{event}/", json=fields)
        return str(body.get("id", ""))

    # -- internals -----------------------------------------------------------------------------------------------

    def _shield_in_force(self) -> Shield:
        """The Shield for the classification in force: the given one, or the one for the current org labels."""
        if not self._config.labels_from_org:
            return self._shield
        with self._labels_lock:
            labels = self._fresh_labels(refresh=False)
            if self._labelled is None or self._labelled.policy.sha256 != labels.sha256:
                self._labelled = self._shield.with_policy(labels.classification)
            return self._labelled

    def _fresh_labels(self, *, refresh: bool) -> OrgLabels:
        """The cached labels if still fresh, else newly read ones (the caller holds the labels lock)."""
        current = self._labels
        if current is not None and not refresh and current.is_fresh(self._clock()):
            return current
        self._labels = None  # fail closed: labels past their time are never used, even if reading fails now
        self.connect()
        base = self._shield.policy
        self._labels = load_org_labels(
            self._reader, base, self._config, audit=self._shield.audit, now=self._clock(), source=self._label_source
        )
        return self._labels

    def _create_job(self, soql: str) -> str:
        body = self._bulk("POST", "jobs/query", json={"operation": "query", "query": soql})
        job_id = str(body.get("id", ""))
        for _ in range(_MAX_POLLS):
            state = str(self._bulk("GET", f"jobs/query/{job_id}").get("state", ""))
            if state == "JobComplete":
                return job_id
            if state in {"Failed", "Aborted"}:
                raise SalesforceError(
                    f"Bulk API job {job_id} ended {state}", tenant=self._config.tenant, error_code=state.upper()
                )
            self._policy.sleep(self._policy.backoff)
        raise TransientError(f"Bulk API job {job_id} did not complete in time", tenant=self._config.tenant)

    def _export_pages(self, position: ExportPosition, page_size: int) -> Iterator[list[dict[str, Any]]]:
        locator = position.locator
        while True:
            query = f"maxRecords={page_size}" + (f"&locator={locator}" if locator else "")
            try:
                text, next_locator = self._bulk_page(f"jobs/query/{position.job_id}/results?{query}")
            except SalesforceError as exc:
                where = ExportPosition(job_id=position.job_id, locator=locator)
                raise ExportInterruptedError(
                    f"the export stopped at job {where.job_id}, locator {where.locator or 'start'} ({exc.error_code}); "
                    "rows before it were delivered; call export(..., resume=error.position) to go on",
                    position=where,
                    tenant=self._config.tenant,
                ) from None
            yield list(csv.DictReader(io.StringIO(text)))
            if not next_locator or next_locator == "null":
                return
            locator = next_locator

    def _bulk(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self._call(lambda sf: _send(sf, method, path, hooks=self._usage.hooks(sf.session), **kwargs))
        body = response.json() if response.content else {}
        return body if isinstance(body, dict) else {}

    def _bulk_page(self, path: str) -> tuple[str, str | None]:
        response = self._call(lambda sf: _send(sf, "GET", path, accept="text/csv", hooks=self._usage.hooks(sf.session)))
        return response.text, response.headers.get("Sforce-Locator")

    def _client(self) -> tuple[AccessToken, Salesforce]:
        token = self._tokens.get_token()
        with self._lock:
            if self._sf is None or self._sf[0] is not token:
                sf = Salesforce(
                    instance_url=token.instance_url,
                    session_id=token.secret.reveal(),
                    session=self._session,
                    version=API_VERSION,
                    # Plain dicts: the JSON decoder builds them in C; simple-salesforce's default, OrderedDict,
                    # costs a Python call per JSON object (about a fifth of a page's CPU here).
                    object_pairs_hook=None,
                )
                self._sf = (token, sf)
            return self._sf

    def _call(self, action: Callable[[Salesforce], Any]) -> Any:
        """Run ``action`` with a live client: transient failures retried, one renewal on an expired session."""
        renewed = False
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self._policy.attempts),
            wait=_limit_aware_wait(self._policy, lambda: self._usage.current, tenant=self._config.tenant),
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


@dataclass(frozen=True, slots=True)
class ExportPosition:
    """Where an interrupted export stands: the Bulk API job and the locator of the next page (``None``: first)."""

    job_id: str
    locator: str | None


def _send(sf: Salesforce, method: str, path: str, *, accept: str = "application/json", **kwargs: Any) -> Any:
    """One Bulk API 2.0 call with the client's session; Salesforce's error shapes become the usual exceptions."""
    url = f"{sf.base_url}{path}"
    headers = {**sf.headers, "Accept": accept}
    response = sf.session.request(method, url, headers=headers, timeout=_TIMEOUT, **kwargs)
    status = response.status_code
    if status == HTTPStatus.UNAUTHORIZED:
        raise SalesforceExpiredSession(url, status, path, response.content)
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR or status == HTTPStatus.TOO_MANY_REQUESTS:
        raise TransientError(f"Bulk API call failed with HTTP {status}", error_code=str(status))
    code = _code(response) if status >= HTTPStatus.BAD_REQUEST else None
    if code in _TRANSIENT_CODES:  # REQUEST_LIMIT_EXCEEDED comes as a 403, UNABLE_TO_LOCK_ROW as a 400
        raise TransientError(f"Bulk API call failed temporarily with HTTP {status} {code}", error_code=code)
    if status >= HTTPStatus.BAD_REQUEST:
        raise SalesforceError(f"Bulk API call failed with HTTP {status}", error_code=code)
    return response


def _code(response: requests.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, list) and body and isinstance(body[0], dict):
        code = body[0].get("errorCode")
        return str(code)[:64] if isinstance(code, str) and code.isupper() else None
    return None


def _check_tenant(shield: Shield, config: TenantConfig) -> None:
    if shield.tenant != config.tenant:
        raise ConfigurationError(
            f"the Shield is tenant {shield.tenant!r}'s, not {config.tenant!r}'s: one Shield (policy, keys, audit) "
            "per tenant, never shared"
        )


class _Reader:
    """The client's reads for paging, the label loader and the privilege check: each retried and renewed.

    It is the :class:`~sfshield.salesforce.paging.QueryClient` of :func:`iter_query` and the
    :class:`~sfshield.salesforce.privileges.RestClient` of :func:`check_privileges`; every call goes through
    :meth:`TenantClient._call`. ``usage`` reads the org's API usage from each answer, refusals included.
    """

    def __init__(self, client: TenantClient, usage: _UsageMonitor) -> None:
        self._client = client
        self._usage = usage

    def query(self, query: str, include_deleted: bool = False, **kwargs: Any) -> Any:  # noqa: FBT001, FBT002
        return self._client._call(  # noqa: SLF001
            lambda sf: sf.query(query, include_deleted=include_deleted, hooks=self._usage.hooks(sf.session), **kwargs)
        )

    def query_all(self, query: str, include_deleted: bool = False, **kwargs: Any) -> Any:  # noqa: FBT001, FBT002
        # Retried as a whole: the privilege check's answers are a few rows, so a repeated page costs little.
        return self._client._call(  # noqa: SLF001
            lambda sf: sf.query_all(
                query, include_deleted=include_deleted, hooks=self._usage.hooks(sf.session), **kwargs
            )
        )

    def restful(self, path: str, params: dict[str, Any] | None = None, method: str = "GET", **kwargs: Any) -> Any:
        return self._client._call(  # noqa: SLF001
            lambda sf: sf.restful(path, params, method, hooks=self._usage.hooks(sf.session), **kwargs)
        )

    def query_more(
        self,
        next_records_identifier: str,
        identifier_is_url: bool = False,  # noqa: FBT001, FBT002 - simple-salesforce's signature
        include_deleted: bool = False,  # noqa: FBT001, FBT002
        **kwargs: Any,
    ) -> Any:
        return self._client._call(  # noqa: SLF001
            lambda sf: sf.query_more(
                next_records_identifier,
                identifier_is_url=identifier_is_url,
                include_deleted=include_deleted,
                hooks=self._usage.hooks(sf.session),
                **kwargs,
            )
        )
