"""Fuzz targets: how an input becomes a test case, and what counts as a finding.

A test case is everything needed to replay one attempt: the module bytes, the
parameter string, the fault plan, the syscall and its flags, the profile and its
config switches, what is loaded first, what init returns and how the module is
unloaded afterwards.  Each
target decodes its raw fuzzer input into one (syzkaller keeps the input model
apart from execution the same way); ``execute`` runs it on a fresh simulated
kernel and raises ``Finding`` when something is wrong:

* any exception from the loader other than its verdicts (a model bug);
* an invariant violation after the attempt (or after the unload that follows a
  successful load);
* in the hardened profile, an unvalidated-access verdict: the loader reached data
  a real kernel trusts that no validation check vouched for (a missing check);
* in the hardened profile, a second opinion that disagrees: the same case on each
  real kernel's profile (``SECOND_OPINIONS``) is refused, or faults, while hardened
  loads it; or it faults while hardened's refusal names no validation check.

In a real kernel's profile a kernel-fault verdict is a prediction, not a finding.
"""

import dataclasses
import json
import pickle
import re
import traceback
import zlib
from dataclasses import dataclass

from ..errors import KernelFault, LoadError, UnvalidatedAccess
from ..faults import SITES, FaultPlan
from ..findings.title import (
    exception_title,
    kernel_fault_title,
    second_opinion_title,
    unvalidated_access_title,
    violation_title,
)
from ..invariants import Violation, check_attempt, check_unchanged, snapshot
from ..kernel.kernel import Kernel
from ..kernel.profile import ProfileError, get_profile
from ..loader import O_NONBLOCK, O_TRUNC, delete_module, finit_module, init_module
from ..loader.hardening import SHARED_STEPS
from ..loader.main import STEP_INDEX
from ..properties import unload_and_check
from . import scenario
from .checkpoint import Checkpoint, CheckpointError, Frozen, all_dense, shared_by_loads

MAX_NTH = 64
# A harness's line on stderr when it records a finding: "<FINDING_LINE> N execs: TITLE".
FINDING_LINE = "lkmfuzz: finding after"
PLAN_HEADER = 4


@dataclass(frozen=True)
class TestCase:
    __test__ = False   # a fuzzing test case, not a pytest class
    module: bytes
    args: str = ""
    plan: FaultPlan = FaultPlan()
    flags: int = 0
    profile: str = "hardened"
    preload: tuple = ()          # dependency modules loaded first (bytes)
    config: tuple = ()           # (switch, value) pairs for the profile, e.g. (("sig_enforce", True),)
    trusted: tuple = ()          # extra DER certificates on the kernel's keyring
    syscall: str = "finit_module"   # or "init_module"
    init_result: int = 0         # what the module's init returns
    unload: str = "forced"       # what follows a successful load: one of scenario.UNLOAD_MODES

    @property
    def arg_bytes(self) -> bytes:
        """``args`` as the kernel gets them: one character of a test case's args is one
        byte (latin-1), so every byte value travels through testcase.json."""
        return self.args.encode("latin-1")

    def meta(self) -> dict:
        return {"args": self.args, "fault_plan": self.plan.to_json(), "flags": self.flags,
                "profile": self.profile, "preload": len(self.preload), "config": dict(self.config),
                "trusted": [cert.hex() for cert in self.trusted], "syscall": self.syscall,
                "init_result": self.init_result, "unload": self.unload}


class Finding(Exception):
    """Something the loader must never do; ``kind`` is exception, invariant or kernel-fault,
    ``title`` what makes two findings the same bug."""

    def __init__(self, kind: str, title: str, summary: str, detail: str, case: TestCase):
        super().__init__(f"{title}: {summary}")
        self.kind, self.title, self.summary, self.detail, self.case = kind, title, summary, detail, case


def execute(case: TestCase, resumable: "Resumable | None" = None):
    """Run one test case on a fresh kernel; return the LoadResult or raise Finding.

    With a ``resumable`` prepared for cases like this one (same everything but the
    arguments), the load resumes from its checkpoint instead of starting over."""
    try:
        if resumable is not None and resumable.fits(case):
            before = resumable.before
            kernel, result = resumable.checkpoint.resume(case.arg_bytes)
        else:
            kernel = fresh_kernel(case)
            before = snapshot(kernel)
            result = run_syscall(kernel, case)
        violations = check_attempt(kernel, before, result, len(case.module))
        if result.ok and not violations:
            violations = AFTER_LOAD[case.unload](kernel, case, result, before)
    except Exception as bug:  # noqa: BLE001 - any exception here is the finding itself, reported whole
        raise Finding("exception", exception_title(bug), f"{type(bug).__name__}: {bug}", traceback.format_exc(),
                      case) from bug
    if isinstance(result.verdict, UnvalidatedAccess):
        verdict = result.verdict
        raise Finding("unvalidated-access", unvalidated_access_title(verdict.site, verdict.reason), str(verdict),
                      _trace(result), case)
    if isinstance(result.verdict, KernelFault) and kernel.hardened:
        raise Finding("kernel-fault", kernel_fault_title(result.verdict.site), str(result.verdict), "", case)
    if violations:
        first = violations[0]
        raise Finding("invariant", violation_title(first.invariant, first.step), str(first),
                      "\n".join(map(str, violations)), case)
    if kernel.hardened and case.plan.empty and asks_second_opinion(case):
        check_second_opinions(case, result)
    return result


# The real kernels hardened must be at least as strict as.
SECOND_OPINIONS = ("linux-6.1",)
# A second opinion costs a second load (asked for every case it would cost about 70 % of
# the hardened load again): it is asked for one case in SECOND_OPINION_EVERY, picked by a
# hash of the case's module and arguments, so a replay asks it again.  The guards at
# every use site (loader/hardening.py) catch a missing check on every case; this is
# the cross-check of the two profiles' code.
SECOND_OPINION_EVERY = 64


def asks_second_opinion(case: TestCase) -> bool:
    return zlib.crc32(case.arg_bytes, zlib.crc32(case.module)) % SECOND_OPINION_EVERY == 0


def check_second_opinions(case: TestCase, result) -> None:
    """Hardened refuses at least what each real kernel refuses: run the case there too
    (unless a validation check refused it: that refusal stands on its own) and raise a
    Finding when hardened loads what the real kernel refuses or crashes on, or when the
    real kernel crashes at a step hardened passed (or refused at without naming a check).
    A refusal of hardened's own at an earlier step (a later kernel reading .modinfo
    6.1 ignores, say) never reached the data.  Only cases without a fault plan: the
    fault points of two profiles need not line up."""
    verdict = result.verdict
    if isinstance(verdict, LoadError) and (verdict.check is not None or verdict.step in SHARED_STEPS):
        return
    for profile in SECOND_OPINIONS:
        other = second_opinion(dataclasses.replace(case, profile=profile),
                               via_checkpoint=result.step_reached >= STEP_INDEX["module_parse_args"])
        if result.ok and not other.ok:
            raise Finding("second-opinion", second_opinion_title(profile, "refuses", other),
                          f"hardened loads what {profile} refuses: {other}", _trace(other), case)
        if not result.ok and isinstance(other.verdict, KernelFault) and result.step_reached >= other.step_reached:
            raise Finding("second-opinion", second_opinion_title(profile, "faults", other),
                          f"{profile} faults ({other}) and hardened's refusal names no check: {result}",
                          _trace(other), case)


# Checkpoints of the second opinions' loads, for cases that differ only in their arguments
# (the params target: a few modules, any string): resuming costs a fifth of a load.
SECOND_OPINION_CHECKPOINTS: dict = {}
SECOND_OPINION_CHECKPOINTS_MAX = 16


def second_opinion(case: TestCase, via_checkpoint: bool):
    """The LoadResult of ``case`` (on a real kernel's profile); ``via_checkpoint`` (the
    hardened load got as far as the arguments): through a checkpoint before them, which
    the next case that differs only in its arguments resumes (a fifth of a load)."""
    if not via_checkpoint or case.syscall != "finit_module" or not case.args:
        return run_syscall(fresh_kernel(case), case)
    base = dataclasses.replace(case, args="")
    resumable = SECOND_OPINION_CHECKPOINTS.get(base)
    if resumable is None:
        try:
            resumable = Resumable.prepare(base)
        except CheckpointError:
            return run_syscall(fresh_kernel(case), case)
        if len(SECOND_OPINION_CHECKPOINTS) >= SECOND_OPINION_CHECKPOINTS_MAX:
            SECOND_OPINION_CHECKPOINTS.clear()
        SECOND_OPINION_CHECKPOINTS[base] = resumable
    return resumable.checkpoint.resume(case.arg_bytes, case.init_result)[1]


def _trace(result) -> str:
    return "\n".join(f"{step}: {outcome}" for step, outcome in result.trace)


def run_syscall(kernel: Kernel, case: TestCase):
    if case.syscall == "init_module":
        return init_module(kernel, case.module, case.arg_bytes, fault_plan=case.plan, init_result=case.init_result)
    return finit_module(kernel, case.module, case.arg_bytes, case.flags, fault_plan=case.plan,
                        init_result=case.init_result)


# --- what follows a successful load (scenario.UNLOAD_MODES) ----------------------------
# Each returns the invariant violations; each ends with the module unloaded (forced) and
# the kernel compared with its state before the load.  A refused delete_module is a
# verdict like any other: only what escapes it or breaks an invariant is a finding.

ABSENT_MODULE = "lkmfuzz_never_loaded"


def _try_delete(kernel: Kernel, name: str, flags: int = O_NONBLOCK) -> LoadError | None:
    try:
        delete_module(kernel, name, flags)
    except LoadError as refused:
        return refused
    return None


def unload_forced(kernel, case, result, before) -> list:
    """rmmod -f, as every target did before scenarios."""
    return unload_and_check(kernel, result, before)


def unload_plain(kernel, case, result, before) -> list:
    """rmmod without -f: EBUSY for init without exit, else the module is gone."""
    if _try_delete(kernel, result.name) is None:
        return check_unchanged(before, kernel, "delete_module")
    return unload_and_check(kernel, result, before)


def unload_absent_first(kernel, case, result, before) -> list:
    if _try_delete(kernel, ABSENT_MODULE) is None:
        return [Violation("unload", "delete_module", f"{ABSENT_MODULE}, never loaded, was unloaded")]
    return unload_and_check(kernel, result, before)


def _unload_held(kernel, result, before, forced: bool) -> list:
    """A user holds a reference (try_module_get) while delete_module runs: only a
    forced unload may go ahead."""
    result.module.refcnt += 1
    if _try_delete(kernel, result.name, O_NONBLOCK | (O_TRUNC if forced else 0)) is None:
        if not forced:
            return [Violation("unload", "delete_module", f"{result.name} was unloaded while a reference was held")]
        return check_unchanged(before, kernel, "delete_module")
    result.module.refcnt -= 1      # module_put
    return unload_and_check(kernel, result, before)


def unload_held(kernel, case, result, before) -> list:
    return _unload_held(kernel, result, before, forced=False)


def unload_held_forced(kernel, case, result, before) -> list:
    return _unload_held(kernel, result, before, forced=True)


def unload_dependency_first(kernel, case, result, before) -> list:
    """Delete the preloaded module first: EWOULDBLOCK while this one uses it.  When it
    goes, the kernel must end as one where it was loaded and unloaded alone."""
    preloaded = [m.name for m in kernel.modules if m is not result.module]
    if not preloaded or _try_delete(kernel, preloaded[0]) is not None:
        return unload_and_check(kernel, result, before)
    reference = fresh_kernel(case)
    delete_module(reference, preloaded[0])
    return unload_and_check(kernel, result, snapshot(reference))


def unload_disabled(kernel, case, result, before) -> list:
    """sysctl kernel.modules_disabled=1 after the load: delete_module is EPERM.  (The
    model then re-enables it to clean up and check, which the real switch cannot.)"""
    config = kernel.config
    kernel.config = dataclasses.replace(config, modules_disabled=True)
    refused = _try_delete(kernel, result.name)
    kernel.config = config
    if refused is None:
        return [Violation("unload", "delete_module", f"{result.name} was unloaded with modules_disabled=1")]
    return unload_and_check(kernel, result, before)


AFTER_LOAD = {
    "forced": unload_forced,
    "plain": unload_plain,
    "absent": unload_absent_first,
    "held": unload_held,
    "held-forced": unload_held_forced,
    "dependency": unload_dependency_first,
    "disabled": unload_disabled,
}


# Kernels with modules preloaded, frozen by what builds them (profile, config, trusted
# keys, preloads): a preload is a whole load, and thawing a copy costs a fifth of it.
# Campaigns preload from a few corpus modules, so a few dozen cover them; a case that
# preloads its own (mutated) module is rarely repeated and is not kept.
FROZEN_KERNELS: dict = {}
FROZEN_KERNELS_MAX = 128


def fresh_kernel(case: TestCase) -> Kernel:
    """The kernel a case runs on: its profile and config, extra trusted keys, its preloads.
    Every call returns an independent kernel, built or thawed: the same either way
    (tests/test_fuzzing.py checks it)."""
    key = (case.profile, case.config, case.trusted, case.preload)
    frozen = FROZEN_KERNELS.get(key)
    if frozen is not None:
        return frozen.thaw()
    kernel = build_kernel(case)
    if (case.preload and case.module not in case.preload and key not in FROZEN_KERNELS
            and len(FROZEN_KERNELS) < FROZEN_KERNELS_MAX):
        FROZEN_KERNELS[key] = freeze_kernel(kernel)     # None: cannot be frozen, build it each time
    return kernel


def build_kernel(case: TestCase) -> Kernel:
    kernel = Kernel(get_profile(case.profile, **dict(case.config)))
    for cert in case.trusted:
        kernel.keyring.add_certificate(cert)
    for dep in case.preload:
        finit_module(kernel, dep)
    return kernel


def freeze_kernel(kernel: Kernel) -> "Frozen | None":
    if not all_dense(kernel):
        return None
    try:
        return Frozen(kernel, shared_by_loads(kernel))
    except (TypeError, pickle.PicklingError):
        return None      # something in the state is not picklable: build such kernels every time


@dataclass(frozen=True)
class Resumable:
    """A case's load stopped before its first look at the arguments (a loader
    Checkpoint), so that cases differing only in ``args`` skip the common prefix.
    Resuming gives the same verdict, trace and kernel as a fresh run
    (tests/test_fuzzing.py checks it)."""
    base: TestCase
    checkpoint: Checkpoint
    before: object     # the invariants' snapshot of the kernel before the load

    @classmethod
    def prepare(cls, case: TestCase) -> "Resumable":
        """Raises CheckpointError when the case cannot get that far, or has a fault plan
        (fail-nth counts from the start of an attempt, so a resumed one cannot honour it)."""
        if not case.plan.empty:
            raise CheckpointError("a case with a fault plan cannot be resumed")
        kernel = fresh_kernel(case)
        before = snapshot(kernel)
        return cls(dataclasses.replace(case, args=""), Checkpoint(kernel, case.module, case.flags), before)

    def fits(self, case: TestCase) -> bool:
        return dataclasses.replace(case, args="") == self.base


def save_finding(crashes, finding: Finding, target: str, data: bytes, campaign: str | None = None):
    """Record a finding of ``target`` in the crash store: input.ko is the module the case
    runs (replayable as it is); the raw input, header and all, stays in testcase.json
    when it differs, and so does the campaign that first found it (when one ran it)."""
    from ..findings import store
    case = finding.case
    meta = dict(case.meta(), target=target, raw_input=data.hex() if data != case.module else None)
    if campaign:
        meta["campaign"] = campaign
    return store.record(crashes, finding.title, finding.kind, target, finding.summary, finding.detail, case.module,
                        meta, case.preload)


# --- decoding raw fuzzer input ------------------------------------------------------

def decode_load(data: bytes, profile: str = "hardened") -> TestCase:
    return TestCase(module=data, profile=profile)


def decode_plan(head: bytes) -> FaultPlan:
    """4 bytes -> a fault plan: byte 0 modulo 3 is the kind (fail-nth, sites, probability),
    bytes 1-3 its value (nth, a site bitmask, or probability/1024 and a seed)."""
    head = head.ljust(PLAN_HEADER, b"\0")
    kind, value = head[0] % 3, int.from_bytes(head[1:PLAN_HEADER], "little")
    if kind == 0:
        return FaultPlan(fail_nth=1 + value % MAX_NTH)
    if kind == 1:
        return FaultPlan(sites=frozenset(s for i, s in enumerate(SITES) if value >> i & 1) or frozenset({"kmalloc"}))
    return FaultPlan(probability=(value & 0xFF) / 1024, seed=value >> 8)


NO_FAULT_PLAN = bytes([2, 0, 0, 0])     # probability 0/1024: the header of a plan that fails nothing


def encode_fail_nth_plan(n: int) -> bytes:
    """The plan header decode_plan() reads as 'fail the n-th fault point' (1 <= n <= MAX_NTH)."""
    return bytes([0]) + (n - 1).to_bytes(PLAN_HEADER - 1, "little")


def encode_sites_plan(sites: set) -> bytes:
    """The plan header decode_plan() reads as 'fail every allocation at these sites'."""
    return bytes([1]) + sum(1 << SITES.index(site) for site in sites).to_bytes(PLAN_HEADER - 1, "little")


def decode_faults(data: bytes, profile: str = "hardened", library: dict | None = None) -> TestCase:
    """First 4 bytes choose the fault plan (decode_plan); the rest is the module, loaded
    as modprobe loads it: after the modules its depends= names, from ``library`` (name
    -> bytes), so that the unwind has module_use links to undo."""
    module = data[PLAN_HEADER:]
    return TestCase(module=module, plan=decode_plan(data[:PLAN_HEADER]), profile=profile,
                    preload=modprobe_preload(module, library or {}))


DEPENDS = re.compile(rb"depends=([^\0]*)\0")
MODULE_NAME = re.compile(rb"\0name=([^\0]*)\0")


def modprobe_preload(module: bytes, library: dict) -> tuple:
    """The modules of ``library`` that ``module``'s first depends= names, in its order."""
    found = DEPENDS.search(module)
    names = found.group(1).split(b",") if found else []
    return tuple(library[name] for name in names if name in library)


def module_library(modules) -> dict:
    """name= -> bytes, for the modules of a corpus."""
    library = {}
    for data in modules:
        found = MODULE_NAME.search(data)
        if found:
            library.setdefault(found.group(1), data)
    return library


def encode_faults(plan_head: bytes, module: bytes) -> bytes:
    return plan_head.ljust(PLAN_HEADER, b"\0")[:PLAN_HEADER] + module


def decode_params(data: bytes, modules: tuple, profile: str = "hardened") -> TestCase:
    """The input is the argument string; the module is the first of ``modules`` ((its
    parameter names, its bytes) pairs) that has the parameter the string sets first,
    else the first one."""
    first = FIRST_PARAM.match(data)
    name = first.group(1).replace(b"-", b"_") if first else b""
    module = next((module for names, module in modules if name in names), modules[0][1])
    return TestCase(module=module, args=data.decode("latin-1"), profile=profile)


FIRST_PARAM = re.compile(rb'\s*"?([^\s="]+)')
PARMTYPE = re.compile(rb"parmtype=([^:\0]+):")


def parameter_names(module: bytes) -> frozenset:
    """The names of a module's parameters, from its .modinfo parmtype= entries."""
    return frozenset(name.replace(b"-", b"_") for name in PARMTYPE.findall(module))


def decode_signature(data: bytes, profile: str = "hardened") -> TestCase:
    """A signed module, on a kernel that enforces signatures and trusts the test key
    (lkmfuzz.mutate.signature's deterministic key), so every signature path is reachable."""
    return TestCase(module=data, profile=profile, config=(("sig_enforce", True),), trusted=(_test_certificate(),))


def _test_certificate() -> bytes:
    from ..mutate.signature import unknown_certificate
    return unknown_certificate()


def decode_scenario(data: bytes, dependencies: tuple = (), profile: str = "hardened") -> TestCase:
    """The scenario header (lkmfuzz.fuzzing.scenario) and the module -> a test case.
    Preload choice 1 is the module itself (loaded first: EEXIST), 2+ picks one of
    ``dependencies`` (module bytes, e.g. the corpus) cyclically."""
    s = scenario.decode(data)
    return TestCase(module=s.module, args=s.args, plan=decode_plan(s.plan_header) if s.faults else FaultPlan(),
                    flags=s.flags, profile=scenario.FAITHFUL if s.faithful else profile,
                    preload=_preload(s, dependencies), config=s.config,
                    trusted=(_test_certificate(),) if s.trust_test_key else (), syscall=s.syscall,
                    init_result=s.init_result, unload=s.unload)


def _preload(s: "scenario.Scenario", dependencies: tuple) -> tuple:
    if s.preload == 0:
        return ()
    if s.preload == 1 or not dependencies:
        return (s.module,)
    return (dependencies[(s.preload - scenario.FIRST_DEPENDENCY) % len(dependencies)],)


TARGETS = ("load", "faults", "params", "signature", "scenario")
# The params target loads these seeds (hello: ten scalar types; arrparam: arrays and a
# string), each input as the arguments of the one whose parameter it sets first.
PARAMS_MODULES = ("hello.ko", "arrparam.ko")


def decoder_for(target: str, profile: str = "hardened"):
    """The function a target's raw inputs go through: bytes -> TestCase.  Replaying a
    campaign's corpus must use its own target's decoder (benchmarks/coverage_compare.py)."""
    if target == "scenario":
        dependencies = scenario.bundled_dependencies()
        return lambda data: decode_scenario(data, dependencies, profile)
    if target == "params":
        if scenario.BUNDLED_CORPUS is None:
            raise ValueError(f"target params loads the bundled {' and '.join(PARAMS_MODULES)}, and lkmfuzz is "
                             "installed without its corpus")
        modules = tuple((parameter_names(data), data)
                        for data in ((scenario.BUNDLED_CORPUS / name).read_bytes() for name in PARAMS_MODULES))
        return lambda data: decode_params(data, modules, profile)
    if target == "faults":
        library = module_library(scenario.bundled_dependencies())
        return lambda data: decode_faults(data, profile, library)
    decoders = {"load": decode_load, "signature": decode_signature}
    if target not in decoders:
        raise ValueError(f"unknown target {target!r}; choose one of: {', '.join(TARGETS)}")
    return lambda data: decoders[target](data, profile)


# --- persistence of test cases --------------------------------------------------------

def case_to_json(case: TestCase) -> str:
    return json.dumps(case.meta(), sort_keys=True)


# What each field of testcase.json must be (a damaged or hand-edited file is refused in
# one line, never half-read).
META_TYPES = {"args": str, "fault_plan": dict, "flags": int, "profile": str, "config": dict, "trusted": list,
              "syscall": str, "init_result": int, "unload": str, "preload": int}


def case_from_json(module: bytes, text: str, preload: tuple = ()) -> TestCase:
    """Raises ValueError (json.JSONDecodeError included) for anything that is not a test case."""
    meta = json.loads(text)
    if not isinstance(meta, dict):
        raise ValueError(f"testcase.json holds a {type(meta).__name__}, not an object")
    for key, kind in META_TYPES.items():
        if key in meta and (not isinstance(meta[key], kind) or isinstance(meta[key], bool) and kind is int):
            raise ValueError(f"testcase.json: {key!r} is {json.dumps(meta[key])[:40]}, expected {kind.__name__}")
    if any(ord(c) > 0xFF for c in meta.get("args", "")):
        raise ValueError("testcase.json: 'args' holds a character above U+00FF (one character is one byte)")
    if meta.get("syscall", "finit_module") not in ("finit_module", "init_module"):
        raise ValueError(f"testcase.json: unknown syscall {meta['syscall']!r}")
    if not all(isinstance(c, str) for c in meta.get("trusted", [])):
        raise ValueError("testcase.json: 'trusted' must be a list of hex strings")
    try:
        get_profile(meta.get("profile", "hardened"), **meta.get("config", {}))
    except ProfileError as e:
        raise ValueError(f"testcase.json: {e}") from None
    unload = meta.get("unload", "forced")
    if unload not in AFTER_LOAD:
        raise ValueError(f"unknown unload mode {unload!r}; known: {', '.join(AFTER_LOAD)}")
    return TestCase(module=module, args=meta.get("args", ""), plan=FaultPlan.from_json(meta.get("fault_plan", {})),
                    flags=meta.get("flags", 0), profile=meta.get("profile", "hardened"), preload=preload,
                    config=tuple(sorted((k, _hashable(v)) for k, v in meta.get("config", {}).items())),
                    trusted=tuple(bytes.fromhex(c) for c in meta.get("trusted", [])),
                    syscall=meta.get("syscall", "finit_module"), init_result=meta.get("init_result", 0),
                    unload=unload)


def _hashable(value):
    """JSON gives lists where the config had tuples (module_blacklist=)."""
    return tuple(value) if isinstance(value, list) else value


def replace(case: TestCase, **changes) -> TestCase:
    return dataclasses.replace(case, **changes)
