"""Hold back the records whose free text carries what a purpose must never see, then review them.

The scanner finds a card number and an AWS key in two Case descriptions. Both records are held back whole,
encrypted, in a quarantine store; the others go on to the training set. A reviewer then looks at one (audited),
releases the test card number, and discards the real key. The in-memory key provider keeps the example
self-contained; production passes a KeyFileProvider or Pkcs11KeyProvider and a SQLiteKeyStore to the cipher.

Run: python examples/quarantine_review.py
"""

import tempfile
from pathlib import Path

from sfshield.audit import AuditPipeline, InMemoryAuditSink
from sfshield.crypto import EnvelopeCipher
from sfshield.dlp import EntityKind, Scanner
from sfshield.dlp.quarantine import QuarantineStatus, QuarantineStore, partition
from sfshield.exceptions import QuarantineError
from sfshield.testing import InMemoryKeyProvider

cases = [
    {"Id": "500000000000001AAA", "Subject": "Login fails", "Description": "Customer cannot log in since Monday."},
    {"Id": "500000000000002AAA", "Subject": "Refund", "Description": "Charge back card 4111 1111 1111 1111 please."},
    {"Id": "500000000000003AAA", "Subject": "Export job", "Description": "Our job uses key AKIAIOSFODNN7EXAMPLE."},
    {"Id": "500000000000004AAA", "Subject": "Thanks", "Description": "All good now, you can close this."},
]
never_in_training = {kind for kind in EntityKind if kind.is_secret} | {EntityKind.CREDIT_CARD, EntityKind.US_SSN}

scanner = Scanner()
trail = InMemoryAuditSink()  # production: JsonlAuditSink (hash-chained) or your own sink
audit = AuditPipeline(sinks=[trail])
cipher = EnvelopeCipher(InMemoryKeyProvider())

with tempfile.TemporaryDirectory() as tmp, QuarantineStore(cipher, Path(tmp) / "q.db", audit=audit) as store:
    # 1. Scan, split, hold. The held records may be dropped only once hold() has returned their ids.
    results = [scanner.scan_record(case, fields=["Subject", "Description"]) for case in cases]
    split = partition(cases, results, must_hold=never_in_training)
    ids = store.hold(
        split.held,
        tenant="acme",
        purpose="training",
        sobject="Case",
        reason="secret or card number in free text",
        findings=split.held_kinds,
    )
    training_set = split.passed
    print(f"{len(training_set)} cases go to training, {len(ids)} held back")
    assert [case["Id"] for case in training_set] == ["500000000000001AAA", "500000000000004AAA"]

    # 2. The review queue: metadata only (ids, kinds, reason); nothing is decrypted.
    for entry in store.list(tenant="acme"):
        print(f"  {entry.id[:8]}…  {entry.record_id}  {', '.join(entry.kinds)}")
    card, key = store.list(tenant="acme")

    # 3. Looking is audited; the card is the well-known test number, so it is released for training.
    assert "4111" in store.show(card.id, reviewer="ana@acme.example", reason="check: test card?")["Description"]
    training_set.append(store.release(card.id, reviewer="ana@acme.example", reason="documented test card number"))

    # 4. The AWS key is real: discard it. Its ciphertext is erased; the decision stays on record.
    store.discard(key.id, reviewer="ana@acme.example", reason="live credential; rotated, ticket SEC-12")
    assert store.entry(key.id).status is QuarantineStatus.DISCARDED
    try:
        store.release(key.id, reviewer="bo@acme.example", reason="second opinion")
    except QuarantineError as error:
        print("refused:", error)
    else:
        raise AssertionError("a discarded record must not come back")

    # 5. Crypto-shredding a tenant makes what it still has in quarantine unreadable for good.
    [held] = store.hold(
        [cases[1]], tenant="globex", purpose="training", sobject="Case", reason="card", findings=[["CREDIT_CARD"]]
    )
    cipher.keyring.destroy_tenant("globex")
    try:
        store.show(held, reviewer="ana@acme.example", reason="audit request")
    except QuarantineError as error:
        print("refused:", error)
    else:
        raise AssertionError("a shredded tenant's record must not decrypt")

decisions = [getattr(event, "decision", None) for event in trail.events if event.kind == "quarantine_reviewed"]
print("reviews in the audit trail:", decisions)
assert decisions == ["viewed", "released", "discarded"]
assert len(training_set) == 3
assert all("AKIA" not in case["Description"] for case in training_set)
