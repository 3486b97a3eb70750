"""The audit pipeline: every event passes the processors in order, then every sink, or the operation stops.

This module owns one idea: auditing *fails closed*. A processor may enrich or scrub an event but never drop
it, and a sink that cannot record an event raises, so the guarded operation stops instead of passing
unrecorded. Foreign exceptions from processors and sinks are translated here, at one boundary, into
:class:`~sfshield.exceptions.AuditProcessorError` and :class:`~sfshield.exceptions.AuditSinkError`. Their
messages name the failing hook and the exception *class*, never the exception text, which may hold data.

Two tiny processors, :func:`add_static` and :func:`stamp_time`, show the processor protocol and give tests a
seam for time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeAlias

from sfshield.audit.events import AuditEvent
from sfshield.exceptions import AuditProcessorError, AuditSinkError
from sfshield.protocols import AuditProcessor, AuditSink

if TYPE_CHECKING:
    from datetime import datetime

__all__ = ["AuditPipeline", "SinkLike", "add_static", "stamp_time"]

SinkLike: TypeAlias = AuditSink | Callable[[AuditEvent], None]
"""A sink object with ``emit(event)``, or a plain callable taking the event."""


class AuditPipeline:
    """Passes each audit event through processors, in order, then to every sink.

    ``emit`` holds a lock from the first processor to the last sink, so concurrent producers are serialised
    and hash-chained sinks see one total order.

    Args:
        processors: callables that take an event and return an event (see
            :class:`~sfshield.protocols.AuditProcessor`).
        sinks: where events are recorded: :class:`~sfshield.protocols.AuditSink` objects or plain callables.

    Raises:
        ValueError: no sink was given; a pipeline that records nowhere is a misconfiguration.
        TypeError: a processor or sink is not callable.
    """

    def __init__(self, processors: Sequence[AuditProcessor] = (), sinks: Sequence[SinkLike] = ()) -> None:
        if not sinks:
            raise ValueError("an AuditPipeline needs at least one sink: events recorded nowhere are lost")
        for processor in processors:
            _require_callable(processor, "processor")
        for sink in sinks:
            _require_sink(sink)
        self._processors = tuple(processors)
        self._sinks: tuple[SinkLike, ...] = tuple(sinks)
        self._lock = threading.RLock()  # re-entrant so a sink that itself audits cannot deadlock its thread

    def emit(self, event: AuditEvent, /) -> AuditEvent:
        """Process ``event`` and record it in every sink; return the event the sinks saw.

        Sinks are called in order; the first one that fails stops the others.

        Raises:
            TypeError: ``event`` is not an :class:`~sfshield.audit.events.AuditEvent`.
            AuditProcessorError: a processor raised or returned something that is not an event.
            AuditSinkError: a sink raised; the guarded operation must stop.
        """
        if not isinstance(event, AuditEvent):
            raise TypeError(f"emit() takes an AuditEvent, not {type(event).__name__}")
        with self._lock:
            for processor in self._processors:
                event = _run_processor(processor, event)
            for sink in self._sinks:
                _run_sink(sink, event)
        return event

    @contextmanager
    def attached(self, sink: SinkLike, /) -> Iterator[SinkLike]:
        """Add ``sink`` for the duration of a ``with`` block, then remove it (used by ``capture_audit``).

        Raises:
            TypeError: ``sink`` has no ``emit`` method and is not callable.
        """
        _require_sink(sink)
        with self._lock:
            self._sinks = (*self._sinks, sink)
        try:
            yield sink
        finally:
            with self._lock:
                self._sinks = _without(self._sinks, sink)

    def __repr__(self) -> str:
        processors = ", ".join(_name_of(p) for p in self._processors)
        sinks = ", ".join(_name_of(s) for s in self._sinks)
        return f"AuditPipeline(processors=[{processors}], sinks=[{sinks}])"


def add_static(**fields: str) -> AuditProcessor:
    """Return a processor that merges ``fields`` into each event's ``extra`` (host name, deployment, job id).

    The given fields win over keys the producer already set, so a producer cannot spoof them.

    Raises:
        TypeError: a value is not a string.
    """
    for key, value in fields.items():
        if not isinstance(value, str):
            raise TypeError(f"add_static() values must be strings; {key!r} is {type(value).__name__}")
    static = dict(fields)

    def static_fields(event: AuditEvent, /) -> AuditEvent:
        return event.model_copy(update={"extra": {**event.extra, **static}})

    return static_fields


def stamp_time(clock: Callable[[], datetime]) -> AuditProcessor:
    """Return a processor that sets each event's ``timestamp`` from ``clock``: the time seam for tests.

    The processor raises :class:`ValueError` (reported as ``AuditProcessorError``) if the clock returns a
    naive datetime, because an audit trail without time zones cannot be ordered across hosts.
    """
    _require_callable(clock, "clock")

    def clock_time(event: AuditEvent, /) -> AuditEvent:
        now = clock()
        if now.tzinfo is None:
            raise ValueError("the audit clock returned a naive datetime; return an aware one (UTC)")
        return event.model_copy(update={"timestamp": now})

    return clock_time


def _run_processor(processor: AuditProcessor, event: AuditEvent) -> AuditEvent:
    name = _name_of(processor)
    try:
        result = processor(event)
    except Exception as exc:  # noqa: BLE001 - any failure of a processor must stop the emit
        raise AuditProcessorError(
            f"audit processor {name} raised {type(exc).__name__}; the operation was stopped. Fix it"
        ) from None  # the cause's text may quote event data: never chain it
    if not isinstance(result, AuditEvent):
        raise AuditProcessorError(
            f"audit processor {name} returned {type(result).__name__} instead of an AuditEvent; "
            "processors may change events but never drop them"
        )
    return result


def _run_sink(sink: SinkLike, event: AuditEvent) -> None:
    try:
        # An attribute lookup, not isinstance() against the runtime-checkable Protocol: that costs ~7 µs a call.
        emit = getattr(sink, "emit", None)
        (emit if callable(emit) else sink)(event)  # type: ignore[operator]
    except Exception as exc:  # noqa: BLE001 - any failure of a sink must stop the guarded operation
        # Only the class name: str(exc) may quote the data that was being written.
        raise AuditSinkError(_name_of(sink), type(exc).__name__) from None  # the cause may quote data


def _require_callable(hook: object, role: str) -> None:
    if not callable(hook):
        raise TypeError(f"audit {role} must be callable, not {type(hook).__name__}")


def _require_sink(sink: object) -> None:
    if not (isinstance(sink, AuditSink) or callable(sink)):
        raise TypeError(f"an audit sink needs emit(event) or must be callable, not {type(sink).__name__}")


def _without(sinks: tuple[SinkLike, ...], sink: SinkLike) -> tuple[SinkLike, ...]:
    """Drop the last occurrence of ``sink`` (by identity), so nested attachments unwind in order."""
    for index in range(len(sinks) - 1, -1, -1):
        if sinks[index] is sink:
            return sinks[:index] + sinks[index + 1 :]
    return sinks


def _name_of(hook: object) -> str:
    """Name a hook for messages: a function by its name, anything else by its class."""
    name = getattr(hook, "__name__", None)
    return name if isinstance(name, str) else type(hook).__name__
