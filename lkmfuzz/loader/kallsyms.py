"""kernel/module/kallsyms.c: layout_symtab() and add_kallsyms().

layout_symtab() sizes the core copy of the "core" symbols (text, and with
KALLSYMS_ALL data and percpu) from the *file* copy; add_kallsyms() later fills it
from the *memory* copy that simplify_symbols() and relocations have touched.  6.1
never checks st_name against the string table, so strlen()/strscpy() run as far as
the bytes let them.
"""

from ..abi.types import U32_MAX, U64, U64_MASK
from ..elf import constants as C
from ..elf.structs import SYM, Sym
from ..kernel.memory import TableView
from .context import LoadInfo
from .modstruct import is_livepatch_module, set_core_num_symtab, set_kallsyms_pointers
from .regions import Scheme, scheme_of
from .sizes import align_u32, get_offset

SIZEOF_MOD_KALLSYMS = 32
ALIGNOF_MOD_KALLSYMS = 8


def is_core_symbol(info: LoadInfo, st_name: int, st_shndx: int, core_sections: dict) -> bool:
    """``core_sections`` caches the per-section half of the answer for one pass over
    the symbols (the section headers do not change during it)."""
    if not st_name:
        return False
    core = core_sections.get(st_shndx)
    if core is None:
        core = core_sections[st_shndx] = is_core_section(info, st_shndx)
    return core


def is_core_section(info: LoadInfo, st_shndx: int, scheme: Scheme | None = None) -> bool:
    if st_shndx == C.SHN_UNDEF or st_shndx >= info.shnum:
        return False
    if info.kernel.config.kallsyms_all and st_shndx == info.index.pcpu:
        return True
    sec = info.sechdrs[st_shndx]
    if not sec.sh_flags & C.SHF_ALLOC:
        return False
    if not info.kernel.config.kallsyms_all and not sec.sh_flags & C.SHF_EXECINSTR:
        return False
    return not (scheme or scheme_of(info)).is_init(sec.sh_entsize)


def keeps_symbol(info: LoadInfo, i: int, st_name: int, st_shndx: int, core_sections: dict) -> bool:
    """Whether kallsyms keeps symbol i after init: the null symbol, every symbol of a
    livepatch module (undefined ones too), else the core symbols.  (layout_symtab()'s
    loop, the hot one, has the same test inline.)"""
    return i == 0 or info.mod.livepatch or is_core_symbol(info, st_name, st_shndx, core_sections)


def layout_symtab(info: LoadInfo, scheme: Scheme, layouts: dict) -> None:
    """Put the symbol and string tables at the end of init (data) memory, and room for the
    core symbols at the end of core (data) memory.  Requires: layout_sections().  Sets: symoffs,
    stroffs, core_typeoffs, init_typeoffs, mod.livepatch (is_livepatch_module(): mod->klp
    of the file's struct, set by check_modinfo() or by the file itself)."""
    info.mod.livepatch = is_livepatch_module(info)
    symsect = info.sechdrs[info.index.sym]
    strsect = info.sechdrs[info.index.str]
    core, init = layouts[scheme.kallsyms_core], layouts[scheme.kallsyms_init]
    symsect.sh_flags |= C.SHF_ALLOC
    symsect.sh_entsize = scheme.encode(scheme.kallsyms_init, get_offset(info, init, info.index.sym))
    nsrc = symsect.sh_size // C.SYM_SIZE
    strtab_size = ndst = 0
    core_syms = info.core_syms = []
    keep_all = info.mod.livepatch
    # SHT_SYMTAB contents lie in the file (elf_validity_check), so read them in one go;
    # is_core_section() is pure, so it is asked once for each section index in use.
    table = info.image.read(symsect.sh_offset, nsrc * C.SYM_SIZE, "symbol table")
    symbols = list(SYM.iter_unpack(table))
    in_core = {shndx: is_core_section(info, shndx, scheme) for shndx in {fields[3] for fields in symbols}}
    for i, (st_name, _info, _other, st_shndx, _value, _size) in enumerate(symbols):
        if i == 0 or keep_all or (st_name and in_core[st_shndx]):   # keeps_symbol(), is_core_symbol()
            name = info.strtab_string(st_name, i)
            if st_name + len(name) >= strsect.sh_size:
                # Read past the string table: add_kallsyms() reads its copy in init
                # memory there, not the file (found by the qemu oracle: strscpy faults).
                info.symtab_dirty = True
            core_syms.append((i, name))
            strtab_size += len(name) + 1
            ndst += 1
    info.symoffs = align_u32(core.size, symsect.sh_addralign or 1)
    info.stroffs = core.size = (info.symoffs + ndst * C.SYM_SIZE) & 0xFFFFFFFF
    core.size = (core.size + strtab_size) & 0xFFFFFFFF
    info.core_typeoffs = core.size
    core.size = scheme.close_table((core.size + ndst) & U32_MAX)
    info.core_ndst = ndst
    strsect.sh_flags |= C.SHF_ALLOC
    strsect.sh_entsize = scheme.encode(scheme.kallsyms_init, get_offset(info, init, info.index.str))
    init.size = align_u32(init.size, ALIGNOF_MOD_KALLSYMS)
    info.mod_kallsyms_init_off = init.size
    init.size = (init.size + SIZEOF_MOD_KALLSYMS) & U32_MAX
    info.init_typeoffs = init.size
    init.size = scheme.close_table((init.size + nsrc) & U32_MAX)


def elf_type(info: LoadInfo, st_info: int, shndx: int, section_letters: dict) -> str:
    """The nm-style letter of a symbol (kallsyms' type table).  ``section_letters``
    caches the per-section letters for one pass over the symbols."""
    bind, typ = st_info >> 4, st_info & 0xF
    if bind == C.STB_WEAK:
        return "v" if typ == C.STT_OBJECT else "w"
    if shndx == C.SHN_UNDEF:
        return "U"
    if shndx == C.SHN_ABS or shndx == info.index.pcpu:
        return "a"
    if shndx >= C.SHN_LORESERVE:
        return "?"
    letter = section_letters.get(shndx)
    if letter is None:
        letter = section_letters[shndx] = section_type(info, shndx)
    return letter


def section_type(info: LoadInfo, shndx: int) -> str:
    """The letter of a symbol defined in section ``shndx``."""
    sec = info.sechdrs[shndx] if shndx < len(info.sechdrs) else info.shdr(shndx, "type of symbol")
    if sec.sh_flags & C.SHF_EXECINSTR:
        return "t"
    if sec.sh_flags & C.SHF_ALLOC and sec.sh_type != C.SHT_NOBITS:
        return "r" if not sec.sh_flags & C.SHF_WRITE else "d"
    if sec.sh_type == C.SHT_NOBITS:
        return "b"
    name = info.image.cstring(info.secstrings + sec.sh_name, f"name of section {shndx}")
    return "n" if name.startswith(b".debug") else "?"


def add_kallsyms(info: LoadInfo) -> None:
    """Copy the core symbols, with their names, into core memory (at the core base the
    moved struct holds).  Requires: simplify_symbols(), apply_relocations().  Sets:
    mod.kallsyms, the struct's kallsyms pointers, every symbol's type in the init
    typetab and core_kallsyms.num_symtab, as 6.1's kernel/module/kallsyms.c does.

    When no relocation touched the symtab/strtab copies, the symbols chosen and the
    names copied are exactly those layout_symtab() measured, so its list is reused
    and the three tables are written in one go; otherwise the kernel's loop runs on
    the memory copies as they are."""
    core_base, typetab = set_kallsyms_pointers(info, scheme_of(info))
    if info.symtab_dirty:
        _add_kallsyms_from_memory(info, core_base, typetab)
        return
    mod, space = info.mod, info.kernel.alloc.space
    symsec = info.sechdrs[info.index.sym]
    symtab = TableView(space, symsec.sh_addr, C.SYM_SIZE, symsec.sh_size // C.SYM_SIZE, "kallsyms symbol")
    # The symbols' copy lies in init memory that move_module() wrote, so reading it
    # whole cannot fault.  elf_type() depends on st_info and st_shndx alone: each pair
    # is typed once, in the order the kernel's loop first meets it.
    rows = list(symtab.iter(SYM))
    pairs = [(fields[1], fields[3]) for fields in rows]
    section_letters: dict[int, str] = {}
    typed = {pair: elf_type(info, pair[0], pair[1], section_letters) for pair in dict.fromkeys(pairs)}
    letters = list(map(typed.__getitem__, pairs))
    space.write(typetab, "".join(letters).encode("latin-1"), "mod->kallsyms->typetab", check_perm=False)
    entries, names, types, kallsyms = [], [], [], []
    offset = 0
    for i, name in info.core_syms:
        st_name, st_info, st_other, st_shndx, st_value, st_size = rows[i]
        entries.append(SYM.pack(offset, st_info, st_other, st_shndx, st_value, st_size))
        names.append(name + b"\0")
        types.append(letters[i])
        offset += len(name) + 1
        if i:
            kallsyms.append((name.decode("latin-1"), st_value, letters[i]))
    area = TableView(space, core_base, 1, info.core_typeoffs + info.core_ndst, "core kallsyms byte")
    area.write(info.symoffs, b"".join(entries))
    area.write(info.stroffs, b"".join(names))
    area.write(info.core_typeoffs, "".join(types).encode("latin-1"))
    set_core_num_symtab(info, len(entries))
    mod.kallsyms = kallsyms


def _add_kallsyms_from_memory(info: LoadInfo, core: int, typetab: int) -> None:
    mod, space = info.mod, info.kernel.alloc.space
    symsec = info.sechdrs[info.index.sym]
    strsec_addr, strsec_size = info.sechdrs[info.index.str].sh_addr, info.sechdrs[info.index.str].sh_size
    symtab = TableView(space, symsec.sh_addr, C.SYM_SIZE, symsec.sh_size // C.SYM_SIZE, "kallsyms symbol")
    # The core copy: symbols at symoffs, names at stroffs, types at core_typeoffs.
    area = TableView(space, core, 1, info.core_typeoffs + info.core_ndst, "core kallsyms byte")
    s = info.stroffs
    strtab_size = info.core_typeoffs - info.stroffs
    ndst = 0
    kallsyms = []
    section_letters: dict[int, str] = {}
    core_sections: dict[int, bool] = {}
    for i in range(symtab.count):
        sym = Sym(*symtab.unpack(SYM, i))
        letter = elf_type(info, sym.st_info, sym.st_shndx, section_letters)
        space.write(typetab + i, letter.encode("latin-1"), "mod->kallsyms->typetab", check_perm=False)
        if not keeps_symbol(info, i, sym.st_name, sym.st_shndx, core_sections):
            continue
        if sym.st_name >= strsec_size:
            info.unchecked(f"name of symbol {i}: st_name {sym.st_name:#x} in memory past the string table")
        name = space.cstring((strsec_addr + sym.st_name) & U64_MASK, f"name of symbol {i}", limit=strtab_size)
        if len(name) >= strtab_size:
            break  # strscpy() returned -E2BIG
        out = Sym(s - info.stroffs, sym.st_info, sym.st_other, sym.st_shndx, sym.st_value, sym.st_size)
        area.write(info.symoffs + ndst * C.SYM_SIZE, out.pack())
        area.write(s, name + b"\0")
        area.write(info.core_typeoffs + ndst, letter.encode("latin-1"))
        s += len(name) + 1
        strtab_size -= len(name) + 1
        ndst += 1
        if i:
            kallsyms.append((name.decode("latin-1"), sym.st_value, letter))
    set_core_num_symtab(info, ndst)
    mod.kallsyms = kallsyms


# --- lookups by address during the load --------------------------------------------

MCOUNT_LOC = b"__mcount_loc"
MAPPING_SYMBOL_KINDS = b"axtd"


def ftrace_module_enable(info: LoadInfo) -> None:
    """ftrace looks each of the module's call sites (``__mcount_loc``, relocated) up by
    address (test_for_valid_rec → kallsyms_lookup → find_kallsyms_symbol).  Requires:
    add_kallsyms(), relocations.  Errors: none — but the lookup reads the first byte of
    every defined symbol's name through mod->kallsyms (the whole symtab and strtab in
    init memory), and 6.1 never checked st_name: one out of range faults here (found by
    the qemu oracle)."""
    sec = info.find_sec(MCOUNT_LOC)
    if not sec:
        return
    mod, space = info.mod, info.kernel.alloc.space
    sh = info.sechdrs[sec]
    sites = TableView(space, sh.sh_addr, 8, sh.sh_size // 8, "__mcount_loc entry")
    if any(mod.within(ip) for (ip,) in sites.iter(U64)):
        with info.within("find_kallsyms_symbol"):
            scan_kallsyms_names(info)


def scan_kallsyms_names(info: LoadInfo) -> None:
    """The loop of find_kallsyms_symbol(): skip undefined symbols, then ask whether the
    name is empty or a mapping symbol ("$a", "$x.foo"...) — one to three bytes read."""
    space = info.kernel.alloc.space
    symsec, strsec = info.sechdrs[info.index.sym], info.sechdrs[info.index.str]
    strtab = strsec.sh_addr
    symtab = TableView(space, symsec.sh_addr, C.SYM_SIZE, symsec.sh_size // C.SYM_SIZE, "kallsyms symbol")
    entries = list(symtab.iter(SYM))
    # Fast path: when every read (up to 3 bytes a name) stays inside the strtab copy,
    # none can fault (6.1 does not require the strtab to end in NUL, hence the 2).
    if max((e[0] for e in entries[1:] if e[3] != C.SHN_UNDEF), default=0) + 2 < strsec.sh_size:
        return
    for i, (st_name, _info, _other, shndx, _value, _size) in enumerate(entries):
        if i == 0 or shndx == C.SHN_UNDEF:
            continue
        if st_name >= strsec.sh_size:
            info.unchecked(f"name of symbol {i}: st_name {st_name:#x} in memory past the string table")
        name = (strtab + st_name) & U64_MASK
        if space.read(name, 1, f"name of symbol {i} (st_name {st_name:#x})") == b"$":
            if space.read(name + 1, 1, f"name of symbol {i}")[0] in MAPPING_SYMBOL_KINDS:
                space.read(name + 2, 1, f"name of symbol {i}")
