"""Boot-to-boot variation of the real kernel: run one case of the measured corruption set N times, each on
a fresh boot, and print the distribution of what the kernel did (and the model's
verdict, which never varies).

Run: .venv/bin/python benchmarks/oracle_variation.py "ctors and init_array" 10

tests/test_oracle.py records such a case (VARIES_BETWEEN_BOOTS) instead of failing on
the outcome it did not see this boot; this script gives the distribution behind it.
"""

import collections
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lkmfuzz.oracle.cases import design_cases  # noqa: E402
from lkmfuzz.oracle.diff import compare  # noqa: E402
from lkmfuzz.oracle.kit import find_kit  # noqa: E402
from lkmfuzz.oracle.qemu import run_cases  # noqa: E402


def main(argv) -> int:
    name, runs = (argv[1] if len(argv) > 1 else "ctors and init_array"), int(argv[2]) if len(argv) > 2 else 10
    kit, why = find_kit()
    if kit is None:
        print(f"the qemu oracle is not ready: {why}", file=sys.stderr)
        return 2
    case = next(c for c in design_cases(ROOT / "corpus") if c.name == f"hello: {name}")
    seen = collections.Counter()
    model = None
    for _ in range(runs):
        outcomes, _stats = run_cases(kit, [case])          # one case: one boot each time
        row = compare([case], outcomes).rows[0]
        model = " then ".join(row.model.details)
        seen[(row.category, row.kernel.describe())] += 1
    print(f"hello: {name}, {runs} boots; model: {model}")
    for (category, kernel), n in seen.most_common():
        print(f"  {n:>3}x  {category:<12} kernel: {kernel}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
