"""``sfshield demo``: the whole path on bundled sample records, printed step by step.

It loads the bundled policy, filters two Contacts (with their Account, its Owner, and their Cases) for three
purposes, shows a decorated ingestion function, shows a request for an undeclared purpose being blocked, and
verifies the hash-chained audit trail it wrote. The embedded Salesforce org replaces the bundled records later.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any

from sfshield.audit import JsonlAuditSink, verify_audit_file
from sfshield.classification import Classification, parse_classification
from sfshield.exceptions import UnknownPurposeError
from sfshield.filtering import FilterResult
from sfshield.shield import Shield
from sfshield.transforms import PseudonymKey

__all__ = ["load_demo_policy", "load_demo_records", "run_demo"]

_DATA = resources.files("sfshield._data")


def load_demo_policy() -> Classification:
    """Return the bundled demo policy."""
    text = _DATA.joinpath("demo_policy.toml").read_text(encoding="utf-8")
    return parse_classification(text, source="sfshield/_data/demo_policy.toml")


def load_demo_records() -> dict[str, Any]:
    """Return the bundled sample query result (two Contacts, as simple-salesforce returns them)."""
    data: dict[str, Any] = json.loads(_DATA.joinpath("demo_records.json").read_text(encoding="utf-8"))
    return data


def run_demo(out: Path | None = None) -> int:
    """Run the demo, writing the audit trail into ``out`` (a temporary folder if ``None``); return 0."""
    if out is None:
        with tempfile.TemporaryDirectory(prefix="sfshield-demo-") as folder:
            _run(Path(folder))
        _say(
            "(the audit trail was temporary; run `sfshield demo --out DIR` to keep it and verify it with "
            "`sfshield audit verify DIR/audit.jsonl`)"
        )
        return 0
    out.mkdir(parents=True, exist_ok=True)
    _run(out)
    _say(f"verify it yourself: sfshield audit verify {out / 'audit.jsonl'}")
    return 0


def _run(folder: Path) -> None:
    policy = load_demo_policy()
    query_result = load_demo_records()
    audit_path = folder / "audit.jsonl"
    _say(
        f"policy {policy.version}  sha256 {policy.sha256[:16]}…  "
        f"({len(policy.labels)} labels, {len(policy.rules)} rules; anything unlabelled is dropped)"
    )
    with JsonlAuditSink(audit_path) as sink:
        shield = Shield(policy, tenant="nordhavn-eu", audit=sink, pseudonym_key=PseudonymKey.generate())
        _show_purposes(shield, query_result)
        _show_decorator(shield, query_result)
        _show_blocked(shield, query_result)
    report = verify_audit_file(audit_path)
    _say(f"\naudit trail {audit_path.name}: {report.lines} events, hash chain intact")


def _show_purposes(shield: Shield, query_result: dict[str, Any]) -> None:
    records = query_result["records"]
    _say("\nThe first Contact as simple-salesforce returns it (abridged):")
    _say(_json({k: v for k, v in records[0].items() if k not in ("Cases", "attributes")}))
    for purpose in ("support_copilot", "embedding", "training"):
        result = shield.protect(records, purpose=purpose)
        _say(f"\n── purpose {purpose!r}: what reaches the model ──")
        _say(_json(result[0]))
        _say(_summary(result))
    _say("\n(free text such as Case.Description passes only where a rule keeps it; the DLP scanner inspects it next)")


def _show_decorator(shield: Shield, query_result: dict[str, Any]) -> None:
    @shield.ingest(purpose="embedding")
    def fetch_contacts() -> dict[str, Any]:
        return query_result  # in real code: sf.query("SELECT ... FROM Contact ...")

    protected = fetch_contacts()
    _say(
        f"\n@shield.ingest(purpose='embedding') returned {len(protected['records'])} filtered records; "
        f"first record keeps {sorted(protected['records'][0])}"
    )


def _show_blocked(shield: Shield, query_result: dict[str, Any]) -> None:
    try:
        shield.protect(query_result["records"], purpose="marketing_blast")
    except UnknownPurposeError as exc:
        _say(f"\nblocked (and audited): {exc}")


def _summary(result: FilterResult) -> str:
    actions: Counter[str] = Counter()
    for decision, count in result.field_counts().items():
        actions[f"{decision.action}"] += count
    dropped = sorted({d.path for d in result.field_counts() if d.action == "drop"})
    return f"field decisions: {dict(sorted(actions.items()))}; dropped: {', '.join(dropped)}"


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _say(text: str) -> None:
    print(text)  # noqa: T201 - the demo talks to the person who ran it
