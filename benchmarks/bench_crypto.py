"""Encrypt+decrypt throughput of sfshield's envelope cipher beside raw ``cryptography`` and the AWS Encryption SDK.

Goals (issue 5): sfshield's random mode (RND) reaches at least :data:`GOAL_RND` of the floor's values/s, its
deterministic mode (DET) at least :data:`GOAL_DET` of the same floor, no value grows by more than
:data:`GOAL_OVERHEAD` bytes, and ``import sfshield.crypto`` takes at most :data:`GOAL_IMPORT_MS`.

Candidates (ids as in the reference measurements), all over the same seeded values and bound to the same
tenant/purpose/object/field context (:data:`CONTEXT`) as associated data or encryption context:

* ``a`` — the floor: ``cryptography`` AESGCM, one 256-bit key, a fresh ``os.urandom`` 12-byte nonce per value
  stored in front of the ciphertext, the context's canonical bytes as associated data;
* ``d`` — ``cryptography`` AESSIV with a 512-bit key, the same associated data;
* ``rnd`` / ``rnd-many`` — :meth:`EnvelopeCipher.encrypt` and :meth:`~EnvelopeCipher.decrypt` called per value,
  and the batch calls :meth:`~EnvelopeCipher.encrypt_many` / :meth:`~EnvelopeCipher.decrypt_many`;
* ``det`` / ``det-many`` — :meth:`~EnvelopeCipher.encrypt_deterministic` per value and
  :meth:`~EnvelopeCipher.encrypt_deterministic_many` (join domain :data:`DOMAIN`, exact normalisation, so no
  text is normalised, default algorithm: AES-256-GCM with a keyed-BLAKE2b synthetic nonce), decrypted per value
  and with ``decrypt_many``;
* ``siv-many`` — the same batch calls for a join domain declared with the AES-SIV algorithm;
* ``b`` / ``b-ns`` — the AWS Encryption SDK with an MPL raw AES keyring, one message per value, with the default
  commitment policy and suite (0x0578: key commitment and an ECDSA P-384 signature) and with the unsigned
  committing suite 0x0478. It runs a few hundred values per second, so it is timed on the first
  ``esdk_values`` values, one pass per run; its rates are per value like everyone else's. Optional: without
  ``aws-encryption-sdk[MPL]`` its rows say so.

A run encrypts all values, then decrypts all of them; the fast candidates repeat that pass until the run has
lasted ``min_seconds``. The collector is off while timing (and the output of a pass is freed outside the timed
region). Each figure is the best of ``repeat`` runs, the candidates interleaved within a round so drift hits all
of them alike. After every pass, outside the timing, the decrypted values must equal the plaintexts exactly and
the per-value overhead (ciphertext minus plaintext bytes) is recorded; a candidate that does not round-trip
stops the benchmark.

Import times are measured apart: a fresh interpreter times ``import <module>`` around the statement (best of
three), and the whole ``python -c "import <module>"`` process is timed as well.
"""

from __future__ import annotations

import gc
import math
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESSIV

import sfshield
from benchmarks.bench_filter import machine
from sfshield.crypto import DeterministicAlgorithm, EncryptionContext, EnvelopeCipher, JoinDomain
from sfshield.testing import InMemoryKeyProvider

__all__ = [
    "AESSIV_RAW",
    "CONTEXT",
    "DET",
    "DET_MANY",
    "DET_SIV_MANY",
    "DOMAIN",
    "ESDK",
    "ESDK_INSTALL",
    "ESDK_NO_SIGNATURES",
    "ESDK_VALUES",
    "FLOOR",
    "GOAL_DET",
    "GOAL_IMPORT_MS",
    "GOAL_OVERHEAD",
    "GOAL_RND",
    "IMPORTS",
    "RND",
    "RND_MANY",
    "ROWS",
    "VALUES",
    "Candidate",
    "Goal",
    "ImportTime",
    "Result",
    "candidates",
    "describe",
    "esdk_available",
    "esdk_candidates",
    "generate_values",
    "goals",
    "import_times",
    "main",
    "ratio",
    "report",
    "run",
]

GOAL_RND = 0.9
"""sfshield's RND values/s (its faster API) should be at least this fraction of the AES-GCM floor's."""
GOAL_DET = 0.75
"""sfshield's DET values/s (its faster API) should be at least this fraction of the AES-GCM floor's."""
GOAL_OVERHEAD = 33
"""No sfshield ciphertext should be more than this many bytes longer than its plaintext."""
GOAL_IMPORT_MS = 50.0
"""``import sfshield.crypto`` in a fresh interpreter should take at most this many milliseconds."""

VALUES = 20_000
"""Values per pass."""
ESDK_VALUES = 500
"""Values the AWS Encryption SDK is timed on (the first ones of the same data)."""
MIN_SECONDS = 1.0
"""A fast candidate repeats its pass until a run lasts this long."""

CONTEXT = {"tenant": "bench", "purpose": "analytics", "sobject": "Contact", "field": "Email"}
"""The context every candidate binds: sfshield's canonical bytes as AAD for the raw AEADs, the pairs as the
Encryption SDK's encryption context. DET adds ``domain``."""
DOMAIN = "email"
SIV_DOMAIN = "email_siv"

ESDK_INSTALL = "pip install 'aws-encryption-sdk[MPL]'"

FLOOR = "a"
AESSIV_RAW = "d"
RND = "rnd"
RND_MANY = "rnd-many"
DET = "det"
DET_MANY = "det-many"
DET_SIV_MANY = "siv-many"
ESDK = "b"
ESDK_NO_SIGNATURES = "b-ns"

ROWS = {
    FLOOR: "cryptography AESGCM, 1 key, random 12 B nonce (floor)",
    AESSIV_RAW: "cryptography AESSIV, 512-bit key",
    RND: "sfshield RND: encrypt / decrypt per value",
    RND_MANY: "sfshield RND: encrypt_many / decrypt_many",
    DET: "sfshield DET: encrypt_deterministic / decrypt per value",
    DET_MANY: "sfshield DET: encrypt_deterministic_many / decrypt_many",
    DET_SIV_MANY: "sfshield DET, AES-SIV domain: *_many calls",
    ESDK: "ESDK default suite 0x0578, raw AES keyring, 1 msg/value",
    ESDK_NO_SIGNATURES: "ESDK suite 0x0478 (no signature), 1 msg/value",
}
"""Every row of the report, in order, with its description."""

IMPORTS = ("sfshield.crypto", "aws_encryption_sdk", "cryptography.hazmat.primitives.ciphers.aead")
"""The modules whose import time is shown; the last is what the floor imports."""

_SUITE_DEFAULT = 0x0578
_SUITE_NO_SIGNATURES = 0x0478
_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .-_@"

Batch = Callable[[list[bytes]], list[bytes]]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A way to encrypt and decrypt a list of values under :data:`CONTEXT`."""

    key: str
    encrypt: Batch
    decrypt: Batch
    subset: bool = False
    """Timed once per run on the first ``esdk_values`` values instead of repeated passes over all of them."""


@dataclass(frozen=True, slots=True)
class Result:
    """The best run of one candidate: how many values it processed and how long each half took."""

    key: str
    values: int
    passes: int
    encrypt_s: float
    decrypt_s: float
    overhead_min: int
    overhead_max: int

    @property
    def encrypt_us(self) -> float:
        """Microseconds to encrypt one value."""
        return self.encrypt_s / (self.values * self.passes) * 1e6

    @property
    def decrypt_us(self) -> float:
        """Microseconds to decrypt one value."""
        return self.decrypt_s / (self.values * self.passes) * 1e6

    @property
    def values_per_s(self) -> float:
        """Values encrypted and decrypted per second."""
        return self.values * self.passes / (self.encrypt_s + self.decrypt_s)


@dataclass(frozen=True, slots=True)
class ImportTime:
    """How long a fresh interpreter takes to import a module (None: not installed)."""

    module: str
    import_ms: float | None
    process_ms: float | None


@dataclass(frozen=True, slots=True)
class Goal:
    """One goal, what was measured for it, and whether it holds (None: not measured)."""

    text: str
    measured: str
    holds: bool | None


def generate_values(count: int, *, seed: int = 0) -> list[bytes]:
    """Return ``count`` seeded ASCII values of 45 to 75 bytes (60 on average)."""
    rng = random.Random(seed)
    return ["".join(rng.choices(_ALPHABET, k=rng.randint(45, 75))).encode() for _ in range(count)]


def describe(values: Sequence[bytes]) -> str:
    """Summarize the values: count and sizes."""
    sizes = [len(value) for value in values]
    return f"{len(values):,} values of {min(sizes)}-{max(sizes)} B, mean {sum(sizes) / len(sizes):.1f} B"


def esdk_available() -> bool:
    """Whether the AWS Encryption SDK and its material providers library (MPL) are installed."""
    return all(find_spec(name) is not None for name in ("aws_encryption_sdk", "aws_cryptographic_material_providers"))


def candidates(*, esdk: bool = True) -> tuple[Candidate, ...]:
    """Return the candidates in report order; the Encryption SDK's only when ``esdk`` and it is installed."""
    ctx = EncryptionContext(CONTEXT)
    det_ctx = ctx.replace(domain=DOMAIN)
    aad = ctx.aad
    gcm = AESGCM(AESGCM.generate_key(bit_length=256))
    siv = AESSIV(AESSIV.generate_key(bit_length=512))
    cipher = EnvelopeCipher(
        InMemoryKeyProvider(),
        domains=[JoinDomain(DOMAIN), JoinDomain(SIV_DOMAIN, algorithm=DeterministicAlgorithm.AES_SIV)],
    )
    siv_ctx = ctx.replace(domain=SIV_DOMAIN)
    urandom = os.urandom

    def floor_encrypt(values: list[bytes]) -> list[bytes]:
        seal = gcm.encrypt
        return [(nonce := urandom(12)) + seal(nonce, value, aad) for value in values]

    def floor_decrypt(blobs: list[bytes]) -> list[bytes]:
        open_ = gcm.decrypt
        return [open_(blob[:12], blob[12:], aad) for blob in blobs]

    siv_aad = [aad]

    def siv_encrypt(values: list[bytes]) -> list[bytes]:
        seal = siv.encrypt
        return [seal(value, siv_aad) for value in values]

    def siv_decrypt(blobs: list[bytes]) -> list[bytes]:
        open_ = siv.decrypt
        return [open_(blob, siv_aad) for blob in blobs]

    def rnd_encrypt(values: list[bytes]) -> list[bytes]:
        encrypt = cipher.encrypt
        return [encrypt(value, context=ctx) for value in values]

    def det_encrypt(values: list[bytes]) -> list[bytes]:
        encrypt = cipher.encrypt_deterministic
        return [encrypt(value, context=det_ctx) for value in values]

    def decrypt_each(context: EncryptionContext) -> Batch:
        def decrypt(blobs: list[bytes]) -> list[bytes]:
            open_ = cipher.decrypt
            return [open_(blob, context=context) for blob in blobs]

        return decrypt

    def rnd_many(values: list[bytes]) -> list[bytes]:
        return cipher.encrypt_many(values, context=ctx)

    def det_many(values: list[bytes]) -> list[bytes]:
        return cipher.encrypt_deterministic_many(values, context=det_ctx)

    def det_siv_many(values: list[bytes]) -> list[bytes]:
        return cipher.encrypt_deterministic_many(values, context=siv_ctx)

    def decrypt_many(context: EncryptionContext) -> Batch:
        def decrypt(blobs: list[bytes]) -> list[bytes]:
            return cipher.decrypt_many(blobs, context=context)

        return decrypt

    found = [
        Candidate(FLOOR, floor_encrypt, floor_decrypt),
        Candidate(AESSIV_RAW, siv_encrypt, siv_decrypt),
        Candidate(RND, rnd_encrypt, decrypt_each(ctx)),
        Candidate(RND_MANY, rnd_many, decrypt_many(ctx)),
        Candidate(DET, det_encrypt, decrypt_each(det_ctx)),
        Candidate(DET_MANY, det_many, decrypt_many(det_ctx)),
        Candidate(DET_SIV_MANY, det_siv_many, decrypt_many(siv_ctx)),
    ]
    if esdk and esdk_available():
        found += esdk_candidates()
    return tuple(found)


def esdk_candidates() -> list[Candidate]:
    """The Encryption SDK with an MPL raw AES keyring: default suite and unsigned suite, one message per value.

    Raises:
        ImportError: ``aws-encryption-sdk[MPL]`` is not installed.
        RuntimeError: a message is not made with the suite its row names.
    """
    # A benchmark peer, imported only when it is measured (it takes about half a second).
    import aws_encryption_sdk  # noqa: PLC0415
    from aws_cryptographic_material_providers.mpl import AwsCryptographicMaterialProviders  # noqa: PLC0415
    from aws_cryptographic_material_providers.mpl.config import MaterialProvidersConfig  # noqa: PLC0415
    from aws_cryptographic_material_providers.mpl.models import (  # noqa: PLC0415
        AesWrappingAlg,
        CreateRawAesKeyringInput,
    )
    from aws_encryption_sdk.identifiers import Algorithm  # noqa: PLC0415

    client = aws_encryption_sdk.EncryptionSDKClient()  # default policy: REQUIRE_ENCRYPT_REQUIRE_DECRYPT
    providers = AwsCryptographicMaterialProviders(config=MaterialProvidersConfig())
    keyring = providers.create_raw_aes_keyring(
        input=CreateRawAesKeyringInput(
            key_namespace="sfshield-bench",
            key_name="kek-1",
            wrapping_key=AESGCM.generate_key(bit_length=256),
            wrapping_alg=AesWrappingAlg.ALG_AES256_GCM_IV12_TAG16,
        )
    )
    context = dict(CONTEXT)

    def make(key: str, suite: int, options: dict[str, Any]) -> Candidate:
        encrypt_message = client.encrypt
        decrypt_message = client.decrypt
        _, header = encrypt_message(source=b"suite check", keyring=keyring, encryption_context=context, **options)
        if header.algorithm.algorithm_id != suite:
            raise RuntimeError(f"ESDK row {key!r} made suite {header.algorithm.algorithm_id:#06x}, not {suite:#06x}")

        def encrypt(values: list[bytes]) -> list[bytes]:
            return [
                encrypt_message(source=value, keyring=keyring, encryption_context=context, **options)[0]
                for value in values
            ]

        def decrypt(blobs: list[bytes]) -> list[bytes]:
            # The context is given again, so the SDK checks it against the message as sfshield does.
            return [decrypt_message(source=blob, keyring=keyring, encryption_context=context)[0] for blob in blobs]

        return Candidate(key, encrypt, decrypt, subset=True)

    return [
        make(ESDK, _SUITE_DEFAULT, {}),
        make(ESDK_NO_SIGNATURES, _SUITE_NO_SIGNATURES, {"algorithm": Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY}),
    ]


def run(
    values: int = VALUES,
    repeat: int = 5,
    *,
    esdk_values: int = ESDK_VALUES,
    min_seconds: float = MIN_SECONDS,
    esdk: bool = True,
    seed: int = 0,
    warmup: int = 50,
) -> list[Result]:
    """Time every candidate, best of ``repeat`` interleaved runs; return one result per candidate in report order.

    Raises:
        ValueError: a count is not positive, or ``min_seconds`` or ``warmup`` is negative.
        RuntimeError: a candidate does not give back exactly the values it encrypted.
    """
    if values < 1 or repeat < 1 or esdk_values < 1 or min_seconds < 0 or warmup < 0:
        raise ValueError("values, repeat and esdk_values must be positive, min_seconds and warmup zero or more")
    data = generate_values(values, seed=seed)
    subset = data[:esdk_values]
    found = candidates(esdk=esdk)
    for candidate in found:  # load keys and code paths; also a first round-trip check
        warm = (subset if candidate.subset else data)[:warmup]
        blobs = candidate.encrypt(warm)
        _check(candidate, warm, blobs, candidate.decrypt(blobs))
    best: dict[str, Result] = {}
    for _ in range(repeat):
        for candidate in found:
            if candidate.subset:
                result = _time_run(candidate, subset, min_seconds=0.0)
            else:
                result = _time_run(candidate, data, min_seconds=min_seconds)
            kept = best.get(candidate.key)
            if kept is None or result.values_per_s > kept.values_per_s:
                best[candidate.key] = result
    return [best[candidate.key] for candidate in found]


def _time_run(candidate: Candidate, values: list[bytes], *, min_seconds: float) -> Result:
    clock = time.perf_counter
    encrypt, decrypt = candidate.encrypt, candidate.decrypt
    encrypt_s = decrypt_s = 0.0
    passes = 0
    overheads = (0, 0)
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        while passes == 0 or encrypt_s + decrypt_s < min_seconds:
            start = clock()
            blobs = encrypt(values)
            middle = clock()
            plain = decrypt(blobs)
            end = clock()
            encrypt_s += middle - start
            decrypt_s += end - middle
            passes += 1
            overheads = _check(candidate, values, blobs, plain)  # after the clock stopped
            del blobs, plain  # freed outside the timed region
    finally:
        if enabled:
            gc.enable()
    return Result(candidate.key, len(values), passes, encrypt_s, decrypt_s, *overheads)


def _check(candidate: Candidate, values: list[bytes], blobs: list[bytes], plain: list[bytes]) -> tuple[int, int]:
    """Check that ``blobs`` decrypted to ``plain`` == ``values``; return the least and most bytes a value grew."""
    if plain != values or len(blobs) != len(values):
        raise RuntimeError(f"candidate {candidate.key!r} did not give back the values it encrypted")
    if any(value in blob for value, blob in zip(values, blobs, strict=True) if len(value) >= 16):
        raise RuntimeError(f"candidate {candidate.key!r} left a plaintext readable in its ciphertext")
    grown = [len(blob) - len(value) for value, blob in zip(values, blobs, strict=True)]
    return (min(grown), max(grown)) if grown else (0, 0)


def ratio(results: Sequence[Result], key: str, to: str = FLOOR) -> float | None:
    """Return the values/s of row ``key`` divided by row ``to``'s (None if either is missing)."""
    by_key = {result.key: result for result in results}
    if key not in by_key or to not in by_key:
        return None
    return by_key[key].values_per_s / by_key[to].values_per_s


def import_times(modules: Sequence[str] = IMPORTS, *, repeat: int = 3) -> list[ImportTime]:
    """Time ``import <module>`` in fresh interpreters, best of ``repeat``: the statement alone and the process."""
    if repeat < 1:
        raise ValueError("repeat must be at least 1")
    source = str(Path(sfshield.__file__).resolve().parents[1])  # so the child imports the same sfshield
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (source, os.environ.get("PYTHONPATH"))))}
    times = []
    for module in modules:
        if find_spec(module.partition(".")[0]) is None:
            times.append(ImportTime(module, None, None))
            continue
        code = f"import time\nstart = time.perf_counter()\nimport {module}\nprint(time.perf_counter() - start)"
        best_import = best_process = math.inf
        for _ in range(repeat):
            start = time.perf_counter()
            # Our own interpreter and a fixed module name from this file: no untrusted input.
            done = subprocess.run(  # noqa: S603
                [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
            )
            best_process = min(best_process, time.perf_counter() - start)
            best_import = min(best_import, float(done.stdout))
        times.append(ImportTime(module, best_import * 1000, best_process * 1000))
    return times


def goals(results: Sequence[Result], imports: Sequence[ImportTime] = ()) -> list[Goal]:
    """Return each goal with what was measured for it and whether it holds.

    The throughput goals are judged on the faster of sfshield's two APIs (per value, batch); both are shown.
    """
    rnd, rnd_many = ratio(results, RND), ratio(results, RND_MANY)
    det, det_many = ratio(results, DET), ratio(results, DET_MANY)
    siv_many = ratio(results, DET_SIV_MANY)
    overheads = {r.key: r.overhead_max for r in results if r.key in (RND, RND_MANY, DET, DET_MANY, DET_SIV_MANY)}
    imported = next((t for t in imports if t.module == "sfshield.crypto"), None)
    return [
        Goal(
            f"RND >= {GOAL_RND:.2f}x the AESGCM floor (faster API)",
            f"per value {_ratio(rnd)}, encrypt_many/decrypt_many {_ratio(rnd_many)}",
            _best_meets(GOAL_RND, rnd, rnd_many),
        ),
        Goal(
            f"DET >= {GOAL_DET:.2f}x the AESGCM floor (faster API)",
            f"per value {_ratio(det)}, batch {_ratio(det_many)}; AES-SIV domain batch {_ratio(siv_many)}",
            _best_meets(GOAL_DET, det, det_many),
        ),
        Goal(
            f"overhead <= {GOAL_OVERHEAD} B per value",
            ", ".join(f"{key} {size} B" for key, size in overheads.items()) or "-",
            max(overheads.values()) <= GOAL_OVERHEAD if overheads else None,
        ),
        Goal(
            f"import sfshield.crypto <= {GOAL_IMPORT_MS:.0f} ms",
            "-" if imported is None or imported.import_ms is None else f"{imported.import_ms:,.0f} ms",
            None if imported is None or imported.import_ms is None else imported.import_ms <= GOAL_IMPORT_MS,
        ),
    ]


def _best_meets(goal: float, *ratios: float | None) -> bool | None:
    measured = [value for value in ratios if value is not None]
    return max(measured) >= goal if measured else None


def _ratio(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 0.1:
        return f"{value:.2f}x"
    return f"1/{1 / value:,.0f}"


def report(results: Sequence[Result], imports: Sequence[ImportTime] = ()) -> str:
    """Return the results as a plain-text table, the import times, then one verdict line per goal."""
    header = (
        f"{'id':<9} {'method':<56} {'values/s':>10} {'ratio':>8} {'enc us':>8} {'dec us':>8} {'overhead':>9}  timed"
    )
    lines = [header, "-" * (len(header) + 16)]
    by_key = {result.key: result for result in results}
    for key, method in ROWS.items():
        r = by_key.get(key)
        if r is None:
            lines.append(f"{key:<9} {method:<56} skipped ({ESDK_INSTALL})")
            continue
        size = f"{r.overhead_min}" if r.overhead_min == r.overhead_max else f"{r.overhead_min}-{r.overhead_max}"
        timed = f"{r.values:,} x {r.passes}"
        lines.append(
            f"{key:<9} {method:<56} {r.values_per_s:>10,.0f} {_ratio(ratio(results, key)):>8} "
            f"{r.encrypt_us:>8,.1f} {r.decrypt_us:>8,.1f} {size + ' B':>9}  {timed}"
        )
    if imports:
        lines.append("")
        for t in imports:
            if t.import_ms is None or t.process_ms is None:
                lines.append(f"import {t.module}: not installed")
            else:
                lines.append(
                    f"import {t.module}: {t.import_ms:,.0f} ms "
                    f"(whole `python -c 'import {t.module}'`: {t.process_ms:,.0f} ms)"
                )
    lines.append("")
    for goal in goals(results, imports):
        verdict = "not measured" if goal.holds is None else "met" if goal.holds else "MISSED"
        lines.append(f"goal: {goal.text}: {goal.measured} -> {verdict}")
    return "\n".join(lines)


def main(
    *,
    repeat: int,
    values: int = VALUES,
    esdk_values: int = ESDK_VALUES,
    min_seconds: float = MIN_SECONDS,
    import_repeat: int = 3,
) -> None:
    """Print the header, run the candidates and print the table, the import times and the goal verdicts.

    A missed goal is printed, not signalled by the exit status: timings are too noisy to gate anything on.
    """
    esdk_values = min(esdk_values, values)
    print(
        f"sfshield envelope cipher, encrypt+decrypt vs cryptography AESGCM (floor), AESSIV and the AWS Encryption "
        f"SDK (goals: RND >= {GOAL_RND:g}x, DET >= {GOAL_DET:g}x the floor, overhead <= {GOAL_OVERHEAD} B, "
        f"import <= {GOAL_IMPORT_MS:.0f} ms)"
    )
    print(f"machine: {machine()}")
    print(f"data:    {describe(generate_values(values))} (seed 0); context {CONTEXT} (+ domain={DOMAIN!r} for DET)")
    print(
        f"timing:  a run = encrypt all values, then decrypt all; fast rows repeat passes until the run lasts "
        f">= {min_seconds:g} s, best of {repeat} runs, candidates interleaved, gc off while timing"
    )
    if esdk_available():
        versions = ", ".join(
            f"{p} {metadata.version(p)}"
            for p in ("cryptography", "aws-encryption-sdk", "aws-cryptographic-material-providers")
        )
        print(f"peers:   {versions}")
        print(
            f"  ESDK rows (b, b-ns) are timed on the first {esdk_values:,} values, one pass per run (a few hundred "
            f"values/s);\n  their values/s and us are per value, not measured over all {values:,}"
        )
    else:
        print(f"peers:   cryptography {metadata.version('cryptography')}; ESDK skipped ({ESDK_INSTALL})")
    print(
        "  ratio: the row's values/s over the floor's (a); overhead: ciphertext minus plaintext bytes per value; "
        "timed: values x passes of the best run",
        flush=True,
    )
    print()
    results = run(values, repeat, esdk_values=esdk_values, min_seconds=min_seconds)
    print(report(results, import_times(repeat=import_repeat)))
