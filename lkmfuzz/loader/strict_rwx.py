"""kernel/module/strict_rwx.c: no section both writable and executable, and the
page permissions of a formed module (text r-x, rodata r--, ro_after_init r-- after
init, data rw-)."""

import errno

from ..elf import constants as C
from ..kernel.memory import PERM_R, PERM_RW, PERM_RX
from .context import LoadInfo

SHF_WX = C.SHF_WRITE | C.SHF_EXECINSTR


def module_enforce_rwx_sections(info: LoadInfo) -> None:
    """Errors: ENOEXEC for any section (allocated or not) flagged WRITE|EXEC."""
    if not info.kernel.config.strict_module_rwx:
        return
    for i, sh in enumerate(info.sechdrs):
        if sh.sh_flags & SHF_WX == SHF_WX:
            name = info.sec_name(i).decode("latin-1")
            raise info.refuse(errno.ENOEXEC, f"section {name} (index {i}) has invalid WRITE|EXEC flags")


def module_enable_protections(mod, after_init: bool = False) -> None:
    """module_enable_ro() + module_enable_nx() + module_enable_x()."""
    core = mod.core.region
    core.set_perm(0, mod.core_text_size, PERM_RX)
    core.set_perm(mod.core_text_size, mod.core_ro_size, PERM_R)
    ro_end = mod.core_ro_after_init_size if after_init else mod.core_ro_size
    core.set_perm(mod.core_ro_size, ro_end, PERM_R)
    core.set_perm(ro_end, core.mapped, PERM_RW)
    if mod.init is not None and not after_init:
        init = mod.init.region
        init.set_perm(0, mod.init_text_size, PERM_RX)
        init.set_perm(mod.init_text_size, mod.init_ro_size, PERM_R)
        init.set_perm(mod.init_ro_size, init.mapped, PERM_RW)
