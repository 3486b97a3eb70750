import itertools
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sfshield.audit import AuditEvent, AuditPipeline, InMemoryAuditSink, JsonlAuditSink, PolicyLoaded
from sfshield.audit.pipeline import add_static, stamp_time
from sfshield.exceptions import AuditProcessorError, AuditSinkError

FAKE_TOKEN = "00D5g000004XyZa!AQcAQH0dMHZfz972Szmpkb58urFRkgeBGsxL_QJWwYMfAbUeeG7c1E6LYUf"
T0 = datetime(2024, 5, 1, tzinfo=UTC)


def _event(_n: int = 0) -> PolicyLoaded:
    return PolicyLoaded(tenant="acme", source="policy.toml", label_count=3, rule_count=2)


def _drop(_event: AuditEvent, /) -> AuditEvent:
    return None  # type: ignore[return-value]  # the misbehaviour under test


def _to_dict(event: AuditEvent, /) -> AuditEvent:
    return event.to_json_dict()  # type: ignore[return-value]  # the misbehaviour under test


def _explode(_event: AuditEvent, /) -> AuditEvent:
    raise RuntimeError(f"processor saw {FAKE_TOKEN}")


class _FailingSink:
    def emit(self, _event: AuditEvent, /) -> None:
        raise OSError(f"disk full while writing {FAKE_TOKEN}")


def _failing_function_sink(_event: AuditEvent, /) -> None:
    raise ConnectionError(FAKE_TOKEN)


def _emit_from_threads(emit: Callable[[AuditEvent], object], *, threads: int, each: int) -> None:
    def work() -> None:
        for n in range(each):
            emit(_event(n))

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


class TestAuditPipelineConstruction:
    def test_requires_a_sink(self) -> None:
        """A pipeline without sinks is a misconfiguration and is refused."""
        with pytest.raises(ValueError, match="at least one sink"):
            AuditPipeline()

    def test_rejects_a_non_callable_processor(self) -> None:
        """A processor that cannot be called is refused up front."""
        with pytest.raises(TypeError, match="processor"):
            AuditPipeline(processors=["not callable"], sinks=[InMemoryAuditSink()])  # type: ignore[list-item]

    def test_rejects_a_sink_without_emit(self) -> None:
        """A sink that has no emit method and is not callable is refused up front."""
        with pytest.raises(TypeError, match="sink"):
            AuditPipeline(sinks=[42])  # type: ignore[list-item]

    def test_repr_lists_processor_and_sink_names(self) -> None:
        """The repr names processors and sinks, without their contents."""
        pipeline = AuditPipeline(processors=[add_static(host="h1")], sinks=[InMemoryAuditSink(), print])
        assert repr(pipeline) == "AuditPipeline(processors=[static_fields], sinks=[InMemoryAuditSink, print])"


class TestAuditPipelineEmit:
    def test_processors_run_in_order_and_sinks_see_the_result(self) -> None:
        """Each processor gets the previous one's output, and every sink gets the last one."""
        first, second = InMemoryAuditSink(), InMemoryAuditSink()
        pipeline = AuditPipeline(
            processors=[add_static(step="one", first="yes"), add_static(step="two")], sinks=[first, second]
        )
        result = pipeline.emit(_event())
        assert result.extra == {"step": "two", "first": "yes"}
        assert first.events == [result]
        assert second.events == [result]

    def test_a_plain_callable_is_a_sink(self) -> None:
        """A function taking the event works as a sink."""
        seen: list[AuditEvent] = []
        AuditPipeline(sinks=[seen.append]).emit(_event())
        assert len(seen) == 1

    def test_rejects_a_non_event(self) -> None:
        """Emitting something that is not an AuditEvent is a programming error."""
        pipeline = AuditPipeline(sinks=[InMemoryAuditSink()])
        with pytest.raises(TypeError, match="AuditEvent"):
            pipeline.emit({"kind": "policy_loaded"})  # type: ignore[arg-type]

    @pytest.mark.parametrize("processor", [_drop, _to_dict], ids=["returns-none", "returns-dict"])
    def test_a_processor_cannot_drop_an_event(self, processor: object) -> None:
        """A processor returning anything but an event stops the emit, names itself, and reaches no sink."""
        sink = InMemoryAuditSink()
        pipeline = AuditPipeline(processors=[processor], sinks=[sink])  # type: ignore[list-item]
        with pytest.raises(AuditProcessorError, match=processor.__name__):  # type: ignore[attr-defined]
            pipeline.emit(_event())
        assert sink.events == []

    @given(st.lists(st.booleans(), max_size=6))
    def test_an_event_reaches_the_sinks_only_if_no_processor_drops_it(self, keeps: list[bool]) -> None:
        """For any mix of keeping and dropping processors, sinks get the event exactly when all keep it."""
        sink = InMemoryAuditSink()
        pipeline = AuditPipeline(processors=[add_static() if keep else _drop for keep in keeps], sinks=[sink])
        try:
            pipeline.emit(_event())
        except AuditProcessorError:
            assert not all(keeps)
        else:
            assert all(keeps)
        assert len(sink.events) == all(keeps)

    def test_a_raising_processor_becomes_a_processor_error_without_its_text(self) -> None:
        """An exception in a processor is reported by class; neither its text nor the exception itself is kept."""
        pipeline = AuditPipeline(processors=[_explode], sinks=[InMemoryAuditSink()])
        with pytest.raises(AuditProcessorError) as info:
            pipeline.emit(_event())
        assert "_explode" in str(info.value)
        assert "RuntimeError" in str(info.value)
        assert FAKE_TOKEN not in str(info.value)
        assert info.value.__cause__ is None
        assert info.value.__suppress_context__  # a traceback must not print the original, which may quote data

    @pytest.mark.parametrize(
        ("sink", "name", "cause"),
        [
            (_FailingSink(), "_FailingSink", OSError),
            (_failing_function_sink, "_failing_function_sink", ConnectionError),
        ],
        ids=["object", "function"],
    )
    def test_a_failing_sink_raises_sink_error_without_the_exception_text(
        self, sink: object, name: str, cause: type[Exception]
    ) -> None:  # the exception class is named in the message, the exception is not chained
        """A sink failure becomes AuditSinkError naming the sink and exception class, never its message."""
        pipeline = AuditPipeline(sinks=[sink])  # type: ignore[list-item]
        with pytest.raises(AuditSinkError) as info:
            pipeline.emit(_event())
        assert info.value.sink == name
        assert cause.__name__ in str(info.value)
        assert FAKE_TOKEN not in str(info.value)
        assert info.value.__cause__ is None
        assert info.value.__suppress_context__

    def test_sinks_after_a_failing_sink_are_not_called(self) -> None:
        """The first failing sink stops the emit, so later sinks never see the event."""
        later = InMemoryAuditSink()
        with pytest.raises(AuditSinkError):
            AuditPipeline(sinks=[_FailingSink(), later]).emit(_event())
        assert later.events == []

    def test_concurrent_emits_reach_a_chained_file_in_one_total_order(self, tmp_path: Path) -> None:
        """Events from many threads are stamped and written in the same order, so file order is time order."""
        ticks = itertools.count()
        path = tmp_path / "audit.jsonl"
        with JsonlAuditSink(path) as file_sink:
            pipeline = AuditPipeline(
                processors=[stamp_time(lambda: T0 + timedelta(microseconds=next(ticks)))], sinks=[file_sink]
            )
            _emit_from_threads(pipeline.emit, threads=4, each=25)
        lines = path.read_text().splitlines()
        stamps = [datetime.fromisoformat(json.loads(line)["event"]["timestamp"]) for line in lines]
        assert len(stamps) == 100
        assert stamps == sorted(stamps)


class TestAttached:
    def test_adds_a_sink_for_the_block_only(self) -> None:
        """An attached sink receives events inside the block and none after it."""
        pipeline = AuditPipeline(sinks=[InMemoryAuditSink()])
        extra = InMemoryAuditSink()
        with pipeline.attached(extra):
            pipeline.emit(_event())
        pipeline.emit(_event())
        assert len(extra.events) == 1

    def test_removes_the_sink_when_the_block_raises(self) -> None:
        """An exception in the block still detaches the sink."""
        pipeline = AuditPipeline(sinks=[InMemoryAuditSink()])
        extra = InMemoryAuditSink()
        with pytest.raises(KeyError), pipeline.attached(extra):
            raise KeyError("boom")
        pipeline.emit(_event())
        assert extra.events == []

    def test_rejects_a_sink_without_emit(self) -> None:
        """Attaching something that is neither a sink nor callable is refused."""
        pipeline = AuditPipeline(sinks=[InMemoryAuditSink()])
        with pytest.raises(TypeError), pipeline.attached(object()):  # type: ignore[arg-type]
            pass


class TestAddStatic:
    def test_merges_fields_into_extra_over_the_producers(self) -> None:
        """Static fields are added to extra and win over keys the producer set."""
        event = PolicyLoaded(
            tenant="acme", source="p.toml", label_count=1, rule_count=1, extra={"host": "spoofed", "job": "7"}
        )
        assert add_static(host="h1")(event).extra == {"host": "h1", "job": "7"}

    def test_leaves_the_input_event_unchanged(self) -> None:
        """The processor returns a copy; the original event keeps its extra."""
        event = _event()
        add_static(host="h1")(event)
        assert event.extra == {}

    def test_rejects_non_string_values(self) -> None:
        """Only strings may go into extra."""
        with pytest.raises(TypeError, match="port"):
            add_static(port=8080)  # type: ignore[arg-type]


class TestStampTime:
    def test_sets_the_timestamp_from_the_clock(self) -> None:
        """The event's timestamp is whatever the injected clock returns."""
        assert stamp_time(lambda: T0)(_event()).timestamp == T0

    def test_a_naive_clock_stops_the_emit(self) -> None:
        """A clock returning a naive datetime is reported as a processor error."""
        naive = datetime(2024, 5, 1)  # noqa: DTZ001 -- the naive datetime is the bad input under test
        pipeline = AuditPipeline(processors=[stamp_time(lambda: naive)], sinks=[InMemoryAuditSink()])
        with pytest.raises(AuditProcessorError, match="clock_time"):
            pipeline.emit(_event())

    def test_rejects_a_non_callable_clock(self) -> None:
        """The clock must be callable."""
        with pytest.raises(TypeError, match="clock"):
            stamp_time(T0)  # type: ignore[arg-type]
