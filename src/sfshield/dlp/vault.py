"""The placeholder vault: what each placeholder of one conversation stands for, encrypted, expiring, restorable.

A :class:`PlaceholderVault` belongs to one tenant and one *scope* (a request or conversation id). The
:class:`~sfshield.dlp.redaction.Redactor` asks it for placeholders; the vault numbers them across the scope (the
same value keeps its placeholder from one turn to the next) and stores each value encrypted with
:meth:`EnvelopeCipher.encrypt <sfshield.crypto.EnvelopeCipher.encrypt>` under the tenant's ``vault`` purpose key,
bound to::

    tenant ‖ purpose=vault ‖ scope ‖ placeholder ‖ kind

so a value copied to another tenant, scope or placeholder does not decrypt. Values are never stored in plaintext —
not in the SQLite file (mode 0600), not in the in-memory store, not in the index that finds a value's placeholder
again (keyed digests under a key that lives only in this object).

When the model answers, :meth:`~PlaceholderVault.check_output` looks for leaks and
:meth:`~PlaceholderVault.restore` puts the values back, inside the trust boundary. A scope expires ``ttl`` after it
was last used; from then on every operation raises :class:`~sfshield.exceptions.VaultError`, and
:meth:`~PlaceholderVault.purge_expired` deletes it. Every operation is audited (ids, counts and kinds, never values)
when an :class:`~sfshield.audit.AuditPipeline` is given.

One vault object per scope and process is the intended use. Several objects (or processes) may share a scope
through one file: numbers never collide, but a value stored by two of them may get two placeholders.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Final, NoReturn

from sfshield._files import connect_private_db
from sfshield.audit.events import VaultOperation
from sfshield.crypto.cipher import EnvelopeCipher
from sfshield.crypto.context import EncryptionContext
from sfshield.crypto.keystore import utc_now
from sfshield.dlp.redaction import PLACEHOLDER_PATTERN, _is_placeholder_of, _next_placeholder, placeholder_label
from sfshield.dlp.scanner import ScanResult
from sfshield.exceptions import DecryptionError, KeyNotFoundError, VaultError

if TYPE_CHECKING:
    from sfshield.audit.pipeline import AuditPipeline
    from sfshield.dlp.scanner import Scanner

__all__ = ["LeakReport", "PlaceholderVault", "Restoration"]

_PURPOSE: Final = "vault"
_MEMORY: Final = ":memory:"
_MAX_SCOPE_CHARS: Final = 256
_MIN_VERBATIM_CHARS: Final = 4
_SCHEMA: Final = (
    """CREATE TABLE IF NOT EXISTS sfshield_vault_scopes (
        tenant      TEXT NOT NULL,
        scope       TEXT NOT NULL,
        created_at  REAL NOT NULL,
        expires_at  REAL NOT NULL,
        PRIMARY KEY (tenant, scope)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS sfshield_vault_entries (
        tenant       TEXT NOT NULL,
        scope        TEXT NOT NULL,
        placeholder  TEXT NOT NULL,
        kind         TEXT NOT NULL,
        ciphertext   BLOB NOT NULL,
        PRIMARY KEY (tenant, scope, placeholder)
    ) WITHOUT ROWID""",
)
_SCOPE: Final = "SELECT expires_at FROM sfshield_vault_scopes WHERE tenant = ? AND scope = ?"
_NEW_SCOPE: Final = "INSERT INTO sfshield_vault_scopes VALUES (?, ?, ?, ?)"
_TOUCH: Final = "UPDATE sfshield_vault_scopes SET expires_at = ? WHERE tenant = ? AND scope = ?"
_ENTRIES: Final = "SELECT placeholder, kind, ciphertext FROM sfshield_vault_entries WHERE tenant = ? AND scope = ?"
_INSERT: Final = "INSERT INTO sfshield_vault_entries VALUES (?, ?, ?, ?, ?)"
_PURGE_ENTRIES: Final = (
    "DELETE FROM sfshield_vault_entries WHERE tenant = :tenant AND scope IN "
    "(SELECT scope FROM sfshield_vault_scopes WHERE tenant = :tenant AND expires_at <= :now)"
)
_PURGE_SCOPES: Final = "DELETE FROM sfshield_vault_scopes WHERE tenant = ? AND expires_at <= ?"


@dataclass(frozen=True, slots=True)
class Restoration:
    """An answer with its placeholders replaced by the original values; never shown in ``repr``, never pickled.

    Attributes:
        text: the restored answer (for use inside the trust boundary only).
        restored: how many placeholders were replaced (occurrences).
        unknown: how many placeholder-shaped strings the vault did not issue and left as they were (occurrences).
        unknown_placeholders: those strings, distinct and sorted (the model invented or altered them).
    """

    text: str = field(repr=False)
    restored: int
    unknown: int
    unknown_placeholders: tuple[str, ...] = ()

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Restoration holds restored values and cannot be pickled")


@dataclass(frozen=True, slots=True)
class LeakReport:
    """What :meth:`PlaceholderVault.check_output` found in a model's answer: placeholders and kinds, never values.

    Attributes:
        verbatim: placeholders whose original values appear in the answer although the model was given only the
            placeholders — the value reached the model another way (a tool, retrieval, its training data).
        verbatim_kinds: the kinds of those values, sorted and distinct.
        findings: other sensitive data the scanner found in the answer, of the kinds checked.
    """

    verbatim: tuple[str, ...]
    verbatim_kinds: tuple[str, ...]
    findings: ScanResult

    @property
    def leaked(self) -> bool:
        """Whether anything was found."""
        return bool(self.verbatim or self.findings)

    @property
    def kinds(self) -> tuple[str, ...]:
        """Every kind involved, sorted and distinct (what the audit event records)."""
        return tuple(sorted({*self.verbatim_kinds, *self.findings.kinds}))


class PlaceholderVault:
    """Keeps the values behind one scope's placeholders, encrypted, until the scope expires.

    Args:
        cipher: encrypts the values (under the tenant's ``vault`` purpose key).
        tenant: whose keys are used; a vault never sees another tenant's entries.
        scope: the request or conversation id (1 to 256 characters; not secret: it is audited).
        ttl: how long the scope lives after it was last used (stored to, restored from or checked).
        store: ``None`` for memory (the entries vanish with the object), or the path of an SQLite file, created
            with mode 0600 (its new directories 0700), which several scopes and tenants may share.
        clock: returns the current UTC time (a seam for tests).
        audit: records every operation as a :class:`~sfshield.audit.events.VaultOperation`.

    A vault is thread-safe and cannot be pickled; ``repr`` shows the tenant, the scope and the store.

    Raises:
        TypeError: ``cipher`` is not an :class:`~sfshield.crypto.EnvelopeCipher`.
        ValueError: an empty tenant, a bad scope, or a ttl that is not a positive timedelta.
        VaultError: the scope exists and has expired; the file is accessible to group or others, is not a vault,
            or holds an entry of this scope that does not decrypt.
    """

    def __init__(
        self,
        cipher: EnvelopeCipher,
        *,
        tenant: str,
        scope: str,
        ttl: timedelta = timedelta(hours=1),
        store: str | os.PathLike[str] | None = None,
        clock: Callable[[], datetime] = utc_now,
        audit: AuditPipeline | None = None,
    ) -> None:
        if not isinstance(cipher, EnvelopeCipher):
            raise TypeError(f"PlaceholderVault needs an EnvelopeCipher, not {type(cipher).__name__}")
        if not isinstance(ttl, timedelta) or ttl <= timedelta(0):
            raise ValueError("ttl must be a positive timedelta, such as timedelta(hours=1)")
        self._cipher = cipher
        self._base = EncryptionContext(tenant=_checked_tenant(tenant), purpose=_PURPOSE, scope=_checked_scope(scope))
        self._ttl = ttl
        self._clock = clock
        self._audit = audit
        self._where = str(store) if store is not None else _MEMORY
        self._lock = threading.Lock()
        # Finds a value's placeholder again without keeping the value: HMAC under a key that never leaves the object.
        self._index_key = os.urandom(32)
        self._index: dict[bytes, str] = {}
        self._db = _connect(Path(store) if store is not None else _MEMORY)
        try:
            self._open_scope()
        except BaseException:
            self._db.close()
            raise

    @property
    def tenant(self) -> str:
        """The tenant whose entries this vault holds."""
        return self._base.tenant

    @property
    def scope(self) -> str:
        """The request or conversation id."""
        return self._base["scope"]

    @property
    def ttl(self) -> timedelta:
        """How long the scope lives after it was last used."""
        return self._ttl

    def __repr__(self) -> str:
        return f"PlaceholderVault(tenant={self.tenant!r}, scope={self.scope!r}, store={self._where!r})"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a PlaceholderVault holds a cipher with unwrapped keys and cannot be pickled")

    def __enter__(self) -> PlaceholderVault:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the store (an in-memory vault forgets everything)."""
        with self._lock:
            self._db.close()

    # -- storing -------------------------------------------------------------------------------------------------

    def placeholders_for(self, items: Iterable[tuple[str, str]], /, *, reserved: Collection[str] = ()) -> list[str]:
        """The placeholder of each ``(kind, value)``; values new to the scope are stored, encrypted, in one go.

        A value already in the scope keeps its placeholder. New ones are numbered per kind after the scope's
        highest number, skipping ``reserved`` (placeholder-shaped text already in the input). The redactor calls
        this; call it yourself to put structured values (a contact's name and e-mail) into a prompt.

        Raises:
            TypeError: an item is not a pair of strings.
            ValueError: a kind or value is empty.
            VaultError: the scope expired, the tenant's keys were destroyed, or the store cannot be written;
                nothing was stored.
        """
        pairs = [_checked_item(item) for item in items]
        new: list[tuple[str, str]] = []
        pending: dict[bytes, str] = {}
        out: list[str] = []
        with self._lock:
            with self._transaction() as db:
                now = self._alive(db)
                taken = {row[0] for row in db.execute(_ENTRIES, self._key())}
                counters = _counters(taken)
                taken.update(reserved)
                for kind, value in pairs:
                    digest = self._digest(kind, value)
                    placeholder = self._index.get(digest) or pending.get(digest)
                    if placeholder is None:
                        placeholder = _next_placeholder(placeholder_label(kind), counters, taken)
                        taken.add(placeholder)
                        pending[digest] = placeholder
                        db.execute(_INSERT, (*self._key(), placeholder, kind, self._seal(placeholder, kind, value)))
                        new.append((placeholder, kind))
                    out.append(placeholder)
                self._touch(db, now)
            self._index.update(pending)  # only once committed, and still under the lock
        if new:
            self._emit("store", len(new), (kind for _, kind in new))
        return out

    # -- answering -----------------------------------------------------------------------------------------------

    def restore(self, answer: str, /) -> Restoration:
        """Replace the placeholders in a model's answer with the original values (inside the trust boundary).

        Only exact placeholders this scope issued are replaced; any other placeholder-shaped text is left as it is
        and counted as unknown.

        Raises:
            TypeError: ``answer`` is not a string.
            VaultError: the scope expired or was purged, or an entry does not decrypt (it was tampered with or the
                tenant's keys were destroyed); nothing was restored.
        """
        _check_text(answer, "restore")
        wanted = {match.group() for match in PLACEHOLDER_PATTERN.finditer(answer)}
        with self._lock, self._transaction() as db:
            now = self._alive(db)
            rows = [row for row in db.execute(_ENTRIES, self._key()) if row[0] in wanted]
            values = {placeholder: (kind, self._unseal(placeholder, kind, blob)) for placeholder, kind, blob in rows}
            self._touch(db, now)
        restored = unknown = 0

        def replace(match: re.Match[str]) -> str:
            nonlocal restored, unknown
            entry = values.get(match.group())
            if entry is None:
                unknown += 1
                return match.group()
            restored += 1
            return entry[1]

        text = PLACEHOLDER_PATTERN.sub(replace, answer)
        self._emit("restore", restored, (kind for kind, _ in values.values()))
        return Restoration(text, restored, unknown, tuple(sorted(wanted - values.keys())))

    def check_output(self, answer: str, /, *, scanner: Scanner, kinds: Collection[str] | None = None) -> LeakReport:
        """Look for sensitive data in a model's answer *before* it is restored.

        Flags (a) values of this scope that appear verbatim (compared case-insensitively; values shorter than 4
        characters are not searched) although the model saw only their placeholders, and (b) other findings of the
        ``kinds`` given (default: every kind the scanner reports) — placeholders themselves are never flagged.
        A leak is audited as ``leak_detected`` with kinds and counts only.

        Raises:
            TypeError: ``answer`` is not a string.
            VaultError: the scope expired or was purged, or an entry does not decrypt.
            ScanError: the scanner failed (nothing is reported as clean).
        """
        _check_text(answer, "check_output")
        with self._lock, self._transaction() as db:
            now = self._alive(db)
            entries = [(p, kind, self._unseal(p, kind, blob)) for p, kind, blob in db.execute(_ENTRIES, self._key())]
            self._touch(db, now)
        folded = answer.casefold()
        known = {value.casefold() for _, _, value in entries}
        verbatim = [
            (p, kind) for p, kind, value in entries if len(value) >= _MIN_VERBATIM_CHARS and value.casefold() in folded
        ]
        findings = tuple(
            finding
            for finding in scanner.scan(answer)
            if (kinds is None or finding.kind in kinds)
            and not _is_placeholder_of(answer[finding.start : finding.end], placeholder_label(finding.kind))
            and answer[finding.start : finding.end].casefold() not in known
        )
        report = LeakReport(
            tuple(sorted(p for p, _ in verbatim)), tuple(sorted({kind for _, kind in verbatim})), ScanResult(findings)
        )
        if report.leaked:
            self._emit("leak_detected", len(verbatim) + len(findings), report.kinds)
        else:
            self._emit("check_output", 0, ())
        return report

    # -- housekeeping --------------------------------------------------------------------------------------------

    def purge_expired(self) -> int:
        """Delete this tenant's expired scopes (this one too, if it expired); return how many entries went.

        Deleted rows are overwritten on disk (``secure_delete``).

        Raises:
            VaultError: the store cannot be written.
        """
        with self._lock, self._transaction() as db:
            now = self._now()
            removed = db.execute(_PURGE_ENTRIES, {"tenant": self.tenant, "now": now}).rowcount
            db.execute(_PURGE_SCOPES, (self.tenant, now))
        self._emit("purge", removed, (), scope="*")
        return int(removed)

    # -- internals -----------------------------------------------------------------------------------------------

    def _key(self) -> tuple[str, str]:
        return (self.tenant, self.scope)

    def _now(self) -> float:
        now = self._clock()
        if not isinstance(now, datetime) or now.tzinfo is None:
            raise ValueError("the vault's clock must return a timezone-aware datetime (UTC)")
        return now.timestamp()

    def _open_scope(self) -> None:
        with self._lock, self._transaction() as db:
            now = self._now()
            row = db.execute(_SCOPE, self._key()).fetchone()
            if row is None:
                db.execute(_NEW_SCOPE, (*self._key(), now, now + self._ttl.total_seconds()))
                return
            self._alive(db)
            for placeholder, kind, blob in db.execute(_ENTRIES, self._key()).fetchall():
                self._index[self._digest(kind, self._unseal(placeholder, kind, blob))] = placeholder

    def _alive(self, db: sqlite3.Connection) -> float:
        now = self._now()
        row = db.execute(_SCOPE, self._key()).fetchone()
        if row is None:
            raise VaultError(
                f"vault scope {self.scope!r} of tenant {self.tenant!r} is unknown: it expired and was purged. "
                "Start a new scope and redact the text again"
            )
        if row[0] <= now:
            raise VaultError(
                f"vault scope {self.scope!r} of tenant {self.tenant!r} expired (ttl {self._ttl}); its placeholders "
                "can no longer be restored. Start a new scope and redact the text again"
            )
        return now

    def _touch(self, db: sqlite3.Connection, now: float) -> None:
        db.execute(_TOUCH, (now + self._ttl.total_seconds(), *self._key()))

    def _digest(self, kind: str, value: str) -> bytes:
        message = f"{len(kind)}:{kind}:{value}".encode("utf-8", "surrogatepass")
        return hmac.digest(self._index_key, message, hashlib.sha256)

    def _context(self, placeholder: str, kind: str) -> EncryptionContext:
        return self._base.replace(placeholder=placeholder, kind=kind)

    def _seal(self, placeholder: str, kind: str, value: str) -> bytes:
        try:
            return self._cipher.encrypt(
                value.encode("utf-8", "surrogatepass"), context=self._context(placeholder, kind)
            )
        except KeyNotFoundError:
            raise VaultError(
                f"tenant {self.tenant!r} has no usable data key (its keys were destroyed); nothing was stored"
            ) from None

    def _unseal(self, placeholder: str, kind: str, blob: bytes) -> str:
        try:
            return self._cipher.decrypt(bytes(blob), context=self._context(placeholder, kind)).decode(
                "utf-8", "surrogatepass"
            )
        except (DecryptionError, ValueError, TypeError):
            pass
        raise VaultError(
            f"an entry of vault scope {self.scope!r} does not decrypt: it was copied from another tenant or scope, "
            "edited, or the tenant's keys were destroyed. Nothing was restored; start a new scope"
        ) from None

    def _emit(self, operation: str, count: int, kinds: Iterable[str], *, scope: str | None = None) -> None:
        if self._audit is None:
            return
        self._audit.emit(
            VaultOperation(
                tenant=self.tenant,
                operation=operation,
                scope=scope or self.scope,
                count=count,
                finding_kinds=tuple(sorted(set(kinds))),
            )
        )

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            yield db
            db.execute("COMMIT")
        except BaseException as exc:
            with suppress(sqlite3.Error):  # a closed connection has no transaction to roll back
                if db.in_transaction:
                    db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise VaultError(
                    f"vault store {self._where} failed ({type(exc).__name__}: {exc}); nothing was changed. "
                    "Check the file, or whether the vault was closed"
                ) from exc
            raise


def _checked_tenant(tenant: object) -> str:
    if not isinstance(tenant, str) or not tenant:
        raise ValueError("tenant must be a non-empty string")
    return tenant


def _checked_scope(scope: object) -> str:
    if not isinstance(scope, str) or not 0 < len(scope) <= _MAX_SCOPE_CHARS or not scope.isprintable():
        raise ValueError(f"scope must be 1 to {_MAX_SCOPE_CHARS} printable characters (a request or conversation id)")
    return scope


def _checked_item(item: object) -> tuple[str, str]:
    if not isinstance(item, tuple) or len(item) != 2 or not all(isinstance(part, str) for part in item):
        raise TypeError("placeholders_for() takes (kind, value) pairs of strings")
    kind, value = item
    if not kind or not value:
        raise ValueError("placeholders_for() needs a non-empty kind and value")
    return str(kind), value  # an EntityKind becomes its plain name


def _check_text(text: object, method: str) -> None:
    if not isinstance(text, str):
        raise TypeError(f"{method}() takes the model's answer (str), not {type(text).__name__}")


def _counters(placeholders: Iterable[str]) -> dict[str, int]:
    counters: dict[str, int] = {}
    for placeholder in placeholders:
        match = PLACEHOLDER_PATTERN.fullmatch(placeholder)
        if match is not None:
            label, number = match.group(1), int(match.group(2))
            counters[label] = max(counters.get(label, 0), number)
    return counters


def _connect(target: Path | str) -> sqlite3.Connection:
    """Open the vault store at ``target`` (a private file, created if missing, or ``:memory:``)."""
    return connect_private_db(target, what="vault store", error=VaultError, prepare=_create_schema)


def _create_schema(db: sqlite3.Connection) -> None:
    for statement in _SCHEMA:
        db.execute(statement)
