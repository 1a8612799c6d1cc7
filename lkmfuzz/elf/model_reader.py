"""Parse ELF bytes back into an ``ElfModel`` (``read_model``), the inverse of
``elf.writer.write_elf``: ``read_model(write_elf(m)) == m`` for a canonical model, and
``write_elf(read_model(data)) == data`` for a file ``write_elf`` wrote.

For mutators and the minimizer, not the loader: the loader reads a module through
``elf.reader.Image`` with the kernel's own checks.  Section and symbol indices are
renumbered to the header order ``write_elf`` emits (``writer.plan_sections``).
"""

import struct
from collections import Counter
from dataclasses import dataclass
from typing import NamedTuple

from . import constants as C
from .model import ElfModel, Reloc, Section, Symbol, decode_name
from .structs import RELA, SYM, Ehdr, Shdr, Sym
from .writer import NUL, plan_sections


def _read_ehdr(data: bytes) -> Ehdr:
    if len(data) < C.EHDR_SIZE:
        raise ValueError(f"file is {len(data)} bytes, shorter than the {C.EHDR_SIZE}-byte ELF header")
    ehdr = Ehdr.unpack_from(data)
    ident = ehdr.e_ident
    if ident[:C.SELFMAG] != C.ELFMAG:
        raise ValueError(f"e_ident: bad magic {ident[:C.SELFMAG]!r}")
    if ident[C.EI_CLASS] != C.ELFCLASS64:
        raise ValueError(f"e_ident[C.EI_CLASS]={ident[C.EI_CLASS]} is not C.ELFCLASS64")
    if ident[C.EI_DATA] != C.ELFDATA2LSB:
        raise ValueError(f"e_ident[C.EI_DATA]={ident[C.EI_DATA]} is not C.ELFDATA2LSB")
    if ehdr.e_shentsize != C.SHDR_SIZE:
        raise ValueError(f"e_shentsize={ehdr.e_shentsize} is not {C.SHDR_SIZE}")
    if ehdr.e_shnum == 0:
        raise ValueError("e_shnum=0: no section headers (extended numbering is not supported)")
    if ehdr.e_shstrndx in (C.SHN_UNDEF, C.SHN_XINDEX) or ehdr.e_shstrndx >= ehdr.e_shnum:
        raise ValueError(f"e_shstrndx={ehdr.e_shstrndx} is not a section index below e_shnum={ehdr.e_shnum}")
    return ehdr


def _read_shdrs(data: bytes, ehdr: Ehdr) -> list[Shdr]:
    end = ehdr.e_shoff + ehdr.e_shnum * C.SHDR_SIZE
    if end > len(data):
        raise ValueError(f"e_shoff={ehdr.e_shoff:#x}: {ehdr.e_shnum} section headers end at "
                         f"{end:#x}, past the end of the {len(data):#x}-byte file")
    return [Shdr.unpack_from(data, ehdr.e_shoff + i * C.SHDR_SIZE) for i in range(ehdr.e_shnum)]


def _section_data(data: bytes, sh: Shdr, index: int) -> bytes:
    if sh.sh_type == C.SHT_NOBITS:
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


class _SymbolTables(NamedTuple):
    """Header indices of the symbol table and of its string table (its sh_link)."""
    symtab: int
    strtab: int


@dataclass
class _FileRoles:
    """Which headers of a parsed file are derived (rebuilt by the writer) or content."""
    tables: _SymbolTables | None  # None: the file has no symbol table
    relas: list[int]
    content: list[int]   # header indices, file order
    content_names: Counter  # how many content sections bear each name

    @property
    def symtab(self) -> int | None:
        return None if self.tables is None else self.tables.symtab


def _classify(shdrs: list[Shdr], names: list[str], shstrndx: int) -> _FileRoles:
    symtabs = [i for i, sh in enumerate(shdrs) if sh.sh_type == C.SHT_SYMTAB]
    if len(symtabs) > 1:
        raise ValueError(f"sections {symtabs}: more than one C.SHT_SYMTAB")
    symtab = symtabs[0] if symtabs else None
    strtab = None
    tables = None
    if symtab is not None:
        strtab = shdrs[symtab].sh_link
        if not 0 < strtab < len(shdrs) or strtab == symtab:
            raise ValueError(f"section {symtab} (symtab): sh_link={strtab} is not a string table index")
        tables = _SymbolTables(symtab, strtab)
    relas = [i for i, sh in enumerate(shdrs) if sh.sh_type == C.SHT_RELA]
    if shstrndx == symtab or shstrndx in relas:
        raise ValueError(f"e_shstrndx={shstrndx} names the symbol table or a relocation section")
    derived = {C.SHN_UNDEF, shstrndx, symtab, strtab, *relas}
    content = [i for i in range(len(shdrs)) if i not in derived]
    return _FileRoles(tables, relas, content, Counter(names[i] for i in content))


def _read_sections(data: bytes, shdrs: list[Shdr], names: list[str], content: list[int]) -> list[Section]:
    """Content sections with link/info still as file indices (``_renumber`` fixes them)."""
    sections = []
    for i in content:
        sh = shdrs[i]
        size = sh.sh_size if sh.sh_type == C.SHT_NOBITS else None
        sections.append(Section(names[i], sh.sh_type, sh.sh_flags, _section_data(data, sh, i),
                                size, sh.sh_addralign, sh.sh_entsize, sh.sh_link, sh.sh_info))
    return sections


def _read_symbols(data: bytes, shdrs: list[Shdr], roles: _FileRoles) -> list[tuple[str, Sym]]:
    """(name, raw entry) for every symbol, NULL included; checks locals come first."""
    if roles.tables is None:
        return []
    symtab, strtab_index = roles.tables
    strtab = _section_data(data, shdrs[strtab_index], strtab_index)
    syms = [Sym(*fields) for fields in _entries(data, shdrs, symtab, SYM)]
    named = [(_cstring(strtab, s.st_name, f"symbol {k} st_name"), s) for k, s in enumerate(syms)]
    first_nonlocal = shdrs[symtab].sh_info
    if syms and not 0 < first_nonlocal <= len(syms):
        raise ValueError(f"section {symtab} (symtab): sh_info={first_nonlocal} is not in 1..{len(syms)}")
    for k in range(1, len(syms)):
        if (C.st_bind(syms[k].st_info) == C.STB_LOCAL) != (k < first_nonlocal):
            raise ValueError(f"symbol {k} ({named[k][0]!r}): binding {C.st_bind(syms[k].st_info)} is on the "
                             f"wrong side of the symtab's sh_info={first_nonlocal} (locals must come first)")
    return named


def _has_section_symbols(named: list[tuple[str, Sym]], content: list[int]) -> bool:
    """True when symbols 1..N are exactly the C.STT_SECTION locals write_elf emits."""
    if len(named) <= len(content):
        return not content  # vacuously true with no content sections
    want_info = C.st_info(C.STB_LOCAL, C.STT_SECTION)
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
            sym = C.r_sym(info)
            name = named[sym][0] if sym < len(named) else None
            ref = name if name is not None and sym_names[name] == 1 else sym  # shared or past the table
            entries.append(Reloc(offset, ref, C.r_type(info), addend))
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
    plan = plan_sections(model)
    new_rela = {target: 1 + len(model.sections) + n for n, (target, _) in enumerate(plan.rela)}
    mapping = {old: new for new, old in enumerate(roles.content, 1)}
    mapping.update({old: new_rela[target] for old, target in targets.items()})
    if roles.tables is not None:
        mapping[roles.tables.symtab] = plan.symtab
        mapping[roles.tables.strtab] = plan.strtab
    mapping[shstrndx] = plan.shstrtab  # after strtab: a shared table is named by e_shstrndx
    return mapping


def _renumber(sections: list[Section], mapping: dict[int, int]) -> None:
    """Point link (always a header index) and C.SHF_INFO_LINK info at the new indices."""
    for sec in sections:
        sec.link = mapping.get(sec.link, sec.link)
        if sec.flags & C.SHF_INFO_LINK:
            sec.info = mapping.get(sec.info, sec.info)


def _section_ref(shndx: int, names: list[str], roles: _FileRoles,
                 mapping: dict[int, int]) -> str | int:
    """A symbol's section as the model spells it: a unique content name, else an index."""
    if shndx == C.SHN_UNDEF or shndx >= C.SHN_LORESERVE:
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
        symbols.append(Symbol(name, section, s.st_value, s.st_size, C.st_bind(s.st_info),
                              C.st_type(s.st_info), s.st_other))
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
