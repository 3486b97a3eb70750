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
from typing import Any, NamedTuple, NoReturn

__all__ = ["PseudonymKey", "Pseudonymizer", "mask_value"]

_MIN_KEY_BYTES = 32
_DIGEST_HEX = 20
_CHECK_HEX = 6
_PSEUDONYM = re.compile(rf"^[a-z0-9_]+_([0-9a-f]{{{_DIGEST_HEX}}})([0-9a-f]{{{_CHECK_HEX}}})$")
_PREFIX_CHARS = re.compile(r"[^a-z0-9]+")
_MAX_KINDS = 1024
_SHA256_BLOCK = 64
_IPAD = bytes(byte ^ 0x36 for byte in range(256))
_OPAD = bytes(byte ^ 0x5C for byte in range(256))
"""Translation tables: ``key.translate(_IPAD)`` is the key XOR 0x36 byte by byte (RFC 2104's inner pad)."""


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

    def _prefixed(self, prefix: bytes, /) -> _PrefixedHmac:
        return _PrefixedHmac(self._key, prefix)


class _PrefixedHmac:
    """HMAC-SHA256 of ``prefix + message`` (RFC 2104) with the padded keys and the prefix absorbed once.

    The same digest as ``hmac.new(key, prefix + message, sha256)``: each message costs two copies of a SHA-256
    state and no key schedule, about 0.6 µs where a copy of a keyed ``hmac.HMAC`` costs 1 µs (its ``copy`` is
    Python code). Pseudonyms pay it twice per distinct value.
    """

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes, prefix: bytes) -> None:
        if len(key) > _SHA256_BLOCK:
            key = hashlib.sha256(key).digest()
        block = key.ljust(_SHA256_BLOCK, b"\0")
        self._inner = hashlib.sha256(block.translate(_IPAD))
        self._inner.update(prefix)
        self._outer = hashlib.sha256(block.translate(_OPAD))

    def __repr__(self) -> str:
        return "_PrefixedHmac(<key redacted>)"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a keyed HMAC cannot be pickled")

    def hexdigest(self, message: bytes, /) -> str:
        """The HMAC of ``prefix + message`` in hex."""
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


class Pseudonymizer:
    """Turns values into stable keyed pseudonyms for one tenant (see the module docstring for the format)."""

    __slots__ = ("_key", "_kinds")

    def __init__(self, key: PseudonymKey, /) -> None:
        self._key = key
        self._kinds: dict[str, _Kind] = {}

    def __repr__(self) -> str:
        return "Pseudonymizer(<key redacted>)"

    def __reduce__(self) -> NoReturn:
        raise TypeError("Pseudonymizer cannot be pickled: it holds a PseudonymKey")

    def __call__(self, value: Any, /, *, kind: str) -> str | None:
        """Return the pseudonym of ``value`` for ``kind``; ``None`` stays ``None``."""
        if value is None:
            return None
        spec = self._kinds.get(kind) or self._kind(kind)
        if isinstance(value, str) and value.startswith(spec.start) and self._is_own(value, spec):
            return value
        head = spec.value_mac.hexdigest(_canonical(value, spec.prefix))[:_DIGEST_HEX]
        return f"{spec.start}{head}{_check(spec, head)}"

    def _kind(self, kind: str) -> _Kind:
        prefix = _prefix(kind)
        spec = _Kind(
            prefix,
            prefix + "_",
            self._key._prefixed(b"sfshield/pseudonym/v1\x00" + prefix.encode() + b"\x00"),  # noqa: SLF001 - the key, same module
            self._key._prefixed(f"sfshield/pseudonym-check/v1\x00{prefix}\x00".encode()),  # noqa: SLF001
        )
        if len(self._kinds) < _MAX_KINDS:  # kinds come from the policy; bound the cache all the same
            self._kinds[kind] = spec
        return spec

    @staticmethod
    def _is_own(value: str, spec: _Kind) -> bool:
        match = _PSEUDONYM.match(value)
        if match is None:
            return False
        return hmac.compare_digest(match.group(2), _check(spec, match.group(1)))


class _Kind(NamedTuple):
    """What a pseudonym of one kind starts with, and the HMACs keyed and domain-separated for it (copied per value)."""

    prefix: str
    start: str
    value_mac: _PrefixedHmac
    check_mac: _PrefixedHmac


def _check(spec: _Kind, head: str) -> str:
    return spec.check_mac.hexdigest(head.encode())[:_CHECK_HEX]


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
