"""Systematic fault injection: fail every fault point of a successful load, one at a time.

Like running a load under /proc/self/fail-nth with N = 1, 2, ...: first a clean
load (and unload) counts the fault points it passes; then, for each N, a fresh
kernel loads the module with fail_nth=N and every invariant is checked after the
attempt (and after the unload, when the failure was one the kernel tolerates).
The report says which unwind labels each failure ran.
"""

from dataclasses import dataclass, field

from .errors import LkmfuzzError
from .faults import FaultPlan
from .invariants import check_attempt, check_unchanged, snapshot
from .kernel.kernel import Kernel
from .loader import UNDO_ACTIONS, delete_module, finit_module
from .loader.unload import O_TRUNC

# load_module()'s labels, innermost first, then do_init_module()'s own.
ALL_LABELS = tuple(UNDO_ACTIONS) + ("fail_free_freeinit", "fail")


class BaselineError(LkmfuzzError, ValueError):
    """The module (or a dependency) does not load cleanly, so there is nothing to enumerate."""


@dataclass
class FaultRun:
    n: int
    site: str
    caller: str
    verdict: str
    labels: tuple
    violations: list


@dataclass
class SystematicReport:
    baseline: str
    points: list                      # (site, caller) of each fault point of the clean load
    unload_points: int
    runs: list = field(default_factory=list)
    baseline_violations: list = field(default_factory=list)

    @property
    def violations(self) -> list:
        return self.baseline_violations + [v for run in self.runs for v in run.violations]

    @property
    def labels(self) -> set:
        return {label for run in self.runs for label in run.labels}


def _fresh_kernel(profile: str, preload: tuple) -> Kernel:
    kernel = Kernel(profile)
    for dep in preload:
        result = finit_module(kernel, dep)
        if not result.ok:
            raise BaselineError(f"dependency refused: {result}")
    return kernel


def _unload_and_check(kernel, result, before) -> list:
    delete_module(kernel, result.name, O_TRUNC)
    return check_unchanged(before, kernel, "delete_module")


def run_systematic(data: bytes, args: str | bytes = b"", profile: str = "hardened",
                   preload: tuple = ()) -> SystematicReport:
    kernel = _fresh_kernel(profile, preload)
    before = snapshot(kernel)
    result = finit_module(kernel, data, args)
    if not result.ok:
        raise BaselineError(f"the module does not load without faults: {result}")
    points = list(kernel.alloc.injector.points)
    baseline_violations = check_attempt(kernel, before, result, len(data))
    kernel.set_fault_plan(None)
    baseline_violations += _unload_and_check(kernel, result, before)
    report = SystematicReport(str(result), points, len(kernel.alloc.injector.points), baseline_violations=
                              baseline_violations)
    for n, (site, caller) in enumerate(points, start=1):
        kernel = _fresh_kernel(profile, preload)
        before = snapshot(kernel)
        result = finit_module(kernel, data, args, fault_plan=FaultPlan(fail_nth=n))
        violations = check_attempt(kernel, before, result, len(data))
        if result.ok:
            violations += _unload_and_check(kernel, result, before)
        report.runs.append(FaultRun(n, site, caller, result.kind if result.ok else
                                    f"{result.kind} ({getattr(result.verdict, 'step', '?')})",
                                    tuple(result.unwound), violations))
    return report


def render(report: SystematicReport, name: str) -> str:
    lines = [f"{name}: clean load: {report.baseline}; {len(report.points)} fault points in load, "
             f"{report.unload_points} in unload", f"{'n':>3}  {'site':<13} {'caller':<26} {'verdict':<34} unwind"]
    for run in report.runs:
        lines.append(f"{run.n:>3}  {run.site:<13} {run.caller:<26} {run.verdict:<34} {' '.join(run.labels) or '-'}")
        lines += [f"     VIOLATION {v}" for v in run.violations]
    lines += [f"     VIOLATION {v}" for v in report.baseline_violations]
    missing = [label for label in ALL_LABELS if label not in report.labels]
    lines.append(f"labels exercised: {' '.join(label for label in ALL_LABELS if label in report.labels) or '-'}")
    lines.append(f"labels not reached: {' '.join(missing) or '-'}")
    lines.append(f"violations: {len(report.violations)}")
    return "\n".join(lines)
