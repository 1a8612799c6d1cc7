"""Thousands of random byte mutations of each seed: the loader always returns a verdict.

The only outcomes allowed are a loaded module, an errno, or (linux-6.1 only) a
kernel-fault prediction — never a Python exception, never a hang, and a refused
load leaves the kernel as it was.  Deterministic: a fixed seed per (seed, profile).
"""

import random
import time
import zlib

import pytest
from conftest import DEPENDS, SEEDS, seed_bytes
from kstate import snapshot

from lkmfuzz.errors import KernelFault, LoadError
from lkmfuzz.kernel.kernel import Kernel
from lkmfuzz.loader import delete_module, finit_module

MUTANTS_PER_SEED = 1500
PER_INPUT_BOUND_S = 30.0  # a hang bound only (a busy 2-core CI took 2.7 s); speed is in benchmarks/


def mutate(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        choice = rng.random()
        pos = rng.randrange(len(out))
        if choice < 0.7:
            out[pos] = rng.randrange(256)
        elif choice < 0.85:
            out[pos:pos + 4] = rng.choice([b"\0\0\0\0", b"\xff\xff\xff\xff", b"\0\0\0\x80", b"\x01\0\0\0"])
        else:
            del out[pos:pos + rng.randint(1, 64)]
    return bytes(out)


@pytest.mark.slow
@pytest.mark.parametrize("name", SEEDS)
def test_random_mutants_only_give_verdicts(profile, name):
    rng = random.Random(zlib.crc32(f"{name}/{profile}".encode()))
    seed = seed_bytes(name)
    outcomes = {}
    worst = 0.0
    for _ in range(MUTANTS_PER_SEED):
        data = mutate(rng, seed)
        kernel = Kernel(profile)
        for dep in DEPENDS.get(name, ()):
            assert finit_module(kernel, seed_bytes(dep)).ok
        before = snapshot(kernel)
        start = time.perf_counter()
        result = finit_module(kernel, data)
        worst = max(worst, time.perf_counter() - start)
        outcomes[result.kind] = outcomes.get(result.kind, 0) + 1
        if result.ok:
            delete_module(kernel, result.name, 0o1000)
        else:
            assert isinstance(result.verdict, (LoadError, KernelFault))
            if isinstance(result.verdict, KernelFault):
                assert profile == "linux-6.1", f"hardened predicted a kernel fault: {result}"
        assert snapshot(kernel) == before, f"{result} left state behind"
    assert worst < PER_INPUT_BOUND_S
    assert sum(outcomes.values()) == MUTANTS_PER_SEED
    assert outcomes.get("loaded", 0) > 0 and outcomes.get("ENOEXEC", 0) > 0, outcomes
