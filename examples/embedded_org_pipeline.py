"""Test an ingestion pipeline end to end against the embedded Salesforce org.

The org runs on a local HTTPS server with seeded, deterministic data. simple-salesforce talks to it unchanged;
the org's own request log tells what actually left it. In pytest, take the ``embedded_org`` fixture that comes
with sfshield instead of starting one by hand.

Run: python examples/embedded_org_pipeline.py   (or: pytest examples/embedded_org_pipeline.py)
"""

from pathlib import Path
from typing import Any

from simple_salesforce import Salesforce

import sfshield
from sfshield.testing import EmbeddedOrg, capture_audit

HERE = Path(__file__).parent


def ingest_for_embedding(sf: Salesforce, shield: sfshield.Shield) -> list[dict[str, Any]]:
    """Your pipeline: check the query, fetch with simple-salesforce, protect before indexing."""
    checked = shield.soql_guard(purpose="embedding").check("SELECT Id, Email, Title, Account.Name FROM Contact")
    return list(shield.protect(sf.query_all(checked.soql)["records"], purpose="embedding"))


def test_the_pipeline_never_indexes_a_raw_email() -> None:
    """Every Contact arrives, no raw email address reaches the index, and the org logged one query."""
    with EmbeddedOrg(orgs=1, size=10) as org:
        handle = org.handles[0]
        sf = Salesforce(instance_url=org.instance_url, session_id=handle.access_token, session=org.session())
        shield = sfshield.Shield(
            sfshield.load_classification(HERE / "policy.toml"),
            tenant="nordhavn-eu",
            audit=lambda event: None,
            pseudonym_key=sfshield.PseudonymKey(b"t" * 32),
        )
        with capture_audit(shield) as events:
            documents = ingest_for_embedding(sf, shield)

        contacts = len(org.org(0).data.records["Contact"])
        assert len(documents) == contacts
        assert all("@" not in str(document.get("Email", "")) for document in documents)
        assert [entry.rows for entry in org.requests_log(0) if entry.soql] == [contacts]
        assert [event.kind for event in events] == ["query_checked", "records_filtered"]


if __name__ == "__main__":
    test_the_pipeline_never_indexes_a_raw_email()
    print("ok")
