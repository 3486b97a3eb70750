"""Guard LLM-generated SOQL: check each query for its purpose before it reaches Salesforce.

An agent wrote these queries. The guard parses each one, resolves every field it touches (in SELECT, WHERE,
ORDER BY, GROUP BY, HAVING, TYPEOF and subqueries) and checks it against the policy for the purpose. Allowed
queries come back canonical and LIMIT-capped; the rest are refused with every reason. Each decision is audited.

Run: python examples/guard_llm_soql.py
"""

from pathlib import Path

import sfshield
from sfshield.exceptions import QueryRejectedError, SoqlSyntaxError
from sfshield.testing import capture_audit

HERE = Path(__file__).parent
shield = sfshield.Shield(
    sfshield.load_classification(HERE / "policy.toml"),
    tenant="nordhavn-eu",
    audit=lambda event: None,  # in production: a JsonlAuditSink or your own sink
    pseudonym_key=sfshield.PseudonymKey.generate(),
)
guard = shield.soql_guard(purpose="support_copilot", max_limit=200)

llm_queries = [
    # fine: Email may be selected (the filter pseudonymizes it on the way back); Title is kept
    "select Id, FirstName, Email, Title, (select Subject, Status from Cases) from Contact where Title like 'Head%'",
    # refused: filtering on Email would reveal it by inference, and SSN__c is restricted
    "SELECT Id, SSN__c FROM Contact WHERE Email = 'ada.lindqvist@nordhavn.example'",
    # refused: commercial terms never leave, not even to sort by
    "SELECT Id, Name FROM Account ORDER BY Discount__c DESC",
    # refused before anything runs: a second statement
    "SELECT Id FROM Contact; DELETE FROM Contact",
]

with capture_audit(shield) as events:
    for text in llm_queries:
        try:
            checked = guard.check(text)
        except QueryRejectedError as rejected:
            print("REJECTED:", *rejected.reasons, sep="\n  - ")
        except SoqlSyntaxError as error:
            print("NOT SOQL:", error)
        else:
            print("ALLOWED: ", checked.soql)
            print("  touches", ", ".join(checked.fields))

print(f"{len(events)} decisions audited:", [event.outcome.value for event in events])
assert [event.outcome.value for event in events] == ["allowed", "blocked", "blocked", "blocked"]
