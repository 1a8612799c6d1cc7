"""Kernel profiles: which kernel the model imitates, and its configuration.

``linux-6.1`` is Debian 12's kernel, check for check and in the kernel's order;
where that kernel would touch memory out of bounds, the model returns the
*kernel-fault* verdict.  ``hardened`` (the default) runs the same pipeline with
the checks later kernels added, and rejects every kernel-fault case with ENOEXEC.

The numbers below were read off Debian's own build (see data/SOURCE.md and
corpus/BUILD-INFO.txt): the release, the vermagic, sizeof(struct module) and the
offsets of ``init``/``exit`` in it (the targets of the relocations modpost emits in
``.rela.gnu.linkonce.this_module``).
"""

import dataclasses
from dataclasses import dataclass, field

DEBIAN_RELEASE = "6.1.0-56-amd64"
DEBIAN_VERMAGIC = DEBIAN_RELEASE + " SMP preempt mod_unload modversions "
STRUCT_MODULE_SIZE = 0x380
MODULE_NAME_OFFSET = 24
MODULE_NAME_LEN = 56
MODULE_INIT_OFFSET = 0x138
MODULE_EXIT_OFFSET = 0x350


class ProfileError(ValueError):
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
    blacklist: tuple = ()              # module_blacklist=
    builtin_modules: tuple = ("kernel", "module", "printk", "rcupdate", "workqueue", "block", "vt")
    # The oracle VM's room for one module_alloc; larger layouts fail with ENOMEM.
    module_alloc_max: int = 512 << 20


@dataclass(frozen=True)
class Profile:
    name: str
    hardened: bool
    release: str = DEBIAN_RELEASE
    vermagic: str = DEBIAN_VERMAGIC
    struct_module_size: int = STRUCT_MODULE_SIZE
    init_offset: int = MODULE_INIT_OFFSET
    exit_offset: int = MODULE_EXIT_OFFSET
    config: Config = field(default_factory=Config)

    def with_config(self, **switches) -> "Profile":
        known = {f.name for f in dataclasses.fields(Config)}
        unknown = set(switches) - known
        if unknown:
            raise ProfileError(f"unknown config switch(es) {sorted(unknown)}; known: {', '.join(sorted(known))}")
        return dataclasses.replace(self, config=dataclasses.replace(self.config, **switches))


PROFILES = {
    "linux-6.1": Profile("linux-6.1", hardened=False),
    "hardened": Profile("hardened", hardened=True),
}
DEFAULT_PROFILE = "hardened"


def get_profile(name: str = DEFAULT_PROFILE, **switches) -> Profile:
    try:
        profile = PROFILES[name]
    except KeyError:
        raise ProfileError(f"unknown profile {name!r}; choose one of: {', '.join(PROFILES)}") from None
    return profile.with_config(**switches) if switches else profile
