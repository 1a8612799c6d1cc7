"""Structure-level model of a relocatable x86-64 ELF (ET_REL) kernel module.

An ``ElfModel`` describes only what a module author (or a structure-aware
mutator) chooses: the content sections, the symbols and the relocations.
Everything derivable — the NULL section header, ``.symtab``, ``.strtab``,
``.shstrtab`` and the ``.rela*`` sections — is produced by
``lkmfuzz.elf.writer.write_elf`` and recovered by ``read_model``.

References between items are by *name* where a name is unambiguous and by raw
*integer index* otherwise, so a mutator can also point anywhere on purpose:

* ``Symbol.section``: a ``Section`` name, or an int emitted verbatim as
  ``st_shndx`` (SHN_UNDEF, SHN_ABS, SHN_COMMON, ... or any header index).
* ``Reloc.symbol``: a ``Symbol`` name, or an int emitted verbatim as the
  symbol-table index in ``r_info``.

Names are ``str``; they are encoded with ``NAME_ENCODING``/``NAME_ERRORS``
(UTF-8 with surrogateescape), which round-trips arbitrary bytes read from
real files while keeping ordinary names readable.

The module-specific helpers at the end build the sections modpost and the
module macros emit (``.modinfo``, ``__versions``, ``.gnu.linkonce.this_module``).
"""

import struct
from dataclasses import dataclass, field

from ..abi.module import LINUX_6_1_X86_64, MODULE_NAME_LEN, MODVERSION_INFO
from .constants import (
    EM_X86_64,
    ET_REL,
    SHF_ALLOC,
    SHF_WRITE,
    SHT_PROGBITS,
    STB_GLOBAL,
    STT_NOTYPE,
)

NAME_ENCODING = "utf-8"
NAME_ERRORS = "surrogateescape"  # lossless for bytes that are not valid UTF-8

# __versions is an array of struct modversion_info (abi.module.MODVERSION_INFO).
# gcc gives x86-64 arrays of 32 bytes or more 32-byte alignment, and modpost's
# ____versions[] array is one: real modules show sh_addralign 32.
MODVERSION_ALIGN = 32

# .gnu.linkonce.this_module holds the module's struct module, cache-line aligned.
THIS_MODULE_ALIGN = 64

MODINFO_SECTION = ".modinfo"
VERSIONS_SECTION = "__versions"
THIS_MODULE_SECTION = ".gnu.linkonce.this_module"


def encode_name(name: str) -> bytes:
    """The bytes a model name stands for in a string table or a section's data."""
    return name.encode(NAME_ENCODING, NAME_ERRORS)


def decode_name(raw: bytes) -> str:
    """Inverse of ``encode_name`` for bytes read from a file (never fails)."""
    return raw.decode(NAME_ENCODING, NAME_ERRORS)


@dataclass
class Section:
    """A content section: anything but NULL, .symtab, .strtab, .shstrtab and .rela*.

    ``size`` is only meaningful for SHT_NOBITS (which has no file data); for
    every other type the section's size is ``len(data)``.  ``link``/``info``
    are emitted verbatim: they are header indices chosen by the author.
    """
    name: str
    type: int = SHT_PROGBITS
    flags: int = 0
    data: bytes = b""
    size: int | None = None
    addralign: int = 1
    entsize: int = 0
    link: int = 0
    info: int = 0


@dataclass
class Symbol:
    """A symbol-table entry; ``section`` is a Section name or a raw st_shndx."""
    name: str
    section: str | int
    value: int = 0
    size: int = 0
    bind: int = STB_GLOBAL
    type: int = STT_NOTYPE
    other: int = 0


@dataclass
class Reloc:
    """An Elf64_Rela; ``symbol`` is a Symbol name or a raw symbol-table index."""
    offset: int
    symbol: str | int
    type: int
    addend: int = 0


@dataclass
class ElfModel:
    """A whole relocatable module.

    ``symbols`` may mix local and global entries: the writer places locals
    first (stable order), as ELF requires, and sets .symtab's sh_info to the
    first non-local.  ``relocs`` maps a target section name to its
    relocations, emitted as ``.rela<name>``.  With ``section_symbols`` the
    writer emits one STT_SECTION local per content section, right after the
    NULL symbol, as gcc/gas do.
    """
    sections: list[Section] = field(default_factory=list)
    symbols: list[Symbol] = field(default_factory=list)
    relocs: dict[str, list[Reloc]] = field(default_factory=dict)
    section_symbols: bool = True
    machine: int = EM_X86_64
    etype: int = ET_REL


def modinfo_bytes(entries: list[tuple[str, str]]) -> bytes:
    """``key=value\\0`` for each entry, in order; keys may repeat (e.g. alias=)."""
    return b"".join(encode_name(f"{key}={value}") + b"\0" for key, value in entries)


def modinfo_section(entries: list[tuple[str, str]]) -> Section:
    """The .modinfo section MODULE_*() macros and modpost produce."""
    return Section(MODINFO_SECTION, SHT_PROGBITS, SHF_ALLOC, modinfo_bytes(entries))


def versions_bytes(entries: list[tuple[str, int]]) -> bytes:
    """Packed struct modversion_info array: u64 crc then a NUL-filled 56-byte name.

    A name of 56 bytes or more is truncated to exactly 56, leaving it
    unterminated, as a hand-crafted (or fuzzed) module might.
    """
    out = bytearray()
    for name, crc in entries:
        try:
            out += MODVERSION_INFO.pack(crc, encode_name(name))     # the name NUL-filled or cut to 56
        except struct.error as exc:
            raise ValueError(f"__versions entry {name!r}: crc {crc!r} is not a u64") from exc
    return bytes(out)


def versions_section(entries: list[tuple[str, int]]) -> Section:
    """The __versions section modpost writes for CONFIG_MODVERSIONS."""
    return Section(VERSIONS_SECTION, SHT_PROGBITS, SHF_ALLOC, versions_bytes(entries),
                   addralign=MODVERSION_ALIGN)


def this_module_bytes(name: str, size: int, name_offset: int = LINUX_6_1_X86_64.name_offset) -> bytes:
    """``size`` zero bytes with ``name`` NUL-terminated at struct module's name field."""
    raw = encode_name(name)
    if len(raw) >= MODULE_NAME_LEN:
        raise ValueError(f"module name {name!r} is {len(raw)} bytes; at most {MODULE_NAME_LEN - 1} fit")
    end = name_offset + len(raw) + 1  # + the terminating NUL
    if size < end:
        raise ValueError(f"struct module size {size} cannot hold the name {name!r} (needs {end})")
    out = bytearray(size)
    out[name_offset:end - 1] = raw
    return bytes(out)


def this_module_section(name: str, size: int) -> Section:
    """.gnu.linkonce.this_module: the module's struct module, only the name set."""
    return Section(THIS_MODULE_SECTION, SHT_PROGBITS, SHF_WRITE | SHF_ALLOC,
                   this_module_bytes(name, size), addralign=THIS_MODULE_ALIGN)
