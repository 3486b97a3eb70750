"""A real, in-process field encryptor for tests: AES-256-GCM under a random key that lives only in memory.

It satisfies the :class:`~sfshield.protocols.FieldEncryptor` protocol so that ``encrypt`` rules can be tested
before (and independently of) a production key provider. Its key vanishes with the object: nothing it encrypts
can be read after the process ends. Never use it in production; use ``sfshield.crypto``'s envelope cipher.
"""

from __future__ import annotations

import base64
import os
from typing import NoReturn

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sfshield.protocols import FieldContext

__all__ = ["EphemeralTestEncryptor"]

_PREFIX = "sfstest:"
_NONCE_BYTES = 12


class EphemeralTestEncryptor:
    """Encrypts field values with a throwaway in-memory key, bound to the full field context (test double)."""

    def __init__(self) -> None:
        self._aead = AESGCM(AESGCM.generate_key(bit_length=256))

    def __repr__(self) -> str:
        return "EphemeralTestEncryptor(<key redacted>)"

    def __reduce__(self) -> NoReturn:
        raise TypeError("EphemeralTestEncryptor holds a key and cannot be pickled")

    def encrypt(self, plaintext: bytes, /, *, context: FieldContext) -> str:
        """Return ``sfstest:`` + base64(nonce + ciphertext), authenticated with the context."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext, _aad(context))
        return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, text: str, /, *, context: FieldContext) -> bytes:
        """Return the plaintext; raises ``cryptography.exceptions.InvalidTag`` on any mismatch."""
        blob = base64.urlsafe_b64decode(text.removeprefix(_PREFIX))
        return self._aead.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], _aad(context))

    def is_encrypted(self, text: str, /, *, context: FieldContext) -> bool:
        """Whether ``text`` decrypts under this key and ``context`` (a prefix alone proves nothing)."""
        if not text.startswith(_PREFIX):
            return False
        try:
            self.decrypt(text, context=context)
        except (InvalidTag, ValueError):
            return False
        return True


def _aad(context: FieldContext) -> bytes:
    parts = (context.tenant, context.sobject, context.field, context.purpose, context.record_id or "")
    return "\x00".join(parts).encode()
