"""What the loader sees in a module file: `lkmfuzz info` (modinfo + readelf in one).

Parsing here is forgiving — it shows what it can of a damaged file and says what
it could not read — and separate from the loader's own checks, whose verdict is
shown at the end.
"""

from dataclasses import dataclass, field

from .elf import constants as C
from .elf.reader import Image, OutOfBounds
from .elf.structs import U64
from .loader.signing import MODULE_SIG_STRING, split_signature

SHT_NAMES = {v: k for k, v in vars(C).items() if k.startswith("SHT_")}
FLAG_LETTERS = ((C.SHF_WRITE, "W"), (C.SHF_ALLOC, "A"), (C.SHF_EXECINSTR, "X"), (C.SHF_MERGE, "M"),
                (C.SHF_STRINGS, "S"), (C.SHF_INFO_LINK, "I"))


@dataclass
class ModuleView:
    size: int
    sections: list = field(default_factory=list)      # (index, name, type, flags, offset, size)
    modinfo: list = field(default_factory=list)       # (key, value)
    versions: list = field(default_factory=list)      # (name, crc)
    undefined: list = field(default_factory=list)     # symbol names
    exports: list = field(default_factory=list)       # symbol names
    signature: str = "none"
    problems: list = field(default_factory=list)


def flag_string(flags: int) -> str:
    return "".join(letter for bit, letter in FLAG_LETTERS if flags & bit)


def inspect_module(data: bytes) -> ModuleView:
    view = ModuleView(len(data))
    signed = split_signature(data)
    if signed is not None:
        body, ms, pkcs7 = signed
        view.signature = f"PKCS#7 id_type {ms.id_type}, {len(pkcs7)} bytes"
        data = body
    elif data.endswith(MODULE_SIG_STRING):
        view.signature = "marker present, trailer malformed"
    image = Image(data)
    try:
        _read_sections(image, view)
    except OutOfBounds as oob:
        view.problems.append(f"section table: {oob.what}")
    return view


def _read_sections(image: Image, view: ModuleView) -> None:
    if image.len < C.EHDR_SIZE or image.read(0, 4) != C.ELFMAG:
        view.problems.append("not an ELF file")
        return
    hdr = image.ehdr()
    shdrs = [image.shdr(hdr.e_shoff + i * C.SHDR_SIZE, f"section header {i}") for i in range(hdr.e_shnum)]
    strtab = shdrs[hdr.e_shstrndx] if hdr.e_shstrndx < len(shdrs) else None
    for i, sh in enumerate(shdrs):
        name = _name(image, strtab, sh.sh_name)
        view.sections.append((i, name, SHT_NAMES.get(sh.sh_type, hex(sh.sh_type)), flag_string(sh.sh_flags),
                              sh.sh_offset, sh.sh_size))
        contents = lambda: image.read(sh.sh_offset, sh.sh_size, f"section {i}")  # noqa: E731
        try:
            if name == ".modinfo":
                view.modinfo = [tuple(e.decode("latin-1").split("=", 1)) if b"=" in e else (e.decode("latin-1"), "")
                                for e in contents().split(b"\0") if e]
            elif name == "__versions":
                raw = contents()
                view.versions = [(raw[o + 8:o + 64].split(b"\0")[0].decode("latin-1"), U64.unpack_from(raw, o)[0])
                                 for o in range(0, len(raw) - 63, 64)]
            elif sh.sh_type == C.SHT_SYMTAB and sh.sh_link < len(shdrs):
                _read_symbols(image, view, sh, shdrs[sh.sh_link])
        except OutOfBounds as oob:
            view.problems.append(f"section {i} ({name}): {oob.what}")


def _name(image: Image, strtab, off: int) -> str:
    if strtab is None:
        return "?"
    name = image.cstring_within(strtab.sh_offset + off, strtab.sh_offset + strtab.sh_size)
    return "?" if name is None else name.decode("latin-1")


def _read_symbols(image: Image, view: ModuleView, symtab, strtab) -> None:
    for i in range(1, symtab.sh_size // C.SYM_SIZE):
        sym = image.sym(symtab.sh_offset + i * C.SYM_SIZE, f"symbol {i}")
        name = _name(image, strtab, sym.st_name)
        if sym.st_shndx == C.SHN_UNDEF and name:
            view.undefined.append(name)
        elif name.startswith("__ksymtab_"):
            view.exports.append(name[len("__ksymtab_"):])


def render(view: ModuleView, kernel_symbols, verdicts: dict) -> str:
    lines = [f"size: {view.size} bytes", f"signature: {view.signature}"]
    for key, value in view.modinfo:
        lines.append(f"{key + ':':<16}{value}")
    lines.append("sections:")
    for i, name, typ, flags, off, size in view.sections:
        lines.append(f"  [{i:2}] {name:<28} {typ:<14} {flags:<4} off {off:#8x} size {size:#8x}")
    if view.versions:
        lines.append("versions (module crc / kernel crc):")
        for name, crc in view.versions:
            ksym = kernel_symbols.get(name)
            kcrc = f"{ksym.crc:#010x}" if ksym else "not exported by vmlinux"
            mark = "" if ksym is None or ksym.crc == crc else "  MISMATCH"
            lines.append(f"  {name:<32} {crc:#010x} / {kcrc}{mark}")
    if view.undefined:
        lines.append("needs:")
        for name in view.undefined:
            ksym = kernel_symbols.get(name)
            how = "not in vmlinux" if ksym is None else ("vmlinux GPL-only" if ksym.gpl_only else "vmlinux")
            ns = f" namespace {ksym.namespace}" if ksym and ksym.namespace else ""
            lines.append(f"  {name:<32} {how}{ns}")
    if view.exports:
        lines.append("exports: " + " ".join(view.exports))
    for problem in view.problems:
        lines.append(f"unreadable: {problem}")
    for profile, verdict in verdicts.items():
        lines.append(f"verdict ({profile}): {verdict}")
    return "\n".join(lines)
