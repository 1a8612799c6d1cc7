"""setup_load_info(), blacklisted(), rewrite_section_headers()."""

import errno

from ..abi.module import MODULE_NAME_LEN
from ..abi.types import U64_MASK
from ..elf import constants as C
from ..kernel.module import Module
from .context import MODULE_INIT_IGNORE_MODVERSIONS, LoadInfo
from .hardening import FILE_CHECKS, MODINFO_CHECKS, VERSIONS_CHECKS, run_checks, symbol_tables, this_module_problem
from .modinfo import get_modinfo


def setup_load_info(info: LoadInfo) -> None:
    """Requires: sechdrs, secstrings (elf_validity_check).
    Sets: index.{info,sym,str,mod,vers,pcpu}, strtab, name, mod (the temporary struct module),
    mod_copy_off (where info->mod lies in the copy).
    Errors: ENOEXEC (no symbol table, no .gnu.linkonce.this_module; hardening.FILE_CHECKS)."""
    find_indices(info)
    run_checks(info, FILE_CHECKS)
    info.mod = Module(name=this_module_name(info))
    info.mod_copy_off = info.sechdrs[info.index.mod].sh_offset
    if not info.name:
        info.name = info.mod.name
    info.index.vers = 0 if info.flags & MODULE_INIT_IGNORE_MODVERSIONS else info.find_sec(b"__versions")
    info.index.pcpu = info.find_sec(b".data..percpu")
    run_checks(info, VERSIONS_CHECKS)


def find_indices(info: LoadInfo) -> None:
    """6.1's way to each index that no elf_validity_cache_* check set: the first ALLOC
    .modinfo, the first SYMTAB, the first ALLOC .gnu.linkonce.this_module.  Hardened
    without the cache check reaches what the check would have refused: unchecked."""
    if "info" not in info.cached:
        info.index.info = info.find_sec(b".modinfo")
        if info.hardened and info.count_any_sec(b".modinfo")[0] > 1:
            info.unchecked("several .modinfo sections: the first ALLOC one is read")
    run_checks(info, MODINFO_CHECKS)
    if info.index.info:
        info.name = _modinfo_name(info)
    if "sym" not in info.cached:
        tables = symbol_tables(info)
        if info.hardened and len(tables) > 1:
            info.unchecked(f"{len(tables)} symbol tables: the first is used")
        if tables:
            info.index.sym, info.index.str = tables[0], info.sechdrs[tables[0]].sh_link
    if info.index.sym:
        info.strtab = info.shdr(info.index.str, "symbol string table").sh_offset
    else:
        raise info.refuse(errno.ENOEXEC, f"{_display(info)}: module has no symbols (stripped?)")
    if "mod" not in info.cached:
        info.index.mod = info.find_sec(b".gnu.linkonce.this_module")
        if info.hardened and info.index.mod:
            problem = this_module_problem(info, *info.count_any_sec(b".gnu.linkonce.this_module"))
            if problem:
                info.unchecked(problem)
    if not info.index.mod:
        raise info.refuse(errno.ENOEXEC, f"{_display(info)}: No module found in object")


def _modinfo_name(info: LoadInfo) -> str:
    name = get_modinfo(info, "name")
    return name.decode("latin-1") if name is not None else ""


def _display(info: LoadInfo) -> str:
    return info.name or "(missing .modinfo section or name field)"


def this_module_name(info: LoadInfo) -> str:
    """mod->name: char[MODULE_NAME_LEN] at its offset in the struct module in the file.

    6.1 reads it as a C string, so an unterminated name runs into the fields after
    it; hardened requires the NUL inside the array."""
    sh, name_offset = info.sechdrs[info.index.mod], info.kernel.profile.struct_module.name_offset
    off = sh.sh_offset + name_offset
    if sh.sh_type == C.SHT_NOBITS or sh.sh_size < name_offset + MODULE_NAME_LEN:
        info.unchecked(f".gnu.linkonce.this_module (section {info.index.mod}) too small to hold a name")
    name = info.image.cstring(off, "module name in .gnu.linkonce.this_module")
    if len(name) >= MODULE_NAME_LEN:
        info.unchecked(f"module name in .gnu.linkonce.this_module is not NUL-terminated within {MODULE_NAME_LEN} bytes")
    return name.decode("latin-1")


def blacklisted(info: LoadInfo) -> None:
    """module_blacklist= is a comma-separated list.  Errors: EPERM."""
    if info.name in info.kernel.config.blacklist:
        raise info.refuse(errno.EPERM, f"Module {info.name} is blacklisted")


def rewrite_section_headers(info: LoadInfo) -> None:
    """Point every sh_addr at the temporary copy; drop SHF_ALLOC from .modinfo and
    __versions (kept for reading, not loaded).  Requires: index.  Errors: none."""
    info.sechdrs[0].sh_addr = 0
    assert info.copy.alloc is not None, "copy_module() allocated the copy"
    copy_addr = info.copy.alloc.addr
    for sh in info.sechdrs[1:]:
        sh.sh_addr = (copy_addr + sh.sh_offset) & U64_MASK
    info.sechdrs[info.index.vers].sh_flags &= ~C.SHF_ALLOC
    info.sechdrs[info.index.info].sh_flags &= ~C.SHF_ALLOC
