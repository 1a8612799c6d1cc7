"""The system calls: finit_module(2) and init_module(2), up to load_module().

finit_module reads the file (kernel_read_file: an empty file is EINVAL) and checks
the flags; init_module copies ``len`` bytes from user space and refuses anything
shorter than an ELF header before even looking at a signature.  Both hand over a
LoadInfo to load_module(); this module turns its verdict into a LoadResult.
"""

import errno

from ..elf.reader import Image
from ..errors import LoadError, Verdict
from ..faults import FaultPlan
from ..kernel.alloc import AllocFailed
from .context import MODULE_INIT_COMPRESSED_FILE, LoadInfo
from .main import VALID_FLAGS, LoadResult, UndoStack, load_module

EHDR_SIZE = 64


def finit_module(kernel, data: bytes, args: str = "", flags: int = 0, *,
                 fault_plan: FaultPlan | None = None, init_result: int = 0) -> LoadResult:
    """What `insmod FILE args` does: finit_module(fd, args, flags)."""
    kernel.set_fault_plan(fault_plan)
    step = "finit_module"
    if kernel.config.modules_disabled:
        return LoadResult(LoadError(errno.EPERM, step, "module loading is disabled"))
    if flags & ~VALID_FLAGS:
        return LoadResult(LoadError(errno.EINVAL, step, f"flags {flags:#x} outside "
                                                        f"IGNORE_MODVERSIONS|IGNORE_VERMAGIC|COMPRESSED_FILE"))
    if not data:
        return LoadResult(LoadError(errno.EINVAL, "kernel_read_file", "empty file"))
    if flags & MODULE_INIT_COMPRESSED_FILE and not kernel.config.module_decompress:
        return LoadResult(LoadError(errno.EOPNOTSUPP, "module_decompress",
                                    "kernel built without CONFIG_MODULE_DECOMPRESS"))
    return _load(kernel, data, args, flags, "kernel_read_file", init_result)


def init_module(kernel, data: bytes, args: str = "", *,
                fault_plan: FaultPlan | None = None, init_result: int = 0) -> LoadResult:
    """init_module(umod, len, args): the module image from memory, flags 0."""
    kernel.set_fault_plan(fault_plan)
    step = "init_module"
    if kernel.config.modules_disabled:
        return LoadResult(LoadError(errno.EPERM, step, "module loading is disabled"))
    if len(data) < EHDR_SIZE:
        return LoadResult(LoadError(errno.ENOEXEC, "copy_module_from_user", f"len {len(data)} < sizeof(Elf64_Ehdr)"))
    return _load(kernel, data, args, 0, "copy_module_from_user", init_result)


def _load(kernel, data: bytes, args: str, flags: int, reader: str, init_result: int) -> LoadResult:
    info = LoadInfo(kernel=kernel, image=Image(data), flags=flags, args=args, len=len(data))
    info.undo = UndoStack(info)
    try:
        info.copy = kernel.alloc.alloc("vmalloc", reader, len(data), None, backed=True, tag="module copy")
    except AllocFailed as failed:
        return LoadResult(LoadError(failed.errno, reader, f"{failed.site} of {len(data)} bytes failed"))
    kernel.alloc.space.write(info.copy.addr, bytes(data), reader, check_perm=False)
    info.undo.push("free_copy")
    try:
        load_module(info, init_result)
    except Verdict as verdict:
        info.undo.unwind()
        return LoadResult(verdict, info.name, info.trace, info.undo.ran, info.mod)
    return LoadResult(None, info.mod.name, info.trace, [], info.mod)
