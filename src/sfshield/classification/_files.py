"""Loading a policy from a TOML, YAML or JSON file, with errors that name the file and the line or key.

The three formats carry the same document (see ``docs/reference/policy-format.md``). TOML and JSON need nothing
beyond the standard library; YAML needs the ``yaml`` extra (``pip install 'sfshield[yaml]'``).
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sfshield.classification._policy import Classification
from sfshield.exceptions import PolicyLoadError

__all__ = ["load_classification", "parse_classification"]

_MAX_POLICY_BYTES = 16 * 1024 * 1024


def load_classification(path: str | Path, /) -> Classification:
    """Load a classification policy from a ``.toml``, ``.yaml``/``.yml`` or ``.json`` file.

    Raises:
        PolicyLoadError: the file is missing, unreadable, too large, not valid for its format, or does not
            describe a valid policy. The message names the file and the line or the key path.
    """
    path = Path(path)
    parser = _parser_for(path)
    text = _read(path)
    return parse_classification(text, parser=parser, source=str(path))


def parse_classification(
    text: str, /, *, parser: Callable[[str], Any] = tomllib.loads, source: str = "<string>"
) -> Classification:
    """Parse policy text with ``parser`` (TOML by default) and validate it.

    Raises:
        PolicyLoadError: as for :func:`load_classification`.
    """
    try:
        data = parser(text)
    except PolicyLoadError:
        raise
    except (ValueError, TypeError) as exc:  # tomllib/json errors are ValueErrors carrying line numbers
        raise PolicyLoadError(source, "", f"not valid: {exc}") from exc
    except RecursionError as exc:
        raise PolicyLoadError(source, "", "nested too deeply to be a policy") from exc
    if not isinstance(data, dict):
        raise PolicyLoadError(source, "", "the top level must be a table/mapping with `version` and `rules`")
    try:
        return Classification.model_validate(data)
    except ValidationError as exc:
        raise _load_error(source, exc) from exc


def _load_error(source: str, exc: ValidationError) -> PolicyLoadError:
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    location = ".".join(str(part) for part in first["loc"])
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    return PolicyLoadError(source, location, f"{first['msg']}{more}")


def _read(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > _MAX_POLICY_BYTES:
            raise PolicyLoadError(str(path), "", f"file is {size} bytes; a policy may be at most 16 MiB")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise PolicyLoadError(str(path), "", "no such file; check the path") from exc
    except UnicodeDecodeError as exc:
        raise PolicyLoadError(str(path), "", "not UTF-8 text") from exc
    except OSError as exc:
        raise PolicyLoadError(str(path), "", f"cannot read it ({exc.strerror})") from exc


def _parser_for(path: Path) -> Callable[[str], Any]:
    suffix = path.suffix.lower()
    if suffix == ".toml":
        return tomllib.loads
    if suffix == ".json":
        return json.loads
    if suffix in (".yaml", ".yml"):
        return _yaml_parser(str(path))
    raise PolicyLoadError(str(path), "", "unknown format; name the file .toml, .yaml, .yml or .json")


def _yaml_parser(source: str) -> Callable[[str], Any]:
    try:
        import yaml  # noqa: PLC0415 - optional extra, imported only when a YAML policy is loaded
    except ImportError as exc:
        raise PolicyLoadError(source, "", "YAML needs PyYAML: pip install 'sfshield[yaml]'") from exc

    def parse(text: str) -> Any:
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or "invalid YAML"
            raise PolicyLoadError(source, where, f"not valid YAML: {problem}") from exc

    return parse
