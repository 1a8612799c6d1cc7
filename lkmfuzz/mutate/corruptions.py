"""The measured corruption set: named corruptions of the bundled hello.ko, each one's
verdict measured on the real kernel (the oracle runs them, tests/test_measured_facts.py
pins the model's verdicts, fuzzing campaigns seed with them).

``HELLO_CORRUPTIONS`` maps a name to (how to corrupt hello's bytes, args, flags, attempts).
The struct module offsets are a release's (``corruptions_for(layout)``): the 6.1 set
(``HELLO_CORRUPTIONS``, abi.module.LINUX_6_1_X86_64) corrupts corpus/hello.ko, the 6.12 one
corpus/linux-6.12/hello.ko.  Names stay the same across releases: "core_layout.size" is the
size of the first region (6.12: mem[MOD_TEXT].size), where the layout counts on from.
"""

import lzma
import struct

from ..abi.module import (
    LAYOUT_SIZE_OFFSET,
    LINUX_6_1_X86_64,
    MODULE_NAME_LEN,
    MODVERSION_INFO_SIZE,
    MODVERSION_NAME_OFFSET,
    StructModuleLayout,
)
from ..abi.params import KERNEL_PARAM_OPS_OFFSET, KERNEL_PARAM_PERM_OFFSET
from ..abi.types import U8, U32, U64
from ..elf import constants as C
from ..elf import patch
from ..kernel.taint import TAINT_PROPRIETARY_MODULE
from ..loader.context import MODULE_INIT_COMPRESSED_FILE, MODULE_INIT_IGNORE_MODVERSIONS, MODULE_INIT_IGNORE_VERMAGIC


def first_region_size_offset(layout: StructModuleLayout) -> int:
    """core_layout.size (6.1) or mem[MOD_TEXT].size (6.4 on): the layout counts on from it."""
    return layout.core_size_offset if layout.mem_offset is None else layout.mem_offset + LAYOUT_SIZE_OFFSET


def _first_relocation_of_type(data: bytes, section: str, rtype: int) -> int:
    return next(i for i, (_o, info, _a) in enumerate(patch.relocations(data, section))
                if info & 0xFFFFFFFF == rtype)


def _nonzero_target(data: bytes) -> bytes:
    r_offset, _info, _addend = patch.relocations(data, ".rela.text")[0]
    text_off, _ = patch.section_bytes(data, ".text")
    return data[:text_off + r_offset] + b"\x01" + data[text_off + r_offset + 1:]


def _unterminated_name(data: bytes, layout: StructModuleLayout) -> bytes:
    """mod->name (char[MODULE_NAME_LEN] in this_module) without a NUL."""
    off, _ = patch.section_bytes(data, ".gnu.linkonce.this_module")
    name = off + layout.name_offset
    return data[:name] + b"x" * MODULE_NAME_LEN + data[name + MODULE_NAME_LEN:]


def _struct_module_field(offset: int, st: struct.Struct, value: int):
    """A field of the struct module the file brings, set in .gnu.linkonce.this_module."""
    def corrupt(data: bytes) -> bytes:
        off, _ = patch.section_bytes(data, ".gnu.linkonce.this_module")
        return data[:off + offset] + st.pack(value) + data[off + offset + st.size:]
    return corrupt


def _struct_over_version_crc(symbol: bytes, layout: StructModuleLayout):
    """.gnu.linkonce.this_module's sh_offset moved so that the struct's taints field lies
    on ``symbol``'s CRC in __versions: check_modinfo()'s set_bit(TAINT_OOT_MODULE) then
    flips a bit of it in the copy, and resolving ``symbol`` finds the wrong version."""
    def corrupt(data: bytes) -> bytes:
        off, versions = patch.section_bytes(data, "__versions")
        entry = next(i for i in range(0, len(versions), MODVERSION_INFO_SIZE)
                     if versions[i + MODVERSION_NAME_OFFSET:].split(b"\0", 1)[0] == symbol)
        return patch.set_shdr(data, ".gnu.linkonce.this_module", sh_offset=off + entry - layout.taints_offset)
    return corrupt


def _param_ops_32s(data: bytes) -> bytes:
    """__param's first kernel_param (mybyte) with its ops relocated as R_X86_64_32S: the
    low half of param_ops_byte's address, the high half left zero."""
    ops = next(i for i, (r_offset, _info, _addend) in enumerate(patch.relocations(data, ".rela__param"))
               if r_offset == KERNEL_PARAM_OPS_OFFSET)
    info = patch.relocations(data, ".rela__param")[ops][1]
    return patch.set_relocation(data, ".rela__param", ops, info=(info & ~0xFFFFFFFF) | C.R_X86_64_32S)


def _return_site_against(symbol: bytes):
    """.return_sites' first entry relocated against ``symbol`` (a kernel export) instead of .text."""
    def corrupt(data: bytes) -> bytes:
        r_info = patch.relocations(data, ".rela.return_sites")[0][1]
        index = patch.symbol_index(data, symbol.decode())
        return patch.set_relocation(data, ".rela.return_sites", 0, info=(index << 32) | (r_info & 0xFFFFFFFF))
    return corrupt


def _slash_in_name(data: bytes, layout: StructModuleLayout) -> bytes:
    """hello renamed a/b (struct module and modinfo): sysfs calls it a!b."""
    off, _ = patch.section_bytes(data, ".gnu.linkonce.this_module")
    name = off + layout.name_offset
    data = data[:name] + b"a/b\0\0" + data[name + 5:]
    return patch.replace_in_section(data, ".modinfo", b"name=hello\0", b"name=a/b\0\0\0")


def _empty_name(data: bytes, layout: StructModuleLayout) -> bytes:
    """hello with an empty name (struct module and modinfo): /init prints nothing after NAME."""
    off, _ = patch.section_bytes(data, ".gnu.linkonce.this_module")
    name = off + layout.name_offset
    data = data[:name] + b"\0" * 5 + data[name + 5:]
    return patch.replace_in_section(data, ".modinfo", b"name=hello\0", b"name=\0\0\0\0\0\0")


def _unread_param_name(data: bytes) -> bytes:
    """kernel_param 0 without a permission, its name pointer 1 TiB off: nothing reads it
    unless arguments are given (parse_args) — sysfs skips parameters without one."""
    data = patch.set_relocation(data, ".rela__param", 0, addend=1 << 40)
    off, _ = patch.section_bytes(data, "__param")
    perm = off + KERNEL_PARAM_PERM_OFFSET
    return data[:perm] + bytes(2) + data[perm + 2:]


def versions_name_unterminated(data: bytes) -> bytes:
    """The first __versions entry's 56-byte name without a NUL."""
    off, _body = patch.section_bytes(data, "__versions")
    name = off + MODVERSION_NAME_OFFSET
    return data[:name] + b"x" * MODULE_NAME_LEN + data[name + MODULE_NAME_LEN:]


def second_symbol_table(data: bytes) -> bytes:
    """.comment made a copy of .symtab ahead of it: 6.1 reads the first, which is sound."""
    symtab = patch.shdrs(data)[patch.section_index(data, ".symtab")]
    return patch.set_shdr(data, ".comment", sh_type=C.SHT_SYMTAB, sh_offset=symtab.sh_offset,
                          sh_size=symtab.sh_size, sh_link=symtab.sh_link, sh_info=symtab.sh_info,
                          sh_entsize=symtab.sh_entsize)


def relocation_past_its_section(data: bytes) -> bytes:
    """.rela.text's first r_offset at the end of .text: the write lands past it."""
    size = patch.shdrs(data)[patch.section_index(data, ".text")].sh_size
    return patch.set_relocation(data, ".rela.text", 0, offset=size)


def _relocation_symbol_out_of_range(data: bytes) -> bytes:
    """.rela.text's first r_info names symbol 0x7ffffff, its type kept."""
    r_info = patch.relocations(data, ".rela.text")[0][1]
    return patch.set_relocation(data, ".rela.text", 0, info=(0x7FFFFFF << 32) | (r_info & 0xFFFFFFFF))


def _this_module_flags(data: bytes, **fields) -> bytes:
    return patch.set_shdr(data, ".gnu.linkonce.this_module", **fields)


def _this_module_not_alloc(data: bytes) -> bytes:
    flags = patch.shdrs(data)[patch.section_index(data, ".gnu.linkonce.this_module")].sh_flags
    return _this_module_flags(data, sh_flags=flags & ~C.SHF_ALLOC)


def _orc_ip_short(data: bytes) -> bytes:
    """.orc_unwind_ip one entry short of .orc_unwind: unwind_module_init() WARNs, no ORC."""
    size = patch.shdrs(data)[patch.section_index(data, ".orc_unwind_ip")].sh_size
    return patch.set_shdr(data, ".orc_unwind_ip", sh_size=size - 4)


def _xz(data: bytes) -> bytes:
    """The module as Debian 6.12 ships it: one xz stream (CRC32 check, as kmod writes it)."""
    return lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32)


def _vermagic(data: bytes, old: bytes, new: bytes) -> bytes:
    return patch.replace_in_section(data, ".modinfo", old, new)


def _vermagic_release(data: bytes) -> bytes:
    """The release, vermagic's first word, another of the same length (6.1.0-56 -> 7.1.0-56)."""
    _, body = patch.section_bytes(data, ".modinfo")
    release = body[body.index(b"vermagic=") + len(b"vermagic="):].split(b" ", 1)[0]
    other = bytes([release[0] + 1]) + release[1:]
    return _vermagic(data, b"vermagic=" + release + b" ", b"vermagic=" + other + b" ")


def _versions_crc(data: bytes, symbol: str) -> bytes:
    return patch.set_version_crc(data, symbol, 0x12345678)


def ctors_and_init_array(data: bytes) -> bytes:
    """Two of hello's sections renamed .ctors and .init_array (EINVAL with CONFIG_CONSTRUCTORS)."""
    return patch.rename_section(patch.rename_section(data, ".rodata.str1.1", ".ctors"), ".rodata.str1.8", ".init_array")


def corruptions_for(layout: StructModuleLayout) -> dict:
    """name -> (how to corrupt hello, args, flags, attempts), for hello built against a
    kernel whose struct module is ``layout``."""
    core_size = first_region_size_offset(layout)
    return {
        "bad magic": (lambda d: b"\x7fELG" + d[4:], "", 0, 1),
        "truncated": (lambda d: d[: len(d) // 2], "", 0, 1),
        "e_shoff past EOF": (lambda d: patch.set_ehdr(d, e_shoff=len(d) + 64), "", 0, 1),
        "sh_offset past EOF": (lambda d: patch.set_shdr(d, ".text", sh_offset=len(d)), "", 0, 1),
        "shstrndx out of range": (lambda d: patch.set_ehdr(d, e_shstrndx=patch.ehdr(d).e_shnum), "", 0, 1),
        "ET_EXEC": (lambda d: patch.set_ehdr(d, e_type=C.ET_EXEC), "", 0, 1),
        "wrong e_machine": (lambda d: patch.set_ehdr(d, e_machine=C.EM_386), "", 0, 1),
        "e_shentsize 40": (lambda d: patch.set_ehdr(d, e_shentsize=40), "", 0, 1),
        "no this_module": (lambda d: patch.rename_section(d, ".gnu.linkonce.this_module", ".gnu.linkonce.other"),
                           "", 0, 1),
        "empty file": (lambda d: b"", "", 0, 1),
        "vermagic release differs": (_vermagic_release, "", 0, 1),
        "vermagic word differs": (lambda d: _vermagic(d, b"SMP preempt", b"SMP preemq"), "", 0, 1),
        "vermagic word differs, IGNORE_VERMAGIC": (lambda d: _vermagic(d, b"SMP preempt", b"SMP preemq"), "",
                                                   MODULE_INIT_IGNORE_VERMAGIC, 1),
        "module_layout crc wrong": (lambda d: _versions_crc(d, "module_layout"), "", 0, 1),
        "printk crc wrong": (lambda d: _versions_crc(d, "_printk"), "", 0, 1),
        "printk crc wrong, IGNORE_MODVERSIONS": (lambda d: _versions_crc(d, "_printk"), "",
                                                MODULE_INIT_IGNORE_MODVERSIONS, 1),
        "loaded twice": (lambda d: d, "", 0, 2),
        "this_module size 0x370": (lambda d: patch.set_shdr(d, ".gnu.linkonce.this_module", sh_size=0x370), "", 0, 1),
        "trailing garbage": (lambda d: d + b"\xa5" * 333, "", 0, 1),
        "ctors and init_array": (ctors_and_init_array, "", 0, 1),
        "SHN_COMMON symbol": (lambda d: patch.set_symbol(d, "hello_greet", st_shndx=C.SHN_COMMON), "", 0, 1),
        "unknown relocation type": (lambda d: patch.set_relocation(
            d, ".rela.text", 0, info=(patch.relocations(d, ".rela.text")[0][1] & ~0xFFFFFFFF) | C.R_X86_64_GOTPCREL),
            "", 0, 1),
        "32S overflow": (lambda d: patch.set_relocation(
            d, ".rela.init.text", _first_relocation_of_type(d, ".rela.init.text", C.R_X86_64_32S), addend=1 << 32),
            "", 0, 1),
        "nonzero relocation target": (_nonzero_target, "", 0, 1),
        "SHT_REL section": (lambda d: patch.set_shdr(d, ".rela.text", sh_type=C.SHT_REL), "", 0, 1),
        "writable text": (lambda d: patch.set_shdr(d, ".text", sh_flags=C.SHF_ALLOC | C.SHF_EXECINSTR | C.SHF_WRITE),
                          "", 0, 1),
        "unknown flags": (lambda d: d, "", 8, 1),
        "param not a number": (lambda d: d, "myint=abc", 0, 1),
        "param overflow": (lambda d: d, "myint=99999999999", 0, 1),
        "param without value": (lambda d: d, "myint", 0, 1),
        "short param overflow": (lambda d: d, "myshort=40000", 0, 1),
        "unknown param": (lambda d: d, "nosuchparam=1", 0, 1),
        "quoted param": (lambda d: d, 'mycharp="quoted value" myint=3', 0, 1),
        "params after --": (lambda d: d, "myint=1 -- myint=abc", 0, 1),
        "dash in param name": (lambda d: d, "my-int=7", 0, 1),
        "last param error wins": (lambda d: d, "myint=abc mybyte=999", 0, 1),
        # Found by `oracle diff` on mutants: Debian's 6.1.192 differs from plain v6.1 here.
        "symbol missing from __versions": (lambda d: patch.replace_in_section(d, "__versions", b"_printk\0",
                                                                              b"_printx\0"), "", 0, 1),
        "symbol section index 0xff00": (lambda d: patch.set_symbol(d, "hello_calls", st_shndx=0xFF00), "", 0, 1),
        # Two oopses the model predicts as kernel-fault (each costs the batch a reboot).
        "init symbol st_name 0x80000000": (lambda d: patch.set_symbol(d, "hello_init", st_name=0x80000000), "", 0, 1),
        "unterminated module name": (lambda d: _unterminated_name(d, layout), "", 0, 1),
        "slash in module name": (lambda d: _slash_in_name(d, layout), "", 0, 1),
        # 6.1 uses the whole struct module the file brings (loader/modstruct.py).
        "struct module core_layout.size 64 MiB": (_struct_module_field(core_size, U32, 64 << 20), "", 0, 1),
        "struct module core_layout.size 3 GiB": (_struct_module_field(core_size, U32, 3 << 30), "", 0, 1),
        "struct module taints P": (_struct_module_field(layout.taints_offset, U64, 1 << TAINT_PROPRIETARY_MODULE),
                                   "", 0, 1),
        "struct module klp set": (_struct_module_field(layout.klp_offset, U8, 1), "", 0, 1),
        "struct module percpu set, bad param": (_struct_module_field(layout.percpu_offset, U64, 0x1234567800),
                                                "myint=abc", 0, 1),
        "param ops relocated 32S, bad param": (_param_ops_32s, "myint=abc", 0, 1),
        "struct module over a __versions crc": (_struct_over_version_crc(b"param_ops_invbool", layout), "", 0, 1),
        # move_module() copies only sh_size bytes: the moved struct has no init_layout.base.
        "this_module size 0x100": (lambda d: patch.set_shdr(d, ".gnu.linkonce.this_module", sh_size=0x100), "", 0, 1),
        # The struct laid out in init memory (as the string table): read after init is freed.
        "symtab strtab link to this_module": (lambda d: patch.set_shdr(
            d, ".symtab", sh_link=patch.section_index(d, ".gnu.linkonce.this_module")), "", 0, 1),
        # Read as "" in the file's zero slack by layout_symtab, past init memory by add_kallsyms.
        "null symbol st_name 0x2000": (lambda d: patch.set_symbol(d, 0, st_name=0x2000), "", 0, 1),
        # Issue 19: found by the oracle on mutants.
        "empty module name": (lambda d: _empty_name(d, layout), "", 0, 1),
        "parameter name unread without arguments": (_unread_param_name, "", 0, 1),
        "parameter name read with arguments": (_unread_param_name, "myint=3", 0, 1),     # parse_args() oopses
        # apply_returns() decodes the kernel's own text: mapped (found by `oracle diff --seed 43`).
        "return site relocated against _printk": (_return_site_against(b"_printk"), "", 0, 1),
        # Issue 21's design set: what later kernels check, and what they still trust.
        "this_module NOBITS": (lambda d: _this_module_flags(d, sh_type=C.SHT_NOBITS), "", 0, 1),
        "this_module not ALLOC": (_this_module_not_alloc, "", 0, 1),
        "shstrtab not STRTAB": (lambda d: patch.set_shdr(d, ".shstrtab", sh_type=C.SHT_PROGBITS), "", 0, 1),
        "strtab not STRTAB": (lambda d: patch.set_shdr(d, ".strtab", sh_type=C.SHT_PROGBITS), "", 0, 1),
        "two .modinfo": (lambda d: patch.rename_section(d, ".comment", ".modinfo"), "", 0, 1),
        "two SYMTAB": (second_symbol_table, "", 0, 1),
        "r_offset past its section": (relocation_past_its_section, "", 0, 1),
        "r_info symbol out of range": (_relocation_symbol_out_of_range, "", 0, 1),
        "__versions name unterminated": (versions_name_unterminated, "", 0, 1),
        "ORC tables of unequal size": (_orc_ip_short, "", 0, 1),
        ".bss of 4 GiB": (lambda d: patch.set_shdr(d, ".bss", sh_size=1 << 32), "", 0, 1),
        "32-bit layout wrap": (lambda d: patch.set_shdr(d, ".bss", sh_size=0xFFFFF000), "", 0, 1),
        "xz-compressed, COMPRESSED_FILE": (_xz, "", MODULE_INIT_COMPRESSED_FILE, 1),
        "xz-compressed without the flag": (_xz, "", 0, 1),
        "garbage with COMPRESSED_FILE": (lambda d: d, "", MODULE_INIT_COMPRESSED_FILE, 1),
    }


HELLO_CORRUPTIONS = corruptions_for(LINUX_6_1_X86_64)
