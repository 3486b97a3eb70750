"""Keyring: data-key life cycle (create, rotate, promote), KEK re-wrap, crypto-shredding, audit, stores."""

from __future__ import annotations

import multiprocessing
import os
import stat
import threading
import time
from dataclasses import replace
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest

from sfshield.audit import AuditEvent, AuditPipeline, InMemoryAuditSink, KeyOperation, KeyOperationKind
from sfshield.crypto import (
    EncryptionContext,
    EnvelopeCipher,
    JoinDomain,
    KeyRecord,
    Keyring,
    KeyState,
    MemoryKeyStore,
    ReencryptionProgress,
    SQLiteKeyStore,
)
from sfshield.exceptions import AuditSinkError, CryptoError, DecryptionError, KeyNotFoundError, KeyProviderError
from sfshield.testing import InMemoryKeyProvider
from tests._closing import close_after_test

CTX = EncryptionContext(tenant="acme", purpose="training", sobject="Contact", field="Email")
DET = EncryptionContext(tenant="acme", purpose="training", domain="email")


def _audited() -> tuple[InMemoryKeyProvider, InMemoryAuditSink, Keyring]:
    provider = InMemoryKeyProvider()
    sink = InMemoryAuditSink()
    return provider, sink, Keyring(provider, audit=AuditPipeline(sinks=[sink]))


def _key_events(sink: InMemoryAuditSink) -> list[tuple[KeyOperationKind, tuple[int, ...]]]:
    return [(e.operation, e.key_ids) for e in sink.events if isinstance(e, KeyOperation)]


def test_rotation_keeps_old_values_readable_and_encrypts_new_ones_with_the_new_key() -> None:
    _, sink, keyring = _audited()
    cipher = EnvelopeCipher(keyring, domains=[JoinDomain("email")])
    old = cipher.encrypt(b"old value", context=CTX)
    old_det = cipher.encrypt_deterministic(b"a@x.io", context=DET)
    assert cipher.key_id_of(old) == 1

    new_id = keyring.add_key("acme")
    assert new_id == 2
    # added but not promoted: still encrypting under key 1, yet key 2 can already decrypt (distribute step)
    assert cipher.key_id_of(cipher.encrypt(b"x", context=CTX)) == 1
    keyring.promote("acme", new_id)

    new = cipher.encrypt(b"new value", context=CTX)
    assert cipher.key_id_of(new) == 2
    assert cipher.decrypt(old, context=CTX) == b"old value"
    assert cipher.decrypt(new, context=CTX) == b"new value"
    states = {r.key_id: r.state for r in keyring.records("acme")}
    assert states == {1: KeyState.ARCHIVED, 2: KeyState.PRIMARY}
    # deterministic values change key with rotation; both versions are offered for lookups during migration
    assert cipher.encrypt_deterministic_all(b"a@x.io", context=DET)[1] == old_det
    assert cipher.key_id_of(cipher.encrypt_deterministic_all(b"a@x.io", context=DET)[0]) == 2
    assert _key_events(sink) == [
        (KeyOperationKind.CREATE, (1,)),
        (KeyOperationKind.CREATE, (2,)),
        (KeyOperationKind.PROMOTE, (2,)),
    ]


def test_reencryption_moves_values_to_the_primary_with_progress_and_an_audit_count() -> None:
    _, sink, keyring = _audited()
    cipher = EnvelopeCipher(keyring)
    contexts = [CTX.with_record(f"003{i:015d}") for i in range(2500)]
    blobs = [cipher.encrypt(str(i).encode(), context=c) for i, c in enumerate(contexts)]
    keyring.rotate("acme")
    blobs[:10] = [cipher.reencrypt(b, context=c) for b, c in zip(blobs[:10], contexts[:10], strict=True)]
    seen: list[ReencryptionProgress] = []
    result = list(cipher.reencrypt_stream(zip(blobs, contexts, strict=True), progress=seen.append, every=1000))

    assert [p.seen for p in seen] == [1000, 2000, 2500]
    assert seen[-1] == ReencryptionProgress(seen=2500, rewritten=2490, already_current=10)
    assert {cipher.key_id_of(b) for b in result} == {2}
    assert [cipher.decrypt(b, context=c) for b, c in zip(result, contexts, strict=True)] == [
        str(i).encode() for i in range(2500)
    ]
    reencrypted = [e for e in sink.events if isinstance(e, KeyOperation) and e.operation == "reencrypt"]
    assert [(e.count, e.key_ids) for e in reencrypted] == [(2490, (2,))]


def test_kek_rotation_rewraps_data_keys_only() -> None:
    provider, sink, keyring = _audited()
    cipher = EnvelopeCipher(keyring)
    blobs = {tenant: cipher.encrypt(b"v", context=CTX.replace(tenant=tenant)) for tenant in ("acme", "globex")}
    keyring.rotate("acme")
    provider.add_key("test-kek-2")
    wraps_before = provider.wraps

    report = keyring.rewrap()

    assert (report.kek_id, report.rewrapped, report.already_current) == ("test-kek-2", 3, 0)
    assert provider.wraps - wraps_before == 3  # one wrap per data key, none per value
    assert {r.kek_id for t in ("acme", "globex") for r in keyring.records(t)} == {"test-kek-2"}
    provider.remove_key("test-kek-1")  # the old KEK is retired: everything still decrypts
    keyring.refresh()
    for tenant, blob in blobs.items():
        assert cipher.decrypt(blob, context=CTX.replace(tenant=tenant)) == b"v"
    assert keyring.rewrap().rewrapped == 0
    rewraps = [e for e in sink.events if isinstance(e, KeyOperation) and e.operation == "rewrap"]
    assert {(e.tenant, e.previous_kek_ids, e.kek_id) for e in rewraps} == {
        ("acme", ("test-kek-1",), "test-kek-2"),
        ("globex", ("test-kek-1",), "test-kek-2"),
    }


def test_a_shredded_tenant_is_unreadable_and_stays_shredded(tmp_path: Path) -> None:
    store = close_after_test(SQLiteKeyStore(tmp_path / "keys.db"))
    provider = InMemoryKeyProvider()
    sink = InMemoryAuditSink()
    cipher = EnvelopeCipher(provider, store=store, audit=AuditPipeline(sinks=[sink]))
    acme = cipher.encrypt(b"acme secret", context=CTX)
    globex_ctx = CTX.replace(tenant="globex")
    globex = cipher.encrypt(b"globex data", context=globex_ctx)
    cipher.keyring.rotate("acme")

    assert cipher.keyring.destroy_tenant("acme") == 2

    with pytest.raises(DecryptionError):
        cipher.decrypt(acme, context=CTX)
    # a fresh process with the same store and the same KEK cannot read it either
    again = EnvelopeCipher(provider, store=close_after_test(SQLiteKeyStore(tmp_path / "keys.db")))
    with pytest.raises(DecryptionError):
        again.decrypt(acme, context=CTX)
    with pytest.raises(KeyNotFoundError, match="no primary"):
        again.encrypt(b"new", context=CTX)  # no silent new keyring for a shredded tenant
    assert again.decrypt(globex, context=globex_ctx) == b"globex data"
    assert all(not r.wrapped and r.state is KeyState.DESTROYED for r in again.keyring.records("acme"))
    assert b"acme" not in b"".join(r.wrapped for r in again.keyring.records("acme"))
    destroyed = [e for e in sink.events if isinstance(e, KeyOperation) and e.operation == "destroy"]
    assert [(e.tenant, e.key_ids, e.count) for e in destroyed] == [("acme", (1, 2), 2)]


def test_one_archived_key_can_be_destroyed_but_not_the_primary() -> None:
    _, _, keyring = _audited()
    cipher = EnvelopeCipher(keyring)
    old = cipher.encrypt(b"v", context=CTX)
    keyring.rotate("acme")
    new = cipher.encrypt(b"v", context=CTX)
    with pytest.raises(CryptoError, match="primary"):
        keyring.destroy_key("acme", 2)
    keyring.destroy_key("acme", 1)
    with pytest.raises(DecryptionError):
        cipher.decrypt(old, context=CTX)
    assert cipher.decrypt(new, context=CTX) == b"v"


def test_sqlite_store_persists_keys_with_private_permissions(tmp_path: Path) -> None:
    path = tmp_path / "keys.db"
    provider = InMemoryKeyProvider()
    blob = EnvelopeCipher(provider, store=close_after_test(SQLiteKeyStore(path))).encrypt(b"kept", context=CTX)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    reopened = EnvelopeCipher(provider, store=close_after_test(SQLiteKeyStore(path)))
    assert reopened.decrypt(blob, context=CTX) == b"kept"
    assert provider.unwraps == 1  # unwrapped once for the new process, not per value
    reopened.decrypt(blob, context=CTX)
    assert provider.unwraps == 1


def test_a_tampered_key_record_is_refused_with_a_provider_error(tmp_path: Path) -> None:
    provider = InMemoryKeyProvider()
    store = close_after_test(SQLiteKeyStore(tmp_path / "keys.db"))
    EnvelopeCipher(provider, store=store).encrypt(b"v", context=CTX)
    (record,) = store.load("acme")
    store.save([replace(record, commitment=bytes(32))])
    with pytest.raises(KeyProviderError, match="altered"):
        Keyring(provider, store=store).root_key("acme", 1)
    # a record copied to another tenant does not unwrap there: the wrap binds the tenant
    store.save([replace(record, tenant="globex")])
    with pytest.raises(KeyProviderError):
        Keyring(provider, store=store).root_key("globex", 1)


def test_another_process_sees_a_distributed_key_before_promotion(tmp_path: Path) -> None:
    provider = InMemoryKeyProvider()
    writer = EnvelopeCipher(provider, store=close_after_test(SQLiteKeyStore(tmp_path / "k.db")))
    reader = EnvelopeCipher(provider, store=close_after_test(SQLiteKeyStore(tmp_path / "k.db")))
    writer.encrypt(b"v", context=CTX)
    assert reader.decrypt(writer.encrypt(b"v", context=CTX), context=CTX) == b"v"
    assert reader.key_id_of(reader.encrypt(b"x", context=CTX)) == 1
    new_id = writer.keyring.add_key("acme")
    writer.keyring.promote("acme", new_id)
    fresh = writer.encrypt(b"fresh", context=CTX)
    assert reader.decrypt(fresh, context=CTX) == b"fresh"  # unknown key id -> loaded from the store
    assert reader.key_id_of(reader.encrypt(b"x", context=CTX)) == 1  # stale primary until refresh
    reader.keyring.refresh()
    assert reader.key_id_of(reader.encrypt(b"x", context=CTX)) == 2


def test_concurrent_first_use_creates_one_key_per_tenant() -> None:
    provider = InMemoryKeyProvider()
    cipher = EnvelopeCipher(provider)
    barrier = threading.Barrier(8)
    results: list[bytes] = []

    def work() -> None:
        barrier.wait()
        results.extend(cipher.encrypt(os.urandom(8), context=CTX) for _ in range(200))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(cipher.keyring.records("acme")) == 1
    assert len({cipher.key_id_of(b) for b in results}) == 1
    assert len({b[5:17] for b in results}) == 1600  # no nonce repeated


def test_unknown_store_path_fails_with_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "not-a-db").write_text("hello, this is not sqlite" * 100)
    with pytest.raises(CryptoError, match="not-a-db"):
        SQLiteKeyStore(tmp_path / "not-a-db")


# -- processes sharing one store -----------------------------------------------------------------------------------

RACE_TENANTS = [f"tenant-{i:02d}" for i in range(40)]
RACE_PROCESSES = 6


class SlowReadingStore(SQLiteKeyStore):
    """An SQLite store whose reads take a moment, like a store on a network file system or a remote database.

    It widens the gap between reading a tenant's keys and writing a new one, so that concurrent first uses collide
    on every run instead of now and then.
    """

    def load(self, tenant: str, /) -> list[KeyRecord]:
        """Read the tenant's records, then pause."""
        records = super().load(tenant)
        time.sleep(0.002)
        return records


def _race_context(tenant: str) -> EncryptionContext:
    return EncryptionContext(tenant=tenant, purpose="training")


def _first_use_in_a_process(
    path: Path, provider: InMemoryKeyProvider, start: Barrier, out: Queue[list[tuple[str, bytes]]]
) -> None:
    """A worker process: open the shared store and encrypt one value for every tenant, all starting at once."""
    cipher = EnvelopeCipher(provider, store=SlowReadingStore(path))
    start.wait()
    out.put([(tenant, cipher.encrypt(tenant.encode(), context=_race_context(tenant))) for tenant in RACE_TENANTS])


def _decrypt_in_a_fresh_process(
    path: Path, provider: InMemoryKeyProvider, blobs: list[tuple[str, bytes]], out: Queue[list[str]]
) -> None:
    """A worker process with nothing cached: report the tenants whose values it cannot decrypt."""
    cipher = EnvelopeCipher(provider, store=close_after_test(SQLiteKeyStore(path, create=False)))
    failed = []
    for tenant, blob in blobs:
        try:
            assert cipher.decrypt(blob, context=_race_context(tenant)) == tenant.encode()
        except DecryptionError:
            failed.append(tenant)
    out.put(failed)


class TestProcessesSharingAStore:
    def test_concurrent_first_use_in_several_processes_keeps_one_key_per_tenant(self, tmp_path: Path) -> None:
        """Processes that create the same tenants' first keys at once agree on one key each; nothing is orphaned."""
        forked = multiprocessing.get_context("fork")  # the children share the parent's in-memory KEK
        path = tmp_path / "keys.db"
        provider = InMemoryKeyProvider()
        SQLiteKeyStore(path).close()
        start, out = forked.Barrier(RACE_PROCESSES), forked.Queue()
        workers = [
            forked.Process(target=_first_use_in_a_process, args=(path, provider, start, out))
            for _ in range(RACE_PROCESSES)
        ]
        for worker in workers:
            worker.start()
        blobs = [item for _ in workers for item in out.get(timeout=60)]
        for worker in workers:
            worker.join(timeout=60)
        assert [worker.exitcode for worker in workers] == [0] * RACE_PROCESSES
        assert len(blobs) == RACE_PROCESSES * len(RACE_TENANTS)

        checker = forked.Process(target=_decrypt_in_a_fresh_process, args=(path, provider, blobs, out))
        checker.start()
        undecryptable = out.get(timeout=60)
        checker.join(timeout=60)
        assert undecryptable == []
        with SQLiteKeyStore(path) as store:
            assert {tenant: [r.key_id for r in store.load(tenant)] for tenant in RACE_TENANTS} == {
                tenant: [1] for tenant in RACE_TENANTS
            }

    def test_a_keyring_that_loses_the_first_key_adopts_the_winner(self) -> None:
        """When another process stores key 1 between our read and our insert, we use its key, not ours."""
        store = MemoryKeyStore()
        provider = InMemoryKeyProvider()
        winner = Keyring(provider, store=store)

        class InterleavedStore(MemoryKeyStore):
            def insert(self, records: list[KeyRecord], /) -> bool:
                winner.primary_key_id("acme")  # the other process is faster
                return store.insert(records)

            def load(self, tenant: str, /) -> list[KeyRecord]:
                return store.load(tenant)

        loser = Keyring(provider, store=InterleavedStore())
        assert loser.primary_key_id("acme") == 1
        assert loser.root_key("acme", 1) == winner.root_key("acme", 1)
        assert len(store.load("acme")) == 1

    def test_add_key_takes_the_next_id_when_another_process_took_its_id(self) -> None:
        """add_key retries with the next id instead of overwriting a key another process just added."""
        store = MemoryKeyStore()
        provider = InMemoryKeyProvider()
        other = Keyring(provider, store=store)
        other.primary_key_id("acme")
        raced = False

        class InterleavedStore(MemoryKeyStore):
            def insert(self, records: list[KeyRecord], /) -> bool:
                nonlocal raced
                if not raced:
                    raced = True
                    other.add_key("acme")  # takes key id 2 first
                return store.insert(records)

            def load(self, tenant: str, /) -> list[KeyRecord]:
                return store.load(tenant)

        keyring = Keyring(provider, store=InterleavedStore())
        assert keyring.add_key("acme") == 3
        assert [r.key_id for r in store.load("acme")] == [1, 2, 3]
        assert keyring.root_key("acme", 2) == other.root_key("acme", 2)

    def test_a_store_without_insert_is_refused(self) -> None:
        """A store of one's own that cannot refuse an existing key id is refused at construction."""

        class OldStore:
            def load(self, tenant: str, /) -> list[KeyRecord]:
                return []

            def save(self, records: list[KeyRecord], /) -> None:
                pass

            def tenants(self) -> list[str]:
                return []

        with pytest.raises(TypeError, match=r"insert\(\)"):
            Keyring(InMemoryKeyProvider(), store=OldStore())  # type: ignore[arg-type]


# -- audit before effect -------------------------------------------------------------------------------------------


class FlakySink:
    """An audit sink that fails its first ``failures`` events (a full disk, then cleaned up) and keeps the rest."""

    def __init__(self, failures: int = 1) -> None:
        self.failures = failures
        self.events: list[AuditEvent] = []

    def emit(self, event: AuditEvent, /) -> None:
        """Fail while failures remain, else keep the event."""
        if self.failures:
            self.failures -= 1
            raise OSError("No space left on device")
        self.events.append(event)

    def operations(self) -> list[tuple[KeyOperationKind, tuple[int, ...]]]:
        """The key operations recorded, as (operation, key ids)."""
        return [(e.operation, e.key_ids) for e in self.events if isinstance(e, KeyOperation)]


class TestAuditBeforeEffect:
    def test_a_key_whose_creation_was_not_audited_is_not_stored(self) -> None:
        """If the create event fails, no key exists; the next use creates key 1 again and records it."""
        sink = FlakySink()
        keyring = Keyring(InMemoryKeyProvider(), audit=AuditPipeline(sinks=[sink]))
        cipher = EnvelopeCipher(keyring)
        with pytest.raises(AuditSinkError):
            cipher.encrypt(b"v", context=CTX)
        assert keyring.records("acme") == []
        assert cipher.decrypt(cipher.encrypt(b"v", context=CTX), context=CTX) == b"v"
        assert sink.operations() == [(KeyOperationKind.CREATE, (1,))]
        assert [r.key_id for r in keyring.records("acme")] == [1]

    def test_a_key_whose_unwrap_was_not_audited_is_not_cached(self) -> None:
        """If the unwrap event fails, nothing is cached: the next use unwraps again and records it."""
        provider = InMemoryKeyProvider()
        store = MemoryKeyStore()
        blob = EnvelopeCipher(Keyring(provider, store=store)).encrypt(b"v", context=CTX)
        sink = FlakySink()
        reader = EnvelopeCipher(Keyring(provider, store=store, audit=AuditPipeline(sinks=[sink])))
        unwraps = provider.unwraps
        with pytest.raises(AuditSinkError):
            reader.decrypt(blob, context=CTX)
        assert reader.decrypt(blob, context=CTX) == b"v"
        assert provider.unwraps - unwraps == 2
        assert sink.operations() == [(KeyOperationKind.UNWRAP, (1,))]

    def test_rotation_promotion_and_destruction_take_no_effect_unaudited(self) -> None:
        """add_key, promote, rewrap and the destroys change nothing when their event cannot be recorded."""
        provider = InMemoryKeyProvider()
        sink = FlakySink(failures=0)
        keyring = Keyring(provider, audit=AuditPipeline(sinks=[sink]))
        cipher = EnvelopeCipher(keyring)
        blob = cipher.encrypt(b"v", context=CTX)
        keyring.add_key("acme")
        provider.add_key("test-kek-2")
        before = keyring.records("acme")

        for operation in (
            lambda: keyring.add_key("acme"),
            lambda: keyring.promote("acme", 2),
            keyring.rewrap,
            lambda: keyring.destroy_key("acme", 2),
            lambda: keyring.destroy_tenant("acme"),
        ):
            sink.failures = 1
            with pytest.raises(AuditSinkError):
                operation()
            assert keyring.records("acme") == before
        assert cipher.decrypt(blob, context=CTX) == b"v"
        assert sink.operations() == [(KeyOperationKind.CREATE, (1,)), (KeyOperationKind.CREATE, (2,))]


# -- bounded staleness ---------------------------------------------------------------------------------------------


class FakeMonotonic:
    """A monotonic clock that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        """The current reading, in seconds."""
        return self.now


class TestCacheTtl:
    def _pair(self, tmp_path: Path) -> tuple[FakeMonotonic, EnvelopeCipher, EnvelopeCipher]:
        """Two 'processes' (keyrings with their own caches) on one SQLite store, sharing a fake clock."""
        clock, provider = FakeMonotonic(), InMemoryKeyProvider()
        first, second = (
            EnvelopeCipher(
                Keyring(
                    provider,
                    store=close_after_test(SQLiteKeyStore(tmp_path / "keys.db")),
                    cache_ttl=300,
                    monotonic=clock,
                ),
                domains=[JoinDomain("email")],
            )
            for _ in range(2)
        )
        return clock, first, second

    def test_a_tenant_shredded_elsewhere_stops_working_here_within_the_ttl(self, tmp_path: Path) -> None:
        """After destroy_tenant in one process, another stops encrypting and decrypting once cache_ttl has passed."""
        clock, shredder, other = self._pair(tmp_path)
        blob = other.encrypt(b"v", context=CTX)
        det = other.encrypt_deterministic(b"a@x.io", context=DET)
        shredder.keyring.destroy_tenant("acme")

        clock.now += 299
        assert other.decrypt(blob, context=CTX) == b"v"  # cached keys are trusted within the TTL (documented)
        clock.now += 2
        with pytest.raises(DecryptionError):
            other.decrypt(blob, context=CTX)
        with pytest.raises(DecryptionError):
            other.decrypt(det, context=DET)
        with pytest.raises(KeyNotFoundError):
            other.encrypt(b"new", context=CTX)
        with pytest.raises(KeyNotFoundError):
            other.encrypt_many([b"new"], context=CTX)
        with pytest.raises(KeyNotFoundError):
            other.encrypt_deterministic(b"a@x.io", context=DET)
        with pytest.raises(KeyNotFoundError):
            other.keyring.root_key("acme", 1)

    def test_refresh_makes_a_shredding_take_effect_at_once(self, tmp_path: Path) -> None:
        """refresh() drops every cached key without waiting for the TTL."""
        _, shredder, other = self._pair(tmp_path)
        blob = other.encrypt(b"v", context=CTX)
        shredder.keyring.destroy_tenant("acme")
        other.keyring.refresh()
        with pytest.raises(DecryptionError):
            other.decrypt(blob, context=CTX)

    def test_a_key_promoted_elsewhere_is_used_here_within_the_ttl(self, tmp_path: Path) -> None:
        """A promotion in one process changes the encrypting key in another once cache_ttl has passed."""
        clock, rotator, other = self._pair(tmp_path)
        other.encrypt(b"v", context=CTX)
        rotator.keyring.rotate("acme")
        assert other.key_id_of(other.encrypt(b"v", context=CTX)) == 1
        clock.now += 301
        assert other.key_id_of(other.encrypt(b"v", context=CTX)) == 2

    def test_revalidation_keeps_valid_keys_without_unwrapping_them_again(self, tmp_path: Path) -> None:
        """When nothing changed in the store, a revalidation reads it but neither unwraps nor re-derives keys."""
        clock, _, cipher = self._pair(tmp_path)
        blob = cipher.encrypt(b"v", context=CTX)
        provider = cipher.keyring.provider
        assert isinstance(provider, InMemoryKeyProvider)
        unwraps = provider.unwraps
        cached = cipher._enc_rnd[CTX.scope]
        clock.now += 301
        assert cipher.decrypt(blob, context=CTX) == b"v"
        assert cipher._enc_rnd[CTX.scope] is cached
        assert provider.unwraps == unwraps

    def test_with_the_real_clock_and_no_ttl_every_call_checks_the_store(self, tmp_path: Path) -> None:
        """With the default clock and cache_ttl=0, a shredding in one process takes effect in another at once."""
        provider = InMemoryKeyProvider()
        shredder, other = (
            EnvelopeCipher(Keyring(provider, store=close_after_test(SQLiteKeyStore(tmp_path / "keys.db")), cache_ttl=0))
            for _ in range(2)
        )
        blob = other.encrypt(b"v", context=CTX)
        assert other.decrypt(blob, context=CTX) == b"v"
        shredder.keyring.destroy_tenant("acme")
        with pytest.raises(DecryptionError):
            other.decrypt(blob, context=CTX)

    @pytest.mark.parametrize("ttl", [-1.0, float("nan")])
    def test_a_negative_or_nan_ttl_is_refused(self, ttl: float) -> None:
        """cache_ttl must be a number of seconds, at least zero."""
        with pytest.raises(ValueError, match="cache_ttl"):
            Keyring(InMemoryKeyProvider(), cache_ttl=ttl)
