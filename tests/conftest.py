"""Shared test configuration."""
import os

from hypothesis import HealthCheck, settings

_quiet = [HealthCheck.too_slow]
settings.register_profile("dev", max_examples=60, deadline=None, suppress_health_check=_quiet)
settings.register_profile("ci", max_examples=150, deadline=None, suppress_health_check=_quiet)
settings.register_profile("thorough", max_examples=2000, deadline=None, suppress_health_check=_quiet)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

from tests.helpers.cassandra import cassandra_address, cassandra_url  # noqa: E402,F401  (fixtures)

