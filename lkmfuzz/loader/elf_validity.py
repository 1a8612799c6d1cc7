"""elf_validity_check(): the ELF checks before anything trusts the file.

kernel/module/main.c elf_validity_check() of 6.1 (after "module: harden ELF info
handling"): header, shentsize, header table in the file, shstrndx, name table in
the file / non-empty / NUL-terminated, section 0, then every section's contents in
the file, SYMTAB sh_link, and sh_name in range for SHF_ALLOC sections only.  Then
the profile's validation checks on the file alone (hardening.ELF_CHECKS: the
elf_validity_cache_*() split of later kernels).

Requires: info.image, info.len (the signature already stripped).
Sets: info.hdr, info.sechdrs, info.secstrings, info.secstrings_size; with the
cache checks also info.index.{info,mod,sym,str}.
Errors: ENOEXEC.
"""

import errno

from ..abi.types import U64_MASK
from ..elf import constants as C
from ..elf.structs import SHDR, Shdr
from .context import LoadInfo
from .hardening import ELF_CHECKS, run_checks

NOEXEC = errno.ENOEXEC


def elf_validity_check(info: LoadInfo) -> None:
    check_ehdr(info)
    check_shdr_table(info)
    check_secstrings(info)
    check_sechdr0(info)
    # The kernel's loop stops at the first section that fails one of its three checks:
    # find the sections that may fail, in one pass, then run the loop's body on the first.
    limit, names, shnum = min(info.len, U64_MASK), info.secstrings_size, info.shnum
    suspects = [i for i, sh in enumerate(info.sechdrs)
                if i and sh.sh_type not in (C.SHT_NULL, C.SHT_NOBITS)
                and (sh.sh_type == C.SHT_SYMTAB and not 0 < sh.sh_link < shnum
                     or sh.sh_offset + sh.sh_size > limit or sh.sh_flags & C.SHF_ALLOC and sh.sh_name >= names)]
    for i in suspects[:1]:
        sh = info.sechdrs[i]
        if sh.sh_type == C.SHT_SYMTAB:
            check_symtab_link(info, i)
        check_section_offset(info, i)
        raise info.refuse(NOEXEC, f"Invalid ELF section name in module (section {i} type {sh.sh_type})")
    run_checks(info, ELF_CHECKS)


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
    return end <= U64_MASK and end <= info.len


def check_section_offset(info: LoadInfo, i: int) -> None:
    if not section_in_file(info, i):
        sh = info.sechdrs[i]
        raise info.refuse(NOEXEC, f"Invalid ELF section in module (section {i} type {sh.sh_type}): "
                                  f"offset {sh.sh_offset:#x}+size {sh.sh_size:#x} past end of file ({info.len})")


def check_secstrings(info: LoadInfo) -> None:
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


def check_symtab_link(info: LoadInfo, i: int) -> None:
    link = info.sechdrs[i].sh_link
    if link == C.SHN_UNDEF or link >= info.shnum:
        raise info.refuse(NOEXEC, f"Invalid ELF sh_link!=SHN_UNDEF({link}) or (sh_link({link}) >= "
                                  f"hdr->e_shnum({info.shnum})) in section {i}")
