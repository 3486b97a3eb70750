"""TenantConfig and TenantRegistry: one org per tenant, identifiers only, and errors that name the file and key."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from sfshield.exceptions import ConfigurationError
from sfshield.salesforce import TENANTS_FILE_VARIABLE, OAuthFlow, TenantConfig, TenantRegistry
from sfshield.testing.org._seed import checksum_suffix

ORG_A, ORG_B = "00D5i00000CIhxb", "00D5i00000QrStu"
PASTED = "00D5i00000CIhxb!AQ4AQPastedTokenValue"


def tenant(name: str = "acme", org_id: str = ORG_A, **changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "tenant": name,
        "org_id": org_id,
        "login_url": f"https://{name}.my.salesforce.com",
        "oauth_flow": "jwt_bearer",
        "client_id": f"3MVG9{name}",
        "integration_username": f"integration@{name}.example",
    }
    entry.update(changes)
    return entry


def write(tmp_path: Path, document: Any, suffix: str = ".json") -> Path:
    path = tmp_path / f"tenants{suffix}"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


class TestLabelSettings:
    def test_every_allowed_object_is_required_by_default(self) -> None:
        """labels_required_for defaults to the allowed objects, and to nothing without labels_from_org."""
        objects = ["Contact", "Account"]
        assert TenantConfig.model_validate(tenant(allowed_objects=objects)).required_label_objects == ()
        labelled = tenant(allowed_objects=objects, labels_from_org=True)
        assert TenantConfig.model_validate(labelled).required_label_objects == ("Account", "Contact")
        assert TenantConfig.model_validate({**labelled, "labels_required_for": []}).required_label_objects == ()
        assert TenantConfig.model_validate(labelled).labels_ttl == timedelta(minutes=15)

    @pytest.mark.parametrize(
        ("changes", "problem"),
        [
            ({"labels_required_for": ["Contact"]}, "only with labels_from_org"),
            ({"labels_from_org": True, "labels_required_for": ["Lead"]}, "not in allowed_objects"),
            ({"labels_from_org": True, "labels_ttl": 30}, "between 1 minute and 24 hours"),
            ({"labels_from_org": True, "labels_ttl": "P2D"}, "between 1 minute and 24 hours"),
        ],
    )
    def test_settings_that_cannot_work_are_refused(self, changes: dict[str, Any], problem: str) -> None:
        """Required objects must be read and allowed; the TTL is bounded."""
        with pytest.raises(ValidationError, match=problem):
            TenantConfig.model_validate(tenant(allowed_objects=["Contact"], **changes))

    def test_a_tenants_file_sets_them(self, tmp_path: Path) -> None:
        """labels_from_org, labels_required_for and labels_ttl (ISO 8601) are read from the tenants file."""
        entry = tenant(allowed_objects=["Contact", "Case"], labels_from_org=True, labels_required_for=["Contact"])
        config = TenantRegistry.from_file(write(tmp_path, {"tenants": [{**entry, "labels_ttl": "PT5M"}]})).get("acme")
        assert (config.labels_from_org, config.labels_required_for, config.labels_ttl) == (
            True,
            ("Contact",),
            timedelta(minutes=5),
        )


class TestTenantConfig:
    def test_defaults_are_least_privilege(self) -> None:
        """Unless told otherwise a tenant allows the api scope only, 24-hour tokens, no purpose and no object."""
        config = TenantConfig.model_validate(tenant())
        assert config.allowed_scopes == ("api",)
        assert config.token_lifetime == timedelta(hours=24)
        assert (config.allowed_purposes, config.allowed_objects, config.allow_excess_privileges) == ((), (), False)
        assert config.oauth_flow is OAuthFlow.JWT_BEARER

    def test_a_15_character_org_id_is_stored_in_its_18_character_form(self) -> None:
        """The 15- and 18-character ids of one org give the same configuration."""
        short = TenantConfig.model_validate(tenant(org_id=ORG_A))
        long = TenantConfig.model_validate(tenant(org_id=ORG_A + checksum_suffix(ORG_A)))
        assert short.org_id == long.org_id == ORG_A + checksum_suffix(ORG_A)

    @pytest.mark.parametrize(
        "org_id",
        ["00D5i00000CIhx", "0015i00000CIhxb", ORG_A + "AAA", "00D5i00000CIh-b", ORG_A.lower()],
    )
    def test_a_malformed_org_id_is_refused(self, org_id: str) -> None:
        """Wrong length, prefix, characters or 18-character suffix (case changed) are refused."""
        with pytest.raises(ValidationError, match="org_id"):
            TenantConfig.model_validate(tenant(org_id=org_id))

    def test_urls_are_normalised_https_origins(self) -> None:
        """Host case, a trailing slash and the default port are normalised away; plain http is refused."""
        config = TenantConfig.model_validate(
            tenant(login_url="https://Acme.My.Salesforce.com:443/", instance_url="https://acme.my.salesforce.com/")
        )
        assert (config.login_url, config.instance_url) == (
            "https://acme.my.salesforce.com",
            "https://acme.my.salesforce.com",
        )
        for bad in ("http://acme.my.salesforce.com", "https://user:pw@acme.example", "https://acme.example/path"):
            with pytest.raises(ValidationError, match="login_url"):
                TenantConfig.model_validate(tenant(login_url=bad))

    @pytest.mark.parametrize(
        ("lifetime", "ok"), [(299, False), (300, True), ("PT24H", True), (86_401, False), ("P2D", False)]
    )
    def test_the_token_lifetime_is_five_minutes_to_a_day(self, lifetime: object, ok: bool) -> None:
        """Lifetimes are given in seconds or ISO 8601 and must lie within a Salesforce session's range."""
        if ok:
            TenantConfig.model_validate(tenant(token_lifetime=lifetime))
        else:
            with pytest.raises(ValidationError, match="token_lifetime"):
                TenantConfig.model_validate(tenant(token_lifetime=lifetime))

    @pytest.mark.parametrize("key", ["client_secret", "private_key", "password", "refresh_token", "PrivateKey"])
    def test_a_key_that_looks_like_a_secret_is_refused_without_its_value(self, key: str) -> None:
        """Secrets belong in the token store; the error names the key and never repeats the value."""
        with pytest.raises(ValidationError, match="token store") as caught:
            TenantConfig.model_validate(tenant(**{key: PASTED}))
        assert PASTED not in str(caught.value)

    def test_errors_never_repeat_the_input(self) -> None:
        """A token pasted into an id field does not reach the validation message."""
        with pytest.raises(ValidationError) as caught:
            TenantConfig.model_validate(tenant(org_id=PASTED, client_id=PASTED + " x"))
        assert PASTED not in str(caught.value)

    def test_unknown_keys_are_refused_and_the_config_is_frozen(self) -> None:
        """A misspelt key is an error, and a configuration cannot be changed after validation."""
        with pytest.raises(ValidationError, match="allowed_object "):
            TenantConfig.model_validate(tenant(**{"allowed_object ": ["Account"]}))
        config = TenantConfig.model_validate(tenant())
        with pytest.raises(ValidationError):
            config.tenant = "other"  # type: ignore[misc]

    def test_allow_lists_are_sorted_and_compared_as_salesforce_does(self) -> None:
        """Objects compare case-insensitively, purposes exactly, and usernames ignore case."""
        config = TenantConfig.model_validate(
            tenant(allowed_objects=["Contact", "Account", "Contact"], allowed_purposes=["rag", "customer-support"])
        )
        assert config.allowed_objects == ("Account", "Contact")
        assert config.allows_object("account") and not config.allows_object("Lead")
        assert config.allows_purpose("rag") and not config.allows_purpose("training")
        assert config.is_integration_user("Integration@ACME.example")
        assert config.allowed_purposes == ("customer-support", "rag")
        for bad in ({"allowed_objects": ["Lead Source"]}, {"allowed_scopes": []}, {"allowed_purposes": [" rag"]}):
            with pytest.raises(ValidationError, match=next(iter(bad))):
                TenantConfig.model_validate(tenant(**bad))

    @given(st.text(alphabet="0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=12, max_size=12))
    def test_normalisation_matches_an_independent_implementation(self, tail: str) -> None:
        """Every 15-character org id gets the embedded org's checksum suffix, and the 18-character form is stable."""
        id15 = "00D" + tail
        config = TenantConfig.model_validate(tenant(org_id=id15))
        assert config.org_id == id15 + checksum_suffix(id15)
        assert TenantConfig.model_validate(tenant(org_id=config.org_id)).org_id == config.org_id


class TestRegistryFiles:
    def test_toml_yaml_and_json_describe_the_same_tenants(self, tmp_path: Path) -> None:
        """The three formats load to equal configurations."""
        toml = tmp_path / "t.toml"
        toml.write_text(
            '[[tenants]]\ntenant = "acme"\norg_id = "00D5i00000CIhxb"\nlogin_url = "https://acme.my.salesforce.com"\n'
            'oauth_flow = "jwt_bearer"\nclient_id = "3MVG9acme"\nintegration_username = "integration@acme.example"\n'
            'token_lifetime = "PT12H"\n',
            encoding="utf-8",
        )
        yaml = tmp_path / "t.yaml"
        yaml.write_text(
            "tenants:\n  - tenant: acme\n    org_id: 00D5i00000CIhxb\n    login_url: https://acme.my.salesforce.com\n"
            "    oauth_flow: jwt_bearer\n    client_id: 3MVG9acme\n    integration_username: integration@acme.example\n"
            "    token_lifetime: 43200\n",
            encoding="utf-8",
        )
        json_file = write(tmp_path, {"tenants": [tenant(token_lifetime=43_200)]})
        loaded = [list(TenantRegistry.from_file(p)) for p in (toml, yaml, json_file)]
        assert loaded[0] == loaded[1] == loaded[2]
        assert loaded[0][0].token_lifetime == timedelta(hours=12)

    def test_a_field_error_names_the_file_and_the_key_path(self, tmp_path: Path) -> None:
        """A bad field of the second tenant is reported as tenants.1.<field> in that file."""
        path = write(tmp_path, {"tenants": [tenant(), tenant("beta", ORG_B, oauth_flow="password")]})
        with pytest.raises(ConfigurationError, match=rf"^{path}: tenants\.1\.oauth_flow: "):
            TenantRegistry.from_file(path)

    @pytest.mark.parametrize(
        "document",
        [
            {"tenants": [tenant(client_secret=PASTED)]},
            {"tenants": [tenant(extra={"nested": {"session_token": PASTED}})]},
            {"tenants": [tenant()], "password": PASTED},
        ],
    )
    def test_a_secret_anywhere_in_the_file_is_refused_without_its_value(self, tmp_path: Path, document: Any) -> None:
        """Any key that looks like a secret, at any depth, is refused; the message points at it but never quotes it."""
        with pytest.raises(ConfigurationError) as caught:
            TenantRegistry.from_file(write(tmp_path, document))
        message = str(caught.value)
        assert PASTED not in message
        assert "looks like a secret" in message and "token store" in message

    def test_the_secret_key_path_is_named(self, tmp_path: Path) -> None:
        """The refusal names the dotted path of the offending key."""
        path = write(tmp_path, {"tenants": [tenant(), tenant("beta", ORG_B, client_secret="x")]})
        with pytest.raises(ConfigurationError, match=r"tenants\.1\.client_secret: looks like a secret"):
            TenantRegistry.from_file(path)

    @pytest.mark.parametrize(
        ("content", "suffix", "problem"),
        [
            ("tenants = [", ".toml", "not valid"),
            ('{"tenants": [}', ".json", "not valid: Expecting value at line 1"),
            ("tenants: [\n  - a: {", ".yaml", "not valid YAML at line"),
            ("[]", ".json", "exactly one key"),
            ('{"tenants": {}}', ".json", "exactly one key"),
            ("tenants = []", ".ini", "unknown format"),
        ],
    )
    def test_unparsable_files_are_refused_with_the_position(
        self, tmp_path: Path, content: str, suffix: str, problem: str
    ) -> None:
        """Syntax errors say where; a document of the wrong shape or format says what is expected."""
        path = tmp_path / f"tenants{suffix}"
        path.write_text(content, encoding="utf-8")
        with pytest.raises(ConfigurationError, match=problem):
            TenantRegistry.from_file(path)

    def test_missing_large_and_binary_files_are_refused(self, tmp_path: Path) -> None:
        """Each unreadable file gets its own message naming the file."""
        with pytest.raises(ConfigurationError, match="no such file"):
            TenantRegistry.from_file(tmp_path / "absent.toml")
        large = tmp_path / "large.json"
        large.write_bytes(b" " * (1024 * 1024 + 1))
        with pytest.raises(ConfigurationError, match="at most 1 MiB"):
            TenantRegistry.from_file(large)
        binary = tmp_path / "binary.json"
        binary.write_bytes(b"\xff\xfe")
        with pytest.raises(ConfigurationError, match="not UTF-8"):
            TenantRegistry.from_file(binary)

    def test_the_environment_names_the_file(self, tmp_path: Path) -> None:
        """from_env reads the file SFSHIELD_TENANTS_FILE points at, and says what to set when it is unset."""
        path = write(tmp_path, {"tenants": [tenant()]})
        assert TenantRegistry.from_env({TENANTS_FILE_VARIABLE: str(path)}).get("acme").tenant == "acme"
        with pytest.raises(ConfigurationError, match=TENANTS_FILE_VARIABLE):
            TenantRegistry.from_env({})


class TestRegistryValidation:
    @pytest.mark.parametrize(
        ("second", "field"),
        [
            (tenant("acme", ORG_B), "tenant"),
            (tenant("beta", ORG_A + checksum_suffix(ORG_A)), "org_id"),
            (tenant("beta", ORG_B, client_id="3MVG9acme"), "client_id"),
            (tenant("beta", ORG_B, integration_username="INTEGRATION@acme.example"), "integration_username"),
        ],
    )
    def test_tenants_may_not_share_an_org_app_or_user(self, tmp_path: Path, second: dict[str, Any], field: str) -> None:
        """A repeated tenant id, org (in any id form), client id or integration user (in any case) is refused."""
        path = write(tmp_path, {"tenants": [tenant(), second]})
        with pytest.raises(ConfigurationError, match=rf"tenants\.1\.{field}: .* already used by tenant 'acme'"):
            TenantRegistry.from_file(path)

    def test_lookup_by_tenant_and_by_org(self, tmp_path: Path) -> None:
        """get() finds a tenant by id, for_org() by either form of its org id; unknown ones list what is known."""
        registry = TenantRegistry.from_file(write(tmp_path, {"tenants": [tenant(), tenant("beta", ORG_B)]}))
        assert len(registry) == 2 and "beta" in registry and "gamma" not in registry
        assert registry.get("beta").org_id.startswith(ORG_B)
        assert registry.for_org(ORG_A).tenant == registry.for_org(ORG_A + checksum_suffix(ORG_A)).tenant == "acme"
        with pytest.raises(ConfigurationError, match=r"unknown tenant 'gamma' \(known: acme, beta\)"):
            registry.get("gamma")
        with pytest.raises(ConfigurationError, match="no tenant is bound to org"):
            registry.for_org("00D5i00000ZzZzZ")
        assert repr(registry) == f"TenantRegistry({registry.source!r}, tenants=['acme', 'beta'])"

    def test_a_registry_holds_only_tenant_configs(self) -> None:
        """Passing anything but TenantConfig values is a programming error."""
        with pytest.raises(TypeError, match="TenantConfig"):
            TenantRegistry([tenant()])  # type: ignore[list-item]
