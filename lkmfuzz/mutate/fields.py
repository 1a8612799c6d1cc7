"""Where the fields of a module file are: a tolerant map over raw bytes.

Mutators edit fields in place, so they must keep working on files that earlier
mutations already broke: every table is located with bounds checks and capped in
size, and whatever cannot be located is simply not offered as a target.  This is
not the loader's parser — it never decides validity, it only finds offsets.
"""

from dataclasses import dataclass

from ..elf import constants as C
from ..elf.structs import EHDR, SHDR, SYM

MAX_SECTIONS = 1024
MAX_ENTRIES = 4096

EHDR_LAYOUT = (("e_type", 16, 2), ("e_machine", 18, 2), ("e_version", 20, 4), ("e_entry", 24, 8),
               ("e_phoff", 32, 8), ("e_shoff", 40, 8), ("e_flags", 48, 4), ("e_ehsize", 52, 2),
               ("e_phentsize", 54, 2), ("e_phnum", 56, 2), ("e_shentsize", 58, 2), ("e_shnum", 60, 2),
               ("e_shstrndx", 62, 2), ("ei_class", 4, 1), ("ei_data", 5, 1))
SHDR_LAYOUT = (("sh_name", 0, 4), ("sh_type", 4, 4), ("sh_flags", 8, 8), ("sh_addr", 16, 8),
               ("sh_offset", 24, 8), ("sh_size", 32, 8), ("sh_link", 40, 4), ("sh_info", 44, 4),
               ("sh_addralign", 48, 8), ("sh_entsize", 56, 8))
SYM_LAYOUT = (("st_name", 0, 4), ("st_info", 4, 1), ("st_other", 5, 1), ("st_shndx", 6, 2),
              ("st_value", 8, 8), ("st_size", 16, 8))
RELA_LAYOUT = (("r_offset", 0, 8), ("r_info.type", 8, 4), ("r_info.sym", 12, 4), ("r_addend", 16, 8))


@dataclass(frozen=True)
class Field:
    name: str       # e.g. "shdr[7].sh_size"
    offset: int
    size: int


@dataclass(frozen=True)
class Section:
    index: int
    header: int     # file offset of the header
    sh_type: int
    sh_flags: int
    offset: int
    size: int
    link: int
    info: int
    name: bytes



SHDR_FIELDS = {name: (offset, size) for name, offset, size in SHDR_LAYOUT}


def header_field(section: Section, name: str) -> Field:
    """Field ``name`` (sh_type, sh_size, ...) of ``section``'s header."""
    offset, size = SHDR_FIELDS[name]
    return Field(name, section.header + offset, size)


class ModuleMap:
    """Lazily located tables of one module file."""

    def __init__(self, data: bytes):
        self.data = data
        self.ok = len(data) >= C.EHDR_SIZE and data[:4] == C.ELFMAG
        self._sections: list[Section] | None = None

    def ehdr_fields(self) -> list[Field]:
        return [Field(f"ehdr.{n}", o, s) for n, o, s in EHDR_LAYOUT] if len(self.data) >= C.EHDR_SIZE else []

    def sections(self) -> list[Section]:
        if self._sections is None:
            self._sections = self._locate_sections()
        return self._sections

    def _locate_sections(self) -> list[Section]:
        if not self.ok:
            return []
        _i, _t, _m, _v, _e, _p, shoff, _f, _eh, _pe, _pn, _se, shnum, shstrndx = EHDR.unpack_from(self.data)
        count = min(shnum, MAX_SECTIONS, max(0, (len(self.data) - shoff) // C.SHDR_SIZE))
        raw = [SHDR.unpack_from(self.data, shoff + i * C.SHDR_SIZE) for i in range(count)]
        names = raw[shstrndx] if shstrndx < count else None
        out = []
        for i, (name, typ, flags, _a, off, size, link, info, _al, _es) in enumerate(raw):
            out.append(Section(i, shoff + i * C.SHDR_SIZE, typ, flags, off, size, link, info,
                               self._string(names, name)))
        return out

    def _string(self, strtab, off: int) -> bytes:
        if strtab is None:
            return b""
        start = strtab[4] + off
        end = self.data.find(b"\0", start, min(len(self.data), strtab[4] + strtab[5]))
        return self.data[start:end] if start < len(self.data) and end >= 0 else b""

    def in_file(self, sec: Section) -> bool:
        return sec.sh_type != C.SHT_NOBITS and 0 <= sec.offset and sec.offset + sec.size <= len(self.data)

    def by_name(self, name: bytes) -> Section | None:
        return next((s for s in self.sections() if s.name == name and self.in_file(s)), None)

    def by_type(self, sh_type: int) -> list[Section]:
        return [s for s in self.sections() if s.sh_type == sh_type and self.in_file(s)]

    def shdr_fields(self, sec: Section) -> list[Field]:
        return [Field(f"shdr[{sec.index}].{n}", sec.header + o, s) for n, o, s in SHDR_LAYOUT]

    def entries(self, sec: Section, entsize: int) -> range:
        return range(min(sec.size // entsize, MAX_ENTRIES))

    def sym_fields(self, symtab: Section, i: int) -> list[Field]:
        base = symtab.offset + i * C.SYM_SIZE
        return [Field(f"sym[{i}].{n}", base + o, s) for n, o, s in SYM_LAYOUT]

    def rela_fields(self, rela: Section, i: int) -> list[Field]:
        base = rela.offset + i * C.RELA_SIZE
        return [Field(f"rela[{rela.index}][{i}].{n}", base + o, s) for n, o, s in RELA_LAYOUT]

    def symbols(self) -> list[tuple[int, bytes, tuple]]:
        """(index, name, fields) of the first symbol table, names from its string table."""
        tables = self.by_type(C.SHT_SYMTAB)
        if not tables:
            return []
        symtab = tables[0]
        sections = self.sections()
        strtab = sections[symtab.link] if symtab.link < len(sections) else None
        out = []
        for i in self.entries(symtab, C.SYM_SIZE):
            fields = SYM.unpack_from(self.data, symtab.offset + i * C.SYM_SIZE)
            name = b""
            if strtab is not None and self.in_file(strtab):
                start = strtab.offset + fields[0]
                end = self.data.find(b"\0", start, strtab.offset + strtab.size)
                name = self.data[start:end] if end >= 0 else b""
            out.append((i, name, fields))
        return out


def read_field(data: bytes, field: Field) -> int:
    return int.from_bytes(data[field.offset:field.offset + field.size], "little")


def write_field(data: bytes, field: Field, value: int) -> bytes:
    raw = (value & ((1 << (8 * field.size)) - 1)).to_bytes(field.size, "little")
    return data[:field.offset] + raw + data[field.offset + field.size:]

