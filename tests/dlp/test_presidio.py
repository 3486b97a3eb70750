"""The Presidio adapter: Presidio recognizers run as an sfshield detector, scores become confidence levels."""

from __future__ import annotations

import sys
from importlib.util import find_spec
from types import ModuleType
from typing import Any

import pytest

from sfshield.dlp import Confidence, EntityKind, Scanner
from sfshield.dlp.presidio import PresidioDetector, confidence_from_score
from sfshield.exceptions import ConfigurationError, ScanError

requires_presidio = pytest.mark.skipif(
    find_spec("presidio_analyzer") is None,
    reason="presidio-analyzer is not installed (pip install 'sfshield[presidio]')",
)


@pytest.fixture
def presidio() -> ModuleType:
    import presidio_analyzer  # noqa: PLC0415 - optional: only tests marked requires_presidio use this fixture

    return presidio_analyzer


def employee_ids(presidio: ModuleType, score: float = 0.6) -> Any:
    pattern = presidio.Pattern("employee id", r"\bEMP-[0-9]{6}\b", score)
    return presidio.PatternRecognizer("EMPLOYEE_ID", name="EmployeeIds", patterns=[pattern])


def spans(text: str, found: Any) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in found]


class TestScoreMapping:
    @pytest.mark.parametrize(
        ("score", "level"),
        [
            (1.0, Confidence.VERY_LIKELY),
            (0.85, Confidence.VERY_LIKELY),
            (0.84, Confidence.LIKELY),
            (0.6, Confidence.LIKELY),
            (0.5, Confidence.POSSIBLE),
            (0.4, Confidence.POSSIBLE),
            (0.3, Confidence.UNLIKELY),
            (0.2, Confidence.UNLIKELY),
            (0.05, Confidence.VERY_UNLIKELY),
            (0.0, Confidence.VERY_UNLIKELY),
        ],
    )
    def test_scores_map_to_the_five_levels(self, score: float, level: Confidence) -> None:
        """Each Presidio score falls into the level the module's table gives."""
        assert confidence_from_score(score) is level

    @pytest.mark.parametrize("score", [-0.1, 1.01, float("nan"), True, "0.5"])
    def test_a_score_outside_zero_to_one_is_refused(self, score: Any) -> None:
        """A score that is not a number from 0 to 1 raises ValueError."""
        with pytest.raises(ValueError, match="from 0 to 1"):
            confidence_from_score(score)


class TestWithoutPresidio:
    def test_a_missing_presidio_says_which_extra_to_install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without presidio-analyzer, building a detector raises ConfigurationError naming the extra."""
        monkeypatch.setitem(sys.modules, "presidio_analyzer", None)  # makes the import fail, installed or not
        with pytest.raises(ConfigurationError, match=r"pip install 'sfshield\[presidio\]'"):
            PresidioDetector([object()])


@requires_presidio
class TestPresidioDetector:
    def test_a_custom_pattern_recognizer_joins_the_scanner(self, presidio: ModuleType) -> None:
        """A PatternRecognizer plugged into Scanner(detectors=...) is reported beside the built-in kinds."""
        scanner = Scanner(detectors=[PresidioDetector([employee_ids(presidio)])])
        text = "EMP-123456 wrote from ana@example.com"
        assert spans(text, scanner.scan(text)) == [("EMPLOYEE_ID", "EMP-123456"), ("EMAIL_ADDRESS", "ana@example.com")]
        assert scanner.scan(text).findings[0].detector == "presidio:EmployeeIds"

    def test_findings_carry_the_mapped_confidence_and_never_the_text(self, presidio: ModuleType) -> None:
        """A 0.6 result is LIKELY, and the finding holds offsets and names only."""
        (finding,) = PresidioDetector([employee_ids(presidio)]).detect("id EMP-123456")
        assert (finding.start, finding.end, finding.confidence) == (3, 13, Confidence.LIKELY)
        assert "123456" not in repr(finding)

    def test_a_validated_result_is_very_likely_and_a_refused_one_is_dropped(self, presidio: ModuleType) -> None:
        """Presidio's card recognizer: the Luhn-valid number scores 1.0, the invalid one scores 0 and is dropped."""
        detector = PresidioDetector([presidio.predefined_recognizers.CreditCardRecognizer()])
        text = "cards 4111 1111 1111 1111 and 4111 1111 1111 1112"
        found = detector.detect(text)
        assert spans(text, found) == [("CREDIT_CARD", "4111 1111 1111 1111")]
        assert found[0].confidence is Confidence.VERY_LIKELY

    def test_results_below_min_score_are_dropped(self, presidio: ModuleType) -> None:
        """A 0.3 result is dropped at the default 0.4 and reported as UNLIKELY at min_score=0.2."""
        weak = employee_ids(presidio, score=0.3)
        assert PresidioDetector([weak]).detect("EMP-123456") == []
        (finding,) = PresidioDetector([weak], min_score=0.2).detect("EMP-123456")
        assert finding.confidence is Confidence.UNLIKELY

    def test_kind_map_renames_entities(self, presidio: ModuleType) -> None:
        """kind_map turns a Presidio entity name into the kind reported; a built-in kind gets its overlap priority."""
        cards = presidio.predefined_recognizers.CreditCardRecognizer()
        detector = PresidioDetector([employee_ids(presidio), cards], kind_map={"EMPLOYEE_ID": "STAFF_ID"})
        text = "EMP-123456 paid with 4111111111111111"
        assert spans(text, detector.detect(text)) == [("STAFF_ID", "EMP-123456"), ("CREDIT_CARD", "4111111111111111")]
        assert detector.detect(text)[1].kind == EntityKind.CREDIT_CARD

    def test_entities_restrict_what_is_reported(self, presidio: ModuleType) -> None:
        """Only the entities asked for are reported; recognizers for other entities are not run."""
        cards = presidio.predefined_recognizers.CreditCardRecognizer()
        detector = PresidioDetector([employee_ids(presidio), cards], entities=["CREDIT_CARD"])
        assert detector.entities == {"CREDIT_CARD"}
        assert spans("EMP-123456 4111111111111111", detector.detect("EMP-123456 4111111111111111")) == [
            ("CREDIT_CARD", "4111111111111111")
        ]

    def test_deny_lists_work_without_an_nlp_engine(self, presidio: ModuleType) -> None:
        """A deny-list recognizer (no regex of the user's own) finds its terms case-insensitively."""
        customers = presidio.PatternRecognizer("KEY_CUSTOMER", deny_list=["Globex", "Initech"])
        text = "Renewal call with GLOBEX next week"
        assert spans(text, PresidioDetector([customers]).detect(text)) == [("KEY_CUSTOMER", "GLOBEX")]

    def test_a_failing_recognizer_makes_the_scanner_fail_closed(self, presidio: ModuleType) -> None:
        """A recognizer that raises stops the scan with ScanError; the text is never passed as clean."""

        class Broken(presidio.PatternRecognizer):  # type: ignore[misc,name-defined]
            def analyze(self, text: str, entities: list[str], nlp_artifacts: object = None) -> list[object]:
                raise RuntimeError(text)

        broken = Broken("X", patterns=[presidio.Pattern("x", "x", 0.5)])
        with pytest.raises(ScanError, match="detector failed"):
            Scanner(detectors=[PresidioDetector([broken])]).scan("secret text")

    def test_the_repr_names_the_entities(self, presidio: ModuleType) -> None:
        """repr() says how many recognizers run and for which entities."""
        assert repr(PresidioDetector([employee_ids(presidio)])) == (
            "PresidioDetector(1 recognizers, entities=['EMPLOYEE_ID'], min_score=0.4)"
        )


@requires_presidio
class TestBadInput:
    def test_recognizers_must_be_a_list_of_presidio_recognizers(self, presidio: ModuleType) -> None:
        """A bare recognizer, a string or a foreign object raises TypeError; an empty list ValueError."""
        with pytest.raises(TypeError, match="wrap a single one"):
            PresidioDetector(employee_ids(presidio))
        with pytest.raises(TypeError, match="wrap a single one"):
            PresidioDetector("EMPLOYEE_ID")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="not object"):
            PresidioDetector([object()])
        with pytest.raises(ValueError, match="at least one"):
            PresidioDetector([])

    def test_recognizers_that_need_an_nlp_engine_or_a_service_are_refused(self, presidio: ModuleType) -> None:
        """spaCy-based recognizers (they would find nothing) and remote ones (network) raise TypeError."""

        class Remote(presidio.RemoteRecognizer):  # type: ignore[misc,name-defined]
            def analyze(self, text: str, entities: list[str], nlp_artifacts: object = None) -> list[object]:
                return []

            def get_supported_entities(self) -> list[str]:
                return ["PERSON"]

        remote = Remote(supported_entities=["PERSON"], name="Remote", supported_language="en", version="1")
        with pytest.raises(TypeError, match="remote service"):
            PresidioDetector([remote])
        with pytest.raises(TypeError, match="NLP engine"):
            PresidioDetector([presidio.predefined_recognizers.SpacyRecognizer()])

    def test_entities_min_score_and_kind_map_are_checked(self, presidio: ModuleType) -> None:
        """Unknown or empty entities, a min_score outside (0, 1] and an empty kind name raise errors naming them."""
        recognizer = employee_ids(presidio)
        with pytest.raises(ValueError, match="no recognizer supports PERSON"):
            PresidioDetector([recognizer], entities=["PERSON"])
        with pytest.raises(ValueError, match="entities is empty"):
            PresidioDetector([recognizer], entities=[])
        with pytest.raises(TypeError, match="list of entity names"):
            PresidioDetector([recognizer], entities="EMPLOYEE_ID")
        for score in (0, 1.5, True):
            with pytest.raises(ValueError, match="min_score"):
                PresidioDetector([recognizer], min_score=score)
        with pytest.raises(ValueError, match="EMPLOYEE_ID"):
            PresidioDetector([recognizer], kind_map={"EMPLOYEE_ID": ""})

    def test_detect_takes_text(self, presidio: ModuleType) -> None:
        """detect() on bytes raises TypeError."""
        with pytest.raises(TypeError, match="bytes"):
            PresidioDetector([employee_ids(presidio)]).detect(b"EMP-123456")  # type: ignore[arg-type]
