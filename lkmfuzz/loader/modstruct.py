"""The struct module the file brings in ``.gnu.linkonce.this_module``: 6.1 uses all of it.

setup_load_info() points ``info->mod`` into the temporary copy of the file
(``info->hdr + sh_offset``) and layout_and_allocate() works on that struct:

* check_modinfo() sets taint bits in the file's ``mod->taints`` (set_bit, a
  read-modify-write) and set_livepatch_module() sets ``mod->klp``;
* layout_sections() and layout_symtab() add the sections' sizes onto the file's
  ``core_layout.size`` and ``init_layout.size`` (module_get_offset), and read
  ``mod->klp`` (is_livepatch_module: every symbol is then kept in kallsyms);
* move_module() allocates what those sizes say, stores the bases in the struct and
  copies every SHF_ALLOC section — this struct with all the file's other fields
  included — to its final place.

All of it is written into the copy, where other sections may lie (a moved
sh_offset makes the struct overlap ``__versions``, the symbol table...): later
reads of those sections see the kernel's writes.  Once moved, ``mod->percpu`` is
the file's pointer unless percpu_modalloc() had a percpu section to allocate, and
module_deallocate() hands it to free_percpu().

The offsets are the profile's struct module layout (abi/module.py, scripts/probe-struct-module.sh).
Later kernels still take these fields from the file; hardened refuses a file whose
struct sets what the loader computes (hardening.validate_struct_module_fields).
"""

from ..abi.module import (
    LAYOUT_SIZES,
    MOD_KALLSYMS,
    MOD_KALLSYMS_NUM_SYMTAB,
    MOD_KALLSYMS_STRTAB,
    MOD_KALLSYMS_SYMTAB,
    MOD_KALLSYMS_TYPETAB,
    StructModuleLayout,
)
from ..abi.types import U8, U32, U32_MAX, U64, U64_MASK
from ..elf.constants import SHDR_SIZE, SYM_SIZE
from ..elf.reader import OutOfBounds
from .context import LoadInfo
from .regions import Scheme
from .sizes import Layout


def _struct(info: LoadInfo) -> StructModuleLayout:
    """The struct module layout of the kernel the profile imitates."""
    return info.kernel.profile.struct_module


def _copy_field(info: LoadInfo, offset: int) -> int:
    """File offset of a field of info->mod (the struct in the temporary copy)."""
    return _mod_copy_off(info) + offset


def _mod_copy_off(info: LoadInfo) -> int:
    assert info.mod_copy_off is not None, "info->mod is read in the copy only until move_module()"
    return info.mod_copy_off


def set_taint_bit(info: LoadInfo, bit: int) -> None:
    """set_bit(bit, &mod->taints) while info->mod is the file's struct: a read-modify-write
    of the copy (faulting where the struct runs past the copy)."""
    off = _copy_field(info, _struct(info).taints_offset)
    taints = info.image.unpack(U64, off, "struct module taints")[0] | 1 << bit
    info.write_copy(off, U64.pack(taints), "set_bit(mod->taints)")


def set_moved_taint_bit(info: LoadInfo, bit: int) -> None:
    """set_bit(bit, &mod->taints) once the struct has moved (module_augment_kernel_taints)."""
    space, off = info.kernel.alloc.space, _moved_field(info, _struct(info).taints_offset)
    taints = space.unpack(U64, off, "struct module taints")[0] | 1 << bit
    space.write(off, U64.pack(taints), "set_bit(mod->taints)", check_perm=False)


def set_livepatch_module(info: LoadInfo) -> None:
    """mod->klp = true in the file's struct."""
    info.mod.livepatch = True
    info.write_copy(_copy_field(info, _struct(info).klp_offset), U8.pack(1), "set_livepatch_module")


def is_livepatch_module(info: LoadInfo) -> bool:
    """mod->klp of the struct in the copy: the file's byte, or what check_modinfo() set."""
    return info.image.unpack(U8, _copy_field(info, _struct(info).klp_offset), "struct module klp")[0] != 0


def sync_section_headers(info: LoadInfo, start: int, size: int) -> None:
    """The kernel edits info->sechdrs in place, in the same copy: bytes read from the copy
    at [start, start+size) that overlap the section header table see those edits (the
    struct of a mutant whose sh_offset points there takes an sh_addr for mod->percpu)."""
    table = info.hdr.e_shoff
    if start < table + len(info.sechdrs) * SHDR_SIZE and table < start + size:
        info.write_copy(table, b"".join(sh.pack() for sh in info.sechdrs), "section headers")


def read_layouts(info: LoadInfo, scheme: Scheme, layouts: dict[str, Layout]) -> None:
    """Each region's size as the file's struct has it (with the section header edits so
    far): module_get_offset() adds onto them; the other fields are all assigned before
    they are read."""
    sync_section_headers(info, _mod_copy_off(info), _struct(info).size)
    for region, layout in layouts.items():
        layout.size = info.image.unpack(U32, _copy_field(info, scheme.size_field(_struct(info), region)),
                                        f"struct module {region} size")[0]
        if layout.size:
            info.unchecked(f"struct module {region} size {layout.size:#x} taken from the file")


def write_layouts(info: LoadInfo, scheme: Scheme, layouts: dict[str, Layout]) -> None:
    """Store the layouts' sizes back into the file's struct, as layout_sections() and
    layout_symtab() do through their ``mod->..._layout`` (``mod->mem[]``) pointers."""
    for region, layout in layouts.items():
        if scheme.page_align_each:
            sizes = U32.pack(layout.size)
        else:
            sizes = LAYOUT_SIZES.pack(layout.size, layout.text_size, layout.ro_size, layout.ro_after_init_size)
        info.write_copy(_copy_field(info, scheme.size_field(_struct(info), region)), sizes, "struct module layout")


def write_region_size(info: LoadInfo, scheme: Scheme, region: str, size: int) -> None:
    """module_memory_alloc() stores the page-aligned size back into mod->mem[type].size."""
    info.write_copy(_copy_field(info, scheme.size_field(_struct(info), region)), U32.pack(size), "mod->mem[].size")


def write_bases(info: LoadInfo, scheme: Scheme) -> None:
    """move_module(): each region's base (NULL for one not allocated)."""
    for region in scheme.regions:
        area = info.mod.mem.get(region)
        addr = area.addr if area is not None else 0
        info.write_copy(_copy_field(info, scheme.base_field(_struct(info), region)), U64.pack(addr),
                        "struct module layout base")


def _moved_field(info: LoadInfo, offset: int) -> int:
    """Address of a field of the moved struct (the section's final place)."""
    return info.sechdrs[info.index.mod].sh_addr + offset


def read_moved_base(info: LoadInfo, scheme: Scheme, region: str) -> int:
    """The region's base, read from the moved struct."""
    return info.kernel.alloc.space.unpack(U64, _moved_field(info, scheme.base_field(_struct(info), region)),
                                          f"struct module {region} base")[0]


def set_kallsyms_pointers(info: LoadInfo, scheme: Scheme) -> tuple[int, int]:
    """The head of add_kallsyms(): mod->kallsyms = (init data base) + mod_kallsyms_init_off,
    its symtab/num_symtab/strtab/typetab stored there, then core_kallsyms' symtab, strtab
    and typetab pointers into the core (data) base — both bases read back from the moved
    struct, which holds what move_module() stored only if the struct it copied is the one
    it wrote (a section smaller than struct module was copied short: its "bases" are
    whatever lies there).  Returns (the core base the core symbols are copied to, the
    init typetab every symbol's type is written to).  Errors: none; a base that points
    nowhere faults."""
    space, symsec = info.kernel.alloc.space, info.sechdrs[info.index.sym]
    init_base = read_moved_base(info, scheme, scheme.kallsyms_init)
    kallsyms = (init_base + info.mod_kallsyms_init_off) & U64_MASK
    space.write(_moved_field(info, _struct(info).kallsyms_offset), U64.pack(kallsyms), "mod->kallsyms",
                check_perm=False)
    typetab = (init_base + info.init_typeoffs) & U64_MASK
    init_table = MOD_KALLSYMS.pack(symsec.sh_addr, symsec.sh_size // SYM_SIZE & U32_MAX,
                                   info.sechdrs[info.index.str].sh_addr, typetab)
    space.write(kallsyms, init_table, "mod->kallsyms->symtab", check_perm=False)
    core_base = read_moved_base(info, scheme, scheme.kallsyms_core)
    core_kallsyms = _moved_field(info, _struct(info).core_kallsyms_offset)
    for field, offset in ((MOD_KALLSYMS_SYMTAB, info.symoffs), (MOD_KALLSYMS_STRTAB, info.stroffs),
                          (MOD_KALLSYMS_TYPETAB, info.core_typeoffs)):
        space.write(core_kallsyms + field, U64.pack((core_base + offset) & U64_MASK), "mod->core_kallsyms",
                    check_perm=False)
    return core_base, typetab


def set_core_num_symtab(info: LoadInfo, ndst: int) -> None:
    """The tail of add_kallsyms(): mod->core_kallsyms.num_symtab = the symbols kept."""
    info.kernel.alloc.space.write(_moved_field(info, _struct(info).core_kallsyms_offset) + MOD_KALLSYMS_NUM_SYMTAB,
                                  U32.pack(ndst), "mod->core_kallsyms.num_symtab", check_perm=False)


def read_moved_taints(info: LoadInfo) -> None:
    """The module's taints are the moved struct's: the file's bits and check_modinfo()'s.
    Requires: move_module().  Sets: mod.taints."""
    space = info.kernel.alloc.space
    info.mod.taints = space.unpack(U64, _moved_field(info, _struct(info).taints_offset), "struct module taints")[0]


def clear_percpu(info: LoadInfo) -> None:
    """percpu_modalloc() stores its result (NULL if it fails) in mod->percpu."""
    info.kernel.alloc.space.write(_moved_field(info, _struct(info).percpu_offset), bytes(U64.size), "mod->percpu",
                                  check_perm=False)


def free_file_percpu(info: LoadInfo) -> None:
    """percpu_modfree() of a module percpu_modalloc() gave nothing: free_percpu(mod->percpu)
    with whatever the moved struct holds.  NULL is a no-op; anything else is no percpu
    chunk (pcpu_chunk_addr_search() reads through it): the kernel faults."""
    space = info.kernel.alloc.space
    with info.within("percpu_modfree"):
        ptr = space.unpack(U64, _moved_field(info, _struct(info).percpu_offset), "mod->percpu")[0]
    if ptr:
        with info.within("free_percpu"):
            info.unchecked(f"free_percpu({ptr:#x}): mod->percpu from the file's struct module")
            raise OutOfBounds(f"free_percpu({ptr:#x}): mod->percpu from the file's struct module is no percpu "
                              f"allocation", ptr)
