"""x86 module_finalize() / module_arch_cleanup(): text patching tables.

The model cannot patch instructions, but it can check what the patching code
trusts: every entry of .retpoline_sites, .return_sites, .ibt_endbr_seal is an s32
offset to an instruction that the kernel decodes, and every .altinstructions
entry (struct alt_instr) names an instruction range and must pass two BUG_ON()s.
An entry pointing outside mapped memory, or failing a BUG_ON, is a kernel-fault
in 6.1; one pointing into the kernel's own image reads mapped code (the qemu oracle:
a .return_sites entry relocated against jiffies loads).  Hardened refuses every entry
outside the module's text first (hardening.validate_patch_sites).
"""

from ..abi.arch import MAX_PATCH_LEN
from ..abi.types import S32, U64_MASK
from ..elf.reader import OutOfBounds
from ..kernel.memory import TableView
from .context import LoadInfo

SITE_TABLES = (b".retpoline_sites", b".return_sites", b".ibt_endbr_seal")
MAX_INSN_LEN = 15


def _tables(info: LoadInfo) -> dict:
    """name -> the last section of that name, ALLOC or not, as module_finalize()'s strcmp
    loop finds it (one pass over all section names, as the kernel's loop makes)."""
    wanted = set(SITE_TABLES) | {b".altinstructions"}
    found = {}
    names = {0: info.sec_name(0), **info.section_names()}
    for i in range(info.shnum):
        if names[i] in wanted:
            found[names[i]] = info.sechdrs[i]
    return found


def _check_sites(info: LoadInfo, name: bytes, sec) -> None:
    label, mod = name.decode(), info.mod
    entries = TableView(info.kernel.alloc.space, sec.sh_addr, S32.size, sec.sh_size // S32.size, f"{label} entry")
    text_mapped = _text_mapped(mod)
    for n, (offset,) in enumerate(entries.iter(S32)):
        target = (sec.sh_addr + n * S32.size + offset) & U64_MASK
        inside = mod.within_text(target)
        if not inside:
            info.unchecked(f"{label} entry {n}: {target:#x} is outside the module's text")
        if not (inside and text_mapped):
            info.kernel.read_code(target, 1, f"{label} entry {n}: instruction")


def _text_mapped(mod) -> bool:
    """The module's text lies in its mapped memory (unless layout sizes wrapped 32 bits):
    then an instruction inside it is read without fault."""
    return all(span.end <= area.region.mapped for area, span in mod.span_areas("text"))


def _check_alternatives(info: LoadInfo, sec) -> None:
    space, abi = info.kernel.alloc.space, info.kernel.profile.release.alt_instr
    count = sec.sh_size // abi.record.size
    for n in range(count):
        entry = sec.sh_addr + n * abi.record.size
        instr_off, cpuid, instrlen = abi.decode(space.unpack(abi.record, entry, f"alt_instr {n}"))
        if instrlen > MAX_PATCH_LEN or cpuid >= abi.max_cpu_feature:
            info.unchecked(f"alt_instr {n}: instrlen {instrlen} / cpuid {cpuid:#x} past apply_alternatives' limits")
            raise OutOfBounds(f"alt_instr {n}: BUG_ON(instrlen {instrlen} / cpuid {cpuid:#x}) in apply_alternatives")
        if instrlen:
            start = (entry + instr_off) & ((1 << 64) - 1)
            if not (info.mod.within_text(start) and info.mod.within_text(start + instrlen - 1)):
                info.unchecked(f"alt_instr {n}: instruction {start:#x}+{instrlen} is outside the module's text")
            info.kernel.read_code(start, instrlen, f"alt_instr {n}: instruction")


def module_finalize(info: LoadInfo) -> None:
    """Requires: relocated memory.  Sets: the module on the arch registry (alternatives_smp_module_add,
    unwind_module_init).  Errors: none in the kernel."""
    tables = _tables(info)
    for name in SITE_TABLES:
        if name in tables:
            _check_sites(info, name, tables[name])
    alt = tables.get(b".altinstructions")
    if alt is not None:
        _check_alternatives(info, alt)
    info.kernel.register("arch", info.mod.name)


def module_arch_cleanup(kernel, mod) -> None:
    """alternatives_smp_module_del(): forget the module's patch sites."""
    kernel.unregister("arch", mod.name)
