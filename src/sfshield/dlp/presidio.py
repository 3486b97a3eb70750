r"""Presidio recognizers as an sfshield detector: keep your custom recognizers, drop Presidio's engine.

Teams moving from Microsoft Presidio often own ``PatternRecognizer`` objects (an employee-id regex, a deny list of
customer names) tuned over years. :class:`PresidioDetector` runs them as an sfshield
:class:`~sfshield.protocols.Detector`, so they join the scanner's overlap resolution, allow-list, confidence
threshold and audit like the built-in patterns::

    from presidio_analyzer import Pattern, PatternRecognizer
    from sfshield.dlp import Scanner
    from sfshield.dlp.presidio import PresidioDetector

    employee_id = PatternRecognizer("EMPLOYEE_ID", patterns=[Pattern("emp", r"\bEMP-[0-9]{6}\b", 0.6)])
    scanner = Scanner(detectors=[PresidioDetector([employee_id])])

Each recognizer is called as ``recognizer.analyze(text, entities, nlp_artifacts=None)``: no NLP engine, no spaCy
model, no network. Pattern recognizers (regexes, deny lists, ``validate_result`` checksums) and other local
recognizers that need no NLP artifacts work; recognizers that read spaCy/Stanza/transformers output, and remote ones
that send text to a service, are refused when the detector is built. Presidio's context-word boosting is done by its
``AnalyzerEngine``, not by the recognizers, so a recognizer's ``context`` words are not applied here; neither are
the scanner's context rules (field-name context and context words apply to sfshield's own patterns only). Give a
recognizer the score it should have without context.

Presidio scores (0 to 1) become sfshield's five confidence levels (:func:`confidence_from_score`):

====================  ===============  =====================================================================
Presidio score        confidence       why
====================  ===============  =====================================================================
>= 0.85               VERY_LIKELY      a passed ``validate_result`` checksum scores 1.0
>= 0.6                LIKELY           patterns specific enough to stand alone
>= 0.4                POSSIBLE         Presidio's usual threshold; the scanner's default ``min_confidence``
>= 0.2                UNLIKELY         weak patterns Presidio keeps for context boosting
> 0                   VERY_UNLIKELY    anything else
====================  ===============  =====================================================================

A score of 0 is how Presidio marks a result its ``validate_result`` refused, so it is never reported.

Presidio itself is an optional extra, imported when a detector is built: ``pip install 'sfshield[presidio]'``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping, Sequence
from types import ModuleType
from typing import Any, Final

from sfshield.dlp.findings import Confidence, Finding
from sfshield.exceptions import ConfigurationError

__all__ = ["SCORE_LEVELS", "PresidioDetector", "confidence_from_score"]

SCORE_LEVELS: Final = (
    (0.85, Confidence.VERY_LIKELY),
    (0.6, Confidence.LIKELY),
    (0.4, Confidence.POSSIBLE),
    (0.2, Confidence.UNLIKELY),
)
"""(least Presidio score, confidence), highest first; scores below the last are VERY_UNLIKELY."""

_INSTALL = "pip install 'sfshield[presidio]'"


def confidence_from_score(score: float, /) -> Confidence:
    """The confidence level of a Presidio score (see the table in the module docstring).

    Raises:
        ValueError: ``score`` is not a number between 0 and 1.
    """
    if isinstance(score, bool) or not isinstance(score, int | float) or not 0.0 <= score <= 1.0:
        raise ValueError(f"a Presidio score is a number from 0 to 1, got {score!r}")
    return next((level for least, level in SCORE_LEVELS if score >= least), Confidence.VERY_UNLIKELY)


class PresidioDetector:
    """Runs Presidio ``EntityRecognizer`` objects as an sfshield :class:`~sfshield.protocols.Detector`.

    Args:
        recognizers: the Presidio recognizers to run (pattern recognizers, or other local recognizers that need
            no NLP artifacts).
        entities: the Presidio entity names to report (default: every entity the recognizers support).
        min_score: results scoring below this are dropped (0 < min_score <= 1); default 0.4, Presidio's usual
            threshold, which maps to POSSIBLE.
        kind_map: Presidio entity name → the kind to report (an :class:`~sfshield.dlp.EntityKind` or your own
            name); unmapped names are reported as they are. Mapping to a built-in kind gives the finding that kind's
            overlap priority.

    Findings carry the span, the mapped kind, the confidence and ``presidio:<recognizer name>`` as the detector;
    never the matched text. A recognizer that raises makes the scanner fail closed (:class:`~sfshield.exceptions.
    ScanError`). The detector holds no state between calls; it is as thread-safe as the recognizers it runs.

    Raises:
        ConfigurationError: presidio-analyzer is not installed.
        TypeError: ``recognizers`` is not a sequence of Presidio ``EntityRecognizer`` objects, or holds one that
            needs an NLP engine (spaCy, Stanza, transformers) or sends text to a remote service.
        ValueError: no recognizer; an entity no recognizer supports; ``min_score`` outside (0, 1]; a ``kind_map``
            value that is not a non-empty string.
    """

    def __init__(
        self,
        recognizers: Sequence[object],
        /,
        *,
        entities: Iterable[str] | None = None,
        min_score: float = 0.4,
        kind_map: Mapping[str, str] | None = None,
    ) -> None:
        presidio = _import_presidio()
        chosen = _check_recognizers(presidio, recognizers)
        supported = {entity for recognizer in chosen for entity in recognizer.supported_entities}
        wanted = set(supported if entities is None else _check_entities(entities, supported))
        self.min_score = _check_min_score(min_score)
        self._kinds = _check_kind_map(kind_map or {})
        self._plan = tuple(
            (recognizer, sorted(wanted & set(recognizer.supported_entities)), f"presidio:{recognizer.name}")
            for recognizer in chosen
            if wanted & set(recognizer.supported_entities)
        )
        self.entities = frozenset(wanted)

    def __repr__(self) -> str:
        return (
            f"PresidioDetector({len(self._plan)} recognizers, entities={sorted(self.entities)}, "
            f"min_score={self.min_score})"
        )

    def detect(self, text: str, /) -> list[Finding]:
        """Run every recognizer on ``text``; return its results as findings, ordered by position.

        Raises:
            TypeError: ``text`` is not a string.
        """
        if not isinstance(text, str):
            raise TypeError(f"detect() takes text (str), not {type(text).__name__}")
        found = []
        for recognizer, entities, name in self._plan:
            for result in recognizer.analyze(text, entities, nlp_artifacts=None):
                finding = self._finding(result, entities, name)
                if finding is not None:
                    found.append(finding)
        return sorted(found)

    def _finding(self, result: Any, entities: list[str], name: str) -> Finding | None:
        entity, score = result.entity_type, float(result.score)
        if entity not in entities or score <= 0.0 or score < self.min_score:
            return None
        kind = self._kinds.get(entity, entity)
        return Finding(int(result.start), int(result.end), kind, confidence_from_score(min(score, 1.0)), name)


def _import_presidio() -> ModuleType:
    # importlib rather than an import statement: presidio is an optional extra, and the type checker must not need
    # it installed.
    try:
        return importlib.import_module("presidio_analyzer")
    except ImportError:
        raise ConfigurationError(
            f"PresidioDetector needs presidio-analyzer, which is not installed: {_INSTALL}"
        ) from None


def _check_recognizers(presidio: ModuleType, recognizers: Sequence[object]) -> list[Any]:
    if isinstance(recognizers, (presidio.EntityRecognizer, str, bytes)):
        raise TypeError("PresidioDetector takes a list of recognizers: wrap a single one in [ ]")
    chosen = list(recognizers)
    if not chosen:
        raise ValueError("PresidioDetector needs at least one recognizer")
    nlp_based = importlib.import_module("presidio_analyzer.predefined_recognizers").SpacyRecognizer
    for recognizer in chosen:
        kind = type(recognizer).__name__
        if not isinstance(recognizer, presidio.EntityRecognizer):
            raise TypeError(f"PresidioDetector runs Presidio EntityRecognizer objects, not {kind}")
        if isinstance(recognizer, presidio.RemoteRecognizer):
            raise TypeError(
                f"{kind} sends text to a remote service; sfshield scans without network calls. Use a local recognizer"
            )
        if isinstance(recognizer, nlp_based):
            raise TypeError(
                f"{kind} reads the output of an NLP engine (spaCy, Stanza, transformers), which PresidioDetector does "
                "not run: it would find nothing. Use pattern recognizers"
            )
    return chosen


def _check_entities(entities: Iterable[str], supported: set[str]) -> set[str]:
    if isinstance(entities, str):
        raise TypeError("entities takes a list of entity names: wrap a single one in [ ]")
    wanted = set(entities)
    unknown = sorted(wanted - supported)
    if unknown:
        raise ValueError(
            f"no recognizer supports {', '.join(unknown)}; the recognizers support {', '.join(sorted(supported))}"
        )
    if not wanted:
        raise ValueError("entities is empty: leave it out to report every entity the recognizers support")
    return wanted


def _check_min_score(min_score: float) -> float:
    if isinstance(min_score, bool) or not isinstance(min_score, int | float) or not 0.0 < min_score <= 1.0:
        raise ValueError(f"min_score must be above 0 and at most 1 (0 marks refused results), got {min_score!r}")
    return float(min_score)


def _check_kind_map(kind_map: Mapping[str, str]) -> dict[str, str]:
    bad = sorted(str(entity) for entity, kind in kind_map.items() if not isinstance(kind, str) or not kind)
    if bad:
        raise ValueError(f"kind_map must map each entity to a non-empty kind name; check {', '.join(bad)}")
    return dict(kind_map)
