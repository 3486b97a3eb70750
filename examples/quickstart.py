"""Quickstart: load a policy, build a Shield for one tenant, protect records for a purpose.

Run: python examples/quickstart.py
"""

import json
import tempfile
from pathlib import Path

import sfshield
from sfshield.audit import JsonlAuditSink, verify_audit_file

HERE = Path(__file__).parent

# Records exactly as simple-salesforce's sf.query(...)["records"] returns them.
records = [
    {
        "attributes": {"type": "Contact", "url": "/services/data/v66.0/sobjects/Contact/0035g00000AbCdEAAV"},
        "Id": "0035g00000AbCdEAAV",
        "FirstName": "Ada",
        "Email": "ada@nordhavn.example",
        "Title": "Head of Procurement",
        "SSN__c": "198403091234",
        "Account": {
            "attributes": {"type": "Account", "url": "/x"},
            "Name": "Nordhavn AB",
            "Discount__c": 32.5,
        },
    }
]

policy = sfshield.load_classification(HERE / "policy.toml")
with tempfile.TemporaryDirectory() as folder:
    audit_file = Path(folder) / "audit.jsonl"
    with JsonlAuditSink(audit_file) as sink:
        shield = sfshield.Shield(
            policy,
            tenant="nordhavn-eu",
            audit=sink,
            pseudonym_key=sfshield.PseudonymKey.generate(),  # in production: the tenant's key from your KMS
        )
        safe = shield.protect(records, purpose=sfshield.Purpose.EMBEDDING)

    print(json.dumps(safe[0], indent=2))
    for decision in safe.decisions[0].fields:
        print(f"{decision.path:24} {decision.action:13} {decision.reason} {decision.rule or ''}")
    print(f"audit trail intact: {verify_audit_file(audit_file).lines} events")

assert "SSN__c" not in safe[0]
assert "Discount__c" not in safe[0]["Account"]
assert safe[0]["Email"].startswith("email_")
