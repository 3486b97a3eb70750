"""Per-tenant keyrings: versioned data keys wrapped by a key-encryption key that stays in the key provider.

The hierarchy::

    KEK (key file / HSM, never leaves the provider)
     └── wraps tenant root data keys, one per version: key ids 1, 2, 3 …   (AES-GCM, AAD = tenant ‖ key id ‖ commitment)
          └── HKDF-SHA256 subkeys per use, cached in memory:
               "rnd|<purpose>"                → AES-256-GCM field values of that purpose
               "det-gcm|<domain>|<normalisation>" → joinable values of that join domain (default algorithm:
                                                    32 B BLAKE2b nonce key ‖ 32 B AES-256-GCM key)
               "det|<domain>|<normalisation>" → joinable values of a join domain declared with AES-256-SIV
               "seal|<purpose>"               → self-contained messages (Platform Events)

- **Key commitment** is checked once per data key, when it is unwrapped: the record stores
  HMAC-SHA256(root, "sfshield/v1 commit"), which is authenticated by the wrap and compared after unwrapping, so
  one key id can never stand for two different keys. Values pay nothing for it.
- **Rotation** follows Tink's order: :meth:`Keyring.add_key` (the new key decrypts but does not encrypt yet),
  distribute (other processes see it at their next load or :meth:`Keyring.refresh`), :meth:`Keyring.promote`
  (it encrypts; the old primary is *archived*: decrypt-only). :meth:`Keyring.rotate` does both in one process.
- **KEK rotation** re-wraps key records only (:meth:`Keyring.rewrap`): its cost grows with the number of data
  keys, never with the number of values.
- **Crypto-shredding**: :meth:`Keyring.destroy_tenant` erases every wrapped key of a tenant; nothing encrypted
  for it can be read again, by anyone. Other processes that cached the tenant's keys stop using them within
  ``cache_ttl`` (see below), or at once when they call :meth:`Keyring.refresh`.
- **Several processes** may share one store. New keys are added with :meth:`KeyStore.insert`, which refuses an
  existing (tenant, key id): when two processes create a tenant's first key at once, one wins and the other
  adopts the winner's key; when both add a key, the loser takes the next id. Each process caches unwrapped keys
  and primary ids, and re-validates them against the store once ``cache_ttl`` has passed: a key destroyed or
  promoted elsewhere takes effect here within that time.

Every key operation is audited (:class:`~sfshield.audit.KeyOperation`) with key ids and counts, never material,
*before* it takes effect, so that a failing audit sink leaves nothing unrecorded (see :class:`Keyring`).
"""

from __future__ import annotations

import hmac
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256
from typing import TYPE_CHECKING, Final, NoReturn

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sfshield.crypto.keystore import KeyRecord, KeyState, KeyStore, MemoryKeyStore, utc_now
from sfshield.exceptions import ConfigurationError, CryptoError, KeyNotFoundError, KeyProviderError

if TYPE_CHECKING:
    from sfshield.audit.pipeline import AuditPipeline
    from sfshield.protocols import KeyProvider

__all__ = ["Keyring", "RewrapReport"]

_ROOT_KEY_BYTES: Final = 32
_COMMIT_LABEL: Final = b"sfshield/v1 commit"
_WRAP_LABEL: Final = b"sfshield/v1 dek"
_SUBKEY_LABEL: Final = b"sfshield/v1|"
_INSERT_ATTEMPTS: Final = 8


@dataclass(frozen=True, slots=True)
class RewrapReport:
    """What :meth:`Keyring.rewrap` did: data keys moved to the provider's primary KEK."""

    kek_id: str
    rewrapped: int
    already_current: int
    destroyed_skipped: int


class Keyring:
    """The data keys of every tenant: created, unwrapped, derived, rotated and destroyed here.

    Args:
        provider: holds the key-encryption keys (:class:`~sfshield.keys.KeyFileProvider`,
            :class:`~sfshield.keys.Pkcs11KeyProvider`, or your own :class:`~sfshield.protocols.KeyProvider`).
        store: where the wrapped data keys are kept. ``None`` means in memory, which is allowed only with an
            ephemeral provider (:class:`sfshield.testing.InMemoryKeyProvider`): with a real provider the data keys
            would vanish with the process and everything encrypted with them would be lost.
        audit: the audit pipeline that records key operations; ``None`` records nothing (tests only).
        clock: returns the current UTC time (a seam for tests); it stamps new key records.
        cache_ttl: seconds for which cached keys and primary ids are trusted without reading the store. After
            that, the next use re-validates them: keys destroyed or replaced in the store are dropped, a primary
            promoted elsewhere is picked up. ``math.inf`` trusts the cache until :meth:`refresh`.
        monotonic: returns seconds from a monotonic clock; it times ``cache_ttl``. A seam for tests: with any clock
            but the default ``time.monotonic``, ciphers ask the keyring on every call instead of comparing the
            deadline themselves, which is slower.

    **Audit before effect.** Each key operation is recorded before it changes anything, so that an audit sink that
    fails (:class:`~sfshield.exceptions.AuditSinkError`) stops it with no silent effect:

    - *create* (a tenant's first key, :meth:`add_key`, :meth:`rotate`): the key is generated and wrapped, the event
      is emitted, then the record is inserted and the key cached. If the insert fails, or another process inserted
      that key id first, the trail holds a *create* for a key that was never stored — it fails closed: nothing
      unaudited exists. (Such a losing create is followed by the winner's own create event, or by this keyring's
      retry under the next id.)
    - *unwrap*: the key is unwrapped, the event emitted, then the key cached. If the sink fails nothing is cached,
      so the next use unwraps and audits again.
    - *promote*, *rewrap*, *destroy*: emitted, then written to the store. If the write fails the event records an
      attempt that did not take effect; the store is unchanged.

    **Processes that share a store** each cache unwrapped keys. A key destroyed (crypto-shredding) or promoted by
    another process is noticed here within ``cache_ttl`` (default five minutes) of the last check, or at once
    after :meth:`refresh` or a restart. Until then this process may still decrypt a shredded tenant's values with
    the keys it holds in memory. Call :meth:`refresh` in every process (or restart them) when a destruction must
    take effect everywhere immediately.

    Raises:
        ConfigurationError: no store was given for a provider whose keys outlive the process.
        TypeError: ``store`` lacks a :class:`KeyStore` method (``insert`` is required: see its docstring).
        ValueError: ``cache_ttl`` is negative or not a number.
    """

    def __init__(
        self,
        provider: KeyProvider,
        *,
        store: KeyStore | None = None,
        audit: AuditPipeline | None = None,
        clock: Callable[[], datetime] = utc_now,
        cache_ttl: float = 300.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not cache_ttl >= 0:  # also refuses NaN
            raise ValueError(f"cache_ttl must be a number of seconds >= 0 (or math.inf), got {cache_ttl!r}")
        if store is None:
            if not getattr(provider, "ephemeral", False):
                raise ConfigurationError(
                    f"{type(provider).__name__} keeps its keys, but no key store was given: the data keys would "
                    "vanish with this process and everything encrypted with them would be lost. Pass "
                    "store=SQLiteKeyStore(path)"
                )
            store = MemoryKeyStore()
        if not isinstance(store, KeyStore):
            raise TypeError(
                f"store must be a KeyStore (load, insert, save, tenants), not {type(store).__name__}; a store of your "
                "own needs insert(), which refuses an existing (tenant, key id) so processes cannot overwrite keys"
            )
        self._provider = provider
        self._store = store
        self._audit = audit
        self._clock = clock
        self._cache_ttl = cache_ttl
        self._monotonic = monotonic
        self._valid_until = monotonic() + cache_ttl
        self._lock = threading.RLock()
        self._roots: dict[tuple[str, int], bytes] = {}
        self._primary: dict[str, int] = {}
        self._listeners: list[Callable[[], None]] = []

    def __repr__(self) -> str:
        return f"Keyring(provider={type(self._provider).__name__}, store={self._store!r})"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Keyring holds unwrapped data keys and cannot be pickled")

    @property
    def provider(self) -> KeyProvider:
        """The key provider holding the KEKs."""
        return self._provider

    @property
    def store(self) -> KeyStore:
        """The store holding the wrapped data keys."""
        return self._store

    @property
    def monotonic(self) -> Callable[[], float]:
        """The monotonic clock that times ``cache_ttl`` (the deadline :meth:`revalidate` returns is on it)."""
        return self._monotonic

    def on_change(self, callback: Callable[[], None], /) -> None:
        """Call ``callback`` after any change to the keys (ciphers drop their caches)."""
        self._listeners.append(callback)

    # -- reading -------------------------------------------------------------------------------------------------

    def records(self, tenant: str, /) -> list[KeyRecord]:
        """The tenant's key records (ids, states, KEK ids; wrapped material only), in key-id order."""
        return self._store.load(tenant)

    def primary_key_id(self, tenant: str, /, *, create: bool = True) -> int:
        """The key id that encrypts new values for ``tenant``; the tenant's first key is created on demand.

        Raises:
            KeyNotFoundError: the tenant has no key and ``create`` is false, or its keys were destroyed.
        """
        if self._monotonic() >= self._valid_until:
            self.revalidate()
        cached = self._primary.get(tenant)
        if cached is not None:
            return cached
        with self._lock:
            # Twice at most: if another process created the tenant's first key meanwhile, the second pass adopts it.
            for _ in range(2):
                records = self._store.load(tenant)
                primary = [r for r in records if r.state is KeyState.PRIMARY]
                if primary:
                    self._primary[tenant] = primary[0].key_id
                    return primary[0].key_id
                if records:
                    raise KeyNotFoundError(
                        f"tenant {tenant!r} has no primary data key (its keys were destroyed or none was promoted); "
                        "nothing can be encrypted for it. Promote a key, or create a new keyring on purpose with "
                        "Keyring.create_tenant"
                    )
                if not create:
                    raise KeyNotFoundError(f"tenant {tenant!r} has no data keys")
                if self._insert_key(tenant, 1, KeyState.PRIMARY):
                    self._primary[tenant] = 1
                    return 1
            raise CryptoError(f"the first data key of tenant {tenant!r} was created and lost again meanwhile; retry")

    def create_tenant(self, tenant: str, /) -> int:
        """Create the tenant's first data key and make it primary; returns its key id.

        Raises:
            CryptoError: the tenant already has key records (even destroyed ones: a shredded tenant is recreated
                only after its records are removed from the store by an operator).
        """
        with self._lock:
            if self._store.load(tenant) or not self._insert_key(tenant, 1, KeyState.PRIMARY):
                raise CryptoError(f"tenant {tenant!r} already has data keys; use rotate() to add one")
            self._primary[tenant] = 1
            return 1

    def root_key(self, tenant: str, key_id: int, /) -> bytes:
        """The unwrapped root data key ``key_id`` of ``tenant`` (cached after the first unwrap).

        The unwrap is audited before the key is cached: if the audit sink fails, nothing is cached and the next
        call unwraps and audits again.

        Raises:
            KeyNotFoundError: no such key, or it was destroyed.
            KeyProviderError: the provider could not unwrap it, or the key fails its commitment check.
            AuditSinkError: the unwrap could not be recorded; the key was not cached.
        """
        if self._monotonic() >= self._valid_until:
            self.revalidate()
        cached = self._roots.get((tenant, key_id))
        if cached is not None:
            return cached
        with self._lock:
            cached = self._roots.get((tenant, key_id))
            if cached is not None:
                return cached
            record = self._record(tenant, key_id)
            root = self._unwrap(record)
            self._emit("unwrap", tenant, key_ids=(key_id,), kek_id=record.kek_id, count=1)
            self._roots[tenant, key_id] = root
        return root

    def subkey(self, tenant: str, key_id: int, label: str, /, *, length: int = 32) -> bytes:
        """A key derived from the root key ``key_id`` for one use (``label``), with HKDF-SHA256."""
        root = self.root_key(tenant, key_id)
        return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=_SUBKEY_LABEL + label.encode()).derive(
            root
        )

    def decryptable_key_ids(self, tenant: str, /) -> list[int]:
        """Every key id of ``tenant`` that can still decrypt (primary first, then the rest newest first)."""
        records = [r for r in self._store.load(tenant) if r.state is not KeyState.DESTROYED]
        records.sort(key=lambda r: (r.state is not KeyState.PRIMARY, -r.key_id))
        return [r.key_id for r in records]

    # -- rotation ------------------------------------------------------------------------------------------------

    def add_key(self, tenant: str, /) -> int:
        """Add a new data key in the *pending* state (decrypts, does not encrypt yet); returns its id.

        Distribute it (let every process load it) before :meth:`promote`, so that no process meets a value it
        cannot decrypt. A tenant without keys gets its first key, primary at once. If another process takes the
        same key id first, the next id is tried.

        Raises:
            KeyNotFoundError: the tenant was shredded.
            CryptoError: other processes kept taking the key ids (retry), or the store failed.
            AuditSinkError: the creation could not be recorded; no key was stored.
        """
        with self._lock:
            for _ in range(_INSERT_ATTEMPTS):
                records = self._store.load(tenant)
                if records and all(r.state is KeyState.DESTROYED for r in records):
                    raise KeyNotFoundError(f"tenant {tenant!r} was shredded; its keyring cannot be extended")
                key_id = max((r.key_id for r in records), default=0) + 1
                if self._insert_key(tenant, key_id, KeyState.PENDING if records else KeyState.PRIMARY):
                    self._changed()
                    return key_id
        raise CryptoError(f"other processes kept taking the next key id of tenant {tenant!r}; retry add_key")

    def promote(self, tenant: str, key_id: int, /) -> None:
        """Make ``key_id`` the primary; the previous primary becomes *archived* (decrypt-only)."""
        with self._lock:
            records = {r.key_id: r for r in self._store.load(tenant)}
            target = records.get(key_id)
            if target is None or target.state is KeyState.DESTROYED:
                raise KeyNotFoundError(f"tenant {tenant!r} has no usable data key {key_id}")
            changed = [_with_state(r, KeyState.ARCHIVED) for r in records.values() if r.state is KeyState.PRIMARY]
            changed = [r for r in changed if r.key_id != key_id]
            changed.append(_with_state(target, KeyState.PRIMARY))
            self._emit("promote", tenant, key_ids=(key_id,), kek_id=target.kek_id, count=1)
            self._store.save(changed)
            self._changed()

    def rotate(self, tenant: str, /) -> int:
        """Add a new data key and promote it at once (single-process deployments); returns its id."""
        key_id = self.add_key(tenant)
        if self.primary_key_id(tenant, create=False) != key_id:
            self.promote(tenant, key_id)
        return key_id

    def rewrap(self, *, tenants: list[str] | None = None) -> RewrapReport:
        """Re-wrap every data key under the provider's primary KEK (KEK rotation). Values are not touched.

        Unwraps each key with the KEK it was wrapped with and wraps it again with ``provider.primary_key_id``,
        in one store write per tenant. Run it after making a new KEK primary in the provider; once it reports
        no key left on the old KEK, the old KEK can be retired.
        """
        target = self._provider.primary_key_id
        rewrapped = current = skipped = 0
        for tenant in tenants if tenants is not None else self._store.tenants():
            with self._lock:
                changed: list[KeyRecord] = []
                previous: set[str] = set()
                for record in self._store.load(tenant):
                    if record.state is KeyState.DESTROYED:
                        skipped += 1
                    elif record.kek_id == target:
                        current += 1
                    else:
                        root = self._unwrap(record)
                        previous.add(record.kek_id)
                        changed.append(self._wrap(tenant, record.key_id, record.state, root, record.created_at))
                if changed:
                    self._emit(
                        "rewrap",
                        tenant,
                        key_ids=tuple(r.key_id for r in changed),
                        kek_id=target,
                        previous_kek_ids=tuple(sorted(previous)),
                        count=len(changed),
                    )
                    self._store.save(changed)
                    rewrapped += len(changed)
        return RewrapReport(kek_id=target, rewrapped=rewrapped, already_current=current, destroyed_skipped=skipped)

    # -- destruction ---------------------------------------------------------------------------------------------

    def destroy_key(self, tenant: str, key_id: int, /) -> None:
        """Erase one archived or pending data key: values under it become unreadable.

        Raises:
            CryptoError: ``key_id`` is the primary (promote another key first, or destroy the whole tenant).
        """
        with self._lock:
            record = self._record(tenant, key_id)
            if record.state is KeyState.PRIMARY:
                raise CryptoError(
                    f"data key {key_id} is tenant {tenant!r}'s primary; promote another key first, or call "
                    "destroy_tenant to shred the tenant"
                )
            self._emit("destroy", tenant, key_ids=(key_id,), count=1)
            self._store.save([record.destroyed()])
            self._forget(tenant)

    def destroy_tenant(self, tenant: str, /) -> int:
        """Crypto-shred ``tenant``: erase all its data keys; returns how many were erased.

        Every ciphertext of the tenant (fields, tokens, events, quarantined records) becomes unreadable for
        good. The erasure is audited. The store keeps tombstones so no new key is silently created for the
        tenant afterwards.

        Other processes that share the store stop using the tenant's keys within their ``cache_ttl``; call
        :meth:`refresh` in each of them (or restart them) for the destruction to take effect there at once.
        """
        with self._lock:
            records = [r for r in self._store.load(tenant) if r.state is not KeyState.DESTROYED]
            self._emit("destroy", tenant, key_ids=tuple(r.key_id for r in records), count=len(records))
            if records:
                self._store.save([r.destroyed() for r in records])
            self._forget(tenant)
        return len(records)

    def audit_reencryption(self, tenant: str, /, *, count: int) -> None:
        """Record that ``count`` values of ``tenant`` were re-encrypted under its primary key."""
        self._emit("reencrypt", tenant, key_ids=(self.primary_key_id(tenant, create=False),), count=count)

    def refresh(self) -> None:
        """Drop every cached key and primary id, so the next use reads the store again.

        Call it after another process added, promoted or destroyed keys, when waiting for ``cache_ttl`` is not
        good enough (a crypto-shredding that must take effect at once).
        """
        with self._lock:
            self._roots.clear()
            self._primary.clear()
            self._valid_until = self._monotonic() + self._cache_ttl
            self._changed()

    def revalidate(self) -> float:
        """Check cached keys and primary ids against the store, if ``cache_ttl`` has passed; return the next deadline.

        A cached key whose record was destroyed, removed or replaced is dropped, and so is a cached primary id that
        is no longer the primary; if anything was dropped, ciphers drop their derived keys too (:meth:`on_change`).
        Keys that are still valid stay cached: nothing is unwrapped again. Ciphers call this on their next use after
        the deadline, so a key destroyed by another process stops working here within ``cache_ttl``.

        Returns:
            The :attr:`monotonic` time until which the cache is trusted again.

        Raises:
            CryptoError: the store could not be read; the cache is checked again on the next use.
        """
        with self._lock:
            now = self._monotonic()
            if now < self._valid_until:
                return self._valid_until
            stale = False
            for tenant in {tenant for tenant, _ in self._roots} | set(self._primary):
                stale |= self._drop_stale(tenant, {r.key_id: r for r in self._store.load(tenant)})
            self._valid_until = now + self._cache_ttl
            if stale:
                self._changed()
            return self._valid_until

    # -- internals -----------------------------------------------------------------------------------------------

    def _insert_key(self, tenant: str, key_id: int, state: KeyState) -> bool:
        """Generate, wrap, audit, then insert key ``key_id``; cache it only if the insert won (see the class doc)."""
        root = os.urandom(_ROOT_KEY_BYTES)
        record = self._wrap(tenant, key_id, state, root, self._clock())
        self._emit("create", tenant, key_ids=(key_id,), kek_id=record.kek_id, count=1)
        if not self._store.insert([record]):
            return False
        self._roots[tenant, key_id] = root
        return True

    def _drop_stale(self, tenant: str, records: dict[int, KeyRecord]) -> bool:
        stale = False
        for key in [k for k in self._roots if k[0] == tenant]:
            record = records.get(key[1])
            if (
                record is None
                or record.state is KeyState.DESTROYED
                or not hmac.compare_digest(record.commitment, _commitment(self._roots[key]))
            ):
                del self._roots[key]
                stale = True
        primary = self._primary.get(tenant)
        if primary is not None and (primary not in records or records[primary].state is not KeyState.PRIMARY):
            del self._primary[tenant]
            stale = True
        return stale

    def _wrap(self, tenant: str, key_id: int, state: KeyState, root: bytes, created_at: datetime) -> KeyRecord:
        kek_id = self._provider.primary_key_id
        commitment = _commitment(root)
        try:
            wrapped = self._provider.wrap(root, key_id=kek_id, aad=_wrap_aad(tenant, key_id, commitment))
        except KeyProviderError:
            raise
        except Exception as exc:  # noqa: BLE001 - a provider's own error type must not escape unmapped
            raise KeyProviderError(
                f"{type(self._provider).__name__} failed to wrap a data key with KEK {kek_id!r} "
                f"({type(exc).__name__}); check the provider"
            ) from None
        return KeyRecord(tenant, key_id, state, kek_id, wrapped, commitment, created_at)

    def _unwrap(self, record: KeyRecord) -> bytes:
        aad = _wrap_aad(record.tenant, record.key_id, record.commitment)
        try:
            root = self._provider.unwrap(record.wrapped, key_id=record.kek_id, aad=aad)
        except KeyProviderError:
            raise
        except Exception as exc:  # noqa: BLE001 - a provider's own error type must not escape unmapped
            raise KeyProviderError(
                f"{type(self._provider).__name__} failed to unwrap data key {record.key_id} of tenant "
                f"{record.tenant!r} with KEK {record.kek_id!r} ({type(exc).__name__}); check the provider"
            ) from None
        if len(root) != _ROOT_KEY_BYTES or not hmac.compare_digest(_commitment(root), record.commitment):
            raise KeyProviderError(
                f"data key {record.key_id} of tenant {record.tenant!r} fails its commitment check: the key store "
                "was altered or holds diverging copies; restore it from a trusted backup"
            )
        return root

    def _record(self, tenant: str, key_id: int) -> KeyRecord:
        for record in self._store.load(tenant):
            if record.key_id == key_id:
                if record.state is KeyState.DESTROYED:
                    raise KeyNotFoundError(f"data key {key_id} of tenant {tenant!r} was destroyed")
                return record
        raise KeyNotFoundError(f"tenant {tenant!r} has no data key {key_id}")

    def _forget(self, tenant: str) -> None:
        for key in [k for k in self._roots if k[0] == tenant]:
            del self._roots[key]
        self._primary.pop(tenant, None)
        self._changed()

    def _changed(self) -> None:
        self._primary.clear()
        for callback in self._listeners:
            callback()

    def _emit(self, operation: str, tenant: str, **fields: object) -> None:
        if self._audit is None:
            return
        # Imported here: the audit events pull in pydantic, which ciphers without an audit pipeline never need.
        from sfshield.audit.events import KeyOperation  # noqa: PLC0415

        self._audit.emit(
            KeyOperation(
                tenant=tenant,
                operation=operation,
                provider=type(self._provider).__name__,
                **fields,
            )
        )


def _with_state(record: KeyRecord, state: KeyState) -> KeyRecord:
    return KeyRecord(
        record.tenant, record.key_id, state, record.kek_id, record.wrapped, record.commitment, record.created_at
    )


def _commitment(root: bytes) -> bytes:
    return hmac.new(root, _COMMIT_LABEL, sha256).digest()


def _wrap_aad(tenant: str, key_id: int, commitment: bytes) -> bytes:
    encoded = tenant.encode()
    return _WRAP_LABEL + len(encoded).to_bytes(2, "big") + encoded + key_id.to_bytes(4, "big") + commitment
