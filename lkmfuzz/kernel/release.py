"""Kernel releases as data: what a profile imitates of one Debian kernel build.

A ``Release`` is the bundle a kernel build leaves behind — its ``uname -r`` and
vermagic, the Debian packages it comes in, its ``Module.symvers``, ``.config`` and
module-signing certificate (package data under ``kernel/data/<name>/``, provenance in
each folder's SOURCE.md), the layout of its ``struct module`` and what its crypto API
can find.  A release also names the loader *changes* it contains beyond Debian's 6.1
(``UPSTREAM_CHANGES``, each after the function or commit that brought it): the loader
asks the profile ``has(change)`` (kernel/profile.py).
"""

import functools
from dataclasses import dataclass
from importlib import resources

from ..abi.arch import ALT_INSTR_6_1, ALT_INSTR_6_12, AltInstrABI
from ..abi.module import LINUX_6_1_X86_64, LINUX_6_12_X86_64, StructModuleLayout
from .crypto.api import DEBIAN_6_1, DEBIAN_6_12, CryptoConfig

# Loader changes after Debian's 6.1 that the model knows, by name: a release lists those
# it contains (kernel/release.py Release.changes).  Each refusal names the change.
UPSTREAM_CHANGES = {
    "elf_validity_cache_secstrings": "6.12 (elf_validity_cache_* split): the section name table is a non-empty, "
                                     "NUL-terminated SHT_STRTAB and every non-NULL section's sh_name lies inside it",
    "elf_validity_cache_index_info": "6.12: at most one .modinfo; the name is read from it right away",
    "elf_validity_cache_index_mod": "6.12 (module: add sanity check for ELF module section): exactly one "
                                    ".gnu.linkonce.this_module, ALLOC, not NOBITS, of sizeof(struct module)",
    "elf_validity_cache_index_sym": "6.12: exactly one SHT_SYMTAB",
    "elf_validity_cache_index_str": "6.12: the symbol table's sh_link names an SHT_STRTAB",
    "elf_validity_cache_strtab": "d979e3dffa93 (6.13): the symbol string table NUL at both ends, st_name inside it",
    "sysfs_attr_errors": "6.12 (module: sysfs: add_sect_attrs()/add_notes_attrs() return errors): a "
                         "section or note attribute that cannot be created (two sections of one name: EEXIST) "
                         "fails the load; 6.1 ignored it",
    "module_patient_check_exists": "064f4536d139 (6.4): the duplicate lookup takes the name as a const char *, "
                                   "so strlen() of an unterminated mod->name is no longer fortified",
    "early_mod_check": "6.4 (module: move early sanity checks into a helper): EEXIST/EBUSY for a module already "
                       "loaded or loading, before anything is allocated",
    "module_augment_kernel_taints": "6.4: the license, staging, out-of-tree, livepatch and test taints are "
                                    "applied after the module is listed, not in check_modinfo()",
    "module_memory": "ac3b43283923 (6.4, module: replace module_layout with module_memory): seven regions, "
                     "each sized apart and allocated page-aligned",
    "set_memory_errors": "6.9 (module: Don't ignore errors from set_memory_XX()): a failed page-permission "
                         "change fails the load in complete_formation()",
}
# Changes that come with their release's struct module (a profile on another release
# cannot have them): the layout of struct module_memory.
RELEASE_BOUND_CHANGES = frozenset({"module_memory"})

SYMVERS = "Module.symvers.xz"
CONFIG = "config.xz"
CERTIFICATE = "signing-cert.der"


@dataclass(frozen=True)
class Release:
    """One Debian kernel build: the packages it comes in and the files it ships."""
    name: str                       # "linux-6.1": the profile that imitates it, and its data folder
    uname: str                      # ``uname -r``: "6.1.0-56-amd64"
    debian_version: str             # the packages' version: "6.1.192-2"
    vermagic: str                   # what modules built for it carry in .modinfo
    kbuild_package: str             # Debian's scripts/sign-file and modpost (per series in 6.1, per ABI in 6.12)
    image_compression: str          # the bzImage payload: "xz" or "zstd"
    struct_module: StructModuleLayout
    crypto: CryptoConfig
    changes: frozenset[str] = frozenset()   # UPSTREAM_CHANGES it contains
    seeds: str = ""                         # the folder of corpus/ with the seeds built for it
    alt_instr: AltInstrABI = ALT_INSTR_6_1  # struct alt_instr of its x86 text patching
    # Kernel functions this release calls by another name than 6.1 (where its oops shows).
    renamed: tuple[tuple[str, str], ...] = ()

    arch: str = "x86_64"

    def function_name(self, name: str) -> str:
        """What this release calls 6.1's kernel function ``name``."""
        for old, new in self.renamed:
            if old == name:
                return new
        return name

    @property
    def image_package(self) -> str:
        return f"linux-image-{self.uname}-unsigned"

    def data(self, filename: str) -> bytes:
        """One file of this release's bundle (package data)."""
        return resources.files(__package__).joinpath("data", self.name, filename).read_bytes()


LINUX_6_1 = Release(
    name="linux-6.1", uname="6.1.0-56-amd64", debian_version="6.1.192-2",
    vermagic="6.1.0-56-amd64 SMP preempt mod_unload modversions ",
    kbuild_package="linux-kbuild-6.1", image_compression="xz",
    struct_module=LINUX_6_1_X86_64, crypto=DEBIAN_6_1)

# Debian 12's backported 6.12 (bookworm-security); data/linux-6.12/SOURCE.md says where
# each file comes from.  The bzImage payload is zstd (CONFIG_KERNEL_ZSTD=y), not xz.
LINUX_6_12 = Release(
    name="linux-6.12", uname="6.12.118+deb12-amd64", debian_version="6.12.118-1~deb12u1",
    vermagic="6.12.118+deb12-amd64 SMP preempt mod_unload modversions ",
    kbuild_package="linux-kbuild-6.12.118+deb12", image_compression="zstd",
    struct_module=LINUX_6_12_X86_64, crypto=DEBIAN_6_12,
    # Read off Debian's linux-source-6.12 (kernel/module/main.c): the elf_validity_cache_*
    # split without 6.13's string-table contents check, early_mod_check, module_memory...
    changes=frozenset(UPSTREAM_CHANGES) - {"elf_validity_cache_strtab"}, seeds="linux-6.12",
    alt_instr=ALT_INSTR_6_12,
    # x86's relocation loop moved into __write_relocate_add() (shared with livepatch's
    # clear_relocate_add): the oops's RIP names it.
    renamed=(("apply_relocate_add", "__write_relocate_add"),))

RELEASES = {release.name: release for release in (LINUX_6_1, LINUX_6_12)}


@functools.lru_cache(maxsize=None)
def release_data(name: str, filename: str) -> bytes:
    """A bundle file, read once per process (Module.symvers is 1.7 MB)."""
    return RELEASES[name].data(filename)
