"""The sfshield command line: protect, audit verify, demo — and bad input for each."""

from __future__ import annotations

import csv
import json
import re
import secrets
from pathlib import Path

import pytest

from sfshield.cli import KEY_ENV, main
from sfshield.keys import KeyFileProvider

POLICY = """
version = "cli-1"
[labels]
"*.Id" = { sensitivity = "Public" }
"Contact.Name" = { sensitivity = "Internal" }
"Contact.Email" = { sensitivity = "Confidential", compliance = ["PII"], kind = "email" }
"Account.Name" = { sensitivity = "Internal" }
[[rules]]
purposes = ["*"]
max_sensitivity = "Internal"
action = "keep"
[[rules]]
purposes = ["embedding"]
compliance = ["PII"]
action = "pseudonymize"
"""


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY)
    return path


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    value = secrets.token_hex(32)
    monkeypatch.setenv(KEY_ENV, value)
    return value


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def run_protect(policy: Path, source: Path, out: Path, *extra: str, purpose: str = "sync") -> int:
    """Run `sfshield protect` for Contact rows; return the exit code."""
    return main(["protect", "--policy", str(policy), "--purpose", purpose, *extra, str(source), str(out)])


ROWS = [
    {
        "Id": f"003{i:015d}",
        "Name": f"N{i}",
        "Email": f"p{i}@x.example",
        "SSN__c": "078-05-1120",
        "Account.Name": "Acme",
    }
    for i in range(50)
]


class TestProtect:
    def test_a_csv_export_is_filtered_and_audited(self, tmp_path: Path, policy: Path, key: str) -> None:
        """A Bulk-style CSV with dotted columns is written without denied columns, and the audit verifies."""
        source = write_csv(tmp_path / "in.csv", ROWS)
        out = tmp_path / "out.csv"
        assert run_protect(policy, source, out, "--object", "Contact", purpose="embedding") == 0
        with out.open(newline="") as stream:
            rows = list(csv.DictReader(stream))
        assert len(rows) == 50 and set(rows[0]) == {"Id", "Name", "Email", "Account.Name"}
        assert all(r["Email"].startswith("email_") for r in rows)
        assert key not in (tmp_path / "out.csv.audit.jsonl").read_text()
        assert main(["audit", "verify", str(tmp_path / "out.csv.audit.jsonl")]) == 0

    def test_jsonl_records_from_simple_salesforce_are_filtered(self, tmp_path: Path, policy: Path) -> None:
        """A JSONL file of query records (attributes, nested parents) is filtered line by line."""
        source = tmp_path / "in.jsonl"
        record = {
            "attributes": {"type": "Contact"},
            "Id": "1",
            "Name": "A",
            "Secret__c": "s",
            "Account": {"attributes": {"type": "Account"}, "Name": "Acme"},
        }
        source.write_text(json.dumps(record) + "\n\n" + json.dumps(record) + "\n")
        out = tmp_path / "out.jsonl"
        assert run_protect(policy, source, out, "--audit", str(tmp_path / "a.jsonl"), purpose="training") == 0
        assert [json.loads(line) for line in out.read_text().splitlines()] == [
            {"Id": "1", "Name": "A", "Account": {"Name": "Acme"}}
        ] * 2

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            ('{"Id": "1"}\nnot json\n', "line 2: not valid JSON"),
            ('{"Id": "1"}\n[1, 2]\n', "line 2: expected a JSON object"),
        ],
    )
    def test_a_malformed_jsonl_line_fails_naming_the_line_and_leaves_no_output(
        self, tmp_path: Path, policy: Path, content: str, message: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A bad line ends the run with exit 2, a one-line error naming it, and no output file."""
        source = tmp_path / "in.jsonl"
        source.write_text(content)
        out = tmp_path / "out.jsonl"
        assert run_protect(policy, source, out, "--object", "Contact") == 2
        assert message in capsys.readouterr().err
        assert not out.exists()
        assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]

    def test_a_ragged_csv_row_fails_naming_the_line(
        self, tmp_path: Path, policy: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A CSV row with more columns than the header is refused with its line number."""
        source = tmp_path / "in.csv"
        source.write_text("Id,Name\n1,a\n2,b,extra\n")
        assert run_protect(policy, source, tmp_path / "out.csv", "--object", "Contact") == 2
        assert "line 3" in capsys.readouterr().err
        assert not (tmp_path / "out.csv").exists()

    @pytest.mark.parametrize(
        ("purpose", "message"),
        [("marketing", "unknown purpose 'marketing'"), ("embedding", KEY_ENV)],
    )
    def test_bad_configuration_is_one_line_saying_what_to_do(
        self, tmp_path: Path, policy: Path, purpose: str, message: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An unknown purpose or a missing pseudonym key exits 2 with a message that names the fix."""
        source = write_csv(tmp_path / "in.csv", ROWS[:2])
        assert run_protect(policy, source, tmp_path / "o.csv", "--object", "Contact", purpose=purpose) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1

    def test_an_unreadable_policy_is_reported(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A missing policy file exits 2 and names the file."""
        source = write_csv(tmp_path / "in.csv", ROWS[:1])
        assert run_protect(tmp_path / "nope.toml", source, tmp_path / "o.csv", "--object", "Contact") == 2
        assert "nope.toml: no such file" in capsys.readouterr().err

    def test_progress_shows_on_stderr_only_when_asked(
        self, tmp_path: Path, policy: Path, key: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--progress ends with a line of records done and 100% of the bytes; --no-progress draws nothing."""
        source = write_csv(tmp_path / "in.csv", ROWS)
        assert run_protect(policy, source, tmp_path / "a.csv", "--object", "Contact", "--progress") == 0
        err = capsys.readouterr().err
        assert re.search(r"\r\s+50 records\s+100\.0%\s+[0-9,]+ records/s\n", err)
        assert run_protect(policy, source, tmp_path / "b.csv", "--object", "Contact", "--no-progress") == 0
        assert "records/s" not in capsys.readouterr().err


class TestAuditVerify:
    def test_an_edited_audit_file_fails_naming_the_line(
        self, tmp_path: Path, policy: Path, key: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Editing one line of the trail makes `audit verify` exit 1 and name that line."""
        source = write_csv(tmp_path / "in.csv", ROWS)
        assert run_protect(policy, source, tmp_path / "o.csv", "--object", "Contact") == 0
        trail = tmp_path / "o.csv.audit.jsonl"
        lines = trail.read_text().splitlines()
        lines[1] = lines[1].replace('"sync"', '"training"')
        trail.write_text("\n".join(lines) + "\n")
        assert main(["audit", "verify", str(trail)]) == 1
        assert "line 2" in capsys.readouterr().err

    def test_a_missing_file_is_an_error(self, tmp_path: Path) -> None:
        """Verifying a file that does not exist does not report success."""
        assert main(["audit", "verify", str(tmp_path / "none.jsonl")]) != 0


class TestDemo:
    def test_the_demo_runs_and_leaves_a_verifiable_trail(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`sfshield demo --out DIR` runs against the embedded org, guards, protects, and leaves a verifiable trail."""
        assert main(["demo", "--out", str(tmp_path)]) == 0
        out = capsys.readouterr().out
        assert "labels read from Sfshield_Field_Policy__mdt" in out
        assert "rejected:" in out
        training = out.split("purpose 'training'", 1)[1].split("Quarantine:", 1)[0]
        assert "@" not in training  # no email address reaches the training set
        assert "over-privileged user" in out and "over-scoped OAuth client" in out
        assert "shared with nordhavn-eu: 0" in out
        assert "hash chain intact" in out and str(tmp_path) in out
        assert main(["audit", "verify", str(tmp_path / "audit.jsonl")]) == 0


class TestChainKey:
    def test_a_short_chain_key_is_a_configuration_error(
        self, tmp_path: Path, policy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A chain key under 16 bytes exits 2 with a message saying how to make a good one."""
        monkeypatch.setenv("SFSHIELD_AUDIT_CHAIN_KEY", "short")
        source = write_csv(tmp_path / "in.csv", ROWS[:1])
        assert run_protect(policy, source, tmp_path / "o.csv", "--object", "Contact") == 2
        assert "SFSHIELD_AUDIT_CHAIN_KEY" in capsys.readouterr().err

    def test_a_keyed_trail_verifies_only_with_its_key(
        self, tmp_path: Path, policy: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A trail written with a chain key verifies with that key and fails without it."""
        monkeypatch.setenv("SFSHIELD_AUDIT_CHAIN_KEY", "k" * 32)
        source = write_csv(tmp_path / "in.csv", ROWS[:3])
        assert run_protect(policy, source, tmp_path / "o.csv", "--object", "Contact") == 0
        trail = str(tmp_path / "o.csv.audit.jsonl")
        assert main(["audit", "verify", trail]) == 0
        monkeypatch.delenv("SFSHIELD_AUDIT_CHAIN_KEY")
        assert main(["audit", "verify", trail]) == 1


class TestSoqlCheck:
    def test_an_allowed_query_prints_canonical_soql(self, policy: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """An allowed query exits 0 and prints its canonical form with the LIMIT cap."""
        assert (
            main(["soql", "check", "--policy", str(policy), "--purpose", "sync", "select id, name from contact"]) == 0
        )
        assert capsys.readouterr().out.strip() == "SELECT id, name FROM contact LIMIT 2000"

    def test_a_rejected_query_lists_the_reasons(self, policy: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A query filtering on an unlabelled field exits 1 and names the field."""
        query = "SELECT Id FROM Contact WHERE SSN__c = '1'"
        assert main(["soql", "check", "--policy", str(policy), "--purpose", "sync", query]) == 1
        assert "Contact.SSN__c" in capsys.readouterr().err

    def test_a_syntax_error_points_at_the_spot(self, policy: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A syntax error exits 2 and prints a caret under the problem."""
        query = "SELECT Id FROM Contact WHERE"
        assert main(["soql", "check", "--policy", str(policy), "--purpose", "sync", query]) == 2
        err = capsys.readouterr().err.splitlines()
        assert err[-2] == query
        assert err[-1] == " " * len(query) + "^"

    def test_the_decision_can_be_audited(self, tmp_path: Path, policy: Path) -> None:
        """--audit appends the decision to a hash-chained file that verifies."""
        trail = tmp_path / "soql.jsonl"
        args = ["soql", "check", "--policy", str(policy), "--purpose", "sync", "--audit", str(trail)]
        assert main([*args, "SELECT Id FROM Contact"]) == 0
        assert main([*args, "SELECT Id FROM Contact WHERE SSN__c = '1'"]) == 1
        assert main(["audit", "verify", str(trail)]) == 0
        assert len(trail.read_text().splitlines()) == 2


class TestProtectMisuse:
    def test_a_csv_without_a_header_fails_and_keeps_its_values_out_of_the_trail(
        self, tmp_path: Path, policy: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Data in the header position is never written to the audit file, and the run fails with a hint."""
        source = tmp_path / "nohdr.csv"
        source.write_text("003A,Ada,ada@x.example,198403091234\n003B,Bob,bob@x.example,078051120\n")
        assert run_protect(policy, source, tmp_path / "o.csv", "--object", "Contact") == 2
        assert "header" in capsys.readouterr().err
        trail = (tmp_path / "o.csv.audit.jsonl").read_text()
        assert "198403091234" not in trail and "ada@x.example" not in trail
        assert not (tmp_path / "o.csv").exists()

    def test_csv_input_needs_an_object(self, tmp_path: Path, policy: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A CSV without --object is refused with a message naming the option."""
        source = write_csv(tmp_path / "in.csv", ROWS[:1])
        assert run_protect(policy, source, tmp_path / "o.csv") == 2
        assert "--object" in capsys.readouterr().err

    def test_an_output_name_of_the_other_format_is_refused(self, tmp_path: Path, policy: Path) -> None:
        """JSONL input with a .csv output name is refused rather than writing JSON into a .csv file."""
        source = tmp_path / "in.jsonl"
        source.write_text('{"Id": "1"}\n')
        assert run_protect(policy, source, tmp_path / "o.csv", "--object", "Contact") == 2

    def test_a_missing_output_folder_is_one_line_and_exit_2(
        self, tmp_path: Path, policy: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An output path in a folder that does not exist exits 2 with one line, no traceback."""
        source = write_csv(tmp_path / "in.csv", ROWS[:1])
        assert run_protect(policy, source, tmp_path / "no" / "o.csv", "--object", "Contact") == 2
        err = capsys.readouterr().err
        assert err.startswith("sfshield: error:") and "Traceback" not in err


DLP_POLICY = """
version = "cli-dlp-1"
[labels]
"*.Id" = { sensitivity = "Public" }
"Case.Subject" = { sensitivity = "Internal" }
"Case.Description" = { sensitivity = "Internal" }
[[rules]]
purposes = ["*"]
max_sensitivity = "Internal"
action = "keep"
[dlp]
fields = ["Case.Description"]
[[dlp.rules]]
name = "credentials-never-leave"
purposes = ["*"]
kinds = ["secret"]
action = "quarantine"
"""

CASES = [
    {"Id": "500000000000001AAA", "Subject": "printer", "Description": "the printer jams again"},
    {"Id": "500000000000002AAA", "Subject": "login", "Description": "my key AKIAIOSFODNN7EXAMPLE stopped working"},
    {"Id": "500000000000003AAA", "Subject": "invoice", "Description": "invoice 42 is late"},
]


class TestProtectWithQuarantine:
    RAW_ENV = "SFSHIELD_TEST_CLI_RAW_KEY"

    @pytest.fixture
    def site(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
        """A raw-key key file, the policy and three Case records, one of them with an AWS key in its text."""
        monkeypatch.setenv(self.RAW_ENV, KeyFileProvider.generate_raw_key().reveal())
        KeyFileProvider.create(tmp_path / "keys.json", key_env=self.RAW_ENV)
        (tmp_path / "policy.toml").write_text(DLP_POLICY)
        source = tmp_path / "cases.jsonl"
        source.write_text("".join(json.dumps(case) + "\n" for case in CASES))
        return {"dir": tmp_path, "policy": tmp_path / "policy.toml", "source": source}

    def keys(self, site: dict[str, Path]) -> list[str]:
        """The key options for the site (the key store is created on first use)."""
        directory = site["dir"]
        return ["--key-file", str(directory / "keys.json"), "--key-store", str(directory / "keys.db")]

    def test_records_with_secrets_are_held_and_the_rest_written(
        self, site: dict[str, Path], capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The record with an AWS key goes to the encrypted quarantine; the other two are written; stderr counts."""
        out, store = site["dir"] / "out.jsonl", site["dir"] / "held.db"
        extra = ["--object", "Case", "--quarantine", str(store), *self.keys(site), "--raw-key-env", self.RAW_ENV]
        assert run_protect(site["policy"], site["source"], out, *extra) == 0
        written = [json.loads(line) for line in out.read_text().splitlines()]
        assert [r["Id"] for r in written] == ["500000000000001AAA", "500000000000003AAA"]
        assert "1 record(s) held back in" in capsys.readouterr().err
        assert b"AKIAIOSFODNN7EXAMPLE" not in store.read_bytes()
        assert main(["quarantine", "list", str(store)]) == 0
        [entry] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert (entry["record_id"], entry["kinds"]) == ("500000000000002AAA", ["AWS_ACCESS_KEY"])

    def test_without_a_quarantine_the_run_stops_and_writes_nothing(
        self, site: dict[str, Path], capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Fail closed: no store, no output file, and the error names the option."""
        out = site["dir"] / "out.jsonl"
        assert run_protect(site["policy"], site["source"], out, "--object", "Case") == 2
        assert not out.exists()
        assert "quarantine" in capsys.readouterr().err

    def test_a_quarantine_without_keys_says_which_options_are_missing(
        self, site: dict[str, Path], capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--quarantine alone exits 2 naming --key-file and --key-store; no store is created."""
        out, store = site["dir"] / "out.jsonl", site["dir"] / "held.db"
        assert run_protect(site["policy"], site["source"], out, "--object", "Case", "--quarantine", str(store)) == 2
        assert "--key-file FILE and --key-store FILE" in capsys.readouterr().err
        assert not out.exists() and not store.exists()
