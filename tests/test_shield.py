"""Shield: the composition root, its audit trail, and the ingest decorator on all four function kinds."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import pickle
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sfshield import PseudonymKey, Shield
from sfshield.audit import AuditEvent, InMemoryAuditSink, JsonlAuditSink, OperationBlocked, RecordsFiltered
from sfshield.classification import Classification
from sfshield.exceptions import AuditSinkError, FilterError, UnknownPurposeError
from sfshield.testing import capture_audit
from tests.strategies import PURPOSES, contact_records, policies

POLICY = Classification(
    version="2026.1",
    labels={
        "*.Id": {"sensitivity": "Public"},
        "Contact.Name": {"sensitivity": "Internal"},
        "Contact.Email": {"sensitivity": "Confidential", "compliance": ["PII"], "kind": "email"},
    },
    rules=[
        {"name": "low", "purposes": ["*"], "max_sensitivity": "Internal", "action": "keep"},
        {"name": "pii", "purposes": ["embedding"], "compliance": ["PII"], "action": "pseudonymize"},
    ],
)
RECORD = {
    "attributes": {"type": "Contact", "url": "/x"},
    "Id": "003000000000001AAA",
    "Name": "Ann",
    "Email": "ann@example.com",
    "SSN__c": "123-45-6789",
}
EXPECTED_KEYS = {"Id", "Name", "Email"}


def make_shield(sink: Any = None, **kwargs: Any) -> Shield:
    return Shield(
        POLICY,
        tenant="acme",
        audit=sink or InMemoryAuditSink(),
        pseudonym_key=PseudonymKey(b"k" * 32),
        **kwargs,
    )


class TestProtect:
    def test_protect_audits_the_batch_with_the_policy_hash(self) -> None:
        """A protect call records one RecordsFiltered event naming purpose, count, policy version and sha256."""
        sink = InMemoryAuditSink()
        make_shield(sink).protect([RECORD], purpose="embedding")
        (event,) = [e for e in sink.events if isinstance(e, RecordsFiltered)]
        assert (event.purpose, event.record_count, event.sobject) == ("embedding", 1, "Contact")
        assert (event.policy_version, event.policy_sha256) == ("2026.1", POLICY.sha256)
        assert {(f.path, f.action) for f in event.fields} >= {("Email", "pseudonymize"), ("SSN__c", "drop")}

    def test_a_failing_sink_stops_protect_and_returns_nothing(self) -> None:
        """When the audit sink fails, protect raises AuditSinkError instead of returning records."""
        calls: list[Any] = []

        def flaky(event: AuditEvent) -> None:
            calls.append(event)
            if isinstance(event, RecordsFiltered):
                raise OSError("disk full")

        shield = make_shield(flaky)
        with pytest.raises(AuditSinkError):
            shield.protect([RECORD], purpose="embedding")

    def test_a_blocked_operation_is_audited(self) -> None:
        """An unknown purpose is refused and the refusal itself is recorded."""
        shield = make_shield()
        with capture_audit(shield) as events, pytest.raises(UnknownPurposeError):
            shield.protect([RECORD], purpose="marketing")
        (blocked,) = events
        assert isinstance(blocked, OperationBlocked)
        assert blocked.error_type == "UnknownPurposeError"

    def test_protect_stream_yields_in_audited_batches(self) -> None:
        """protect_stream filters an iterator in batches, one audit event per batch."""
        shield = make_shield()
        with capture_audit(shield) as events:
            out = list(shield.protect_stream(iter([RECORD] * 5), purpose="sync", batch_size=2))
        assert len(out) == 5
        assert [e.record_count for e in events if isinstance(e, RecordsFiltered)] == [2, 2, 1]

    def test_a_shield_cannot_be_pickled(self) -> None:
        """A Shield holds keys, so pickling it is refused."""
        with pytest.raises(TypeError, match="pickled"):
            pickle.dumps(make_shield())

    def test_audit_is_required(self) -> None:
        """A Shield cannot be built without somewhere to record its decisions."""
        with pytest.raises(TypeError):
            Shield(POLICY, tenant="acme")  # type: ignore[call-arg]


class TestNoValuesInTheTrail:
    @given(policies(), st.lists(contact_records(), min_size=1, max_size=3), st.sampled_from(PURPOSES))
    def test_no_audit_event_or_log_line_contains_a_field_value(
        self, policy: Classification, records: list[dict[str, Any]], purpose: str
    ) -> None:
        """The audit trail and the logs carry field names and counts, never a value from the records."""
        secrets = {f"SECRET-{i}-{v}" for i, v in enumerate(("alpha", "beta", "gamma"))}
        for record, secret in zip(records, sorted(secrets), strict=False):
            record["Name"] = secret
        sink = InMemoryAuditSink()
        handler = _ListHandler()
        logging.getLogger("sfshield").addHandler(handler)
        try:
            shield = Shield(
                policy,
                tenant="t",
                audit=sink,
                pseudonym_key=PseudonymKey(b"k" * 32),
                encryptor=_NullEncryptor(),
            )
            shield.protect(records, purpose=purpose)
        finally:
            logging.getLogger("sfshield").removeHandler(handler)
        trail = json.dumps([e.to_json_dict() for e in sink.events]) + "\n".join(handler.lines)
        assert not [s for s in secrets if s in trail]

    def test_the_jsonl_file_holds_no_value_or_pseudonym_key(self, tmp_path: Path) -> None:
        """The audit file written for a batch contains neither the values nor the pseudonym key."""
        path = tmp_path / "audit.jsonl"
        with JsonlAuditSink(path) as sink:
            make_shield(sink).protect([RECORD], purpose="embedding")
        text = path.read_text()
        assert "ann@example.com" not in text and "123-45-6789" not in text and ("6b" * 32) not in text


class TestIngestDecorator:
    def test_sync_functions_return_filtered_records(self) -> None:
        """A decorated function's list of records comes back filtered."""
        shield = make_shield()

        @shield.ingest(purpose="sync")
        def fetch(limit: int) -> list[dict[str, Any]]:
            return [RECORD] * limit

        assert [set(r) for r in fetch(2)] == [{"Id", "Name"}] * 2

    def test_query_results_keep_their_shape(self) -> None:
        """A query result dict keeps totalSize/done and gets filtered records."""
        shield = make_shield()
        fetch = shield.ingest(purpose="embedding")(lambda: {"totalSize": 1, "done": True, "records": [RECORD]})
        result = fetch()
        assert result["totalSize"] == 1 and set(result["records"][0]) == EXPECTED_KEYS

    def test_async_functions_are_wrapped(self) -> None:
        """An async function stays a coroutine function and its result is filtered."""
        shield = make_shield()

        @shield.ingest(purpose="embedding")
        async def fetch() -> dict[str, Any]:
            return RECORD

        assert inspect.iscoroutinefunction(fetch)
        assert set(asyncio.run(fetch())) == EXPECTED_KEYS

    def test_generators_yield_filtered_items(self) -> None:
        """A generator function stays a generator and each yielded page is filtered."""
        shield = make_shield()

        @shield.ingest(purpose="embedding")
        def pages() -> Iterator[list[dict[str, Any]]]:
            yield [RECORD]
            yield [RECORD, RECORD]

        assert inspect.isgeneratorfunction(pages)
        assert [len(page) for page in pages()] == [1, 2]
        assert all(set(r) == EXPECTED_KEYS for page in pages() for r in page)

    def test_async_generators_yield_filtered_items(self) -> None:
        """An async generator stays one and each yielded record is filtered."""
        shield = make_shield()

        @shield.ingest(purpose="embedding")
        async def stream() -> AsyncIterator[dict[str, Any]]:
            for _ in range(3):
                yield RECORD

        async def collect() -> list[dict[str, Any]]:
            return [r async for r in stream()]

        assert inspect.isasyncgenfunction(stream)
        assert [set(r) for r in asyncio.run(collect())] == [EXPECTED_KEYS] * 3

    def test_bare_use_takes_the_default_purpose_and_keeps_the_signature(self) -> None:
        """@shield.ingest without arguments uses default_purpose and preserves name, doc and signature."""
        shield = make_shield(default_purpose="embedding")

        def fetch(soql: str, *, limit: int = 10) -> list[dict[str, Any]]:
            """Fetch contacts."""
            return [RECORD]

        wrapped = shield.ingest(fetch)
        assert wrapped.__name__ == "fetch" and wrapped.__doc__ == "Fetch contacts."
        assert inspect.signature(wrapped) == inspect.signature(fetch)
        assert set(wrapped("q")[0]) == EXPECTED_KEYS

    def test_bare_use_without_a_default_purpose_is_refused(self) -> None:
        """Without a purpose to apply, decoration fails at once instead of letting records pass."""
        with pytest.raises(TypeError, match="purpose"):
            make_shield().ingest(list)

    def test_an_unknown_purpose_fails_at_decoration_time(self) -> None:
        """A typo in the purpose is caught when the function is decorated, not at the first call."""
        with pytest.raises(UnknownPurposeError):
            make_shield().ingest(purpose="embeding")

    def test_returning_something_that_is_not_records_fails_closed(self) -> None:
        """A function returning a string is refused with FilterError and the refusal is audited."""
        shield = make_shield()
        fetch = shield.ingest(purpose="sync")(lambda: "ann@example.com")
        with capture_audit(shield) as events, pytest.raises(FilterError):
            fetch()
        assert isinstance(events[0], OperationBlocked)
        assert "ann@example.com" not in events[0].message


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


class _NullEncryptor:
    def encrypt(self, plaintext: bytes, /, *, context: object) -> str:
        return "enc:" + str(len(plaintext))

    def is_encrypted(self, text: str, /, *, context: object) -> bool:
        return False


class TestIngestGeneratorLifecycle:
    def test_a_refused_item_closes_the_source_generator(self) -> None:
        """When a yielded item is refused, the wrapped generator's cleanup runs (no dangling cursor)."""
        shield = make_shield()
        closed: list[bool] = []

        @shield.ingest(purpose="sync")
        def pages() -> Iterator[Any]:
            try:
                yield [RECORD]
                yield "not records"
                yield [RECORD]
            finally:
                closed.append(True)

        produced = pages()
        assert len(next(produced)) == 1
        with pytest.raises(FilterError):
            next(produced)
        assert closed == [True]


class TestReviewedFailures:
    def test_ingest_passes_only_the_query_result_envelope(self) -> None:
        """Keys of a returned query result other than totalSize/done/nextRecordsUrl are not passed on."""
        shield = make_shield()
        fetch = shield.ingest(purpose="sync")(
            lambda: {"totalSize": 1, "done": True, "records": [RECORD], "debug": {"SSN__c": "123-45-6789"}}
        )
        assert set(fetch()) == {"totalSize", "done", "records"}

    def test_an_unexpected_failure_is_translated_audited_and_leaks_nothing(self) -> None:
        """A record shape that breaks the filter raises FilterError, is audited, and chains no original error."""
        shield = make_shield()
        bad = {"attributes": {"type": "Contact"}, "Cases": {"records": "123-45-6789"}}
        with capture_audit(shield) as events, pytest.raises(FilterError) as caught:
            shield.protect([bad], purpose="sync")
        assert caught.value.__cause__ is None and caught.value.__suppress_context__
        assert "123-45-6789" not in str(caught.value)
        assert isinstance(events[0], OperationBlocked)

    def test_protect_stream_checks_its_arguments_at_once(self) -> None:
        """A bad batch size or purpose fails when protect_stream is called, not at the first next()."""
        shield = make_shield()
        with pytest.raises(ValueError, match="batch_size"):
            shield.protect_stream([], purpose="sync", batch_size=0)
        with pytest.raises(UnknownPurposeError):
            shield.protect_stream([], purpose="marketing")
