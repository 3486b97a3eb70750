"""Field-filter throughput as a ratio to a hand-written floor (goal: at least 0.5x the floor).

Two comparisons over the same generated Contacts (:mod:`benchmarks.data`):

* ``keep-drop`` — a policy that only keeps or drops, against nested dict comprehensions over allowed-key sets;
* ``full`` — the policy with mask and pseudonymize, against a floor doing the same transforms inline.

Each sfshield side runs twice: ``filter`` (the decision summary stays unexpanded, as most callers leave it)
and ``filter+field_counts`` (one :meth:`~sfshield.filtering.FilterResult.field_counts` per batch, as the
audit does). Before timing, each floor's output is checked against sfshield's — same records, keys in the same
order — so the ratio compares equal work. Records are generated once and not counted; each figure is the best
of ``repeat`` runs (``time.perf_counter``), the candidates interleaved so drift hits all of them alike.

The garbage collector matters at this size: 100k records are millions of live containers, and every full
collection a candidate's allocations trigger walks them all. ``--gc on`` (the default) measures what a program
holding such a batch sees; ``freeze`` moves the generated records out of the collector's sight; ``off`` times
the bare work, as :mod:`timeit` does.
"""

from __future__ import annotations

import gc
import json
import math
import os
import platform
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import sfshield
from benchmarks.data import PURPOSE, full_policy, generate_contacts, keep_drop_policy
from benchmarks.floors import keep_drop_floor, make_full_floor
from sfshield.filtering import FieldFilter
from sfshield.transforms import Pseudonymizer, PseudonymKey

__all__ = [
    "GOAL",
    "Comparison",
    "GcMode",
    "Result",
    "compare",
    "comparisons",
    "describe",
    "machine",
    "outputs",
    "report",
    "run",
]

GOAL = 0.5
"""sfshield's throughput should be at least this fraction of the floor's."""

_CHECKED_RECORDS = 1_000


class GcMode(StrEnum):
    """What the garbage collector does while candidates are timed."""

    ON = "on"
    FREEZE = "freeze"
    OFF = "off"


Record = dict[str, Any]
Candidate = Callable[[list[Record]], Sequence[Record]]


@dataclass(frozen=True, slots=True)
class Comparison:
    """An sfshield filter and the hand-written floor that must produce the same records."""

    name: str
    summary: str
    shield: FieldFilter
    floor: Callable[[list[Record]], list[Record]]

    def variants(self) -> dict[str, Candidate]:
        """The sfshield candidates to time against the floor, by variant name."""
        shield = self.shield

        def filter_only(records: list[Record]) -> Sequence[Record]:
            return shield.filter(records, purpose=PURPOSE)

        def filter_and_count(records: list[Record]) -> Sequence[Record]:
            result = shield.filter(records, purpose=PURPOSE)
            result.field_counts()
            return result

        return {"filter": filter_only, "filter+field_counts": filter_and_count}


@dataclass(frozen=True, slots=True)
class Result:
    """The best time of one sfshield variant and of its floor over the same records."""

    comparison: str
    variant: str
    records: int
    seconds: float
    floor_seconds: float

    @property
    def records_per_s(self) -> float:
        """sfshield's throughput."""
        return self.records / self.seconds

    @property
    def floor_records_per_s(self) -> float:
        """The floor's throughput."""
        return self.records / self.floor_seconds

    @property
    def ratio(self) -> float:
        """sfshield's throughput divided by the floor's."""
        return self.floor_seconds / self.seconds

    @property
    def meets_goal(self) -> bool:
        """Whether the ratio reaches :data:`GOAL`."""
        return self.ratio >= GOAL


def comparisons() -> tuple[Comparison, ...]:
    """Return the comparisons, each with a fresh filter; the full floor shares the filter's pseudonymizer."""
    pseudonymizer = Pseudonymizer(PseudonymKey.generate())
    keep_drop = FieldFilter(keep_drop_policy(), tenant="bench", pseudonymizer=pseudonymizer)
    full = FieldFilter(full_policy(), tenant="bench", pseudonymizer=pseudonymizer)
    return (
        Comparison("keep-drop", "keep/drop policy vs dict comprehensions", keep_drop, keep_drop_floor),
        Comparison("full", "mask + pseudonymize vs inline transforms", full, make_full_floor(pseudonymizer)),
    )


def outputs(comparison: Comparison, records: list[Record]) -> tuple[list[Record], list[Record]]:
    """Return what sfshield and the floor make of ``records``, as plain lists."""
    return list(comparison.shield.filter(records, purpose=PURPOSE)), comparison.floor(records)


def run(
    records: int = 100_000, repeat: int = 5, *, only: str | None = None, gc_mode: str = GcMode.ON, seed: int = 0
) -> list[Result]:
    """Generate ``records`` Contacts and time every comparison (or only the one named ``only``) on them."""
    return compare(generate_contacts(records, seed=seed), repeat=repeat, only=only, gc_mode=gc_mode)


def compare(data: list[Record], *, repeat: int, only: str | None = None, gc_mode: str = GcMode.ON) -> list[Result]:
    """Time every comparison (or the one named ``only``) on ``data``, best of ``repeat`` runs.

    Raises:
        ValueError: ``only`` names no comparison, ``gc_mode`` no :class:`GcMode`, or ``repeat`` is not positive.
        RuntimeError: a floor does not produce exactly sfshield's records, so its ratio would mean nothing.
    """
    if repeat < 1:
        raise ValueError("repeat must be at least 1")
    mode = GcMode(gc_mode)
    selected = [c for c in comparisons() if only is None or c.name == only]
    if not selected:
        names = ", ".join(c.name for c in comparisons())
        raise ValueError(f"no comparison is named {only!r}; choose one of {names}")
    results: list[Result] = []
    with _frozen(data if mode is GcMode.FREEZE else None):
        for comparison in selected:
            _check_same_output(comparison, data[:_CHECKED_RECORDS])  # also compiles the filter's plans
            variants = comparison.variants()
            best = _best_times({"floor": comparison.floor, **variants}, data, repeat, mode)
            results += [Result(comparison.name, name, len(data), best[name], best["floor"]) for name in variants]
    return results


def _check_same_output(comparison: Comparison, records: list[Record]) -> None:
    shield_out, floor_out = outputs(comparison, records)
    # json.dumps without sort_keys: equal only with the same keys in the same order and the same values.
    if json.dumps(shield_out) != json.dumps(floor_out):
        raise RuntimeError(f"the {comparison.name!r} floor's records differ from sfshield's; fix the floor")


def _best_times(candidates: dict[str, Candidate], data: list[Record], repeat: int, mode: GcMode) -> dict[str, float]:
    best = dict.fromkeys(candidates, math.inf)
    for _ in range(repeat):
        for name, candidate in candidates.items():
            gc.collect()
            with _collector_paused(pause=mode is GcMode.OFF):
                start = time.perf_counter()
                out = candidate(data)
                elapsed = time.perf_counter() - start
            del out  # freeing the output is not part of the measurement
            best[name] = min(best[name], elapsed)
    return best


@contextmanager
def _frozen(data: list[Record] | None) -> Iterator[None]:
    """Move everything alive now, ``data`` included, into the collector's permanent generation."""
    if data is None:
        yield
        return
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def _collector_paused(*, pause: bool) -> Iterator[None]:
    enabled = gc.isenabled()
    if pause:
        gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def machine() -> str:
    """Describe the machine: CPU model, core count, Python, OS and sfshield version, on one line."""
    python = f"{platform.python_implementation()} {platform.python_version()}"
    system = f"{platform.system()} {platform.machine()}"
    return f"{_cpu_model()}, {os.cpu_count()} cores, {python}, {system}, sfshield {sfshield.__version__}"


def _cpu_model() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return platform.processor() or platform.machine() or "unknown CPU"


def describe(data: list[Record]) -> str:
    """Summarize the generated data: records, nested parents and child rows."""
    accounts = sum(record["Account"] is not None for record in data)
    cases = sum(record["Cases"]["totalSize"] for record in data if record["Cases"] is not None)
    return f"{len(data):,} Contacts, {accounts:,} with Account+Owner, {cases:,} Cases in subqueries"


def report(results: list[Result]) -> str:
    """Return the results as a plain-text table."""
    header = f"{'comparison':<11} {'variant':<20} {'sfshield rec/s':>14} {'floor rec/s':>12} {'ratio':>6} goal"
    lines = [header, "-" * len(header)]
    for r in results:
        verdict = "met" if r.meets_goal else "MISSED"
        lines.append(
            f"{r.comparison:<11} {r.variant:<20} {r.records_per_s:>14,.0f} {r.floor_records_per_s:>12,.0f} "
            f"{r.ratio:>5.2f}x {verdict} (>= {GOAL}x)"
        )
    return "\n".join(lines)


def main(*, records: int, repeat: int, only: str | None = None, gc_mode: str = GcMode.ON) -> None:
    """Print the header, run the comparisons and print the table with a verdict per row.

    A missed goal is printed, not signalled by the exit status: timings are too noisy to gate anything on.
    """
    print(f"sfshield field filter vs hand-written floor (goal: >= {GOAL}x the floor's records/s)")
    print(f"machine: {machine()}")
    data = generate_contacts(records)
    print(f"data:    {describe(data)}")
    print(f"timing:  best of {repeat}, gc {gc_mode}, purpose {PURPOSE!r}")
    for comparison in comparisons():
        if only is None or comparison.name == only:
            print(f"  {comparison.name}: {comparison.summary}")
    print(flush=True)
    results = compare(data, repeat=repeat, only=only, gc_mode=gc_mode)
    print(report(results))
