"""Where a module's sections go in memory: 6.1's two layouts, or 6.4's module_memory.

6.1 lays every SHF_ALLOC section out in one of two ``struct module_layout`` (core and
init): a run of text, rodata, ro_after_init and data, each class closed on a page
boundary, one module_alloc() each.  The named change ``module_memory``
(ac3b43283923, "module: replace module_layout with module_memory", 6.4) gives each
class its own ``struct module_memory`` region (MOD_TEXT ... MOD_INIT_RODATA), sized
without page rounding and allocated apart, page-aligned, by move_module().

A section's ``sh_entsize`` says where it goes: its offset in the region, plus the
INIT_OFFSET_MASK bit (6.1) or the region's type in the top four bits (6.4).  A
``Scheme`` is that encoding, the class-to-region table and the struct module fields
that hold each region, as data; the loader (layout.py, kallsyms.py, modstruct.py)
asks the profile's scheme instead of knowing which kernel it imitates.
"""

from dataclasses import dataclass

from ..abi.module import LAYOUT_BASE_OFFSET, LAYOUT_SIZE_OFFSET, MOD_MEM_TYPES, StructModuleLayout
from ..kernel.module import Span
from .sizes import ENTSIZE_UNSET, INIT_OFFSET_MASK, strict_align

# layout_sections()'s classes, in LAYOUT_MASKS order (layout.py).
CLASS_KINDS = ("text", "rodata", "ro_after_init", "data", "data")

SH_ENTSIZE_TYPE_BITS = 4
SH_ENTSIZE_TYPE_SHIFT = 64 - SH_ENTSIZE_TYPE_BITS
SH_ENTSIZE_OFFSET_MASK = (1 << SH_ENTSIZE_TYPE_SHIFT) - 1


@dataclass(frozen=True)
class Scheme:
    """One way of laying a module out: its regions and how sh_entsize names them."""
    regions: tuple[str, ...]                    # in the order move_module() allocates them
    init_regions: frozenset[str]
    core_classes: tuple[str | None, ...]        # region of each class, core pass
    init_classes: tuple[str | None, ...]        # region of each class, init pass (None: MOD_INVALID)
    kallsyms_core: str                          # where layout_symtab() puts the core symbols
    kallsyms_init: str                          # ... and the whole symbol table, strtab, mod_kallsyms
    free_order: tuple[str, ...]                 # module_deallocate() / free_mod_mem()
    page_align_each: bool                       # move_module() rounds each region up (6.4)
    always_allocated: frozenset[str]            # allocated even when empty (6.1: core, ENOMEM at 0)
    tree_node_offset: int                       # of struct mod_tree_node mtn in a region's struct

    def encode(self, region: str, offset: int) -> int:
        raise NotImplementedError

    def decode(self, entsize: int) -> tuple[str | None, int]:
        """(region, offset); region None where the type bits name no region."""
        raise NotImplementedError

    def struct_offset(self, layout: StructModuleLayout, region: str) -> int:
        """Offset in struct module of the region's struct (base at +0, size at +8)."""
        raise NotImplementedError

    def is_init(self, entsize: int) -> bool:
        """Whether is_core_symbol() takes a section placed so for init memory (6.4: by the
        type bits, so an unset entsize, type 15, is not init; 6.1: by the init bit)."""
        return self.decode(entsize)[0] in self.init_regions

    def close_class(self, layouts: dict, is_init: bool, m: int) -> None:
        """What layout_sections() does after each class (6.1: page-align and mark a boundary)."""

    def close_table(self, size: int) -> int:
        """layout_symtab()'s end of a region (6.1: page-aligned)."""
        return size

    def base_field(self, layout: StructModuleLayout, region: str) -> int:
        return self.struct_offset(layout, region) + LAYOUT_BASE_OFFSET

    def size_field(self, layout: StructModuleLayout, region: str) -> int:
        return self.struct_offset(layout, region) + LAYOUT_SIZE_OFFSET

    def spans(self, layouts: dict) -> list[Span]:
        raise NotImplementedError


class ModuleLayoutScheme(Scheme):
    """6.1: struct module_layout core_layout and init_layout."""

    def encode(self, region: str, offset: int) -> int:
        return offset | INIT_OFFSET_MASK if region == "init" else offset

    def decode(self, entsize: int) -> tuple[str | None, int]:
        return ("init" if entsize & INIT_OFFSET_MASK else "core"), entsize & ~INIT_OFFSET_MASK

    def struct_offset(self, layout: StructModuleLayout, region: str) -> int:
        return layout.init_layout_offset if region == "init" else layout.core_layout_offset

    def close_class(self, layouts: dict, is_init: bool, m: int) -> None:
        layout = layouts["init" if is_init else "core"]
        if m == 0:
            layout.size = strict_align(layout.size)
            layout.text_size = layout.size
        elif m == 1:
            layout.size = strict_align(layout.size)
            layout.ro_size = layout.size
        elif m == 2:
            if is_init:   # ro_after_init does not apply to init memory
                layout.ro_after_init_size = layout.ro_size
            else:
                layout.size = strict_align(layout.size)
                layout.ro_after_init_size = layout.size
        elif m == 4:
            layout.size = strict_align(layout.size)

    def close_table(self, size: int) -> int:
        return strict_align(size)

    def spans(self, layouts: dict) -> list[Span]:
        core, init = layouts["core"], layouts["init"]
        return [Span("core", 0, core.text_size, "text", False),
                Span("core", core.text_size, core.ro_size, "rodata", False),
                Span("core", core.ro_size, core.ro_after_init_size, "ro_after_init", False),
                Span("core", core.ro_after_init_size, core.size, "data", False),
                Span("init", 0, init.text_size, "text", True),
                Span("init", init.text_size, init.ro_size, "rodata", True),
                Span("init", init.ro_size, init.size, "data", True)]


class ModuleMemoryScheme(Scheme):
    """6.4 on: struct module_memory mem[MOD_MEM_NUM_TYPES]."""

    def encode(self, region: str, offset: int) -> int:
        return offset | MOD_MEM_TYPES.index(region) << SH_ENTSIZE_TYPE_SHIFT

    def decode(self, entsize: int) -> tuple[str | None, int]:
        if entsize == ENTSIZE_UNSET:
            return None, entsize & SH_ENTSIZE_OFFSET_MASK
        kind = entsize >> SH_ENTSIZE_TYPE_SHIFT
        region = MOD_MEM_TYPES[kind] if kind < len(MOD_MEM_TYPES) else None
        return region, entsize & SH_ENTSIZE_OFFSET_MASK

    def struct_offset(self, layout: StructModuleLayout, region: str) -> int:
        assert layout.mem_offset is not None, f"struct module of {layout} has no mem[]"
        return layout.mem_offset + MOD_MEM_TYPES.index(region) * layout.module_memory_size

    def spans(self, layouts: dict) -> list[Span]:
        return [Span(region, 0, layouts[region].size, region.removeprefix("init_"), region in self.init_regions)
                for region in self.regions]


MODULE_LAYOUT = ModuleLayoutScheme(
    regions=("core", "init"), init_regions=frozenset({"init"}),
    core_classes=("core",) * 5, init_classes=("init",) * 5,
    kallsyms_core="core", kallsyms_init="init", free_order=("init", "core"), page_align_each=False,
    always_allocated=frozenset({"core"}), tree_node_offset=24)

MODULE_MEMORY = ModuleMemoryScheme(
    regions=MOD_MEM_TYPES, init_regions=frozenset({"init_text", "init_data", "init_rodata"}),
    core_classes=("text", "rodata", "ro_after_init", "data", "data"),
    init_classes=("init_text", "init_rodata", None, "init_data", "init_data"),
    kallsyms_core="data", kallsyms_init="init_data",
    # free_mod_mem(): every region but MOD_DATA, which holds struct module, then MOD_DATA.
    free_order=tuple(r for r in MOD_MEM_TYPES if r != "data") + ("data",), page_align_each=True,
    always_allocated=frozenset(), tree_node_offset=16)


def scheme_of(info) -> Scheme:
    return MODULE_MEMORY if info.has("module_memory") else MODULE_LAYOUT
