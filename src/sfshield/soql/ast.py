r"""The SOQL syntax tree: immutable, hashable nodes that say what a query selects, filters, groups and sorts.

Nodes compare by value and carry no source positions, so ``parse(render(q)) == q``. Identifiers (objects, fields,
aliases) keep the spelling they were written with; keywords, operators, function names and date literals are
stored in their canonical spelling. String literals keep their escaped body (``raw``), because ``\\%`` and ``%``
mean different things to ``LIKE``; :attr:`StringLit.value` decodes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, TypeAlias

__all__ = [
    "And",
    "BoolLit",
    "Comparison",
    "Condition",
    "CurrencyLit",
    "DataCategoryFilter",
    "DateLit",
    "DateLiteral",
    "DateTimeLit",
    "Expr",
    "FieldRef",
    "FieldsSelector",
    "FunctionCall",
    "InList",
    "InSubquery",
    "Includes",
    "Not",
    "NullLit",
    "NumberLit",
    "Or",
    "OrderItem",
    "Query",
    "RelatedFrom",
    "SelectExpr",
    "SelectItem",
    "StringLit",
    "SubQuery",
    "TypeOf",
    "TypeOfWhen",
    "Value",
]

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_ESCAPES |= {key.upper(): value for key, value in _ESCAPES.items() if key.isalpha()}


@dataclass(frozen=True, slots=True)
class FieldRef:
    """A field or relationship path: ``Name``, ``Account.Owner.Name`` (a leading alias stays part of the path)."""

    path: tuple[str, ...]

    @property
    def dotted(self) -> str:
        """The path joined with dots, as written."""
        return ".".join(self.path)


@dataclass(frozen=True, slots=True)
class StringLit:
    """A quoted string; ``raw`` is the body between the quotes with its escapes, exactly as validated."""

    raw: str

    @property
    def value(self) -> str:
        r"""The decoded text (``\%`` and ``\_`` stay escaped: they only mean something to ``LIKE``)."""
        out: list[str] = []
        chars = iter(self.raw)
        for char in chars:
            if char != "\\":
                out.append(char)
                continue
            nxt = next(chars)
            if nxt == "u":
                out.append(chr(int("".join(next(chars) for _ in range(4)), 16)))
            else:
                out.append(_ESCAPES.get(nxt, "\\" + nxt))
        return "".join(out)


@dataclass(frozen=True, slots=True)
class NumberLit:
    """A number: ``42``, ``-3.5``, ``1e3``."""

    value: Decimal


@dataclass(frozen=True, slots=True)
class CurrencyLit:
    """A currency-prefixed number: ``USD5000``, ``EUR-10.5``."""

    currency: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class NullLit:
    """``null``."""


@dataclass(frozen=True, slots=True)
class BoolLit:
    """``true`` or ``false``."""

    value: bool


@dataclass(frozen=True, slots=True)
class DateLit:
    """A calendar date, ``2026-01-31``."""

    text: str


@dataclass(frozen=True, slots=True)
class DateTimeLit:
    """A datetime with ``Z`` or an offset, ``2026-01-31T10:00:00Z``; kept as written."""

    text: str


@dataclass(frozen=True, slots=True)
class DateLiteral:
    """A relative date literal: ``TODAY``, ``LAST_N_DAYS:30`` (``n`` is set exactly for the ``:n`` forms)."""

    name: str
    n: int | None = None


Value: TypeAlias = StringLit | NumberLit | CurrencyLit | NullLit | BoolLit | DateLit | DateTimeLit | DateLiteral


@dataclass(frozen=True, slots=True)
class FunctionCall:
    """A function call: an aggregate, a date function, ``toLabel``, ``convertCurrency``, ``FORMAT``, ``DISTANCE``."""

    name: str
    args: tuple[Expr, ...]


Expr: TypeAlias = FieldRef | FunctionCall | Value


@dataclass(frozen=True, slots=True)
class SelectExpr:
    """A field or function in the SELECT list, with an optional alias."""

    expr: FieldRef | FunctionCall
    alias: str | None = None


@dataclass(frozen=True, slots=True)
class FieldsSelector:
    """``FIELDS(ALL)``, ``FIELDS(STANDARD)`` or ``FIELDS(CUSTOM)``."""

    kind: Literal["ALL", "STANDARD", "CUSTOM"]


@dataclass(frozen=True, slots=True)
class SubQuery:
    """A parent-to-child subquery in the SELECT list: ``(SELECT LastName FROM Contacts)``."""

    query: Query


@dataclass(frozen=True, slots=True)
class TypeOfWhen:
    """One ``WHEN Account THEN Phone, Name`` branch of a ``TYPEOF``."""

    sobject: str
    fields: tuple[FieldRef, ...]


@dataclass(frozen=True, slots=True)
class TypeOf:
    """``TYPEOF What WHEN … THEN … [ELSE …] END``."""

    field: FieldRef
    whens: tuple[TypeOfWhen, ...]
    else_fields: tuple[FieldRef, ...] = ()


SelectItem: TypeAlias = SelectExpr | FieldsSelector | SubQuery | TypeOf


@dataclass(frozen=True, slots=True)
class Comparison:
    """``left op right`` with op one of ``= != < <= > >= LIKE``."""

    left: FieldRef | FunctionCall
    op: str
    right: Value


@dataclass(frozen=True, slots=True)
class InList:
    """``left [NOT] IN (v1, v2, …)``."""

    left: FieldRef | FunctionCall
    values: tuple[Value, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class InSubquery:
    """A semi-join (``IN (SELECT …)``) or anti-join (``NOT IN (SELECT …)``)."""

    left: FieldRef
    query: Query
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Includes:
    """``left INCLUDES ('a;b', 'c')`` or, with ``excludes``, ``EXCLUDES``."""

    left: FieldRef
    values: tuple[StringLit, ...]
    excludes: bool = False


@dataclass(frozen=True, slots=True)
class Not:
    """``NOT condition``."""

    item: Condition


@dataclass(frozen=True, slots=True)
class And:
    """Conditions joined by ``AND``."""

    items: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """Conditions joined by ``OR``."""

    items: tuple[Condition, ...]


Condition: TypeAlias = Comparison | InList | InSubquery | Includes | Not | And | Or


@dataclass(frozen=True, slots=True)
class DataCategoryFilter:
    """``Geography__c AT (usa__c, uk__c)`` inside ``WITH DATA CATEGORY``."""

    group: str
    selector: Literal["AT", "ABOVE", "BELOW", "ABOVE_OR_BELOW"]
    categories: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OrderItem:
    """``expr [ASC|DESC] [NULLS FIRST|LAST]``."""

    expr: FieldRef | FunctionCall
    direction: Literal["ASC", "DESC"] | None = None
    nulls: Literal["FIRST", "LAST"] | None = None


@dataclass(frozen=True, slots=True)
class RelatedFrom:
    """A relationship listed after the object in FROM: ``c.Account a`` in ``FROM Contact c, c.Account a``.

    The path may start with the object's alias or name.
    """

    path: tuple[str, ...]
    alias: str | None = None


@dataclass(frozen=True, slots=True)
class Query:
    """A whole SOQL query, clause by clause, in Salesforce's clause order."""

    select: tuple[SelectItem, ...]
    sobject: str
    alias: str | None = None
    related: tuple[RelatedFrom, ...] = ()
    using_scope: str | None = None
    where: Condition | None = None
    data_category: tuple[DataCategoryFilter, ...] = ()
    security: Literal["SECURITY_ENFORCED", "USER_MODE", "SYSTEM_MODE"] | None = None
    group_by: tuple[FieldRef | FunctionCall, ...] = ()
    group_by_kind: Literal["ROLLUP", "CUBE"] | None = None
    having: Condition | None = None
    order_by: tuple[OrderItem, ...] = ()
    limit: int | None = None
    offset: int | None = None
    for_clause: Literal["VIEW", "REFERENCE", "UPDATE"] | None = None
    update: Literal["TRACKING", "VIEWSTAT"] | None = None

    def __str__(self) -> str:
        from sfshield.soql._render import render  # noqa: PLC0415 - render imports this module

        return render(self)
