"""`lkmfuzz oracle setup`: the real kernel and the /init that drives it, in a cache directory.

Nothing is installed on the host except, when run as root and missing, the host
tools (qemu, a C compiler).  The kernel comes from Debian's
``linux-image-<release>-unsigned`` package, fetched with ``apt-get download`` and
unpacked with ``dpkg-deb``; its bzImage payload is decompressed to ``vmlinux``
because qemu boots that ELF (PVH entry) seconds faster than the compressed image.
Every step is skipped when its output is already there.
"""

import hashlib
import lzma
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import LkmfuzzError
from ..kernel.profile import DEBIAN_RELEASE

XZ_MAGIC = b"\xfd7zXZ\x00"
ELF_MAGIC = b"\x7fELF"
# command -> Debian package that provides it
HOST_TOOLS = {"qemu-system-x86_64": "qemu-system-x86", "gcc": "gcc", "dpkg-deb": "dpkg", "apt-get": "apt"}
STATIC_LIBC = Path("/usr/lib/x86_64-linux-gnu/libc.a")
KBUILD_PACKAGE = "linux-kbuild-6.1"
# The /init's C source, shipped as package data (pyproject.toml) beside this module.
INIT_C = "init.c"


class OracleSetupError(LkmfuzzError, RuntimeError):
    """Setup cannot go on; the message says what is missing and how to get it."""


@dataclass(frozen=True)
class Kit:
    """Everything a boot needs."""
    release: str
    vmlinux: Path
    init: Path
    qemu: str


def cache_root() -> Path:
    return Path(os.environ.get("LKMFUZZ_CACHE") or Path.home() / ".cache" / "lkmfuzz")


def cache_dir() -> Path:
    return cache_root() / "oracle"


def debian_cache() -> Path:
    """Where Debian's build packages are kept (corpus/build.sh uses the same folder)."""
    return cache_root() / "debian"


def image_package(release: str) -> str:
    return f"linux-image-{release}-unsigned"


def missing_tools() -> list[str]:
    missing = [pkg for tool, pkg in HOST_TOOLS.items() if shutil.which(tool) is None]
    if not STATIC_LIBC.exists():
        missing.append("libc6-dev")
    return missing


def install_tools(say) -> None:
    missing = missing_tools()
    if not missing:
        return
    if os.geteuid() != 0:
        raise OracleSetupError(f"missing host packages; run: sudo apt-get install {' '.join(missing)}")
    say(f"installing host packages: {' '.join(missing)}")
    _run(["apt-get", "update", "-qq"], "apt-get update")
    _run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], "apt-get install")


def _run(cmd: list, what: str, cwd: Path | None = None) -> None:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        last = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or ["no output"]
        raise OracleSetupError(f"{what} failed (exit {done.returncode}): {last[0]}")


def download_package(package: str, into: Path, say) -> Path:
    """The package's .deb: one already in ``into``, or apt-get download."""
    found = sorted(into.glob(f"{package}_*.deb"))
    if found:
        return found[-1]
    say(f"apt-get download {package}")
    try:
        _run(["apt-get", "download", package], "apt-get download", cwd=into)
    except OracleSetupError:
        if os.geteuid() != 0:
            raise
        say("apt-get update (package lists may be stale), then download again")
        _run(["apt-get", "update", "-qq"], "apt-get update")
        _run(["apt-get", "download", package], "apt-get download", cwd=into)
    return sorted(into.glob(f"{package}_*.deb"))[-1]


def decompress_bzimage(bzimage: bytes) -> bytes:
    """The vmlinux inside a bzImage whose payload is XZ (Debian's CONFIG_KERNEL_XZ)."""
    at = bzimage.find(XZ_MAGIC)
    if at < 0:
        raise OracleSetupError("no XZ payload in the kernel image (not a CONFIG_KERNEL_XZ bzImage?)")
    vmlinux = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(bzimage[at:])
    if not vmlinux.startswith(ELF_MAGIC):
        raise OracleSetupError("the image's XZ payload is not an ELF vmlinux")
    return vmlinux


def extract_vmlinux(deb: Path, release: str, out: Path, say) -> None:
    say(f"extracting vmlinuz-{release} from {deb.name} and decompressing it to {out}")
    with tempfile.TemporaryDirectory() as tmp:
        _run(["dpkg-deb", "-x", str(deb), tmp], "dpkg-deb -x")
        bzimage = Path(tmp, "boot", f"vmlinuz-{release}")
        if not bzimage.exists():
            raise OracleSetupError(f"{deb.name} has no boot/vmlinuz-{release}")
        _atomic_write(out, decompress_bzimage(bzimage.read_bytes()))


def build_init(out: Path, say) -> None:
    say(f"compiling the oracle's static /init to {out}")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp, "init.c")
        source.write_text(init_source())
        _run(["gcc", "-static", "-O2", "-Wall", "-o", str(Path(tmp, "init")), str(source)], "gcc -static")
        _atomic_write(out, Path(tmp, "init").read_bytes())


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def init_source() -> str:
    """The C source of the oracle's /init: init.c, package data beside this module."""
    return resources.files(__package__).joinpath(INIT_C).read_text(encoding="utf-8")


def init_digest() -> str:
    """What the init.sha256 stamp records: the /init source the binary was built from."""
    return hashlib.sha256(init_source().encode()).hexdigest()


def init_is_current(path: Path, stamp: Path) -> bool:
    return path.exists() and stamp.exists() and stamp.read_text() == init_digest()


def setup(release: str = DEBIAN_RELEASE, say=print, deb: Path | None = None, install: bool = True) -> Kit:
    """Make the kit ready (idempotent) and return it."""
    root = cache_dir() / release
    root.mkdir(parents=True, exist_ok=True)
    if install:
        install_tools(say)
    elif missing_tools():
        raise OracleSetupError(f"missing host packages: {' '.join(missing_tools())}")
    vmlinux = root / "vmlinux"
    if not vmlinux.exists():
        extract_vmlinux(deb or download_package(image_package(release), root, say), release, vmlinux, say)
    init, stamp = root / "init", root / "init.sha256"
    if not init_is_current(init, stamp):
        build_init(init, say)
        stamp.write_text(init_digest())
    # Debian's own scripts/sign-file, which the signing tests compare lkmfuzz's signer with.
    debian_cache().mkdir(parents=True, exist_ok=True)
    download_package(KBUILD_PACKAGE, debian_cache(), say)
    qemu = shutil.which("qemu-system-x86_64")
    if qemu is None:
        raise OracleSetupError("qemu-system-x86_64 is not on PATH after installing qemu-system-x86")
    return Kit(release, vmlinux, init, qemu)


def find_kit(release: str = DEBIAN_RELEASE) -> tuple[Kit | None, str]:
    """The prepared kit without doing anything, or None and why not (for skips)."""
    root = cache_dir() / release
    if missing_tools():
        return None, f"host packages missing: {' '.join(missing_tools())}"
    if not (root / "vmlinux").exists():
        return None, f"no kernel in {root}: run `lkmfuzz oracle setup`"
    if not init_is_current(root / "init", root / "init.sha256"):
        return None, f"the oracle /init in {root} is missing or stale: run `lkmfuzz oracle setup`"
    qemu = shutil.which("qemu-system-x86_64")
    if qemu is None:    # missing_tools() looked a moment ago
        return None, "qemu-system-x86_64 is not on PATH"
    return Kit(release, root / "vmlinux", root / "init", qemu), ""
