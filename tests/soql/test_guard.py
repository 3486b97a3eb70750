"""The SOQL guard: every clause is checked, nothing the parser rejects gets through, every decision is audited."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sfshield.audit import AuditPipeline, InMemoryAuditSink, QueryChecked
from sfshield.audit.events import Outcome
from sfshield.classification import Classification
from sfshield.exceptions import QueryRejectedError, SoqlSyntaxError, UnknownPurposeError
from sfshield.soql import SoqlGuard, parse

POLICY = Classification.model_validate(
    {
        "version": "guard-1",
        "labels": {
            "*.Id": {"sensitivity": "Public"},
            "Contact.Title": {"sensitivity": "Internal"},
            "Contact.AccountId": {"sensitivity": "Public"},
            "Contact.Email": {"sensitivity": "Confidential", "compliance": ["PII"], "kind": "email"},
            "Contact.SSN__c": {"sensitivity": "Restricted", "compliance": ["PII"]},
            "Account.Name": {"sensitivity": "Internal"},
            "Account.Discount__c": {"sensitivity": "Confidential", "tags": ["commercial-terms"]},
            "Case.Subject": {"sensitivity": "Internal"},
            "Case.Description": {"sensitivity": "Confidential"},
            "Case.ContactId": {"sensitivity": "Public"},
        },
        "rules": [
            {"purposes": ["*"], "max_sensitivity": "Internal", "action": "keep"},
            {
                "purposes": ["embedding"],
                "compliance": ["PII"],
                "max_sensitivity": "Confidential",
                "action": "pseudonymize",
            },
            {"purposes": ["*"], "min_sensitivity": "Restricted", "action": "drop"},
            {"purposes": ["*"], "tags": ["commercial-terms"], "action": "drop"},
        ],
        "relationships": {"Contact.Account": "Account", "Contact.Cases": "Case"},
    }
)
ALLOWED = ("Id", "Title", "Account.Name")
PSEUDONYMIZED = ("Email",)
FORBIDDEN = ("SSN__c", "Account.Discount__c", "Nickname__c", "Cases__x")


def make_guard(sink: InMemoryAuditSink | None = None, **options: Any) -> SoqlGuard:
    return SoqlGuard(
        POLICY, purpose="embedding", audit=AuditPipeline(sinks=[sink or InMemoryAuditSink()]), tenant="t", **options
    )


CLAUSE_TEMPLATES = {
    "select": "SELECT Id, {f} FROM Contact",
    "where": "SELECT Id FROM Contact WHERE {f} = 'x'",
    "where-nested": "SELECT Id FROM Contact WHERE Title = 'a' AND (Id != null OR NOT {f} LIKE 'x%')",
    "where-in": "SELECT Id FROM Contact WHERE {f} IN ('a', 'b')",
    "order-by": "SELECT Id FROM Contact ORDER BY {f} DESC NULLS LAST",
    "group-by": "SELECT COUNT(Id) n FROM Contact GROUP BY {f}",
    "having": "SELECT Title, COUNT(Id) n FROM Contact GROUP BY Title HAVING MAX({f}) > 1",
    "aggregate": "SELECT MAX({f}) m FROM Contact",
    "semi-join": "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE {f} = 'x')",
}


class TestEveryClauseIsChecked:
    @given(st.sampled_from(sorted(CLAUSE_TEMPLATES)), st.sampled_from(FORBIDDEN))
    def test_a_forbidden_field_is_rejected_in_any_clause(self, clause: str, field: str) -> None:
        """A dropped, unlabelled or unresolvable field is rejected wherever the query uses it."""
        with pytest.raises(QueryRejectedError):
            make_guard().check(CLAUSE_TEMPLATES[clause].format(f=field))

    @given(st.sampled_from(sorted(set(CLAUSE_TEMPLATES) - {"select"})), st.sampled_from(PSEUDONYMIZED))
    def test_a_pseudonymized_field_may_be_selected_but_not_filtered_on(self, clause: str, field: str) -> None:
        """A field the policy pseudonymizes passes in SELECT but nowhere it would be revealed by inference."""
        guard = make_guard()
        assert guard.check(f"SELECT Id, {field} FROM Contact").fields == ("Contact.Email", "Contact.Id")
        with pytest.raises(QueryRejectedError, match="may only be selected"):
            guard.check(CLAUSE_TEMPLATES[clause].format(f=field))

    @given(st.sampled_from(sorted(CLAUSE_TEMPLATES)), st.sampled_from(ALLOWED))
    def test_kept_fields_pass_in_every_clause(self, clause: str, field: str) -> None:
        """A field the policy keeps is accepted in every clause."""
        make_guard().check(CLAUSE_TEMPLATES[clause].format(f=field))

    def test_child_subqueries_are_checked_against_the_child_object(self) -> None:
        """A child subquery's fields are resolved on the child object, in SELECT and WHERE."""
        guard = make_guard()
        assert "Case.Subject" in guard.check("SELECT Id, (SELECT Subject FROM Cases) FROM Contact").fields
        with pytest.raises(QueryRejectedError, match=r"Case\.Description"):
            guard.check("SELECT Id, (SELECT Subject FROM Cases WHERE Description LIKE '%x%') FROM Contact")

    def test_typeof_branches_are_checked_against_their_objects(self) -> None:
        """Each TYPEOF branch's fields are checked on that branch's object, which must be allowed."""
        with pytest.raises(QueryRejectedError) as caught:
            make_guard().check("SELECT TYPEOF Who WHEN Contact THEN SSN__c WHEN Lead THEN Email END FROM Case")
        assert any("Contact.SSN__c" in r for r in caught.value.reasons)
        assert any("object Lead" in r for r in caught.value.reasons)

    def test_every_reason_is_listed(self) -> None:
        """A query with several problems lists all of them, not just the first."""
        with pytest.raises(QueryRejectedError) as caught:
            make_guard().check("SELECT SSN__c, Nickname__c FROM Contact WHERE Email = 'x' ORDER BY Account.Discount__c")
        assert len(caught.value.reasons) == 4


class TestSyntax:
    @given(st.text(max_size=80))
    def test_the_guard_never_accepts_what_the_parser_rejects(self, text: str) -> None:
        """For any text the parser refuses, the guard raises SoqlSyntaxError too."""
        try:
            parse(text)
        except SoqlSyntaxError:
            with pytest.raises(SoqlSyntaxError):
                make_guard().check(text)

    @given(st.sampled_from(["; DELETE FROM Contact", " c garbage", " -- c", ")", " ALL ROWS", " WHERE Id = :x"]))
    def test_anything_after_a_valid_query_is_refused(self, suffix: str) -> None:
        """Trailing input after an allowed query makes the whole text fail, never a partial acceptance."""
        with pytest.raises(SoqlSyntaxError):
            make_guard().check("SELECT Id, Title FROM Contact" + suffix)


class TestRewrites:
    def test_a_limit_is_added_or_lowered(self) -> None:
        """A missing LIMIT is added and a higher one lowered to the cap; a lower one stays."""
        guard = make_guard(max_limit=100)
        assert guard.check("SELECT Id FROM Contact").query.limit == 100
        assert guard.check("SELECT Id FROM Contact LIMIT 5000").query.limit == 100
        assert guard.check("SELECT Id FROM Contact LIMIT 7").query.limit == 7

    def test_child_subqueries_get_their_own_cap(self) -> None:
        """A child subquery's LIMIT is capped too."""
        checked = make_guard(max_limit=100, subquery_limit=10).check(
            "SELECT Id, (SELECT Subject FROM Cases) FROM Contact"
        )
        assert checked.soql == "SELECT Id, (SELECT Subject FROM Cases LIMIT 10) FROM Contact LIMIT 100"

    def test_rewrite_mode_drops_select_fields_but_never_where_terms(self) -> None:
        """With rewrite=True a forbidden SELECT field is dropped, while a forbidden WHERE term still rejects."""
        guard = make_guard(rewrite=True)
        checked = guard.check("SELECT Id, SSN__c, Title FROM Contact LIMIT 5")
        assert checked.soql == "SELECT Id, Title FROM Contact LIMIT 5"
        assert checked.changes == ("dropped Contact.SSN__c from SELECT (not allowed)",)
        with pytest.raises(QueryRejectedError):
            guard.check("SELECT Id FROM Contact WHERE SSN__c = '1'")

    def test_fields_all_needs_a_describe_source_and_expands_to_allowed_fields(self) -> None:
        """FIELDS(ALL) is refused without describe and expanded to the allowed fields with it."""
        with pytest.raises(QueryRejectedError, match="describe"):
            make_guard().check("SELECT FIELDS(ALL) FROM Contact LIMIT 200")
        guard = make_guard(describe=lambda sobject: ["Id", "Title", "Email", "SSN__c", "Other__c"])
        assert guard.check("SELECT FIELDS(ALL) FROM Contact LIMIT 200").soql == (
            "SELECT Id, Title, Email FROM Contact LIMIT 200"
        )

    def test_query_all_needs_permission(self) -> None:
        """A queryAll request is rejected unless the guard allows it."""
        with pytest.raises(QueryRejectedError, match="queryAll"):
            make_guard().check("SELECT Id FROM Contact", query_all=True)
        make_guard(allow_query_all=True).check("SELECT Id FROM Contact", query_all=True)

    def test_objects_outside_the_allow_list_are_rejected(self) -> None:
        """An explicit object allow-list is enforced, for the FROM object and traversed parents."""
        guard = make_guard(objects=["Contact"])
        with pytest.raises(QueryRejectedError, match="object Account"):
            guard.check("SELECT Id, Account.Name FROM Contact")


class TestAudit:
    def test_every_decision_is_audited_without_the_query_text(self) -> None:
        """Allowed, rejected and unparseable queries each leave one QueryChecked event holding no literal."""
        sink = InMemoryAuditSink()
        guard = make_guard(sink)
        guard.check("SELECT Id FROM Contact WHERE Title = 'SECRET-A'")
        with pytest.raises(QueryRejectedError):
            guard.check("SELECT Id FROM Contact WHERE SSN__c = 'SECRET-B'")
        with pytest.raises(SoqlSyntaxError):
            guard.check("SELECT Id FROM Contact WHERE Title = 'SECRET-C' AND")
        events = [e for e in sink.events if isinstance(e, QueryChecked)]
        assert [e.outcome for e in events] == [Outcome.ALLOWED, Outcome.BLOCKED, Outcome.BLOCKED]
        trail = json.dumps([e.to_json_dict() for e in events])
        assert "SECRET" not in trail
        assert events[0].policy_sha256 == POLICY.sha256

    def test_an_unknown_purpose_is_refused_when_the_guard_is_built(self) -> None:
        """A guard for an undeclared purpose cannot be created."""
        with pytest.raises(UnknownPurposeError):
            SoqlGuard(POLICY, purpose="marketing", audit=AuditPipeline(sinks=[InMemoryAuditSink()]), tenant="t")


class TestFromAliases:
    def test_relationships_named_in_from_are_resolved_through_their_alias(self) -> None:
        """`FROM Contact c, c.Account a` makes `a.Discount__c` the Account field, and it is checked as such."""
        guard = make_guard()
        checked = guard.check("SELECT c.Title, a.Name FROM Contact c, c.Account a WHERE a.Name = 'x'")
        assert checked.fields == ("Account.Name", "Contact.Title")
        with pytest.raises(QueryRejectedError, match=r"Account\.Discount__c"):
            guard.check("SELECT COUNT() FROM Contact c, c.Account a WHERE a.Discount__c > 5")

    def test_a_relationship_in_from_crosses_the_object_allow_list(self) -> None:
        """Naming a relationship in FROM reaches its object, which must be allowed even if no field is used."""
        with pytest.raises(QueryRejectedError, match="object Account"):
            make_guard(objects=["Contact"]).check("SELECT COUNT() FROM Contact, Contact.Account")
