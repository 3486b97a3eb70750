"""Decorate ingestion functions so that whatever they return or yield has passed the filter.

Run: python examples/ingest_decorator.py
"""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import sfshield
from sfshield.testing import capture_audit

HERE = Path(__file__).parent
policy = sfshield.load_classification(HERE / "policy.toml")
shield = sfshield.Shield(
    policy, tenant="nordhavn-eu", audit=lambda event: None, pseudonym_key=sfshield.PseudonymKey.generate()
)

CONTACT = {
    "attributes": {"type": "Contact"},
    "Id": "0035g00000AbCdEAAV",
    "FirstName": "Ada",
    "SSN__c": "1984",
}


@shield.ingest(purpose="training")
def fetch_page(limit: int) -> dict[str, Any]:
    """In real code: return sf.query(f"SELECT ... FROM Contact LIMIT {limit}")."""
    return {"totalSize": limit, "done": True, "records": [CONTACT] * limit}


@shield.ingest(purpose="embedding")
async def stream_contacts() -> AsyncIterator[dict[str, Any]]:
    """In real code: an async client paging through results."""
    for _ in range(2):
        yield CONTACT


async def collect() -> list[dict[str, Any]]:
    return [record async for record in stream_contacts()]


with capture_audit(shield) as events:
    page = fetch_page(3)
    streamed = asyncio.run(collect())

print("training page:", page["records"][0])
print("embedding stream:", streamed[0])
print("audited:", [event.kind for event in events])
assert page["records"][0] == {"Id": "0035g00000AbCdEAAV"}
assert len(events) == 3
