"""How sfshield calls Salesforce: timeouts, tagged requests, bounded answers, and retries that respect the API limit.

A :class:`RequestPolicy` sets the timeouts and retries of every call sfshield makes, the tenant client's data calls
and the OAuth calls alike. The OAuth calls (token, revoke, the one-row ``User`` query that verifies a grant) are
made here: over verified TLS with a timeout, never following a redirect, reading at most 64 KiB of answer, and
carrying ``Sforce-Call-Options: client=sfshield`` and a fresh ``X-SFDC-REQUEST-ID`` (32 hex characters) so that
each can be found in the org's event logs. A failure is translated at the one boundary
(:mod:`sfshield.salesforce.errors`); transient ones are retried with exponential backoff and become a
:class:`~sfshield.exceptions.TransientError` once the attempts run out. Nothing else is retried.

Retries respect the org's API allowance: the ``Sforce-Limit-Info`` header (``api-usage=N/M``) of each answer is
read into an :class:`ApiUsage`, and after ``REQUEST_LIMIT_EXCEEDED``, or while usage is at or above the
:class:`RequestPolicy`'s ``usage_threshold``, the wait before the next attempt grows toward ``max_backoff``
(:meth:`RequestPolicy.limit_wait`) instead of hammering an org that is out of requests.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import requests
import tenacity

from sfshield._logging import get_logger
from sfshield.exceptions import SalesforceError, TransientError
from sfshield.salesforce.errors import (
    _REQUEST_LIMIT,
    _clean_code,
    _error_code,
    _json_or_none,
    _status_error,
    translate_errors,
)

__all__ = ["API_VERSION", "CALL_OPTIONS", "ApiUsage", "RequestPolicy"]

_log = get_logger(__name__)

API_VERSION: Final = "66.0"
"""The Salesforce REST API version sfshield calls (Spring '26)."""
CALL_OPTIONS: Final = "client=sfshield"
"""The ``Sforce-Call-Options`` value sent with every call (it shows as CLIENT_NAME in ApiTotalUsage logs)."""

_MAX_BODY: Final = 64 * 1024  # token, revoke and one-row query answers are small; anything bigger is refused
_LIMIT_INFO: Final = "Sforce-Limit-Info"
_API_USAGE: Final = re.compile(r"(?:^|[;,\s])api-usage=(\d{1,12})/(\d{1,12})")
_MAX_LIMIT_INFO: Final = 512  # the header is a few dozen characters; a longer one is not parsed


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
    """Timeouts and retries of sfshield's calls to Salesforce: the tenant client's and the OAuth flows'.

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


def _call(
    session: requests.Session,
    policy: RequestPolicy,
    method: str,
    url: str,
    what: str,
    *,
    tenant: str,
    data: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    expect_json: bool = True,
) -> Any:
    """One call for ``tenant``, retried on transient failures; the decoded JSON answer (``None`` unless expected).

    ``what`` names the call in errors and logs ("revoking a token"). A URL under ``/services/oauth2/`` is a login
    endpoint, where a 400 or 403 is a refusal (:class:`~sfshield.exceptions.AuthenticationError`).

    Raises:
        TransientError: every attempt failed temporarily.
        AuthenticationError, SalesforceError: Salesforce refused the call, or its answer was too large.
    """
    login = "/services/oauth2/" in url
    usage = _UsageMonitor(tenant, policy)

    def attempt() -> Any:
        request_id = secrets.token_hex(16)
        sent = {"Sforce-Call-Options": CALL_OPTIONS, "X-SFDC-REQUEST-ID": request_id, "Accept": "application/json"}
        with translate_errors(tenant=tenant, request_id=request_id):
            response = session.request(
                method,
                url,
                data=data,
                params=params,
                headers=sent | (headers or {}),
                timeout=(policy.connect_timeout, policy.read_timeout),
                verify=session.verify,  # explicit, so REQUESTS_CA_BUNDLE cannot replace the session's CA file
                allow_redirects=False,  # a redirect would carry the credentials to another host
                stream=True,
                hooks=usage.hooks(session),
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
