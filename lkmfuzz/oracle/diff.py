"""`lkmfuzz oracle diff`: the model's linux-6.1 profile against the real kernel, case by case.

Agreement is per attempt: errno for errno, ``loaded`` for a successful load, and
``kernel-fault`` for an oops in the loader.  The model never runs module code, so an
oops *inside the module's own code* (RIP in ``[module]``, or under do_one_initcall)
is reported apart, as something the model cannot predict.  An oops in delete_module
after a load both agree on is counted apart too ("unload oops"): the load verdicts
agree, and the figure says how often unloading a mutant crashes the kernel.
"""

from dataclasses import dataclass, field

from ..fuzzing.targets.kernels import build_kernel, run_syscall
from .cases import OracleCase
from .protocol import KernelOutcome


@dataclass
class ModelOutcome:
    kinds: list[str] = field(default_factory=list)      # LoadResult.kind of each attempt
    details: list[str] = field(default_factory=list)    # str(LoadResult) of each attempt
    taint: str = "-"                               # module taint letters after a load


def model_outcome(oracle: OracleCase) -> ModelOutcome:
    """Run the case on a fresh simulated kernel as /init runs it on the real one: the test
    case as the real kernel runs it (``OracleCase.as_run``: linux-6.1, no fault plan...),
    on the kernel and through the system call the fuzz targets use."""
    case = oracle.as_run()
    kernel = build_kernel(case)
    outcome = ModelOutcome()
    for _ in range(oracle.attempts):
        result = run_syscall(kernel, case)
        outcome.kinds.append(result.kind)
        outcome.details.append(str(result))
        if result.ok:
            assert result.module is not None, "a load that succeeded has its module"
            outcome.taint = result.module.taint_letters or "-"
        if result.kind in ("kernel-fault", "wild-access"):
            break
    return outcome


# What the loader itself prints under a module's name: any other "<name>: ..." line in the
# kernel log came from the module's own code (its init).
LOADER_MESSAGES = ("taints kernel", "module verification failed", "module license", "disagrees about version",
                   "Unknown symbol", "parameter", "is blacklisted", "version magic", "module is from the staging",
                   "loading test module", "tainting kernel")


@dataclass
class Row:
    case: str
    model: ModelOutcome
    kernel: KernelOutcome

    @property
    def module_code_oops(self) -> bool:
        return self.kernel.in_module_code

    @property
    def module_code_result(self) -> bool:
        """The model loads (it never runs the module's init), the kernel returns an errno
        after the module's init printed: the module's own code refused (relocs.ko checks
        its relocated values and returns -EINVAL).  Counted apart, like an oops in module code."""
        kinds = self.kernel.kinds()
        if self.model.kinds[-1:] != ["loaded"] or not kinds or kinds[-1] in ("loaded", "kernel-fault"):
            return False
        name = self.model.details[-1].removeprefix("loaded ")
        return any(line.startswith(f"{name}: ") and not any(m in line for m in LOADER_MESSAGES)
                   for line in self.kernel.klog)

    @property
    def unload_oops(self) -> bool:
        return self.kernel.in_unload and not self.kernel.in_module_code

    @property
    def loader_oops(self) -> bool:
        return bool(self.kernel.oops) and not (self.module_code_oops or self.unload_oops)

    @property
    def agrees(self) -> bool:
        return self.model.kinds == self.kernel.kinds()

    @property
    def wild_access(self) -> bool:
        """The model's load reads past the guard page of its copy: the outcome is unknown."""
        return self.model.kinds[-1:] == ["wild-access"]

    @property
    def category(self) -> str:
        if self.module_code_oops:
            return "module-code oops"
        if self.wild_access:
            return "wild access"
        if self.module_code_result:
            return "module-code result"
        if self.unload_oops:
            return "unload oops" if self.agrees else "DISAGREE"
        if self.kernel.hang:
            return "hang"
        return "agree" if self.agrees else "DISAGREE"

    def to_json(self) -> dict:
        return {"case": self.case, "category": self.category, "model": self.model.kinds,
                "model_detail": self.model.details, "model_taint": self.model.taint,
                "kernel": self.kernel.kinds(), "kernel_detail": self.kernel.describe(),
                "kernel_taint": self.kernel.module_taint, "klog": self.kernel.klog}


@dataclass
class DiffReport:
    rows: list

    def count(self, predicate) -> int:
        return sum(1 for row in self.rows if predicate(row))

    def figures(self) -> dict:
        comparable = [r for r in self.rows if r.category in ("agree", "DISAGREE", "unload oops")]
        oopses = [r for r in self.rows if r.loader_oops]
        survived = [r for r in self.rows if "kernel-fault" not in r.kernel.kinds() and not r.kernel.hang
                    and not r.module_code_oops]
        return {
            "cases": len(self.rows),
            "comparable": len(comparable),
            "agree": sum(r.agrees for r in comparable),
            "agreement_pct": (round(100 * sum(r.agrees for r in comparable) / len(comparable), 2)
                              if comparable else 100.0),
            "loader_oopses": len(oopses),
            "oopses_predicted": sum(r.model.kinds[-1:] == ["kernel-fault"] for r in oopses),
            "false_kernel_faults": sum("kernel-fault" in r.model.kinds for r in survived),
            "module_code_oopses": self.count(lambda r: r.module_code_oops),
            "module_code_results": self.count(lambda r: r.module_code_result),
            "wild_accesses": self.count(lambda r: r.wild_access),
            "wild_accesses_oopsed": self.count(lambda r: r.wild_access and r.kernel.kinds()[-1:] == ["kernel-fault"]),
            "unload_oopses": self.count(lambda r: r.unload_oops),
            "hangs": self.count(lambda r: r.kernel.hang),
            "taint_differences": self.count(lambda r: r.agrees and r.model.taint != r.kernel.module_taint
                                            and r.kernel.kinds()[-1:] == ["loaded"]),
        }

    def render(self) -> str:
        f = self.figures()
        lines = [f"{f['cases']} cases: {f['agree']}/{f['comparable']} agree ({f['agreement_pct']}%); "
                 f"loader oopses {f['loader_oopses']}, predicted as kernel-fault {f['oopses_predicted']}; "
                 f"false kernel-fault {f['false_kernel_faults']}; module-code oopses {f['module_code_oopses']}, "
                 f"results {f['module_code_results']}; wild accesses {f['wild_accesses']} "
                 f"({f['wild_accesses_oopsed']} oopsed); "
                 f"oopses while unloading {f['unload_oopses']}; "
                 f"hangs {f['hangs']}; taint differences {f['taint_differences']}"]
        for row in self.rows:
            if row.category != "agree":
                lines.append(f"  {row.category:16} {row.case}: model {' then '.join(row.model.details)} | "
                             f"kernel {row.kernel.describe()}")
        return "\n".join(lines)


def compare(cases: list[OracleCase], outcomes: list[KernelOutcome]) -> DiffReport:
    return DiffReport([Row(case.name, model_outcome(case), kernel)
                       for case, kernel in zip(cases, outcomes, strict=False)])
