from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from sfshield.classification import Classification, load_classification, parse_classification
from sfshield.exceptions import ClassificationError, PolicyLoadError, ShieldError

POLICY: dict[str, Any] = {
    "version": "2024.1",
    "description": "Support assistant policy",
    "purposes": ["support"],
    "labels": {
        "Contact.Email": {"sensitivity": "Confidential", "compliance": ["PII", "GDPR"], "kind": "email"},
        "*.Phone": {"sensitivity": "Internal", "compliance": "PII"},
        "Opportunity.Discount__c": {"tags": ["commercial-terms"]},
    },
    "relationships": {"Case.Owner": "Group"},
    "rules": [
        {"name": "keep-public", "purposes": ["*"], "action": "keep", "max_sensitivity": "Internal"},
        {
            "name": "mask-pii",
            "purposes": ["support", "inference"],
            "action": "mask",
            "compliance": ["PII"],
            "keep_last": 4,
        },
        {"purposes": ["training"], "action": "drop", "tags": ["commercial-terms"]},
    ],
}

POLICY_TOML = """\
version = "2024.1"
description = "Support assistant policy"
purposes = ["support"]

[labels."Contact.Email"]
sensitivity = "Confidential"
compliance = ["PII", "GDPR"]
kind = "email"

[labels."*.Phone"]
sensitivity = "Internal"
compliance = "PII"

[labels."Opportunity.Discount__c"]
tags = ["commercial-terms"]

[relationships]
"Case.Owner" = "Group"

[[rules]]
name = "keep-public"
purposes = ["*"]
action = "keep"
max_sensitivity = "Internal"

[[rules]]
name = "mask-pii"
purposes = ["support", "inference"]
action = "mask"
compliance = ["PII"]
keep_last = 4

[[rules]]
purposes = ["training"]
action = "drop"
tags = ["commercial-terms"]
"""

POLICY_YAML = """\
version: "2024.1"
description: Support assistant policy
purposes: [support]
labels:
  Contact.Email:
    sensitivity: Confidential
    compliance: [PII, GDPR]
    kind: email
  "*.Phone":
    sensitivity: Internal
    compliance: PII
  Opportunity.Discount__c:
    tags: [commercial-terms]
relationships:
  Case.Owner: Group
rules:
  - name: keep-public
    purposes: ["*"]
    action: keep
    max_sensitivity: Internal
  - name: mask-pii
    purposes: [support, inference]
    action: mask
    compliance: [PII]
    keep_last: 4
  - purposes: [training]
    action: drop
    tags: [commercial-terms]
"""

SECRET = "sk_live_SECRET123"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _load_error(path: Path) -> PolicyLoadError:
    with pytest.raises(PolicyLoadError) as caught:
        load_classification(path)
    return caught.value


def _invalid_second_rule(fmt: str) -> str:
    """The same document in each format, with an invalid action in the second rule."""
    data = {"version": "1", "rules": [{"purposes": ["*"], "action": "keep"}, {"purposes": ["*"], "action": "shred"}]}
    if fmt == "json":
        return json.dumps(data, indent=2)
    if fmt == "yaml":
        return 'version: "1"\nrules:\n  - {purposes: ["*"], action: keep}\n  - {purposes: ["*"], action: shred}\n'
    return (
        'version = "1"\n[[rules]]\npurposes = ["*"]\naction = "keep"\n[[rules]]\npurposes = ["*"]\naction = "shred"\n'
    )


class TestLoadClassification:
    def test_toml_yaml_and_json_give_the_same_policy_and_hash(self, tmp_path: Path) -> None:
        """The same document in TOML, YAML and JSON loads to equal policies with equal sha256."""
        policies = [
            load_classification(_write(tmp_path, "policy.toml", POLICY_TOML)),
            load_classification(_write(tmp_path, "policy.yaml", POLICY_YAML)),
            load_classification(_write(tmp_path, "policy.json", json.dumps(POLICY, indent=2))),
        ]
        expected = Classification.model_validate(POLICY)
        assert policies == [expected] * 3
        assert {policy.sha256 for policy in policies} == {expected.sha256}

    def test_the_loaded_policy_decides(self, tmp_path: Path) -> None:
        """A loaded policy carries its labels and rules: a PII email is masked for support."""
        policy = load_classification(_write(tmp_path, "policy.toml", POLICY_TOML))
        decision = policy.decide("Contact", "Email", "support")
        assert (decision.action, decision.rule, decision.keep_last, decision.kind) == ("mask", "mask-pii", 4, "email")

    @pytest.mark.parametrize(("name", "text"), [("policy.yml", POLICY_YAML), ("POLICY.TOML", POLICY_TOML)])
    def test_yml_and_upper_case_suffixes_are_recognised(self, tmp_path: Path, name: str, text: str) -> None:
        """.yml works like .yaml, and suffixes are matched without regard to case."""
        assert load_classification(_write(tmp_path, name, text)) == Classification.model_validate(POLICY)

    def test_a_string_path_is_accepted(self, tmp_path: Path) -> None:
        """The path may be given as a str."""
        path = _write(tmp_path, "policy.json", json.dumps(POLICY))
        assert load_classification(str(path)).sha256 == Classification.model_validate(POLICY).sha256


class TestLoadErrors:
    @pytest.mark.parametrize(
        ("name", "text", "line"),
        [
            ("policy.toml", 'version = "1"\n\ndescription = \n', "line 3"),
            ("policy.json", '{\n  "version": "1",\n  "rules": [\n}\n', "line 4"),
            ("policy.yaml", 'version: "1"\nrules:\n  - purposes: [inference\n    action: keep\n', "line 4"),
        ],
    )
    def test_syntax_errors_name_the_file_and_line(self, tmp_path: Path, name: str, text: str, line: str) -> None:
        """A file that is not valid TOML, JSON or YAML raises PolicyLoadError naming the file and the line."""
        path = _write(tmp_path, name, text)
        error = _load_error(path)
        assert str(path) in str(error)
        assert line in str(error)
        assert error.source == str(path)

    def test_yaml_syntax_errors_are_located_by_line_and_column(self, tmp_path: Path) -> None:
        """A YAML syntax error puts line and column in the error's location."""
        error = _load_error(_write(tmp_path, "policy.yaml", "version: '1'\n\tdescription: x\n"))
        assert error.location == "line 2, column 1"

    def test_syntax_errors_keep_the_parser_error_as_cause(self, tmp_path: Path) -> None:
        """The parser's own exception is chained as __cause__ for debugging."""
        error = _load_error(_write(tmp_path, "policy.toml", "version = \n"))
        assert isinstance(error.__cause__, tomllib.TOMLDecodeError)

    @pytest.mark.parametrize("fmt", ["toml", "json", "yaml"])
    def test_validation_errors_name_the_file_and_key_path(self, tmp_path: Path, fmt: str) -> None:
        """A document that parses but is not a valid policy names the file and the key path, e.g. rules.1.action."""
        path = _write(tmp_path, f"policy.{fmt}", _invalid_second_rule(fmt))
        error = _load_error(path)
        assert error.location == "rules.1.action"
        assert str(error).startswith(f"{path}: rules.1.action: ")

    def test_further_problems_are_counted(self, tmp_path: Path) -> None:
        """When a document has several problems, the first is shown and the rest are counted."""
        text = json.dumps({"version": "", "rules": [{"purposes": [], "action": "shred"}]})
        error = _load_error(_write(tmp_path, "policy.json", text))
        assert error.location == "version"
        assert "(and 2 more problem(s))" in str(error)

    def test_a_missing_file_is_reported(self, tmp_path: Path) -> None:
        """A path that does not exist raises PolicyLoadError saying so."""
        path = tmp_path / "absent.toml"
        assert str(_load_error(path)) == f"{path}: no such file; check the path"

    @pytest.mark.parametrize("name", ["policy.ini", "policy", "policy.toml.bak"])
    def test_an_unknown_extension_is_reported(self, tmp_path: Path, name: str) -> None:
        """A file not named .toml, .yaml, .yml or .json is refused before it is read."""
        error = _load_error(_write(tmp_path, name, POLICY_TOML))
        assert "unknown format; name the file .toml, .yaml, .yml or .json" in str(error)

    def test_a_non_utf8_file_is_reported(self, tmp_path: Path) -> None:
        """A file that is not UTF-8 raises PolicyLoadError saying so."""
        path = tmp_path / "policy.toml"
        path.write_bytes('version = "café"\n'.encode("latin-1"))
        assert str(_load_error(path)) == f"{path}: not UTF-8 text"

    def test_a_directory_is_reported(self, tmp_path: Path) -> None:
        """A directory with a policy-like name cannot be read and says so."""
        path = tmp_path / "policy.toml"
        path.mkdir()
        assert "cannot read it" in str(_load_error(path))

    @pytest.mark.parametrize(
        ("name", "text"), [("policy.json", json.dumps([POLICY])), ("policy.yaml", "- version: '1'\n")]
    )
    def test_a_top_level_list_is_refused(self, tmp_path: Path, name: str, text: str) -> None:
        """A document whose top level is a list instead of a mapping is refused."""
        assert "the top level must be a table/mapping" in str(_load_error(_write(tmp_path, name, text)))

    def test_an_empty_yaml_file_is_refused(self, tmp_path: Path) -> None:
        """An empty YAML file (which parses to null) is refused like any non-mapping."""
        assert "the top level must be a table/mapping" in str(_load_error(_write(tmp_path, "policy.yaml", "")))

    @pytest.mark.parametrize(
        ("name", "text"),
        [
            ("policy.json", "[" * 100_000),
            ("policy.toml", "version = " + "[" * 100_000),
            ("policy.yaml", "version: " + "[" * 100_000),
        ],
    )
    def test_deeply_nested_documents_are_refused(self, tmp_path: Path, name: str, text: str) -> None:
        """A deeply nested document (100 kB, well under the size cap) raises PolicyLoadError, not RecursionError."""
        _load_error(_write(tmp_path, name, text))


class TestErrorsNeverEchoValues:
    @pytest.mark.parametrize(
        "rule",
        [
            {"purposes": ["*"], "action": SECRET},
            {"purposes": ["*"], "action": "mask", "keep_last": SECRET},
            {"purposes": ["*"], "action": "keep", "compliance": {"group": SECRET}},
            {"purposes": ["*"], "action": "keep", "min_sensitivity": SECRET},
            {"purposes": ["*"], "action": "keep", "fields": [SECRET]},
        ],
        ids=["action", "keep_last", "compliance", "min_sensitivity", "fields"],
    )
    def test_an_invalid_rule_value_is_not_in_the_message(self, tmp_path: Path, rule: dict[str, Any]) -> None:
        """A secret-looking value in an invalid rule field never appears in the error message."""
        path = _write(
            tmp_path,
            "policy.json",
            json.dumps({"version": "1", "rules": [{"purposes": ["*"], "action": "keep"}, rule]}),
        )
        error = _load_error(path)
        assert error.location.startswith("rules.1.")
        assert SECRET not in str(error)

    @pytest.mark.parametrize(
        ("name", "text"),
        [("policy.toml", f'version = "1"\ndescription = {SECRET}\n'), ("policy.json", f'{{"version": {SECRET}}}')],
    )
    def test_a_syntax_error_does_not_echo_the_bad_value(self, tmp_path: Path, name: str, text: str) -> None:
        """A syntax error around a secret-looking bare word does not repeat it."""
        assert SECRET not in str(_load_error(_write(tmp_path, name, text)))


class TestParseClassification:
    def test_parses_toml_by_default(self) -> None:
        """Without a parser, text is read as TOML."""
        assert parse_classification(POLICY_TOML) == Classification.model_validate(POLICY)

    def test_errors_name_the_given_source(self) -> None:
        """Errors name the source passed in, or <string> by default."""
        with pytest.raises(PolicyLoadError, match=r"^<string>: version: "):
            parse_classification('version = ""')
        with pytest.raises(PolicyLoadError, match=r"^tenant-acme: "):
            parse_classification("[", source="tenant-acme")

    def test_any_parser_returning_a_mapping_can_be_used(self) -> None:
        """A custom parser (here json.loads) supplies the document."""
        assert (
            parse_classification(json.dumps(POLICY), parser=json.loads).sha256
            == Classification.model_validate(POLICY).sha256
        )

    def test_a_policy_load_error_from_the_parser_passes_through(self) -> None:
        """A parser that raises PolicyLoadError itself has its error raised unchanged."""
        own = PolicyLoadError("remote", "line 9", "bad")

        def parser(_: str) -> Any:
            raise own

        with pytest.raises(PolicyLoadError) as caught:
            parse_classification("", parser=parser)
        assert caught.value is own


class TestPolicyLoadError:
    def test_is_a_classification_error(self) -> None:
        """PolicyLoadError is caught by except ClassificationError and except ShieldError."""
        assert issubclass(PolicyLoadError, ClassificationError)
        assert issubclass(ClassificationError, ShieldError)

    def test_message_joins_source_location_and_problem(self) -> None:
        """The message is 'source: location: problem', and the parts are kept as attributes."""
        error = PolicyLoadError("policy.toml", "rules.2.action", "not an action")
        assert str(error) == "policy.toml: rules.2.action: not an action"
        assert (error.source, error.location, error.problem) == ("policy.toml", "rules.2.action", "not an action")

    def test_message_omits_an_empty_location(self) -> None:
        """Without a location the message is 'source: problem'."""
        assert str(PolicyLoadError("policy.toml", "", "no such file")) == "policy.toml: no such file"
