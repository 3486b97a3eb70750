"""Every field a query touches, clause by clause, resolved to ``(object, field)`` through relationship paths.

Filtering, sorting or grouping on a field leaks it by inference as surely as selecting it, so the guard needs the
complete list: SELECT (with TYPEOF branches and functions), WHERE (with semi-join subqueries), GROUP BY, HAVING,
ORDER BY, and the same for each child subquery against the child object.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from sfshield.soql import ast

__all__ = ["ANY_OBJECT", "Clause", "Reference", "references", "subqueries"]

ANY_OBJECT = "*"
"""The object of a TYPEOF ``ELSE`` field: any type the polymorphic field may hold."""


class Clause(StrEnum):
    """Where in a query a field is used."""

    SELECT = "select"
    WHERE = "where"
    GROUP_BY = "group_by"
    HAVING = "having"
    ORDER_BY = "order_by"


@dataclass(frozen=True, slots=True)
class Reference:
    """One use of a field: the clause, the object the path starts from, and the path as written."""

    clause: Clause
    sobject: str
    alias: str | None
    path: tuple[str, ...]
    direct: bool = True
    """Whether the field's own value comes back (``Name``, ``toLabel(Status)``), not an aggregate or part of it."""

    @property
    def relative_path(self) -> tuple[str, ...]:
        """The path without a leading FROM alias."""
        if self.alias and len(self.path) > 1 and self.path[0].casefold() == self.alias.casefold():
            return self.path[1:]
        return self.path


def references(query: ast.Query, /) -> Iterator[Reference]:
    """Yield every field reference of ``query`` and of its subqueries (children against the child object)."""
    yield from _select(query)
    yield from _conditions(query, query.where, Clause.WHERE)
    for expr in query.group_by:
        yield from _expr(query, expr, Clause.GROUP_BY)
    yield from _conditions(query, query.having, Clause.HAVING)
    for item in query.order_by:
        yield from _expr(query, item.expr, Clause.ORDER_BY)


_VALUE_PRESERVING = frozenset({"toLabel", "convertCurrency", "FORMAT"})


def _ref(query: ast.Query, clause: Clause, path: tuple[str, ...], *, direct: bool = True) -> Reference:
    return Reference(clause, query.sobject, query.alias, path, direct)


def _select(query: ast.Query) -> Iterator[Reference]:
    for item in query.select:
        if isinstance(item, ast.SelectExpr):
            yield from _expr(query, item.expr, Clause.SELECT)
        elif isinstance(item, ast.TypeOf):
            yield from _typeof(item)
        # Sub-queries are checked as queries of their own (the caller walks them); FIELDS() is expanded or refused.


def _typeof(item: ast.TypeOf) -> Iterator[Reference]:
    # The polymorphic field itself (What) only links; the fields of each branch carry the values.
    for when in item.whens:
        for field in when.fields:
            yield Reference(Clause.SELECT, when.sobject, None, field.path)
    for field in item.else_fields:
        yield Reference(Clause.SELECT, ANY_OBJECT, None, field.path)


def _expr(query: ast.Query, expr: ast.Expr, clause: Clause, *, direct: bool = True) -> Iterator[Reference]:
    if isinstance(expr, ast.FieldRef):
        yield _ref(query, clause, expr.path, direct=direct)
    elif isinstance(expr, ast.FunctionCall):
        keeps_value = direct and expr.name in _VALUE_PRESERVING
        for arg in expr.args:
            yield from _expr(query, arg, clause, direct=keeps_value)


def _conditions(query: ast.Query, cond: ast.Condition | None, clause: Clause) -> Iterator[Reference]:
    if cond is None:
        return
    if isinstance(cond, ast.And | ast.Or):
        for item in cond.items:
            yield from _conditions(query, item, clause)
    elif isinstance(cond, ast.Not):
        yield from _conditions(query, cond.item, clause)
    else:
        yield from _expr(query, cond.left, clause)


def subqueries(query: ast.Query, /) -> Iterator[tuple[str, ast.Query]]:
    """Yield ``(kind, query)`` for each child subquery (``child``) and semi-/anti-join (``join``)."""
    for item in query.select:
        if isinstance(item, ast.SubQuery):
            yield "child", item.query
    yield from (("join", q) for q in _joins(query.where))


def _joins(cond: ast.Condition | None) -> Iterator[ast.Query]:
    if isinstance(cond, ast.And | ast.Or):
        for item in cond.items:
            yield from _joins(item)
    elif isinstance(cond, ast.Not):
        yield from _joins(cond.item)
    elif isinstance(cond, ast.InSubquery):
        yield cond.query
