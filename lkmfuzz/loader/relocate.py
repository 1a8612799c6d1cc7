"""apply_relocations() and x86-64 apply_relocate_add().

The 6.1 kernel trusts r_offset and the symbol index: ``loc`` is sh_addr of the
target plus r_offset (64-bit wrap), ``sym`` is symtab + index.  The model computes
the same addresses and lets the address space decide: inside the module's memory
the write happens (even into another section), outside it is a kernel-fault.
Hardened refuses both before touching memory.
"""

import errno

from ..elf import constants as C
from ..elf.relocs import X86_64_RELA
from ..elf.structs import RELA, SYM, Sym
from .context import LoadInfo

ZERO8 = bytes(8)


def apply_relocations(info: LoadInfo) -> None:
    """Requires: simplify_symbols().  Sets: relocated module memory.
    Errors: ENOEXEC (REL sections, unknown type, overflow, non-zero target)."""
    for i in range(1, info.shnum):
        sh = info.sechdrs[i]
        infosec = sh.sh_info
        if infosec >= info.shnum:
            continue
        if not info.sechdrs[infosec].sh_flags & C.SHF_ALLOC:
            continue
        if sh.sh_flags & C.SHF_RELA_LIVEPATCH:
            continue  # klp_apply_section_relocs(): resolved by livepatch, not modelled
        if sh.sh_type == C.SHT_REL:
            raise info.refuse(errno.ENOEXEC, f"module {info.mod.name}: REL relocation unsupported (section {i})",
                              "apply_relocate")
        if sh.sh_type == C.SHT_RELA:
            with info.within("apply_relocate_add"):
                apply_relocate_add(info, i)


def apply_relocate_add(info: LoadInfo, relsec: int) -> None:
    rel = info.sechdrs[relsec]
    target = info.sechdrs[rel.sh_info]
    symsec = info.sechdrs[info.index.sym]
    nsyms = symsec.sh_size // C.SYM_SIZE
    space = info.kernel.alloc.space
    count = rel.sh_size // C.RELA_SIZE
    table = space.view(rel.sh_addr, count * C.RELA_SIZE)
    for n in range(count):
        if table is not None:
            r_offset, r_info, r_addend = RELA.unpack_from(table[0], table[1] + n * C.RELA_SIZE)
        else:
            r_offset, r_info, r_addend = space.unpack(RELA, rel.sh_addr + n * C.RELA_SIZE,
                                                      f"relocation {n} in section {relsec}")
        loc = (target.sh_addr + r_offset) & C.U64_MASK
        symidx = r_info >> 32
        if symidx >= nsyms:
            info.unchecked(f"relocation {n} in section {relsec}: symbol index {symidx} >= {nsyms} symbols")
        sym = Sym(*space.unpack(SYM, symsec.sh_addr + symidx * C.SYM_SIZE,
                                f"symbol {symidx} of relocation {n} in section {relsec}"))
        rtype = r_info & 0xFFFFFFFF
        if rtype not in X86_64_RELA:
            raise info.refuse(errno.ENOEXEC, f"{info.mod.name}: Unknown rela relocation: {rtype} "
                                             f"(relocation {n} in section {relsec})")
        recipe = X86_64_RELA[rtype]
        if recipe is None:
            continue
        if r_offset + recipe.size > target.sh_size:
            info.unchecked(f"relocation {n} in section {relsec}: r_offset {r_offset:#x}+{recipe.size} outside "
                           f"target section {rel.sh_info} ({target.sh_size:#x} bytes)")
        val = recipe.value(sym.st_value, r_addend, loc)
        if recipe.fits is not None and not recipe.fits(val):
            raise info.refuse(errno.ENOEXEC, f"overflow in relocation type {rtype} val {val:#x} (relocation {n} "
                                             f"in section {relsec}); likely not compiled with -mcmodel=kernel")
        what = f"relocation {n} in section {relsec}"
        if space.read(loc, recipe.size, what) != ZERO8[:recipe.size]:
            raise info.refuse(errno.ENOEXEC, f"Invalid relocation target, existing value is nonzero for type "
                                             f"{rtype}, relocation {n} in section {relsec}")
        space.write(loc, recipe.encode(val), what, check_perm=False)
