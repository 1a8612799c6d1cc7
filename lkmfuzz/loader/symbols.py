"""Symbols: find_module_sections(), simplify_symbols(), resolve_symbol(), exports.

Exported symbols of a module are ``struct kernel_symbol`` with PREL32 offsets
(x86-64): {s32 value_offset, s32 name_offset, s32 namespace_offset}, read from the
module's relocated memory, and found with the kernel's own bsearch() — so a
module whose __ksymtab is not sorted hides symbols exactly as on the real kernel.
"""

import errno
from collections import Counter
from dataclasses import dataclass

from ..abi.module import KSYM, KSYM_NAME_OFFSET, KSYM_NAMESPACE_OFFSET
from ..abi.params import KERNEL_PARAM
from ..abi.types import U32, U64, U64_MASK
from ..elf import constants as C
from ..elf.structs import SYM
from ..errors import LoadError
from ..kernel import taint as T
from ..kernel.alloc import AllocFailed
from ..kernel.exports import kernel_bsearch  # noqa: F401  (re-exported: the loader's name for it)
from ..kernel.memory import TableView
from ..kernel.module import ExportedSymbol, ModuleState
from .context import LoadInfo
from .modinfo import modinfo_values, try_to_force_load
from .version import check_version

ST_VALUE_OFFSET = 8     # Elf64_Sym: st_name u32, st_info u8, st_other u8, st_shndx u16, st_value u64


@dataclass(slots=True)
class Sections:
    """What find_module_sections() finds: (address, count) of the tables the loader uses."""
    kp: int = 0
    num_kp: int = 0
    syms: int = 0
    num_syms: int = 0
    crcs: int = 0
    gpl_syms: int = 0
    num_gpl_syms: int = 0
    gpl_crcs: int = 0


def section_objs(info: LoadInfo, name: bytes, size: int) -> tuple[int, int]:
    """(sh_addr, sh_size // size) of find_sec(name); section 0 when absent."""
    sh = info.sechdrs[info.find_sec(name)]
    return sh.sh_addr, sh.sh_size // size


def find_module_sections(info: LoadInfo) -> None:
    """Requires: layout_and_allocate().  Sets: info.sections.  Errors: EINVAL when both
    .ctors and .init_array exist, only under CONFIG_CONSTRUCTORS (off in Debian's 6.1,
    whose kernel loads such a module: found by the qemu oracle)."""
    s = info.sections = Sections()
    s.kp, s.num_kp = section_objs(info, b"__param", KERNEL_PARAM.size)
    s.syms, s.num_syms = section_objs(info, b"__ksymtab", KSYM.size)
    s.crcs = section_objs(info, b"__kcrctab", 1)[0]
    s.gpl_syms, s.num_gpl_syms = section_objs(info, b"__ksymtab_gpl", KSYM.size)
    s.gpl_crcs = section_objs(info, b"__kcrctab_gpl", 1)[0]
    constructors = info.kernel.config.constructors
    if constructors and info.find_sec(b".ctors") and info.find_sec(b".init_array"):
        raise info.refuse(errno.EINVAL, f"{info.mod.name}: has both .ctors and .init_array.")


def check_export_symbol_versions(info: LoadInfo) -> None:
    s = info.sections
    if info.kernel.config.modversions and ((s.num_syms and not s.crcs) or (s.num_gpl_syms and not s.gpl_crcs)):
        try_to_force_load(info, "no versions for exported symbols")


# --- exported symbols ------------------------------------------------------

def read_exports(info: LoadInfo) -> list[ExportedSymbol]:
    """Decode the module's __ksymtab and __ksymtab_gpl from its memory, in table order."""
    s, space = info.sections, info.kernel.alloc.space
    out = []
    for table, num, crcs, gpl in ((s.syms, s.num_syms, s.crcs, False),
                                  (s.gpl_syms, s.num_gpl_syms, s.gpl_crcs, True)):
        for i in range(num):
            entry = table + i * KSYM.size
            value_off, name_off, ns_off = space.unpack(KSYM, entry, f"__ksymtab entry {i}")
            name_addr = (entry + KSYM_NAME_OFFSET + name_off) & U64_MASK
            if not info.mod.within(name_addr):
                info.unchecked(f"name of exported symbol {i} at {name_addr:#x}, outside the module")
            name = space.cstring(name_addr, f"name of exported symbol {i}")
            crc = space.unpack(U32, crcs + U32.size * i, f"crc of exported symbol {i}")[0] if crcs else None
            # The namespace string is first read when another module uses the symbol.
            ns_addr = (entry + KSYM_NAMESPACE_OFFSET + ns_off) & U64_MASK if ns_off else None
            if ns_addr is not None and not info.mod.within(ns_addr):
                info.unchecked(f"namespace of exported symbol {i} at {ns_addr:#x}, outside the module")
            out.append(ExportedSymbol(name.decode("latin-1"), (entry + value_off) & U64_MASK, crc, gpl,
                                      "", info.mod.name, ns_addr))
    return out


def find_symbol(kernel, name: str, gplok: bool):
    """(symbol, owner module or None) — kernel tables first, then modules from the list
    head (kernel.exported: the walk's answer, kernel/exports.py)."""
    ksym = kernel.symbols.get(name)
    if ksym is not None and (gplok or not ksym.gpl_only):
        return ExportedSymbol(ksym.name, ksym.addr, ksym.crc, ksym.gpl_only, ksym.namespace, None), None
    return kernel.exported.find(name, gplok)


def verify_exported_symbols(info: LoadInfo) -> None:
    """No export may already exist in the kernel or another module.  Errors: ENOEXEC.

    6.1 never compares a module's exports with each other (the module is still
    UNFORMED, so find_symbol skips it): a module exporting one name twice loads, and
    the kernel then holds a duplicate export.  Hardened refuses that too."""
    info.mod.exports = read_exports(info)
    names = [sym.name for sym in info.mod.exports]
    if len(set(names)) < len(names):
        twice = sorted(name for name, n in Counter(names).items() if n > 1)
        info.unchecked(f"{info.mod.name}: exports symbol {twice[0]!r} more than once")
    for sym in info.mod.exports:
        found, owner = find_symbol(info.kernel, sym.name, gplok=True)
        if found is not None:
            raise info.refuse(errno.ENOEXEC, f"{info.mod.name}: exports duplicate symbol {sym.name} "
                                             f"(owned by {owner.name if owner else 'kernel'})")
    info.kernel.exported.add(info.mod, info.kernel.modules)


# --- resolution ------------------------------------------------------------

def symbol_namespace(info: LoadInfo, sym) -> str:
    """kernel_symbol_namespace(): a module export's string is read from the exporter's
    memory now (6.1 never checked its offset when that module loaded)."""
    if sym.namespace_addr is None:
        return sym.namespace
    space = info.kernel.alloc.space
    return space.cstring(sym.namespace_addr, f"namespace of {sym.name} exported by {sym.owner}").decode("latin-1")


def _namespace_imported(info: LoadInfo, namespace: str) -> bool:
    want = namespace.encode("latin-1")
    return any(info.image.cstring(v, "modinfo import_ns") == want for v in modinfo_values(info, "import_ns"))


def ref_module(info: LoadInfo, owner) -> None:
    """Record that this module uses ``owner``, taking a reference on it."""
    mod = info.mod
    if owner is None or owner.name in mod.targets:
        return
    if owner.state == ModuleState.COMING:
        raise info.refuse(errno.EBUSY, f"{owner.name} is still initialising")
    if owner.state == ModuleState.GOING or owner.refcnt == 0:
        raise info.refuse(errno.ENOENT, f"cannot get a reference on {owner.name}")
    owner.refcnt += 1
    try:
        use = info.kernel.alloc.alloc("kmalloc", "add_module_usage", 32, mod.name, tag=f"use:{owner.name}")
    except BaseException:
        owner.refcnt -= 1   # module_put(b)
        raise
    mod.targets[owner.name] = use
    owner.sources.add(mod.name)


def resolve_symbol(info: LoadInfo, name: str):
    """The exported symbol for an undefined one, or None (not found), or a LoadError."""
    mod = info.mod
    sym, owner = find_symbol(info.kernel, name, gplok=not mod.taints & (1 << T.TAINT_PROPRIETARY_MODULE))
    if sym is None:
        return None
    if sym.gpl_only:
        mod.using_gplonly_symbols = True
    if owner is not None and owner.taints & (1 << T.TAINT_PROPRIETARY_MODULE):
        if mod.using_gplonly_symbols:
            info.kernel.printk(f"{mod.name}: module using GPL-only symbols uses symbols {name} from "
                               f"proprietary module {owner.name}.")
            return None
        mod.taints |= 1 << T.TAINT_PROPRIETARY_MODULE
    if not check_version(info, name, sym.crc):
        return info.refuse(errno.EINVAL, f"no or wrong symbol version for {name} (see the log)")
    namespace = symbol_namespace(info, sym)
    if namespace and not _namespace_imported(info, namespace):
        return info.refuse(errno.EINVAL, f"module uses symbol ({name}) from namespace {namespace}, "
                                         f"but does not import it.")
    try:
        ref_module(info, owner)
    except LoadError as refused:
        return refused
    except AllocFailed as failed:
        return info.refuse(failed.errno, f"{failed.caller}: {failed.site} allocation failed")
    return sym


def simplify_symbols(info: LoadInfo) -> None:
    """Make st_value of every symbol its final address.  Requires: layout, percpu.
    Sets: the symtab copy in init memory.  Errors: ENOEXEC (SHN_COMMON), ENOENT
    (unresolved), EINVAL (CRC or namespace), EBUSY, ENOMEM; the last error wins and
    every symbol is still visited, as in the kernel."""
    symsec = info.sechdrs[info.index.sym]
    table = TableView(info.kernel.alloc.space, symsec.sh_addr, C.SYM_SIZE, symsec.sh_size // C.SYM_SIZE, "symbol")
    set_value = table.field_setter(U64, ST_VALUE_OFFSET)
    ret = None
    # Indices the kernel's switch handles before its default case (a section index).
    sechdrs, special = info.sechdrs, {C.SHN_UNDEF, C.SHN_COMMON, C.SHN_ABS, C.SHN_LIVEPATCH, info.index.pcpu}
    for i, fields in enumerate(table.iter(SYM)):
        if i == 0:
            continue
        shndx = fields[3]
        if shndx < len(sechdrs) and shndx not in special:
            # The common case, inline: a symbol defined in a section of the module.
            value = (fields[4] + sechdrs[shndx].sh_addr) & U64_MASK
        else:
            try:
                value = _symbol_value(info, i, fields)
            except LoadError as error:
                ret = error.with_traceback(None)   # kept, not raised: no frames held in a cycle
                continue
        if value != fields[4]:
            set_value(i, value)
    if ret is not None:
        raise ret


def _symbol_value(info: LoadInfo, i: int, fields: tuple) -> int:
    """The final st_value of one symbol (the switch in simplify_symbols()); raises its error."""
    st_name, st_info, _other, shndx, st_value, _size = fields
    if shndx == C.SHN_COMMON:
        name = info.strtab_string(st_name, i)
        if name.startswith(b"__gnu_lto"):
            return st_value
        raise info.refuse(errno.ENOEXEC, f"{info.mod.name}: please compile with -fno-common (symbol {i})")
    if shndx in (C.SHN_ABS, C.SHN_LIVEPATCH):
        return st_value
    if shndx == C.SHN_UNDEF:
        return _resolve_undefined(info, i, st_name, st_info, st_value)
    if shndx == info.index.pcpu:
        secbase = info.mod.percpu.addr if info.mod.percpu is not None else 0
    elif shndx < len(info.sechdrs):
        secbase = info.sechdrs[shndx].sh_addr
    else:
        # Backported to Debian's 6.1.192 (the qemu oracle measured it): checked here,
        # after the special indices, so SHN_ABS/COMMON/LIVEPATCH keep their meaning.
        shown = info.strtab_string(st_name, i).decode("latin-1")
        raise info.refuse(errno.ENOEXEC, f"{info.mod.name}: Symbol {shown} has an invalid section index "
                                         f"{shndx} (max {info.shnum - 1})")
    return (st_value + secbase) & U64_MASK


def _resolve_undefined(info: LoadInfo, i: int, st_name: int, st_info: int, st_value: int) -> int:
    name = info.strtab_string(st_name, i).decode("latin-1")
    ksym = resolve_symbol(info, name)
    if isinstance(ksym, Exception):
        raise ksym
    if ksym is not None:
        return ksym.addr
    if st_info >> 4 == C.STB_WEAK or name == "_GLOBAL_OFFSET_TABLE_":
        return st_value
    raise info.refuse(errno.ENOENT, f"{info.mod.name}: Unknown symbol {name} (symbol {i})")


def module_unload_free(kernel, mod) -> None:
    """Drop the references this module holds on the modules it uses."""
    for target_name, use in list(mod.targets.items()):
        target = kernel.find_module(target_name, even_unformed=True)
        if target is not None:
            target.refcnt -= 1
            target.sources.discard(mod.name)
        kernel.alloc.free(use)
    mod.targets.clear()
