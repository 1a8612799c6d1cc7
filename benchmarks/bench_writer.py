"""Speed of write_elf on a 20-section module (the goal: well under 1 ms).

Moved out of the test suite: on a shared 2-core machine the timing varied
enough to fail CI by chance.  Run: .venv/bin/python benchmarks/bench_writer.py
"""

import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from test_elf_writer import twenty_section_model  # noqa: E402

from lkmfuzz.elf.writer import write_elf  # noqa: E402

GOAL_S = 1e-3


def main() -> int:
    model = twenty_section_model()
    best = min(timeit.repeat(lambda: write_elf(model), number=50, repeat=5)) / 50
    print(f"write_elf, 20 sections: best of 5x50 {best * 1e6:.0f} us (goal < {GOAL_S * 1e6:.0f} us)")
    return 0 if best < GOAL_S else 1


if __name__ == "__main__":
    sys.exit(main())
