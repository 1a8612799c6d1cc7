"""The hardened profile's validation checks: what real kernels still trust, refused up front.

Each check is one function, named after the upstream change it models (the
``elf_validity_cache_*`` split, d979e3dffa93) or, where no kernel has it yet,
after the oops class it closes.  A check runs before the data it vouches for is
used, and refuses with ENOEXEC naming itself (``LoadError.check``).  The profile
lists the checks it runs (``Profile.checks``): ``hardened-minus-CHECK`` deletes one,
which is how scripts/mutation-check proves the harnesses notice a missing check.

Every check has a *use site* in the loader where the real kernel trusts the same
data (``LoadInfo.unchecked`` or an out-of-bounds access): a real kernel's profile
carries on there (or faults), while hardened reports ``unvalidated-access`` —
the finding a deleted check leaves behind.

Where each group runs (loader/main.py PIPELINE):

* ``ELF_CHECKS`` at the end of elf_validity_check(), on the file alone;
* ``MODINFO_CHECKS`` in setup_load_info(), before the name is read from .modinfo;
* ``FILE_CHECKS`` in setup_load_info(), once the indices are known, before the
  struct module is read; ``VERSIONS_CHECKS`` there once index.vers is;
* ``RELA_CHECKS`` before apply_relocations(), on the symbols simplify_symbols() left;
* ``RELOCATED_CHECKS`` before post_relocation(), on the relocated module memory;
* ``FORMATION_CHECKS`` before complete_formation(), on the export and parameter tables.
"""

import errno
from typing import Callable

from ..abi.arch import MAX_PATCH_LEN, PAGE_SIZE
from ..abi.module import (
    KSYM,
    KSYM_NAME_OFFSET,
    KSYM_NAMESPACE_OFFSET,
    MODULE_NAME_LEN,
    MODVERSION_INFO_SIZE,
    MODVERSION_NAME_LEN,
    MODVERSION_NAME_OFFSET,
)
from ..abi.params import KERNEL_PARAM, KPARAM_ARRAY, KPARAM_STRING
from ..abi.types import S32, U32_MAX, U64, U64_MASK
from ..elf import constants as C
from ..elf.relocs import X86_64_RELA
from ..errors import LoadError
from ..kernel.memory import TableView
from .arch import SITE_TABLES
from .context import LoadInfo
from .kparams import ARRAY_OPS, exported_variable
from .params import PARAM_TYPES
from .regions import scheme_of

STRING_OPS = "param_ops_string"

# layout_sections() closes up to five classes per layout with a page each; layout_symtab()
# adds the mod_kallsyms struct and alignment: room the sum of the sections must leave.
LAYOUT_SLACK = 16 * PAGE_SIZE


# Steps every profile runs the same code for, up to and including them (the checks run
# after elf_validity_check()'s own): a refusal there is every kernel's.
SHARED_STEPS = frozenset({"finit_module", "kernel_read_file", "module_decompress", "init_module",
                          "copy_module_from_user", "module_sig_check", "elf_validity_check"})


def bounded_by_file(sh) -> bool:
    """elf_validity_check() bounded this section's contents by the file (it skips SHT_NULL
    and NOBITS sections, whose sh_offset may point anywhere)."""
    return sh.sh_type not in (C.SHT_NULL, C.SHT_NOBITS)


def reject(info: LoadInfo, check: str, reason: str) -> LoadError:
    """The refusal of a validation check: ENOEXEC, naming the check as its step."""
    return LoadError(errno.ENOEXEC, check, reason, check=check)


def run_checks(info: LoadInfo, checks: tuple, *shared) -> None:
    """Run those of ``checks`` the profile has, in order, each given ``shared`` too (what a
    group's checks all read, read once)."""
    enabled = info.kernel.profile.enabled
    for check in checks:
        if check.__name__ in enabled:
            check(info, *shared)


# --- on the file: the elf_validity_cache_*() split of later kernels --------------------

def elf_validity_cache_secstrings(info: LoadInfo) -> None:
    """The section name table is an SHT_STRTAB, and every section's sh_name lies inside
    it (not only SHF_ALLOC ones').  (6.1 checked it non-empty and NUL-terminated.)
    Use site: LoadInfo.sec_name()."""
    strtype = info.sechdrs[info.hdr.e_shstrndx].sh_type
    if strtype != C.SHT_STRTAB:
        raise reject(info, "elf_validity_cache_secstrings", f"Invalid ELF section name table type: {strtype}")
    for i, sh in enumerate(info.sechdrs):
        if sh.sh_type != C.SHT_NULL and sh.sh_name >= info.secstrings_size:
            raise reject(info, "elf_validity_cache_secstrings",
                         f"section {i} (type {sh.sh_type}) name offset {sh.sh_name:#x} past the name table")


def validate_null_sections(info: LoadInfo) -> None:
    """SHT_NULL sections, which elf_validity_check() skips, are neither read nor loaded:
    their sh_name (section 0's included) lies in the name table, since x86
    module_finalize() strcmp()s the name of every section from 0 on; and none is
    SHF_ALLOC, since move_module() would copy it from wherever sh_offset points.
    Use sites: arch.module_finalize() (sec_name), layout.move_module()."""
    for i, sh in enumerate(info.sechdrs):
        if sh.sh_type != C.SHT_NULL:
            continue
        if sh.sh_name >= info.secstrings_size:
            raise reject(info, "validate_null_sections",
                         f"SHT_NULL section {i} name offset {sh.sh_name:#x} past the name table")
        if sh.sh_flags & C.SHF_ALLOC:
            raise reject(info, "validate_null_sections", f"SHT_NULL section {i} is SHF_ALLOC")


def elf_validity_cache_index_info(info: LoadInfo) -> None:
    """At most one .modinfo (ALLOC or not).  Sets: index.info.  Use site: setup_load_info()."""
    count, idx = info.count_any_sec(b".modinfo")
    if count > 1:
        raise reject(info, "elf_validity_cache_index_info", f"{count} .modinfo sections, at most one may exist")
    info.index.info = idx
    info.cached.add("info")


def validate_modinfo(info: LoadInfo) -> None:
    """A .modinfo exists, is not empty and ends in NUL, so every tag=value string ends
    inside it: get_next_modinfo() reads the first string whatever the size (of section
    0, at its sh_offset, when there is no .modinfo) and returns pointers that
    strcmp()/strlen() read on.  Requires: index.info.  Use sites:
    modinfo.modinfo_walk(), modinfo.get_modinfo()."""
    sec = info.sechdrs[info.index.info]
    if not info.index.info or not sec.sh_size or not bounded_by_file(sec):
        raise reject(info, "validate_modinfo", "no .modinfo, or an empty one, or one whose contents are not in "
                                               "the file (SHT_NULL or NOBITS)")
    if info.image.u8(sec.sh_offset + sec.sh_size - 1, ".modinfo"):
        raise reject(info, "validate_modinfo", f".modinfo (section {info.index.info}) does not end in NUL")


def elf_validity_cache_index_mod(info: LoadInfo) -> None:
    """Exactly one .gnu.linkonce.this_module: SHF_ALLOC, not NOBITS, of the kernel's
    sizeof(struct module).  Sets: index.mod.  Use site: setup_load_info()."""
    count, idx = info.count_any_sec(b".gnu.linkonce.this_module")
    problem = this_module_problem(info, count, idx)
    if problem:
        raise reject(info, "elf_validity_cache_index_mod", problem)
    info.index.mod = idx
    info.cached.add("mod")


def this_module_problem(info: LoadInfo, count: int, idx: int) -> str:
    """What is wrong with the this_module section(s), or ''."""
    if count != 1:
        return f"{count} .gnu.linkonce.this_module sections, exactly one must exist"
    sh, want = info.sechdrs[idx], info.kernel.profile.struct_module.size
    if sh.sh_type == C.SHT_NOBITS:
        return f".gnu.linkonce.this_module (section {idx}) is NOBITS"
    if not sh.sh_flags & C.SHF_ALLOC:
        return f".gnu.linkonce.this_module (section {idx}) is not SHF_ALLOC"
    if sh.sh_size != want:
        return f".gnu.linkonce.this_module (section {idx}) size {sh.sh_size:#x} != sizeof(struct module) {want:#x}"
    return ""


def elf_validity_cache_index_sym(info: LoadInfo) -> None:
    """Exactly one SYMTAB, with a valid sh_link.  Sets: index.sym, index.str.
    Use site: setup_load_info()."""
    found = symbol_tables(info)
    if len(found) != 1:
        raise reject(info, "elf_validity_cache_index_sym", f"{len(found)} symbol tables, exactly one must exist")
    info.index.sym, info.index.str = found[0], info.sechdrs[found[0]].sh_link
    info.cached.add("sym")


def elf_validity_cache_index_str(info: LoadInfo) -> None:
    """The symbol table's sh_link names an SHT_STRTAB.  Requires: index.sym (6.1's way
    when elf_validity_cache_index_sym is not run).  Use site: LoadInfo.strtab_string()."""
    sym = info.index.sym or next(iter(symbol_tables(info)), 0)
    link = info.sechdrs[sym].sh_link if sym else C.SHN_UNDEF
    if sym and 0 < link < info.shnum and info.sechdrs[link].sh_type != C.SHT_STRTAB:
        raise reject(info, "elf_validity_cache_index_str",
                     f"Invalid ELF symbol string table type: {info.sechdrs[link].sh_type} (section {link})")


def symbol_tables(info: LoadInfo) -> list:
    return [i for i in range(1, info.shnum) if info.sechdrs[i].sh_type == C.SHT_SYMTAB]


def elf_validity_cache_strtab(info: LoadInfo) -> None:
    """d979e3dffa93: the symbol string table is a non-empty SHT_STRTAB with a NUL at both
    ends, and every st_name lies inside it.  Requires: index.sym (6.1's way when
    elf_validity_cache_index_sym is not run).  Use site: LoadInfo.strtab_string()."""
    sym = info.index.sym or next(iter(symbol_tables(info)), 0)
    if not sym:
        return          # no symbol table: setup_load_info() refuses it
    link = info.sechdrs[sym].sh_link
    if link == C.SHN_UNDEF or link >= info.shnum:
        return          # elf_validity_check() refused it already
    strsec, image = info.sechdrs[link], info.image
    if strsec.sh_type != C.SHT_STRTAB or strsec.sh_size == 0:
        raise reject(info, "elf_validity_cache_strtab", f"symbol string table (section {link}) is not a "
                                                        f"non-empty SHT_STRTAB")
    if image.u8(strsec.sh_offset) or image.u8(strsec.sh_offset + strsec.sh_size - 1):
        raise reject(info, "elf_validity_cache_strtab", f"symbol string table (section {link}) is not NUL at "
                                                        f"both ends")
    symsec = info.sechdrs[sym]
    # st_name is the first of the six 32-bit words of each Elf64_Sym.
    names = image.data[symsec.sh_offset:symsec.sh_offset + symsec.sh_size // C.SYM_SIZE * C.SYM_SIZE].cast("I")[0::6]
    if len(names) and max(names) >= strsec.sh_size:
        i = next(i for i, st_name in enumerate(names) if st_name >= strsec.sh_size)
        raise reject(info, "elf_validity_cache_strtab", f"symbol {i} name offset {names[i]:#x} past the string table")


ELF_CHECKS = (elf_validity_cache_secstrings, validate_null_sections, elf_validity_cache_index_info,
              elf_validity_cache_index_mod, elf_validity_cache_index_sym, elf_validity_cache_index_str,
              elf_validity_cache_strtab)
# In setup_load_info(), once index.info is known, before the module's name is read from it.
MODINFO_CHECKS = (validate_modinfo,)


# --- on the file, once the indices are known (setup_load_info) -------------------------

def validate_module_name(info: LoadInfo) -> None:
    """mod->name is NUL-terminated inside its char[MODULE_NAME_LEN].
    Use sites: setup_load_info() (this_module_name), add_unformed_module() (strlen)."""
    sh, name_offset = info.sechdrs[info.index.mod], info.kernel.profile.struct_module.name_offset
    if sh.sh_type == C.SHT_NOBITS or sh.sh_size < name_offset + MODULE_NAME_LEN:
        raise reject(info, "validate_module_name", f".gnu.linkonce.this_module (section {info.index.mod}) too "
                                                   f"small to hold a name")
    if info.image.cstring_within(sh.sh_offset + name_offset, sh.sh_offset + name_offset + MODULE_NAME_LEN) is None:
        raise reject(info, "validate_module_name", f"module name is not NUL-terminated within {MODULE_NAME_LEN} "
                                                   f"bytes")


def validate_struct_module_fields(info: LoadInfo) -> None:
    """The struct module the file brings leaves zero what the loader computes: percpu
    (free_percpu() would free the file's pointer) and the layout sizes (module_get_offset()
    adds onto them).  Use sites: modstruct.read_layouts(), modstruct.free_file_percpu()."""
    sh, layout, scheme = info.sechdrs[info.index.mod], info.kernel.profile.struct_module, scheme_of(info)
    fields = [("percpu", layout.percpu_offset)] + [(f"{region} size", scheme.size_field(layout, region))
                                                    for region in scheme.regions]
    for name, offset in fields:
        if offset + U64.size > sh.sh_size:
            continue        # past a short struct: elf_validity_cache_index_mod's to refuse
        value = info.image.unpack(U64, sh.sh_offset + offset, f"struct module {name}")[0]
        if name != "percpu":
            value &= U32_MAX    # an unsigned int
        if value:
            raise reject(info, "validate_struct_module_fields", f"struct module {name} is {value:#x} in the file")


def validate_versions_names(info: LoadInfo) -> None:
    """Every __versions entry's name is NUL-terminated inside its 56 bytes.
    Use site: version.check_version()."""
    vers = info.index.vers
    if not vers:
        return
    sec = info.sechdrs[vers]
    if not bounded_by_file(sec):
        raise reject(info, "validate_versions_names", f"__versions (section {vers}, type {sec.sh_type}) has no "
                                                      f"contents in the file")
    count = sec.sh_size // MODVERSION_INFO_SIZE
    table = info.image.read(sec.sh_offset, count * MODVERSION_INFO_SIZE, "__versions")
    find = table.find
    for i, name in enumerate(range(MODVERSION_NAME_OFFSET, len(table), MODVERSION_INFO_SIZE)):
        if find(b"\0", name, name + MODVERSION_NAME_LEN) < 0:
            raise reject(info, "validate_versions_names", f"__versions entry {i} name is not NUL-terminated within "
                                                          f"{MODVERSION_NAME_LEN} bytes")


def validate_layout_sizes(info: LoadInfo) -> None:
    """The sections that may be laid out — every SHF_ALLOC one, the symbol and string
    tables, each with its alignment — add up to less than the 32-bit layout holds.
    Use site: sizes.get_offset()."""
    tables = (info.index.sym, info.index.str)
    total = LAYOUT_SLACK + sum(sh.sh_size + max(sh.sh_addralign, 1) for i, sh in enumerate(info.sechdrs)
                               if sh.sh_flags & C.SHF_ALLOC or i in tables)
    if total > U32_MAX:
        raise reject(info, "validate_layout_sizes", f"sections add up to {total:#x} bytes, more than the 32-bit "
                                                    f"module layout holds")


def validate_section_overlaps(info: LoadInfo) -> None:
    """No section's contents overlap the section header table or the struct module in
    .gnu.linkonce.this_module: the kernel writes both in its copy of the file
    (rewrite_section_headers(), check_modinfo()'s taints, the layout sizes and bases), and
    a section there would be read with those writes in it after its validation.
    Use site: LoadInfo.write_copy()."""
    mod, spans = info.sechdrs[info.index.mod], info.content_spans()
    for what, start, end, own in (("the section header table", info.hdr.e_shoff,
                                   info.hdr.e_shoff + info.shnum * C.SHDR_SIZE, None),
                                  ("struct module", mod.sh_offset, mod.sh_offset + mod.sh_size, info.index.mod)):
        hit = [i for lo, hi, i in spans if lo < end and start < hi and i != own]
        if hit:
            raise reject(info, "validate_section_overlaps", f"section {hit[0]} overlaps {what} in the file")


def validate_null_symbol(info: LoadInfo) -> None:
    """Symbol 0 is the null symbol, all zeros: simplify_symbols() skips it (and with it
    6.1.192's check of st_shndx), but add_kallsyms() types every symbol, reading
    sechdrs[st_shndx].  Use site: kallsyms.elf_type()."""
    symsec = info.sechdrs[info.index.sym]
    if symsec.sh_size >= C.SYM_SIZE and any(info.image.read(symsec.sh_offset, C.SYM_SIZE, "symbol 0")):
        raise reject(info, "validate_null_symbol", "symbol 0 is not the null symbol (all zeros)")


FILE_CHECKS = (validate_section_overlaps, validate_null_symbol, validate_module_name, validate_struct_module_fields,
               validate_layout_sizes)
# Once index.vers is known.
VERSIONS_CHECKS = (validate_versions_names,)


# --- relocations, before apply_relocations() ------------------------------------------

def applied_rela_sections(info: LoadInfo) -> list:
    """The RELA sections apply_relocations() applies: (index, target index)."""
    sechdrs, shnum = info.sechdrs, info.shnum
    return [(i, sh.sh_info) for i, sh in enumerate(sechdrs)
            if i and sh.sh_type == C.SHT_RELA and sh.sh_info < shnum and not sh.sh_flags & C.SHF_RELA_LIVEPATCH
            and sechdrs[sh.sh_info].sh_flags & C.SHF_ALLOC]


def _relocations(info: LoadInfo, relsec: int) -> memoryview:
    """The section's entries as unsigned 64-bit words, [0::3] r_offset and [1::3] r_info:
    a view of the copy (not SHF_ALLOC, a relocation section stays there; elf_validity_check()
    bounded it, and what the kernel writes into the copy lands in no section's contents)."""
    rel = info.sechdrs[relsec]
    return info.image.data[rel.sh_offset:rel.sh_offset + rel.sh_size // C.RELA_SIZE * C.RELA_SIZE].cast("Q")


def validate_rela_targets(info: LoadInfo, tables: list) -> None:
    """No relocation section rewrites the symbol or string table: simplify_symbols()
    and the validation above read them before relocation, add_kallsyms() and
    find_kallsyms_symbol() after.  Use site: relocate.apply_relocations()."""
    read_before = (info.index.sym, info.index.str)
    for relsec in range(1, info.shnum):
        sh = info.sechdrs[relsec]
        if sh.sh_type == C.SHT_RELA and sh.sh_info in read_before and not sh.sh_flags & C.SHF_RELA_LIVEPATCH:
            raise reject(info, "validate_rela_targets", f"relocation section {relsec} relocates the symbol or "
                                                        f"string table (section {sh.sh_info})")


def validate_rela_symbols(info: LoadInfo, tables: list) -> None:
    """Every applied relocation's r_info symbol index lies inside the symbol table.
    Use site: relocate.apply_relocate_add()."""
    first_bad = info.sechdrs[info.index.sym].sh_size // C.SYM_SIZE << 32
    for relsec, _target, words in tables:
        infos = words[1::3]
        if len(infos) and max(infos) >= first_bad:
            n, r_info = next((n, r_info) for n, r_info in enumerate(infos) if r_info >= first_bad)
            raise reject(info, "validate_rela_symbols", f"relocation {n} in section {relsec}: symbol index "
                                                        f"{r_info >> 32} >= {first_bad >> 32} symbols")


RELA_SIZES = {rtype: recipe.size for rtype, recipe in X86_64_RELA.items() if recipe is not None}
MAX_RELA_SIZE = max(RELA_SIZES.values())


def validate_rela_offsets(info: LoadInfo, tables: list) -> None:
    """Every applied relocation of a known type writes inside the section it relocates.
    Use site: relocate.apply_relocate_add()."""
    for relsec, target, words in tables:
        size_limit = info.sechdrs[target].sh_size
        offsets = words[0::3]
        if not len(offsets) or max(offsets) + MAX_RELA_SIZE <= size_limit:
            continue       # even the widest write at the highest offset fits
        for n in _indices_above(offsets, size_limit - MAX_RELA_SIZE):
            r_offset, r_info = offsets[n], words[3 * n + 1]
            size = RELA_SIZES.get(r_info & 0xFFFFFFFF)
            if size is not None and r_offset + size > size_limit:
                raise reject(info, "validate_rela_offsets", f"relocation {n} in section {relsec}: r_offset "
                                                            f"{r_offset:#x}+{size} outside section {target} "
                                                            f"({size_limit:#x} bytes)")


def _indices_above(values: memoryview, threshold: int) -> list[int]:
    """The indices, in order, of the values greater than ``threshold`` (few: the filter
    and the index searches run in C)."""
    listed = values.tolist()
    found = []
    for value in set(filter(threshold.__lt__, listed)):
        at = -1
        for _ in range(listed.count(value)):
            at = listed.index(value, at + 1)
            found.append(at)
    return sorted(found)


RELA_CHECKS = (validate_rela_targets, validate_rela_symbols, validate_rela_offsets)


# --- relocated memory, before post_relocation() ---------------------------------------



def _last_named(info: LoadInfo, name: bytes):
    """module_finalize()'s choice: the last section of that name, ALLOC or not."""
    count, idx = info.count_any_sec(name)
    return info.sechdrs[idx] if count else None


def _table(info: LoadInfo, sec, entsize: int, what: str) -> TableView:
    return TableView(info.kernel.alloc.space, sec.sh_addr, entsize, sec.sh_size // entsize, what)


def validate_patch_sites(info: LoadInfo) -> None:
    """Every .retpoline_sites/.return_sites/.ibt_endbr_seal entry, and every
    .altinstructions instruction, lies in the module's own text (and passes
    apply_alternatives()' BUG_ON()s): the kernel decodes and patches what they name.
    module_finalize() finds the tables by name whatever their type: one that is neither
    loaded nor in the file (SHT_NULL, or NOBITS without SHF_ALLOC) is read from wherever
    its sh_offset points.  Use site: arch.module_finalize()."""
    mod = info.mod
    tables = {name: _last_named(info, name) for name in SITE_TABLES + (b".altinstructions",)}
    for name, sec in tables.items():
        if sec is not None and not sec.sh_flags & C.SHF_ALLOC and not bounded_by_file(sec):
            raise reject(info, "validate_patch_sites", f"{name.decode()} (type {sec.sh_type}) is neither loaded nor "
                                                       f"in the file")
    for name in SITE_TABLES:
        sec = tables[name]
        if sec is None:
            continue
        for n, (offset,) in enumerate(_table(info, sec, S32.size, f"{name.decode()} entry").iter(S32)):
            target = (sec.sh_addr + S32.size * n + offset) & U64_MASK
            if not mod.within_text(target):
                raise reject(info, "validate_patch_sites", f"{name.decode()} entry {n} points at {target:#x}, "
                                                           f"outside the module's text")
    alt = tables[b".altinstructions"]
    if alt is None:
        return
    abi = info.kernel.profile.release.alt_instr
    view = _table(info, alt, abi.record.size, "alt_instr")
    for n in range(view.count):
        instr_off, cpuid, instrlen = abi.decode(view.unpack(abi.record, n))
        start = (alt.sh_addr + n * abi.record.size + instr_off) & U64_MASK
        if (instrlen > MAX_PATCH_LEN or cpuid >= abi.max_cpu_feature
                or instrlen and not (mod.within_text(start) and mod.within_text(start + instrlen - 1))):
            raise reject(info, "validate_patch_sites", f"alt_instr {n}: instruction {start:#x}+{instrlen} "
                                                       f"(cpuid {cpuid:#x}) not patchable module text")


def validate_init_exit(info: LoadInfo) -> None:
    """mod->init and mod->exit, as relocated, are NULL or point into the module's text.
    Use sites: init.do_init_module(), unload (mod->exit)."""
    space, profile, mod = info.kernel.alloc.space, info.kernel.profile, info.mod
    this_module = info.sechdrs[info.index.mod].sh_addr
    for name, offset in (("init", profile.struct_module.init_offset), ("exit", profile.struct_module.exit_offset)):
        fn = space.unpack(U64, this_module + offset, f"struct module {name}")[0]
        if fn and not mod.within_text(fn):
            raise reject(info, "validate_init_exit", f"{name} function pointer {fn:#x} is outside the module's text")


RELOCATED_CHECKS = (validate_patch_sites, validate_init_exit)


# --- export and parameter tables, before complete_formation() --------------------------

class ModuleMemory:
    """Where the module's memory lies, for checks that test many pointers against it:
    its regions, and in each the part that stays writable while parameters are set —
    the data and ro_after_init spans."""
    __slots__ = ("areas", "writable")

    def __init__(self, mod):
        self.areas = [(area.addr, area.addr + area.size, area.region) for area in mod.mem.values()]
        self.writable = [(area.addr + span.start, area.addr + span.end)
                         for kind in ("ro_after_init", "data") for area, span in mod.span_areas(kind)]

    def string(self, addr: int) -> bytes | None:
        """The NUL-terminated string at ``addr`` if it lies wholly in the module's memory."""
        for start, end, region in self.areas:
            if start <= addr < end:
                at = addr - region.base
                nul = region.buf.find(b"\0", at, region.size)
                return None if nul < 0 else bytes(region.buf[at:nul])
        return None

    def holds_writable(self, addr: int, size: int) -> bool:
        """[addr, addr+size) lies in one writable part."""
        end = addr + max(size, 1)
        for start, stop in self.writable:
            if start <= addr and end <= stop:
                return True
        return False


def validate_ksymtab(info: LoadInfo) -> None:
    """Every __ksymtab/__ksymtab_gpl entry's name (and namespace, when set) is a string in
    the module's memory, and no name is exported twice.  Use site:
    symbols.verify_exported_symbols()."""
    s, names, memory = info.sections, set(), ModuleMemory(info.mod)
    for table, num in ((s.syms, s.num_syms), (s.gpl_syms, s.num_gpl_syms)):
        view = TableView(info.kernel.alloc.space, table, KSYM.size, num, "__ksymtab entry")
        for i in range(num):
            entry = table + i * KSYM.size
            if not view.holds(i, KSYM.size):
                raise reject(info, "validate_ksymtab", f"__ksymtab entry {i} outside the module")
            _value, name_off, ns_off = view.unpack(KSYM, i)
            name = memory.string((entry + KSYM_NAME_OFFSET + name_off) & U64_MASK)
            namespace = (entry + KSYM_NAMESPACE_OFFSET + ns_off) & U64_MASK
            if name is None or ns_off and memory.string(namespace) is None:
                raise reject(info, "validate_ksymtab", f"__ksymtab entry {i}: name or namespace outside the module")
            if name in names:
                raise reject(info, "validate_ksymtab", f"symbol {name!r} exported twice")
            names.add(name)


def validate_kernel_params(info: LoadInfo) -> None:
    """Every __param entry's name is a string in the module and its ops a kernel_param_ops
    the kernel exports, or one of the module's own; what the setter writes lies in the
    module: the variable (of the type's size), a string parameter's buffer (maxlen bytes),
    an array parameter's struct kparam_array, its max elements, its count and an element
    ops the kernel exports.  Use sites: kparams.module_parse_args(),
    kparams.read_param_ops_free(), the setters (kparams.check_arg)."""
    s, space = info.sections, info.kernel.alloc.space
    view = TableView(space, s.kp, KERNEL_PARAM.size, s.num_kp, "kernel_param")
    if s.num_kp and not view.holds(s.num_kp - 1, KERNEL_PARAM.size):
        raise reject(info, "validate_kernel_params", "the kernel_param table runs outside the module")
    memory = ModuleMemory(info.mod)
    for i, (name_ptr, _mod, ops, _perm, _level, _flags, arg) in enumerate(view.iter(KERNEL_PARAM)):
        if memory.string(name_ptr) is None:
            raise reject(info, "validate_kernel_params", f"kernel_param {i}: name {name_ptr:#x} outside the module")
        problem = _param_storage_problem(info, memory, ops, arg)
        if problem:
            raise reject(info, "validate_kernel_params", f"kernel_param {i}: {problem}")


def _param_storage_problem(info: LoadInfo, memory: ModuleMemory, ops: int, arg: int) -> str:
    """What is wrong with where a parameter's setter writes, or ''."""
    known = info.kernel.symbols.at(ops)
    kind = known.name if known is not None else None
    if kind is None:
        # The module's own setter: what it does with arg is its code's business (NULL is
        # common: module_param_cb(name, &ops, NULL, perm) in msr, kvm-intel, overlay...).
        return "" if info.mod.within(ops) else f"ops {ops:#x} is no kernel_param_ops"
    if kind == ARRAY_OPS:
        if not _in_module(info, arg, KPARAM_ARRAY.size):
            return f"struct kparam_array {arg:#x} outside the module"
        max_elems, elemsize, num, elem_ops, elem = info.kernel.alloc.space.unpack(KPARAM_ARRAY, arg, "kparam_array")
        elem_type = info.kernel.symbols.at(elem_ops)
        if elem_type is not None and elem_type.name in PARAM_TYPES and elem_type.name != STRING_OPS:
            last = PARAM_TYPES[elem_type.name].size
        elif info.mod.within(elem_ops):
            last = elemsize       # the module's own element type (lis3lv02d's axes): elemsize apart
        else:
            return f"array element ops {elem_ops:#x} is no fixed-size kernel_param_ops"
        span = (max_elems - 1) * elemsize + last if max_elems else 0
        if span and not memory.holds_writable(elem, span):
            return f"array of {max_elems} x {elemsize} bytes at {elem:#x} outside the module's writable memory"
        if num and not memory.holds_writable(num, 4):
            return f"array count {num:#x} outside the module's writable memory"
        return ""
    if kind == STRING_OPS:
        if not _in_module(info, arg, KPARAM_STRING.size):
            return f"struct kparam_string {arg:#x} outside the module"
        maxlen, buf = info.kernel.alloc.space.unpack(KPARAM_STRING, arg, "kparam_string")
        if memory.holds_writable(buf, maxlen):
            return ""
        return f"string buffer of {maxlen} bytes at {buf:#x} outside the module's writable memory"
    if kind not in PARAM_TYPES:
        return f"ops {ops:#x} ({kind}) is no kernel_param_ops"
    size = PARAM_TYPES[kind].size
    if memory.holds_writable(arg, size) or exported_variable(info, arg):
        return ""
    return f"arg {arg:#x}+{size} outside the module's writable memory (and no exported variable)"


def _in_module(info: LoadInfo, addr: int, size: int) -> bool:
    return info.mod.within(addr) and info.mod.within(addr + max(size, 1) - 1)


FORMATION_CHECKS = (validate_ksymtab, validate_kernel_params)

# In the order a load meets them (kernel/profile.py HARDENING_CHECKS names them so).
ALL_CHECKS: tuple[Callable, ...] = (ELF_CHECKS + MODINFO_CHECKS + FILE_CHECKS + VERSIONS_CHECKS + RELA_CHECKS
                                    + RELOCATED_CHECKS + FORMATION_CHECKS)


# --- the pipeline's validation steps (loader/main.py) ----------------------------------

def validate_relocations(info: LoadInfo) -> None:
    """Requires: simplify_symbols().  Errors: ENOEXEC (RELA_CHECKS, each given the applied
    relocation sections as (index, target, entries as 64-bit words))."""
    tables = [(relsec, target, _relocations(info, relsec)) for relsec, target in applied_rela_sections(info)]
    run_checks(info, RELA_CHECKS, tables)


def validate_relocated(info: LoadInfo) -> None:
    """Requires: apply_relocations().  Errors: ENOEXEC (RELOCATED_CHECKS)."""
    run_checks(info, RELOCATED_CHECKS)


def validate_tables(info: LoadInfo) -> None:
    """Requires: find_module_sections(), relocated memory.  Errors: ENOEXEC (FORMATION_CHECKS)."""
    run_checks(info, FORMATION_CHECKS)


def has_checks(info: LoadInfo) -> bool:
    return bool(info.kernel.profile.checks)
