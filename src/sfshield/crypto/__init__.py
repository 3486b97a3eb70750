"""Envelope encryption: per-tenant data keys wrapped by key-encryption keys that stay on your site.

- :class:`EnvelopeCipher` — encrypt and decrypt values bound to a mandatory :class:`EncryptionContext`:
  random (AES-256-GCM), deterministic for joins (AES-256-SIV, per :class:`JoinDomain`), sealed messages with key
  commitment (Platform Events). Its :meth:`~EnvelopeCipher.for_fields` adapter is the filter's ``encrypt`` action.
- :class:`Keyring` — versioned data keys per tenant: creation, rotation (add → distribute → promote), KEK
  re-wrap, crypto-shredding; every operation audited.
- :class:`SQLiteKeyStore` / :class:`MemoryKeyStore` — where wrapped data keys are kept.
- :class:`TokenStore` — OAuth tokens, client secrets and JWT signing keys, encrypted and bound to org, user,
  client and token type.
- Key providers (where KEKs live) are in :mod:`sfshield.keys`; the wire format in :mod:`sfshield.crypto.envelope`.
"""

from __future__ import annotations

from sfshield.crypto.cipher import EnvelopeCipher, JoinDomain, Normalization, ReencryptionProgress
from sfshield.crypto.context import EncryptionContext
from sfshield.crypto.fields import FieldCipher
from sfshield.crypto.keyring import Keyring, RewrapReport
from sfshield.crypto.keystore import KeyRecord, KeyState, KeyStore, MemoryKeyStore, SQLiteKeyStore
from sfshield.crypto.tokens import StoredToken, TokenKind, TokenRef, TokenStore

__all__ = [
    "EncryptionContext",
    "EnvelopeCipher",
    "FieldCipher",
    "JoinDomain",
    "KeyRecord",
    "KeyState",
    "KeyStore",
    "Keyring",
    "MemoryKeyStore",
    "Normalization",
    "ReencryptionProgress",
    "RewrapReport",
    "SQLiteKeyStore",
    "StoredToken",
    "TokenKind",
    "TokenRef",
    "TokenStore",
]
