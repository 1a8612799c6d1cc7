"""Taint flags (include/linux/panic.h, kernel/panic.c taint_flags[])."""

TAINT_PROPRIETARY_MODULE = 0
TAINT_FORCED_MODULE = 1
TAINT_FORCED_RMMOD = 3
TAINT_WARN = 9
TAINT_CRAP = 10
TAINT_OOT_MODULE = 12
TAINT_UNSIGNED_MODULE = 13
TAINT_LIVEPATCH = 15
TAINT_TEST = 18

# bit -> (letter, shown per module?)
TAINT_LETTERS = {
    TAINT_PROPRIETARY_MODULE: ("P", True),
    TAINT_FORCED_MODULE: ("F", True),
    TAINT_FORCED_RMMOD: ("R", False),
    TAINT_WARN: ("W", False),
    TAINT_CRAP: ("C", True),
    TAINT_OOT_MODULE: ("O", True),
    TAINT_UNSIGNED_MODULE: ("E", True),
    TAINT_LIVEPATCH: ("K", True),
    TAINT_TEST: ("N", True),
}


def taint_string(mask: int, module_only: bool = False) -> str:
    """The letters of ``mask`` in bit order, like /sys/module/*/taint or module_flags()."""
    return "".join(letter for bit, (letter, per_module) in sorted(TAINT_LETTERS.items())
                   if mask & (1 << bit) and (per_module or not module_only))
