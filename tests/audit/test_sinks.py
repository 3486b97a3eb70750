import json
import pickle
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sfshield.audit import (
    AuditEvent,
    InMemoryAuditSink,
    JsonlAuditSink,
    RecordsFiltered,
    VerificationReport,
    event_from_json,
    verify_audit_file,
)
from sfshield.audit.chain import GENESIS_HASH, MAX_LINE_BYTES
from sfshield.exceptions import AuditIntegrityError

KEY = b"k" * 32
FILE_EXAMPLES = settings(max_examples=40, deadline=None)


def _event(n: int, tenant: str = "acme") -> RecordsFiltered:
    return RecordsFiltered(
        tenant=tenant,
        purpose="support",
        sobject="Contact",
        record_count=n,
        event_id=f"event-{n}",
        timestamp=datetime(2024, 5, 1, 12, 0, n % 60, tzinfo=UTC),
    )


def _write_chain(path: Path, count: int, *, chain_key: bytes | None = None) -> None:
    with JsonlAuditSink(path, chain_key=chain_key) as sink:
        for n in range(count):
            sink.emit(_event(n))


def _lines(path: Path) -> list[str]:
    """Split on newlines only, as the format does (str.splitlines would also split on U+2028)."""
    return [line + "\n" for line in path.read_bytes().decode().split("\n")[:-1]]


def _rewrite(path: Path, lines: list[str]) -> None:
    path.write_bytes("".join(lines).encode())


def _head(path: Path) -> Path:
    return path.with_name(path.name + ".head")


def _fresh_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("chain") / "audit.jsonl"


def _emit_from_threads(emit: Callable[[AuditEvent], object], *, threads: int, each: int) -> None:
    def work() -> None:
        for n in range(each):
            emit(_event(n))

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def _first_bad_line(path: Path, *, chain_key: bytes | None = None) -> int:
    with pytest.raises(AuditIntegrityError) as info:
        verify_audit_file(path, chain_key=chain_key)
    assert info.value.path == str(path)
    return info.value.line


class TestInMemoryAuditSink:
    def test_keeps_events_in_emit_order(self) -> None:
        """Events are kept in the order they were emitted."""
        sink = InMemoryAuditSink()
        events = [_event(n) for n in range(3)]
        for event in events:
            sink.emit(event)
        assert sink.events == events

    def test_concurrent_emits_lose_nothing(self) -> None:
        """Events emitted from many threads are all kept."""
        sink = InMemoryAuditSink()
        _emit_from_threads(sink.emit, threads=8, each=50)
        assert len(sink.events) == 400


class TestJsonlAuditSinkFormat:
    def test_lines_follow_the_documented_format(self, tmp_path: Path) -> None:
        """Each line is {seq, prev, event, hash}, seq counts from 1 and prev links to the previous hash."""
        path = tmp_path / "audit.jsonl"
        _write_chain(path, 3)
        records = [json.loads(line) for line in _lines(path)]
        assert [r["seq"] for r in records] == [1, 2, 3]
        assert [r["prev"] for r in records] == [GENESIS_HASH, records[0]["hash"], records[1]["hash"]]
        assert all(list(r) == ["seq", "prev", "event", "hash"] for r in records)

    def test_hash_is_sha256_over_the_canonical_json(self, tmp_path: Path) -> None:
        """The hash can be recomputed by hand from the documented canonical form."""
        import hashlib  # noqa: PLC0415 -- only this test recomputes hashes by hand

        path = tmp_path / "audit.jsonl"
        _write_chain(path, 1)
        record = json.loads(_lines(path)[0])
        body = {k: record[k] for k in ("seq", "prev", "event")}
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        assert record["hash"] == hashlib.sha256(canonical).hexdigest()

    def test_events_round_trip(self, tmp_path: Path) -> None:
        """Every line's event rebuilds into the event that was emitted."""
        path = tmp_path / "audit.jsonl"
        _write_chain(path, 3)
        rebuilt = [event_from_json(json.loads(line)["event"]) for line in _lines(path)]
        assert rebuilt == [_event(n) for n in range(3)]

    def test_non_ascii_and_line_separators_stay_on_one_line(self, tmp_path: Path) -> None:
        """Text with U+2028 and non-ASCII letters stays on one line and verifies."""
        path = tmp_path / "audit.jsonl"
        with JsonlAuditSink(path) as sink:
            sink.emit(_event(1, tenant="Zürich\u2028✓"))
        assert path.read_bytes().count(b"\n") == 1
        assert verify_audit_file(path).lines == 1

    def test_files_are_private_to_the_owner(self, tmp_path: Path) -> None:
        """The audit file and its head file are created with mode 0o600."""
        path = tmp_path / "audit.jsonl"
        _write_chain(path, 1)
        assert path.stat().st_mode & 0o777 == 0o600
        assert _head(path).stat().st_mode & 0o777 == 0o600

    def test_repr_shows_the_path_and_not_the_key(self, tmp_path: Path) -> None:
        """The repr names the file and never the chain key."""
        path = tmp_path / "audit.jsonl"
        with JsonlAuditSink(path, chain_key=b"S3CRET-KEY-0123456789") as sink:
            assert repr(sink) == f"JsonlAuditSink({str(path)!r})"

    def test_refuses_pickling(self, tmp_path: Path) -> None:
        """A sink, which may hold a chain key, cannot be pickled."""
        with JsonlAuditSink(tmp_path / "audit.jsonl", chain_key=KEY) as sink, pytest.raises(TypeError):
            pickle.dumps(sink)

    def test_rejects_a_short_chain_key(self, tmp_path: Path) -> None:
        """A chain key shorter than 16 bytes is refused."""
        with pytest.raises(ValueError, match="16"):
            JsonlAuditSink(tmp_path / "audit.jsonl", chain_key=b"short")

    def test_emit_after_close_raises(self, tmp_path: Path) -> None:
        """A closed sink refuses events instead of dropping them."""
        sink = JsonlAuditSink(tmp_path / "audit.jsonl")
        sink.close()
        sink.close()
        with pytest.raises(ValueError, match="closed"):
            sink.emit(_event(1))

    def test_refuses_an_event_over_the_line_limit_and_stays_usable(self, tmp_path: Path) -> None:
        """An event encoding to more than MAX_LINE_BYTES is refused before anything is written."""
        path = tmp_path / "audit.jsonl"
        with JsonlAuditSink(path) as sink:
            with pytest.raises(ValueError, match="capped"):
                sink.emit(_event(1, tenant="x" * MAX_LINE_BYTES))
            sink.emit(_event(2))
        assert verify_audit_file(path).lines == 1

    def test_concurrent_emits_form_one_chain(self, tmp_path: Path) -> None:
        """Events emitted from many threads form one chain that verifies."""
        path = tmp_path / "audit.jsonl"
        with JsonlAuditSink(path) as sink:
            _emit_from_threads(sink.emit, threads=4, each=25)
        assert verify_audit_file(path).lines == 100


class TestJsonlAuditSinkResume:
    def test_reopening_continues_the_chain(self, tmp_path: Path) -> None:
        """A reopened sink appends after the last line and the whole file verifies."""
        path = tmp_path / "audit.jsonl"
        _write_chain(path, 3, chain_key=KEY)
        _write_chain(path, 2, chain_key=KEY)
        assert verify_audit_file(path, chain_key=KEY).lines == 5
        assert [json.loads(line)["seq"] for line in _lines(path)] == [1, 2, 3, 4, 5]

    def test_reopening_with_a_wrong_key_is_refused(self, tmp_path: Path) -> None:
        """A sink does not extend a chain written under another key."""
        path = tmp_path / "audit.jsonl"
        _write_chain(path, 2, chain_key=KEY)
        with pytest.raises(AuditIntegrityError) as info:
            JsonlAuditSink(path, chain_key=b"w" * 32)
        assert info.value.line == 2

    def test_reopening_a_truncated_file_is_refused(self, tmp_path: Path) -> None:
        """A sink does not extend a file whose tail was cut off, which would hide the cut."""
        path = tmp_path / "audit.jsonl"
        _write_chain(path, 3)
        _rewrite(path, _lines(path)[:2])
        with pytest.raises(AuditIntegrityError) as info:
            JsonlAuditSink(path)
        assert info.value.line == 3

    def test_reopening_without_a_head_file_is_refused(self, tmp_path: Path) -> None:
        """A sink does not extend a non-empty file whose head file is missing."""
        path = tmp_path / "audit.jsonl"
        _write_chain(path, 2)
        _head(path).unlink()
        with pytest.raises(AuditIntegrityError, match="require_head=False"):
            JsonlAuditSink(path)

    def test_reopening_after_an_interrupted_write_is_refused(self, tmp_path: Path) -> None:
        """A half-written last line stops the sink from appending after it."""
        path = tmp_path / "audit.jsonl"
        _write_chain(path, 2)
        with path.open("a", encoding="utf-8") as file:
            file.write('{"seq":3,"prev"')
        with pytest.raises(AuditIntegrityError) as info:
            JsonlAuditSink(path)
        assert info.value.line == 3

    def test_reopening_repairs_a_head_one_line_behind(self, tmp_path: Path) -> None:
        """A crash between writing a line and updating the head is repaired by reopening the sink."""
        path = tmp_path / "audit.jsonl"
        _write_chain(path, 2)
        lagging_head = _head(path).read_text()
        _write_chain(path, 1)
        _head(path).write_text(lagging_head)
        assert _first_bad_line(path) == 3
        JsonlAuditSink(path).close()
        assert verify_audit_file(path).lines == 3


class TestVerifyAuditFile:
    @FILE_EXAMPLES
    @given(count=st.integers(min_value=0, max_value=12))
    def test_an_intact_chain_verifies(self, tmp_path_factory: pytest.TempPathFactory, count: int) -> None:
        """A chain of any length written by the sink verifies, reporting its length and last hash."""
        path = _fresh_path(tmp_path_factory)
        _write_chain(path, count)
        last_hash = json.loads(_lines(path)[-1])["hash"] if count else GENESIS_HASH
        assert verify_audit_file(path) == VerificationReport(path=str(path), lines=count, last_hash=last_hash)

    @FILE_EXAMPLES
    @given(count=st.integers(min_value=1, max_value=6), data=st.data())
    def test_editing_one_character_is_detected_at_that_line(
        self, tmp_path_factory: pytest.TempPathFactory, count: int, data: st.DataObject
    ) -> None:
        """Changing any one character of any line is reported at that line."""
        path = _fresh_path(tmp_path_factory)
        _write_chain(path, count)
        lines = _lines(path)
        index = data.draw(st.integers(0, count - 1), label="line")
        position = data.draw(st.integers(0, len(lines[index]) - 2), label="position")  # not the newline
        # codec="utf-8": a lone surrogate cannot be written to the file at all, so it is no edit an attacker can make
        new = data.draw(st.characters(codec="utf-8", exclude_characters=lines[index][position]), label="replacement")
        lines[index] = lines[index][:position] + new + lines[index][position + 1 :]
        _rewrite(path, lines)
        assert _first_bad_line(path) == index + 1

    @FILE_EXAMPLES
    @given(count=st.integers(min_value=1, max_value=6), data=st.data())
    def test_deleting_any_line_is_detected_at_that_line(
        self, tmp_path_factory: pytest.TempPathFactory, count: int, data: st.DataObject
    ) -> None:
        """Deleting any line, the last one included, is reported at the deleted line's number."""
        path = _fresh_path(tmp_path_factory)
        _write_chain(path, count)
        lines = _lines(path)
        index = data.draw(st.integers(0, count - 1), label="line")
        del lines[index]
        _rewrite(path, lines)
        assert _first_bad_line(path) == index + 1

    @FILE_EXAMPLES
    @given(count=st.integers(min_value=2, max_value=6), data=st.data())
    def test_swapping_two_lines_is_detected_at_the_first(
        self, tmp_path_factory: pytest.TempPathFactory, count: int, data: st.DataObject
    ) -> None:
        """Swapping any two lines is reported at the earlier of them."""
        path = _fresh_path(tmp_path_factory)
        _write_chain(path, count)
        lines = _lines(path)
        first, second = sorted(data.draw(st.sets(st.integers(0, count - 1), min_size=2, max_size=2)))
        lines[first], lines[second] = lines[second], lines[first]
        _rewrite(path, lines)
        assert _first_bad_line(path) == first + 1

    @pytest.mark.parametrize(
        "reencode",
        [
            lambda record: json.dumps(record) + "\n",
            lambda record: json.dumps(record, separators=(",", ":")) + "\n",
            lambda record: " " + json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n",
        ],
        ids=["spaces", "escaped-non-ascii", "leading-space"],
    )
    def test_an_equivalent_json_rewrite_is_detected(
        self, tmp_path: Path, reencode: Callable[[dict[str, object]], str]
    ) -> None:
        """Rewriting a line as different bytes that parse to the same data is still reported at that line."""
        path = tmp_path / "audit.jsonl"
        with JsonlAuditSink(path) as sink:
            for n in range(3):
                sink.emit(_event(n, tenant="Zürich"))
        lines = _lines(path)
        lines[1] = reencode(json.loads(lines[1]))
        _rewrite(path, lines)
        assert _first_bad_line(path) == 2

    def test_an_over_long_line_is_rejected_before_parsing(self, tmp_path: Path) -> None:
        """A line longer than the format allows is reported without being parsed."""
        path = tmp_path / "audit.jsonl"
        _write_chain(path, 1)
        _rewrite(path, [*_lines(path), "x" * (MAX_LINE_BYTES + 10) + "\n"])
        with pytest.raises(AuditIntegrityError, match="longer than") as info:
            verify_audit_file(path)
        assert info.value.line == 2

    def test_a_keyed_chain_needs_its_key(self, tmp_path: Path) -> None:
        """A chain written with a key verifies with it, and fails at line 1 without it or with another key."""
        path = tmp_path / "audit.jsonl"
        _write_chain(path, 3, chain_key=KEY)
        assert verify_audit_file(path, chain_key=KEY).lines == 3
        assert _first_bad_line(path) == 1
        assert _first_bad_line(path, chain_key=b"w" * 32) == 1

    def test_a_rehashed_unkeyed_edit_still_fails_a_keyed_check(self, tmp_path: Path) -> None:
        """Editing an event and recomputing plain hashes does not pass verification under the key."""
        path = tmp_path / "audit.jsonl"
        _write_chain(path, 1, chain_key=KEY)
        record = json.loads(_lines(path)[0])
        record["event"]["record_count"] = 0
        forged = tmp_path / "forged.jsonl"
        with JsonlAuditSink(forged) as sink:
            sink.emit(event_from_json(record["event"]))
        forged.replace(path)
        _head(forged).replace(_head(path))
        assert _first_bad_line(path, chain_key=KEY) == 1

    def test_a_missing_head_fails_unless_accepted(self, tmp_path: Path) -> None:
        """Without the head file truncation cannot be ruled out, so verification fails unless told to."""
        path = tmp_path / "audit.jsonl"
        _write_chain(path, 2)
        _head(path).unlink()
        with pytest.raises(AuditIntegrityError, match="require_head=False"):
            verify_audit_file(path)
        assert verify_audit_file(path, require_head=False).lines == 2

    def test_an_empty_sink_file_verifies(self, tmp_path: Path) -> None:
        """A sink closed before any event leaves an empty file that verifies with 0 lines."""
        path = tmp_path / "audit.jsonl"
        _write_chain(path, 0)
        assert verify_audit_file(path) == VerificationReport(path=str(path), lines=0, last_hash=GENESIS_HASH)

    def test_an_empty_file_without_head_needs_require_head_false(self, tmp_path: Path) -> None:
        """An empty file with no head verifies only when a missing head is accepted."""
        path = tmp_path / "audit.jsonl"
        path.touch()
        assert _first_bad_line(path) == 1
        assert verify_audit_file(path, require_head=False).lines == 0

    def test_emptying_a_file_is_detected(self, tmp_path: Path) -> None:
        """Removing every line is reported as a cut-off tail at line 1."""
        path = tmp_path / "audit.jsonl"
        _write_chain(path, 3)
        _rewrite(path, [])
        assert _first_bad_line(path) == 1

    def test_an_appended_line_not_in_the_head_is_detected(self, tmp_path: Path) -> None:
        """A line appended after the head's last line is reported."""
        path = tmp_path / "audit.jsonl"
        _write_chain(path, 2)
        lines = _lines(path)
        _rewrite(path, [*lines, lines[-1]])
        assert _first_bad_line(path) == 3

    def test_an_unreadable_head_is_reported(self, tmp_path: Path) -> None:
        """A head file that is not {seq, hash} JSON fails verification."""
        path = tmp_path / "audit.jsonl"
        _write_chain(path, 2)
        _head(path).write_text('{"seq": "two"}')
        with pytest.raises(AuditIntegrityError, match="head"):
            verify_audit_file(path)

    def test_rejects_a_short_chain_key(self, tmp_path: Path) -> None:
        """Verification refuses a chain key shorter than 16 bytes."""
        path = tmp_path / "audit.jsonl"
        _write_chain(path, 1)
        with pytest.raises(ValueError, match="16"):
            verify_audit_file(path, chain_key=b"short")

    def test_a_missing_file_raises_oserror(self, tmp_path: Path) -> None:
        """Verifying a file that does not exist raises FileNotFoundError."""
        with pytest.raises(FileNotFoundError):
            verify_audit_file(tmp_path / "absent.jsonl")


class TestKeyedHead:
    def test_with_a_chain_key_a_cut_tail_with_a_rewritten_head_is_detected(self, tmp_path: Path) -> None:
        """Deleting the last lines and writing a matching head by hand fails verification under a chain key."""
        key = b"k" * 32
        path = tmp_path / "audit.jsonl"
        _write_chain(path, 5, chain_key=key)
        lines = path.read_text().splitlines()
        path.write_text("\n".join(lines[:3]) + "\n")
        third = json.loads(lines[2])
        (tmp_path / "audit.jsonl.head").write_text(json.dumps({"seq": 3, "hash": third["hash"]}))
        with pytest.raises(AuditIntegrityError, match="chain key"):
            verify_audit_file(path, chain_key=key)
