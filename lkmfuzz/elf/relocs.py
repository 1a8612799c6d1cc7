"""Per-architecture relocation recipes (the pyelftools way: a table of small pure parts).

A recipe says how many bytes a relocation writes, whether the place's address is
subtracted (PC-relative), and which values overflow — exactly as the x86-64
module loader of 6.1 (arch/x86/kernel/module.c) decides it.  PC32/PLT32 have no
overflow check there (it is compiled out), so they truncate.
"""

import struct
from typing import Callable

from ..abi.types import U32_MAX, U64_MASK
from . import constants as C


def fits_u32(val: int) -> bool:
    """R_X86_64_32: val != *(u32 *)&val."""
    return val <= U32_MAX


def fits_s32(val: int) -> bool:
    """R_X86_64_32S: (s64)val != *(s32 *)&val."""
    signed = val - (1 << 64) if val >> 63 else val
    return -(1 << 31) <= signed < (1 << 31)


class Recipe:
    """How one relocation type computes and stores its value."""

    __slots__ = ("name", "size", "pc_relative", "fits", "zero", "_packer", "_mask")

    def __init__(self, name: str, size: int, pc_relative: bool = False, fits: Callable[[int], bool] | None = None):
        self.name, self.size, self.pc_relative, self.fits = name, size, pc_relative, fits
        self.zero = bytes(size)                  # what the place must hold before the write
        self._packer = _PACKERS[size]
        self._mask = (1 << (8 * size)) - 1

    def __repr__(self) -> str:
        return f"Recipe({self.name!r}, {self.size})"

    def value(self, sym_value: int, addend: int, place: int) -> int:
        """The u64 the kernel computes: S + A, minus P when PC-relative."""
        val = (sym_value + addend) & U64_MASK
        if self.pc_relative:
            val = (val - place) & U64_MASK
        return val

    def encode(self, val: int) -> bytes:
        """write(loc, &val, size): the low ``size`` bytes, little-endian."""
        return self._packer.pack(val & self._mask)

    def store(self, buf, at: int, val: int) -> None:
        """encode(val) written into ``buf`` at ``at`` (the loader's loop, without the bytes object)."""
        self._packer.pack_into(buf, at, val & self._mask)


_PACKERS = {4: struct.Struct("<I"), 8: struct.Struct("<Q")}


# None: R_X86_64_NONE, nothing written.  Types not in the table are ENOEXEC.
X86_64_RELA = {
    C.R_X86_64_NONE: None,
    C.R_X86_64_64: Recipe("R_X86_64_64", 8),
    C.R_X86_64_32: Recipe("R_X86_64_32", 4, fits=fits_u32),
    C.R_X86_64_32S: Recipe("R_X86_64_32S", 4, fits=fits_s32),
    C.R_X86_64_PC32: Recipe("R_X86_64_PC32", 4, pc_relative=True),
    C.R_X86_64_PLT32: Recipe("R_X86_64_PLT32", 4, pc_relative=True),
    C.R_X86_64_PC64: Recipe("R_X86_64_PC64", 8, pc_relative=True),
}

RELOC_NAMES = {C.R_X86_64_NONE: "R_X86_64_NONE",
               **{t: r.name for t, r in X86_64_RELA.items() if r is not None}}
