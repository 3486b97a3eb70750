"""The quarantine store: held whole and encrypted, one audited transaction, review, shredding, nothing leaks."""

from __future__ import annotations

import doctest
import json
import pickle
import sqlite3
import stat
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sfshield.audit import (
    AuditEvent,
    AuditPipeline,
    OperationBlocked,
    Outcome,
    QuarantineReviewed,
    RecordsQuarantined,
)
from sfshield.crypto import EnvelopeCipher, SQLiteKeyStore
from sfshield.dlp import Scanner, quarantine
from sfshield.dlp.quarantine import (
    Partition,
    QuarantineEntry,
    QuarantineStatus,
    QuarantineStore,
    partition,
)
from sfshield.exceptions import AuditSinkError, QuarantineError
from sfshield.testing import InMemoryKeyProvider

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
CARD, EMAIL = "4111 1111 1111 1111", "ana.lopez@example.com"
CASES = [
    {"attributes": {"type": "Case"}, "Id": "500000000000001AAA", "Description": f"card {CARD}", "Priority": 2},
    {"attributes": {"type": "Case"}, "Id": "500000000000002AAA", "Description": f"write to {EMAIL}", "Closed": False},
]
KINDS = [["CREDIT_CARD"], ["EMAIL_ADDRESS"]]
HOLD = {"tenant": "acme", "purpose": "training", "sobject": "Case", "reason": "policy: no PII in training"}


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        """The current fake time."""
        return self.now


class SwitchableSink:
    """An audit sink that records events and fails while ``failing`` is set."""

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []
        self.failing = False

    def emit(self, event: AuditEvent) -> None:
        """Record ``event``, or fail like a full disk."""
        if self.failing:
            raise OSError("disk full")
        self.events.append(event)


@pytest.fixture
def cipher() -> EnvelopeCipher:
    return EnvelopeCipher(InMemoryKeyProvider())


@pytest.fixture
def sink() -> SwitchableSink:
    return SwitchableSink()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path, cipher: EnvelopeCipher, sink: SwitchableSink, clock: FakeClock) -> Iterator[QuarantineStore]:
    with QuarantineStore(
        cipher, tmp_path / "quarantine.db", audit=AuditPipeline(sinks=[sink]), clock=clock, lock_timeout=0.05
    ) as store:
        yield store


def rows(path: Path) -> list[tuple[Any, ...]]:
    """Every row of the store's table, read behind the store's back."""
    with closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT id, status, ciphertext FROM sfshield_quarantine ORDER BY id").fetchall()


@contextmanager
def reading_lock(path: Path) -> Iterator[None]:
    """Another connection inside a read transaction: the store's COMMIT cannot get its exclusive lock meanwhile."""
    with closing(sqlite3.connect(path, isolation_level=None)) as other:
        other.execute("BEGIN")
        other.execute("SELECT count(*) FROM sfshield_quarantine").fetchall()
        yield
        other.execute("ROLLBACK")


class TestHold:
    def test_held_records_come_back_whole(self, store: QuarantineStore) -> None:
        """Each record is stored whole (nested values, non-string fields) and returns equal on release."""
        ids = store.hold(CASES, **HOLD, findings=KINDS)
        assert len(ids) == 2 and len(set(ids)) == 2
        assert [store.release(qid, reviewer="ana", reason="false positive") for qid in ids] == CASES

    def test_one_event_names_ids_kinds_and_reason_never_values(
        self, store: QuarantineStore, sink: SwitchableSink
    ) -> None:
        """hold() emits one RecordsQuarantined event with the ids, the kinds found, the count and the reason."""
        ids = store.hold(CASES, **HOLD, findings=KINDS)
        [event] = sink.events
        assert isinstance(event, RecordsQuarantined)
        assert event.quarantine_ids == tuple(ids) and event.record_count == 2
        assert event.finding_kinds == ("CREDIT_CARD", "EMAIL_ADDRESS")
        assert (event.tenant, event.purpose, event.sobject, event.reason) == (
            "acme",
            "training",
            "Case",
            HOLD["reason"],
        )
        assert event.outcome is Outcome.BLOCKED
        assert CARD not in json.dumps(event.to_json_dict()) and EMAIL not in json.dumps(event.to_json_dict())

    def test_the_metadata_is_listed_without_keys(self, store: QuarantineStore, clock: FakeClock) -> None:
        """list() shows id, tenant, purpose, object, record id, reason, kinds, held_at and status; no values."""
        ids = store.hold(CASES, **HOLD, findings=KINDS)
        first = store.list()[0]
        assert first == QuarantineEntry(
            id=ids[0],
            tenant="acme",
            purpose="training",
            sobject="Case",
            record_id="500000000000001AAA",
            reason=HOLD["reason"],
            kinds=("CREDIT_CARD",),
            held_at=clock.now,
            status=QuarantineStatus.HELD,
        )
        assert store.entry(ids[1]).kinds == ("EMAIL_ADDRESS",)

    def test_the_file_holds_no_value_in_the_clear(self, store: QuarantineStore) -> None:
        """The SQLite file contains the ids and kinds but neither the card number nor the e-mail address."""
        store.hold(CASES, **HOLD, findings=KINDS)
        data = store.path.read_bytes()
        assert b"500000000000001AAA" in data
        assert CARD.encode() not in data and EMAIL.encode() not in data and b"Description" not in data

    def test_scan_results_may_be_passed_as_findings(self, store: QuarantineStore) -> None:
        """findings= takes Scanner.scan_record results too: the kinds are taken from them, not the field names."""
        scanner = Scanner()
        ids = store.hold(CASES, **HOLD, findings=[scanner.scan_record(case) for case in CASES])
        assert [store.entry(qid).kinds for qid in ids] == [("CREDIT_CARD",), ("EMAIL_ADDRESS",)]

    def test_holding_nothing_writes_and_audits_nothing(self, store: QuarantineStore, sink: SwitchableSink) -> None:
        """An empty batch returns no ids, stores nothing and emits no event."""
        assert store.hold([], **HOLD, findings=[]) == []
        assert store.list(status=None) == [] and sink.events == []

    def test_a_failing_audit_leaves_nothing_held(self, store: QuarantineStore, sink: SwitchableSink) -> None:
        """When the audit sink fails, the insert is rolled back and QuarantineError says nothing was held."""
        sink.failing = True
        with pytest.raises(QuarantineError, match="nothing was held") as caught:
            store.hold(CASES, **HOLD, findings=KINDS)
        assert isinstance(caught.value.__cause__, AuditSinkError)
        assert store.list(status=None) == [] and rows(store.path) == []

    def test_a_commit_that_fails_after_the_event_is_corrected(
        self, store: QuarantineStore, sink: SwitchableSink
    ) -> None:
        """If COMMIT fails (another process is reading), nothing is held and an OperationBlocked event follows."""
        with reading_lock(store.path), pytest.raises(QuarantineError, match="did not happen") as caught:
            store.hold(CASES, **HOLD, findings=KINDS)
        recorded, correction = sink.events
        assert isinstance(recorded, RecordsQuarantined) and isinstance(correction, OperationBlocked)
        assert recorded.event_id in correction.message and recorded.event_id in str(caught.value)
        assert store.list(status=None) == []

    def test_a_closed_store_refuses_without_auditing(self, store: QuarantineStore, sink: SwitchableSink) -> None:
        """A write that fails (here: the store was closed) raises QuarantineError and emits nothing."""
        store.close()
        with pytest.raises(QuarantineError, match="cannot write quarantine store"):
            store.hold(CASES, **HOLD, findings=KINDS)
        assert sink.events == []

    def test_a_shredded_tenant_cannot_hold(
        self, store: QuarantineStore, cipher: EnvelopeCipher, sink: SwitchableSink
    ) -> None:
        """After crypto-shredding, nothing can be encrypted for the tenant: QuarantineError, nothing stored."""
        cipher.keyring.primary_key_id("acme")
        cipher.keyring.destroy_tenant("acme")
        with pytest.raises(QuarantineError, match="nothing was held"):
            store.hold(CASES, **HOLD, findings=KINDS)
        assert rows(store.path) == [] and sink.events == []

    def test_a_value_json_cannot_carry_is_refused_by_type_only(self, store: QuarantineStore) -> None:
        """A datetime value stops the batch; the error names the type, never the value."""
        record = {"Id": "500000000000003AAA", "When": datetime(2026, 1, 2, tzinfo=UTC), "Note": EMAIL}
        with pytest.raises(QuarantineError, match="500000000000003AAA holds a datetime value") as caught:
            store.hold([CASES[0], record], **HOLD, findings=[["CREDIT_CARD"], ["EMAIL_ADDRESS"]])
        assert "2026" not in str(caught.value) and EMAIL not in str(caught.value)
        assert rows(store.path) == []

    @pytest.mark.parametrize(
        ("records", "findings", "changes", "error"),
        [
            ("not records", ["x"], {}, TypeError),
            ([["a", "list"]], [[]], {}, TypeError),
            (CASES, [["CREDIT_CARD"]], {}, ValueError),
            (CASES, ["CREDIT_CARD", "EMAIL_ADDRESS"], {}, TypeError),
            (CASES, KINDS, {"reason": "  "}, ValueError),
            (CASES, KINDS, {"tenant": ""}, ValueError),
            (CASES, KINDS, {"purpose": None}, TypeError),
            (CASES, KINDS, {"reason": "x" * 1025}, ValueError),
        ],
        ids=[
            "not-a-sequence",
            "not-mappings",
            "too-few-findings",
            "kinds-as-strings",
            "blank-reason",
            "no-tenant",
            "no-purpose",
            "long-reason",
        ],
    )
    def test_bad_input_is_refused_before_anything_is_written(
        self, store: QuarantineStore, records: Any, findings: Any, changes: dict[str, Any], error: type[Exception]
    ) -> None:
        """Wrong types and impossible arguments raise TypeError/ValueError; nothing is stored."""
        with pytest.raises(error):
            store.hold(records, **{**HOLD, **changes}, findings=findings)
        assert rows(store.path) == []


class TestReview:
    def test_show_returns_the_record_and_audits_the_view(self, store: QuarantineStore, sink: SwitchableSink) -> None:
        """show() decrypts for a reviewer, records a 'viewed' event, and leaves the record held."""
        [qid] = store.hold(CASES[:1], **HOLD, findings=KINDS[:1])
        assert store.show(qid, reviewer="ana", reason="ticket 42") == CASES[0]
        viewed = sink.events[-1]
        assert isinstance(viewed, QuarantineReviewed)
        assert (viewed.decision, viewed.reviewer, viewed.reason, viewed.quarantine_id) == (
            "viewed",
            "ana",
            "ticket 42",
            qid,
        )
        assert (viewed.sobject, viewed.record_id) == ("Case", "500000000000001AAA")
        assert store.entry(qid).status is QuarantineStatus.HELD

    def test_a_view_the_audit_cannot_record_returns_nothing(self, store: QuarantineStore, sink: SwitchableSink) -> None:
        """When the audit sink fails, show() raises instead of returning the record."""
        [qid] = store.hold(CASES[:1], **HOLD, findings=KINDS[:1])
        sink.failing = True
        with pytest.raises(QuarantineError, match="audit trail could not record"):
            store.show(qid, reviewer="ana", reason="ticket 42")

    def test_release_returns_the_record_and_erases_it(
        self, store: QuarantineStore, sink: SwitchableSink, clock: FakeClock
    ) -> None:
        """release() returns the record, erases the ciphertext, and keeps who, when and why."""
        [qid] = store.hold(CASES[:1], **HOLD, findings=KINDS[:1])
        clock.now = T0 + timedelta(hours=2)
        assert store.release(qid, reviewer="ana", reason="test card number") == CASES[0]
        entry = store.entry(qid)
        assert entry.status is QuarantineStatus.RELEASED
        assert (entry.reviewer, entry.review_reason, entry.reviewed_at) == ("ana", "test card number", clock.now)
        assert rows(store.path) == [(qid, "released", None)]
        released = sink.events[-1]
        assert isinstance(released, QuarantineReviewed) and released.decision == "released"

    def test_releasing_twice_is_refused(self, store: QuarantineStore) -> None:
        """A released record cannot be released, shown or discarded again; the error says by whom."""
        [qid] = store.hold(CASES[:1], **HOLD, findings=KINDS[:1])
        store.release(qid, reviewer="ana", reason="ok")
        for again in (store.release, store.show, store.discard):
            with pytest.raises(QuarantineError, match=r"already released .* by ana"):
                again(qid, reviewer="bo", reason="again")

    def test_discard_erases_the_ciphertext(self, store: QuarantineStore, sink: SwitchableSink) -> None:
        """discard() erases the ciphertext, keeps the metadata and audits the decision; release is refused after."""
        [qid] = store.hold(CASES[:1], **HOLD, findings=KINDS[:1])
        store.discard(qid, reviewer="ana", reason="real card: never train on it")
        assert rows(store.path) == [(qid, "discarded", None)]
        assert [e.id for e in store.list(status=QuarantineStatus.DISCARDED)] == [qid]
        discarded = sink.events[-1]
        assert isinstance(discarded, QuarantineReviewed) and discarded.decision == "discarded"
        with pytest.raises(QuarantineError, match="already discarded"):
            store.release(qid, reviewer="ana", reason="changed my mind")

    def test_a_failing_audit_keeps_the_record_held(self, store: QuarantineStore, sink: SwitchableSink) -> None:
        """When the audit fails during release or discard, the record stays held with its ciphertext."""
        [qid] = store.hold(CASES[:1], **HOLD, findings=KINDS[:1])
        sink.failing = True
        for review in (store.release, store.discard):
            with pytest.raises(QuarantineError, match="it was not done"):
                review(qid, reviewer="ana", reason="ok")
        assert store.entry(qid).status is QuarantineStatus.HELD and rows(store.path)[0][2] is not None

    def test_a_release_whose_commit_fails_stays_held(self, store: QuarantineStore, sink: SwitchableSink) -> None:
        """A release that cannot commit is rolled back, and the trail gets a correcting event."""
        [qid] = store.hold(CASES[:1], **HOLD, findings=KINDS[:1])
        with reading_lock(store.path), pytest.raises(QuarantineError, match="the release did not happen"):
            store.release(qid, reviewer="ana", reason="ok")
        assert isinstance(sink.events[-2], QuarantineReviewed) and isinstance(sink.events[-1], OperationBlocked)
        assert store.release(qid, reviewer="ana", reason="ok") == CASES[0]

    def test_an_unknown_id_is_refused(self, store: QuarantineStore) -> None:
        """An id that is not in the store raises QuarantineError saying how to list the ids."""
        for review in (store.show, store.release, store.discard):
            with pytest.raises(QuarantineError, match=r"no quarantined record has id 'nope'.*list"):
                review("nope", reviewer="ana", reason="ok")
        with pytest.raises(QuarantineError, match="no quarantined record"):
            store.entry("nope")

    @pytest.mark.parametrize(("reviewer", "reason"), [("", "ok"), ("ana", " "), (None, "ok")])
    def test_a_review_needs_a_reviewer_and_a_reason(self, store: QuarantineStore, reviewer: Any, reason: Any) -> None:
        """Blank or missing reviewer/reason is refused before anything is decrypted or changed."""
        [qid] = store.hold(CASES[:1], **HOLD, findings=KINDS[:1])
        for review in (store.show, store.release, store.discard):
            with pytest.raises((ValueError, TypeError)):
                review(qid, reviewer=reviewer, reason=reason)
        assert store.entry(qid).status is QuarantineStatus.HELD

    def test_list_filters_by_tenant_and_status(self, store: QuarantineStore) -> None:
        """list() is oldest first and filters by tenant and status (None: every status); a bad status is refused."""
        a = store.hold(CASES, **HOLD, findings=KINDS)
        b = store.hold(CASES[:1], **{**HOLD, "tenant": "globex"}, findings=KINDS[:1])
        store.discard(a[0], reviewer="ana", reason="real data")
        assert {e.id for e in store.list()} == {a[1], *b}
        assert [e.id for e in store.list(tenant="globex")] == b
        assert len(store.list(status=None)) == 3
        assert [e.id for e in store.list(status="discarded")] == a[:1]
        with pytest.raises(ValueError, match="status must be one of"):
            store.list(status="gone")


class TestIntegrity:
    def test_a_shredded_tenant_is_unreadable_but_discardable(
        self, store: QuarantineStore, cipher: EnvelopeCipher
    ) -> None:
        """After destroy_tenant, show/release say the content is gone for good; discard still clears the entry."""
        [qid] = store.hold(CASES[:1], **HOLD, findings=KINDS[:1])
        cipher.keyring.destroy_tenant("acme")
        for read in (store.show, store.release):
            with pytest.raises(QuarantineError, match="crypto-shredded"):
                read(qid, reviewer="ana", reason="ok")
        store.discard(qid, reviewer="ana", reason="tenant shredded")
        assert store.entry(qid).status is QuarantineStatus.DISCARDED

    def test_a_failing_key_provider_is_reported_and_the_record_stays_held(self, tmp_path: Path) -> None:
        """A KEK the provider no longer has raises QuarantineError naming the provider error; nothing changes."""
        provider = InMemoryKeyProvider()
        with QuarantineStore(EnvelopeCipher(provider), tmp_path / "q.db", audit=None) as store:
            [qid] = store.hold(CASES[:1], **HOLD, findings=KINDS[:1])
            provider.add_key("kek-2")
            provider.remove_key("test-kek-1")
            store._cipher.keyring.refresh()
            with pytest.raises(QuarantineError, match=r"KeyProviderError.*stays held"):
                store.release(qid, reviewer="ana", reason="ok")
            assert store.entry(qid).status is QuarantineStatus.HELD

    @pytest.mark.parametrize(
        "edit",
        [
            "UPDATE sfshield_quarantine SET kinds = '[\"IP_MARKER\"]'",
            "UPDATE sfshield_quarantine SET reason = 'looks harmless'",
            "UPDATE sfshield_quarantine SET purpose = 'inference'",
            "UPDATE sfshield_quarantine SET record_id = '500000000000009AAA'",
            "UPDATE sfshield_quarantine SET held_at = '2026-01-01T00:00:00.000000+00:00'",
            "UPDATE sfshield_quarantine SET sobject = NULL",
        ],
    )
    def test_edited_metadata_does_not_decrypt(self, store: QuarantineStore, edit: str) -> None:
        """Changing any clear metadata column makes the record fail to decrypt: tampering is detected."""
        [qid] = store.hold(CASES[:1], **HOLD, findings=KINDS[:1])
        with closing(sqlite3.connect(store.path)) as db, db:
            db.execute(edit)
        with pytest.raises(QuarantineError, match=r"could not be decrypted.*tampered"):
            store.show(qid, reviewer="ana", reason="ok")

    def test_a_ciphertext_moved_to_another_entry_does_not_decrypt(self, store: QuarantineStore) -> None:
        """Swapping two rows' ciphertexts is detected: each is bound to its own quarantine id."""
        first, second = store.hold(CASES, **HOLD, findings=[["CREDIT_CARD"], ["CREDIT_CARD"]])
        with closing(sqlite3.connect(store.path)) as db, db:
            blob = db.execute("SELECT ciphertext FROM sfshield_quarantine WHERE id = ?", (first,)).fetchone()[0]
            db.execute("UPDATE sfshield_quarantine SET ciphertext = ? WHERE id = ?", (blob, second))
        with pytest.raises(QuarantineError, match="could not be decrypted"):
            store.show(second, reviewer="ana", reason="ok")


class TestFile:
    def test_a_new_store_is_private(self, store: QuarantineStore) -> None:
        """The file is created with mode 0600."""
        assert stat.S_IMODE(store.path.stat().st_mode) == 0o600

    def test_a_file_others_may_read_is_refused(self, tmp_path: Path, cipher: EnvelopeCipher) -> None:
        """An existing store with group or other permissions is refused, with the chmod that fixes it."""
        path = tmp_path / "q.db"
        QuarantineStore(cipher, path, audit=None).close()
        path.chmod(0o640)
        with pytest.raises(QuarantineError, match=r"mode 0640.*chmod 600"):
            QuarantineStore(cipher, path, audit=None)

    def test_another_sqlite_database_is_refused(self, tmp_path: Path, cipher: EnvelopeCipher) -> None:
        """A key store (or any other SQLite file) passed by mistake is refused, not given a quarantine table."""
        path = tmp_path / "keys.db"
        SQLiteKeyStore(path).close()
        with pytest.raises(QuarantineError, match="not an sfshield quarantine store"):
            QuarantineStore(cipher, path, audit=None)
        with closing(sqlite3.connect(path)) as db:
            tables = [row[0] for row in db.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")]
        assert tables == ["sfshield_data_keys"]

    def test_a_file_that_is_no_database_is_refused(self, tmp_path: Path, cipher: EnvelopeCipher) -> None:
        """A file that is not SQLite at all raises QuarantineError, not a sqlite3 error."""
        path = tmp_path / "q.db"
        path.write_bytes(b"not a database" * 100)
        path.chmod(0o600)
        with pytest.raises(QuarantineError, match="is it an sfshield quarantine store"):
            QuarantineStore(cipher, path, audit=None)

    def test_a_directory_is_refused(self, tmp_path: Path, cipher: EnvelopeCipher) -> None:
        """A directory at the path is refused with a message saying to give a file."""
        with pytest.raises(QuarantineError, match="not a regular file"):
            QuarantineStore(cipher, tmp_path, audit=None)

    def test_entries_survive_reopening(self, tmp_path: Path, cipher: EnvelopeCipher) -> None:
        """A store reopened with the same keys still lists and releases what was held."""
        path = tmp_path / "deep" / "q.db"
        with QuarantineStore(cipher, path, audit=None) as first:
            [qid] = first.hold(CASES[:1], **HOLD, findings=KINDS[:1])
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        with QuarantineStore(cipher, path, audit=None) as second:
            assert second.release(qid, reviewer="ana", reason="ok") == CASES[0]

    @pytest.mark.parametrize(
        ("cipher_arg", "audit"), [("not a cipher", None), (None, "not a pipeline")], ids=["cipher", "audit"]
    )
    def test_wrong_parts_are_refused_before_a_file_is_made(
        self, tmp_path: Path, cipher: EnvelopeCipher, cipher_arg: Any, audit: Any
    ) -> None:
        """A cipher that is not an EnvelopeCipher, or an audit that is not a pipeline, raises TypeError."""
        with pytest.raises(TypeError):
            QuarantineStore(cipher_arg or cipher, tmp_path / "q.db", audit=audit)
        assert not (tmp_path / "q.db").exists()


class TestSafety:
    def test_no_value_in_reprs_errors_or_events(
        self, store: QuarantineStore, sink: SwitchableSink, cipher: EnvelopeCipher
    ) -> None:
        """Reprs of the store, entries and partitions, every event and every error omit the record values."""
        ids = store.hold(CASES, **HOLD, findings=KINDS)
        seen = [repr(store), repr(store.list()), repr(partition(CASES, [{}, {}], must_hold={"X"}))]
        store.show(ids[0], reviewer="ana", reason="look")
        store.release(ids[0], reviewer="ana", reason="ok")
        cipher.keyring.destroy_tenant("acme")
        for attempt in (
            lambda: store.show(ids[1], reviewer="a", reason="b"),
            lambda: store.release(ids[0], reviewer="a", reason="b"),
        ):
            with pytest.raises(QuarantineError) as caught:
                attempt()
            seen.append(str(caught.value))
        seen.extend(json.dumps(event.to_json_dict()) for event in sink.events)
        text = "\n".join(seen)
        assert CARD not in text and EMAIL not in text and "Description" not in text

    def test_the_store_cannot_be_pickled(self, store: QuarantineStore) -> None:
        """Pickling the store (it holds a cipher with unwrapped keys) raises TypeError."""
        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(store)

    def test_a_naive_clock_is_refused(self, tmp_path: Path, cipher: EnvelopeCipher) -> None:
        """A clock without a time zone raises ValueError at the first hold; nothing is stored."""
        with QuarantineStore(cipher, tmp_path / "q.db", audit=None, clock=lambda: datetime(2026, 1, 1)) as store:  # noqa: DTZ001
            with pytest.raises(ValueError, match="timezone-aware"):
                store.hold(CASES, **HOLD, findings=KINDS)
            assert store.list() == []

    def test_without_audit_nothing_is_emitted_and_everything_works(self, cipher: EnvelopeCipher) -> None:
        """audit=None (a caller that audits itself) holds, shows, releases and discards all the same."""
        with QuarantineStore.in_memory(cipher, audit=None) as store:
            first, second = store.hold(CASES, **HOLD, findings=KINDS)
            assert store.show(first, reviewer="a", reason="b") == store.release(first, reviewer="a", reason="b")
            store.discard(second, reviewer="a", reason="b")
            assert store.list() == [] and repr(store) == "QuarantineStore(':memory:')"

    def test_threads_share_a_store_and_one_release_wins(self, store: QuarantineStore, sink: SwitchableSink) -> None:
        """Concurrent holds all land with distinct ids; of eight concurrent releases of one record, one succeeds."""
        with ThreadPoolExecutor(max_workers=8) as pool:
            batches = list(pool.map(lambda _: store.hold(CASES, **HOLD, findings=KINDS), range(16)))
        ids = [qid for batch in batches for qid in batch]
        assert len(set(ids)) == 32 == len(store.list())
        outcomes: list[str] = []
        lock = threading.Lock()

        def release() -> None:
            try:
                store.release(ids[0], reviewer="ana", reason="ok")
                result = "released"
            except QuarantineError:
                result = "refused"
            with lock:
                outcomes.append(result)

        with ThreadPoolExecutor(max_workers=8) as pool:
            for _ in range(8):
                pool.submit(release)
        assert sorted(outcomes) == ["refused"] * 7 + ["released"]

    @given(
        st.lists(
            st.dictionaries(
                st.text(min_size=1, max_size=8),
                st.recursive(
                    st.none()
                    | st.booleans()
                    | st.integers()
                    | st.floats(allow_nan=False, allow_infinity=False)
                    | st.text(),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                    max_leaves=8,
                ),
                max_size=5,
            ),
            min_size=1,
            max_size=3,
        )
    )
    def test_release_after_hold_is_the_identity(self, records: list[dict[str, Any]]) -> None:
        """Whatever JSON-shaped records are held, release returns each one equal to what was held."""
        with QuarantineStore.in_memory(CIPHER, audit=None) as store:
            ids = store.hold(records, **HOLD, findings=[["GENERIC_SECRET"]] * len(records))
            assert [store.release(qid, reviewer="a", reason="b") for qid in ids] == records


CIPHER = EnvelopeCipher(InMemoryKeyProvider())


class TestPartition:
    def test_records_with_a_blocked_kind_are_held_in_order(self) -> None:
        """With a set of kinds, a record is held when any of them is found; the rest pass, order kept."""
        scanner = Scanner()
        records = [{"Note": "fine"}, *CASES, {"Note": "also fine"}]
        split = partition(records, [scanner.scan_record(r) for r in records], must_hold={"CREDIT_CARD"})
        assert split.passed == [records[0], CASES[1], records[3]]
        assert split.held == [CASES[0]] and split.held_kinds == [("CREDIT_CARD",)]

    def test_a_callable_decides_on_the_kinds_of_the_record(self) -> None:
        """A callable gets the record's kinds (across fields) and says whether to hold it."""
        scanner = Scanner()
        records = [{"A": f"card {CARD}", "B": EMAIL}, {"A": EMAIL}]
        seen: list[frozenset[str]] = []

        def two_kinds(kinds: frozenset[str]) -> bool:
            seen.append(kinds)
            return len(kinds) > 1

        split = partition(records, [scanner.scan_record(r) for r in records], must_hold=two_kinds)
        assert split.held == records[:1] and split.held_kinds == [("CREDIT_CARD", "EMAIL_ADDRESS")]
        assert seen == [frozenset({"CREDIT_CARD", "EMAIL_ADDRESS"}), frozenset({"EMAIL_ADDRESS"})]

    def test_records_without_findings_always_pass(self) -> None:
        """must_hold is only asked about records with findings."""
        split = partition(CASES, [{}, {}], must_hold=lambda _kinds: True)
        assert split.passed == CASES and split.held == []

    def test_the_split_feeds_hold(self, store: QuarantineStore) -> None:
        """The held records and their kinds go straight into QuarantineStore.hold."""
        scanner = Scanner()
        split: Partition[dict[str, Any]] = partition(
            CASES, [scanner.scan_record(r) for r in CASES], must_hold={"EMAIL_ADDRESS"}
        )
        [qid] = store.hold(split.held, **HOLD, findings=split.held_kinds)
        assert store.entry(qid).record_id == "500000000000002AAA"

    def test_one_result_per_record_is_required(self) -> None:
        """Records and results of different lengths raise ValueError."""
        with pytest.raises(ValueError, match="one scan result per record"):
            partition(CASES, [{}], must_hold={"X"})

    def test_the_repr_shows_counts_only(self) -> None:
        """A Partition's repr names counts, never records."""
        assert repr(partition(CASES, [{}, {}], must_hold={"X"})) == "Partition(passed=2, held=0)"


def test_the_docstring_examples_run() -> None:
    """The examples in the module's docstrings are correct."""
    assert doctest.testmod(quarantine, raise_on_error=False).failed == 0


@pytest.mark.parametrize(
    ("must_hold", "error"),
    [("CREDIT_CARD", TypeError), ({"credit_card"}, ValueError), ({"secret"}, ValueError)],
)
def test_partition_refuses_kind_sets_that_would_match_nothing(must_hold: object, error: type[Exception]) -> None:
    rows = [{"Description": "card 4111 1111 1111 1111"}]
    with pytest.raises(error):
        partition(rows, [Scanner().scan_record(rows[0])], must_hold=must_hold)  # type: ignore[arg-type]
