"""pytest plugin (entry point ``pytest11``): lkmfuzz's Hypothesis settings profiles in
any suite that has lkmfuzz installed, selected with HYPOTHESIS_PROFILE.

* ``dev`` — 50 examples, no deadline (lkmfuzz loads take milliseconds, not microseconds)
* ``ci`` — 200 examples, ``too_slow`` health check off
* ``thorough`` — 5000 examples

All three share one example database (``.hypothesis/examples`` under the directory
pytest runs in), so a failure ``thorough`` found replays in ``dev``.  The profile is
loaded only when HYPOTHESIS_PROFILE names it; a suite's own choice stands otherwise.
"""

import os

PROFILES = {
    "dev": {"max_examples": 50},
    "ci": {"max_examples": 200, "too_slow": True},
    "thorough": {"max_examples": 5000, "too_slow": True},
}


def register_profiles() -> bool:
    """Register the profiles with Hypothesis; False when Hypothesis is not installed
    (it is an optional dependency: lkmfuzz's `test` extra)."""
    try:
        from hypothesis import HealthCheck, settings
        from hypothesis.database import DirectoryBasedExampleDatabase
    except ImportError:
        return False
    database = DirectoryBasedExampleDatabase(os.path.join(".hypothesis", "examples"))
    for name, spec in PROFILES.items():
        suppress = [HealthCheck.too_slow] if spec.get("too_slow") else []
        settings.register_profile(name, max_examples=spec["max_examples"], deadline=None, database=database,
                                  suppress_health_check=suppress)
    return True


def pytest_configure(config) -> None:
    if register_profiles() and os.environ.get("HYPOTHESIS_PROFILE") in PROFILES:
        from hypothesis import settings
        settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])
