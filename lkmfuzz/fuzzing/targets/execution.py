"""Running a test case (lkmfuzz.case.TestCase), and what counts as a finding.

``execute`` runs a case on a fresh simulated kernel (``targets.kernels``), then the
case's unload mode (``targets.unload_modes``), and raises ``Finding`` when something
is wrong:

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
import traceback
import zlib

from ...case import TestCase
from ...errors import KernelFault, LoadError, UnvalidatedAccess
from ...findings.title import (
    exception_title,
    kernel_fault_title,
    second_opinion_title,
    unvalidated_access_title,
    violation_title,
)
from ...invariants import check_attempt, snapshot
from ...loader.hardening import SHARED_STEPS
from ...loader.main import STEP_INDEX, LoadResult
from ..checkpoint import CheckpointError
from . import kernels
from .findings import Finding
from .unload_modes import AFTER_LOAD


def execute(case: TestCase, resumable: "kernels.Resumable | None" = None) -> LoadResult:
    """Run one test case on a fresh kernel; return the LoadResult or raise Finding.

    With a ``resumable`` prepared for cases like this one (same everything but the
    arguments), the load resumes from its checkpoint instead of starting over."""
    try:
        if resumable is not None and resumable.fits(case):
            before = resumable.before
            kernel, result = resumable.resume(case)
        else:
            kernel = kernels.fresh_kernel(case)
            before = snapshot(kernel)
            result = kernels.run_syscall(kernel, case)
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


def check_second_opinions(case: TestCase, result: LoadResult) -> None:
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
SECOND_OPINION_CHECKPOINTS: dict[TestCase, kernels.Resumable] = {}
SECOND_OPINION_CHECKPOINTS_MAX = 16


def second_opinion(case: TestCase, via_checkpoint: bool) -> LoadResult:
    """The LoadResult of ``case`` (on a real kernel's profile); ``via_checkpoint`` (the
    hardened load got as far as the arguments): through a checkpoint before them, which
    the next case that differs only in its arguments resumes (a fifth of a load)."""
    if not via_checkpoint or case.syscall != "finit_module" or not case.args:
        return kernels.run_syscall(kernels.fresh_kernel(case), case)
    base = dataclasses.replace(case, args="")
    resumable = SECOND_OPINION_CHECKPOINTS.get(base)
    if resumable is None:
        try:
            resumable = kernels.Resumable.prepare(base)
        except CheckpointError:
            return kernels.run_syscall(kernels.fresh_kernel(case), case)
        if len(SECOND_OPINION_CHECKPOINTS) >= SECOND_OPINION_CHECKPOINTS_MAX:
            SECOND_OPINION_CHECKPOINTS.clear()
        SECOND_OPINION_CHECKPOINTS[base] = resumable
    return resumable.resume(case)[1]


def _trace(result: LoadResult) -> str:
    return "\n".join(f"{step}: {outcome}" for step, outcome in result.trace)
