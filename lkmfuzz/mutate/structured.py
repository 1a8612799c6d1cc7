"""Structure-aware mutation operators for module files (Melkor-style rules).

Each operator is a pure function ``(data, rng, ctx) -> bytes | None`` that edits one
structural thing — an ELF header field, a section header, a symbol, a relocation,
a .modinfo string, a __versions entry — setting it to a value chosen to sit on a
check's boundary (0, 1, -1, the file size ±1, 2^31, 2^32, 2^63, another field's
value).  None means "not applicable to this input" and the engine tries another.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..abi.arch import PAGE_SIZE
from ..abi.module import (
    KSYM,
    KSYM_NAME_OFFSET,
    LAYOUT_SIZE_OFFSET,
    MOD_MEM_TYPES,
    MODULE_NAME_LEN,
    MODVERSION_INFO_SIZE,
    MODVERSION_NAME_OFFSET,
    StructModuleLayout,
)
from ..abi.module import LINUX_6_1_X86_64 as STRUCT_MODULE
from ..abi.params import KERNEL_PARAM, KERNEL_PARAM_NAME_OFFSET
from ..abi.types import U32, U64
from ..elf import constants as C
from ..elf.relocs import X86_64_RELA
from .fields import Field, ModuleMap, header_field, read_field, write_field

UNKNOWN_RELOCS = (C.R_X86_64_GOT32, C.R_X86_64_16, C.R_X86_64_PC16, C.R_X86_64_8, C.R_X86_64_PC8,
                  C.R_X86_64_GOTPCREL, C.R_X86_64_REX_GOTPCRELX, 0xFFFFFFFF)
SPECIAL_SHNDX = (C.SHN_UNDEF, C.SHN_ABS, C.SHN_COMMON, C.SHN_LIVEPATCH, C.SHN_LORESERVE, C.SHN_XINDEX)
VERMAGIC_WORDS = (b"SMP", b"preempt", b"mod_unload", b"modversions", b"6.1.0-56-amd64", b"6.1.0-99-amd64",
                  b"PREEMPT_RT", b"nomodversions")
LICENSES = (b"GPL", b"GPL v2", b"Dual BSD/GPL", b"Proprietary", b"BSD", b"", b"GPL and additional rights")
SPECIAL_SECTIONS = (b".gnu.linkonce.this_module", b".modinfo", b".shstrtab", b"__versions", b"__param")
POINTER_TABLE_RELAS = (b".rela__param", b".rela__ksymtab", b".rela__ksymtab_gpl", b".rela.gnu.linkonce.this_module",
                       b".rela.return_sites", b".rela.retpoline_sites", b".rela.altinstructions",
                       b".rela__mcount_loc")
# relocation section -> (entry size of the table it relocates, offset of the name pointer)
NAME_POINTERS = {b".rela__param": (KERNEL_PARAM.size, KERNEL_PARAM_NAME_OFFSET),
                 b".rela__ksymtab": (KSYM.size, KSYM_NAME_OFFSET), b".rela__ksymtab_gpl": (KSYM.size, KSYM_NAME_OFFSET)}
# The struct module the mutants target is 6.1's (the bundled seeds are 6.1 modules).
def struct_module_fields(layout: StructModuleLayout) -> tuple:
    """(offset, size) of the fields the loader computes (percpu, the region sizes) or takes
    from the file (taints, klp)."""
    sizes: tuple[int, ...]
    if layout.mem_offset is None:
        sizes = (layout.core_size_offset, layout.init_size_offset)
    else:
        sizes = tuple(layout.mem_offset + n * layout.module_memory_size + LAYOUT_SIZE_OFFSET
                      for n in range(len(MOD_MEM_TYPES)))
    return ((layout.percpu_offset, 8), *((offset, 4) for offset in sizes), (layout.taints_offset, 8),
            (layout.klp_offset, 1))
MODINFO_KEYS = (b"vermagic", b"license", b"name", b"intree", b"staging", b"livepatch", b"test", b"import_ns",
                b"version", b"srcversion", b"depends", b"retpoline")


@dataclass
class Context:
    """What operators may draw on besides the input: names the kernel exports."""
    kernel_names: list = field(default_factory=list)     # exported vmlinux symbols
    gpl_names: list = field(default_factory=list)
    namespaced_names: list = field(default_factory=list)
    struct_module: StructModuleLayout = STRUCT_MODULE   # of the kernel the inputs are built for

    @classmethod
    def from_symbols(cls, table, struct_module: StructModuleLayout = STRUCT_MODULE) -> "Context":
        syms = list(table.by_name.values())
        return cls([s.name for s in syms if not s.gpl_only][:4000], [s.name for s in syms if s.gpl_only][:4000],
                   [s.name for s in syms if s.namespace][:500], struct_module)


def boundary_values(size: int, data: bytes, field_value: int, others: list[int]) -> list[int]:
    bits = 8 * size
    top = (1 << bits) - 1
    values = [0, 1, 2, top, top - 1, 1 << (bits - 1), (1 << (bits - 1)) - 1, len(data), len(data) - 1,
              len(data) + 1, field_value + 1, field_value - 1, field_value ^ (1 << (bits - 1))]
    if bits > 32:
        values += [1 << 31, 1 << 32, (1 << 32) - 1, 1 << 63]
    return values + others


def set_boundary(data: bytes, rng: random.Random, f: Field, others: Sequence[int] = ()) -> bytes:
    value = rng.choice(boundary_values(f.size, data, read_field(data, f), list(others)))
    return write_field(data, f, value)


# --- ELF header and section table ------------------------------------------------

def ehdr_field(data, rng, ctx):
    fields = ModuleMap(data).ehdr_fields()
    return set_boundary(data, rng, rng.choice(fields)) if fields else None


def shdr_field(data, rng, ctx):
    m = ModuleMap(data)
    secs = m.sections()
    if not secs:
        return None
    sec = rng.choice(secs)
    f = rng.choice(m.shdr_fields(sec))
    others = [s.offset for s in secs] + [s.size for s in secs] + [len(secs), len(secs) - 1]
    if f.name.endswith("sh_type"):
        others += [C.SHT_NULL, C.SHT_NOBITS, C.SHT_SYMTAB, C.SHT_STRTAB, C.SHT_RELA, C.SHT_REL, C.SHT_PROGBITS]
    if f.name.endswith("sh_flags"):
        others += [C.SHF_ALLOC, C.SHF_ALLOC | C.SHF_WRITE | C.SHF_EXECINSTR, C.SHF_ALLOC | C.SHF_EXECINSTR,
                   sec.sh_flags ^ C.SHF_ALLOC, sec.sh_flags ^ C.SHF_WRITE, C.SHF_RELA_LIVEPATCH]
    return set_boundary(data, rng, f, others)


def section_structure(data, rng, ctx):
    """Duplicate one header over another, swap two, drop one (SHT_NULL), or make two overlap."""
    secs = ModuleMap(data).sections()
    if len(secs) < 3:
        return None
    a, b = rng.sample(secs[1:], 2)
    ha, hb = data[a.header:a.header + C.SHDR_SIZE], data[b.header:b.header + C.SHDR_SIZE]
    op = rng.randrange(4)
    if op == 0:
        return data[:b.header] + ha + data[b.header + C.SHDR_SIZE:]
    if op == 1:
        lo, hi = sorted((a, b), key=lambda s: s.header)
        hlo, hhi = (ha, hb) if lo is a else (hb, ha)
        return (data[:lo.header] + hhi + data[lo.header + C.SHDR_SIZE:hi.header] + hlo
                + data[hi.header + C.SHDR_SIZE:])
    if op == 2:
        return write_field(data, header_field(a, "sh_type"), C.SHT_NULL)
    return write_field(data, header_field(a, "sh_offset"), b.offset)


def rename_section(data, rng, ctx):
    """Point a section's name at another section's name (duplicates .modinfo, this_module...)."""
    secs = ModuleMap(data).sections()
    if len(secs) < 3:
        return None
    a, b = rng.sample(secs[1:], 2)
    name_b = read_field(data, Field("sh_name", b.header, 4))
    return write_field(data, Field("sh_name", a.header, 4), name_b)


# --- symbols and relocations ------------------------------------------------------

def symbol_field(data, rng, ctx):
    m = ModuleMap(data)
    tables = m.by_type(C.SHT_SYMTAB)
    if not tables or not m.entries(tables[0], C.SYM_SIZE):
        return None
    # The null symbol, which simplify_symbols() skips, one time in eight.
    i = 0 if rng.random() < 0.125 else rng.choice(m.entries(tables[0], C.SYM_SIZE))
    fields = m.sym_fields(tables[0], i)
    # Its section index is what the loader reads it for (add_kallsyms() types it).
    f = fields[3] if i == 0 and rng.random() < 0.5 else rng.choice(fields)
    others = []
    if f.name.endswith("st_shndx"):
        n = len(m.sections())
        others = list(SPECIAL_SHNDX) + [n, n - 1, n + 1, n + 100, C.SHN_LORESERVE - 1]
    elif f.name.endswith("st_info"):
        value = read_field(data, f)
        others = [C.st_info(C.STB_WEAK, value & 0xF), C.st_info(C.STB_LOCAL, value & 0xF),
                  C.st_info(C.STB_GLOBAL, C.STT_SECTION), value ^ 0x10]
    return set_boundary(data, rng, f, others)


def symbol_name(data, rng, ctx):
    """Rename an undefined symbol in place: another real export (GPL-only, namespaced) or a near miss."""
    m = ModuleMap(data)
    tables = m.by_type(C.SHT_SYMTAB)
    sections = m.sections()
    if not tables or tables[0].link >= len(sections):
        return None
    undefined = [(i, name, f) for i, name, f in m.symbols() if f[3] == C.SHN_UNDEF and name]
    if not undefined:
        return None
    _i, name, fields = rng.choice(undefined)
    pool = rng.choice([ctx.kernel_names, ctx.gpl_names, ctx.namespaced_names]) or ctx.kernel_names
    fitting = [n.encode() for n in rng.sample(pool, min(64, len(pool))) if len(n) <= len(name)] if pool else []
    new = rng.choice(fitting) if fitting and rng.random() < 0.7 else name[:-1] + bytes([name[-1] ^ 1])
    start = sections[tables[0].link].offset + fields[0]
    return data[:start] + new.ljust(len(name), b"\0") + data[start + len(name):]


def relocation_field(data, rng, ctx):
    m = ModuleMap(data)
    relas = [s for s in m.by_type(C.SHT_RELA) if m.entries(s, C.RELA_SIZE)]
    if not relas:
        return None
    rela = rng.choice(relas)
    i = rng.choice(m.entries(rela, C.RELA_SIZE))
    f = rng.choice(m.rela_fields(rela, i))
    others = []
    if f.name.endswith("type"):
        others = list(X86_64_RELA) + list(UNKNOWN_RELOCS)
    elif f.name.endswith("sym"):
        tables = m.by_type(C.SHT_SYMTAB)
        n = tables[0].size // C.SYM_SIZE if tables else 0
        others = [n, n - 1, n + 1, 0x7FFFFFF]
    elif f.name.endswith("r_offset"):
        sections = m.sections()
        target = sections[rela.info] if rela.info < len(sections) else None
        if target is not None:
            others = [target.size, target.size - 4, target.size - 3, target.size - 8]
    elif f.name.endswith("r_addend"):
        others = [-(1 << 31), (1 << 31) - 1, 1 << 31, -4, 1 << 32, -(1 << 63)]
    return set_boundary(data, rng, f, others)


# --- .modinfo, __versions, this_module ----------------------------------------------

def _modinfo(m: ModuleMap):
    sec = m.by_name(b".modinfo")
    if sec is None or not sec.size:
        return None, []
    body = m.data[sec.offset:sec.offset + sec.size]
    entries, pos = [], 0
    for part in body.split(b"\0"):
        if part:
            entries.append((sec.offset + pos, part))
        pos += len(part) + 1
    return sec, entries


def modinfo_entry(data, rng, ctx):
    """Edit one tag=value string: vermagic words, license, a key renamed to another key
    (duplicates, removals), or its NUL removed so it runs into the next one."""
    sec, entries = _modinfo(ModuleMap(data))
    if not entries:
        return None
    off, entry = rng.choice(entries)
    key, _, value = entry.partition(b"=")
    op = rng.randrange(4)
    if op == 0 and key == b"vermagic":
        words = value.split(b" ")
        words[rng.randrange(len(words))] = rng.choice(VERMAGIC_WORDS)
        new = key + b"=" + b" ".join(words)
    elif op <= 1:
        new = key + b"=" + (rng.choice(LICENSES) if key == b"license" else value[::-1])
    elif op == 2:
        new = rng.choice(MODINFO_KEYS) + b"=" + value
    else:
        end = off + len(entry)
        return data[:end] + b"A" + data[end + 1:] if end < len(data) else None
    new = new[:len(entry)].ljust(len(entry), b"\0")
    return data[:off] + new + data[off + len(entry):]


def versions_entry(data, rng, ctx):
    """Flip a CRC, set its high half, or fill a name so it is not NUL-terminated."""
    sec = ModuleMap(data).by_name(b"__versions")
    if sec is None or sec.size < MODVERSION_INFO_SIZE:
        return None
    entry = sec.offset + MODVERSION_INFO_SIZE * rng.randrange(sec.size // MODVERSION_INFO_SIZE)
    op = rng.randrange(3)
    if op == 0:
        crc = Field("crc", entry, U64.size)
        return write_field(data, crc, read_field(data, crc) ^ (1 << rng.randrange(32)))
    if op == 1:
        return write_field(data, Field("crc.high", entry + U32.size, U32.size), rng.choice([1, 0xFFFFFFFF]))
    name = entry + MODVERSION_NAME_OFFSET
    return data[:name] + b"x" * MODULE_NAME_LEN + data[name + MODULE_NAME_LEN:]


def this_module_name(data, rng, ctx):
    sec = ModuleMap(data).by_name(b".gnu.linkonce.this_module")
    if sec is None or sec.size < ctx.struct_module.name_offset + MODULE_NAME_LEN:
        return None
    start = sec.offset + ctx.struct_module.name_offset
    new = rng.choice([b"", b"hello", b"kernel", b"a/b", b"x" * MODULE_NAME_LEN, b"printk"])
    return data[:start] + new.ljust(MODULE_NAME_LEN, b"\0")[:MODULE_NAME_LEN] + data[start + MODULE_NAME_LEN:]


def truncate_or_extend(data, rng, ctx):
    secs = ModuleMap(data).sections()
    cuts = [s.offset for s in secs if 0 < s.offset < len(data)] + [len(data) // 2, len(data) - 1]
    if rng.random() < 0.5:
        return data[:rng.choice(cuts)]
    return data + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))


# --- aimed at what the hardened checks vouch for ----------------------------------------

def section_link(data, rng, ctx):
    """Point a section's sh_link or sh_info at a section the loader treats specially (the
    symbol and string tables, this_module, .modinfo, the name table), or make a section
    after the symbol table a second SYMTAB sharing its string table."""
    m = ModuleMap(data)
    secs = m.sections()
    symtabs = m.by_type(C.SHT_SYMTAB)
    if len(secs) < 3 or not symtabs:
        return None
    symtab = symtabs[0]
    roll = rng.random()
    if roll < 0.2:
        later = [s for s in secs if s.index > symtab.index]
        if not later:
            return None
        sec = rng.choice(later)
        out = write_field(data, header_field(sec, "sh_type"), C.SHT_SYMTAB)
        return write_field(out, header_field(sec, "sh_link"), symtab.link)
    special = [symtab.index, symtab.link] + [s.index for s in secs if s.name in SPECIAL_SECTIONS]
    relas = m.by_type(C.SHT_RELA)
    if roll < 0.6 and relas:      # what a relocation section relocates
        sec = rng.choice(relas)
        return write_field(data, header_field(sec, "sh_info"), rng.choice(special))
    sec = rng.choice(secs[1:])
    field = rng.choice((header_field(sec, "sh_link"), header_field(sec, "sh_info")))
    return write_field(data, field, rng.choice(special))


def struct_module_field(data, rng, ctx):
    """Set a field of the struct module in .gnu.linkonce.this_module that the loader
    computes (percpu, the layout sizes) or takes from the file (taints, klp)."""
    sec = ModuleMap(data).by_name(b".gnu.linkonce.this_module")
    if sec is None or sec.size < ctx.struct_module.klp_offset + U64.size:
        return None
    offset, size = rng.choice(struct_module_fields(ctx.struct_module))
    return set_boundary(data, rng, Field("struct module field", sec.offset + offset, size), [PAGE_SIZE, 1 << 20])


def section_size_sum(data, rng, ctx):
    """Grow an SHF_ALLOC NOBITS section so that the sizes add up to just past 2^32."""
    m = ModuleMap(data)
    nobits = [s for s in m.sections() if s.sh_type == C.SHT_NOBITS and s.sh_flags & C.SHF_ALLOC]
    if not nobits:
        return None
    sec = rng.choice(nobits)
    total = sum(s.size for s in m.sections() if s.sh_flags & C.SHF_ALLOC and s.index != sec.index)
    return write_field(data, header_field(sec, "sh_size"), (1 << 32) - total + rng.choice((-1, 0, 1, 4096)))


def table_relocation(data, rng, ctx):
    """Re-aim one relocation of a table the kernel reads through pointers (__param,
    __ksymtab*, this_module's init/exit, the patch-site tables): another symbol, an
    addend off the target, or an offset past the table."""
    m = ModuleMap(data)
    relas = [s for s in m.by_type(C.SHT_RELA) if s.name in POINTER_TABLE_RELAS and m.entries(s, C.RELA_SIZE)]
    if not relas:
        return None
    # __param and __ksymtab first: their pointers are read on every load, the others' less.
    busiest = [s for s in relas if s.name in (b".rela__param", b".rela__ksymtab", b".rela__ksymtab_gpl")]
    rela = rng.choice(busiest if busiest and rng.random() < 0.5 else relas)
    entries = list(m.entries(rela, C.RELA_SIZE))
    # Of those, the name pointers (kernel_param.name at 0, kernel_symbol.name_offset at 4)
    # half the time: the kernel reads every one of them.
    stride, name_at = NAME_POINTERS.get(rela.name, (0, 0))
    names = [i for i in entries if stride and read_field(data, m.rela_fields(rela, i)[0]) % stride == name_at]
    i = rng.choice(names if names and rng.random() < 0.5 else entries)
    fields = {f.name.rsplit(".", 1)[-1]: f for f in m.rela_fields(rela, i)}
    symtabs = m.by_type(C.SHT_SYMTAB)
    nsyms = symtabs[0].size // C.SYM_SIZE if symtabs else 1
    roll = rng.random()
    if roll < 0.3:
        return write_field(data, fields["sym"], rng.randrange(max(nsyms, 1)))
    if roll < 0.8:
        # Far enough to leave the module, near enough for a PC32 (__ksymtab's offsets) to
        # fit; and the ones that overflow.
        return write_field(data, fields["r_addend"], rng.choice((1 << 20, 1 << 24, -(1 << 24), -(1 << 20), -4096,
                                                                 1 << 31, -(1 << 31), 1 << 40)))
    return write_field(data, fields["r_offset"], read_field(data, fields["r_offset"]) + rng.choice((1, 8, 4096)))


OPERATORS = (ehdr_field, shdr_field, section_structure, rename_section, symbol_field, symbol_name,
             relocation_field, modinfo_entry, versions_entry, this_module_name, truncate_or_extend,
             section_link, struct_module_field, section_size_sum, table_relocation)


def mutate_structured(data: bytes, rng: random.Random, ctx: Context, max_size: int = 1 << 20,
                      operators=OPERATORS) -> bytes:
    """Apply 1–3 applicable operators; the input comes back unchanged only if none applies."""
    out = data
    for _ in range(rng.randint(1, 3)):
        for _attempt in range(8):
            result = rng.choice(operators)(out, rng, ctx)
            if result is not None and result != out:
                out = result
                break
    return out[:max_size]
