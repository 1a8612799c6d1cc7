"""Systematic fault enumeration time per seed: every fault point of a clean load failed
in turn, with all invariants checked after each attempt (and after the unload).

Run: .venv/bin/python benchmarks/bench_faults.py [--repeat N]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lkmfuzz.systematic import run_systematic  # noqa: E402

DEPENDS = {"consumer": ("hello",)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"{'seed':<12} {'points':>6} {'violations':>10}   min / median time")
    for path in sorted((ROOT / "corpus").glob("*.ko")):
        name = path.stem
        data = path.read_bytes()
        preload = tuple((ROOT / "corpus" / f"{dep}.ko").read_bytes() for dep in DEPENDS.get(name, ()))
        times, report = [], None
        for _ in range(args.repeat):
            start = time.perf_counter()
            report = run_systematic(data, "", "hardened", preload)
            times.append(time.perf_counter() - start)
        print(f"{name:<12} {len(report.points):>6} {len(report.violations):>10}   "
              f"{min(times) * 1e3:7.1f} / {statistics.median(times) * 1e3:7.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
