"""The exporter behind benchmarks/native/re2_ceiling.cc writes what the C++ side reads back."""

from __future__ import annotations

from pathlib import Path

from benchmarks.dlp_corpus import dictionary, throughput_corpus
from benchmarks.native.export import export

from sfshield.dlp import Scanner
from sfshield.dlp._prefilter import one_pass_form


def read_strings(data: bytes, count: int, at: int = 0) -> tuple[list[str], int]:
    out = []
    for _ in range(count):
        size = int.from_bytes(data[at : at + 4], "little")
        out.append(data[at + 4 : at + 4 + size].decode())
        at += 4 + size
    return out, at


def test_export_writes_the_scanners_entries_and_the_corpus(tmp_path: Path) -> None:
    """pats.bin holds the one pass's entries then each pattern, in rule order; notes.bin every note of the corpus."""
    export(tmp_path / "out")
    patterns = [rule.pattern for rule in Scanner(dictionary=dictionary())._rules]
    data = (tmp_path / "out" / "pats.bin").read_bytes()
    at, lists = 0, []
    for _ in range(2):
        count = int.from_bytes(data[at : at + 4], "little")
        items, at = read_strings(data, count, at + 4)
        lists.append(items)
    assert at == len(data)
    assert lists == [[one_pass_form(p) for p in patterns], [p.regex for p in patterns]]
    notes = (tmp_path / "out" / "notes.bin").read_bytes()
    texts = [record.text for record in throughput_corpus()]
    decoded, end = read_strings(notes, len(texts))
    assert decoded == texts and end == len(notes)
