"""Serialise an ``ElfModel`` to ELF bytes (``write_elf``) and parse it back (``read_model``).

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
from collections import Counter
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
    SHN_LORESERVE,
    SHN_UNDEF,
    SHN_XINDEX,
    SHT_NOBITS,
    SHT_RELA,
    SHT_STRTAB,
    SHT_SYMTAB,
    STB_LOCAL,
    STT_SECTION,
    SYM_SIZE,
    r_info,
    r_sym,
    r_type,
    st_bind,
    st_info,
    st_type,
)
from .model import ElfModel, Reloc, Section, Symbol, decode_name, encode_name
from .structs import EHDR, RELA, SHDR, SYM, Ehdr, Shdr, Sym

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


def _plan_sections(model: ElfModel) -> _SectionPlan:
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
    plan = _plan_sections(model)
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


# ----------------------------------------------------------------- reading

def _read_ehdr(data: bytes) -> Ehdr:
    if len(data) < EHDR_SIZE:
        raise ValueError(f"file is {len(data)} bytes, shorter than the {EHDR_SIZE}-byte ELF header")
    ehdr = Ehdr.unpack_from(data)
    ident = ehdr.e_ident
    if ident[:SELFMAG] != ELFMAG:
        raise ValueError(f"e_ident: bad magic {ident[:SELFMAG]!r}")
    if ident[EI_CLASS] != ELFCLASS64:
        raise ValueError(f"e_ident[EI_CLASS]={ident[EI_CLASS]} is not ELFCLASS64")
    if ident[EI_DATA] != ELFDATA2LSB:
        raise ValueError(f"e_ident[EI_DATA]={ident[EI_DATA]} is not ELFDATA2LSB")
    if ehdr.e_shentsize != SHDR_SIZE:
        raise ValueError(f"e_shentsize={ehdr.e_shentsize} is not {SHDR_SIZE}")
    if ehdr.e_shnum == 0:
        raise ValueError("e_shnum=0: no section headers (extended numbering is not supported)")
    if ehdr.e_shstrndx in (SHN_UNDEF, SHN_XINDEX) or ehdr.e_shstrndx >= ehdr.e_shnum:
        raise ValueError(f"e_shstrndx={ehdr.e_shstrndx} is not a section index below e_shnum={ehdr.e_shnum}")
    return ehdr


def _read_shdrs(data: bytes, ehdr: Ehdr) -> list[Shdr]:
    end = ehdr.e_shoff + ehdr.e_shnum * SHDR_SIZE
    if end > len(data):
        raise ValueError(f"e_shoff={ehdr.e_shoff:#x}: {ehdr.e_shnum} section headers end at "
                         f"{end:#x}, past the end of the {len(data):#x}-byte file")
    return [Shdr.unpack_from(data, ehdr.e_shoff + i * SHDR_SIZE) for i in range(ehdr.e_shnum)]


def _section_data(data: bytes, sh: Shdr, index: int) -> bytes:
    if sh.sh_type == SHT_NOBITS:
        return b""
    end = sh.sh_offset + sh.sh_size
    if end > len(data):
        raise ValueError(f"section {index}: sh_offset={sh.sh_offset:#x} + sh_size={sh.sh_size:#x} "
                         f"runs past the end of the {len(data):#x}-byte file")
    return data[sh.sh_offset:end]


def _cstring(table: bytes, offset: int, what: str) -> str:
    if offset >= len(table):
        raise ValueError(f"{what}={offset:#x} is outside its {len(table)}-byte string table")
    end = table.find(NUL, offset)
    if end < 0:
        raise ValueError(f"{what}={offset:#x}: string is not NUL-terminated")
    return decode_name(table[offset:end])


def _entries(data: bytes, shdrs: list[Shdr], index: int, st: struct.Struct) -> list[tuple]:
    """Fixed-size records of section ``index`` (.symtab or a .rela)."""
    sh = shdrs[index]
    if sh.sh_size % st.size:
        raise ValueError(f"section {index}: sh_size={sh.sh_size:#x} is not a multiple of {st.size}")
    return list(st.iter_unpack(_section_data(data, sh, index)))


@dataclass
class _FileRoles:
    """Which headers of a parsed file are derived (rebuilt by the writer) or content."""
    symtab: int | None
    strtab: int | None
    relas: list[int]
    content: list[int]   # header indices, file order
    content_names: Counter  # how many content sections bear each name


def _classify(shdrs: list[Shdr], names: list[str], shstrndx: int) -> _FileRoles:
    symtabs = [i for i, sh in enumerate(shdrs) if sh.sh_type == SHT_SYMTAB]
    if len(symtabs) > 1:
        raise ValueError(f"sections {symtabs}: more than one SHT_SYMTAB")
    symtab = symtabs[0] if symtabs else None
    strtab = None
    if symtab is not None:
        strtab = shdrs[symtab].sh_link
        if not 0 < strtab < len(shdrs) or strtab == symtab:
            raise ValueError(f"section {symtab} (symtab): sh_link={strtab} is not a string table index")
    relas = [i for i, sh in enumerate(shdrs) if sh.sh_type == SHT_RELA]
    if shstrndx == symtab or shstrndx in relas:
        raise ValueError(f"e_shstrndx={shstrndx} names the symbol table or a relocation section")
    derived = {SHN_UNDEF, shstrndx, symtab, strtab, *relas}
    content = [i for i in range(len(shdrs)) if i not in derived]
    return _FileRoles(symtab, strtab, relas, content, Counter(names[i] for i in content))


def _read_sections(data: bytes, shdrs: list[Shdr], names: list[str], content: list[int]) -> list[Section]:
    """Content sections with link/info still as file indices (``_renumber`` fixes them)."""
    sections = []
    for i in content:
        sh = shdrs[i]
        size = sh.sh_size if sh.sh_type == SHT_NOBITS else None
        sections.append(Section(names[i], sh.sh_type, sh.sh_flags, _section_data(data, sh, i),
                                size, sh.sh_addralign, sh.sh_entsize, sh.sh_link, sh.sh_info))
    return sections


def _read_symbols(data: bytes, shdrs: list[Shdr], roles: _FileRoles) -> list[tuple[str, Sym]]:
    """(name, raw entry) for every symbol, NULL included; checks locals come first."""
    if roles.symtab is None:
        return []
    strtab = _section_data(data, shdrs[roles.strtab], roles.strtab)
    syms = [Sym(*fields) for fields in _entries(data, shdrs, roles.symtab, SYM)]
    named = [(_cstring(strtab, s.st_name, f"symbol {k} st_name"), s) for k, s in enumerate(syms)]
    first_nonlocal = shdrs[roles.symtab].sh_info
    if syms and not 0 < first_nonlocal <= len(syms):
        raise ValueError(f"section {roles.symtab} (symtab): sh_info={first_nonlocal} is not in 1..{len(syms)}")
    for k in range(1, len(syms)):
        if (st_bind(syms[k].st_info) == STB_LOCAL) != (k < first_nonlocal):
            raise ValueError(f"symbol {k} ({named[k][0]!r}): binding {st_bind(syms[k].st_info)} is on the "
                             f"wrong side of the symtab's sh_info={first_nonlocal} (locals must come first)")
    return named


def _has_section_symbols(named: list[tuple[str, Sym]], content: list[int]) -> bool:
    """True when symbols 1..N are exactly the STT_SECTION locals write_elf emits."""
    if len(named) <= len(content):
        return not content  # vacuously true with no content sections
    want_info = st_info(STB_LOCAL, STT_SECTION)
    return all(name == "" and s.st_info == want_info and s.st_other == 0 and s.st_shndx == index
               and s.st_value == 0 and s.st_size == 0
               for (name, s), index in zip(named[1:], content, strict=False))


def _read_relocs(data: bytes, shdrs: list[Shdr], roles: _FileRoles, names: list[str],
                 named: list[tuple[str, Sym]]) -> tuple[dict[str, list[Reloc]], dict[int, str]]:
    """Relocations keyed by target name, and each rela header's target name."""
    sym_names = Counter(name for name, _ in named)
    relocs: dict[str, list[Reloc]] = {}
    targets: dict[int, str] = {}
    for i in roles.relas:
        target = _rela_target(shdrs[i], i, roles, names)
        entries = relocs.setdefault(target, [])  # several .rela for one target merge
        for offset, info, addend in _entries(data, shdrs, i, RELA):
            sym = r_sym(info)
            name = named[sym][0] if sym < len(named) else None
            ref = name if name is not None and sym_names[name] == 1 else sym  # shared or past the table
            entries.append(Reloc(offset, ref, r_type(info), addend))
        targets[i] = target
    return relocs, targets


def _rela_target(sh: Shdr, index: int, roles: _FileRoles, names: list[str]) -> str:
    if sh.sh_link != roles.symtab:
        raise ValueError(f"section {index} (rela): sh_link={sh.sh_link} is not the symbol table "
                         f"({roles.symtab})")
    if sh.sh_info not in roles.content:
        raise ValueError(f"section {index} (rela): sh_info={sh.sh_info} is not a content section")
    target = names[sh.sh_info]
    first = next(i for i in roles.content if names[i] == target)
    if sh.sh_info != first:  # write_elf keys relocs by name and resolves a shared name to the first
        raise ValueError(f"section {index} (rela): sh_info={sh.sh_info} targets a later section named "
                         f"{target!r} (the first is {first}), which the model cannot key")
    return target


def _index_map(roles: _FileRoles, targets: dict[int, str], shstrndx: int, model: ElfModel) -> dict[int, int]:
    """File header index -> the index write_elf will give the same section."""
    plan = _plan_sections(model)
    new_rela = {target: 1 + len(model.sections) + n for n, (target, _) in enumerate(plan.rela)}
    mapping = {old: new for new, old in enumerate(roles.content, 1)}
    mapping.update({old: new_rela[target] for old, target in targets.items()})
    if roles.symtab is not None:
        mapping[roles.symtab] = plan.symtab
        mapping[roles.strtab] = plan.strtab
    mapping[shstrndx] = plan.shstrtab  # after strtab: a shared table is named by e_shstrndx
    return mapping


def _renumber(sections: list[Section], mapping: dict[int, int]) -> None:
    """Point link (always a header index) and SHF_INFO_LINK info at the new indices."""
    for sec in sections:
        sec.link = mapping.get(sec.link, sec.link)
        if sec.flags & SHF_INFO_LINK:
            sec.info = mapping.get(sec.info, sec.info)


def _section_ref(shndx: int, names: list[str], roles: _FileRoles,
                 mapping: dict[int, int]) -> str | int:
    """A symbol's section as the model spells it: a unique content name, else an index."""
    if shndx == SHN_UNDEF or shndx >= SHN_LORESERVE:
        return shndx  # special indices are kept verbatim
    if shndx >= len(names):
        return shndx  # points past the header table: the model keeps the raw index
    is_content = mapping[shndx] <= len(roles.content)  # content keeps the low indices
    if is_content and roles.content_names[names[shndx]] == 1:
        return names[shndx]
    return mapping[shndx]  # a shared name or a derived section: the writer's index


def _model_symbols(named: list[tuple[str, Sym]], skip: int, names: list[str], roles: _FileRoles,
                   mapping: dict[int, int]) -> list[Symbol]:
    symbols = []
    for k in range(1 + skip, len(named)):
        name, s = named[k]
        section = _section_ref(s.st_shndx, names, roles, mapping)
        symbols.append(Symbol(name, section, s.st_value, s.st_size, st_bind(s.st_info),
                              st_type(s.st_info), s.st_other))
    return symbols


def read_model(data: bytes) -> ElfModel:
    """Parse a well-formed ELF64 LSB relocatable file into an ``ElfModel``.

    A convenience parser for mutators, not the loader's validity check: a
    structural malformation (out-of-bounds data, bad string offsets, table
    sizes, a .rela without a symtab or target, locals after globals) raises
    ValueError naming the index or field.  A symbol or section index past the
    end of its table is not structural — the model spells it as a raw int —
    so it is kept as one, letting mutated files be read back.  Content
    sections keep their file order; indices in link/info/st_shndx are
    renumbered to what ``write_elf`` will emit, so ``read_model`` after
    ``write_elf`` is a fixed point.
    """
    data = bytes(data)
    ehdr = _read_ehdr(data)
    shdrs = _read_shdrs(data, ehdr)
    shstrtab = _section_data(data, shdrs[ehdr.e_shstrndx], ehdr.e_shstrndx)
    names = [_cstring(shstrtab, sh.sh_name, f"section {i} sh_name") for i, sh in enumerate(shdrs)]
    roles = _classify(shdrs, names, ehdr.e_shstrndx)
    sections = _read_sections(data, shdrs, names, roles.content)
    named = _read_symbols(data, shdrs, roles)
    relocs, targets = _read_relocs(data, shdrs, roles, names, named)
    section_symbols = _has_section_symbols(named, roles.content)
    model = ElfModel(sections, [], relocs, section_symbols, ehdr.e_machine, ehdr.e_type)
    mapping = _index_map(roles, targets, ehdr.e_shstrndx, model)
    _renumber(sections, mapping)
    skip = len(sections) if section_symbols else 0
    model.symbols = _model_symbols(named, skip, names, roles, mapping)
    return model
