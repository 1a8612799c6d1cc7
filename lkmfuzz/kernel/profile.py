"""Kernel profiles: which kernel the model imitates, and its configuration.

A profile is data: a kernel ``Release`` (kernel/release.py: its packages, symbols,
certificate, struct module layout), the loader *changes* that release contains beyond
Debian's 6.1 (``UPSTREAM_CHANGES``, each named after the function or commit that
brought it), and — for ``hardened`` — the validation checks no kernel has yet
(``HARDENING_CHECKS``, loader/hardening.py).  The loader asks ``profile.has(name)``,
never which profile it runs.

``linux-6.1`` is Debian 12's kernel, check for check and in the kernel's order;
where that kernel would touch memory out of bounds, the model returns the
*kernel-fault* verdict.  ``hardened`` (the default) runs the same pipeline with
every named change and check, refusing before the data is used everything real
kernels still trust; past them an out-of-bounds access is the *unvalidated-access*
verdict — a missing check.
"""

import dataclasses
import functools
from dataclasses import dataclass, field

from ..abi.module import StructModuleLayout
from ..errors import LkmfuzzError
from .release import LINUX_6_1, LINUX_6_12, RELEASE_BOUND_CHANGES, UPSTREAM_CHANGES, Release

DEBIAN_RELEASE = LINUX_6_1.uname
DEBIAN_VERMAGIC = LINUX_6_1.vermagic


class ProfileError(LkmfuzzError, ValueError):
    """An unknown profile or configuration switch: names it."""


@dataclass(frozen=True)
class Config:
    """The switches of the simulated kernel (CONFIG_* and boot parameters)."""
    module_sig: bool = True            # CONFIG_MODULE_SIG
    sig_enforce: bool = False          # module.sig_enforce= / CONFIG_MODULE_SIG_FORCE
    modversions: bool = True           # CONFIG_MODVERSIONS
    force_load: bool = True            # CONFIG_MODULE_FORCE_LOAD
    force_unload: bool = True          # CONFIG_MODULE_FORCE_UNLOAD
    strict_module_rwx: bool = True     # CONFIG_STRICT_MODULE_RWX
    kallsyms_all: bool = True          # CONFIG_KALLSYMS_ALL
    livepatch: bool = True             # CONFIG_LIVEPATCH
    module_decompress: bool = False    # CONFIG_MODULE_DECOMPRESS
    constructors: bool = False         # CONFIG_CONSTRUCTORS (only with GCOV_KERNEL/KASAN; off in Debian)
    lockdown: bool = False             # lockdown=integrity: unsigned modules are EPERM
    modules_disabled: bool = False     # kernel.modules_disabled=1
    blacklist: tuple[str, ...] = ()    # module_blacklist=
    builtin_modules: tuple[str, ...] = ("kernel", "module", "printk", "rcupdate", "workqueue", "block", "vt")
    # The oracle VM (qemu -m 1024), measured with hello.ko whose struct module starts
    # core_layout.size high: vmalloc refuses more than totalram_pages (955 MiB panics,
    # 965 MiB is ENOMEM); below that, what the VM cannot back runs it out of memory with
    # nothing to kill, and the OOM killer panics (880 MiB loads, 882 MiB panics; so did
    # 440 MiB core + 440 MiB init, which this single threshold does not capture).
    module_alloc_max: int = 960 << 20
    module_alloc_oom: int = 881 << 20


# The hardened profile's validation checks, by name (loader/hardening.py implements
# each; the loader asks ``profile.checks``).  Named after the upstream change each
# models, or after the oops class it closes where no kernel has the check yet.
HARDENING_CHECKS = (
    "elf_validity_cache_secstrings",        # every sh_name inside the section name table
    "validate_null_sections",               # SHT_NULL sections' sh_name too (module_finalize reads all)
    "elf_validity_cache_index_info",        # at most one .modinfo
    "elf_validity_cache_index_mod",         # one this_module: ALLOC, not NOBITS, sizeof(struct module)
    "elf_validity_cache_index_sym",         # exactly one SYMTAB
    "elf_validity_cache_strtab",            # d979e3dffa93: string table NUL-bounded, st_name inside it
    "validate_modinfo",                     # a .modinfo, not empty, ending in NUL: every value ends inside it
    "validate_section_overlaps",            # no section where the kernel writes its copy (headers, struct)
    "validate_null_symbol",                 # symbol 0 all zeros (simplify_symbols skips it, add_kallsyms not)
    "validate_module_name",                 # this_module's name NUL-terminated in its 56 bytes
    "validate_struct_module_fields",        # fields the loader computes are zero in the file (percpu, sizes)
    "validate_layout_sizes",                # section sizes fit the 32-bit module layout
    "validate_versions_names",              # __versions names NUL-terminated in their 56 bytes
    "validate_rela_targets",                # no relocation of the symbol or string table
    "validate_rela_symbols",                # r_info symbol index inside the symbol table
    "validate_rela_offsets",                # r_offset + size inside the section relocated
    "validate_patch_sites",                 # .return_sites & co. point into the module's text
    "validate_init_exit",                   # mod->init / mod->exit point into the module's text
    "validate_ksymtab",                     # __ksymtab names and namespaces inside the module, each once
    "validate_kernel_params",               # __param names, ops and args inside the module or kernel
)
# load_module()'s cleanup labels, innermost first (loader/main.py UNDO_ACTIONS runs them).
CLEANUP_LABELS = ("sysfs_cleanup", "coming_cleanup", "bug_cleanup", "ddebug_cleanup", "free_arch_cleanup",
                  "free_modinfo", "free_unload", "unlink_mod", "free_module", "free_copy")
MINUS = "-minus-"
UNDO = "undo_"


@dataclass(frozen=True)
class Profile:
    name: str
    hardened: bool                          # past its checks an out-of-bounds access is a finding
    checks: frozenset[str] = frozenset()    # HARDENING_CHECKS this profile runs
    skipped_cleanup: frozenset[str] = frozenset()   # CLEANUP_LABELS deleted (mutation testing only)
    release: Release = LINUX_6_1
    config: Config = field(default_factory=Config)
    changes: frozenset[str] = frozenset()   # UPSTREAM_CHANGES beyond the release's own (hardened: all)
    deleted: frozenset[str] = frozenset()   # changes deleted (mutation testing only)

    @functools.cached_property
    def enabled(self) -> frozenset[str]:
        """Every change and check this profile's loader contains (asked dozens of times a load)."""
        return (self.release.changes | self.changes | self.checks) - self.deleted

    def has(self, name: str) -> bool:
        """Whether the loader of this profile contains the named change or check."""
        return name in self.enabled

    @functools.cached_property
    def vermagic(self) -> str:
        return self.release.vermagic

    @functools.cached_property
    def struct_module(self) -> StructModuleLayout:
        return self.release.struct_module

    def without(self, part: str, name: str) -> "Profile":
        """This profile with one of its validation checks, or (``undo_LABEL``) one of
        load_module()'s cleanup labels, deleted: a mutant of the loader."""
        if part.startswith(UNDO) and part[len(UNDO):] in CLEANUP_LABELS:
            return dataclasses.replace(self, name=name, skipped_cleanup=self.skipped_cleanup | {part[len(UNDO):]})
        if part not in self.checks and not (part in UPSTREAM_CHANGES and self.has(part)):
            raise ProfileError(f"profile {self.name!r} has no check {part!r} and no cleanup label by that name; "
                               f"its checks: {', '.join(sorted(self.checks)) or 'none'}; labels: "
                               f"{', '.join(UNDO + label for label in CLEANUP_LABELS)}")
        return dataclasses.replace(self, name=name, checks=self.checks - {part}, deleted=self.deleted | {part})

    def with_config(self, **switches) -> "Profile":
        known = {f.name for f in dataclasses.fields(Config)}
        unknown = set(switches) - known
        if unknown:
            raise ProfileError(f"unknown config switch(es) {sorted(unknown)}; known: {', '.join(sorted(known))}")
        return dataclasses.replace(self, config=dataclasses.replace(self.config, **switches))


def real_kernel(release: Release, config: Config = Config()) -> Profile:
    """The profile that imitates one release as Debian ships it: its changes, no checks."""
    return Profile(release.name, hardened=False, release=release, config=config)


def hardened_on(release: Release, name: str, config: Config = Config()) -> Profile:
    """Every validation check on top of one release: every named change the release can
    take (one bound to another struct layout, 6.4's module_memory on 6.1, it cannot)."""
    portable = frozenset(UPSTREAM_CHANGES) - (RELEASE_BOUND_CHANGES - release.changes)
    return Profile(name, hardened=True, checks=frozenset(HARDENING_CHECKS), release=release, config=config,
                   changes=portable)


# Debian's 6.12 builds MODULE_DECOMPRESS (xz) in; its shipped modules are .ko.xz.
_CONFIG_6_12 = Config(module_decompress=True)
PROFILES = {
    "linux-6.1": real_kernel(LINUX_6_1),
    "linux-6.12": real_kernel(LINUX_6_12, _CONFIG_6_12),
    "hardened": hardened_on(LINUX_6_1, "hardened"),
    "hardened-6.1": hardened_on(LINUX_6_1, "hardened-6.1"),
    "hardened-6.12": hardened_on(LINUX_6_12, "hardened-6.12", _CONFIG_6_12),
}
# The hardened profile built on each release: what refuses that release's modules with
# a named check (hunt reports name it; a module built for 6.1 is refused by 6.12's
# vermagic before any check could).
HARDENED_FOR = {"linux-6.1": "hardened-6.1", "linux-6.12": "hardened-6.12"}
DEFAULT_PROFILE = "hardened"


def hardened_for(release_name: str) -> str:
    """The name of the hardened profile built on the release ``release_name``."""
    return HARDENED_FOR[release_name]


def real_kernel_of(profile: Profile) -> str:
    """The name of the real kernel's profile of ``profile``'s release: the second opinion
    on a hardened verdict, the kernel an oracle replays a case of ``profile`` on."""
    return profile.release.name


def get_profile(name: str = DEFAULT_PROFILE, **switches) -> Profile:
    """A profile by name.  ``hardened-minus-CHECK`` is hardened with one validation check
    deleted, ``PROFILE-minus-undo_LABEL`` one with a cleanup label that does nothing
    (mutation testing of the harnesses: scripts/mutation-check); the name travels with
    every finding, so a replay runs the same mutant."""
    base, _, deleted = name.partition(MINUS)
    try:
        profile = PROFILES[base]
    except KeyError:
        raise ProfileError(f"unknown profile {name!r}; choose one of: {', '.join(PROFILES)} "
                           f"(or hardened{MINUS}CHECK)") from None
    if deleted:
        profile = profile.without(deleted, name)
    return profile.with_config(**switches) if switches else profile
