"""Hypothesis strategies for policies and Salesforce-shaped records, shared by the filter and Shield tests.

The world is small on purpose (a few objects and fields) so that random policies and records collide often.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from sfshield.classification import Action, Classification, FieldLabel, Purpose

OBJECTS = ("Contact", "Account", "Case")
FIELDS = ("Id", "Name", "Email", "Phone", "Secret__c", "Notes__c", "Amount__c")
LEVELS = ("Public", "Internal", "Confidential", "Restricted", "MissionCritical", "TopSecret", None)
GROUPS = ("PII", "GDPR", "PCI")
TAGS = ("ip", "commercial-terms")
PURPOSES = tuple(str(p) for p in Purpose)
RELATIONSHIPS = {"Contact.Account": "Account", "Contact.Cases": "Case", "Case.Account": "Account"}

values = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
)

labels = st.builds(
    FieldLabel,
    sensitivity=st.sampled_from(LEVELS),
    compliance=st.lists(st.sampled_from(GROUPS), max_size=2),
    tags=st.lists(st.sampled_from(TAGS), max_size=1),
    kind=st.sampled_from((None, "email", "phone")),
)


@st.composite
def rules(draw: st.DrawFn) -> dict[str, Any]:
    """A random rule over the small world."""
    action = draw(st.sampled_from(list(Action)))
    rule: dict[str, Any] = {
        "purposes": draw(st.lists(st.sampled_from((*PURPOSES, "*")), min_size=1, max_size=3)),
        "action": action,
    }
    if draw(st.booleans()):
        rule["max_sensitivity"] = draw(st.sampled_from(LEVELS[:5]))
    if draw(st.booleans()):
        rule["compliance"] = draw(st.lists(st.sampled_from(GROUPS), min_size=1, max_size=2))
    if draw(st.integers(0, 4)) == 0:
        rule["fields"] = [f"{draw(st.sampled_from(OBJECTS))}.{draw(st.sampled_from(FIELDS))}"]
    if action is Action.MASK:
        rule["keep_last"] = draw(st.integers(0, 4))
    return rule


@st.composite
def policies(draw: st.DrawFn) -> Classification:
    """A random policy: some fields labelled, random rules, the test relationships declared."""
    keys = draw(st.sets(st.sampled_from([f"{o}.{f}" for o in OBJECTS for f in FIELDS]), max_size=14))
    return Classification.model_validate(
        {
            "version": "test",
            "labels": {key: draw(labels) for key in sorted(keys)},
            "rules": draw(st.lists(rules(), max_size=6)),
            "relationships": RELATIONSHIPS,
        }
    )


def _flat(draw: st.DrawFn, sobject: str, *, attributes: bool) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(FIELDS), unique=True, max_size=len(FIELDS)))
    record: dict[str, Any] = {"attributes": {"type": sobject, "url": "/x"}} if attributes else {}
    record.update({name: draw(values) for name in names})
    return record


@st.composite
def contact_records(draw: st.DrawFn) -> dict[str, Any]:
    """A Contact as simple-salesforce returns it: maybe an Account parent, maybe a Cases subquery."""
    record = _flat(draw, "Contact", attributes=True)
    parent = draw(st.sampled_from(("absent", "null", "with-attributes", "without-attributes")))
    if parent == "null":
        record["Account"] = None
    elif parent != "absent":
        record["Account"] = _flat(draw, "Account", attributes=parent == "with-attributes")
    if draw(st.booleans()):
        cases = [_flat(draw, "Case", attributes=draw(st.booleans())) for _ in range(draw(st.integers(0, 3)))]
        record["Cases"] = {"totalSize": len(cases), "done": True, "records": cases}
    return record
