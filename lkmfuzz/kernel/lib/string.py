"""C strings as the model holds them, and lib/string.c's skip_spaces()."""

import re

from .ctype import KERNEL_SPACES

# A run of kernel blanks: skip_spaces() walks byte by byte, this skips the run at once.
_SPACE_RUN = re.compile("[" + "".join(sorted(KERNEL_SPACES)) + "]*")


def c_string(s: str) -> str:
    """The C view of ``s``: everything before the first NUL."""
    nul = s.find("\0")
    return s if nul < 0 else s[:nul]


def skip_spaces_at(s: str, pos: int) -> int:
    """Index of the first non-space at or after ``pos``."""
    run = _SPACE_RUN.match(s, pos)
    assert run is not None, "a run of spaces, maybe empty, matches anywhere"
    return run.end()


def skip_spaces(s: str) -> str:
    """lib/string.c skip_spaces(): drop leading kernel whitespace."""
    s = c_string(s)
    return s[skip_spaces_at(s, 0):]
