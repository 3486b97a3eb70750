"""Testing your own ingestion pipeline with sfshield.testing: assert what reaches the model and what was audited.

This file is a pytest module (run: pytest examples/test_my_pipeline.py) and also runs as a script
(python examples/test_my_pipeline.py), so the docs can show it and the test suite can run it.
"""

from pathlib import Path
from typing import Any

import sfshield
from sfshield.audit import RecordsFiltered
from sfshield.testing import capture_audit

HERE = Path(__file__).parent


def build_pipeline(shield: sfshield.Shield) -> Any:
    """Your code: a function that fetches records (here: fixed ones) for the embedding index."""

    @shield.ingest(purpose="embedding")
    def fetch_contacts() -> list[dict[str, Any]]:
        return [
            {
                "attributes": {"type": "Contact"},
                "Id": "0035g00000AbCdEAAV",
                "Email": "ada@nordhavn.example",
                "SSN__c": "198403091234",
                "Title": "CFO",
            },
        ]

    return fetch_contacts


def test_no_national_id_reaches_the_index() -> None:
    """The pipeline's output never holds SSN__c, keeps Title, and pseudonymizes Email; the batch is audited."""
    shield = sfshield.Shield(
        sfshield.load_classification(HERE / "policy.toml"),
        tenant="test",
        audit=lambda event: None,  # your real sinks; capture_audit adds an in-memory one for the test
        pseudonym_key=sfshield.PseudonymKey(b"t" * 32),
    )
    with capture_audit(shield) as events:
        records = build_pipeline(shield)()

    assert "SSN__c" not in records[0]
    assert records[0]["Title"] == "CFO"
    assert records[0]["Email"].startswith("email_")
    (batch,) = [e for e in events if isinstance(e, RecordsFiltered)]
    assert {(f.path, f.action) for f in batch.fields} >= {("SSN__c", "drop"), ("Email", "pseudonymize")}


if __name__ == "__main__":
    test_no_national_id_reaches_the_index()
    print("ok")
