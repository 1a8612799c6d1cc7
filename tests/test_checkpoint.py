"""Checkpoints: a load resumed before copy_args() must be the load run from scratch."""

import random

import pytest
from conftest import seed_bytes
from hypothesis import given, settings
from hypothesis import strategies as st

from lkmfuzz.case import TestCase
from lkmfuzz.faults import FaultPlan
from lkmfuzz.fuzzing.checkpoint import Checkpoint, CheckpointError
from lkmfuzz.fuzzing.targets import Finding, Resumable, execute
from lkmfuzz.invariants import snapshot
from lkmfuzz.kernel.kernel import Kernel
from lkmfuzz.loader import finit_module
from lkmfuzz.mutate.params import mutate_params

ARGS = ["", "myint=5", "myint=abc", "myint=99999999999999999999", "myint", "mybool=y myshort=-3 mylong=99",
        'mycharp="a b c"', "mycharp=x mycharp=y", "nosuch=1", "-- tail", "async_probe", "myint=5 -- rest",
        "ints=1,2,3", "ints=1,2,3,4,5,6,7,8,9", "names=a,b", "buf=0123456789abcdef0123456789"]
SEEDS_WITH_PARAMS = ("hello", "arrparam")


def outcome(kernel, result) -> tuple:
    """Everything a load leaves that a caller could see."""
    return (str(result.verdict), result.name, result.trace, result.unwound, snapshot(kernel), kernel.log,
            kernel.taint)


@pytest.mark.parametrize("profile", ["hardened", "linux-6.1"])
@pytest.mark.parametrize("seed", SEEDS_WITH_PARAMS)
def test_resumed_load_is_the_fresh_load(seed, profile):
    data = seed_bytes(seed)
    checkpoint = Checkpoint(Kernel(profile), data)
    for args in ARGS:
        fresh = Kernel(profile)
        assert outcome(*checkpoint.resume(args)) == outcome(fresh, finit_module(fresh, data, args)), args


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2 ** 32), rounds=st.integers(1, 4))
def test_resumed_load_is_the_fresh_load_for_mutated_arguments(seed, rounds):
    rng, data = random.Random(seed), b"myint=1 mystr=x"
    for _ in range(rounds):
        data = mutate_params(data, rng, 512)
    args = data.decode("latin-1")
    module = seed_bytes("hello")
    fresh = Kernel("hardened")
    assert outcome(*CHECKPOINT_HELLO.resume(args)) == outcome(fresh, finit_module(fresh, module, args))


CHECKPOINT_HELLO = Checkpoint(Kernel("hardened"), seed_bytes("hello"))


def test_each_resume_starts_from_the_checkpoint_not_from_the_last_resume():
    kernel, first = CHECKPOINT_HELLO.resume("myint=5")
    assert first.ok and kernel.find_module("hello") is not None
    kernel2, second = CHECKPOINT_HELLO.resume("myint=5")   # not EEXIST: a fresh copy
    assert second.ok and kernel2 is not kernel


def test_a_load_refused_before_the_step_cannot_be_checkpointed():
    damaged = b"\x7fELF" + bytes(60)
    with pytest.raises(CheckpointError, match="cannot stop before copy_args"):
        Checkpoint(Kernel("hardened"), damaged)
    kernel = Kernel("hardened")
    before = snapshot(kernel)
    with pytest.raises(CheckpointError, match="ENOENT"):
        Checkpoint(kernel, seed_bytes("consumer"))          # hello's exports are missing
    assert snapshot(kernel) == before                      # the refused prefix was unwound


def test_a_case_with_a_fault_plan_is_not_resumable():
    with pytest.raises(CheckpointError, match="fault plan"):
        Resumable.prepare(TestCase(module=seed_bytes("hello"), plan=FaultPlan(fail_nth=3)))


def test_execute_resumes_only_cases_that_fit():
    resumable = Resumable.prepare(TestCase(module=seed_bytes("hello")))
    assert resumable.fits(TestCase(module=seed_bytes("hello"), args="myint=3"))
    assert not resumable.fits(TestCase(module=seed_bytes("hello"), args="myint=3", flags=1))
    assert not resumable.fits(TestCase(module=seed_bytes("arrparam")))
    resumed = execute(TestCase(module=seed_bytes("hello"), args="myint=abc"), resumable)
    assert resumed.kind == "EINVAL"
    other = execute(TestCase(module=seed_bytes("arrparam"), args="ints=1,2"), resumable)   # runs from scratch
    assert other.ok and other.name == "arrparam"


def test_a_finding_in_the_resumed_part_is_still_a_finding(monkeypatch):
    from lkmfuzz.loader import main
    resumable = Resumable.prepare(TestCase(module=seed_bytes("hello")))
    monkeypatch.setattr(main, "destroy_params", lambda kernel, mod: None)   # a leak on the error path
    with pytest.raises(Finding) as found:
        execute(TestCase(module=seed_bytes("hello"), args='mycharp=leak myint=abc'), resumable)
    assert found.value.kind == "invariant"
