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
from .modstruct import clear_percpu, read_layouts, read_moved_taints, sync_section_headers, write_bases, write_layouts
from .sizes import ENTSIZE_UNSET, INIT_OFFSET_MASK, Layout, get_offset, strict_align
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


def layout_sections(info: LoadInfo, core: Layout, init: Layout) -> None:
    """Sets: sh_entsize of every SHF_ALLOC section (its offset), the layouts — counted on
    from the sizes the file's struct module holds (modstruct.read_layouts)."""
    for sh in info.sechdrs:
        sh.sh_entsize = ENTSIZE_UNSET
    read_layouts(info, core, init)
    # No flag or name changes in here, so each SHF_ALLOC section's place is known up
    # front: the first mask it matches, in the pass (core or init) its name picks.
    # (elf_validity_check() checked every SHF_ALLOC section's name offset.)
    classes: dict[tuple[bool, int], list[int]] = {}
    for i, sh in enumerate(info.sechdrs):
        m = _layout_class(sh.sh_flags) if sh.sh_flags & C.SHF_ALLOC else None   # every mask needs ALLOC
        if m is not None:
            classes.setdefault((is_init_section(info.sec_name(i)), m), []).append(i)
    for is_init, layout in ((False, core), (True, init)):
        for m in range(len(LAYOUT_MASKS)):
            for i in classes.get((is_init, m), ()):
                offset = get_offset(info, layout, i)
                info.sechdrs[i].sh_entsize = offset | INIT_OFFSET_MASK if is_init else offset
            _close_layout_class(layout, m, is_init)


def _layout_class(flags: int) -> int | None:
    """The index of the first LAYOUT_MASKS entry a section with these flags matches."""
    for m, (need, forbid) in enumerate(LAYOUT_MASKS):
        if flags & need == need and not flags & forbid:
            return m
    return None


def _close_layout_class(layout: Layout, m: int, is_init: bool) -> None:
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


def layout_and_allocate(info: LoadInfo) -> None:
    """Requires: load info; check_modinfo() (which 6.1 calls first thing in here).
    Sets: sh_entsize (layout offsets), sh_addr (final addresses), mod.core/init and
    their sizes — counted on from the sizes in the file's struct module, and written
    back into it (modstruct).  Errors: ENOEXEC (W+X section), ENOMEM (module_alloc)."""
    module_enforce_rwx_sections(info)
    # The percpu section is allocated separately (percpu_modalloc).
    info.sechdrs[info.index.pcpu].sh_flags &= ~C.SHF_ALLOC
    for name in (b".data..ro_after_init", b"__jump_table"):
        ndx = info.find_sec(name)
        if ndx:
            info.sechdrs[ndx].sh_flags |= C.SHF_RO_AFTER_INIT
    core, init = Layout(), Layout()
    with info.within("layout_sections"):
        layout_sections(info, core, init)
        write_layouts(info, core, init)
    with info.within("layout_symtab"):
        layout_symtab(info, core, init)
        write_layouts(info, core, init)
    with info.within("move_module"):
        move_module(info, core, init)
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


def move_module(info: LoadInfo, core: Layout, init: Layout) -> None:
    mod, alloc = info.mod, info.kernel.alloc
    mod.core = _module_alloc(info, core.size, "core")
    try:
        if init.size:
            mod.init = _module_alloc(info, init.size, "init", core.size)
        write_bases(info)
        _copy_sections(info, core, init)
    except BaseException:
        # move_module()'s out_err: free what it allocated.  (6.1 cannot fail in the
        # copy itself — there it would have crashed — but the model must not leak.)
        alloc.free(mod.init)
        alloc.free(mod.core)
        mod.core = mod.init = None
        raise


def _copy_sections(info: LoadInfo, core: Layout, init: Layout) -> None:
    mod, space = info.mod, info.kernel.alloc.space
    mod.core_text_size, mod.core_ro_size = core.text_size, core.ro_size
    mod.core_ro_after_init_size, mod.core_size = core.ro_after_init_size, core.size
    mod.init_text_size, mod.init_ro_size, mod.init_size = init.text_size, init.ro_size, init.size
    # One region lookup per area; a section the (wrapped) layout puts past its area is
    # written through the address space, which faults where the kernel's memcpy would
    # (into no init area at all: its base is NULL).
    areas = (_area_view(space, mod.core, "core"), _area_view(space, mod.init, "init"))
    for i, sh in enumerate(info.sechdrs):
        if not sh.sh_flags & C.SHF_ALLOC:
            continue
        in_init = bool(sh.sh_entsize & INIT_OFFSET_MASK)
        offset = sh.sh_entsize & ~INIT_OFFSET_MASK
        area = areas[in_init]
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
    """Bytes of module memory (core or init; no init allocation is address 0) for move_module()."""
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
