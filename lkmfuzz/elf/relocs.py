"""Per-architecture relocation recipes (the pyelftools way: a table of small pure parts).

A recipe says how many bytes a relocation writes, whether the place's address is
subtracted (PC-relative), and which values overflow — exactly as the x86-64
module loader of 6.1 (arch/x86/kernel/module.c) decides it.  PC32/PLT32 have no
overflow check there (it is compiled out), so they truncate.
"""

from dataclasses import dataclass
from typing import Callable

from . import constants as C


def fits_u32(val: int) -> bool:
    """R_X86_64_32: val != *(u32 *)&val."""
    return val <= C.U32_MAX


def fits_s32(val: int) -> bool:
    """R_X86_64_32S: (s64)val != *(s32 *)&val."""
    signed = val - (1 << 64) if val >> 63 else val
    return -(1 << 31) <= signed < (1 << 31)


@dataclass(frozen=True)
class Recipe:
    name: str
    size: int
    pc_relative: bool = False
    fits: Callable[[int], bool] | None = None

    def value(self, sym_value: int, addend: int, place: int) -> int:
        """The u64 the kernel computes: S + A, minus P when PC-relative."""
        val = (sym_value + addend) & C.U64_MASK
        if self.pc_relative:
            val = (val - place) & C.U64_MASK
        return val

    def encode(self, val: int) -> bytes:
        """write(loc, &val, size): the low ``size`` bytes, little-endian."""
        return (val & ((1 << (8 * self.size)) - 1)).to_bytes(self.size, "little")


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
