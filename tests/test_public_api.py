"""The front doors: pinned __all__ (sfshield, sfshield.salesforce), no side effects at import, one error tree."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import sfshield
import sfshield.salesforce
from sfshield import exceptions

PUBLIC = [
    "Action",
    "AuditPipeline",
    "Classification",
    "ComplianceGroup",
    "FieldContext",
    "FieldDecision",
    "FieldFilter",
    "FieldLabel",
    "FilterResult",
    "JsonlAuditSink",
    "PseudonymKey",
    "Purpose",
    "RecordDecision",
    "Rule",
    "Sensitivity",
    "Shield",
    "ShieldError",
    "__version__",
    "labels_from_custom_metadata",
    "labels_from_field_definitions",
    "load_classification",
]

SALESFORCE = [
    "CALL_OPTIONS",
    "TENANTS_FILE_VARIABLE",
    "AccessToken",
    "ApiUsage",
    "Grant",
    "LabelSource",
    "OAuthFlow",
    "OrgLabels",
    "PrivilegeReport",
    "RequestPolicy",
    "TenantClient",
    "TenantConfig",
    "TenantRegistry",
    "TokenManager",
    "check_privileges",
    "client_credentials",
    "enforce",
    "iter_query",
    "jwt_bearer",
    "load_org_labels",
    "revoke",
    "translate_error",
    "translate_errors",
    "verify_grant",
]
"""sfshield.salesforce's door: the same names whichever of its modules defines them."""


class TestFrontDoor:
    def test_all_is_pinned_and_sorted(self) -> None:
        """sfshield.__all__ is exactly the pinned list, sorted, and every name resolves."""
        assert sfshield.__all__ == PUBLIC == sorted(PUBLIC)
        assert all(hasattr(sfshield, name) for name in PUBLIC)

    def test_import_has_no_side_effects(self) -> None:
        """Importing sfshield configures no logging, imports no optional extra, and loads its parts on first use."""
        code = (
            "import logging, sys; import sfshield; "
            "assert not logging.getLogger().handlers; "
            "assert not logging.getLogger('sfshield').handlers; "
            "assert 'yaml' not in sys.modules; "
            "assert 'pydantic' not in sys.modules; "
            "assert sfshield.Shield.__name__ == 'Shield'; "
            "assert 'pydantic' in sys.modules; "
            "assert set(sfshield.__all__) <= set(dir(sfshield))"
        )
        subprocess.run([sys.executable, "-c", code], check=True)

    def test_crypto_and_dlp_import_without_the_policy_engine(self) -> None:
        """The cipher and the scanner can be used alone without importing pydantic (fast start-up)."""
        code = "import sys; import sfshield.crypto, sfshield.dlp; assert 'pydantic' not in sys.modules"
        subprocess.run([sys.executable, "-c", code], check=True)

    def test_the_package_is_typed(self) -> None:
        """The package ships py.typed so type checkers use its annotations."""
        assert Path(inspect.getfile(sfshield)).with_name("py.typed").is_file()


class TestErrorTree:
    ERRORS: ClassVar[list[type[Exception]]] = [
        obj for _, obj in inspect.getmembers(exceptions, inspect.isclass) if issubclass(obj, Exception)
    ]

    def test_every_error_is_a_shield_error(self) -> None:
        """Every exception class sfshield defines derives from ShieldError."""
        assert all(issubclass(error, exceptions.ShieldError) for error in self.ERRORS)

    def test_the_docstring_draws_every_error(self) -> None:
        """The tree in exceptions.py's docstring names every error class, so the drawing cannot go stale."""
        doc = exceptions.__doc__ or ""
        assert [e.__name__ for e in self.ERRORS if e.__name__ not in doc] == []

    def test_every_error_is_exported(self) -> None:
        """exceptions.__all__ lists every error class."""
        assert sorted(e.__name__ for e in self.ERRORS) == sorted(exceptions.__all__)


class TestSalesforceDoor:
    def test_all_is_pinned(self) -> None:
        """sfshield.salesforce.__all__ is exactly the pinned list, and every name resolves."""
        assert sfshield.salesforce.__all__ == SALESFORCE
        assert all(hasattr(sfshield.salesforce, name) for name in SALESFORCE)

    def test_each_class_and_function_has_one_owning_module(self) -> None:
        """Each re-exported class or function is listed in the __all__ of the module that defines it."""
        exported = [getattr(sfshield.salesforce, name) for name in SALESFORCE]
        owned = [obj for obj in exported if inspect.isclass(obj) or inspect.isfunction(obj)]
        assert owned
        assert [o.__name__ for o in owned if o.__name__ not in sys.modules[o.__module__].__all__] == []
        assert all(o.__module__.startswith("sfshield.salesforce.") for o in owned)
