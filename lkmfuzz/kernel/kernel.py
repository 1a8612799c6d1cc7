"""The simulated kernel: profile, symbols, module list, taints, sysfs, allocator, log."""

import functools

from ..faults import NO_FAULTS, FaultInjector, FaultPlan
from .alloc import Allocator
from .exports import ExportIndex
from .keyring import Keyring
from .module import Module, ModuleState
from .profile import DEFAULT_PROFILE, Profile, get_profile
from .symbols import KernelSymbolTable, release_symbols
from .sysfs import Sysfs

# alternatives_smp_module_add/del, module_bug_finalize/cleanup, the COMING/GOING
# notifier chain (jump labels, tracepoints, ...), ftrace_module_init/release_mod.
REGISTRIES = ("arch", "bug_list", "notifier", "ftrace")


class Kernel:
    def __init__(self, profile: Profile | str | None = None, symbols: KernelSymbolTable | None = None):
        self.profile = profile if isinstance(profile, Profile) else get_profile(profile or DEFAULT_PROFILE)
        self.config = self.profile.config
        self.symbols = symbols if symbols is not None else release_symbols(self.profile.release)
        self.alloc = Allocator()
        self.sysfs = Sysfs(self.alloc, self.config.builtin_modules)
        self.modules: list[Module] = []   # list_add_rcu() adds at the head
        self.taint = 0
        self.log: list[str] = []
        self.keyring = Keyring.of_release(self.profile.release)   # its build certificate (data/*/SOURCE.md)
        self.last_unloaded = ""
        # Global lists a module joins while it loads, each left by exactly one undo
        # action (or free_module): the invariant checker compares them.
        self.registries: dict[str, set] = {name: set() for name in REGISTRIES}

    def register(self, registry: str, name: str) -> None:
        self.registries[registry].add(name)

    def unregister(self, registry: str, name: str) -> None:
        self.registries[registry].discard(name)

    @property
    def hardened(self) -> bool:
        return self.profile.hardened

    def set_fault_plan(self, plan: FaultPlan | None) -> FaultInjector:
        """Start a new attempt's fault accounting (fail-nth counts from here)."""
        self.alloc.injector = FaultInjector(plan or NO_FAULTS)
        self.alloc.peak_dense = self.alloc.dense_bytes
        return self.alloc.injector

    def read_code(self, addr: int, size: int, what: str) -> None:
        """The kernel reads ``size`` bytes of code at ``addr`` (to decode, patch or call
        it).  Its own image is mapped — the model holds no bytes of it; anywhere else the
        bytes must be mapped module memory, or the read faults (OutOfBounds)."""
        if not self.symbols.is_kernel_address(addr):
            self.alloc.space.read(addr, size, what)

    def printk(self, msg: str) -> None:
        self.log.append(msg)

    def add_taint(self, bit: int) -> None:
        self.taint |= 1 << bit

    @functools.cached_property
    def exported(self) -> ExportIndex:
        """The modules' exports by name, for find_symbol(): built from the list on first
        use, then kept by the loader as modules join (verify_exported_symbols) and
        leave it (unlink_module)."""
        return ExportIndex.of(self.modules)

    @functools.cached_property
    def _modules_by_name(self) -> dict[str, list[Module]]:
        """name -> the modules of that name on the list, head first (find_module()
        without the walk): built on first use, then kept by link/unlink_module."""
        named: dict[str, list[Module]] = {}
        for mod in self.modules:
            named.setdefault(mod.name, []).append(mod)
        return named

    def link_module(self, mod: Module) -> None:
        """list_add_rcu(&mod->list, &modules): the newest module is at the head."""
        self.modules.insert(0, mod)
        self._modules_by_name.setdefault(mod.name, []).insert(0, mod)

    def unlink_module(self, mod: Module) -> None:
        """list_del_rcu(&mod->list): the module, and its exports, leave the kernel."""
        if mod in self.modules:
            self.modules.remove(mod)
        same_name = self._modules_by_name.get(mod.name, [])
        if mod in same_name:
            same_name.remove(mod)
        if not same_name:
            self._modules_by_name.pop(mod.name, None)
        self.exported.remove(mod)

    def find_module(self, name: str, even_unformed: bool = False) -> Module | None:
        """find_module_all(): the first of that name in list order, skipping UNFORMED
        unless asked."""
        for mod in self._modules_by_name.get(name, ()):
            if not even_unformed and mod.state == ModuleState.UNFORMED:
                continue
            return mod
        return None

    def live_modules(self) -> list[str]:
        return [m.name for m in self.modules if m.state != ModuleState.UNFORMED]
