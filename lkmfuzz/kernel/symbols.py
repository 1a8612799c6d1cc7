"""The kernel's exported symbols, from Debian's real Module.symvers.

Only ``vmlinux`` exports are resolvable: the others belong to modules that are not
loaded in the simulated kernel.  Addresses are synthetic but deterministic (sorted
names, 16 bytes apart in kernel text), which is all the relocation model needs.
The parsed table is cached per process: it is 1.7 MB of text.
"""

import functools
import lzma
from dataclasses import dataclass

from ..errors import LkmfuzzError
from .release import LINUX_6_1, SYMVERS, Release

KERNEL_TEXT_BASE = 0xFFFFFFFF81000000
SYMBOL_STRIDE = 16


@dataclass(frozen=True)
class KernelSymbol:
    name: str
    addr: int
    crc: int
    gpl_only: bool
    namespace: str


class SymversError(LkmfuzzError, ValueError):
    """A Module.symvers line that cannot be parsed: names the line."""


def parse_symvers(text: str, owner: str = "vmlinux") -> list[tuple[str, int, bool, str]]:
    """Lines ``0xCRC<TAB>name<TAB>owner<TAB>EXPORT_SYMBOL[_GPL]<TAB>namespace``."""
    out = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < 4:
            raise SymversError(f"Module.symvers line {lineno}: expected 4 or 5 tab-separated fields")
        crc_text, name, mod, export = fields[:4]
        namespace = fields[4] if len(fields) > 4 else ""
        if mod != owner:
            continue
        try:
            crc = int(crc_text, 16)
        except ValueError:
            raise SymversError(f"Module.symvers line {lineno}: bad CRC {crc_text!r}") from None
        out.append((name, crc, export.endswith("_GPL"), namespace))
    return out


class KernelSymbolTable:
    def __init__(self, entries: list[tuple[str, int, bool, str]]):
        self.by_name: dict[str, KernelSymbol] = {}
        self.by_addr: dict[int, KernelSymbol] = {}
        for i, (name, crc, gpl, ns) in enumerate(sorted(entries)):
            sym = KernelSymbol(name, KERNEL_TEXT_BASE + i * SYMBOL_STRIDE, crc, gpl, ns)
            self.by_name[name] = sym
            self.by_addr[sym.addr] = sym
        self.end = KERNEL_TEXT_BASE + len(entries) * SYMBOL_STRIDE

    def __len__(self):
        return len(self.by_name)

    def get(self, name: str) -> KernelSymbol | None:
        return self.by_name.get(name)

    def at(self, addr: int) -> KernelSymbol | None:
        return self.by_addr.get(addr)

    def is_kernel_address(self, addr: int) -> bool:
        return KERNEL_TEXT_BASE <= addr < self.end


@functools.lru_cache(maxsize=None)
def release_symbols(release: Release) -> KernelSymbolTable:
    """The exports of one release's vmlinux (its Module.symvers, package data)."""
    return KernelSymbolTable(parse_symvers(lzma.decompress(release.data(SYMVERS)).decode("utf-8")))


def debian_symbols() -> KernelSymbolTable:
    """The table of the Debian 6.1 kernel the corpus was built against."""
    return release_symbols(LINUX_6_1)
