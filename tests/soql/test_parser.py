"""Parsing SOQL: the reference corpus, properties over random trees and text, and the documented rejections."""

from __future__ import annotations

import dataclasses
import itertools
import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sfshield.exceptions import ShieldError, SoqlSyntaxError
from sfshield.soql import ast, parse, render
from sfshield.soql._lexer import MAX_QUERY_CHARS, Token, tokenize
from tests.soql.strategies import KEYWORDS, queries, string_lits

try:
    from tests.soql.corpus import CORPUS
except ModuleNotFoundError as missing:  # the corpus is written separately; its absence must not hide the rest
    if missing.name != "tests.soql.corpus":
        raise
    CORPUS = ()

END = object()
"""In the tables below: the error points at the end of the query."""

MARKER = "SECRETxyz"
"""Stands for a value in a query; no error message may repeat it."""

JUNK = (
    "; DELETE FROM Account",
    ";",
    " --c",
    " -- all the rest",
    " /* c */",
    " // c",
    " )",
    " (",
    " ,",
    " AND",
    " OR",
    " garbage garbage",
    " ALL ROWS",
    " SELECT Id FROM Account",
    " 'x'",
    " 1",
    " :bind",
    ' "x"',
    " WHERE",
    " LIMIT",
    " LIMIT -1",
)
"""Text that no complete query may be followed by."""

SOUP = (
    *("SELECT", "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "INCLUDES", "EXCLUDES", "GROUP", "BY"),
    *("ROLLUP", "HAVING", "ORDER", "ASC", "NULLS", "FIRST", "LIMIT", "OFFSET", "FOR", "VIEW", "UPDATE", "TRACKING"),
    *("WITH", "DATA", "CATEGORY", "AT", "SECURITY_ENFORCED", "USING", "SCOPE", "Mine", "TYPEOF", "WHEN", "THEN"),
    *("ELSE", "END", "FIELDS", "ALL", "ROWS", "COUNT", "COUNT()", "toLabel", "TODAY", "LAST_N_DAYS", "LAST_N_DAYS:3"),
    *("Id", "Name", "a.b", "(", "(", ")", ")", ",", ":", "=", "!=", "<", ">=", "'x'", "'\\n'", "1", "-2.5", "1e3"),
    *("USD10", "2026-01-31", "2026-01-31T10:00:00Z", "null", "true"),
)
"""Words and symbols of SOQL, for random token sequences that get further into the parser than random text."""


def parse_or_refuse(text: str) -> ast.Query | None:
    """Parse ``text``; None if it is refused with a well-formed SoqlSyntaxError (any other exception propagates)."""
    try:
        return parse(text)
    except SoqlSyntaxError as caught:
        err = caught
    assert 0 <= err.offset <= len(text)
    assert err.line >= 1 and err.column >= 1 and err.problem
    return None


def refusal(text: str) -> SoqlSyntaxError:
    """The SoqlSyntaxError raised for ``text``."""
    with pytest.raises(SoqlSyntaxError) as caught:
        parse(text)
    return caught.value


def gaps(text: str) -> list[tuple[int, int]]:
    """The (start, end) spans of the whitespace between the tokens of ``text``, plus the empty span at its end."""
    tokens: list[Token] = tokenize(text)
    spans = [(a.pos + len(a.text), b.pos) for a, b in itertools.pairwise(tokens)]
    return [(start, end) for start, end in spans if end > start] + [(len(text), len(text))]


def reflow(text: str, rnd: random.Random) -> str:
    """``text`` with the whitespace between its tokens replaced by random runs of spaces, tabs and newlines."""
    out, last = [], 0
    for start, end in gaps(text)[:-1]:
        out += [text[last:start], rnd.choice((" ", "  ", "\t", "\n", "\r\n", "\n    ", " \n\t"))]
        last = end
    return "".join([*out, text[last:]])


KNOWN_GAPS: dict[str, str] = {}


def _known_gap(case: Any) -> tuple[Any, ...]:
    """A strict xfail for corpus cases the parser does not support yet, so fixing one turns the test red."""
    for fragment, reason in KNOWN_GAPS.items():
        if fragment in case.soql:
            return (pytest.mark.xfail(reason=reason, strict=True),)
    return ()


def corpus_cases(*, valid: bool) -> list[Any]:
    """The corpus cases with the given verdict, as parameters named by feature tag and index."""
    params = [
        pytest.param(case, id=f"{case.feature}-{index}", marks=_known_gap(case))
        for index, case in enumerate(CORPUS)
        if case.valid is valid
    ]
    reason = "tests/soql/corpus.py is missing or holds no such case"
    return params or [pytest.param(None, marks=pytest.mark.skip(reason=reason))]


class TestCorpus:
    @pytest.mark.parametrize("case", corpus_cases(valid=True))
    def test_valid_queries_parse_and_round_trip(self, case: Any) -> None:
        """Every query the REST API accepts parses, and its canonical rendering parses back to the same tree."""
        query = parse(case.soql)
        assert parse(render(query)) == query
        assert render(parse(render(query))) == render(query)

    @pytest.mark.parametrize("case", corpus_cases(valid=False))
    def test_invalid_queries_are_refused(self, case: Any) -> None:
        """Every query the REST API rejects raises SoqlSyntaxError."""
        refusal(case.soql)


class TestArbitraryInput:
    @given(st.text(max_size=200))
    def test_any_text_parses_or_raises_a_syntax_error(self, text: str) -> None:
        """Random text either parses or raises SoqlSyntaxError, never any other exception."""
        parse_or_refuse(text)

    @given(st.lists(st.sampled_from(SOUP), max_size=30).map(" ".join))
    def test_random_soql_words_parse_or_raise_a_syntax_error(self, text: str) -> None:
        """Random sequences of SOQL words and symbols either parse or raise SoqlSyntaxError."""
        parse_or_refuse(text)

    @given(queries(), st.randoms(use_true_random=False))
    def test_mutated_queries_parse_or_raise_a_syntax_error(self, query: ast.Query, rnd: random.Random) -> None:
        """A valid query with one token dropped, doubled or swapped with its neighbour parses or is refused."""
        tokens = [token.text for token in tokenize(render(query))[:-1]]
        i = rnd.randrange(len(tokens))
        mutation = rnd.choice(("drop", "double", "swap"))
        if mutation == "drop":
            del tokens[i]
        elif mutation == "double":
            tokens.insert(i, tokens[i])
        elif i + 1 < len(tokens):
            tokens[i], tokens[i + 1] = tokens[i + 1], tokens[i]
        parse_or_refuse(" ".join(tokens))

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("SELECT Id FROM Account WHERE " + "(" * 1000 + "Id = '1'" + ")" * 1000, id="parentheses"),
            pytest.param("SELECT Id FROM Account WHERE " + "(" * 30_000, id="unclosed-parentheses"),
            pytest.param("SELECT Id FROM Account WHERE " + "NOT " * 2000 + "Id = '1'", id="not"),
            pytest.param("SELECT " + "FORMAT(" * 1000 + "Id" + ")" * 1000 + " FROM Account", id="function-calls"),
        ],
    )
    def test_deep_nesting_parses_or_raises_a_syntax_error(self, text: str) -> None:
        """Nesting deep enough to exhaust Python's stack, within the length limit, still never escapes as a crash."""
        assert len(text) <= MAX_QUERY_CHARS
        parse_or_refuse(text)

    def test_text_over_the_length_limit_is_refused_before_it_is_read(self) -> None:
        """A query longer than Salesforce's 100,000-character limit is refused at the limit, even if well formed."""
        text = "SELECT Id FROM Account WHERE " + " OR ".join(["Name = 'x'"] * 10_000)
        assert len(text) > MAX_QUERY_CHARS
        assert refusal(text).offset == MAX_QUERY_CHARS

    @pytest.mark.parametrize("text", [b"SELECT Id FROM Account", None, 42])
    def test_a_query_that_is_not_a_str_is_a_type_error(self, text: Any) -> None:
        """Passing anything but a str is programmer misuse: TypeError, not a syntax error."""
        with pytest.raises(TypeError, match="str"):
            parse(text)


class TestCompleteness:
    @given(queries(), st.sampled_from(JUNK))
    def test_anything_after_a_complete_query_is_refused(self, query: ast.Query, junk: str) -> None:
        """A valid query followed by a terminator, a comment, a second statement or stray words is refused."""
        refusal(render(query) + junk)

    @given(queries())
    def test_a_query_cut_at_any_token_boundary_parses_or_is_refused(self, query: ast.Query) -> None:
        """Every prefix of a valid query that ends between tokens either is itself a query or raises SoqlSyntaxError."""
        text = render(query)
        for token in tokenize(text):
            parse_or_refuse(text[: token.pos])
        assert parse(text) == query

    @pytest.mark.parametrize("space", [" ", "\n", "\r\n", "\t", "  \n  "])
    def test_whitespace_around_a_query_is_ignored(self, space: str) -> None:
        """Leading and trailing whitespace (a final newline, say) is not part of the query."""
        assert parse(f"{space}SELECT Id FROM Account{space}") == parse("SELECT Id FROM Account")

    @given(queries(), st.randoms(use_true_random=False))
    def test_whitespace_between_tokens_does_not_matter(self, query: ast.Query, rnd: random.Random) -> None:
        """Spaces, tabs and newlines between tokens, in any amount, give the same tree."""
        assert parse(reflow(render(query), rnd)) == query


class TestErrorPositions:
    @pytest.mark.parametrize(
        ("text", "line", "column"),
        [
            pytest.param("SELECT Id\nFROM Account\nWHERE Name = 'x'\nLIMIT -1", 4, 7, id="parser-error-on-line-4"),
            pytest.param("SELECT Id,\n       Name\n  FROM Account;", 3, 15, id="lexer-error-on-line-3"),
            pytest.param("SELECT Id\r\nFROM Account\r\n  WHERE", 3, 8, id="crlf-and-end-of-query"),
            pytest.param("\n\n  SELECT Id FROM Account ALL ROWS", 3, 26, id="leading-blank-lines"),
            pytest.param("SELECT Id FROM Account WHERE Name = 'a\nb' AND Id = :id", 2, 13, id="newline-inside-string"),
            pytest.param("SELECT Id FROM Account", None, None, id="no-error"),
        ],
    )
    def test_line_and_column_point_at_the_problem(self, text: str, line: int | None, column: int | None) -> None:
        """The error's line and column (1-based) name the spot of the problem in a multi-line query."""
        if line is None:
            parse(text)
            return
        err = refusal(text)
        assert (err.line, err.column) == (line, column)
        assert f"line {line}, column {column}" in str(err)

    @given(queries(), st.randoms(use_true_random=False))
    def test_line_and_column_are_right_wherever_the_problem_is(self, query: ast.Query, rnd: random.Random) -> None:
        """A ';' slipped between any two tokens of a reflowed multi-line query is reported at its line and column."""
        text = reflow(render(query), rnd)
        at = rnd.choice(gaps(text))[0]
        err = refusal(text[:at] + ";" + text[at:])
        lines = text[:at].split("\n")
        assert (err.offset, err.line, err.column) == (at, len(lines), len(lines[-1]) + 1)
        pointed_line, caret = err.pointer().split("\n")
        assert pointed_line[err.column - 1] == ";" and caret == " " * (err.column - 1) + "^"


class TestErrorMessages:
    @given(queries(), string_lits, st.sampled_from(JUNK))
    def test_messages_never_repeat_string_literals(self, query: ast.Query, body: ast.StringLit, junk: str) -> None:
        """A syntax error after a string holding a value names no part of that value."""
        secret = ast.Comparison(ast.FieldRef(("Secret__c",)), "=", ast.StringLit(body.raw + MARKER))
        where = secret if query.where is None else ast.And((query.where, secret))
        text = render(dataclasses.replace(query, where=where)) + junk
        err = refusal(text)
        assert MARKER not in str(err) and MARKER not in repr(err) and MARKER not in err.problem

    @given(st.text(max_size=60), st.text(max_size=60))
    def test_messages_never_repeat_query_text(self, before: str, after: str) -> None:
        """Whatever surrounds a quoted value, the error message (safe to log) does not contain it."""
        message = ""
        try:
            parse(f"{before}'{MARKER}'{after}")
        except SoqlSyntaxError as err:
            message = f"{err} {err!r} {err.problem}"
        assert MARKER not in message

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param(f"SELECT Id FROM Account WHERE Name = '{MARKER}\\q'", id="bad-escape-inside-the-value"),
            pytest.param(f"SELECT Id FROM Account WHERE Name = '{MARKER}", id="unterminated-value"),
            pytest.param(f"SELECT Id FROM Account WHERE Name = {MARKER}", id="unquoted-value"),
            pytest.param(f"SELECT {MARKER}( FROM Account", id="unknown-function-name"),
            pytest.param(f"SELECT Id FROM Account USING SCOPE {MARKER}", id="unknown-scope"),
            pytest.param(f"SELECT Id FROM Account WHERE Name = '{MARKER}' ;", id="semicolon-after-value"),
        ],
    )
    def test_messages_never_repeat_the_offending_text(self, text: str) -> None:
        """Even the token that is wrong is described by its kind, never quoted."""
        err = refusal(text)
        assert MARKER not in str(err) and MARKER not in err.problem

    def test_syntax_errors_are_shield_errors(self) -> None:
        """``except ShieldError`` catches a syntax error."""
        with pytest.raises(ShieldError):
            parse("SELECT")


REJECTIONS = [
    # (id, text, where the error points: a substring's first occurrence or END, words the problem must contain)
    ("trailing-word", "SELECT Id FROM Account acct extra", "extra", "end of the query"),
    ("trailing-clause-out-of-order", "SELECT Id FROM Account LIMIT 5 WHERE Id = '1'", "WHERE", "end of the query"),
    ("clause-order", "SELECT Id FROM Account ORDER BY Name WHERE Id = '1'", "WHERE", "end of the query"),
    ("double-where", "SELECT Id FROM Account WHERE Id = '1' WHERE Name = 'x'", "WHERE Name", "end of the query"),
    ("semicolon", "SELECT Id FROM Account;", ";", "';'"),
    ("second-statement", "SELECT Id FROM Account; SELECT Id FROM Contact", ";", "';'"),
    ("second-statement-without-semicolon", "SELECT Id FROM Account SELECT Id FROM Contact", "SELECT Id FROM C", "end"),
    ("dml-after-semicolon", "SELECT Id FROM Account; DELETE FROM Account", ";", "';'"),
    ("comment-dashes", "SELECT Id FROM Account -- all of them", "--", "comments"),
    ("comment-block", "SELECT Id /* x */ FROM Account", "/*", "comments"),
    ("comment-slashes", "SELECT Id FROM Account // x", "//", "comments"),
    ("comment-hiding-a-condition", "SELECT Id FROM Account WHERE Id = '1' --' OR Name = 'x'", "--", "comments"),
    ("apex-bind", "SELECT Id FROM Account WHERE Name = :name", ":", "bind"),
    ("apex-bind-in-list", "SELECT Id FROM Account WHERE Id IN :ids", ":", "'('"),
    ("apex-bind-limit", "SELECT Id FROM Account LIMIT :n", ":", "LIMIT"),
    ("empty-select", "SELECT FROM Account", "FROM", "field"),
    ("empty-where", "SELECT Id FROM Account WHERE", END, "field"),
    ("empty-where-before-order-by", "SELECT Id FROM Account WHERE ORDER BY Id", "ORDER", "field"),
    ("empty-order-by", "SELECT Id FROM Account ORDER BY", END, "field"),
    ("empty-order-by-before-limit", "SELECT Id FROM Account ORDER BY LIMIT 5", "LIMIT", "field"),
    ("empty-group-by", "SELECT Id FROM Account GROUP BY", END, "field"),
    ("empty-having", "SELECT COUNT(Id) FROM Account GROUP BY Name HAVING", END, "field"),
    ("empty-in-list", "SELECT Id FROM Account WHERE Id IN ()", ")", "value"),
    ("empty-subquery-select", "SELECT Id, (SELECT FROM Contacts) FROM Account", "FROM Contacts", "field"),
    ("empty-limit", "SELECT Id FROM Account LIMIT", END, "LIMIT"),
    ("empty-typeof", "SELECT TYPEOF What END FROM Event", "END", "WHEN"),
    ("unclosed-parenthesis", "SELECT Id FROM Account WHERE (Id = '1'", END, "')'"),
    ("extra-closing-parenthesis", "SELECT Id FROM Account WHERE Id = '1')", ")", "end of the query"),
    ("unclosed-nested-parentheses", "SELECT Id FROM Account WHERE ((Id = '1') OR Name = 'x'", END, "')'"),
    ("unclosed-in-list", "SELECT Id FROM Account WHERE Id IN ('1', '2'", END, "')'"),
    ("unclosed-subquery", "SELECT Id, (SELECT Id FROM Contacts FROM Account", "FROM Account", "')'"),
    ("negative-limit", "SELECT Id FROM Account LIMIT -1", "-1", "LIMIT"),
    ("negative-offset", "SELECT Id FROM Account OFFSET -5", "-5", "OFFSET"),
    ("fractional-limit", "SELECT Id FROM Account LIMIT 1.5", "1.5", "LIMIT"),
    ("unquoted-name", "SELECT Id FROM Account WHERE Name = Acme", "Acme", "quote"),
    ("field-on-the-right", "SELECT Id FROM Account WHERE Name = Account.Name", "Account.Name", "quote"),
    ("unquoted-in-list", "SELECT Id FROM Account WHERE Name IN (Acme, 'x')", "Acme", "quote"),
    ("unquoted-like", "SELECT Id FROM Account WHERE Name LIKE Acme", "Acme", "quote"),
    ("all-rows", "SELECT Id FROM Account ALL ROWS", "ALL", "ALL ROWS"),
    ("all-rows-after-where", "SELECT Id FROM Account WHERE IsDeleted = true ALL ROWS", "ALL", "ALL ROWS"),
    ("all-rows-lower-case", "select Id from Account all rows", "all", "ALL ROWS"),
    ("all-rows-after-alias", "SELECT a.Id FROM Account a ALL ROWS", "ALL", "ALL ROWS"),
    ("double-quoted-string", 'SELECT Id FROM Account WHERE Name = "Acme"', '"', "single quotes"),
    ("unterminated-string", "SELECT Id FROM Account WHERE Name = 'Acme", "'", "never closed"),
    ("escaped-closing-quote", "SELECT Id FROM Account WHERE Name = 'Acme\\'", "'", "never closed"),
    ("bad-escape", "SELECT Id FROM Account WHERE Name = 'a\\qb'", "\\q", "invalid escape"),
    ("short-unicode-escape", "SELECT Id FROM Account WHERE Name = 'a\\u12'", "\\u", "invalid escape"),
    ("escaped-newline", "SELECT Id FROM Account WHERE Name = 'a\\\nb'", "\\", "invalid escape"),
    ("month-13", "SELECT Id FROM Account WHERE CloseDate = 2026-13-01", "2026", "calendar date"),
    ("february-30", "SELECT Id FROM Account WHERE CloseDate = 2026-02-30", "2026", "calendar date"),
    ("year-zero", "SELECT Id FROM Account WHERE CloseDate = 0000-01-01", "0000", "calendar date"),
    ("hour-25", "SELECT Id FROM Account WHERE CreatedDate > 2026-01-31T25:00:00Z", "2026", "datetime"),
    ("offset-25-hours", "SELECT Id FROM Account WHERE CreatedDate > 2026-01-31T10:00:00+25:00", "2026", "datetime"),
    ("datetime-without-zone", "SELECT Id FROM Account WHERE CreatedDate > 2026-01-31T10:00:00", "2026", "zone"),
    ("datetime-without-seconds", "SELECT Id FROM Account WHERE CreatedDate > 2026-01-31T10:00Z", "2026", "zone"),
    (
        "datetime-with-long-fraction",
        "SELECT Id FROM Account WHERE CreatedDate > 2026-01-31T10:00:00.1234Z",
        "2026",
        "zone",
    ),
    ("unknown-scope", "SELECT Id FROM Account USING SCOPE Nobody", "Nobody", "USING SCOPE"),
    ("unknown-function", "SELECT Frobnicate(Id) FROM Account", "Frobnicate", "unknown function"),
    ("aggregate-without-argument", "SELECT SUM() FROM Account", "SUM", "argument"),
    ("date-literal-without-n", "SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS", END, ":n"),
    ("date-literal-with-unwanted-n", "SELECT Id FROM Account WHERE CreatedDate = TODAY:3", ":", "no :n"),
    ("date-literal-negative-n", "SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS:-3", "-3", "whole number"),
    (
        "semi-join-in-having",
        "SELECT Name FROM A GROUP BY Name HAVING Name IN (SELECT Name FROM B)",
        "SELECT Name FROM B",
        "semi",
    ),
    ("second-security-clause", "SELECT Id FROM Account WITH SECURITY_ENFORCED WITH USER_MODE", "USER_MODE", "WITH"),
    ("double-equals", "SELECT Id FROM Account WHERE Id == '1'", "= '1'", "value"),
    ("character-outside-soql", "SELECT Id FROM Account WHERE Name = 'x' & Id = '1'", "&", "not part of SOQL"),
    ("includes-with-number", "SELECT Id FROM Account WHERE Tags__c INCLUDES (1)", "1)", "quoted string"),
]


class TestRejections:
    @pytest.mark.parametrize(("text", "at", "problem"), [pytest.param(*row[1:], id=row[0]) for row in REJECTIONS])
    def test_invalid_queries_are_refused_at_the_spot(self, text: str, at: object, problem: str) -> None:
        """Each documented kind of invalid query raises SoqlSyntaxError pointing at the offending token."""
        err = refusal(text)
        assert err.offset == (len(text) if at is END else text.index(str(at)))
        assert problem in err.problem

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param(
                "SELECT Id FROM Article__kav WITH DATA CATEGORY Geography__c AT usa__c "
                "WITH DATA CATEGORY Product__c AT mobile__c",
                id="second-data-category-clause-silently-replaces-the-first",
            ),
            pytest.param("SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS :3", id="space-before-date-literal-n"),
            pytest.param("SELECT Id FROM Account LIMIT \u0663", id="arabic-indic-digit-limit"),
            pytest.param("SELECT Id FROM Account WHERE Amount = \u0661\u0662", id="arabic-indic-digit-number"),
            pytest.param("SELECT COUNT(Id, Name) FROM Account", id="aggregate-with-two-arguments"),
        ],
    )
    def test_near_misses_salesforce_rejects_are_refused(self, text: str) -> None:
        """Spellings Salesforce rejects are refused, not accepted and quietly rewritten (or partly dropped)."""
        refusal(text)


class TestKeywordCase:
    def test_keywords_are_case_insensitive(self) -> None:
        """Lower-case keywords give the same tree as upper-case ones when the names are spelled the same."""
        assert parse("select id from contact where name = 'x'") == parse("SELECT id FROM contact WHERE name = 'x'")

    def test_names_keep_their_spelling(self) -> None:
        """Identifiers are kept as written: case-insensitivity is for keywords, not for what the tree records."""
        assert parse("select id from contact").select == (ast.SelectExpr(ast.FieldRef(("id",))),)
        assert parse("SELECT Id FROM Contact").sobject == "Contact"

    @pytest.mark.parametrize(
        ("text", "canonical"),
        [
            pytest.param(
                "select count(id) n, calendar_year(createddate) y from opportunity o using scope mine "
                "where d = last_n_days:3 and e = today and not f in (null, true) and g includes ('a') "
                "with data category geo__c above_or_below (usa__c) with security_enforced "
                "group by rollup(calendar_year(createddate)) having count(id) > 1 "
                "order by calendar_year(createddate) desc nulls last limit 5 offset 1 for view update tracking",
                "SELECT COUNT(id) n, CALENDAR_YEAR(createddate) y FROM opportunity o USING SCOPE Mine "
                "WHERE d = LAST_N_DAYS:3 AND e = TODAY AND NOT f IN (null, true) AND g INCLUDES ('a') "
                "WITH DATA CATEGORY geo__c ABOVE_OR_BELOW usa__c WITH SECURITY_ENFORCED "
                "GROUP BY ROLLUP(CALENDAR_YEAR(createddate)) HAVING COUNT(id) > 1 "
                "ORDER BY CALENDAR_YEAR(createddate) DESC NULLS LAST LIMIT 5 OFFSET 1 FOR VIEW UPDATE TRACKING",
                id="clauses-functions-scopes-date-literals",
            ),
            pytest.param(
                "select fields(all), (select tolabel(status) s from cases where id not in ('1')) from account "
                "limit 200 for reference",
                "SELECT FIELDS(ALL), (SELECT toLabel(status) s FROM cases WHERE id NOT IN ('1')) FROM account "
                "LIMIT 200 FOR REFERENCE",
                id="fields-and-subquery",
            ),
            pytest.param(
                "select typeof what when account then phone else name end from event where x like 'a%' "
                "order by y asc nulls first",
                "SELECT TYPEOF what WHEN account THEN phone ELSE name END FROM event WHERE x LIKE 'a%' "
                "ORDER BY y ASC NULLS FIRST",
                id="typeof-like-ordering",
            ),
        ],
    )
    def test_every_kind_of_keyword_is_case_insensitive(self, text: str, canonical: str) -> None:
        """Clause words, functions, scopes, date literals and modifiers are all matched regardless of case."""
        assert render(parse(text)) == canonical

    @given(queries(), st.randoms(use_true_random=False))
    def test_changing_the_case_of_keywords_changes_nothing(self, query: ast.Query, rnd: random.Random) -> None:
        """Writing any keyword of a valid query in lower, upper or mixed case gives the same tree."""
        text = render(query)
        out, last = [], 0
        for token in tokenize(text):
            if token.kind == "ident" and token.text.upper() in KEYWORDS:
                word = rnd.choice((str.lower, str.upper, str.title, str.swapcase))(token.text)
                out += [text[last : token.pos], word]
                last = token.pos + len(token.text)
        assert parse("".join([*out, text[last:]])) == query


class TestAggregates:
    def test_aggregates_are_refused_in_where(self) -> None:
        """An aggregate function filters in HAVING; in WHERE it is refused, pointing at the function."""
        text = "SELECT Id FROM Account WHERE COUNT(Id) > 1"
        assert refusal(text).offset == text.index("COUNT")

    @pytest.mark.parametrize(
        "having",
        [
            pytest.param("(COUNT(Id) > 1 OR COUNT(Id) < 5)", id="inside-parentheses"),
            pytest.param("NOT (COUNT(Id) > 1)", id="inside-not-parentheses"),
            pytest.param("(Name = 'x' OR Name = 'y') AND COUNT(Id) > 1", id="after-parentheses"),
        ],
    )
    def test_aggregates_are_allowed_anywhere_in_having(self, having: str) -> None:
        """Parentheses inside HAVING are still HAVING: aggregates there are accepted and round-trip."""
        query = parse(f"SELECT Name, COUNT(Id) FROM Account GROUP BY Name HAVING {having}")
        assert parse(render(query)) == query


class TestNames:
    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("SELECT COUNT(Id) CNT1 FROM Account", id="select-alias"),
            pytest.param("SELECT a.Id FROM Account ACC1", id="object-alias"),
            pytest.param("SELECT Id FROM Account WHERE ABC1 = 1", id="field"),
            pytest.param("SELECT ABC1__c FROM Account", id="custom-field"),
        ],
    )
    def test_names_shaped_like_currency_amounts_are_names(self, text: str) -> None:
        """A name such as ``CNT1`` (three capitals then digits) is a name, not the currency amount ``CNT 1``."""
        assert render(parse(text)) == text

    def test_relationship_paths_keep_their_parts(self) -> None:
        """A dotted path becomes one field reference with one part per name."""
        query = parse("SELECT Account.Owner.Manager.Name FROM Contact")
        assert query.select == (ast.SelectExpr(ast.FieldRef(("Account", "Owner", "Manager", "Name"))),)
