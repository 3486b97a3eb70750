"""Shared test configuration: hypothesis profiles (``default`` for the gate, ``slow`` for `nox -s slow`)."""

from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=60, deadline=None)
settings.register_profile("slow", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("default")
