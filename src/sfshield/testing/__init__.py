"""Helpers for testing code that uses sfshield, shipped for users' own test suites.

* :func:`capture_audit` — collect what a Shield or pipeline audits, without touching its real sinks.
* :class:`InMemoryAuditSink` — a real sink that keeps events in a list.
* :class:`EphemeralTestEncryptor` — a real AES-GCM field encryptor whose key lives only in memory (for tests of
  ``encrypt`` rules; never for production).
* :class:`InMemoryKeyProvider` — throwaway key-encryption keys in memory, for an
  :class:`~sfshield.crypto.EnvelopeCipher` in tests (never for production).
* :class:`EmbeddedOrg` — seeded Salesforce orgs behind a local HTTPS server (see :mod:`sfshield.testing.org`);
  also the ``embedded_org`` pytest fixture and ``python -m sfshield.testing serve``.
"""

from __future__ import annotations

from sfshield.audit.sinks import InMemoryAuditSink
from sfshield.testing._audit import capture_audit
from sfshield.testing._encryptor import EphemeralTestEncryptor
from sfshield.testing._keys import InMemoryKeyProvider
from sfshield.testing.org import EmbeddedOrg, OrgHandle

__all__ = [
    "EmbeddedOrg",
    "EphemeralTestEncryptor",
    "InMemoryAuditSink",
    "InMemoryKeyProvider",
    "OrgHandle",
    "capture_audit",
]
