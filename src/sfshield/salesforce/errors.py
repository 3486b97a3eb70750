"""The one boundary where requests and simple-salesforce exceptions become sfshield errors.

The error classes live in :mod:`sfshield.exceptions`; this module decides which one a foreign failure becomes.
:func:`translate_error` maps one exception and :func:`translate_errors` every exception raised in a block. The
OAuth calls, the tenant client and the privilege check all use them, and the OAuth calls map the HTTP status of an
error answer by the same rules. Refusals (``invalid_grant``, ``invalid_client``, 401) become
:class:`~sfshield.exceptions.AuthenticationError`, which is never retried; connection errors, timeouts, 5xx, 429,
``REQUEST_LIMIT_EXCEEDED``, ``UNABLE_TO_LOCK_ROW`` and non-JSON maintenance pages become
:class:`~sfshield.exceptions.TransientError`, which callers may retry; malformed URLs
:class:`~sfshield.exceptions.ConfigurationError`; everything else a plain
:class:`~sfshield.exceptions.SalesforceError`.

Messages carry the HTTP status, Salesforce's error code (only if it looks like one) and the request id, never a
response body, a token, a secret or a key. simple-salesforce's exceptions embed the response body in their
``str()``, so they are never chained as the cause.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import requests
import urllib3.exceptions

from sfshield.exceptions import (
    AuthenticationError,
    ConfigurationError,
    SalesforceError,
    ShieldError,
    TransientError,
)

__all__ = ["translate_error", "translate_errors"]

_ERROR_CODE: Final = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_REQUEST_LIMIT: Final = "REQUEST_LIMIT_EXCEEDED"
_TRANSIENT_CODES: Final = frozenset({_REQUEST_LIMIT, "UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE"})
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
