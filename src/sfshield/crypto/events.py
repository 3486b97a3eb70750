"""Encrypted Platform Events: a JSON payload sealed into Long Text Area fields, opened at most once on receipt.

A publisher's :class:`EventSealer` turns a payload ``dict`` into a plain ``dict`` of event field API names →
strings, ready to ``POST /services/data/vXX.X/sobjects/Order_Sync__e/``. A subscriber's :class:`EventOpener`
turns the received fields back into the payload, once: a :class:`ReplayCache` remembers every message id for as
long as the message could be accepted.

**Security contract.**

- The payload is sealed with :meth:`EnvelopeCipher.seal <sfshield.crypto.EnvelopeCipher.seal>` (SEAL: a key per
  message derived from a random salt, a 16-byte key commitment, AES-256-GCM) under the tenant's ``event`` purpose
  key. Publisher and subscribers share the tenant's data keys (the same key store and KEK provider); nothing else
  is needed to open an event.
- The envelope is bound to ``tenant``, ``purpose="event"``, the event API name, the schema version, the message id
  and the issue time. Changing any of them, reordering, dropping or editing a chunk, or opening for another
  tenant or event raises :class:`~sfshield.exceptions.DecryptionError` (one fixed message, whatever the cause).
- Every field is bounded before it is parsed (length, header syntax, chunk count); the base64 must be canonical.
- An event is authenticated first, then judged by its age (:class:`MessageAgeError` when older than ``max_age``
  or dated more than ``max_skew`` ahead), then claimed in the replay cache
  (:class:`~sfshield.exceptions.ReplayError` on a second open). Opening is therefore *at most once*.
- The length of the payload is visible (to the byte, like any AEAD). It is not compressed on purpose: compressing
  before encrypting lets anyone who can influence part of a payload learn the rest from the length (CRIME/BREACH).
  Pad the payload yourself if its length is sensitive.

**Field layout** (format ``sfe1``). The payload is encoded as canonical JSON (sorted keys, no spaces, UTF-8),
sealed, and written as the envelope's text form ``sf1:<base64url>``. That text is cut into consecutive chunks,
one per payload field in the order given, each behind a header::

    sfe1;<message id>;<issued at>;<schema version>;<index>/<count>;<chunk>

- ``message id``: 32 lower-case hex digits (128 random bits drawn by the sealer);
- ``issued at``: UTC to the second, ``YYYY-MM-DDTHH:MM:SSZ``;
- ``schema version``: 1 to 32 of ``A-Z a-z 0-9 . _ -``;
- ``index/count``: 1-based, without leading zeros. Chunk *i* is in the *i*-th payload field; fields after the
  last chunk are left out of the dict (they arrive as null).

The header travels in the clear and is authenticated through the envelope's context::

    tenant ‖ purpose="event" ‖ event=<event API name> ‖ schema_version ‖ message_id ‖ issued_at (header text)

The framing (index, count, where the text is cut) is not in the context. The opener checks it strictly (chunk *i*
in field *i*, every header alike, nothing after the last chunk); a change to it can only leave the joined
envelope as it was, and so the plaintext, or break the envelope.

Worked example: ``{"order": "00012345", "total": 99.5}`` is the 33 bytes ``{"order":"00012345","total":99.5}``;
sealed it is 86 bytes (53 of overhead) and its text form 119 characters; one field with a 65-character header
holds it in 184 characters::

    Payload__c = "sfe1;9f1c0c5e4b7a4d26a3d0f5b8e2c17a40;2026-03-01T12:00:00Z;1;1/1;sf1:EwAAAAEa…"

With ``payload_fields=("Payload__c", "Payload_2__c")`` and ``max_field_chars=128`` the same text is cut after 63
characters (128 less the 65-character header)::

    Payload__c   = "sfe1;9f1c…7a40;2026-03-01T12:00:00Z;1;1/2;sf1:EwAAAAEa…"     128 characters
    Payload_2__c = "sfe1;9f1c…7a40;2026-03-01T12:00:00Z;1;2/2;…"                 121 characters

**Limits.** A Long Text Area holds at most 131,072 characters and one event message at most 1 MB; the sealer
refuses, with a :class:`ValueError` and before encrypting anything, a payload that needs more fields than it has
or more than ``max_event_chars`` characters in all (1,000,000 by default, leaving room for the event's other
fields). About 98 KB of JSON fit in one full-size field.
"""

from __future__ import annotations

import heapq
import json
import math
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, NoReturn, Protocol, runtime_checkable

from sfshield._files import connect_private_db
from sfshield.crypto import envelope
from sfshield.crypto.cipher import EnvelopeCipher
from sfshield.crypto.context import EncryptionContext
from sfshield.crypto.keystore import utc_now
from sfshield.exceptions import CryptoError, DecryptionError, MessageAgeError, ReplayError

__all__ = [
    "EventOpener",
    "EventSealer",
    "MemoryReplayCache",
    "OpenedEvent",
    "ReplayCache",
    "SQLiteReplayCache",
]

_TAG: Final = "sfe1"
_PURPOSE: Final = "event"
_TIME_FORMAT: Final = "%Y-%m-%dT%H:%M:%SZ"
_MESSAGE_ID: Final = re.compile(r"[0-9a-f]{32}")
_ISSUED_AT: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_SCHEMA_VERSION: Final = re.compile(r"[A-Za-z0-9._-]{1,32}")
_POSITION: Final = re.compile(r"([1-9][0-9]?)/([1-9][0-9]?)")
_API_NAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,79}")
_HEADER_CHARS: Final = len(_TAG) + 32 + 20 + 5  # the four fixed parts and five ';', without version and position
_SEAL_OVERHEAD: Final = envelope.MIN_BYTES[envelope.SEAL]
_MAX_FIELDS: Final = 99
_MAX_FIELD_CHARS: Final = 131_072
_MIN_FIELD_CHARS: Final = 128
_MAX_EVENT_CHARS: Final = 1_048_576
_DEFAULT_EVENT_CHARS: Final = 1_000_000


@dataclass(frozen=True, slots=True, repr=False)
class OpenedEvent:
    """A decrypted event payload with the message's authenticated metadata. It never shows the payload."""

    payload: dict[str, Any]
    """The payload as the publisher sealed it (JSON types: tuples arrive as lists)."""
    message_id: str
    """The publisher's message id (32 hex digits): log it, or use it to make processing idempotent."""
    issued_at: datetime
    """When the publisher sealed the message (UTC, to the second)."""
    schema_version: str
    """The payload's schema version, one of the opener's ``schema_versions``."""

    def __repr__(self) -> str:
        return (
            f"OpenedEvent(message_id={self.message_id!r}, issued_at={self.issued_at:{_TIME_FORMAT}}, "
            f"schema_version={self.schema_version!r}, payload=<{len(self.payload)} keys>)"
        )

    def __reduce__(self) -> NoReturn:
        raise TypeError("an OpenedEvent holds a decrypted payload and cannot be pickled; pickle .payload on purpose")


# -- replay caches -------------------------------------------------------------------------------------------------


@runtime_checkable
class ReplayCache(Protocol):
    """Remembers which sealed messages were opened, for as long as they could be accepted again.

    **Protocol:** ``claim`` records ``message_id`` until ``until`` and returns ``True`` if it was not recorded yet,
    ``False`` if it was. Checking and recording must be one atomic step for every opener that shares the cache
    (threads and processes): of two concurrent claims of one id exactly one returns ``True``. Entries whose
    ``until`` is before ``now`` may be forgotten. A cache that cannot answer must raise; the event is then not
    returned (fail closed). A plain callable with the signature of ``claim`` is accepted as well.
    """

    def claim(self, message_id: str, /, *, until: datetime, now: datetime) -> bool:
        """Record ``message_id`` until ``until``; ``True`` if this call recorded it first."""
        ...


class MemoryReplayCache:
    """A :class:`ReplayCache` in this process's memory: one subscriber process, or tests.

    Thread-safe. Expired entries are dropped on every claim, so memory follows the event rate over the window.
    """

    def __init__(self) -> None:
        self._until: dict[str, datetime] = {}
        self._expiry: list[tuple[datetime, str]] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemoryReplayCache({len(self)} entries)"

    def __len__(self) -> int:
        return len(self._until)

    def claim(self, message_id: str, /, *, until: datetime, now: datetime) -> bool:
        """Record ``message_id`` until ``until``; ``True`` if this call recorded it first."""
        with self._lock:
            while self._expiry and self._expiry[0][0] < now:
                del self._until[heapq.heappop(self._expiry)[1]]
            if message_id in self._until:
                return False
            self._until[message_id] = until
            heapq.heappush(self._expiry, (until, message_id))
            return True


_REPLAY_SCHEMA: Final = (
    "CREATE TABLE IF NOT EXISTS sfshield_replay (message_id TEXT PRIMARY KEY, until_us INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS sfshield_replay_until ON sfshield_replay (until_us)",
)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def _create_replay_schema(db: sqlite3.Connection) -> None:
    for statement in _REPLAY_SCHEMA:
        db.execute(statement)


class SQLiteReplayCache:
    """A :class:`ReplayCache` in an SQLite file (mode 0600), shared by every subscriber process on one host.

    A claim is one ``BEGIN IMMEDIATE`` transaction that deletes expired entries and inserts the id under its
    primary key (``INSERT OR IGNORE``), so of any number of threads or processes claiming one id exactly one wins.

    Args:
        path: the database file; created if missing.
        timeout: seconds to wait for another process's claim to finish before failing.

    Raises:
        CryptoError: the file cannot be opened, or later cannot be read or written (the event is then refused).
    """

    def __init__(self, path: str | os.PathLike[str], /, *, timeout: float = 30.0) -> None:
        self._path = Path(path)
        self._lock = threading.Lock()
        self._db = connect_private_db(
            self._path, what="replay cache", error=CryptoError, prepare=_create_replay_schema, busy_timeout=timeout
        )

    def __repr__(self) -> str:
        return f"SQLiteReplayCache({str(self._path)!r})"

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM sfshield_replay").fetchone()[0])

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    def claim(self, message_id: str, /, *, until: datetime, now: datetime) -> bool:
        """Record ``message_id`` until ``until``; ``True`` if this call recorded it first."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute("DELETE FROM sfshield_replay WHERE until_us < ?", (_micros(now),))
                inserted = self._db.execute(
                    "INSERT OR IGNORE INTO sfshield_replay VALUES (?, ?)", (message_id, _micros(until))
                ).rowcount
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                with suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
                raise CryptoError(
                    f"cannot use replay cache {self._path} ({type(exc).__name__}); the event was not opened"
                ) from None
        return inserted == 1


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


# -- layout --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where an event's payload goes, and how large it may be; shared by sealer and opener."""

    event: str
    fields: tuple[str, ...]
    max_field_chars: int
    max_event_chars: int

    @classmethod
    def of(cls, event: str, fields: Sequence[str], max_field_chars: int, max_event_chars: int) -> _Layout:
        if not isinstance(event, str) or not _API_NAME.fullmatch(event):
            raise ValueError(f"event {event!r} must be an API name such as 'Order_Sync__e'")
        if isinstance(fields, str):
            raise TypeError("payload_fields must be a sequence of field API names, not one string")
        names = tuple(fields)
        if not 0 < len(names) <= _MAX_FIELDS or len(set(names)) != len(names):
            raise ValueError(f"payload_fields must name 1 to {_MAX_FIELDS} distinct fields, got {names!r}")
        for name in names:
            if not isinstance(name, str) or not _API_NAME.fullmatch(name):
                raise ValueError(f"payload field {name!r} must be an API name such as 'Payload__c'")
        if not _MIN_FIELD_CHARS <= max_field_chars <= _MAX_FIELD_CHARS:
            raise ValueError(f"max_field_chars must be {_MIN_FIELD_CHARS} to {_MAX_FIELD_CHARS:,} (a Long Text Area)")
        if not max_field_chars <= max_event_chars <= _MAX_EVENT_CHARS:
            raise ValueError(f"max_event_chars must be max_field_chars to {_MAX_EVENT_CHARS:,} (1 MB per event)")
        return cls(event, names, max_field_chars, max_event_chars)


@dataclass(frozen=True, slots=True)
class _Header:
    """The part of a chunk header that every chunk of one message repeats."""

    message_id: str
    issued_at: str
    schema_version: str
    count: int

    def prefix(self, index: int) -> str:
        return f"{_TAG};{self.message_id};{self.issued_at};{self.schema_version};{index}/{self.count};"

    def context(self, tenant: str, event: str) -> EncryptionContext:
        return EncryptionContext(
            tenant=tenant,
            purpose=_PURPOSE,
            event=event,
            schema_version=self.schema_version,
            message_id=self.message_id,
            issued_at=self.issued_at,
        )


def _header_chars(schema_version: str, index: int, count: int) -> int:
    return _HEADER_CHARS + len(schema_version) + len(str(index)) + 1 + len(str(count))


def _check_schema_version(version: str) -> str:
    if not isinstance(version, str) or not _SCHEMA_VERSION.fullmatch(version):
        raise ValueError(f"schema version {version!r} must be 1 to 32 of A-Z a-z 0-9 . _ -")
    return version


def _aware_now(clock: Callable[[], datetime]) -> datetime:
    now = clock()
    if now.tzinfo is None:
        raise ValueError("the clock must return an aware datetime (UTC), not a naive one")
    return now.astimezone(UTC)


def _encode_payload(payload: Mapping[str, Any]) -> bytes:
    if not isinstance(payload, Mapping):
        raise TypeError(f"the payload must be a mapping (a JSON object), not {type(payload).__name__}")
    try:
        text = json.dumps(dict(payload), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except TypeError as exc:  # json names the type, never the value
        raise TypeError(f"the payload is not JSON ({exc}); convert such values, e.g. datetimes to ISO text") from None
    except ValueError as exc:
        raise ValueError(f"the payload is not JSON ({exc})") from None
    _refuse_non_text_keys(payload)  # after dumps, which refuses circular references
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the payload holds a lone surrogate, which is not UTF-8 text") from None


def _refuse_non_text_keys(payload: object) -> None:
    # JSON would turn 1 into "1" silently: the payload would not come back equal, and {1: …, "1": …} would collide.
    stack = [payload]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            for key, value in item.items():
                if not isinstance(key, str):
                    raise TypeError(f"payload keys must be str, not {type(key).__name__}; JSON would change them")
                stack.append(value)
        elif isinstance(item, list | tuple):
            stack.extend(item)


# -- sealing -------------------------------------------------------------------------------------------------------


class EventSealer:
    """Seals payloads for one Platform Event into its Long Text Area fields (the publisher's side).

    Args:
        cipher: the cipher holding the tenants' keys.
        event: the event's API name, such as ``"Order_Sync__e"``; bound to every message.
        schema_version: the payload's schema version, such as ``"1"``; carried and bound.
        payload_fields: the event's Long Text Area fields, in the order chunks fill them.
        max_field_chars: the length of those fields (all alike; Salesforce allows up to 131,072).
        max_event_chars: the most characters all chunks together may take (1 MB per event, less the other fields).
        clock: returns the current time (aware); a seam for tests.

    >>> from sfshield.testing import InMemoryKeyProvider
    >>> sealer = EventSealer(EnvelopeCipher(InMemoryKeyProvider()), event="Order_Sync__e", schema_version="1")
    >>> fields = sealer.seal({"order": "00012345", "total": 99.5}, tenant="acme")
    >>> list(fields), len(fields["Payload__c"])
    (['Payload__c'], 184)

    Raises:
        ValueError: a name, version or limit is invalid.
    """

    def __init__(
        self,
        cipher: EnvelopeCipher,
        *,
        event: str,
        schema_version: str,
        payload_fields: Sequence[str] = ("Payload__c",),
        max_field_chars: int = _MAX_FIELD_CHARS,
        max_event_chars: int = _DEFAULT_EVENT_CHARS,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._cipher = cipher
        self._layout = _Layout.of(event, payload_fields, max_field_chars, max_event_chars)
        self._schema_version = _check_schema_version(schema_version)
        self._clock = clock
        widest = len(self._layout.fields)
        self._room = max_field_chars - _header_chars(self._schema_version, widest, widest)

    def __repr__(self) -> str:
        layout = self._layout
        return f"EventSealer(event={layout.event!r}, schema_version={self._schema_version!r}, fields={layout.fields})"

    @property
    def event(self) -> str:
        """The event's API name."""
        return self._layout.event

    def __reduce__(self) -> NoReturn:
        raise TypeError("an EventSealer holds a cipher with unwrapped data keys and cannot be pickled")

    def seal(self, payload: Mapping[str, Any], /, *, tenant: str) -> dict[str, str]:
        """Seal ``payload`` for ``tenant``: field API name → chunk, for the first fields it needs.

        To retry a publish whose outcome is unknown, send the same dict again (same message id: subscribers
        drop the duplicate); sealing again would make a second message.

        Raises:
            TypeError: the payload is not a mapping, holds a value JSON cannot encode, or a key that is not str.
            ValueError: the payload holds NaN, infinity or a lone surrogate, or it does not fit in the fields or
                the event (nothing was encrypted); the tenant is not a valid context value.
            KeyNotFoundError: the tenant was shredded.
        """
        data = _encode_payload(payload)
        count = self._chunk_count(len(data))
        issued_at = _aware_now(self._clock).replace(microsecond=0)
        header = _Header(os.urandom(16).hex(), f"{issued_at:{_TIME_FORMAT}}", self._schema_version, count)
        return self._seal_parts(data, tenant=tenant, header=header)

    def _chunk_count(self, size: int) -> int:
        text_chars = len(envelope.TEXT_PREFIX) + math.ceil((size + _SEAL_OVERHEAD) * 4 / 3)
        count = math.ceil(text_chars / self._room)
        layout = self._layout
        if count > len(layout.fields):
            raise ValueError(
                f"the sealed payload needs {text_chars:,} characters: {count} fields of {layout.max_field_chars:,}, "
                f"but {layout.event} has {len(layout.fields)} ({', '.join(layout.fields)}). Add Long Text Area "
                "fields, or publish a reference to the data instead of the data"
            )
        total = text_chars + sum(_header_chars(self._schema_version, i, count) for i in range(1, count + 1))
        if total > layout.max_event_chars:
            raise ValueError(
                f"the sealed payload needs {total:,} characters, more than the {layout.max_event_chars:,} one "
                f"{layout.event} message may carry. Publish a reference to the data, or split it over several events"
            )
        return count

    def _seal_parts(self, data: bytes, *, tenant: str, header: _Header) -> dict[str, str]:
        blob = self._cipher.seal(data, context=header.context(tenant, self._layout.event))
        text = envelope.to_text(blob)
        room = self._room
        chunks = [text[start : start + room] for start in range(0, len(text), room)]
        names = self._layout.fields[: len(chunks)]
        return {name: header.prefix(i) + chunk for i, (name, chunk) in enumerate(zip(names, chunks, strict=True), 1)}


# -- opening -------------------------------------------------------------------------------------------------------


class EventOpener:
    """Opens sealed payloads of one Platform Event, each at most once (the subscriber's side).

    Args:
        cipher: the cipher holding the tenants' keys (the publisher's key store and KEK provider).
        event: the event's API name; a message sealed for another event does not open.
        schema_versions: the schema version(s) this subscriber understands (one string, or several while a new
            version rolls out); others do not open.
        replay_cache: remembers opened message ids (:class:`SQLiteReplayCache` to share it between processes),
            or a plain callable with the signature of :meth:`ReplayCache.claim`.
        payload_fields: the event's Long Text Area fields, in the publisher's order.
        max_age: how old a message may be; the replay cache keeps each id this long after its issue time.
            Salesforce keeps events for 72 hours, the default.
        max_skew: how far a message may be dated ahead of this clock.
        max_field_chars: the most characters accepted per field.
        max_event_chars: the most characters accepted in all payload fields together.
        clock: returns the current time (aware); a seam for tests.

    Raises:
        ValueError: a name, version, limit or duration is invalid.
        TypeError: ``replay_cache`` is neither a :class:`ReplayCache` nor callable.
    """

    def __init__(
        self,
        cipher: EnvelopeCipher,
        *,
        event: str,
        schema_versions: str | Iterable[str],
        replay_cache: ReplayCache | Callable[..., bool],
        payload_fields: Sequence[str] = ("Payload__c",),
        max_age: timedelta = timedelta(hours=72),
        max_skew: timedelta = timedelta(minutes=5),
        max_field_chars: int = _MAX_FIELD_CHARS,
        max_event_chars: int = _DEFAULT_EVENT_CHARS,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        versions = (schema_versions,) if isinstance(schema_versions, str) else tuple(schema_versions)
        if not versions:
            raise ValueError("schema_versions must name at least one schema version")
        if max_age <= timedelta(0) or max_skew < timedelta(0):
            raise ValueError("max_age must be positive and max_skew not negative")
        self._cipher = cipher
        self._layout = _Layout.of(event, payload_fields, max_field_chars, max_event_chars)
        self._schema_versions = frozenset(_check_schema_version(v) for v in versions)
        self._claim = _claim_function(replay_cache)
        self._max_age = max_age
        self._max_skew = max_skew
        self._clock = clock

    def __repr__(self) -> str:
        versions = sorted(self._schema_versions)
        return f"EventOpener(event={self._layout.event!r}, schema_versions={versions}, fields={self._layout.fields})"

    def __reduce__(self) -> NoReturn:
        raise TypeError("an EventOpener holds a cipher with unwrapped data keys and cannot be pickled")

    def open(self, fields: Mapping[str, object], /, *, tenant: str) -> OpenedEvent:
        """Open a received event: its fields by API name (other fields and nulls are ignored).

        Args:
            fields: the event's fields as received (the ``payload`` of a CometD message, a decoded Pub/Sub record).
            tenant: the tenant whose org the event came from.

        Raises:
            DecryptionError: the fields are not an intact event sealed for this tenant, event and an accepted
                schema version (any cause: tampered, reordered, missing or oversized chunks, shredded tenant).
            MessageAgeError: the event is authentic but older than ``max_age`` or dated in the future.
            ReplayError: the event was opened before (it is not decrypted again).
            CryptoError: the replay cache failed (the event was not opened).
            TypeError: ``fields`` is not a mapping.
            ValueError: ``tenant`` is not a valid context value.
        """
        if not isinstance(fields, Mapping):
            raise TypeError(f"fields must be a mapping of field API names to values, not {type(fields).__name__}")
        EncryptionContext(tenant=tenant, purpose=_PURPOSE)  # a bad tenant is misuse, whatever the fields hold
        now = _aware_now(self._clock)
        header, text = self._reassemble(fields)
        payload = self._decrypt(text, header.context(tenant, self._layout.event))
        issued_at = _parse_time(header.issued_at)
        if now - issued_at > self._max_age:
            raise MessageAgeError(header.message_id, issued_at, f"it is older than the {self._max_age} window")
        if issued_at - now > self._max_skew:
            raise MessageAgeError(
                header.message_id, issued_at, f"it is dated more than {self._max_skew} ahead; check both clocks"
            )
        if not self._claim(header.message_id, until=issued_at + self._max_age, now=now):
            raise ReplayError(header.message_id)
        return OpenedEvent(payload, header.message_id, issued_at, header.schema_version)

    def _reassemble(self, fields: Mapping[str, object]) -> tuple[_Header, str]:
        layout = self._layout
        values = [fields.get(name) for name in layout.fields]
        if sum(len(value) for value in values if isinstance(value, str)) > layout.max_event_chars:
            raise DecryptionError
        header, _, _ = self._parse(values[0])
        if header.count > len(values) or any(value not in (None, "") for value in values[header.count :]):
            raise DecryptionError
        chunks: list[str] = []
        for index, value in enumerate(values[: header.count], 1):
            other, position, chunk = self._parse(value)
            if other != header or position != index:
                raise DecryptionError
            chunks.append(chunk)
        return header, "".join(chunks)

    def _parse(self, value: object) -> tuple[_Header, int, str]:
        if not isinstance(value, str) or len(value) > self._layout.max_field_chars:
            raise DecryptionError
        parts = value.split(";", 5)
        if len(parts) != 6 or parts[0] != _TAG or not parts[5]:
            raise DecryptionError
        _, message_id, issued_at, version, position, chunk = parts
        where = _POSITION.fullmatch(position)
        if (
            where is None
            or not _MESSAGE_ID.fullmatch(message_id)
            or not _ISSUED_AT.fullmatch(issued_at)
            or version not in self._schema_versions
        ):
            raise DecryptionError
        return _Header(message_id, issued_at, version, int(where[2])), int(where[1]), chunk

    def _decrypt(self, text: str, context: EncryptionContext) -> dict[str, Any]:
        blob = envelope.from_text(text)
        if blob is None or envelope.to_text(blob) != text:  # only the canonical spelling of an envelope
            raise DecryptionError
        plain = self._cipher.decrypt(blob, context=context)
        try:
            payload = json.loads(plain.decode("utf-8"))
        except ValueError:
            raise DecryptionError from None
        if not isinstance(payload, dict):
            raise DecryptionError
        return payload


def _parse_time(text: str) -> datetime:
    try:
        return datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:  # the shape was checked; a 13th month cannot be authentic either
        raise DecryptionError from None


def _claim_function(cache: ReplayCache | Callable[..., bool]) -> Callable[..., bool]:
    if isinstance(cache, ReplayCache):
        return cache.claim
    if callable(cache):
        return cache
    raise TypeError(f"replay_cache must be a ReplayCache or a callable, not {type(cache).__name__}")
