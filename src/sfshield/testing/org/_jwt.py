"""The JWT bearer flow of the embedded org: verify an RS256 assertion against the client's registered key.

Checks, as Salesforce does: the signature (RS256, the certificate registered for the connected app), ``iss`` =
the client id, ``sub`` = a user of the org, ``aud`` = the login host, ``exp`` in the future and at most about three
minutes away. Every failure answers the same ``invalid_grant`` so that nothing is learnt from the error.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

__all__ = ["InvalidAssertion", "verify_assertion"]

_MAX_LIFETIME = 300  # seconds: Salesforce allows exp up to ~3 minutes ahead; a little slack for slow tests
_MAX_ASSERTION = 16_384


class InvalidAssertion(Exception):  # noqa: N818 - mirrors OAuth's invalid_grant
    """The assertion failed a check (which one is not told to the client)."""


def verify_assertion(
    assertion: str, *, keys: dict[str, rsa.RSAPublicKey], usernames: Iterable[str], audiences: Iterable[str], now: float
) -> tuple[str, str]:
    """Return ``(client_id, username)`` of a valid assertion.

    Raises:
        InvalidAssertion: malformed, unsigned by the client's key, or with a bad iss/sub/aud/exp.
    """
    if len(assertion) > _MAX_ASSERTION or assertion.count(".") != 2:
        raise InvalidAssertion
    head, body, signature = assertion.split(".")
    header, claims = _json(head), _json(body)
    if header.get("alg") != "RS256":
        raise InvalidAssertion
    key = keys.get(str(claims.get("iss")))
    if key is None:
        raise InvalidAssertion
    try:
        key.verify(_b64(signature), f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise InvalidAssertion from None
    _check_claims(claims, usernames=set(usernames), audiences=set(audiences), now=now)
    return str(claims["iss"]), str(claims["sub"])


def _check_claims(claims: dict[str, Any], *, usernames: set[str], audiences: set[str], now: float) -> None:
    try:
        expires = float(claims["exp"])
    except (KeyError, TypeError, ValueError):
        raise InvalidAssertion from None
    if not now < expires <= now + _MAX_LIFETIME:
        raise InvalidAssertion
    if claims.get("sub") not in usernames or claims.get("aud") not in audiences:
        raise InvalidAssertion


def _json(part: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64(part))
    except ValueError:
        raise InvalidAssertion from None
    if not isinstance(value, dict):
        raise InvalidAssertion
    return value


def _b64(part: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise InvalidAssertion from None
