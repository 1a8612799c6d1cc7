"""load_module(): the orchestrator, in the kernel's order, with its unwind as a stack.

Each step is a function named after the kernel's; each successful setup pushes
the undo label the kernel's error path would reach for it (free_copy ...
sysfs_cleanup).  On any failure the stack unwinds innermost first, so each label
runs exactly when the kernel's goto chain would run it — and each one is a named,
separately testable function (``UNDO_ACTIONS``).

Whatever the input, ``init_module``/``finit_module`` return a ``LoadResult`` whose
verdict is None (loaded), a LoadError (errno), a KernelFault (a real kernel's
profile) or an UnvalidatedAccess (hardened: a missing check).
Anything else escaping is a bug in the model.
"""

import errno
from dataclasses import dataclass, field
from typing import Callable

from ..abi.module import (
    LIST_HEAD,
    MODULE_HEAD,
    MODULE_NAME_LEN,
    MODULE_REF_BASE,
    MTN_MOD,
    MTN_RB_NODES,
    RB_BLACK,
)
from ..abi.types import U32, U64
from ..elf.reader import OutOfBounds
from ..errors import AccessVerdict, LoadError, UnvalidatedAccess, Verdict
from ..kernel import taint as T
from ..kernel.alloc import AllocFailed
from ..kernel.module import Module, ModuleState
from ..kernel.profile import CLEANUP_LABELS
from .arch import module_arch_cleanup, module_finalize
from .context import MODULE_INIT_FLAGS, LoadInfo
from .elf_validity import elf_validity_check
from .hardening import has_checks, validate_relocated, validate_relocations, validate_tables
from .init import do_init_module, free_module_memory, read_init_exit, unlink_module
from .kallsyms import add_kallsyms, ftrace_module_enable
from .kparams import destroy_params, module_parse_args, read_param_ops_free, release_params
from .layout import layout_and_allocate, percpu_modalloc
from .load_info import blacklisted, rewrite_section_headers, setup_load_info
from .modinfo import check_modinfo, free_modinfo, module_augment_kernel_taints, setup_modinfo
from .modstruct import free_file_percpu, read_moved_base
from .regions import scheme_of
from .relocate import apply_relocations
from .signing import module_sig_check
from .strict_rwx import module_enable_protections
from .symbols import (
    check_export_symbol_versions,
    find_module_sections,
    module_unload_free,
    simplify_symbols,
    verify_exported_symbols,
)
from .sysfs import mod_sysfs_setup, mod_sysfs_teardown
from .version import check_modstruct_version

VALID_FLAGS = sum(MODULE_INIT_FLAGS.values())


@dataclass
class LoadResult:
    verdict: Verdict | None
    name: str = ""
    trace: list[tuple[str, str]] = field(default_factory=list)   # (step, outcome) in order
    unwound: list[str] = field(default_factory=list)              # the cleanup labels that ran
    module: Module | None = None   # the struct module, once the load got as far as allocating it
    # (step, what): data the kernel used without validating it, where a real kernel's
    # profile went on (hardened stops there: unvalidated-access) — predicted silent trouble.
    trusted: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self):
        # A verdict is a value, not a crash: its traceback's frames (and those of the
        # exception it was raised while handling) would hold the load's LoadInfo in a
        # reference cycle, kept until the garbage collector comes by.
        if self.verdict is not None:
            self.verdict.__traceback__ = self.verdict.__context__ = None

    @property
    def ok(self) -> bool:
        return self.verdict is None

    @property
    def step_reached(self) -> int:
        """How far into load_module() the load got: the PIPELINE index of its last step
        (-1 for a refusal before it, len(PIPELINE) from do_init_module on)."""
        if not self.trace:
            return -1
        return STEP_INDEX.get(self.trace[-1][0], len(PIPELINE))

    @property
    def kind(self) -> str:
        """'loaded', an errno name, 'kernel-fault' or 'unvalidated-access'."""
        verdict = self.verdict
        if verdict is None:
            return "loaded"
        if isinstance(verdict, AccessVerdict):
            return verdict.kind
        assert isinstance(verdict, LoadError), verdict    # the only other kind of Verdict
        return verdict.errno_name

    def __str__(self) -> str:
        return f"loaded {self.name}" if self.ok else str(self.verdict)


# --- undo actions: one per label of load_module()'s error path ---------------

def undo_sysfs_cleanup(info):
    mod_sysfs_teardown(info.kernel, info.mod)


def undo_coming_cleanup(info):
    """GOING, destroy_params() (whose ops->free reads may fault: raised once the label's
    work is done), the MODULE_STATE_GOING notifier."""
    _going(info.mod)
    try:
        read_param_ops_free(info)
    finally:
        destroy_params(info.kernel, info.mod)
        info.kernel.unregister("notifier", info.mod.name)


def undo_bug_cleanup(info):
    _going(info.mod)
    info.kernel.unregister("bug_list", info.mod.name)


def undo_ddebug_cleanup(info):
    info.kernel.unregister("ftrace", info.mod.name)       # ftrace_release_mod
    info.kernel.alloc.free(info.mod.args_alloc)
    info.mod.args_alloc = None


def undo_free_arch_cleanup(info):
    module_arch_cleanup(info.kernel, info.mod)


def undo_free_modinfo(info):
    free_modinfo(info)


def undo_free_unload(info):
    module_unload_free(info.kernel, info.mod)


def undo_unlink_mod(info):
    unlink_module(info.kernel, info.mod)


def undo_free_module(info):
    """module_deallocate(): percpu, then each memory region (scheme.free_order), each found
    through the moved struct.  Without a percpu allocation, percpu_modfree() frees what the
    struct holds (the file's pointer); a region is freed before the next base is read, so
    a struct that lies in a region freed earlier is read after it was freed.  A fault is
    raised once everything is freed."""
    mod, alloc = info.mod, info.kernel.alloc
    scheme = scheme_of(info)
    try:
        if mod.percpu is None:
            free_file_percpu(info)
        with info.within("module_deallocate"):
            for region in scheme.free_order:
                read_moved_base(info, scheme, region)
                alloc.free(mod.mem.pop(region, None))
    finally:
        alloc.free(mod.percpu)
        mod.percpu = None
        free_module_memory(info.kernel, mod)
        release_params(mod)


def undo_free_copy(info):
    info.kernel.alloc.free(info.copy.alloc)
    info.copy.alloc = None


UNDO_ACTIONS = {f.__name__[len("undo_"):]: f for f in (
    undo_sysfs_cleanup, undo_coming_cleanup, undo_bug_cleanup, undo_ddebug_cleanup, undo_free_arch_cleanup,
    undo_free_modinfo, undo_free_unload, undo_unlink_mod, undo_free_module, undo_free_copy)}
assert tuple(UNDO_ACTIONS) == CLEANUP_LABELS


def _going(mod):
    if mod.state != ModuleState.GOING:
        mod.set_state(ModuleState.GOING)


class UndoStack:
    """The cleanup labels load_module() has passed.  It does not hold the LoadInfo it
    belongs to (info.undo is it): no reference cycle keeps a finished load alive until
    the garbage collector comes by."""

    def __init__(self) -> None:
        self.labels: list[str] = []
        self.ran: list[str] = []

    def push(self, label: str) -> None:
        self.labels.append(label)

    def unwind(self, info: LoadInfo) -> None:
        """Run the labels innermost first.  A kernel fault in one (OutOfBounds), or hardened
        reaching what no check vouched for (UnvalidatedAccess), does not stop the others
        (the model must not leak); the first is raised at the end."""
        fault = None
        skipped = info.kernel.profile.skipped_cleanup
        while self.labels:
            label = self.labels.pop()
            self.ran.append(label)
            if label in skipped:
                continue       # a mutant loader (scripts/mutation-check): the label undoes nothing
            try:
                UNDO_ACTIONS[label](info)
            except (OutOfBounds, UnvalidatedAccess) as oob:
                fault = fault or oob
        if fault is not None:
            try:
                raise fault
            finally:
                fault = None   # this frame, held by the traceback, must not hold the exception too


# --- steps that live here because they are about the module list -------------

def add_unformed_module(info: LoadInfo) -> None:
    """Reserve the name.  Errors: EEXIST (a LIVE module of that name), EBUSY (one loading).

    6.1's name lookup is ``strlen(mod->name)``, fortified against the 56-byte array: an
    unterminated name is a fortify_panic() (a BUG, found by the qemu oracle).  From 6.4
    on module_patient_check_exists() takes a ``const char *``: strlen() runs on into the
    struct, unfortified, and the module loads under the longer name (seen on 6.12)."""
    kernel, mod = info.kernel, info.mod
    if len(mod.name) >= MODULE_NAME_LEN and not info.has("module_patient_check_exists"):
        raise OutOfBounds(f"fortify_panic: strlen(mod->name) runs past char name[{MODULE_NAME_LEN}]")
    check_not_loaded(info)
    mod.state = ModuleState.UNFORMED
    kernel.link_module(mod)
    write_module_head(info)


# The kernel writes mod->state and mod->list (abi.module.MODULE_HEAD) into the module's
# own copy of the struct (its final address).
MODULES_LIST_HEAD = 0xFFFFFFFF82C1A0F0     # stands for &modules: any kernel address, nonzero


def write_module_head(info: LoadInfo) -> None:
    """From add_unformed_module() on, a relocation aimed at mod->state or mod->list
    finds them nonzero (x86-64 then refuses it: found by the qemu oracle).  The kernel
    writes them whatever the section's size: past a short section they land on what
    move_module() put next (found by the qemu oracle too), past the memory they fault."""
    sh, space = info.sechdrs[info.index.mod], info.kernel.alloc.space
    head = MODULE_HEAD.pack(ModuleState.UNFORMED, MODULES_LIST_HEAD, MODULES_LIST_HEAD)
    space.write(sh.sh_addr, head, "struct module head", check_perm=False)
    mod_tree_insert(info, sh.sh_addr)


def mod_tree_insert(info: LoadInfo, struct: int) -> None:
    """add_unformed_module()'s mod_tree_insert(): each region's mtn.mod points at the module
    and each region put in the latch tree gets its two rb_nodes linked (a parent-and-colour
    word that is never 0) — inside the struct, where a relocation then finds nonzero
    bytes (found by oracle diff --kernel linux-6.12: x86 refuses it, ENOEXEC)."""
    scheme, space = scheme_of(info), info.kernel.alloc.space
    layout = info.kernel.profile.struct_module
    for region in scheme.regions:
        node = struct + scheme.struct_offset(layout, region) + scheme.tree_node_offset
        space.write(node + MTN_MOD, U64.pack(struct), "mod_tree_insert: mtn.mod", check_perm=False)
        if region in info.mod.mem:      # 6.1: core always, init if any; 6.4: each non-empty region
            for rb in MTN_RB_NODES:
                space.write(node + rb, U64.pack(RB_BLACK), "mod_tree_insert: rb_node", check_perm=False)


def check_not_loaded(info: LoadInfo) -> None:
    old = info.kernel.find_module(info.mod.name, even_unformed=True)
    if old is None:
        return
    if old.state == ModuleState.LIVE:
        raise info.refuse(errno.EEXIST, f"module {info.mod.name} is already loaded")
    raise info.refuse(errno.EBUSY, f"module {info.mod.name} is still loading or unloading")


def module_unload_init(info: LoadInfo) -> None:
    """INIT_LIST_HEAD() of source_list and target_list, atomic_set(&mod->refcnt,
    MODULE_REF_BASE) and the reference init holds: in the moved struct, where a relocation
    aimed at them then finds nonzero bytes (found by oracle diff --kernel linux-6.12: x86
    refuses it, ENOEXEC)."""
    info.mod.refcnt = MODULE_REF_BASE + 1   # base, plus the reference held during init
    struct, layout = info.sechdrs[info.index.mod].sh_addr, info.kernel.profile.struct_module
    space = info.kernel.alloc.space
    for head in (struct + layout.source_list_offset, struct + layout.source_list_offset + LIST_HEAD.size):
        space.write(head, LIST_HEAD.pack(head, head), "INIT_LIST_HEAD", check_perm=False)
    space.write(struct + layout.refcnt_offset, U32.pack(info.mod.refcnt), "mod->refcnt", check_perm=False)


def taint_unsigned(info: LoadInfo) -> None:
    info.mod.sig_ok = info.sig_ok
    if not info.sig_ok and info.kernel.config.module_sig:
        info.kernel.add_taint(T.TAINT_UNSIGNED_MODULE)
        info.mod.taints |= 1 << T.TAINT_UNSIGNED_MODULE


def post_relocation(info: LoadInfo) -> None:
    with info.within("add_kallsyms"):
        add_kallsyms(info)
    with info.within("module_finalize"):
        module_finalize(info)
    read_init_exit(info)


def copy_args(info: LoadInfo) -> None:
    """mod->args = strndup_user(uargs): a kmalloc of the argument string."""
    data = info.args
    info.mod.args = info.args
    info.mod.args_alloc = info.kernel.alloc.alloc("kmalloc", "strndup_user", len(data) + 1, info.mod.name,
                                                  tag="args")
    info.kernel.register("ftrace", info.mod.name)        # ftrace_module_init


def complete_formation(info: LoadInfo) -> None:
    """Errors: ENOEXEC (an export already exists); with the set_memory_errors change the
    set_memory_*() failure of module_enable_rodata_ro() and co (then module_bug_cleanup()).
    Sets: page permissions, state COMING."""
    verify_exported_symbols(info)
    info.kernel.register("bug_list", info.mod.name)      # module_bug_finalize
    if info.has("set_memory_errors"):
        try:
            info.kernel.alloc.fault_point("set_memory", "module_enable_rodata_ro")
        except AllocFailed:
            info.kernel.unregister("bug_list", info.mod.name)    # out_strict_rwx
            raise
    module_enable_protections(info.mod)
    info.mod.set_state(ModuleState.COMING)


def copy_module_elf(info: LoadInfo) -> None:
    """A livepatch module keeps a copy of its ELF headers, section headers and names."""
    size = 64 + info.shnum * 64 + info.secstrings_size
    info.mod.elf_copy = info.kernel.alloc.alloc("kmalloc", "copy_module_elf", size, info.mod.name, tag="elf copy")


def prepare_coming_module(info: LoadInfo) -> None:
    """ftrace_module_enable(), then the MODULE_STATE_COMING notifier chain (jump labels,
    tracepoints, ...), which may fail."""
    with info.within("ftrace_module_enable"):
        ftrace_module_enable(info)
    info.kernel.alloc.fault_point("notifier", "prepare_coming_module")
    info.kernel.register("notifier", info.mod.name)


# --- the pipeline ------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """One call of load_module(): ``fn(info)``, then, once it succeeded, the undo label
    the kernel's error path reaches from there on (if any).  ``when`` guards a step
    that only some loads take."""
    fn: Callable
    pushes: str | None = None
    when: Callable | None = None

    @property
    def name(self) -> str:
        return self.fn.__name__


def _has(change: str) -> Callable[[LoadInfo], bool]:
    """A step's guard: the profile's loader has this named change (kernel/profile.py)."""
    return lambda info: info.has(change)


def _livepatch(info: LoadInfo) -> bool:
    return info.mod.livepatch


# In the kernel's order; PIPELINE[i:] is what a load resumed before step i runs.
PIPELINE = (
    Step(module_sig_check),
    Step(elf_validity_check),
    Step(setup_load_info),
    Step(blacklisted),
    Step(rewrite_section_headers),
    Step(check_modstruct_version),
    Step(check_modinfo),                        # 6.1 does this first thing in layout_and_allocate()
    Step(check_not_loaded, when=_has("early_mod_check")),   # a duplicate before allocating anything
    Step(layout_and_allocate, pushes="free_module"),
    Step(add_unformed_module, pushes="unlink_mod"),
    Step(module_augment_kernel_taints, when=_has("module_augment_kernel_taints")),
    Step(taint_unsigned),
    Step(percpu_modalloc),
    Step(module_unload_init, pushes="free_unload"),
    Step(find_module_sections),
    Step(check_export_symbol_versions),
    Step(setup_modinfo, pushes="free_modinfo"),
    Step(simplify_symbols),
    Step(validate_relocations, when=has_checks),
    Step(apply_relocations),
    Step(validate_relocated, when=has_checks),
    Step(post_relocation, pushes="free_arch_cleanup"),
    Step(copy_args, pushes="ddebug_cleanup"),
    Step(validate_tables, when=has_checks),
    Step(complete_formation, pushes="bug_cleanup"),
    Step(prepare_coming_module, pushes="coming_cleanup"),
    Step(module_parse_args),
    Step(mod_sysfs_setup, pushes="sysfs_cleanup"),
    Step(copy_module_elf, when=_livepatch),
)
STEP_INDEX = {step.name: i for i, step in enumerate(PIPELINE)}

# What load_module() is doing in a step of PIPELINE, or in a kernel function a step calls
# (crash titles name those frames): the one-line explanation triage gives a finding.
# Every key is a function of lkmfuzz.loader (tests/test_layers.py checks).
STEP_PURPOSES = {
    "module_sig_check": "the appended-signature check that runs before any ELF parsing",
    "elf_validity_check": "the ELF header / section table validity checks",
    "setup_load_info": "finding .modinfo, the symbol table and .gnu.linkonce.this_module",
    "check_modinfo": "the vermagic / license / taint checks of .modinfo",
    "layout_and_allocate": "laying out sections and allocating module memory",
    "layout_symtab": "sizing the kallsyms copy of the symbol table",
    "move_module": "copying sections into the module's memory",
    "simplify_symbols": "resolving undefined symbols and rebasing defined ones",
    "apply_relocations": "walking the relocation sections",
    "apply_relocate_add": "applying x86-64 RELA relocations (r_offset / symbol index / type)",
    "add_kallsyms": "copying core symbols and names for kallsyms",
    "module_finalize": "x86 text patching tables (alternatives, retpoline/return sites)",
    "complete_formation": "duplicate-export check and page protections",
    "module_parse_args": "parsing the module's parameters into its variables",
    "mod_sysfs_setup": "creating /sys/module/<name>",
    "do_init_module": "running init and freeing init memory",
    "delete_module": "unloading the module",
}


def run_steps(info: LoadInfo, steps) -> None:
    """Run ``steps`` in order, pushing each one's undo label once it succeeded."""
    for step in steps:
        if step.when is None or step.when(info):
            info.run(step.fn)
            if step.pushes:
                info.undo.push(step.pushes)


def unwind_load(info: LoadInfo, verdict: Verdict) -> Verdict:
    """load_module()'s error path after ``verdict``; a fault on the way (free_percpu of
    the file's pointer) becomes the verdict."""
    try:
        info.undo.unwind(info)
    except (OutOfBounds, UnvalidatedAccess) as oob:
        verdict = oob if isinstance(oob, UnvalidatedAccess) else info.fault_verdict(oob)
        info.trace.append((info.step, str(verdict)))
    return verdict


def load_module(info: LoadInfo, init_result: int = 0, start: int = 0) -> None:
    """Everything after the file is in memory (from PIPELINE[start] on, for a load
    resumed from a checkpoint).  Raises a Verdict (or an internal OutOfBounds/
    AllocFailed that ``LoadInfo.run`` converts) after unwinding."""
    run_steps(info, PIPELINE[start:])
    # Success: only the temporary copy goes; everything else now belongs to the module.
    info.undo.labels = ["free_copy"]
    info.undo.unwind(info)
    info.undo.ran.clear()
    info.run(lambda i: do_init_module(i, init_result), "do_init_module")
