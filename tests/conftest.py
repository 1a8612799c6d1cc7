"""Shared fixtures: the seed corpus, fresh simulated kernels, Hypothesis profiles."""

import os
from pathlib import Path

import pytest
from hypothesis import settings

from lkmfuzz.kernel.kernel import Kernel
from lkmfuzz.pytest_plugin import PROFILES, register_profiles

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SEEDS = ("hello", "consumer", "initexit", "relocs", "arrparam", "proprietary", "percpu", "livepatch")
DEPENDS = {"consumer": ("hello",)}

# The profiles dev, ci and thorough come from lkmfuzz's pytest plugin (lkmfuzz/pytest_plugin.py,
# entry point pytest11), which loads HYPOTHESIS_PROFILE when it is set; without it this
# suite runs ci on CI and dev elsewhere.
register_profiles()
if os.environ.get("HYPOTHESIS_PROFILE") not in PROFILES:
    settings.load_profile("ci" if os.environ.get("CI") else "dev")


def seed_bytes(name: str) -> bytes:
    return (CORPUS / f"{name}.ko").read_bytes()


@pytest.fixture(scope="session")
def seeds() -> dict:
    return {name: seed_bytes(name) for name in SEEDS}


@pytest.fixture
def hello() -> bytes:
    return seed_bytes("hello")


@pytest.fixture(params=["hardened", "linux-6.1"])
def profile(request) -> str:
    return request.param


@pytest.fixture
def kernel(profile) -> Kernel:
    return Kernel(profile)
