"""Simulated kernel virtual memory: module regions with page permissions.

A ``Region`` is the memory behind one allocation that holds bytes (module_alloc's
core and init areas, kmalloc'd strings).  Small regions are bytearrays; large ones
are anonymous mmaps, whose pages materialise only when touched — so a module that
declares a 1 GiB .bss costs what the kernel's vmalloc would cost in page tables,
not a gigabyte of Python memory (the "no attacker-sized allocation" rule).

``AddressSpace`` maps absolute addresses to regions.  Every access by address is
checked; an access outside any live region raises ``OutOfBounds`` (the kernel
would oops), a write to a read-only range raises it too (STRICT_MODULE_RWX).
"""

import bisect
import mmap
import struct
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from ..abi.arch import page_align
from ..elf.reader import OutOfBounds

# Above this a region is an mmap.  Low enough that the regions a load may size from the
# file's struct module (two in 6.1, seven from 6.4 on) stay within the resource bound
# (invariants.RESOURCE_SLACK) however the file sets them: 7 x 64 KiB.
DENSE_LIMIT = 64 << 10

PERM_R = 1
PERM_W = 2
PERM_X = 4
PERM_RW = PERM_R | PERM_W
PERM_RX = PERM_R | PERM_X
PERM_RWX = PERM_R | PERM_W | PERM_X


def perm_str(perm: int) -> str:
    return "".join(c if perm & bit else "-" for c, bit in (("r", PERM_R), ("w", PERM_W), ("x", PERM_X)))


class Region:
    """Bytes at [base, base+size), mapped page-aligned; ``perms`` are (start, end, perm) runs."""

    __slots__ = ("base", "size", "mapped", "buf", "perms", "label")

    def __init__(self, base: int, size: int, label: str):
        self.base = base
        self.size = size
        self.mapped = page_align(max(size, 1))
        self.buf: bytearray | mmap.mmap = (bytearray(self.mapped) if self.mapped <= DENSE_LIMIT
                                           else mmap.mmap(-1, self.mapped))
        # x86 module_alloc() maps PAGE_KERNEL (read-write, no exec); complete_formation()
        # makes text executable and read-only data read-only.
        self.perms: list[tuple[int, int, int]] = [(0, self.mapped, PERM_RW)]
        self.label = label

    @property
    def dense(self) -> bool:
        return self.mapped <= DENSE_LIMIT

    def contains(self, addr: int, size: int) -> bool:
        return self.base <= addr and addr + size <= self.base + self.mapped

    def set_perm(self, start: int, end: int, perm: int) -> None:
        """Set permission on [start, end) (offsets), keeping runs sorted and merged."""
        if start >= end:
            return
        runs: list[tuple[int, int, int]] = []
        for s, e, p in self.perms:
            if e <= start or s >= end:
                runs.append((s, e, p))
                continue
            if s < start:
                runs.append((s, start, p))
            if e > end:
                runs.append((end, e, p))
        runs.append((start, end, perm))
        runs.sort()
        merged: list[tuple[int, int, int]] = []
        for run in runs:
            if merged and merged[-1][1] == run[0] and merged[-1][2] == run[2]:
                merged[-1] = (merged[-1][0], run[1], run[2])
            else:
                merged.append(run)
        self.perms = merged

    def perm_at(self, off: int) -> int:
        for s, e, p in self.perms:
            if s <= off < e:
                return p
        return 0

    def writable(self, off: int, size: int) -> bool:
        return all(p & PERM_W for s, e, p in self.perms if s < off + size and e > off)

    def release(self) -> None:
        if isinstance(self.buf, mmap.mmap):
            self.buf.close()
        self.buf = bytearray()


class TableView:
    """A table of fixed-size entries at ``addr``: one region lookup, then direct access.

    Entries outside the region the table starts in (a count or index the kernel does
    not check) go through the address space's checked path, so they fault exactly
    where the kernel would.  Writes do not check permissions: the loader writes
    tables before complete_formation() protects them."""

    __slots__ = ("space", "addr", "entsize", "count", "what", "buf", "off")

    def __init__(self, space: "AddressSpace", addr: int, entsize: int, count: int, what: str):
        self.space, self.addr, self.entsize, self.count, self.what = space, addr, entsize, count, what
        region = space.find(addr, entsize * count) if count else None
        self.buf: bytearray | mmap.mmap | None   # the region's buffer; None: entries go through ``space``
        self.off: int
        if region is None:
            self.buf, self.off = None, 0
        else:
            self.buf, self.off = region.buf, addr - region.base

    def holds(self, i: int, size: int) -> bool:
        """Whether ``size`` bytes from entry i lie in the table (and so in its region)."""
        return self.buf is not None and 0 <= i and i * self.entsize + size <= self.count * self.entsize

    def unpack(self, st: struct.Struct, i: int) -> tuple[Any, ...]:
        if self.holds(i, st.size):
            # holds() is True only with a buffer, which mypy cannot see through the call.  The
            # call stays (no narrowing of self.buf here): holds() is the one bounds check, the
            # one tests/support/seeded_bug_harness.py replaces, and a check added for the type
            # checker would cost every call on this hot path.
            return st.unpack_from(self.buf, self.off + i * self.entsize)  # type: ignore[arg-type]
        return self.space.unpack(st, self.addr + i * self.entsize, f"{self.what} {i}")

    def iter(self, st: struct.Struct) -> Iterator[tuple[Any, ...]]:
        """All entries in order; in one region, unpacked lazily from the live buffer.

        Not struct.iter_unpack over a memoryview slice: on CPython 3.11 that crashed the
        interpreter in the garbage collector while the bytearray behind it was written
        (seen in tests/test_random_mutations.py, arrparam mutant 666)."""
        if self.buf is not None and st.size == self.entsize:
            # map() over a bound unpack_from reads each entry when it is reached, as the
            # generator it replaces did, at C speed (the loader's hottest loops).
            start = self.off
            return map(partial(st.unpack_from, self.buf), range(start, start + self.count * self.entsize,
                                                                  self.entsize))
        return (self.unpack(st, i) for i in range(self.count))

    def u64_column(self, field_offset: int) -> list[int] | None:
        """The u64 at ``field_offset`` of every entry, read at C speed — when the table lies
        in one region and its entries are whole u64 words; else None (read the entries)."""
        if self.buf is None or self.entsize % 8 or field_offset % 8:
            return None
        start, words_per_entry = self.off, self.entsize // 8
        # Released at once: a live memoryview of a region's buffer is what the note in
        # iter() warns of.
        with memoryview(self.buf) as whole, whole[start:start + self.count * self.entsize] as table, \
                table.cast("Q") as words:
            return words[field_offset // 8::words_per_entry].tolist()

    def field_setter(self, st: struct.Struct, field_offset: int) -> Callable[[int, Any], None]:
        """A function (i, value) that stores ``value`` (packed by ``st``) in the field at
        ``field_offset`` of entry i, for i < count: the loops that rewrite one field of
        every entry, where a write() per entry was a large share of a load."""
        if self.buf is not None:
            buf, base, entsize, pack_into = self.buf, self.off + field_offset, self.entsize, st.pack_into
            return lambda i, value: pack_into(buf, base + i * entsize, value)
        return lambda i, value: self.write(i, st.pack(value), field_offset)

    def write(self, i: int, data: bytes, field_offset: int = 0) -> None:
        """Entry i's bytes from ``field_offset`` on (a whole entry, or one field of it)."""
        if self.holds(i, field_offset + len(data)):
            start = self.off + i * self.entsize + field_offset
            self.buf[start:start + len(data)] = data  # type: ignore[index]  # buffer: holds() (see unpack)
        else:
            self.space.write(self.addr + i * self.entsize + field_offset, data, f"{self.what} {i}", check_perm=False)


class AddressSpace:
    """Live regions sorted by base address."""

    def __init__(self) -> None:
        self._bases: list[int] = []
        self._regions: list[Region] = []

    def map(self, region: Region) -> None:
        i = bisect.bisect_left(self._bases, region.base)
        self._bases.insert(i, region.base)
        self._regions.insert(i, region)

    def unmap(self, region: Region) -> None:
        i = bisect.bisect_left(self._bases, region.base)
        if i < len(self._regions) and self._regions[i] is region:
            del self._bases[i]
            del self._regions[i]

    def find(self, addr: int, size: int = 1) -> Region | None:
        i = bisect.bisect_right(self._bases, addr) - 1
        if i >= 0:
            region = self._regions[i]
            if region.base <= addr and addr + size <= region.base + region.mapped:   # region.contains(), inline
                return region
        return None

    def regions(self) -> list[Region]:
        return list(self._regions)

    def _locate(self, addr: int, size: int, what: str, write: bool) -> tuple[Region, int]:
        region = self.find(addr, size)
        if region is None:
            verb = "write" if write else "read"
            raise OutOfBounds(f"{what}: {verb} of {size} bytes at {addr:#x} outside mapped memory", addr, size, write)
        return region, addr - region.base

    def read(self, addr: int, size: int, what: str = "read") -> bytes:
        region, off = self._locate(addr, size, what, False)
        return bytes(region.buf[off:off + size])

    def unpack(self, st: struct.Struct, addr: int, what: str = "read") -> tuple[Any, ...]:
        region, off = self._locate(addr, st.size, what, False)
        return st.unpack_from(region.buf, off)

    def write(self, addr: int, data: bytes, what: str = "write", check_perm: bool = True) -> None:
        region, off = self._locate(addr, len(data), what, True)
        if check_perm and not region.writable(off, len(data)):
            raise OutOfBounds(f"{what}: write of {len(data)} bytes at {addr:#x} into read-only memory "
                              f"({region.label})", addr, len(data), True)
        region.buf[off:off + len(data)] = data

    def cstring(self, addr: int, what: str = "string", limit: int = 1 << 16) -> bytes:
        """strlen()-style read from memory; faults at the end of the region."""
        region, off = self._locate(addr, 1, what, False)
        stop = min(region.mapped, off + limit)
        end = region.buf.find(b"\0", off, stop)
        if end < 0:
            if stop == region.mapped:
                raise OutOfBounds(f"{what}: string at {addr:#x} runs past the end of {region.label}", addr, 1)
            return bytes(region.buf[off:stop])
        return bytes(region.buf[off:end])


__all__ = ["Region", "AddressSpace", "PERM_R", "PERM_W", "PERM_X", "PERM_RW",
           "PERM_RX", "PERM_RWX", "perm_str"]
