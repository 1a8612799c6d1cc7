"""The system calls: finit_module(2) and init_module(2), up to load_module().

finit_module reads the file (kernel_read_file: an empty file is EINVAL) and checks
the flags; init_module copies ``len`` bytes from user space and refuses anything
shorter than an ELF header before even looking at a signature.  Both hand over a
LoadInfo to load_module(); this module turns its verdict into a LoadResult.
"""

import errno
import lzma

from ..elf.reader import Image
from ..errors import LoadError, Verdict
from ..faults import FaultPlan
from ..kernel.alloc import AllocFailed
from .context import MODULE_INIT_COMPRESSED_FILE, LoadInfo
from .copy import CopyView
from .main import VALID_FLAGS, LoadResult, UndoStack, load_module, unwind_load

EHDR_SIZE = 64


def user_args(args: str | bytes) -> bytes:
    """The argument string as the kernel receives it: bytes.  A str is encoded like a
    command line (UTF-8; a lone surrogate from ``os.fsdecode`` back to its byte), bytes
    pass as they are, so any byte reaches the module as that byte."""
    if isinstance(args, str):
        return args.encode("utf-8", "surrogateescape")
    return bytes(args)


def finit_module(kernel, data: bytes, args: str | bytes = b"", flags: int = 0, *,
                 fault_plan: FaultPlan | None = None, init_result: int = 0) -> LoadResult:
    """What `insmod FILE args` does: finit_module(fd, args, flags).  ``args``: bytes, or a
    str encoded as UTF-8 (user_args())."""
    kernel.set_fault_plan(fault_plan)
    refused = finit_refusal(kernel, data, flags)
    if refused is not None:
        return LoadResult(refused)
    if flags & MODULE_INIT_COMPRESSED_FILE:
        inflated = module_decompress(kernel, data)
        if isinstance(inflated, LoadError):
            return LoadResult(inflated)
        data = inflated
    return _load(kernel, data, args, flags, "kernel_read_file", init_result)


XZ_MAGIC = b"\xfd7zXZ\x00"


def module_decompress(kernel, data: bytes) -> bytes | LoadError:
    """CONFIG_MODULE_DECOMPRESS with MODULE_COMPRESS_XZ (Debian's 6.12): the file is one xz
    stream, inflated page by page into the copy load_module() then works on.  Nothing
    bounds the output by the input (measured: 9.9 KB to 64 MiB); the model stops where
    the machine's memory would.  Errors: EINVAL (no xz magic, a stream that does not end
    cleanly), ENOMEM (the page array, or more than the machine holds)."""
    step = "module_decompress"
    if not data.startswith(XZ_MAGIC):
        return LoadError(errno.EINVAL, step, "not an xz compressed module")
    try:
        kernel.alloc.fault_point("vmalloc", "module_extend_max_pages")
    except AllocFailed as failed:
        return LoadError(failed.errno, step, "the page array of the decompressed copy")
    limit = kernel.config.module_alloc_max
    decompressor = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
    try:
        out = decompressor.decompress(data, max_length=limit + 1)
    except lzma.LZMAError as bad:
        return LoadError(errno.EINVAL, step, f"decompression failed ({bad})")
    if len(out) > limit:
        return LoadError(errno.ENOMEM, step, f"decompressed module larger than {limit:#x} bytes")
    if not decompressor.eof:
        return LoadError(errno.EINVAL, step, "decompression failed: the xz stream ends early")
    return out


def finit_refusal(kernel, data: bytes, flags: int) -> LoadError | None:
    """What finit_module() refuses before load_module(): disabled loading, bad flags,
    an empty file, a compressed one on a kernel without CONFIG_MODULE_DECOMPRESS."""
    step = "finit_module"
    if kernel.config.modules_disabled:
        return LoadError(errno.EPERM, step, "module loading is disabled")
    if flags & ~VALID_FLAGS:
        return LoadError(errno.EINVAL, step, f"flags {flags:#x} outside IGNORE_MODVERSIONS|IGNORE_VERMAGIC|"
                                             f"COMPRESSED_FILE")
    if not data:
        return LoadError(errno.EINVAL, "kernel_read_file", "empty file")
    if flags & MODULE_INIT_COMPRESSED_FILE and not kernel.config.module_decompress:
        return LoadError(errno.EOPNOTSUPP, "module_decompress", "kernel built without CONFIG_MODULE_DECOMPRESS")
    return None


def init_module(kernel, data: bytes, args: str | bytes = b"", *,
                fault_plan: FaultPlan | None = None, init_result: int = 0) -> LoadResult:
    """init_module(umod, len, args): the module image from memory, flags 0."""
    kernel.set_fault_plan(fault_plan)
    step = "init_module"
    if kernel.config.modules_disabled:
        return LoadResult(LoadError(errno.EPERM, step, "module loading is disabled"))
    if len(data) < EHDR_SIZE:
        return LoadResult(LoadError(errno.ENOEXEC, "copy_module_from_user", f"len {len(data)} < sizeof(Elf64_Ehdr)"))
    return _load(kernel, data, args, 0, "copy_module_from_user", init_result)


def _load(kernel, data: bytes, args: str | bytes, flags: int, reader: str, init_result: int) -> LoadResult:
    try:
        info = copy_module(kernel, data, args, flags, reader)
    except LoadError as refused:
        return LoadResult(refused)
    return finish_load(info, init_result)


def copy_module(kernel, data: bytes, args: str | bytes, flags: int, reader: str) -> LoadInfo:
    """The temporary copy load_module() works on (a vmalloc).  Sets: info.copy.alloc, the
    free_copy label.  Errors: ENOMEM (the copy's allocation)."""
    info = LoadInfo(kernel=kernel, copy=CopyView(Image(data, strict=kernel.hardened)), flags=flags,
                    args=user_args(args), len=len(data))
    info.undo = UndoStack()
    try:
        info.copy.alloc = kernel.alloc.alloc("vmalloc", reader, len(data), None, backed=True, tag="module copy")
    except AllocFailed as failed:
        raise LoadError(failed.errno, reader, f"{failed.site} of {len(data)} bytes failed") from None
    kernel.alloc.space.write(info.copy.alloc.addr, bytes(data), reader, check_perm=False)
    info.undo.push("free_copy")
    return info


def finish_load(info: LoadInfo, init_result: int = 0, start: int = 0) -> LoadResult:
    """load_module() from PIPELINE[start] on, and its verdict as a LoadResult."""
    try:
        load_module(info, init_result, start)
    except Verdict as verdict:
        verdict = unwind_load(info, verdict)
        return LoadResult(verdict, info.name, info.trace, info.undo.ran, info.mod, info.trusted)
    return LoadResult(None, info.mod.name, info.trace, [], info.mod, info.trusted)
