"""struct module, as far as the model needs it, and its state machine."""

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..elf.reader import Image
from .alloc import Allocation
from .taint import taint_string


class ModuleParam(Protocol):
    """One of the module's struct kernel_param, as the loader decoded it (the loader's
    kparams.BoundParam): named, and bound to the temporary copy it was read from."""

    @property
    def name(self) -> str: ...

    @property
    def perm(self) -> int: ...

    @property
    def image(self) -> Image: ...


class ModuleState(enum.IntEnum):
    LIVE = 0
    COMING = 1
    GOING = 2
    UNFORMED = 3


# The transitions load_module(), do_init_module(), delete_module() and free_module()
# make; anything else is an invariant violation.
LEGAL_TRANSITIONS = frozenset({
    (ModuleState.UNFORMED, ModuleState.COMING),   # complete_formation
    (ModuleState.COMING, ModuleState.LIVE),       # do_init_module
    (ModuleState.COMING, ModuleState.GOING),      # bug_cleanup / coming_cleanup / init failed
    (ModuleState.UNFORMED, ModuleState.GOING),    # bug_cleanup reached before formation completed
    (ModuleState.LIVE, ModuleState.GOING),        # try_stop_module
    (ModuleState.GOING, ModuleState.UNFORMED),    # free_module
})


@dataclass(frozen=True)
class ExportedSymbol:
    name: str
    addr: int
    crc: int | None
    gpl_only: bool
    namespace: str     # vmlinux exports; a module's is read only when used (namespace_addr)
    owner: str | None  # None: vmlinux
    namespace_addr: int | None = None


@dataclass(frozen=True)
class Span:
    """A run [start, end) of one of the module's memory regions with one purpose ("text",
    "rodata", "ro_after_init", "data"), in init memory or not (loader/regions.py)."""
    region: str
    start: int
    end: int
    kind: str
    init: bool


@dataclass(eq=False)
class Module:
    name: str
    state: ModuleState = ModuleState.UNFORMED
    taints: int = 0
    refcnt: int = 0
    sig_ok: bool = False
    using_gplonly_symbols: bool = False
    async_probe_requested: bool = False
    livepatch: bool = False
    # memory: the regions move_module() allocated (6.1: "core", "init"; 6.4 on: one per
    # mod_mem_type) and what each part of them is for
    mem: dict[str, Allocation] = field(default_factory=dict)
    spans: list[Span] = field(default_factory=list)
    percpu: Allocation | None = None   # percpu
    # module_use links: names of modules we use (targets) and that use us (sources)
    targets: dict[str, Allocation] = field(default_factory=dict)   # name -> the module_use's allocation
    sources: set[str] = field(default_factory=set)
    # pieces set up during the load
    args: bytes = b""
    args_alloc: Allocation | None = None
    version: Allocation | None = None      # kstrdup'ed modinfo version (None: absent)
    srcversion: Allocation | None = None
    exports: list[ExportedSymbol] = field(default_factory=list)
    kallsyms: list[tuple[str, int, str]] = field(default_factory=list)  # (name, value, type) core symbols
    params: Sequence[ModuleParam] = field(default_factory=list)    # decoded struct kernel_param
    param_allocs: dict[int, Allocation] = field(default_factory=dict)  # variable address -> kmalloc_parameter
    section_addrs: dict[int, int] = field(default_factory=dict)  # section index -> final address (SHF_ALLOC ones)
    init_fn: int = 0
    exit_fn: int = 0
    sysfs_dir: str = ""
    freeinit: Allocation | None = None
    elf_copy: Allocation | None = None     # copy_module_elf() for livepatch modules
    transitions: list[tuple[ModuleState, ModuleState]] = field(default_factory=list)

    def set_state(self, new: ModuleState) -> None:
        self.transitions.append((self.state, new))
        self.state = new

    @property
    def taint_letters(self) -> str:
        return taint_string(self.taints, module_only=True)

    def within(self, addr: int) -> bool:
        """within_module_core() || within_module_init(): anywhere in its memory."""
        for area in self.mem.values():      # a loop: asked for every pointer a check tests
            if area.addr <= addr < area.addr + area.size:
                return True
        return False

    def within_text(self, addr: int) -> bool:
        for span in self.spans:
            if span.kind == "text" and span.region in self.mem:
                if span.start <= addr - self.mem[span.region].addr < span.end:
                    return True
        return False

    def span_areas(self, kind: str):
        """(allocation, span) of every allocated span of this kind."""
        return [(self.mem[span.region], span) for span in self.spans if span.kind == kind and span.region in self.mem]

    def has_init_memory(self) -> bool:
        return any(span.init and span.region in self.mem for span in self.spans)

    def init_regions(self) -> list[str]:
        return sorted({span.region for span in self.spans if span.init and span.region in self.mem})
