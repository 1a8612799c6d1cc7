"""Character classes: include/linux/ctype.h over lib/ctype.c's Latin-1 ``_ctype[]``."""

# The kernel's _ctype[] marks 9..13, 32 and 160 (Latin-1 NBSP) as _S: isspace()
# is true for all of them, so 0xA0 splits arguments just like a blank.
KERNEL_SPACES = frozenset("\t\n\v\f\r \xa0")
HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def isspace(c: str) -> bool:
    """isspace() from include/linux/ctype.h over the Latin-1 _ctype[] table."""
    return c in KERNEL_SPACES


def isxdigit(c: str) -> bool:
    return c in HEX_DIGITS


def tolower_letter(c: str) -> str:
    """include/linux/ctype.h _tolower(): just sets bit 5 (only meaningful for letters)."""
    return chr(ord(c) | 0x20)
