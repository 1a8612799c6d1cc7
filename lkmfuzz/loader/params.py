"""Module parameter parsing: kernel/params.c of Linux 6.1 (behaviour, not code).

parameq(), parse_one(), parse_args(), the ``param_set_*`` setters behind the
exported ``param_ops_*`` tables (``PARAM_TYPES``), param_array() /
param_array_set(), param_set_copystring(); and include/linux/moduleparam.h's
KERNEL_PARAM_OPS_FL_NOARG and levels.  The string helpers they call are the kernel
library's: lkmfuzz.kernel.lib (next_arg() in cmdline, kstrto*() in kstrtox,
skip_spaces() in string), whose conventions hold here too: C strings of latin-1
characters, positive errnos, LP64.

What the kernel prints with pr_err() goes to the ``printk`` the caller passes: the
loader passes its kernel's (``Kernel.printk``), so parameter errors land in the
simulated kernel's log as in dmesg.  params.c defines no pr_fmt: lines carry no prefix.

The loader binds parameters to module memory in lkmfuzz.loader.kparams.
Not modelled: kmalloc failure (-ENOMEM in param_set_charp, kparams does it) and
param_check_unsafe() (lockdown / tainting); it always allows the write here.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

from ..kernel.lib import kstrtox
from ..kernel.lib.cmdline import next_arg_at
from ..kernel.lib.string import c_string, skip_spaces_at

__all__ = [
    "CHARP_MAX_LEN",
    "KERNEL_PARAM_OPS_FL_NOARG",
    "LOAD_MODULE_MAX_LEVEL",
    "LOAD_MODULE_MIN_LEVEL",
    "MODULE_PARAM_LEVEL",
    "PARAM_TYPES",
    "ParamError",
    "ParamLike",
    "ParamOps",
    "ParamType",
    "ParamValue",
    "ParseResult",
    "Printk",
    "UnknownCallback",
    "copystring_overflow_message",
    "param_array",
    "param_array_split",
    "parameq",
    "parse_args",
    "parse_one",
    "report_setter_error",
    "string_param_type",
]

# --- include/linux/moduleparam.h and kernel/module/main.c -------------------

#: kernel_param_ops.flags bit: the setter accepts a missing value ("foo" without "=").
KERNEL_PARAM_OPS_FL_NOARG = 1 << 0
#: module_param() registers every parameter with level -1 (__module_param_call(..., -1, 0)).
MODULE_PARAM_LEVEL = -1
#: load_module() calls parse_args() with the whole s16 range, so no module param is skipped.
LOAD_MODULE_MIN_LEVEL = -32768
LOAD_MODULE_MAX_LEVEL = 32767
#: param_set_charp() refuses strings longer than this (strlen(val) > 1024).
CHARP_MAX_LEN = 1024

_POINTER_SIZE = 8
_UINT_MASK = (1 << 32) - 1
_DEFAULT_BASE = 0  # every param_set_<int>() passes base 0 (auto-detect)

UnknownCallback = Callable[[str, "str | None", str], int]
#: What a setter parses a value into: an int (the integer types and bint), a bool
#: (bool, invbool) or the C string (charp, string).
ParamValue = int | bool | str
#: A setter's parse: (0, value) or (errno, None).
ParseResult = tuple[int, "ParamValue | None"]
#: Where pr_err() lines go: the simulated kernel's log (Kernel.printk).
Printk = Callable[[str], None]


# --- kernel/params.c: types ---------------------------------------------------


class ParamOps(Protocol):
    """struct kernel_param_ops, reduced to what parse_one() uses (it only reads it).

    ``set(val)`` returns 0 or a POSITIVE errno (negative values are tolerated and
    read as -errno).  ``flags`` may hold KERNEL_PARAM_OPS_FL_NOARG; an ops object
    without a ``flags`` attribute counts as flags == 0.
    """

    @property
    def flags(self) -> int: ...

    def set(self, val: str | None) -> int: ...


class ParamLike(Protocol):
    """struct kernel_param, reduced to what parse_args() uses.  parse_args() only reads
    these, so read-only attributes (properties) satisfy the protocol."""

    @property
    def name(self) -> str: ...

    @property
    def level(self) -> int: ...

    @property
    def ops(self) -> ParamOps: ...


@dataclass(frozen=True)
class ParamType:
    """One exported ``param_ops_<type>``: how its setter parses a value.

    ``parse(val)`` is the setter without the memory write: (0, value) or
    (errno, None).  It never raises.  ``encode(value)`` gives the little-endian
    bytes the setter stores in the C variable (None for charp/string, whose
    storage is a pointer / a caller-sized buffer).  ``flags`` is the ops' flags
    (KERNEL_PARAM_OPS_FL_NOARG); ``error_message(name, errno)`` returns the
    pr_err() line the setter itself prints for that error, if any.
    """

    ops_symbol: str
    size: int
    parse: Callable[[str | None], ParseResult]
    encode: Callable[[ParamValue], bytes] | None
    flags: int = 0
    error_message: Callable[[str, int], str | None] | None = None


class ParamError(Exception):
    """parse_args() failed: ERR_PTR(-errno) of the LAST failing parameter.

    ``message`` is the line parse_args() printed for it; ``messages`` holds the
    lines for every failing parameter, in order (the kernel keeps going).
    """

    def __init__(self, err: int, param: str, message: str, *,
                 val: str | None = None, messages: Sequence[str] = ()):
        super().__init__(err, param, message)
        self.errno = err
        self.param = param
        self.message = message
        self.val = val
        self.messages = tuple(messages) or (message,)

    def __str__(self) -> str:
        return self.message


# --- kernel/params.c: the standard setters ------------------------------------


def _int_encoder(size: int) -> Callable[[ParamValue], bytes]:
    """Store an integer as the C variable does: two's complement, little-endian."""
    mask = (1 << (8 * size)) - 1

    def encode(value: ParamValue) -> bytes:
        return (int(value) & mask).to_bytes(size, "little")

    return encode


_StrToX = Callable[[str, int], "tuple[int, int | None]"]


def _int_parser(strtox: _StrToX) -> Callable[[str | None], ParseResult]:
    """STANDARD_PARAM_DEF's param_set_<name>(): strtolfn(val, 0, kp->arg).

    val == NULL never reaches it (parse_one() refuses first); here it is EINVAL.
    """

    def parse(val: str | None) -> ParseResult:
        if val is None:
            return errno.EINVAL, None
        return strtox(val, _DEFAULT_BASE)

    return parse


def _parse_bool(val: str | None) -> tuple[int, bool | None]:
    """param_set_bool(): no "=" means "set", then strtobool()."""
    return kstrtox.kstrtobool("1" if val is None else val)


def _parse_invbool(val: str | None) -> ParseResult:
    """param_set_invbool(): param_set_bool() into a temporary, stored negated."""
    err, value = _parse_bool(val)
    return (err, None) if err else (0, not value)


def _parse_bint(val: str | None) -> ParseResult:
    """param_set_bint(): param_set_bool(), stored as an int 0/1."""
    err, value = _parse_bool(val)
    if err:
        return err, None
    assert value is not None, "kstrtobool() gave no value and no errno"
    return 0, int(value)


def _parse_charp(val: str | None) -> ParseResult:
    """param_set_charp(): any string up to CHARP_MAX_LEN bytes.

    The kernel has no NULL check (parse_one() keeps NULL away); here it is EINVAL.
    """
    if val is None:
        return errno.EINVAL, None
    val = c_string(val)
    if len(val) > CHARP_MAX_LEN:
        return errno.ENOSPC, None
    return 0, val


def _charp_message(name: str, err: int) -> str | None:
    return f"{name}: string parameter too long" if err == errno.ENOSPC else None


def _encode_bool(value: ParamValue) -> bytes:
    return b"\x01" if value else b"\x00"


def string_param_type(maxlen: int | None) -> ParamType:
    """param_ops_string for module_param_string(): param_set_copystring() into a
    ``char[maxlen]`` (kparam_string.maxlen).  ``maxlen=None`` means unknown: no
    length check (PARAM_TYPES' entry, which cannot know the buffer size)."""

    def parse(val: str | None) -> ParseResult:
        if val is None:
            return errno.EINVAL, None  # the kernel would strlen(NULL); parse_one() prevents it
        val = c_string(val)
        if maxlen is not None and len(val) + 1 > maxlen:
            return errno.ENOSPC, None
        return 0, val

    def message(name: str, err: int) -> str | None:
        if err != errno.ENOSPC or maxlen is None:
            return None
        return copystring_overflow_message(name, maxlen)

    return ParamType("param_ops_string", 0, parse, None, 0, message)


def copystring_overflow_message(name: str, maxlen: int) -> str:
    """param_set_copystring()'s pr_err() when the value does not fit in char[maxlen]."""
    # "%u" of maxlen-1: unsigned arithmetic, so maxlen 0 prints 4294967295.
    return f"{name}: string doesn't fit in {(maxlen - 1) & _UINT_MASK} chars."


def _int_type(symbol: str, size: int, strtox: _StrToX) -> ParamType:
    return ParamType(symbol, size, _int_parser(strtox), _int_encoder(size))


def _build_param_types() -> dict[str, ParamType]:
    """The exported param_ops_* of kernel/params.c (6.1), keyed by symbol."""
    types = [
        _int_type("param_ops_byte", 1, kstrtox.kstrtou8),
        _int_type("param_ops_short", 2, kstrtox.kstrtos16),
        _int_type("param_ops_ushort", 2, kstrtox.kstrtou16),
        _int_type("param_ops_int", 4, kstrtox.kstrtoint),
        _int_type("param_ops_uint", 4, kstrtox.kstrtouint),
        _int_type("param_ops_long", 8, kstrtox.kstrtol),
        _int_type("param_ops_ulong", 8, kstrtox.kstrtoul),
        _int_type("param_ops_ullong", 8, kstrtox.kstrtoull),
        # hexint only differs from uint when read back ("%#08x").
        _int_type("param_ops_hexint", 4, kstrtox.kstrtouint),
        ParamType("param_ops_bool", 1, _parse_bool, _encode_bool, KERNEL_PARAM_OPS_FL_NOARG),
        # param_ops_invbool has NO FL_NOARG in 6.1: a bare "foo" is EINVAL in parse_one().
        ParamType("param_ops_invbool", 1, _parse_invbool, _encode_bool),
        ParamType("param_ops_bint", 4, _parse_bint, _int_encoder(4), KERNEL_PARAM_OPS_FL_NOARG),
        ParamType("param_ops_charp", _POINTER_SIZE, _parse_charp, None, 0, _charp_message),
        string_param_type(None),
    ]
    return {t.ops_symbol: t for t in types}


PARAM_TYPES: dict[str, ParamType] = _build_param_types()


# --- kernel/params.c: arrays --------------------------------------------------


# Where an array element's parsed value goes: store(index, value) -> 0 or errno.
StoreElement = Callable[[int, ParamValue], int]


def param_array(name: str, val: str | None, min_elems: int, max_elems: int,
                elem: ParamType, printk: Printk, store: StoreElement | None = None) -> tuple[int, list[ParamValue]]:
    """param_array(): comma-separated elements, each through the element setter.

    The setter is ``elem.parse`` then, when given, ``store`` (the write into the
    element's memory, which may fail too), one element after the other as in the
    kernel.  Returns (errno, values).  On failure ``values`` holds the elements the
    kernel had already written into the array (and counted in *num) before it
    stopped -- it does not roll them back.  An empty element is passed to the
    setter as "" (so bool/int elements fail with EINVAL, charp accepts it).
    """
    if val is None:
        return errno.EINVAL, []  # param_array_ops has no FL_NOARG: parse_one() refuses NULL
    s = c_string(val)
    values: list[ParamValue] = []
    pos = 0
    while True:
        if len(values) == max_elems:
            printk(f"{name}: can only take {max_elems} arguments")
            return errno.EINVAL, values
        comma = s.find(",", pos)
        stop = len(s) if comma < 0 else comma
        err, value = elem.parse(s[pos:stop])
        if err:
            report_setter_error(elem, name, err, printk)
            return err, values
        assert value is not None, f"{elem.ops_symbol}: parse() gave no value and no errno"
        err = store(len(values), value) if store is not None else 0
        if err:
            return err, values
        values.append(value)
        if comma < 0:
            break
        pos = comma + 1
    if len(values) < min_elems:  # unreachable for param_array_set()'s min of 1
        printk(f"{name}: needs at least {min_elems} arguments")
        return errno.EINVAL, values
    return 0, values


def param_array_split(val: str | None, max_elems: int, elem: ParamType, name: str, printk: Printk,
                      store: StoreElement | None = None) -> tuple[int, list[ParamValue]]:
    """param_array_set(): param_array() with at least one element.  See param_array()."""
    return param_array(name, val, 1, max_elems, elem, printk, store)


def report_setter_error(ptype: ParamType, name: str, err: int, printk: Printk) -> None:
    """Print what the kernel's setter prints for this error, if anything."""
    if ptype.error_message is None:
        return
    line = ptype.error_message(name, err)
    if line is not None:
        printk(line)


# --- kernel/params.c: parse_one() / parse_args() -------------------------------


def parameq(a: str, b: str) -> bool:
    """parameq(): names are equal when '-' and '_' are treated as the same.

    6.1 maps dashes on both sides (parameqn() over strlen(a)+1 bytes).
    """
    return c_string(a).replace("-", "_") == c_string(b).replace("-", "_")


def _as_errno(ret: int) -> int:
    """A setter/callback result as a positive errno (accepts the kernel's -errno too)."""
    return abs(int(ret))


def parse_one(param: str, val: str | None, doing: str, params: Sequence[ParamLike],
              min_level: int, max_level: int, unknown: UnknownCallback | None) -> int:
    """parse_one(): hand one argument to its parameter.  Returns 0 or a positive errno.

    The first parameter whose name matches wins.  Outside [min_level, max_level]
    it is silently skipped (returns 0, nothing set).  A missing value is EINVAL
    unless the ops carry KERNEL_PARAM_OPS_FL_NOARG.  Unknown names go to
    ``unknown(param, val, doing)``, or fail with ENOENT when there is none.
    """
    for kp in params:
        if not parameq(param, kp.name):
            continue
        if kp.level < min_level or kp.level > max_level:
            return 0
        # "No one handled NULL, so do it here."
        if val is None and not getattr(kp.ops, "flags", 0) & KERNEL_PARAM_OPS_FL_NOARG:
            return errno.EINVAL
        return _as_errno(kp.ops.set(val))
    if unknown is not None:
        return _as_errno(unknown(param, val, doing))
    return errno.ENOENT


def _failure_message(doing: str, param: str, val: str | None, err: int) -> str:
    """The pr_err() line parse_args() prints for a failed argument."""
    shown = val if val is not None else ""
    if err == errno.ENOENT:
        return f"{doing}: Unknown parameter `{param}'"
    if err == errno.ENOSPC:
        return f"{doing}: `{shown}' too large for parameter `{param}'"
    return f"{doing}: `{shown}' invalid for parameter `{param}'"


def parse_args(doing: str, args: str, params: Sequence[ParamLike], min_level: int,
               max_level: int, unknown: UnknownCallback | None, *, printk: Printk) -> str | None:
    """parse_args(): apply every ``param[=val]`` in ``args``; each failing one's pr_err()
    line goes to ``printk``.

    Returns the text after a bare ``--`` argument ("" when nothing follows it),
    or None when there was none.  A failing argument does not stop the loop;
    after the loop (or at ``--``) the LAST failure is raised as ParamError --
    an error wins over after-dashes text, as in ``return err ?: args``.
    """
    s = c_string(args)
    pos = skip_spaces_at(s, 0)
    failures: list[tuple[int, str, str | None, str]] = []
    after_dashes: str | None = None
    while pos < len(s):
        param, val, pos = next_arg_at(s, pos)
        if val is None and param == "--":  # "Stop at --"
            after_dashes = s[pos:]
            break
        err = parse_one(param, val, doing, params, min_level, max_level, unknown)
        if err == 0:
            continue
        message = _failure_message(doing, param, val, err)
        printk(message)
        failures.append((err, param, val, message))
    if failures:
        err, param, val, message = failures[-1]
        raise ParamError(err, param, message, val=val,
                         messages=[failure[3] for failure in failures])
    return after_dashes
