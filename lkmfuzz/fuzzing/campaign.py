"""`lkmfuzz fuzz`: a coverage-guided campaign over the bundled corpus.

Runs --jobs Atheris workers as child processes sharing one working corpus under
--work (libFuzzer -reload), replaces a worker that stops on a crash so a finding
never ends the campaign (libFuzzer's own -fork mode re-executes argv[0], which a
`python -m` harness is not), seeds it from the corpus directories,
prints progress from libFuzzer's status lines, rewrites a JSON stats file
atomically as it goes, and ends with a summary of the crash store.
"""

import collections
import configparser
import json
import os
import queue
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TypedDict

from ..errors import LkmfuzzError
from ..findings.store import atomic_write, list_findings
from . import bundled, scenario
from .scenario import Scenario
from .targets import MAX_NTH, NO_FAULT_PLAN, encode_fail_nth_plan, encode_sites_plan, modprobe_preload, module_library

STATUS = re.compile(r"#(\d+)\S*\s*(?:\w+\s+)?cov: (\d+) ft: (\d+) corp: (\d+)\S*(?:.*?exec/s:? (\d+))?")
PARAM_SEEDS = ("", "myint=5", 'mycharp="a b" mybool', "myint=abc mybyte=999", "-- myint=1",
               # arrparam's (the params target picks the module by the first name set)
               'myints=1,2,3 mynames=a,"b c" mylabel=xyz', "myints=1,2,3,4,5 mylabel=" + "l" * 20,
               "mynames=a,b,c,d myints=,x")


class ScenarioFields(TypedDict, total=False):
    """Scenario's fields a seed sets (its module aside)."""
    args: str
    preload: int
    syscall: str
    init_result: int
    flags: int
    faithful: bool
    faults: bool
    plan_header: bytes
    unload: str


# Scenario seeds beyond "every corpus module as it is": (seed module, what the header says).
# A preload of 2+ picks corpus/*.ko by name order (scenario.bundled_dependencies).
SCENARIO_SEEDS: tuple[tuple[str, ScenarioFields], ...] = (
    *(("hello", ScenarioFields(args=args)) for args in PARAM_SEEDS[1:]),
    *(("hello", ScenarioFields(args=args)) for args in (
        "myint=0x10 mylong=-5 myulong=18446744073709551616", "mylong=-9223372036854775809 myshort=-0",
        "mybool=off myinvbool=n async_probe", "mycharp=" + "c" * 1100, "mybyte=0377 myushort=+7 -myint=3")),
    *(("arrparam", ScenarioFields(args=args)) for args in (
        'myints=1,2,3 mynames=a,"b c" mylabel=xyz', "myints=1,2,3,4,5,6,7,8,9 mylabel=" + "l" * 100,
        "myints=1,,x mynames=" + "n" * 1100)),
    ("hello", {"preload": 1}),
    ("hello", {"syscall": "init_module"}),
    ("hello", {"init_result": scenario.INIT_RESULTS[4]}),
    ("hello", {"flags": 3}),
    ("hello", {"faithful": True}),
    ("hello", {"faults": True, "plan_header": bytes([0, 4, 0, 0])}),
    *(("hello", ScenarioFields(unload=mode)) for mode in scenario.UNLOAD_MODES[1:]),
    ("initexit", {"unload": "plain"}),
)


def scenario_seeds(corpus_dirs: list[Path], profile: str = "hardened") -> dict[str, bytes]:
    """name -> raw scenario input: each corpus module with the default header, the
    variants of SCENARIO_SEEDS, consumer on top of hello, and signed seeds on a
    sig_enforce kernel trusting the test key."""
    from ..kernel.profile import get_profile
    from ..keys import unknown_signer
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
        exit_offset = get_profile(profile).struct_module.exit_offset
        seeds["hello-without-exit"] = scenario.encode(Scenario(module=scenario.without_exit(modules["hello"],
                                                                                            exit_offset),
                                                               unload="plain"))
    seeds.update(corruption_seeds(modules))
    signer, enforce = unknown_signer(), (scenario.config_switch("sig_enforce"),)
    for name in ("hello", "consumer"):
        if name in modules:
            seeds[f"{name}-signed"] = scenario.encode(Scenario(module=sign_module(modules[name], signer),
                                                               trust_test_key=True, config=enforce))
    return seeds


def corruption_seeds(modules: dict) -> dict[str, bytes]:
    """The measured corruption set (mutate/corruptions.py: the oracle's catalogue, each one
    measured on the real kernel) as scenario inputs, and three refusals no catalogue entry reaches: .ctors with
    .init_array on a CONFIG_CONSTRUCTORS kernel, a per-CPU section larger than the
    reserved area, and the allocation of a module's use of another failing."""
    from ..mutate.corruptions import HELLO_CORRUPTIONS, ctors_and_init_array
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
    """The campaign's figures, over all its workers, continued across worker restarts and
    across campaigns resumed in the same --work (``series`` is appended, never reset)."""
    target: str
    structured: bool
    profile: str = "hardened"
    started: float = field(default_factory=time.time)
    execs: int = 0              # summed over workers, and over earlier runs of this --work
    cov: int = 0                # libFuzzer cov: the largest any worker reported (they share one corpus)
    features: int = 0
    corpus: int = 0             # files in the shared corpus directory
    exec_per_s: int = 0         # summed over the workers running
    crashes: int = 0            # new crash titles of this campaign
    restarts: int = 0           # workers relaunched after one stopped on a crash
    seconds_before: float = 0.0  # elapsed time of earlier runs of this --work
    runs: int = 0               # how many campaigns wrote this file
    series: list = field(default_factory=list)   # [elapsed s, execs, cov, corpus, crashes, exec/s, unix time]
    crash_times: list = field(default_factory=list)   # [elapsed s, crash title] when first found
    depth: dict = field(default_factory=dict)    # step -> {"reached": n, "errnos": {name: n}} (harness counters)
    interrupted: int = 0        # the signal that stopped this run (SIGINT, SIGTERM), 0 if none
    new_crashes: list = field(default_factory=list)   # crash ids first stored by this run

    def elapsed(self) -> float:
        return round(self.seconds_before + time.time() - self.started, 1)

    def record(self) -> None:
        self.series.append([self.elapsed(), self.execs, self.cov, self.corpus, self.crashes, self.exec_per_s,
                            round(time.time(), 1)])

    @classmethod
    def resume(cls, path: Path, target: str, structured: bool, profile: str) -> "Stats":
        """This --work's earlier stats continued, or fresh ones (none, or another target's)."""
        stats = cls(target, structured, profile)
        try:
            old = json.loads(path.read_text())
        except FileNotFoundError:
            return stats        # the first campaign in this --work
        except (OSError, ValueError) as e:
            raise CampaignError(f"{path}: cannot continue its history ({e}); move it away to start a new one") \
                from None
        if not isinstance(old, dict) or old.get("target") != target or not isinstance(old.get("series"), list) \
                or not old["series"]:
            raise CampaignError(f"{path}: not the stats of a {target} campaign; move it away to start a new one")
        stats.series = [row for row in old["series"] if isinstance(row, list) and len(row) >= 5]
        stats.crash_times = list(old.get("crash_times", []))
        stats.depth = old.get("depth", {}) if isinstance(old.get("depth"), dict) else {}
        if stats.series:
            last = stats.series[-1]
            stats.seconds_before, stats.execs, stats.cov = float(last[0]), int(last[1]), int(last[2])
        stats.restarts = int(old.get("restarts", 0))
        stats.runs = int(old.get("runs", 0))
        return stats


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
    first: dict[tuple, int] = {}      # unwind labels -> the first fail-nth that runs them
    for run in runs:
        if run.n <= MAX_NTH:
            first.setdefault(run.labels, run.n)
    return [NO_FAULT_PLAN, *(encode_fail_nth_plan(n) for n in sorted(first.values()))]


def seed_corpus(target: str, corpus_dirs: list[Path], seeds_dir: Path, profile: str = "hardened") -> int:
    """Write the target's seed inputs: modules as they are, behind fault plan headers,
    or parameter strings (for the kernel release ``profile`` imitates)."""
    seeds_dir.mkdir(parents=True, exist_ok=True)
    count = 0
    if target == "scenario":
        for name, data in scenario_seeds(corpus_dirs, profile).items():
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
        from ..keys import unknown_signer
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


MERGE_MARK = ".lkmfuzz-merge"    # in a --minimize-corpus output: the names of the files it wrote


def merge_output_files(out: Path) -> list[str] | None:
    """The files an earlier --minimize-corpus wrote into ``out`` (its mark lists them), or
    None when ``out`` is not such an output."""
    try:
        names = json.loads((out / MERGE_MARK).read_text())
    except (OSError, ValueError):
        return None
    return names if isinstance(names, list) and all(isinstance(n, str) for n in names) else None


def check_merge_output(out: Path) -> None:
    """``out`` may be replaced: missing, empty, or exactly an earlier merge's output.  A
    command never deletes files it did not create; raises CampaignError otherwise."""
    out = Path(out)
    if not out.exists():
        return
    if not out.is_dir():
        raise CampaignError(f"{out} is not a directory")
    present = {p.name for p in out.iterdir()}
    if not present:
        return
    ours = merge_output_files(out)
    if ours is None:
        raise CampaignError(f"{out} is not empty and not an earlier --minimize-corpus output; "
                            f"give a new or empty directory (nothing in it is deleted)")
    foreign = sorted(present - set(ours) - {MERGE_MARK})
    if foreign:
        raise CampaignError(f"{out} holds {len(foreign)} file(s) an earlier merge did not write "
                            f"(e.g. {foreign[0]}); move them away first")


def minimize_corpus(target: str, profile: str, work: Path, out: Path, crashes: Path, structured: bool = True,
                    harness: str = DEFAULT_HARNESS) -> int:
    """libFuzzer -merge=1 of a campaign's corpus and seeds (``work``, e.g. .lkmfuzz/scenario)
    into ``out``: the smallest subset with the same coverage features, each input named
    <sha1>.ko (so `lkmfuzz fuzz OUT` finds them).  The merge fills a temporary directory
    beside ``out`` which then replaces ``out`` by rename, so a reader sees the old corpus
    or the new one, never half of it.  ``out`` must be new, empty or an earlier merge's
    output (check_merge_output): nothing else is ever deleted.  Returns the number of inputs."""
    out, work = Path(out).resolve(), Path(work).resolve()
    check_merge_output(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    (work / "artifacts").mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.merging-{os.getpid()}"
    staging.mkdir()           # ours: it did not exist (FileExistsError otherwise, nothing removed)
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
        names = []
        for path in sorted(staging.iterdir()):
            name = path.name if path.name.endswith(".ko") else f"{path.name}.ko"
            path.rename(staging / name)
            names.append(name)
        atomic_write(staging / MERGE_MARK, json.dumps(sorted(names)).encode())
        check_merge_output(out)   # again: nothing appeared in it during the merge
        _replace_dir(staging, out)
    finally:
        wrapper.unlink(missing_ok=True)
        if staging.exists():
            shutil.rmtree(staging)
    return sum(1 for p in out.iterdir() if p.name != MERGE_MARK)


def _replace_dir(new: Path, old: Path) -> None:
    """Put ``new`` where ``old`` is: two renames (a directory cannot be renamed over a full
    one).  ``old`` was checked by check_merge_output: empty or an earlier merge's output."""
    retired = old.parent / f".{old.name}.old-{os.getpid()}"
    if old.exists():
        old.rename(retired)
    new.rename(old)
    if retired.exists():
        shutil.rmtree(retired)


class CampaignError(LkmfuzzError):
    """A campaign step that could not be done: one line for the user."""


class Terminated(BaseException):
    """SIGTERM arrived (raised by the campaign's handler, like KeyboardInterrupt for SIGINT)."""


LOG_TAIL = 12            # lines of a failed worker's log shown
EARLY_EXIT_SLACK_S = 5   # a worker ending with exit 0 this long before the deadline was told to stop
STARTUP_FAILURES_FATAL = 5   # a worker stopping before libFuzzer's INITED this many times in a row on one
                             # slot (a seed that crashes every time) stops the campaign; a crash found while
                             # fuzzing, however soon, is a finding and the worker is replaced
CRASH_MARKS = ("Test unit written to", "ERROR: libFuzzer:", "Uncaught Python exception")


class Worker:
    """One libFuzzer process in its own session (stopping it stops whatever it started).
    Its output goes line by line to worker-N.log and, for the status lines, into a
    shared queue; the last lines are kept to explain a failure."""

    def __init__(self, slot: int, cmd: list[str], lines: "queue.Queue", log: Path):
        self.slot, self.log_path = slot, log
        self.log = open(log, "a", encoding="utf-8", errors="replace")
        self.log.write(f"--- {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {shlex.join(cmd)}\n")
        self.log.flush()
        self.started = time.time()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     errors="replace", start_new_session=True)
        self.execs = self.exec_per_s = self.cov = self.features = self.status_lines = 0
        self.crashed = self.inited = False
        self.tail: collections.deque = collections.deque(maxlen=LOG_TAIL)
        self.pump = threading.Thread(target=self._pump, args=(lines,), daemon=True)
        self.pump.start()

    def _pump(self, lines: "queue.Queue") -> None:
        assert self.proc.stdout is not None, "the worker was started with stdout=PIPE"
        for line in self.proc.stdout:
            self.log.write(line)
            self.log.flush()
            self.tail.append(line.rstrip("\n"))
            self.crashed = self.crashed or any(mark in line for mark in CRASH_MARKS)
            self.inited = self.inited or "INITED" in line
            lines.put((self.slot, line))

    def finish(self) -> None:
        """Wait for the process and for its last lines (it has exited or is being stopped)."""
        self.proc.wait()
        self.pump.join(timeout=10)
        self.log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass              # it ended between poll() and killpg()
        self.finish()

    def why_fatal(self, remaining: float, startup_failures: int) -> str | None:
        """Why this (ended) worker must stop the campaign, or None when it stopped on a crash
        like libFuzzer does and a fresh one should take its place."""
        code = self.proc.returncode
        if self.status_lines == 0 and not self.crashed:
            return f"worker {self.slot} exited at once (exit {code}) without fuzzing"
        if code == 0 and remaining > EARLY_EXIT_SLACK_S:
            return (f"worker {self.slot} ended {remaining:.0f} s before the deadline (exit 0): "
                    f"a libFuzzer flag such as -runs= or -help=1 stops it")
        if startup_failures >= STARTUP_FAILURES_FATAL:
            return (f"worker {self.slot} stopped {startup_failures} times in a row before it finished reading its "
                    f"corpus (INITED)")
        return None


def work_dir(work: Path, target: str, structured: bool) -> Path:
    """Where a campaign keeps its corpus, seeds, artifacts and stats: WORK/<target>[-bytes]."""
    return Path(work) / f"{target}{'' if structured else '-bytes'}"


def validate(target: str, profile: str, extra: list[str]) -> list[str]:
    """Everything a worker would otherwise find out on its own, checked before any starts:
    the profile, the target's .options (returned, followed by ``extra``).  Raises CampaignError."""
    from ..kernel.profile import ProfileError, get_profile
    from .targets import TARGETS
    if target not in TARGETS:
        raise CampaignError(f"unknown target {target!r}; choose one of: {', '.join(TARGETS)}")
    try:
        get_profile(profile)
    except ProfileError as e:
        raise CampaignError(str(e)) from None
    for flag in extra:
        if not flag.startswith("-") or "=" not in flag:
            raise CampaignError(f"libFuzzer flag {flag!r} is not -name=value")
    return target_options(target) + list(extra)


def depth_counts(directory: Path) -> dict:
    """The harness counters of every worker that ran in this --work (depth/*.json):
    step -> {"reached": n, "errnos": {name: n}}, summed; "executions" is the total."""
    total: dict = {}
    for path in sorted(Path(directory).glob("*.json")):
        try:
            counts = json.loads(path.read_text())
        except (OSError, ValueError):
            continue              # a worker killed mid-write leaves no file (atomic), never half a one
        for step, entry in counts.items():
            mine = total.setdefault(step, {"reached": 0, "errnos": {}})
            mine["reached"] += entry.get("reached", 0)
            for name, n in entry.get("errnos", {}).items():
                mine["errnos"][name] = mine["errnos"].get(name, 0) + n
    return total


def run_campaign(target: str, seconds: int, jobs: int, corpus_dirs: list[Path], crashes: Path, work: Path,
                 profile: str = "hardened", structured: bool = True, extra: Sequence[str] = (),
                 echo=print, harness: str = DEFAULT_HARNESS) -> Stats:
    """Keep ``jobs`` workers fuzzing until ``seconds`` have passed.  A worker that stops
    on a crash (recorded in the store by the harness) is replaced by a fresh one on the
    same, growing corpus, so one finding never ends the campaign; one that exits without
    fuzzing, ends early, or keeps stopping before it has read its corpus ends it (CampaignError, its log's last
    lines echoed).  Workers get the target's .options, then ``extra``.  SIGINT and SIGTERM
    stop every worker, then the summary is printed and ``stats.interrupted`` says which."""
    extra = validate(target, profile, list(extra))
    work = work_dir(work, target, structured)
    for sub in ("corpus", "artifacts", "depth"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    crashes.mkdir(parents=True, exist_ok=True)
    seeds = work / "seeds"
    count = seed_corpus(target, corpus_dirs, seeds, profile)
    known = {p.name for p in list_findings(crashes)}
    campaign_id = f"{os.uname().nodename}-{os.getpid()}-{int(time.time())}"
    stats = Stats.resume(work / "stats.json", target, structured, profile)
    stats.runs += 1
    stats.interrupted, stats.new_crashes = 0, []
    execs_before = stats.execs
    deadline = time.time() + seconds
    echo(f"fuzzing target {target} ({'structured + byte' if structured else 'byte-level'} mutation, "
         f"{profile}) for {seconds}s with {jobs} job(s); {count} seeds; findings in {crashes}/"
         + (f"; continuing run {stats.runs} of {work}" if stats.runs > 1 else ""))
    echo(f"libFuzzer flags: {shlex.join(extra) or '(none)'}")
    if count == 0 and target not in ("params", "scenario"):
        echo(f"  note: the corpus directories ({', '.join(map(str, corpus_dirs))}) hold 0 seeds (*.ko): "
             f"workers start from an empty input")
    lines: queue.Queue = queue.Queue()
    workers: dict[int, Worker] = {}
    startup_failures = dict.fromkeys(range(jobs), 0)
    done_execs, last_print, launched = 0, 0.0, 0
    seen_titles: set[str] = set()
    fatal = None
    previous = _install_sigterm()
    try:
        while True:
            remaining = deadline - time.time()
            for slot in range(jobs):
                worker = workers.get(slot)
                if worker is not None and worker.proc.poll() is not None:
                    worker.finish()
                    done_execs += worker.execs
                    startup_failures[slot] = 0 if worker.inited else startup_failures[slot] + 1
                    fatal = worker.why_fatal(remaining, startup_failures[slot])
                    del workers[slot]
                    if fatal:
                        echo(f"  {fatal}; the end of {worker.log_path}:")
                        for line in worker.tail:
                            echo(f"    {line}")
                        raise CampaignError(f"{fatal} (see {worker.log_path})")
                if slot not in workers and remaining >= 1:
                    if launched >= jobs:
                        stats.restarts += 1
                    launched += 1
                    cmd = harness_command(target, profile, crashes, structured, int(remaining), launched, work,
                                          seeds, list(extra), harness)
                    cmd[3:3] = ["--depth-file", str(work / "depth" / f"run{stats.runs}-{launched}.json"),
                                "--campaign", campaign_id]
                    workers[slot] = Worker(slot, cmd, lines, work / f"worker-{slot}.log")
            if not workers:
                break
            try:
                slot, line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            match = STATUS.search(line)
            if match and slot in workers:
                w = workers[slot]
                w.status_lines += 1
                w.execs, w.cov, w.features = int(match.group(1)), int(match.group(2)), int(match.group(3))
                w.exec_per_s = int(match.group(5) or w.exec_per_s)
                _update(stats, workers, execs_before + done_execs, work, crashes, known, seen_titles,
                        campaign_id)
            if time.time() - last_print >= 5 and stats.series:
                last_print = time.time()
                stats.depth = depth_counts(work / "depth")
                _save(stats, work)
                echo(f"  {stats.series[-1][0]:>6.0f}s  execs {stats.execs:>8}  exec/s {stats.exec_per_s:>5}  "
                     f"cov {stats.cov:>5}  corpus {stats.corpus:>5}  new crashes {stats.crashes}  "
                     f"worker restarts {stats.restarts}")
    except KeyboardInterrupt:
        stats.interrupted = int(signal.SIGINT)
    except Terminated:
        stats.interrupted = int(signal.SIGTERM)
    finally:
        for worker in workers.values():
            worker.stop()
            done_execs += worker.execs
        _restore_sigterm(previous)
        if stats.series or workers:
            stats.execs = max(stats.execs, execs_before + done_execs)
            stats.exec_per_s = 0
            stats.depth = depth_counts(work / "depth")
            _save(stats, work)
    new = new_findings(crashes, known, campaign_id)
    stats.crashes, stats.new_crashes = len(new), new
    _note_new_titles(stats, crashes, new, seen_titles)
    _save(stats, work)
    if stats.interrupted:
        echo(f"  interrupted by {signal.Signals(stats.interrupted).name}: every worker stopped")
    echo(summary(stats, crashes, new))
    return stats


def new_findings(crashes: Path, known: set, campaign_id: str) -> list[str]:
    """The crash ids this campaign's workers stored first: not there when it started, and
    first recorded under its id (another campaign sharing --crashes keeps its own)."""
    ours = []
    for directory in list_findings(crashes):
        if directory.name in known:
            continue
        try:
            meta = json.loads((directory / "testcase.json").read_text())
        except (OSError, ValueError):
            continue      # record() writes testcase.json before finding.json: not one of ours
        if isinstance(meta, dict) and meta.get("campaign") == campaign_id:
            ours.append(directory.name)
    return sorted(ours)


def _update(stats: Stats, workers: dict, execs_done: int, work: Path, crashes: Path, known: set,
            seen_titles: set, campaign_id: str) -> None:
    """The campaign's figures from its workers' last status lines: one series row."""
    stats.execs = execs_done + sum(w.execs for w in workers.values())
    stats.exec_per_s = sum(w.exec_per_s for w in workers.values())
    stats.cov = max([stats.cov] + [w.cov for w in workers.values()])
    stats.features = max([stats.features] + [w.features for w in workers.values()])
    stats.corpus = sum(1 for _ in (work / "corpus").iterdir())
    new = new_findings(crashes, known, campaign_id)
    _note_new_titles(stats, crashes, new, seen_titles)
    stats.crashes = len(new)
    stats.record()


def _note_new_titles(stats: Stats, crashes: Path, new: list, seen: set) -> None:
    for name in new:
        if name not in seen:
            seen.add(name)
            try:
                title = json.loads((crashes / name / "finding.json").read_text())["title"]
            except (OSError, ValueError, KeyError, TypeError):
                title = name      # being written by a worker right now: its id will do
            stats.crash_times.append([stats.elapsed(), title])


def _save(stats: Stats, work: Path) -> None:
    record = asdict(stats)
    atomic_write(work / "stats.json", json.dumps(record).encode())


def _install_sigterm():
    """SIGTERM raises Terminated in the campaign loop (only the main thread can set it)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def terminated(signum, frame):
        raise Terminated()
    return signal.signal(signal.SIGTERM, terminated)


def _restore_sigterm(previous) -> None:
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


def summary(stats: Stats, crashes: Path, new: list[str]) -> str:
    lines = [f"done: {stats.execs} execs, cov {stats.cov}, features {stats.features}, corpus {stats.corpus}, "
             f"{len(new)} new crash title(s), {len(list_findings(crashes))} in {crashes}/"]
    for name in new:
        finding = json.loads((crashes / name / "finding.json").read_text())
        lines.append(f"  {crashes / name}: {finding['title']} (x{finding['count']})")
    return "\n".join(lines)
