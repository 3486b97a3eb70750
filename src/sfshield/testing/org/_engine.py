"""The embedded org's SOQL evaluator: a parsed query run over :class:`OrgData`, answered in Salesforce's REST shape.

A query is compiled once, then run: every field path is resolved against the schema and checked against the running
user's access when it is compiled, every condition becomes a Python closure over a record, and parents are reached
through an ``{Id: record}`` index built once per call, so a 100k-record object answers in a fraction of a second.

Semantics follow Salesforce, not SQL: string comparisons ignore case, ``!= 'x'`` and ``NOT IN`` keep nulls, ascending
sorts put nulls first and descending ones last, an empty child relationship is ``null``. What the evaluator does not
implement (TYPEOF, date functions, ``toLabel``, ROLLUP, fiscal date literals …) raises ``MALFORMED_QUERY … is not
supported by the embedded org`` rather than answering wrongly. Errors are :class:`OrgQueryError` with Salesforce's
codes: ``INVALID_TYPE`` for an object the user cannot see, ``INVALID_FIELD`` for a field or relationship the user
cannot see (in any clause, subqueries included), ``INVALID_QUERY_FILTER_OPERATOR`` for a value of the wrong type,
``MALFORMED_QUERY`` for the rest.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from sfshield._ids import case_suffix
from sfshield.soql import ast
from sfshield.soql._vocabulary import AGGREGATES
from sfshield.testing.org._schema import FieldSpec, ObjectSpec, OrgData, OrgQueryError

__all__ = ["ExecuteResult", "execute"]

Record = dict[str, Any]
Getter = Callable[[Any], Any]
Predicate = Callable[[Any], bool]

_WSDL = "Please reference your WSDL or the describe call for the appropriate names."
_NO_TYPE: Final = (
    "sObject type '{}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' "
    "after the entity name. " + _WSDL
)
_NO_COLUMN: Final = (
    "No such column '{}' on entity '{}'. If you are attempting to use a custom field, be sure to append the '__c' "
    "after the custom field name. " + _WSDL
)
_CUSTOM_RELATIONSHIP = (
    "If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship "
    "name. " + _WSDL
)
_NO_RELATIONSHIP: Final = "Didn't understand relationship '{}' in field path. " + _CUSTOM_RELATIONSHIP
_NO_CHILD: Final = "Didn't understand relationship '{}' in FROM part of query call. " + _CUSTOM_RELATIONSHIP

# Tooling objects of the Metadata Catalog refuse COUNT(), GROUP BY, OR, NOT and INCLUDES, and ignore LIMIT and
# OFFSET (Tooling API guide, "SOQL Operation Limitations"); FieldDefinition and EntityParticle also need a filter on
# their object.
_CATALOG: Final = frozenset(
    name.casefold()
    for name in """
    CompactLayoutInfo CompactLayoutItemInfo DataType EntityDefinition EntityLimit EntityParticle FieldDefinition
    Publisher RelationshipDomain RelationshipInfo SearchLayout ServiceFieldDataType StandardAction TimeSheetTemplate
    UserEntityAccess UserFieldAccess
    """.split()
)
_CATALOG_NEEDS_ENTITY: Final = frozenset({"fielddefinition", "entityparticle"})
_ENTITY_FILTERS: Final = frozenset({"entitydefinition", "entitydefinitionid", "durableid"})


@dataclass(frozen=True, slots=True)
class ExecuteResult:
    """What a query answers: the rows (all pages), and ``totalSize`` (which ``SELECT COUNT()`` sets without rows)."""

    records: list[Record]
    total_size: int


def execute(
    query: ast.Query,
    org: OrgData,
    /,
    *,
    can_read_object: Callable[[str], bool] | None = None,
    can_read_field: Callable[[str, str], bool] | None = None,
    include_deleted: bool = False,
    api_version: str = "66.0",
    today: dt.date | None = None,
) -> ExecuteResult:
    """Run ``query`` over ``org`` as the running user, returning every top-level row in Salesforce's REST shape.

    Args:
        query: the parsed query (``sfshield.soql.parse``).
        org: the schema and records to answer from.
        can_read_object: whether the running user may read an object (by its canonical name); ``None``: all.
        can_read_field: whether the running user may read ``(object, field)``; ``None``: all. Unreadable fields are
            unknown fields in every clause, and ``FIELDS()`` leaves them out.
        include_deleted: keep rows with ``IsDeleted`` (``queryAll``).
        api_version: the version in each row's ``attributes.url``.
        today: the day relative date literals (``TODAY``, ``LAST_N_DAYS:7``) count from; default: today in UTC.

    Raises:
        OrgQueryError: with Salesforce's error code and message; nothing is returned from a query that fails.
        TypeError: ``query`` is not a parsed query.
    """
    if not isinstance(query, ast.Query):
        raise TypeError("execute() takes a parsed query: sfshield.soql.parse(text)")
    ctx = _Context(
        org,
        can_read_object=can_read_object or (lambda _sobject: True),
        can_read_field=can_read_field or (lambda _sobject, _field: True),
        include_deleted=include_deleted,
        url=f"/services/data/v{api_version}/sobjects",
        today=today or dt.datetime.now(dt.UTC).date(),
    )
    spec = ctx.object(query.sobject)
    if spec.name.casefold() in _CATALOG:
        query = _catalog_query(query, spec)
    if _counts_rows(query):
        return _count_query(_Scope(ctx, spec, query), query)
    if _is_aggregate(query):
        return _aggregate_query(_Scope(ctx, spec, query), query)
    selection, projection = _record_query(_Scope(ctx, spec, query), query)
    records = [projection.project(row) for row in selection.apply(ctx.rows(spec.name))]
    return ExecuteResult(records, len(records))


# -- errors --------------------------------------------------------------------------------------------------------


def _unsupported(feature: str) -> OrgQueryError:
    return OrgQueryError("MALFORMED_QUERY", f"{feature} is not supported by the embedded org")


def _malformed(message: str) -> OrgQueryError:
    return OrgQueryError("MALFORMED_QUERY", message)


def _bad_filter(message: str) -> OrgQueryError:
    return OrgQueryError("INVALID_QUERY_FILTER_OPERATOR", message)


def _refuse_unsupported(query: ast.Query) -> None:
    """Refuse the clauses the evaluator cannot honour, instead of ignoring them."""
    refused = {
        "USING SCOPE": query.using_scope,
        "WITH DATA CATEGORY": query.data_category,
        "WITH SYSTEM_MODE": query.security == "SYSTEM_MODE",  # the org always enforces the running user's access
        f"GROUP BY {query.group_by_kind}": query.group_by_kind,
        "FOR UPDATE": query.for_clause == "UPDATE",
        f"UPDATE {query.update}": query.update,
        "TYPEOF": any(isinstance(item, ast.TypeOf) for item in query.select),
    }
    for feature, present in refused.items():
        if present:
            raise _unsupported(feature)


# -- values --------------------------------------------------------------------------------------------------------


def _fold(value: Any) -> str:
    return str(value).casefold()


def _id_key(value: Any) -> str:
    """An id in its 18-character form: a 15-character id gains the suffix that encodes its upper-case letters."""
    text = str(value)
    if len(text) != 15:
        return text
    return text + case_suffix(text)


def _multi_key(value: Any) -> frozenset[str]:
    return frozenset(part.strip().casefold() for part in str(value).split(";") if part.strip())


def _date_key(value: Any) -> str:
    return str(value)[:10]


def _datetime_key(value: Any) -> str:
    """A datetime as comparable UTC text, ``2026-05-20T20:49:32.000``."""
    text = str(value)
    if len(text) == 28 and text.endswith("+0000"):  # how Salesforce (and so the org's records) writes datetimes
        return text[:23]
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC)
    return f"{parsed:%Y-%m-%dT%H:%M:%S}.{parsed.microsecond // 1000:03d}"


_ID_TEXT: Final = re.compile(r"[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?")


def _id_literal(literal: ast.StringLit) -> str:
    if not _ID_TEXT.fullmatch(literal.value):
        raise _bad_filter(f"invalid ID field: {literal.value}")
    return _id_key(literal.value)


def _number_literal(literal: ast.NumberLit | ast.CurrencyLit) -> float:
    # The org is single-currency: a currency literal compares by its amount.
    return float(literal.amount if isinstance(literal, ast.CurrencyLit) else literal.value)


@dataclass(frozen=True, slots=True)
class _Kind:
    """How the values of one describe type compare: a key for stored values, the literals accepted, the operators."""

    label: str
    key: Getter
    accepts: tuple[type, ...]
    literal: Getter
    quoted: bool = False
    ordered: bool = True
    sortable: bool = True
    text: bool = False
    day: Callable[[dt.date], str] | None = None
    """How a day boundary is written in keys, for kinds that take relative date literals."""


def _number(label: str, *, currency: bool = False) -> _Kind:
    accepts = (ast.NumberLit, ast.CurrencyLit) if currency else (ast.NumberLit,)
    return _Kind(label, float, accepts, _number_literal)


_STRING = _Kind("string", _fold, (ast.StringLit,), lambda lit: lit.value.casefold(), quoted=True, text=True)
_ID = _Kind("id", _id_key, (ast.StringLit,), _id_literal, quoted=True, text=True)
_MULTI = _Kind(
    "multipicklist",
    _multi_key,
    (ast.StringLit,),
    lambda lit: _multi_key(lit.value),
    quoted=True,
    ordered=False,
    sortable=False,
)
_BOOLEAN = _Kind("boolean", bool, (ast.BoolLit,), lambda lit: lit.value, ordered=False)
_DATE = _Kind("date", _date_key, (ast.DateLit,), lambda lit: lit.text, day=dt.date.isoformat)
_DATETIME = _Kind(
    "dateTime",
    _datetime_key,
    (ast.DateTimeLit,),
    lambda lit: _datetime_key(lit.text),
    day=lambda day: f"{day.isoformat()}T00:00:00.000",
)
_KINDS: Final = {
    "id": _ID,
    "reference": _ID,
    "multipicklist": _MULTI,
    "boolean": _BOOLEAN,
    "date": _DATE,
    "datetime": _DATETIME,
    "double": _number("double"),
    "int": _number("integer"),
    "long": _number("long"),
    "percent": _number("percent"),
    "currency": _number("currency", currency=True),
}
_COUNT_KIND: Final = _KINDS["int"]


def _kind_of(field: FieldSpec) -> _Kind:
    return _KINDS.get(field.type, _STRING)


# -- relative date literals ----------------------------------------------------------------------------------------

_FIXED_LITERALS: Final = {
    f"{word}_{unit}" if word else unit: (unit, shift)
    for unit in ("WEEK", "MONTH", "QUARTER", "YEAR")
    for word, shift in (("LAST", -1), ("THIS", 0), ("NEXT", 1))
} | {"YESTERDAY": ("DAY", -1), "TODAY": ("DAY", 0), "TOMORROW": ("DAY", 1)}
_N_LITERAL: Final = re.compile(r"(?:(LAST|NEXT)_N_(DAY|WEEK|MONTH|QUARTER|YEAR)S|N_(DAY|WEEK|MONTH|QUARTER|YEAR)S_AGO)")
_MONTHS_IN: Final = {"MONTH": 1, "QUARTER": 3, "YEAR": 12}


def _period_start(today: dt.date, unit: str) -> dt.date:
    """The first day of the day, week (Sunday, as in the en_US locale), month, quarter or year holding ``today``."""
    if unit == "DAY":
        return today
    if unit == "WEEK":
        return today - dt.timedelta(days=(today.weekday() + 1) % 7)
    month = 1 if unit == "YEAR" else (today.month - 1) // _MONTHS_IN[unit] * _MONTHS_IN[unit] + 1
    return today.replace(month=month, day=1)


def _shift(start: dt.date, unit: str, periods: int) -> dt.date:
    if unit in ("DAY", "WEEK"):
        return start + dt.timedelta(days=periods * (7 if unit == "WEEK" else 1))
    months = start.year * 12 + start.month - 1 + periods * _MONTHS_IN[unit]
    return dt.date(months // 12, months % 12 + 1, 1)


def _date_range(literal: ast.DateLiteral, today: dt.date) -> tuple[dt.date, dt.date]:
    """The days ``[start, end)`` a relative date literal covers.

    Raises:
        OrgQueryError: ``MALFORMED_QUERY`` for fiscal literals, which depend on the org's fiscal year settings.
    """
    name, n = literal.name, literal.n
    if name in _FIXED_LITERALS:
        unit, periods = _FIXED_LITERALS[name]
        start = _shift(_period_start(today, unit), unit, periods)
        return start, _shift(start, unit, 1)
    if name in ("LAST_90_DAYS", "NEXT_90_DAYS"):
        name, n = name.replace("90", "N"), 90
    match = _N_LITERAL.fullmatch(name)
    if match is None or n is None:
        raise _unsupported(f"The date literal {name}")
    unit = match.group(2) or match.group(3)
    start = _period_start(today, unit)
    if match.group(1) == "LAST":  # LAST_N_DAYS counts today; the longer units stop before the current period
        return _shift(start, unit, -n), _shift(start, unit, 1 if unit == "DAY" else 0)
    if match.group(1) == "NEXT":
        return _shift(start, unit, 1), _shift(start, unit, 1 + n)
    return _shift(start, unit, -n), _shift(start, unit, 1 - n)


# -- the org, as one call sees it ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class _Hop:
    """One child-to-parent step of a field path: ``Account`` through ``Contact.AccountId``."""

    relationship: str
    lookup: str
    targets: tuple[ObjectSpec, ...]
    index: Mapping[str, Record]
    prefixes: Mapping[str, str]

    def type_of(self, record: Record) -> str:
        """The parent's object: the lookup's target, or for a polymorphic lookup the one its id prefix names."""
        if len(self.targets) == 1:
            return self.targets[0].name
        return self.prefixes.get(str(record.get("Id", ""))[:3], self.targets[0].name)


@dataclass(frozen=True, slots=True, eq=False)
class _Path:
    """A resolved field path: the parent hops, then the field (canonical spelling)."""

    hops: tuple[_Hop, ...]
    field: FieldSpec

    @property
    def identity(self) -> tuple[tuple[str, ...], str]:
        """What makes two paths the same field, however they were spelled."""
        return tuple(hop.relationship.casefold() for hop in self.hops), self.field.name.casefold()

    def getter(self) -> Getter:
        """A function from a record to this path's value (``None`` when a lookup on the way is empty)."""
        name = self.field.name
        if not self.hops:
            return lambda record: record.get(name)
        chain = [(hop.lookup, hop.index) for hop in self.hops]

        def get(record: Record) -> Any:
            for lookup, index in chain:
                parent = index.get(record.get(lookup))  # type: ignore[arg-type]
                if parent is None:
                    return None
                record = parent
            return record.get(name)

        return get


@dataclass(frozen=True, slots=True)
class _Operand:
    """A value a condition or sort reads: how to get it from a row, how it compares, and its name for messages."""

    get: Getter
    kind: _Kind
    name: str


class _Context:
    """One call's view of the org: the running user's access, the deleted-rows flag, and indexes built on demand."""

    def __init__(
        self,
        org: OrgData,
        *,
        can_read_object: Callable[[str], bool],
        can_read_field: Callable[[str, str], bool],
        include_deleted: bool,
        url: str,
        today: dt.date,
    ) -> None:
        self.org = org
        self.can_read_object = can_read_object
        self.can_read_field = can_read_field
        self.include_deleted = include_deleted
        self.url = url
        self.today = today
        self.prefixes = {spec.key_prefix: spec.name for spec in org.schema.values() if spec.key_prefix}
        self._rows: dict[str, list[Record]] = {}
        self._indexes: dict[str, dict[str, Record]] = {}

    def object(self, written: str) -> ObjectSpec:
        """The object named ``written``, if the user may query it; else ``INVALID_TYPE`` as Salesforce says it."""
        spec = self.org.object(written)
        if spec is None or not spec.queryable or not self.can_read_object(spec.name):
            raise OrgQueryError("INVALID_TYPE", _NO_TYPE.format(written))
        return spec

    def field(self, owners: tuple[ObjectSpec, ...], written: str) -> FieldSpec:
        """The field named ``written`` on ``owners`` (several for a polymorphic lookup), if readable on each."""
        found = [(owner, spec) for owner in owners if (spec := owner.field(written)) is not None]
        if not found or not all(self.can_read_field(owner.name, spec.name) for owner, spec in found):
            raise OrgQueryError("INVALID_FIELD", _NO_COLUMN.format(written, owners[0].name))
        return found[0][1]

    def hop(self, spec: ObjectSpec, written: str) -> _Hop:
        """The parent relationship ``written`` of ``spec``, if the user may read its lookup and a parent object."""
        lookup = spec.relationship(written)
        targets: tuple[ObjectSpec, ...] = ()
        if lookup is not None and self.can_read_field(spec.name, lookup.name):
            found = (self.org.object(name) for name in lookup.reference_to)
            targets = tuple(t for t in found if t is not None and self.can_read_object(t.name))
        if lookup is None or not targets:
            raise OrgQueryError("INVALID_FIELD", _NO_RELATIONSHIP.format(written))
        index: Mapping[str, Record] = self.index(targets[0].name)
        if len(targets) > 1:
            index = functools.reduce(operator.or_, (self.index(t.name) for t in targets), {})
        return _Hop(lookup.relationship_name or written, lookup.name, targets, index, self.prefixes)

    def hops(self, spec: ObjectSpec, names: tuple[str, ...]) -> tuple[_Hop, ...]:
        """The hops of a relationship path; a polymorphic lookup ends the path (only its fields may follow)."""
        hops: list[_Hop] = []
        targets: tuple[ObjectSpec, ...] = (spec,)
        for name in names:
            if len(targets) > 1:
                raise OrgQueryError("INVALID_FIELD", _NO_RELATIONSHIP.format(name))
            hops.append(self.hop(targets[0], name))
            targets = hops[-1].targets
        return tuple(hops)

    def readable_fields(self, spec: ObjectSpec, kind: str) -> list[FieldSpec]:
        """The fields ``FIELDS(kind)`` stands for: those of the kind the user may read, in schema order."""
        return [
            f
            for f in spec.fields
            if (kind == "ALL" or f.custom == (kind == "CUSTOM")) and self.can_read_field(spec.name, f.name)
        ]

    def rows(self, sobject: str) -> list[Record]:
        """The rows of ``sobject`` this call sees (deleted ones only for ``queryAll``)."""
        rows = self._rows.get(sobject)
        if rows is None:
            stored = self.org.records.get(sobject, [])
            rows = stored if self.include_deleted else [row for row in stored if not row.get("IsDeleted")]
            if sobject.endswith("__mdt"):
                rows = self._visible_metadata(sobject, rows)
            self._rows[sobject] = rows
        return rows

    def _visible_metadata(self, sobject: str, rows: list[Record]) -> list[Record]:
        """Custom Metadata rows whose Metadata Relationship targets an object the user cannot see are hidden.

        That is Salesforce's rule for SOQL on CMT (Setup and the Metadata API show every row), and the reason
        the classification loader must fail closed when expected rows are missing.
        """
        spec = self.org.object(sobject)
        links = [f.name for f in spec.fields if "EntityDefinition" in f.reference_to] if spec else []
        if not links:
            return rows
        names = {row["Id"]: row.get("QualifiedApiName") for row in self.org.records.get("EntityDefinition", [])}
        return [
            row
            for row in rows
            if all(row.get(link) is None or self.can_read_object(str(names.get(row[link], ""))) for link in links)
        ]

    def index(self, sobject: str) -> dict[str, Record]:
        """``{Id: row}`` of ``sobject``, built once per call."""
        index = self._indexes.get(sobject)
        if index is None:
            index = self._indexes[sobject] = {row["Id"]: row for row in self.rows(sobject) if "Id" in row}
        return index


class _Scope:
    """Names as one (sub)query sees them: its object, its FROM alias and the relationships aliased in FROM."""

    def __init__(self, ctx: _Context, spec: ObjectSpec, query: ast.Query) -> None:
        _refuse_unsupported(query)
        self.ctx = ctx
        self.spec = spec
        self.today = ctx.today
        self.alias = (query.alias or "").casefold()
        self.related: dict[str, tuple[str, ...]] = {}
        for related in query.related:
            path = self.relative(related.path)
            ctx.hops(spec, path)
            if related.alias:
                self.related[related.alias.casefold()] = path

    def relative(self, path: tuple[str, ...]) -> tuple[str, ...]:
        """The path from this scope's object: without a leading alias or object name, with FROM aliases expanded."""
        head = path[0].casefold()
        if len(path) > 1 and head == self.alias:
            return path[1:]
        if len(path) > 1 and head in self.related:
            return self.related[head] + path[1:]
        if len(path) > 1 and head == self.spec.name.casefold() and self.spec.relationship(path[0]) is None:
            return path[1:]
        return path

    def resolve(self, ref: ast.FieldRef) -> _Path:
        """Resolve a field path, checking each step against the schema and the user's access."""
        path = self.relative(ref.path)
        hops = self.ctx.hops(self.spec, path[:-1])
        return _Path(hops, self.ctx.field(hops[-1].targets if hops else (self.spec,), path[-1]))

    def operand(self, expr: ast.FieldRef | ast.FunctionCall) -> _Operand:
        """A field as a condition or sort reads it; functions are refused."""
        if isinstance(expr, ast.FunctionCall):
            raise _unsupported(f"{expr.name}()")
        path = self.resolve(expr)
        return _Operand(path.getter(), _kind_of(path.field), path.field.name)

    def semi_join(self, cond: ast.InSubquery) -> Predicate:
        """``Id [NOT] IN (SELECT AccountId FROM Contact …)``: the subquery runs once, into a set of ids."""
        left = self.operand(cond.left)
        inner = cond.query
        scope = _Scope(self.ctx, self.ctx.object(inner.sobject), inner)
        item = inner.select[0]
        if len(inner.select) != 1 or not isinstance(item, ast.SelectExpr) or _is_aggregate(inner):
            raise _malformed("a semi-join or anti-join subquery selects exactly one Id or reference field")
        right = scope.operand(item.expr)
        if left.kind is not _ID or right.kind is not _ID:
            raise _malformed("a semi-join or anti-join compares an Id or reference field with one in the subquery")
        get = right.get
        rows = _selection(scope, inner).apply(self.ctx.rows(scope.spec.name))
        ids = {_id_key(value) for row in rows if (value := get(row)) is not None}
        outer = left.get
        if cond.negated:
            return lambda row: (value := outer(row)) is None or _id_key(value) not in ids
        return lambda row: (value := outer(row)) is not None and _id_key(value) in ids


# -- conditions ----------------------------------------------------------------------------------------------------


def _condition(cond: ast.Condition, scope: _Scope | _GroupScope) -> Predicate:
    """Compile a WHERE or HAVING condition into one predicate over a row (a record, or a group for HAVING)."""
    if isinstance(cond, ast.And | ast.Or):
        parts = [_condition(item, scope) for item in cond.items]
        return functools.reduce(_both if isinstance(cond, ast.And) else _either, parts)
    if isinstance(cond, ast.Not):
        inner = _condition(cond.item, scope)
        return lambda row: not inner(row)
    if isinstance(cond, ast.InSubquery):
        return scope.semi_join(cond)
    operand = scope.operand(cond.left)
    if isinstance(cond, ast.Comparison):
        return _comparison(operand, cond, scope.today)
    if isinstance(cond, ast.InList):
        return _membership(operand, cond, scope.today)
    return _includes(operand, cond)


def _both(first: Predicate, second: Predicate) -> Predicate:
    return lambda row: first(row) and second(row)


def _either(first: Predicate, second: Predicate) -> Predicate:
    return lambda row: first(row) or second(row)


def _literal(operand: _Operand, value: ast.Value) -> Any:
    kind = operand.kind
    if not isinstance(value, kind.accepts):
        quotes = "should be enclosed in quotes" if kind.quoted else "should not be enclosed in quotes"
        raise _bad_filter(
            f"value of filter criterion for field '{operand.name}' must be of type {kind.label} and {quotes}"
        )
    return kind.literal(value)


_ORDERING: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _comparison(operand: _Operand, cond: ast.Comparison, today: dt.date) -> Predicate:
    get, key, op, right = operand.get, operand.kind.key, cond.op, cond.right
    if op == "LIKE":
        return _like(operand, right)
    if isinstance(right, ast.NullLit):
        return _null_test(get, op)
    if isinstance(right, ast.DateLiteral):
        return _in_period(operand, op, _period_keys(operand, right, today))
    literal = _literal(operand, right)
    if op == "=":
        return lambda row: (value := get(row)) is not None and key(value) == literal
    if op == "!=":
        return lambda row: (value := get(row)) is None or key(value) != literal
    if not operand.kind.ordered:
        raise _bad_filter(f"invalid operator on {operand.kind.label} field '{operand.name}': {op}")
    compare = _ORDERING[op]
    return lambda row: (value := get(row)) is not None and compare(key(value), literal)


def _null_test(get: Getter, op: str) -> Predicate:
    if op == "=":
        return lambda row: get(row) is None
    if op == "!=":
        return lambda row: get(row) is not None
    raise _unsupported(f"Comparing with null by {op}")


def _period_keys(operand: _Operand, literal: ast.DateLiteral, today: dt.date) -> tuple[Any, Any]:
    day = operand.kind.day
    if day is None:
        raise _bad_filter(f"value of filter criterion for field '{operand.name}' must be of type {operand.kind.label}")
    start, end = _date_range(literal, today)
    return day(start), day(end)


def _in_period(operand: _Operand, op: str, period: tuple[Any, Any]) -> Predicate:
    """``CloseDate < THIS_MONTH``: a relative date literal is a period, and each operator reads one of its ends."""
    get, key = operand.get, operand.kind.key
    start, end = period
    if op == "!=":
        return lambda row: (value := get(row)) is None or not start <= key(value) < end
    tests: dict[str, Predicate] = {
        "=": lambda k: start <= k < end,
        "<": lambda k: k < start,
        "<=": lambda k: k < end,
        ">": lambda k: k >= end,
        ">=": lambda k: k >= start,
    }
    test = tests[op]
    return lambda row: (value := get(row)) is not None and test(key(value))


def _like_regex(raw: str) -> re.Pattern[str]:
    r"""``%`` and ``_`` are wildcards, ``\%`` and ``\_`` the characters themselves; other escapes as in strings."""
    parts = []
    for piece in re.findall(r"\\u[0-9a-fA-F]{4}|\\.|.", raw, re.DOTALL):
        if piece in ("%", "_"):
            parts.append(".*" if piece == "%" else ".")
        elif piece in ("\\%", "\\_"):
            parts.append(re.escape(piece[1]))
        else:
            parts.append(re.escape(ast.StringLit(piece).value))
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _like(operand: _Operand, right: ast.Value) -> Predicate:
    if isinstance(right, ast.NullLit):
        raise _unsupported("LIKE null")
    if not operand.kind.text or not isinstance(right, ast.StringLit):
        raise _bad_filter(f"invalid operator on {operand.kind.label} field '{operand.name}': LIKE applies to text")
    match, get = _like_regex(right.raw).fullmatch, operand.get
    return lambda row: (value := get(row)) is not None and match(str(value)) is not None


def _membership(operand: _Operand, cond: ast.InList, today: dt.date) -> Predicate:
    keys: set[Any] = set()
    periods: list[tuple[Any, Any]] = []
    nulls = False
    for value in cond.values:
        if isinstance(value, ast.NullLit):
            nulls = True
        elif isinstance(value, ast.DateLiteral):
            periods.append(_period_keys(operand, value, today))
        else:
            keys.add(_literal(operand, value))
    get, key = operand.get, operand.kind.key

    def member(row: Any) -> bool:
        value = get(row)
        if value is None:
            return nulls
        k = key(value)
        return k in keys or any(start <= k < end for start, end in periods)

    return (lambda row: not member(row)) if cond.negated else member


def _includes(operand: _Operand, cond: ast.Includes) -> Predicate:
    if operand.kind is not _MULTI:
        raise _bad_filter(f"INCLUDES and EXCLUDES apply only to multi-select picklists, not to '{operand.name}'")
    wanted = [_multi_key(value.value) for value in cond.values]
    get = operand.get

    def includes(row: Any) -> bool:
        value = get(row)
        return value is not None and any(values <= _multi_key(value) for values in wanted)

    return (lambda row: not includes(row)) if cond.excludes else includes


# -- selecting and ordering rows -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _SortKey:
    """One ORDER BY item: a comparable key of a row (``None`` for null), its direction and where nulls go."""

    key: Getter
    descending: bool
    nulls_first: bool


def _sort_key(operand: _Operand, item: ast.OrderItem) -> _SortKey:
    if not operand.kind.sortable:
        raise OrgQueryError("INVALID_FIELD", f"field '{operand.name}' can not be sorted in a query call")
    descending = item.direction == "DESC"
    nulls_first = item.nulls == "FIRST" if item.nulls else not descending
    get, key = operand.get, operand.kind.key
    return _SortKey(lambda row: None if (value := get(row)) is None else key(value), descending, nulls_first)


def _sort(rows: list[Any], keys: tuple[_SortKey, ...]) -> list[Any]:
    """Stable sorts from the last key to the first; nulls are set aside, so they never meet a value."""
    for sort_key in reversed(keys):
        values = [sort_key.key(row) for row in rows]
        present = [i for i, value in enumerate(values) if value is not None]
        missing = [i for i, value in enumerate(values) if value is None]
        present.sort(key=values.__getitem__, reverse=sort_key.descending)
        order = missing + present if sort_key.nulls_first else present + missing
        rows = [rows[i] for i in order]
    return rows


@dataclass(frozen=True, slots=True)
class _Selection:
    """Which rows a (sub)query keeps, and in what order: its WHERE, ORDER BY, OFFSET and LIMIT, compiled."""

    where: Predicate | None
    order: tuple[_SortKey, ...]
    offset: int
    limit: int | None

    def filter(self, rows: Iterable[Any]) -> list[Any]:
        """The rows the WHERE clause keeps."""
        return list(rows if self.where is None else filter(self.where, rows))

    def arrange(self, rows: list[Any]) -> list[Any]:
        """Sort, then skip OFFSET rows and keep LIMIT."""
        rows = _sort(rows, self.order) if self.order else rows
        return rows[self.offset : None if self.limit is None else self.offset + self.limit]

    def apply(self, rows: Iterable[Any]) -> list[Any]:
        """Filter and arrange; without ORDER BY, filtering stops as soon as LIMIT is reached."""
        if not self.order and self.limit is not None:
            kept = rows if self.where is None else filter(self.where, rows)
            return list(itertools.islice(kept, self.offset, self.offset + self.limit))
        return self.arrange(self.filter(rows))


def _selection(scope: _Scope | _GroupScope, query: ast.Query) -> _Selection:
    where = None if query.where is None else _condition(query.where, scope)
    order = tuple(_sort_key(scope.operand(item.expr), item) for item in query.order_by)
    return _Selection(where, order, query.offset or 0, query.limit)


# -- record queries ------------------------------------------------------------------------------------------------


class _Projection:
    """The REST shape of one object's rows: selected fields, parent objects and child results, in SELECT order."""

    def __init__(self, type_of: Callable[[Record], str], url: str) -> None:
        self.type_of = type_of
        self.url = url
        self.entries: dict[str, tuple[str, Getter | None]] = {}
        self.parents: dict[str, _Projection] = {}
        self._items: tuple[tuple[str, Getter | None], ...] = ()

    def add_path(self, path: _Path, written: str) -> None:
        """Add a field; paths through the same parent share one nested object."""
        node = self
        for hop in path.hops:
            node = node.parent(hop)
        node.add(path.field.name, None, written)

    def parent(self, hop: _Hop) -> _Projection:
        """The nested projection of a parent relationship, created where the relationship first appears."""
        folded = hop.relationship.casefold()
        node = self.parents.get(folded)
        if node is None:
            node = self.parents[folded] = _Projection(hop.type_of, self.url)
            project, index, lookup = node.project, hop.index, hop.lookup
            self.add(
                hop.relationship,
                lambda row: None if (up := index.get(row.get(lookup))) is None else project(up),
                hop.relationship,
            )
        return node

    def add(self, name: str, value: Getter | None, written: str) -> None:
        """Add an output key, taken from the row (``value`` is ``None``) or computed."""
        folded = name.casefold()
        if folded in self.entries:
            raise OrgQueryError("INVALID_FIELD", f"duplicate field selected: {written}")
        self.entries[folded] = (name, value)

    def project(self, row: Record) -> Record:
        """One row in the REST shape."""
        get = row.get
        sobject = self.type_of(row)
        out: Record = {"attributes": {"type": sobject, "url": f"{self.url}/{sobject}/{get('Id')}"}}
        for name, value in self._items or self._freeze():
            out[name] = get(name) if value is None else value(row)
        return out

    def _freeze(self) -> tuple[tuple[str, Getter | None], ...]:
        # Read once the query is compiled: projection is most of a large query's time, so no dict view per row.
        self._items = tuple(self.entries.values())
        return self._items


def _record_query(scope: _Scope, query: ast.Query) -> tuple[_Selection, _Projection]:
    name = scope.spec.name
    projection = _Projection(lambda _row: name, scope.ctx.url)
    for item in query.select:
        if isinstance(item, ast.SubQuery):
            _add_children(scope, projection, item.query)
        elif isinstance(item, ast.FieldsSelector):
            for field in scope.ctx.readable_fields(scope.spec, item.kind):
                projection.add_path(_Path((), field), field.name)
        elif isinstance(item, ast.SelectExpr):
            if isinstance(item.expr, ast.FunctionCall):
                raise _unsupported(f"{item.expr.name}()")
            projection.add_path(scope.resolve(item.expr), item.expr.dotted)
    return _selection(scope, query), projection


def _add_children(scope: _Scope, projection: _Projection, sub: ast.Query) -> None:
    """A parent-to-child subquery: its rows grouped by parent once, then sorted and limited per parent."""
    ctx = scope.ctx
    name, child, lookup = _child_relationship(scope, sub.sobject)
    if _is_aggregate(sub):
        raise _unsupported("An aggregate function in a child subquery")
    selection, rows = _record_query(_Scope(ctx, child, sub), sub)
    by_parent = functools.cache(lambda: _group_by(selection.filter(ctx.rows(child.name)), lookup))

    def children(row: Record) -> Record | None:
        kept = selection.arrange(by_parent().get(row.get("Id"), []))
        if not kept:
            return None
        return {"totalSize": len(kept), "done": True, "records": [rows.project(r) for r in kept]}

    projection.add(name, children, sub.sobject)


def _child_relationship(scope: _Scope, written: str) -> tuple[str, ObjectSpec, str]:
    """``(relationship name, child object, lookup field)`` of a child subquery's FROM, if the user may read it."""
    path = scope.relative(tuple(written.split(".")))
    relationship = scope.spec.child(path[0]) if len(path) == 1 else None
    child = scope.ctx.org.object(relationship.child_object) if relationship else None
    lookup = child.field(relationship.field) if child and relationship else None
    ctx = scope.ctx
    if (
        relationship
        and child
        and lookup
        and ctx.can_read_object(child.name)
        and ctx.can_read_field(child.name, lookup.name)
    ):
        return relationship.name, child, lookup.name
    raise OrgQueryError("INVALID_TYPE", _NO_CHILD.format(written))


def _group_by(rows: list[Record], field: str) -> dict[Any, list[Record]]:
    groups: dict[Any, list[Record]] = {}
    for row in rows:
        groups.setdefault(row.get(field), []).append(row)
    return groups


# -- aggregate queries ---------------------------------------------------------------------------------------------


def _counts_rows(query: ast.Query) -> bool:
    return any(isinstance(i, ast.SelectExpr) and i.expr == ast.FunctionCall("COUNT", ()) for i in query.select)


def _is_aggregate(query: ast.Query) -> bool:
    calls = (i.expr for i in query.select if isinstance(i, ast.SelectExpr) and isinstance(i.expr, ast.FunctionCall))
    return bool(query.group_by) or any(call.name in AGGREGATES for call in calls)


def _count_query(scope: _Scope, query: ast.Query) -> ExecuteResult:
    """``SELECT COUNT()``: no rows, the count in ``totalSize`` (after OFFSET and LIMIT, as Salesforce counts)."""
    selection = _selection(scope, query)
    count = max(0, len(selection.filter(scope.ctx.rows(scope.spec.name))) - selection.offset)
    return ExecuteResult([], count if selection.limit is None else min(count, selection.limit))


@dataclass(frozen=True, slots=True)
class _Group:
    """The rows sharing one GROUP BY key."""

    key: tuple[Any, ...]
    rows: list[Record]


def _aggregate(name: str, operand: _Operand) -> _Operand:
    """An aggregate function over one field, as an operand of a group."""
    get, kind = operand.get, operand.kind
    label = f"{name}({operand.name})"
    if name == "COUNT":
        return _Operand(lambda g: sum(1 for row in g.rows if get(row) is not None), _COUNT_KIND, label)
    if name == "COUNT_DISTINCT":
        return _Operand(
            lambda g: len({kind.key(v) for row in g.rows if (v := get(row)) is not None}), _COUNT_KIND, label
        )
    if (name in ("SUM", "AVG") and ast.NumberLit not in kind.accepts) or not kind.ordered:
        raise _malformed(f"field {operand.name} does not support aggregate operator {name}")

    def values(group: _Group) -> list[Any]:
        return [value for row in group.rows if (value := get(row)) is not None]

    compute: dict[str, Callable[[list[Any]], Any]] = {
        "SUM": sum,
        "AVG": lambda found: sum(found) / len(found),
        "MIN": functools.partial(min, key=kind.key),
        "MAX": functools.partial(max, key=kind.key),
    }
    reduce = compute[name]
    return _Operand(lambda g: reduce(found) if (found := values(g)) else None, kind, label)


class _GroupScope:
    """Names as SELECT, HAVING and ORDER BY see them in an aggregate query: the grouped fields and aggregates."""

    def __init__(self, scope: _Scope, group_by: tuple[ast.FieldRef | ast.FunctionCall, ...]) -> None:
        self.scope = scope
        self.today = scope.today
        self.keys = [scope.operand(expr) for expr in group_by]
        self.grouped = {
            scope.resolve(expr).identity: i for i, expr in enumerate(group_by) if isinstance(expr, ast.FieldRef)
        }

    def operand(self, expr: ast.FieldRef | ast.FunctionCall) -> _Operand:
        """A grouped field's value, or an aggregate over the group's rows."""
        if isinstance(expr, ast.FunctionCall):
            if expr.name not in AGGREGATES:
                raise _unsupported(f"{expr.name}()")
            if not expr.args:
                return _Operand(lambda g: len(g.rows), _COUNT_KIND, "COUNT()")
            if not isinstance(expr.args[0], ast.FieldRef):
                raise _unsupported(f"{expr.name}() of an expression")
            return _aggregate(expr.name, self.scope.operand(expr.args[0]))
        position = self.grouped.get(self.scope.resolve(expr).identity)
        if position is None:
            raise _malformed(f"Field must be grouped or aggregated: {expr.dotted}")
        field = self.keys[position]
        return _Operand(lambda g: g.key[position], field.kind, field.name)

    def semi_join(self, cond: ast.InSubquery) -> Predicate:
        """Refuse a semi-join in HAVING (the parser already does)."""
        raise _malformed(f"a semi-join cannot filter groups: {cond.left.dotted}")

    def groups(self, rows: list[Record]) -> list[_Group]:
        """The groups of ``rows`` in order of first appearance; one group of all rows without GROUP BY."""
        if not self.keys:
            return [_Group((), rows)]
        getters = [key.get for key in self.keys]
        groups: dict[Any, list[Record]] = {}
        if len(getters) == 1:  # the common case, without a tuple per row
            for row in rows:
                groups.setdefault(getters[0](row), []).append(row)
            return [_Group((key,), members) for key, members in groups.items()]
        for row in rows:
            groups.setdefault(tuple(get(row) for get in getters), []).append(row)
        return [_Group(key, members) for key, members in groups.items()]


def _aggregate_query(scope: _Scope, query: ast.Query) -> ExecuteResult:
    """GROUP BY and aggregate functions: ``AggregateResult`` rows, where unaliased aggregates are named ``exprN``."""
    where = None if query.where is None else _condition(query.where, scope)
    group_scope = _GroupScope(scope, query.group_by)
    columns = _columns(group_scope, query.select)
    having = None if query.having is None else _condition(query.having, group_scope)
    order = tuple(_sort_key(group_scope.operand(item.expr), item) for item in query.order_by)
    selection = _Selection(having, order, query.offset or 0, query.limit)
    rows = scope.ctx.rows(scope.spec.name)
    groups = selection.apply(group_scope.groups(rows if where is None else list(filter(where, rows))))
    records = [{"attributes": {"type": "AggregateResult"}} | {name: get(g) for name, get in columns} for g in groups]
    return ExecuteResult(records, len(records))


def _columns(scope: _GroupScope, select: tuple[ast.SelectItem, ...]) -> list[tuple[str, Getter]]:
    columns: dict[str, tuple[str, Getter]] = {}
    unnamed = itertools.count()
    for item in select:
        if not isinstance(item, ast.SelectExpr):
            raise _malformed("an aggregate query selects only grouped fields and aggregate functions")
        operand = scope.operand(item.expr)
        name = item.alias or (operand.name if isinstance(item.expr, ast.FieldRef) else f"expr{next(unnamed)}")
        if name.casefold() in columns:
            raise _malformed(f"duplicate alias: {name}")
        columns[name.casefold()] = (name, operand.get)
    return list(columns.values())


# -- the Metadata Catalog ------------------------------------------------------------------------------------------


def _catalog_query(query: ast.Query, spec: ObjectSpec) -> ast.Query:
    """Apply the Metadata Catalog's SOQL limits; the query comes back without LIMIT and OFFSET, which it ignores."""
    if _is_aggregate(query):
        raise _malformed(
            "The requested operation is not yet supported by this SObject storage type, contact salesforce.com "
            "support for more information."
        )
    _check_catalog_filter(query.where)
    if spec.name.casefold() in _CATALOG_NEEDS_ENTITY and not _filters_entity(query.where):
        raise OrgQueryError(
            "EXTERNAL_OBJECT_UNSUPPORTED_EXCEPTION", f"{spec.name}: a filter on a reified column is required."
        )
    return replace(query, limit=None, offset=None)


def _filters_entity(where: ast.Condition | None) -> bool:
    """Whether a top-level conjunct of WHERE picks the object (``EntityDefinition.QualifiedApiName = 'Contact'``)."""
    conjuncts = where.items if isinstance(where, ast.And) else (where,)
    return any(
        isinstance(c, ast.Comparison | ast.InList)
        and isinstance(c.left, ast.FieldRef)
        and c.left.path[0].casefold() in _ENTITY_FILTERS
        for c in conjuncts
    )


def _check_catalog_filter(cond: ast.Condition | None) -> None:
    if isinstance(cond, ast.Or):
        raise _malformed("Disjunctions not supported")
    if isinstance(cond, ast.And):
        for item in cond.items:
            _check_catalog_filter(item)
    elif isinstance(cond, ast.Includes):
        raise _malformed("Unsupported filter type")
    elif (
        isinstance(cond, ast.Not)
        or (isinstance(cond, ast.Comparison) and cond.op not in ("=", "LIKE"))
        or (isinstance(cond, ast.InList | ast.InSubquery) and cond.negated)
    ):
        raise _malformed("Only equals comparisons permitted")
