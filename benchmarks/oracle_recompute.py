"""Recompute finished `oracle diff --mutants` runs with the current model: the same cases
(regenerated from the corpus, count and seed: mutant generation is seeded), the kernel's
side as each run's --json recorded it.  What a model fix changes, without booting again.

    python benchmarks/oracle_recompute.py linux-6.12 struct:1:/tmp/o612/struct-1.json bytes:1:/tmp/o612/bytes-1.json

Each argument after the kernel is KIND:SEED:JSON (KIND ``struct``, or ``bytes`` for a
--byte-mutants run).  Prints each disagreement and the totals, classified as
``oracle diff`` does (lkmfuzz.oracle.diff.Row); the kernel's side of a row (an oops in
module code or while unloading, a hang) is taken from the category the run recorded.
"""

import errno
import json
import sys
from collections import Counter
from pathlib import Path

from lkmfuzz.kernel.release import RELEASES
from lkmfuzz.oracle.cases import byte_mutant_cases, mutant_cases
from lkmfuzz.oracle.diff import Row, model_outcome
from lkmfuzz.oracle.protocol import KernelOutcome

KERNEL_SIDE = ("module-code oops", "unload oops", "hang")


def kernel_outcome(row: dict) -> KernelOutcome:
    """Enough of the kernel's outcome for Row's model-side classification."""
    results = [0 if kind == "loaded" else getattr(errno, kind) for kind in row["kernel"] if kind != "kernel-fault"]
    oops = "recorded" if "kernel-fault" in row["kernel"] else None
    return KernelOutcome(results=results, oops=oops, klog=row["klog"])


def recompute(kernel: str, specs: list[str]) -> Counter:
    totals: Counter = Counter()
    seeds = Path("corpus", RELEASES[kernel].seeds)
    for spec in specs:
        kind, seed, path = spec.split(":", 2)
        rows = json.loads(Path(path).read_text())["rows"]
        make = byte_mutant_cases if kind == "bytes" else mutant_cases
        for case, recorded in zip(make(seeds, len(rows), int(seed), kernel), rows, strict=True):
            assert case.name == recorded["case"], f"{path}: {case.name} is not {recorded['case']}"
            row = Row(case.name, model_outcome(case), kernel_outcome(recorded))
            category = recorded["category"] if recorded["category"] in KERNEL_SIDE else row.category
            totals[category] += 1
            if category == "DISAGREE":
                print(f"{case.name:32} model {row.model.details[-1][:100]} | kernel {recorded['kernel_detail'][:60]}")
            if category == "wild access" and recorded["kernel"][-1:] == ["kernel-fault"]:
                totals["wild access, kernel oopsed"] += 1
            if category in ("agree", "DISAGREE") and recorded["kernel"] == ["kernel-fault"]:
                totals["loader oopses"] += 1
                totals["loader oopses predicted"] += row.model.kinds[-1:] == ["kernel-fault"]
            elif category in ("agree", "DISAGREE", "unload oops") and "kernel-fault" in row.model.kinds:
                totals["false kernel-faults"] += 1
    return totals


def main() -> None:
    totals = recompute(sys.argv[1], sys.argv[2:])
    comparable = totals["agree"] + totals["DISAGREE"] + totals["unload oops"]
    print(dict(sorted(totals.items())))
    print(f"agreement {totals['agree'] + totals['unload oops']}/{comparable} "
          f"({100 * (totals['agree'] + totals['unload oops']) / comparable:.2f} %)")


if __name__ == "__main__":
    main()
