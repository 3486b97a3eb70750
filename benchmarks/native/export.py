"""Write the scanner's patterns and the throughput corpus for ``re2_ceiling.cc`` (see its header).

``python -m benchmarks.native.export DIR`` writes ``DIR/pats.bin`` (the one pass's entries, then each pattern's
expression) and ``DIR/notes.bin`` (the 20,000 notes of the DLP throughput benchmark), each string as a 4-byte
little-endian length and its UTF-8 bytes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from benchmarks.dlp_corpus import dictionary, throughput_corpus
from sfshield.dlp import Scanner
from sfshield.dlp._prefilter import one_pass_form


def _strings(values: list[str]) -> bytes:
    out = bytearray()
    for value in values:
        data = value.encode()
        out += len(data).to_bytes(4, "little") + data
    return bytes(out)


def export(directory: Path) -> None:
    """Write ``pats.bin`` and ``notes.bin`` into ``directory``."""
    patterns = [rule.pattern for rule in Scanner(dictionary=dictionary())._rules]  # noqa: SLF001 - the rules' order
    lists = ([one_pass_form(pattern) for pattern in patterns], [pattern.regex for pattern in patterns])
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pats.bin").write_bytes(
        b"".join(len(items).to_bytes(4, "little") + _strings(items) for items in lists)
    )
    (directory / "notes.bin").write_bytes(_strings([record.text for record in throughput_corpus()]))


if __name__ == "__main__":
    export(Path(sys.argv[1] if len(sys.argv) > 1 else "."))
