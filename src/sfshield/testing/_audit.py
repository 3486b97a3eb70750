"""Capturing audit events in your tests: attach an in-memory sink to a pipeline for the length of a block."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

from sfshield.audit.pipeline import AuditPipeline
from sfshield.audit.sinks import InMemoryAuditSink

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sfshield.audit.events import AuditEvent

__all__ = ["capture_audit"]


class _HasAudit(Protocol):
    @property
    def audit(self) -> AuditPipeline: ...


@contextmanager
def capture_audit(target: AuditPipeline | _HasAudit, /) -> Iterator[list[AuditEvent]]:
    """Yield the live list of events that ``target`` emits inside the ``with`` block.

    ``target`` is an :class:`~sfshield.audit.AuditPipeline` or an object whose ``audit`` attribute is one,
    such as a ``Shield``. The pipeline's own sinks keep receiving events; the capture is removed on exit.

    Raises:
        TypeError: ``target`` is neither a pipeline nor has one as ``audit``.
    """
    sink = InMemoryAuditSink()
    with _pipeline_of(target).attached(sink):
        yield sink.events


def _pipeline_of(target: object) -> AuditPipeline:
    pipeline = target if isinstance(target, AuditPipeline) else getattr(target, "audit", None)
    if not isinstance(pipeline, AuditPipeline):
        raise TypeError(
            f"capture_audit() needs an AuditPipeline or an object with one as `.audit`, not {type(target).__name__}"
        )
    return pipeline
