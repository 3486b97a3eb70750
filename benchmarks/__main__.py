"""Command line: ``python -m benchmarks [--records N] [--repeat R] [--calls C] [--only NAME]``."""

from __future__ import annotations

import argparse

from benchmarks import bench_filter

_DESCRIPTION = (
    "Field-filter throughput as a ratio to a hand-written floor (goal: at least 0.5x the floor), and SOQL "
    "parse+guard latency beside python-soql-parser and Lark (goal: typical median < 100 us, >= 5x faster), and "
    "records/s paging a 100k-Contact query with simple-salesforce against the embedded org, with and without "
    "Shield.protect_stream (the org's size is fixed: --records does not apply to it), and encrypt+decrypt values/s "
    "of 60-byte values with the envelope cipher's random and deterministic modes beside cryptography's AESGCM (the "
    "floor), AESSIV and the AWS Encryption SDK (goals: RND >= 0.9x and DET >= 0.75x the floor, <= 33 B overhead, "
    "import sfshield.crypto <= 50 ms), and DLP scan records/s and MB/s of CRM notes beside a google-re2 floor, Python "
    "re and Presidio regex-only (goals: >= 50 MB/s, >= 100x Presidio, cold start <= 100 ms), and the DLP evaluation: "
    "per-kind precision/recall on a labelled corpus against fixed thresholds (dlp-eval exits 1 when one is missed), "
    "and end-to-end records/s and peak memory reading 20k and 100k Contacts with Cases from the embedded org through "
    "TenantClient (guard, filter, DLP, encryption, audit) beside fetch only (goals: >= 20k records/s per core, "
    "memory flat in the record count; best of at most 3 runs, --records does not apply)."
)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive integer")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=_DESCRIPTION)
    parser.add_argument("--records", type=_positive, default=100_000, help="filter: records per run (default 100000)")
    parser.add_argument(
        "--repeat",
        type=_positive,
        default=5,
        help="runs per candidate; filter, org and crypto: best counts, SOQL: calls pooled (default 5)",
    )
    parser.add_argument("--calls", type=_positive, default=1000, help="SOQL: timed calls per run (default 1000)")
    parser.add_argument(
        "--values", type=_positive, default=20_000, help="crypto: values per encrypt+decrypt pass (default 20000)"
    )
    parser.add_argument(
        "--esdk-values",
        type=_positive,
        default=500,
        help="crypto: values the AWS Encryption SDK is timed on, the first of the same data (default 500)",
    )
    parser.add_argument(
        "--dlp-records", type=_positive, default=20_000, help="dlp: generated notes per run (default 20000)"
    )
    parser.add_argument(
        "--presidio-records",
        type=_positive,
        default=2_000,
        help="dlp: notes Presidio is timed on, the first of the same data (default 2000)",
    )
    parser.add_argument(
        "--only",
        choices=("keep-drop", "full", "soql", "org", "crypto", "dlp", "dlp-eval", "e2e"),
        help="run one comparison only",
    )
    parser.add_argument(
        "--gc",
        choices=[mode.value for mode in bench_filter.GcMode],
        default=bench_filter.GcMode.ON.value,
        help="garbage collector while timing: on (default), freeze the generated records, or off",
    )
    args = parser.parse_args(argv)
    if args.only in (None, "keep-drop", "full"):
        bench_filter.main(records=args.records, repeat=args.repeat, only=args.only, gc_mode=args.gc)
    if args.only is None:
        print()
    if args.only in (None, "soql"):
        # Imported only now: the peers' imports grow the long-lived heap, which changes how often CPython runs
        # full collections and so moves the filter figures by up to a third (see docs/benchmarks.md).
        from benchmarks import bench_soql  # noqa: PLC0415

        bench_soql.main(repeat=args.repeat, calls=args.calls)
    if args.only is None:
        print()
    if args.only in (None, "org"):
        from benchmarks import bench_org  # noqa: PLC0415 - imported late for the same reason as bench_soql

        bench_org.main(repeat=args.repeat)
    if args.only is None:
        print()
    if args.only in (None, "crypto"):
        from benchmarks import bench_crypto  # noqa: PLC0415 - imported late for the same reason as bench_soql

        bench_crypto.main(repeat=args.repeat, values=args.values, esdk_values=args.esdk_values)
    if args.only is None:
        print()
    if args.only in (None, "dlp"):
        from benchmarks import bench_dlp  # noqa: PLC0415 - imported late for the same reason as bench_soql

        bench_dlp.main(repeat=args.repeat, records=args.dlp_records, presidio_records=args.presidio_records)
    if args.only is None:
        print()
    if args.only in (None, "dlp-eval"):
        from benchmarks import dlp_eval  # noqa: PLC0415 - imported late for the same reason as bench_soql

        held = dlp_eval.main()
        # The evaluation is deterministic, unlike timings: alone (`nox -s eval`) a missed threshold fails the run.
        if args.only == "dlp-eval" and not held:
            return 1
    if args.only is None:
        print()
    if args.only in (None, "e2e"):
        from benchmarks import bench_e2e  # noqa: PLC0415 - imported late for the same reason as bench_soql

        # One round reads 120k Contacts with each candidate (about 40 s): the rounds are capped.
        bench_e2e.main(repeat=min(args.repeat, bench_e2e.MAX_REPEAT))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
