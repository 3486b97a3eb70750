"""SOQL parse and parse+guard latency beside python-soql-parser and a Lark grammar, on the same queries.

Goals (issue): for a typical ~150-character query, sfshield's parse+guard median stays under
:data:`GOAL_MEDIAN_US` and is at least :data:`GOAL_SPEEDUP` times faster than python-soql-parser's parse.

Candidates, each called on the short, typical and large sets of :mod:`benchmarks.soql_queries`:

* ``sfshield parse`` — :func:`sfshield.soql.parse`, text to immutable syntax tree;
* ``sfshield parse+guard`` — :meth:`~sfshield.soql.SoqlGuard.check` for ``support_copilot`` under the demo
  policy, once with a no-op audit sink (the guard's own cost) and once with an ``InMemoryAuditSink``;
* ``python-soql-parser`` — the peer the issue names (pyparsing with packrat);
* ``lark LALR`` — :data:`LARK_GRAMMAR`, a benchmark-only grammar for the subset the queries use, with Lark's
  contextual lexer. It only builds Lark's parse tree, with no conversion to an AST, which flatters Lark: it is
  the measured case for writing the parser by hand.

Every query is checked first (:func:`check_queries`): the guard accepts it unchanged, python-soql-parser
consumes the *whole* text (its ``parse`` silently stops at the first thing it does not know, which would time
less work), and the Lark grammar parses it. Each call is timed on its own with ``time.perf_counter_ns`` after
warm-up calls; within a round the candidates run one after another per size, so drift hits them alike, and each
candidate's block ends after ``calls`` calls or ``budget_s`` seconds, whichever comes first (python-soql-parser
needs tens of milliseconds for a large query). The collector stays on: p99 includes the pauses a caller sees.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from benchmarks.bench_filter import machine
from benchmarks.soql_queries import SIZES
from sfshield._demo import load_demo_policy
from sfshield.audit import AuditPipeline, InMemoryAuditSink
from sfshield.soql import SoqlGuard, parse

__all__ = [
    "GOAL_MEDIAN_US",
    "GOAL_SPEEDUP",
    "LARK",
    "LARK_GRAMMAR",
    "PEER",
    "PURPOSE",
    "SHIELD_GUARD",
    "SHIELD_GUARD_IN_MEMORY",
    "SHIELD_PARSE",
    "Candidate",
    "Result",
    "candidates",
    "check_queries",
    "describe",
    "goals",
    "lark_parser",
    "main",
    "missing_peers",
    "peer_parse_all",
    "report",
    "run",
    "speedup",
]

GOAL_MEDIAN_US = 100.0
"""sfshield's parse+guard median for a typical query should stay under this many microseconds."""

GOAL_SPEEDUP = 5.0
"""sfshield's parse+guard should be at least this many times faster than python-soql-parser's parse."""

PURPOSE = "support_copilot"

SHIELD_PARSE = "sfshield parse"
SHIELD_GUARD = "sfshield parse+guard (no-op audit sink)"
SHIELD_GUARD_IN_MEMORY = "sfshield parse+guard (InMemoryAuditSink)"
PEER = "python-soql-parser parse"
LARK = "lark LALR (subset grammar, parse tree only)"

LARK_GRAMMAR = r"""
?start: query

query: "SELECT"i select_list "FROM"i NAME [NAME] [where] [order_by] [limit] [offset]

select_list: select_item ("," select_item)*
?select_item: NAME | function [NAME]
function: NAME "(" [operand ("," operand)*] ")"
?operand: NAME | function

where: "WHERE"i condition
?condition: conjunction ("OR"i conjunction)*
?conjunction: negation ("AND"i negation)*
?negation: "NOT"i negation -> not_ | "(" condition ")" | comparison
comparison: operand COMPARATOR value
          | operand "LIKE"i STRING -> like
          | operand [NOT] "IN"i "(" value ("," value)* ")" -> in_
          | operand SET_OP "(" STRING ("," STRING)* ")" -> includes
?value: STRING | NUMBER | DATE | DATETIME | NULL | TRUE | FALSE | date_literal
date_literal: NAME [":" INT]

order_by: "ORDER"i "BY"i order_item ("," order_item)*
order_item: operand [DIRECTION] ["NULLS"i NULLS_POSITION]
limit: "LIMIT"i INT
offset: "OFFSET"i INT

NOT: "NOT"i
NULL: "NULL"i
TRUE: "TRUE"i
FALSE: "FALSE"i
SET_OP: "INCLUDES"i | "EXCLUDES"i
DIRECTION: "ASC"i | "DESC"i
NULLS_POSITION: "FIRST"i | "LAST"i
COMPARATOR: "=" | "!=" | "<>" | "<=" | ">=" | "<" | ">"
NAME: /[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/
STRING: /'(?:[^'\\]|\\.)*'/
DATETIME.3: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})/
DATE.2: /\d{4}-\d{2}-\d{2}/
NUMBER: /-?(\d+(\.\d*)?|\.\d+)/
INT: /\d+/

%import common.WS
%ignore WS
"""
"""The SOQL subset of the benchmark queries and a little more: SELECT with dotted fields and functions, FROM
with an alias, WHERE with AND/OR/NOT/parentheses, comparisons, LIKE, [NOT] IN, INCLUDES/EXCLUDES, strings,
numbers, dates, datetimes and date literals (any name, optionally ``:n``), ORDER BY with NULLS, LIMIT, OFFSET.
Keywords are case-insensitive; Lark's lexer retypes a NAME that spells one."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """A named callable that parses (and maybe guards) one query text."""

    name: str
    call: Callable[[str], object]


@dataclass(frozen=True, slots=True)
class Result:
    """Per-call latency of one candidate over one query size."""

    size: str
    candidate: str
    samples: int
    median_us: float
    p99_us: float


def lark_parser() -> Any:
    """Return a ``lark.Lark`` LALR parser for :data:`LARK_GRAMMAR` (raises ImportError without lark)."""
    import lark  # noqa: PLC0415 - a benchmark peer, imported only when it is measured

    return lark.Lark(LARK_GRAMMAR, parser="lalr", lexer="contextual")


def peer_parse_all(text: str, /) -> object:
    """Parse ``text`` with python-soql-parser's grammar, failing unless it consumes the whole text."""
    return _import_peer().core.soql.parseString(text, parseAll=True)


def _import_peer() -> Any:
    # Imported late: python-soql-parser switches on pyparsing's packrat cache, process-wide, when imported. And
    # the pyparsing 2.x it pins imports sre_constants, deprecated since Python 3.11; that warning is theirs.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import python_soql_parser.core  # noqa: PLC0415

    return python_soql_parser


def missing_peers() -> list[str]:
    """Return the peer packages that are not installed (``pip install -e '.[bench]'`` brings them)."""
    missing = []
    for package in ("python-soql-parser", "lark"):
        try:
            metadata.version(package)
        except metadata.PackageNotFoundError:
            missing.append(package)
    return missing


def candidates() -> tuple[Candidate, ...]:
    """Return the candidates to time: sfshield's three, then each peer that is installed."""
    policy = load_demo_policy()
    guard = SoqlGuard(policy, purpose=PURPOSE, audit=AuditPipeline(sinks=[lambda _event: None]), tenant="bench")
    in_memory = SoqlGuard(policy, purpose=PURPOSE, audit=AuditPipeline(sinks=[InMemoryAuditSink()]), tenant="bench")
    found = [Candidate(SHIELD_PARSE, parse), Candidate(SHIELD_GUARD, guard.check)]
    found.append(Candidate(SHIELD_GUARD_IN_MEMORY, in_memory.check))
    missing = missing_peers()
    if "python-soql-parser" not in missing:
        found.append(Candidate(PEER, _import_peer().parse))
    if "lark" not in missing:
        found.append(Candidate(LARK, lark_parser().parse))
    return tuple(found)


def check_queries(found: tuple[Candidate, ...]) -> None:
    """Check that every benchmark query means the same work for every candidate.

    Raises:
        RuntimeError: the guard rejects or rewrites a query, or a peer cannot parse all of one.
    """
    names = {candidate.name for candidate in found}
    guard = next(candidate for candidate in found if candidate.name == SHIELD_GUARD)
    lark = next((candidate for candidate in found if candidate.name == LARK), None)
    for size, texts in SIZES.items():
        for index, text in enumerate(texts):
            where = f"{size} query #{index}"
            checked: Any = guard.call(text)  # raises QueryRejectedError if the guard refuses it
            if checked.changes:
                raise RuntimeError(f"the guard rewrote the {where} ({checked.changes}); make it pass unchanged")
            try:
                if PEER in names:
                    peer_parse_all(text)
                if lark is not None:
                    lark.call(text)
            except Exception as exc:
                raise RuntimeError(f"a peer cannot parse all of the {where}: {exc}") from exc


def run(
    repeat: int = 5, *, calls: int = 1000, budget_s: float = 1.0, warmup: int = 20, sizes: tuple[str, ...] = ()
) -> list[Result]:
    """Time every candidate on every query size (or on ``sizes``); ``repeat`` rounds of up to ``calls`` calls.

    Raises:
        ValueError: ``repeat``, ``calls`` or ``budget_s`` is not positive, ``warmup`` is negative, or a size is
            unknown.
        RuntimeError: a query would not mean the same work for every candidate (see :func:`check_queries`).
    """
    if repeat < 1 or calls < 1 or budget_s <= 0 or warmup < 0:
        raise ValueError("repeat, calls and budget_s must be positive, warmup zero or more")
    unknown = set(sizes) - SIZES.keys()
    if unknown:
        raise ValueError(f"unknown query sizes {sorted(unknown)}; choose from {', '.join(SIZES)}")
    found = candidates()
    check_queries(found)
    selected = {size: texts for size, texts in SIZES.items() if not sizes or size in sizes}
    samples: dict[tuple[str, str], list[int]] = {(s, c.name): [] for s in selected for c in found}
    for candidate in found:
        for texts in selected.values():
            _warm_up(candidate.call, texts, warmup)
    for _ in range(repeat):
        for size, texts in selected.items():
            for candidate in found:
                samples[size, candidate.name] += _time_calls(candidate.call, texts, calls, budget_s)
    return [_summarize(size, name, values) for (size, name), values in samples.items()]


def _warm_up(call: Callable[[str], object], texts: tuple[str, ...], times: int) -> None:
    for text in texts:
        for _ in range(times):
            call(text)


def _time_calls(call: Callable[[str], object], texts: tuple[str, ...], calls: int, budget_s: float) -> list[int]:
    gc.collect()  # start each block with the same clean heap; collections during it are part of the latency
    clock = time.perf_counter_ns
    deadline = clock() + int(budget_s * 1e9)
    samples: list[int] = []
    for index in range(calls):
        text = texts[index % len(texts)]
        start = clock()
        call(text)
        end = clock()
        samples.append(end - start)
        if end > deadline and index + 1 >= len(texts):
            break
    return samples


def _summarize(size: str, candidate: str, samples: list[int]) -> Result:
    ordered = sorted(samples)
    p99 = ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]  # nearest rank
    return Result(size, candidate, len(ordered), statistics.median(ordered) / 1000, p99 / 1000)


def speedup(results: list[Result], size: str, candidate: str = SHIELD_GUARD) -> float | None:
    """Return python-soql-parser's median over ``candidate``'s for ``size``, or None without the peer."""
    medians = {r.candidate: r.median_us for r in results if r.size == size}
    if PEER not in medians or candidate not in medians:
        return None
    return medians[PEER] / medians[candidate]


def goals(results: list[Result]) -> list[tuple[str, bool | None]]:
    """Return each goal with whether it holds on the typical queries (None: not measured)."""
    typical = next((r for r in results if r.size == "typical" and r.candidate == SHIELD_GUARD), None)
    ratio = speedup(results, "typical")
    return [
        (
            f"typical parse+guard median < {GOAL_MEDIAN_US:.0f} us",
            None if typical is None else typical.median_us < GOAL_MEDIAN_US,
        ),
        (
            f"typical parse+guard >= {GOAL_SPEEDUP:.0f}x faster than python-soql-parser",
            None if ratio is None else ratio >= GOAL_SPEEDUP,
        ),
    ]


def report(results: list[Result]) -> str:
    """Return the results as a plain-text table, then one verdict line per goal."""
    header = f"{'size':<8} {'candidate':<44} {'calls':>6} {'median us':>10} {'p99 us':>10} {'peer/this':>9}"
    lines = [header, "-" * len(header)]
    for r in results:
        ratio = speedup(results, r.size, r.candidate)
        shown = "" if ratio is None else f"{ratio:.2f}x"
        lines.append(
            f"{r.size:<8} {r.candidate:<44} {r.samples:>6} {r.median_us:>10,.1f} {r.p99_us:>10,.1f} {shown:>9}"
        )
    lines.append("")
    for goal, holds in goals(results):
        verdict = "not measured" if holds is None else "met" if holds else "MISSED"
        lines.append(f"goal: {goal}: {verdict}")
    return "\n".join(lines)


def describe() -> str:
    """Summarize the query sets: how many queries of which lengths per size."""
    parts = []
    for size, texts in SIZES.items():
        lengths = sorted(len(text) for text in texts)
        parts.append(f"{size} {len(texts)} x {lengths[0]:,}-{lengths[-1]:,} chars")
    return ", ".join(parts)


def main(*, repeat: int, calls: int = 1000, budget_s: float = 1.0) -> None:
    """Print the header, run the candidates and print the table with the goal verdicts.

    A missed goal is printed, not signalled by the exit status: timings are too noisy to gate anything on.
    """
    print(
        f"sfshield SOQL parse and parse+guard latency vs python-soql-parser and Lark (goals: typical parse+guard "
        f"median < {GOAL_MEDIAN_US:.0f} us and >= {GOAL_SPEEDUP:.0f}x faster than python-soql-parser)"
    )
    print(f"machine: {machine()}")
    print(f"queries: {describe()}")
    print(
        f"timing:  each call alone (perf_counter_ns); {repeat} round(s) of up to {calls} calls or {budget_s:g} s "
        f"per candidate and size; gc on; purpose {PURPOSE!r}"
    )
    versions = ", ".join(f"{p} {_version(p)}" for p in ("python-soql-parser", "pyparsing", "lark"))
    print(f"peers:   {versions}")
    print("  peer/this: python-soql-parser's median divided by the row's (> 1: the row is faster)", flush=True)
    print()
    print(report(run(repeat, calls=calls, budget_s=budget_s)))


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed (pip install -e '.[bench]')"
