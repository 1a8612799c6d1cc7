"""The Atheris entry point shared by harnesses/*_fuzzer.py.

    python -m lkmfuzz.fuzzing.harness --target load [--crashes DIR] [--profile P]
                                      [--no-structured] [--argv0 EXE] [libFuzzer flags and corpus dirs]

Every input is decoded into a test case and executed on a fresh simulated kernel
(lkmfuzz.fuzzing.targets).  A Finding is recorded in the crash store before it is
re-raised, so libFuzzer sees a crash (and, in -fork mode with -ignore_crashes=1,
the campaign goes on) while the store keeps a replayable entry.  A finding that is an
exception escaping the loader is re-raised as that exception, so that libFuzzer's log —
what ClusterFuzz groups crashes by — shows the loader's frames, not the harness's.
Frozen by PyInstaller (OSS-Fuzz, ClusterFuzzLite) the harness keeps no store unless
--crashes is given: the engine keeps the crash file, and `lkmfuzz repro FILE --target T`
decodes it.  The custom
mutator mixes the structure-aware operators with libFuzzer's own byte mutation;
--no-structured leaves only the latter, for comparison.
"""

import argparse
import gc
import json
import random
import sys
import time
from pathlib import Path
from typing import TypedDict

import atheris

# Coverage feedback comes from the code under test: the loader, the ELF reader it
# uses, symbol lookup and the kernel's PKCS#7/X.509 parsing.  The simulated
# kernel's plumbing (allocator, memory, sysfs), the invariant checker, the
# checkpoints, the mutators and the crash store are not instrumented: their
# branches say nothing about an input, and tracing them made each execution
# several times slower.  (atheris includes whole top-level packages and excludes
# exact module names.)
TARGETS_PACKAGE = ("execution", "findings", "kernels", "unload_modes", "registry",
                   "load", "faults", "params", "signature", "scenario")
NOT_UNDER_TEST = ["lkmfuzz.case", "lkmfuzz.fuzzing.scenario", "lkmfuzz.fuzzing.checkpoint",
                  "lkmfuzz.fuzzing.bundled",
                  "lkmfuzz.faults", "lkmfuzz.invariants",
                  "lkmfuzz.properties", "lkmfuzz.kernel.alloc", "lkmfuzz.kernel.memory", "lkmfuzz.kernel.sysfs",
                  "lkmfuzz.kernel.kernel", "lkmfuzz.kernel.module", "lkmfuzz.kernel.taint", "lkmfuzz.kernel.profile",
                  "lkmfuzz.findings.title",
                  # the targets package, every module of it: decoders and execution
                  "lkmfuzz.fuzzing.targets", *(f"lkmfuzz.fuzzing.targets.{name}" for name in TARGETS_PACKAGE)]

with atheris.instrument_imports(include=["lkmfuzz"], exclude=NOT_UNDER_TEST):
    from lkmfuzz.fuzzing import targets
from lkmfuzz.case import TestCase, replace  # noqa: E402
from lkmfuzz.fuzzing import scenario  # noqa: E402
from lkmfuzz.kernel.profile import get_profile  # noqa: E402 - after the instrumented imports
from lkmfuzz.kernel.symbols import release_symbols  # noqa: E402
from lkmfuzz.loader.signing import MODULE_SIG_STRING  # noqa: E402
from lkmfuzz.mutate.params import mutate_params  # noqa: E402
from lkmfuzz.mutate.signature import signature_operator  # noqa: E402
from lkmfuzz.mutate.structured import Context, mutate_structured  # noqa: E402

TARGETS = targets.TARGETS
STRUCTURED_SHARE = 0.6
# How the structured mutator splits its attention on a scenario input.
SCENARIO_HEADER_SHARE = 0.25
SCENARIO_ARGS_SHARE = 0.15
SIGNED_SHARE = 0.5         # of the rest, for a signed module: the signature operators


DEPTH_WRITE_S = 2.0     # how often the step counters go to --depth-file


class StepCounts(TypedDict):
    reached: int                # executions that got to the step
    errnos: dict[str, int]      # errno name -> executions the step refused with it


class Depth:
    """How deep inputs get: per pipeline step, how many executions reached it and the
    errnos it returned (from each LoadResult's trace), written now and then to a file
    the campaign sums over its workers (campaign.depth_counts)."""

    def __init__(self, path: Path | None):
        self.path, self.written = path, time.monotonic()
        self.counts: dict[str, StepCounts] = {"executions": {"reached": 0, "errnos": {}}}

    def add(self, result) -> None:
        if self.path is None:
            return
        self.counts["executions"]["reached"] += 1
        for step, outcome in getattr(result, "trace", ()):
            entry = self.counts.get(step)
            if entry is None:
                entry = self.counts[step] = {"reached": 0, "errnos": {}}
            entry["reached"] += 1
            if outcome != "ok":
                name = outcome.split(" ", 1)[0]
                entry["errnos"][name] = entry["errnos"].get(name, 0) + 1
        if time.monotonic() - self.written >= DEPTH_WRITE_S:
            self.write()

    def write(self) -> None:
        from lkmfuzz.findings.store import atomic_write
        if self.path is None:
            raise ValueError("Depth.write: no --depth-file to write to (add() counts nothing then)")
        self.written = time.monotonic()
        atomic_write(self.path, json.dumps(self.counts).encode())


class Harness:
    def __init__(self, target: str, profile: str, crashes: Path | None, structured: bool, depth: Path | None = None,
                 campaign: str | None = None):
        self.target, self.profile, self.crashes, self.structured = target, profile, crashes, structured
        self.campaign = campaign
        self.depth = Depth(depth)
        self.execs = 0
        release = get_profile(profile).release
        self.ctx = Context.from_symbols(release_symbols(release), release.struct_module)
        self.decode = targets.decoder_for(target, profile)
        # Every params input loads one of a few modules: resume each from its checkpoint.
        self.resumables: dict[bytes, targets.Resumable] = {}
        # Build what decoding caches (the test key) before the clock starts.
        self.decode(bytes([scenario.TRUST_TEST_KEY]))

    def test_one_input(self, data: bytes) -> None:
        self.execs += 1
        case = self.decode(data)
        try:
            self.depth.add(targets.execute(case, self.resumable(case)))
        except targets.Finding as finding:
            if self.crashes is not None:
                targets.save_finding(self.crashes, finding, self.target, data, self.campaign)
            # What scripts/mutation-check reads: how soon this worker found something.
            print(f"{targets.FINDING_LINE} {self.execs} execs: {finding.title}", file=sys.stderr, flush=True)
            if finding.kind == "exception" and finding.__cause__ is not None:
                raise finding.__cause__ from None
            raise

    def resumable(self, case: TestCase) -> "targets.Resumable | None":
        if self.target != "params":
            return None
        found = self.resumables.get(case.module)
        if found is None:
            found = self.resumables[case.module] = targets.Resumable.prepare(replace(case, args=""))
        return found

    def mutate(self, data: bytes, max_size: int, seed: int) -> bytes:
        rng = random.Random(seed)
        if not self.structured or rng.random() >= STRUCTURED_SHARE:
            return atheris.Mutate(data, max_size)
        if self.target == "params":
            return mutate_params(data, rng, max_size)
        if self.target == "signature" and rng.random() < 0.7:
            return signature_operator(data, rng)[:max_size]
        if self.target == "scenario":
            return self.mutate_scenario(data, rng, max_size)
        if self.target == "faults":
            head, module = data[:targets.PLAN_HEADER], data[targets.PLAN_HEADER:]
            if rng.random() < 0.2:
                head = bytes(rng.randrange(256) for _ in range(targets.PLAN_HEADER))
            module = mutate_structured(module, rng, self.ctx, max(0, max_size - targets.PLAN_HEADER))
            return targets.encode_faults(head, module)[:max_size]   # libFuzzer aborts on a longer one
        return mutate_structured(data, rng, self.ctx, max_size)

    def mutate_scenario(self, data: bytes, rng: random.Random, max_size: int) -> bytes:
        """One of: a header byte rewritten, the parameters mutated, a signed module's
        signature mutated, the module mutated."""
        head, args, module = scenario.split(data)
        roll = rng.random()
        if roll < SCENARIO_HEADER_SHARE:
            edited = bytearray(head)
            edited[rng.randrange(len(edited))] = rng.randrange(256)
            head = bytes(edited)
        elif roll < SCENARIO_HEADER_SHARE + SCENARIO_ARGS_SHARE:
            args = mutate_params(args, rng, scenario.MAX_ARGS)
        elif module.endswith(MODULE_SIG_STRING) and rng.random() < SIGNED_SHARE:
            module = signature_operator(module, rng) or module
        else:
            module = mutate_structured(module, rng, self.ctx, max(0, max_size - scenario.HEADER_SIZE - len(args)))
        return scenario.join(head, args, module)[:max_size]


COMMITTED_CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def writes_into_committed_corpus(libfuzzer_args: list[str]) -> str | None:
    """libFuzzer writes new inputs into its first corpus directory: never the repository's
    committed corpus/ (its seeds are real modules with their sources).  The message, or None."""
    dirs = [a for a in libfuzzer_args if not a.startswith("-") and Path(a).is_dir()]
    if dirs and Path(dirs[0]).resolve() == COMMITTED_CORPUS:
        return (f"{dirs[0]} is the committed seed corpus and libFuzzer would add inputs to it; "
                f"give a directory of your own first: ... new-inputs/ {dirs[0]}")
    return None


def main(target: str | None = None, argv=None) -> None:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--target", default=target, choices=TARGETS)
    parser.add_argument("--profile", default="hardened")
    # A frozen binary runs wherever the engine puts it: no store unless asked for.
    parser.add_argument("--crashes", default=None if getattr(sys, "frozen", False) else "crashes", type=Path)
    parser.add_argument("--no-structured", action="store_true")
    # What libFuzzer re-executes for -merge=1 (a python -m module is not executable):
    # campaign.minimize_corpus passes a wrapper script.
    parser.add_argument("--argv0", default=sys.argv[0])
    parser.add_argument("--depth-file", type=Path, help="write per-step reach and errno counters here")
    parser.add_argument("--campaign", help="the campaign this worker belongs to (stored with its findings)")
    args, rest = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    from lkmfuzz.kernel.profile import ProfileError, get_profile
    try:
        get_profile(args.profile)
    except ProfileError as e:     # before any input: a bad option is not a finding
        sys.exit(f"{parser.prog}: error: --profile: {e}")
    refused = writes_into_committed_corpus(rest)
    if refused:
        sys.exit(f"{parser.prog}: error: {refused}")
    harness = Harness(args.target or "load", args.profile, args.crashes, not args.no_structured, args.depth_file,
                      args.campaign)
    atheris.Setup([args.argv0] + rest, harness.test_one_input, custom_mutator=harness.mutate)
    # Everything built so far (symbol table, instrumented code, checkpoints) lives for
    # the whole campaign: keep it out of the collector's full passes.
    gc.freeze()
    atheris.Fuzz()


if __name__ == "__main__":
    main()
