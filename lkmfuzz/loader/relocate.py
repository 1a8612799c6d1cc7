"""apply_relocations() and x86-64 apply_relocate_add().

The 6.1 kernel trusts r_offset and the symbol index: ``loc`` is sh_addr of the
target plus r_offset (64-bit wrap), ``sym`` is symtab + index.  The model computes
the same addresses and lets the address space decide: inside the module's memory
the write happens (even into another section), outside it is a kernel-fault.
Hardened refuses both, and relocations of the symbol or string table, before touching
memory (hardening.RELA_CHECKS).
"""

import errno

from ..abi.types import U64_MASK
from ..elf import constants as C
from ..elf.relocs import X86_64_RELA
from ..elf.structs import RELA, SYM
from ..kernel.memory import TableView
from .context import LoadInfo
from .symbols import ST_VALUE_OFFSET


def apply_relocations(info: LoadInfo) -> None:
    """Requires: simplify_symbols().  Sets: relocated module memory.
    Errors: ENOEXEC (REL sections, unknown type, overflow, non-zero target)."""
    symsec = info.sechdrs[info.index.sym]
    # One view of the symbol table for every section: it reads the live copy, so the
    # sections that relocate the table itself are seen by those after them.
    symtab = TableView(info.kernel.alloc.space, symsec.sh_addr, C.SYM_SIZE, symsec.sh_size // C.SYM_SIZE, "symbol")
    values = SymbolValues(symtab)
    for i in range(1, info.shnum):
        sh = info.sechdrs[i]
        infosec = sh.sh_info
        if infosec >= info.shnum:
            continue
        if not info.sechdrs[infosec].sh_flags & C.SHF_ALLOC:
            continue
        if sh.sh_flags & C.SHF_RELA_LIVEPATCH:
            if not klp_applies_now(info, i, symtab):
                continue
        if sh.sh_type == C.SHT_REL:
            raise info.refuse(errno.ENOEXEC, f"module {info.mod.name}: REL relocation unsupported (section {i})",
                              "apply_relocate")
        if sh.sh_type == C.SHT_RELA:
            if infosec in (info.index.sym, info.index.str):
                table = "symbol" if infosec == info.index.sym else "string"
                info.unchecked(f"relocation section {i} rewrites the {table} table after it was read")
                info.symtab_dirty = True
            with info.within("apply_relocate_add"):
                apply_relocate_add(info, i, symtab, values)
            if infosec == info.index.sym:
                values.forget()     # this section rewrote symbols: read them again


KLP_RELA_PREFIX = b".klp.rela."
KLP_OBJNAME_LEN = 55          # sscanf(name, ".klp.rela.%55[^.]", sec_objname)


def klp_applies_now(info: LoadInfo, i: int, symtab: TableView) -> bool:
    """klp_apply_section_relocs(): a livepatch relocation section is named
    .klp.rela.OBJNAME.SECTION — another name is EINVAL (found by oracle diff --kernel
    linux-6.12: a byte mutant set SHF_RELA_LIVEPATCH on .rela.init.data); at load only the
    sections for vmlinux apply, the others when their object loads.  Symbols of
    SHN_LIVEPATCH (klp_resolve_symbols(), through kallsyms) are not modelled: such a
    section is left unapplied."""
    name = info.sec_name(i)
    objname = name[len(KLP_RELA_PREFIX):].split(b".", 1)[0][:KLP_OBJNAME_LEN] \
        if name.startswith(KLP_RELA_PREFIX) else b""
    if not objname:
        raise info.refuse(errno.EINVAL, f"livepatch: section {name.decode('latin-1')} has an incorrectly "
                                        f"formatted name", "klp_apply_section_relocs")
    if objname != b"vmlinux":
        return False
    rela = TableView(info.kernel.alloc.space, info.sechdrs[i].sh_addr, C.RELA_SIZE,
                     info.sechdrs[i].sh_size // C.RELA_SIZE, f"relocation in section {i}")
    for _offset, r_info, _addend in rela.iter(RELA):
        if symtab.unpack(SYM, r_info >> 32)[3] == C.SHN_LIVEPATCH:
            return False    # a model gap, not a check: the real kernel resolves and applies it
    return True


class SymbolValues:
    """st_value of every symbol, read once for all relocation sections — until a section
    relocates the symbol table itself."""
    __slots__ = ("symtab", "values")

    def __init__(self, symtab: TableView):
        self.symtab = symtab
        self.values: list[int] | None = None

    def get(self) -> list[int]:
        if self.values is None:
            column = self.symtab.u64_column(ST_VALUE_OFFSET)
            self.values = column if column is not None else [fields[4] for fields in self.symtab.iter(SYM)]
        return self.values

    def forget(self) -> None:
        self.values = None


def apply_relocate_add(info: LoadInfo, relsec: int, symtab: TableView, symbol_values: SymbolValues) -> None:
    rel = info.sechdrs[relsec]
    target = info.sechdrs[rel.sh_info]
    nsyms = symtab.count
    space = info.kernel.alloc.space
    relas = TableView(space, rel.sh_addr, C.RELA_SIZE, rel.sh_size // C.RELA_SIZE, f"relocation in section {relsec}")
    place = TableView(space, target.sh_addr, 1, target.sh_size, f"target section {rel.sh_info} byte")
    base, size_limit = target.sh_addr, target.sh_size
    buf, off = place.buf, place.off
    # Symbol values are read once per load — unless this section relocates the symbol
    # table itself, whose later entries must then see what the earlier ones wrote.
    values = symbol_values.get() if rel.sh_info != info.index.sym else None
    for n, (r_offset, r_info, r_addend) in enumerate(relas.iter(RELA)):
        symidx = r_info >> 32
        if symidx >= nsyms:
            info.unchecked(f"relocation {n} in section {relsec}: symbol index {symidx} >= {nsyms} symbols")
        st_value = values[symidx] if values is not None and symidx < nsyms else symtab.unpack(SYM, symidx)[4]
        rtype = r_info & 0xFFFFFFFF
        recipe = X86_64_RELA.get(rtype)
        if recipe is None:
            if rtype in X86_64_RELA:
                continue        # R_X86_64_NONE
            raise info.refuse(errno.ENOEXEC, f"{info.mod.name}: Unknown rela relocation: {rtype} "
                                             f"(relocation {n} in section {relsec})")
        size = recipe.size
        loc = (base + r_offset) & U64_MASK
        in_section = r_offset + size <= size_limit
        if not in_section:
            info.unchecked(f"relocation {n} in section {relsec}: r_offset {r_offset:#x}+{size} outside "
                           f"target section {rel.sh_info} ({size_limit:#x} bytes)")
        val = recipe.value(st_value, r_addend, loc)
        if recipe.fits is not None and not recipe.fits(val):
            raise info.refuse(errno.ENOEXEC, f"overflow in relocation type {rtype} val {val:#x} (relocation {n} "
                                             f"in section {relsec}); likely not compiled with -mcmodel=kernel")
        if in_section and buf is not None:
            at = off + r_offset
            if buf[at:at + size] != recipe.zero:
                raise _nonzero(info, rtype, n, relsec)
            recipe.store(buf, at, val)
        else:
            _write_checked(info, loc, recipe.encode(val), rtype, n, relsec)


def _nonzero(info: LoadInfo, rtype: int, n: int, relsec: int):
    return info.refuse(errno.ENOEXEC, f"Invalid relocation target, existing value is nonzero for type {rtype}, "
                                      f"relocation {n} in section {relsec}")


def _write_checked(info: LoadInfo, loc: int, data: bytes, rtype: int, n: int, relsec: int) -> None:
    """The kernel's check-then-write(loc, &val, size) through the address space: a place
    outside the target section (or its region) is read and written where it really is."""
    space, what = info.kernel.alloc.space, f"relocation {n} in section {relsec}"
    if space.read(loc, len(data), what) != bytes(len(data)):
        raise _nonzero(info, rtype, n, relsec)
    space.write(loc, data, what, check_perm=False)
