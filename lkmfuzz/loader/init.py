"""do_init_module() and free_module().

The model cannot run the module's init: it checks that mod->init (relocated into
struct module by modpost's relocation) points into the module's text, and takes
the result the caller asked for (0 by default).
"""

from ..abi.types import U64
from ..kernel.alloc import AllocFailed
from ..kernel.module import ModuleState
from .arch import module_arch_cleanup
from .kparams import destroy_params, release_params
from .strict_rwx import module_enable_protections
from .symbols import module_unload_free
from .sysfs import mod_sysfs_teardown


def read_init_exit(info) -> None:
    """mod->init / mod->exit from the relocated struct module (in core memory)."""
    mod, space, profile = info.mod, info.kernel.alloc.space, info.kernel.profile
    this_module = info.sechdrs[info.index.mod].sh_addr
    mod.init_fn = space.unpack(U64, this_module + profile.struct_module.init_offset, "struct module init")[0]
    mod.exit_fn = space.unpack(U64, this_module + profile.struct_module.exit_offset, "struct module exit")[0]


def do_init_module(info, init_result: int = 0) -> None:
    """Requires: a COMING module in sysfs.  Sets: state LIVE, init memory freed,
    ro_after_init read-only, refcount dropped to its base.  Errors: ENOMEM (freeinit),
    the init function's negative result; on any error the module is freed (the
    fail_free_freeinit / fail labels)."""
    kernel, mod = info.kernel, info.mod
    try:
        mod.freeinit = kernel.alloc.alloc("kmalloc", "do_init_module", 24, mod.name, tag="freeinit")
        ret = _call_init(info, init_result)
        if ret < 0:
            raise info.refuse(-ret, f"{mod.name}: init returned {ret}")
    except BaseException:
        if mod.freeinit is not None:
            info.undo.ran.append("fail_free_freeinit")
            kernel.alloc.free(mod.freeinit)
            mod.freeinit = None
        info.undo.ran.append("fail")
        _init_failed(kernel, mod)
        raise
    if ret > 0:
        kernel.printk(f"do_init_module: '{mod.name}'->init suspiciously returned {ret}, it should follow 0/-E "
                      f"convention")
    mod.set_state(ModuleState.LIVE)
    mod.refcnt -= 1                       # drop the initial reference
    module_enable_protections(mod, after_init=True)
    free_init_memory(kernel, mod)         # by the init_free_wq worker
    kernel.alloc.free(mod.freeinit)
    mod.freeinit = None


def _call_init(info, init_result: int) -> int:
    mod = info.mod
    if not mod.init_fn:
        return 0
    if not mod.within_text(mod.init_fn):
        info.unchecked(f"init function pointer {mod.init_fn:#x} is outside the module's text")
        # A kernel function is mapped code (the model cannot run it, as it cannot run the
        # module's); anywhere else the call faults.
        info.kernel.read_code(mod.init_fn, 1, "do_one_initcall: init function")
    try:
        info.kernel.alloc.fault_point("module_init", "do_one_initcall")
    except AllocFailed as failed:
        return -failed.errno
    return init_result


def _init_failed(kernel, mod) -> None:
    """do_init_module()'s fail label: GOING, drop the init reference, the GOING notifier,
    ftrace_release_mod(), free_module()."""
    mod.set_state(ModuleState.GOING)
    mod.refcnt -= 1
    kernel.unregister("notifier", mod.name)
    kernel.unregister("ftrace", mod.name)
    free_module(kernel, mod)


def free_module(kernel, mod) -> None:
    """Tear down a formed module, for unload and for a failed init."""
    mod_sysfs_teardown(kernel, mod)
    mod.set_state(ModuleState.UNFORMED)
    module_arch_cleanup(kernel, mod)
    module_unload_free(kernel, mod)
    destroy_params(kernel, mod)
    kernel.alloc.free(mod.elf_copy)      # free_module_elf() of a livepatch module
    mod.elf_copy = None
    unlink_module(kernel, mod)
    kernel.unregister("bug_list", mod.name)
    free_init_memory(kernel, mod)
    kernel.alloc.free(mod.args_alloc)
    kernel.alloc.free(mod.percpu)
    free_module_memory(kernel, mod)
    mod.args_alloc = mod.percpu = None
    release_params(mod)


def free_init_memory(kernel, mod) -> None:
    """The init regions go; what is left of the module's memory is its core."""
    for region in mod.init_regions():
        kernel.alloc.free(mod.mem.pop(region))
    mod.spans = [span for span in mod.spans if not span.init]


def free_module_memory(kernel, mod) -> None:
    for area in mod.mem.values():
        kernel.alloc.free(area)
    mod.mem.clear()


def unlink_module(kernel, mod) -> None:
    kernel.unlink_module(mod)


__all__ = ["do_init_module", "free_init_memory", "free_module", "free_module_memory", "read_init_exit",
           "unlink_module"]
