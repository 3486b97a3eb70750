"""Paged reads that leave nothing behind: ``nextRecordsUrl`` followed at the top and inside child subqueries.

simple-salesforce's ``query_all_iter`` follows the top-level ``nextRecordsUrl`` only. A child subquery result
longer than Salesforce's child batch (``(SELECT … FROM Cases)`` on an Account with many Cases) arrives with
``done: false`` and its own ``nextRecordsUrl``; reading just the first page would silently drop the rest of the
children. :func:`iter_query` completes every child list before it yields the parent, one page at a time, so
memory grows with one page (and its children), never with the whole result.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final, Protocol

from sfshield.exceptions import SalesforceError

__all__ = ["MAX_CHILD_PAGES", "QueryClient", "iter_query"]

MAX_CHILD_PAGES: Final = 10_000
"""A bound on the pages of one child list, so that a server that never says ``done`` cannot loop forever."""


class QueryClient(Protocol):
    """The part of ``simple_salesforce.Salesforce`` that paging uses."""

    def query(self, query: str, include_deleted: bool = False, **kwargs: Any) -> Any:  # noqa: FBT001, FBT002
        """Run a SOQL query; return its first page."""
        ...

    def query_more(
        self,
        next_records_identifier: str,
        identifier_is_url: bool = False,  # noqa: FBT001, FBT002 - simple-salesforce's signature
        include_deleted: bool = False,  # noqa: FBT001, FBT002
        **kwargs: Any,
    ) -> Any:
        """Fetch the page at a ``nextRecordsUrl``."""
        ...


def iter_query(sf: QueryClient, soql: str, /, *, include_deleted: bool = False) -> Iterator[dict[str, Any]]:
    """Yield every record of ``soql``, page by page, with every child subquery list complete (``done: true``).

    Raises:
        SalesforceError: a page is not shaped like a query result, or a child list never ends (more than
            :data:`MAX_CHILD_PAGES` pages); the records of that page are not yielded.
    """
    page = sf.query(soql, include_deleted=include_deleted)
    while True:
        records = _records_of(page)
        for record in records:
            _complete_children(sf, record, include_deleted=include_deleted)
        yield from records
        next_url = page.get("nextRecordsUrl")
        if page.get("done", True) or not next_url:
            return
        page = sf.query_more(next_url, identifier_is_url=True, include_deleted=include_deleted)


def _records_of(page: Any) -> list[dict[str, Any]]:
    records = page.get("records") if isinstance(page, dict) else None
    if not isinstance(records, list):
        raise SalesforceError("a query page has no records list; nothing of it was used", error_code="MALFORMED_PAGE")
    return records


def _complete_children(sf: QueryClient, record: dict[str, Any], *, include_deleted: bool) -> None:
    for key, value in record.items():
        if value.__class__ is not dict and not isinstance(value, dict):  # text and nulls, most fields: one test
            continue
        if key == "attributes":
            continue
        children = value.get("records")
        if not isinstance(children, list):
            _complete_children(
                sf, value, include_deleted=include_deleted
            )  # a parent lookup may carry its own subqueries
            continue
        for child in children:
            if isinstance(child, dict):
                _complete_children(sf, child, include_deleted=include_deleted)
        pages = 0
        while not value.get("done", True) and value.get("nextRecordsUrl"):
            pages += 1
            if pages > MAX_CHILD_PAGES:
                raise SalesforceError(
                    f"the {key} list of a record never ends; refusing to read on", error_code="ENDLESS_CHILD_LIST"
                )
            more = sf.query_more(value["nextRecordsUrl"], identifier_is_url=True, include_deleted=include_deleted)
            extra = _records_of(more)
            for child in extra:
                if isinstance(child, dict):
                    _complete_children(sf, child, include_deleted=include_deleted)
            children.extend(extra)
            value["done"] = bool(more.get("done", True))
            value["nextRecordsUrl"] = more.get("nextRecordsUrl")
        if value.get("done", True):
            value.pop("nextRecordsUrl", None)
