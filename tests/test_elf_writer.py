"""Tests for lkmfuzz.elf.model, lkmfuzz.elf.writer (write_elf) and lkmfuzz.elf.model_reader (read_model).

Expected values are computed here from the model by the rules the writer
documents (section order, symbol order, first-match names), and checked
against two independent ELF parsers: pyelftools and LIEF.
"""

import io
import shutil
import struct
import subprocess
import timeit
from pathlib import Path

import pytest
from elftools.elf import enums as E
from elftools.elf.elffile import ELFFile
from elftools.elf.relocation import RelocationSection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lkmfuzz.abi.module import LINUX_6_1_X86_64, MODVERSION_INFO_SIZE
from lkmfuzz.abi.types import U64_MASK
from lkmfuzz.elf.constants import (
    EHDR_SIZE,
    EM_X86_64,
    ET_REL,
    R_X86_64_32,
    R_X86_64_32S,
    R_X86_64_64,
    R_X86_64_NONE,
    R_X86_64_PC32,
    R_X86_64_PC64,
    R_X86_64_PLT32,
    RELA_SIZE,
    SHDR_SIZE,
    SHF_ALLOC,
    SHF_EXECINSTR,
    SHF_INFO_LINK,
    SHF_MERGE,
    SHF_STRINGS,
    SHF_WRITE,
    SHN_ABS,
    SHN_COMMON,
    SHN_UNDEF,
    SHT_INIT_ARRAY,
    SHT_NOBITS,
    SHT_NOTE,
    SHT_PROGBITS,
    SHT_RELA,
    SHT_STRTAB,
    SHT_SYMTAB,
    STB_GLOBAL,
    STB_LOCAL,
    STB_WEAK,
    STT_FILE,
    STT_FUNC,
    STT_NOTYPE,
    STT_OBJECT,
    STT_SECTION,
    SYM_SIZE,
)
from lkmfuzz.elf.model import (
    ElfModel,
    Reloc,
    Section,
    Symbol,
    modinfo_section,
    this_module_section,
    versions_section,
)
from lkmfuzz.elf.model_reader import read_model
from lkmfuzz.elf.structs import EHDR, SHDR
from lkmfuzz.elf.writer import MAX_FILE_ALIGN, write_elf

STRUCT_MODULE_SIZE = LINUX_6_1_X86_64.size
MODULE_INIT_OFFSET = LINUX_6_1_X86_64.init_offset
MODULE_NAME_OFFSET = LINUX_6_1_X86_64.name_offset

CORPUS = sorted((Path(__file__).resolve().parent.parent / "corpus").glob("*.ko"))
DERIVED_NAMES = [".symtab", ".strtab", ".shstrtab"]
S64_MIN, S64_MAX = -(1 << 63), (1 << 63) - 1
WRITE_HANG_BOUND_S = 2.0  # only a hang bound: the speed goal (well under 1 ms) is benchmarks/bench_writer.py


# ------------------------------------------------------------- a sample module

def sample_model() -> ElfModel:
    """A small but complete module: code, data, bss, strings, modinfo, versions."""
    sections = [
        Section(".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, b"\xe8\0\0\0\0\xc3" * 3, addralign=16),
        Section(".init.text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, b"\x31\xc0\xc3", addralign=16),
        Section(".rodata.str1.1", SHT_PROGBITS, SHF_ALLOC | SHF_MERGE | SHF_STRINGS, b"hi\0bye\0", entsize=1),
        Section(".data", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, bytes(24), addralign=8),
        Section(".bss", SHT_NOBITS, SHF_ALLOC | SHF_WRITE, size=64, addralign=32),
        modinfo_section([("license", "GPL"), ("alias", "a"), ("alias", "b")]),
        versions_section([("module_layout", 0xDEADBEEF), ("_printk", 0x12345678)]),
        this_module_section("sample", STRUCT_MODULE_SIZE),
    ]
    symbols = [
        Symbol("sample.c", SHN_ABS, bind=STB_LOCAL, type=STT_FILE),
        Symbol("counter", ".bss", 8, 4, STB_LOCAL, STT_OBJECT),
        Symbol("helper", ".text", 6, 6, STB_LOCAL, STT_FUNC),
        Symbol("init_module", ".init.text", 0, 3, STB_GLOBAL, STT_FUNC),
        Symbol("__this_module", ".gnu.linkonce.this_module", 0, STRUCT_MODULE_SIZE, STB_GLOBAL, STT_OBJECT),
        Symbol("_printk", SHN_UNDEF),
        Symbol("weakling", SHN_UNDEF, bind=STB_WEAK),
        Symbol("common_buf", SHN_COMMON, 32, 128, STB_GLOBAL, STT_OBJECT),
    ]
    rodata_section_symbol = 3  # STT_SECTION symbol of section 3 (.rodata.str1.1)
    relocs = {
        ".text": [Reloc(1, "_printk", R_X86_64_PLT32, -4), Reloc(7, "helper", R_X86_64_PC32, -4),
                  Reloc(13, rodata_section_symbol, R_X86_64_32S, 3)],
        ".data": [Reloc(0, "counter", R_X86_64_64), Reloc(8, "weakling", R_X86_64_PC64),
                  Reloc(16, "common_buf", R_X86_64_32, 1 << 32)],
        ".gnu.linkonce.this_module": [Reloc(MODULE_INIT_OFFSET, "init_module", R_X86_64_64)],
    }
    return ElfModel(sections, symbols, relocs)


# ------------------------------------------ expectations, by the writer's rules

def expected_section_names(model: ElfModel) -> list[str]:
    """NULL, content in model order, .rela<target> by target index, the tables."""
    index = first_section_index(model)
    targets = sorted(model.relocs, key=index.__getitem__)
    return [""] + [s.name for s in model.sections] + [".rela" + t for t in targets] + DERIVED_NAMES


def first_section_index(model: ElfModel) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, sec in enumerate(model.sections, 1):
        index.setdefault(sec.name, i)
    return index


def expected_symbols(model: ElfModel) -> list[tuple]:
    """(name, value, size, shndx, bind, type, other) of every emitted symbol, NULL first."""
    index = first_section_index(model)
    syms = [("", 0, 0, SHN_UNDEF, STB_LOCAL, STT_NOTYPE, 0)]
    if model.section_symbols:
        syms += [("", 0, 0, i, STB_LOCAL, STT_SECTION, 0) for i in range(1, len(model.sections) + 1)]
    ordered = [s for s in model.symbols if s.bind == STB_LOCAL] + [s for s in model.symbols if s.bind != STB_LOCAL]
    for s in ordered:
        shndx = index[s.section] if isinstance(s.section, str) else s.section
        syms.append((s.name, s.value, s.size, shndx, s.bind, s.type, s.other))
    return syms


def expected_relocs(model: ElfModel) -> dict[str, list[tuple]]:
    """Target name -> (offset, symbol index, type, addend), names resolved first-match."""
    first: dict[str, int] = {}
    for i, sym in enumerate(expected_symbols(model)):
        first.setdefault(sym[0], i)
    return {target: [(r.offset, first[r.symbol] if isinstance(r.symbol, str) else r.symbol, r.type, r.addend)
                     for r in rels]
            for target, rels in model.relocs.items()}


def enum_value(value, enum: dict) -> int:
    """pyelftools decodes known numbers to names; map them back."""
    return value if isinstance(value, int) else enum[value]


# ------------------------------------------------------------ parser agreement

def assert_pyelftools_agrees(model: ElfModel, data: bytes) -> None:
    elf = ELFFile(io.BytesIO(data))
    assert elf["e_type"] == "ET_REL" and elf["e_machine"] == "EM_X86_64"
    assert elf["e_ehsize"] == EHDR_SIZE and elf["e_shentsize"] == SHDR_SIZE
    sections = list(elf.iter_sections())
    assert [s.name for s in sections] == expected_section_names(model)
    assert_content_sections(model, sections)
    assert_derived_sections(model, elf, sections)
    assert_symbols_agree(model, elf)
    assert_relocs_agree(model, elf)


def assert_content_sections(model: ElfModel, sections: list) -> None:
    end = EHDR_SIZE
    for sec, parsed in zip(model.sections, sections[1:], strict=False):
        h = parsed.header
        assert enum_value(h["sh_type"], E.ENUM_SH_TYPE_AMD64) == sec.type
        assert (h["sh_flags"], h["sh_addralign"], h["sh_entsize"]) == (sec.flags, sec.addralign, sec.entsize)
        assert (h["sh_link"], h["sh_info"]) == (sec.link, sec.info)
        align = min(max(sec.addralign, 1), MAX_FILE_ALIGN)
        assert h["sh_offset"] % align == 0 and h["sh_offset"] >= end, sec.name
        if sec.type == SHT_NOBITS:
            assert h["sh_size"] == (sec.size or 0)  # its offset may lie past EOF: it has no bytes
        else:
            assert h["sh_size"] == len(sec.data) and parsed.data() == sec.data
            end = h["sh_offset"] + h["sh_size"]  # no two sections' bytes overlap


def assert_derived_sections(model: ElfModel, elf: ELFFile, sections: list) -> None:
    n = len(model.sections)
    symtab = elf.get_section_by_name(".symtab")
    n_locals = sum(1 for s in expected_symbols(model) if s[4] == STB_LOCAL)
    assert enum_value(symtab["sh_type"], E.ENUM_SH_TYPE_BASE) == SHT_SYMTAB
    assert symtab["sh_entsize"] == SYM_SIZE and symtab["sh_info"] == n_locals
    assert sections[symtab["sh_link"]].name == ".strtab"
    assert elf["e_shstrndx"] == len(sections) - 1
    assert enum_value(sections[-1]["sh_type"], E.ENUM_SH_TYPE_BASE) == SHT_STRTAB
    index = first_section_index(model)
    for rela in sections[n + 1:-len(DERIVED_NAMES)]:
        assert enum_value(rela["sh_type"], E.ENUM_SH_TYPE_BASE) == SHT_RELA
        assert rela["sh_flags"] == SHF_INFO_LINK and rela["sh_entsize"] == RELA_SIZE
        assert sections[rela["sh_link"]].name == ".symtab"
        assert rela["sh_info"] == index[rela.name[len(".rela"):]]
    file_end = max(s["sh_offset"] + s["sh_size"] for s in sections if s["sh_type"] != "SHT_NOBITS")
    assert elf["e_shoff"] % 8 == 0 and elf["e_shoff"] >= file_end  # the header table comes last


def assert_symbols_agree(model: ElfModel, elf: ELFFile) -> None:
    parsed = []
    for sym in elf.get_section_by_name(".symtab").iter_symbols():
        parsed.append((sym.name, sym["st_value"], sym["st_size"], enum_value(sym["st_shndx"], E.ENUM_ST_SHNDX),
                       enum_value(sym["st_info"]["bind"], E.ENUM_ST_INFO_BIND),
                       enum_value(sym["st_info"]["type"], E.ENUM_ST_INFO_TYPE),
                       enum_value(sym["st_other"]["visibility"], E.ENUM_ST_VISIBILITY)))
    assert parsed == expected_symbols(model)


def assert_relocs_agree(model: ElfModel, elf: ELFFile) -> None:
    parsed = {}
    for sec in elf.iter_sections():
        if isinstance(sec, RelocationSection):
            parsed[sec.name[len(".rela"):]] = [(r["r_offset"], r["r_info_sym"], r["r_info_type"], r["r_addend"])
                                               for r in sec.iter_relocations()]
    assert parsed == expected_relocs(model)


def lief_parse(data: bytes):
    lief = pytest.importorskip("lief")
    lief.logging.disable()
    binary = lief.ELF.parse(list(data))
    assert binary is not None, "LIEF refused the file"
    return binary


# ------------------------------------------------------------------- the tests

def test_round_trip_is_exact_for_a_canonical_model():
    model = sample_model()
    assert read_model(write_elf(model)) == model


def test_rewrite_is_byte_identical():
    data = write_elf(sample_model())
    assert write_elf(read_model(data)) == data


def test_header_fields():
    data = write_elf(sample_model())
    (ident, etype, machine, version, _entry, phoff, shoff, _flags, ehsize, _phentsize, phnum,
     shentsize, shnum, shstrndx) = EHDR.unpack_from(data)
    assert ident[:7] == b"\x7fELF\x02\x01\x01" and etype == ET_REL and machine == EM_X86_64
    assert (version, phoff, phnum, ehsize, shentsize) == (1, 0, 0, EHDR_SIZE, SHDR_SIZE)
    assert shoff + shnum * SHDR_SIZE == len(data)  # the header table ends the file
    shstr = SHDR.unpack_from(data, shoff + shstrndx * SHDR_SIZE)
    assert data[shstr[4]:shstr[4] + 1] == b"\0"  # string tables start with NUL


def test_pyelftools_agrees_on_sample():
    model = sample_model()
    assert_pyelftools_agrees(model, write_elf(model))


def test_pyelftools_agrees_without_section_symbols():
    model = sample_model()
    model.section_symbols = False
    model.relocs[".text"].pop()  # it named a section symbol by index
    assert_pyelftools_agrees(model, write_elf(model))


def test_lief_agrees_on_names():
    model = sample_model()
    binary = lief_parse(write_elf(model))
    assert [s.name for s in binary.sections] == expected_section_names(model)
    assert [s.name for s in binary.symbols] == [s[0] for s in expected_symbols(model)]
    relocs = sorted((r.section.name, r.address, r.symbol.name) for r in binary.object_relocations)
    assert len(relocs) == sum(map(len, model.relocs.values()))
    assert (".data", 0, "counter") in relocs and (".text", 1, "_printk") in relocs


def test_locals_are_placed_first():
    symbols = [Symbol("g", ".text"), Symbol("l", ".text", bind=STB_LOCAL), Symbol("w", SHN_UNDEF, bind=STB_WEAK)]
    model = ElfModel([Section(".text", data=b"\x90")], symbols, section_symbols=False)
    back = read_model(write_elf(model))
    assert [s.name for s in back.symbols] == ["l", "g", "w"]


def test_duplicate_names_resolve_to_first_and_read_back_as_indices():
    model = ElfModel([Section(".text", data=b"\x90"), Section(".text", data=b"\xc3")],
                     [Symbol("dup", ".text", bind=STB_LOCAL), Symbol("dup", 2, bind=STB_LOCAL), Symbol("g", ".text")],
                     {".text": [Reloc(0, "dup", R_X86_64_64), Reloc(0, 4, R_X86_64_64)]})
    data = write_elf(model)
    assert_pyelftools_agrees(model, data)
    back = read_model(data)
    assert [s.section for s in back.symbols] == [1, 2, 1]  # shared section name -> index
    assert [r.symbol for r in back.relocs[".text"]] == [3, 4]   # shared symbol name -> index
    assert write_elf(back) == data


def test_large_alignment_is_capped_in_the_file_only():
    model = ElfModel([Section(".big", data=b"x", addralign=1 << 40)], [])
    data = write_elf(model)
    assert len(data) < 2 * MAX_FILE_ALIGN
    assert read_model(data).sections[0].addralign == 1 << 40


def test_empty_reloc_list_is_kept():
    model = ElfModel([Section(".text", data=b"\x90")], [], {".text": []})
    assert read_model(write_elf(model)) == model


def test_writer_does_not_hang():
    """Not a speed test (a busy CI machine makes any tight timing flaky): one write of a
    20-section module finishes within a bound a hang or a blow-up would exceed.  The
    speed figure is benchmarks/bench_writer.py."""
    model = twenty_section_model()
    took = timeit.timeit(lambda: write_elf(model), number=1)
    assert took < WRITE_HANG_BOUND_S, f"write_elf took {took:.1f} s for 20 sections"


def twenty_section_model() -> ElfModel:
    sections = [Section(f".s{i}", SHT_PROGBITS, SHF_ALLOC, bytes(64), addralign=8) for i in range(17)]
    sections += [modinfo_section([("license", "GPL")]), versions_section([("module_layout", 1)]),
                 this_module_section("twenty", STRUCT_MODULE_SIZE)]
    symbols = [Symbol(f"f{i}", f".s{i % 17}", i, 1, STB_LOCAL if i % 2 else STB_GLOBAL, STT_FUNC)
               for i in range(40)]
    relocs = {f".s{i}": [Reloc(8 * j, f"f{j}", R_X86_64_64) for j in range(4)] for i in range(17)}
    return ElfModel(sections, symbols, relocs)


# ---------------------------------------------------------------- the helpers

def test_modinfo_section():
    sec = modinfo_section([("license", "GPL"), ("alias", "x"), ("alias", "y")])
    assert (sec.name, sec.type, sec.flags) == (".modinfo", SHT_PROGBITS, SHF_ALLOC)
    assert sec.data == b"license=GPL\0alias=x\0alias=y\0"


def test_versions_section():
    long_name = "n" * 70
    sec = versions_section([("module_layout", 0x1122334455667788), (long_name, 7)])
    assert (sec.name, sec.flags, sec.addralign) == ("__versions", SHF_ALLOC, 32)
    assert len(sec.data) == 2 * MODVERSION_INFO_SIZE == 128
    assert struct.unpack_from("<Q", sec.data, 0)[0] == 0x1122334455667788
    assert sec.data[8:64] == b"module_layout".ljust(56, b"\0")
    assert sec.data[72:128] == b"n" * 56  # truncated, unterminated


def test_versions_crc_must_fit_u64():
    with pytest.raises(ValueError, match="bad"):
        versions_section([("bad", 1 << 64)])


def test_this_module_section():
    sec = this_module_section("mymod", STRUCT_MODULE_SIZE)
    assert (sec.name, sec.flags, sec.addralign) == (".gnu.linkonce.this_module", SHF_WRITE | SHF_ALLOC, 64)
    assert len(sec.data) == STRUCT_MODULE_SIZE
    assert sec.data[MODULE_NAME_OFFSET:MODULE_NAME_OFFSET + 6] == b"mymod\0"
    assert sec.data.count(0) == STRUCT_MODULE_SIZE - 5
    this_module_section("m" * 55, STRUCT_MODULE_SIZE)
    with pytest.raises(ValueError, match="at most 55"):
        this_module_section("m" * 56, STRUCT_MODULE_SIZE)
    with pytest.raises(ValueError, match="cannot hold"):
        this_module_section("mymod", 16)


# ---------------------------------------------------------- inconsistent models

@pytest.mark.parametrize("mutate, message", [
    (lambda m: m.symbols.append(Symbol("lost", ".nowhere")), "'lost'.*unknown section '.nowhere'"),
    (lambda m: m.relocs[".text"].append(Reloc(0, "ghost", R_X86_64_64)), "unknown symbol 'ghost'"),
    (lambda m: m.relocs.update({".nope": []}), "unknown section '.nope'"),
    (lambda m: m.sections.append(Section(".b", SHT_NOBITS, data=b"x")), "'.b'.*NOBITS"),
    (lambda m: m.sections.append(Section(".p", size=3)), "'.p'.*only for SHT_NOBITS"),
    (lambda m: m.symbols.append(Symbol("a\0b", SHN_UNDEF)), "NUL"),
    (lambda m: m.symbols.append(Symbol("neg", SHN_ABS, value=-1)), "symbol 'neg'"),
    (lambda m: m.symbols.append(Symbol("bb", SHN_ABS, bind=16)), "'bb' bind"),
    (lambda m: m.relocs[".text"].append(Reloc(0, 1 << 32, R_X86_64_64)), "relocation 3 for section '.text'"),
])
def test_inconsistent_models_raise(mutate, message):
    model = sample_model()
    mutate(model)
    with pytest.raises(ValueError, match=message):
        write_elf(model)


# -------------------------------------------------------------- malformed files

def patch_shdr(data: bytes, index: int, field: int, value: int) -> bytes:
    """``data`` with field ``field`` of section header ``index`` set to ``value``."""
    shoff = EHDR.unpack_from(data)[6]
    fields = list(SHDR.unpack_from(data, shoff + index * SHDR_SIZE))
    fields[field] = value
    out = bytearray(data)
    SHDR.pack_into(out, shoff + index * SHDR_SIZE, *fields)
    return bytes(out)


SH_NAME, SH_OFFSET, SH_SIZE, SH_LINK, SH_INFO = 0, 4, 5, 6, 7


@pytest.mark.parametrize("corrupt, message", [
    (lambda d: d[:40], "shorter than"),
    (lambda d: b"\x7fELG" + d[4:], "magic"),
    (lambda d: d[:4] + b"\x01" + d[5:], "EI_CLASS"),
    (lambda d: d[:-1], "e_shoff"),
    (lambda d: patch_shdr(d, 1, SH_OFFSET, 1 << 40), "section 1: sh_offset"),
    (lambda d: patch_shdr(d, 1, SH_NAME, 1 << 20), "section 1 sh_name"),
    (lambda d: patch_shdr(d, 9, SH_SIZE, 5), "section 9: sh_size"),  # .rela.text
    (lambda d: patch_shdr(d, 9, SH_INFO, 0), "section 9 .rela.: sh_info=0"),
    (lambda d: patch_shdr(d, 9, SH_LINK, 1), "section 9 .rela.: sh_link=1"),
])
def test_malformed_files_raise(corrupt, message):
    data = write_elf(sample_model())
    assert expected_section_names(sample_model())[9] == ".rela.text"
    with pytest.raises(ValueError, match=message):
        read_model(corrupt(data))


def test_indices_past_their_tables_read_back_raw():
    model = sample_model()
    model.relocs[".text"].append(Reloc(0, 999, R_X86_64_64))
    model.symbols.append(Symbol("far", 0x1234))
    assert read_model(write_elf(model)) == model


def test_local_after_global_is_rejected():
    data = write_elf(sample_model())
    symtab = len(sample_model().sections) + len(sample_model().relocs) + 1
    with pytest.raises(ValueError, match="sh_info"):
        read_model(patch_shdr(data, symtab, SH_INFO, 2))


# ------------------------------------------------------------- property tests

NAME = st.text(alphabet="abcdefgh._", min_size=1, max_size=8)
SECTION_TYPES = [SHT_PROGBITS, SHT_NOBITS, SHT_NOTE, SHT_INIT_ARRAY, SHT_STRTAB]
FLAGS = st.sets(st.sampled_from([SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR, SHF_MERGE, SHF_STRINGS])).map(sum)
ALIGNS = [0, 1, 2, 4, 8, 16, 32, 64, MAX_FILE_ALIGN, 1 << 20]
RELOC_TYPES = [R_X86_64_NONE, R_X86_64_64, R_X86_64_PC32, R_X86_64_PLT32, R_X86_64_32, R_X86_64_32S, R_X86_64_PC64]
U64 = st.integers(0, U64_MASK)


@st.composite
def sections(draw, names: list[str]) -> list[Section]:
    out = []
    for name in names:
        typ = draw(st.sampled_from(SECTION_TYPES))
        nobits = typ == SHT_NOBITS
        out.append(Section(name, typ, draw(FLAGS), b"" if nobits else draw(st.binary(max_size=48)),
                           draw(st.integers(0, 1 << 16)) if nobits else None,
                           draw(st.sampled_from(ALIGNS)), draw(st.integers(0, 16)),
                           draw(st.integers(0, 12)), draw(st.integers(0, 12))))
    return out


@st.composite
def symbols(draw, section_names: list[str], unique: bool) -> list[Symbol]:
    names = draw(st.lists(NAME, max_size=8, unique=unique))
    specials = [SHN_UNDEF, SHN_ABS, SHN_COMMON]
    out = [Symbol(name, draw(st.sampled_from(section_names + specials)), draw(U64), draw(U64),
                  draw(st.sampled_from([STB_LOCAL, STB_GLOBAL, STB_WEAK])),
                  draw(st.sampled_from([STT_NOTYPE, STT_OBJECT, STT_FUNC, STT_SECTION, STT_FILE])),
                  draw(st.integers(0, 3)))
           for name in names]
    if unique:  # canonical: locals first, the order read_model returns
        out.sort(key=lambda s: s.bind != STB_LOCAL)
    return out


@st.composite
def relocs(draw, section_names: list[str], syms: list[Symbol], by_name_only: bool) -> dict[str, list[Reloc]]:
    names = [s.name for s in syms]
    targets = draw(st.lists(st.sampled_from(section_names), unique=True, max_size=len(section_names)))
    by_index = st.integers(0, len(syms) + 40)  # may point past the table, as a mutator might
    if by_name_only:
        refs = st.sampled_from(names) if names else st.nothing()
    else:
        refs = st.one_of(by_index, st.sampled_from(names)) if names else by_index
    reloc = st.builds(Reloc, U64, refs, st.sampled_from(RELOC_TYPES), st.integers(S64_MIN, S64_MAX))
    return {target: draw(st.lists(reloc, max_size=4)) for target in targets}


@st.composite
def elf_models(draw, canonical: bool) -> ElfModel:
    """Consistent models; ``canonical`` ones are exactly what read_model returns."""
    sec_names = draw(st.lists(NAME, min_size=1, max_size=6, unique=canonical))
    secs = draw(sections(sec_names))
    syms = draw(symbols(sec_names, unique=canonical))
    rels = draw(relocs(sec_names, syms, by_name_only=canonical))
    return ElfModel(secs, syms, rels, draw(st.booleans()))


PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(elf_models(canonical=True))
def test_property_canonical_models_round_trip_exactly(model):
    data = write_elf(model)
    assert read_model(data) == model
    assert_pyelftools_agrees(model, data)


@PROPERTY_SETTINGS
@given(elf_models(canonical=False))
def test_property_any_consistent_model_is_a_fixed_point(model):
    data = write_elf(model)
    assert_pyelftools_agrees(model, data)
    back = read_model(data)
    assert write_elf(back) == data
    assert read_model(write_elf(back)) == back


# ------------------------------------------------------------- real modules

def corpus_params():
    if not CORPUS:
        return [pytest.param(None, marks=pytest.mark.skip(reason="no corpus/*.ko built yet"))]
    return [pytest.param(p, id=p.name) for p in CORPUS]


@pytest.mark.parametrize("path", corpus_params())
def test_corpus_module_is_a_fixed_point(path):
    original = path.read_bytes()
    first = read_model(original)
    data = write_elf(first)
    second = read_model(data)
    assert second == first
    assert write_elf(second) == data
    assert describe(original) == describe(data)


@pytest.mark.parametrize("path", corpus_params())
def test_corpus_module_keeps_its_contents(path):
    model = read_model(path.read_bytes())
    names = {s.name for s in model.sections}
    assert {".text", ".modinfo", "__versions", ".gnu.linkonce.this_module"} <= names
    assert ".gnu.linkonce.this_module" in model.relocs  # modpost's init/exit pointers
    assert "init_module" in {s.name for s in model.symbols} or "cleanup_module" in {s.name for s in model.symbols}
    assert_pyelftools_agrees(model, write_elf(model))
    binary = lief_parse(write_elf(model))
    assert [s.name for s in binary.sections] == expected_section_names(model)


def describe(data: bytes) -> dict:
    """Everything the loader cares about, with indices replaced by names (pyelftools)."""
    elf = ELFFile(io.BytesIO(data))
    sections = list(elf.iter_sections())
    symtab = elf.get_section_by_name(".symtab")
    syms = [describe_symbol(s, sections) for s in symtab.iter_symbols()]
    content = {}
    relocs = {}
    for sec in sections:
        if isinstance(sec, RelocationSection):
            target = sections[sec["sh_info"]].name
            relocs[target] = [(r["r_offset"], syms[r["r_info_sym"]], r["r_info_type"], r["r_addend"])
                              for r in sec.iter_relocations()]
        elif sec.name not in DERIVED_NAMES + [""]:
            h = sec.header
            content[sec.name] = (h["sh_type"], h["sh_flags"], h["sh_size"], h["sh_addralign"],
                                 h["sh_entsize"], sections[h["sh_link"]].name,
                                 sec.data() if h["sh_type"] != "SHT_NOBITS" else None)
    return {"content": content, "symbols": syms, "relocs": relocs,
            "order": [s.name for s in sections if s.name in content]}


def describe_symbol(sym, sections) -> tuple:
    shndx = sym["st_shndx"]
    where = sections[shndx].name if isinstance(shndx, int) and 0 < shndx < len(sections) else shndx
    return (sym.name, sym["st_value"], sym["st_size"], where, sym["st_info"]["bind"], sym["st_info"]["type"],
            sym["st_other"]["visibility"])


# ---------------------------------------------------- a fresh gcc object file

C_SOURCE = r"""
extern int _printk(const char *fmt, ...);
static int counter;
int shared = 5;
static int *ptrs[] = { &counter, &shared };
const char *msg = "hello %d\n";
static char buf[256];
__attribute__((section(".init.text"))) int init_module(void)
{ counter++; buf[3] = 1; return _printk(msg, *ptrs[1]); }
__attribute__((section(".exit.text"))) void cleanup_module(void) { _printk("bye\n"); }
__attribute__((section(".modinfo"), used, aligned(1))) static const char lic[] = "license=GPL";
asm(".pushsection .text.dup,\"ax\",@progbits,unique,1\n dup_a: ret\n .popsection\n"
    ".pushsection .text.dup,\"ax\",@progbits,unique,2\n dup_b: nop; ret\n .popsection\n"
    /* SHF_LINK_ORDER: sh_link names .init.text, whose index changes on rewrite */
    ".pushsection .linked,\"ao\",@progbits,.init.text\n .quad init_module\n .popsection\n");
"""


def test_gcc_kernel_object_round_trips(tmp_path):
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed")
    src = tmp_path / "t.c"
    src.write_text(C_SOURCE)
    obj = tmp_path / "t.o"
    subprocess.run([gcc, "-O2", "-c", "-mcmodel=kernel", "-fno-pic", "-ffreestanding", "-fno-common",
                    str(src), "-o", str(obj)], check=True)
    original = obj.read_bytes()
    model = read_model(original)
    data = write_elf(model)
    assert read_model(data) == model
    assert describe(original) == describe(data)
    assert set(model.relocs) >= {".init.text", ".exit.text", ".data", ".linked"}
    names = [s.name for s in model.sections]
    linked = model.sections[names.index(".linked")]
    assert linked.link == 1 + names.index(".init.text")  # renumbered to the rewritten index
    dup_b = next(s for s in model.symbols if s.name == "dup_b")
    assert dup_b.section == 1 + len(names) - 1 - names[::-1].index(".text.dup")  # shared name -> index
