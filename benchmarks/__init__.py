"""Benchmarks for sfshield, each a ratio to a hand-written floor; run them with ``python -m benchmarks``."""
