"""Where wrapped data keys are kept: key records, and the stores that persist them.

A :class:`KeyRecord` is one version of one tenant's data key (DEK), *wrapped* by a key-encryption key (KEK) that
stays in the key provider. The record also holds the key's commitment (HMAC-SHA256 of the DEK over a fixed label),
checked on every unwrap, and its state. A store never sees a DEK in the clear.

Stores:

- :class:`SQLiteKeyStore` — a file (mode 0600, ``secure_delete`` on, so destroyed keys are overwritten on disk).
  Use it for anything that must outlive the process, and share it between the processes of one site.
- :class:`MemoryKeyStore` — a dict; its keys vanish with the process (tests, throwaway pipelines).

Anything with the :class:`KeyStore` methods can be passed instead (a database table of your own).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

from sfshield.exceptions import CryptoError

__all__ = ["KeyRecord", "KeyState", "KeyStore", "MemoryKeyStore", "SQLiteKeyStore"]


class KeyState(StrEnum):
    """The life cycle of a data-key version (Tink's add → distribute → promote; Shield's Active/Archived/Destroyed)."""

    PENDING = "pending"
    """Added, not yet primary: decrypts, does not encrypt. Other processes learn it before it is promoted."""
    PRIMARY = "primary"
    """Encrypts new values (one per tenant) and decrypts."""
    ARCHIVED = "archived"
    """A former primary: decrypts only. Values under it are re-encrypted lazily or by a re-encryption job."""
    DESTROYED = "destroyed"
    """The wrapped key was erased: what it encrypted can never be read again (crypto-shredding)."""


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """One stored data-key version: wrapped, never in the clear."""

    tenant: str
    key_id: int
    state: KeyState
    kek_id: str
    wrapped: bytes
    commitment: bytes
    created_at: datetime

    def __repr__(self) -> str:
        # The wrapped key is not secret without the KEK, but there is no reason to print it either.
        return (
            f"KeyRecord(tenant={self.tenant!r}, key_id={self.key_id}, state={self.state.value!r}, "
            f"kek_id={self.kek_id!r})"
        )

    def destroyed(self) -> KeyRecord:
        """This record with its key material erased."""
        return replace(self, state=KeyState.DESTROYED, wrapped=b"", commitment=b"")


@runtime_checkable
class KeyStore(Protocol):
    """Persists key records. Writes must be durable when they return; reads return what was last written."""

    def load(self, tenant: str, /) -> list[KeyRecord]:
        """Every record of ``tenant`` (destroyed ones included), in key-id order; empty if none."""
        ...

    def save(self, records: list[KeyRecord], /) -> None:
        """Insert or replace ``records`` atomically (all or none)."""
        ...

    def tenants(self) -> list[str]:
        """Every tenant that has records."""
        ...


class MemoryKeyStore:
    """Keeps key records in memory; they vanish with the process. For tests and throwaway pipelines."""

    ephemeral = True

    def __init__(self) -> None:
        self._records: dict[tuple[str, int], KeyRecord] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemoryKeyStore({len(self._records)} records)"

    def load(self, tenant: str, /) -> list[KeyRecord]:
        """Every record of ``tenant`` in key-id order."""
        with self._lock:
            return sorted((r for (t, _), r in self._records.items() if t == tenant), key=lambda r: r.key_id)

    def save(self, records: list[KeyRecord], /) -> None:
        """Insert or replace ``records``."""
        with self._lock:
            for record in records:
                self._records[record.tenant, record.key_id] = record

    def tenants(self) -> list[str]:
        """Every tenant with records."""
        with self._lock:
            return sorted({tenant for tenant, _ in self._records})


_SCHEMA = """
CREATE TABLE IF NOT EXISTS sfshield_data_keys (
    tenant      TEXT    NOT NULL,
    key_id      INTEGER NOT NULL,
    state       TEXT    NOT NULL,
    kek_id      TEXT    NOT NULL,
    wrapped     BLOB    NOT NULL,
    commitment  BLOB    NOT NULL,
    created_at  TEXT    NOT NULL,
    PRIMARY KEY (tenant, key_id)
) WITHOUT ROWID
"""


class SQLiteKeyStore:
    """Keeps key records in an SQLite file, created with mode 0600 and ``secure_delete`` on.

    Several processes may share the file (SQLite locks it); each keeps its own cache of unwrapped keys, so a key
    added elsewhere is seen at the next load (see :meth:`sfshield.crypto.Keyring.refresh`).

    Raises:
        CryptoError: the file cannot be opened or is not a key store.
    """

    ephemeral = False

    def __init__(self, path: str | os.PathLike[str], /) -> None:
        import sqlite3  # noqa: PLC0415 - only stores that use SQLite pay for importing it
        from pathlib import Path  # noqa: PLC0415

        self._sqlite = sqlite3
        self._path = Path(path)
        self._lock = threading.Lock()
        try:
            if not self._path.exists():
                self._path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self._path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
                os.close(fd)
            self._db = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA secure_delete = ON")
            self._db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise CryptoError(
                f"cannot open key store {self._path} ({type(exc).__name__}: {exc}); check the path and permissions"
            ) from None

    def __repr__(self) -> str:
        return f"SQLiteKeyStore({str(self._path)!r})"

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    def load(self, tenant: str, /) -> list[KeyRecord]:
        """Every record of ``tenant`` in key-id order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT tenant, key_id, state, kek_id, wrapped, commitment, created_at FROM sfshield_data_keys "
                "WHERE tenant = ? ORDER BY key_id",
                (tenant,),
            ).fetchall()
        return [
            KeyRecord(
                tenant=row[0],
                key_id=int(row[1]),
                state=KeyState(row[2]),
                kek_id=row[3],
                wrapped=bytes(row[4]),
                commitment=bytes(row[5]),
                created_at=datetime.fromisoformat(row[6]),
            )
            for row in rows
        ]

    def save(self, records: list[KeyRecord], /) -> None:
        """Insert or replace ``records`` in one transaction."""
        rows = [
            (r.tenant, r.key_id, r.state.value, r.kek_id, r.wrapped, r.commitment, r.created_at.isoformat())
            for r in records
        ]
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany("INSERT OR REPLACE INTO sfshield_data_keys VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
                self._db.execute("COMMIT")
            except self._sqlite.Error as exc:
                self._db.execute("ROLLBACK") if self._db.in_transaction else None
                raise CryptoError(
                    f"cannot write key store {self._path} ({type(exc).__name__}); nothing was changed"
                ) from None
        # Make erased key material unrecoverable from the write-ahead/rollback journal as well.
        if any(r.state is KeyState.DESTROYED for r in records):
            with self._lock:
                self._db.execute("VACUUM")

    def tenants(self) -> list[str]:
        """Every tenant with records."""
        with self._lock:
            return [row[0] for row in self._db.execute("SELECT DISTINCT tenant FROM sfshield_data_keys ORDER BY 1")]


def utc_now() -> datetime:
    """The current UTC time (a seam for tests)."""
    return datetime.now(UTC)
