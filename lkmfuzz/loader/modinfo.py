""".modinfo: get_modinfo(), check_modinfo() and the MODINFO_ATTR fields.

get_modinfo() walks "tag=value\\0" strings with module_next_tag_pair(), whose
size countdown is the only bound: a value is returned as a pointer and later read
with strcmp/strlen, so an unterminated last value runs on past the section — in
the file copy that is harmless until the image ends.  The model reproduces the
walk byte for byte (``_next_string``), so it finds exactly what the kernel finds.
"""

import errno

from ..elf.reader import OutOfBounds
from ..kernel import taint as T
from ..kernel.alloc import AllocFailed
from .context import MODULE_INIT_IGNORE_VERMAGIC, LoadInfo

GPL_COMPATIBLE = frozenset({b"GPL", b"GPL v2", b"GPL and additional rights", b"Dual BSD/GPL",
                            b"Dual MIT/GPL", b"Dual MPL/GPL"})


def _next_string(info: LoadInfo, p: int, size: int) -> tuple[int, int] | None:
    """module_next_tag_pair(): skip this string, then the NUL padding; None when size runs out."""
    window = info.image.window(p, size, "modinfo")
    n = window.find(b"\0")
    if n < 0:
        if len(window) >= size:
            return None          # the countdown ends inside the string
        raise OutOfBounds(f"modinfo string at file offset {p:#x} runs past the end of the image", p, size)
    if n >= 1 and n >= size:
        return None
    size -= n
    q = n
    while q < len(window) and window[q] == 0:
        q += 1
    zeros = q - n
    if zeros >= size:
        return None
    if q == len(window):
        raise OutOfBounds(f"modinfo padding at file offset {p + q:#x} runs past the end of the image", p + q, 1)
    return p + q, size - zeros


def _tag_matches(info: LoadInfo, p: int, tag_eq: bytes) -> bool:
    """strncmp(p, tag, taglen) == 0 && p[taglen] == '=' — reading only as far as strncmp does."""
    window = info.image.window(p, len(tag_eq), "modinfo tag")
    for k, ch in enumerate(window):
        if ch != tag_eq[k]:
            return False
    if len(window) == len(tag_eq):
        return True
    raise OutOfBounds(f"modinfo tag at file offset {p:#x} runs past the end of the image", p, len(tag_eq))


def modinfo_values(info: LoadInfo, tag: str):
    """for_each_modinfo_entry(): yields the file offset of each value of ``tag``."""
    sec = info.sechdrs[info.index.info]
    size, p = sec.sh_size, sec.sh_offset
    tag_eq = tag.encode() + b"="
    cur: tuple[int, int] | None = (p, size)
    while cur is not None:
        p, size = cur
        if _tag_matches(info, p, tag_eq):
            value = p + len(tag_eq)
            yield value
            # get_next_modinfo(prev=value): size -= prev - modinfo; continue after it
            size -= value - p
            cur = _next_string(info, value, size)
            continue
        cur = _next_string(info, p, size)


def get_modinfo(info: LoadInfo, tag: str) -> bytes | None:
    """The first value of ``tag`` as the kernel's C string reads it, or None."""
    for value in modinfo_values(info, tag):
        return info.image.cstring(value, f"modinfo {tag}")
    return None


def same_magic(amagic: bytes, bmagic: bytes, has_crcs: bool) -> bool:
    """With CRCs the first word (the release) may differ: modversions vouch for the ABI."""
    if has_crcs:
        amagic = amagic[_strcspn_space(amagic):]
        bmagic = bmagic[_strcspn_space(bmagic):]
    return amagic == bmagic


def _strcspn_space(s: bytes) -> int:
    i = s.find(b" ")
    return len(s) if i < 0 else i


def try_to_force_load(info: LoadInfo, reason: str) -> None:
    """CONFIG_MODULE_FORCE_LOAD: taint F and go on; without it ENOEXEC."""
    if not info.kernel.config.force_load:
        raise info.refuse(errno.ENOEXEC, f"{reason} (CONFIG_MODULE_FORCE_LOAD is off)")
    add_taint_module(info, T.TAINT_FORCED_MODULE)
    info.kernel.printk(f"{info.mod.name}: {reason}: kernel tainted.")


def add_taint_module(info: LoadInfo, bit: int) -> None:
    info.kernel.add_taint(bit)
    info.mod.taints |= 1 << bit


def check_modinfo(info: LoadInfo) -> None:
    """Requires: index.info, index.vers, mod.  Sets: module taints (F, P, O, C, K, N) and
    the kernel's.  Errors: ENOEXEC (vermagic mismatch, livepatch without support, or
    missing vermagic without FORCE_LOAD)."""
    kernel = info.kernel
    modmagic = None if info.flags & MODULE_INIT_IGNORE_VERMAGIC else get_modinfo(info, "vermagic")
    if modmagic is None:
        try_to_force_load(info, "bad vermagic")
    elif not same_magic(modmagic, kernel.profile.vermagic.encode(), info.index.vers != 0):
        raise info.refuse(errno.ENOEXEC, f"version magic '{modmagic.decode('latin-1')}' should be "
                                         f"'{kernel.profile.vermagic}'")
    livepatch = get_modinfo(info, "livepatch") is not None
    if livepatch and not kernel.config.livepatch:
        raise info.refuse(errno.ENOEXEC, "module is marked as livepatch module, but livepatch support is disabled")
    license = get_modinfo(info, "license")
    if (license or b"unspecified") not in GPL_COMPATIBLE:
        add_taint_module(info, T.TAINT_PROPRIETARY_MODULE)
    if get_modinfo(info, "intree") is None:
        add_taint_module(info, T.TAINT_OOT_MODULE)
    if get_modinfo(info, "staging") is not None:
        add_taint_module(info, T.TAINT_CRAP)
    if livepatch:
        add_taint_module(info, T.TAINT_LIVEPATCH)
    if get_modinfo(info, "test") is not None:
        add_taint_module(info, T.TAINT_TEST)


def setup_modinfo(info: LoadInfo) -> None:
    """MODINFO_ATTR(version), MODINFO_ATTR(srcversion): kstrdup()s whose failure is ignored
    (the attribute is then simply absent).  Undone by free_modinfo()."""
    mod, alloc = info.mod, info.kernel.alloc
    for field in ("version", "srcversion"):
        value = get_modinfo(info, field)
        if value is None:
            continue
        try:
            setattr(mod, field, alloc.alloc("strdup", "setup_modinfo", len(value) + 1, mod.name, tag=field))
        except AllocFailed:
            setattr(mod, field, None)  # kstrdup() returned NULL: the attribute is absent


def free_modinfo(info: LoadInfo) -> None:
    mod, alloc = info.mod, info.kernel.alloc
    for field in ("version", "srcversion"):
        alloc.free(getattr(mod, field))
        setattr(mod, field, None)
