"""Keyring: data-key life cycle (create, rotate, promote), KEK re-wrap, crypto-shredding, audit, stores."""

from __future__ import annotations

import os
import stat
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from sfshield.audit import AuditPipeline, InMemoryAuditSink, KeyOperation, KeyOperationKind
from sfshield.crypto import (
    EncryptionContext,
    EnvelopeCipher,
    JoinDomain,
    Keyring,
    KeyState,
    ReencryptionProgress,
    SQLiteKeyStore,
)
from sfshield.exceptions import CryptoError, DecryptionError, KeyNotFoundError, KeyProviderError
from sfshield.testing import InMemoryKeyProvider

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
    store = SQLiteKeyStore(tmp_path / "keys.db")
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
    again = EnvelopeCipher(provider, store=SQLiteKeyStore(tmp_path / "keys.db"))
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
    blob = EnvelopeCipher(provider, store=SQLiteKeyStore(path)).encrypt(b"kept", context=CTX)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    reopened = EnvelopeCipher(provider, store=SQLiteKeyStore(path))
    assert reopened.decrypt(blob, context=CTX) == b"kept"
    assert provider.unwraps == 1  # unwrapped once for the new process, not per value
    reopened.decrypt(blob, context=CTX)
    assert provider.unwraps == 1


def test_a_tampered_key_record_is_refused_with_a_provider_error(tmp_path: Path) -> None:
    provider = InMemoryKeyProvider()
    store = SQLiteKeyStore(tmp_path / "keys.db")
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
    writer = EnvelopeCipher(provider, store=SQLiteKeyStore(tmp_path / "k.db"))
    reader = EnvelopeCipher(provider, store=SQLiteKeyStore(tmp_path / "k.db"))
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
