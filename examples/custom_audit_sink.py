"""A custom audit sink (SQLite) and a processor that enriches events, wired into a Shield.

A sink is anything with ``emit(event)`` that records the event or raises; a processor is a callable that returns
the (possibly enriched) event. If the sink raises, ``protect`` raises too and returns nothing.

Run: python examples/custom_audit_sink.py
"""

import json
import sqlite3
from pathlib import Path

import sfshield
from sfshield.audit import AuditEvent, AuditPipeline
from sfshield.audit.pipeline import add_static
from sfshield.exceptions import AuditSinkError

HERE = Path(__file__).parent


class SqliteAuditSink:
    """Stores each event as one row; raising on failure is all a sink must do to keep sfshield fail-closed."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        self.connection.execute("CREATE TABLE IF NOT EXISTS audit (id TEXT PRIMARY KEY, kind TEXT, body TEXT)")

    def emit(self, event: AuditEvent, /) -> None:
        with self.connection:
            self.connection.execute(
                "INSERT INTO audit VALUES (?, ?, ?)", (event.event_id, event.kind, json.dumps(event.to_json_dict()))
            )


database = sqlite3.connect(":memory:")
pipeline = AuditPipeline(
    processors=[add_static(job="nightly-embedding", host="ingest-01")], sinks=[SqliteAuditSink(database)]
)
shield = sfshield.Shield(
    sfshield.load_classification(HERE / "policy.toml"),
    tenant="nordhavn-eu",
    audit=pipeline,
    pseudonym_key=sfshield.PseudonymKey.generate(),
)
shield.protect([{"attributes": {"type": "Contact"}, "Id": "0035g00000AbCdEAAV", "Title": "CFO"}], purpose="training")

rows = database.execute("SELECT kind, body FROM audit ORDER BY rowid").fetchall()
for kind, body in rows:
    print(kind, json.loads(body)["extra"])
assert [kind for kind, _ in rows] == ["policy_loaded", "records_filtered"]

# A sink that fails stops the operation: nothing is returned unrecorded.
database.close()
try:
    shield.protect([{"attributes": {"type": "Contact"}, "Id": "0035g00000AbCdEAAV"}], purpose="training")
except AuditSinkError as error:
    print("blocked:", error)
else:
    raise AssertionError("protect must fail when its audit sink fails")
