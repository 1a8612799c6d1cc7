"""Modversions: check_version() and check_modstruct_version() (kernel/module/version.c).

``__versions`` is an array of struct modversion_info { unsigned long crc;
char name[56]; }.  The kernel strcmp()s each name, so an unterminated name runs
into the next entry (or past the image); the model reads it the same way.
"""

import errno

from ..abi.module import MODVERSION_INFO_SIZE, MODVERSION_NAME_LEN, MODVERSION_NAME_OFFSET
from ..abi.types import U64
from .context import LoadInfo
from .copy import VERSIONS
from .modinfo import try_to_force_load


def check_version(info: LoadInfo, symname: str, crc: int | None) -> bool:
    """True when the module's recorded CRC for ``symname`` matches ``crc``.

    No CRC from the exporter or no __versions (force-load taints F) count as a
    match; a module with __versions but no entry for the symbol does not (Debian's
    6.1.192, as the qemu oracle measured: "no symbol version for X", EINVAL)."""
    if crc is None or not info.kernel.config.modversions:
        return True
    if info.index.vers == 0:
        try_to_force_load(info, symname)
        return True
    sec = info.sechdrs[info.index.vers]
    want = symname.encode()
    # The kernel scans from entry 0 for the first name that matches.  The names read so
    # far are a prefix of the table, indexed by name; only past it is the table read on.
    i = info.copy.versions_index.get(want)
    if i is None:
        for i in range(len(info.copy.versions), sec.sh_size // MODVERSION_INFO_SIZE):
            if _version_name(info, i, sec.sh_offset + i * MODVERSION_INFO_SIZE) == want:
                break
        else:
            info.kernel.printk(f"{info.name}: no symbol version for {symname}")
            return False
    # crc is unsigned long in the entry, u32 in the kernel's table: all 64 bits must match.
    if info.image.unpack(U64, sec.sh_offset + i * MODVERSION_INFO_SIZE, f"__versions entry {i} crc")[0] == crc:
        return True
    info.kernel.printk(f"{info.name}: disagrees about version of symbol {symname}")
    return False


def _version_name(info: LoadInfo, i: int, entry: int) -> bytes:
    """Entry i's name, read the first time a scan reaches it (each resolved symbol
    scans the table; check_version() looks up the names already read)."""
    copy = info.copy
    at = entry + MODVERSION_NAME_OFFSET
    name = info.image.cstring(at, f"__versions entry {i} name")
    copy.note(VERSIONS, at, at + len(name) + 1)
    if len(name) >= MODVERSION_NAME_LEN:
        info.unchecked(f"__versions entry {i} name is not NUL-terminated within {MODVERSION_NAME_LEN} bytes")
    copy.versions.append(name)
    copy.versions_index.setdefault(name, i)
    return name


def check_modstruct_version(info: LoadInfo) -> None:
    """The module's CRC of ``module_layout`` must match the kernel's.
    Requires: index.vers.  Errors: ENOEXEC."""
    layout = info.kernel.symbols.get("module_layout")
    if layout is None:
        return  # a kernel without module_layout (6.3+) has nothing to compare
    if not check_version(info, "module_layout", layout.crc):
        raise info.refuse(errno.ENOEXEC, "no or wrong symbol version for module_layout")
