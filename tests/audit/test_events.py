"""The event catalogue: every kind is exported from sfshield.audit, parses back from JSON, and is documented."""

from __future__ import annotations

import inspect
from pathlib import Path

import sfshield.audit
from sfshield.audit import AuditEvent, events

EVENTS = sorted(
    (
        cls
        for _, cls in inspect.getmembers(events, inspect.isclass)
        if issubclass(cls, AuditEvent) and cls is not AuditEvent
    ),
    key=lambda cls: cls.kind,
)
"""Every concrete event class sfshield defines."""

AUDIT_PAGE = Path(__file__).parents[2] / "docs" / "concepts" / "audit.md"


class TestCatalogue:
    def test_every_event_class_is_exported_from_the_package(self) -> None:
        """Each event class is in sfshield.audit.__all__, and the package's name is the class itself."""
        assert [cls.__name__ for cls in EVENTS if cls.__name__ not in sfshield.audit.__all__] == []
        assert all(getattr(sfshield.audit, cls.__name__) is cls for cls in EVENTS)

    def test_the_package_re_exports_every_name_of_the_events_module(self) -> None:
        """Whatever sfshield.audit.events exports, sfshield.audit exports too (enums and parts of events included)."""
        assert sorted(set(events.__all__) - set(sfshield.audit.__all__)) == []

    def test_event_from_json_knows_every_kind(self) -> None:
        """Each event class has a kind of its own, and event_from_json maps that kind back to the class."""
        assert {cls.kind: cls for cls in EVENTS} == events._KINDS
        assert len(EVENTS) == len(events._KINDS)  # no two classes share a kind

    def test_the_concepts_page_describes_every_kind(self) -> None:
        """docs/concepts/audit.md has an entry for each kind, naming its class, so the list cannot go stale."""
        page = AUDIT_PAGE.read_text(encoding="utf-8")
        entry = "`{kind}` ({{py:class}}`~sfshield.audit.{name}`)"
        assert [cls.kind for cls in EVENTS if entry.format(kind=cls.kind, name=cls.__name__) not in page] == []
