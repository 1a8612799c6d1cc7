"""kernel.exported (kernel/exports.py) answers find_symbol() exactly as the list walk
does, and kernel.find_module() finds what the walk finds.

Small modules exporting names from a shared pool are loaded and unloaded in random
order into two kernels: one looks symbols up through the index, the other walks the
module list (the kernel's own find_symbol(), ``walk_modules``).  Every verdict must be
the same in both, and after every step the index and the walk must agree on every
name of the pool, with and without GPL-only symbols.
"""

import errno
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from lkmfuzz.abi.module import KSYM
from lkmfuzz.elf import constants as C
from lkmfuzz.elf.model import ElfModel, Reloc, Section, Symbol, modinfo_section, this_module_section, versions_section
from lkmfuzz.elf.writer import write_elf
from lkmfuzz.kernel.exports import findable, kernel_bsearch, walk_modules
from lkmfuzz.kernel.kernel import Kernel
from lkmfuzz.kernel.module import ExportedSymbol, ModuleState
from lkmfuzz.kernel.profile import get_profile
from lkmfuzz.kernel.symbols import debian_symbols
from lkmfuzz.loader import delete_module, finit_module
from lkmfuzz.loader.symbols import find_symbol

PROFILE = "linux-6.1"
POOL = ("alpha", "beta", "gamma", "delta", "epsilon")    # export names modules share
MODULE_NAMES = ("m0", "m1", "m2", "m3", "m4")


def exporting_module(name: str, plain: list[str], gpl: list[str]) -> bytes:
    """A GPL module whose __ksymtab exports ``plain`` and __ksymtab_gpl ``gpl``, in the
    order given (an unsorted list makes an unsorted table, which bsearch may miss),
    each a function in .text, with a CRC of 0 in __kcrctab*."""
    prof = get_profile(PROFILE)
    strings = b"".join(n.encode() + b"\0" for n in plain + gpl)
    offsets, at = {}, 0
    for export in plain + gpl:
        offsets.setdefault(export, at)
        at += len(export) + 1
    functions = list(dict.fromkeys(plain + gpl))
    symbols = [Symbol(f, ".text", 8 * i, 1, C.STB_GLOBAL, C.STT_FUNC) for i, f in enumerate(functions)]
    symbols.append(Symbol("__kstrtab", "__ksymtab_strings", 0, 0, C.STB_LOCAL))
    sections = [Section(".text", C.SHT_PROGBITS, C.SHF_ALLOC | C.SHF_EXECINSTR, bytes(8 * max(1, len(functions))),
                        addralign=16)]
    relocs: dict[str, list[Reloc]] = {}
    for table, exports in (("__ksymtab", plain), ("__ksymtab_gpl", gpl)):
        if not exports:
            continue
        sections.append(Section(table, C.SHT_PROGBITS, C.SHF_ALLOC, bytes(KSYM.size * len(exports)), addralign=4))
        crcs = "__kcrctab" + table.removeprefix("__ksymtab")
        sections.append(Section(crcs, C.SHT_PROGBITS, C.SHF_ALLOC, struct.pack(f"<{len(exports)}I",
                                                                              *[0] * len(exports)), addralign=4))
        # struct kernel_symbol: PREL32 offsets to the function and to its name.
        relocs[table] = [r for i, export in enumerate(exports)
                         for r in (Reloc(KSYM.size * i, export, C.R_X86_64_PC32),
                                   Reloc(KSYM.size * i + 4, "__kstrtab", C.R_X86_64_PC32, offsets[export]))]
    versions = [("module_layout", debian_symbols().by_name["module_layout"].crc)]
    sections += [Section("__ksymtab_strings", C.SHT_PROGBITS, C.SHF_ALLOC, strings or b"\0"),
                 modinfo_section([("license", "GPL"), ("vermagic", prof.vermagic), ("name", name)]),
                 versions_section(versions),
                 this_module_section(name, prof.struct_module.size)]
    return write_elf(ElfModel(sections, symbols, relocs))


class ListWalk:
    """Stands for kernel.exported in the reference kernel: the kernel's walk, unindexed."""

    def __init__(self, kernel: Kernel):
        self.kernel = kernel

    def add(self, mod, modules) -> None:
        pass    # the walk reads mod.exports itself

    def remove(self, mod) -> None:
        pass

    def find(self, name: str, gplok: bool):
        return walk_modules(self.kernel.modules, name, gplok)


def walking_kernel() -> Kernel:
    kernel = Kernel(PROFILE)
    kernel.__dict__["exported"] = ListWalk(kernel)   # shadows the cached_property
    return kernel


def assert_index_matches_walk(kernel: Kernel) -> None:
    for name in POOL:
        for gplok in (False, True):
            found, owner = kernel.exported.find(name, gplok)
            walked, walked_owner = walk_modules(kernel.modules, name, gplok)
            assert found is walked and owner is walked_owner, (name, gplok)
    for name in MODULE_NAMES:
        for even_unformed in (False, True):
            walked = next((m for m in kernel.modules if m.name == name
                           and (even_unformed or m.state != ModuleState.UNFORMED)), None)
            assert kernel.find_module(name, even_unformed) is walked, (name, even_unformed)


def outcome(kernel: Kernel, step: tuple) -> str:
    """Run one step ("load", name, plain, gpl) or ("unload", name); its verdict as text."""
    if step[0] == "unload":
        try:
            delete_module(kernel, step[1])
        except Exception as refused:    # LoadError: compared as text with the other kernel's
            return f"unload refused: {refused}"
        return "unloaded"
    _load, name, plain, gpl = step
    return str(finit_module(kernel, exporting_module(name, plain, gpl)))


export_lists = st.lists(st.sampled_from(POOL), max_size=4)
steps = st.one_of(
    st.tuples(st.just("load"), st.sampled_from(MODULE_NAMES), export_lists, export_lists),
    st.tuples(st.just("unload"), st.sampled_from(MODULE_NAMES)),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(steps, min_size=1, max_size=12))
def test_the_index_answers_as_the_walk_does(sequence):
    indexed, walking = Kernel(PROFILE), walking_kernel()
    for step in sequence:
        assert outcome(indexed, step) == outcome(walking, step)
        assert [m.name for m in indexed.modules] == [m.name for m in walking.modules]
        assert_index_matches_walk(indexed)


def test_a_name_another_module_exports_is_refused():
    """6.1's verify_exported_symbols: ENOEXEC, "exports duplicate symbol" (EEXIST is
    only for a module name already loaded)."""
    kernel = Kernel(PROFILE)
    assert finit_module(kernel, exporting_module("m0", ["alpha"], ["beta"])).ok
    again = finit_module(kernel, exporting_module("m1", [], ["alpha"]))
    assert again.verdict.errno == errno.ENOEXEC
    assert "exports duplicate symbol alpha (owned by m0)" in again.verdict.reason
    assert kernel.exported.find("alpha", gplok=True)[1].name == "m0"


def test_gpl_only_exports_are_found_only_when_allowed():
    kernel = Kernel(PROFILE)
    assert finit_module(kernel, exporting_module("m0", ["alpha"], ["beta"])).ok
    assert find_symbol(kernel, "beta", gplok=False) == (None, None)
    sym, owner = find_symbol(kernel, "beta", gplok=True)
    assert sym.gpl_only and owner.name == "m0"


def test_an_unformed_module_is_skipped_and_the_next_exporter_wins():
    """Two modules hold one name only when the first was UNFORMED at the second's
    verify: the newer one (at the list head) wins once both are formed."""
    kernel = Kernel(PROFILE)
    first = finit_module(kernel, exporting_module("m0", ["alpha"], [])).module
    first.state = ModuleState.UNFORMED      # as while it is being torn down
    second = finit_module(kernel, exporting_module("m1", ["alpha"], [])).module
    assert second is not None and kernel.exported.find("alpha", gplok=True)[1] is second
    second.state = ModuleState.UNFORMED
    assert kernel.exported.find("alpha", gplok=True) == (None, None)
    first.state = ModuleState.LIVE
    assert kernel.exported.find("alpha", gplok=True)[1] is first
    second.state = ModuleState.LIVE
    assert kernel.exported.find("alpha", gplok=True)[1] is second
    assert_index_matches_walk(kernel)


def test_unload_removes_the_exports():
    kernel = Kernel(PROFILE)
    assert finit_module(kernel, exporting_module("m0", ["alpha", "beta"], ["gamma"])).ok
    assert len(kernel.exported) == 3
    delete_module(kernel, "m0")
    assert len(kernel.exported) == 0 and find_symbol(kernel, "alpha", gplok=True) == (None, None)
    assert finit_module(kernel, exporting_module("m1", ["alpha"], [])).ok


def test_an_unsorted_table_hides_what_bsearch_cannot_find():
    kernel = Kernel(PROFILE)
    assert finit_module(kernel, exporting_module("m0", ["gamma", "beta", "alpha", "delta", "epsilon"], [])).ok
    assert_index_matches_walk(kernel)
    hidden = [n for n in POOL if kernel.exported.find(n, gplok=True)[0] is None]
    assert hidden, "an unsorted __ksymtab hides some name from bsearch"


@given(st.lists(st.sampled_from(POOL + ("Alpha", "al", "\xe9t\xe9")), max_size=8))
def test_findable_is_what_bsearch_finds(names):
    """Sorted or not, names twice or not: the per-table map the index keeps."""
    table = [ExportedSymbol(name, i, None, False, "", "m0") for i, name in enumerate(names)]
    expected = {name: kernel_bsearch(table, name) for name in names}
    assert findable(table) == {name: hit for name, hit in expected.items() if hit is not None}
    assert all(findable(table)[n] is hit for n, hit in expected.items() if hit is not None)
