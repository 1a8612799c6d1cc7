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
from .copy import MODINFO
from .modstruct import set_livepatch_module, set_moved_taint_bit, set_taint_bit

GPL_COMPATIBLE = frozenset({b"GPL", b"GPL v2", b"GPL and additional rights", b"Dual BSD/GPL",
                            b"Dual MIT/GPL", b"Dual MPL/GPL"})


def _next_string(info: LoadInfo, p: int, size: int) -> tuple[int, int] | None:
    """module_next_tag_pair(): skip this string, then the NUL padding; None when the
    size countdown runs out first.  Raises OutOfBounds where the kernel would read past
    the image before its countdown stops."""
    image = info.image
    buf: bytes | bytearray
    if p + size <= image.len:        # the whole countdown lies in the file: search in place
        buf, start, stop = image.buf, p, p + size
    else:                            # clipped at the image's mapped end (zero slack included)
        buf, start = image.window(p, size, "modinfo"), 0
        stop = len(buf)
    clipped = stop - start < size
    nul = buf.find(b"\0", start, stop)
    if nul < 0:
        if clipped:
            raise OutOfBounds(f"modinfo string at file offset {p:#x} runs past the end of the image", p, size)
        return None                  # the countdown ends inside the string
    size -= nul - start
    q = nul
    while q < stop and buf[q] == 0:
        q += 1
    if q - nul >= size:
        return None                  # the countdown ends inside the padding
    if q == stop:
        raise OutOfBounds(f"modinfo padding at file offset {p + q - start:#x} runs past the end of the image", p, 1)
    return p + (q - start), size - (q - nul)


def _tag_matches(info: LoadInfo, p: int, tag_eq: bytes) -> bool:
    """strncmp(p, tag, taglen) == 0 && p[taglen] == '=' — reading only as far as strncmp does."""
    image = info.image
    if p + len(tag_eq) <= image.len:
        return image.data[p:p + len(tag_eq)] == tag_eq
    window = image.window(p, len(tag_eq), "modinfo tag")
    for k, ch in enumerate(window):
        if ch != tag_eq[k]:
            return False
    if len(window) == len(tag_eq):
        return True
    raise OutOfBounds(f"modinfo tag at file offset {p:#x} runs past the end of the image", p, len(tag_eq))


def modinfo_walk(info: LoadInfo) -> tuple[list[tuple[int, bytes | None]], OutOfBounds | None]:
    """The strings get_next_modinfo() visits, as (start, key) — key being the bytes before
    the first '=' when the string lies in the file (None: check the tag the slow way) —
    and the fault that ends the walk, if any.

    The walk does not depend on the tag (after a match it resumes from the matched
    string, which lands where the plain walk goes), so it is computed once per load."""
    cached = info.copy.modinfo
    if cached is not None and cached[0] == info.index.info:
        return cached[1], cached[2]
    sec = info.sechdrs[info.index.info]
    if not sec.sh_size:
        which = "an empty .modinfo" if info.index.info else "section 0"
        info.unchecked(f"get_next_modinfo reads the first string of {which} at file offset {sec.sh_offset:#x}")
    data, length = info.image.buf, info.image.len
    entries: list[tuple[int, bytes | None]] = []
    fault = None
    cur: tuple[int, int] | None = (sec.sh_offset, sec.sh_size)
    read_to = sec.sh_offset
    try:
        while cur is not None:
            p = cur[0]
            nul = data.find(b"\0", p, length) if p < length else -1
            eq = data.find(b"=", p, nul) if nul >= 0 else -1
            entries.append((p, bytes(data[p:eq]) if eq >= 0 else (b"" if nul >= 0 else None)))
            read_to = max(read_to, nul + 1 if nul >= 0 else length)
            cur = _next_string(info, *cur)
    except OutOfBounds as oob:
        fault = oob.with_traceback(None)   # cached and raised again by every lookup
        read_to = length
    info.copy.modinfo = (info.index.info, entries, fault)
    info.copy.note(MODINFO, sec.sh_offset, max(read_to, sec.sh_offset + sec.sh_size))
    return entries, fault


def modinfo_values(info: LoadInfo, tag: str):
    """for_each_modinfo_entry(): yields the file offset of each value of ``tag``."""
    tag_b = tag.encode()
    tag_eq = tag_b + b"="
    entries, fault = modinfo_walk(info)
    for p, key in entries:
        if key == tag_b or (key is None and _tag_matches(info, p, tag_eq)):
            yield p + len(tag_eq)
    if fault is not None:
        raise fault


def get_modinfo(info: LoadInfo, tag: str) -> bytes | None:
    """The first value of ``tag`` as the kernel's C string reads it, or None."""
    for value in modinfo_values(info, tag):
        string = info.image.cstring(value, f"modinfo {tag}")
        sec = info.sechdrs[info.index.info]
        if value + len(string) >= sec.sh_offset + sec.sh_size:
            info.unchecked(f"modinfo {tag} value at file offset {value:#x} runs past .modinfo")
        return string
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
    """add_taint() and set_bit(bit, &mod->taints) — in the file's struct until move_module(),
    in the moved one after."""
    info.kernel.add_taint(bit)
    info.mod.taints |= 1 << bit
    if info.mod_copy_off is not None:
        set_taint_bit(info, bit)
    else:
        set_moved_taint_bit(info, bit)


def check_modinfo(info: LoadInfo) -> None:
    """Requires: index.info, index.vers, mod.  Sets: in 6.1 the module taints too
    (module_augment_kernel_taints); mod->klp of a livepatch module.  Errors: ENOEXEC
    (vermagic mismatch, livepatch without support, or missing vermagic without FORCE_LOAD)."""
    kernel = info.kernel
    modmagic = None if info.flags & MODULE_INIT_IGNORE_VERMAGIC else get_modinfo(info, "vermagic")
    if modmagic is None:
        try_to_force_load(info, "bad vermagic")
    elif not same_magic(modmagic, kernel.profile.vermagic.encode(), info.index.vers != 0):
        raise info.refuse(errno.ENOEXEC, f"version magic '{modmagic.decode('latin-1')}' should be "
                                         f"'{kernel.profile.vermagic}'")
    if info.has("module_augment_kernel_taints"):
        check_modinfo_livepatch(info)
    else:
        module_augment_kernel_taints(info)


def check_modinfo_livepatch(info: LoadInfo) -> None:
    """Sets: mod->klp.  Errors: ENOEXEC (a livepatch module without CONFIG_LIVEPATCH)."""
    if get_modinfo(info, "livepatch") is None:
        return
    if not info.kernel.config.livepatch:
        raise info.refuse(errno.ENOEXEC, "module is marked as livepatch module, but livepatch support is disabled")
    set_livepatch_module(info)


def module_augment_kernel_taints(info: LoadInfo) -> None:
    """The taints .modinfo asks for (O, C, K, P, N, in the kernel's order).  6.1 applies them
    in check_modinfo(), its livepatch check among them, to the file's struct before
    anything is allocated; later kernels once the module is listed (a named change, the
    module then already moved).  Errors: 6.1's check_modinfo_livepatch()."""
    if get_modinfo(info, "intree") is None:
        add_taint_module(info, T.TAINT_OOT_MODULE)
    if get_modinfo(info, "staging") is not None:
        add_taint_module(info, T.TAINT_CRAP)
    if not info.has("module_augment_kernel_taints"):
        check_modinfo_livepatch(info)
    if info.mod.livepatch:
        add_taint_module(info, T.TAINT_LIVEPATCH)
    license = get_modinfo(info, "license")
    if (license or b"unspecified") not in GPL_COMPATIBLE:
        add_taint_module(info, T.TAINT_PROPRIETARY_MODULE)
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
