"""``SoqlGuard``: decide per purpose what an (LLM-generated) SOQL query may touch, and audit every decision.

The guard parses the query with the same parser the embedded org uses, resolves every field it touches through
relationship paths, and checks each against the classification:

* in SELECT, a field's own value may be returned unless the policy drops it (the field filter then masks,
  pseudonymizes or encrypts it on the way back);
* everywhere else — WHERE, GROUP BY, HAVING, ORDER BY, semi-join subqueries, aggregates — a field must be
  *kept* by the policy, because filtering, sorting or counting on a value reveals it by inference;
* objects must be on the guard's allow-list (default: objects the policy labels);
* ``FIELDS(...)`` is refused, or expanded to the allowed fields when a describe source is given;
* a LIMIT is added or lowered to the cap, in child subqueries too; ``queryAll`` only where allowed.

With ``rewrite=True`` disallowed SELECT items are dropped instead of rejecting the query — never a WHERE term.
Every check emits a :class:`~sfshield.audit.QueryChecked` event; the query text itself is not recorded, its sha256 is.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sfshield.audit import AuditPipeline, QueryChecked
from sfshield.audit.events import Outcome
from sfshield.classification import Action, Classification
from sfshield.exceptions import QueryRejectedError, SoqlSyntaxError
from sfshield.soql import ast
from sfshield.soql._parser import parse
from sfshield.soql._references import ANY_OBJECT, Clause, Reference, references, subqueries
from sfshield.soql._render import render

__all__ = ["CheckedQuery", "DescribeSource", "SoqlGuard"]

DescribeSource = Callable[[str], Iterable[str]]
"""Returns the field names of an object (from a describe call or a cache), for expanding ``FIELDS(...)``."""


@dataclass(frozen=True, slots=True)
class CheckedQuery:
    """A query the guard allowed: canonical SOQL, what it touches, and what the guard changed."""

    soql: str
    query: ast.Query
    objects: tuple[str, ...]
    fields: tuple[str, ...]
    changes: tuple[str, ...]
    sha256: str

    def __str__(self) -> str:
        return self.soql


class SoqlGuard:
    """Checks SOQL for one purpose against a classification (see the module docstring for the rules).

    Args:
        policy: the classification in force.
        purpose: what the query results are for.
        audit: where decisions are recorded (required).
        tenant: the tenant id for the audit trail.
        objects: the objects queries may read; default: every object the policy labels a field of.
        max_limit: the LIMIT cap, added when missing and lowered when higher.
        subquery_limit: the cap for child subqueries (default: ``max_limit``).
        allow_query_all: whether ``check(..., query_all=True)`` (deleted/archived rows) may pass.
        rewrite: drop disallowed SELECT items instead of rejecting the query.
        describe: field names per object, to expand ``FIELDS(ALL|STANDARD|CUSTOM)``.
    """

    def __init__(
        self,
        policy: Classification,
        *,
        purpose: str,
        audit: AuditPipeline,
        tenant: str,
        objects: Iterable[str] | None = None,
        max_limit: int = 2000,
        subquery_limit: int | None = None,
        allow_query_all: bool = False,
        rewrite: bool = False,
        describe: DescribeSource | None = None,
    ) -> None:
        if max_limit < 1 or (subquery_limit is not None and subquery_limit < 1):
            raise ValueError("limits must be at least 1")
        self.policy = policy
        self.purpose = policy.check_purpose(purpose)
        self.audit = audit
        self.tenant = tenant
        labelled = {key.split(".", 1)[0] for key in policy.labels if not key.startswith("*.")}
        self.objects = frozenset(o.casefold() for o in (objects if objects is not None else labelled))
        self.max_limit = max_limit
        self.subquery_limit = subquery_limit or max_limit
        self.allow_query_all = allow_query_all
        self.rewrite = rewrite
        self.describe = describe

    def __repr__(self) -> str:
        return f"SoqlGuard(purpose={self.purpose!r}, policy={self.policy.version!r})"

    def check(self, text: str, /, *, query_all: bool = False) -> CheckedQuery:
        """Check ``text``; return the (possibly rewritten) query or raise.

        Raises:
            SoqlSyntaxError: the text is not one valid query (audited as rejected).
            QueryRejectedError: the query touches what the purpose may not; lists every reason (audited).
            AuditError: the decision could not be recorded; the query must not be run.
        """
        digest = hashlib.sha256(text.encode()).hexdigest()
        try:
            query = parse(text)
        except SoqlSyntaxError as exc:
            self._emit(digest, Outcome.BLOCKED, reasons=(str(exc),), query_all=query_all)
            raise
        run = _Run(self)
        checked = run.query(query, sobject=query.sobject, kind="top")
        if query_all and not self.allow_query_all:
            run.reasons.append(f"queryAll (deleted and archived rows) is not allowed for {self.purpose}")
        if run.reasons:
            reasons = tuple(dict.fromkeys(run.reasons))
            self._emit(digest, Outcome.BLOCKED, reasons=reasons, run=run, query_all=query_all)
            raise QueryRejectedError(reasons)
        soql = render(checked)
        self._emit(digest, Outcome.ALLOWED, run=run, query_all=query_all)
        return CheckedQuery(soql, checked, run.sorted_objects(), run.sorted_fields(), tuple(run.changes), digest)

    def _emit(
        self,
        digest: str,
        outcome: Outcome,
        *,
        reasons: tuple[str, ...] = (),
        run: _Run | None = None,
        query_all: bool,
    ) -> None:
        self.audit.emit(
            QueryChecked(
                tenant=self.tenant,
                policy_version=self.policy.version,
                policy_sha256=self.policy.sha256,
                outcome=outcome,
                purpose=self.purpose,
                query_sha256=digest,
                objects=run.sorted_objects() if run else (),
                fields=run.sorted_fields() if run else (),
                reasons=reasons,
                changes=tuple(run.changes) if run else (),
                query_all=query_all,
            )
        )


class _Run:
    """The state of one check: reasons, changes, and what the query touches."""

    def __init__(self, guard: SoqlGuard) -> None:
        self.guard = guard
        self.policy = guard.policy
        self.reasons: list[str] = []
        self.changes: list[str] = []
        self.objects: set[str] = set()
        self.fields: set[str] = set()
        self.aliases: dict[str, tuple[str, ...]] = {}

    def sorted_objects(self) -> tuple[str, ...]:
        return tuple(sorted(self.objects))

    def sorted_fields(self) -> tuple[str, ...]:
        return tuple(sorted(self.fields))

    def query(self, query: ast.Query, *, sobject: str, kind: str) -> ast.Query:
        """Check one (sub)query against ``sobject``; return it with rewrites applied."""
        self._check_object(sobject)
        if query.sobject != sobject:  # a child subquery names its relationship; check it as the child object
            query = dataclasses.replace(query, sobject=sobject)
        query = self._expand_fields(query)
        dropped = self._check_references(query, filter_only=kind == "join")
        query = self._drop_select_items(query, dropped)
        query = self._subqueries(query)
        return self._cap(query, kind)

    def _check_object(self, sobject: str) -> None:
        self.objects.add(sobject)
        if sobject.casefold() not in self.guard.objects:
            self.reasons.append(f"object {sobject} may not be queried for {self.guard.purpose}")

    def _check_references(self, query: ast.Query, *, filter_only: bool) -> set[tuple[str, ...]]:
        """Check every field use; return the SELECT paths that rewrite mode may drop instead of rejecting."""
        droppable: set[tuple[str, ...]] = set()
        self.aliases = _aliases(query)
        for related in self.aliases.values():
            if related:  # a relationship named in FROM: check the objects it crosses even if no field is used
                self._resolve(Reference(Clause.SELECT, query.sobject, None, (*related, "Id")))
        for ref in references(query):
            problem = self._problem(ref, filter_only=filter_only)
            if problem is None:
                continue
            if self.guard.rewrite and ref.clause is Clause.SELECT and not filter_only:
                droppable.add(ref.path)
            else:
                self.reasons.append(problem)
        return droppable

    def _problem(self, ref: Reference, *, filter_only: bool) -> str | None:
        resolved = self._resolve(ref)
        if isinstance(resolved, str):
            return resolved
        sobject, field = resolved
        self.fields.add(f"{sobject}.{field}")
        decision = self.policy.decide(sobject, field, self.guard.purpose)
        returns_value = ref.clause is Clause.SELECT and ref.direct and not filter_only
        if decision.action is Action.KEEP or (returns_value and decision.action is not Action.DROP):
            return None
        why = decision.rule or decision.reason
        if decision.action is Action.DROP:
            return f"{sobject}.{field} is not allowed for {self.guard.purpose} ({why})"
        return (
            f"{sobject}.{field} may only be selected for {self.guard.purpose} ({decision.action} by {why}); "
            f"using it in {'a subquery filter' if filter_only else ref.clause.name.replace('_', ' ')} or an "
            "aggregate reveals it"
        )

    def _resolve(self, ref: Reference) -> tuple[str, str] | str:
        path = ref.relative_path
        expanded = self.aliases.get(path[0].casefold()) if len(path) > 1 else None
        if expanded:
            path = (*expanded, *path[1:])
        sobject = ref.sobject
        if sobject != ANY_OBJECT:
            self._check_object(sobject)  # a TYPEOF branch names an object of its own
        for relationship in path[:-1]:
            target = self.policy.target_of(sobject, relationship) if sobject != ANY_OBJECT else None
            if target is None:
                return (
                    f"cannot tell which object {sobject}.{relationship} points to; declare it under "
                    "`relationships` in the policy"
                )
            self._check_object(target)
            sobject = target
        return sobject, path[-1]

    def _expand_fields(self, query: ast.Query) -> ast.Query:
        if not any(isinstance(item, ast.FieldsSelector) for item in query.select):
            return query
        items: list[ast.SelectItem] = []
        for item in query.select:
            items.extend(self._expand(query.sobject, item) if isinstance(item, ast.FieldsSelector) else (item,))
        return dataclasses.replace(query, select=tuple(items))

    def _expand(self, sobject: str, item: ast.FieldsSelector) -> list[ast.SelectItem]:
        if self.guard.describe is None:
            self.reasons.append(f"FIELDS({item.kind}) cannot be checked without a describe source; name the fields")
            return []
        names = [
            name
            for name in self.guard.describe(sobject)
            if (item.kind == "ALL" or (item.kind == "CUSTOM") == name.endswith("__c"))
            and self.policy.decide(sobject, name, self.guard.purpose).action is not Action.DROP
        ]
        self.changes.append(f"expanded FIELDS({item.kind}) on {sobject} to {len(names)} allowed field(s)")
        return [ast.SelectExpr(ast.FieldRef((name,))) for name in names]

    def _drop_select_items(self, query: ast.Query, dropped: set[tuple[str, ...]]) -> ast.Query:
        if not dropped:
            return query
        kept = tuple(item for item in query.select if not _uses(item, dropped))
        for path in sorted(dropped):
            self.changes.append(f"dropped {query.sobject}.{'.'.join(path)} from SELECT (not allowed)")
        if not kept:
            self.reasons.append(f"nothing on {query.sobject} may be selected for {self.guard.purpose}")
            return query
        return dataclasses.replace(query, select=kept)

    def _subqueries(self, query: ast.Query) -> ast.Query:
        if not any(True for _ in subqueries(query)):
            return query
        select = tuple(self._child(query.sobject, item) for item in query.select)
        where = self._joins(query.where)
        return dataclasses.replace(query, select=select, where=where)

    def _child(self, parent: str, item: ast.SelectItem) -> ast.SelectItem:
        if not isinstance(item, ast.SubQuery):
            return item
        relationship = item.query.sobject
        target = self.policy.target_of(parent, relationship)
        if target is None:
            self.reasons.append(
                f"cannot tell which object the child relationship {parent}.{relationship} holds; declare it "
                "under `relationships` in the policy"
            )
            return item
        checked = self.query(item.query, sobject=target, kind="child")
        return ast.SubQuery(dataclasses.replace(checked, sobject=relationship))

    def _joins(self, cond: ast.Condition | None) -> ast.Condition | None:
        return None if cond is None else self._join_terms(cond)

    def _join_terms(self, cond: ast.Condition) -> ast.Condition:
        if isinstance(cond, ast.And | ast.Or):
            return type(cond)(tuple(self._join_terms(item) for item in cond.items))
        if isinstance(cond, ast.Not):
            return ast.Not(self._join_terms(cond.item))
        if isinstance(cond, ast.InSubquery):
            checked = self.query(cond.query, sobject=cond.query.sobject, kind="join")
            return dataclasses.replace(cond, query=checked)
        return cond

    def _cap(self, query: ast.Query, kind: str) -> ast.Query:
        if kind == "join" or _single_row_aggregate(query):
            return query
        cap = self.guard.max_limit if kind == "top" else self.guard.subquery_limit
        if query.limit is not None and query.limit <= cap:
            return query
        self.changes.append(f"{'added' if query.limit is None else 'lowered'} LIMIT {cap} on {query.sobject}")
        return dataclasses.replace(query, limit=cap)


def _aliases(query: ast.Query) -> dict[str, tuple[str, ...]]:
    """FROM-clause aliases of relationships (``FROM Contact c, c.Account a``): alias → path from the object."""
    heads = {query.sobject.casefold(), (query.alias or query.sobject).casefold()}
    aliases: dict[str, tuple[str, ...]] = {}
    for related in query.related:
        path = related.path[1:] if related.path[0].casefold() in heads else related.path
        expanded = aliases.get(path[0].casefold())
        path = (*expanded, *path[1:]) if expanded else path
        aliases[(related.alias or path[-1]).casefold()] = path
    return aliases


def _uses(item: ast.SelectItem, paths: set[tuple[str, ...]]) -> bool:
    if isinstance(item, ast.SelectExpr):
        return any(ref_path in paths for ref_path in _paths(item.expr))
    if isinstance(item, ast.TypeOf):
        fields = [item.field, *(f for w in item.whens for f in w.fields), *item.else_fields]
        return any(field.path in paths for field in fields)
    return False


def _paths(expr: ast.Expr) -> list[tuple[str, ...]]:
    if isinstance(expr, ast.FieldRef):
        return [expr.path]
    if isinstance(expr, ast.FunctionCall):
        return [path for arg in expr.args for path in _paths(arg)]
    return []


def _single_row_aggregate(query: ast.Query) -> bool:
    """An aggregate query without GROUP BY returns one row; a LIMIT would change its meaning, not its size."""
    return not query.group_by and all(
        isinstance(item, ast.SelectExpr) and isinstance(item.expr, ast.FunctionCall) for item in query.select
    )
