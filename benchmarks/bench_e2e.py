"""End-to-end records/s and peak memory: emulated org → guard → paged fetch → filter → DLP → encrypt → audit.

The org is :class:`sfshield.testing.EmbeddedOrg` seeded like :mod:`benchmarks.bench_org` (:data:`ORG_SIZE`
Accounts: 102,066 Contacts with seed 0). Each size of :data:`SIZES` reads that many Contacts (``LIMIT``) with
:data:`SOQL`: Contact fields, the parent ``Account.Name`` and a ``Cases`` subquery whose Subject and Description
the DLP scans. Building the seed, the throwaway CA, the server start, the OAuth login, the privilege check and the
first TLS handshake are not timed (an untimed check pass comes first).

Candidates, interleaved within a round, at each size:

* ``fetch`` — simple-salesforce ``query_all_iter`` over the very text the guard let through, records counted:
  what reading costs without sfshield;
* ``end-to-end`` — :meth:`sfshield.salesforce.TenantClient.query` for purpose :data:`PURPOSE`: tenant check,
  SOQL guard, paged fetch, then :meth:`~sfshield.Shield.protect_stream` in batches of 1,000 — the field filter
  (names pseudonymized, Phone masked, Contact.Email encrypted with an envelope cipher), the DLP scan of the Case
  text (contact details become placeholders, records holding credentials go encrypted to a quarantine store on a
  temporary file) and one audit event per batch to a hash-chained :class:`~sfshield.audit.JsonlAuditSink` on a
  temporary file. The policy is the demo policy plus :data:`ENCRYPT_RULE`.

Before timing, the smallest size is checked: every Contact the query selects comes out once or is held in the
quarantine, never both, and no e-mail address passes (see :func:`verify`). Every timed run checks its counts again.
Each figure is the best of ``repeat`` runs by wall time (``time.perf_counter``), with that run's process CPU
(``time.process_time``) and client CPU (``time.thread_time`` of the thread that reads: simple-salesforce, the TLS
client and sfshield, not the org's threads), and the median wall time beside it.

Memory is measured apart, in one untimed run per candidate and size under ``tracemalloc`` (which slows them): the
peak of traced memory above its level before the run. The embedded org builds the whole result of a query when it
runs it and keeps it until the last page is read (real Salesforce keeps it on its own servers); that share is the
memory a fetch run leaves traced when it ends, shown apart and taken off the end-to-end peak. The RSS high-water
(``resource.getrusage``) is the whole process's after the timed runs of a size, seeded org and result sets included;
it only ever grows, so it is read after each size, smallest first.

Server and client share one process (and its GIL) on the loopback interface: wall time and process CPU include the
server's query execution, JSON encoding and TLS; client CPU does not. Against real Salesforce every page also waits
for a network round trip, so the fetch rate there is lower and the shield's share of the time smaller.
"""

from __future__ import annotations

import gc
import json
import re
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simple_salesforce import Salesforce

from benchmarks.bench_filter import machine
from benchmarks.bench_org import SIZE as ORG_SIZE
from benchmarks.bench_org import client as plain_client
from sfshield import Classification, Rule, Shield
from sfshield._demo import load_demo_policy
from sfshield.audit import AuditPipeline, JsonlAuditSink, verify_audit_file
from sfshield.crypto import EnvelopeCipher, TokenKind, TokenRef, TokenStore
from sfshield.dlp import QuarantineStore
from sfshield.salesforce import TenantClient, TenantConfig
from sfshield.testing import EmbeddedOrg, InMemoryKeyProvider
from sfshield.transforms import PseudonymKey

__all__ = [
    "E2E",
    "ENCRYPT_RULE",
    "FETCH",
    "GOAL_MEMORY_RATIO",
    "GOAL_RECORDS_PER_CORE",
    "MAX_REPEAT",
    "ORG_SIZE",
    "PURPOSE",
    "SIZES",
    "SOQL",
    "Measurement",
    "Memory",
    "Pipeline",
    "Timing",
    "Verified",
    "bench_policy",
    "goals",
    "main",
    "measure",
    "pipeline",
    "report",
    "run",
    "verify",
]

SIZES: tuple[int, ...] = (20_000, 100_000)
"""Contacts read per run (the query's ``LIMIT``); the peak memory at the largest is compared with the smallest's."""

SOQL = (
    "SELECT Id, FirstName, LastName, Email, Phone, Title, Account.Name, "
    "(SELECT Subject, Status, Description FROM Cases) FROM Contact"
)
PURPOSE = "support_copilot"
TENANT = "bench-e2e"
OBJECTS = ("Account", "Contact", "Case", "User", "Opportunity", "Invoice__c")
"""The tenant's allowed objects: what the embedded org's integration user can read (the privilege check passes)."""

ENCRYPT_RULE = Rule(name="email-encrypted-for-support", purposes=[PURPOSE], fields=["Contact.Email"], action="encrypt")
"""Added to the demo policy so that one field of every record is encrypted (it names the field: it wins)."""

MAX_REPEAT = 3
"""``python -m benchmarks`` runs this benchmark at most this many rounds: one round takes about half a minute."""

GOAL_RECORDS_PER_CORE = 20_000
GOAL_MEMORY_RATIO = 1.5
"""Goals: records/s per core of client CPU end to end, and the largest size's peak over the smallest's."""

FETCH = "fetch"
E2E = "end-to-end"
"""The candidates' names."""

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_MIB = 1024 * 1024

Record = dict[str, Any]


def bench_policy() -> Classification:
    """Return the demo policy with :data:`ENCRYPT_RULE` added (a benchmark-local copy; the demo's is unchanged)."""
    base = load_demo_policy()
    return Classification.model_validate(
        {
            **base.model_dump(exclude={"labels", "relationships", "rules"}),
            "version": f"{base.version}+bench-e2e",
            "labels": dict(base.labels),
            "relationships": dict(base.relationships),
            "rules": [*base.rules, ENCRYPT_RULE],
        }
    )


@dataclass(frozen=True, slots=True)
class Pipeline:
    """One tenant's read path against org 0 of a running embedded org, and a plain client beside it."""

    org: EmbeddedOrg
    client: TenantClient
    shield: Shield
    quarantine: QuarantineStore
    audit_file: Path
    sf: Salesforce
    """simple-salesforce with the org's ready token: the fetch-only candidate."""

    def soql(self, size: int) -> str:
        """The text a query for ``size`` Contacts goes out as: the guard adds the LIMITs (also on the Cases)."""
        return self.guard(size).check(f"{SOQL} LIMIT {size}").soql

    def guard(self, size: int) -> Any:
        """The guard :meth:`TenantClient.query` uses for ``size`` Contacts."""
        return self.shield.soql_guard(purpose=PURPOSE, max_limit=size, objects=OBJECTS)

    def fetch(self, size: int) -> Iterator[Record]:
        """The fetch-only candidate: the guarded text through ``query_all_iter``, nothing else."""
        return self.sf.query_all_iter(self.soql(size))

    def end_to_end(self, size: int) -> Iterator[Record]:
        """The end-to-end candidate: ``TenantClient.query`` for :data:`PURPOSE`."""
        return self.client.query(f"{SOQL} LIMIT {size}", purpose=PURPOSE, max_limit=size)

    def held(self) -> int:
        """Records the quarantine holds so far."""
        return len(self.quarantine.list(tenant=TENANT))

    def reset(self) -> None:
        """Forget the org's finished cursors and API calls, so repeats neither grow memory nor hit limits."""
        state = self.org.org(0)
        with state.lock:
            state.cursors.clear()
            state.api_used = 0


@contextmanager
def pipeline(org: EmbeddedOrg, folder: Path) -> Iterator[Pipeline]:
    """Build the tenant against org 0 of a running ``org``, its audit trail and quarantine in ``folder``."""
    handle = org.handles[0]
    config = TenantConfig(
        tenant=TENANT,
        org_id=handle.org_id,
        login_url=org.instance_url,
        oauth_flow="client_credentials",
        client_id=handle.client_id,
        integration_username=handle.username,
        allowed_purposes=[PURPOSE],
        allowed_objects=list(OBJECTS),
    )
    cipher = EnvelopeCipher(InMemoryKeyProvider())
    tokens = TokenStore.in_memory(cipher)
    ref = TokenRef(tenant=TENANT, org_id=config.org_id, client_id=config.client_id, kind=TokenKind.CLIENT_SECRET)
    tokens.put(ref, handle.client_secret)
    audit_file = folder / "audit.jsonl"
    with ExitStack() as stack:
        sink = stack.enter_context(JsonlAuditSink(audit_file))
        audit = AuditPipeline(sinks=[sink])
        quarantine = stack.enter_context(QuarantineStore(cipher, folder / "quarantine.db", audit=audit))
        shield = Shield(
            bench_policy(),
            tenant=TENANT,
            org_id=handle.org_id,
            audit=audit,
            pseudonym_key=PseudonymKey.generate(),
            encryptor=cipher,
            quarantine=quarantine,
        )
        client = TenantClient(config, shield=shield, token_store=tokens, session=org.session())
        client.connect()  # the OAuth login and the privilege check, once, before anything is timed
        yield Pipeline(org, client, shield, quarantine, audit_file, plain_client(org))


@dataclass(frozen=True, slots=True)
class Verified:
    """What one untimed check run saw: the Ids selected, passed on and held back, and what passed in clear."""

    expected: list[str]
    """The Ids the query selects, from the fetch-only run."""
    passed: list[str]
    """The Ids end to end yielded, in order."""
    held: list[str]
    """The Ids the run put into the quarantine."""
    leaked_emails: int
    """E-mail addresses in the records end to end yielded (in any field, at any depth)."""
    clear_emails: int
    """Records whose Email came out equal to the raw value."""
    placeholders: int
    """E-mail placeholders the DLP left in the Case text."""


def verify(pipe: Pipeline, size: int) -> Verified:
    """Run both candidates once at ``size``, keeping what is needed to check them (untimed)."""
    raw = {record["Id"]: record.get("Email") for record in pipe.fetch(size)}
    pipe.reset()
    already = {entry.id for entry in pipe.quarantine.list(tenant=TENANT)}
    passed, leaked, clear, placeholders = [], 0, 0, 0
    for record in pipe.end_to_end(size):
        passed.append(record["Id"])
        text = json.dumps(record)
        leaked += len(_EMAIL.findall(text))
        clear += bool(raw.get(record["Id"])) and record.get("Email") == raw[record["Id"]]
        placeholders += text.count("<EMAIL_ADDRESS_")
    pipe.reset()
    held = [e.record_id or "" for e in pipe.quarantine.list(tenant=TENANT) if e.id not in already]
    return Verified(list(raw), passed, held, leaked, clear, placeholders)


def _check(pipe: Pipeline, size: int) -> None:
    """Raise unless every selected Contact came out once or was held, and nothing passed in clear.

    Raises:
        RuntimeError: a record was lost, duplicated or both passed and held, or an e-mail address passed.
    """
    seen = verify(pipe, size)
    if len(seen.expected) != size or len(set(seen.expected)) != size:
        raise RuntimeError(
            f"the fetch returned {len(seen.expected)} Ids ({len(set(seen.expected))} distinct), not {size}"
        )
    out = seen.passed + seen.held
    if len(out) != len(set(out)) or set(out) != set(seen.expected):
        raise RuntimeError(f"end to end passed {len(seen.passed)} and held {len(seen.held)} of {size} records")
    if seen.leaked_emails or seen.clear_emails:
        raise RuntimeError(f"{seen.leaked_emails + seen.clear_emails} e-mail addresses passed end to end in clear")


@dataclass(frozen=True, slots=True)
class Timing:
    """One candidate at one size: the best run (by wall time) and the median wall time of all runs."""

    candidate: str
    size: int
    passed: int
    """Records that came out (end to end: those not held back)."""
    held: int
    """Records the quarantine took instead."""
    wall_s: float
    cpu_s: float
    """The best run's process CPU: client and org threads."""
    client_cpu_s: float
    """The best run's CPU of the reading thread only: simple-salesforce, TLS client, sfshield."""
    median_wall_s: float

    def rate(self, seconds: float) -> float:
        """Records read per ``seconds`` (every record in counts, passed or held)."""
        return self.size / seconds


@dataclass(frozen=True, slots=True)
class Memory:
    """Traced memory of one size's untimed runs, in bytes above the level before the run, and the RSS high-water."""

    size: int
    fetch_peak: int
    """The fetch run's peak, the org's query execution and result set included."""
    e2e_peak: int
    """The end-to-end run's peak, the same included."""
    org_result: int
    """What the org keeps of the query's result for paging: the traced memory a fetch run leaves behind."""
    fetch_flight: int
    """The fetch run's peak after its first record, without :attr:`org_result`: what paging holds in flight."""
    e2e_flight: int
    """The same for the end-to-end run: a page, a batch being protected, the audit and quarantine writes …"""
    rss_high_water: int
    """The process's RSS high-water after this size's timed runs (it never goes down)."""


@dataclass(frozen=True, slots=True)
class Measurement:
    """Everything one benchmark run found."""

    timings: list[Timing]
    memory: list[Memory]
    repeat: int
    soql: str
    """The text the largest size's query went out as."""
    audit_lines: int
    """Events in the audit trail at the end, its hash chain verified."""
    held_total: int
    rss_before: int
    """The RSS high-water after seeding and the untimed check, before the timed runs."""


def _rss() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # Linux reports KiB, macOS bytes


def _timed(records: Callable[[], Iterator[Record]]) -> tuple[int, float, float, float]:
    """Count the records; return the count, wall, process CPU and this thread's CPU seconds."""
    gc.collect()
    wall, cpu, thread = time.perf_counter(), time.process_time(), time.thread_time()
    n = 0
    for _ in records():
        n += 1
    return n, time.perf_counter() - wall, time.process_time() - cpu, time.thread_time() - thread


def _time_size(pipe: Pipeline, size: int, repeat: int) -> list[Timing]:
    runs: dict[str, list[tuple[float, float, float, int, int]]] = {FETCH: [], E2E: []}
    candidates = {FETCH: lambda: pipe.fetch(size), E2E: lambda: pipe.end_to_end(size)}
    for _ in range(repeat):
        for name, candidate in candidates.items():
            before = pipe.held() if name == E2E else 0
            n, wall, cpu, thread = _timed(candidate)
            pipe.reset()
            held = pipe.held() - before if name == E2E else 0
            if n + held != size:
                raise RuntimeError(f"{name} at {size:,} passed {n:,} and held {held:,} records, not {size:,}")
            runs[name].append((wall, cpu, thread, n, held))
    timings = []
    for name, times in runs.items():
        wall, cpu, thread, n, held = min(times)
        timings.append(Timing(name, size, n, held, wall, cpu, thread, statistics.median(t[0] for t in times)))
    return timings


def _peak(records: Callable[[], Iterator[Record]]) -> tuple[int, int, int]:
    """Run ``records`` under tracemalloc (already started).

    Returns the peak above the start, the peak after the first record (the org has run the query and holds its
    result) above the start, and what is left above the start once the run is over and collected.
    """
    gc.collect()
    start = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    stream = records()
    next(stream, None)
    first_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    for _ in stream:
        pass
    steady = tracemalloc.get_traced_memory()[1]
    gc.collect()
    return max(first_peak, steady) - start, steady - start, tracemalloc.get_traced_memory()[0] - start


def _memory(pipe: Pipeline, sizes: Sequence[int], rss: dict[int, int]) -> list[Memory]:
    tracemalloc.start()
    try:
        memory = []
        for size in sizes:
            fetch_peak, fetch_steady, org_result = _peak(lambda size=size: pipe.fetch(size))  # the cursor is kept
            pipe.reset()
            e2e_peak, e2e_steady, _ = _peak(lambda size=size: pipe.end_to_end(size))
            pipe.reset()
            org_result = max(0, org_result)
            memory.append(
                Memory(
                    size,
                    fetch_peak,
                    e2e_peak,
                    org_result,
                    max(0, fetch_steady - org_result),
                    max(0, e2e_steady - org_result),
                    rss[size],
                )
            )
        return memory
    finally:
        tracemalloc.stop()


def measure(pipe: Pipeline, sizes: Sequence[int] = SIZES, repeat: int = MAX_REPEAT) -> Measurement:
    """Check, then time both candidates at every size (best of ``repeat``), then measure their peak memory.

    Raises:
        ValueError: ``repeat`` is not positive, or no size is given.
        RuntimeError: a run lost, duplicated or leaked records (see :func:`verify`).
    """
    if repeat < 1:
        raise ValueError("repeat must be at least 1")
    if not sizes:
        raise ValueError("give at least one size")
    sizes = sorted(sizes)
    _check(pipe, sizes[0])  # also opens the keep-alive connections and warms the plans and caches
    rss_before = _rss()
    timings, rss = [], {}
    for size in sizes:
        timings += _time_size(pipe, size, repeat)
        rss[size] = _rss()
    memory = _memory(pipe, sizes, rss)
    audit_lines = verify_audit_file(pipe.audit_file).lines
    return Measurement(timings, memory, repeat, pipe.soql(sizes[-1]), audit_lines, pipe.held(), rss_before)


def run(
    org_size: int = ORG_SIZE, sizes: Sequence[int] = SIZES, repeat: int = MAX_REPEAT, *, seed: int = 0
) -> Measurement:
    """Seed one org with ``org_size`` Accounts, serve it, and measure against it in a temporary folder."""
    with (
        EmbeddedOrg(orgs=1, size=org_size, seed=seed) as org,
        tempfile.TemporaryDirectory() as folder,
        pipeline(org, Path(folder)) as pipe,
    ):
        return measure(pipe, sizes, repeat)


def report(result: Measurement) -> str:
    """Return the timings and the memory as plain-text tables."""
    header = (
        f"{'candidate':<10} {'records':>8} {'passed':>8} {'held':>6} {'wall s':>7} {'median s':>8} "
        f"{'rec/s wall':>10} {'rec/s CPU':>10} {'rec/s client CPU':>16}"
    )
    lines = [header, "-" * len(header)]
    lines.extend(
        f"{t.candidate:<10} {t.size:>8,} {t.passed:>8,} {t.held:>6,} {t.wall_s:>7.2f} {t.median_wall_s:>8.2f} "
        f"{t.rate(t.wall_s):>10,.0f} {t.rate(t.cpu_s):>10,.0f} {t.rate(t.client_cpu_s):>16,.0f}"
        for t in result.timings
    )
    lines.append("")
    for size in sorted({t.size for t in result.timings}):
        fetch, e2e = (_timing(result, name, size) for name in (FETCH, E2E))
        extra_wall, extra_cpu = e2e.wall_s - fetch.wall_s, e2e.client_cpu_s - fetch.client_cpu_s
        alone = f"{size / extra_cpu:,.0f}" if extra_cpu > 0 else "inf"
        lines.append(
            f"sfshield's share at {size:,}: +{extra_wall:.2f} s wall ({extra_wall / e2e.wall_s:.0%} of end to end), "
            f"+{extra_cpu:.2f} s client CPU = {alone} records/s per core for the guard, filter, DLP, encryption "
            "and audit alone"
        )
    mem_header = (
        f"{'records':>8} {'fetch peak':>10} {'e2e peak':>9} {'org result':>10} {'fetch in flight':>15} "
        f"{'e2e in flight':>13} {'RSS high-water':>14}"
    )
    lines += ["", "memory, MiB", mem_header, "-" * len(mem_header)]
    lines.extend(
        f"{m.size:>8,} {m.fetch_peak / _MIB:>10.1f} {m.e2e_peak / _MIB:>9.1f} {m.org_result / _MIB:>10.1f} "
        f"{m.fetch_flight / _MIB:>15.1f} {m.e2e_flight / _MIB:>13.1f} {m.rss_high_water / _MIB:>14.0f}"
        for m in result.memory
    )
    lines += [
        "  peak: tracemalloc peak above the run's start, the org's query execution and result set included",
        "  org result: what the org keeps of the result for paging (real Salesforce keeps it on its side)",
        "  in flight: the peak after the first record, without the org result (pages, batches, audit, quarantine)",
        f"  RSS: whole process, after the size's timed runs (before them: {result.rss_before / _MIB:.0f})",
    ]
    return "\n".join(lines)


def _timing(result: Measurement, candidate: str, size: int) -> Timing:
    return next(t for t in result.timings if t.candidate == candidate and t.size == size)


def goals(result: Measurement) -> list[str]:
    """Return the goal lines: records/s per core end to end at the largest size, and memory flat in the size."""
    largest = max(result.timings, key=lambda t: (t.candidate == E2E, t.size))
    per_core = largest.rate(largest.client_cpu_s)
    lines = [
        (
            f"goal: >= {GOAL_RECORDS_PER_CORE:,} records/s per core end to end at {largest.size:,}: "
            f"{per_core:,.0f} records/s of client CPU -> {_verdict(per_core >= GOAL_RECORDS_PER_CORE)} "
            f"(wall {largest.rate(largest.wall_s):,.0f}, process CPU {largest.rate(largest.cpu_s):,.0f}: both "
            "include the org's work)"
        )
    ]
    small, big = min(result.memory, key=lambda m: m.size), max(result.memory, key=lambda m: m.size)
    ratio = big.e2e_flight / small.e2e_flight if small.e2e_flight else float("inf")
    whole = big.e2e_peak / small.e2e_peak if small.e2e_peak else float("inf")
    lines.append(
        f"goal: memory flat, end to end at {big.size:,} <= {GOAL_MEMORY_RATIO}x at {small.size:,}: in flight "
        f"{big.e2e_flight / _MIB:.1f} / {small.e2e_flight / _MIB:.1f} MiB = {ratio:.2f}x -> "
        f"{_verdict(ratio <= GOAL_MEMORY_RATIO)} (whole peak with the org's result set: {whole:.2f}x)"
    )
    return lines


def _verdict(met: bool) -> str:  # noqa: FBT001
    return "met" if met else "MISSED"


def main(*, repeat: int, org_size: int = ORG_SIZE, sizes: Sequence[int] = SIZES) -> None:
    """Print the header, seed and serve the org, measure, and print the tables and the goal lines."""
    print(
        "end to end: embedded org -> TenantClient (guard, paged fetch, filter, DLP, encrypt, audit), beside fetch only"
    )
    print(f"machine: {machine()}")
    start = time.perf_counter()
    org = EmbeddedOrg(orgs=1, size=org_size)
    seeded = time.perf_counter()
    with org, tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        state = org.org(0).data.records
        contacts = sum(not c.get("IsDeleted") for c in state["Contact"])
        print(
            f"org:     {org_size:,} Accounts, {contacts:,} Contacts, {len(state.get('Case', [])):,} Cases; seed "
            f"{seeded - start:.1f} s, TLS + server start {started - seeded:.1f} s (neither counted)"
        )
        with pipeline(org, Path(folder)) as pipe:
            print(f"query:   {pipe.soql(max(sizes))}  (LIMITs added by the guard)")
            print(
                f"path:    purpose {PURPOSE!r}, demo policy + Contact.Email encrypt (envelope cipher), DLP on Case "
                "Subject/Description, hash-chained JSONL audit and quarantine on temporary files; pages of 2,000, "
                "batches of 1,000"
            )
            print(
                f"timing:  best of {repeat} by wall time, candidates interleaved; loopback HTTPS, server in-process "
                "sharing the GIL"
            )
            print("  rec/s: records read (passed + held) over the best run's wall time, process CPU (client and org")
            print("  threads) and client CPU (the reading thread only: simple-salesforce, TLS client, sfshield)")
            print("  memory: one untimed run per candidate and size under tracemalloc; 'org result' is what the")
            print("  embedded org keeps of the result for paging (real Salesforce keeps it on its side)", flush=True)
            print()
            result = measure(pipe, sizes, repeat)
        print(report(result))
        print()
        for line in goals(result):
            print(line)
        print(
            f"audit trail: {result.audit_lines:,} events, hash chain intact; quarantine: {result.held_total:,} records "
            "held over all runs"
        )
