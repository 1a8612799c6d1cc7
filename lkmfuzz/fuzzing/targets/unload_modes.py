"""What follows a successful load: the unload modes of ``lkmfuzz.case.UNLOAD_MODES``.

Each returns the invariant violations; each ends with the module unloaded (forced) and
the kernel compared with its state before the load.  A refused delete_module is a
verdict like any other: only what escapes it or breaks an invariant is a finding.
"""

import dataclasses

from ...case import UNLOAD_MODES
from ...errors import LoadError
from ...invariants import Violation, check_unchanged, snapshot
from ...kernel.kernel import Kernel
from ...loader import O_NONBLOCK, O_TRUNC, delete_module
from ...properties import unload_and_check
from . import kernels

ABSENT_MODULE = "lkmfuzz_never_loaded"


def _try_delete(kernel: Kernel, name: str, flags: int = O_NONBLOCK) -> LoadError | None:
    try:
        delete_module(kernel, name, flags)
    except LoadError as refused:
        return refused
    return None


def unload_forced(kernel, case, result, before) -> list:
    """rmmod -f, as every target did before scenarios."""
    return unload_and_check(kernel, result, before)


def unload_plain(kernel, case, result, before) -> list:
    """rmmod without -f: EBUSY for init without exit, else the module is gone."""
    if _try_delete(kernel, result.name) is None:
        return check_unchanged(before, kernel, "delete_module")
    return unload_and_check(kernel, result, before)


def unload_absent_first(kernel, case, result, before) -> list:
    if _try_delete(kernel, ABSENT_MODULE) is None:
        return [Violation("unload", "delete_module", f"{ABSENT_MODULE}, never loaded, was unloaded")]
    return unload_and_check(kernel, result, before)


def _unload_held(kernel, result, before, forced: bool) -> list:
    """A user holds a reference (try_module_get) while delete_module runs: only a
    forced unload may go ahead."""
    result.module.refcnt += 1
    if _try_delete(kernel, result.name, O_NONBLOCK | (O_TRUNC if forced else 0)) is None:
        if not forced:
            return [Violation("unload", "delete_module", f"{result.name} was unloaded while a reference was held")]
        return check_unchanged(before, kernel, "delete_module")
    result.module.refcnt -= 1      # module_put
    return unload_and_check(kernel, result, before)


def unload_held(kernel, case, result, before) -> list:
    return _unload_held(kernel, result, before, forced=False)


def unload_held_forced(kernel, case, result, before) -> list:
    return _unload_held(kernel, result, before, forced=True)


def unload_dependency_first(kernel, case, result, before) -> list:
    """Delete the preloaded module first: EWOULDBLOCK while this one uses it.  When it
    goes, the kernel must end as one where it was loaded and unloaded alone."""
    preloaded = [m.name for m in kernel.modules if m is not result.module]
    if not preloaded or _try_delete(kernel, preloaded[0]) is not None:
        return unload_and_check(kernel, result, before)
    reference = kernels.fresh_kernel(case)
    delete_module(reference, preloaded[0])
    return unload_and_check(kernel, result, snapshot(reference))


def unload_disabled(kernel, case, result, before) -> list:
    """sysctl kernel.modules_disabled=1 after the load: delete_module is EPERM.  (The
    model then re-enables it to clean up and check, which the real switch cannot.)"""
    config = kernel.config
    kernel.config = dataclasses.replace(config, modules_disabled=True)
    refused = _try_delete(kernel, result.name)
    kernel.config = config
    if refused is None:
        return [Violation("unload", "delete_module", f"{result.name} was unloaded with modules_disabled=1")]
    return unload_and_check(kernel, result, before)


AFTER_LOAD = {
    "forced": unload_forced,
    "plain": unload_plain,
    "absent": unload_absent_first,
    "held": unload_held,
    "held-forced": unload_held_forced,
    "dependency": unload_dependency_first,
    "disabled": unload_disabled,
}
assert tuple(AFTER_LOAD) == UNLOAD_MODES, "one function per unload mode, in the case model's order"
