"""kernel/module/kallsyms.c: layout_symtab() and add_kallsyms().

layout_symtab() sizes the core copy of the "core" symbols (text, and with
KALLSYMS_ALL data and percpu) from the *file* copy; add_kallsyms() later fills it
from the *memory* copy that simplify_symbols() and relocations have touched.  6.1
never checks st_name against the string table, so strlen()/strscpy() run as far as
the bytes let them.
"""

from ..elf import constants as C
from ..elf.structs import SYM, Sym
from .context import LoadInfo
from .sizes import INIT_OFFSET_MASK, align_u32, get_offset, strict_align

SIZEOF_MOD_KALLSYMS = 32
ALIGNOF_MOD_KALLSYMS = 8


def is_core_symbol(info: LoadInfo, sym: Sym) -> bool:
    if sym.st_shndx == C.SHN_UNDEF or sym.st_shndx >= info.shnum or not sym.st_name:
        return False
    if info.kernel.config.kallsyms_all and sym.st_shndx == info.index.pcpu:
        return True
    sec = info.sechdrs[sym.st_shndx]
    if not sec.sh_flags & C.SHF_ALLOC:
        return False
    if not info.kernel.config.kallsyms_all and not sec.sh_flags & C.SHF_EXECINSTR:
        return False
    return not sec.sh_entsize & INIT_OFFSET_MASK


def layout_symtab(info: LoadInfo, core, init) -> None:
    """Put the symbol and string tables at the end of init memory, and room for the core
    symbols at the end of core memory.  Requires: layout_sections().  Sets: symoffs,
    stroffs, core_typeoffs, init_typeoffs."""
    symsect = info.sechdrs[info.index.sym]
    strsect = info.sechdrs[info.index.str]
    symsect.sh_flags |= C.SHF_ALLOC
    symsect.sh_entsize = get_offset(info, init, info.index.sym) | INIT_OFFSET_MASK
    nsrc = symsect.sh_size // C.SYM_SIZE
    strtab_size = ndst = 0
    for i in range(nsrc):
        sym = info.image.sym(symsect.sh_offset + i * C.SYM_SIZE)
        if i == 0 or is_core_symbol(info, sym):
            strtab_size += len(info.strtab_string(sym.st_name, f"name of symbol {i}")) + 1
            ndst += 1
    info.symoffs = align_u32(core.size, symsect.sh_addralign or 1)
    info.stroffs = core.size = (info.symoffs + ndst * C.SYM_SIZE) & 0xFFFFFFFF
    core.size = (core.size + strtab_size) & 0xFFFFFFFF
    info.core_typeoffs = core.size
    core.size = strict_align(core.size + ndst)
    info.core_ndst = ndst
    strsect.sh_flags |= C.SHF_ALLOC
    strsect.sh_entsize = get_offset(info, init, info.index.str) | INIT_OFFSET_MASK
    init.size = align_u32(init.size, ALIGNOF_MOD_KALLSYMS)
    info.mod_kallsyms_init_off = init.size
    init.size += SIZEOF_MOD_KALLSYMS
    info.init_typeoffs = init.size
    init.size = strict_align(init.size + nsrc)


def elf_type(info: LoadInfo, sym: Sym) -> str:
    """The nm-style letter of a symbol (kallsyms' type table)."""
    bind, typ = sym.st_info >> 4, sym.st_info & 0xF
    if bind == C.STB_WEAK:
        return "v" if typ == C.STT_OBJECT else "w"
    shndx = sym.st_shndx
    if shndx == C.SHN_UNDEF:
        return "U"
    if shndx == C.SHN_ABS or shndx == info.index.pcpu:
        return "a"
    if shndx >= C.SHN_LORESERVE:
        return "?"
    sec = info.shdr(shndx, f"type of symbol in section {shndx}")
    if sec.sh_flags & C.SHF_EXECINSTR:
        return "t"
    if sec.sh_flags & C.SHF_ALLOC and sec.sh_type != C.SHT_NOBITS:
        return "r" if not sec.sh_flags & C.SHF_WRITE else "d"
    if sec.sh_type == C.SHT_NOBITS:
        return "b"
    name = info.image.cstring(info.secstrings + sec.sh_name, f"name of section {shndx}")
    return "n" if name.startswith(b".debug") else "?"


def add_kallsyms(info: LoadInfo) -> None:
    """Copy the core symbols, with their names, into core memory.  Requires:
    simplify_symbols(), apply_relocations().  Sets: mod.kallsyms."""
    mod, space = info.mod, info.kernel.alloc.space
    symsec = info.sechdrs[info.index.sym]
    strsec_addr = info.sechdrs[info.index.str].sh_addr
    core = mod.core.addr
    dst, s = core + info.symoffs, core + info.stroffs
    strtab_size = info.core_typeoffs - info.stroffs
    ndst = 0
    kallsyms = []
    for i in range(symsec.sh_size // C.SYM_SIZE):
        sym = Sym(*space.unpack(SYM, symsec.sh_addr + i * C.SYM_SIZE, f"kallsyms symbol {i}"))
        letter = elf_type(info, sym)
        if not (i == 0 or is_core_symbol(info, sym)):
            continue
        name = space.cstring(strsec_addr + sym.st_name, f"name of symbol {i}", limit=strtab_size)
        if len(name) >= strtab_size:
            break  # strscpy() returned -E2BIG
        out = Sym(s - (core + info.stroffs), sym.st_info, sym.st_other, sym.st_shndx, sym.st_value, sym.st_size)
        space.write(dst + ndst * C.SYM_SIZE, out.pack(), f"core kallsyms entry {ndst}", check_perm=False)
        space.write(s, name + b"\0", f"core kallsyms name {ndst}", check_perm=False)
        space.write(core + info.core_typeoffs + ndst, letter.encode("latin-1"), "core kallsyms type", check_perm=False)
        s += len(name) + 1
        strtab_size -= len(name) + 1
        ndst += 1
        if i:
            kallsyms.append((name.decode("latin-1"), sym.st_value, letter))
    mod.kallsyms = kallsyms
