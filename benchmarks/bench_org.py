"""Records/s paging a 100k-Contact query through simple-salesforce against the embedded org, with and without sfshield.

The org is :class:`sfshield.testing.EmbeddedOrg` seeded with :data:`SIZE` Accounts (about three Contacts each:
102,066 Contacts with seed 0). Building the seed is timed and printed on its own and is not part of any figure;
neither are the throwaway CA, the server start or the connection's first TLS handshake (an untimed check pass
comes first). The record count comes from the seed, so ``--records`` (the generated Contacts of the filter
benchmark) does not apply here; :data:`SIZE` is a module constant, and :func:`run` takes any ``size``.

Candidates, over :data:`SOQL` with ``sf.query_all_iter``:

* ``fetch`` — iterate the records and count them, with Salesforce's default page (2,000 records) and with
  ``Sforce-Query-Options: batchSize=200`` (the smallest page Salesforce allows);
* ``fetch+protect_stream`` — the same iteration piped through :meth:`sfshield.Shield.protect_stream` (demo
  policy, purpose :data:`PURPOSE`, pseudonymizing the names and emails, a no-op audit sink), to show what the
  shield adds end to end.

Before timing, each page size is checked to yield every Contact of the org exactly once, and the shield to pass
on as many records as it is given; each timed run checks its record count again. The pages of a run are the HTTP
requests its session sent. Each figure is from the best of ``repeat`` runs (``time.perf_counter``), with the
median total beside it, since these runs vary more than the filter's; candidates are interleaved within a round.
The time to the first record is shown apart: it is mostly the server running the query over every Contact.
Between runs the org's API-call count and finished cursors are reset, so any ``repeat`` stays under the org's
daily limit and memory does not grow.

Server and client share one process (and its GIL) on the loopback interface: the figures include the server's
query execution, JSON encoding and TLS on both ends, and no network latency. Against real Salesforce every page
also waits for a network round trip, so the fetch rate there is lower and the shield's share of the time smaller.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import requests
from simple_salesforce import Salesforce

from benchmarks.bench_filter import machine
from sfshield import Shield
from sfshield._demo import load_demo_policy
from sfshield.testing import EmbeddedOrg
from sfshield.transforms import PseudonymKey

__all__ = [
    "API_VERSION",
    "BATCHES",
    "FETCH",
    "PROTECT",
    "PURPOSE",
    "SIZE",
    "SOQL",
    "Result",
    "client",
    "contact_ids",
    "main",
    "measure",
    "paged_ids",
    "report",
    "run",
]

SIZE = 33_000
"""Accounts seeded into the org: with seed 0, 102,066 Contacts (32,000 would give 99,023)."""

SOQL = "SELECT Id, FirstName, LastName, Email, Title, Account.Name FROM Contact"
PURPOSE = "embedding"
API_VERSION = "66.0"

BATCHES: tuple[int | None, ...] = (None, 200)
"""Page sizes to time: ``None`` sends no ``Sforce-Query-Options`` header (Salesforce's default, 2,000)."""

FETCH = "fetch"
PROTECT = "fetch+protect_stream"
"""The candidates' names."""

Record = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Result:
    """One candidate's runs: records and pages per run, the best run's times, and the median total time."""

    candidate: str
    batch: int | None
    records: int
    pages: int
    seconds: float
    """The best run's total time, first request to last record."""
    first_record_s: float
    """In the best run, the time until the first record came out (the server runs the query, then a page)."""
    median_seconds: float

    @property
    def page_label(self) -> str:
        """How the page size was asked for."""
        return "default (2000)" if self.batch is None else f"batchSize={self.batch}"

    @property
    def records_per_s(self) -> float:
        """Records through the candidate per second."""
        return self.records / self.seconds


def client(org: EmbeddedOrg, session: requests.Session | None = None) -> Salesforce:
    """Return simple-salesforce, unchanged, pointed at org 0 of ``org`` as its integration user."""
    return Salesforce(
        instance_url=org.instance_url,
        session_id=org.handles[0].access_token,
        session=session or org.session(),
        version=API_VERSION,
    )


def _headers(batch: int | None) -> dict[str, str]:
    return {} if batch is None else {"Sforce-Query-Options": f"batchSize={batch}"}


def paged_ids(sf: Salesforce, batch: int | None) -> list[str]:
    """Return the Ids :data:`SOQL` yields through ``query_all_iter`` with page size ``batch``, in order."""
    return [record["Id"] for record in sf.query_all_iter(SOQL, headers=_headers(batch))]


def contact_ids(org: EmbeddedOrg) -> list[str]:
    """Return the Ids of the Contacts org 0 holds and a query (not ``queryAll``) returns, read from its state."""
    return [c["Id"] for c in org.org(0).data.records["Contact"] if not c.get("IsDeleted")]


def _shield() -> Shield:
    return Shield(load_demo_policy(), tenant="bench", audit=lambda _event: None, pseudonym_key=PseudonymKey.generate())


def _timed_count(records: Iterator[Record]) -> tuple[int, float, float]:
    """Count ``records``; return the count, seconds to the first record and seconds in all."""
    start = time.perf_counter()
    first = next(records, None)
    first_s = time.perf_counter() - start
    n = 0 if first is None else 1
    for _ in records:
        n += 1
    return n, first_s, time.perf_counter() - start


def _candidates(sf: Salesforce, shield: Shield) -> dict[tuple[str, int | None], Callable[[], Iterator[Record]]]:
    def fetch(batch: int | None) -> Callable[[], Iterator[Record]]:
        return lambda: sf.query_all_iter(SOQL, headers=_headers(batch))

    def protect(batch: int | None) -> Callable[[], Iterator[Record]]:
        return lambda: shield.protect_stream(sf.query_all_iter(SOQL, headers=_headers(batch)), purpose=PURPOSE)

    return {(name, batch): make(batch) for batch in BATCHES for name, make in ((FETCH, fetch), (PROTECT, protect))}


def _check(org: EmbeddedOrg, sf: Salesforce, shield: Shield, expected: list[str]) -> None:
    """Prove every page size yields each Contact once and the shield passes every record on, transformed.

    Raises:
        RuntimeError: a page size lost or duplicated a record, or the shield changed the count or no Email.
    """
    for batch in BATCHES:
        ids = paged_ids(sf, batch)
        if len(ids) != len(set(ids)) or set(ids) != set(expected):
            raise RuntimeError(f"paging with batch {batch} returned {len(ids)} Ids, not the org's {len(expected)}")
    emails = []

    def tap(records: Iterable[Record]) -> Iterable[Record]:
        for record in records:
            emails.append(record["Email"])
            yield record

    protected = list(shield.protect_stream(tap(sf.query_all_iter(SOQL)), purpose=PURPOSE))
    if len(protected) != len(expected):
        raise RuntimeError(f"protect_stream passed on {len(protected)} of {len(expected)} records")
    if any(email and record.get("Email") == email for record, email in zip(protected, emails, strict=True)):
        raise RuntimeError("protect_stream left an Email in clear: the shield is not doing the benchmarked work")
    _reset(org)


def _reset(org: EmbeddedOrg) -> None:
    """Forget the finished query cursors and the API calls spent, so repeats neither grow memory nor hit limits."""
    state = org.org(0)
    with state.lock:
        state.cursors.clear()
        state.api_used = 0


def measure(org: EmbeddedOrg, repeat: int = 5) -> list[Result]:
    """Time every candidate against a running ``org``, best of ``repeat`` runs each.

    Raises:
        ValueError: ``repeat`` is not positive.
        RuntimeError: a run lost or duplicated records (see also :func:`_check`).
    """
    if repeat < 1:
        raise ValueError("repeat must be at least 1")
    pages = 0

    def count_page(response: requests.Response, *_args: object, **_kwargs: object) -> requests.Response:
        nonlocal pages
        pages += 1
        return response

    session = org.session()
    session.hooks["response"].append(count_page)
    sf = client(org, session)
    shield = _shield()
    expected = contact_ids(org)
    _check(org, sf, shield, expected)  # also opens the keep-alive connection and compiles the filter's plans
    candidates = _candidates(sf, shield)
    runs: dict[tuple[str, int | None], list[tuple[float, float, int]]] = {key: [] for key in candidates}
    for _ in range(repeat):
        for key, candidate in candidates.items():
            records = candidate()  # a generator: nothing is requested before the first next()
            gc.collect()
            pages = 0
            count, first_s, total_s = _timed_count(records)
            _reset(org)
            if count != len(expected):
                raise RuntimeError(f"{key[0]} (batch {key[1]}) counted {count} records, not {len(expected)}")
            runs[key].append((total_s, first_s, pages))
    results = []
    for (name, batch), times in runs.items():
        total_s, first_s, pages = min(times)
        median_s = statistics.median(t[0] for t in times)
        results.append(Result(name, batch, len(expected), pages, total_s, first_s, median_s))
    return results


def run(size: int = SIZE, repeat: int = 5, *, seed: int = 0) -> list[Result]:
    """Seed one org with ``size`` Accounts, serve it, and time every candidate against it."""
    with EmbeddedOrg(orgs=1, size=size, seed=seed) as org:
        return measure(org, repeat)


def report(results: list[Result]) -> str:
    """Return the results as a plain-text table; ``vs fetch`` is a row's rate over plain fetch's, same page size."""
    fetch = {r.batch: r.records_per_s for r in results if r.candidate == FETCH}
    header = (
        f"{'candidate':<21} {'page':<15} {'records':>8} {'pages':>6} {'1st rec s':>9} {'total s':>8} "
        f"{'median s':>8} {'records/s':>10} vs fetch"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        share = r.records_per_s / fetch[r.batch] if r.batch in fetch else math.nan
        lines.append(
            f"{r.candidate:<21} {r.page_label:<15} {r.records:>8,} {r.pages:>6,} {r.first_record_s:>9.2f} "
            f"{r.seconds:>8.2f} {r.median_seconds:>8.2f} {r.records_per_s:>10,.0f} {share:>7.2f}x"
        )
    return "\n".join(lines)


def main(*, repeat: int, size: int = SIZE) -> None:
    """Print the header, seed and serve the org, run the candidates and print the table."""
    print("simple-salesforce query_all_iter against the embedded org, with and without sfshield.protect_stream")
    print(f"machine: {machine()}")
    start = time.perf_counter()
    org = EmbeddedOrg(orgs=1, size=size)
    seeded = time.perf_counter()
    with org:
        started = time.perf_counter()
        contacts = len(contact_ids(org))
        print(
            f"org:     {size:,} Accounts, {contacts:,} Contacts; seed {seeded - start:.1f} s, "
            f"TLS + server start {started - seeded:.1f} s (neither counted)"
        )
        print(f"query:   {SOQL}")
        print(f"timing:  best of {repeat}, purpose {PURPOSE!r} (demo policy), loopback HTTPS, server in-process")
        print("  total s and 1st rec s: the best run's; records/s: records over the best total; median s: all runs")
        print("  vs fetch: the row's records/s over plain fetch's with the same page size", flush=True)
        print()
        print(report(measure(org, repeat)))
