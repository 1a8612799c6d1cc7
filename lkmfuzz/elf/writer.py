"""Serialise an ``ElfModel`` to ELF bytes (``write_elf``); ``elf.model_reader.read_model``
parses such bytes back.

Section header order is fixed::

    0        NULL
    1..N     the model's content sections, in model order
    N+1..    one .rela<target> per ``model.relocs`` key, sorted by target index
    then     .symtab, .strtab, .shstrtab

Rela sections all come *after* the content sections (rather than each right
after its target, as gcc emits them) so a content section's header index is
always ``1 + its position in model.sections``: adding or dropping relocations
never renumbers content sections, so raw integer references a mutator put in
``Symbol.section`` or ``Section.link``/``info`` keep pointing where intended.

File layout: ELF header, content section data (each at an offset aligned to
its addralign, capped at MAX_FILE_ALIGN; NOBITS take no space and get the
aligned offset where they would start, as gas does), the rela tables,
.symtab (8-aligned), .strtab, .shstrtab, and the section header table
(8-aligned) last.  String tables start with NUL; equal names share an entry.

Symbol table order: NULL, one STT_SECTION local per content section (when
``model.section_symbols``), the model's locals, then its other symbols, each
group in model order.  A name that several symbols (or sections) share
resolves to the first in that order.  ``read_model`` only relies on that for
relocation targets (``relocs`` is keyed by name, so a .rela must target the
first section of its name); elsewhere it writes an integer reference whenever
a name is shared.
"""

import struct
from dataclasses import dataclass

from ..abi.types import U32_MAX
from .constants import (
    EHDR_SIZE,
    EI_CLASS,
    EI_DATA,
    ELFCLASS64,
    ELFDATA2LSB,
    ELFMAG,
    EV_CURRENT,
    RELA_SIZE,
    SELFMAG,
    SHDR_SIZE,
    SHF_INFO_LINK,
    SHT_NOBITS,
    SHT_RELA,
    SHT_STRTAB,
    SHT_SYMTAB,
    STB_LOCAL,
    STT_SECTION,
    SYM_SIZE,
    r_info,
    st_info,
)
from .model import ElfModel, Reloc, Section, Symbol, encode_name
from .structs import EHDR, RELA, SHDR, SYM

SYMTAB_NAME = ".symtab"
STRTAB_NAME = ".strtab"
SHSTRTAB_NAME = ".shstrtab"
RELA_PREFIX = ".rela"

EI_NIDENT = 16      # sizeof(e_ident)
EI_VERSION = 6      # e_ident index of the ELF version (after EI_CLASS, EI_DATA)
NUL = b"\0"
ST_NIBBLE_MAX = 0xF  # st_info packs bind and type in four bits each

# Elf64_Sym/Elf64_Rela and the section header table hold u64 fields.
TABLE_ALIGN = 8
STRING_ALIGN = 1
# File offsets are aligned to at most a page, so a fuzzed sh_addralign of
# 2**40 stays in the header (where the loader's layout reads it) without
# making the file 2**40 bytes long.
MAX_FILE_ALIGN = 4096


# ---------------------------------------------------------------- planning

@dataclass
class _SectionPlan:
    """Header index of every section the writer emits for a model."""
    by_name: dict[str, int]          # first content section with each name
    rela: list[tuple[str, int]]      # (target name, target index), emission order
    symtab: int
    strtab: int
    shstrtab: int


def plan_sections(model: ElfModel) -> _SectionPlan:
    by_name: dict[str, int] = {}
    for index, sec in enumerate(model.sections, 1):
        by_name.setdefault(sec.name, index)
    rela = []
    for target in model.relocs:
        if target not in by_name:
            raise ValueError(f"relocations for unknown section {target!r}")
        rela.append((target, by_name[target]))
    rela.sort(key=lambda item: item[1])  # distinct names have distinct first indices: no ties
    symtab = len(model.sections) + len(rela) + 1
    return _SectionPlan(by_name, rela, symtab, symtab + 1, symtab + 2)


def _symbol_order(model: ElfModel) -> tuple[list[Symbol], int]:
    """Emitted symbols after the NULL one, and .symtab's sh_info (first non-local)."""
    section_syms = []
    if model.section_symbols:
        section_syms = [Symbol("", index, bind=STB_LOCAL, type=STT_SECTION)
                        for index in range(1, len(model.sections) + 1)]
    locals_ = [s for s in model.symbols if s.bind == STB_LOCAL]
    others = [s for s in model.symbols if s.bind != STB_LOCAL]
    return section_syms + locals_ + others, 1 + len(section_syms) + len(locals_)


# ----------------------------------------------------------------- writing

def _align_up(value: int, align: int) -> int:
    return -(-value // align) * align


def _file_align(addralign: int) -> int:
    """Offset alignment used in the file for a section's sh_addralign (0 means 1)."""
    return min(max(addralign, 1), MAX_FILE_ALIGN)


def _append(out: bytearray, data: bytes, align: int) -> int:
    """Pad ``out`` to ``align``, append ``data``, return where it starts."""
    offset = _align_up(len(out), align)
    out += bytes(offset - len(out))
    out += data
    return offset


def _string_table(names: list[str], what: str) -> tuple[bytes, list[int]]:
    """A string table (leading NUL) and each name's offset; equal names share one entry."""
    table = bytearray(NUL)
    seen = {"": 0}  # the empty name is the leading NUL
    offsets = []
    for name in names:
        offset = seen.get(name)
        if offset is None:
            raw = _encode(name, what)
            offset = seen[name] = len(table)
            table += raw + NUL
        offsets.append(offset)
    return bytes(table), offsets


def _encode(name: str, what: str) -> bytes:
    try:
        raw = encode_name(name)
    except UnicodeError as exc:
        raise ValueError(f"{what} name {name!r} cannot be encoded: {exc}") from exc
    if NUL in raw:
        raise ValueError(f"{what} name {name!r} contains a NUL byte")
    return raw


def _pack(st: struct.Struct, what: str, *fields) -> bytes:
    """``st.pack`` with a field out of range reported as ValueError naming ``what``."""
    try:
        return st.pack(*fields)
    except struct.error as exc:
        raise ValueError(f"{what}: field out of range ({exc}): {fields}") from exc


def _section_size(sec: Section) -> int:
    if sec.type == SHT_NOBITS:
        if sec.data:
            raise ValueError(f"section {sec.name!r}: SHT_NOBITS cannot carry data")
        return 0 if sec.size is None else sec.size
    if sec.size is not None and sec.size != len(sec.data):
        raise ValueError(f"section {sec.name!r}: size={sec.size} is only for SHT_NOBITS "
                         f"(data is {len(sec.data)} bytes)")
    return len(sec.data)


def _symbol_shndx(sym: Symbol, plan: _SectionPlan) -> int:
    if isinstance(sym.section, str):
        try:
            return plan.by_name[sym.section]
        except KeyError:
            raise ValueError(f"symbol {sym.name!r}: unknown section {sym.section!r}") from None
    return sym.section


def _check_nibble(value: int, what: str) -> None:
    if not 0 <= value <= ST_NIBBLE_MAX:
        raise ValueError(f"{what}={value} does not fit st_info's four bits")


def _symtab_bytes(symbols: list[Symbol], plan: _SectionPlan) -> tuple[bytes, bytes]:
    """(.symtab, .strtab) for the emitted symbol list (NULL symbol prepended)."""
    strtab, name_offsets = _string_table([s.name for s in symbols], "symbol")
    entries = [bytes(SYM_SIZE)]
    for sym, name_offset in zip(symbols, name_offsets, strict=False):
        what = f"symbol {sym.name!r}"
        _check_nibble(sym.bind, what + " bind")
        _check_nibble(sym.type, what + " type")
        entries.append(_pack(SYM, what, name_offset, st_info(sym.bind, sym.type), sym.other,
                             _symbol_shndx(sym, plan), sym.value, sym.size))
    return b"".join(entries), strtab


def _symbol_indices(symbols: list[Symbol]) -> dict[str, int]:
    """Name -> index of the first symbol with that name (NULL, named "", is index 0)."""
    index = {"": 0}
    for i, sym in enumerate(symbols, 1):
        index.setdefault(sym.name, i)
    return index


def _check_u32(value: int, what: str) -> None:
    if not 0 <= value <= U32_MAX:
        raise ValueError(f"{what}={value} does not fit r_info's 32 bits")


def _rela_bytes(target: str, relocs: list[Reloc], sym_index: dict[str, int]) -> bytes:
    entries = []
    for n, rel in enumerate(relocs):
        what = f"relocation {n} for section {target!r}"
        sym = rel.symbol
        if isinstance(sym, str):
            if sym not in sym_index:
                raise ValueError(f"{what}: unknown symbol {sym!r}")
            sym = sym_index[sym]
        _check_u32(sym, what + " symbol")
        _check_u32(rel.type, what + " type")
        entries.append(_pack(RELA, what, rel.offset, r_info(sym, rel.type), rel.addend))
    return b"".join(entries)


def _ehdr(model: ElfModel, shoff: int, shnum: int, shstrndx: int) -> bytes:
    ident = bytearray(EI_NIDENT)
    ident[:SELFMAG] = ELFMAG
    ident[EI_CLASS] = ELFCLASS64
    ident[EI_DATA] = ELFDATA2LSB
    ident[EI_VERSION] = EV_CURRENT
    return _pack(EHDR, "ELF header", bytes(ident), model.etype, model.machine, EV_CURRENT,
                 0, 0, shoff, 0, EHDR_SIZE, 0, 0, SHDR_SIZE, shnum, shstrndx)


def write_elf(model: ElfModel) -> bytes:
    """The ELF file for ``model``; ValueError names the first inconsistent item."""
    plan = plan_sections(model)
    symbols, first_nonlocal = _symbol_order(model)
    symtab, strtab = _symtab_bytes(symbols, plan)
    sym_index = _symbol_indices(symbols)
    relas = [_rela_bytes(target, model.relocs[target], sym_index) for target, _ in plan.rela]
    names = ([s.name for s in model.sections] + [RELA_PREFIX + t for t, _ in plan.rela]
             + [SYMTAB_NAME, STRTAB_NAME, SHSTRTAB_NAME])
    shstrtab, name_offsets = _string_table(names, "section")

    out = bytearray(EHDR_SIZE)  # the ELF header is filled in last, once e_shoff is known
    headers = [bytes(SHDR_SIZE)]
    for sec, name_offset in zip(model.sections, name_offsets, strict=False):
        size = _section_size(sec)
        if sec.type == SHT_NOBITS:  # occupies no file space: offset is where it would start
            offset = _align_up(len(out), _file_align(sec.addralign))
        else:
            offset = _append(out, sec.data, _file_align(sec.addralign))
        headers.append(_pack(SHDR, f"section {sec.name!r}", name_offset, sec.type, sec.flags, 0,
                             offset, size, sec.link, sec.info, sec.addralign, sec.entsize))
    rest = name_offsets[len(model.sections):]
    for (_target, target_index), data, name_offset in zip(plan.rela, relas, rest, strict=False):
        offset = _append(out, data, TABLE_ALIGN)
        headers.append(SHDR.pack(name_offset, SHT_RELA, SHF_INFO_LINK, 0, offset, len(data),
                                 plan.symtab, target_index, TABLE_ALIGN, RELA_SIZE))
    symtab_name, strtab_name, shstrtab_name = rest[len(relas):]
    offset = _append(out, symtab, TABLE_ALIGN)
    headers.append(SHDR.pack(symtab_name, SHT_SYMTAB, 0, 0, offset, len(symtab),
                             plan.strtab, first_nonlocal, TABLE_ALIGN, SYM_SIZE))
    offset = _append(out, strtab, STRING_ALIGN)
    headers.append(SHDR.pack(strtab_name, SHT_STRTAB, 0, 0, offset, len(strtab), 0, 0, STRING_ALIGN, 0))
    offset = _append(out, shstrtab, STRING_ALIGN)
    headers.append(SHDR.pack(shstrtab_name, SHT_STRTAB, 0, 0, offset, len(shstrtab), 0, 0, STRING_ALIGN, 0))

    shoff = _append(out, b"".join(headers), TABLE_ALIGN)
    out[:EHDR_SIZE] = _ehdr(model, shoff, len(headers), plan.shstrtab)
    return bytes(out)
