"""Module parameter parsing, transcribed from Linux 6.1.

Mirrors these kernel sources (behaviour, not code):

* ``kernel/params.c``   -- parameq(), parse_one(), parse_args(), the
  ``param_set_*`` setters behind the exported ``param_ops_*`` tables,
  param_array() / param_array_set(), param_set_copystring().
* ``lib/cmdline.c``     -- next_arg() (moved there from params.c long ago).
* ``lib/kstrtox.c``     -- _parse_integer_fixup_radix(), _parse_integer(),
  kstrtoull(), kstrtoll(), the narrowing kstrto*() wrappers and kstrtobool().
* ``lib/string.c`` / ``lib/ctype.c`` -- skip_spaces() and the kernel's isspace().
* ``include/linux/moduleparam.h`` -- KERNEL_PARAM_OPS_FL_NOARG, levels.

Conventions of this model:

* **Strings are C strings of bytes.**  One ``str`` character models one byte, so
  callers holding raw bytes should decode them with ``latin-1``.  Like the C code,
  everything stops at the first NUL.  Characters above U+00FF cannot occur in the
  kernel; they are accepted and behave as one opaque byte that is neither a space
  nor a digit.
* **Errors are positive errno ints** from the stdlib ``errno`` module (0 = success),
  where the kernel returns ``-errno``.
* **The target is LP64 (x86_64)**: ``long`` is 64 bits, pointers are 8 bytes.
* Lines the kernel prints with pr_err() go to the ``logging`` logger of this module.
* Not modelled: kmalloc failure (-ENOMEM in param_set_charp) and
  param_check_unsafe() (lockdown / tainting); it always allows the write here.
"""

from __future__ import annotations

import errno
import logging
import re
from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

__all__ = [
    "CHARP_MAX_LEN",
    "KERNEL_PARAM_OPS_FL_NOARG",
    "LOAD_MODULE_MAX_LEVEL",
    "LOAD_MODULE_MIN_LEVEL",
    "MODULE_PARAM_LEVEL",
    "PARAM_TYPES",
    "ArrayParam",
    "ModuleParam",
    "ParamError",
    "ParamLike",
    "ParamOps",
    "ParamType",
    "UnknownCallback",
    "isspace",
    "kstrtobool",
    "kstrtoint",
    "kstrtol",
    "kstrtoll",
    "kstrtos16",
    "kstrtos8",
    "kstrtou16",
    "kstrtou8",
    "kstrtouint",
    "kstrtoul",
    "kstrtoull",
    "next_arg",
    "param_array",
    "param_array_split",
    "parameq",
    "parse_args",
    "parse_one",
    "skip_spaces",
    "string_param_type",
]

_log = logging.getLogger(__name__)
# A library logs nowhere unless its user asks: the loader copies messages into the kernel log.
_log.addHandler(logging.NullHandler())

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

# --- C integer limits (LP64) -----------------------------------------------

_U64_MASK = (1 << 64) - 1
_ULLONG_MAX = _U64_MASK
_OVERFLOW_WATCH = _U64_MASK & ~((1 << 60) - 1)  # ~0ull << 60: overflow only possible here
_POINTER_SIZE = 8
_UINT_MASK = (1 << 32) - 1

# --- lib/ctype.c ------------------------------------------------------------

# The kernel's _ctype[] marks 9..13, 32 and 160 (Latin-1 NBSP) as _S: isspace()
# is true for all of them, so 0xA0 splits arguments just like a blank.
_KERNEL_SPACES = frozenset("\t\n\v\f\r \xa0")
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_DEFAULT_BASE = 0  # every param_set_<int>() passes base 0 (auto-detect)

UnknownCallback = Callable[[str, "str | None", str], int]


def _c_string(s: str) -> str:
    """The C view of ``s``: everything before the first NUL."""
    nul = s.find("\0")
    return s if nul < 0 else s[:nul]


def _tolower(c: str) -> str:
    """include/linux/ctype.h _tolower(): just sets bit 5 (only meaningful for letters)."""
    return chr(ord(c) | 0x20)


def isspace(c: str) -> bool:
    """isspace() from include/linux/ctype.h over the Latin-1 _ctype[] table."""
    return c in _KERNEL_SPACES


# Runs of kernel blanks, and of characters that are neither a blank nor a quote:
# next_arg() walks byte by byte, these let it skip whole runs at once.
_SPACE_RUN = re.compile("[" + "".join(sorted(_KERNEL_SPACES)) + "]*")
_PLAIN_RUN = re.compile('[^"' + "".join(sorted(_KERNEL_SPACES)) + "]*")


def _skip_spaces_at(s: str, pos: int) -> int:
    """Index of the first non-space at or after ``pos``."""
    return _SPACE_RUN.match(s, pos).end()


def _argument_end(s: str, pos: int, in_quote: bool) -> int:
    """next_arg()'s scan: the first blank at or after ``pos`` outside double quotes
    (each quote toggles), or len(s)."""
    while True:
        pos = _PLAIN_RUN.match(s, pos).end()
        if pos >= len(s):
            return pos
        if s[pos] == '"':
            in_quote = not in_quote
        elif not in_quote:
            return pos
        pos += 1


def skip_spaces(s: str) -> str:
    """lib/string.c skip_spaces(): drop leading kernel whitespace."""
    s = _c_string(s)
    return s[_skip_spaces_at(s, 0):]


# --- lib/kstrtox.c ----------------------------------------------------------


def _parse_integer_fixup_radix(s: str, base: int) -> tuple[str, int]:
    """_parse_integer_fixup_radix(): base 0 -> 16 for "0x<xdigit>", 8 for "0...", else 10."""
    if base == 0:
        if s[:1] == "0":
            # "0x" only means hex when a hex digit follows; "0x" alone is octal 0 + junk.
            is_hex = len(s) > 2 and _tolower(s[1]) == "x" and s[2] in _HEX_DIGITS
            base = 16 if is_hex else 8
        else:
            base = 10
    if base == 16 and s[:1] == "0" and len(s) > 1 and _tolower(s[1]) == "x":
        s = s[2:]
    return s, base


def _digit_value(c: str) -> int | None:
    """The digit value _parse_integer_limit() gives ``c`` (0-9, a-f, A-F), else None."""
    if "0" <= c <= "9":
        return ord(c) - ord("0")
    lc = _tolower(c)
    if "a" <= lc <= "f":
        return ord(lc) - ord("a") + 10
    return None


def _parse_integer(s: str, base: int) -> tuple[int, int, bool]:
    """_parse_integer(): (digits consumed, value mod 2**64, overflowed).

    Like the kernel it keeps consuming digits after an overflow, so the caller
    sees the overflow even when junk follows the digits.
    """
    res = 0
    consumed = 0
    overflow = False
    for c in s:
        val = _digit_value(c)
        if val is None or val >= base:
            break
        # Mirrors the kernel's cheap pre-check before the exact division test.
        if res & _OVERFLOW_WATCH and res > (_ULLONG_MAX - val) // base:
            overflow = True
        res = (res * base + val) & _U64_MASK
        consumed += 1
    return consumed, res, overflow


def _kstrtoull(s: str, base: int) -> tuple[int, int | None]:
    """_kstrtoull(): digits, then at most one "\\n", then the end of the string."""
    s, base = _parse_integer_fixup_radix(s, base)
    consumed, value, overflow = _parse_integer(s, base)
    if overflow:
        return errno.ERANGE, None  # checked before trailing junk, as in the kernel
    if consumed == 0:
        return errno.EINVAL, None
    tail = s[consumed:]
    if tail[:1] == "\n":
        tail = tail[1:]
    if tail:
        return errno.EINVAL, None
    return 0, value


def kstrtoull(s: str, base: int = _DEFAULT_BASE) -> tuple[int, int | None]:
    """kstrtoull(): optional leading '+', no '-'.  Returns (errno, value)."""
    s = _c_string(s)
    if s[:1] == "+":
        s = s[1:]
    return _kstrtoull(s, base)


def kstrtoll(s: str, base: int = _DEFAULT_BASE) -> tuple[int, int | None]:
    """kstrtoll(): optional '+' or '-' (not both).  Returns (errno, value)."""
    s = _c_string(s)
    if s[:1] == "-":
        err, magnitude = _kstrtoull(s[1:], base)
        if err:
            return err, None
        negated = -magnitude & _U64_MASK
        # (long long)-tmp > 0 -> ERANGE: "-0" is fine, "-9223372036854775808" is LLONG_MIN.
        if 0 < negated < (1 << 63):
            return errno.ERANGE, None
        return 0, -magnitude
    err, value = kstrtoull(s, base)
    if err:
        return err, None
    if value >= 1 << 63:  # (long long)tmp < 0
        return errno.ERANGE, None
    return 0, value


def _kstrto_unsigned(s: str, base: int, bits: int) -> tuple[int, int | None]:
    """The kstrtou<N>() pattern: kstrtoull() then "tmp != (uN)tmp -> ERANGE"."""
    err, value = kstrtoull(s, base)
    if err:
        return err, None
    if value >> bits:
        return errno.ERANGE, None
    return 0, value


def _kstrto_signed(s: str, base: int, bits: int) -> tuple[int, int | None]:
    """The kstrtos<N>() pattern: kstrtoll() then "tmp != (sN)tmp -> ERANGE"."""
    err, value = kstrtoll(s, base)
    if err:
        return err, None
    limit = 1 << (bits - 1)
    if not -limit <= value < limit:
        return errno.ERANGE, None
    return 0, value


def kstrtoul(s: str, base: int = _DEFAULT_BASE) -> tuple[int, int | None]:
    """kstrtoul(): on LP64 this is kstrtoull()."""
    return _kstrto_unsigned(s, base, 64)


def kstrtol(s: str, base: int = _DEFAULT_BASE) -> tuple[int, int | None]:
    """kstrtol(): on LP64 this is kstrtoll()."""
    return _kstrto_signed(s, base, 64)


def kstrtouint(s: str, base: int = _DEFAULT_BASE) -> tuple[int, int | None]:
    """kstrtouint()."""
    return _kstrto_unsigned(s, base, 32)


def kstrtoint(s: str, base: int = _DEFAULT_BASE) -> tuple[int, int | None]:
    """kstrtoint()."""
    return _kstrto_signed(s, base, 32)


def kstrtou16(s: str, base: int = _DEFAULT_BASE) -> tuple[int, int | None]:
    """kstrtou16()."""
    return _kstrto_unsigned(s, base, 16)


def kstrtos16(s: str, base: int = _DEFAULT_BASE) -> tuple[int, int | None]:
    """kstrtos16()."""
    return _kstrto_signed(s, base, 16)


def kstrtou8(s: str, base: int = _DEFAULT_BASE) -> tuple[int, int | None]:
    """kstrtou8()."""
    return _kstrto_unsigned(s, base, 8)


def kstrtos8(s: str, base: int = _DEFAULT_BASE) -> tuple[int, int | None]:
    """kstrtos8()."""
    return _kstrto_signed(s, base, 8)


_BOOL_TRUE_FIRST = frozenset("yYtT1")
_BOOL_FALSE_FIRST = frozenset("nNfF0")


def kstrtobool(s: str | None) -> tuple[int, bool | None]:
    """kstrtobool() as of 6.1: only the first one or two characters matter.

    True: first char in 'yYtT1', or "on" (any case).  False: 'nNfF0', or "of..."
    (any case).  Anything else, the empty string and NULL -> EINVAL.  ('t'/'f'
    arrived in 5.19; 'e'/'d' for enable/disable only came much later.)
    """
    if s is None:
        return errno.EINVAL, None
    s = _c_string(s)
    first = s[:1]
    if first and first in _BOOL_TRUE_FIRST:
        return 0, True
    if first and first in _BOOL_FALSE_FIRST:
        return 0, False
    if first in ("o", "O"):
        second = s[1:2]
        if second in ("n", "N"):
            return 0, True
        if second in ("f", "F"):
            return 0, False
    return errno.EINVAL, None


# --- lib/cmdline.c next_arg() ------------------------------------------------


def _next_arg_at(s: str, start: int) -> tuple[str, str | None, int]:
    """next_arg() on ``s`` from index ``start`` (a non-space, as the kernel guarantees).

    Returns (param, val, index of the next argument).  The C code cuts the
    buffer by writing NULs; here the NUL positions are collected and each
    result is read up to the first of them.
    """
    pos = start
    quoted = s[pos:pos + 1] == '"'
    if quoted:
        pos += 1
    end = _argument_end(s, pos, quoted)  # the blank that ends the argument, or the end of the string
    i = end - pos
    # The first '=' after offset 0 separates the value (one at offset 0 never does).
    equals = max(s.find("=", pos + 1, end) - pos, 0)
    cuts = [end]
    val_start = None
    if equals:
        cuts.append(pos + equals)
        val_start = pos + equals + 1
        # Don't include quotes in the value: skip an opening one, drop a closing one.
        if val_start < end and s[val_start] == '"':
            val_start += 1
            if s[end - 1] == '"':
                cuts.append(end - 1)
    # A quote that opened the whole argument is removed at its end too -- unless
    # that byte was already cut above (then the C code sees a NUL, not a quote).
    if quoted and i > 0 and end - 1 not in cuts and s[end - 1] == '"':
        cuts.append(end - 1)
    param = _read_until_cut(s, pos, cuts)
    val = None if val_start is None else _read_until_cut(s, val_start, cuts)
    next_pos = end + 1 if end < len(s) else end
    return param, val, _skip_spaces_at(s, next_pos)


def _read_until_cut(s: str, start: int, cuts: list[int]) -> str:
    """The C string at ``start`` given NULs written at ``cuts``."""
    stop = min(cut for cut in cuts if cut >= start)
    return s[start:stop]


def next_arg(args: str) -> tuple[str, str | None, str]:
    """lib/cmdline.c next_arg(): split off one ``param[=val]`` argument.

    Returns (param, val, rest).  ``val`` is None when there is no '='.  Double
    quotes let a value hold blanks; they cannot be escaped.  Leading blanks are
    skipped first -- the kernel's callers (parse_args()) always do that, and
    next_arg() chews the blanks after each argument, so this changes nothing on
    any kernel path.  Consumes at least one character of any non-blank input.
    """
    s = _c_string(args)
    param, val, next_pos = _next_arg_at(s, _skip_spaces_at(s, 0))
    return param, val, s[next_pos:]


# --- kernel/params.c: types ---------------------------------------------------


class ParamOps(Protocol):
    """struct kernel_param_ops, reduced to what parse_one() uses.

    ``set(val)`` returns 0 or a POSITIVE errno (negative values are tolerated and
    read as -errno).  ``flags`` may hold KERNEL_PARAM_OPS_FL_NOARG; an ops object
    without a ``flags`` attribute counts as flags == 0.
    """

    flags: int

    def set(self, val: str | None) -> int: ...


class ParamLike(Protocol):
    """struct kernel_param, reduced to what parse_args() uses."""

    name: str
    level: int
    ops: ParamOps


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
    parse: Callable[[str | None], tuple[int, object]]
    encode: Callable[[object], bytes] | None
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


def _pr_err(line: str) -> None:
    """pr_err(): the model's kernel log."""
    _log.error("%s", line)


# --- kernel/params.c: the standard setters ------------------------------------


def _int_encoder(size: int) -> Callable[[object], bytes]:
    """Store an integer as the C variable does: two's complement, little-endian."""
    mask = (1 << (8 * size)) - 1

    def encode(value: object) -> bytes:
        return (int(value) & mask).to_bytes(size, "little")

    return encode


_StrToX = Callable[[str, int], "tuple[int, int | None]"]


def _int_parser(strtox: _StrToX) -> Callable[[str | None], tuple[int, object]]:
    """STANDARD_PARAM_DEF's param_set_<name>(): strtolfn(val, 0, kp->arg).

    val == NULL never reaches it (parse_one() refuses first); here it is EINVAL.
    """

    def parse(val: str | None) -> tuple[int, object]:
        if val is None:
            return errno.EINVAL, None
        return strtox(val, _DEFAULT_BASE)

    return parse


def _parse_bool(val: str | None) -> tuple[int, object]:
    """param_set_bool(): no "=" means "set", then strtobool()."""
    return kstrtobool("1" if val is None else val)


def _parse_invbool(val: str | None) -> tuple[int, object]:
    """param_set_invbool(): param_set_bool() into a temporary, stored negated."""
    err, value = _parse_bool(val)
    return (err, None) if err else (0, not value)


def _parse_bint(val: str | None) -> tuple[int, object]:
    """param_set_bint(): param_set_bool(), stored as an int 0/1."""
    err, value = _parse_bool(val)
    return (err, None) if err else (0, int(value))


def _parse_charp(val: str | None) -> tuple[int, object]:
    """param_set_charp(): any string up to CHARP_MAX_LEN bytes.

    The kernel has no NULL check (parse_one() keeps NULL away); here it is EINVAL.
    """
    if val is None:
        return errno.EINVAL, None
    val = _c_string(val)
    if len(val) > CHARP_MAX_LEN:
        return errno.ENOSPC, None
    return 0, val


def _charp_message(name: str, err: int) -> str | None:
    return f"{name}: string parameter too long" if err == errno.ENOSPC else None


def _encode_bool(value: object) -> bytes:
    return b"\x01" if value else b"\x00"


def string_param_type(maxlen: int | None) -> ParamType:
    """param_ops_string for module_param_string(): param_set_copystring() into a
    ``char[maxlen]`` (kparam_string.maxlen).  ``maxlen=None`` means unknown: no
    length check (PARAM_TYPES' entry, which cannot know the buffer size)."""

    def parse(val: str | None) -> tuple[int, object]:
        if val is None:
            return errno.EINVAL, None  # the kernel would strlen(NULL); parse_one() prevents it
        val = _c_string(val)
        if maxlen is not None and len(val) + 1 > maxlen:
            return errno.ENOSPC, None
        return 0, val

    def message(name: str, err: int) -> str | None:
        if err != errno.ENOSPC or maxlen is None:
            return None
        # "%u" of maxlen-1: unsigned arithmetic, so maxlen 0 prints 4294967295.
        return f"{name}: string doesn't fit in {(maxlen - 1) & _UINT_MASK} chars."

    return ParamType("param_ops_string", 0, parse, None, 0, message)


def _int_type(symbol: str, size: int, strtox: _StrToX) -> ParamType:
    return ParamType(symbol, size, _int_parser(strtox), _int_encoder(size))


def _build_param_types() -> dict[str, ParamType]:
    """The exported param_ops_* of kernel/params.c (6.1), keyed by symbol."""
    types = [
        _int_type("param_ops_byte", 1, kstrtou8),
        _int_type("param_ops_short", 2, kstrtos16),
        _int_type("param_ops_ushort", 2, kstrtou16),
        _int_type("param_ops_int", 4, kstrtoint),
        _int_type("param_ops_uint", 4, kstrtouint),
        _int_type("param_ops_long", 8, kstrtol),
        _int_type("param_ops_ulong", 8, kstrtoul),
        _int_type("param_ops_ullong", 8, kstrtoull),
        # hexint only differs from uint when read back ("%#08x").
        _int_type("param_ops_hexint", 4, kstrtouint),
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


def param_array(name: str, val: str | None, min_elems: int, max_elems: int,
                elem: ParamType) -> tuple[int, list[object]]:
    """param_array(): comma-separated elements, each through the element setter.

    Returns (errno, values).  On failure ``values`` holds the elements the
    kernel had already written into the array (and counted in *num) before it
    stopped -- it does not roll them back.  An empty element is passed to the
    setter as "" (so bool/int elements fail with EINVAL, charp accepts it).
    """
    if val is None:
        return errno.EINVAL, []  # param_array_ops has no FL_NOARG: parse_one() refuses NULL
    s = _c_string(val)
    values: list[object] = []
    pos = 0
    while True:
        if len(values) == max_elems:
            _pr_err(f"{name}: can only take {max_elems} arguments")
            return errno.EINVAL, values
        comma = s.find(",", pos)
        stop = len(s) if comma < 0 else comma
        err, value = elem.parse(s[pos:stop])
        if err:
            _report_setter_error(elem, name, err)
            return err, values
        values.append(value)
        if comma < 0:
            break
        pos = comma + 1
    if len(values) < min_elems:  # unreachable for param_array_set()'s min of 1
        _pr_err(f"{name}: needs at least {min_elems} arguments")
        return errno.EINVAL, values
    return 0, values


def param_array_split(val: str | None, max_elems: int, elem: ParamType,
                      name: str = "") -> tuple[int, list[object]]:
    """param_array_set(): param_array() with at least one element.  See param_array()."""
    return param_array(name, val, 1, max_elems, elem)


def _report_setter_error(ptype: ParamType, name: str, err: int) -> None:
    """Print what the kernel's setter prints for this error, if anything."""
    if ptype.error_message is None:
        return
    line = ptype.error_message(name, err)
    if line is not None:
        _pr_err(line)


# --- concrete parameters --------------------------------------------------------


class ModuleParam:
    """A module_param(): a kernel_param whose ops are a ParamType's setter.

    It is its own ``ops``; ``value`` models the C variable (kp->arg) and is only
    changed by a successful set, as in the kernel.
    """

    def __init__(self, name: str, ptype: ParamType, level: int = MODULE_PARAM_LEVEL,
                 value: object = None):
        self.name = name
        self.ptype = ptype
        self.level = level
        self.value = value

    @property
    def ops(self) -> ModuleParam:
        return self

    @property
    def flags(self) -> int:
        return self.ptype.flags

    def set(self, val: str | None) -> int:
        err, value = self.ptype.parse(val)
        if err:
            _report_setter_error(self.ptype, self.name, err)
            return err
        self.value = value
        return 0

    def __repr__(self) -> str:
        return f"ModuleParam({self.name!r}, {self.ptype.ops_symbol}, value={self.value!r})"


class ArrayParam:
    """A module_param_array(): param_array_ops over ``elem``, at most ``max_elems``.

    ``values`` are the elements written by the last set (partial after an
    error, as in the kernel); ``num`` models *arr->num.
    """

    flags = 0  # param_array_ops has no FL_NOARG

    def __init__(self, name: str, elem: ParamType, max_elems: int,
                 level: int = MODULE_PARAM_LEVEL):
        self.name = name
        self.elem = elem
        self.max_elems = max_elems
        self.level = level
        self.values: list[object] = []

    @property
    def ops(self) -> ArrayParam:
        return self

    @property
    def num(self) -> int:
        return len(self.values)

    def set(self, val: str | None) -> int:
        err, values = param_array_split(val, self.max_elems, self.elem, self.name)
        if val is not None:  # param_array() writes element by element before failing
            self.values = values
        return err

    def __repr__(self) -> str:
        shape = f"{self.elem.ops_symbol}[{self.max_elems}]"
        return f"ArrayParam({self.name!r}, {shape}, values={self.values!r})"


# --- kernel/params.c: parse_one() / parse_args() -------------------------------


def parameq(a: str, b: str) -> bool:
    """parameq(): names are equal when '-' and '_' are treated as the same.

    6.1 maps dashes on both sides (parameqn() over strlen(a)+1 bytes).
    """
    return _c_string(a).replace("-", "_") == _c_string(b).replace("-", "_")


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
               max_level: int, unknown: UnknownCallback | None) -> str | None:
    """parse_args(): apply every ``param[=val]`` in ``args``.

    Returns the text after a bare ``--`` argument ("" when nothing follows it),
    or None when there was none.  A failing argument does not stop the loop;
    after the loop (or at ``--``) the LAST failure is raised as ParamError --
    an error wins over after-dashes text, as in ``return err ?: args``.
    """
    s = _c_string(args)
    pos = _skip_spaces_at(s, 0)
    failures: list[tuple[int, str, str | None, str]] = []
    after_dashes: str | None = None
    while pos < len(s):
        param, val, pos = _next_arg_at(s, pos)
        if val is None and param == "--":  # "Stop at --"
            after_dashes = s[pos:]
            break
        err = parse_one(param, val, doing, params, min_level, max_level, unknown)
        if err == 0:
            continue
        message = _failure_message(doing, param, val, err)
        _pr_err(message)
        failures.append((err, param, val, message))
    if failures:
        err, param, val, message = failures[-1]
        raise ParamError(err, param, message, val=val,
                         messages=[failure[3] for failure in failures])
    return after_dashes
