"""Helpers for testing code that uses sfshield, shipped for users' own test suites.

* :func:`capture_audit` — collect what a Shield or pipeline audits, without touching its real sinks.
* :class:`InMemoryAuditSink` — a real sink that keeps events in a list.
* :class:`EphemeralTestEncryptor` — a real AES-GCM field encryptor whose key lives only in memory (for tests of
  ``encrypt`` rules; never for production).
"""

from __future__ import annotations

from sfshield.audit.sinks import InMemoryAuditSink
from sfshield.testing._audit import capture_audit
from sfshield.testing._encryptor import EphemeralTestEncryptor

__all__ = ["EphemeralTestEncryptor", "InMemoryAuditSink", "capture_audit"]
