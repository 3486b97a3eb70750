"""Value transforms behind the ``mask`` and ``pseudonymize`` actions, and the key that pseudonyms depend on.

Masking keeps a string a string of the same length, showing at most ``keep_last`` trailing characters and never
more than half of the value; values that are not text (numbers, booleans) are withheld as ``None``, because a
masked number would read as a real one.

A pseudonym is ``<kind>_<20 hex digest><6 hex check>``: an HMAC-SHA256 of the value under a per-tenant
:class:`PseudonymKey`, domain-separated by kind. The same value gives the same pseudonym across records, objects and
runs for one key, and a different one under another tenant's key. The check digits are a second HMAC over the
digest, so a pseudonym is recognised (and left alone when records are filtered twice) only if it was made with the
same key — a value that merely looks like one is pseudonymized like any other.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import re
import secrets
from typing import Any, NoReturn

__all__ = ["PseudonymKey", "Pseudonymizer", "mask_value"]

_MIN_KEY_BYTES = 32
_DIGEST_HEX = 20
_CHECK_HEX = 6
_PSEUDONYM = re.compile(rf"^[a-z0-9_]+_([0-9a-f]{{{_DIGEST_HEX}}})([0-9a-f]{{{_CHECK_HEX}}})$")
_PREFIX_CHARS = re.compile(r"[^a-z0-9]+")


class PseudonymKey:
    """A per-tenant secret key for keyed pseudonyms. Its value never appears in ``repr`` and it cannot be pickled.

    Args:
        key: at least 32 random bytes. Use :meth:`generate` for a new one, or derive it from the tenant's key
            provider.
    """

    __slots__ = ("_key",)

    def __init__(self, key: bytes, /) -> None:
        if not isinstance(key, bytes | bytearray):
            raise TypeError("PseudonymKey needs bytes")
        if len(key) < _MIN_KEY_BYTES:
            raise ValueError(f"a pseudonym key needs at least {_MIN_KEY_BYTES} bytes")
        self._key = bytes(key)

    @classmethod
    def generate(cls) -> PseudonymKey:
        """Return a new random key."""
        return cls(secrets.token_bytes(_MIN_KEY_BYTES))

    @classmethod
    def from_hex(cls, text: str, /) -> PseudonymKey:
        """Build a key from its hex form (as stored in a secret manager or environment variable).

        Raises:
            ValueError: the text is not hex or decodes to fewer than 32 bytes (the text is not echoed).
        """
        try:
            key = bytes.fromhex(text.strip())
        except ValueError:
            raise ValueError("a pseudonym key in hex must contain only 0-9 and a-f") from None
        return cls(key)

    def __repr__(self) -> str:
        return "PseudonymKey(<redacted>)"

    def __reduce__(self) -> NoReturn:
        raise TypeError("PseudonymKey cannot be pickled; pass it to each process from your secret store")

    def digest(self, message: bytes, /) -> bytes:
        """Return HMAC-SHA256 of ``message`` under this key."""
        return hmac.digest(self._key, message, hashlib.sha256)


class Pseudonymizer:
    """Turns values into stable keyed pseudonyms for one tenant (see the module docstring for the format)."""

    __slots__ = ("_key",)

    def __init__(self, key: PseudonymKey, /) -> None:
        self._key = key

    def __repr__(self) -> str:
        return "Pseudonymizer(<key redacted>)"

    def __call__(self, value: Any, /, *, kind: str) -> str | None:
        """Return the pseudonym of ``value`` for ``kind``; ``None`` stays ``None``."""
        if value is None:
            return None
        prefix = _prefix(kind)
        if isinstance(value, str) and self._is_own(value, prefix):
            return value
        digest = self._key.digest(b"sfshield/pseudonym/v1\x00" + prefix.encode() + b"\x00" + _canonical(value, prefix))
        head = digest.hex()[:_DIGEST_HEX]
        return f"{prefix}_{head}{self._check(prefix, head)}"

    def _check(self, prefix: str, head: str) -> str:
        return self._key.digest(f"sfshield/pseudonym-check/v1\x00{prefix}\x00{head}".encode()).hex()[:_CHECK_HEX]

    def _is_own(self, value: str, prefix: str) -> bool:
        match = _PSEUDONYM.match(value)
        if match is None or not value.startswith(prefix + "_"):
            return False
        return hmac.compare_digest(match.group(2), self._check(prefix, match.group(1)))


@functools.lru_cache(maxsize=256)
def _prefix(kind: str) -> str:
    return _PREFIX_CHARS.sub("_", kind.lower()).strip("_") or "value"


def _canonical(value: Any, prefix: str) -> bytes:
    if isinstance(value, str):
        text = value.strip()
        return (text.casefold() if prefix == "email" else text).encode()
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()


def mask_value(value: Any, /, *, keep_last: int = 0, char: str = "*") -> Any:
    """Mask ``value``: text keeps its length and at most ``keep_last`` trailing characters; other values → None.

    Compound values (an address dict, a list) are masked leaf by leaf. Masking a masked value changes nothing.
    """
    if isinstance(value, str):
        shown = min(keep_last, len(value) // 2)
        return char * (len(value) - shown) + (value[-shown:] if shown else "")
    if isinstance(value, dict):
        return {key: mask_value(item, keep_last=keep_last, char=char) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_value(item, keep_last=keep_last, char=char) for item in value]
    return None
