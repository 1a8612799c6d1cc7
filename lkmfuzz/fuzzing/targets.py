"""Fuzz targets: how an input becomes a test case, and what counts as a finding.

A test case is everything needed to replay one attempt: the module bytes, the
parameter string, the fault plan, the finit_module flags and the profile.  Each
target decodes its raw fuzzer input into one (syzkaller keeps the input model
apart from execution the same way); ``execute`` runs it on a fresh simulated
kernel and raises ``Finding`` when something is wrong:

* any exception from the loader other than its verdicts (a model bug);
* an invariant violation after the attempt (or after the unload that follows a
  successful load);
* a kernel-fault verdict in the hardened profile (hardened must refuse cleanly).

In the linux-6.1 profile a kernel-fault verdict is a prediction, not a finding.
"""

import dataclasses
import json
import traceback
from dataclasses import dataclass

from ..errors import KernelFault
from ..faults import SITES, FaultPlan
from ..invariants import check_attempt, snapshot
from ..properties import unload_and_check
from ..kernel.kernel import Kernel
from ..kernel.profile import get_profile
from ..loader import finit_module
from .checkpoint import Checkpoint, CheckpointError
from ..triage.title import exception_title, kernel_fault_title, violation_title

MAX_NTH = 64
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

    def meta(self) -> dict:
        return {"args": self.args, "fault_plan": self.plan.to_json(), "flags": self.flags,
                "profile": self.profile, "preload": len(self.preload), "config": dict(self.config),
                "trusted": [cert.hex() for cert in self.trusted]}


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
            kernel, result = resumable.checkpoint.resume(case.args)
        else:
            kernel = fresh_kernel(case)
            before = snapshot(kernel)
            result = finit_module(kernel, case.module, case.args, case.flags, fault_plan=case.plan)
        violations = check_attempt(kernel, before, result, len(case.module))
        if result.ok and not violations:
            violations = unload_and_check(kernel, result, before)
    except Exception as bug:  # noqa: BLE001 - any exception here is the finding itself, reported whole
        raise Finding("exception", exception_title(bug), f"{type(bug).__name__}: {bug}", traceback.format_exc(),
                      case) from bug
    if isinstance(result.verdict, KernelFault) and kernel.hardened:
        raise Finding("kernel-fault", kernel_fault_title(result.verdict.site), str(result.verdict), "", case)
    if violations:
        first = violations[0]
        raise Finding("invariant", violation_title(first.invariant, first.step), str(first),
                      "\n".join(map(str, violations)), case)
    return result


def fresh_kernel(case: TestCase) -> Kernel:
    """The kernel a case runs on: its profile and config, extra trusted keys, its preloads."""
    kernel = Kernel(get_profile(case.profile, **dict(case.config)))
    for cert in case.trusted:
        kernel.keyring.add_certificate(cert)
    for dep in case.preload:
        finit_module(kernel, dep)
    return kernel


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


# --- decoding raw fuzzer input ------------------------------------------------------

def decode_load(data: bytes, profile: str = "hardened") -> TestCase:
    return TestCase(module=data, profile=profile)


def decode_faults(data: bytes, profile: str = "hardened") -> TestCase:
    """First 4 bytes choose the fault plan (kind, nth/sites, seed); the rest is the module."""
    head, module = data[:PLAN_HEADER].ljust(PLAN_HEADER, b"\0"), data[PLAN_HEADER:]
    kind, value = head[0] % 3, int.from_bytes(head[1:], "little")
    if kind == 0:
        plan = FaultPlan(fail_nth=1 + value % MAX_NTH)
    elif kind == 1:
        plan = FaultPlan(sites=frozenset(s for i, s in enumerate(SITES) if value >> i & 1) or frozenset({"kmalloc"}))
    else:
        plan = FaultPlan(probability=(value & 0xFF) / 1024, seed=value >> 8)
    return TestCase(module=module, plan=plan, profile=profile)


def encode_faults(plan_head: bytes, module: bytes) -> bytes:
    return plan_head.ljust(PLAN_HEADER, b"\0")[:PLAN_HEADER] + module


def decode_params(data: bytes, module: bytes, profile: str = "hardened") -> TestCase:
    return TestCase(module=module, args=data.decode("latin-1"), profile=profile)


def decode_signature(data: bytes, profile: str = "hardened") -> TestCase:
    """A signed module, on a kernel that enforces signatures and trusts the test key
    (lkmfuzz.mutate.signature's deterministic key), so every signature path is reachable."""
    from ..mutate.signature import unknown_certificate
    return TestCase(module=data, profile=profile, config=(("sig_enforce", True),), trusted=(unknown_certificate(),))


# --- persistence of test cases --------------------------------------------------------

def case_to_json(case: TestCase) -> str:
    return json.dumps(case.meta(), sort_keys=True)


def case_from_json(module: bytes, text: str, preload: tuple = ()) -> TestCase:
    meta = json.loads(text)
    return TestCase(module=module, args=meta.get("args", ""), plan=FaultPlan.from_json(meta.get("fault_plan", {})),
                    flags=meta.get("flags", 0), profile=meta.get("profile", "hardened"), preload=preload,
                    config=tuple(sorted(meta.get("config", {}).items())),
                    trusted=tuple(bytes.fromhex(c) for c in meta.get("trusted", [])))


def replace(case: TestCase, **changes) -> TestCase:
    return dataclasses.replace(case, **changes)
