"""Kernel releases as data: what a profile imitates of one Debian kernel build.

A ``Release`` is the bundle a kernel build leaves behind — its ``uname -r`` and
vermagic, the Debian packages it comes in, its ``Module.symvers``, ``.config`` and
module-signing certificate (package data under ``kernel/data/<name>/``, provenance in
each folder's SOURCE.md), the layout of its ``struct module`` and what its crypto API
can find.  Which loader *changes* a release contains is the profile's business
(kernel/profile.py); everything here is facts about a build, read off Debian's packages.
"""

import functools
from dataclasses import dataclass
from importlib import resources

from ..abi.module import LINUX_6_1_X86_64, LINUX_6_12_X86_64, StructModuleLayout
from .crypto.api import DEBIAN_6_1, DEBIAN_6_12, CryptoConfig

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
    arch: str = "x86_64"

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
    struct_module=LINUX_6_12_X86_64, crypto=DEBIAN_6_12)

RELEASES = {release.name: release for release in (LINUX_6_1, LINUX_6_12)}


@functools.lru_cache(maxsize=None)
def release_data(name: str, filename: str) -> bytes:
    """A bundle file, read once per process (Module.symvers is 1.7 MB)."""
    return RELEASES[name].data(filename)
