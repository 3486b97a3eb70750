"""Reference corpus of SOQL queries with the verdict a parser of REST-API SOQL must give each one.

Every verdict in :data:`CORPUS` rests on Salesforce's *SOQL and SOSL Reference* (SELECT syntax, comparison and
logical operators, quoted-string escapes, date formats and date literals, aggregate and date functions, TYPEOF,
FIELDS(), USING SCOPE, WITH DATA CATEGORY, GROUP BY ROLLUP/CUBE, HAVING, ORDER BY, OFFSET, FOR VIEW/REFERENCE,
UPDATE TRACKING/VIEWSTAT, location-based queries, relationship-query limits), on its *Limits* cheat sheet and on
the *REST API Developer Guide*. A query is ``valid`` when the REST ``query`` resource accepts it (given an org
that has the objects and fields it names), ``invalid`` when Salesforce documents it as an error or it is not
SOQL at all.

Queries whose REST verdict those pages leave open are kept out of :data:`CORPUS` and listed in
:data:`UNSETTLED`, without a verdict, so that nobody mistakes a guess for a fact.

Feature tags are ``group.detail``; the group (the part before the first dot) is what the counts by feature
group use. Rejections all sit in the ``reject`` group.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["CORPUS", "DATE_LITERALS", "DATE_LITERALS_N", "UNSETTLED", "Case", "Unsettled"]


class Case(NamedTuple):
    """One query and the verdict for it: ``valid`` if the REST API accepts it, with a short tag and note."""

    soql: str
    valid: bool
    feature: str
    note: str = ""


class Unsettled(NamedTuple):
    """A query whose REST-API verdict Salesforce's documentation does not settle, and why."""

    soql: str
    feature: str
    why: str


DATE_LITERALS: tuple[str, ...] = (
    "YESTERDAY",
    "TODAY",
    "TOMORROW",
    "LAST_WEEK",
    "THIS_WEEK",
    "NEXT_WEEK",
    "LAST_MONTH",
    "THIS_MONTH",
    "NEXT_MONTH",
    "LAST_90_DAYS",
    "NEXT_90_DAYS",
    "THIS_QUARTER",
    "LAST_QUARTER",
    "NEXT_QUARTER",
    "THIS_YEAR",
    "LAST_YEAR",
    "NEXT_YEAR",
    "THIS_FISCAL_QUARTER",
    "LAST_FISCAL_QUARTER",
    "NEXT_FISCAL_QUARTER",
    "THIS_FISCAL_YEAR",
    "LAST_FISCAL_YEAR",
    "NEXT_FISCAL_YEAR",
)
"""Date literals that take no ``:n``."""

DATE_LITERALS_N: tuple[str, ...] = (
    "LAST_N_DAYS",
    "NEXT_N_DAYS",
    "N_DAYS_AGO",
    "NEXT_N_WEEKS",
    "LAST_N_WEEKS",
    "N_WEEKS_AGO",
    "NEXT_N_MONTHS",
    "LAST_N_MONTHS",
    "N_MONTHS_AGO",
    "NEXT_N_QUARTERS",
    "LAST_N_QUARTERS",
    "N_QUARTERS_AGO",
    "NEXT_N_YEARS",
    "LAST_N_YEARS",
    "N_YEARS_AGO",
    "NEXT_N_FISCAL_QUARTERS",
    "LAST_N_FISCAL_QUARTERS",
    "N_FISCAL_QUARTERS_AGO",
    "NEXT_N_FISCAL_YEARS",
    "LAST_N_FISCAL_YEARS",
    "N_FISCAL_YEARS_AGO",
)
"""Date literals written ``NAME:n`` with a whole number ``n``."""


def _or_chain(count: int) -> str:
    """``Name = 'Acme Subsidiary 000' OR …`` with ``count`` conditions, for the long-query cases."""
    return " OR ".join(f"Name = 'Acme Subsidiary {i:05d}'" for i in range(count))


_SELECT_ACCOUNT_WHERE = "SELECT Id, Name FROM Account WHERE "
_LONG_VALID = _SELECT_ACCOUNT_WHERE + _or_chain(150)  # about 5,000 characters
_TOO_LONG = _SELECT_ACCOUNT_WHERE + _or_chain(3100)  # over the 100,000-character statement limit
_STRING_4000 = "x" * 4000
_STRING_4001 = "y" * 4001

CORPUS: tuple[Case, ...] = (
    # ------------------------------------------------------------------ SELECT lists, objects, formatting
    Case("SELECT Id FROM Account", True, "select.basic", "smallest query"),
    Case("SELECT Id, Name, BillingCity FROM Account", True, "select.basic", "reference example"),
    Case("SELECT Id, FirstName, LastName, Email FROM Contact", True, "select.basic"),
    Case("SELECT Id, Name, StageName, Amount, CloseDate FROM Opportunity", True, "select.basic"),
    Case("SELECT Id, CaseNumber, Subject, Status, Priority FROM Case", True, "select.basic"),
    Case("SELECT Id, Company, Status, LeadSource FROM Lead", True, "select.basic"),
    Case("SELECT Id, Username, IsActive, ProfileId FROM User", True, "select.basic"),
    Case("SELECT Id, Subject, ActivityDate, WhoId, WhatId FROM Task", True, "select.basic"),
    Case("SELECT Id, Subject, StartDateTime, EndDateTime FROM Event", True, "select.basic"),
    Case("SELECT Id, Name, Amount__c, Status__c FROM Invoice__c", True, "select.custom-object"),
    Case("SELECT Id, Quantity__c, Unit_Price__c, Invoice__c FROM Line_Item__c", True, "select.custom-object"),
    Case("SELECT Id, acme__Score__c FROM acme__Rating__c", True, "select.custom-object", "namespaced names"),
    Case("select id, name from account", True, "select.keyword-case", "keywords and names are case-insensitive"),
    Case("SeLeCt Id FrOm Contact WhErE LastName = 'Smith'", True, "select.keyword-case", "mixed-case keywords"),
    Case("SELECT Id,Name,Industry FROM Account", True, "select.whitespace", "no space after commas"),
    Case("SELECT Id FROM Account WHERE Name='Acme'", True, "select.whitespace", "no space around ="),
    Case("   SELECT Id FROM Case   ", True, "select.whitespace", "leading and trailing spaces"),
    Case("\tSELECT Id\tFROM Lead\t", True, "select.whitespace", "tabs between tokens"),
    Case("SELECT Id FROM Lead\r\nWHERE IsConverted = false", True, "select.whitespace", "CRLF line break"),
    Case(
        "SELECT\n    Id,\n    Name\nFROM\n    Account\nWHERE\n    Industry = 'Media'\nORDER BY Name\nLIMIT 10",
        True,
        "select.multiline",
        "one clause per line",
    ),
    Case(
        "SELECT Id,\n       Account.Name,\n       Account.Owner.Email\n  FROM Contact\n WHERE Email != null\n",
        True,
        "select.multiline",
        "indented continuation lines, trailing newline",
    ),
    # ------------------------------------------------------------------ child-to-parent relationship paths
    Case("SELECT Id, Name, Account.Name FROM Contact WHERE Account.Industry = 'media'", True, "select.relationship"),
    Case("SELECT Id, Account.Owner.Name FROM Contact", True, "select.relationship", "two levels"),
    Case("SELECT Id, Contact.Account.Owner.FirstName FROM Case", True, "select.relationship", "three levels"),
    Case("SELECT Id, Account.Owner.Manager.Name FROM Opportunity", True, "select.relationship", "three levels"),
    Case("SELECT Id, Account.Owner.Manager.Manager.Name FROM Contact", True, "select.relationship", "four levels"),
    Case(
        "SELECT Id, Contact.Account.Owner.Manager.Manager.Name FROM Case",
        True,
        "select.relationship",
        "five levels, the documented maximum",
    ),
    Case("SELECT Id, Parent__r.Name FROM Invoice__c", True, "select.relationship", "custom relationship __r"),
    Case(
        "SELECT Id, Invoice__r.Account__r.Owner.Email FROM Line_Item__c",
        True,
        "select.relationship",
        "custom then standard relationships",
    ),
    Case("SELECT Id, Who.Name, What.Name FROM Task", True, "select.relationship", "polymorphic Who / What"),
    Case(
        "SELECT Description FROM Event WHERE What.Type IN ('Account', 'Opportunity')",
        True,
        "select.relationship",
        "filter on the Type of a polymorphic relationship",
    ),
    Case(
        "SELECT Id, CaseNumber, Account.Id, Account.Name FROM Case ORDER BY Account.Name",
        True,
        "select.relationship",
        "order by a parent field",
    ),
    # ------------------------------------------------------------------ FROM aliases and relationship FROM
    Case("SELECT a.Id, a.Name FROM Account a", True, "from.alias", "alias used in the field list"),
    Case("SELECT Id FROM Account a WHERE a.Industry = 'Media'", True, "from.alias", "alias used in WHERE"),
    Case("SELECT c.LastName, c.Account.Name FROM Contact c", True, "from.alias", "alias then a relationship"),
    Case(
        "SELECT count() FROM Contact c, c.Account a WHERE a.Name = 'MyriadPubs'",
        True,
        "from.alias",
        "reference example: two aliases in FROM",
    ),
    Case(
        "SELECT COUNT() FROM Contact, Contact.Account WHERE Account.Name = 'MyriadPubs'",
        True,
        "from.relationship",
        "reference example: relationship listed in FROM",
    ),
    # ------------------------------------------------------------------ aggregates and aliases
    Case("SELECT COUNT() FROM Contact", True, "aggregate.count"),
    Case("SELECT count() FROM Account WHERE Name LIKE 'a%'", True, "aggregate.count", "lower-case count()"),
    Case("SELECT COUNT() FROM Lead WHERE IsConverted = false LIMIT 500", True, "aggregate.count", "COUNT() + LIMIT"),
    Case("SELECT COUNT(Id) FROM Account WHERE Name LIKE 'a%'", True, "aggregate.count"),
    Case("SELECT COUNT(Id), COUNT(CampaignId) FROM Opportunity", True, "aggregate.count", "several COUNT(field)"),
    Case("SELECT COUNT_DISTINCT(Company) FROM Lead", True, "aggregate.count-distinct"),
    Case("SELECT COUNT_DISTINCT(Invoice__c) invoices FROM Line_Item__c", True, "aggregate.count-distinct"),
    Case("SELECT SUM(Amount) total FROM Opportunity", True, "aggregate.sum", "alias after the aggregate"),
    Case("SELECT AVG(Amount) FROM Opportunity", True, "aggregate.avg", "implied alias expr0"),
    Case("SELECT CampaignId, AVG(Amount) avgAmount FROM Opportunity GROUP BY CampaignId", True, "aggregate.avg"),
    Case("SELECT MIN(CloseDate), MAX(CloseDate) FROM Opportunity", True, "aggregate.min-max"),
    Case("select max(amount) from opportunity", True, "aggregate.min-max", "lower-case function name"),
    Case("SELECT Name n, MAX(Amount) max FROM Opportunity GROUP BY Name", True, "aggregate.alias", "reference"),
    Case(
        "SELECT Name, MAX(Amount), MIN(Amount) min, SUM(Amount) FROM Opportunity GROUP BY Name",
        True,
        "aggregate.alias",
        "mixed explicit and implied aliases",
    ),
    Case(
        "SELECT Invoice__c, SUM(Quantity__c) qty, AVG(Unit_Price__c) price FROM Line_Item__c GROUP BY Invoice__c",
        True,
        "aggregate.sum",
        "custom object",
    ),
    Case("SELECT COUNT( Id ) FROM Case", True, "aggregate.count", "spaces inside the parentheses"),
    # ------------------------------------------------------------------ toLabel, convertCurrency, FORMAT, GROUPING
    Case("SELECT Company, toLabel(Recordtype.Name) FROM Lead", True, "function.tolabel", "reference example"),
    Case("SELECT Company, Status, toLabel(Status) translatedStatus FROM Lead", True, "function.tolabel", "alias"),
    Case(
        "SELECT Company, toLabel(Status) FROM Lead WHERE toLabel(Status) = 'le Draft'",
        True,
        "function.tolabel",
        "toLabel in WHERE (documented)",
    ),
    Case("SELECT Id, convertCurrency(AnnualRevenue) FROM Account", True, "function.convertcurrency"),
    Case("SELECT Id, convertCurrency(Amount) convertedAmount FROM Opportunity", True, "function.convertcurrency"),
    Case("SELECT FORMAT(Amount) FROM Opportunity", True, "function.format"),
    Case(
        "SELECT Id, LastModifiedDate, FORMAT(LastModifiedDate) formattedDate FROM Account",
        True,
        "function.format",
        "alias required when a field repeats",
    ),
    Case(
        "SELECT Amount, FORMAT(Amount) Amt, convertCurrency(Amount) convertedAmount, "
        "FORMAT(convertCurrency(Amount)) convertedCurrency FROM Opportunity WHERE Id = '006R00000024gDtIAI'",
        True,
        "function.format",
        "FORMAT around convertCurrency",
    ),
    Case("SELECT FORMAT(MIN(CloseDate)) Amt FROM Opportunity", True, "function.format", "FORMAT around aggregate"),
    Case(
        "SELECT LeadSource, Rating, GROUPING(LeadSource) grpLS, GROUPING(Rating) grpRating, COUNT(Name) cnt "
        "FROM Lead GROUP BY ROLLUP(LeadSource, Rating)",
        True,
        "function.grouping",
        "reference example",
    ),
    Case(
        "SELECT Type, BillingCountry, GROUPING(Type) grpType, GROUPING(BillingCountry) grpCty, COUNT(Id) accts "
        "FROM Account GROUP BY CUBE(Type, BillingCountry) ORDER BY GROUPING(Type), GROUPING(BillingCountry)",
        True,
        "function.grouping",
        "GROUPING in ORDER BY with CUBE",
    ),
    Case(
        "SELECT LeadSource, COUNT(Id) cnt FROM Lead GROUP BY ROLLUP(LeadSource) HAVING GROUPING(LeadSource) = 0",
        True,
        "function.grouping",
        "GROUPING in HAVING",
    ),
    # ------------------------------------------------------------------ date functions and convertTimezone
    Case(
        "SELECT CALENDAR_YEAR(CreatedDate), SUM(Amount) FROM Opportunity GROUP BY CALENDAR_YEAR(CreatedDate)",
        True,
        "function.date",
        "CALENDAR_YEAR in SELECT and GROUP BY",
    ),
    Case(
        "SELECT CreatedDate, Amount FROM Opportunity WHERE CALENDAR_YEAR(CreatedDate) = 2009",
        True,
        "function.date",
        "CALENDAR_YEAR in WHERE",
    ),
    Case(
        "SELECT CALENDAR_MONTH(CloseDate) m, SUM(Amount) FROM Opportunity GROUP BY CALENDAR_MONTH(CloseDate)",
        True,
        "function.date",
        "CALENDAR_MONTH",
    ),
    Case("SELECT Id FROM Opportunity WHERE CALENDAR_QUARTER(CloseDate) = 2", True, "function.date"),
    Case("SELECT Id FROM Contact WHERE DAY_IN_MONTH(Birthdate) = 15", True, "function.date", "DAY_IN_MONTH"),
    Case(
        "SELECT DAY_IN_WEEK(CreatedDate), COUNT(Id) FROM Case GROUP BY DAY_IN_WEEK(CreatedDate)",
        True,
        "function.date",
        "DAY_IN_WEEK",
    ),
    Case("SELECT Id FROM Event WHERE DAY_IN_YEAR(ActivityDate) > 300", True, "function.date", "DAY_IN_YEAR"),
    Case(
        "SELECT DAY_ONLY(CreatedDate) day, COUNT(Id) FROM Task GROUP BY DAY_ONLY(CreatedDate)",
        True,
        "function.date",
        "DAY_ONLY on a dateTime",
    ),
    Case(
        "SELECT FISCAL_MONTH(CloseDate), COUNT(Id) FROM Opportunity GROUP BY FISCAL_MONTH(CloseDate)",
        True,
        "function.date",
        "FISCAL_MONTH",
    ),
    Case("SELECT Id FROM Opportunity WHERE FISCAL_QUARTER(CloseDate) = 3", True, "function.date"),
    Case(
        "SELECT FISCAL_YEAR(CloseDate) fy, SUM(Amount) FROM Opportunity GROUP BY FISCAL_YEAR(CloseDate)",
        True,
        "function.date",
        "FISCAL_YEAR",
    ),
    Case(
        "SELECT HOUR_IN_DAY(convertTimezone(CreatedDate)), SUM(Amount) FROM Opportunity "
        "GROUP BY HOUR_IN_DAY(convertTimezone(CreatedDate))",
        True,
        "function.converttimezone",
        "reference example: convertTimezone inside a date function",
    ),
    Case(
        "SELECT Id FROM Case WHERE HOUR_IN_DAY(convertTimezone(CreatedDate)) > 17",
        True,
        "function.converttimezone",
        "in WHERE",
    ),
    Case(
        "SELECT WEEK_IN_MONTH(CreatedDate), COUNT(Id) FROM Lead GROUP BY WEEK_IN_MONTH(CreatedDate)",
        True,
        "function.date",
        "WEEK_IN_MONTH",
    ),
    Case("SELECT Id FROM Lead WHERE WEEK_IN_YEAR(CreatedDate) = 12", True, "function.date", "WEEK_IN_YEAR"),
    Case(
        "SELECT CALENDAR_YEAR(CloseDate) yr, SUM(Amount) FROM Opportunity GROUP BY CALENDAR_YEAR(CloseDate) "
        "ORDER BY CALENDAR_YEAR(CloseDate) DESC",
        True,
        "function.date",
        "date function in ORDER BY",
    ),
    # ------------------------------------------------------------------ TYPEOF
    Case(
        "SELECT TYPEOF What WHEN Account THEN Phone, NumberOfEmployees WHEN Opportunity THEN Amount, CloseDate "
        "ELSE Name, Email END FROM Event",
        True,
        "typeof.else",
        "reference example",
    ),
    Case(
        "SELECT Id, TYPEOF What WHEN Account THEN Phone, NumberOfEmployees WHEN Opportunity THEN Amount "
        "ELSE Name END FROM Task",
        True,
        "typeof.else",
        "TYPEOF after a plain field",
    ),
    Case(
        "SELECT TYPEOF What WHEN Account THEN Phone WHEN Opportunity THEN Amount END FROM Event",
        True,
        "typeof.when",
        "ELSE is optional",
    ),
    Case(
        "SELECT Id, TYPEOF Owner WHEN User THEN UserType END, CreatedBy.UserType FROM Lead",
        True,
        "typeof.when",
        "TYPEOF followed by another field",
    ),
    Case(
        "SELECT TYPEOF What WHEN Account THEN Name END, TYPEOF Who WHEN Contact THEN Email WHEN Lead THEN Company "
        "END FROM Task",
        True,
        "typeof.multiple",
        "two TYPEOF expressions",
    ),
    Case(
        "SELECT\n  TYPEOF What\n    WHEN Account THEN Phone, NumberOfEmployees\n    WHEN Opportunity THEN Amount\n"
        "    ELSE Name\n  END\nFROM Event\nWHERE CreatedDate = THIS_MONTH",
        True,
        "typeof.multiline",
    ),
    Case("select typeof What when Account then Name end from Event", True, "typeof.keyword-case"),
    # ------------------------------------------------------------------ parent-to-child subqueries
    Case("SELECT Name, (SELECT LastName FROM Contacts) FROM Account", True, "subquery.basic", "reference example"),
    Case(
        "SELECT Account.Name, (SELECT Contact.LastName FROM Account.Contacts) FROM Account",
        True,
        "subquery.basic",
        "qualified relationship and field",
    ),
    Case(
        "SELECT Id, Name, (SELECT Id, LastName FROM Contacts WHERE Email != null ORDER BY LastName DESC LIMIT 5) "
        "FROM Account WHERE Industry = 'Media'",
        True,
        "subquery.clauses",
        "subquery with its own WHERE, ORDER BY and LIMIT",
    ),
    Case(
        "SELECT Id, Name, (SELECT Id, Quantity__c FROM Line_Items__r ORDER BY CreatedDate) FROM Invoice__c",
        True,
        "subquery.custom",
        "custom child relationship __r",
    ),
    Case(
        "SELECT Id, (SELECT Id FROM Contacts), (SELECT Id, Amount FROM Opportunities WHERE IsClosed = false) "
        "FROM Account",
        True,
        "subquery.multiple",
    ),
    Case("SELECT Name, (SELECT CreatedBy.Name FROM Notes) FROM Account", True, "subquery.relationship"),
    Case(
        "SELECT Account.Name, (SELECT FIELDS(ALL) FROM Account.Contacts LIMIT 200) FROM Account",
        True,
        "subquery.fields",
        "FIELDS() inside a subquery",
    ),
    Case(
        "SELECT Id, ( SELECT Id FROM Cases WHERE Status = 'New' ) FROM Contact",
        True,
        "subquery.whitespace",
        "spaces inside the parentheses",
    ),
    Case(
        "SELECT Name, (SELECT LastName, (SELECT AssetLevel FROM Assets) FROM Contacts) FROM Account",
        True,
        "subquery.nested",
        "API 58.0+: up to five parent-to-child levels through REST",
    ),
    # ------------------------------------------------------------------ FIELDS()
    Case("SELECT FIELDS(ALL) FROM Account LIMIT 200", True, "fields.all"),
    Case("SELECT FIELDS(CUSTOM) FROM Account LIMIT 200", True, "fields.custom"),
    Case("SELECT FIELDS(STANDARD) FROM Account", True, "fields.standard", "bounded: no LIMIT needed"),
    Case("SELECT FIELDS(STANDARD) FROM Contact WHERE LastName = 'Smith'", True, "fields.standard"),
    Case("SELECT Name, Id, FIELDS(CUSTOM) FROM Account LIMIT 200", True, "fields.mixed", "with named fields"),
    Case("SELECT someCustomField__c, FIELDS(STANDARD) FROM Account", True, "fields.mixed"),
    Case("SELECT FIELDS(ALL) FROM Invoice__c ORDER BY CreatedDate DESC LIMIT 50", True, "fields.all"),
    # ------------------------------------------------------------------ USING SCOPE
    Case("SELECT Id FROM Account USING SCOPE Mine", True, "scope.mine"),
    Case("SELECT Id FROM Account USING SCOPE Everything WHERE Industry = 'Media'", True, "scope.everything"),
    Case("SELECT Id, Name FROM Account USING SCOPE Team", True, "scope.team"),
    Case("SELECT Id, Subject FROM Task USING SCOPE Delegated", True, "scope.delegated"),
    Case("SELECT Id FROM Account USING SCOPE my_territory", True, "scope.territory", "documented spelling"),
    Case("SELECT Id FROM Opportunity USING SCOPE my_team_territory", True, "scope.territory", "documented spelling"),
    Case(
        "SELECT Id FROM ProcessInstanceWorkitem USING SCOPE mine_and_my_groups",
        True,
        "scope.groups",
        "documented for ProcessInstanceWorkItem",
    ),
    Case("select id from case using scope mine", True, "scope.keyword-case"),
    # ------------------------------------------------------------------ WHERE: comparison operators
    Case("SELECT Id FROM Account WHERE Name = 'Acme'", True, "where.eq"),
    Case("SELECT Id FROM Contact WHERE Email != null", True, "where.ne"),
    Case("SELECT Id FROM Opportunity WHERE Amount < 1000", True, "where.lt"),
    Case("SELECT Id FROM Opportunity WHERE Amount <= 1000", True, "where.le"),
    Case("SELECT Id FROM Account WHERE NumberOfEmployees > 50", True, "where.gt"),
    Case("SELECT Id FROM Case WHERE CreatedDate >= 2026-01-01T00:00:00Z", True, "where.ge"),
    Case("SELECT Id FROM Opportunity WHERE Amount >= 1000 AND Amount < 5000", True, "where.range"),
    Case("SELECT Id, Name FROM Account WHERE Name LIKE 'Acme%'", True, "where.like", "% wildcard"),
    Case("SELECT Id FROM Contact WHERE LastName LIKE '_mith'", True, "where.like", "_ wildcard"),
    Case("SELECT Id FROM Lead WHERE Company LIKE '%corp%'", True, "where.like"),
    Case("select AccountId, FirstName, lastname from Contact where lastname like 'appl%'", True, "where.like"),
    # ------------------------------------------------------------------ WHERE: logic
    Case(
        "SELECT Name FROM Account WHERE AnnualRevenue > 0 AND (NOT Type = 'Prospect')",
        True,
        "where.not",
        "reference example",
    ),
    Case("SELECT Id FROM Lead WHERE NOT Status = 'Closed'", True, "where.not"),
    Case("SELECT Id FROM Account WHERE NOT (Industry = 'Media' OR Industry = 'Retail')", True, "where.not"),
    Case(
        "SELECT Id FROM Contact WHERE LastName = 'Young' or Account.Name = 'Quarry'",
        True,
        "where.or",
        "reference example",
    ),
    Case("SELECT Id FROM Case WHERE Status = 'New' AND Priority = 'High' AND Origin = 'Web'", True, "where.and"),
    Case("SELECT Id FROM Case WHERE Status = 'New' OR Status = 'Escalated' OR Status = 'On Hold'", True, "where.or"),
    Case(
        "SELECT Id FROM Opportunity WHERE (StageName = 'Prospecting' OR StageName = 'Qualification') "
        "AND Amount > 10000",
        True,
        "where.parens",
    ),
    Case(
        "SELECT Id FROM Lead WHERE Rating = 'Hot' AND (LeadSource = 'Web' OR LeadSource = 'Phone Inquiry')",
        True,
        "where.parens",
    ),
    Case(
        "SELECT Id FROM Account WHERE ((Industry = 'Media' AND Rating = 'Hot') OR (Industry = 'Retail' AND "
        "NumberOfEmployees > 100)) AND IsDeleted = false",
        True,
        "where.parens",
        "nested parentheses",
    ),
    Case("SELECT Id FROM Account WHERE (Name = 'Acme')", True, "where.parens", "redundant parentheses"),
    # ------------------------------------------------------------------ WHERE: IN, NOT IN, semi- and anti-joins
    Case(
        "SELECT Name FROM Account WHERE BillingState IN ('California', 'New York')",
        True,
        "where.in",
        "reference example",
    ),
    Case("SELECT Id FROM Account WHERE NumberOfEmployees IN (10, 50, 100)", True, "where.in", "numbers"),
    Case("SELECT Id FROM Opportunity WHERE CloseDate IN (2026-01-31, 2026-02-28)", True, "where.in", "dates"),
    Case("SELECT Id FROM Account WHERE Industry NOT IN ('Media', 'Retail')", True, "where.not-in"),
    Case("SELECT Id FROM Contact WHERE Id IN('003000000000001AAA','003000000000002AAA')", True, "where.in"),
    Case(
        "SELECT Id, Name FROM Account WHERE Id IN (SELECT AccountId FROM Opportunity WHERE StageName = 'Closed Lost')",
        True,
        "where.in-subquery",
        "semi-join, reference example",
    ),
    Case(
        "SELECT Id FROM Account WHERE Id NOT IN (SELECT AccountId FROM Opportunity WHERE IsClosed = false)",
        True,
        "where.not-in-subquery",
        "anti-join, reference example",
    ),
    Case(
        "SELECT Id, Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE LastName LIKE 'apple%') "
        "AND Id IN (SELECT AccountId FROM Opportunity WHERE isClosed = false)",
        True,
        "where.in-subquery",
        "two semi-joins",
    ),
    Case(
        "SELECT Id FROM Opportunity WHERE AccountId IN (SELECT AccountId FROM Contact "
        "WHERE Email LIKE '%@example.com')",
        True,
        "where.in-subquery",
        "semi-join on a reference field",
    ),
    Case(
        "SELECT Id FROM Invoice__c WHERE Id IN (SELECT Invoice__c FROM Line_Item__c WHERE Quantity__c > 10)",
        True,
        "where.in-subquery",
        "custom objects",
    ),
    Case(
        "SELECT Id FROM Contact\nWHERE Id NOT IN (\n    SELECT ContactId\n    FROM Case\n    WHERE Status = 'New'\n)",
        True,
        "where.not-in-subquery",
        "multi-line anti-join",
    ),
    # ------------------------------------------------------------------ WHERE: multi-select picklists
    Case("SELECT Id, MSP1__c FROM CustObj__c WHERE MSP1__c = 'AAA;BBB'", True, "where.msp-eq", "exact match"),
    Case(
        "SELECT Id, MSP1__c FROM CustObj__c WHERE MSP1__c includes ('AAA;BBB','CCC')",
        True,
        "where.includes",
        "reference example",
    ),
    Case("SELECT Id FROM Invoice__c WHERE Regions__c INCLUDES ('EMEA')", True, "where.includes"),
    Case("SELECT Id FROM Invoice__c WHERE Regions__c INCLUDES ('EMEA', 'APAC', 'AMER')", True, "where.includes"),
    Case("SELECT Id FROM Invoice__c WHERE Regions__c EXCLUDES ('APAC')", True, "where.excludes"),
    Case("SELECT Id FROM Contact WHERE Languages__c EXCLUDES ('fr;de', 'es')", True, "where.excludes"),
    # ------------------------------------------------------------------ literals: null and booleans
    Case("SELECT Id FROM Contact WHERE AccountId = null", True, "literal.null"),
    Case("SELECT Id FROM Contact WHERE MailingCity != NULL", True, "literal.null", "upper-case NULL"),
    Case("SELECT Id FROM Account WHERE IsDeleted = false", True, "literal.boolean"),
    Case("SELECT Id FROM Opportunity WHERE IsClosed = TRUE", True, "literal.boolean"),
    Case("SELECT Id FROM Opportunity WHERE IsWon = True AND IsClosed = FALSE", True, "literal.boolean", "any case"),
    # ------------------------------------------------------------------ literals: strings and escapes
    Case(r"SELECT Id FROM Account WHERE Name = 'Bob\'s BBQ'", True, "literal.string-escape", r"\' escape"),
    Case(r"SELECT Id FROM Account WHERE Name = 'The \"Best\" Co'", True, "literal.string-escape", r"\" escape"),
    Case(r"SELECT Id FROM Account WHERE Name = 'C:\\share'", True, "literal.string-escape", r"\\ escape"),
    Case(r"SELECT Id FROM Case WHERE Subject = 'line1\nline2'", True, "literal.string-escape", r"\n escape"),
    Case(r"SELECT Id FROM Case WHERE Subject = 'a\rb\tc'", True, "literal.string-escape", r"\r and \t escapes"),
    Case(r"SELECT Id FROM Case WHERE Subject = 'a\bb\fc'", True, "literal.string-escape", r"\b and \f escapes"),
    Case(r"SELECT Id FROM Case WHERE Subject = 'x\Ny\Rz\Tw'", True, "literal.string-escape", "upper-case forms"),
    Case(r"SELECT Id FROM Account WHERE Name = 'Caf\u00e9'", True, "literal.string-unicode", r"\uXXXX escape"),
    Case(r"SELECT Id FROM Account WHERE Name = '\u00C9t\u00E9'", True, "literal.string-unicode", "upper-case hex"),
    Case(r"SELECT Id FROM Account WHERE Name LIKE 'Ter\%'", True, "literal.like-escape", "literal percent"),
    Case(r"SELECT Id FROM Account WHERE Name LIKE 'Ter\%%'", True, "literal.like-escape", "reference example"),
    Case(r"SELECT Id FROM Account WHERE Name LIKE 'a\_b%'", True, "literal.like-escape", "literal underscore"),
    Case("SELECT Id FROM Account WHERE BillingCity = 'Zürich'", True, "literal.string", "non-ASCII text"),
    Case("SELECT Id FROM Account WHERE Name = '東京支社'", True, "literal.string", "CJK text"),
    Case("SELECT Id FROM Account WHERE Name = 'a;b, (c) -- d /* e */'", True, "literal.string", "syntax in string"),
    Case("SELECT Id FROM Account WHERE Name != ''", True, "literal.string", "empty string"),
    Case(
        "SELECT Id FROM Account WHERE Name LIKE '" + _STRING_4000 + "'",
        True,
        "literal.string-length",
        "4,000 characters: the documented maximum for one WHERE string",
    ),
    # ------------------------------------------------------------------ literals: numbers and currency
    Case("SELECT Id FROM Account WHERE NumberOfEmployees = 0", True, "literal.integer"),
    Case("SELECT Id FROM Opportunity WHERE Amount = 1500.75", True, "literal.decimal"),
    Case("SELECT Id FROM Opportunity WHERE Amount > -100", True, "literal.negative"),
    Case("SELECT Id FROM Account WHERE AnnualRevenue < -0.5", True, "literal.negative", "negative decimal"),
    Case("SELECT Name FROM Merchandise__c WHERE Price__c > 5.0", True, "literal.decimal", "reference example"),
    Case("SELECT Id, Name FROM Opportunity WHERE Amount > USD5000", True, "literal.currency", "reference example"),
    Case("SELECT Id FROM Opportunity WHERE Amount < JPY5000", True, "literal.currency"),
    Case("SELECT Id FROM Account WHERE AnnualRevenue >= EUR100.50", True, "literal.currency", "decimal amount"),
    Case(
        "SELECT Id FROM Opportunity WHERE Amount IN (USD5000, USD7500)",
        True,
        "literal.currency",
        "IN list of currency values, not mixed with plain numbers",
    ),
    # ------------------------------------------------------------------ literals: dates and datetimes
    Case("SELECT Id FROM Opportunity WHERE CloseDate = 2026-01-31", True, "literal.date"),
    Case("SELECT Id FROM Opportunity WHERE CloseDate > 1999-01-01", True, "literal.date"),
    Case("SELECT Id FROM Account WHERE CreatedDate > 2026-01-31T10:00:00Z", True, "literal.datetime", "UTC Z"),
    Case("SELECT Id FROM Account WHERE CreatedDate > 2026-01-31T10:00:00+02:00", True, "literal.datetime", "offset"),
    Case("SELECT Id FROM Account WHERE CreatedDate < 1999-01-01T23:01:01-08:00", True, "literal.datetime", "offset"),
    Case(
        "SELECT Name FROM Account WHERE CreatedDate > 2011-04-26T10:00:00-08:00",
        True,
        "literal.datetime",
        "reference example",
    ),
    Case("SELECT Id FROM Task WHERE DAY_ONLY(CreatedDate) = 2026-01-31", True, "literal.date", "vs date function"),
    # ------------------------------------------------------------------ date literals without n
    Case("SELECT Id FROM Account WHERE CreatedDate = YESTERDAY", True, "literal.date-range"),
    Case("SELECT Id FROM Account WHERE CreatedDate > TODAY", True, "literal.date-range"),
    Case("SELECT Id FROM Opportunity WHERE CloseDate = TOMORROW", True, "literal.date-range"),
    Case("SELECT Id FROM Account WHERE CreatedDate > LAST_WEEK", True, "literal.date-range"),
    Case("SELECT Id FROM Account WHERE CreatedDate < THIS_WEEK", True, "literal.date-range"),
    Case("SELECT Id FROM Opportunity WHERE CloseDate = NEXT_WEEK", True, "literal.date-range"),
    Case("SELECT Id FROM Opportunity WHERE CloseDate > LAST_MONTH", True, "literal.date-range"),
    Case("SELECT Id FROM Account WHERE CreatedDate < THIS_MONTH", True, "literal.date-range"),
    Case("SELECT Id FROM Opportunity WHERE CloseDate = NEXT_MONTH", True, "literal.date-range"),
    Case("SELECT Id FROM Account WHERE CreatedDate = LAST_90_DAYS", True, "literal.date-range"),
    Case("SELECT Id FROM Opportunity WHERE CloseDate > NEXT_90_DAYS", True, "literal.date-range"),
    Case("SELECT Id FROM Account WHERE CreatedDate = THIS_QUARTER", True, "literal.date-range"),
    Case("SELECT Id FROM Account WHERE CreatedDate > LAST_QUARTER", True, "literal.date-range"),
    Case("SELECT Id FROM Account WHERE CreatedDate < NEXT_QUARTER", True, "literal.date-range"),
    Case("SELECT Id FROM Opportunity WHERE CloseDate = THIS_YEAR", True, "literal.date-range"),
    Case("SELECT Id FROM Opportunity WHERE CloseDate > LAST_YEAR", True, "literal.date-range"),
    Case("SELECT Id FROM Opportunity WHERE CloseDate < NEXT_YEAR", True, "literal.date-range"),
    Case("SELECT Id FROM Account WHERE CreatedDate = THIS_FISCAL_QUARTER", True, "literal.date-range"),
    Case("SELECT Id FROM Account WHERE CreatedDate > LAST_FISCAL_QUARTER", True, "literal.date-range"),
    Case("SELECT Id FROM Account WHERE CreatedDate < NEXT_FISCAL_QUARTER", True, "literal.date-range"),
    Case("SELECT Id FROM Opportunity WHERE CloseDate = THIS_FISCAL_YEAR", True, "literal.date-range"),
    Case("SELECT Id FROM Opportunity WHERE CloseDate > LAST_FISCAL_YEAR", True, "literal.date-range"),
    Case("SELECT Id FROM Opportunity WHERE CloseDate < NEXT_FISCAL_YEAR", True, "literal.date-range"),
    Case("select id from Task where ActivityDate = today", True, "literal.date-range", "lower-case literal"),
    # ------------------------------------------------------------------ date literals with :n
    Case("SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS:365", True, "literal.date-n"),
    Case("SELECT Id FROM Opportunity WHERE CloseDate > NEXT_N_DAYS:15", True, "literal.date-n"),
    Case("SELECT Id FROM Case WHERE CreatedDate = N_DAYS_AGO:7", True, "literal.date-n"),
    Case("SELECT Id FROM Opportunity WHERE CloseDate = NEXT_N_WEEKS:4", True, "literal.date-n"),
    Case("SELECT Id FROM Lead WHERE CreatedDate = LAST_N_WEEKS:2", True, "literal.date-n"),
    Case("SELECT Id FROM Lead WHERE CreatedDate = N_WEEKS_AGO:3", True, "literal.date-n"),
    Case("SELECT Id FROM Opportunity WHERE CloseDate < NEXT_N_MONTHS:6", True, "literal.date-n"),
    Case("SELECT Id FROM Task WHERE ActivityDate = LAST_N_MONTHS:12", True, "literal.date-n"),
    Case("SELECT Id FROM Event WHERE ActivityDate = N_MONTHS_AGO:1", True, "literal.date-n"),
    Case("SELECT Id FROM Opportunity WHERE CloseDate = NEXT_N_QUARTERS:2", True, "literal.date-n"),
    Case("SELECT Id FROM Account WHERE CreatedDate = LAST_N_QUARTERS:2", True, "literal.date-n"),
    Case("SELECT Id FROM Account WHERE CreatedDate = N_QUARTERS_AGO:4", True, "literal.date-n"),
    Case("SELECT Id FROM Invoice__c WHERE Due_Date__c = NEXT_N_YEARS:5", True, "literal.date-n"),
    Case("SELECT Id FROM Account WHERE CreatedDate = LAST_N_YEARS:10", True, "literal.date-n"),
    Case("SELECT Id FROM Contact WHERE Birthdate = N_YEARS_AGO:30", True, "literal.date-n"),
    Case("SELECT Id FROM Opportunity WHERE CloseDate = NEXT_N_FISCAL_QUARTERS:3", True, "literal.date-n"),
    Case("SELECT Id FROM Opportunity WHERE CloseDate = LAST_N_FISCAL_QUARTERS:3", True, "literal.date-n"),
    Case("SELECT Id FROM Opportunity WHERE CloseDate = N_FISCAL_QUARTERS_AGO:2", True, "literal.date-n"),
    Case("SELECT Id FROM Opportunity WHERE CloseDate = NEXT_N_FISCAL_YEARS:2", True, "literal.date-n"),
    Case("SELECT Id FROM Opportunity WHERE CloseDate = LAST_N_FISCAL_YEARS:2", True, "literal.date-n"),
    Case("SELECT Id FROM Opportunity WHERE CloseDate = N_FISCAL_YEARS_AGO:1", True, "literal.date-n"),
    Case(
        "SELECT Id FROM Case WHERE CreatedDate = LAST_N_DAYS:30 AND ClosedDate != null",
        True,
        "literal.date-n",
        "followed by another condition",
    ),
    # ------------------------------------------------------------------ WITH DATA CATEGORY
    Case(
        "SELECT Title FROM KnowledgeArticleVersion WHERE PublishStatus='online' "
        "WITH DATA CATEGORY Geography__c ABOVE usa__c",
        True,
        "with.data-category",
        "reference example",
    ),
    Case(
        "SELECT Title FROM KnowledgeArticleVersion WHERE PublishStatus = 'online' "
        "WITH DATA CATEGORY Geography__c AT usa__c AND Product__c ABOVE_OR_BELOW mobile_phones__c",
        True,
        "with.data-category",
        "two groups joined by AND",
    ),
    Case(
        "SELECT Title FROM KnowledgeArticleVersion WHERE PublishStatus = 'draft' "
        "WITH DATA CATEGORY Geography__c BELOW europe__c",
        True,
        "with.data-category",
    ),
    Case(
        "SELECT Title FROM KnowledgeArticleVersion WHERE PublishStatus = 'online' "
        "WITH DATA CATEGORY Geography__c AT (usa__c, france__c, uk__c)",
        True,
        "with.data-category",
        "several categories in parentheses",
    ),
    Case(
        "SELECT Id, Title FROM Question WITH DATA CATEGORY Product__c AT mobile_phones__c",
        True,
        "with.data-category",
        "Question needs no WHERE",
    ),
    Case(
        "SELECT Title FROM FAQ__kav WHERE PublishStatus = 'online' AND Language = 'en_US' "
        "WITH DATA CATEGORY Geography__c ABOVE_OR_BELOW europe__c ORDER BY Title LIMIT 10",
        True,
        "with.data-category",
        "article type followed by ORDER BY and LIMIT",
    ),
    # ------------------------------------------------------------------ GROUP BY, ROLLUP, CUBE, HAVING
    Case("SELECT LeadSource, COUNT(Name) FROM Lead GROUP BY LeadSource", True, "group.basic"),
    Case(
        "SELECT Industry, Rating, COUNT(Id) FROM Account GROUP BY Industry, Rating",
        True,
        "group.basic",
        "two grouping fields",
    ),
    Case("SELECT Account.Industry, SUM(Amount) FROM Opportunity GROUP BY Account.Industry", True, "group.relationship"),
    Case("SELECT LeadSource, COUNT(Name) cnt FROM Lead GROUP BY ROLLUP(LeadSource)", True, "group.rollup"),
    Case(
        "SELECT Status, LeadSource, Rating, COUNT(Id) FROM Lead GROUP BY ROLLUP(Status, LeadSource, Rating)",
        True,
        "group.rollup",
        "three fields, the documented maximum",
    ),
    Case("SELECT Type, COUNT(Id) FROM Account GROUP BY CUBE(Type)", True, "group.cube"),
    Case("SELECT LeadSource, COUNT(Name) FROM Lead GROUP BY LeadSource HAVING COUNT(Name) > 100", True, "having.basic"),
    Case(
        "SELECT Name, Count(Id) FROM Account GROUP BY Name HAVING Count(Id) > 1",
        True,
        "having.basic",
        "duplicate names",
    ),
    Case(
        "SELECT StageName, SUM(Amount) total, COUNT(Id) n FROM Opportunity GROUP BY StageName "
        "HAVING COUNT(Id) > 1 AND SUM(Amount) > 100",
        True,
        "having.and",
    ),
    Case(
        "SELECT LeadSource, COUNT(Name) FROM Lead GROUP BY LeadSource HAVING COUNT(Name) > 100 and "
        "LeadSource > 'Phone'",
        True,
        "having.group-field",
        "HAVING may test a grouped field",
    ),
    Case(
        "SELECT Industry, AVG(AnnualRevenue) FROM Account GROUP BY Industry "
        "HAVING AVG(AnnualRevenue) > 1000000 OR COUNT(Id) > 50",
        True,
        "having.or",
    ),
    Case(
        "SELECT LeadSource, COUNT(Name) FROM Lead GROUP BY LeadSource ORDER BY COUNT(Name) DESC",
        True,
        "order.aggregate",
        "order by an aggregate of a grouped query",
    ),
    # ------------------------------------------------------------------ ORDER BY
    Case("SELECT Name FROM Account ORDER BY Name", True, "order.basic"),
    Case("SELECT Name FROM Account ORDER BY Name DESC NULLS LAST", True, "order.nulls", "reference example"),
    Case(
        "SELECT Id, Name FROM Contact ORDER BY LastName ASC, CreatedDate DESC NULLS LAST, Id NULLS FIRST",
        True,
        "order.multi",
        "direction and NULLS per item",
    ),
    Case("SELECT Name, Industry FROM Account ORDER BY Industry DESC, Id", True, "order.multi"),
    Case("select name from lead order by name desc nulls first", True, "order.keyword-case"),
    Case("SELECT Id FROM Case ORDER BY Priority ASC NULLS LAST", True, "order.nulls"),
    # ------------------------------------------------------------------ LIMIT and OFFSET
    Case("SELECT Name FROM Account WHERE Industry = 'Media' LIMIT 125", True, "limit.basic", "reference example"),
    Case("SELECT Id FROM Contact LIMIT 1", True, "limit.basic"),
    Case(
        "SELECT Name FROM Merchandise__c WHERE Price__c > 5.0 ORDER BY Name LIMIT 100 OFFSET 10",
        True,
        "limit.offset",
        "reference example",
    ),
    Case("SELECT Id FROM Account ORDER BY Name OFFSET 20", True, "limit.offset", "OFFSET without LIMIT"),
    Case("SELECT Id FROM Lead ORDER BY CreatedDate LIMIT 50 OFFSET 2000", True, "limit.offset", "maximum OFFSET"),
    # ------------------------------------------------------------------ FOR VIEW / FOR REFERENCE / UPDATE
    Case("SELECT Name, ID FROM Contact LIMIT 1 FOR VIEW", True, "for.view", "reference example"),
    Case("SELECT Name FROM Account LIMIT 1 FOR VIEW", True, "for.view", "REST guide example"),
    Case("SELECT Id FROM Account WHERE Industry = 'Media' FOR REFERENCE", True, "for.reference"),
    Case(
        "SELECT Title FROM FAQ__kav WHERE PublishStatus='online' and Language = 'en_US' and "
        "KnowledgeArticleVersion = 'ka230000000PCiy' UPDATE VIEWSTAT",
        True,
        "update.viewstat",
        "reference example",
    ),
    Case(
        "SELECT Title FROM FAQ__kav WHERE Keyword='Apex' and Language = 'en_US' and "
        "KnowledgeArticleVersion = 'ka230000000PCiy' UPDATE TRACKING",
        True,
        "update.tracking",
    ),
    # ------------------------------------------------------------------ location-based queries
    Case(
        "SELECT Name, Location__c FROM Warehouse__c "
        "WHERE DISTANCE(Location__c, GEOLOCATION(37.775,-122.418), 'mi') < 20",
        True,
        "geo.where",
        "reference example",
    ),
    Case(
        "SELECT Name, StreetAddress__c FROM Warehouse__c "
        "WHERE DISTANCE(Location__c, GEOLOCATION(37.775,-122.418), 'mi') < 20 "
        "ORDER BY DISTANCE(Location__c, GEOLOCATION(37.775,-122.418), 'mi') LIMIT 10",
        True,
        "geo.order",
        "DISTANCE in WHERE and ORDER BY",
    ),
    Case(
        "SELECT Id FROM Account WHERE DISTANCE(BillingAddress, GEOLOCATION(48.8566, 2.3522), 'km') < 50",
        True,
        "geo.where",
        "compound address field, km",
    ),
    Case(
        "SELECT Id, Location__latitude__s, Location__longitude__s FROM Warehouse__c",
        True,
        "geo.components",
        "latitude / longitude components",
    ),
    # ------------------------------------------------------------------ clause combinations in documented order
    Case(
        "SELECT Id, Name FROM Account USING SCOPE Mine WHERE Industry = 'Media' ORDER BY Name ASC NULLS LAST "
        "LIMIT 50 OFFSET 10",
        True,
        "combo.order",
        "FROM, USING SCOPE, WHERE, ORDER BY, LIMIT, OFFSET",
    ),
    Case(
        "SELECT Industry, COUNT(Id) cnt FROM Account USING SCOPE Everything WHERE CreatedDate = LAST_N_YEARS:2 "
        "GROUP BY Industry HAVING COUNT(Id) > 5 ORDER BY COUNT(Id) DESC LIMIT 10",
        True,
        "combo.order",
        "aggregate query with every clause it may have",
    ),
    Case(
        "SELECT Title FROM KnowledgeArticleVersion WHERE PublishStatus = 'online' "
        "WITH DATA CATEGORY Geography__c AT usa__c ORDER BY Title LIMIT 10 UPDATE VIEWSTAT",
        True,
        "combo.order",
        "WHERE, WITH, ORDER BY, LIMIT, UPDATE",
    ),
    Case(
        "SELECT Id FROM Contact WHERE LastName != null ORDER BY LastName LIMIT 10 FOR VIEW",
        True,
        "combo.order",
        "FOR VIEW last",
    ),
    Case("SELECT Id FROM Account ORDER BY Name LIMIT 10 OFFSET 5 FOR REFERENCE", True, "combo.order"),
    Case(
        "SELECT Id, Name, Account.Name, (SELECT Id, Subject FROM Cases WHERE IsClosed = false LIMIT 3)\n"
        "FROM Contact\nWHERE Account.Industry IN ('Media', 'Retail') AND CreatedDate = LAST_N_DAYS:90\n"
        "ORDER BY Account.Name, LastName\nLIMIT 200",
        True,
        "combo.multiline",
        "relationship, subquery, IN, date literal, ordering",
    ),
    Case(_LONG_VALID, True, "combo.long", "about 5,000 characters of OR'd conditions"),
    # ================================================================== REJECTIONS
    # ------------------------------------------------------------------ trailing input, several statements
    Case("SELECT Id FROM Contact WHERE Name = 'x' garbage", False, "reject.trailing", "input after a full query"),
    Case("SELECT Id FROM Account LIMIT 10 extra", False, "reject.trailing"),
    Case("SELECT Id FROM Account ORDER BY Name DESC garbage", False, "reject.trailing"),
    Case("SELECT Id FROM Account LIMIT 10 10", False, "reject.trailing", "second number"),
    Case("SELECT Id FROM Account SELECT Id FROM Contact", False, "reject.two-statements", "no separator"),
    Case(
        "SELECT Id FROM Account WHERE Name = 'x' UNION SELECT Id FROM Contact",
        False,
        "reject.two-statements",
        "SOQL has no UNION",
    ),
    # ------------------------------------------------------------------ semicolons
    Case("SELECT Id FROM Account;", False, "reject.semicolon", "no statement terminator in REST SOQL"),
    Case("SELECT Id FROM Account ;", False, "reject.semicolon"),
    Case("SELECT Id FROM Contact WHERE Name = 'x';\n", False, "reject.semicolon"),
    Case("SELECT Id FROM Account; DELETE FROM Account", False, "reject.semicolon", "two statements"),
    Case("SELECT Id FROM Account; SELECT Id FROM Contact", False, "reject.semicolon", "two statements"),
    # ------------------------------------------------------------------ comments
    Case("SELECT Id FROM Account -- all accounts", False, "reject.comment", "SOQL has no comments"),
    Case("SELECT Id /* key */ FROM Account", False, "reject.comment"),
    Case("SELECT Id FROM Account // note", False, "reject.comment"),
    Case("-- header\nSELECT Id FROM Account", False, "reject.comment"),
    Case(
        "SELECT Id FROM Account WHERE Name = 'x' --' OR Name != null",
        False,
        "reject.comment",
        "SQL-injection style comment-out",
    ),
    Case("SELECT Id FROM Account WHERE Name = 'a' /* */ OR Name = 'b'", False, "reject.comment"),
    # ------------------------------------------------------------------ Apex-only syntax
    Case("SELECT Id FROM Account WHERE Id = :recordId", False, "reject.bind", "Apex bind variable"),
    Case("SELECT Id FROM Contact WHERE Id IN :ids", False, "reject.bind", "Apex bind list"),
    Case("SELECT Id FROM Account WHERE Name = :acct.Name", False, "reject.bind"),
    Case("SELECT Id FROM Account LIMIT :maxRows", False, "reject.bind"),
    Case(
        "SELECT Id FROM Warehouse__c WHERE DISTANCE(Location__c, :here, 'km') < 5",
        False,
        "reject.bind",
        "bind inside DISTANCE",
    ),
    Case("SELECT Id FROM Account ALL ROWS", False, "reject.all-rows", "Apex only; REST uses the queryAll resource"),
    Case(
        "SELECT Id FROM Account WHERE IsDeleted = true ALL ROWS",
        False,
        "reject.all-rows",
        "Apex only; REST uses the queryAll resource",
    ),
    # ------------------------------------------------------------------ missing or empty parts
    Case("SELECT FROM Account", False, "reject.empty-select"),
    Case("SELECT , FROM Account", False, "reject.empty-select"),
    Case("SELECT Id", False, "reject.missing-from"),
    Case("SELECT Id, Name WHERE Name = 'x'", False, "reject.missing-from"),
    Case("SELECT Id FROM", False, "reject.missing-object"),
    Case("SELECT Id FROM WHERE Name = 'x'", False, "reject.missing-object"),
    Case("FROM Account", False, "reject.missing-select"),
    Case("Id FROM Account", False, "reject.missing-select"),
    Case("SELECT", False, "reject.missing-select", "keyword alone"),
    Case("SELECT Id FROM Account WHERE", False, "reject.empty-where"),
    Case("SELECT Id FROM Account WHERE ORDER BY Name", False, "reject.empty-where"),
    Case("SELECT Id FROM Account WHERE ()", False, "reject.empty-where"),
    Case("SELECT Id FROM Account WHERE Name", False, "reject.where-incomplete", "field without operator"),
    Case("SELECT Id FROM Account WHERE Name =", False, "reject.where-incomplete"),
    Case("SELECT Id FROM Account WHERE = 'x'", False, "reject.where-incomplete"),
    Case("SELECT Id FROM Account WHERE Name = 'x' AND", False, "reject.where-incomplete"),
    Case("SELECT Id FROM Account WHERE AND Name = 'x'", False, "reject.where-incomplete"),
    Case("SELECT Id FROM Account WHERE NOT", False, "reject.where-incomplete"),
    Case("SELECT Id FROM Account ORDER BY", False, "reject.empty-order"),
    Case("SELECT Id FROM Account ORDER BY LIMIT 5", False, "reject.empty-order"),
    Case("SELECT Id FROM Account ORDER Name", False, "reject.empty-order", "BY missing"),
    Case("SELECT COUNT(Id) FROM Account GROUP BY", False, "reject.empty-group"),
    Case("SELECT Industry, COUNT(Id) FROM Account GROUP Industry", False, "reject.empty-group", "BY missing"),
    Case("SELECT Industry, COUNT(Id) FROM Account GROUP BY ROLLUP()", False, "reject.empty-group"),
    Case("SELECT Name, COUNT(Id) FROM Account GROUP BY Name HAVING", False, "reject.empty-having"),
    Case("SELECT Id FROM Account WHERE Id IN ()", False, "reject.empty-list"),
    Case("SELECT Id FROM Account USING SCOPE", False, "reject.scope", "scope value missing"),
    Case("SELECT Id FROM Account USING Mine", False, "reject.scope", "SCOPE keyword missing"),
    Case("SELECT Id FROM Account WITH", False, "reject.with", "WITH alone"),
    Case("SELECT Title FROM KnowledgeArticleVersion WITH DATA CATEGORY", False, "reject.with"),
    # ------------------------------------------------------------------ parentheses
    Case("SELECT Id FROM Account WHERE (Name = 'x'", False, "reject.parens", "unclosed ("),
    Case("SELECT Id FROM Account WHERE Name = 'x')", False, "reject.parens", "stray )"),
    Case("SELECT Id FROM Account WHERE ((Name = 'x') OR (Name = 'y')", False, "reject.parens"),
    Case("SELECT Id, (SELECT Id FROM Contacts FROM Account", False, "reject.parens", "unclosed subquery"),
    Case("SELECT COUNT(Id FROM Account", False, "reject.parens"),
    Case("SELECT Id FROM Account WHERE Id IN ('a', 'b'", False, "reject.parens"),
    Case("SELECT Id FROM Account WHERE Name IN 'a', 'b')", False, "reject.parens"),
    Case("SELECT Id FROM Contact WHERE Id IN (SELECT ContactId FROM Case", False, "reject.parens"),
    Case("SELECT Id, (SELECT Id) FROM Account", False, "reject.subquery", "subquery without FROM"),
    # ------------------------------------------------------------------ LIMIT / OFFSET values
    Case("SELECT Id FROM Account LIMIT -1", False, "reject.limit", "negative"),
    Case("SELECT Id FROM Account LIMIT 10.5", False, "reject.limit", "not an integer"),
    Case("SELECT Id FROM Account LIMIT ten", False, "reject.limit", "not a number"),
    Case("SELECT Id FROM Account LIMIT '10'", False, "reject.limit", "quoted"),
    Case("SELECT Id FROM Account LIMIT", False, "reject.limit", "value missing"),
    Case("SELECT Id FROM Account LIMIT 10 LIMIT 20", False, "reject.limit", "twice"),
    Case("SELECT Id FROM Account ORDER BY Name OFFSET -5", False, "reject.offset", "negative"),
    Case("SELECT Id FROM Account ORDER BY Name LIMIT 10 OFFSET 1.5", False, "reject.offset", "not an integer"),
    Case(
        "SELECT Id FROM Account ORDER BY Name LIMIT 10 OFFSET 2001",
        False,
        "reject.offset",
        "documented maximum 2,000: NUMBER_OUTSIDE_VALID_RANGE",
    ),
    Case("SELECT Id FROM Account ORDER BY Name OFFSET 5 LIMIT 10", False, "reject.clause-order", "LIMIT first"),
    # ------------------------------------------------------------------ values that are not SOQL literals
    Case("SELECT Id FROM Account WHERE Name = Acme", False, "reject.unquoted", "string value needs quotes"),
    Case("SELECT Id FROM Account WHERE Industry IN (Media, Retail)", False, "reject.unquoted"),
    Case("SELECT Id FROM Account WHERE Name LIKE Acme%", False, "reject.unquoted"),
    Case("SELECT Id FROM Account WHERE Id = '001' OR 1 = 1", False, "reject.operand", "left side must be a field"),
    Case("SELECT Id FROM Account WHERE Name = 'x' OR 'a' = 'a'", False, "reject.operand", "left side must be a field"),
    Case('SELECT Id FROM Account WHERE Name = "Acme"', False, "reject.double-quote", "double quotes are an error"),
    Case('SELECT "Name" FROM Account', False, "reject.double-quote", "quoted field name"),
    Case('SELECT Id FROM Account WHERE Name LIKE "A%"', False, "reject.double-quote"),
    Case("SELECT Id FROM Account WHERE Name = 'Acme", False, "reject.unterminated"),
    Case(r"SELECT Id FROM Account WHERE Name = 'Acme\'", False, "reject.unterminated", "closing quote escaped"),
    Case("SELECT Id FROM Account WHERE Name IN ('a', 'b)", False, "reject.unterminated"),
    Case("SELECT Id FROM Account WHERE Name = 'O'Brien'", False, "reject.unterminated", "unescaped quote"),
    Case("SELECT Id FROM Account WHERE Name = ''''", False, "reject.string", "doubled quote is not an escape"),
    Case(r"SELECT Id FROM Account WHERE Name = 'a\qb'", False, "reject.escape", r"\q is not an escape"),
    Case(r"SELECT Id FROM Account WHERE Name = 'C:\data'", False, "reject.escape", r"\d is not an escape"),
    Case(r"SELECT Id FROM Account WHERE Name = '\x41'", False, "reject.escape", r"\x is not an escape"),
    Case(r"SELECT Id FROM Account WHERE Name = 'caf\u00e'", False, "reject.escape", r"\u needs four hex digits"),
    Case(r"SELECT Id FROM Account WHERE Name = '\uZZZZ'", False, "reject.escape", "non-hex digits"),
    Case(r"SELECT Id FROM Account WHERE Name = '50\ off'", False, "reject.escape", "backslash-space"),
    Case(
        "SELECT Id FROM Account WHERE Name = '" + _STRING_4001 + "'",
        False,
        "reject.string-length",
        "documented limit: 4,000 characters for each string in WHERE",
    ),
    Case("SELECT Id FROM Opportunity WHERE Amount > 1,000", False, "reject.number", "thousands separator"),
    Case("SELECT Id FROM Opportunity WHERE Amount > 1.2.3", False, "reject.number"),
    Case("SELECT Id FROM Opportunity WHERE Amount > $5000", False, "reject.number", "currency symbol"),
    Case("SELECT Id FROM Opportunity WHERE Amount > 5000USD", False, "reject.currency", "ISO code goes first"),
    # ------------------------------------------------------------------ dates and datetimes
    Case("SELECT Id FROM Opportunity WHERE CloseDate = 2026-13-45", False, "reject.date", "month 13, day 45"),
    Case("SELECT Id FROM Opportunity WHERE CloseDate = 2026-00-10", False, "reject.date", "month 0"),
    Case("SELECT Id FROM Opportunity WHERE CloseDate = 2026-1-5", False, "reject.date", "YYYY-MM-DD required"),
    Case(
        "SELECT Id FROM Account WHERE CreatedDate > 2026-01-01T10:00:00",
        False,
        "reject.datetime",
        "documented formats all end in Z or an offset",
    ),
    Case("SELECT Id FROM Account WHERE CreatedDate > 2026-01-01T10:00Z", False, "reject.datetime", "no seconds"),
    Case("SELECT Id FROM Account WHERE CreatedDate > 2026-01-01 10:00:00Z", False, "reject.datetime", "space, no T"),
    Case("SELECT Id FROM Account WHERE CreatedDate > 2026-01-31T25:00:00Z", False, "reject.datetime", "hour 25"),
    # ------------------------------------------------------------------ date literals
    Case("SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS", False, "reject.date-literal", ":n missing"),
    Case("SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS:", False, "reject.date-literal", "n missing"),
    Case("SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS:x", False, "reject.date-literal", "n not a number"),
    Case("SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS:1.5", False, "reject.date-literal", "n not whole"),
    Case("SELECT Id FROM Account WHERE CreatedDate = N_WEEKS_AGO:'2'", False, "reject.date-literal", "n quoted"),
    Case("SELECT Id FROM Account WHERE CreatedDate = TODAY:3", False, "reject.date-literal", "TODAY takes no n"),
    Case("SELECT Id FROM Account WHERE CreatedDate = LAST_90_DAYS:5", False, "reject.date-literal", "takes no n"),
    Case(
        "SELECT Id FROM Opportunity WHERE CloseDate = THIS_FISCAL_YEAR:2",
        False,
        "reject.date-literal",
        "takes no n",
    ),
    Case(
        "SELECT Id FROM Account WHERE CreatedDate = LAST_N_CENTURIES:2",
        False,
        "reject.date-literal",
        "no such date literal",
    ),
    Case("SELECT Id FROM Account WHERE CreatedDate = DAY_AFTER_TOMORROW", False, "reject.date-literal", "unknown"),
    # ------------------------------------------------------------------ INCLUDES / EXCLUDES / LIKE operands
    Case("SELECT Id FROM Invoice__c WHERE Regions__c INCLUDES (5)", False, "reject.includes", "values are strings"),
    Case("SELECT Id FROM Invoice__c WHERE Regions__c INCLUDES ('EMEA', 5)", False, "reject.includes"),
    Case("SELECT Id FROM Invoice__c WHERE Regions__c INCLUDES 'EMEA'", False, "reject.includes", "no parentheses"),
    Case("SELECT Id FROM Invoice__c WHERE Regions__c EXCLUDES ()", False, "reject.includes", "empty list"),
    Case("SELECT Id FROM Account WHERE NumberOfEmployees LIKE 5", False, "reject.like", "LIKE needs a string"),
    Case("SELECT Id FROM Account WHERE Name LIKE 5", False, "reject.like", "LIKE needs a quoted string"),
    # ------------------------------------------------------------------ SELECT list shapes SOQL does not have
    Case("SELECT * FROM Account", False, "reject.star", "no * in SOQL; FIELDS() instead"),
    Case("SELECT Account.* FROM Contact", False, "reject.star"),
    Case("SELECT COUNT(*) FROM Account", False, "reject.star", "COUNT() is the SOQL form"),
    Case(
        "SELECT DISTINCT Name FROM Account",
        False,
        "reject.sql",
        "no DISTINCT keyword (COUNT_DISTINCT is the function); read as a field, no such field",
    ),
    Case("SELECT TOP 10 Id FROM Account", False, "reject.sql", "no TOP"),
    Case("SELECT Id FROM Account FETCH FIRST 10 ROWS ONLY", False, "reject.sql"),
    Case("SELECT a.Id FROM Account a JOIN Contact c ON c.AccountId = a.Id", False, "reject.sql", "no JOIN"),
    Case("SELECT Id, FROM Account", False, "reject.dangling-comma"),
    Case("SELECT Id,, Name FROM Account", False, "reject.dangling-comma"),
    Case("SELECT ,Id FROM Account", False, "reject.dangling-comma", "leading comma"),
    Case("SELECT Id FROM Account ORDER BY Name,", False, "reject.dangling-comma"),
    Case("SELECT Id FROM Account WHERE Id IN ('a',)", False, "reject.dangling-comma"),
    Case("SELECT Name, COUNT(Id) FROM Account GROUP BY Name,", False, "reject.dangling-comma"),
    # ------------------------------------------------------------------ aggregates used where they are not allowed
    Case("SELECT Id, COUNT() FROM Contact", False, "reject.count", "COUNT() must be the only SELECT item"),
    Case("SELECT COUNT() FROM Lead GROUP BY LeadSource", False, "reject.count", "COUNT() with GROUP BY"),
    Case("SELECT COUNT() FROM Account ORDER BY Name", False, "reject.count", "COUNT() with ORDER BY"),
    Case("SELECT Id FROM Account WHERE COUNT(Id) > 1", False, "reject.aggregate-where", "aggregates go in HAVING"),
    Case(
        "SELECT COUNT(Id) FROM Account HAVING COUNT(Id) > 1",
        False,
        "reject.having",
        "HAVING belongs to GROUP BY in the syntax",
    ),
    Case(
        "SELECT Name, COUNT(Id) FROM Account GROUP BY Name HAVING Name IN (SELECT Name FROM Lead)",
        False,
        "reject.having",
        "documented: no semi- or anti-join in HAVING",
    ),
    # ------------------------------------------------------------------ function misuse
    Case(
        "SELECT convertTimezone(CreatedDate) FROM Opportunity",
        False,
        "reject.converttimezone",
        "documented: only inside a date function",
    ),
    Case(
        "SELECT Id FROM Opportunity WHERE convertCurrency(Amount) > 1000",
        False,
        "reject.convertcurrency",
        "documented: not in WHERE",
    ),
    Case(
        "SELECT Company, toLabel(Status) FROM Lead ORDER BY toLabel(Status)",
        False,
        "reject.tolabel",
        "documented: not with ORDER BY",
    ),
    Case(
        "SELECT Id FROM Warehouse__c WHERE DISTANCE(Location__c, GEOLOCATION(37.775,-122.418), 'miles') < 20",
        False,
        "reject.geo",
        "unit is 'mi' or 'km'",
    ),
    Case(
        "SELECT Id FROM Warehouse__c WHERE DISTANCE(Location__c, GEOLOCATION(37.775,-122.418)) < 20",
        False,
        "reject.geo",
        "unit argument missing",
    ),
    # ------------------------------------------------------------------ DML, SOSL, SQL operators
    Case("DELETE FROM Account", False, "reject.dml"),
    Case("DELETE FROM Account WHERE Id = '001000000000001AAA'", False, "reject.dml"),
    Case("UPDATE Account SET Name = 'x'", False, "reject.dml"),
    Case("INSERT INTO Account (Name) VALUES ('x')", False, "reject.dml"),
    Case("UPSERT Account", False, "reject.dml"),
    Case("DROP TABLE Account", False, "reject.dml"),
    Case("FIND {Acme} IN ALL FIELDS RETURNING Account(Name)", False, "reject.sosl"),
    Case("FIND {x} IN ALL FIELDS", False, "reject.sosl"),
    Case("FIND 'Acme' RETURNING Contact", False, "reject.sosl"),
    Case("SELECT Id FROM Account WHERE Name == 'x'", False, "reject.operator", "== is not SOQL"),
    Case("SELECT Id FROM Opportunity WHERE Amount => 5", False, "reject.operator"),
    Case("SELECT Id FROM Opportunity WHERE Amount =< 5", False, "reject.operator"),
    Case("SELECT Id FROM Opportunity WHERE Amount BETWEEN 1 AND 5", False, "reject.operator", "no BETWEEN"),
    Case("SELECT Id FROM Contact WHERE Email IS NULL", False, "reject.operator", "SOQL writes = null"),
    Case("SELECT Id FROM Opportunity WHERE Amount > 5 && Amount < 10", False, "reject.operator"),
    Case("SELECT Id FROM Opportunity WHERE Amount > 5 || Amount < 1", False, "reject.operator"),
    Case("SELECT Id FROM Account WHERE Name NOT = 'x'", False, "reject.operator", "NOT goes before the field"),
    Case("SELECT Id FROM Account WHERE Id NOT ('a')", False, "reject.operator", "NOT without IN"),
    Case(
        "SELECT Id FROM Account WHERE Name = 'a' AND Industry = 'b' OR Type = 'c'",
        False,
        "reject.logic-mix",
        "documented: parentheses required when AND and OR mix",
    ),
    Case(
        "SELECT Id FROM Account WHERE Name = 'a' OR Industry = 'b' AND Type = 'c'",
        False,
        "reject.logic-mix",
        "documented: parentheses required when AND and OR mix",
    ),
    # ------------------------------------------------------------------ TYPEOF
    Case("SELECT TYPEOF What WHEN Account THEN Phone FROM Event", False, "reject.typeof", "END missing"),
    Case("SELECT TYPEOF What ELSE Name END FROM Event", False, "reject.typeof", "at least one WHEN"),
    Case("SELECT TYPEOF What WHEN Account Phone END FROM Event", False, "reject.typeof", "THEN missing"),
    Case("SELECT TYPEOF What WHEN Account THEN END FROM Event", False, "reject.typeof", "empty field list"),
    # ------------------------------------------------------------------ FIELDS()
    Case("SELECT FIELDS(SOMETHING) FROM Account LIMIT 200", False, "reject.fields", "ALL, STANDARD or CUSTOM"),
    Case("SELECT FIELDS() FROM Account LIMIT 200", False, "reject.fields"),
    Case("SELECT FIELDS ALL FROM Account LIMIT 200", False, "reject.fields", "parentheses missing"),
    Case("SELECT FIELDS(ALL) FROM Account", False, "reject.fields", "documented: unbounded FIELDS needs LIMIT"),
    Case("SELECT FIELDS(CUSTOM) FROM Contact", False, "reject.fields", "documented: unbounded FIELDS needs LIMIT"),
    Case("SELECT FIELDS(ALL) FROM Account LIMIT 500", False, "reject.fields", "documented: LIMIT at most 200"),
    Case(
        "SELECT Id, FIELDS(ALL) FROM User LIMIT 200",
        False,
        "reject.fields",
        "documented error: duplicate field selected: Id",
    ),
    # ------------------------------------------------------------------ GROUP BY forms
    Case("SELECT Industry, COUNT(Id) FROM Account GROUP BY ROLLUP Industry", False, "reject.group", "no parentheses"),
    Case("SELECT Type, COUNT(Id) FROM Account GROUP BY CUBE Type", False, "reject.group", "no parentheses"),
    Case(
        "SELECT Type, Industry, COUNT(Id) FROM Account GROUP BY ROLLUP(Type), Industry",
        False,
        "reject.group",
        "documented: all fields inside ROLLUP()",
    ),
    Case(
        "SELECT Type, Industry, COUNT(Id) FROM Account GROUP BY CUBE(Type), Industry",
        False,
        "reject.group",
        "documented: all fields inside CUBE()",
    ),
    # ------------------------------------------------------------------ ORDER BY forms
    Case("SELECT Id FROM Account ORDER BY Name NULLS MIDDLE", False, "reject.order", "FIRST or LAST"),
    Case("SELECT Id FROM Account ORDER BY Name ASCENDING", False, "reject.order", "ASC or DESC"),
    Case("SELECT Id FROM Account ORDER BY Name DESCENDING", False, "reject.order", "ASC or DESC"),
    Case("SELECT Id FROM Account ORDER BY Name NULLS", False, "reject.order", "FIRST or LAST missing"),
    Case("SELECT Id FROM Account ORDER BY Name DESC ASC", False, "reject.order", "two directions"),
    Case("SELECT Id FROM Account ORDER BY Name NULLS LAST DESC", False, "reject.order", "direction before NULLS"),
    # ------------------------------------------------------------------ clause order
    Case("SELECT Id FROM Account LIMIT 10 ORDER BY Name", False, "reject.clause-order"),
    Case("SELECT Id FROM Account ORDER BY Name WHERE Industry = 'Media'", False, "reject.clause-order"),
    Case("SELECT Id FROM Account WHERE Industry = 'Media' USING SCOPE Mine", False, "reject.clause-order"),
    Case(
        "SELECT Title FROM KnowledgeArticleVersion WHERE PublishStatus = 'online' ORDER BY Title "
        "WITH DATA CATEGORY Geography__c AT usa__c",
        False,
        "reject.clause-order",
        "WITH after ORDER BY",
    ),
    Case(
        "SELECT Industry, COUNT(Id) FROM Account ORDER BY Industry GROUP BY Industry",
        False,
        "reject.clause-order",
        "GROUP BY after ORDER BY",
    ),
    Case(
        "SELECT Industry, COUNT(Id) FROM Account HAVING COUNT(Id) > 1 GROUP BY Industry",
        False,
        "reject.clause-order",
        "HAVING before GROUP BY",
    ),
    Case("SELECT Id FROM Contact FOR VIEW LIMIT 1", False, "reject.clause-order", "LIMIT after FOR VIEW"),
    Case("SELECT Id FROM Account WHERE Name = 'a' WHERE Name = 'b'", False, "reject.clause-order", "WHERE twice"),
    Case(
        "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact LIMIT 100 OFFSET 20)",
        False,
        "reject.offset",
        "documented MALFORMED_QUERY: OFFSET in a WHERE subquery",
    ),
    # ------------------------------------------------------------------ WITH DATA CATEGORY forms
    Case(
        "SELECT Title FROM KnowledgeArticleVersion WHERE PublishStatus = 'online' "
        "WITH DATA CATEGORY Geography__c usa__c",
        False,
        "reject.data-category",
        "selector missing",
    ),
    Case(
        "SELECT Title FROM KnowledgeArticleVersion WHERE PublishStatus = 'online' "
        "WITH DATA CATEGORY Geography__c AROUND usa__c",
        False,
        "reject.data-category",
        "AT, ABOVE, BELOW or ABOVE_OR_BELOW",
    ),
    Case(
        "SELECT Title FROM KnowledgeArticleVersion WHERE PublishStatus = 'online' "
        "WITH DATA CATEGORY Geography__c AT usa__c AND france__c",
        False,
        "reject.data-category",
        "documented: list categories in parentheses, not with AND",
    ),
    Case(
        "SELECT Title FROM KnowledgeArticleVersion WHERE PublishStatus = 'online' "
        "WITH DATA CATEGORY Geography__c ABOVE usa__c AND Geography__c BELOW europe__c",
        False,
        "reject.data-category",
        "documented: a category group only once",
    ),
    # ------------------------------------------------------------------ aliases that are keywords
    Case("SELECT Id FROM Account first", False, "reject.alias", "documented: FIRST cannot be an alias"),
    Case("SELECT Id FROM Contact desc", False, "reject.alias", "documented: DESC cannot be an alias"),
    # ------------------------------------------------------------------ junk and empty input
    Case("", False, "reject.empty", "empty string"),
    Case("   ", False, "reject.empty", "spaces only"),
    Case("\n\t\r\n", False, "reject.empty", "whitespace only"),
    Case("SELECT Id FROM Account WHERE Name = 'x' ☃", False, "reject.junk", "stray symbol after the query"),
    Case("¿SELECT Id FROM Account?", False, "reject.junk"),
    Case("SELECT Id FROM Acc😀unt", False, "reject.junk", "emoji inside an identifier"),
    Case("SELECT Id FROM Account WHERE Name = 'x' #", False, "reject.junk"),
    Case("SELECT Id FROM Account @", False, "reject.junk"),
    Case("SELECT Id FROM Account WHERE Name = 'x'\x00", False, "reject.junk", "NUL character"),
    Case("SELECT Id FROM Account WHERE Name = 'x' \\", False, "reject.junk", "stray backslash"),
    Case(_TOO_LONG, False, "reject.too-long", "documented limit: 100,000 characters per statement"),
)
"""The corpus: each query with the REST API's verdict on it."""


UNSETTLED: tuple[Unsettled, ...] = (
    Unsettled(
        "SELECT Id, Name FROM Account WITH SECURITY_ENFORCED",
        "with.security-enforced",
        "Salesforce documents WITH SECURITY_ENFORCED as 'only available in Apex'; what the REST query resource "
        "does with it (accept, ignore, reject) is not written down.",
    ),
    Unsettled(
        "SELECT Id, Name FROM Account WHERE Industry = 'Media' WITH SECURITY_ENFORCED ORDER BY Name LIMIT 10",
        "with.security-enforced",
        "as above; placement (after WHERE, before ORDER BY / LIMIT) is documented for Apex.",
    ),
    Unsettled(
        "SELECT Id, (SELECT LastName FROM Contacts) FROM Account WHERE Name LIKE 'Acme' WITH SECURITY_ENFORCED",
        "with.security-enforced",
        "Apex guide example; REST behaviour undocumented.",
    ),
    Unsettled(
        "SELECT Id FROM Account WITH USER_MODE",
        "with.user-mode",
        "WITH USER_MODE is documented for Apex database operations only.",
    ),
    Unsettled(
        "SELECT Id, Name FROM Contact WHERE LastName = 'Smith' WITH USER_MODE ORDER BY Name",
        "with.user-mode",
        "WITH USER_MODE is documented for Apex database operations only.",
    ),
    Unsettled(
        "SELECT Id FROM Account WITH SYSTEM_MODE",
        "with.system-mode",
        "WITH SYSTEM_MODE is documented for Apex database operations only.",
    ),
    Unsettled(
        "SELECT Id FROM Account LIMIT 2 FOR UPDATE",
        "for.update",
        "FOR UPDATE is in the SELECT syntax, but the reference describes it only 'In Apex'.",
    ),
    Unsettled(
        "SELECT Id FROM Account ORDER BY Name FOR UPDATE",
        "for.update",
        "documented as an error for locking queries in Apex; REST acceptance of FOR UPDATE itself is open.",
    ),
    Unsettled(
        "SELECT Id FROM Account WHERE Name <> 'Acme'",
        "where.ne",
        "the comparison-operator table lists only !=; <> is not mentioned either way.",
    ),
    Unsettled(
        "SELECT a.Id FROM Account AS a",
        "from.alias",
        "alias notation is documented without AS; whether AS is tolerated is not stated.",
    ),
    Unsettled(
        "SELECT SUM(Amount) AS total FROM Opportunity",
        "aggregate.alias",
        "field aliases are documented as 'directly after the associated field'; AS is not mentioned.",
    ),
    Unsettled(
        "SELECT Id FROM Account WHERE CreatedDate > 2026-01-31T10:00:00.000Z",
        "literal.datetime",
        "the dateTime format table has no fractional seconds; acceptance of .000 is undocumented.",
    ),
    Unsettled(
        "SELECT Id FROM Opportunity WHERE Amount > 1.5e3",
        "literal.number",
        "numeric literal syntax is not specified; exponent notation is neither allowed nor forbidden.",
    ),
    Unsettled(
        "SELECT Id FROM Opportunity WHERE Amount > EUR-100.5",
        "literal.currency",
        "ISO_CODEvalue is documented with positive whole amounts only; a signed amount is not covered.",
    ),
    Unsettled(
        "SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS: 5",
        "literal.date-n",
        "the reference writes LAST_N_DAYS:n with no spaces; whether spaces around ':' are tolerated is open.",
    ),
    Unsettled(
        r"SELECT Id FROM Account WHERE Name = 'Ter\%'",
        "literal.like-escape",
        r"\% and \_ are listed as 'LIKE expression only'; whether they are an error or literal text elsewhere "
        "is not stated.",
    ),
    Unsettled(
        "SELECT Id FROM Account USING SCOPE MyTerritory",
        "scope.territory",
        "documented names are my_territory / My_Territory; scope names are per-object (describe supportedScopes).",
    ),
    Unsettled(
        "SELECT Id FROM Account WHERE Name NOT LIKE 'A%'",
        "where.like",
        "only NOT fieldExpression is documented; NOT LIKE as an operator is not mentioned.",
    ),
    Unsettled(
        "SELECT Name n FROM Account",
        "select.alias",
        "aliases are documented for aggregate (GROUP BY) queries and for toLabel / FORMAT / convertCurrency; a "
        "plain-field alias in a non-aggregate query is not covered (Salesforce is known to refuse it).",
    ),
    Unsettled(
        "SELECT MAX(CreatedDate) FROM Account LIMIT 1",
        "limit.aggregate",
        "older references call LIMIT with an aggregate and no GROUP BY invalid; current pages do not repeat it.",
    ),
    Unsettled(
        "SELECT Title FROM KnowledgeArticleVersion WHERE PublishStatus = 'online' "
        "WITH DATA CATEGORY Geography__c AT usa__c OR Product__c AT mobile_phones__c",
        "with.data-category",
        "the SOQL page shows only AND between selections (the SOSL page forbids OR); no SOQL statement on OR.",
    ),
)
"""Queries left out of :data:`CORPUS` because Salesforce's documentation does not settle their REST verdict."""
