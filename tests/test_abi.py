"""lkmfuzz/abi holds the kernel's layouts once; these are the numbers Debian's 6.1 build
has (scripts/probe-struct-module.sh printed them), pinned so an edit of the data shows."""

import dataclasses

from lkmfuzz.abi import module, params
from lkmfuzz.kernel.profile import PROFILES


def test_struct_module_of_6_1_is_debians():
    assert dataclasses.asdict(module.LINUX_6_1_X86_64) == {
        "size": 0x380, "name_offset": 24, "init_offset": 0x138, "exit_offset": 0x350,
        "core_layout_offset": 0x140, "init_layout_offset": 0x190, "taints_offset": 0x1F8,
        "kallsyms_offset": 0x220, "core_kallsyms_offset": 0x228, "percpu_offset": 0x260, "klp_offset": 0x320,
        "mem_offset": None, "module_memory_size": 0}
    assert module.LINUX_6_1_X86_64.core_size_offset == 0x148


def test_every_profile_points_to_a_struct_module_layout():
    assert {name: p.struct_module for name, p in PROFILES.items()} == {
        "linux-6.1": module.LINUX_6_1_X86_64, "hardened": module.LINUX_6_1_X86_64}


def test_record_sizes_are_the_kernels():
    sizes = (module.MODVERSION_INFO_SIZE, module.MODVERSION_NAME_OFFSET, module.MODULE_NAME_LEN,
             module.KSYM.size, params.KERNEL_PARAM.size, params.KPARAM_ARRAY.size, params.KPARAM_STRING.size,
             module.MOD_KALLSYMS.size, module.MODULE_HEAD.size)
    assert sizes == (64, 8, 56, 12, 40, 32, 16, 32, 24)
