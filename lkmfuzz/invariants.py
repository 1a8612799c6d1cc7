"""Invariant checkers: after every load or unload attempt, prove nothing leaked and
nothing was left half-done.

* A refused attempt (or an unload) must leave the kernel exactly as before: no
  allocation owned by the module, the same module list, the same sysfs tree, the
  same global registries (arch, bug list, notifiers, ftrace), and other modules'
  refcounts, dependencies and taints unchanged.  (The kernel's *global* taint may
  change: 6.1 taints before it knows the load will fail, and so does the model.)
* Every module moved only along legal state transitions.
* A loaded module has no page both writable and executable, its init memory is
  freed, its ro_after_init data read-only, and no exported symbol is duplicated.
* Resources stay bounded by the input: bytes actually held by the attempt's
  allocations are at most a small multiple of the input's size (large NOBITS
  sections are mapped lazily, as vmalloc maps them, and do not count).

A violation names the invariant, the step where the attempt ended, and the object.
"""

from dataclasses import dataclass

from .abi.arch import PAGE_SIZE
from .kernel.memory import PERM_W, PERM_X
from .kernel.module import LEGAL_TRANSITIONS, ModuleState
from .loader.regions import MODULE_LAYOUT, MODULE_MEMORY

RESOURCE_FACTOR = 8
RESOURCE_SLACK = 1 << 20


@dataclass(frozen=True)
class Violation:
    invariant: str
    step: str
    detail: str

    def __str__(self) -> str:
        return f"{self.invariant} after {self.step}: {self.detail}"


@dataclass(frozen=True)
class KernelState:
    modules: tuple          # (name, state, refcnt, taints, sources, targets), list order
    sysfs: frozenset
    allocations: dict       # id -> (site, caller, owner, tag)
    registries: dict        # name -> frozenset
    percpu: int
    dense: int              # bytes held in dense regions


def snapshot(kernel) -> KernelState:
    return KernelState(
        modules=tuple((m.name, m.state, m.refcnt, m.taints, frozenset(m.sources), frozenset(m.targets))
                      for m in kernel.modules),
        sysfs=frozenset(kernel.sysfs.nodes),
        allocations={a.id: (a.site, a.caller, a.owner, a.tag) for a in kernel.alloc.live.values()},
        registries={name: frozenset(members) for name, members in kernel.registries.items()},
        percpu=kernel.alloc.percpu_used,
        dense=kernel.alloc.dense_bytes,
    )


def check_unchanged(before: KernelState, kernel, step: str) -> list[Violation]:
    """Everything a refused load or a finished unload must have put back."""
    after = snapshot(kernel)
    out = []
    for aid in sorted(set(after.allocations) - set(before.allocations)):
        site, caller, owner, tag = after.allocations[aid]
        out.append(Violation("no-leak", step, f"{site} allocation by {caller} ({tag or 'untagged'}) "
                                              f"owned by {owner or 'nobody'} is still live"))
    for aid in sorted(set(before.allocations) - set(after.allocations)):
        site, caller, owner, tag = before.allocations[aid]
        out.append(Violation("foreign-free", step, f"{site} allocation by {caller} owned by {owner} was freed"))
    out += _compare_modules(before.modules, after.modules, step)
    for path in sorted(after.sysfs ^ before.sysfs):
        verb = "left behind" if path in after.sysfs else "removed"
        out.append(Violation("sysfs", step, f"/sys/{path} {verb}"))
    for name in before.registries:
        diff = before.registries[name] ^ after.registries[name]
        if diff:
            out.append(Violation(f"registry:{name}", step, f"{', '.join(sorted(diff))} changed on the {name} list"))
    if after.percpu != before.percpu:
        out.append(Violation("percpu", step, f"percpu use {before.percpu} -> {after.percpu} bytes"))
    return out


def _compare_modules(before: tuple, after: tuple, step: str) -> list[Violation]:
    if [m[0] for m in before] != [m[0] for m in after]:
        return [Violation("module-list", step, f"modules {[m[0] for m in before]} -> {[m[0] for m in after]}")]
    out = []
    fields = ("state", "refcounts", "taints", "dependencies", "dependencies")
    for old, new in zip(before, after, strict=False):
        for k, invariant in enumerate(fields, start=1):
            if old[k] != new[k]:
                out.append(Violation(invariant, step, f"module {old[0]}: {old[k]!r} -> {new[k]!r}"))
    return out


# The init regions of every layout scheme, by the tag their allocation carries.
INIT_REGIONS = MODULE_LAYOUT.init_regions | MODULE_MEMORY.init_regions


def check_transitions(mod, step: str) -> list[Violation]:
    return [Violation("state-transition", step, f"module {mod.name}: {old.name} -> {new.name}")
            for old, new in mod.transitions if old != new and (old, new) not in LEGAL_TRANSITIONS]


def check_loaded(kernel, mod, step: str = "load") -> list[Violation]:
    """A successfully loaded module is LIVE, W^X, without init memory, ro_after_init sealed."""
    out = []
    if mod.state != ModuleState.LIVE:
        out.append(Violation("state", step, f"module {mod.name} is {mod.state.name} after a successful load"))
    for name, area in mod.mem.items():
        for start, end, perm in area.region.perms:
            if perm & PERM_W and perm & PERM_X:
                out.append(Violation("w^x", step, f"module {mod.name} {name} [{start:#x}, {end:#x}) is writable "
                                                  f"and executable"))
    if mod.has_init_memory() or any(a.owner == mod.name and a.site == "module_alloc" and a.tag in INIT_REGIONS
                                    for a in kernel.alloc.live.values()):
        out.append(Violation("init-freed", step, f"module {mod.name} still holds its init memory"))
    if any(area.region.writable(off, 1) for area, span in mod.span_areas("ro_after_init")
           for off in _pages(span.start, span.end)):
        out.append(Violation("ro-after-init", step, f"module {mod.name} ro_after_init data is writable"))
    out += check_duplicate_exports(kernel, step)
    return out


def _pages(start: int, end: int):
    return range(start, end, PAGE_SIZE)


def check_duplicate_exports(kernel, step: str) -> list[Violation]:
    """An export that vmlinux or another module already has.  A module exporting one
    name twice itself counts only in hardened: 6.1 compares a new module's exports with
    everyone else's, never with each other (verify_exported_symbols), so the faithful
    profile loads it exactly as the real kernel does."""
    seen: dict[str, str] = {}    # export name -> the module that exported it
    out = []
    for mod in kernel.modules:
        for sym in mod.exports:
            if seen.get(sym.name) == mod.name and not kernel.hardened:
                continue
            if sym.name in seen or kernel.symbols.get(sym.name) is not None:
                other = seen.get(sym.name, "vmlinux")
                out.append(Violation("duplicate-export", step, f"{sym.name} exported by {mod.name} and {other}"))
            seen[sym.name] = mod.name
    return out


def check_resources(kernel, before: KernelState, input_len: int, step: str) -> list[Violation]:
    """The peak of bytes really held during the attempt stays within a multiple of the input."""
    held = kernel.alloc.peak_dense - before.dense
    bound = RESOURCE_FACTOR * input_len + RESOURCE_SLACK
    if held > bound:
        return [Violation("resource-bound", step, f"{held} bytes held for a {input_len}-byte input "
                                                  f"(bound {bound})")]
    return []


def check_attempt(kernel, before: KernelState, result, input_len: int) -> list[Violation]:
    """All invariants after one load attempt, success or failure."""
    step = result.verdict.step if result.verdict is not None and hasattr(result.verdict, "step") else (
        getattr(result.verdict, "site", "load"))
    out = []
    if result.module is not None:
        out += check_transitions(result.module, step)
    if result.ok:
        out += check_loaded(kernel, result.module, step)
    else:
        out += check_unchanged(before, kernel, step)
    return out + check_resources(kernel, before, input_len, step)
