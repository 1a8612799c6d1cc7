"""The simulated kernel a test case runs on, and the system call it makes.

``fresh_kernel`` builds the case's kernel (profile, config, trusted keys, preloaded
modules) or thaws a frozen copy of one built before; ``Resumable`` keeps a load
stopped before its arguments so that cases differing only in them skip the rest.
The execution (``targets.execution``) and the unload modes (``targets.unload_modes``)
call these through this module, so a test may replace them here.
"""

import dataclasses
import pickle
from dataclasses import dataclass

from ...case import TestCase
from ...invariants import KernelState, snapshot
from ...kernel.kernel import Kernel
from ...kernel.profile import get_profile
from ...loader import LoadResult, finit_module, init_module
from ..checkpoint import Checkpoint, CheckpointError, Frozen, all_dense, shared_by_loads


def run_syscall(kernel: Kernel, case: TestCase) -> LoadResult:
    if case.syscall == "init_module":
        return init_module(kernel, case.module, case.arg_bytes, fault_plan=case.plan, init_result=case.init_result)
    return finit_module(kernel, case.module, case.arg_bytes, case.flags, fault_plan=case.plan,
                        init_result=case.init_result)


# Kernels with modules preloaded, frozen by what builds them (profile, config, trusted
# keys, preloads): a preload is a whole load, and thawing a copy costs a fifth of it.
# Campaigns preload from a few corpus modules, so a few dozen cover them; a case that
# preloads its own (mutated) module is rarely repeated and is not kept.
FROZEN_KERNELS: dict[tuple, Frozen | None] = {}
FROZEN_KERNELS_MAX = 128


def fresh_kernel(case: TestCase) -> Kernel:
    """The kernel a case runs on: its profile and config, extra trusted keys, its preloads.
    Every call returns an independent kernel, built or thawed: the same either way
    (tests/test_fuzzing.py checks it)."""
    key = (case.profile, case.config, case.trusted, case.preload)
    frozen = FROZEN_KERNELS.get(key)
    if frozen is not None:
        return frozen.thaw()
    kernel = build_kernel(case)
    if (case.preload and case.module not in case.preload and key not in FROZEN_KERNELS
            and len(FROZEN_KERNELS) < FROZEN_KERNELS_MAX):
        FROZEN_KERNELS[key] = freeze_kernel(kernel)     # None: cannot be frozen, build it each time
    return kernel


def build_kernel(case: TestCase) -> Kernel:
    kernel = Kernel(get_profile(case.profile, **dict(case.config)))
    for cert in case.trusted:
        kernel.keyring.add_certificate(cert)
    for dep in case.preload:
        finit_module(kernel, dep)
    return kernel


def freeze_kernel(kernel: Kernel) -> "Frozen | None":
    if not all_dense(kernel):
        return None
    try:
        return Frozen(kernel, shared_by_loads(kernel))
    except (TypeError, pickle.PicklingError):
        return None      # something in the state is not picklable: build such kernels every time


@dataclass(frozen=True)
class Resumable:
    """A case's load stopped before its first look at the arguments (a loader
    Checkpoint), so that cases differing only in ``args`` skip the common prefix.
    Resuming gives the same verdict, trace and kernel as a fresh run
    (tests/test_fuzzing.py checks it)."""
    base: TestCase
    checkpoint: Checkpoint
    before: KernelState     # the invariants' snapshot of the kernel before the load

    @classmethod
    def prepare(cls, case: TestCase) -> "Resumable":
        """Raises CheckpointError when the case cannot get that far, or has a fault plan
        (fail-nth counts from the start of an attempt, so a resumed one cannot honour it)."""
        if not case.plan.empty:
            raise CheckpointError("a case with a fault plan cannot be resumed")
        kernel = fresh_kernel(case)
        before = snapshot(kernel)
        return cls(dataclasses.replace(case, args=""), Checkpoint(kernel, case.module, case.flags), before)

    def fits(self, case: TestCase) -> bool:
        return dataclasses.replace(case, args="") == self.base

    def resume(self, case: TestCase) -> tuple[Kernel, LoadResult]:
        """The load of ``case`` (which fits) finished from the checkpoint: with its
        arguments and its init result, on a fresh copy of the stopped kernel."""
        kernel, result = self.checkpoint.resume(case.arg_bytes, case.init_result)
        # Checkpoint.resume() declares the kernel it thaws as object; it is this load's Kernel.
        assert isinstance(kernel, Kernel), f"a checkpoint resumed on {type(kernel).__name__}, not a Kernel"
        return kernel, result
