"""delete_module(2): kernel/module/main.c SYSCALL_DEFINE2(delete_module)."""

import errno

from ..abi.module import MODULE_NAME_LEN, MODULE_REF_BASE
from ..errors import LoadError
from ..kernel import taint as T
from ..kernel.module import ModuleState
from .init import free_module

O_NONBLOCK = 0o4000
O_TRUNC = 0o1000       # "force": rmmod -f


def _try_force_unload(kernel, flags: int) -> bool:
    if kernel.config.force_unload and flags & O_TRUNC:
        kernel.add_taint(T.TAINT_FORCED_RMMOD)
        return True
    return False


def delete_module(kernel, name: str, flags: int = O_NONBLOCK) -> None:
    """Unload ``name``.  Errors: EPERM (modules disabled), ENOENT (not loaded),
    EWOULDBLOCK (used by other modules, or references held and not forced), EBUSY
    (not LIVE, or init without exit and not forced)."""
    step = "delete_module"
    if kernel.config.modules_disabled:
        raise LoadError(errno.EPERM, step, "module loading/unloading is disabled")
    name = name[:MODULE_NAME_LEN - 1]
    mod = kernel.find_module(name)
    if mod is None:
        raise LoadError(errno.ENOENT, step, f"module {name} is not loaded")
    if mod.sources:
        raise LoadError(errno.EWOULDBLOCK, step, f"{name} is in use by: {' '.join(sorted(mod.sources))}")
    if mod.state != ModuleState.LIVE:
        raise LoadError(errno.EBUSY, step, f"{name} is {mod.state.name.lower()}, not live")
    if mod.init_fn and not mod.exit_fn and not _try_force_unload(kernel, flags):
        raise LoadError(errno.EBUSY, step, f"{name} has an init function but no exit function")
    if mod.refcnt - MODULE_REF_BASE != 0 and not _try_force_unload(kernel, flags):
        raise LoadError(errno.EWOULDBLOCK, step, f"{name} has {mod.refcnt - MODULE_REF_BASE} references")
    mod.set_state(ModuleState.GOING)
    mod.refcnt = 0
    kernel.unregister("notifier", mod.name)   # MODULE_STATE_GOING
    kernel.unregister("ftrace", mod.name)     # ftrace_release_mod
    kernel.last_unloaded = mod.name
    free_module(kernel, mod)
