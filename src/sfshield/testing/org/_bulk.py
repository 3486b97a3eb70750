"""The embedded org's asynchronous front: Bulk API 2.0 query jobs and Platform Event publishing.

A query job (``POST /services/data/vNN.N/jobs/query``) runs its SOQL through the engine as the creating user when it
is created, so object access and field-level security are checked up front and a field the user cannot read fails
the create with ``INVALID_FIELD``. The job answers ``UploadComplete`` until its first status poll, which finds it
``JobComplete``: clients that poll before downloading (simple-salesforce does) never wait, and a test can still ask
for results too early and get 412. Results are CSV pages, as Salesforce sends them:

- a header row in SELECT order, parent fields dotted (``Account.Name``) and named as the query wrote them, without
  a leading FROM alias or object name;
- every cell double-quoted (quotes doubled), ``""`` for null, ``true``/``false`` for checkboxes, datetimes as
  ``2024-05-01T09:30:00.000Z``; rows end with the job's ``lineEnding`` (``LF`` or ``CRLF``);
- ``Sforce-NumberOfRecords`` (rows on this page) and ``Sforce-Locator``: an opaque token for the next page (the
  unpadded base64 of its offset, ``MTAwMDA`` for row 10 000) or the literal ``null`` on the last page. A locator stays
  valid while the job exists; ``maxRecords`` bounds a page (default: every remaining row).

What Bulk API 2.0 refuses is refused at create with 400 ``API_ERROR``: GROUP BY, OFFSET, TYPEOF, aggregate
functions, ``FIELDS()`` and parent-to-child subqueries. Only ``columnDelimiter`` ``COMMA`` and ``contentType``
``CSV`` are served. Results need the API version the job was created with (else 409) and a ``JobComplete`` job (else
412 ``JOB_NOT_COMPLETE``). Jobs are private to the user who created them (404 for anyone else), ``PATCH
{"state": "Aborted"}`` aborts a job that has not completed, and ``DELETE`` (204) removes a finished one. Each results
page is logged with the rows it carried, so the request log shows what left the org.

A Platform Event (``POST /services/data/vNN.N/sobjects/Name__e/`` with a JSON object) is answered 201 with the
high-volume ``OPERATION_ENQUEUED`` shape and kept, per event name as the URL wrote it, in
``published_events(state)`` (the same dict as ``state.async_api.events``). Bodies are JSON objects of at most
1 MiB; a larger one is 400 ``EXCEEDED_MAX_SIZE_REQUEST``, an unreadable one 400 ``JSON_PARSER_ERROR``.

The state lives on the org's :class:`OrgState` as ``async_api``, created on first use.
"""

from __future__ import annotations

import base64
import binascii
import csv
import datetime as dt
import io
import itertools
import json
import re
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any

from sfshield.exceptions import SoqlSyntaxError
from sfshield.soql import ast, parse
from sfshield.soql._vocabulary import AGGREGATES
from sfshield.testing.org._engine import execute
from sfshield.testing.org._schema import ObjectSpec, OrgQueryError
from sfshield.testing.org._seed import checksum_suffix
from sfshield.testing.org._state import LoggedRequest, OrgState, Session

__all__ = ["AsyncApiState", "JobState", "PublishedEvent", "QueryJob", "publish_event", "published_events", "serve_jobs"]

_MAX_BODY = 1 << 20
_MAX_DRAIN = 16 << 20  # a larger body is not read at all: the connection closes instead
_JOBS_PATH = re.compile(r"^/jobs/query(?:/(?P<job>[^/]+)(?P<results>/results)?)?/?$")
_EVENT_PATH = re.compile(r"^/sobjects/(?P<name>[A-Za-z][A-Za-z0-9_]*)/?$")
_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")
_DELIMITERS = frozenset({"COMMA", "CARET", "PIPE", "SEMICOLON", "TAB", "BACKQUOTE"})
_LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_EVENT_UUIDS = uuid.UUID("5f0c7a1e-3b7d-4c55-9a37-2d4e0f1b8c60")  # namespace: event UUIDs are reproducible
_NO_SUBQUERY = "Aggregate Relationships not supported in Bulk V2 Query with CSV content type."


class JobState(StrEnum):
    """The states of a Bulk API 2.0 query job that the embedded org uses."""

    UPLOAD_COMPLETE = "UploadComplete"
    JOB_COMPLETE = "JobComplete"
    ABORTED = "Aborted"


@dataclass(slots=True)
class QueryJob:
    """One query job: its settings, and its result rows already rendered as CSV cells."""

    id: str
    operation: str
    sobject: str
    soql: str
    created_by: str
    created_date: str
    api_version: str
    line_ending: str
    columns: list[str]
    rows: list[list[str]] = field(repr=False)
    state: JobState = JobState.UPLOAD_COMPLETE
    modstamp: str = ""

    def info(self, *, status: bool = True) -> dict[str, Any]:
        """The job info JSON; ``status`` adds what ``GET …/jobs/query/{id}`` reports beyond the create answer."""
        body: dict[str, Any] = {
            "id": self.id,
            "operation": self.operation,
            "object": self.sobject,
            "createdById": self.created_by,
            "createdDate": self.created_date,
            "systemModstamp": self.modstamp or self.created_date,
            "state": str(self.state),
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(self.api_version),
            "lineEnding": self.line_ending,
            "columnDelimiter": "COMMA",
        }
        if status:
            done = self.state is JobState.JOB_COMPLETE
            processed = len(self.rows) if done else 0
            body |= {"jobType": "V2Query", "numberRecordsProcessed": processed, "retries": 0, "totalProcessingTime": 0}
        return body


@dataclass(frozen=True, slots=True)
class PublishedEvent:
    """A Platform Event as the org received it: the id and UUID it answered with, the publisher, the fields."""

    id: str
    uuid: str
    user_id: str
    payload: dict[str, Any]


@dataclass(slots=True)
class AsyncApiState:
    """The query jobs and published events of one org (``OrgState.async_api``); guarded by the org's lock."""

    jobs: dict[str, QueryJob] = field(default_factory=dict)
    events: dict[str, list[PublishedEvent]] = field(default_factory=dict)
    serials: itertools.count[int] = field(default_factory=itertools.count)


def published_events(org: OrgState, /) -> dict[str, list[PublishedEvent]]:
    """The events published to ``org`` so far, by event name (``Order_Event__e``), oldest first; a live view."""
    return _async_state(org).events


# -- query jobs ----------------------------------------------------------------------------------------------------


def serve_jobs(
    handler: BaseHTTPRequestHandler, org: OrgState, session: Session, *, version: str, rest: str, query_string: str
) -> None:
    """Answer a request under ``jobs/``: create, list, poll, abort, delete a query job, or page its results.

    Raises:
        OrgQueryError: Salesforce's error for the request (404 for unknown paths, jobs and methods).
    """
    match = _JOBS_PATH.match(rest)
    if match is None:
        raise _not_found()
    job_id, results = match.group("job"), match.group("results")
    kind = "results" if results else "job" if job_id else "jobs"
    action = _JOB_ACTIONS.get((handler.command, kind))
    if action is None:
        raise _not_found()
    action(_Call(handler, org, session, version, job_id or "", query_string))


@dataclass(frozen=True, slots=True)
class _Call:
    handler: BaseHTTPRequestHandler
    org: OrgState
    session: Session
    version: str
    job_id: str
    query_string: str

    def job(self) -> QueryJob:
        """The job the path names, if this session's user created it."""
        job = _async_state(self.org).jobs.get(self.job_id)
        if job is None or job.created_by != self.session.user_id:
            raise _not_found()
        return job

    def log(self, method: str, path: str, soql: str | None, rows: int = 0, status: int = 200) -> None:
        """Add a line to the org's request log."""
        self.org.record(LoggedRequest(self.session.user_id, method, path, soql, rows, status))


def _create(call: _Call) -> None:
    body = _read_json_object(call.handler)
    soql = body.get("query")
    try:
        job = _new_job(call, body)
    except OrgQueryError as exc:
        call.log("POST", "jobs/query", soql if isinstance(soql, str) else None, status=exc.status)
        raise
    jobs = _async_state(call.org).jobs
    with call.org.lock:
        jobs[job.id] = job
    call.log("POST", "jobs/query", job.soql)
    _send_json(call.handler, 200, job.info(status=False), call.org)


def _new_job(call: _Call, body: dict[str, Any]) -> QueryJob:
    operation, soql, line_ending = _job_settings(body)
    try:
        query = parse(soql)
    except SoqlSyntaxError as exc:
        raise OrgQueryError("MALFORMED_QUERY", str(exc)) from None
    _refuse_bulk_unsupported(query)
    user_id = call.session.user_id
    result = execute(
        query,
        call.org.data,
        can_read_object=lambda sobject: call.org.can_read_object(user_id, sobject),
        can_read_field=lambda sobject, name: call.org.can_read_field(user_id, sobject, name),
        include_deleted=operation == "queryAll",
        api_version=call.version,
    )
    spec = call.org.data.object(query.sobject)
    assert spec is not None  # noqa: S101 - execute() refuses an unknown object
    # execute() refused every SELECT item but plain fields (Bulk refusals aside), so these are all the columns
    refs = [item.expr for item in query.select if isinstance(item, ast.SelectExpr)]
    paths = [_relative(query, spec, ref.path) for ref in refs if isinstance(ref, ast.FieldRef)]
    rows = [[_cell(record, path) for path in paths] for record in result.records]
    return QueryJob(
        _new_id(call.org, "750"),
        operation,
        spec.name,
        soql,
        user_id,
        _timestamp(call.org),
        call.version,
        line_ending,
        [".".join(path) for path in paths],
        rows,
    )


def _job_settings(body: dict[str, Any]) -> tuple[str, str, str]:
    """``(operation, query, lineEnding)`` of a create request, checked."""
    operation, soql = body.get("operation"), body.get("query")
    delimiter, line_ending = body.get("columnDelimiter", "COMMA"), body.get("lineEnding", "LF")
    if operation not in ("query", "queryAll"):
        raise _api_error(f"Invalid operation for a query job: {operation!r}; use query or queryAll")
    if not isinstance(soql, str) or not soql.strip():
        raise _api_error("A query job needs a SOQL query in 'query'")
    if body.get("contentType", "CSV") != "CSV":
        raise _api_error(f"Invalid contentType for a query job: {body.get('contentType')!r}; use CSV")
    if not isinstance(delimiter, str) or delimiter not in _DELIMITERS:
        raise _api_error(f"Invalid columnDelimiter: {delimiter!r}")
    if delimiter != "COMMA":
        raise _api_error(f"columnDelimiter {delimiter} is not supported by the embedded org; use COMMA")
    if not isinstance(line_ending, str) or line_ending not in _LINE_ENDINGS:
        raise _api_error(f"Invalid lineEnding: {line_ending!r}; use LF or CRLF")
    return operation, soql, line_ending


def _refuse_bulk_unsupported(query: ast.Query) -> None:
    """Refuse what Bulk API 2.0 query does not support, as Salesforce does when the job is created."""
    expressions = [item.expr for item in query.select if isinstance(item, ast.SelectExpr)]
    refused = {
        "GROUP BY": bool(query.group_by) or query.group_by_kind is not None or query.having is not None,
        "OFFSET": query.offset is not None,
        "TYPEOF": any(isinstance(item, ast.TypeOf) for item in query.select),
        "FIELDS()": any(isinstance(item, ast.FieldsSelector) for item in query.select),
        "Aggregate functions": any(isinstance(e, ast.FunctionCall) and e.name in AGGREGATES for e in expressions),
    }
    if any(isinstance(item, ast.SubQuery) for item in query.select):
        raise _api_error(_NO_SUBQUERY)
    for feature, present in refused.items():
        if present:
            raise _api_error(f"{feature} is not supported by Bulk API 2.0 query")


def _relative(query: ast.Query, spec: ObjectSpec, path: tuple[str, ...]) -> tuple[str, ...]:
    """A SELECT path from the queried object: without a leading FROM alias or object name, FROM aliases expanded."""
    head = path[0].casefold()
    if len(path) == 1:
        return path
    if query.alias and head == query.alias.casefold():
        return path[1:]
    for related in query.related:
        if related.alias and head == related.alias.casefold():
            return _relative(query, spec, related.path) + path[1:]
    if head == spec.name.casefold() and spec.relationship(path[0]) is None:
        return path[1:]
    return path


def _cell(record: dict[str, Any], path: tuple[str, ...]) -> str:
    """One CSV cell: the value at ``path`` in a REST-shaped record (keys matched regardless of case)."""
    value: Any = record
    for name in path:
        if not isinstance(value, dict):
            return ""
        value = (
            value[name]
            if name in value
            else next((v for k, v in value.items() if k.casefold() == name.casefold()), None)
        )
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and _DATETIME.match(value):
        return value[:-5] + "Z"
    return str(value)


def _poll(call: _Call) -> None:
    job = call.job()
    with call.org.lock:
        if job.state is JobState.UPLOAD_COMPLETE:
            job.state, job.modstamp = JobState.JOB_COMPLETE, _timestamp(call.org)
    _send_json(call.handler, 200, job.info(), call.org)


def _list(call: _Call) -> None:
    jobs = _async_state(call.org).jobs
    with call.org.lock:
        mine = [job for job in jobs.values() if job.created_by == call.session.user_id]
    _send_json(call.handler, 200, {"done": True, "records": [j.info() for j in mine], "nextRecordsUrl": None}, call.org)


def _abort(call: _Call) -> None:
    body = _read_json_object(call.handler)
    job = call.job()
    if body.get("state") != "Aborted":
        raise _api_error(f"A query job can only be set to Aborted, not {body.get('state')!r}")
    with call.org.lock:
        finished = job.state is not JobState.UPLOAD_COMPLETE
        if not finished:
            job.state, job.modstamp = JobState.ABORTED, _timestamp(call.org)
    if finished:
        raise _api_error(f"Job {job.id} is {job.state} and can no longer be aborted")
    _send_json(call.handler, 200, job.info(), call.org)


def _delete(call: _Call) -> None:
    job, jobs = call.job(), _async_state(call.org).jobs
    with call.org.lock:
        deletable = job.state is not JobState.UPLOAD_COMPLETE
        if deletable:
            jobs.pop(job.id, None)
    if not deletable:
        raise _api_error(f"Job {job.id} is {job.state}: abort it or let it complete before deleting it")
    _send(call.handler, 204, b"", content_type="application/json;charset=UTF-8", org=call.org)


def _results(call: _Call) -> None:
    job = call.job()
    if call.version != job.api_version:
        raise OrgQueryError(
            "API_ERROR", f"Job {job.id} was created with API version {job.api_version}; use it for results", 409
        )
    if job.state is not JobState.JOB_COMPLETE:
        raise OrgQueryError(
            "JOB_NOT_COMPLETE",
            "can only download query results of successfully completed bulk job with status: JOB_COMPLETE. "
            f"Current status: {_screaming(job.state)}",
            412,
        )
    params = urllib.parse.parse_qs(call.query_string)
    start = _offset(params.get("locator", [""])[0], len(job.rows))
    page = job.rows[start : start + _max_records(params.get("maxRecords", [""])[0])]
    end = start + len(page)
    locator = _locator(end) if end < len(job.rows) else "null"
    call.log("GET", f"jobs/query/{job.id}/results", job.soql, len(page))
    headers = {"Sforce-NumberOfRecords": str(len(page)), "Sforce-Locator": locator}
    _send(call.handler, 200, _csv(job, page), content_type="text/csv", org=call.org, headers=headers)


def _csv(job: QueryJob, rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator=_LINE_ENDINGS[job.line_ending])
    writer.writerow(job.columns)
    writer.writerows(rows)
    return out.getvalue().encode()


def _locator(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def _offset(locator: str, total: int) -> int:
    """The row a locator points at; ``""`` is the first row."""
    if not locator:
        return 0
    try:
        text = base64.b64decode(locator + "=" * (-len(locator) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        text = ""
    if not text.isdigit() or not 0 < int(text) < total or _locator(int(text)) != locator:
        raise OrgQueryError("INVALID_QUERY_LOCATOR", f"invalid query locator: {locator}")
    return int(text)


def _max_records(raw: str) -> int:
    """``maxRecords``: a positive integer; absent means every remaining row."""
    if not raw:
        return 1 << 62
    if not raw.isdigit() or int(raw) < 1:
        raise _api_error(f"maxRecords must be a positive integer, not {raw!r}")
    return int(raw)


def _screaming(state: JobState) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", str(state)).upper()


_JOB_ACTIONS: dict[tuple[str, str], Callable[[_Call], None]] = {
    ("POST", "jobs"): _create,
    ("GET", "jobs"): _list,
    ("GET", "job"): _poll,
    ("PATCH", "job"): _abort,
    ("DELETE", "job"): _delete,
    ("GET", "results"): _results,
}


# -- platform events -----------------------------------------------------------------------------------------------


def publish_event(handler: BaseHTTPRequestHandler, org: OrgState, session: Session, rest: str) -> None:
    """Answer ``POST sobjects/Name__e/``: keep the event and say it was enqueued.

    Raises:
        OrgQueryError: 404 ``NOT_FOUND`` for a name that is not an event (``__e``), 400 for a body that is not a
            JSON object of at most 1 MiB.
    """
    payload = _read_json_object(handler)  # read before answering anything, so the connection stays in step
    match = _EVENT_PATH.match(rest)
    if match is None or not match.group("name").endswith("__e"):
        raise _not_found()
    name = match.group("name")
    state = _async_state(org)
    with org.lock:
        serial = next(state.serials)
        event = PublishedEvent(
            _make_id(org, "e01", serial),
            str(uuid.uuid5(_EVENT_UUIDS, f"{org.org_id}/{serial}")),
            session.user_id,
            payload,
        )
        state.events.setdefault(name, []).append(event)
    org.record(LoggedRequest(session.user_id, "POST", f"sobjects/{name}", None, 0, 201))
    body = {
        "id": event.id,
        "success": True,
        "errors": [{"statusCode": "OPERATION_ENQUEUED", "message": event.uuid, "fields": []}],
    }
    _send_json(handler, 201, body, org)


# -- plumbing ------------------------------------------------------------------------------------------------------


def _read_json_object(handler: BaseHTTPRequestHandler) -> dict[str, Any]:
    """Read the request body, at most 1 MiB, as a JSON object.

    Raises:
        OrgQueryError: 400 ``EXCEEDED_MAX_SIZE_REQUEST`` for a larger body (drained up to 16 MiB, then the
            connection closes), 400 ``JSON_PARSER_ERROR`` for one that is not a JSON object or has no valid length.
    """
    try:
        length = int(handler.headers.get("Content-Length") or 0)
    except ValueError:
        length = -1
    if length < 0:
        handler.close_connection = True  # where the body ends is unknown
        raise OrgQueryError("JSON_PARSER_ERROR", "The request has no valid Content-Length")
    if length > _MAX_BODY:
        _drain(handler, length)
        raise OrgQueryError("EXCEEDED_MAX_SIZE_REQUEST", f"The request body is larger than {_MAX_BODY} bytes")
    try:
        body = json.loads(handler.rfile.read(length) or b"null")
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise OrgQueryError("JSON_PARSER_ERROR", "The request body must be a JSON object")
    return body


def _drain(handler: BaseHTTPRequestHandler, length: int) -> None:
    """Discard a refused body, so the client reads the answer instead of a reset; then close the connection."""
    handler.close_connection = True
    remaining = min(length, _MAX_DRAIN)
    while remaining > 0 and (chunk := handler.rfile.read(min(remaining, 1 << 16))):
        remaining -= len(chunk)


def _async_state(org: OrgState) -> AsyncApiState:
    # Takes the org's lock, which is not reentrant: call it before entering the lock, never inside.
    with org.lock:
        state: AsyncApiState = vars(org).setdefault("async_api", AsyncApiState())
    return state


def _new_id(org: OrgState, prefix: str) -> str:
    state = _async_state(org)
    with org.lock:
        serial = next(state.serials)
    return _make_id(org, prefix, serial)


def _make_id(org: OrgState, prefix: str, serial: int) -> str:
    """An 18-character id: key prefix, the org's pod, a base-62 serial, the case-safe suffix."""
    digits = "".join(_BASE62[(serial // 62**i) % 62] for i in reversed(range(9)))
    body = prefix + org.org_id[3:6] + digits
    return body + checksum_suffix(body)


def _timestamp(org: OrgState) -> str:
    """The org clock's now as job info writes dates: ``2024-05-01T09:30:00.000+0000``."""
    return dt.datetime.fromtimestamp(org.clock(), dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _send_json(handler: BaseHTTPRequestHandler, status: int, body: Any, org: OrgState) -> None:
    _send(handler, status, json.dumps(body).encode(), content_type="application/json;charset=UTF-8", org=org)


def _send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    *,
    content_type: str,
    org: OrgState,
    headers: dict[str, str] | None = None,
) -> None:
    handler.send_response(status, HTTPStatus(status).phrase)
    handler.send_header("Content-Type", content_type)
    if status != HTTPStatus.NO_CONTENT:
        handler.send_header("Content-Length", str(len(body)))
    handler.send_header("Sforce-Limit-Info", f"api-usage={org.api_used}/{org.api_limit}")
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def _api_error(message: str) -> OrgQueryError:
    return OrgQueryError("API_ERROR", message)


def _not_found() -> OrgQueryError:
    return OrgQueryError("NOT_FOUND", "The requested resource does not exist", 404)
