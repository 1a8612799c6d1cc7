"""elf_validity_check(): the ELF checks before anything trusts the file.

Two orders of the same small checks:

* ``linux-6.1``: kernel/module/main.c elf_validity_check() of 6.1 (after
  "module: harden ELF info handling"): header, shentsize, header table in the
  file, shstrndx, name table in the file / non-empty / NUL-terminated, section 0,
  then every section's contents in the file, SYMTAB sh_link, and sh_name in range
  for SHF_ALLOC sections only.
* ``hardened``: the elf_validity_cache_*() split of later kernels (Matthew Maurer),
  which adds: sh_name in range for every section, at most one .modinfo, exactly
  one .gnu.linkonce.this_module that is ALLOC, not NOBITS and of the kernel's
  sizeof(struct module), exactly one SYMTAB, and a string table that is non-empty,
  NUL at both ends, with every st_name inside it.

Requires: info.image, info.len (the signature already stripped).
Sets: info.hdr, info.sechdrs, info.secstrings, info.secstrings_size; hardened also
info.index.{info,mod,sym,str} and info.strtab.
Errors: ENOEXEC.
"""

import errno
import struct

from ..elf import constants as C
from ..elf.structs import SHDR, Shdr
from .context import LoadInfo

ST_NAMES = struct.Struct("<I20x")   # st_name of each Elf64_Sym

NOEXEC = errno.ENOEXEC


def elf_validity_check(info: LoadInfo) -> None:
    if info.hardened:
        _validity_hardened(info)
    else:
        _validity_61(info)


def _validity_61(info: LoadInfo) -> None:
    check_ehdr(info)
    check_shdr_table(info)
    check_secstrings(info, all_names=False)
    check_sechdr0(info)
    for i in range(1, info.shnum):
        sh = info.sechdrs[i]
        if sh.sh_type in (C.SHT_NULL, C.SHT_NOBITS):
            continue
        if sh.sh_type == C.SHT_SYMTAB:
            check_symtab_link(info, i)
        check_section_offset(info, i)
        if sh.sh_flags & C.SHF_ALLOC and sh.sh_name >= info.secstrings_size:
            raise info.refuse(NOEXEC, f"Invalid ELF section name in module (section {i} type {sh.sh_type})")


def _validity_hardened(info: LoadInfo) -> None:
    check_ehdr(info)
    check_shdr_table(info)
    check_sechdr0(info)
    for i in sections_past_file(info):
        if info.sechdrs[i].sh_type not in (C.SHT_NULL, C.SHT_NOBITS):
            check_section_offset(info, i)
    check_secstrings(info, all_names=True)
    cache_index_info(info)
    cache_index_mod(info)
    cache_index_sym(info)
    check_symtab_link(info, info.index.sym)
    info.index.str = info.sechdrs[info.index.sym].sh_link
    cache_strtab(info)


def check_ehdr(info: LoadInfo) -> None:
    if info.len < C.EHDR_SIZE:
        raise info.refuse(NOEXEC, f"Invalid ELF header len {info.len}")
    hdr = info.hdr = info.image.ehdr()
    if hdr.e_ident[:C.SELFMAG] != C.ELFMAG:
        raise info.refuse(NOEXEC, "Invalid ELF header magic: != \\177ELF")
    if hdr.e_type != C.ET_REL:
        raise info.refuse(NOEXEC, f"Invalid ELF header type: {hdr.e_type} != {C.ET_REL}")
    # elf_check_arch() on x86-64 compares e_machine only: EI_CLASS/EI_DATA are not looked at.
    if hdr.e_machine != C.EM_X86_64:
        raise info.refuse(NOEXEC, f"Invalid architecture in ELF header: {hdr.e_machine}")


def check_shdr_table(info: LoadInfo) -> None:
    hdr = info.hdr
    if hdr.e_shentsize != C.SHDR_SIZE:
        raise info.refuse(NOEXEC, f"Invalid ELF section header size {hdr.e_shentsize}")
    # e_shnum is 16 bits, so the product cannot overflow; e_shoff is 64 bits.
    if hdr.e_shoff >= info.len or hdr.e_shnum * C.SHDR_SIZE > info.len - hdr.e_shoff:
        raise info.refuse(NOEXEC, f"Invalid ELF section header overflow (e_shoff {hdr.e_shoff:#x}, "
                                  f"e_shnum {hdr.e_shnum}, len {info.len})")
    table = info.image.read(hdr.e_shoff, hdr.e_shnum * C.SHDR_SIZE, "section header table")
    info.sechdrs = [Shdr(*fields) for fields in SHDR.iter_unpack(table)]


def check_sechdr0(info: LoadInfo) -> None:
    if not info.sechdrs:
        raise info.refuse(NOEXEC, "ELF Spec violation: no section 0")
    s0 = info.sechdrs[0]
    if s0.sh_type != C.SHT_NULL or s0.sh_size != 0 or s0.sh_addr != 0:
        raise info.refuse(NOEXEC, f"ELF Spec violation: section 0 type({s0.sh_type})!=SH_NULL or non-zero len or addr")


def section_in_file(info: LoadInfo, i: int) -> bool:
    """validate_section_offset(): offset+size inside the file, without wrapping."""
    sh = info.sechdrs[i]
    end = sh.sh_offset + sh.sh_size
    return end <= C.U64_MASK and end <= info.len


def sections_past_file(info: LoadInfo) -> list:
    """Indices (from 1) of the sections section_in_file() refuses, in order: one pass,
    since nearly every module has none."""
    return [i for i in range(1, info.shnum) if not section_in_file(info, i)]


def check_section_offset(info: LoadInfo, i: int) -> None:
    if not section_in_file(info, i):
        sh = info.sechdrs[i]
        raise info.refuse(NOEXEC, f"Invalid ELF section in module (section {i} type {sh.sh_type}): "
                                  f"offset {sh.sh_offset:#x}+size {sh.sh_size:#x} past end of file ({info.len})")


def check_secstrings(info: LoadInfo, all_names: bool) -> None:
    shstrndx = info.hdr.e_shstrndx
    if shstrndx == C.SHN_UNDEF or shstrndx >= info.shnum:
        raise info.refuse(NOEXEC, f"Invalid ELF section name index: {shstrndx} || e_shstrndx ({shstrndx}) "
                                  f">= e_shnum ({info.shnum})")
    if not section_in_file(info, shstrndx):
        raise info.refuse(NOEXEC, f"Invalid ELF section hdr(type {info.sechdrs[shstrndx].sh_type}): "
                                  f"section name table {shstrndx} past end of file")
    strhdr = info.sechdrs[shstrndx]
    info.secstrings, info.secstrings_size = strhdr.sh_offset, strhdr.sh_size
    if strhdr.sh_size == 0:
        raise info.refuse(NOEXEC, "empty section name table")
    if info.image.u8(strhdr.sh_offset + strhdr.sh_size - 1) != 0:
        raise info.refuse(NOEXEC, "ELF Spec violation: section name table isn't null terminated")
    if all_names:
        for i, sh in enumerate(info.sechdrs):
            if sh.sh_type != C.SHT_NULL and sh.sh_name >= strhdr.sh_size:
                raise info.refuse(NOEXEC, f"Invalid ELF section name in module (section {i} type {sh.sh_type})")


def check_symtab_link(info: LoadInfo, i: int) -> None:
    link = info.sechdrs[i].sh_link
    if link == C.SHN_UNDEF or link >= info.shnum:
        raise info.refuse(NOEXEC, f"Invalid ELF sh_link!=SHN_UNDEF({link}) or (sh_link({link}) >= "
                                  f"hdr->e_shnum({info.shnum})) in section {i}")


def cache_index_info(info: LoadInfo) -> None:
    count, idx = info.count_any_sec(b".modinfo")
    if count > 1:
        raise info.refuse(NOEXEC, f"Only one .modinfo section must exist ({count} found)")
    info.index.info = idx


def cache_index_mod(info: LoadInfo) -> None:
    count, idx = info.count_any_sec(b".gnu.linkonce.this_module")
    if count != 1:
        raise info.refuse(NOEXEC, f"Exactly one .gnu.linkonce.this_module section must exist ({count} found)")
    sh = info.sechdrs[idx]
    if sh.sh_type == C.SHT_NOBITS:
        raise info.refuse(NOEXEC, f".gnu.linkonce.this_module section {idx} must have a size set (is NOBITS)")
    if not sh.sh_flags & C.SHF_ALLOC:
        raise info.refuse(NOEXEC, f".gnu.linkonce.this_module section {idx} must be SHF_ALLOC")
    want = info.kernel.profile.struct_module_size
    if sh.sh_size != want:
        raise info.refuse(NOEXEC, f".gnu.linkonce.this_module section {idx} size {sh.sh_size:#x} must match "
                                  f"the kernel's struct module size {want:#x}")
    info.index.mod = idx


def cache_index_sym(info: LoadInfo) -> None:
    found = [i for i in range(1, info.shnum) if info.sechdrs[i].sh_type == C.SHT_SYMTAB]
    if len(found) != 1:
        raise info.refuse(NOEXEC, f"module has {len(found)} symbol tables, needs exactly one (stripped?)")
    info.index.sym = found[0]


def cache_strtab(info: LoadInfo) -> None:
    strsec = info.sechdrs[info.index.str]
    if strsec.sh_type == C.SHT_NOBITS:
        raise info.refuse(NOEXEC, f"symbol string table (section {info.index.str}) has no contents (NOBITS)")
    if strsec.sh_size == 0:
        raise info.refuse(NOEXEC, "empty symbol string table")
    image = info.image
    if image.u8(strsec.sh_offset) != 0:
        raise info.refuse(NOEXEC, "symbol string table missing leading NUL")
    if image.u8(strsec.sh_offset + strsec.sh_size - 1) != 0:
        raise info.refuse(NOEXEC, "symbol string table isn't NUL terminated")
    symsec = info.sechdrs[info.index.sym]
    count = symsec.sh_size // C.SYM_SIZE
    # The symbol table lies in the file (checked above), so its names can be read in one go.
    table = image.read(symsec.sh_offset, count * C.SYM_SIZE, "symbol table")
    for i, (st_name,) in enumerate(ST_NAMES.iter_unpack(table)):
        if st_name >= strsec.sh_size:
            raise info.refuse(NOEXEC, f"symbol {i} name offset {st_name:#x} out of bounds in string table")
    info.strtab = strsec.sh_offset

