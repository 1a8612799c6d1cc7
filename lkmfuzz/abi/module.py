"""struct module and the records a module file carries for the loader (include/linux/module.h).

``StructModuleLayout`` holds the offsets of the struct module fields the loader reads or
writes in the file's ``.gnu.linkonce.this_module``; one instance per kernel release and
architecture, as data, which a profile (kernel/profile.py) points to.  The 6.1 numbers
were read off Debian's build: ``bash scripts/probe-struct-module.sh`` compiles
scripts/probe/struct_module_probe.c (offsetof/sizeof) with kbuild against
linux-headers-6.1.0-56-amd64 (the same for 6.1.0-57).  6.12 replaced struct module_layout
with struct module_memory: its layout is another instance, not an edit of this one
(``bash scripts/probe-struct-module.sh --kernel 6.12`` against
linux-headers-6.12.118+deb12-amd64; the table is in kernel/data/linux-6.12/SOURCE.md).
"""

import struct
from dataclasses import dataclass

from .types import U64

MODULE_NAME_LEN = 56            # char name[MODULE_NAME_LEN] (64 - sizeof(unsigned long))
MODULE_REF_BASE = 1             # the reference a live module holds on itself (kernel/module/main.c)


@dataclass(frozen=True)
class StructModuleLayout:
    """Offsets (and the size) of struct module for one release and architecture."""
    size: int                   # sizeof(struct module)
    name_offset: int            # char name[MODULE_NAME_LEN]
    init_offset: int            # int (*init)(void)
    exit_offset: int            # void (*exit)(void)
    taints_offset: int          # unsigned long taints
    kallsyms_offset: int        # struct mod_kallsyms __rcu *kallsyms
    core_kallsyms_offset: int   # struct mod_kallsyms core_kallsyms
    percpu_offset: int          # void __percpu *percpu
    klp_offset: int             # bool klp (CONFIG_LIVEPATCH)
    refcnt_offset: int          # atomic_t refcnt (CONFIG_MODULE_UNLOAD)
    source_list_offset: int     # struct list_head source_list, then target_list
    # Up to 6.3: struct module_layout core_layout, init_layout.
    core_layout_offset: int = 0
    init_layout_offset: int = 0
    # From 6.4 on: struct module_memory mem[MOD_MEM_NUM_TYPES], and the size of one.
    mem_offset: int | None = None
    module_memory_size: int = 0

    @property
    def core_size_offset(self) -> int:
        """core_layout.size (a struct with module_layouts only)."""
        assert self.mem_offset is None, "struct module of 6.4 on has mem[], not core_layout"
        return self.core_layout_offset + LAYOUT_SIZE_OFFSET

    @property
    def init_size_offset(self) -> int:
        assert self.mem_offset is None, "struct module of 6.4 on has mem[], not init_layout"
        return self.init_layout_offset + LAYOUT_SIZE_OFFSET


LINUX_6_1_X86_64 = StructModuleLayout(
    size=0x380, name_offset=24, init_offset=0x138, exit_offset=0x350,
    core_layout_offset=0x140, init_layout_offset=0x190, taints_offset=0x1F8,
    kallsyms_offset=0x220, core_kallsyms_offset=0x228, percpu_offset=0x260, klp_offset=0x320, refcnt_offset=0x358,
    source_list_offset=0x330)

# enum mod_mem_type (6.4 on), by the loader's names for its regions (loader/regions.py).
MOD_MEM_TYPES = ("text", "data", "rodata", "ro_after_init", "init_text", "init_data", "init_rodata")

# Debian 12's 6.12.118+deb12-amd64 (bash scripts/probe-struct-module.sh --kernel 6.12; the
# table is in kernel/data/linux-6.12/SOURCE.md): mem[] of seven struct module_memory
# (base at +0, size at +8, 0x48 bytes with their mod_tree_node) in place of the layouts.
LINUX_6_12_X86_64 = StructModuleLayout(
    size=0x500, name_offset=24, init_offset=0x138, exit_offset=0x4B0,
    taints_offset=0x350, kallsyms_offset=0x378, core_kallsyms_offset=0x380,
    percpu_offset=0x3B8, klp_offset=0x480, refcnt_offset=0x4B8, source_list_offset=0x490,
    mem_offset=0x140, module_memory_size=0x48)

LIST_HEAD = struct.Struct("<QQ")     # struct list_head { next, prev }: empty, both point at itself

# struct mod_tree_node { struct module *mod; struct latch_tree_node node; } inside each
# module_layout (6.1, at +24) or module_memory (6.4 on, at +16); latch_tree_node is two
# struct rb_node, whose first word (__rb_parent_color) is never 0 once linked.
MTN_MOD = 0
MTN_RB_NODES = (8, 8 + 24)
RB_BLACK = 1

# struct module starts with `enum module_state state; struct list_head list;`
MODULE_HEAD = struct.Struct("<I4xQQ")

# struct module_layout { void *base; unsigned int size, text_size, ro_size, ro_after_init_size; }
# (struct module_memory of 6.4 begins the same: void *base; unsigned int size;)
LAYOUT_BASE_OFFSET = 0x0
LAYOUT_SIZE_OFFSET = 0x8
LAYOUT_SIZES = struct.Struct("<IIII")     # from size on

# struct mod_kallsyms { Elf_Sym *symtab; unsigned int num_symtab; char *strtab; char *typetab; }
MOD_KALLSYMS = struct.Struct("<QI4xQQ")
MOD_KALLSYMS_SYMTAB, MOD_KALLSYMS_NUM_SYMTAB, MOD_KALLSYMS_STRTAB, MOD_KALLSYMS_TYPETAB = 0, 8, 16, 24

# struct modversion_info { unsigned long crc; char name[MODULE_NAME_LEN]; }
MODVERSION_INFO = struct.Struct(f"<Q{MODULE_NAME_LEN}s")
MODVERSION_INFO_SIZE = MODVERSION_INFO.size
MODVERSION_NAME_OFFSET = U64.size
MODVERSION_NAME_LEN = MODULE_NAME_LEN

# struct kernel_symbol { int value_offset; int name_offset; int namespace_offset; }
# (CONFIG_HAVE_ARCH_PREL32_RELOCATIONS: place-relative offsets)
KSYM = struct.Struct("<iii")
KSYM_NAME_OFFSET = 4
KSYM_NAMESPACE_OFFSET = 8
