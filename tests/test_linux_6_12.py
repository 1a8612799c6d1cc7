"""The linux-6.12 profile: Debian's 6.12 as data (its bundle, its struct module) plus the
named loader changes it contains, on the seeds built for it (corpus/linux-6.12)."""

import errno
import lzma
from pathlib import Path

import pytest

from lkmfuzz.abi.arch import PAGE_SIZE
from lkmfuzz.abi.module import LINUX_6_12_X86_64, MOD_MEM_TYPES
from lkmfuzz.abi.types import U32, U64
from lkmfuzz.elf import constants as C
from lkmfuzz.elf import patch
from lkmfuzz.invariants import check_attempt, check_loaded, snapshot
from lkmfuzz.kernel.kernel import Kernel
from lkmfuzz.kernel.profile import get_profile
from lkmfuzz.loader import delete_module, finit_module
from lkmfuzz.loader.context import MODULE_INIT_COMPRESSED_FILE
from lkmfuzz.systematic import run_systematic

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
SEEDS_6_12 = ("hello", "consumer", "initexit", "relocs", "arrparam", "proprietary", "percpu", "livepatch")
DEPENDS = {"consumer": ("hello",)}


def seed(name: str) -> bytes:
    return (CORPUS / "linux-6.12" / f"{name}.ko").read_bytes()


HELLO = seed("hello")


def loaded(name: str):
    kernel = Kernel("linux-6.12")
    for dep in DEPENDS.get(name, ()):
        assert finit_module(kernel, seed(dep)).ok
    before = snapshot(kernel)
    return kernel, before, finit_module(kernel, seed(name))


def test_the_profile_is_its_release_and_its_changes():
    profile = get_profile("linux-6.12")
    assert profile.release.uname == "6.12.118+deb12-amd64" and profile.struct_module is LINUX_6_12_X86_64
    assert all(profile.has(c) for c in ("module_memory", "early_mod_check", "elf_validity_cache_index_mod"))
    assert not profile.has("elf_validity_cache_strtab"), "the string-table contents check came in 6.13"
    assert not profile.checks and not profile.hardened


@pytest.mark.parametrize("name", SEEDS_6_12)
def test_every_seed_loads_and_unloads_cleanly(name):
    kernel, before, result = loaded(name)
    assert result.ok, str(result)
    mod = result.module
    assert not check_loaded(kernel, mod) and not check_attempt(kernel, before, result, len(seed(name)))
    assert not mod.has_init_memory()
    delete_module(kernel, name)
    assert snapshot(kernel) == before, "unload must leave the kernel as it found it"


def test_each_region_is_its_own_page_aligned_allocation_named_in_the_struct():
    kernel, _, result = loaded("hello")
    mod, space = result.module, kernel.alloc.space
    assert set(mod.mem) <= set(MOD_MEM_TYPES) and {"text", "data", "rodata"} <= set(mod.mem)
    assert all(area.size % PAGE_SIZE == 0 and area.addr % PAGE_SIZE == 0 for area in mod.mem.values())
    struct = mod.section_addrs[patch.section_index(HELLO, ".gnu.linkonce.this_module")]
    assert mod.mem["data"].addr <= struct < mod.mem["data"].addr + mod.mem["data"].size
    for kind, region in enumerate(MOD_MEM_TYPES):
        entry = struct + LINUX_6_12_X86_64.mem_offset + kind * LINUX_6_12_X86_64.module_memory_size
        base, size = space.unpack(U64, entry)[0], space.unpack(U32, entry + 8)[0]
        area = mod.mem.get(region)
        if region.startswith("init"):
            continue        # freed after init; the struct still names where it was
        assert (base, size) == ((area.addr, area.size) if area else (0, 0)), region


def test_text_is_executable_and_nothing_is_writable_and_executable():
    _, _, result = loaded("relocs")
    mod = result.module
    text = mod.mem["text"].region
    assert text.perms and all(perm == 5 for _s, _e, perm in text.perms), "MOD_TEXT is r-x"
    assert not mod.mem["rodata"].region.writable(0, 1)


def test_a_module_built_for_61_is_refused_by_the_struct_size_check():
    result = finit_module(Kernel("linux-6.12"), (CORPUS / "hello.ko").read_bytes())
    assert result.kind == "ENOEXEC" and result.verdict.step == "elf_validity_cache_index_mod", str(result)


def test_a_duplicate_is_refused_before_anything_is_allocated():
    kernel = Kernel("linux-6.12")
    assert finit_module(kernel, HELLO).ok
    again = finit_module(kernel, HELLO)
    assert again.kind == "EEXIST" and again.verdict.step == "check_not_loaded", str(again)
    assert again.unwound == ["free_copy"]


def test_the_name_tables_must_be_strtab():
    for section in (".shstrtab", ".strtab"):
        data = patch.set_shdr(HELLO, section, sh_type=C.SHT_PROGBITS)
        result = finit_module(Kernel("linux-6.12"), data)
        assert result.kind == "ENOEXEC" and "table type" in str(result), (section, str(result))


def test_a_compressed_module_loads_and_garbage_is_einval():
    packed = lzma.compress(HELLO, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32)
    assert finit_module(Kernel("linux-6.12"), packed, flags=MODULE_INIT_COMPRESSED_FILE).ok
    for garbage in (HELLO, packed[:-40]):
        result = finit_module(Kernel("linux-6.12"), garbage, flags=MODULE_INIT_COMPRESSED_FILE)
        assert result.kind == "EINVAL" and result.verdict.step == "module_decompress", str(result)
    assert finit_module(Kernel("linux-6.1"), packed, flags=MODULE_INIT_COMPRESSED_FILE).verdict.errno == \
        errno.EOPNOTSUPP


def test_the_files_region_sizes_are_counted_on():
    # module_get_offset_and_type() adds onto mem[].size as the file's struct has it: 6.12
    # still takes it from the file (the model calls it trusted).
    off = patch.shdrs(HELLO)[patch.section_index(HELLO, ".gnu.linkonce.this_module")].sh_offset
    text_size = off + LINUX_6_12_X86_64.mem_offset + 8
    data = HELLO[:text_size] + U32.pack(1 << 20) + HELLO[text_size + 4:]
    plain, grown = finit_module(Kernel("linux-6.12"), HELLO), finit_module(Kernel("linux-6.12"), data)
    assert grown.ok and grown.module.mem["text"].size == plain.module.mem["text"].size + (1 << 20)
    assert any("text size" in what for _step, what in grown.trusted)


@pytest.mark.slow
def test_every_fault_point_unwinds_cleanly():
    report = run_systematic(HELLO, "", "linux-6.12")
    assert report.runs and not report.violations, report.violations[:3]
    assert {"free_module", "unlink_mod", "free_copy"} <= report.labels


def test_two_sections_of_one_name_fail_sysfs_setup_in_6_12_only():
    # add_sect_attrs(): /sys/module/hello/sections/.data twice is EEXIST; 6.1 ignored the
    # failure (found by oracle diff --kernel linux-6.12 on a structured mutant).
    def data_named_twice(module: bytes) -> bytes:
        name = patch.shdrs(module)[patch.section_index(module, ".data")].sh_name
        return patch.set_shdr(module, ".rodata.str1.8", sh_name=name)

    data = data_named_twice(HELLO)
    kernel = Kernel("linux-6.12")
    before = snapshot(kernel)
    result = finit_module(kernel, data)
    assert result.kind == "EEXIST" and result.verdict.step == "mod_sysfs_setup", str(result)
    assert not check_attempt(kernel, before, result, len(data))
    assert finit_module(Kernel("linux-6.1"), data_named_twice((CORPUS / "hello.ko").read_bytes())).ok


def test_note_sections_appear_under_notes():
    kernel, _, result = loaded("hello")
    notes = [p for p in kernel.sysfs.listing() if p.startswith("module/hello/notes/")]
    assert "module/hello/notes/.note.gnu.build-id" in notes, notes


def test_a_fault_is_named_after_the_6_12_function_the_oops_shows():
    # The real 6.12 oopses in __write_relocate_add() where 6.1 did in __apply_relocate_add().
    data = patch.set_relocation(HELLO, ".rela.text", 0, info=(0x7FFFFFF << 32) | C.R_X86_64_PLT32)
    result = finit_module(Kernel("linux-6.12"), data)
    assert result.kind == "kernel-fault" and result.verdict.site == "__write_relocate_add", str(result)


def test_region_sizes_from_the_file_stay_within_the_resource_bound():
    # Seven regions, each sized from the file: found by `lkmfuzz fuzz --profile linux-6.12`
    # (two 1 MiB regions were dense bytearrays, past invariants' resource bound).
    off = patch.shdrs(HELLO)[patch.section_index(HELLO, ".gnu.linkonce.this_module")].sh_offset
    data = bytearray(HELLO)
    for kind in range(len(MOD_MEM_TYPES)):
        size = off + LINUX_6_12_X86_64.mem_offset + kind * LINUX_6_12_X86_64.module_memory_size + 8
        data[size:size + 4] = U32.pack(1 << 20)
    kernel = Kernel("linux-6.12")
    before = snapshot(kernel)
    result = finit_module(kernel, bytes(data))
    assert result.ok, str(result)
    assert not check_attempt(kernel, before, result, len(data))
