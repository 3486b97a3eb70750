"""Rendering syntax trees back to canonical SOQL."""

from __future__ import annotations

import pytest
from hypothesis import given

from sfshield.soql import ast, parse, render
from tests.soql.strategies import queries


class TestRoundTrip:
    @given(queries())
    def test_parsing_the_rendering_gives_back_the_tree(self, query: ast.Query) -> None:
        """Every tree the parser can produce survives render then parse unchanged."""
        assert parse(render(query)) == query

    @given(queries())
    def test_the_canonical_form_is_a_fixed_point(self, query: ast.Query) -> None:
        """Re-rendering a parsed canonical query gives the same text, character for character."""
        text = render(query)
        assert render(parse(text)) == text

    @given(queries())
    def test_str_of_a_query_is_its_rendering(self, query: ast.Query) -> None:
        """``str(query)`` is the canonical rendering."""
        assert str(query) == render(query)


class TestCanonicalForm:
    @pytest.mark.parametrize(
        ("text", "canonical"),
        [
            pytest.param(
                "select  id\nfrom\taccount   where a <> 1",
                "SELECT id FROM account WHERE a != 1",
                id="keywords-upper-single-spaces-not-equal",
            ),
            pytest.param(
                "SELECT Id FROM A WHERE a = TRUE AND b = False AND c = NULL",
                "SELECT Id FROM A WHERE a = true AND b = false AND c = null",
                id="literal-words-lower",
            ),
            pytest.param(
                "SELECT Id FROM A WHERE a = 1 AND (b = 2 OR c = 3)",
                "SELECT Id FROM A WHERE a = 1 AND (b = 2 OR c = 3)",
                id="or-inside-and-parenthesized",
            ),
            pytest.param(
                "SELECT Id FROM A WHERE (a = 1 AND b = 2) OR c = 3",
                "SELECT Id FROM A WHERE (a = 1 AND b = 2) OR c = 3",
                id="and-inside-or-parenthesized",
            ),
            pytest.param(
                "SELECT Id FROM A WHERE ((a = 1))",
                "SELECT Id FROM A WHERE a = 1",
                id="redundant-parentheses-dropped",
            ),
            pytest.param(
                "SELECT Id FROM A WHERE NOT (a = 1 OR b = 2)",
                "SELECT Id FROM A WHERE NOT (a = 1 OR b = 2)",
                id="not-keeps-parentheses",
            ),
            pytest.param(
                "SELECT tolabel(Status), count(Id) n FROM A GROUP BY calendar_year(CreatedDate)",
                "SELECT toLabel(Status), COUNT(Id) n FROM A GROUP BY CALENDAR_YEAR(CreatedDate)",
                id="function-names-canonical",
            ),
            pytest.param(
                "SELECT Id FROM A USING SCOPE mine WHERE d = last_n_days:7 AND e = today",
                "SELECT Id FROM A USING SCOPE Mine WHERE d = LAST_N_DAYS:7 AND e = TODAY",
                id="scope-and-date-literals-canonical",
            ),
            pytest.param(
                "SELECT Id FROM A WITH SECURITY_ENFORCED WITH DATA CATEGORY g AT (c)",
                "SELECT Id FROM A WITH DATA CATEGORY g AT c WITH SECURITY_ENFORCED",
                id="with-clauses-in-canonical-order",
            ),
            pytest.param(
                "SELECT Id FROM A WHERE a = 1e3 AND b = .5 AND c = USD-10.50",
                "SELECT Id FROM A WHERE a = 1E+3 AND b = 0.5 AND c = USD-10.50",
                id="numbers-canonical",
            ),
        ],
    )
    def test_rendering_normalizes_spelling_but_keeps_meaning(self, text: str, canonical: str) -> None:
        """Keywords, functions, scopes and literals get one spelling, and the canonical text means the same."""
        query = parse(text)
        assert render(query) == canonical
        assert parse(canonical) == query

    def test_identifiers_and_string_bodies_keep_their_spelling(self) -> None:
        """Names keep the case they were written in, and string escapes are rendered exactly as written."""
        text = r"SELECT aCCount.NaMe FROM acCount WHERE Name LIKE 'a\%b\'c\u00e9'"
        assert render(parse(text)) == text
