"""`lkmfuzz fuzz`: a coverage-guided campaign over the bundled corpus.

Runs --jobs Atheris workers as child processes sharing one working corpus under
--work (libFuzzer -reload), replaces a worker that stops on a crash so a finding
never ends the campaign (libFuzzer's own -fork mode re-executes argv[0], which a
`python -m` harness is not), seeds it from the corpus directories,
prints progress from libFuzzer's status lines, rewrites a JSON stats file
atomically as it goes, and ends with a summary of the crash store.
"""

import configparser
import json
import os
import queue
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..triage.store import atomic_write, list_findings
from . import bundled, scenario
from .scenario import Scenario
from .targets import (MAX_NTH, NO_FAULT_PLAN, encode_fail_nth_plan, encode_sites_plan, modprobe_preload,
                      module_library)

STATUS = re.compile(r"#(\d+)\S*\s*(?:\w+\s+)?cov: (\d+) ft: (\d+) corp: (\d+)\S*(?:.*?exec/s:? (\d+))?")
PARAM_SEEDS = ("", "myint=5", 'mycharp="a b" mybool', "myint=abc mybyte=999", "-- myint=1",
               # arrparam's (the params target picks the module by the first name set)
               'myints=1,2,3 mynames=a,"b c" mylabel=xyz', "myints=1,2,3,4,5 mylabel=" + "l" * 20,
               "mynames=a,b,c,d myints=,x")
# Scenario seeds beyond "every corpus module as it is": (seed module, what the header says).
# A preload of 2+ picks corpus/*.ko by name order (scenario.bundled_dependencies).
SCENARIO_SEEDS = (
    *(("hello", {"args": args}) for args in PARAM_SEEDS[1:]),
    *(("hello", {"args": args}) for args in (
        "myint=0x10 mylong=-5 myulong=18446744073709551616", "mylong=-9223372036854775809 myshort=-0",
        "mybool=off myinvbool=n async_probe", "mycharp=" + "c" * 1100, "mybyte=0377 myushort=+7 -myint=3")),
    *(("arrparam", {"args": args}) for args in (
        'myints=1,2,3 mynames=a,"b c" mylabel=xyz', "myints=1,2,3,4,5,6,7,8,9 mylabel=" + "l" * 100,
        "myints=1,,x mynames=" + "n" * 1100)),
    ("hello", {"preload": 1}),
    ("hello", {"syscall": "init_module"}),
    ("hello", {"init_result": scenario.INIT_RESULTS[4]}),
    ("hello", {"flags": 3}),
    ("hello", {"faithful": True}),
    ("hello", {"faults": True, "plan_header": bytes([0, 4, 0, 0])}),
    *(("hello", {"unload": mode}) for mode in scenario.UNLOAD_MODES[1:]),
    ("initexit", {"unload": "plain"}),
)


def scenario_seeds(corpus_dirs: list[Path]) -> dict[str, bytes]:
    """name -> raw scenario input: each corpus module with the default header, the
    variants of SCENARIO_SEEDS, consumer on top of hello, and signed seeds on a
    sig_enforce kernel trusting the test key."""
    from ..mutate.signature import unknown_signer
    from ..sign import sign_module
    modules = {path.stem: path.read_bytes() for d in corpus_dirs for path in sorted(Path(d).glob("*.ko"))}
    seeds = {f"{name}.ko": scenario.encode(Scenario(module=data)) for name, data in modules.items()}
    for i, (name, fields) in enumerate(SCENARIO_SEEDS):
        if name in modules:
            seeds[f"{name}-{i}"] = scenario.encode(Scenario(module=modules[name], **fields))
    if {"hello", "consumer"} <= set(modules):
        seeds["consumer-on-hello"] = scenario.encode(Scenario(module=modules["consumer"], unload="dependency",
                                                              preload=scenario.dependency_preload("hello")))
    if "hello" in modules:
        seeds["hello-without-exit"] = scenario.encode(Scenario(module=scenario.without_exit(modules["hello"]),
                                                               unload="plain"))
    seeds.update(corruption_seeds(modules))
    signer, enforce = unknown_signer(), (scenario.config_switch("sig_enforce"),)
    for name in ("hello", "consumer"):
        if name in modules:
            seeds[f"{name}-signed"] = scenario.encode(Scenario(module=sign_module(modules[name], signer),
                                                               trust_test_key=True, config=enforce))
    return seeds


def corruption_seeds(modules: dict) -> dict[str, bytes]:
    """The DESIGN.md corruption set (the oracle's catalogue, each one measured on the real
    kernel) as scenario inputs, and three refusals no catalogue entry reaches: .ctors with
    .init_array on a CONFIG_CONSTRUCTORS kernel, a per-CPU section larger than the
    reserved area, and the allocation of a module's use of another failing."""
    from ..oracle.cases import HELLO_CORRUPTIONS, ctors_and_init_array
    seeds = {}
    if "hello" in modules:
        for name, (corrupt, args, flags, attempts) in HELLO_CORRUPTIONS.items():
            case = Scenario(module=corrupt(modules["hello"]), args=args, flags=flags, preload=int(attempts > 1))
            seeds[f"design-{name.replace(' ', '_').replace('/', '_')}"] = scenario.encode(case)
        seeds["design-ctors_on_constructors_kernel"] = scenario.encode(Scenario(
            module=ctors_and_init_array(modules["hello"]), config=(scenario.config_switch("constructors"),)))
    if "percpu" in modules:
        seeds["percpu-exhausted"] = scenario.encode(Scenario(module=oversized_percpu(modules["percpu"])))
    if "consumer" in modules:
        seeds["consumer-use-alloc-fails"] = scenario.encode(Scenario(
            module=modules["consumer"], preload=scenario.dependency_preload("hello"), faults=True,
            plan_header=encode_sites_plan({"kmalloc"})))
    return seeds


def oversized_percpu(module: bytes) -> bytes:
    """.data..percpu as NOBITS of twice the area reserved for all modules' per-CPU data."""
    from ..elf import constants as C
    from ..elf import patch
    from ..kernel.alloc import PERCPU_MODULE_RESERVE
    return patch.set_shdr(module, ".data..percpu", sh_type=C.SHT_NOBITS, sh_size=2 * PERCPU_MODULE_RESERVE)


@dataclass
class Stats:
    target: str
    structured: bool
    profile: str = "hardened"
    started: float = field(default_factory=time.time)
    execs: int = 0
    cov: int = 0
    features: int = 0
    corpus: int = 0
    exec_per_s: int = 0
    crashes: int = 0
    series: list = field(default_factory=list)   # [elapsed s, execs, cov, corpus, crashes]

    def update(self, match: re.Match, crashes: int) -> None:
        self.execs, self.cov, self.features, self.corpus = (int(match.group(i)) for i in range(1, 5))
        self.exec_per_s = int(match.group(5) or self.exec_per_s)
        self.crashes = crashes
        self.series.append([round(time.time() - self.started, 1), self.execs, self.cov, self.corpus, crashes])


def faults_seed_plans(module: bytes, preload: tuple) -> list[bytes]:
    """The faults target's plan headers for one module: no fault, then for each distinct
    unwind path of its load (the labels a failure runs) the first fail-nth that takes it,
    found by failing every fault point in turn (lkmfuzz faults).  A module that does not
    load cleanly gets fail-nth 3, 15 and 30."""
    from ..systematic import BaselineError, run_systematic
    try:
        runs = run_systematic(module, "", "hardened", preload).runs
    except BaselineError:
        return [NO_FAULT_PLAN, *(encode_fail_nth_plan(n) for n in (3, 15, 30))]
    first = {}
    for run in runs:
        if run.n <= MAX_NTH:
            first.setdefault(run.labels, run.n)
    return [NO_FAULT_PLAN, *(encode_fail_nth_plan(n) for n in sorted(first.values()))]


def seed_corpus(target: str, corpus_dirs: list[Path], seeds_dir: Path) -> int:
    """Write the target's seed inputs: modules as they are, behind fault plan headers,
    or parameter strings."""
    seeds_dir.mkdir(parents=True, exist_ok=True)
    count = 0
    if target == "scenario":
        for name, data in scenario_seeds(corpus_dirs).items():
            atomic_write(seeds_dir / name, data)
            count += 1
        return count
    if target == "params":
        for i, text in enumerate(PARAM_SEEDS):
            atomic_write(seeds_dir / f"params-{i}", text.encode())
            count += 1
        return count
    signer = None
    if target == "signature":
        from ..mutate.signature import unknown_signer
        from ..sign import sign_module
        signer = unknown_signer()
    paths = [path for directory in corpus_dirs for path in sorted(Path(directory).glob("*.ko"))]
    library = module_library(path.read_bytes() for path in paths)
    for path in paths:
        data = path.read_bytes()
        if target == "faults":
            for variant, module in ((path.stem, data), (f"{path.stem}-version", with_version(data))):
                if module is None:
                    continue
                plans = faults_seed_plans(module, modprobe_preload(module, library))
                for n, head in enumerate(plans):
                    atomic_write(seeds_dir / f"{variant}-{n}.ko", head + module)
                count += len(plans)
            continue
        if signer is not None:
            data = sign_module(data, signer)
        atomic_write(seeds_dir / path.name, data)
        count += 1
    return count


# No corpus module has MODULE_VERSION: the faults target gets each with one, so that a
# load passes setup_modinfo()'s kstrdup()s (version=, srcversion=) and free_modinfo has
# something to free.
DESCRIPTION, VERSION = b"description=lkmfuzz seed", b"version=1\0srcversion=ABC"


def with_version(module: bytes) -> bytes | None:
    """The module with version= and srcversion= in .modinfo (in place of its description)."""
    from ..elf import patch
    if DESCRIPTION not in module:
        return None
    return patch.replace_in_section(module, ".modinfo", DESCRIPTION, VERSION)


DEFAULT_HARNESS = "lkmfuzz.fuzzing.harness"
HARNESSES = bundled.HARNESSES     # harnesses/, as package data


def target_options(target: str, harnesses: Path | None = HARNESSES) -> list[str]:
    """The libFuzzer flags of harnesses/<target>_fuzzer.options (the file OSS-Fuzz reads:
    max_len, timeout, the target's dictionary), the dictionary's path made absolute; none
    without the file.  Raises CampaignError for a file configparser cannot read."""
    if harnesses is None:
        return []
    path = Path(harnesses) / f"{target}_fuzzer.options"
    if not path.is_file():
        return []
    options = configparser.ConfigParser()
    try:
        options.read(path)
    except configparser.Error as e:
        raise CampaignError(f"{path}: {str(e).splitlines()[0]}") from None
    if not options.has_section("libfuzzer"):
        return []
    return [f"-{key}={harnesses / value if key == 'dict' else value}" for key, value in options["libfuzzer"].items()]


def harness_command(target: str, profile: str, crashes: Path, structured: bool, seconds: int, seed: int,
                    work: Path, seeds: Path, extra: list[str], harness: str = DEFAULT_HARNESS) -> list[str]:
    """One worker's command line: the campaign's own flags, then ``extra`` (libFuzzer keeps
    the last value of a flag given twice)."""
    cmd = [sys.executable, "-m", harness, "--target", target, "--profile", profile,
           "--crashes", str(crashes)]
    if not structured:
        cmd.append("--no-structured")
    cmd += [f"-max_total_time={max(1, seconds)}", f"-seed={seed}", "-reload=1", "-timeout=10",
            "-rss_limit_mb=4096", f"-artifact_prefix={work / 'artifacts'}/", "-print_final_stats=1"]
    return cmd + extra + [str(work / "corpus"), str(seeds)]


# libFuzzer's -merge=1 re-executes argv[0] for its crash-resistant inner runs; a
# `python -m` harness is not executable, so the merge runs through this script.
MERGE_WRAPPER = "#!/bin/sh\nexec {command} --argv0 \"$0\" \"$@\"\n"


def minimize_corpus(target: str, profile: str, work: Path, out: Path, crashes: Path, structured: bool = True,
                    harness: str = DEFAULT_HARNESS) -> int:
    """libFuzzer -merge=1 of a campaign's corpus and seeds (``work``, e.g. .lkmfuzz/scenario)
    into ``out``: the smallest subset with the same coverage features.  The merge fills a
    temporary directory beside ``out`` which then replaces ``out`` by rename, so a reader
    sees the old corpus or the new one, never half of it.  Returns the number of inputs."""
    out, work = Path(out).resolve(), Path(work).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    (work / "artifacts").mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.merging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    wrapper = staging.parent / f".{out.name}.merge-{os.getpid()}.sh"
    try:
        command = [sys.executable, "-m", harness, "--target", target, "--profile", profile, "--crashes", str(crashes)]
        command += [] if structured else ["--no-structured"]
        wrapper.write_text(MERGE_WRAPPER.format(command=shlex.join(command)))
        wrapper.chmod(0o755)
        inputs = [str(d) for d in (work / "corpus", work / "seeds") if d.is_dir()]
        proc = subprocess.run([str(wrapper), "-merge=1", f"-artifact_prefix={work / 'artifacts'}/", str(staging),
                               *inputs], capture_output=True, text=True)
        if proc.returncode != 0:
            raise CampaignError(f"libFuzzer -merge=1 failed (exit {proc.returncode}): "
                                f"{(proc.stderr or proc.stdout).strip().splitlines()[-1:]}")
        _replace_dir(staging, out)
    finally:
        wrapper.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
    return sum(1 for _ in out.iterdir())


def _replace_dir(new: Path, old: Path) -> None:
    """Put ``new`` where ``old`` is: two renames (a directory cannot be renamed over a full one)."""
    retired = old.parent / f".{old.name}.old-{os.getpid()}"
    if old.exists():
        old.rename(retired)
    new.rename(old)
    shutil.rmtree(retired, ignore_errors=True)


class CampaignError(Exception):
    """A campaign step that could not be done: one line for the user."""


class Worker:
    """One libFuzzer process; its status lines are read on a thread into a shared queue."""

    def __init__(self, slot: int, cmd: list[str], lines: "queue.Queue"):
        self.slot = slot
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     errors="replace")
        self.execs = 0
        threading.Thread(target=self._pump, args=(lines,), daemon=True).start()

    def _pump(self, lines) -> None:
        for line in self.proc.stdout:
            lines.put((self.slot, line))


def work_dir(work: Path, target: str, structured: bool) -> Path:
    """Where a campaign keeps its corpus, seeds, artifacts and stats: WORK/<target>[-bytes]."""
    return Path(work) / f"{target}{'' if structured else '-bytes'}"


def run_campaign(target: str, seconds: int, jobs: int, corpus_dirs: list[Path], crashes: Path, work: Path,
                 profile: str = "hardened", structured: bool = True, extra: list[str] = (),
                 echo=print, harness: str = DEFAULT_HARNESS) -> Stats:
    """Keep ``jobs`` workers fuzzing until ``seconds`` have passed.  A worker that stops
    on a crash (recorded in the store by the harness) is replaced by a fresh one on the
    same, growing corpus, so one finding never ends the campaign.  Workers get the target's
    .options, then ``extra``.  Raises CampaignError for an options file it cannot read."""
    extra = target_options(target) + list(extra)
    work = work_dir(work, target, structured)
    (work / "corpus").mkdir(parents=True, exist_ok=True)
    (work / "artifacts").mkdir(parents=True, exist_ok=True)
    crashes.mkdir(parents=True, exist_ok=True)
    seeds = work / "seeds"
    count = seed_corpus(target, corpus_dirs, seeds)
    known = {p.name for p in list_findings(crashes)}
    stats = Stats(target, structured, profile)
    deadline = time.time() + seconds
    echo(f"fuzzing target {target} ({'structured + byte' if structured else 'byte-level'} mutation, "
         f"{profile}) for {seconds}s with {jobs} job(s); {count} seeds; findings in {crashes}/")
    echo(f"libFuzzer flags: {shlex.join(extra) or '(none)'}")
    lines: queue.Queue = queue.Queue()
    workers: dict[int, Worker] = {}
    done_execs, restarts, last_print, launched = 0, 0, 0.0, 0
    try:
        while True:
            remaining = int(deadline - time.time())
            for slot in range(jobs):
                worker = workers.get(slot)
                if worker is not None and worker.proc.poll() is not None:
                    done_execs += worker.execs
                    restarts += worker.proc.returncode != 0
                    del workers[slot]
                if slot not in workers and remaining >= 1:
                    launched += 1
                    workers[slot] = Worker(slot, harness_command(target, profile, crashes, structured, remaining,
                                                                 launched, work, seeds, list(extra), harness),
                                             lines)
            if not workers:
                break
            try:
                slot, line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            match = STATUS.search(line)
            if match and slot in workers:
                workers[slot].execs = int(match.group(1))
                stats.update(match, len({p.name for p in list_findings(crashes)} - known))
                stats.execs = done_execs + sum(w.execs for w in workers.values())
                stats.corpus = sum(1 for _ in (work / "corpus").iterdir())
            if time.time() - last_print >= 5 and stats.series:
                last_print = time.time()
                atomic_write(work / "stats.json", json.dumps(asdict(stats)).encode())
                echo(f"  {stats.series[-1][0]:>6.0f}s  execs {stats.execs:>8}  exec/s {stats.exec_per_s:>5}  "
                     f"cov {stats.cov:>5}  corpus {stats.corpus:>5}  new crashes {stats.crashes}  "
                     f"worker restarts {restarts}")
    finally:
        for worker in workers.values():
            worker.proc.kill()
    new = sorted({p.name for p in list_findings(crashes)} - known)
    stats.crashes = len(new)
    atomic_write(work / "stats.json", json.dumps(asdict(stats)).encode())
    echo(summary(stats, crashes, new))
    return stats


def summary(stats: Stats, crashes: Path, new: list[str]) -> str:
    lines = [f"done: {stats.execs} execs, cov {stats.cov}, features {stats.features}, corpus {stats.corpus}, "
             f"{len(new)} new crash title(s), {len(list_findings(crashes))} in {crashes}/"]
    for name in new:
        finding = json.loads((crashes / name / "finding.json").read_text())
        lines.append(f"  {crashes / name}: {finding['title']} (x{finding['count']})")
    return "\n".join(lines)
