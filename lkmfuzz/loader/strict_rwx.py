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


# The pages of each kind of span: before init, and once init is done (ro_after_init sealed).
SPAN_PERMS = {"text": (PERM_RX, PERM_RX), "rodata": (PERM_R, PERM_R), "ro_after_init": (PERM_RW, PERM_R),
              "data": (PERM_RW, PERM_RW)}


def module_enable_protections(mod, after_init: bool = False) -> None:
    """module_enable_ro() + module_enable_nx() + module_enable_x(): each span of module
    memory gets its kind's permissions; a region's last span reaches its mapped end."""
    last = {span.region: span for span in mod.spans}
    for span in mod.spans:
        area = mod.mem.get(span.region)
        if area is None or span.init and after_init:
            continue
        end = area.region.mapped if last[span.region] is span else span.end
        area.region.set_perm(span.start, end, SPAN_PERMS[span.kind][after_init])
