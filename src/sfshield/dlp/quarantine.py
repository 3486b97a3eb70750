"""The quarantine: records the DLP policy says must not pass are held back whole, encrypted, until a person decides.

A :class:`QuarantineStore` keeps held records in one SQLite file (mode 0600; a file the group or others may access is
refused). Each record is stored whole as JSON, encrypted with
:meth:`EnvelopeCipher.encrypt <sfshield.crypto.EnvelopeCipher.encrypt>` under the tenant's ``quarantine`` purpose
key. Its context is rebuilt from the row on every read and never stored::

    tenant ‖ purpose=quarantine ‖ quarantine_id ‖ sobject ‖ record_id ‖ metadata_sha256

where ``metadata_sha256`` covers the clear metadata (the purpose the record was held from, the reason, the finding
kinds, ``held_at``). A ciphertext moved to another row, or a row whose metadata was edited, does not decrypt. The
metadata stays in the clear so the store can be listed without keys; never the record's values.

**Ordering: change, audit, commit.** Every operation that changes the store runs in one SQLite transaction:

1. :meth:`~QuarantineStore.hold` encrypts every record first (nothing is written if one cannot be encrypted), then
   inserts the rows, emits one :class:`~sfshield.audit.RecordsQuarantined` event, and commits.
2. If the insert fails, nothing was written and nothing is audited. If the audit fails, the insert is rolled
   back: no record is held that the trail does not show. If the commit fails after the event was recorded, the
   rows are rolled back and an :class:`~sfshield.audit.OperationBlocked` event corrects the trail.
3. Each failure raises :class:`~sfshield.exceptions.QuarantineError`. The records are then neither held nor
   passed on: the caller still has them and must stop the batch (fail closed). So a caller drops records only
   after ``hold`` returned their ids.

Review follows the same order. :meth:`~QuarantineStore.show` decrypts for a reviewer and audits it (``viewed``);
the record is returned only once the event is recorded. :meth:`~QuarantineStore.release` returns the record and
:meth:`~QuarantineStore.discard` drops it; both erase the ciphertext (``secure_delete`` overwrites it) and keep
the metadata and the decision, audited as :class:`~sfshield.audit.QuarantineReviewed`.

Crypto-shredding a tenant (:meth:`Keyring.destroy_tenant <sfshield.crypto.Keyring.destroy_tenant>`) makes its held
records unreadable for good; they can still be listed and discarded.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import os
import secrets
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, Generic, NoReturn, TypeVar

from sfshield._files import connect_private_db
from sfshield.audit.events import AuditEvent, OperationBlocked, QuarantineReviewed, RecordsQuarantined
from sfshield.audit.pipeline import AuditPipeline
from sfshield.crypto.cipher import EnvelopeCipher
from sfshield.crypto.context import EncryptionContext
from sfshield.crypto.keystore import utc_now
from sfshield.dlp.findings import check_kind_names
from sfshield.dlp.scanner import ScanResult
from sfshield.exceptions import AuditError, ConfigurationError, CryptoError, DecryptionError, QuarantineError

__all__ = [
    "Partition",
    "QuarantineEntry",
    "QuarantineStatus",
    "QuarantineStore",
    "ReviewDecision",
    "partition",
]

R = TypeVar("R", bound=Mapping[str, Any])

PURPOSE: Final = "quarantine"
_APPLICATION_ID: Final = 0x73665131  # "sfQ1": marks a file as a quarantine store
_MAX_RECORD_BYTES: Final = 16 * 1024 * 1024
_MAX_TEXT: Final = 1024
_MEMORY: Final = ":memory:"

_SCHEMA: Final = """
CREATE TABLE sfshield_quarantine (
    id            TEXT PRIMARY KEY,
    tenant        TEXT NOT NULL,
    purpose       TEXT NOT NULL,  -- the purpose the record was held from
    sobject       TEXT,
    record_id     TEXT,
    reason        TEXT NOT NULL,
    kinds         TEXT NOT NULL,  -- JSON array of finding kinds, sorted
    held_at       TEXT NOT NULL,
    status        TEXT NOT NULL,
    reviewed_at   TEXT,
    reviewer      TEXT,
    review_reason TEXT,
    ciphertext    BLOB            -- NULL once released or discarded
);
CREATE INDEX sfshield_quarantine_listing ON sfshield_quarantine (status, tenant, held_at);
"""
# Columns 0-7 are the metadata bound into each ciphertext's context (see _context), 8-11 the review, 12 the blob.
_INSERT: Final = """
INSERT INTO sfshield_quarantine (id, tenant, purpose, sobject, record_id, reason, kinds, held_at, status, ciphertext)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'held', ?)
"""
_SELECT: Final = """
SELECT id, tenant, purpose, sobject, record_id, reason, kinds, held_at, status, reviewed_at, reviewer, review_reason,
       ciphertext
FROM sfshield_quarantine WHERE id = ?
"""
_LIST: Final = """
SELECT id, tenant, purpose, sobject, record_id, reason, kinds, held_at, status, reviewed_at, reviewer, review_reason,
       NULL
FROM sfshield_quarantine
WHERE (:tenant IS NULL OR tenant = :tenant) AND (:status IS NULL OR status = :status) ORDER BY held_at, rowid
"""
_REVIEW: Final = """
UPDATE sfshield_quarantine SET status = ?, reviewed_at = ?, reviewer = ?, review_reason = ?, ciphertext = NULL
WHERE id = ?
"""


_VERBS: Final = {"released": "release", "discarded": "discard"}


class QuarantineStatus(StrEnum):
    """Where a quarantined record stands."""

    HELD = "held"
    """Waiting for review; its ciphertext is in the store."""
    RELEASED = "released"
    """Handed back for its purpose by a reviewer; only the metadata and the decision are kept."""
    DISCARDED = "discarded"
    """Dropped by a reviewer; its ciphertext was erased."""


class ReviewDecision(StrEnum):
    """What a reviewer did with a quarantined record (the ``decision`` of a ``QuarantineReviewed`` event)."""

    VIEWED = "viewed"
    RELEASED = "released"
    DISCARDED = "discarded"


@dataclass(frozen=True, slots=True, kw_only=True)
class QuarantineEntry:
    """The metadata of one quarantined record: ids, names, kinds and times, never a value.

    Attributes:
        id: the quarantine id (random, 32 hex digits).
        tenant: whose record it is (and whose keys encrypt it).
        purpose: the purpose it was held back from.
        sobject: its object, if known.
        record_id: its Salesforce ``Id``, if it had one.
        reason: why it was held (the caller's words, such as the policy rule).
        kinds: the finding kinds that made it held, sorted.
        held_at: when it was held (UTC).
        status: held, released or discarded.
        reviewed_at: when it was released or discarded.
        reviewer: who released or discarded it.
        review_reason: why.
    """

    id: str
    tenant: str
    purpose: str
    sobject: str | None
    record_id: str | None
    reason: str
    kinds: tuple[str, ...]
    held_at: datetime
    status: QuarantineStatus
    reviewed_at: datetime | None = None
    reviewer: str | None = None
    review_reason: str | None = None

    def to_json_dict(self) -> dict[str, Any]:
        """The entry as JSON-ready data (times in ISO 8601)."""
        return {
            "id": self.id,
            "tenant": self.tenant,
            "purpose": self.purpose,
            "sobject": self.sobject,
            "record_id": self.record_id,
            "reason": self.reason,
            "kinds": list(self.kinds),
            "held_at": self.held_at.isoformat(),
            "status": self.status.value,
            "reviewed_at": self.reviewed_at.isoformat() if self.reviewed_at else None,
            "reviewer": self.reviewer,
            "review_reason": self.review_reason,
        }


@dataclass(frozen=True, slots=True, repr=False)
class Partition(Generic[R]):
    """A batch split by :func:`partition`: the records that pass, and those to hold with their finding kinds.

    Its ``repr`` shows counts only: the records hold values.

    Attributes:
        passed: the records that may go on, in input order.
        held: the records to hold back, in input order.
        held_kinds: for each held record, the sorted kinds found in it (what :meth:`QuarantineStore.hold` takes).
    """

    passed: list[R]
    held: list[R]
    held_kinds: list[tuple[str, ...]]

    def __repr__(self) -> str:
        return f"Partition(passed={len(self.passed)}, held={len(self.held)})"


def partition(
    records: Sequence[R],
    results: Sequence[Mapping[str, ScanResult]],
    /,
    *,
    must_hold: Callable[[frozenset[str]], bool] | Collection[str],
) -> Partition[R]:
    """Split ``records`` by their scan results into those that pass and those the policy says must be held.

    Args:
        records: the batch.
        results: for each record, its fields with findings (what :meth:`Scanner.scan_record
            <sfshield.dlp.Scanner.scan_record>` returns), in the same order.
        must_hold: given the kinds found in a record, whether it must be held; or the kinds that hold a record
            whenever one of them is found.

    >>> from sfshield.dlp import Scanner
    >>> rows = [{"Description": "all fine"}, {"Description": "my SSN is 536-22-1234"}]
    >>> split = partition(rows, [Scanner().scan_record(r) for r in rows], must_hold={"US_SSN"})
    >>> split, split.held_kinds
    (Partition(passed=1, held=1), [('US_SSN',)])

    Raises:
        ValueError: ``records`` and ``results`` differ in length.
    """
    if len(records) != len(results):
        raise ValueError(
            f"partition() needs one scan result per record: {len(records)} records, {len(results)} results"
        )
    decide = must_hold if callable(must_hold) else _any_of(check_kind_names(must_hold, what="must_hold"))
    passed: list[R] = []
    held: list[R] = []
    held_kinds: list[tuple[str, ...]] = []
    for record, fields in zip(records, results, strict=True):
        kinds = _kinds_of(fields)
        if kinds and decide(kinds):
            held.append(record)
            held_kinds.append(tuple(sorted(kinds)))
        else:
            passed.append(record)
    return Partition(passed, held, held_kinds)


def _any_of(blocked: frozenset[str]) -> Callable[[frozenset[str]], bool]:
    return lambda kinds: not blocked.isdisjoint(kinds)


def _kinds_of(findings: Mapping[str, ScanResult] | Iterable[str]) -> frozenset[str]:
    if isinstance(findings, str):
        raise TypeError("finding kinds must be a collection of kind names, not one string")
    if isinstance(findings, Mapping):
        return frozenset(str(kind) for result in findings.values() for kind in result.kinds)
    return frozenset(str(kind) for kind in findings)


class QuarantineStore:
    """Holds records back, encrypted, in an SQLite file until a reviewer releases or discards them.

    Every method is thread-safe, and processes may share the file (SQLite locks it). The store never puts a record
    value in a ``repr``, an exception or an audit event, and it cannot be pickled.

    Args:
        cipher: encrypts the records (under each tenant's ``quarantine`` purpose key). ``None`` opens the store
            for metadata only: :meth:`list`, :meth:`entry` and :meth:`discard` work without keys; :meth:`hold`,
            :meth:`show` and :meth:`release` then raise :class:`~sfshield.exceptions.ConfigurationError`.
        path: the SQLite file; created with mode 0600 (its missing parent directories with 0700) if absent.
        audit: receives one event per hold and per review, in the same transaction (see the module docstring);
            ``None`` audits nothing (tests, or a caller that audits itself).
        clock: returns the current UTC time (a seam for tests); it stamps ``held_at`` and ``reviewed_at``.
        lock_timeout: seconds to wait for another process's lock on the file before failing.

    >>> from sfshield.testing import InMemoryKeyProvider
    >>> store = QuarantineStore.in_memory(EnvelopeCipher(InMemoryKeyProvider()), audit=None)
    >>> [qid] = store.hold([{"Id": "500000000000001AAA", "Description": "card 4111 1111 1111 1111"}],
    ...                    tenant="acme", purpose="training", sobject="Case", reason="card in free text",
    ...                    findings=[["CREDIT_CARD"]])
    >>> [(e.record_id, e.kinds, e.status.value) for e in store.list()]
    [('500000000000001AAA', ('CREDIT_CARD',), 'held')]
    >>> store.release(qid, reviewer="ana", reason="test card")["Description"]
    'card 4111 1111 1111 1111'
    >>> store.close()

    Raises:
        QuarantineError: the file is accessible to group or others, is not a quarantine store, or cannot be opened.
    """

    def __init__(
        self,
        cipher: EnvelopeCipher | None,
        path: str | os.PathLike[str],
        /,
        *,
        audit: AuditPipeline | None,
        clock: Callable[[], datetime] = utc_now,
        lock_timeout: float = 5.0,
    ) -> None:
        _check_parts(cipher, audit)
        self._path = Path(path)
        self._cipher = cipher
        self._audit = audit
        self._clock = clock
        self._lock = threading.Lock()
        self._db = _connect(_MEMORY if str(path) == _MEMORY else self._path, lock_timeout)

    @classmethod
    def in_memory(
        cls, cipher: EnvelopeCipher, /, *, audit: AuditPipeline | None, clock: Callable[[], datetime] = utc_now
    ) -> QuarantineStore:
        """A store whose records vanish with it (tests, throwaway pipelines); same behaviour as a file store."""
        return cls(cipher, _MEMORY, audit=audit, clock=clock)

    def __repr__(self) -> str:
        return f"QuarantineStore({str(self._path)!r})"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a QuarantineStore holds a cipher with unwrapped keys and cannot be pickled")

    def __enter__(self) -> QuarantineStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def path(self) -> Path:
        """The SQLite file (``:memory:`` for an in-memory store)."""
        return self._path

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    # -- holding -------------------------------------------------------------------------------------------------

    def hold(
        self,
        records: Sequence[Mapping[str, Any]],
        /,
        *,
        tenant: str,
        purpose: str,
        sobject: str | None,
        reason: str,
        findings: Sequence[Iterable[str] | Mapping[str, ScanResult]],
    ) -> builtins.list[str]:
        """Hold ``records`` back, each whole and encrypted, in one transaction with one audit event.

        Returns only once the records are stored and the event recorded; on any error nothing is held, so the
        caller must not have dropped the records before (see the module docstring for the ordering).

        Args:
            records: the records to hold (JSON-compatible values, as Salesforce returns them).
            tenant: whose records they are.
            purpose: the purpose they were held back from.
            sobject: their object, if known.
            reason: why they are held, in a few words without values (the policy rule, say); at most 1,024 chars.
            findings: for each record, the kinds found in it, or its fields with findings (a
                :meth:`Scanner.scan_record <sfshield.dlp.Scanner.scan_record>` result).

        Returns:
            The quarantine ids, one per record, in order.

        Raises:
            TypeError: ``records`` is not a sequence of mappings.
            ValueError: ``findings`` differs in length from ``records``, or a name or reason is empty or too long.
            QuarantineError: a record cannot be stored as JSON or encrypted (the tenant was shredded, the key
                provider failed), the file cannot be written, or the audit trail failed; nothing was held.
        """
        batch = _checked_records(records, findings)
        tenant, purpose, reason = _text(tenant, "tenant"), _text(purpose, "purpose"), _text(reason, "reason")
        sobject = _text(sobject, "sobject") if sobject is not None else None
        if not batch:
            return []
        held_at = _timestamp(self._now())
        rows = [
            self._seal(record, kinds, tenant=tenant, purpose=purpose, sobject=sobject, reason=reason, held_at=held_at)
            for record, kinds in batch
        ]
        ids = [row[0] for row in rows]
        event = RecordsQuarantined(
            tenant=tenant,
            purpose=purpose,
            sobject=sobject,
            record_count=len(rows),
            quarantine_ids=tuple(ids),
            finding_kinds=tuple(sorted({kind for _, kinds in batch for kind in kinds})),
            reason=reason,
        )
        with self._transaction("hold") as write:
            write.db.executemany(_INSERT, rows)
            write.event = event
        return ids

    # -- reading -------------------------------------------------------------------------------------------------

    def list(
        self, *, tenant: str | None = None, status: QuarantineStatus | str | None = QuarantineStatus.HELD
    ) -> builtins.list[QuarantineEntry]:
        """The entries (metadata only, no decryption), oldest first; filtered by tenant and status.

        Args:
            tenant: only this tenant's entries (default: every tenant's).
            status: only entries with this status (default: held); ``None`` for all.

        Raises:
            ValueError: ``status`` is not a :class:`QuarantineStatus`.
        """
        wanted = _status(status).value if status is not None else None
        with self._reading() as db:
            rows = db.execute(_LIST, {"tenant": tenant, "status": wanted}).fetchall()
        return [self._entry(row) for row in rows]

    def entry(self, quarantine_id: str, /) -> QuarantineEntry:
        """The metadata of one entry (no decryption, not audited).

        Raises:
            QuarantineError: no entry has that id.
        """
        with self._reading() as db:
            return self._entry(self._row(db, quarantine_id))

    def show(self, quarantine_id: str, /, *, reviewer: str, reason: str) -> dict[str, Any]:
        """Decrypt a held record for a reviewer; audited as ``viewed`` before the record is returned.

        Raises:
            ValueError: ``reviewer`` or ``reason`` is empty or too long.
            QuarantineError: no such entry, it was already released or discarded, it cannot be decrypted (the
                tenant was shredded, or the row was edited), or the audit trail failed; nothing was returned.
        """
        reviewer, reason = _text(reviewer, "reviewer"), _text(reason, "reason")
        with self._reading() as db:
            entry, record = self._open(self._row(db, quarantine_id))
            self._emit(_review_event(entry, ReviewDecision.VIEWED, reviewer, reason), "view")
        return record

    # -- reviewing -----------------------------------------------------------------------------------------------

    def release(self, quarantine_id: str, /, *, reviewer: str, reason: str) -> dict[str, Any]:
        """Hand a held record back for its purpose: return it, erase its ciphertext, mark it released (audited).

        Raises:
            ValueError: ``reviewer`` or ``reason`` is empty or too long.
            QuarantineError: no such entry, it was already released or discarded, it cannot be decrypted, or the
                store or the audit trail failed; it then stays held and nothing was returned.
        """
        return self._review(quarantine_id, ReviewDecision.RELEASED, reviewer, reason)

    def discard(self, quarantine_id: str, /, *, reviewer: str, reason: str) -> None:
        """Drop a held record for good: erase its ciphertext and mark it discarded (audited). No key is needed.

        Raises:
            ValueError: ``reviewer`` or ``reason`` is empty or too long.
            QuarantineError: no such entry, it was already released or discarded, or the store or the audit trail
                failed; it then stays held.
        """
        self._review(quarantine_id, ReviewDecision.DISCARDED, reviewer, reason)

    def _review(self, quarantine_id: str, decision: ReviewDecision, reviewer: str, reason: str) -> dict[str, Any]:
        reviewer, reason = _text(reviewer, "reviewer"), _text(reason, "reason")
        record: dict[str, Any] = {}
        with self._transaction(_VERBS[decision]) as write:
            row = self._row(write.db, quarantine_id)
            if decision is ReviewDecision.RELEASED:
                entry, record = self._open(row)
            else:
                entry = self._held(row)  # discarding needs no key: a shredded tenant's records can be cleared
            now = _timestamp(self._now())
            write.db.execute(_REVIEW, (QuarantineStatus(decision.value).value, now, reviewer, reason, entry.id))
            write.event = _review_event(entry, decision, reviewer, reason)
        return record

    # -- internals -----------------------------------------------------------------------------------------------

    def _now(self) -> datetime:
        now = self._clock()
        if not isinstance(now, datetime) or now.utcoffset() is None:
            raise ValueError("the quarantine clock must return a timezone-aware datetime, such as datetime.now(UTC)")
        return now

    def _seal(
        self,
        record: Mapping[str, Any],
        kinds: tuple[str, ...],
        *,
        tenant: str,
        purpose: str,
        sobject: str | None,
        reason: str,
        held_at: str,
    ) -> tuple[Any, ...]:
        cipher = self._keys("hold records")
        quarantine_id = secrets.token_hex(16)
        row = (quarantine_id, tenant, purpose, sobject, _record_id(record), reason, json.dumps(kinds), held_at)
        try:
            blob = cipher.encrypt(_encode(record), context=_context(row))
        except CryptoError as exc:
            raise QuarantineError(
                f"cannot encrypt records of tenant {tenant!r} for the quarantine ({type(exc).__name__}: {exc}); "
                "nothing was held and nothing was passed on"
            ) from exc
        return (*row, blob)

    def _open(self, row: tuple[Any, ...]) -> tuple[QuarantineEntry, dict[str, Any]]:
        cipher = self._keys("decrypt a held record")
        entry = self._held(row)
        try:
            plain = cipher.decrypt(bytes(row[12]), context=_context(row))
            record = json.loads(plain)
        except (DecryptionError, ValueError, TypeError):
            raise QuarantineError(self._unreadable(entry)) from None
        except CryptoError as exc:  # the key provider failed (an HSM is down): not the record's fault
            raise QuarantineError(
                f"cannot decrypt quarantined record {entry.id} ({type(exc).__name__}: {exc}); it stays held"
            ) from exc
        if not isinstance(record, dict):
            raise QuarantineError(self._unreadable(entry))
        return entry, record

    def _keys(self, doing: str) -> EnvelopeCipher:
        if self._cipher is None:
            raise ConfigurationError(
                f"this quarantine store was opened without a cipher (metadata only), which cannot {doing}: open it "
                "with the EnvelopeCipher over the tenant keys (CLI: --key-file and --key-store)"
            )
        return self._cipher

    def _unreadable(self, entry: QuarantineEntry) -> str:
        if not self._keys("read records").keyring.decryptable_key_ids(entry.tenant):
            return (
                f"quarantined record {entry.id} cannot be read: tenant {entry.tenant!r} has no data keys (it was "
                "crypto-shredded, or this is not its key store), so its content is gone; discard the entry"
            )
        return (
            f"quarantined record {entry.id} could not be decrypted: its row was edited or copied (metadata or "
            "ciphertext), or it was encrypted with other keys. Nothing was returned; treat the file as tampered with"
        )

    def _held(self, row: tuple[Any, ...]) -> QuarantineEntry:
        entry = self._entry(row)
        if entry.status is QuarantineStatus.HELD and row[12] is None:
            raise QuarantineError(self._unreadable(entry))
        if entry.status is not QuarantineStatus.HELD:
            when = f" on {entry.reviewed_at:%Y-%m-%d %H:%M} UTC" if entry.reviewed_at else ""
            raise QuarantineError(
                f"quarantined record {entry.id} was already {entry.status.value}{when} by {entry.reviewer}; "
                "its content is no longer in the quarantine"
            )
        return entry

    def _row(self, db: sqlite3.Connection, quarantine_id: object) -> tuple[Any, ...]:
        if not isinstance(quarantine_id, str):
            raise TypeError(f"a quarantine id is a str, not {type(quarantine_id).__name__}")
        row = db.execute(_SELECT, (quarantine_id,)).fetchone()
        if row is None:
            raise QuarantineError(
                f"no quarantined record has id {quarantine_id[:64]!r} in {self._path}; list them with "
                "QuarantineStore.list (or `sfshield quarantine list`)"
            )
        return tuple(row)

    def _entry(self, row: Sequence[Any]) -> QuarantineEntry:
        try:
            return QuarantineEntry(
                id=row[0],
                tenant=row[1],
                purpose=row[2],
                sobject=row[3],
                record_id=row[4],
                reason=row[5],
                kinds=tuple(json.loads(row[6])),
                held_at=datetime.fromisoformat(row[7]),
                status=QuarantineStatus(row[8]),
                reviewed_at=datetime.fromisoformat(row[9]) if row[9] else None,
                reviewer=row[10],
                review_reason=row[11],
            )
        except (ValueError, TypeError):
            raise QuarantineError(
                f"quarantine store {self._path} holds a malformed row (the file was edited outside sfshield); "
                "restore the file from a backup"
            ) from None

    def _emit(self, event: AuditEvent, doing: str) -> None:
        if self._audit is None:
            return
        try:
            self._audit.emit(event)
        except AuditError as exc:
            raise QuarantineError(
                f"the audit trail could not record this quarantine {doing} ({exc}); it was not done: nothing was "
                "held, released or discarded, and no record was returned or passed on"
            ) from exc

    def _retract(self, event: AuditEvent, doing: str, exc: sqlite3.Error) -> str:
        """After a failed commit, record that the audited change did not happen; return what the error adds."""
        if self._audit is None:
            return ""
        correction = OperationBlocked(
            tenant=event.tenant,
            operation=f"quarantine {doing}",
            purpose=getattr(event, "purpose", None),
            sobject=getattr(event, "sobject", None),
            error_type="QuarantineError",
            message=f"event {event.event_id} was recorded, but the store could not commit ({type(exc).__name__})",
        )
        try:
            self._audit.emit(correction)
        except AuditError:
            return f" The audit trail shows event {event.event_id} for it, and the correction could NOT be recorded."
        return f" The audit trail shows event {event.event_id} for it, corrected by event {correction.event_id}."

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._db
            except sqlite3.Error as exc:
                raise QuarantineError(
                    f"cannot read quarantine store {self._path} ({type(exc).__name__}); check the file"
                ) from exc

    @contextmanager
    def _transaction(self, doing: str) -> Iterator[_Write]:
        """BEGIN, the caller's writes, its audit event, COMMIT: all or nothing (see the module docstring)."""
        with self._lock:
            write = _Write(self._db)
            try:
                write.db.execute("BEGIN IMMEDIATE")
                yield write
                if write.event is not None:
                    self._emit(write.event, doing)
            except BaseException as exc:
                _rollback(write.db)
                if isinstance(exc, sqlite3.Error):
                    raise QuarantineError(
                        f"cannot write quarantine store {self._path} ({type(exc).__name__}); nothing changed, and "
                        "no record was passed on. Check the file and retry"
                    ) from exc
                raise
            try:
                write.db.execute("COMMIT")
            except sqlite3.Error as exc:
                _rollback(write.db)
                added = self._retract(write.event, doing, exc) if write.event is not None else ""
                raise QuarantineError(
                    f"cannot commit to quarantine store {self._path} ({type(exc).__name__}); the {doing} did not "
                    f"happen and no record was passed on.{added} Retry"
                ) from exc


@dataclass(slots=True)
class _Write:
    """One transaction in progress: the connection, and the event to record before it commits."""

    db: sqlite3.Connection
    event: AuditEvent | None = None


def _check_parts(cipher: object, audit: object) -> None:
    if cipher is not None and not isinstance(cipher, EnvelopeCipher):
        raise TypeError(f"cipher must be an EnvelopeCipher (or None for metadata only), not {type(cipher).__name__}")
    if audit is not None and not isinstance(audit, AuditPipeline):
        raise TypeError(f"audit must be an AuditPipeline or None, not {type(audit).__name__}")


def _rollback(db: sqlite3.Connection) -> None:
    with suppress(sqlite3.Error):  # a closed connection has no transaction to roll back
        if db.in_transaction:
            db.execute("ROLLBACK")


def _review_event(entry: QuarantineEntry, decision: ReviewDecision, reviewer: str, reason: str) -> QuarantineReviewed:
    return QuarantineReviewed(
        tenant=entry.tenant,
        quarantine_id=entry.id,
        decision=decision.value,
        reviewer=reviewer,
        reason=reason,
        sobject=entry.sobject,
        record_id=entry.record_id,
    )


def _context(row: Sequence[Any]) -> EncryptionContext:
    """The context of a row's ciphertext, rebuilt from its metadata columns (0-7) on every read."""
    quarantine_id, tenant, purpose, sobject, record_id, reason, kinds_json, held_at = row[:8]
    metadata = json.dumps([purpose, reason, kinds_json, held_at], ensure_ascii=False, separators=(",", ":"))
    pairs = {
        "tenant": tenant,
        "purpose": PURPOSE,
        "quarantine_id": quarantine_id,
        "metadata_sha256": hashlib.sha256(metadata.encode()).hexdigest(),
    }
    if sobject is not None:
        pairs["sobject"] = sobject
    if record_id is not None:
        pairs["record_id"] = record_id
    return EncryptionContext(pairs)


def _checked_records(records: object, findings: object) -> builtins.list[tuple[Mapping[str, Any], tuple[str, ...]]]:
    if not isinstance(records, Sequence) or isinstance(records, str | bytes):
        raise TypeError(f"records must be a sequence of mappings, not {type(records).__name__}")
    if not isinstance(findings, Sequence) or isinstance(findings, str | bytes):
        raise TypeError(f"findings must be a sequence (one entry per record), not {type(findings).__name__}")
    if len(records) != len(findings):
        raise ValueError(f"hold() needs the finding kinds of every record: {len(records)} records, {len(findings)}")
    for index, record in enumerate(records):
        if not isinstance(record, Mapping):
            raise TypeError(f"record {index} is a {type(record).__name__}, not a mapping")
    return [(record, tuple(sorted(_kinds_of(kinds)))) for record, kinds in zip(records, findings, strict=True)]


class _NotJsonError(Exception):
    def __init__(self, value: object) -> None:
        super().__init__(type(value).__name__)


def _not_json(value: object) -> object:
    if isinstance(value, Mapping):
        return dict(value)
    raise _NotJsonError(value)


def _encode(record: Mapping[str, Any]) -> bytes:
    """The record as compact JSON; refused (by type, never by value) if JSON cannot carry it or it is too large."""
    try:
        text = json.dumps(dict(record), ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_not_json)
    except (_NotJsonError, ValueError, TypeError, RecursionError) as exc:
        what = (
            f"a {exc} value" if isinstance(exc, _NotJsonError) else f"a value JSON cannot carry ({type(exc).__name__})"
        )
        raise QuarantineError(
            f"record {_record_id(record) or 'without Id'} holds {what}; convert such values to text before "
            "quarantining. Nothing was held"
        ) from None
    data = text.encode()
    if len(data) > _MAX_RECORD_BYTES:
        raise QuarantineError(
            f"record {_record_id(record) or 'without Id'} is {len(data)} bytes as JSON, over the quarantine's "
            f"{_MAX_RECORD_BYTES}-byte limit; nothing was held"
        )
    return data


def _record_id(record: Mapping[str, Any]) -> str | None:
    value = record.get("Id")
    return value if isinstance(value, str) and 0 < len(value) <= _MAX_TEXT else None


def _text(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if not value.strip() or len(value) > _MAX_TEXT:
        raise ValueError(f"{name} must be 1 to {_MAX_TEXT} characters, not blank")
    return value


def _status(status: object) -> QuarantineStatus:
    try:
        return QuarantineStatus(str(status))
    except ValueError:
        raise ValueError(f"status must be one of {', '.join(QuarantineStatus)}, or None for all") from None


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _connect(target: Path | str, lock_timeout: float) -> sqlite3.Connection:
    """Open the quarantine store at ``target`` (a private file, created if missing, or ``:memory:``)."""
    return connect_private_db(
        target,
        what="quarantine store",
        error=QuarantineError,
        prepare=lambda db: _create_or_check(db, Path(target)),
        busy_timeout=lock_timeout,
    )


def _create_or_check(db: sqlite3.Connection, path: Path) -> None:
    db.execute("BEGIN IMMEDIATE")
    try:
        application_id = db.execute("PRAGMA application_id").fetchone()[0]
        if application_id != _APPLICATION_ID:
            if db.execute("SELECT count(*) FROM sqlite_schema").fetchone()[0]:
                raise QuarantineError(
                    f"{path} is not an sfshield quarantine store (it is another SQLite database); give the path of "
                    "a quarantine file, or a new one"
                )
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA application_id = {_APPLICATION_ID}")
        db.execute("COMMIT")
    finally:
        _rollback(db)
