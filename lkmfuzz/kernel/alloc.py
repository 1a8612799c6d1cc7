"""The one allocator of the simulated kernel.

Every allocation the loader makes goes through ``Allocator.alloc`` with its site
(the allocator kind: vmalloc, module_alloc, percpu, kmalloc, strdup, sysfs) and its
caller (the kernel function), so that a fault plan can fail it and the invariant
checker can find what a failed or unloaded module left behind.  Allocations that
hold bytes get a ``Region`` mapped in the address space.
"""

import bisect
import errno
import itertools
from dataclasses import dataclass, field

from ..abi.arch import PAGE_SIZE, page_align
from ..faults import FaultInjector
from .memory import AddressSpace, Region

# Address ranges, as on x86-64 (arch/x86/include/asm/pgtable_64_types.h).
VMALLOC_START = 0xFFFFC90000000000
MODULES_VADDR = 0xFFFFFFFFC0000000
MODULES_END = 0xFFFFFFFFFF000000
KMALLOC_START = 0xFFFF888100000000
# The per-cpu "address" of a module's percpu block is an offset in the percpu area.
PERCPU_MODULE_BASE = 0x32000
PERCPU_MODULE_RESERVE = 8 << 10  # PERCPU_MODULE_RESERVE in include/linux/percpu.h


class AllocFailed(Exception):
    """An allocation that fails — injected by a fault plan, or a module_alloc() with no room
    left in the module area — carrying the errno the site returns."""

    def __init__(self, site: str, caller: str, err: int = errno.ENOMEM):
        super().__init__(f"{caller}: {site} allocation failed")
        self.site = site
        self.caller = caller
        self.errno = err


@dataclass(eq=False, slots=True)
class Allocation:
    id: int
    site: str
    caller: str
    size: int
    owner: str | None
    addr: int
    region: Region | None = None
    freed: bool = False
    tag: str = ""


@dataclass
class Allocator:
    space: AddressSpace = field(default_factory=AddressSpace)
    injector: FaultInjector = field(default_factory=FaultInjector)
    live: dict[int, Allocation] = field(default_factory=dict)    # id -> not yet freed
    _ids: "itertools.count[int]" = field(default_factory=itertools.count)   # quoted: not subscriptable in 3.11
    _next_vmalloc: int = VMALLOC_START
    # Live module_alloc() spans (start, end), sorted: the module area is bounded, and
    # what an unloaded module freed is handed out again, first fit, as vmalloc would.
    _module_spans: list[tuple[int, int]] = field(default_factory=list)
    # How many spans from the first lie end to end from MODULES_VADDR, no gap before
    # any: first fit starts after them (with thousands of modules loaded, the area is
    # one packed run and walking it dominated a load).  Any smaller count is still
    # right, only slower: 0 always is.
    _packed_spans: int = 0
    _next_kmalloc: int = KMALLOC_START
    percpu_used: int = 0
    dense_bytes: int = 0      # bytes held in bytearray-backed regions (mmap ones are lazy)
    peak_dense: int = 0       # highest dense_bytes since the current attempt began

    def fault_point(self, site: str, caller: str, err: int = errno.ENOMEM) -> None:
        """A fallible operation that allocates nothing we track (e.g. a notifier)."""
        if self.injector.should_fail(site, caller):
            raise AllocFailed(site, caller, err)

    def alloc(self, site: str, caller: str, size: int, owner: str | None,
              backed: bool = False, tag: str = "") -> Allocation:
        if self.injector.should_fail(site, caller):
            raise AllocFailed(site, caller)
        addr = self._place(site, size, caller)
        a = Allocation(next(self._ids), site, caller, size, owner, addr, tag=tag)
        if backed:
            a.region = Region(addr, size, f"{caller}:{tag or site}")
            self.space.map(a.region)
            if a.region.dense:
                self.dense_bytes += a.region.mapped
                self.peak_dense = max(self.peak_dense, self.dense_bytes)
        self.live[a.id] = a
        return a

    def _place(self, site: str, size: int, caller: str) -> int:
        # Each range hands out page-aligned blocks with a guard page between them, as
        # vmalloc does, so a stray access past one block never lands in the next.
        span = page_align(max(size, 1)) + PAGE_SIZE
        if site == "module_alloc":
            addr = self._module_area_fit(span, caller)
        elif site == "percpu":
            addr = PERCPU_MODULE_BASE + self.percpu_used
            self.percpu_used += size
        elif site == "vmalloc":
            addr, self._next_vmalloc = self._next_vmalloc, self._next_vmalloc + span
        else:
            addr, self._next_kmalloc = self._next_kmalloc, self._next_kmalloc + span
        return addr

    def _module_area_fit(self, span: int, caller: str) -> int:
        """The lowest address in [MODULES_VADDR, MODULES_END) where ``span`` bytes fit
        between the live module allocations; none: module_alloc() returns NULL."""
        spans, first = self._module_spans, self._packed_spans
        start = spans[first - 1][1] if first else MODULES_VADDR
        for i in range(first, len(spans)):
            lo, hi = spans[i]
            if start + span <= lo:
                self._take_module_span(i, start, span)
                return start
            start = hi
        if start + span > MODULES_END:
            raise AllocFailed("module_alloc", caller)
        if first == len(spans):      # the usual case: at the end of the packed run
            spans.append((start, start + span))
            self._packed_spans = first + 1
        else:
            self._take_module_span(len(spans), start, span)
        return start

    def _take_module_span(self, i: int, start: int, span: int) -> None:
        """Insert the span at index ``i``.  First fit puts a block at the start of a gap,
        so a block in the first gap extends the packed run: count it again from there."""
        spans = self._module_spans
        spans.insert(i, (start, start + span))
        if i == self._packed_spans:
            packed, count = i + 1, len(spans)
            while packed < count and spans[packed][0] == spans[packed - 1][1]:
                packed += 1
            self._packed_spans = packed

    def _free_module_span(self, addr: int) -> None:
        spans = self._module_spans
        i = bisect.bisect_left(spans, (addr,))
        if i < len(spans) and spans[i][0] == addr:
            del spans[i]
            # The span after it (if any) now has a gap before it.
            self._packed_spans = min(self._packed_spans, i)

    def free(self, a: Allocation | None) -> None:
        """kfree/vfree/module_memfree: freeing None is a no-op, as kfree(NULL) is."""
        if a is None or a.freed:
            return
        a.freed = True
        self.live.pop(a.id, None)
        if a.site == "percpu":
            self.percpu_used -= a.size
        elif a.site == "module_alloc":
            self._free_module_span(a.addr)
        if a.region is not None:
            if a.region.dense:
                self.dense_bytes -= a.region.mapped
            self.space.unmap(a.region)
            a.region.release()

    def owned_by(self, owner: str) -> list[Allocation]:
        return [a for a in self.live.values() if a.owner == owner]
