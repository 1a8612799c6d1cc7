"""Mutation testing of the harnesses: can a campaign find a missing check?

For each mutant of the hardened loader — one validation check deleted
(``hardened-minus-CHECK``, loader/hardening.py) or one cleanup label that undoes
nothing (``hardened-minus-undo_LABEL``) — run one Atheris worker of a target on one
core from the bundled corpus for a budget of executions, and report whether it
found anything, after how many executions, and the title.  Checks go to the
default ``load`` target, cleanup labels to ``faults``.  A control run of the
unmutated loader must find nothing in the same budget, or every "found" is noise.

    python -m lkmfuzz.fuzzing.selftest [--runs N] [--jobs J] [--only NAME ...] [--json FILE]

Exit status: 0 every mutant found and the control clean, 1 a mutant survived or the
control found something, 2 bad usage, an unwritable --json/--keep or a harness that
would not run (one line on stderr), 130 interrupted.
"""

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from ..findings.store import StoreError, atomic_write, check_writable
from ..kernel.profile import CLEANUP_LABELS, HARDENING_CHECKS, MINUS, UNDO
from .campaign import harness_command, seed_corpus, target_options
from .scenario import BUNDLED_CORPUS
from .targets import FINDING_LINE

FOUND = re.compile(re.escape(FINDING_LINE) + r" (\d+) execs: (.*)")
DEFAULT_RUNS = 60_000
CONTROL = "control"
# Generous: 60,000 executions take about a minute on one core.
TIMEOUT_S = 1800


@dataclass
class Outcome:
    mutant: str
    target: str
    found: bool
    execs: int | None
    title: str
    seconds: float


def mutants(only: list[str] | None = None) -> list[tuple[str, str]]:
    """(mutant, target): every validation check for ``load``, every cleanup label for ``faults``."""
    every = [(check, "load") for check in HARDENING_CHECKS]
    every += [(UNDO + label, "faults") for label in CLEANUP_LABELS]
    if only:
        unknown = set(only) - {m for m, _ in every} - {CONTROL}
        if unknown:
            raise ValueError(f"unknown mutant(s) {sorted(unknown)}; known: {', '.join(m for m, _ in every)}")
        every = [(m, t) for m, t in every if m in only]
    return every


def run_mutant(mutant: str, target: str, runs: int, work: Path, seed: int = 1,
               corpus_dirs: tuple = (BUNDLED_CORPUS,)) -> Outcome:
    """One worker of ``target`` on the mutant until its first finding or ``runs`` executions."""
    profile = "hardened" if mutant == CONTROL else f"hardened{MINUS}{mutant}"
    base = work / f"{mutant}-{target}"
    seeds = base / "seeds"
    seed_corpus(target, list(corpus_dirs), seeds)
    (base / "corpus").mkdir(parents=True, exist_ok=True)
    (base / "artifacts").mkdir(parents=True, exist_ok=True)
    cmd = harness_command(target, profile, base / "crashes", True, TIMEOUT_S, seed, base, seeds,
                          target_options(target) + [f"-runs={runs}"])
    started = time.time()
    proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=TIMEOUT_S + 60)
    match = FOUND.search(proc.stderr)
    if match is None and proc.returncode != 0:
        raise RuntimeError(f"{mutant}: the harness exited {proc.returncode} without a finding: "
                           f"{proc.stderr.strip().splitlines()[-3:]}")
    return Outcome(mutant, target, match is not None, int(match.group(1)) if match else None,
                   match.group(2) if match else "", round(time.time() - started, 1))


def render(outcomes: list[Outcome], runs: int) -> str:
    lines = [f"{'mutant':<36} {'target':<7} {'result':<7} {'execs':>7}  title"]
    for o in outcomes:
        result = ("clean" if not o.found else "NOISE") if o.mutant == CONTROL else ("found" if o.found else "MISSED")
        lines.append(f"{o.mutant:<36} {o.target:<7} {result:<7} {o.execs or '-':>7}  {o.title}")
    judged = [o for o in outcomes if o.mutant != CONTROL]
    lines.append(f"{sum(o.found for o in judged)}/{len(judged)} mutants found within {runs} executions each")
    return "\n".join(lines)


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def run_plan(plan: list, args) -> list[Outcome]:
    """Run the mutants ``--jobs`` at a time, printing each outcome as it comes in order."""
    with tempfile.TemporaryDirectory(prefix="lkmfuzz-mutation-") as tmp, ThreadPoolExecutor(args.jobs) as pool:
        work = args.keep or Path(tmp)
        futures = [pool.submit(run_mutant, m, t, args.runs, work, args.seed) for m, t in plan]
        outcomes = []
        try:
            for future in futures:
                outcome = future.result()
                outcomes.append(outcome)
                print(f"  {outcome.mutant:<36} {'found' if outcome.found else 'not found':<9} "
                      f"{outcome.execs or '-':>7} execs {outcome.seconds:>6}s  {outcome.title}", flush=True)
        finally:
            for future in futures:
                future.cancel()      # what has not started does not start
    return outcomes


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="mutation-check", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=positive, default=DEFAULT_RUNS, help="executions per mutant (default 60000)")
    parser.add_argument("--jobs", type=positive, default=1, help="mutants run at once, one core each")
    parser.add_argument("--only", nargs="+", metavar="MUTANT", help="these mutants only (and 'control')")
    parser.add_argument("--no-control", action="store_true", help="skip the unmutated control runs")
    parser.add_argument("--json", type=Path, help="write the outcomes here (atomically)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="keep each run's corpus and findings under DIR (default: a temporary directory)")
    args = parser.parse_args(argv)
    try:
        plan = mutants(args.only)
        for directory in filter(None, (args.json and args.json.parent, args.keep)):
            check_writable(directory)     # before the minutes of work whose result goes there
    except (ValueError, StoreError) as e:
        print(f"mutation-check: error: {e}", file=sys.stderr)
        return 2
    if not args.no_control and (not args.only or CONTROL in args.only):
        plan = [(CONTROL, target) for target in sorted({t for _, t in plan} or {"load"})] + plan
    try:
        outcomes = run_plan(plan, args)
    except RuntimeError as e:
        print(f"mutation-check: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mutation-check: interrupted", file=sys.stderr)
        return 130
    print(render(outcomes, args.runs))
    if args.json:
        atomic_write(args.json, json.dumps([asdict(o) for o in outcomes], indent=1).encode())
    survived = [o for o in outcomes if o.found == (o.mutant == CONTROL)]
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
