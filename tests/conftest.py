"""Shared fixtures: the seed corpus, fresh simulated kernels, Hypothesis profiles."""

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from lkmfuzz.kernel.kernel import Kernel

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SEEDS = ("hello", "consumer", "initexit", "relocs", "arrparam", "proprietary", "percpu", "livepatch")
DEPENDS = {"consumer": ("hello",)}

# One example database for every profile, so a failure found by `thorough` replays in `dev`.
DATABASE = DirectoryBasedExampleDatabase(str(ROOT / ".hypothesis" / "examples"))
settings.register_profile("dev", max_examples=50, deadline=None, database=DATABASE)
settings.register_profile("ci", max_examples=200, deadline=None, database=DATABASE,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=5000, deadline=None, database=DATABASE,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


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
