"""The initramfs of one batch: the static /init, a manifest and the case files.

Manifest lines are what ``init.c`` reads: ``<n> <P|M> <f|i> <flags>
<module> <args|->``: P lines load a dependency of case n, M lines are the
attempts of the case itself.  Identical module bytes are stored once.
"""

import hashlib

from ..loader.syscall import user_args
from .cases import OracleCase
from .cpio import CpioWriter

CONSOLE_MAJOR, CONSOLE_MINOR = 5, 1   # /dev/console: the kernel opens it for init's stdio


class _Files:
    """Stores each distinct blob once under /cases, by content hash."""

    def __init__(self, cpio: CpioWriter):
        self.cpio = cpio
        self.paths: dict[bytes, str] = {}

    def add(self, data: bytes, suffix: str) -> str:
        key = hashlib.sha256(data).digest()
        if key not in self.paths:
            self.paths[key] = f"/cases/{key.hex()[:16]}{suffix}"
            self.cpio.file(self.paths[key][1:], data)
        return self.paths[key]


def manifest_lines(n: int, case: OracleCase, files: _Files) -> list[str]:
    lines = [f"{n} P f 0 {files.add(dep, '.ko')} -" for dep in case.preload]
    args = files.add(user_args(case.args) + b"\0", ".args") if case.args else "-"
    module = files.add(case.module, ".ko")
    lines += [f"{n} M {case.syscall[0]} {case.flags} {module} {args}"] * case.attempts
    return lines


def build_initramfs(init_binary: bytes, cases: list[OracleCase]) -> bytes:
    """A newc archive: /init, /dev/console, /cases/manifest and the case files."""
    cpio = CpioWriter()
    for directory in ("dev", "proc", "sys", "cases"):
        cpio.directory(directory)
    cpio.char_device("dev/console", CONSOLE_MAJOR, CONSOLE_MINOR)
    cpio.file("init", init_binary, executable=True)
    files = _Files(cpio)
    lines = []
    for n, case in enumerate(cases):
        lines += manifest_lines(n, case, files)
    cpio.file("cases/manifest", ("\n".join(lines) + "\n").encode())
    return bytes(cpio)
