"""Envelope encryption of field values: per-tenant keys, a mandatory context, random and joinable modes.

The key-encryption key (KEK) stays in the key provider; here an in-memory one stands in for a key file or an HSM
(see the key-file and HSM how-tos). Data keys are created per tenant on first use, wrapped by the KEK, and kept
in an SQLite key store so that they outlive the process.

Run: python examples/envelope_encryption.py
"""

import tempfile
from pathlib import Path

from sfshield.crypto import EncryptionContext, EnvelopeCipher, JoinDomain, Normalization, SQLiteKeyStore
from sfshield.exceptions import DecryptionError
from sfshield.testing import InMemoryKeyProvider

with tempfile.TemporaryDirectory() as folder, SQLiteKeyStore(Path(folder) / "keys.db") as keys:
    provider = InMemoryKeyProvider()  # production: KeyFileProvider(...) or Pkcs11KeyProvider(...)
    cipher = EnvelopeCipher(
        provider,
        store=keys,  # the wrapped data keys; the store is closed when the block ends
        domains=[JoinDomain("email", Normalization.CASEFOLD)],
    )

    # Random mode: bound to tenant, purpose, object, field and record. Build the context once, reuse it.
    email = EncryptionContext(tenant="00D5g000000TENANTA", purpose="training", sobject="Contact", field="Email")
    record = email.with_record("0035g00000ABCDEAA2")
    blob = cipher.encrypt(b"ana.lopez@example.com", context=record)
    print(f"{len(blob)} bytes for 21 bytes of plaintext (33 bytes of overhead)")
    print("decrypted:", cipher.decrypt(blob, context=record).decode())

    # Moved to another record (or tenant, field, purpose): it does not decrypt, and the error says nothing more.
    try:
        cipher.decrypt(blob, context=email.with_record("0035g00000ZZZZZAA2"))
    except DecryptionError as error:
        print("moved value refused:", error)

    # Deterministic mode: joinable within one tenant, purpose and join domain (no record id in the context).
    joinable = EncryptionContext(tenant="00D5g000000TENANTA", purpose="training", domain="email")
    contact = cipher.encrypt_deterministic(b"Ana.Lopez@Example.com", context=joinable)
    lead = cipher.encrypt_deterministic(b"ana.lopez@example.com ", context=joinable)
    print("contact and lead e-mails join:", contact == lead)

    # Every key operation is recorded by the keyring (pass audit=AuditPipeline(...) to keep them).
    for key in cipher.keyring.records("00D5g000000TENANTA"):
        print(f"data key {key.key_id}: {key.state.value}, wrapped by KEK {key.kek_id}")
