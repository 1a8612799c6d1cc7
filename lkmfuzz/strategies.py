"""Hypothesis strategies for lkmfuzz test suites (``from lkmfuzz.strategies import ...``).

* ``modules()`` — valid, loadable modules built from scratch with the ELF writer;
* ``corrupted_modules()`` — a valid module plus a list of structured corruptions;
* ``fault_plans()`` — fault plans (fail-nth, sites, probability);
* ``param_strings()`` — module parameter strings in the kernel tokenizer's grammar.

Generation is dependent (counts first, then indices in range) so that shrinking
stays inside the valid space, and every docstring says what a strategy shrinks
toward.
"""

import random
from dataclasses import dataclass

from hypothesis import strategies as st

from .elf import constants as C
from .elf.model import ElfModel, Reloc, Section, Symbol, modinfo_section, this_module_section, versions_section
from .elf.writer import write_elf
from .faults import SITES, FaultPlan
from .kernel.profile import DEFAULT_PROFILE, get_profile
from .kernel.symbols import debian_symbols

SLOT = 8                       # relocation places are 8-byte slots, so they never overlap
TEXT = ".text"
DATA = ".data"
ABS_SYMBOL = "lkmfuzz_abs"     # an SHN_ABS symbol small enough for R_X86_64_32
NAME_ALPHABET = "abcdefghijklmnopqrstuvwxyz_0123456789"

# What each target section may hold without any load-time check failing (6.1 rules):
# PC32/PLT32 truncate; 32S needs a sign-extended 32-bit value, which every kernel and
# module address is; 32 only for the small absolute symbol.
TEXT_TYPES = (C.R_X86_64_PC32, C.R_X86_64_PLT32, C.R_X86_64_32S, C.R_X86_64_64, C.R_X86_64_PC64, C.R_X86_64_NONE)
DATA_TYPES = (C.R_X86_64_64, C.R_X86_64_PC64, C.R_X86_64_PC32, C.R_X86_64_32S)


@dataclass(frozen=True)
class GeneratedModule:
    data: bytes
    name: str
    model: ElfModel
    imports: tuple


def importable_symbols(limit: int = 400) -> list[str]:
    """Exported vmlinux symbols a GPL module can use without import_ns (a stable sample)."""
    names = sorted(s.name for s in debian_symbols().by_name.values() if not s.namespace)
    step = max(1, len(names) // limit)
    return names[::step][:limit]


@st.composite
def module_names(draw):
    """Module names that are free in the simulated kernel; shrink toward "a"."""
    builtin = set(get_profile().config.builtin_modules)
    return draw(st.text(NAME_ALPHABET, min_size=1, max_size=20).filter(lambda n: n not in builtin))


@st.composite
def _relocations(draw, section_size: int, types: tuple, symbols: list[str]):
    """Relocations at distinct 8-byte slots of a section; shrink toward none."""
    slots = draw(st.lists(st.integers(0, section_size // SLOT - 1), unique=True, max_size=min(8, section_size // SLOT)))
    return [Reloc(slot * SLOT, draw(st.sampled_from(symbols)), draw(st.sampled_from(types)),
                  draw(st.integers(-4096, 4096))) for slot in slots]


@st.composite
def modules(draw, profile: str = DEFAULT_PROFILE, max_imports: int = 4):
    """A valid module that the model loads: .text with init/exit, .data, .bss, imports of
    real vmlinux exports with their real CRCs in __versions, relocations of every
    supported type within range, .modinfo with the kernel's vermagic.

    Shrinks toward the smallest module: no imports, no relocations, 16 bytes of text,
    no data, no init or exit, name "a"."""
    prof = get_profile(profile)
    table = debian_symbols()
    name = draw(module_names())
    imports = draw(st.lists(st.sampled_from(importable_symbols()), unique=True, max_size=max_imports))
    text_size = SLOT * draw(st.integers(2, 32))
    data_size = SLOT * draw(st.integers(0, 16))
    has_init, has_exit = draw(st.booleans()), draw(st.booleans())
    text = bytearray(draw(st.binary(min_size=text_size, max_size=text_size)))
    symbols = [Symbol(n, 0) for n in imports]
    symbols.append(Symbol(ABS_SYMBOL, C.SHN_ABS, value=draw(st.integers(0, 1 << 20)), bind=C.STB_LOCAL))
    if has_init:
        symbols.append(Symbol("init_module", TEXT, 0, 1, C.STB_GLOBAL, C.STT_FUNC))
    if has_exit:
        symbols.append(Symbol("cleanup_module", TEXT, SLOT, 1, C.STB_GLOBAL, C.STT_FUNC))
    targets = list(imports) + [s.name for s in symbols if s.section == TEXT] or [ABS_SYMBOL]
    text_relocs = draw(_relocations(text_size, TEXT_TYPES, targets))
    data_relocs = draw(_relocations(data_size, DATA_TYPES, targets)) if data_size else []
    if draw(st.booleans()):
        text_relocs = [r for r in text_relocs if r.offset != 0] + [Reloc(0, ABS_SYMBOL, C.R_X86_64_32)]
    for r in text_relocs:                      # relocation places must hold zero
        text[r.offset:r.offset + SLOT] = bytes(SLOT)
    this_relocs = ([Reloc(prof.struct_module.init_offset, "init_module", C.R_X86_64_64)] if has_init else []) + \
                  ([Reloc(prof.struct_module.exit_offset, "cleanup_module", C.R_X86_64_64)] if has_exit else [])
    versions = [("module_layout", table.by_name["module_layout"].crc)] + [(n, table.by_name[n].crc) for n in imports]
    sections = [Section(TEXT, C.SHT_PROGBITS, C.SHF_ALLOC | C.SHF_EXECINSTR, bytes(text), addralign=16),
                Section(DATA, C.SHT_PROGBITS, C.SHF_ALLOC | C.SHF_WRITE, bytes(data_size), addralign=8),
                Section(".bss", C.SHT_NOBITS, C.SHF_ALLOC | C.SHF_WRITE, size=draw(st.integers(0, 4096)), addralign=8),
                modinfo_section([("license", "GPL"), ("vermagic", prof.vermagic), ("name", name)]),
                versions_section(versions),
                this_module_section(name, prof.struct_module.size)]
    relocs = {TEXT: text_relocs, DATA: data_relocs, ".gnu.linkonce.this_module": this_relocs}
    model = ElfModel(sections, symbols, {k: v for k, v in relocs.items() if v})
    return GeneratedModule(write_elf(model), name, model, tuple(imports))


@st.composite
def corrupted_modules(draw, profile: str = DEFAULT_PROFILE):
    """A valid module (``modules()``) with 1–4 structured corruptions applied in order
    (lkmfuzz.mutate.structured operators, each with its own seed).

    Shrinks by dropping corruptions (down to one), then by shrinking the module."""
    from .kernel.symbols import debian_symbols as table
    from .mutate.structured import OPERATORS, Context, mutate_structured
    base = draw(modules(profile))
    steps = draw(st.lists(st.tuples(st.sampled_from(OPERATORS), st.integers(0, 2**32 - 1)), min_size=1, max_size=4))
    ctx = Context.from_symbols(table())
    data = base.data
    for operator, seed in steps:
        data = mutate_structured(data, random.Random(seed), ctx, operators=(operator,))
    return data, base, [op.__name__ for op, _ in steps]


@st.composite
def fault_plans(draw, max_nth: int = 64, allow_empty: bool = True):
    """A FaultPlan: nothing, fail the N-th fault point, fail every hit of some sites,
    or fail with a seeded probability.

    Shrinks toward no fault at all, then toward fail_nth=1, fewer sites and
    probability 0 — the simplest plan that still fails."""
    kinds = ["nth", "sites", "probability"]
    if allow_empty:
        kinds.insert(0, "none")
    kind = draw(st.sampled_from(kinds))
    if kind == "none":
        return FaultPlan()
    if kind == "nth":
        return FaultPlan(fail_nth=draw(st.integers(1, max_nth)))
    if kind == "sites":
        return FaultPlan(sites=frozenset(draw(st.sets(st.sampled_from(SITES), min_size=1, max_size=3))))
    return FaultPlan(probability=draw(st.floats(0.0, 0.5)), seed=draw(st.integers(0, 2**32 - 1)))


PARAM_NAMES = ("myint", "myuint", "mylong", "myshort", "mybool", "myinvbool", "mycharp", "mybyte", "my-int", "nosuch")
PARAM_VALUE_CHARS = st.characters(min_codepoint=0x20, max_codepoint=0xFF)


@st.composite
def param_strings(draw):
    """Parameter strings built from the kernel tokenizer's pieces: names (with '-'),
    values bare or quoted, whole-token quotes, bare names, '--', odd spacing.

    Shrinks toward the empty string, then fewer and shorter tokens."""
    tokens = []
    for _ in range(draw(st.integers(0, 5))):
        shape = draw(st.integers(0, 4))
        pname = draw(st.sampled_from(PARAM_NAMES))
        value = draw(st.text(PARAM_VALUE_CHARS, max_size=12))
        tokens.append([pname, f"{pname}={value}", f'{pname}="{value}"', f'"{pname}={value}"', "--"][shape])
    sep = draw(st.sampled_from([" ", "  ", "\t", "\n"]))
    return sep.join(tokens)
