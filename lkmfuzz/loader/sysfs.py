"""mod_sysfs_setup() / mod_sysfs_teardown(): /sys/module/<name> and what hangs off it.

Setup undoes its own partial work before returning an error, as the kernel's
out_unreg_* labels do; teardown removes the directory, the holders links in the
modules this one uses, and frees the MODINFO_ATTR strings (module_remove_modinfo_attrs).
"""

import errno

from ..elf import constants as C
from ..kernel.alloc import AllocFailed
from ..kernel.sysfs import SysfsError
from .context import LoadInfo
from .modinfo import free_modinfo

MODINFO_ATTRS = ("uevent", "initstate", "coresize", "initsize", "taint", "refcnt")


def sysfs_name(name: str) -> str:
    """kobject_set_name() replaces '/' by '!'."""
    return name.replace("/", "!")


def mod_sysfs_setup(info: LoadInfo) -> None:
    """Requires: mod.params, mod.targets.  Sets: mod.sysfs_dir.  Errors: EINVAL (empty
    name, or /sys/module/<name> exists: a built-in of that name), EEXIST (duplicate
    parameter name), ENOMEM."""
    mod, sysfs = info.mod, info.kernel.sysfs
    name = sysfs_name(mod.name)
    if not name:
        raise info.refuse(errno.EINVAL, "kobject: attempted to be registered with empty name")
    path = f"module/{name}"
    if sysfs.exists(path):
        raise info.refuse(errno.EINVAL, f"{mod.name}: module is already loaded (/sys/{path} exists)")
    links = []
    try:
        sysfs.create(path, mod.name, "mod_sysfs_init")
        sysfs.create(f"{path}/holders", mod.name, "mod_sysfs_setup")
        _add_params(info, path)
        for attr in _modinfo_attr_names(mod):
            sysfs.create(f"{path}/{attr}", mod.name, "module_add_modinfo_attrs")
        for target in mod.targets:
            link = f"module/{sysfs_name(target)}/holders/{name}"
            sysfs.create(link, mod.name, "add_usage_links")
            links.append(link)
    except (SysfsError, AllocFailed) as failed:
        _remove_setup(sysfs, path, links)
        raise info.refuse(failed.errno, f"{mod.name}: {failed}") from None
    except BaseException:
        # A fault reading a parameter's name (add_sysfs_param): an oops in the kernel, which
        # undoes nothing — but the model must not leak what it had created.
        _remove_setup(sysfs, path, links)
        raise
    try:
        loaded = _loaded_sections(info)
        _add_sect_attrs(info, path, loaded)
        _add_notes_attrs(info, path, loaded)
    except (SysfsError, AllocFailed) as failed:
        if info.has("sysfs_attr_errors"):       # out_unreg_sect_attrs / out_del_usage_links ...
            _remove_setup(sysfs, path, links)
            raise info.refuse(failed.errno, f"{mod.name}: {failed}") from None
    mod.sysfs_dir = path


def _remove_setup(sysfs, path: str, links: list[str]) -> None:
    """mod_sysfs_setup()'s error path: the usage links, then the module's directory."""
    for link in links:
        sysfs.remove_tree(link)
    sysfs.remove_tree(path)


def _modinfo_attr_names(mod):
    names = list(MODINFO_ATTRS)
    names += [f for f in ("version", "srcversion") if getattr(mod, f) is not None]
    return names


def _add_params(info: LoadInfo, path: str) -> None:
    params = [p for p in info.mod.params if p.perm]
    if not params:
        return
    sysfs = info.kernel.sysfs
    sysfs.create(f"{path}/parameters", info.mod.name, "module_param_sysfs_setup")
    for p in params:
        sysfs.create(f"{path}/parameters/{p.name}", info.mod.name, "add_sysfs_param")


def _loaded_sections(info: LoadInfo) -> list[tuple[int, str]]:
    """Index and name of each section sect_empty() keeps (SHF_ALLOC, not empty), named."""
    return [(i, info.sec_name(i).decode("latin-1")) for i, sh in enumerate(info.sechdrs)
            if sh.sh_flags & C.SHF_ALLOC and sh.sh_size and sh.sh_name]


def _add_sect_attrs(info: LoadInfo, path: str, loaded: list[tuple[int, str]]) -> None:
    """add_sect_attrs(): /sys/module/<name>/sections, one file per loaded section (two of
    one name: EEXIST).  A failure leaves nothing behind; 6.1 ignores it (void), later
    kernels fail the load (mod_sysfs_setup)."""
    sysfs, mod = info.kernel.sysfs, info.mod
    try:
        sysfs.create(f"{path}/sections", mod.name, "add_sect_attrs")
        for _i, sec in loaded:
            sysfs.create(f"{path}/sections/{sec}", mod.name, "add_sect_attrs")
    except (SysfsError, AllocFailed):
        sysfs.remove_tree(f"{path}/sections")
        raise


def _add_notes_attrs(info: LoadInfo, path: str, loaded: list[tuple[int, str]]) -> None:
    """add_notes_attrs(): /sys/module/<name>/notes, one file per loaded SHT_NOTE section."""
    sysfs, mod = info.kernel.sysfs, info.mod
    notes = [sec for i, sec in loaded if info.sechdrs[i].sh_type == C.SHT_NOTE]
    if not notes:
        return
    try:
        sysfs.create(f"{path}/notes", mod.name, "add_notes_attrs")
        for sec in notes:
            sysfs.create(f"{path}/notes/{sec}", mod.name, "add_notes_attrs")
    except (SysfsError, AllocFailed):
        sysfs.remove_tree(f"{path}/notes")
        raise


def mod_sysfs_teardown(kernel, mod) -> None:
    for target in mod.targets:
        kernel.sysfs.remove_tree(f"module/{sysfs_name(target)}/holders/{sysfs_name(mod.name)}")
    if mod.sysfs_dir:
        kernel.sysfs.remove_tree(mod.sysfs_dir)
        mod.sysfs_dir = ""
    free_modinfo_of(kernel, mod)


def free_modinfo_of(kernel, mod) -> None:
    for field in ("version", "srcversion"):
        kernel.alloc.free(getattr(mod, field))
        setattr(mod, field, None)


__all__ = ["mod_sysfs_setup", "mod_sysfs_teardown", "free_modinfo", "sysfs_name"]
