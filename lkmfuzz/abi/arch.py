"""Numbers of the architecture the model imitates (x86-64).

An arm64 port adds its own values here (arm64 kernels build with 4K, 16K or 64K pages).
"""

import struct
from dataclasses import dataclass

PAGE_SIZE = 4096
MAX_PATCH_LEN = 255 - 1         # u8 insn_buff[MAX_PATCH_LEN] of apply_alternatives()


@dataclass(frozen=True)
class AltInstrABI:
    """struct alt_instr of one release (arch/x86/include/asm/alternative.h) and the
    BUG_ON() limit apply_alternatives() puts on its cpuid."""
    record: struct.Struct       # its fields, cpuid at index 2, instrlen second to last
    cpuid_mask: int             # the bits of the cpuid field that name the feature
    max_cpu_feature: int        # (NCAPINTS + NBUGINTS) * 32

    def decode(self, fields: tuple) -> tuple[int, int, int]:
        """(instr_offset, feature, instrlen) of one unpacked entry."""
        return fields[0], fields[2] & self.cpuid_mask, fields[-2]


# 6.1: { s32 instr_offset, repl_offset; u16 cpuid (bit 15 ALTINSTR_FLAG_INV); u8 instrlen, replacementlen; }
ALT_INSTR_6_1 = AltInstrABI(struct.Struct("<iiHBB"), 0x7FFF, (21 + 2) * 32)
# 6.12: { s32 instr_offset, repl_offset; u16 cpuid; u16 flags; u8 instrlen, replacementlen; } (14 bytes)
ALT_INSTR_6_12 = AltInstrABI(struct.Struct("<iiHHBB"), 0xFFFF, (22 + 2) * 32)


def page_align(n: int) -> int:
    """PAGE_ALIGN(n) in unbounded integers (callers mask to their C type)."""
    return (n + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)
