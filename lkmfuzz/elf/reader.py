"""Bounds-checked views over raw bytes.

``Image`` is the kernel's temporary copy of the module file: ``kernel_read_file``
vmallocs exactly ``len`` bytes, rounded up to a page by vmalloc; Debian's 6.1
boots with init_on_alloc, so the slack up to the page end reads as zeros and the
guard page after it faults.  Reads in the slack therefore succeed with zeros,
and reads beyond it raise ``OutOfBounds`` — which the ``linux-6.1`` profile turns
into a kernel-fault verdict and the ``hardened`` profile into ENOEXEC.

Nothing here allocates memory sized by a field of the input: every read is a
``struct.unpack_from`` or a slice whose length is bounded by the buffer.
"""

from struct import Struct
from typing import Any

from ..abi.arch import PAGE_SIZE, page_align
from ..abi.types import S32, S64, U8, U16, U32, U64
from .structs import EHDR, SHDR, SYM, Ehdr, Shdr, Sym


class OutOfBounds(Exception):
    """An access outside mapped memory: internal signal, never a verdict by itself.

    The loader converts it (see ``loader.context``) into the profile's verdict,
    naming the kernel function that would have faulted.
    """

    def __init__(self, what: str, addr: int | None = None, size: int = 0, write: bool = False,
                 wild: bool = False):
        super().__init__(what)
        self.what = what
        self.addr = addr
        self.size = size
        self.write = write
        # Past the guard page, where whatever vmalloc'd next may be mapped: the kernel may
        # oops or go on with garbage (Image.out_of_bounds).
        self.wild = wild


# The temporary copy is vmalloc'd: one unmapped guard page follows its last page, and
# past that lie the next vmalloc allocations (kernel stacks, other copies), packed at
# the start of the vmalloc area — often mapped.  Measured on 6.1 and 6.12 under qemu:
# names read 52 KB, 480 KB and 3 MB past a 7 KB copy were read (garbage, no oops); one
# read 2 GiB away oopsed.  Within this reach past the guard page the outcome is unknown.
WILD_REACH = 64 << 20


class Image:
    """Page-padded view of the module file (the kernel's ``info->hdr``).

    The kernel writes into this copy too (6.1 keeps ``info->mod``, the struct module
    the file brings, in it until move_module()): ``write`` changes the bytes later
    reads see; what lands in the zero slack is kept apart in ``slack``."""

    __slots__ = ("buf", "data", "len", "mapped", "slack", "strict")

    def __init__(self, data: bytes, strict: bool = False):
        """``strict``: past the file's last byte nothing is mapped (the hardened loader:
        every read there is an access no validation check vouched for)."""
        self.buf = bytearray(data)          # the copy; ``data`` views it (bytearray.find, no copy)
        self.data = memoryview(self.buf)
        self.len = len(self.data)
        self.mapped = self.len if strict else page_align(self.len)
        self.slack: bytearray | None = None   # mapped - len bytes, once something is written there
        self.strict = strict

    def out_of_bounds(self, what: str, off: int, size: int, write: bool = False) -> OutOfBounds:
        """The fault of an access at ``off``: certain up to the guard page after the copy,
        wild (outcome unknown) beyond it within WILD_REACH; a strict image has no such
        nuance (hardened: every such access is a missing check)."""
        guard_end = page_align(self.len) + PAGE_SIZE
        wild = not self.strict and guard_end <= off < guard_end + WILD_REACH
        return OutOfBounds(what, off, size, write, wild)

    def write(self, off: int, data: bytes, what: str = "write") -> None:
        """Store ``data`` at ``off``; beyond the mapped pages the kernel's write faults."""
        end = off + len(data)
        if not (0 <= off and end <= self.mapped):
            raise self.out_of_bounds(f"{what} at file offset {off:#x}+{len(data)} beyond the {self.len}-byte "
                                     f"image", off, len(data), write=True)
        inside = max(0, min(end, self.len) - off)
        self.data[off:off + inside] = data[:inside]
        if inside < len(data):
            if self.slack is None:
                self.slack = bytearray(self.mapped - self.len)
            start = off + inside - self.len
            self.slack[start:start + len(data) - inside] = data[inside:]

    def _check(self, off: int, size: int, what: str) -> bool:
        """True when [off, off+size) lies in the file; False when only in the zero slack."""
        end = off + size
        if 0 <= off and end <= self.len:
            return True
        if 0 <= off and end <= self.mapped:
            return False
        raise self.out_of_bounds(f"{what} at file offset {off:#x}+{size} beyond the {self.len}-byte image", off, size)

    def read(self, off: int, size: int, what: str = "read") -> bytes:
        if self._check(off, size, what):
            return bytes(self.data[off:off + size])
        head = bytes(self.data[off:self.len]) if off < self.len else b""
        if self.slack is None:
            return head + bytes(size - len(head))
        start = max(off, self.len) - self.len
        return head + bytes(self.slack[start:start + size - len(head)])

    def unpack(self, st: Struct, off: int, what: str) -> tuple[Any, ...]:
        if self._check(off, st.size, what):
            return st.unpack_from(self.data, off)
        return st.unpack_from(self.read(off, st.size, what))

    def u8(self, off: int, what: str = "u8") -> int:
        return self.unpack(U8, off, what)[0]

    def u16(self, off: int, what: str = "u16") -> int:
        return self.unpack(U16, off, what)[0]

    def u32(self, off: int, what: str = "u32") -> int:
        return self.unpack(U32, off, what)[0]

    def s32(self, off: int, what: str = "s32") -> int:
        return self.unpack(S32, off, what)[0]

    def u64(self, off: int, what: str = "u64") -> int:
        return self.unpack(U64, off, what)[0]

    def s64(self, off: int, what: str = "s64") -> int:
        return self.unpack(S64, off, what)[0]

    def ehdr(self) -> Ehdr:
        return Ehdr(*self.unpack(EHDR, 0, "ELF header"))

    def shdr(self, off: int, what: str = "section header") -> Shdr:
        return Shdr(*self.unpack(SHDR, off, what))

    def sym(self, off: int, what: str = "symbol") -> Sym:
        return Sym(*self.unpack(SYM, off, what))

    def cstring(self, off: int, what: str = "string") -> bytes:
        """strlen()-style read: up to the first NUL, faulting if none before the guard page."""
        if 0 <= off < self.len:
            # Fast path (symbol and section names): a NUL inside the file.
            copy = self.buf
            end = copy.find(b"\0", off, self.len)
            if end >= 0:
                return bytes(copy[off:end])
        if not 0 <= off < self.mapped:
            raise self.out_of_bounds(f"{what} at file offset {off:#x} outside the {self.len}-byte image", off, 1)
        if off >= self.len:
            return b""  # zero slack: an empty string
        end = self.buf.find(b"\0", off, self.len)
        if end < 0:
            if self.len < self.mapped:
                return bytes(self.data[off:self.len])  # terminated by the zero slack
            raise OutOfBounds(f"{what} at file offset {off:#x} runs past the end of the image", off, self.len - off)
        return bytes(self.data[off:end])

    def window(self, off: int, size: int, what: str = "read") -> bytes:
        """Bytes of [off, off+size) clipped to the mapped image (slack reads as zeros).

        For loops that stop early (strncmp, the modinfo walk): the caller raises
        ``OutOfBounds`` itself only if it needs a byte past the clip.
        """
        if not 0 <= off < self.mapped:
            raise self.out_of_bounds(f"{what} at file offset {off:#x} outside the {self.len}-byte image", off, 1)
        end = min(off + max(size, 0), self.mapped)
        return self.read(off, end - off, what)

    def cstring_within(self, off: int, limit: int) -> bytes | None:
        """The string at ``off`` if a NUL occurs before ``limit`` (exclusive), else None."""
        if not 0 <= off < limit <= self.len:
            return None
        end = self.buf.find(b"\0", off, limit)
        return None if end < 0 else bytes(self.data[off:end])
