"""Every seed module loads, works as its source says, and unloads without a trace."""

import gc

import pytest
from conftest import DEPENDS, SEEDS, seed_bytes
from kstate import snapshot

from lkmfuzz.abi.types import S32, U32, U64
from lkmfuzz.elf import patch
from lkmfuzz.elf.constants import (
    R_X86_64_32,
    R_X86_64_32S,
    R_X86_64_64,
    R_X86_64_PC32,
    R_X86_64_PC64,
    R_X86_64_PLT32,
    SHT_RELA,
)
from lkmfuzz.elf.relocs import X86_64_RELA
from lkmfuzz.kernel.memory import PERM_W, PERM_X
from lkmfuzz.kernel.module import ModuleState
from lkmfuzz.loader import delete_module, finit_module
from lkmfuzz.loader.kparams import KPARAM_ARRAY, KPARAM_STRING


@pytest.mark.parametrize("name", SEEDS)
def test_seed_loads_and_unloads_cleanly(kernel, name):
    for dep in DEPENDS.get(name, ()):
        assert finit_module(kernel, seed_bytes(dep)).ok
    before = snapshot(kernel)
    result = finit_module(kernel, seed_bytes(name))
    assert result.ok, str(result)
    mod = result.module
    assert str(result) == f"loaded {name}"
    assert mod.state == ModuleState.LIVE and mod.refcnt == 1
    assert not mod.has_init_memory(), "init memory must be freed after do_init_module"
    assert f"module/{name}" in kernel.sysfs.listing()
    expected = {"proprietary": "POE", "livepatch": "OEK"}.get(name, "OE")   # out of tree, unsigned
    assert mod.taint_letters == expected
    delete_module(kernel, name)
    assert snapshot(kernel) == before


@pytest.mark.parametrize("name", SEEDS)
def test_seed_memory_is_never_writable_and_executable(kernel, name):
    for dep in DEPENDS.get(name, ()):
        finit_module(kernel, seed_bytes(dep))
    mod = finit_module(kernel, seed_bytes(name)).module
    runs = [run for area in mod.mem.values() for run in area.region.perms]
    assert not [r for r in runs if r[2] & PERM_W and r[2] & PERM_X]
    assert any(r[2] & PERM_X for r in runs), "text must be executable"
    for area, span in mod.span_areas("ro_after_init"):
        assert all(not area.region.writable(off, 1) for off in range(span.start, span.end))


def test_hello_exports_resolve_for_consumer(kernel):
    hello = finit_module(kernel, seed_bytes("hello")).module
    assert {e.name for e in hello.exports} == {"hello_greet", "hello_count"}
    assert {e.name: e.gpl_only for e in hello.exports} == {"hello_greet": False, "hello_count": True}
    consumer = finit_module(kernel, seed_bytes("consumer")).module
    assert set(consumer.targets) == {"hello"}
    assert hello.sources == {"consumer"} and hello.refcnt == 2
    assert "module/hello/holders/consumer" in kernel.sysfs.listing()


def test_params_are_written_into_module_memory(kernel, hello):
    result = finit_module(kernel, hello, 'myint=-42 myuint=0x10 mylong=-9 mybool=n mycharp="hello world" mybyte=255')
    assert result.ok, str(result)
    space = kernel.alloc.space
    params = {p.name: p for p in result.module.params}
    assert set(params) >= {"myint", "myuint", "mylong", "myulong", "myshort", "myushort", "mybool", "myinvbool",
                           "mycharp", "mybyte"}
    assert space.unpack(U32, params["myint"].arg)[0] == (-42) & 0xFFFFFFFF
    assert space.unpack(U32, params["myuint"].arg)[0] == 16
    assert space.unpack(U64, params["mylong"].arg)[0] == (-9) & (2**64 - 1)
    assert space.read(params["mybool"].arg, 1) == b"\0"
    assert space.read(params["mybyte"].arg, 1) == b"\xff"
    pointer = space.unpack(U64, params["mycharp"].arg)[0]
    assert space.cstring(pointer) == b"hello world"


def test_array_params_store_elements_and_count(kernel):
    result = finit_module(kernel, seed_bytes("arrparam"), "myints=1,-2,3 mynames=ab,cd mylabel=xyz")
    assert result.ok, str(result)
    space = kernel.alloc.space
    params = {p.name: p for p in result.module.params}
    max_elems, elemsize, num_ptr, _ops, elem = space.unpack(KPARAM_ARRAY, params["myints"].arg)
    assert (elemsize, space.unpack(U32, num_ptr)[0]) == (4, 3)
    assert [space.unpack(S32, elem + 4 * i)[0] for i in range(3)] == [1, -2, 3]
    _max, _size, _num, _ops, names = space.unpack(KPARAM_ARRAY, params["mynames"].arg)
    assert [space.cstring(space.unpack(U64, names + 8 * i)[0]) for i in range(2)] == [b"ab", b"cd"]
    maxlen, label = space.unpack(KPARAM_STRING, params["mylabel"].arg)
    assert space.cstring(label) == b"xyz"


@pytest.mark.parametrize("args, errno_name", [
    ("myints=" + ",".join(["1"] * 9), "EINVAL"),   # more elements than the array holds
    ("mylabel=" + "x" * 100, "ENOSPC"),            # longer than the string buffer
    ("myints=1,,2", "EINVAL"),                     # an empty int element
])
def test_array_and_string_param_errors(kernel, args, errno_name):
    result = finit_module(kernel, seed_bytes("arrparam"), args)
    assert result.kind == errno_name, str(result)
    assert snapshot(kernel)["allocations"] == [], "a failed load leaves nothing allocated"


def test_every_relocation_matches_an_independent_recomputation(kernel):
    """Recompute S + A (- P) for each relocation into core memory from the file's own
    tables and the final section addresses, and compare with the loaded bytes."""
    data = seed_bytes("relocs")
    result = finit_module(kernel, data)
    assert result.ok, str(result)
    mod, space = result.module, kernel.alloc.space
    syms = patch.symbols(data)
    checked = 0
    for index, sh in enumerate(patch.shdrs(data)):
        target = sh.sh_info
        if sh.sh_type != SHT_RELA or target not in mod.section_addrs:
            continue
        if not mod.within(mod.section_addrs[target]):
            continue   # init memory, already freed
        for r_offset, r_info, addend in patch.relocations(data, patch.section_name(data, index)):
            recipe = X86_64_RELA[r_info & 0xFFFFFFFF]
            if recipe is None:
                continue
            _i, name, sym = syms[r_info >> 32]
            if sym.st_shndx == 0:
                s_value = kernel.symbols.get(name).addr
            else:
                s_value = mod.section_addrs[sym.st_shndx] + sym.st_value
            place = mod.section_addrs[target] + r_offset
            assert space.read(place, recipe.size) == recipe.encode(recipe.value(s_value, addend, place)), \
                f"{recipe.name} at {patch.section_name(data, index)}+{r_offset:#x}"
            checked += 1
    assert checked >= 20
    types = {r[1] & 0xFFFFFFFF for i, sh in enumerate(patch.shdrs(data)) if sh.sh_type == SHT_RELA
             for r in patch.relocations(data, patch.section_name(data, i))}
    assert {R_X86_64_64, R_X86_64_32, R_X86_64_32S, R_X86_64_PC32, R_X86_64_PLT32, R_X86_64_PC64} <= types


def test_loads_leave_no_reference_cycles(kernel, hello):
    """A finished load — loaded and unloaded, refused in simplify_symbols, or unwound
    after an injected sysfs failure — is freed as soon as its result is dropped.
    Cyclic garbage waits for the collector, which cost more than the loads themselves
    (benchmarks/README.md)."""
    from lkmfuzz.faults import FaultPlan
    wrong_crcs = patch.set_version_crc(patch.set_version_crc(hello, "_printk", 1), "__fentry__", 2)
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        result = finit_module(kernel, hello)
        delete_module(kernel, result.name)
        verdicts = [str(finit_module(kernel, wrong_crcs)),
                    str(finit_module(kernel, hello, fault_plan=FaultPlan(sites=frozenset({"sysfs"}))))]
        del result
        gc.collect()
        garbage = sorted({type(obj).__name__ for obj in gc.garbage})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert verdicts[0].startswith("EINVAL (simplify_symbols") and verdicts[1].startswith("ENOMEM (mod_sysfs_setup")
    assert garbage == []


def test_core_kallsyms_in_the_moved_struct_describe_the_kept_symbols(kernel, hello):
    """add_kallsyms() leaves mod->core_kallsyms pointing at the core copies, with
    num_symtab the symbols kept (the null one included) and their nm letters."""
    from lkmfuzz.abi.module import LINUX_6_1_X86_64, MOD_KALLSYMS
    result = finit_module(kernel, hello)
    assert result.ok, str(result)
    mod, space = result.module, kernel.alloc.space
    struct_addr = mod.section_addrs[patch.section_index(hello, ".gnu.linkonce.this_module")]
    core_kallsyms = struct_addr + LINUX_6_1_X86_64.core_kallsyms_offset
    symtab, num_symtab, strtab, typetab = space.unpack(MOD_KALLSYMS, core_kallsyms)
    assert num_symtab == len(mod.kallsyms) + 1
    core = mod.mem["core"]
    assert core.addr <= symtab < strtab < typetab < core.addr + core.size
    # The null symbol is SHN_UNDEF: "U".
    assert space.read(typetab, num_symtab).decode() == "U" + "".join(letter for _n, _v, letter in mod.kallsyms)
    assert space.cstring(strtab + 1) == mod.kallsyms[0][0].encode()
