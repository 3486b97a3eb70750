"""iter_query: every page, and every page of every child subquery, against the embedded org."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from simple_salesforce.api import Salesforce

from sfshield.exceptions import SalesforceError
from sfshield.salesforce.paging import iter_query
from sfshield.testing import EmbeddedOrg


@pytest.fixture(scope="module")
def org() -> Iterator[EmbeddedOrg]:
    with EmbeddedOrg(orgs=1, size=40) as running:
        running.org(0).child_batch = 3  # tiny child pages, so most Accounts' Contacts span several pages
        yield running


def _client(org: EmbeddedOrg) -> Salesforce:
    handle = org.handles[0]
    return Salesforce(
        instance_url=org.instance_url, session_id=handle.access_token, session=org.session(), version="66.0"
    )


def test_child_lists_longer_than_a_child_page_are_completed(org: EmbeddedOrg) -> None:
    sf = _client(org)
    expected = Counter(row["AccountId"] for row in sf.query_all("SELECT Id, AccountId FROM Contact")["records"])
    accounts = list(iter_query(sf, "SELECT Id, Name, (SELECT Id, Email FROM Contacts) FROM Account"))
    long_lists = 0
    for account in accounts:
        contacts: dict[str, Any] | None = account["Contacts"]
        got = len(contacts["records"]) if contacts else 0
        assert got == expected.get(account["Id"], 0)
        if contacts:
            assert contacts["done"] is True
            assert "nextRecordsUrl" not in contacts
            assert contacts["totalSize"] == got
            long_lists += got > 3
    assert long_lists > 0  # the test really crossed child pages
    # simple-salesforce alone stops at the first child page: the gap this module closes
    plain = sf.query_all("SELECT Id, (SELECT Id FROM Contacts) FROM Account")["records"]
    assert any(r["Contacts"] and not r["Contacts"]["done"] for r in plain)


def test_top_level_pages_are_followed_once_each(org: EmbeddedOrg) -> None:
    sf = _client(org)
    ids = [r["Id"] for r in iter_query(sf, "SELECT Id FROM Contact")]
    assert len(ids) == len(set(ids)) == sf.query("SELECT COUNT() FROM Contact")["totalSize"]


class _Broken:
    def query(self, query: str, include_deleted: bool = False, **kwargs: Any) -> Any:
        return {
            "done": False,
            "nextRecordsUrl": "/x",
            "records": [{"Kids": {"done": False, "nextRecordsUrl": "/y", "records": []}}],
        }

    def query_more(
        self, url: str, identifier_is_url: bool = False, include_deleted: bool = False, **kwargs: Any
    ) -> Any:
        return {"done": False, "nextRecordsUrl": url, "records": []}


def test_a_child_list_that_never_ends_is_refused() -> None:
    with pytest.raises(SalesforceError, match="never ends"):
        list(iter_query(_Broken(), "SELECT Id FROM X"))


def test_a_page_without_records_is_refused() -> None:
    class Odd(_Broken):
        def query(self, query: str, include_deleted: bool = False, **kwargs: Any) -> Any:
            return {"done": True}

    with pytest.raises(SalesforceError, match="no records list"):
        list(iter_query(Odd(), "SELECT Id FROM X"))
