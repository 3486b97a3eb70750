"""Envelope encryption: per-tenant data keys wrapped by key-encryption keys that stay on your site.

- :class:`EnvelopeCipher` — encrypt and decrypt values bound to a mandatory :class:`EncryptionContext`:
  random (AES-256-GCM), deterministic for joins (per :class:`JoinDomain`: AES-256-GCM with a synthetic nonce, or
  AES-256-SIV), sealed messages with key commitment (Platform Events). Its :meth:`~EnvelopeCipher.for_fields`
  adapter is the filter's ``encrypt`` action.
- :class:`Keyring` — versioned data keys per tenant: creation, rotation (add → distribute → promote), KEK
  re-wrap, crypto-shredding; every operation audited.
- :class:`SQLiteKeyStore` / :class:`MemoryKeyStore` — where wrapped data keys are kept.
- :class:`TokenStore` — OAuth tokens, client secrets and JWT signing keys, encrypted and bound to org, user,
  client and token type.
- :class:`EventSealer` / :class:`EventOpener` — Platform Event payloads sealed into Long Text Area fields, opened
  once (replay cache) within their window.
- Key providers (where KEKs live) are in :mod:`sfshield.keys`; the wire format in :mod:`sfshield.crypto.envelope`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sfshield._lazy import lazy_exports
from sfshield.crypto.cipher import EnvelopeCipher, ReencryptionProgress
from sfshield.crypto.context import EncryptionContext
from sfshield.crypto.domains import DeterministicAlgorithm, JoinDomain, Normalization
from sfshield.crypto.fields import FieldCipher
from sfshield.crypto.keyring import Keyring, RewrapReport
from sfshield.crypto.keystore import KeyRecord, KeyState, KeyStore, MemoryKeyStore, SQLiteKeyStore

if TYPE_CHECKING:
    from sfshield.crypto.events import (
        EventOpener,
        EventSealer,
        MemoryReplayCache,
        OpenedEvent,
        ReplayCache,
        SQLiteReplayCache,
    )
    from sfshield.crypto.tokens import StoredToken, TokenKind, TokenRef, TokenStore

# The token store and the event helpers are imported on first use: they need SQLite and JSON, field
# encryption does not.
_LAZY = {
    **dict.fromkeys(
        ("EventOpener", "EventSealer", "MemoryReplayCache", "OpenedEvent", "ReplayCache", "SQLiteReplayCache"),
        "sfshield.crypto.events",
    ),
    **dict.fromkeys(("StoredToken", "TokenKind", "TokenRef", "TokenStore"), "sfshield.crypto.tokens"),
}


__getattr__, __dir__ = lazy_exports("sfshield.crypto", globals(), _LAZY)


__all__ = [
    "DeterministicAlgorithm",
    "EncryptionContext",
    "EnvelopeCipher",
    "EventOpener",
    "EventSealer",
    "FieldCipher",
    "JoinDomain",
    "KeyRecord",
    "KeyState",
    "KeyStore",
    "Keyring",
    "MemoryKeyStore",
    "MemoryReplayCache",
    "Normalization",
    "OpenedEvent",
    "ReencryptionProgress",
    "ReplayCache",
    "RewrapReport",
    "SQLiteKeyStore",
    "SQLiteReplayCache",
    "StoredToken",
    "TokenKind",
    "TokenRef",
    "TokenStore",
]
