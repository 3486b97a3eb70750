"""The `sfshield scan` and `sfshield quarantine` commands — output, exit codes, audit, and bad input for each."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest

from sfshield.cli import CHAIN_KEY_ENV, main
from sfshield.crypto import EnvelopeCipher, SQLiteKeyStore
from sfshield.dlp.quarantine import QuarantineStatus, QuarantineStore
from sfshield.exceptions import ConfigurationError
from sfshield.keys import KeyFileProvider
from sfshield.keys._cli import PASSPHRASE_ENV
from sfshield.keys.keyfile import Argon2idParams

CARD, EMAIL, PHONE = "4111 1111 1111 1111", "ana.lopez@example.com", "+44 20 7946 0958"
RECORDS: list[dict[str, Any]] = [
    {"Id": "500000000000001AAA", "Subject": "refund", "Description": f"Card {CARD}, mail {EMAIL}"},
    {"Id": "500000000000002AAA", "Subject": "hello", "Description": "nothing to see"},
    {
        "attributes": {"type": "Case"},
        "Id": "500000000000003AAA",
        "Description": f"Ana at {PHONE}",
        "Account": {"attributes": {"type": "Account"}, "Description": "CONFIDENTIAL: Project Falcon launches"},
    },
]
RAW_ENV = "SFSHIELD_TEST_RAW_KEY"


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


def scan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, Any]], str]:
    """Run `sfshield scan`; return the exit code, the parsed stdout lines and stderr."""
    code = main(["scan", *args])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


class TestScan:
    def test_findings_are_printed_per_record_without_the_text(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Exit 1; one JSON line per record with findings: record number, Id, field, kind, span, confidence."""
        source = write_jsonl(tmp_path / "cases.jsonl", RECORDS)
        code, lines, err = scan(capsys, str(source))
        assert code == 1
        assert [(line["record"], line["id"]) for line in lines] == [(1, RECORDS[0]["Id"]), (3, RECORDS[2]["Id"])]
        card, email = lines[0]["findings"]
        description = RECORDS[0]["Description"]
        assert (card["field"], card["kind"], card["confidence"]) == ("Description", "CREDIT_CARD", "VERY_LIKELY")
        assert description[card["start"] : card["end"]] == CARD
        assert description[email["start"] : email["end"]] == EMAIL and card["detector"] == "credit_card"
        output = json.dumps(lines) + err
        assert CARD not in output and EMAIL not in output and PHONE not in output

    def test_the_summary_goes_to_stderr(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """The summary counts records, records with findings, findings per kind, and gives the rate in MB/s."""
        source = write_jsonl(tmp_path / "cases.jsonl", RECORDS)
        _, _, err = scan(capsys, str(source))
        assert err.startswith("scanned 3 records (0.00 MB in ")
        assert "MB/s): 2 with findings; CREDIT_CARD 1, EMAIL_ADDRESS 1, IP_MARKER 1, PHONE_NUMBER 1" in err

    def test_progress_shows_on_stderr_only_when_asked(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--progress draws records done, percent of the file and rate on stderr, ending at 100%; stdout is the same."""
        source = write_jsonl(tmp_path / "cases.jsonl", RECORDS)
        _, with_progress, err = scan(capsys, "--progress", str(source))
        assert re.search(r"\r\s+3 records\s+100\.0%\s+[0-9,]+ records/s\nscanned 3 records", err)
        _, without, err = scan(capsys, "--no-progress", str(source))
        assert with_progress == without
        assert "records/s" not in err

    def test_a_clean_file_exits_0(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Nothing found: exit 0, nothing on stdout, the summary on stderr."""
        source = write_jsonl(tmp_path / "clean.jsonl", [RECORDS[1]] * 3)
        code, lines, err = scan(capsys, str(source))
        assert (code, lines) == (0, []) and "scanned 3 records" in err and "0 with findings" in err

    def test_nested_parents_are_scanned_under_dotted_paths(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A parent record's text (Account.Description) is scanned; dictionary terms are reported as IP_MARKER."""
        source = write_jsonl(tmp_path / "cases.jsonl", RECORDS)
        terms = tmp_path / "terms.txt"
        terms.write_text("# code names\nProject Falcon\n\nBluebird\n")
        _, lines, _ = scan(capsys, "--dictionary", str(terms), str(source))
        nested = [f for f in lines[-1]["findings"] if f["field"] == "Account.Description"]
        assert [(f["kind"], f["start"], f["end"]) for f in nested] == [("IP_MARKER", 0, 12), ("IP_MARKER", 14, 28)]

    def test_fields_allow_and_min_confidence_narrow_the_scan(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--fields picks fields, --allow drops a known value, --min-confidence drops weaker findings."""
        source = write_jsonl(tmp_path / "cases.jsonl", RECORDS)
        _, lines, _ = scan(capsys, "--fields", "Subject,Account.Description", str(source))
        assert [f["field"] for line in lines for f in line["findings"]] == ["Account.Description"]
        _, lines, _ = scan(capsys, "--allow", EMAIL.upper(), "--min-confidence", "VERY_LIKELY", str(source))
        assert [f["kind"] for line in lines for f in line["findings"]] == ["CREDIT_CARD"]

    def test_a_csv_export_is_scanned(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A CSV file (Data Loader, Bulk 2.0) is read by its header; records are numbered from 1 after it."""
        source = tmp_path / "cases.csv"
        with source.open("w", newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=["Id", "Subject", "Description"])
            writer.writeheader()
            writer.writerows([RECORDS[1], RECORDS[0]])
        code, lines, _ = scan(capsys, str(source))
        assert code == 1 and [(line["record"], len(line["findings"])) for line in lines] == [(2, 2)]

    @pytest.mark.parametrize(
        ("setup", "message"),
        [
            (lambda d: ["--format", "jsonl", str(d / "missing.jsonl")], "no such input file"),
            (lambda d: [str(write_jsonl(d / "x.txt", RECORDS))], "cannot tell the format"),
            (lambda d: [_malformed(d)], "line 2: not valid JSON"),
            (
                lambda d: ["--dictionary", str(d / "none.txt"), str(write_jsonl(d / "c.jsonl", []))],
                "no such dictionary",
            ),
            (lambda d: ["--dictionary", str(_blank(d)), str(write_jsonl(d / "c.jsonl", []))], "has no terms"),
        ],
        ids=["missing", "extension", "malformed", "no-dictionary", "empty-dictionary"],
    )
    def test_bad_input_exits_2_with_one_line(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], setup: Any, message: str
    ) -> None:
        """Missing or malformed input and unusable dictionaries exit 2 with one error line on stderr."""
        code = main(["scan", *setup(tmp_path)])
        err = capsys.readouterr().err
        assert code == 2 and err.startswith("sfshield: error: ") and message in err

    def test_an_unknown_confidence_level_is_a_usage_error(self, tmp_path: Path) -> None:
        """--min-confidence takes one of the five levels; anything else exits 2 through argparse."""
        with pytest.raises(SystemExit) as caught:
            main(["scan", "--min-confidence", "certain", str(tmp_path / "c.jsonl")])
        assert caught.value.code == 2


def _malformed(directory: Path) -> str:
    path = directory / "bad.jsonl"
    path.write_text(json.dumps(RECORDS[0]) + "\n{not json\n")
    return str(path)


def _blank(directory: Path) -> Path:
    path = directory / "blank.txt"
    path.write_text("# nothing\n\n")
    return path


# -- quarantine --------------------------------------------------------------------------------------------------


class Site:
    """A key file, key store and quarantine store holding two records, like the code that holds them makes them."""

    def __init__(self, directory: Path) -> None:
        self.key_file = directory / "keys.json"
        self.key_store = directory / "keys.db"
        self.store = directory / "quarantine.db"
        self.audit = directory / "quarantine.db.audit.jsonl"
        KeyFileProvider.create(self.key_file, key_env=RAW_ENV)
        with self.open(audit=None) as store:
            self.ids = store.hold(
                RECORDS[:2],
                tenant="acme",
                purpose="training",
                sobject="Case",
                reason="card or e-mail in free text",
                findings=[["CREDIT_CARD", "EMAIL_ADDRESS"], ["GENERIC_SECRET"]],
            )

    @contextmanager
    def open(self, **kwargs: Any) -> Iterator[QuarantineStore]:
        """The store, opened through the library with the same keys."""
        with closing(SQLiteKeyStore(self.key_store)) as keys:
            cipher = EnvelopeCipher(KeyFileProvider(self.key_file, key_env=RAW_ENV), store=keys)
            with QuarantineStore(cipher, self.store, **kwargs) as store:
                yield store

    def run(self, verb: str, *args: str, keys: tuple[str, ...] = ("--raw-key-env", RAW_ENV)) -> int:
        """Run `sfshield quarantine VERB STORE ARGS` with this site's keys."""
        return main(
            [
                "quarantine",
                verb,
                str(self.store),
                *args,
                *("--key-file", str(self.key_file), "--key-store", str(self.key_store)),
                *keys,
            ]
        )

    def status(self, index: int) -> QuarantineStatus:
        """The status of held record ``index``, read through the library."""
        with self.open(audit=None) as store:
            return store.entry(self.ids[index]).status

    def audited(self) -> list[tuple[str, str | None]]:
        """(kind, decision) of every event in the audit file."""
        lines = [json.loads(line)["event"] for line in self.audit.read_text().splitlines()]
        return [(event["kind"], event.get("decision")) for event in lines]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Site:
    monkeypatch.setenv(RAW_ENV, KeyFileProvider.generate_raw_key().reveal())
    monkeypatch.setenv(CHAIN_KEY_ENV, "a chain key of thirty-two bytes!")
    made = Site(tmp_path)
    capsys.readouterr()
    return made


REVIEW = ("--reviewer", "ana", "--reason", "ticket 42")


class TestQuarantineList:
    def test_list_prints_one_metadata_line_per_entry(self, site: Site, capsys: pytest.CaptureFixture[str]) -> None:
        """Exit 0; JSON lines with id, tenant, record id, kinds and status; never a value; a count on stderr."""
        assert site.run("list") == 0
        out, err = capsys.readouterr()
        entries = [json.loads(line) for line in out.splitlines()]
        assert [e["id"] for e in entries] == site.ids
        assert entries[0]["kinds"] == ["CREDIT_CARD", "EMAIL_ADDRESS"] and entries[0]["status"] == "held"
        assert entries[0]["record_id"] == RECORDS[0]["Id"] and entries[0]["reason"] == "card or e-mail in free text"
        assert CARD not in out and EMAIL not in out and "2 held entries" in err
        assert not site.audit.exists()

    def test_list_filters_by_tenant_and_status(self, site: Site, capsys: pytest.CaptureFixture[str]) -> None:
        """--tenant and --status narrow the listing; --status all lists every entry."""
        assert site.run("discard", site.ids[0], *REVIEW) == 0
        capsys.readouterr()
        assert site.run("list", "--tenant", "globex") == 0
        assert capsys.readouterr().out == ""
        assert site.run("list", "--status", "discarded") == 0
        assert [json.loads(line)["id"] for line in capsys.readouterr().out.splitlines()] == site.ids[:1]
        assert site.run("list", "--status", "all") == 0
        assert len(capsys.readouterr().out.splitlines()) == 2


class TestQuarantineShow:
    def test_without_the_flag_only_metadata_is_printed(self, site: Site, capsys: pytest.CaptureFixture[str]) -> None:
        """Without the flag, show prints the metadata and says how to see more; nothing is decrypted or audited."""
        assert site.run("show", site.ids[0]) == 0
        out, err = capsys.readouterr()
        assert json.loads(out)["id"] == site.ids[0] and CARD not in out
        assert "--yes-print-sensitive --reviewer NAME --reason TEXT" in err
        assert not site.audit.exists()

    def test_with_the_flag_the_record_is_printed_and_audited(
        self, site: Site, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--yes-print-sensitive prints the record as JSON; the view is in a verifiable, hash-chained audit file."""
        assert site.run("show", site.ids[0], "--yes-print-sensitive", *REVIEW) == 0
        assert json.loads(capsys.readouterr().out) == RECORDS[0]
        assert ("quarantine_reviewed", "viewed") in site.audited()
        assert main(["audit", "verify", str(site.audit)]) == 0
        assert site.status(0) is QuarantineStatus.HELD

    def test_printing_needs_a_reviewer_and_a_reason(self, site: Site, capsys: pytest.CaptureFixture[str]) -> None:
        """--yes-print-sensitive without --reviewer/--reason exits 2 before anything is decrypted."""
        assert site.run("show", site.ids[0], "--yes-print-sensitive", "--reviewer", "ana") == 2
        out, err = capsys.readouterr()
        assert out == "" and "needs --reviewer NAME and --reason TEXT" in err


class TestQuarantineRelease:
    def test_release_prints_the_record_and_erases_it(self, site: Site, capsys: pytest.CaptureFixture[str]) -> None:
        """The record goes to stdout, the entry becomes released, and the view and release are audited."""
        assert site.run("release", site.ids[0], "--yes-print-sensitive", *REVIEW) == 0
        out, err = capsys.readouterr()
        assert json.loads(out) == RECORDS[0] and "ciphertext was erased" in err
        assert site.status(0) is QuarantineStatus.RELEASED
        decisions = [decision for kind, decision in site.audited() if kind == "quarantine_reviewed"]
        assert decisions == ["viewed", "released"]

    def test_releasing_twice_exits_2(self, site: Site, capsys: pytest.CaptureFixture[str]) -> None:
        """A second release is refused with the reviewer who released it."""
        assert site.run("release", site.ids[0], "--yes-print-sensitive", *REVIEW) == 0
        capsys.readouterr()
        assert site.run("release", site.ids[0], "--yes-print-sensitive", *REVIEW) == 2
        out, err = capsys.readouterr()
        assert out == "" and "already released" in err and "by ana" in err

    def test_without_the_flag_nothing_is_released(self, site: Site, capsys: pytest.CaptureFixture[str]) -> None:
        """Without --yes-print-sensitive, release prints the metadata, explains, exits 2 and keeps the record held."""
        assert site.run("release", site.ids[0], *REVIEW) == 2
        out, err = capsys.readouterr()
        assert json.loads(out)["status"] == "held" and "not released" in err and "--yes-print-sensitive" in err
        assert site.status(0) is QuarantineStatus.HELD

    def test_a_reviewer_and_a_reason_are_required(self, site: Site) -> None:
        """Without --reviewer or --reason, release and discard are usage errors (exit 2)."""
        for verb in ("release", "discard"):
            with pytest.raises(SystemExit) as caught:
                site.run(verb, site.ids[0], "--reviewer", "ana")
            assert caught.value.code == 2


class TestQuarantineDiscard:
    def test_discard_erases_the_record_and_audits_it(self, site: Site, capsys: pytest.CaptureFixture[str]) -> None:
        """Discarding exits 0, marks the entry discarded, prints no record, and writes the decision to --audit."""
        audit = site.store.with_name("review.jsonl")
        assert site.run("discard", site.ids[1], *REVIEW, "--audit", str(audit)) == 0
        out, err = capsys.readouterr()
        assert out == "" and "discarded" in err
        assert site.status(1) is QuarantineStatus.DISCARDED
        assert json.loads(audit.read_text().splitlines()[-1])["event"]["decision"] == "discarded"


class TestQuarantineWithoutKeys:
    def test_list_show_and_discard_need_no_keys(self, site: Site, capsys: pytest.CaptureFixture[str]) -> None:
        """Metadata and discarding work with the store alone; the key options may be left out."""
        store = str(site.store)
        assert main(["quarantine", "list", store]) == 0
        assert len(capsys.readouterr().out.splitlines()) == 2
        assert main(["quarantine", "show", store, site.ids[0]]) == 0
        assert json.loads(capsys.readouterr().out)["id"] == site.ids[0]
        assert main(["quarantine", "discard", store, site.ids[1], *REVIEW]) == 0
        assert site.status(1) is QuarantineStatus.DISCARDED

    def test_decrypting_without_keys_says_which_options_are_missing(
        self, site: Site, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Show --yes-print-sensitive and release without keys exit 2 naming the options; nothing changes."""
        for verb in ("show", "release"):
            assert main(["quarantine", verb, str(site.store), site.ids[0], *REVIEW, "--yes-print-sensitive"]) == 2
            out, err = capsys.readouterr()
            assert out == "" and "--key-file FILE and --key-store FILE" in err
        assert site.status(0) is QuarantineStatus.HELD

    def test_a_metadata_only_store_refuses_what_needs_keys(self, site: Site) -> None:
        """QuarantineStore(None, ...) lists and discards; holding, showing and releasing raise ConfigurationError."""
        with QuarantineStore(None, site.store, audit=None) as store:
            assert [e.id for e in store.list()] == site.ids
            for call in (
                lambda: store.show(site.ids[0], reviewer="ana", reason="check"),
                lambda: store.release(site.ids[0], reviewer="ana", reason="check"),
                lambda: store.hold(
                    RECORDS[:1], tenant="acme", purpose="training", sobject=None, reason="r", findings=[["JWT"]]
                ),
            ):
                with pytest.raises(ConfigurationError, match="without a cipher"):
                    call()
            store.discard(site.ids[0], reviewer="ana", reason="not needed")
        assert site.status(0) is QuarantineStatus.DISCARDED
        assert site.status(1) is QuarantineStatus.HELD


class TestQuarantineKeysAndFiles:
    def test_a_passphrase_key_file_unlocks_from_the_environment(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Like `sfshield keys`, the passphrase comes from $SFSHIELD_KEYFILE_PASSPHRASE."""
        monkeypatch.setenv(PASSPHRASE_ENV, "correct horse battery staple")
        key_file = tmp_path / "keys.json"
        KeyFileProvider.create(key_file, passphrase_env=PASSPHRASE_ENV, kdf=Argon2idParams(8, 1, 1))
        with closing(SQLiteKeyStore(tmp_path / "k.db")) as keys:
            cipher = EnvelopeCipher(KeyFileProvider(key_file, passphrase_env=PASSPHRASE_ENV), store=keys)
            with QuarantineStore(cipher, tmp_path / "q.db", audit=None) as store:
                [qid] = store.hold(RECORDS[:1], tenant="acme", purpose="p", sobject=None, reason="r", findings=[[]])
        code = main(
            [
                *("quarantine", "show", str(tmp_path / "q.db"), qid),
                *("--key-file", str(key_file), "--key-store", str(tmp_path / "k.db")),
                *("--yes-print-sensitive", *REVIEW),
            ]
        )
        assert code == 0 and json.loads(capsys.readouterr().out) == RECORDS[0]

    def test_the_wrong_key_exits_2_and_prints_nothing(
        self, site: Site, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A key file unlocked with another raw key is refused; nothing reaches stdout."""
        monkeypatch.setenv(RAW_ENV, KeyFileProvider.generate_raw_key().reveal())
        assert site.run("show", site.ids[0], "--yes-print-sensitive", *REVIEW) == 2
        out, err = capsys.readouterr()
        assert out == "" and err.startswith("sfshield: error: ")

    def test_without_a_passphrase_or_terminal_it_says_how(
        self, site: Site, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """No raw key option, no passphrase variable and no terminal: exit 2 naming the variable."""
        monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
        assert site.run("show", site.ids[0], "--yes-print-sensitive", *REVIEW, keys=()) == 2
        assert PASSPHRASE_ENV in capsys.readouterr().err

    @pytest.mark.parametrize("missing", ["store", "key_store"])
    def test_missing_files_exit_2_and_are_not_created(
        self, site: Site, missing: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A mistyped store or key-store path exits 2; no empty file is left at that path."""
        typo = site.store.with_name(f"typo-{missing}.db")
        setattr(site, missing, typo)
        assert site.run("release", site.ids[0], "--yes-print-sensitive", *REVIEW) == 2
        assert "no such" in capsys.readouterr().err and not typo.exists()


class TestScanWithPolicy:
    POLICY = """
version = "p1"
[labels]
"*.Id" = { sensitivity = "Public" }
[dlp]
fields = ["Case.Description", "*.Comments"]
dictionary = ["Bluebird"]
allow = ["help@acme.example"]
"""

    def files(self, tmp_path: Path, record: dict[str, Any]) -> tuple[Path, Path]:
        """The policy file and a JSON Lines file of ``record``."""
        policy = tmp_path / "policy.toml"
        policy.write_text(self.POLICY)
        return policy, write_jsonl(tmp_path / "cases.jsonl", [record])

    def test_the_policy_picks_fields_dictionary_and_allow_list(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Only the listed fields are scanned; the policy's dictionary and allow-list apply."""
        policy, data = self.files(
            tmp_path,
            {
                "attributes": {"type": "Case"},
                "Id": "500000000000001AAA",
                "Subject": "mail ana@example.com",  # not listed: not scanned
                "Description": "Bluebird rollout; write help@acme.example or bob@example.com",
                "Account": {"Comments": "card 4111 1111 1111 1111"},
            },
        )
        code, lines, _ = scan(capsys, "--policy", str(policy), str(data))
        assert code == 1
        found = {(f["field"], f["kind"]) for line in lines for f in line["findings"]}
        assert found == {
            ("Description", "IP_MARKER"),
            ("Description", "EMAIL_ADDRESS"),
            ("Account.Comments", "CREDIT_CARD"),
        }

    def test_a_threshold_above_the_policys_is_said_on_stderr(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--min-confidence above the policy's threshold hides what the policy acts on: the report says so."""
        case = {"attributes": {"type": "Case"}, "Id": "1", "Description": "call 0171/1234567 or mail bob@example.com"}
        policy, data = self.files(tmp_path, case)
        _, lines, err = scan(capsys, "--policy", str(policy), "--min-confidence", "VERY_LIKELY", str(data))
        assert "hides findings the policy acts on (its threshold is POSSIBLE)" in err
        assert {f["kind"] for line in lines for f in line["findings"]} == {"EMAIL_ADDRESS"}
        _, full, err = scan(capsys, "--policy", str(policy), "--min-confidence", "POSSIBLE", str(data))
        assert "hides" not in err
        assert {f["kind"] for line in full for f in line["findings"]} == {"EMAIL_ADDRESS", "PHONE_NUMBER"}

    def test_a_policy_without_dlp_fields_is_refused(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A policy that lists no text fields would scan nothing: refused with a hint."""
        policy = tmp_path / "policy.toml"
        policy.write_text('version = "p1"\n')
        data = write_jsonl(tmp_path / "cases.jsonl", [{"Id": "1", "Description": "x"}])
        assert main(["scan", "--policy", str(policy), str(data)]) == 2
        assert "no dlp section" in capsys.readouterr().err


class TestScanWithPolicyFailsClosed:
    POLICY = 'version = "p1"\n[dlp]\nfields = ["Case.Description"]\n'

    def test_records_without_an_object_are_refused(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A scan that cannot tell which fields the policy means must not report 'nothing found' (a CI gate)."""
        policy = tmp_path / "policy.toml"
        policy.write_text(self.POLICY)
        data = write_jsonl(tmp_path / "rows.jsonl", [{"Id": "1", "Description": "card 4111 1111 1111 1111"}])
        assert main(["scan", "--policy", str(policy), str(data)]) == 2
        assert "--object" in capsys.readouterr().err
        assert main(["scan", "--policy", str(policy), "--object", "Cases", str(data)]) == 2
        assert "lists no field of 'Cases'" in capsys.readouterr().err
        code, lines, _ = scan(capsys, "--policy", str(policy), "--object", "Case", str(data))
        assert code == 1 and lines

    def test_fields_and_policy_are_exclusive(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Two ways to choose fields at once would silently ignore one of them."""
        policy = tmp_path / "policy.toml"
        policy.write_text(self.POLICY)
        data = write_jsonl(tmp_path / "rows.jsonl", [{"Id": "1", "Description": "x"}])
        assert main(["scan", "--policy", str(policy), "--fields", "Description", str(data)]) == 2
        assert "give one of them" in capsys.readouterr().err
