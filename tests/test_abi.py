"""lkmfuzz/abi holds the kernel's layouts once; these are the numbers Debian's 6.1 build
has (scripts/probe-struct-module.sh printed them), pinned so an edit of the data shows."""

import dataclasses

import pytest

from lkmfuzz.abi import module, params
from lkmfuzz.kernel.profile import PROFILES


def test_struct_module_of_6_1_is_debians():
    assert dataclasses.asdict(module.LINUX_6_1_X86_64) == {
        "size": 0x380, "name_offset": 24, "init_offset": 0x138, "exit_offset": 0x350,
        "core_layout_offset": 0x140, "init_layout_offset": 0x190, "taints_offset": 0x1F8,
        "kallsyms_offset": 0x220, "core_kallsyms_offset": 0x228, "percpu_offset": 0x260, "klp_offset": 0x320,
        "refcnt_offset": 0x358, "source_list_offset": 0x330, "mem_offset": None, "module_memory_size": 0}
    assert module.LINUX_6_1_X86_64.core_size_offset == 0x148


def test_struct_module_of_6_12_is_debians():
    """scripts/probe-struct-module.sh --kernel 6.12 (table in kernel/data/linux-6.12/SOURCE.md)."""
    layout = module.LINUX_6_12_X86_64
    assert (layout.size, layout.name_offset, layout.init_offset, layout.mem_offset, layout.taints_offset,
            layout.percpu_offset, layout.klp_offset, layout.exit_offset) == (0x500, 24, 312, 320, 848, 952, 1152, 1200)
    assert (layout.module_memory_size, len(module.MOD_MEM_TYPES)) == (0x48, 7)
    assert (layout.kallsyms_offset, layout.core_kallsyms_offset) == (0x378, 0x380)


def test_mem_regions_exist_only_from_6_4_on():
    with pytest.raises(AssertionError, match="mem"):
        _ = module.LINUX_6_12_X86_64.core_size_offset
    assert module.LINUX_6_1_X86_64.mem_offset is None


def test_every_profile_points_to_a_struct_module_layout():
    assert {name: p.struct_module for name, p in PROFILES.items()} == {
        "linux-6.1": module.LINUX_6_1_X86_64, "linux-6.12": module.LINUX_6_12_X86_64,
        "hardened": module.LINUX_6_1_X86_64, "hardened-6.1": module.LINUX_6_1_X86_64,
        "hardened-6.12": module.LINUX_6_12_X86_64}


def test_record_sizes_are_the_kernels():
    sizes = (module.MODVERSION_INFO_SIZE, module.MODVERSION_NAME_OFFSET, module.MODULE_NAME_LEN,
             module.KSYM.size, params.KERNEL_PARAM.size, params.KPARAM_ARRAY.size, params.KPARAM_STRING.size,
             module.MOD_KALLSYMS.size, module.MODULE_HEAD.size)
    assert sizes == (64, 8, 56, 12, 40, 32, 16, 32, 24)
