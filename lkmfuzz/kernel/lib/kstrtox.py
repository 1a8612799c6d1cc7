"""String to integer and to bool conversions: lib/kstrtox.c as of Linux 6.1.

_parse_integer_fixup_radix(), _parse_integer(), kstrtoull(), kstrtoll(), the
narrowing kstrto*() wrappers and kstrtobool().  Each returns (errno, value): (0,
value) or (errno, None), never raises.
"""

import errno
from typing import Callable

from .ctype import isxdigit, tolower_letter
from .string import c_string

_U64_MASK = (1 << 64) - 1
_ULLONG_MAX = _U64_MASK
_OVERFLOW_WATCH = _U64_MASK & ~((1 << 60) - 1)  # ~0ull << 60: overflow only possible here
#: base 0: "0x..." is hex, "0..." octal, anything else decimal.
AUTO_BASE = 0


def _parse_integer_fixup_radix(s: str, base: int) -> tuple[str, int]:
    """_parse_integer_fixup_radix(): base 0 -> 16 for "0x<xdigit>", 8 for "0...", else 10."""
    if base == 0:
        if s[:1] == "0":
            # "0x" only means hex when a hex digit follows; "0x" alone is octal 0 + junk.
            is_hex = len(s) > 2 and tolower_letter(s[1]) == "x" and isxdigit(s[2])
            base = 16 if is_hex else 8
        else:
            base = 10
    if base == 16 and s[:1] == "0" and len(s) > 1 and tolower_letter(s[1]) == "x":
        s = s[2:]
    return s, base


def _digit_value(c: str) -> int | None:
    """The digit value _parse_integer_limit() gives ``c`` (0-9, a-f, A-F), else None."""
    if "0" <= c <= "9":
        return ord(c) - ord("0")
    lc = tolower_letter(c)
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


def kstrtoull(s: str, base: int = AUTO_BASE) -> tuple[int, int | None]:
    """kstrtoull(): optional leading '+', no '-'.  Returns (errno, value)."""
    s = c_string(s)
    if s[:1] == "+":
        s = s[1:]
    return _kstrtoull(s, base)


def kstrtoll(s: str, base: int = AUTO_BASE) -> tuple[int, int | None]:
    """kstrtoll(): optional '+' or '-' (not both).  Returns (errno, value)."""
    s = c_string(s)
    if s[:1] == "-":
        err, magnitude = _kstrtoull(s[1:], base)
        if magnitude is None:       # err is set exactly when there is no value
            return err, None
        negated = -magnitude & _U64_MASK
        # (long long)-tmp > 0 -> ERANGE: "-0" is fine, "-9223372036854775808" is LLONG_MIN.
        if 0 < negated < (1 << 63):
            return errno.ERANGE, None
        return 0, -magnitude
    err, value = kstrtoull(s, base)
    if value is None:
        return err, None
    if value >= 1 << 63:  # (long long)tmp < 0
        return errno.ERANGE, None
    return 0, value


def _narrowing(name: str, bits: int, signed: bool) -> Callable[..., tuple[int, int | None]]:
    """The kstrto<type>() pattern: kstrtoll() (signed) or kstrtoull(), then
    "tmp != (type)tmp -> -ERANGE": the value must fit ``bits``."""
    wide = kstrtoll if signed else kstrtoull
    low, high = (-(1 << (bits - 1)), 1 << (bits - 1)) if signed else (0, 1 << bits)

    def kstrto(s: str, base: int = AUTO_BASE) -> tuple[int, int | None]:
        err, value = wide(s, base)
        if value is None:
            return err, None
        if not low <= value < high:
            return errno.ERANGE, None
        return 0, value

    kstrto.__name__ = kstrto.__qualname__ = name
    kstrto.__doc__ = f"{name}(): {bits}-bit {'signed' if signed else 'unsigned'}.  Returns (errno, value)."
    return kstrto


# long is 64 bits on LP64: kstrtoul()/kstrtol() are kstrtoull()/kstrtoll() there.
kstrtoul = _narrowing("kstrtoul", 64, signed=False)
kstrtol = _narrowing("kstrtol", 64, signed=True)
kstrtouint = _narrowing("kstrtouint", 32, signed=False)
kstrtoint = _narrowing("kstrtoint", 32, signed=True)
kstrtou16 = _narrowing("kstrtou16", 16, signed=False)
kstrtos16 = _narrowing("kstrtos16", 16, signed=True)
kstrtou8 = _narrowing("kstrtou8", 8, signed=False)
kstrtos8 = _narrowing("kstrtos8", 8, signed=True)


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
    s = c_string(s)
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
