"""InMemoryKeyProvider: throwaway key-encryption keys in memory, for tests (never production)."""

from __future__ import annotations

import os
from typing import NoReturn

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sfshield.exceptions import KeyProviderError

__all__ = ["InMemoryKeyProvider"]

_NONCE_BYTES = 12


class InMemoryKeyProvider:
    """A :class:`~sfshield.protocols.KeyProvider` whose KEKs are random and live only in this object.

    Everything wrapped with it is lost with the process, which is what tests want and production must never
    have: it is *ephemeral*, so an :class:`~sfshield.crypto.EnvelopeCipher` may use it without a key store.

    Args:
        key_ids: the KEK ids to create; the first is the primary.

    >>> provider = InMemoryKeyProvider()
    >>> provider.primary_key_id
    'test-kek-1'
    """

    ephemeral = True

    def __init__(self, key_ids: tuple[str, ...] = ("test-kek-1",)) -> None:
        if not key_ids:
            raise ValueError("at least one KEK id is needed")
        self._keks = {key_id: AESGCM(AESGCM.generate_key(bit_length=256)) for key_id in key_ids}
        self._primary = key_ids[0]
        self.wraps = 0
        self.unwraps = 0

    def __repr__(self) -> str:
        return f"InMemoryKeyProvider(key_ids={tuple(self._keks)}, primary={self._primary!r})"

    def __reduce__(self) -> NoReturn:
        raise TypeError("InMemoryKeyProvider holds keys and cannot be pickled")

    @property
    def primary_key_id(self) -> str:
        """The KEK that wraps new data keys."""
        return self._primary

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Every KEK id, primary or not."""
        return tuple(self._keks)

    def add_key(self, key_id: str, /, *, make_primary: bool = True) -> None:
        """Create another KEK (KEK rotation in tests)."""
        if key_id in self._keks:
            raise ValueError(f"KEK {key_id!r} exists")
        self._keks[key_id] = AESGCM(AESGCM.generate_key(bit_length=256))
        if make_primary:
            self._primary = key_id

    def remove_key(self, key_id: str, /) -> None:
        """Forget a KEK (what retiring an old KEK looks like)."""
        if key_id == self._primary:
            raise ValueError("cannot remove the primary KEK")
        del self._keks[key_id]

    def wrap(self, data_key: bytes, /, *, key_id: str, aad: bytes) -> bytes:
        """AES-256-GCM under the KEK ``key_id``: nonce ‖ ciphertext ‖ tag."""
        kek = self._kek(key_id)
        nonce = os.urandom(_NONCE_BYTES)
        self.wraps += 1
        return nonce + kek.encrypt(nonce, data_key, aad)

    def unwrap(self, wrapped: bytes, /, *, key_id: str, aad: bytes) -> bytes:
        """Reverse :meth:`wrap`; raises KeyProviderError on any mismatch."""
        kek = self._kek(key_id)
        self.unwraps += 1
        try:
            return kek.decrypt(wrapped[:_NONCE_BYTES], wrapped[_NONCE_BYTES:], aad)
        except (InvalidTag, ValueError):
            raise KeyProviderError(
                f"InMemoryKeyProvider could not unwrap a data key with KEK {key_id!r}: the wrapped key or its "
                "binding (tenant, key id) was altered"
            ) from None

    def _kek(self, key_id: str) -> AESGCM:
        kek = self._keks.get(key_id)
        if kek is None:
            raise KeyProviderError(f"InMemoryKeyProvider has no KEK {key_id!r} (it has {', '.join(self._keks)})")
        return kek
