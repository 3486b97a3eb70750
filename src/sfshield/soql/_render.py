"""Rendering a syntax tree back to canonical SOQL: keywords upper-case, single spaces, clauses in order.

``parse(render(q)) == q`` for every tree the parser produces.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sfshield.soql import ast

__all__ = ["render"]


def render(query: ast.Query, /) -> str:
    """Return canonical SOQL for ``query``."""
    parts = [f"SELECT {_join(_select_item, query.select)} FROM {query.sobject}"]  # noqa: S608 - renders a parsed tree
    if query.alias:
        parts[-1] += f" {query.alias}"
    for rel in query.related:
        parts[-1] += f", {'.'.join(rel.path)}" + (f" {rel.alias}" if rel.alias else "")
    if query.using_scope:
        parts.append(f"USING SCOPE {query.using_scope}")
    if query.where is not None:
        parts.append(f"WHERE {_condition(query.where)}")
    if query.data_category:
        parts.append("WITH DATA CATEGORY " + " AND ".join(map(_category, query.data_category)))
    if query.security:
        parts.append(f"WITH {query.security}")
    parts.extend(_tail(query))
    return " ".join(parts)


def _tail(query: ast.Query) -> Iterable[str]:
    if query.group_by:
        items = _join(_expr, query.group_by)
        yield f"GROUP BY {query.group_by_kind}({items})" if query.group_by_kind else f"GROUP BY {items}"
    if query.having is not None:
        yield f"HAVING {_condition(query.having)}"
    if query.order_by:
        yield f"ORDER BY {_join(_order_item, query.order_by)}"
    if query.limit is not None:
        yield f"LIMIT {query.limit}"
    if query.offset is not None:
        yield f"OFFSET {query.offset}"
    if query.for_clause:
        yield f"FOR {query.for_clause}"
    if query.update:
        yield f"UPDATE {query.update}"


def _join(fn: Callable[[Any], str], items: Iterable[Any]) -> str:
    return ", ".join(fn(item) for item in items)


def _select_item(item: ast.SelectItem) -> str:
    if isinstance(item, ast.SelectExpr):
        return _expr(item.expr) + (f" {item.alias}" if item.alias else "")
    if isinstance(item, ast.FieldsSelector):
        return f"FIELDS({item.kind})"
    if isinstance(item, ast.SubQuery):
        return f"({render(item.query)})"
    whens = " ".join(f"WHEN {w.sobject} THEN {_join(_expr, w.fields)}" for w in item.whens)
    otherwise = f" ELSE {_join(_expr, item.else_fields)}" if item.else_fields else ""
    return f"TYPEOF {item.field.dotted} {whens}{otherwise} END"


def _expr(expr: ast.Expr) -> str:
    if isinstance(expr, ast.FieldRef):
        return expr.dotted
    if isinstance(expr, ast.FunctionCall):
        return f"{expr.name}({_join(_expr, expr.args)})"
    return _value(expr)


def _value(value: ast.Value) -> str:  # noqa: PLR0911 - one branch per literal kind reads best
    if isinstance(value, ast.StringLit):
        return f"'{value.raw}'"
    if isinstance(value, ast.NumberLit):
        return str(value.value)
    if isinstance(value, ast.CurrencyLit):
        return f"{value.currency}{value.amount}"
    if isinstance(value, ast.NullLit):
        return "null"
    if isinstance(value, ast.BoolLit):
        return "true" if value.value else "false"
    if isinstance(value, ast.DateLiteral):
        return value.name if value.n is None else f"{value.name}:{value.n}"
    return value.text


def _condition(cond: ast.Condition, parent: type | None = None) -> str:
    if isinstance(cond, ast.And | ast.Or):
        word = " AND " if isinstance(cond, ast.And) else " OR "
        text = word.join(_condition(item, type(cond)) for item in cond.items)
        return f"({text})" if parent is not None else text
    if isinstance(cond, ast.Not):
        return f"NOT {_condition(cond.item, ast.Not)}"
    return _predicate(cond)


def _predicate(cond: ast.Comparison | ast.InList | ast.InSubquery | ast.Includes) -> str:
    if isinstance(cond, ast.Comparison):
        return f"{_expr(cond.left)} {cond.op} {_value(cond.right)}"
    negation = "NOT " if getattr(cond, "negated", False) else ""
    if isinstance(cond, ast.InList):
        return f"{_expr(cond.left)} {negation}IN ({_join(_value, cond.values)})"
    if isinstance(cond, ast.InSubquery):
        return f"{cond.left.dotted} {negation}IN ({render(cond.query)})"
    word = "EXCLUDES" if cond.excludes else "INCLUDES"
    return f"{cond.left.dotted} {word} ({_join(_value, cond.values)})"


def _category(item: ast.DataCategoryFilter) -> str:
    if len(item.categories) == 1:
        return f"{item.group} {item.selector} {item.categories[0]}"
    return f"{item.group} {item.selector} ({', '.join(item.categories)})"


def _order_item(item: ast.OrderItem) -> str:
    text = _expr(item.expr)
    if item.direction:
        text += f" {item.direction}"
    if item.nulls:
        text += f" NULLS {item.nulls}"
    return text
