"""Targeted, in-place edits of a module file: one field at a time.

The measured corruption set (mutate/corruptions.py) is built with these, and mutators use them
for field-level operators.  Each function takes bytes and returns new bytes; a
name that cannot be found raises ``PatchError`` naming it (a broken test fixture,
not a loader verdict).
"""

from ..abi.module import MODVERSION_INFO_SIZE, MODVERSION_NAME_OFFSET
from ..abi.types import U64
from ..errors import LkmfuzzError
from . import constants as C
from .structs import RELA, Ehdr, Shdr, Sym


class PatchError(LkmfuzzError, ValueError):
    pass


def ehdr(data: bytes) -> Ehdr:
    return Ehdr.unpack_from(data)


def shdrs(data: bytes) -> list[Shdr]:
    h = ehdr(data)
    return [Shdr.unpack_from(data, h.e_shoff + i * C.SHDR_SIZE) for i in range(h.e_shnum)]


def section_name(data: bytes, i: int) -> str:
    secs = shdrs(data)
    strtab = secs[ehdr(data).e_shstrndx]
    start = strtab.sh_offset + secs[i].sh_name
    return data[start:data.index(b"\0", start)].decode("latin-1")


def section_index(data: bytes, name: str) -> int:
    for i in range(len(shdrs(data))):
        if section_name(data, i) == name:
            return i
    raise PatchError(f"no section named {name!r}")


def _edit_record(data: bytes, off: int, record, what: str, fields: dict) -> bytes:
    """Unpack the record at ``off``, set ``fields`` on it, pack it back in place."""
    item = record.unpack_from(data, off)
    for key, value in fields.items():
        if key not in record.__slots__:
            raise PatchError(f"unknown {what} field {key!r}")
        setattr(item, key, value)
    packed = item.pack()
    return data[:off] + packed + data[off + len(packed):]


def set_ehdr(data: bytes, **fields) -> bytes:
    return _edit_record(data, 0, Ehdr, "ELF header", fields)


def set_shdr(data: bytes, index: int | str, **fields) -> bytes:
    i = section_index(data, index) if isinstance(index, str) else index
    return _edit_record(data, ehdr(data).e_shoff + i * C.SHDR_SIZE, Shdr, "section header", fields)


def rename_section(data: bytes, old: str, new: str) -> bytes:
    """Overwrite a section name in .shstrtab (``new`` no longer than ``old``)."""
    if len(new) > len(old):
        raise PatchError(f"new name {new!r} longer than {old!r}")
    i = section_index(data, old)
    secs = shdrs(data)
    start = secs[ehdr(data).e_shstrndx].sh_offset + secs[i].sh_name
    raw = new.encode().ljust(len(old), b"\0")
    return data[:start] + raw + data[start + len(old):]


def section_bytes(data: bytes, name: str) -> tuple[int, bytes]:
    sh = shdrs(data)[section_index(data, name)]
    return sh.sh_offset, data[sh.sh_offset:sh.sh_offset + sh.sh_size]


def replace_in_section(data: bytes, name: str, old: bytes, new: bytes) -> bytes:
    """Replace the first ``old`` in a section by ``new``, NUL-padded to the same length."""
    if len(new) > len(old):
        raise PatchError(f"replacement {new!r} longer than {old!r}")
    off, body = section_bytes(data, name)
    at = body.find(old)
    if at < 0:
        raise PatchError(f"{old!r} not found in {name}")
    return data[:off + at] + new.ljust(len(old), b"\0") + data[off + at + len(old):]


def set_version_crc(data: bytes, symbol: str, crc: int) -> bytes:
    """Change the CRC recorded in __versions for ``symbol``."""
    off, body = section_bytes(data, "__versions")
    for entry in range(0, len(body), MODVERSION_INFO_SIZE):
        if body[entry + MODVERSION_NAME_OFFSET:entry + MODVERSION_INFO_SIZE].split(b"\0")[0] == symbol.encode():
            at = off + entry
            return data[:at] + U64.pack(crc) + data[at + U64.size:]
    raise PatchError(f"{symbol!r} not in __versions")


def symbols(data: bytes) -> list[tuple[int, str, Sym]]:
    secs = shdrs(data)
    symtab = next(s for s in secs if s.sh_type == C.SHT_SYMTAB)
    strtab = secs[symtab.sh_link]
    out = []
    for i in range(symtab.sh_size // C.SYM_SIZE):
        sym = Sym.unpack_from(data, symtab.sh_offset + i * C.SYM_SIZE)
        start = strtab.sh_offset + sym.st_name
        out.append((i, data[start:data.index(b"\0", start)].decode("latin-1"), sym))
    return out


def symbol_index(data: bytes, name: str) -> int:
    for i, sym_name, _sym in symbols(data):
        if sym_name == name:
            return i
    raise PatchError(f"no symbol named {name!r}")


def set_symbol(data: bytes, name_or_index: str | int, **fields) -> bytes:
    i = symbol_index(data, name_or_index) if isinstance(name_or_index, str) else name_or_index
    symtab = next(s for s in shdrs(data) if s.sh_type == C.SHT_SYMTAB)
    return _edit_record(data, symtab.sh_offset + i * C.SYM_SIZE, Sym, "symbol", fields)


def relocations(data: bytes, section: str) -> list[tuple[int, int, int]]:
    off, body = section_bytes(data, section)
    return [RELA.unpack_from(body, o) for o in range(0, len(body) - C.RELA_SIZE + 1, C.RELA_SIZE)]


def set_relocation(data: bytes, section: str, n: int, offset=None, info=None, addend=None) -> bytes:
    off, _ = section_bytes(data, section)
    at = off + n * C.RELA_SIZE
    r_offset, r_info, r_addend = RELA.unpack_from(data, at)
    new = RELA.pack(r_offset if offset is None else offset, r_info if info is None else info,
                    r_addend if addend is None else addend)
    return data[:at] + new + data[at + RELA.size:]
