"""The `sfshield keys` commands: init, add, promote, list, generate-raw-key — and bad input for each."""

from __future__ import annotations

import base64
import io
import json
import stat
from pathlib import Path

import pytest

from sfshield.cli import main
from sfshield.keys import KeyFileProvider
from sfshield.keys._cli import PASSPHRASE_ENV

PASSPHRASE = "correct horse battery staple"
# Cheap Argon2id parameters so the file runs in seconds; never for a real key file.
CHEAP = ["--kdf-memory-mib", "1", "--kdf-iterations", "1", "--kdf-lanes", "1", "--allow-weak-kdf"]


class Terminal(io.StringIO):
    """A stdin that says it is a terminal, so the commands prompt (getpass itself is replaced)."""

    def isatty(self) -> bool:
        """Claim to be a terminal."""
        return True


@pytest.fixture
def passphrase(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    return PASSPHRASE


@pytest.fixture
def key_file(tmp_path: Path, passphrase: str, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "keys.json"
    assert main(["keys", "init", str(path), *CHEAP]) == 0
    capsys.readouterr()
    return path


def answer_prompts(monkeypatch: pytest.MonkeyPatch, *answers: str) -> list[str]:
    """Make stdin a terminal and getpass return ``answers`` in turn; return the prompts shown."""
    prompts: list[str] = []
    replies = iter(answers)

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(replies)

    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    monkeypatch.setattr("sys.stdin", Terminal())
    monkeypatch.setattr("getpass.getpass", fake_getpass)
    return prompts


class TestInit:
    def test_init_writes_a_0600_key_file_and_prints_no_secret(
        self, key_file: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The file exists with mode 0600, holds kek-1, and opens with the passphrase from the environment."""
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert KeyFileProvider(key_file, passphrase=PASSPHRASE).key_ids == ("kek-1",)

    def test_init_reports_on_stderr_without_the_passphrase(
        self, tmp_path: Path, passphrase: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The success line names the file and the KEK and says to back it up; nothing secret is printed."""
        assert main(["keys", "init", str(tmp_path / "k.json"), *CHEAP]) == 0
        out, err = capsys.readouterr()
        assert out == "" and "created" in err and "kek-1" in err and "Back it up" in err
        assert PASSPHRASE not in out + err

    def test_the_kdf_options_are_stored_in_the_file(self, key_file: Path) -> None:
        """--kdf-memory-mib 1 --kdf-iterations 1 --kdf-lanes 1 end up in the file's unlock object."""
        unlock = json.loads(key_file.read_text())["unlock"]
        assert (unlock["memory_kib"], unlock["iterations"], unlock["lanes"]) == (1024, 1, 1)

    @pytest.mark.parametrize(
        ("memory", "passes", "accepted"), [("1", "1", False), ("18", "3", False), ("19", "2", True), ("46", "1", True)]
    )
    def test_init_refuses_weak_kdf_costs_unless_told(
        self,
        tmp_path: Path,
        passphrase: str,
        capsys: pytest.CaptureFixture[str],
        memory: str,
        passes: str,
        accepted: bool,
    ) -> None:
        """Costs below OWASP's Argon2id minimum exit 2 with the reason; nothing is written; the flag overrides."""
        path = tmp_path / "k.json"
        assert main(["keys", "init", str(path), "--kdf-memory-mib", memory, "--kdf-iterations", passes]) == (
            0 if accepted else 2
        )
        assert path.exists() == accepted
        if not accepted:
            assert "below OWASP's minimum" in capsys.readouterr().err
            assert main(["keys", "init", str(path), *CHEAP]) == 0

    def test_init_refuses_an_existing_file(self, key_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A second init on the same path exits 2 and leaves the file alone."""
        before = key_file.read_bytes()
        assert main(["keys", "init", str(key_file), *CHEAP]) == 2
        assert "already exists" in capsys.readouterr().err
        assert key_file.read_bytes() == before

    def test_init_asks_for_the_passphrase_twice(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Without the variable, a terminal is asked twice and the file opens with that passphrase."""
        prompts = answer_prompts(monkeypatch, PASSPHRASE, PASSPHRASE)
        assert main(["keys", "init", str(tmp_path / "k.json"), *CHEAP]) == 0
        assert len(prompts) == 2
        assert KeyFileProvider(tmp_path / "k.json", passphrase=PASSPHRASE).key_ids == ("kek-1",)

    def test_two_different_passphrases_write_nothing(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A mismatch exits 2 with a message and no file; neither passphrase is printed."""
        answer_prompts(monkeypatch, PASSPHRASE, PASSPHRASE + "!")
        assert main(["keys", "init", str(tmp_path / "k.json"), *CHEAP]) == 2
        out, err = capsys.readouterr()
        assert "passphrases differ" in err and PASSPHRASE not in out + err
        assert not (tmp_path / "k.json").exists()

    def test_without_a_terminal_or_variable_init_says_what_to_set(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """No passphrase source: exit 2 naming the variable."""
        monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
        monkeypatch.setattr("sys.stdin", io.StringIO())
        assert main(["keys", "init", str(tmp_path / "k.json"), *CHEAP]) == 2
        assert PASSPHRASE_ENV in capsys.readouterr().err

    def test_impossible_kdf_options_exit_2(
        self, tmp_path: Path, passphrase: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--kdf-lanes 0 is refused with the Argon2id rule and no file."""
        assert main(["keys", "init", str(tmp_path / "k.json"), "--kdf-lanes", "0"]) == 2
        assert "lanes must be 1 to" in capsys.readouterr().err
        assert not (tmp_path / "k.json").exists()

    def test_a_short_passphrase_exits_2(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A passphrase under 12 characters is refused without printing it."""
        monkeypatch.setenv(PASSPHRASE_ENV, "tiny-pass")
        assert main(["keys", "init", str(tmp_path / "k.json"), *CHEAP]) == 2
        err = capsys.readouterr().err
        assert "shorter than 12" in err and "tiny-pass" not in err


class TestAddPromoteList:
    def test_add_makes_a_new_primary_and_prints_its_id(
        self, key_file: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`keys add` prints kek-2 on stdout and the file's primary is kek-2."""
        assert main(["keys", "add", str(key_file)]) == 0
        out, err = capsys.readouterr()
        assert out == "kek-2\n" and "rewrap" in err
        assert KeyFileProvider(key_file, passphrase=PASSPHRASE).primary_key_id == "kek-2"

    def test_add_no_primary_then_promote(self, key_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """`add --no-primary` keeps kek-1 primary; `promote` makes kek-2 primary."""
        assert main(["keys", "add", str(key_file), "--no-primary"]) == 0
        assert KeyFileProvider(key_file, passphrase=PASSPHRASE).primary_key_id == "kek-1"
        assert main(["keys", "promote", str(key_file), "kek-2"]) == 0
        assert KeyFileProvider(key_file, passphrase=PASSPHRASE).primary_key_id == "kek-2"

    def test_promoting_an_unknown_kek_exits_2(self, key_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """An id the file does not hold is named in the error."""
        assert main(["keys", "promote", str(key_file), "kek-9"]) == 2
        assert "no KEK 'kek-9'" in capsys.readouterr().err

    def test_list_shows_ids_creation_times_and_the_primary_but_no_material(
        self, key_file: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """One tab-separated line per KEK; the sealed KEKs, MAC and salt are not printed."""
        assert main(["keys", "add", str(key_file)]) == 0
        capsys.readouterr()
        assert main(["keys", "list", str(key_file)]) == 0
        out, err = capsys.readouterr()
        lines = [line.split("\t") for line in out.splitlines()]
        assert [line[0] for line in lines] == ["kek-1", "kek-2"]
        assert len(lines[0]) == 2 and lines[1][2] == "primary"
        assert all(len(line[1]) == 20 and line[1].endswith("Z") for line in lines)
        document = json.loads(key_file.read_text())
        for secret in [document["mac"], document["unlock"]["salt"], *(k["sealed"] for k in document["keys"])]:
            assert secret not in out + err
        assert PASSPHRASE not in out + err

    def test_list_asks_for_the_passphrase_in_a_terminal(
        self, key_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Without the variable, the passphrase is asked once, with the file named in the prompt."""
        prompts = answer_prompts(monkeypatch, PASSPHRASE)
        assert main(["keys", "list", str(key_file)]) == 0
        assert prompts == [f"passphrase for {key_file}: "]

    def test_a_wrong_passphrase_exits_2_without_printing_it(
        self, key_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The error says wrong passphrase or altered file; the passphrase tried is not in the output."""
        monkeypatch.setenv(PASSPHRASE_ENV, "not the passphrase at all")
        assert main(["keys", "list", str(key_file)]) == 2
        out, err = capsys.readouterr()
        assert err.startswith(f"sfshield: error: cannot unlock key file {key_file}: wrong passphrase")
        assert "not the passphrase at all" not in out + err

    def test_a_group_readable_key_file_exits_2_with_the_fix(
        self, key_file: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A 0640 key file is refused with `chmod 600`."""
        key_file.chmod(0o640)
        assert main(["keys", "list", str(key_file)]) == 2
        assert f"chmod 600 {key_file}" in capsys.readouterr().err

    def test_a_missing_file_exits_2(self, tmp_path: Path, passphrase: str, capsys: pytest.CaptureFixture[str]) -> None:
        """`keys add` on a missing file says how to create one."""
        assert main(["keys", "add", str(tmp_path / "none.json")]) == 2
        assert "sfshield keys init" in capsys.readouterr().err

    def test_a_verb_is_required(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`sfshield keys` alone is a usage error (exit 2)."""
        with pytest.raises(SystemExit) as exited:
            main(["keys"])
        assert exited.value.code == 2


class TestRawKey:
    def generate(self, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
        """Run `keys generate-raw-key`; return its stdout and stderr."""
        assert main(["keys", "generate-raw-key"]) == 0
        out, err = capsys.readouterr()
        return out, err

    def test_generate_prints_one_new_key_and_a_warning(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The output is one base64 line of 32 bytes, different each time; stderr warns that it is a secret."""
        first, err = self.generate(capsys)
        second, _ = self.generate(capsys)
        assert len(base64.b64decode(first.strip(), validate=True)) == 32 and first.count("\n") == 1
        assert first != second
        assert "secret key" in err and first.strip() not in err

    def test_a_raw_key_file_is_made_and_used_from_the_environment(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """generate-raw-key, then init/add/list with --raw-key-env; the key never reaches the output."""
        key, _ = self.generate(capsys)
        monkeypatch.setenv("TEST_KEK_RAW_KEY", key.strip())
        path = str(tmp_path / "k.json")
        assert main(["keys", "init", path, "--raw-key-env", "TEST_KEK_RAW_KEY"]) == 0
        assert main(["keys", "add", path, "--raw-key-env", "TEST_KEK_RAW_KEY"]) == 0
        assert main(["keys", "list", path, "--raw-key-env", "TEST_KEK_RAW_KEY"]) == 0
        out, err = capsys.readouterr()
        assert "kek-2\t" in out and key.strip() not in out + err

    def test_a_mounted_raw_key_file_unlocks(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--raw-key-file reads a mounted secret (mode 0400)."""
        key, _ = self.generate(capsys)
        secret = tmp_path / "raw-key"
        secret.write_text(key)
        secret.chmod(0o400)
        path = str(tmp_path / "k.json")
        assert main(["keys", "init", path, "--raw-key-file", str(secret)]) == 0
        assert main(["keys", "list", path, "--raw-key-file", str(secret)]) == 0
        assert capsys.readouterr().out.startswith("kek-1\t")

    def test_a_missing_raw_key_variable_exits_2(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """An unset --raw-key-env variable is named in the error."""
        assert main(["keys", "init", str(tmp_path / "k.json"), "--raw-key-env", "TEST_NO_SUCH_VARIABLE"]) == 2
        assert "$TEST_NO_SUCH_VARIABLE is not set" in capsys.readouterr().err
