"""Run stored mutants through the load target's execution, for instruction counts.

    python benchmarks/verdict_equivalence.py make --count 300 --out /tmp/m300.pickle
    for n in 0 300; do valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        .venv/bin/python benchmarks/execute_mutants.py /tmp/m300.pickle $n 2>&1 | grep Collected; done

(the difference of the two counts over 300 is the instructions per execution; run it in
two trees with PYTHONPATH set to compare them on the very same inputs, where wall-clock
executions per second vary by 10 % and more between rounds on this machine).
"""

import pickle
import sys

from lkmfuzz.fuzzing import targets

try:
    from lkmfuzz.case import TestCase
except ImportError:         # a tree from before lkmfuzz/case.py (issue 20): compared with this one
    TestCase = targets.TestCase  # type: ignore[attr-defined]


def main(path: str, count: int) -> None:
    with open(path, "rb") as f:
        cases = pickle.load(f)[:count]
    for data, _args, _fail_nth in cases:
        try:
            targets.execute(TestCase(module=data))
        except targets.Finding:
            pass        # a finding is an outcome here, counted like any other


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
