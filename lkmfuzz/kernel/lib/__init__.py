"""The kernel's library helpers (lib/) that the loader's parsers use, one module per
kernel source file: ``ctype`` (include/linux/ctype.h, lib/ctype.c), ``string``
(lib/string.c), ``kstrtox`` (lib/kstrtox.c), ``cmdline`` (lib/cmdline.c).

Conventions shared by all of them:

* **Strings are C strings of bytes.**  One ``str`` character models one byte, so
  callers holding raw bytes decode them with ``latin-1``.  Like the C code,
  everything stops at the first NUL (``string.c_string``).  Characters above U+00FF
  cannot occur in the kernel; they are accepted and behave as one opaque byte that
  is neither a space nor a digit.
* **Errors are positive errno ints** from the stdlib ``errno`` module (0 = success),
  where the kernel returns ``-errno``.
* **The target is LP64 (x86_64)**: ``long`` is 64 bits.
"""
