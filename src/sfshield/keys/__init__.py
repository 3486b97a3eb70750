"""Key providers: where the key-encryption keys (KEKs) live. They never leave it.

- :class:`KeyFileProvider` keeps KEKs in a file that is itself encrypted, under a passphrase (Argon2id) or a raw
  key from an environment variable or a mounted secret. The documented low-assurance option.
- :class:`Pkcs11KeyProvider` keeps KEKs in an HSM through PKCS#11 (extra ``sfshield[hsm]``); the KEK is generated
  inside the token and cannot be extracted.

Both satisfy :class:`sfshield.protocols.KeyProvider`; anything else that does (a cloud KMS, a vault) can be passed
in the same way. For tests, :class:`sfshield.testing.InMemoryKeyProvider` holds throwaway KEKs in memory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sfshield.keys.keyfile import KeyFileProvider

if TYPE_CHECKING:
    from sfshield.keys.pkcs11 import Pkcs11KeyProvider

__all__ = ["KeyFileProvider", "Pkcs11KeyProvider"]


def __getattr__(name: str) -> Any:
    # python-pkcs11 is an optional extra: import the HSM provider only when it is asked for.
    if name == "Pkcs11KeyProvider":
        from sfshield.keys.pkcs11 import Pkcs11KeyProvider  # noqa: PLC0415 - optional extra

        return Pkcs11KeyProvider
    raise AttributeError(f"module 'sfshield.keys' has no attribute {name!r}")
