"""The words of SOQL: reserved keywords, functions with their canonical spelling, date literals, scopes."""

from __future__ import annotations

from typing import Final

__all__ = ["AGGREGATES", "DATE_FUNCTIONS", "DATE_LITERALS", "DATE_LITERALS_N", "FUNCTIONS", "RESERVED", "SCOPES"]

RESERVED: Final = frozenset(
    """
    AND ASC BY DESC ELSE END EXCLUDES FALSE FIRST FOR FROM GROUP HAVING IN INCLUDES LAST LIKE LIMIT NOT NULL
    NULLS OFFSET OR ORDER SELECT THEN TRUE TYPEOF UPDATE USING WHEN WHERE WITH
    """.split()
)
"""Words that cannot name a field, an object or an alias (SOQL's reserved words plus clause keywords)."""

AGGREGATES: Final = frozenset({"AVG", "COUNT", "COUNT_DISTINCT", "MAX", "MIN", "SUM"})

DATE_FUNCTIONS: Final = frozenset(
    """
    CALENDAR_MONTH CALENDAR_QUARTER CALENDAR_YEAR DAY_IN_MONTH DAY_IN_WEEK DAY_IN_YEAR DAY_ONLY FISCAL_MONTH
    FISCAL_QUARTER FISCAL_YEAR HOUR_IN_DAY WEEK_IN_MONTH WEEK_IN_YEAR
    """.split()
)

FUNCTIONS: Final = {
    name.upper(): name
    for name in (
        *AGGREGATES,
        *DATE_FUNCTIONS,
        "toLabel",
        "convertCurrency",
        "convertTimezone",
        "FORMAT",
        "GROUPING",
        "DISTANCE",
        "GEOLOCATION",
    )
}
"""Upper-cased name → canonical spelling of every function SOQL knows; any other name is an error."""

DATE_LITERALS: Final = frozenset(
    """
    YESTERDAY TODAY TOMORROW LAST_WEEK THIS_WEEK NEXT_WEEK LAST_MONTH THIS_MONTH NEXT_MONTH LAST_90_DAYS
    NEXT_90_DAYS THIS_QUARTER LAST_QUARTER NEXT_QUARTER THIS_YEAR LAST_YEAR NEXT_YEAR THIS_FISCAL_QUARTER
    LAST_FISCAL_QUARTER NEXT_FISCAL_QUARTER THIS_FISCAL_YEAR LAST_FISCAL_YEAR NEXT_FISCAL_YEAR
    """.split()
)
"""Relative date literals without a parameter."""

DATE_LITERALS_N: Final = frozenset(
    """
    LAST_N_DAYS NEXT_N_DAYS N_DAYS_AGO NEXT_N_WEEKS LAST_N_WEEKS N_WEEKS_AGO NEXT_N_MONTHS LAST_N_MONTHS
    N_MONTHS_AGO NEXT_N_QUARTERS LAST_N_QUARTERS N_QUARTERS_AGO NEXT_N_YEARS LAST_N_YEARS N_YEARS_AGO
    NEXT_N_FISCAL_QUARTERS LAST_N_FISCAL_QUARTERS N_FISCAL_QUARTERS_AGO NEXT_N_FISCAL_YEARS LAST_N_FISCAL_YEARS
    N_FISCAL_YEARS_AGO
    """.split()
)
"""Relative date literals that take ``:n``."""

SCOPES: Final = {
    name.upper(): name
    for name in (
        "Delegated",
        "Everything",
        "Mine",
        "MineAndMyGroups",
        "mine_and_my_groups",
        "My_Territory",
        "My_Team_Territory",
        "MyTerritory",
        "MyTeamTerritory",
        "Team",
    )
}
"""``USING SCOPE`` values, upper-cased → canonical spelling."""
