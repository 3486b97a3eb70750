"""Rotating keys: a new data key (old values stay readable), lazy re-encryption with progress, a new KEK, and
crypto-shredding a tenant.

Run: python examples/key_rotation.py
"""

import tempfile
from pathlib import Path

from sfshield.audit import AuditPipeline, InMemoryAuditSink, KeyOperation
from sfshield.crypto import EncryptionContext, EnvelopeCipher, ReencryptionProgress, SQLiteKeyStore
from sfshield.exceptions import DecryptionError
from sfshield.testing import InMemoryKeyProvider

TENANT = "00D5g000000TENANTA"
audit_sink = InMemoryAuditSink()

with tempfile.TemporaryDirectory() as folder, SQLiteKeyStore(Path(folder) / "keys.db") as keys:
    provider = InMemoryKeyProvider(("kek-2026",))
    cipher = EnvelopeCipher(provider, store=keys, audit=AuditPipeline(sinks=[audit_sink]))
    base = EncryptionContext(tenant=TENANT, purpose="training", sobject="Case", field="Description")
    contexts = [base.with_record(f"5005g{i:013d}") for i in range(2_500)]
    stored = [cipher.encrypt(f"case {i}".encode(), context=c) for i, c in enumerate(contexts)]

    # 1. Data-key rotation, in Tink's order: add (every process can decrypt with it), then promote.
    keyring = cipher.keyring
    new_key = keyring.add_key(TENANT)
    keyring.promote(TENANT, new_key)  # key 1 is now archived: decrypt-only
    print("new values use key", cipher.key_id_of(cipher.encrypt(b"new", context=contexts[0])))
    print("old values still decrypt:", cipher.decrypt(stored[0], context=contexts[0]).decode())

    # 2. Re-encrypt what is stored, lazily and in constant memory, with a progress report.
    def report(progress: ReencryptionProgress) -> None:
        print(f"  re-encrypted {progress.rewritten} of {progress.seen} seen")

    stored = list(cipher.reencrypt_stream(zip(stored, contexts, strict=True), progress=report, every=1_000))
    print("key ids now in use:", sorted({cipher.key_id_of(blob) for blob in stored}))

    # 3. KEK rotation: make a new KEK primary in the provider, then re-wrap the data keys (not the values).
    provider.add_key("kek-2027")
    result = keyring.rewrap()
    print(f"re-wrapped {result.rewrapped} data keys under {result.kek_id}")

    # 4. Crypto-shredding: destroying the tenant's data keys makes every value unreadable, for good.
    keyring.destroy_tenant(TENANT)
    try:
        cipher.decrypt(stored[0], context=contexts[0])
    except DecryptionError:
        print("after destroy_tenant: unreadable")

operations = [f"{e.operation.value}{list(e.key_ids)}" for e in audit_sink.events if isinstance(e, KeyOperation)]
print("audited key operations:", ", ".join(operations))
