"""layout_and_allocate(): section layout, module_alloc, move_module(), percpu.

The 6.1 layout keeps sizes in ``unsigned int`` and aligns with the kernel's
ALIGN() in that type, so a huge NOBITS section or alignment wraps the layout
instead of failing; move_module() then copies a section past the allocation —
the model sees the write land outside the region (kernel-fault).  The hardened
profile refuses a layout that does not fit 32 bits.
"""

import errno

from ..elf import constants as C
from ..elf.reader import OutOfBounds
from ..kernel.alloc import PERCPU_MODULE_RESERVE
from .context import LoadInfo
from .kallsyms import layout_symtab
from .modstruct import (clear_percpu, read_layouts, read_moved_taints, sync_section_headers, write_bases,
                        write_layouts)
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
    # Every mask requires SHF_ALLOC, and no flag or name changes in here: filter once.
    # (elf_validity_check() checked every SHF_ALLOC section's name offset.)
    allocated = [(i, sh, is_init_section(info.sec_name(i)))
                 for i, sh in enumerate(info.sechdrs) if sh.sh_flags & C.SHF_ALLOC]
    for is_init, layout in ((False, core), (True, init)):
        for m, (need, forbid) in enumerate(LAYOUT_MASKS):
            for i, sh, in_init in allocated:
                if ((sh.sh_flags & need) != need or sh.sh_flags & forbid or sh.sh_entsize != ENTSIZE_UNSET
                        or in_init != is_init):
                    continue
                offset = get_offset(info, layout, i)
                sh.sh_entsize = offset | INIT_OFFSET_MASK if is_init else offset
            _close_layout_class(layout, m, is_init)


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
    for i, sh in enumerate(info.sechdrs):
        if not sh.sh_flags & C.SHF_ALLOC:
            continue
        if sh.sh_entsize & INIT_OFFSET_MASK:
            dest = mod.init.addr + (sh.sh_entsize & ~INIT_OFFSET_MASK)
        else:
            dest = mod.core.addr + sh.sh_entsize
        if sh.sh_type != C.SHT_NOBITS and sh.sh_size:
            sync_section_headers(info, sh.sh_offset, sh.sh_size)
            data = info.image.read(sh.sh_offset, sh.sh_size, f"contents of section {i}")
            space.write(dest, data, f"move_module: section {i}", check_perm=False)
        sh.sh_addr = dest & C.U64_MASK
        mod.section_addrs[i] = sh.sh_addr


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
