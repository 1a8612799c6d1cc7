"""The fuzz targets by name, and the decoder (raw input -> TestCase) of each."""

from . import faults, load, params, scenario, signature

# Each target module's decoder(profile) returns its bytes -> TestCase function.
_TARGET_MODULES = {"load": load, "faults": faults, "params": params, "signature": signature,
                   "scenario": scenario}
TARGETS = tuple(_TARGET_MODULES)


def decoder_for(target: str, profile: str = "hardened"):
    """The function a target's raw inputs go through: bytes -> TestCase.  Replaying a
    campaign's corpus must use its own target's decoder (benchmarks/coverage_compare.py)."""
    if target not in _TARGET_MODULES:
        raise ValueError(f"unknown target {target!r}; choose one of: {', '.join(TARGETS)}")
    return _TARGET_MODULES[target].decoder(profile)
