"""Loads per second of the loader model, beside pyelftools and LIEF merely parsing.

Run: .venv/bin/python benchmarks/bench_load.py [--repeat N] [--seed NAME ...]

For each seed: the time of one full finit_module() (every step, through do_init_module)
in the hardened and linux-6.1 profiles, timed alone (the unload between runs is not
counted); pyelftools opening the file and walking its sections, symbols and
relocations; LIEF parsing it.  Figures are the minimum and median of --repeat runs
on one core, with the long-lived heap frozen (gc.freeze) as in the fuzzing harness.
The contenders run interleaved, one call each per round in a shuffled order, so
that whatever else the machine does slows them alike and the ratios stay fair.  Not
part of the test suite: speed is measured here, not asserted.
"""

import argparse
import gc
import io
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lkmfuzz.kernel.kernel import Kernel  # noqa: E402
from lkmfuzz.loader import delete_module, finit_module  # noqa: E402

SEEDS = ("hello", "consumer", "initexit", "relocs", "arrparam", "proprietary", "percpu", "livepatch")
DEPENDS = {"consumer": ("hello",)}


def time_rounds(contenders: dict, repeat: int) -> dict:
    """{name: (setup or None, fn)} -> {name: [seconds per call]}, interleaved.

    The order is shuffled every round (with a fixed seed): whichever call follows
    LIEF or pyelftools runs on colder caches, and no contender should always be it."""
    runs = {name: [] for name in contenders}
    order, rng = list(contenders), random.Random(0)
    for _ in range(repeat):
        rng.shuffle(order)
        for name in order:
            setup, fn = contenders[name]
            if setup:
                setup()
            start = time.perf_counter()
            fn()
            runs[name].append(time.perf_counter() - start)
    return runs


def model_load(data: bytes, profile: str, name: str) -> tuple:
    """(setup, load): one full finit_module() on a kernel with the seed's dependencies;
    the setup unloads the previous run's module, untimed."""
    kernel = Kernel(profile)
    for dep in DEPENDS.get(name, ()):
        finit_module(kernel, (ROOT / "corpus" / f"{dep}.ko").read_bytes())
    state = {}

    def load():
        state["result"] = finit_module(kernel, data)

    def unload():
        result = state.pop("result", None)
        if result is not None and result.ok:
            delete_module(kernel, result.name)
    return unload, load


def peak_memory(data: bytes, profile: str) -> int:
    """Peak Python memory (tracemalloc) of one full load on a fresh kernel, in bytes."""
    import tracemalloc
    kernel = Kernel(profile)
    tracemalloc.start()
    finit_module(kernel, data)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def pyelftools_parse(data: bytes):
    try:
        from elftools.elf.elffile import ELFFile
        from elftools.elf.relocation import RelocationSection
        from elftools.elf.sections import SymbolTableSection
    except ImportError:
        return None

    def parse():
        elf = ELFFile(io.BytesIO(data))
        for section in elf.iter_sections():
            if isinstance(section, SymbolTableSection):
                for _ in section.iter_symbols():
                    pass
            elif isinstance(section, RelocationSection):
                for _ in section.iter_relocations():
                    pass
    return parse


def lief_parse(data: bytes):
    try:
        import lief
    except ImportError:
        return None
    lief.logging.disable()
    return lambda: lief.ELF.parse(list(data))


def fmt(runs) -> str:
    if not runs:
        return "n/a"
    return f"{min(runs) * 1e3:7.3f} / {statistics.median(runs) * 1e3:7.3f} ms"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=500)
    parser.add_argument("--seed", action="append", choices=SEEDS)
    args = parser.parse_args(argv)
    print(f"{'seed':<12} {'what':<22} {'min / median':>22}  {'loads/s':>8}  vs pyelftools")
    for name in args.seed or SEEDS:
        data = (ROOT / "corpus" / f"{name}.ko").read_bytes()
        contenders = {"hardened load": model_load(data, "hardened", name),
                      "linux-6.1 load": model_load(data, "linux-6.1", name),
                      "pyelftools parse": (None, pyelftools_parse(data)), "lief parse": (None, lief_parse(data))}
        # What lives for the whole run (the kernels, Debian's symbol table) is kept out
        # of the collector's full passes, as the fuzzing harness does; every contender
        # still pays for collecting its own garbage.
        gc.collect()
        gc.freeze()
        timed = time_rounds({what: c for what, c in contenders.items() if c[1] is not None}, args.repeat)
        gc.unfreeze()
        elf = timed.get("pyelftools parse")
        for what in contenders:
            runs = timed.get(what)
            rate = f"{1 / statistics.median(runs):8.0f}" if runs else "     n/a"
            ratio = f"{statistics.median(elf) / statistics.median(runs):5.2f}x" if runs and elf else ""
            print(f"{name:<12} {what:<22} {fmt(runs):>22}  {rate}  {ratio}")
        print(f"{name:<12} {'peak memory, one load':<22} {peak_memory(data, 'hardened') / 1024:>18.0f} KiB "
              f"(file {len(data) / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
