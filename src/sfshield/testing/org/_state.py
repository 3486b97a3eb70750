"""What an embedded org remembers between requests: sessions, OAuth clients, API usage, cursors, the request log.

Thread-safe: the HTTPS server handles requests on several threads, so every mutation goes through one lock per org.
Time comes from an injected clock, so tests expire tokens without sleeping.
"""

from __future__ import annotations

import random
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sfshield.testing.org._schema import OrgData, OrgQueryError

__all__ = ["Client", "Cursor", "Fault", "FaultEndpoint", "FaultKind", "LoggedRequest", "OrgState", "Session"]


class FaultEndpoint(StrEnum):
    """Where a fault is armed."""

    DATA = "data"
    """The REST data API: queries, describe, limits, Bulk API 2.0 jobs, Platform Events."""
    TOKEN = "token"  # noqa: S105 - the name of an endpoint, not a credential
    """The OAuth token endpoint (``/services/oauth2/token``) of the org whose client logs in."""


class FaultKind(StrEnum):
    """What an injected fault does to a request (the data API's, unless a kind says otherwise)."""

    SERVER_ERROR = "server_error"
    """HTTP 500 ``UNKNOWN_EXCEPTION`` (or 503 ``SERVER_UNAVAILABLE`` with ``status=503``); on the token endpoint,
    the status with OAuth's ``unknown_error``."""
    REQUEST_LIMIT = "request_limit_exceeded"
    """HTTP 403 ``REQUEST_LIMIT_EXCEEDED`` (data API only)."""
    LOCK_ROW = "unable_to_lock_row"
    """HTTP 400 ``UNABLE_TO_LOCK_ROW`` (data API only)."""
    EXPIRED_SESSION = "expired_session"
    """HTTP 401 ``INVALID_SESSION_ID``, as for an expired token (data API only)."""
    INVALID_GRANT = "invalid_grant"
    """HTTP 400 ``invalid_grant``, as for a deactivated user or a revoked app (token endpoint only)."""
    LATENCY = "latency"
    """The answer comes ``seconds`` late, otherwise unchanged."""
    TRUNCATED_BODY = "truncated_body"
    """The body stops halfway and the connection closes."""
    NON_JSON_BODY = "non_json_body"
    """HTTP 200 with an HTML maintenance page instead of JSON."""
    CONNECTION_RESET = "connection_reset"
    """The connection is reset without any answer."""


_ENDPOINT_KINDS = {
    FaultEndpoint.DATA: frozenset(FaultKind) - {FaultKind.INVALID_GRANT},
    FaultEndpoint.TOKEN: frozenset(FaultKind)
    - {FaultKind.REQUEST_LIMIT, FaultKind.LOCK_ROW, FaultKind.EXPIRED_SESSION},
}


@dataclass(slots=True)
class Fault:
    """A fault armed on one org's endpoint: fires on the ``nth`` request (and every ``nth`` after) or at a ``rate``."""

    kind: FaultKind
    nth: int | None = None
    rate: float | None = None
    times: int | None = 1
    """How often it fires before it disarms; ``None`` for ever."""
    seconds: float = 0.0
    status: int = 500
    fired: int = 0
    endpoint: FaultEndpoint = FaultEndpoint.DATA

    def __post_init__(self) -> None:
        if self.kind not in _ENDPOINT_KINDS[self.endpoint]:
            raise ValueError(f"a {self.kind.value} fault cannot be armed on the {self.endpoint.value} endpoint")


@dataclass(frozen=True, slots=True)
class Client:
    """An OAuth client (connected app) of one org, with the user it runs as and the scopes it may grant."""

    client_id: str
    client_secret: str = field(repr=False)
    run_as: str
    scopes: tuple[str, ...] = ("api",)
    jwt_key: Any = field(default=None, repr=False)
    """The public key of the certificate registered for the JWT bearer flow (an RSA public key), if any."""


@dataclass(slots=True)
class Session:
    """An issued access token."""

    token: str = field(repr=False)
    user_id: str
    client_id: str
    scope: str
    expires_at: float
    revoked: bool = False


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    """One request as the org saw it: who, what, and how many rows left the org."""

    user_id: str | None
    method: str
    path: str
    soql: str | None = None
    rows: int = 0
    status: int = 200


@dataclass(slots=True)
class Cursor:
    """A query result being paged through ``nextRecordsUrl``."""

    records: list[dict[str, Any]]
    total_size: int
    user_id: str


class OrgState:
    """The live state of one embedded org."""

    def __init__(
        self, data: OrgData, *, clock: Callable[[], float], token_lifetime: float = 7200, api_limit: int = 15_000
    ) -> None:
        self.data = data
        self.clock = clock
        self.token_lifetime = token_lifetime
        self.api_limit = api_limit
        self.api_used = 0
        self.clients: dict[str, Client] = {}
        self.sessions: dict[str, Session] = {}
        self.refresh_tokens: dict[str, tuple[str, str]] = {}
        self.cursors: dict[str, Cursor] = {}
        self.log: list[LoggedRequest] = []
        self.unreadable_objects: dict[str, set[str]] = {}
        self.unreadable_fields: dict[str, set[tuple[str, str]]] = {}
        self.faults: list[Fault] = []
        self.schema_modified = clock() - 86_400  # the seeded schema counts as a day old
        self.child_batch = 200
        """Child subquery rows per page; longer child results carry their own ``nextRecordsUrl``."""
        self.data_requests = 0
        self.token_requests = 0
        self._fault_rng = random.Random(data.org_id)  # noqa: S311 - reproducible fault timing, not security
        self.lock = threading.Lock()

    @property
    def org_id(self) -> str:
        """The 18-character org id."""
        return self.data.org_id

    def issue(self, client: Client, *, user_id: str | None = None) -> Session:
        """Issue an access token for ``client``, as its run-as user or as ``user_id`` (JWT bearer)."""
        token = f"{self.org_id[:15]}!{secrets.token_urlsafe(48)}"
        session = Session(
            token,
            user_id or client.run_as,
            client.client_id,
            " ".join(client.scopes),
            self.clock() + self.token_lifetime,
        )
        with self.lock:
            self.sessions[token] = session
        return session

    def authenticate(self, token: str) -> Session:
        """Return the live session for a bearer token.

        Raises:
            OrgQueryError: 401 ``INVALID_SESSION_ID`` for an unknown, expired or revoked token.
        """
        session = self.sessions.get(token)
        if session is None or session.revoked or session.expires_at <= self.clock():
            raise OrgQueryError("INVALID_SESSION_ID", "Session expired or invalid", 401)
        return session

    def next_fault(self, endpoint: FaultEndpoint = FaultEndpoint.DATA) -> Fault | None:
        """Count a request to ``endpoint`` and return the armed fault that fires on it, if any (the first one wins)."""
        with self.lock:
            count = self._count(endpoint)
            for fault in self.faults:
                if fault.endpoint is not endpoint or (fault.times is not None and fault.fired >= fault.times):
                    continue
                if self._fires(fault, count):
                    fault.fired += 1
                    return fault
        return None

    def arm(self, fault: Fault) -> None:
        """Arm ``fault``; its ``nth`` counts from the next request to its endpoint."""
        with self.lock:
            if fault.endpoint is FaultEndpoint.TOKEN:
                self.token_requests = 0
            else:
                self.data_requests = 0
            self.faults.append(fault)

    def _count(self, endpoint: FaultEndpoint) -> int:
        if endpoint is FaultEndpoint.TOKEN:
            self.token_requests += 1
            return self.token_requests
        self.data_requests += 1
        return self.data_requests

    def _fires(self, fault: Fault, count: int) -> bool:
        if fault.nth is not None:
            return count % fault.nth == 0
        return fault.rate is not None and self._fault_rng.random() < fault.rate

    def count_call(self) -> None:
        """Count one API call against the daily limit.

        Raises:
            OrgQueryError: 403 ``REQUEST_LIMIT_EXCEEDED`` once the allowance is spent.
        """
        with self.lock:
            if self.api_used >= self.api_limit:
                raise OrgQueryError("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", 403)
            self.api_used += 1

    def record(self, entry: LoggedRequest) -> None:
        """Append to the server-side request log."""
        with self.lock:
            self.log.append(entry)

    def open_cursor(self, cursor: Cursor) -> str:
        """Keep a result for paging; return its locator (``01g…``)."""
        locator = "01g" + secrets.token_hex(6).upper()[:12]
        with self.lock:
            self.cursors[locator] = cursor
        return locator

    def can_read_object(self, user_id: str, sobject: str) -> bool:
        """Whether ``user_id`` may read ``sobject`` at all."""
        return sobject.casefold() not in self.unreadable_objects.get(user_id, set())

    def can_read_field(self, user_id: str, sobject: str, field_name: str) -> bool:
        """Whether ``user_id`` may read ``sobject.field_name`` (field-level security)."""
        return (sobject.casefold(), field_name.casefold()) not in self.unreadable_fields.get(user_id, set())
