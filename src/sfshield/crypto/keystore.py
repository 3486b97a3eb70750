"""Where wrapped data keys are kept: key records, and the stores that persist them.

A :class:`KeyRecord` is one version of one tenant's data key (DEK), *wrapped* by a key-encryption key (KEK) that
stays in the key provider. The record also holds the key's commitment (HMAC-SHA256 of the DEK over a fixed label),
checked on every unwrap, and its state. A store never sees a DEK in the clear.

Stores:

- :class:`SQLiteKeyStore` — a file (mode 0600, ``secure_delete`` on, so destroyed keys are overwritten on disk),
  marked with the SQLite ``application_id`` :data:`APPLICATION_ID` (``"sfK1"``). Use it for anything that must
  outlive the process, and share it between the processes of one site.
- :class:`MemoryKeyStore` — a dict; its keys vanish with the process (tests, throwaway pipelines).

Anything with the :class:`KeyStore` methods can be passed instead (a database table of your own). Its
:meth:`KeyStore.insert` must refuse an existing (tenant, key id) atomically — a unique key and a plain ``INSERT`` in
one transaction — because that is what stops two processes from creating two different keys under one id.
"""

from __future__ import annotations

import os
import threading
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable

from sfshield._files import connect_private_db
from sfshield.exceptions import CryptoError

if TYPE_CHECKING:
    import sqlite3
    from pathlib import Path

__all__ = ["APPLICATION_ID", "KeyRecord", "KeyState", "KeyStore", "MemoryKeyStore", "SQLiteKeyStore"]


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

    def insert(self, records: list[KeyRecord], /) -> bool:
        """Add ``records`` that must be new, atomically: all of them, or none and ``False``.

        ``False`` means a record with one of their (tenant, key id) pairs exists already (another process created
        it first); nothing was written. This is how a keyring creates keys: it must never overwrite one.
        """
        ...

    def save(self, records: list[KeyRecord], /) -> None:
        """Insert or replace ``records`` atomically (all or none): state changes of existing records."""
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

    def insert(self, records: list[KeyRecord], /) -> bool:
        """Add new ``records``; ``False``, with nothing written, if one of their ids exists."""
        with self._lock:
            if any((r.tenant, r.key_id) in self._records for r in records):
                return False
            for record in records:
                self._records[record.tenant, record.key_id] = record
        return True

    def save(self, records: list[KeyRecord], /) -> None:
        """Insert or replace ``records``."""
        with self._lock:
            for record in records:
                self._records[record.tenant, record.key_id] = record

    def tenants(self) -> list[str]:
        """Every tenant with records."""
        with self._lock:
            return sorted({tenant for tenant, _ in self._records})


_TABLE: Final = "sfshield_data_keys"
_SCHEMA: Final = """
CREATE TABLE sfshield_data_keys (
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
_SELECT: Final = (
    "SELECT tenant, key_id, state, kek_id, wrapped, commitment, created_at FROM sfshield_data_keys "
    "WHERE tenant = ? ORDER BY key_id"
)
_TENANTS: Final = "SELECT DISTINCT tenant FROM sfshield_data_keys ORDER BY 1"
_INSERT: Final = (
    "INSERT INTO sfshield_data_keys (tenant, key_id, state, kek_id, wrapped, commitment, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_UPSERT: Final = (
    "INSERT OR REPLACE INTO sfshield_data_keys (tenant, key_id, state, kek_id, wrapped, commitment, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
APPLICATION_ID: Final = 0x73664B31
"""The SQLite ``application_id`` that marks a file as a key store: ``0x73664B31``, ASCII ``"sfK1"``.

(The quarantine store uses ``"sfQ1"``.) ``file keys.db`` shows it, and :class:`SQLiteKeyStore` refuses a file that
carries another one.
"""


class SQLiteKeyStore:
    """Keeps key records in an SQLite file that only its owner may read, with ``secure_delete`` on.

    A missing file is created with mode 0600 (and missing parent directories with mode 0700), and marked with
    :data:`APPLICATION_ID`. An existing file is opened only if it is a regular file that neither group nor others
    may access, and if it is a key store: a file marked by another application, or an SQLite database with other
    tables but no key table, is refused rather than given a key table.

    Several processes may share the file: writes take SQLite's write lock (``BEGIN IMMEDIATE``), and
    :meth:`insert` never overwrites, so two processes cannot both create one key id. Each process keeps its own
    cache of unwrapped keys (see :class:`sfshield.crypto.Keyring`, ``cache_ttl`` and ``refresh``).

    Args:
        path: the SQLite file.
        create: create the file if it is missing (a new deployment). Pass ``False`` where a missing store
            means a wrong path, not a new site: a new, empty store would silently start new keys.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as folder, SQLiteKeyStore(pathlib.Path(folder) / "keys.db") as store:
    ...     store.tenants()
    []

    Raises:
        CryptoError: the file is missing and ``create`` is false, is accessible to group or others, is not a key
            store, or cannot be opened.
    """

    ephemeral = False

    def __init__(self, path: str | os.PathLike[str], /, *, create: bool = True) -> None:
        import sqlite3  # noqa: PLC0415 - only stores that use SQLite pay for importing them (import time)
        from pathlib import Path  # noqa: PLC0415

        self._sqlite = sqlite3
        self._path = Path(path)
        self._lock = threading.Lock()
        self._db = _open_key_file(self._path, create=create)

    def __repr__(self) -> str:
        return f"SQLiteKeyStore({str(self._path)!r})"

    def __enter__(self) -> SQLiteKeyStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    def load(self, tenant: str, /) -> list[KeyRecord]:
        """Every record of ``tenant`` in key-id order."""
        with self._lock:
            rows = self._read(_SELECT, (tenant,))
        try:
            return [
                KeyRecord(row[0], int(row[1]), KeyState(row[2]), row[3], bytes(row[4]), bytes(row[5]), _utc(row[6]))
                for row in rows
            ]
        except (TypeError, ValueError):
            raise CryptoError(
                f"key store {self._path} holds a malformed record of tenant {tenant!r} (the file was edited outside "
                "sfshield); restore it from a backup"
            ) from None

    def insert(self, records: list[KeyRecord], /) -> bool:
        """Add new ``records`` in one transaction; ``False``, with nothing written, if one of their ids exists."""
        return self._write(_INSERT, records)

    def save(self, records: list[KeyRecord], /) -> None:
        """Insert or replace ``records`` in one transaction."""
        self._write(_UPSERT, records)
        # Make erased key material unrecoverable from free pages and the rollback journal as well.
        if any(r.state is KeyState.DESTROYED for r in records):
            with self._lock:
                try:
                    self._db.execute("VACUUM")
                except self._sqlite.Error as exc:
                    raise CryptoError(
                        f"the keys were erased from key store {self._path}, but compacting the file failed "
                        f"({type(exc).__name__}: {exc}); run `sqlite3 {self._path} VACUUM` when no process uses it"
                    ) from None

    def tenants(self) -> list[str]:
        """Every tenant with records."""
        with self._lock:
            return [row[0] for row in self._read(_TENANTS, ())]

    def _read(self, sql: str, parameters: tuple[str, ...]) -> list[Any]:
        try:
            return self._db.execute(sql, parameters).fetchall()
        except self._sqlite.Error as exc:
            raise CryptoError(
                f"cannot read key store {self._path} ({type(exc).__name__}: {exc}); check the file"
            ) from None

    def _write(self, statement: str, records: list[KeyRecord]) -> bool:
        rows = [
            (r.tenant, r.key_id, r.state.value, r.kek_id, r.wrapped, r.commitment, r.created_at.isoformat())
            for r in records
        ]
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany(statement, rows)
                self._db.execute("COMMIT")
            except self._sqlite.Error as exc:
                with suppress(self._sqlite.Error):  # a closed connection has no transaction to roll back
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                if isinstance(exc, self._sqlite.IntegrityError):
                    return False
                raise CryptoError(
                    f"cannot write key store {self._path} ({type(exc).__name__}: {exc}); nothing was changed"
                ) from None
        return True


def _open_key_file(path: Path, *, create: bool) -> sqlite3.Connection:
    """Create ``path`` (mode 0600) or check that the existing file is private; connect; check it is a key store."""
    return connect_private_db(
        path,
        what="key store",
        error=CryptoError,
        prepare=lambda db: _create_or_check_schema(db, path, create=create),
        busy_timeout=30.0,
        create=create,
        missing=f"there is no key store at {path}; give the path of the existing key store (create=False refuses "
        "to start a new one, which would make new keys and leave existing ciphertexts unreadable)",
    )


def _create_or_check_schema(db: sqlite3.Connection, path: Path, *, create: bool) -> None:
    db.execute("BEGIN IMMEDIATE")
    try:
        application_id = db.execute("PRAGMA application_id").fetchone()[0]
        if application_id not in {0, APPLICATION_ID}:
            raise CryptoError(
                f"{path} is not an sfshield key store (its SQLite application_id is {application_id:#010x}); give "
                "the path of a key store, or of a new file"
            )
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
        if _TABLE not in tables:
            if tables:
                raise CryptoError(
                    f"{path} is not an sfshield key store (it is another SQLite database); give the path of a key "
                    "store, or of a new file"
                )
            if not create:
                raise CryptoError(f"{path} is empty, not a key store; give the path of the existing key store")
            db.execute(_SCHEMA)
        if application_id == 0:
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute("COMMIT")
    finally:
        if db.in_transaction:
            db.execute("ROLLBACK")


def _utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("naive timestamp")
    return moment


def utc_now() -> datetime:
    """The current UTC time (a seam for tests)."""
    return datetime.now(UTC)
