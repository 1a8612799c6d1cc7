"""The kernel's temporary copy of the module file, and what the loader has read from it.

load_module() works on a vmalloc'd copy of the file (``info->hdr``, ``len`` bytes):
it reads headers, names and tables from it, and writes into it too (6.1 keeps
``info->mod`` there until move_module(), and check_modinfo() sets taints in it).
``CopyView`` owns that copy — its bytes as the loader reads them (``Image``), the
vmalloc holding them in the simulated address space — and the loader's memoised reads
of it: the kernel reads section names, the string table, ``__versions`` names and the
.modinfo walk again and again, and the model reads each once.

Every write into the copy goes through ``write()``, which forgets each memo that was
read from the bytes written: a later read sees the write, as the kernel's would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..elf.reader import Image

if TYPE_CHECKING:
    from ..kernel.alloc import Allocation
    from ..kernel.memory import AddressSpace

# The memos, named for write() (each remembers the span of the copy it was read from).
NAMES, STRTAB, VERSIONS, MODINFO = "names", "strtab", "versions", "modinfo"


@dataclass(eq=False, slots=True)
class CopyView:
    image: Image
    alloc: Allocation | None = None         # the vmalloc holding the copy (copy_module_from_user/kernel_read_file)
    # Section names read so far (index -> bytes); ``names_complete`` once every name from
    # section 1 on is read, and then ``name_index`` (name -> indices, in order).
    names: dict[int, bytes] = field(default_factory=dict)
    names_complete: bool = False
    name_index: dict[bytes, list[int]] | None = None
    strtab: bytes | None = None             # the NUL-terminated string table's bytes (b"": read each name alone)
    versions: list[bytes] = field(default_factory=list)   # __versions names read so far, from entry 0
    versions_index: dict[bytes, int] = field(default_factory=dict)   # name -> its first entry among those
    modinfo: tuple | None = None            # (index.info, the strings get_next_modinfo visits, the fault ending it)
    # (start, end, index) of every section's contents in the file: where they lie never
    # changes after elf_validity_check(), so no write forgets them.
    content_spans: list[tuple[int, int, int]] | None = None
    # memo name -> [start, end) of the copy's bytes it was read from
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)

    def note(self, memo: str, start: int, stop: int) -> None:
        """``memo`` now also holds what was read from the copy's [start, stop)."""
        span = self.spans.get(memo)
        if span is None:
            self.spans[memo] = (start, stop)
        elif start < span[0] or stop > span[1]:
            self.spans[memo] = (min(span[0], start), max(span[1], stop))

    def write(self, space: AddressSpace, off: int, data: bytes, what: str) -> None:
        """The kernel stores ``data`` at file offset ``off`` of its copy; every memo read
        from the bytes written is forgotten."""
        assert self.alloc is not None, "the copy is written only while it is allocated"
        space.write(self.alloc.addr + off, data, what, check_perm=False)
        self.image.write(off, data, what)
        end = off + len(data)
        for memo, (start, stop) in list(self.spans.items()):
            if off < stop and start < end:
                self.forget(memo)

    def forget(self, memo: str) -> None:
        del self.spans[memo]
        if memo == STRTAB:
            self.strtab = None
        elif memo == NAMES:
            self.names.clear()
            self.names_complete, self.name_index = False, None
        elif memo == VERSIONS:
            self.versions.clear()
            self.versions_index.clear()
        else:
            self.modinfo = None

    def nul_terminated(self, start: int, size: int, memo: str) -> bytes:
        """The copy's bytes [start, start+size) when they lie in the file and end in NUL —
        so every string that starts in them ends in them — noted as read for ``memo``;
        else b""."""
        end = start + size
        if not (size and 0 <= start and end <= self.image.len):
            return b""
        data = self.image.read(start, size, memo)
        if data[-1]:
            return b""
        self.note(memo, start, end)
        return data
