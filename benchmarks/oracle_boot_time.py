"""Host time from qemu's start to the /init's READY line, per kernel release: N boots of
each prepared kit, each loading that release's hello.ko, and the median.

Run: .venv/bin/python benchmarks/oracle_boot_time.py 7

Needs the kits (`lkmfuzz oracle setup --kernel linux-6.1` and `--kernel linux-6.12`);
a release whose kit is missing is reported and skipped.
"""

import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lkmfuzz.kernel.release import LINUX_6_1, LINUX_6_12  # noqa: E402
from lkmfuzz.oracle.cases import cases_from_files  # noqa: E402
from lkmfuzz.oracle.kit import find_kit  # noqa: E402
from lkmfuzz.oracle.qemu import run_cases  # noqa: E402

# Each release's seeds (built for it by corpus/build.sh --kernel).
HELLO = {LINUX_6_1: ROOT / "corpus" / "hello.ko", LINUX_6_12: ROOT / "corpus" / "linux-6.12" / "hello.ko"}


def boot_seconds(release, boots: int) -> tuple[list[float], str]:
    kit, why = find_kit(release)
    if kit is None:
        return [], why
    seconds: list[float] = []
    verdict = ""
    for _ in range(boots):
        (outcome,), stats = run_cases(kit, cases_from_files([HELLO[release]]))
        seconds += stats.boot_seconds
        verdict = outcome.describe()
    return seconds, verdict


def main() -> None:
    boots = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    for release in HELLO:
        seconds, verdict = boot_seconds(release, boots)
        if not seconds:
            print(f"{release.name}: skipped ({verdict})")
            continue
        print(f"{release.name}: {len(seconds)} boots, median {statistics.median(seconds):.2f} s "
              f"(min {min(seconds):.2f}, max {max(seconds):.2f}); hello: {verdict}")


if __name__ == "__main__":
    main()
