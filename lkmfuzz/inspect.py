"""What the loader sees in a module file: `lkmfuzz info` (modinfo + readelf in one).

Parsing here is forgiving — it shows what it can of a damaged file and says what
it could not read — and separate from the loader's own checks, whose verdict is
shown at the end.
"""

from dataclasses import dataclass, field
from functools import partial

from .abi.module import MODVERSION_INFO
from .elf import constants as C
from .elf.reader import Image, OutOfBounds
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
    signer: list = field(default_factory=list)        # modinfo's signer / sig_key / sig_hashalgo lines
    problems: list = field(default_factory=list)


def flag_string(flags: int) -> str:
    return "".join(letter for bit, letter in FLAG_LETTERS if flags & bit)


def inspect_module(data: bytes) -> ModuleView:
    view = ModuleView(len(data))
    signed = split_signature(data)
    if signed is not None:
        body, ms, pkcs7 = signed
        view.signature = f"PKCS#7 id_type {ms.id_type}, {len(pkcs7)} bytes"
        view.signer = signer_fields(pkcs7)
        data = body
    elif data.endswith(MODULE_SIG_STRING):
        view.signature = "marker present, trailer malformed"
    image = Image(data)
    try:
        _read_sections(image, view)
    except OutOfBounds as oob:
        view.problems.append(f"section table: {oob.what}")
    return view


OID_COMMON_NAME, OID_ORGANIZATION = b"\x06\x03\x55\x04\x03", b"\x06\x03\x55\x04\x0a"


def signer_fields(pkcs7: bytes) -> list:
    """What modinfo prints of a signature: signer (the issuer's CN), sig_key (the serial
    number) and sig_hashalgo, read with the kernel's own PKCS#7 parser; what it cannot
    read is said so."""
    from .kernel.crypto.api import DEBIAN_6_1
    from .kernel.crypto.pkcs7 import pkcs7_parse_message
    msg = pkcs7_parse_message(pkcs7, DEBIAN_6_1, [])
    if isinstance(msg, int) or not msg.signed_infos:
        return [("sig_id", f"PKCS#7 (unparsable: errno {msg})" if isinstance(msg, int) else "PKCS#7 (no signer)")]
    sig = msg.signed_infos[0].sig
    serial, issuer = _split_key_id(sig.auth_ids[0] or b"")
    return [("signer", _name_attribute(issuer) or "?"), ("sig_key", ":".join(f"{b:02X}" for b in serial) or "?"),
            ("sig_hashalgo", sig.hash_algo or "?")]


def _split_key_id(auth: bytes) -> tuple[bytes, bytes]:
    """auth_ids[0] of an issuer+serial SignerInfo: the serial's content bytes, then the
    issuer Name's contents (DER SETs, one per attribute, running to the end)."""
    for i in range(1, len(auth)):
        if auth[i] == 0x31 and _tlv_chain_ends(auth, i, 0x31):
            return auth[:i], auth[i:]
    return auth, b""


def _tlv_chain_ends(data: bytes, at: int, tag: int) -> bool:
    while at < len(data):
        if data[at] != tag or at + 2 > len(data):
            return False
        n, head = data[at + 1], 2
        if n & 0x80:
            width = n & 0x7F
            n, head = int.from_bytes(data[at + 2:at + 2 + width], "big"), 2 + width
        at += head + n
    return at == len(data)


def _name_attribute(name: bytes) -> str:
    for oid in (OID_COMMON_NAME, OID_ORGANIZATION):
        at = name.find(oid)
        if at >= 0 and at + len(oid) + 2 <= len(name):
            length = name[at + len(oid) + 1]
            return name[at + len(oid) + 2:at + len(oid) + 2 + length].decode("utf-8", "replace")
    return ""


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
        contents = partial(image.read, sh.sh_offset, sh.sh_size, f"section {i}")
        try:
            if name == ".modinfo":
                view.modinfo = [tuple(e.decode("latin-1").split("=", 1)) if b"=" in e else (e.decode("latin-1"), "")
                                for e in contents().split(b"\0") if e]
            elif name == "__versions":
                raw = contents()
                whole = raw[:len(raw) - len(raw) % MODVERSION_INFO.size]     # a partial last entry is not shown
                view.versions = [(name.split(b"\0")[0].decode("latin-1"), crc)
                                 for crc, name in MODVERSION_INFO.iter_unpack(whole)]
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


def render(view: ModuleView, kernel_symbols, verdicts: dict, filename: str = "") -> str:
    lines = ([f"{'filename:':<16}{filename}"] if filename else []) + [f"size: {view.size} bytes",
                                                                      f"signature: {view.signature}"]
    for key, value in view.modinfo + view.signer:
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
