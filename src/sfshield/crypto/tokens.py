"""The token store: OAuth tokens and connected-app secrets, encrypted at rest and bound to whom they belong.

A :class:`TokenStore` keeps the credentials a tenant client needs (access and refresh tokens, the connected app's
client secret, the JWT-bearer signing key) in one SQLite file with mode 0600. Each value is encrypted with
:meth:`EnvelopeCipher.encrypt <sfshield.crypto.EnvelopeCipher.encrypt>` (RND) under the tenant's ``oauth`` purpose
key. Its context is rebuilt from the row on every read and never stored::

    purpose=oauth ‖ tenant ‖ org_id ‖ user_id ‖ client_id ‖ kind ‖ instance_host ‖ issued_at ‖ expires_at

A ciphertext copied to another org, user, connected app or kind, or whose instance URL or timestamps were edited,
therefore does not decrypt: :meth:`TokenStore.get` raises :class:`~sfshield.exceptions.TokenStoreError` and returns
nothing. The identifiers, timestamps and instance URL are stored in the clear, because they are not secret and the
store must be listable without keys. ``secure_delete`` overwrites deleted and replaced rows.

Values come back as :class:`~sfshield.secret.Secret`. The store and :class:`StoredToken` never show them in
``repr``, logs or error messages, and neither can be pickled.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, NoReturn

from sfshield._files import connect_private_db
from sfshield._ids import id18
from sfshield._logging import get_logger
from sfshield._urls import https_origin
from sfshield.crypto.cipher import EnvelopeCipher
from sfshield.crypto.context import EncryptionContext
from sfshield.crypto.keystore import utc_now
from sfshield.exceptions import DecryptionError, KeyNotFoundError, TokenStoreError
from sfshield.secret import Secret

__all__ = ["StoredToken", "TokenKind", "TokenRef", "TokenStore"]

_log = get_logger(__name__)

_PURPOSE: Final = "oauth"
_MAX_SECRET_BYTES: Final = 64 * 1024
_MAX_TENANT_CHARS: Final = 1024
_CLIENT_ID_PATTERN: Final = re.compile(r"[!-~]{1,255}")  # printable ASCII without spaces (consumer keys)
_MEMORY: Final = ":memory:"

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS sfshield_tokens (
    tenant        TEXT NOT NULL,
    org_id        TEXT NOT NULL,
    user_id       TEXT NOT NULL,  -- '' for credentials of the connected app itself
    client_id     TEXT NOT NULL,
    kind          TEXT NOT NULL,
    ciphertext    BLOB NOT NULL,
    issued_at     TEXT NOT NULL,
    expires_at    TEXT,
    instance_url  TEXT,
    PRIMARY KEY (tenant, org_id, user_id, client_id, kind)
) WITHOUT ROWID
"""
_INSERT: Final = "INSERT OR REPLACE INTO sfshield_tokens VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
_SELECT: Final = (
    "SELECT ciphertext, issued_at, expires_at, instance_url FROM sfshield_tokens "
    "WHERE tenant = ? AND org_id = ? AND user_id = ? AND client_id = ? AND kind = ?"
)
_DELETE: Final = (
    "DELETE FROM sfshield_tokens WHERE tenant = ? AND org_id = ? AND user_id = ? AND client_id = ? AND kind = ?"
)
_LIST: Final = (
    "SELECT tenant, org_id, user_id, client_id, kind, issued_at, expires_at FROM sfshield_tokens "
    "WHERE :tenant IS NULL OR tenant = :tenant ORDER BY tenant, org_id, user_id, client_id, kind"
)


class TokenKind(StrEnum):
    """What a stored secret is; part of its binding, so one kind can never be read as another."""

    ACCESS_TOKEN = "access_token"  # noqa: S105 - a kind's name, not a secret
    """An OAuth access token (a session id such as ``00D…!…``); short-lived."""
    REFRESH_TOKEN = "refresh_token"  # noqa: S105 - a kind's name, not a secret
    """An OAuth refresh token, exchanged for new access tokens."""
    CLIENT_SECRET = "client_secret"  # noqa: S105 - a kind's name, not a secret
    """The connected app's consumer secret (client-credentials and refresh flows)."""
    PRIVATE_KEY = "private_key"
    """The PEM private key that signs JWT-bearer assertions for the connected app."""

    @property
    def label(self) -> str:
        """The kind in words, for messages: ``"refresh token"``."""
        return self.value.replace("_", " ")


_USER_KINDS: Final = frozenset({TokenKind.ACCESS_TOKEN, TokenKind.REFRESH_TOKEN})
_HINTS: Final = {
    TokenKind.ACCESS_TOKEN: "log in again (refresh-token or JWT-bearer flow) and store the new access token",
    TokenKind.REFRESH_TOKEN: "authorise the connected app for this user again and store the refresh token",
    TokenKind.CLIENT_SECRET: "copy the consumer secret from the connected app (Setup > App Manager) and store it",
    TokenKind.PRIVATE_KEY: "store the PEM key whose certificate is uploaded to the connected app",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenRef:
    """Which secret: the tenant, org, user and connected app it belongs to, and its kind. Public identifiers only.

    Org and user ids are normalised to their 18-character form, so the 15- and 18-character ids of one org name
    the same token.

    Attributes:
        tenant: the sfshield tenant whose keys encrypt the secret.
        org_id: the Salesforce org id (``00D…``).
        user_id: the Salesforce user id (``005…``) the token was issued to; required for access and refresh tokens,
            ``None`` for credentials of the connected app itself (client secret, JWT signing key).
        client_id: the connected app's consumer key (shown only as :attr:`client_hint` in reprs and messages).
        kind: what the secret is.

    Raises:
        ValueError: an id is malformed (the message never repeats a value that is not an id), or an access or
            refresh token has no ``user_id``.
    """

    tenant: str
    org_id: str
    user_id: str | None = None
    client_id: str
    kind: TokenKind

    def __post_init__(self) -> None:
        if not isinstance(self.tenant, str) or not 0 < len(self.tenant) <= _MAX_TENANT_CHARS:
            raise ValueError(f"tenant must be 1 to {_MAX_TENANT_CHARS} characters")
        if not isinstance(self.client_id, str) or not _CLIENT_ID_PATTERN.fullmatch(self.client_id):
            raise ValueError("client_id must be the connected app's consumer key: 1 to 255 printable ASCII characters")
        try:
            kind = TokenKind(self.kind)
        except ValueError:
            raise ValueError(f"kind must be one of {', '.join(TokenKind)}") from None
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "org_id", id18(self.org_id, "00D", "org_id"))
        if self.user_id is not None:
            object.__setattr__(self, "user_id", id18(self.user_id, "005", "user_id"))
        elif kind in _USER_KINDS:
            raise ValueError(f"a {kind.label} belongs to a user: give user_id (the 005… id it was issued to)")

    @property
    def client_hint(self) -> str:
        """The consumer key as shown in reprs and messages: its first four characters and a SHA-256 fingerprint.

        A consumer key is an OAuth client identifier, not a secret, but it is half of a client-credentials login
        and sfshield's own scanner reports it (``SALESFORCE_CONSUMER_KEY``), so logs show only this hint.
        """
        return f"{self.client_id[:4]}…#{hashlib.sha256(self.client_id.encode()).hexdigest()[:8]}"

    def __repr__(self) -> str:
        return (
            f"TokenRef(tenant={self.tenant!r}, org_id={self.org_id!r}, user_id={self.user_id!r}, "
            f"client={self.client_hint!r}, kind={self.kind.value!r})"
        )

    def __str__(self) -> str:
        user = f", user {self.user_id}" if self.user_id else ""
        return f"{self.kind.label} of tenant {self.tenant!r}, org {self.org_id}{user}, client {self.client_hint}"

    def _key(self) -> tuple[str, str, str, str, str]:
        return (self.tenant, self.org_id, self.user_id or "", self.client_id, self.kind.value)


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredToken:
    """A secret read from the store, with its metadata. Its ``repr`` omits the secret; it cannot be pickled.

    Attributes:
        ref: whose secret it is.
        secret: the value; take it out with :meth:`Secret.reveal <sfshield.secret.Secret.reveal>`.
        issued_at: when it was stored (UTC), from the store's clock.
        expires_at: when it stops working (UTC), if known.
        instance_url: the org's instance (``https://acme.my.salesforce.com``), if given.
    """

    ref: TokenRef
    secret: Secret
    issued_at: datetime
    expires_at: datetime | None
    instance_url: str | None

    def __repr__(self) -> str:
        expires = self.expires_at.isoformat() if self.expires_at is not None else None
        return (
            f"StoredToken(ref={self.ref!r}, issued_at={self.issued_at.isoformat()!r}, expires_at={expires!r}, "
            f"instance_url={self.instance_url!r})"
        )

    def is_expired(self, now: datetime, /, *, leeway: timedelta = timedelta(0)) -> bool:
        """Whether the secret has expired at ``now``, or will within ``leeway``; never, without an expiry."""
        now = _aware(now, "now")
        return self.expires_at is not None and now + leeway >= self.expires_at

    def __reduce__(self) -> NoReturn:
        raise TypeError("a StoredToken holds a secret and cannot be pickled; keep it in the TokenStore")

    def __copy__(self) -> StoredToken:
        return self

    def __deepcopy__(self, memo: object) -> StoredToken:
        return self


class TokenStore:
    """Keeps OAuth tokens and client secrets encrypted in an SQLite file, bound to their org, user, app and kind.

    The file is created with mode 0600; an existing file that the group or others may access is refused. Every
    method is thread-safe, and processes may share the file (SQLite locks it).

    Args:
        cipher: encrypts the values (under each tenant's ``oauth`` purpose key).
        path: the SQLite file; created, with its missing parent directories (mode 0700), if absent.
        clock: returns the current UTC time (a seam for tests); it stamps ``issued_at``.

    >>> from sfshield.testing import InMemoryKeyProvider
    >>> store = TokenStore.in_memory(EnvelopeCipher(InMemoryKeyProvider()))
    >>> ref = TokenRef(tenant="acme", org_id="00D5i00000CIhxb", user_id="0055i00000AbCdE",
    ...                client_id="3MVG9example", kind=TokenKind.REFRESH_TOKEN)
    >>> store.put(ref, Secret("5Aep861example"))
    >>> store.get(ref).secret
    Secret('***')
    >>> store.close()

    Raises:
        TokenStoreError: the file is accessible to group or others, is not a token store, or cannot be opened.
    """

    def __init__(
        self, cipher: EnvelopeCipher, path: str | os.PathLike[str], /, *, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._cipher = _checked_cipher(cipher)
        self._path = Path(path)
        self._setup(_connect(self._path), clock)

    @classmethod
    def in_memory(cls, cipher: EnvelopeCipher, /, *, clock: Callable[[], datetime] = utc_now) -> TokenStore:
        """A store whose tokens vanish with it (tests, throwaway pipelines); same behaviour as a file store."""
        store = cls.__new__(cls)
        store._cipher = _checked_cipher(cipher)  # noqa: SLF001 - the alternative constructor of this class
        store._path = Path(_MEMORY)  # noqa: SLF001
        store._setup(_connect(_MEMORY), clock)  # noqa: SLF001
        return store

    def _setup(self, db: sqlite3.Connection, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"TokenStore({str(self._path)!r})"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a TokenStore holds a cipher with unwrapped keys and cannot be pickled")

    def __enter__(self) -> TokenStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    # -- writing -------------------------------------------------------------------------------------------------

    def put(
        self,
        ref: TokenRef,
        secret: Secret | str,
        /,
        *,
        expires_at: datetime | None = None,
        instance_url: str | None = None,
    ) -> None:
        """Store ``secret`` for ``ref``, replacing what was there; ``issued_at`` is now, from the store's clock.

        Args:
            ref: whose secret it is.
            secret: the value (text: tokens, client secrets and PEM keys are), at most 64 KiB.
            expires_at: when it stops working (timezone-aware), if known.
            instance_url: the org's instance, an https origin such as ``https://acme.my.salesforce.com``; bound
                to the ciphertext, so a row pointed at another host does not decrypt.

        Raises:
            TypeError: ``ref`` is not a :class:`TokenRef` or ``secret`` is not a ``Secret`` or ``str``.
            ValueError: an empty, non-UTF-8 or oversized secret, a naive ``expires_at``, or a bad ``instance_url``.
            TokenStoreError: the tenant's keys were destroyed, or the file cannot be written; nothing was stored.
            KeyProviderError: the tenant's data key could not be unwrapped.
        """
        _check_ref(ref)
        row = self._seal(ref, _payload(secret), _expiry(expires_at), _origin(instance_url))
        with self._write() as db:
            db.execute(_INSERT, row)
        _log.debug("stored the %s", ref)

    def rotate(
        self,
        ref: TokenRef,
        new_secret: Secret | str,
        /,
        *,
        expires_at: datetime | None = None,
        instance_url: str | None = None,
    ) -> StoredToken:
        """Replace the secret of ``ref`` atomically and return the old one, so that the caller can revoke it.

        ``expires_at`` belongs to the new secret; ``instance_url`` defaults to the old one's.

        Raises:
            TokenStoreError: nothing is stored for ``ref``, or the old value cannot be read (see :meth:`get`);
                nothing was changed.
        """
        _check_ref(ref)
        payload, expires, origin = _payload(new_secret), _expiry(expires_at), _origin(instance_url)
        with self._write() as db:
            old = self._open(ref, self._select(db, ref, hint="there is nothing to rotate; store one"))
            db.execute(_INSERT, self._seal(ref, payload, expires, origin or old.instance_url))
        _log.debug("rotated the %s", ref)
        return old

    def delete(self, ref: TokenRef, /) -> bool:
        """Remove the secret of ``ref`` (overwritten on disk); return whether there was one."""
        _check_ref(ref)
        with self._write() as db:
            deleted = db.execute(_DELETE, ref._key()).rowcount  # noqa: SLF001 - TokenRef is this module's
        _log.debug("deleted the %s", ref)
        return bool(deleted)

    # -- reading -------------------------------------------------------------------------------------------------

    def get(self, ref: TokenRef, /) -> StoredToken:
        """The secret of ``ref`` with its metadata, decrypted under the binding rebuilt from ``ref`` and the row.

        Raises:
            TokenStoreError: nothing is stored for ``ref`` (the message says how to store it), or the stored value
                does not belong to this binding (copied from another org, user, app or kind, or its metadata was
                edited) or the tenant's keys were destroyed. Nothing is returned and no cause is chained.
            KeyProviderError: the tenant's data key could not be unwrapped.
        """
        _check_ref(ref)
        with self._read() as db:
            row = self._select(db, ref, hint=_HINTS[ref.kind])
        token = self._open(ref, row)
        _log.debug("read the %s", ref)
        return token

    def list_refs(self, *, tenant: str | None = None) -> list[TokenRef]:
        """Every stored :class:`TokenRef` (of one tenant, if given), sorted; no value is decrypted."""
        return [ref for ref, _, _ in self._metadata(tenant)]

    def due_for_rotation(self, max_age: timedelta, /, *, tenant: str | None = None) -> list[TokenRef]:
        """The refs whose secret was stored ``max_age`` or more ago, or has expired; no value is decrypted.

        The timestamps read here are not yet authenticated (:meth:`get` authenticates them), which is enough to
        plan a rotation.
        """
        if not isinstance(max_age, timedelta) or max_age <= timedelta(0):
            raise ValueError("max_age must be a positive timedelta, such as timedelta(hours=24)")
        now = self._now()
        return [
            ref
            for ref, issued, expires in self._metadata(tenant)
            if now - issued >= max_age or (expires is not None and expires <= now)
        ]

    # -- internals -----------------------------------------------------------------------------------------------

    def _now(self) -> datetime:
        return _aware(self._clock(), "the clock's time")

    def _seal(self, ref: TokenRef, payload: bytes, expires: str | None, origin: str | None) -> tuple[object, ...]:
        issued = _timestamp(self._now())
        context = _context(ref, issued, expires, origin)
        try:
            blob = self._cipher.encrypt(payload, context=context)
        except KeyNotFoundError as exc:
            raise TokenStoreError(
                f"cannot store the {ref}: tenant {ref.tenant!r} has no usable data key (its keys were destroyed); "
                "nothing was stored"
            ) from exc
        return (*ref._key(), blob, issued, expires, origin)  # noqa: SLF001 - TokenRef is this module's

    def _open(self, ref: TokenRef, row: tuple[Any, ...]) -> StoredToken:
        blob, issued, expires, origin = row
        try:
            context = _context(ref, issued, expires, origin)
            secret = Secret(self._cipher.decrypt(bytes(blob), context=context).decode())
            return StoredToken(
                ref=ref,
                secret=secret,
                issued_at=datetime.fromisoformat(issued),
                expires_at=datetime.fromisoformat(expires) if expires is not None else None,
                instance_url=origin,
            )
        except (DecryptionError, ValueError, TypeError):
            pass
        raise TokenStoreError(
            f"the stored {ref} could not be read: it does not belong to that binding (it was copied from another "
            "org, user, connected app or kind, or its metadata was edited), or the tenant's keys were destroyed. "
            "Nothing was returned; store the secret again with TokenStore.put"
        ) from None

    def _select(self, db: sqlite3.Connection, ref: TokenRef, *, hint: str) -> tuple[Any, ...]:
        row = db.execute(_SELECT, ref._key()).fetchone()  # noqa: SLF001 - TokenRef is this module's
        if row is None:
            raise TokenStoreError(f"no {ref} is stored: {hint} with TokenStore.put")
        return tuple(row)

    def _metadata(self, tenant: str | None) -> list[tuple[TokenRef, datetime, datetime | None]]:
        with self._read() as db:
            rows = db.execute(_LIST, {"tenant": tenant}).fetchall()
        try:
            return [
                (
                    TokenRef(
                        tenant=row[0], org_id=row[1], user_id=row[2] or None, client_id=row[3], kind=TokenKind(row[4])
                    ),
                    datetime.fromisoformat(row[5]),
                    datetime.fromisoformat(row[6]) if row[6] is not None else None,
                )
                for row in rows
            ]
        except (ValueError, TypeError):
            raise TokenStoreError(
                f"token store {self._path} holds a malformed row (the file was edited outside sfshield); "
                "delete that row or restore the file from a backup"
            ) from None

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._db
            except sqlite3.Error as exc:
                raise TokenStoreError(
                    f"cannot read token store {self._path} ({type(exc).__name__}: {exc}); check the file"
                ) from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                self._db.execute("COMMIT")
            except BaseException as exc:
                with suppress(sqlite3.Error):  # a closed connection has no transaction to roll back
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise TokenStoreError(
                        f"cannot write token store {self._path} ({type(exc).__name__}: {exc}); nothing was changed"
                    ) from exc
                raise


def _connect(target: Path | str) -> sqlite3.Connection:
    """Open the token store at ``target`` (a private file, created if missing, or ``:memory:``)."""
    return connect_private_db(target, what="token store", error=TokenStoreError, prepare=_create_schema)


def _create_schema(db: sqlite3.Connection) -> None:
    db.execute(_SCHEMA)


def _context(ref: TokenRef, issued: str, expires: str | None, origin: str | None) -> EncryptionContext:
    pairs = {
        "tenant": ref.tenant,
        "purpose": _PURPOSE,
        "org_id": ref.org_id,
        "client_id": ref.client_id,
        "kind": ref.kind.value,
        "issued_at": issued,
    }
    if ref.user_id is not None:
        pairs["user_id"] = ref.user_id
    if expires is not None:
        pairs["expires_at"] = expires
    if origin is not None:
        pairs["instance_host"] = origin.removeprefix("https://")
    return EncryptionContext(pairs)


def _checked_cipher(cipher: object) -> EnvelopeCipher:
    if not isinstance(cipher, EnvelopeCipher):
        raise TypeError(f"cipher must be an EnvelopeCipher, not {type(cipher).__name__}")
    return cipher


def _check_ref(ref: object) -> None:
    if not isinstance(ref, TokenRef):
        raise TypeError(f"ref must be a TokenRef, not {type(ref).__name__}")


def _payload(secret: object) -> bytes:
    if isinstance(secret, str):
        secret = Secret(secret)
    if not isinstance(secret, Secret):
        raise TypeError(f"the secret must be a Secret or str, not {type(secret).__name__}")
    try:
        payload = secret.reveal().encode()
    except (UnicodeError, ValueError):
        raise ValueError("the secret must be UTF-8 text; encode binary keys as PEM or base64") from None
    if not payload or len(payload) > _MAX_SECRET_BYTES:
        raise ValueError(f"the secret must be 1 to {_MAX_SECRET_BYTES} bytes of UTF-8, got {len(payload)}")
    return payload


def _aware(moment: object, name: str) -> datetime:
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, such as datetime.now(UTC)")
    return moment


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _expiry(expires_at: datetime | None) -> str | None:
    return None if expires_at is None else _timestamp(_aware(expires_at, "expires_at"))


def _origin(url: str | None) -> str | None:
    """``url`` as ``https://host[:port]`` (lower-case host, no default port), or ``None``."""
    if url is None:
        return None
    if not isinstance(url, str):
        raise TypeError(f"instance_url must be a str, not {type(url).__name__}")
    try:
        return https_origin(url)
    except ValueError as exc:
        raise ValueError(f"instance_url {exc}") from None
