"""Do two trees give the same loads?  The check every refactor of the loader passes.

    python benchmarks/verdict_equivalence.py make --count 30000 --out /tmp/mutants.pickle
    python benchmarks/verdict_equivalence.py run --mutants /tmp/mutants.pickle --out /tmp/before.txt
    (in the other tree, with its own venv)
    python benchmarks/verdict_equivalence.py run --mutants /tmp/mutants.pickle --out /tmp/after.txt
    python benchmarks/verdict_equivalence.py compare /tmp/before.txt /tmp/after.txt

``make`` draws the mutants once (structured and byte-level, a parameter string, one in
five with a fail-nth plan) so that both trees load the very same bytes even when the
mutators differ between them.  ``run`` loads each mutant in linux-6.1 and hardened and
writes one line per load and field: the verdict, taints, trace and unwound labels, the
fault points passed, a digest of module memory (bytes and page permissions), sysfs and
the kernel log.  ``compare`` counts the differences per field and shows the first few.
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import random
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ("linux-6.1", "hardened")
ARGS = (b"", b"", b"myint=abc", b"myints=1,2", b"myint=7 mystr=x")
FIELDS = ("verdict", "taint", "trace", "unwound", "points", "memory", "sysfs", "log")


def make(count: int, out: Path, seed: int) -> None:
    from lkmfuzz.kernel.symbols import debian_symbols
    from lkmfuzz.mutate.structured import Context, mutate_structured

    ctx = Context.from_symbols(debian_symbols())
    seeds = [p.read_bytes() for p in sorted((ROOT / "corpus").glob("*.ko"))]
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        data = rng.choice(seeds)
        if rng.random() < 0.6:
            data = mutate_structured(data, rng, ctx)
        else:
            b = bytearray(data)
            for _ in range(rng.randint(1, 4)):
                b[rng.randrange(len(b))] = rng.randrange(256)
            data = bytes(b)
        fail_nth = rng.randint(1, 60) if rng.random() < 0.2 else None
        cases.append((data, rng.choice(ARGS), fail_nth))
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(pickle.dumps(cases))
    tmp.replace(out)
    print(f"{count} mutants -> {out}")


def _digest(*parts) -> str:
    return hashlib.sha1(repr(parts).encode()).hexdigest()[:16]


def _memory(kernel) -> str:
    return _digest([(r.label, r.base, r.size, bytes(r.buf) if r.dense else None, r.perms)
                    for r in kernel.alloc.space.regions()])


def load_fields(data: bytes, args: bytes, fail_nth: int | None, profile: str) -> dict[str, str]:
    from lkmfuzz.faults import FaultPlan
    from lkmfuzz.kernel.kernel import Kernel
    from lkmfuzz.loader import finit_module

    kernel = Kernel(profile)
    result = finit_module(kernel, data, args, fault_plan=FaultPlan(fail_nth=fail_nth) if fail_nth else None)
    return {
        "verdict": str(result),
        "taint": f"{kernel.taint:#x} {result.module.taint_letters if result.ok else ''}",
        "trace": " ".join(step for step, *_ in result.trace),
        "unwound": " ".join(result.unwound),
        "points": _digest(kernel.alloc.injector.points),
        "memory": _memory(kernel),
        "sysfs": _digest(kernel.sysfs.listing()),
        "log": _digest(kernel.log),
    }


def run(mutants: Path, out: Path) -> None:
    cases = pickle.loads(mutants.read_bytes())
    lines = []
    for i, (data, args, fail_nth) in enumerate(cases):
        for profile in PROFILES:
            fields = load_fields(data, args, fail_nth, profile)
            lines += [f"{i} {profile} {name} {fields[name]!r}" for name in FIELDS]
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text("\n".join(lines) + "\n")
    tmp.replace(out)
    print(f"{len(cases)} mutants x {len(PROFILES)} profiles -> {out}")


def compare(before: Path, after: Path, show: int) -> int:
    old, new = before.read_text().splitlines(), after.read_text().splitlines()
    if len(old) != len(new):
        print(f"different lengths: {len(old)} and {len(new)} lines", file=sys.stderr)
        return 1
    differ: Counter = Counter()
    shown = 0
    for a, b in zip(old, new, strict=True):
        if a != b:
            differ[a.split(" ", 3)[2]] += 1
            if shown < show:
                print(f"- {a}\n+ {b}")
                shown += 1
    loads = len(old) // len(FIELDS)
    print(f"{loads} loads compared; differing per field: " +
          ", ".join(f"{name} {differ[name]}" for name in FIELDS))
    return 1 if differ else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("make")
    p.add_argument("--count", type=int, default=30000)
    p.add_argument("--seed", type=int, default=20)
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("run")
    p.add_argument("--mutants", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("compare")
    p.add_argument("before", type=Path)
    p.add_argument("after", type=Path)
    p.add_argument("--show", type=int, default=5)
    args = parser.parse_args(argv)
    if args.command == "make":
        make(args.count, args.out, args.seed)
    elif args.command == "run":
        run(args.mutants, args.out)
    else:
        return compare(args.before, args.after, args.show)
    return 0


if __name__ == "__main__":
    sys.exit(main())
