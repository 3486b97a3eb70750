"""Issue 7's acceptance run: a 20,000-record ingestion with 10% of data calls failing.

Nothing may be lost, returned twice, or returned unfiltered.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from sfshield import Shield
from sfshield._demo import load_demo_policy
from sfshield.audit import AuditPipeline, InMemoryAuditSink, RecordsFiltered
from sfshield.salesforce import RequestPolicy, TenantClient
from sfshield.testing import EmbeddedOrg
from sfshield.transforms import PseudonymKey
from tests.salesforce._tenants import tenant_config, token_store

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


@pytest.fixture(scope="module")
def big_org() -> Iterator[EmbeddedOrg]:
    with EmbeddedOrg(orgs=1, size=6_600) as running:  # about 20,500 Contacts
        yield running


def test_twenty_thousand_records_with_ten_percent_faults(big_org: EmbeddedOrg) -> None:
    config = tenant_config(big_org, allowed_purposes=["embedding"])
    store = token_store(big_org, config)
    sink = InMemoryAuditSink()
    shield = Shield(
        load_demo_policy(), tenant="acme", audit=AuditPipeline(sinks=[sink]), pseudonym_key=PseudonymKey(bytes(32))
    )
    policy = RequestPolicy(backoff=0.001, max_backoff=0.002, attempts=8, sleep=lambda _: None)
    session = big_org.session()
    session.headers["Sforce-Query-Options"] = "batchSize=200"  # ~100 pages, so 10% of them is 10 failures
    client = TenantClient(config, shield=shield, token_store=store, session=session, policy=policy)
    client.connect()

    fault = big_org.inject("server_error", org=0, nth=10, times=None)  # every tenth data call fails: 10%
    try:
        records = list(client.query("SELECT Id, Email, Title FROM Contact", purpose="embedding", batch_size=2000))
    finally:
        big_org.clear_faults(0)

    ids = [r["Id"] for r in records]
    total = client.query("SELECT Id FROM Contact", purpose="embedding")
    expected = {r["Id"] for r in total}
    assert len(ids) >= 20_000
    assert len(ids) == len(set(ids)) == len(expected)  # nothing lost, nothing twice
    assert set(ids) == expected
    assert fault.fired >= 9  # the faults really happened, about one call in ten
    assert not any(EMAIL.search(str(r.get("Email", ""))) for r in records)  # never returned unfiltered
    assert sum(e.record_count for e in sink.events if isinstance(e, RecordsFiltered)) >= len(ids)
