"""Splitting a command line into ``param[=val]`` arguments: lib/cmdline.c next_arg()
(it moved there from kernel/params.c long ago; parse_args() is its caller)."""

import re

from .ctype import KERNEL_SPACES
from .string import c_string, skip_spaces_at

# A run of characters that are neither a blank nor a quote: next_arg() walks byte by
# byte, this lets it skip the run at once.
_PLAIN_RUN = re.compile('[^"' + "".join(sorted(KERNEL_SPACES)) + "]*")


def _argument_end(s: str, pos: int, in_quote: bool) -> int:
    """next_arg()'s scan: the first blank at or after ``pos`` outside double quotes
    (each quote toggles), or len(s)."""
    while True:
        run = _PLAIN_RUN.match(s, pos)
        assert run is not None, "a run of plain characters, maybe empty, matches anywhere"
        pos = run.end()
        if pos >= len(s):
            return pos
        if s[pos] == '"':
            in_quote = not in_quote
        elif not in_quote:
            return pos
        pos += 1


def next_arg_at(s: str, start: int) -> tuple[str, str | None, int]:
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
    return param, val, skip_spaces_at(s, next_pos)


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
    s = c_string(args)
    param, val, next_pos = next_arg_at(s, skip_spaces_at(s, 0))
    return param, val, s[next_pos:]
