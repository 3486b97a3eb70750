from dataclasses import dataclass

import pytest

from sfshield.audit import AuditPipeline, PolicyLoaded
from sfshield.testing import InMemoryAuditSink, capture_audit


def _event() -> PolicyLoaded:
    return PolicyLoaded(tenant="acme", source="policy.toml", label_count=3, rule_count=2)


@dataclass
class _HasAudit:
    audit: AuditPipeline


class TestCaptureAudit:
    def test_captures_events_emitted_in_the_block(self) -> None:
        """Events emitted inside the block appear in the yielded list, and later ones do not."""
        pipeline = AuditPipeline(sinks=[InMemoryAuditSink()])
        with capture_audit(pipeline) as events:
            emitted = pipeline.emit(_event())
        pipeline.emit(_event())
        assert events == [emitted]

    def test_the_real_sinks_keep_receiving_events(self) -> None:
        """Capturing adds a sink; the pipeline's own sinks still get every event."""
        real = InMemoryAuditSink()
        pipeline = AuditPipeline(sinks=[real])
        with capture_audit(pipeline):
            pipeline.emit(_event())
        assert len(real.events) == 1

    def test_accepts_an_object_with_an_audit_pipeline(self) -> None:
        """An object exposing its pipeline as `.audit`, such as a Shield, can be captured."""
        holder = _HasAudit(AuditPipeline(sinks=[InMemoryAuditSink()]))
        with capture_audit(holder) as events:
            holder.audit.emit(_event())
        assert len(events) == 1

    def test_nested_captures_both_see_events(self) -> None:
        """An inner capture does not hide events from an outer one."""
        pipeline = AuditPipeline(sinks=[InMemoryAuditSink()])
        with capture_audit(pipeline) as outer:
            with capture_audit(pipeline) as inner:
                pipeline.emit(_event())
            pipeline.emit(_event())
        assert (len(outer), len(inner)) == (2, 1)

    def test_detaches_when_the_block_raises(self) -> None:
        """An exception in the block still removes the capture."""
        pipeline = AuditPipeline(sinks=[InMemoryAuditSink()])
        with pytest.raises(RuntimeError), capture_audit(pipeline) as events:
            raise RuntimeError("boom")
        pipeline.emit(_event())
        assert events == []

    @pytest.mark.parametrize(
        "target",
        [object(), _HasAudit(audit="not a pipeline")],  # type: ignore[arg-type]
        ids=["plain", "bad-audit"],
    )
    def test_rejects_targets_without_a_pipeline(self, target: object) -> None:
        """Anything that is not a pipeline and has none as `.audit` is refused."""
        with pytest.raises(TypeError, match="AuditPipeline"), capture_audit(target):  # type: ignore[arg-type]
            pass
