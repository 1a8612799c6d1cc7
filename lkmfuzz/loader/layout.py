"""layout_and_allocate(): section layout, module_alloc, move_module(), percpu.

The 6.1 layout keeps sizes in ``unsigned int`` and aligns with the kernel's
ALIGN() in that type, so a huge NOBITS section or alignment wraps the layout
instead of failing; move_module() then copies a section past the allocation —
the model sees the write land outside the region (kernel-fault).  The hardened
profile refuses a layout that does not fit 32 bits.
"""

import errno

from ..abi.types import U64_MASK
from ..elf import constants as C
from ..elf.reader import OutOfBounds
from ..kernel.alloc import PERCPU_MODULE_RESERVE
from ..kernel.memory import TableView
from .context import LoadInfo
from .kallsyms import layout_symtab
from .modstruct import (
    clear_percpu,
    read_layouts,
    read_moved_taints,
    sync_section_headers,
    write_bases,
    write_layouts,
    write_region_size,
)
from .regions import Scheme, scheme_of
from .sizes import ENTSIZE_UNSET, Layout, get_offset, strict_align
from .strict_rwx import module_enforce_rwx_sections

# layout_sections(): (flags that must be set, flags that must be clear), in order.
# All executable code must come first.
LAYOUT_MASKS = (
    (C.SHF_EXECINSTR | C.SHF_ALLOC, C.ARCH_SHF_SMALL),
    (C.SHF_ALLOC, C.SHF_WRITE | C.ARCH_SHF_SMALL),
    (C.SHF_RO_AFTER_INIT | C.SHF_ALLOC, C.ARCH_SHF_SMALL),
    (C.SHF_WRITE | C.SHF_ALLOC, C.ARCH_SHF_SMALL),
    (C.ARCH_SHF_SMALL | C.SHF_ALLOC, 0),
)


def is_init_section(name: bytes) -> bool:
    """module_init_layout_section(): .init* (and .exit* only without MODULE_UNLOAD)."""
    return name.startswith(b".init")


def layout_sections(info: LoadInfo, scheme: Scheme, layouts: dict[str, Layout]) -> None:
    """Sets: sh_entsize of every SHF_ALLOC section (its region and offset), the layouts —
    counted on from the sizes the file's struct module holds (modstruct.read_layouts)."""
    for sh in info.sechdrs:
        sh.sh_entsize = ENTSIZE_UNSET
    read_layouts(info, scheme, layouts)
    # No flag or name changes in here, so each SHF_ALLOC section's place is known up
    # front: the first mask it matches, in the pass (core or init) its name picks.
    # (elf_validity_check() checked every SHF_ALLOC section's name offset.)
    classes: dict[tuple[bool, int], list[int]] = {}
    for i, sh in enumerate(info.sechdrs):
        m = _layout_class(sh.sh_flags) if sh.sh_flags & C.SHF_ALLOC else None   # every mask needs ALLOC
        if m is not None:
            classes.setdefault((is_init_section(info.sec_name(i)), m), []).append(i)
    for is_init, regions in ((False, scheme.core_classes), (True, scheme.init_classes)):
        for m, region in enumerate(regions):
            for i in classes.get((is_init, m), ()):
                if region is None:      # WARN_ON_ONCE(type == MOD_INVALID): left unplaced
                    continue
                info.sechdrs[i].sh_entsize = scheme.encode(region, get_offset(info, layouts[region], i))
            scheme.close_class(layouts, is_init, m)


def _layout_class(flags: int) -> int | None:
    """The index of the first LAYOUT_MASKS entry a section with these flags matches."""
    for m, (need, forbid) in enumerate(LAYOUT_MASKS):
        if flags & need == need and not flags & forbid:
            return m
    return None


def layout_and_allocate(info: LoadInfo) -> None:
    """Requires: load info; check_modinfo() (which 6.1 calls first thing in here).
    Sets: sh_entsize (layout offsets), sh_addr (final addresses), mod.mem and mod.spans —
    counted on from the sizes in the file's struct module, and written back into it
    (modstruct).  Errors: ENOEXEC (W+X section), ENOMEM (module_alloc)."""
    module_enforce_rwx_sections(info)
    # The percpu section is allocated separately (percpu_modalloc).
    info.sechdrs[info.index.pcpu].sh_flags &= ~C.SHF_ALLOC
    for name in (b".data..ro_after_init", b"__jump_table"):
        ndx = info.find_sec(name)
        if ndx:
            info.sechdrs[ndx].sh_flags |= C.SHF_RO_AFTER_INIT
    scheme = scheme_of(info)
    layouts = {region: Layout() for region in scheme.regions}
    with info.within("layout_sections"):
        layout_sections(info, scheme, layouts)
        write_layouts(info, scheme, layouts)
    with info.within("layout_symtab"):
        layout_symtab(info, scheme, layouts)
        write_layouts(info, scheme, layouts)
    with info.within("move_module"):
        move_module(info, scheme, layouts)
    info.mod_copy_off = None          # info->mod is the moved struct from here on
    read_moved_taints(info)


def _module_alloc(info: LoadInfo, size: int, tag: str, earlier: int = 0):
    """module_alloc(): vmalloc in the module area; 0 bytes or more than the machine's RAM
    is NULL (ENOMEM).  Past what the machine can back (with ``earlier`` bytes of this
    load already allocated) the OOM killer finds nothing to kill and panics."""
    config = info.kernel.config
    if size == 0 or size > config.module_alloc_max:
        raise info.refuse(errno.ENOMEM, f"module_alloc({size:#x}) failed")
    if earlier + size > config.module_alloc_oom:
        raise OutOfBounds(f"module_alloc({size:#x}): out of memory and no killable process (panic)")
    return info.kernel.alloc.alloc("module_alloc", "move_module", size, info.mod.name, backed=True, tag=tag)


def move_module(info: LoadInfo, scheme: Scheme, layouts: dict[str, Layout]) -> None:
    """Allocate every region the layout needs (6.1: core, and init if any; 6.4: each
    non-empty region, page-aligned), store the bases in the struct, copy the sections."""
    mod, alloc = info.mod, info.kernel.alloc
    try:
        earlier = 0
        for region in scheme.regions:
            layout = layouts[region]
            if not layout.size and region not in scheme.always_allocated:
                continue
            if scheme.page_align_each:
                # module_memory_alloc(): PAGE_ALIGN in unsigned int (a size near 4 GiB
                # becomes 0, which execmem_alloc() refuses), stored back.
                layout.size = strict_align(layout.size)
                write_region_size(info, scheme, region, layout.size)
            mod.mem[region] = _module_alloc(info, layout.size, region, earlier)
            earlier += layout.size
        write_bases(info, scheme)
        mod.spans = scheme.spans(layouts)
        _copy_sections(info, scheme)
    except BaseException:
        # move_module()'s out_err: free what it allocated.  (6.1 cannot fail in the
        # copy itself — there it would have crashed — but the model must not leak.)
        for area in mod.mem.values():
            alloc.free(area)
        mod.mem.clear()
        mod.spans = []
        raise


def _copy_sections(info: LoadInfo, scheme: Scheme) -> None:
    mod, space = info.mod, info.kernel.alloc.space
    # One region lookup per area; a section the (wrapped) layout puts past its area is
    # written through the address space, which faults where the kernel's memcpy would
    # (into a region not allocated: its base is NULL).
    areas = {region: _area_view(space, mod.mem.get(region), region) for region in scheme.regions}
    for i, sh in enumerate(info.sechdrs):
        if not sh.sh_flags & C.SHF_ALLOC:
            continue
        region, offset = scheme.decode(sh.sh_entsize)
        if region is None:
            raise OutOfBounds(f"move_module: section {i} was laid out in no region (sh_entsize {sh.sh_entsize:#x}): "
                              f"mod->mem[] indexed past its end")
        area = areas[region]
        dest = area.addr + offset
        if sh.sh_type != C.SHT_NOBITS and sh.sh_size:
            sync_section_headers(info, sh.sh_offset, sh.sh_size)
            data = info.image.read(sh.sh_offset, sh.sh_size, f"contents of section {i}")
            if area.holds(offset, len(data)):
                area.write(offset, data)
            else:
                space.write(dest, data, f"move_module: section {i}", check_perm=False)
        sh.sh_addr = dest & U64_MASK
        mod.section_addrs[i] = sh.sh_addr


def _area_view(space, allocation, name: str) -> TableView:
    """Bytes of one module memory region (one not allocated is address 0) for move_module()."""
    if allocation is None:
        return TableView(space, 0, 1, 0, f"move_module: {name} byte")
    return TableView(space, allocation.addr, 1, allocation.size, f"move_module: {name} byte")


def percpu_modalloc(info: LoadInfo) -> None:
    """Requires: index.pcpu.  Sets: mod.percpu.  Errors: ENOMEM (the reserved percpu area
    holds PERCPU_MODULE_RESERVE bytes for all modules)."""
    pcpu = info.sechdrs[info.index.pcpu]
    if not pcpu.sh_size:
        return      # mod->percpu stays what the file's struct had (modstruct.free_file_percpu)
    clear_percpu(info)
    alloc = info.kernel.alloc
    if alloc.percpu_used + pcpu.sh_size > PERCPU_MODULE_RESERVE:
        raise info.refuse(errno.ENOMEM, f"Could not allocate {pcpu.sh_size} bytes percpu data")
    info.mod.percpu = alloc.alloc("percpu", "percpu_modalloc", pcpu.sh_size, info.mod.name)
