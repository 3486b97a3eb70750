"""The embedded org's HTTPS front: routes Salesforce's REST paths to handlers and answers in Salesforce's shapes.

Errors are JSON lists ``[{"message", "errorCode"}]`` with Salesforce's status codes (401 ``INVALID_SESSION_ID`` is
what makes simple-salesforce re-login), OAuth errors are ``{"error", "error_description"}`` with 400, and every
answer to an authenticated data call, refusals and injected faults included, carries ``Sforce-Limit-Info``.
"""

from __future__ import annotations

import base64
import email.utils
import json
import re
import socket
import ssl
import struct
import sys
import time
import urllib.parse
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sfshield.exceptions import SoqlSyntaxError
from sfshield.soql import parse
from sfshield.testing.org._bulk import publish_event, serve_jobs
from sfshield.testing.org._engine import execute
from sfshield.testing.org._jwt import InvalidAssertion, verify_assertion
from sfshield.testing.org._schema import OrgQueryError
from sfshield.testing.org._state import Cursor, Fault, FaultEndpoint, FaultKind, LoggedRequest, OrgState, Session

__all__ = ["OrgServer"]

_DATA = re.compile(r"^/services/data/v(?P<version>\d+\.\d)(?P<rest>/.*)?$")
_NEXT_PAGE = re.compile(r"^/(?P<kind>query|queryAll)/(?P<locator>01g[0-9A-Za-z]+)-(?P<offset>\d+)/?$")
_BATCH = re.compile(r"batchSize=(\d+)")
_DEFAULT_BATCH, _MIN_BATCH, _MAX_BATCH = 2000, 200, 2000
_MAX_BODY = 1 << 20
_JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_FAULT_ERRORS = {
    FaultKind.SERVER_ERROR: (500, "UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this ErrorId"),
    FaultKind.REQUEST_LIMIT: (403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
    FaultKind.LOCK_ROW: (400, "UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record"),
    FaultKind.EXPIRED_SESSION: (401, "INVALID_SESSION_ID", "Session expired or invalid"),
}


class OrgServer(ThreadingHTTPServer):
    """A threaded HTTPS server holding several orgs; the bearer token says which org a request is for."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], orgs: list[OrgState]) -> None:
        super().__init__(address, _Handler)
        self.orgs = orgs

    @property
    def base_url(self) -> str:
        """``https://127.0.0.1:<port>``."""
        host, port = self.server_address[:2]
        return f"https://{host.decode() if isinstance(host, bytes) else host}:{port}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client hung up (it timed out, or a fault reset it); report anything else as usual."""
        if isinstance(sys.exc_info()[1], ConnectionError | ssl.SSLEOFError):
            return
        super().handle_error(request, client_address)

    def org_for_token(self, token: str) -> tuple[OrgState, Session]:
        """Find the org and session of a bearer token.

        Raises:
            OrgQueryError: 401 when no org issued it (or it expired or was revoked).
        """
        for org in self.orgs:
            if token.startswith(org.org_id[:15]):
                return org, org.authenticate(token)
        raise OrgQueryError("INVALID_SESSION_ID", "Session expired or invalid", 401)

    def org_for_client(self, client_id: str) -> OrgState | None:
        """Find the org that registered an OAuth client."""
        return next((org for org in self.orgs if client_id in org.clients), None)


class _Handler(BaseHTTPRequestHandler):
    server: OrgServer
    protocol_version = "HTTP/1.1"
    limit_org: OrgState | None = None
    """The org the current data call authenticated to: its answers, errors included, report its API usage."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's parameter name
        """Stay quiet: the org keeps its own request log."""

    def do_GET(self) -> None:
        """Answer a GET."""
        self._dispatch("GET")

    def do_POST(self) -> None:
        """Answer a POST."""
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        """Answer a PATCH."""
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        """Answer a DELETE."""
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        url = urllib.parse.urlsplit(self.path)
        self.limit_org = None  # one handler serves every request of a kept-alive connection
        try:
            if url.path.startswith("/services/oauth2/"):
                self._oauth(url.path.removeprefix("/services/oauth2/").strip("/"))
            else:
                self._data(method, url)
        except OrgQueryError as exc:
            self._reply(exc.status, [{"message": exc.message, "errorCode": exc.error_code}], self.limit_org)
            if method != "GET":  # a body may be left unread: never let it garble the next request on this socket
                self.close_connection = True

    # -- OAuth ---------------------------------------------------------------------------------------------

    def _oauth(self, endpoint: str) -> None:
        form = self._form()
        if endpoint == "token":
            org = self._login_org(form)
            fault = org.next_fault(FaultEndpoint.TOKEN) if org is not None else None
            if fault is None or not self._inject_token(fault):
                self._token(form)
        elif endpoint == "revoke":
            self._revoke(form.get("token", ""))
        elif endpoint == "userinfo":
            org, session = self._auth()
            self._reply(200, _identity(org, session, self._host()))
        elif endpoint == "introspect":
            self._introspect(form.get("token", ""))
        else:
            self._reply(404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}])

    def _token(self, form: dict[str, str]) -> None:
        grant = form.get("grant_type", "")
        if grant == _JWT_GRANT:
            return self._jwt_token(form.get("assertion", ""))
        client_id, secret = self._client_credentials(form)
        org = self.server.org_for_client(client_id)
        client = org.clients.get(client_id) if org else None
        if grant not in ("client_credentials", "refresh_token"):
            return self._oauth_error("unsupported_grant_type", "grant type not supported")
        if org is None or client is None or client.client_secret != secret:
            return self._oauth_error("invalid_client", "invalid client credentials")
        if grant == "refresh_token":
            holder = org.refresh_tokens.get(form.get("refresh_token", ""))
            if holder is None or holder[0] != client.client_id:
                return self._oauth_error("invalid_grant", "expired access/refresh token")
            return self._token_reply(org, org.issue(client, user_id=holder[1]))
        return self._token_reply(org, org.issue(client))

    def _introspect(self, token: str) -> None:
        for org in self.server.orgs:
            session = org.sessions.get(token)
            if session is not None and not session.revoked and session.expires_at > org.clock():
                user = _user_record(org, session.user_id)
                return self._reply(
                    200,
                    {
                        "active": True,
                        "scope": session.scope,
                        "client_id": session.client_id,
                        "username": user.get("Username"),
                        "sub": f"{self._host()}/id/{org.org_id}/{session.user_id}",
                        "token_type": "access_token",
                        "exp": int(session.expires_at),
                        "iat": int(session.expires_at - org.token_lifetime),
                    },
                )
        return self._reply(200, {"active": False})

    def _jwt_token(self, assertion: str) -> None:
        host = self._host()
        audiences = {host, f"{host}/services/oauth2/token#.salesforce.com"}  # the second: simple-salesforce's URL
        for org in self.server.orgs:
            keys = {c.client_id: c.jwt_key for c in org.clients.values() if c.jwt_key is not None}
            users = {str(u.get("Username")): u["Id"] for u in org.data.records.get("User", [])}
            try:
                client_id, username = verify_assertion(
                    assertion, keys=keys, usernames=users, audiences=audiences, now=org.clock()
                )
            except InvalidAssertion:
                continue
            return self._token_reply(org, org.issue(org.clients[client_id], user_id=users[username]))
        return self._oauth_error("invalid_grant", "invalid assertion")

    def _token_reply(self, org: OrgState, session: Session) -> None:
        host = self._host()
        return self._reply(
            200,
            {
                "access_token": session.token,
                "instance_url": host,
                "id": f"{host}/id/{org.org_id}/{session.user_id}",
                "token_type": "Bearer",
                "scope": session.scope,
                "issued_at": str(int(org.clock() * 1000)),
                "signature": base64.b64encode(b"sfshield-embedded-org").decode(),
            },
        )

    def _revoke(self, token: str) -> None:
        for org in self.server.orgs:
            session = org.sessions.get(token)
            if session is not None:
                session.revoked = True
                return self._reply(200, {})
        return self._oauth_error("invalid_token", "invalid token")

    def _login_org(self, form: dict[str, str]) -> OrgState | None:
        """The org whose connected app a token request names (for its token-endpoint faults); nothing is verified."""
        client_id = self._client_credentials(form)[0]
        if form.get("grant_type") == _JWT_GRANT:
            client_id = _claimed_issuer(form.get("assertion", ""))
        return self.server.org_for_client(client_id)

    def _client_credentials(self, form: dict[str, str]) -> tuple[str, str]:
        header = self.headers.get("Authorization", "")
        if header.startswith("Basic "):
            decoded = base64.b64decode(header[6:]).decode(errors="replace")
            client_id, _, secret = decoded.partition(":")
            return urllib.parse.unquote(client_id), urllib.parse.unquote(secret)
        return form.get("client_id", ""), form.get("client_secret", "")

    def _oauth_error(self, error: str, description: str) -> None:
        self._reply(400, {"error": error, "error_description": description})

    # -- data API ------------------------------------------------------------------------------------------

    def _data(self, method: str, url: urllib.parse.SplitResult) -> None:
        if url.path.startswith("/id/"):
            org, session = self._auth()
            if url.path.rstrip("/") != f"/id/{org.org_id}/{session.user_id}":
                raise OrgQueryError("NOT_FOUND", "The requested resource does not exist", 404)
            return self._reply(200, _identity(org, session, self._host()))
        if url.path.rstrip("/") == "/services/data":
            return self._reply(200, [{"label": "Winter '27", "url": "/services/data/v68.0", "version": "68.0"}])
        match = _DATA.match(url.path)
        if match is None:
            raise OrgQueryError("NOT_FOUND", "The requested resource does not exist", 404)
        org, session = self._auth()
        self.limit_org = org
        fault = org.next_fault()
        if fault is not None and self._inject(fault):
            self.close_connection = self.close_connection or method != "GET"
            return None
        org.count_call()
        route = _ROUTES.get((method, _first(match.group("rest") or "/")))
        if route is None:
            raise OrgQueryError("NOT_FOUND", "The requested resource does not exist", 404)
        return route(self, org, session, match.group("version"), match.group("rest") or "/", url.query)

    def route_query(self, org: OrgState, session: Session, version: str, rest: str, query_string: str) -> None:
        kind = "queryAll" if rest.startswith("/queryAll") else "query"
        page = _NEXT_PAGE.match(rest)
        if page is not None:
            return self._next_page(org, version, page)
        soql = urllib.parse.parse_qs(query_string).get("q", [""])[0]
        try:
            query = parse(soql)
        except SoqlSyntaxError as exc:
            org.record(LoggedRequest(session.user_id, "GET", kind, soql, 0, 400))
            raise OrgQueryError("MALFORMED_QUERY", str(exc), 400) from None
        result = execute(
            query,
            org.data,
            can_read_object=lambda sobject: org.can_read_object(session.user_id, sobject),
            can_read_field=lambda sobject, field: org.can_read_field(session.user_id, sobject, field),
            include_deleted=kind == "queryAll",
            api_version=version,
        )
        org.record(LoggedRequest(session.user_id, "GET", kind, soql, len(result.records)))
        _page_children(org, version, kind, result.records, session.user_id)
        cursor = Cursor(result.records, result.total_size, session.user_id)
        return self._page(org, version, kind, cursor, locator=None, offset=0)

    def _next_page(self, org: OrgState, version: str, page: re.Match[str]) -> None:
        locator = page.group("locator")
        cursor = org.cursors.get(locator)
        if cursor is None:
            raise OrgQueryError("INVALID_QUERY_LOCATOR", "invalid query locator", 400)
        return self._page(org, version, page.group("kind"), cursor, locator=locator, offset=int(page.group("offset")))

    def _page(
        self, org: OrgState, version: str, kind: str, cursor: Cursor, *, locator: str | None, offset: int
    ) -> None:
        batch = self._batch_size()
        rows = cursor.records[offset : offset + batch]
        body: dict[str, Any] = {"totalSize": cursor.total_size, "done": True, "records": rows}
        if offset + batch < len(cursor.records):
            locator = locator or org.open_cursor(cursor)
            body["done"] = False
            body["nextRecordsUrl"] = f"/services/data/v{version}/{kind}/{locator}-{offset + batch}"
        self._reply(200, body, org)

    def _batch_size(self) -> int:
        match = _BATCH.search(self.headers.get("Sforce-Query-Options", ""))
        size = int(match.group(1)) if match else _DEFAULT_BATCH
        return max(_MIN_BATCH, min(_MAX_BATCH, size))

    def route_describe_global(self, org: OrgState, session: Session, *_: str) -> None:
        sobjects = [
            _object_summary(spec)
            for spec in org.data.schema.values()
            if org.can_read_object(session.user_id, spec.name)
        ]
        self._reply(200, {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": sobjects}, org)

    def route_sobject(self, org: OrgState, session: Session, version: str, rest: str, _query: str) -> None:
        parts = [p for p in rest.split("/") if p]
        spec = org.data.object(parts[1]) if len(parts) > 1 else None
        if spec is None or not org.can_read_object(session.user_id, spec.name):
            raise OrgQueryError("NOT_FOUND", "The requested resource does not exist", 404)
        if len(parts) == 3 and parts[2] == "describe":
            if self._unmodified_since(org):
                return self._empty(304)
            return self._reply(200, _describe(spec, lambda f: org.can_read_field(session.user_id, spec.name, f)), org)
        if len(parts) == 3:
            return self._record(org, session, version, spec.name, parts[2])
        raise OrgQueryError("NOT_FOUND", "The requested resource does not exist", 404)

    def _record(self, org: OrgState, session: Session, version: str, sobject: str, record_id: str) -> None:
        found = org.data.by_id(record_id)
        if found is None or found[0] != sobject:
            raise OrgQueryError("NOT_FOUND", "The requested resource does not exist", 404)
        spec = org.data.object(sobject)
        assert spec is not None  # noqa: S101 - by_id only returns objects of the schema
        readable = [f.name for f in spec.fields if org.can_read_field(session.user_id, sobject, f.name)]
        url = f"/services/data/v{version}/sobjects/{sobject}/{record_id}"
        body = {"attributes": {"type": sobject, "url": url}} | {name: found[1].get(name) for name in readable}
        org.record(LoggedRequest(session.user_id, "GET", f"sobjects/{sobject}", None, 1))
        self._reply(200, body, org)

    def route_limits(self, org: OrgState, _session: Session, _version: str, _rest: str, _query: str) -> None:
        remaining = org.api_limit - org.api_used
        self._reply(200, {"DailyApiRequests": {"Max": org.api_limit, "Remaining": remaining}}, org)

    def route_jobs(self, org: OrgState, session: Session, version: str, rest: str, query_string: str) -> None:
        """Bulk API 2.0 query jobs (``jobs/query``); the logic is in ``_bulk``."""
        serve_jobs(self, org, session, version=version, rest=rest, query_string=query_string)

    def route_event(self, org: OrgState, session: Session, _version: str, rest: str, _query: str) -> None:
        """Platform Event publishing (``POST sobjects/Name__e/``); the logic is in ``_bulk``."""
        publish_event(self, org, session, rest)

    def _unmodified_since(self, org: OrgState) -> bool:
        """``If-Modified-Since`` later than the org's schema date: describe answers 304."""
        header = self.headers.get("If-Modified-Since")
        if not header:
            return False
        try:
            since = email.utils.parsedate_to_datetime(header).timestamp()
        except (TypeError, ValueError):
            return False
        return since >= org.schema_modified

    def _empty(self, status: int) -> None:
        self.send_response(status, HTTPStatus(status).phrase)
        self.send_header("Content-Length", "0")
        self.end_headers()

    # -- faults --------------------------------------------------------------------------------------------

    def _inject(self, fault: Fault) -> bool:
        """Play ``fault``; return whether it answered the request (latency lets it go on)."""
        kind = fault.kind
        if kind is FaultKind.LATENCY:
            time.sleep(fault.seconds)
            return False
        if kind in _FAULT_ERRORS:
            status, code, message = _FAULT_ERRORS[kind]
            if kind is FaultKind.SERVER_ERROR and fault.status == 503:
                status, code, message = 503, "SERVER_UNAVAILABLE", "Service Unavailable"
            self._reply(status, [{"message": message, "errorCode": code}], self.limit_org)
        elif kind is FaultKind.NON_JSON_BODY:
            self._raw(200, b"<html><body>Down for maintenance</body></html>", "text/html", length=None)
        elif kind is FaultKind.TRUNCATED_BODY:
            body = json.dumps({"totalSize": 1, "done": True, "records": [{"Id": "x" * 64}]}).encode()
            self._raw(200, body[: len(body) // 2], "application/json;charset=UTF-8", length=len(body))
        else:
            self._reset()
        return True

    def _inject_token(self, fault: Fault) -> bool:
        """Play ``fault`` on the token endpoint: OAuth's error shape for errors, the transport faults as for data."""
        if fault.kind is FaultKind.SERVER_ERROR:
            self._reply(fault.status, {"error": "unknown_error", "error_description": "retry your request"})
            return True
        if fault.kind is FaultKind.INVALID_GRANT:
            self._oauth_error("invalid_grant", "authentication failure")
            return True
        return self._inject(fault)

    def _raw(self, status: int, body: bytes, content_type: str, *, length: int | None) -> None:
        self.send_response(status, HTTPStatus(status).phrase)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length if length is not None else len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True

    def _reset(self) -> None:
        # SO_LINGER with a zero timeout makes close() send RST instead of FIN: the client sees a reset.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    # -- plumbing ------------------------------------------------------------------------------------------

    def _auth(self) -> tuple[OrgState, Session]:
        header = self.headers.get("Authorization", "")
        if not header.startswith(("Bearer ", "OAuth ")):
            raise OrgQueryError("INVALID_AUTH_HEADER", "INVALID_HEADER_TYPE", 401)
        return self.server.org_for_token(header.split(" ", 1)[1].strip())

    def _host(self) -> str:
        return self.server.base_url

    def _form(self) -> dict[str, str]:
        length = min(int(self.headers.get("Content-Length") or 0), _MAX_BODY)
        body = self.rfile.read(length).decode(errors="replace") if length else ""
        query = urllib.parse.urlsplit(self.path).query
        merged = urllib.parse.parse_qs(query) | urllib.parse.parse_qs(body)
        return {key: values[0] for key, values in merged.items()}

    def _reply(self, status: int, body: Any, org: OrgState | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status, HTTPStatus(status).phrase)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        if org is not None:
            self.send_header("Sforce-Limit-Info", f"api-usage={org.api_used}/{org.api_limit}")
        self.end_headers()
        self.wfile.write(data)


Route = Callable[[_Handler, OrgState, Session, str, str, str], None]

_ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "query"): _Handler.route_query,
    ("GET", "queryAll"): _Handler.route_query,
    ("GET", "sobjects"): lambda h, org, session, version, rest, q: (
        h.route_describe_global(org, session)
        if rest.strip("/") == "sobjects"
        else h.route_sobject(org, session, version, rest, q)
    ),
    ("GET", "limits"): _Handler.route_limits,
    # Tooling queries share the data API's engine (FieldDefinition keeps its Tooling restrictions there).
    ("GET", "tooling"): lambda h, org, session, version, rest, q: h.route_query(
        org, session, version, rest.removeprefix("/tooling"), q
    ),
    ("POST", "sobjects"): _Handler.route_event,
    ("GET", "jobs"): _Handler.route_jobs,
    ("POST", "jobs"): _Handler.route_jobs,
    ("PATCH", "jobs"): _Handler.route_jobs,
    ("DELETE", "jobs"): _Handler.route_jobs,
}


def _page_children(org: OrgState, version: str, kind: str, records: list[dict[str, Any]], user_id: str) -> None:
    """Cut child query results longer than the org's child batch into pages with their own nextRecordsUrl."""
    for record in records:
        for key, value in record.items():
            if not (isinstance(value, dict) and isinstance(value.get("records"), list)):
                continue
            rows = value["records"]
            _page_children(org, version, kind, rows, user_id)
            if len(rows) > org.child_batch:
                locator = org.open_cursor(Cursor(rows, len(rows), user_id))
                record[key] = {
                    "totalSize": len(rows),
                    "done": False,
                    "nextRecordsUrl": f"/services/data/v{version}/{kind}/{locator}-{org.child_batch}",
                    "records": rows[: org.child_batch],
                }


def _claimed_issuer(assertion: str) -> str:
    """The ``iss`` an assertion claims, unverified (only to find the org whose token endpoint it reaches)."""
    parts = assertion.split(".")
    if len(parts) != 3 or len(assertion) > 16_384:
        return ""
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, TypeError):
        return ""
    issuer = claims.get("iss") if isinstance(claims, dict) else None
    return issuer if isinstance(issuer, str) else ""


def _user_record(org: OrgState, user_id: str) -> dict[str, Any]:
    return next((u for u in org.data.records.get("User", []) if u.get("Id") == user_id), {})


def _identity(org: OrgState, session: Session, host: str) -> dict[str, Any]:
    user = _user_record(org, session.user_id)
    return {
        "id": f"{host}/id/{org.org_id}/{session.user_id}",
        "user_id": session.user_id,
        "organization_id": org.org_id,
        "username": user.get("Username"),
        "email": user.get("Email"),
        "active": bool(user.get("IsActive", True)),
    }


def _first(rest: str) -> str:
    return rest.strip("/").split("/", 1)[0]


def _object_summary(spec: Any) -> dict[str, Any]:
    return {
        "name": spec.name,
        "label": spec.label,
        "keyPrefix": spec.key_prefix,
        "custom": spec.name.endswith("__c"),
        "queryable": spec.queryable,
        "urls": {"describe": f"/sobjects/{spec.name}/describe"},
    }


def _describe(spec: Any, readable: Callable[[str], bool]) -> dict[str, Any]:
    fields = [
        {
            "name": f.name,
            "label": f.label or f.name,
            "type": f.type,
            "length": f.length,
            "custom": f.custom,
            "nillable": f.nillable,
            "referenceTo": list(f.reference_to),
            "relationshipName": f.relationship_name,
            "encrypted": f.encrypted,
            "filterable": True,
            "sortable": f.type not in ("textarea", "multipicklist"),
        }
        for f in spec.fields
        if readable(f.name)
    ]
    children = [{"relationshipName": c.name, "childSObject": c.child_object, "field": c.field} for c in spec.children]
    return _object_summary(spec) | {"fields": fields, "childRelationships": children}
