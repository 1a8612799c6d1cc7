"""`lkmfuzz oracle setup`: the real kernel and the /init that drives it, in a cache directory.

Nothing is installed on the host except, when run as root and missing, the host
tools (qemu, a C compiler, and ``zstd`` for a release whose image is zstd).  The kernel
comes from Debian's ``linux-image-<uname>-unsigned`` package at the exact version the
``Release`` pins (kernel/release.py), fetched with ``apt-get download`` and unpacked with
``dpkg-deb``; its bzImage payload (xz for 6.1, zstd for 6.12) is decompressed to
``vmlinux`` because qemu boots that ELF (PVH entry) seconds faster than the compressed
image.  Every step is skipped when its output is already there.  One kit per release, in
``<cache>/oracle/<uname>``.

When Debian has stopped publishing the pinned package, setup fails with one line saying
so, and leaves that line in the kit's folder (``UNAVAILABLE``) for find_kit() to give as
the reason the qemu tests skip.
"""

import hashlib
import lzma
import os
import shutil
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import LkmfuzzError
from ..kernel.release import LINUX_6_1, Release

XZ_MAGIC = b"\xfd7zXZ\x00"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
ELF_MAGIC = b"\x7fELF"
# command -> Debian package that provides it
HOST_TOOLS = {"qemu-system-x86_64": "qemu-system-x86", "gcc": "gcc", "dpkg-deb": "dpkg", "apt-get": "apt"}
# Only a zstd image needs it: the Debian command, not a PyPI package, because it is what
# the kernel's own scripts/extract-vmlinux uses and the host tools come from apt anyway.
ZSTD_TOOL = {"zstd": "zstd"}
STATIC_LIBC = Path("/usr/lib/x86_64-linux-gnu/libc.a")
# The /init's C source, shipped as package data (pyproject.toml) beside this module.
INIT_C = "init.c"
# Written into a kit's folder when its package is gone, read back by find_kit().
UNAVAILABLE = "UNAVAILABLE"
# What apt-get prints when a name or a version is in none of its package lists.
APT_NOT_PUBLISHED = ("was not found", "Unable to locate package", "Couldn't find any package",
                     "has no installation candidate", "Can't select candidate version")
# x86 boot protocol (Documentation/arch/x86/boot.rst): the setup header fields that
# locate the compressed payload, and the real-mode sectors before protected-mode code.
SETUP_SECTS_OFFSET = 0x1F1
DEFAULT_SETUP_SECTS = 4             # "if this field is 0, the real value is 4"
SECTOR_SIZE = 512
PAYLOAD_FIELDS = struct.Struct("<II")   # payload_offset, payload_length
PAYLOAD_FIELDS_OFFSET = 0x248
# arch/x86/boot/compressed appends the decompressed size (le32) after the zstd frame.
SIZE_TRAILER = 4


class OracleSetupError(LkmfuzzError, RuntimeError):
    """Setup cannot go on; the message says what is missing and how to get it."""


class PackageNotPublished(OracleSetupError):
    """apt-get cannot download the package at that version: it is in no package list."""

    def __init__(self, package: str, version: str | None, apt_says: str):
        self.package, self.version = package, version
        super().__init__(f"{package}{'=' + version if version else ''} not downloadable ({apt_says})")


@dataclass(frozen=True)
class Kit:
    """Everything a boot needs."""
    release: Release
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


def host_tools(release: Release) -> dict[str, str]:
    return {**HOST_TOOLS, **(ZSTD_TOOL if release.image_compression == "zstd" else {})}


def missing_tools(release: Release = LINUX_6_1) -> list[str]:
    missing = [pkg for tool, pkg in host_tools(release).items() if shutil.which(tool) is None]
    if not STATIC_LIBC.exists():
        missing.append("libc6-dev")
    return missing


def install_tools(say, release: Release = LINUX_6_1) -> None:
    missing = missing_tools(release)
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


def _deb_glob(package: str, version: str | None) -> str:
    """The file name apt-get download gives the .deb (an epoch's ':' becomes %3a)."""
    return f"{package}_{version.replace(':', '%3a') if version else '*'}_*.deb"


def _apt_download(spec: str, into: Path) -> None:
    """apt-get download; a name or version in no package list is PackageNotPublished."""
    try:
        _run(["apt-get", "download", spec], "apt-get download", cwd=into)
    except OracleSetupError as e:
        if any(marker in str(e) for marker in APT_NOT_PUBLISHED):
            package, _, version = spec.partition("=")
            raise PackageNotPublished(package, version or None, str(e).split(": ", 1)[-1]) from None
        raise


def download_package(package: str, into: Path, say, version: str | None = None) -> Path:
    """The package's .deb (at ``version``, or any version when None): one already in
    ``into``, or apt-get download."""
    found = sorted(into.glob(_deb_glob(package, version)))
    if found:
        return found[-1]
    spec = f"{package}={version}" if version else package
    say(f"apt-get download {spec}")
    try:
        _apt_download(spec, into)
    except OracleSetupError:
        if os.geteuid() != 0:
            raise
        say("apt-get update (package lists may be stale), then download again")
        _run(["apt-get", "update", "-qq"], "apt-get update")
        _apt_download(spec, into)
    return sorted(into.glob(_deb_glob(package, version)))[-1]


def decompress_bzimage(bzimage: bytes, compression: str = "xz") -> bytes:
    """The vmlinux inside a bzImage whose payload is XZ (Debian's 6.1, CONFIG_KERNEL_XZ)
    or zstd (6.12, CONFIG_KERNEL_ZSTD)."""
    if compression == "zstd":
        vmlinux = _unzstd(zstd_payload(bzimage))
    elif compression == "xz":
        vmlinux = _unxz(bzimage)
    else:
        raise OracleSetupError(f"unknown kernel image compression {compression!r} (xz or zstd)")
    if not vmlinux.startswith(ELF_MAGIC):
        raise OracleSetupError(f"the image's {compression} payload is not an ELF vmlinux")
    return vmlinux


def _unxz(bzimage: bytes) -> bytes:
    at = bzimage.find(XZ_MAGIC)
    if at < 0:
        raise OracleSetupError("no XZ payload in the kernel image (not a CONFIG_KERNEL_XZ bzImage?)")
    return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(bzimage[at:])


def zstd_payload(bzimage: bytes) -> bytes:
    """The zstd frame of a bzImage, cut where the setup header says: after the frame come
    the size trailer and the rest of the image, which `zstd -d` would refuse as garbage."""
    if len(bzimage) < PAYLOAD_FIELDS_OFFSET + PAYLOAD_FIELDS.size:
        raise OracleSetupError("the kernel image is too short for an x86 setup header")
    setup_sects = bzimage[SETUP_SECTS_OFFSET] or DEFAULT_SETUP_SECTS
    payload_offset, payload_length = PAYLOAD_FIELDS.unpack_from(bzimage, PAYLOAD_FIELDS_OFFSET)
    start = (setup_sects + 1) * SECTOR_SIZE + payload_offset
    payload = bzimage[start:start + payload_length]
    if not payload.startswith(ZSTD_MAGIC) or len(payload) != payload_length or payload_length <= SIZE_TRAILER:
        raise OracleSetupError("no zstd payload where the setup header points (not a CONFIG_KERNEL_ZSTD bzImage?)")
    return payload[:-SIZE_TRAILER]


def _unzstd(frame: bytes) -> bytes:
    if shutil.which("zstd") is None:
        raise OracleSetupError("zstd is not on PATH; run: sudo apt-get install zstd")
    done = subprocess.run(["zstd", "-dc"], input=frame, capture_output=True)
    if done.returncode != 0:
        last = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise OracleSetupError(f"zstd -dc of the kernel image failed (exit {done.returncode}): {last[0]}")
    return done.stdout


def extract_vmlinux(deb: Path, release: Release, out: Path, say) -> None:
    say(f"extracting vmlinuz-{release.uname} from {deb.name}, "
        f"decompressing its {release.image_compression} payload to {out}")
    with tempfile.TemporaryDirectory() as tmp:
        _run(["dpkg-deb", "-x", str(deb), tmp], "dpkg-deb -x")
        bzimage = Path(tmp, "boot", f"vmlinuz-{release.uname}")
        if not bzimage.exists():
            raise OracleSetupError(f"{deb.name} has no boot/vmlinuz-{release.uname}")
        _atomic_write(out, decompress_bzimage(bzimage.read_bytes(), release.image_compression))


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


def not_published_message(release: Release, gone: PackageNotPublished) -> str:
    """The one line setup fails with when Debian has dropped a package the release pins."""
    return (f"{release.name} needs {gone.package} {gone.version or '(any version)'}, which Debian no longer "
            f"publishes; run scripts/refresh-kernel.sh {release.name} to move the release to an ABI Debian has now")


def setup(release: Release = LINUX_6_1, say=print, deb: Path | None = None, install: bool = True) -> Kit:
    """Make the kit ready (idempotent) and return it."""
    root = kit_dir(release)
    root.mkdir(parents=True, exist_ok=True)
    if install:
        install_tools(say, release)
    elif missing_tools(release):
        raise OracleSetupError(f"missing host packages: {' '.join(missing_tools(release))}")
    try:
        kit = _prepare(release, root, say, deb)
    except PackageNotPublished as gone:
        message = not_published_message(release, gone)
        _atomic_write(root / UNAVAILABLE, message.encode())
        raise OracleSetupError(message) from None
    (root / UNAVAILABLE).unlink(missing_ok=True)
    return kit


def kit_dir(release: Release) -> Path:
    return cache_dir() / release.uname


def _prepare(release: Release, root: Path, say, deb: Path | None) -> Kit:
    vmlinux = root / "vmlinux"
    if not vmlinux.exists():
        deb = deb or download_package(release.image_package, root, say, release.debian_version)
        extract_vmlinux(deb, release, vmlinux, say)
    init, stamp = root / "init", root / "init.sha256"
    if not init_is_current(init, stamp):
        build_init(init, say)
        stamp.write_text(init_digest())
    # Debian's own scripts/sign-file, which the signing tests compare lkmfuzz's signer with.
    # Any version of the package will do (sign-file does not change within a series), and
    # 6.1's is no longer published at the image's version.
    debian_cache().mkdir(parents=True, exist_ok=True)
    download_package(release.kbuild_package, debian_cache(), say)
    qemu = shutil.which("qemu-system-x86_64")
    if qemu is None:
        raise OracleSetupError("qemu-system-x86_64 is not on PATH after installing qemu-system-x86")
    return Kit(release, vmlinux, init, qemu)


def find_kit(release: Release = LINUX_6_1) -> tuple[Kit | None, str]:
    """The prepared kit without doing anything, or None and why not (for skips)."""
    root = kit_dir(release)
    if missing_tools(release):
        return None, f"host packages missing: {' '.join(missing_tools(release))}"
    run_setup = f"run `lkmfuzz oracle setup --kernel {release.name}`"
    if not (root / "vmlinux").exists():
        if (root / UNAVAILABLE).exists():
            return None, (root / UNAVAILABLE).read_text()
        return None, f"no kernel in {root}: {run_setup}"
    if not init_is_current(root / "init", root / "init.sha256"):
        return None, f"the oracle /init in {root} is missing or stale: {run_setup}"
    qemu = shutil.which("qemu-system-x86_64")
    if qemu is None:    # missing_tools() looked a moment ago
        return None, "qemu-system-x86_64 is not on PATH"
    return Kit(release, root / "vmlinux", root / "init", qemu), ""
