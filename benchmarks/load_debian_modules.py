"""Every module of a Debian kernel package, loaded into ONE simulated kernel (issue 21).

Run: .venv/bin/python benchmarks/load_debian_modules.py [--deb PATH] [--profile NAME]
         [--limit N] [--verdicts FILE]

As on a real system: the package is extracted (dpkg-deb -x, into a temporary directory
removed at the end), depmod (kmod) computes modules.dep from it, and every module is
loaded after the modules it depends on, each with finit_module() exactly as
`lkmfuzz load` does.  Compressed modules (.ko.xz, .ko.zst) are decompressed in user
space first, as kmod does.  Prints the number of modules, the verdict counts, the total
seconds, the mean of the first and last 300 loads and the five slowest; --verdicts
writes one `name kind verdict` line per module, so that two trees' runs can be
compared with cmp.

An exception escaping the loader is a bug in the model: it is printed with its
traceback, counted as a failure, and the script exits 1 at the end.
"""

import argparse
import collections
import lzma
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lkmfuzz.kernel.kernel import Kernel  # noqa: E402
from lkmfuzz.kernel.profile import get_profile  # noqa: E402
from lkmfuzz.loader import finit_module  # noqa: E402

DEFAULT_DEB = (Path.home() / ".cache/lkmfuzz/oracle/6.1.0-56-amd64"
               / "linux-image-6.1.0-56-amd64-unsigned_6.1.192-2_amd64.deb")
MODULE_SUFFIXES = (".ko", ".ko.xz", ".ko.zst")
WINDOW = 300     # loads averaged at the start and at the end


def download_deb(deb: Path, into: Path) -> Path:
    """apt-get download the package named by ``deb``'s file name (name_version_arch.deb)."""
    package, version, _arch = deb.name.removesuffix(".deb").split("_")
    print(f"{deb} is absent: apt-get download {package}={version} into {into}", flush=True)
    subprocess.run(["apt-get", "download", f"{package}={version}"], cwd=into, check=True)
    return next(into.glob("*.deb"))


def extract(deb: Path, root: Path) -> str:
    """dpkg-deb -x the package into ``root``, run depmod there; the kernel's uname."""
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    unames = sorted(p.name for p in (root / "lib/modules").iterdir())
    if len(unames) != 1:
        raise SystemExit(f"{deb}: expected one kernel in lib/modules, found {unames}")
    depmod = shutil.which("depmod") or "/usr/sbin/depmod"
    subprocess.run([depmod, "-b", str(root), unames[0]], check=True)
    return unames[0]


def read_modules_dep(path: Path) -> dict[str, list[str]]:
    """modules.dep: {module path: [its dependencies' paths]}, in the file's order."""
    deps = {}
    for line in path.read_text().splitlines():
        module, _, rest = line.partition(":")
        deps[module] = rest.split()
    return deps


def load_order(deps: dict[str, list[str]]) -> list[str]:
    """Every module after all it depends on: depth first in modules.dep order, a
    module's dependencies from the last listed (modprobe inserts them in that order)."""
    order: list[str] = []
    placed: set[str] = set()
    for top in deps:
        stack = [(top, False)]
        while stack:
            module, expanded = stack.pop()
            if module in placed:
                continue
            if expanded:
                placed.add(module)
                order.append(module)
                continue
            stack.append((module, True))
            # Pushed in list order, popped last-listed first.
            stack.extend((dep, False) for dep in deps.get(module, ()) if dep not in placed)
    return order


def module_bytes(path: Path) -> bytes:
    """The module's ELF: .ko.xz and .ko.zst decompressed in user space, as kmod does."""
    data = path.read_bytes()
    if path.name.endswith(".xz"):
        return lzma.decompress(data)
    if path.name.endswith(".zst"):
        return subprocess.run(["zstd", "-dc", str(path)], capture_output=True, check=True).stdout
    return data


def module_name(path: str) -> str:
    name = Path(path).name
    for suffix in MODULE_SUFFIXES[::-1]:
        name = name.removesuffix(suffix)
    return name


def load_all(kernel: Kernel, moddir: Path, order: list[str]) -> list[tuple[str, str, float]]:
    """(name, verdict line, seconds) per module, loaded one after the other."""
    rows = []
    for i, path in enumerate(order):
        data = module_bytes(moddir / path)
        start = time.perf_counter()
        try:
            result = finit_module(kernel, data)
            verdict = f"{result.kind} {result}"
        except Exception:   # a bug in the model: shown in full and counted, never hidden
            verdict = "exception"
            print(f"EXCEPTION loading {path}:\n{traceback.format_exc()}", file=sys.stderr, flush=True)
        rows.append((module_name(path), verdict, time.perf_counter() - start))
        if (i + 1) % 500 == 0:
            print(f"  {i + 1} loaded, {sum(r[2] for r in rows):.1f} s", flush=True)
    return rows


def write_verdicts(path: Path, rows: list[tuple[str, str, float]]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(f"{name} {verdict}\n" for name, verdict, _ in rows))
    os.replace(tmp, path)


def report(rows: list[tuple[str, str, float]]) -> None:
    kinds = collections.Counter(verdict.split()[0] for _, verdict, _ in rows)
    seconds = [s for _, _, s in rows]
    print(f"modules: {len(rows)}")
    print("verdicts: " + ", ".join(f"{kind} {n}" for kind, n in kinds.most_common()))
    print(f"total: {sum(seconds):.1f} s of loads")
    window = min(WINDOW, len(rows))
    if window:
        print(f"mean of the first {window} loads: {1000 * sum(seconds[:window]) / window:.2f} ms; "
              f"of the last {window}: {1000 * sum(seconds[-window:]) / window:.2f} ms")
    for name, verdict, s in sorted(rows, key=lambda r: -r[2])[:5]:
        print(f"  slow: {name} {1000 * s:.1f} ms ({verdict.split()[0]})")
    refused = [(name, verdict) for name, verdict, _ in rows if not verdict.startswith("loaded")]
    for name, verdict in refused[:20]:
        print(f"  not loaded: {name}: {verdict}")


def run(args, deb: Path, workdir: Path) -> int:
    root = workdir / "root"
    uname = extract(deb, root)
    moddir = root / "lib/modules" / uname
    order = load_order(read_modules_dep(moddir / "modules.dep"))
    if args.limit is not None:
        order = order[:args.limit]
    print(f"{deb.name}: {uname}, {len(order)} modules into one {args.profile} kernel", flush=True)
    kernel = Kernel(get_profile(args.profile))
    wall = time.perf_counter()
    rows = load_all(kernel, moddir, order)
    print(f"wall: {time.perf_counter() - wall:.1f} s (decompression and reading included)")
    report(rows)
    if args.verdicts:
        write_verdicts(Path(args.verdicts), rows)
    failures = sum(verdict == "exception" for _, verdict, _ in rows)
    if failures:
        print(f"FAILED: {failures} exception(s) escaped the loader (tracebacks above)")
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deb", type=Path, default=DEFAULT_DEB, help="the linux-image package")
    parser.add_argument("--profile", default="linux-6.1")
    parser.add_argument("--limit", type=int, default=None, help="load only the first N modules of the order")
    parser.add_argument("--verdicts", help="write one 'name kind verdict' line per module here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lkmfuzz-debmods-") as tmp:
        workdir = Path(tmp)
        deb = args.deb
        if not deb.exists():
            if deb != DEFAULT_DEB:
                raise SystemExit(f"{deb}: no such package")
            deb = download_deb(deb, workdir)
        return run(args, deb, workdir)


if __name__ == "__main__":
    sys.exit(main())
