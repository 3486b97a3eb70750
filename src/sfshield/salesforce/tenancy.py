"""Tenants: which Salesforce org each sfshield tenant is, how it logs in, and what it may do there.

A :class:`TenantConfig` binds one tenant to one org (its 18-character id), one login URL, one connected app (External
Client App) and one integration user, and lists what the tenant allows: purposes, objects, OAuth scopes, the token
lifetime. A :class:`TenantRegistry` holds every tenant of a deployment, read from a TOML, YAML or JSON file, and
refuses configurations that would mix tenants: two tenants on one org, one connected app or one integration user
serving two orgs, a tenant id given twice.

The configuration holds identifiers only. Client secrets and private keys live in the encrypted
:class:`~sfshield.crypto.TokenStore`; a file with a key that looks like a secret (``client_secret``, ``private_key``,
``password`` …) is refused, without repeating its value.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Final, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sfshield._ids import id18
from sfshield._urls import https_origin
from sfshield.exceptions import ConfigurationError

__all__ = ["TENANTS_FILE_VARIABLE", "OAuthFlow", "TenantConfig", "TenantRegistry"]

TENANTS_FILE_VARIABLE: Final = "SFSHIELD_TENANTS_FILE"
"""The environment variable :meth:`TenantRegistry.from_env` reads the tenants file's path from."""

_MAX_FILE_BYTES: Final = 1024 * 1024
_MIN_LIFETIME: Final = timedelta(minutes=5)
_MAX_LIFETIME: Final = timedelta(hours=24)
_MIN_LABELS_TTL: Final = timedelta(minutes=1)
_MAX_LABELS_TTL: Final = timedelta(hours=24)
_SECRET_KEY: Final = re.compile(
    r"secret|private[_-]?key|passw(?:or)?d|passphrase|credential|(?:access|refresh|session|security)[_-]?token",
    re.IGNORECASE,
)
_KEY_REFUSAL: Final = (
    "looks like a secret, and secrets never go into the tenant configuration: remove it and store client secrets "
    "and private keys in the token store (TokenStore.put with TokenKind.CLIENT_SECRET or TokenKind.PRIVATE_KEY)"
)

TenantId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")]
ClientId = Annotated[str, Field(pattern=r"^[!-~]{1,255}$")]
Username = Annotated[str, Field(pattern=r"^[^\s@]+@[^\s@]+$", max_length=80)]
ObjectName = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,79}$")]
PurposeName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")]
Scope = Annotated[str, Field(pattern=r"^[a-z][a-z_]{0,63}$")]
Region = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]


class OAuthFlow(StrEnum):
    """How a tenant's integration user logs in; neither flow keeps a refresh token."""

    JWT_BEARER = "jwt_bearer"
    """An RS256 assertion signed with the tenant's private key (stored as ``TokenKind.PRIVATE_KEY``)."""
    CLIENT_CREDENTIALS = "client_credentials"
    """The connected app's consumer key and secret (stored as ``TokenKind.CLIENT_SECRET``); runs as its run-as user."""


def _org_id(value: str) -> str:
    return id18(value, "00D", "org_id")


def _unique_sorted(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(set(values)))


OrgId = Annotated[str, AfterValidator(_org_id)]
HttpsOrigin = Annotated[str, AfterValidator(https_origin)]


class TenantConfig(BaseModel):
    """One tenant: its org, how its integration user logs in, and what it allows. Identifiers only, no secrets.

    Attributes:
        tenant: the sfshield tenant id (keys, tokens and audit events are bound to it).
        org_id: the Salesforce org id; a 15-character id is stored in its 18-character form.
        login_url: the org's My Domain URL (``https://acme.my.salesforce.com``): the token endpoint's host and the
            JWT audience.
        instance_url: if given, the instance the token response must name; a token for another instance is refused.
        data_region: where the org's data lives (``eu``, ``us``), for the deployment's own routing rules.
        oauth_flow: :class:`OAuthFlow`.
        client_id: the External Client App's consumer key.
        integration_username: the user every token must belong to (compared case-insensitively).
        allowed_purposes: the purposes this tenant's data may serve; empty allows none.
        allowed_objects: the sObjects this tenant's data may be read from; empty allows none.
        allowed_scopes: the OAuth scopes a token may carry; a token with more is revoked and refused.
        token_lifetime: how long an access token is used before a new one is obtained (5 minutes to 24 hours;
            seconds or ISO 8601 such as ``PT24H`` in files).
        allow_excess_privileges: accept an integration user with more rights than the tenant needs (for example
            View All Data). Off by default; turn it on only with a written reason.
        labels_from_org: read the field labels from the org (sfshield's Custom Metadata Type records and
            ``FieldDefinition``'s data classification) and merge them over the policy's; the tenant client's
            queries and exports then use the merged classification. Off by default: the policy alone decides.
        labels_required_for: the allowed objects that must have Custom Metadata records when labels come from the
            org; reading none for one of them stops the read (fail closed). ``None`` (the default) means every
            allowed object; ``[]`` requires none. Only with ``labels_from_org``.
        labels_ttl: how long labels read from the org are used before they are read again (1 minute to 24 hours;
            seconds or ISO 8601 such as ``PT15M`` in files).

    Raises:
        pydantic.ValidationError: a field is missing or malformed, an unknown key is given, or a key looks like a
            secret. Inputs are never repeated in the message.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    tenant: TenantId
    org_id: OrgId
    login_url: HttpsOrigin
    instance_url: HttpsOrigin | None = None
    data_region: Region | None = None
    oauth_flow: OAuthFlow
    client_id: ClientId
    integration_username: Username
    allowed_purposes: tuple[PurposeName, ...] = ()
    allowed_objects: tuple[ObjectName, ...] = ()
    allowed_scopes: tuple[Scope, ...] = Field(default=("api",), min_length=1)
    token_lifetime: timedelta = timedelta(hours=24)
    allow_excess_privileges: bool = False
    labels_from_org: bool = False
    labels_required_for: tuple[ObjectName, ...] | None = None
    labels_ttl: timedelta = timedelta(minutes=15)

    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            for key in data:
                if isinstance(key, str) and _SECRET_KEY.search(key):
                    raise ValueError(f"key {key!r} {_KEY_REFUSAL}")
        return data

    @field_validator("allowed_purposes", "allowed_objects", "allowed_scopes", "labels_required_for")
    @classmethod
    def _sorted(cls, values: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return None if values is None else _unique_sorted(values)

    @field_validator("token_lifetime")
    @classmethod
    def _bounded(cls, lifetime: timedelta) -> timedelta:
        if not _MIN_LIFETIME <= lifetime <= _MAX_LIFETIME:
            raise ValueError("token_lifetime must be between 5 minutes and 24 hours (a Salesforce session's maximum)")
        return lifetime

    @field_validator("labels_ttl")
    @classmethod
    def _ttl_bounded(cls, ttl: timedelta) -> timedelta:
        if not _MIN_LABELS_TTL <= ttl <= _MAX_LABELS_TTL:
            raise ValueError("labels_ttl must be between 1 minute and 24 hours")
        return ttl

    @model_validator(mode="after")
    def _required_labels_are_read(self) -> Self:
        if self.labels_required_for is None:
            return self
        if not self.labels_from_org:
            raise ValueError("labels_required_for applies only with labels_from_org = true; set both or neither")
        unknown = [name for name in self.labels_required_for if not self.allows_object(name)]
        if unknown:
            raise ValueError(
                f"labels_required_for names objects that are not in allowed_objects ({', '.join(unknown)}); labels "
                "are read for the allowed objects only"
            )
        return self

    @property
    def required_label_objects(self) -> tuple[str, ...]:
        """The objects that must have Custom Metadata records when labels come from the org (none otherwise)."""
        if not self.labels_from_org:
            return ()
        return self.allowed_objects if self.labels_required_for is None else self.labels_required_for

    def allows_purpose(self, purpose: str, /) -> bool:
        """Whether this tenant's data may serve ``purpose``."""
        return purpose in self.allowed_purposes

    def allows_object(self, sobject: str, /) -> bool:
        """Whether this tenant's data may be read from ``sobject`` (API names compare case-insensitively)."""
        return sobject.casefold() in {name.casefold() for name in self.allowed_objects}

    def is_integration_user(self, username: str, /) -> bool:
        """Whether ``username`` is the configured integration user (Salesforce usernames ignore case)."""
        return username.casefold() == self.integration_username.casefold()


class TenantRegistry:
    """Every tenant of a deployment, checked so that no two tenants can share an org, app or user.

    Args:
        tenants: the tenants' configurations.
        source: where they came from (a file path), named in error messages.

    Raises:
        ConfigurationError: a tenant id is given twice, two tenants name the same org, or one client id or
            integration user is configured for two orgs. The message names the source and the key.
    """

    def __init__(self, tenants: Iterable[TenantConfig], /, *, source: str = "<tenants>") -> None:
        configs = tuple(tenants)
        for config in configs:
            if not isinstance(config, TenantConfig):
                raise TypeError(f"a TenantRegistry holds TenantConfig values, not {type(config).__name__}")
        _check_distinct(configs, source)
        self._source = source
        self._by_tenant = {config.tenant: config for config in configs}
        self._by_org = {config.org_id: config for config in configs}

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], /) -> TenantRegistry:
        """Load the tenants from a ``.toml``, ``.yaml``/``.yml`` or ``.json`` file with a ``tenants`` list.

        Raises:
            ConfigurationError: the file is missing, unreadable, larger than 1 MiB, not valid for its format, holds
                a key that looks like a secret, or describes invalid or clashing tenants. The message names the
                file and the key path (``tenants.1.org_id``).
        """
        path = Path(path)
        parser = _parser_for(path)
        data = _parse(parser, _read(path), str(path))
        return cls(_validate(data, str(path)), source=str(path))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, /) -> TenantRegistry:
        """Load the tenants from the file named by ``SFSHIELD_TENANTS_FILE``.

        Raises:
            ConfigurationError: the variable is unset or empty, or as for :meth:`from_file`.
        """
        environ = os.environ if environ is None else environ
        path = environ.get(TENANTS_FILE_VARIABLE, "")
        if not path:
            raise ConfigurationError(
                f"{TENANTS_FILE_VARIABLE} is not set: set it to the path of the tenants file (.toml, .yaml or .json)"
            )
        return cls.from_file(path)

    @property
    def source(self) -> str:
        """Where the tenants came from."""
        return self._source

    def get(self, tenant: str, /) -> TenantConfig:
        """The configuration of ``tenant``.

        Raises:
            ConfigurationError: no such tenant (the message lists the known ones).
        """
        config = self._by_tenant.get(tenant)
        if config is None:
            known = ", ".join(sorted(self._by_tenant)) or "none"
            raise ConfigurationError(f"unknown tenant {tenant!r} (known: {known}); add it to {self._source}")
        return config

    def for_org(self, org_id: str, /) -> TenantConfig:
        """The tenant bound to ``org_id`` (15 or 18 characters).

        Raises:
            ConfigurationError: no tenant is bound to that org.
            ValueError: ``org_id`` is not an org id.
        """
        config = self._by_org.get(_org_id(org_id))
        if config is None:
            raise ConfigurationError(f"no tenant is bound to org {org_id}; add one to {self._source}")
        return config

    def __contains__(self, tenant: object) -> bool:
        return tenant in self._by_tenant

    def __iter__(self) -> Iterator[TenantConfig]:
        return iter(self._by_tenant.values())

    def __len__(self) -> int:
        return len(self._by_tenant)

    def __repr__(self) -> str:
        return f"TenantRegistry({self._source!r}, tenants={sorted(self._by_tenant)!r})"


def _check_distinct(configs: tuple[TenantConfig, ...], source: str) -> None:
    """Refuse a second tenant with the same tenant id, org, client id or integration user."""
    keys: list[tuple[str, str, Callable[[TenantConfig], str]]] = [
        ("tenant", "tenant id", lambda c: c.tenant),
        ("org_id", "org", lambda c: c.org_id),
        ("client_id", "client id", lambda c: c.client_id),
        ("integration_username", "integration user", lambda c: c.integration_username.casefold()),
    ]
    for field, label, key in keys:
        seen: dict[str, int] = {}
        for index, config in enumerate(configs):
            first = seen.setdefault(key(config), index)
            if first != index:
                raise ConfigurationError(
                    f"{source}: tenants.{index}.{field}: the {label} {getattr(config, field)} is already used by "
                    f"tenant {configs[first].tenant!r} (tenants.{first}); each tenant needs its own org, connected "
                    "app and integration user"
                )


def _validate(data: Any, source: str) -> list[TenantConfig]:
    _refuse_secrets(data, source, "")
    if not isinstance(data, dict) or set(data) != {"tenants"} or not isinstance(data["tenants"], list):
        raise ConfigurationError(f"{source}: the file must hold exactly one key, `tenants`, a list of tables")
    configs = []
    for index, entry in enumerate(data["tenants"]):
        try:
            configs.append(TenantConfig.model_validate(entry))
        except ValidationError as exc:
            raise _config_error(source, f"tenants.{index}", exc) from None
    return configs


def _refuse_secrets(value: Any, source: str, path: str) -> None:
    """Refuse any key, at any depth, that looks like a secret; the value is never repeated."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        where = f"{path}.{key}" if path else str(key)
        if isinstance(key, str) and _SECRET_KEY.search(key):
            raise ConfigurationError(f"{source}: {where}: {_KEY_REFUSAL}")
        _refuse_secrets(item, source, where)


def _config_error(source: str, prefix: str, exc: ValidationError) -> ConfigurationError:
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    first = errors[0]
    location = ".".join([prefix, *(str(part) for part in first["loc"])])
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    return ConfigurationError(f"{source}: {location}: {first['msg']}{more}")


def _read(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > _MAX_FILE_BYTES:
            raise ConfigurationError(f"{path}: the file is {size} bytes; a tenants file may be at most 1 MiB")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigurationError(f"{path}: no such file; check the path") from None
    except UnicodeDecodeError:
        raise ConfigurationError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read it ({exc.strerror})") from None


def _parse(parser: Callable[[str], Any], text: str, source: str) -> Any:
    try:
        return parser(text)
    except ConfigurationError:
        raise
    except (ValueError, TypeError) as exc:  # tomllib and json errors are ValueErrors that carry the line
        raise ConfigurationError(f"{source}: not valid: {_position(exc)}") from None
    except RecursionError:
        raise ConfigurationError(f"{source}: nested too deeply to be a tenants file") from None


def _position(exc: Exception) -> str:
    """Where a parser failed, without the document text (a pasted secret could be in it)."""
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
    return str(exc)  # tomllib's messages name the problem and the position, never the text


def _parser_for(path: Path) -> Callable[[str], Any]:
    suffix = path.suffix.lower()
    if suffix == ".toml":
        return tomllib.loads
    if suffix == ".json":
        return json.loads
    if suffix in {".yaml", ".yml"}:
        return _yaml_parser(str(path))
    raise ConfigurationError(f"{path}: unknown format; name the file .toml, .yaml, .yml or .json")


def _yaml_parser(source: str) -> Callable[[str], Any]:
    try:
        import yaml  # noqa: PLC0415 - optional extra, imported only when a YAML file is loaded
    except ImportError:
        raise ConfigurationError(f"{source}: YAML needs PyYAML: pip install 'sfshield[yaml]'") from None

    def parse(text: str) -> Any:
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            raise ConfigurationError(f"{source}: not valid YAML{where}") from None

    return parse
