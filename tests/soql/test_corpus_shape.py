"""The SOQL reference corpus itself: big enough, balanced, free of duplicates, and covering every date literal."""

from __future__ import annotations

import re
from collections import Counter

from tests.soql.corpus import CORPUS, DATE_LITERALS, DATE_LITERALS_N, UNSETTLED


def test_corpus_has_at_least_300_cases() -> None:
    """The corpus holds at least 300 queries."""
    assert len(CORPUS) >= 300


def test_corpus_has_at_least_100_invalid_cases() -> None:
    """At least 100 of the queries are ones the REST API rejects."""
    assert sum(not case.valid for case in CORPUS) >= 100


def test_corpus_has_no_duplicate_queries() -> None:
    """No query text appears twice, in the corpus or between the corpus and the unsettled list."""
    counts = Counter([case.soql for case in CORPUS] + [item.soql for item in UNSETTLED])
    assert [text[:80] for text, n in counts.items() if n > 1] == []


def test_every_feature_tag_is_non_empty() -> None:
    """Every case carries a non-blank feature tag."""
    assert [case.soql[:80] for case in CORPUS if not case.feature.strip()] == []


def test_every_date_literal_appears_in_a_valid_case() -> None:
    """Each documented date literal (and each ``:n`` form with a number) is used by at least one valid query."""
    valid_text = "\n".join(case.soql for case in CORPUS if case.valid)
    missing = [name for name in DATE_LITERALS if not re.search(rf"\b{name}\b(?!:)", valid_text)]
    missing += [name for name in DATE_LITERALS_N if not re.search(rf"\b{name}:\d+\b", valid_text)]
    assert missing == []
