"""Command line: ``python -m benchmarks [--records N] [--repeat R] [--only NAME]``."""

from __future__ import annotations

import argparse

from benchmarks import bench_filter

_DESCRIPTION = "Field-filter throughput as a ratio to a hand-written floor (goal: at least 0.5x the floor)."


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive integer")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=_DESCRIPTION)
    parser.add_argument("--records", type=_positive, default=100_000, help="records per run (default 100000)")
    parser.add_argument("--repeat", type=_positive, default=5, help="runs per candidate, best counts (default 5)")
    parser.add_argument("--only", choices=("keep-drop", "full"), help="run one comparison only")
    parser.add_argument(
        "--gc",
        choices=[mode.value for mode in bench_filter.GcMode],
        default=bench_filter.GcMode.ON.value,
        help="garbage collector while timing: on (default), freeze the generated records, or off",
    )
    args = parser.parse_args(argv)
    bench_filter.main(records=args.records, repeat=args.repeat, only=args.only, gc_mode=args.gc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
