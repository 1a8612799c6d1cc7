"""Command line: `lkmfuzz load`, `info`, `faults`, `fuzz`, `repro`, `minimize`, `triage`,
`plot`, `sign` and `oracle` (the real kernel under qemu).

Verdict contract (scripts parse it): the first line of `load` is `loaded NAME`
(exit 0), or the errno name first — `ENOEXEC (elf_validity_check: ...)` (exit 1) —
or `kernel-fault (site: reason)` / in hardened `unvalidated-access (site: reason)` (exit 3).
Bad invocations and unreadable files get one line on stderr and exit 2: every tool error
is an ``errors.LkmfuzzError``, caught once in ``main``.
"""

import argparse
import errno
import json
import os
import stat
import sys

from . import __version__
from .errors import KernelFault, LkmfuzzError, LoadError, UnvalidatedAccess, UsageError
from .faults import FaultPlan, FaultPlanError
from .fuzzing.targets import TARGETS
from .kernel.kernel import Kernel
from .kernel.profile import DEFAULT_PROFILE, PROFILES, get_profile, hardened_for
from .kernel.release import RELEASES
from .sign import DEFAULT_HASH, HASHES

EXIT_LOADED, EXIT_REFUSED, EXIT_USAGE, EXIT_KERNEL_FAULT = 0, 1, 2, 3
EXIT_SIGINT, EXIT_SIGTERM = 130, 143

# The one table of exit codes: --help prints it, README.md repeats it, tests/test_cli.py
# checks both against it.
EXIT_CODES = (
    (EXIT_LOADED, "success: loaded; nothing found; does not reproduce"),
    (EXIT_REFUSED, "refused (an errno verdict); still reproduces; invariant violations; "
                   "a campaign found new crashes; the oracle disagrees"),
    (EXIT_USAGE, "tool error: bad usage, an unreadable, damaged or unwritable file, an internal error "
                 "(never 1)"),
    (EXIT_KERNEL_FAULT, "kernel-fault: the real 6.1 kernel would touch memory it does not own; in hardened, "
                        "unvalidated-access: a missing validation check"),
    (EXIT_SIGINT, "interrupted (Ctrl-C); a campaign stops its workers and prints its summary first"),
    (EXIT_SIGTERM, "terminated (SIGTERM), likewise"),
)


def exit_code_table() -> str:
    return "exit codes:\n" + "\n".join(f"  {code:<4} {text}" for code, text in EXIT_CODES)


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad invocation is one line on stderr (no usage dump)."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


# kernel_read_file() reads at most INT_MAX bytes for finit_module (-EFBIG beyond).
KERNEL_READ_MAX = (1 << 31) - 1


def file_refusal(path: str) -> LoadError | None:
    """What kernel_read_file() says about ``path`` before reading it: EINVAL for anything
    but a regular file (a device, a pipe, a directory), EFBIG past INT_MAX bytes.  None
    when it would read it; UsageError when it cannot even be opened."""
    try:
        st = os.stat(path)     # not open(): opening a FIFO would wait for a writer
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        return LoadError(errno.EINVAL, "kernel_read_file", "not a regular file")
    if st.st_size > KERNEL_READ_MAX:
        return LoadError(errno.EFBIG, "kernel_read_file", f"{st.st_size} bytes > INT_MAX")
    return None


def read_file(path: str) -> bytes:
    """A regular file, whole (never a device or a pipe: /dev/zero has no end)."""
    refused = file_refusal(path)
    if refused is not None:
        raise UsageError(f"cannot read {path}: {refused.reason}")
    try:
        with open(path, "rb") as f:
            return f.read(KERNEL_READ_MAX + 1)
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror}") from None


def param_bytes(params: list[str]) -> bytes:
    """Module parameters from argv as the kernel takes them: bytes.  Python decoded argv
    with surrogateescape; os.fsencode gives back exactly the bytes the shell passed."""
    return b" ".join(os.fsencode(p) for p in params)


def parse_flags(text: str) -> int:
    from .loader import MODULE_INIT_FLAGS
    flags = 0
    for word in filter(None, (w.strip() for w in text.split(","))):
        name = word.upper().removeprefix("MODULE_INIT_")
        if name in MODULE_INIT_FLAGS:
            flags |= MODULE_INIT_FLAGS[name]
            continue
        try:
            flags |= int(word, 0)
        except ValueError:
            raise UsageError(f"unknown flag {word!r}; use {', '.join(MODULE_INIT_FLAGS)} or a number") from None
    return flags


def make_kernel(args) -> Kernel:
    """The simulated kernel of --profile and --sig-enforce, trusting each --trust certificate."""
    from .kernel.keyring import KeyringError
    switches = {}
    if getattr(args, "sig_enforce", False):
        switches["sig_enforce"] = True
    kernel = Kernel(get_profile(args.profile, **switches))
    for cert in getattr(args, "trust", None) or ():
        try:
            kernel.keyring.add_certificate(read_file(cert))
        except KeyringError as e:
            raise UsageError(f"--trust {cert}: {e}") from None
    return kernel


def cmd_load(args) -> int:
    from .loader import delete_module, finit_module, init_module
    kernel = make_kernel(args)
    refused = file_refusal(args.file)
    if refused is not None and args.syscall == "finit_module":
        print(refused)         # finit_module(fd): the kernel's own answer about that fd
        return EXIT_REFUSED
    data = read_file(args.file)
    plan = None
    if args.fault_plan:
        try:
            plan = FaultPlan.loads(args.fault_plan)
        except FaultPlanError as e:
            raise UsageError(f"--fault-plan: {e}") from None
    params = param_bytes(args.params)
    for dep in args.preload:
        pre = finit_module(kernel, read_file(dep))
        if not pre.ok:
            raise UsageError(f"--preload {dep} was refused: {pre}")
    if args.syscall == "init_module":
        result = init_module(kernel, data, params, fault_plan=plan, init_result=args.init_result)
    else:
        result = finit_module(kernel, data, params, parse_flags(args.flags), fault_plan=plan,
                              init_result=args.init_result)
    print(result)
    if args.trace:
        for step, outcome in result.trace:
            print(f"  {step}: {outcome}")
        for label in result.unwound:
            print(f"  unwind {label}")
    if result.ok:
        if args.trace:
            assert result.module is not None, "a load that succeeded returns its module"
            print(f"  taints: {result.module.taint_letters or '-'}")
        if args.unload:
            try:
                delete_module(kernel, result.name)
                print(f"unloaded {result.name}")
            except LoadError as e:
                print(e)
                return EXIT_REFUSED
        return EXIT_LOADED
    return EXIT_KERNEL_FAULT if isinstance(result.verdict, (KernelFault, UnvalidatedAccess)) else EXIT_REFUSED


def cmd_faults(args) -> int:
    from .systematic import render, run_systematic
    data = read_file(args.file)
    preload = tuple(read_file(dep) for dep in args.preload)
    get_profile(args.profile)       # an unknown profile is a usage error before any load
    report = run_systematic(data, param_bytes(args.params), args.profile, preload)
    print(render(report, args.file))
    return EXIT_REFUSED if report.violations else EXIT_LOADED


def cmd_fuzz(args) -> int:
    from pathlib import Path

    from .findings.store import StoreError, check_writable
    from .fuzzing.campaign import check_merge_output, run_campaign, validate
    if args.time < 0 or args.jobs <= 0 or (args.time == 0 and not args.minimize_corpus):
        raise UsageError("--jobs must be positive and --time too (0 only with --minimize-corpus: merge, no fuzzing)")
    dirs = [Path(d) for d in args.corpus] or _bundled_corpus(args.profile)
    for d in dirs:
        if not d.is_dir():
            raise UsageError(f"corpus directory {d} does not exist")
    validate(args.target, args.profile, args.libfuzzer)     # every option, before any worker starts
    if args.minimize_corpus:
        check_merge_output(Path(args.minimize_corpus))
    for option, folder in (("--crashes", args.crashes), ("--work", args.work)):
        try:
            check_writable(Path(folder))
        except StoreError as e:
            raise UsageError(f"{option}: {e}") from None
    stats = None
    if args.time:
        stats = run_campaign(args.target, args.time, args.jobs, dirs, Path(args.crashes), Path(args.work),
                             args.profile, not args.no_structured, args.libfuzzer)
        if stats.interrupted:
            return 128 + stats.interrupted
    if args.minimize_corpus:
        _minimize_corpus(args, dirs)
    # Like libFuzzer: a campaign that found something exits non-zero, after its summary.
    return EXIT_REFUSED if stats is not None and stats.new_crashes else EXIT_LOADED


def _bundled_corpus(profile: str) -> list:
    """The bundled seeds built for the profile's kernel release."""
    from .fuzzing.bundled import release_seeds
    from .kernel.profile import ProfileError
    try:
        seeds = release_seeds(profile)
    except ProfileError as e:
        raise UsageError(str(e)) from None
    if seeds is None:
        raise UsageError(f"lkmfuzz is installed without the seeds of profile {profile}; name seed corpus directories")
    return [seeds]


def _minimize_corpus(args, dirs) -> None:
    from pathlib import Path

    from .fuzzing.campaign import CampaignError, minimize_corpus, seed_corpus, work_dir
    work = work_dir(Path(args.work), args.target, not args.no_structured)
    if not (work / "corpus").is_dir():
        raise UsageError(f"no campaign corpus in {work}/corpus to minimize; run a campaign first")
    seed_corpus(args.target, dirs, work / "seeds", args.profile)
    before = sum(1 for _ in (work / "corpus").iterdir()) + sum(1 for _ in (work / "seeds").iterdir())
    try:
        kept = minimize_corpus(args.target, args.profile, work, Path(args.minimize_corpus), Path(args.crashes),
                               not args.no_structured)
    except (CampaignError, OSError) as e:
        raise UsageError(f"--minimize-corpus: {e}") from None
    print(f"minimized corpus: {before} inputs (corpus + seeds) -> {kept} in {args.minimize_corpus}/")


def cmd_repro(args) -> int:
    from pathlib import Path

    from .triage.report import replay
    if Path(args.crash).is_file():
        return _repro_raw(args, Path(args.crash))
    finding, case = _load_case(args.crash)
    if args.target and finding.get("target", args.target) != args.target:
        raise UsageError(f"{args.crash} is a finding of target {finding['target']}, not {args.target}")
    if args.kernel:
        return _repro_on_kernel(args.crash, case)
    if finding.get("kind") == "property":
        return _repro_property(args.crash, finding, case)
    if finding.get("kind") == "disagreement":
        return _repro_disagreement(args.crash, finding, case)
    title, summary = replay(case, finding)
    if title is None:
        print(f"does not reproduce: {summary}")
        return EXIT_LOADED
    print(f"reproduces: {title}" if title == finding.get("title") else f"reproduces a different bug: {title}")
    print(f"  {summary}")
    return EXIT_REFUSED


def _repro_raw(args, path) -> int:
    """A raw libFuzzer / ClusterFuzzLite crash or timeout file: decode it with --target's
    decoder into a crash directory of --crashes, then replay that directory."""
    from pathlib import Path

    from .triage.report import import_artifact, wrong_target
    if args.target is None:
        raise UsageError(f"{path} is a raw fuzzer input: name the target that produced it "
                         f"(--target {'|'.join(TARGETS)})")
    if args.kernel:
        raise UsageError("--kernel replays a crash directory: run lkmfuzz repro FILE --target T first")
    if args.profile not in PROFILES:
        raise UsageError(f"unknown profile {args.profile!r}; choose one of: {', '.join(PROFILES)}")
    data = read_file(str(path))
    try:
        directory = import_artifact(path.name, data, args.target, Path(args.crashes), args.profile)
    except ValueError as e:       # decoder_for: a target that needs data lkmfuzz was installed without
        raise UsageError(str(e)) from None
    if directory is None:
        reason = wrong_target(path, data, args.target, args.profile)
        if reason is not None:
            raise UsageError(reason)
        print(f"does not reproduce: {path} as a {args.target} input is no finding")
        return EXIT_LOADED
    print(f"decoded {path} ({args.target}) into {directory}")
    args.crash = str(directory)
    return cmd_repro(args)


def _repro_property(path, finding, case) -> int:
    from .findings.store import load
    from .properties import PROPERTIES, replay_property
    meta = load(path)[2]
    if meta.get("property") not in PROPERTIES:
        raise UsageError(f"cannot replay {path}: unknown property {meta.get('property')!r}")
    title = replay_property(meta, case.module)
    if title is None:
        print(f"does not reproduce: property {meta['property']} holds")
        return EXIT_LOADED
    same = title == finding.get("title")
    print(f"reproduces: {title}" if same else f"reproduces a different failure: {title}")
    return EXIT_REFUSED


def _load_case(path):
    from .findings.store import StoreError
    from .triage.report import load_case
    try:
        return load_case(path)
    except StoreError as e:     # it names the crash directory or the file in it
        raise UsageError(f"cannot replay {e}") from None


def cmd_minimize(args) -> int:
    from pathlib import Path

    from .findings.store import atomic_write, check_writable
    from .triage.report import minimize_finding, replay
    finding, case = _load_case(args.crash)
    check_writable(Path(args.crash))
    title = replay(case, finding)[0]
    if title is None:       # like repro: exit 0, "does not reproduce" (not a tool error)
        print(f"does not reproduce any more: nothing to minimize in {args.crash}")
        return EXIT_LOADED
    small = minimize_finding(case, finding, title)
    out = Path(args.crash)
    atomic_write(out / "minimized.ko", small.module)
    atomic_write(out / "minimized.json", json.dumps(small.meta(), indent=1, sort_keys=True).encode())
    ratio = len(case.module) / max(1, len(small.module))
    print(f"{title}: {len(case.module)} -> {len(small.module)} bytes ({ratio:.1f}x smaller); "
          f"args {case.args!r} -> {small.args!r}; plan {case.plan.dumps()} -> {small.plan.dumps()}")
    print(f"written: {out / 'minimized.ko'}, {out / 'minimized.json'}")
    return EXIT_LOADED


def cmd_triage(args) -> int:
    from pathlib import Path

    from .findings.store import check_writable
    from .triage.report import import_artifacts, triage
    crashes = Path(args.crashes)
    if not crashes.is_dir():
        raise UsageError(f"crash directory {crashes} does not exist")
    if args.reruns < 1:
        raise UsageError("--reruns must be at least 1 (a finding is reliable when every re-run gives its title)")
    check_writable(crashes)
    if args.artifacts:
        if args.profile not in PROFILES:
            raise UsageError(f"unknown profile {args.profile!r}; choose one of: {', '.join(PROFILES)}")
        if not Path(args.artifacts).is_dir():
            raise UsageError(f"artifact directory {args.artifacts} does not exist")
        imported = import_artifacts(Path(args.artifacts), args.target, crashes, args.profile)
        print(f"imported {imported} libFuzzer artifact(s)")
    try:
        bugs = triage(crashes, args.reruns)
    except OSError as e:       # a write that failed after the probe (disk full, ...)
        raise UsageError(f"triage: {e.filename}: {e.strerror}") from None
    for bug in bugs:
        print(f"{bug.id}  {'reliable' if bug.reliable else 'FLAKY   '}  {bug.original_size:>6} -> "
              f"{bug.minimized_size:>6} B  {bug.title}")
    print(f"{len(bugs)} bug(s); report: {crashes / 'triage.md'}, {crashes / 'triage.json'}")
    return EXIT_LOADED


def cmd_plot(args) -> int:
    from pathlib import Path

    from .plot import plot
    try:
        png, page = plot([Path(p) for p in args.stats], Path(args.output), not args.no_loader_coverage)
    except OSError as e:
        raise UsageError(f"cannot write {e.filename}: {e.strerror}") from None
    except ImportError:
        raise UsageError("plotting needs matplotlib: .venv/bin/pip install 'lkmfuzz[plot]'") from None
    print(f"written: {png}, {page}")
    return EXIT_LOADED


def cmd_info(args) -> int:
    from .inspect import inspect_module, render
    from .loader import finit_module
    data = read_file(args.file)
    # Each release's real kernel and hardened on it, unless one profile is asked for.
    profiles = [args.profile] if args.profile else [name for release in RELEASES
                                                    for name in (release, hardened_for(release))]
    kernels = {name: make_kernel(argparse.Namespace(profile=name, sig_enforce=False)) for name in profiles}
    verdicts = {name: str(finit_module(kernel, data)) for name, kernel in kernels.items()}
    print(render(inspect_module(data), kernels[profiles[0]].symbols, verdicts, filename=args.file))
    return 0


def cmd_sign(args) -> int:
    from .sign import Signer, SignError, load_private_key, sign_module
    module = read_file(args.file)
    try:
        key = load_private_key(read_file(args.key))
    except SignError as e:
        raise UsageError(f"{args.key}: {e}") from None
    try:
        signer = Signer.from_certificate(key, read_file(args.cert))
    except SignError as e:
        raise UsageError(f"{args.cert}: {e}") from None
    out = args.output or args.file + ".signed"
    try:
        with open(out, "wb") as f:
            f.write(sign_module(module, signer, args.hash))
    except OSError as e:
        raise UsageError(f"cannot write {out}: {e.strerror}") from None
    print(f"signed {out}")
    return EXIT_LOADED


# --- the real kernel under qemu -------------------------------------------------------

def _oracle_release(args):
    """The Release of --kernel (oracle setup, run, diff)."""
    return RELEASES[getattr(args, "kernel", None) or ORACLE_DEFAULT_KERNEL]


def _oracle_kit(release=None):
    from .kernel.release import LINUX_6_1
    from .oracle.kit import find_kit
    kit, why = find_kit(release or LINUX_6_1)
    if kit is None:
        raise UsageError(f"the qemu oracle is not ready: {why}")
    return kit


def _oracle_progress(done: int, total: int) -> None:
    print(f"\r  {done}/{total} cases", end="" if done < total else "\n", file=sys.stderr, flush=True)


def _run_on_kernel(cases, release=None):
    from .oracle.qemu import run_cases
    return run_cases(_oracle_kit(release), cases, _oracle_progress)


def _oracle_cases(args):
    """The cases of `oracle run`/`diff`, booted with module.sig_enforce=1 under --sig-enforce."""
    from .oracle.cases import enforcing
    return enforcing(_oracle_case_list(args)) if args.sig_enforce else _oracle_case_list(args)


def _oracle_case_list(args):
    from pathlib import Path

    from .oracle.cases import byte_mutant_cases, cases_from_files, design_cases, mutant_cases
    release = _oracle_release(args)
    # The seeds built for that release: corpus/ for 6.1, corpus/linux-6.12/ for 6.12.
    corpus = Path(args.corpus_dir) if args.corpus_dir else Path("corpus", release.seeds)
    try:
        if getattr(args, "mutants", 0):
            mutants = byte_mutant_cases if args.byte_mutants else mutant_cases
            return mutants(corpus, args.mutants, args.seed, release.name)
        if not args.paths:
            return design_cases(corpus, release.name)
        syscall = "init" if args.syscall == "init_module" else "finit"
        missing: dict = {}
        cases = cases_from_files([Path(p) for p in args.paths], param_bytes(args.params), parse_flags(args.flags),
                                 syscall, 2 if args.twice else 1, missing, release.name)
        for name, deps in missing.items():
            print(f"lkmfuzz: {name}: depends on {', '.join(deps)}, not among the given modules: loaded without "
                  f"(ENOENT for the symbols it needs, as insmod gets)", file=sys.stderr)
        return cases
    except OSError as e:        # a file that cannot be read (a CaseError goes to main's handler)
        raise UsageError(str(e)) from None


def _check_json_target(path: str | None) -> None:
    """--json PATH can be written: asked before booting, so a boot's result is never
    computed only to be lost."""
    if not path:
        return
    from pathlib import Path

    from .findings.store import StoreError, check_writable
    if Path(path).is_dir():
        raise UsageError(f"--json {path}: is a directory")
    try:
        check_writable(Path(path).parent)
    except StoreError as e:
        raise UsageError(f"--json {path}: {e}") from None


def _write_json(path: str | None, payload) -> None:
    if path:
        from pathlib import Path

        from .findings.store import atomic_write
        atomic_write(Path(path), json.dumps(payload, indent=1).encode())


def cmd_oracle_setup(args) -> int:
    from pathlib import Path

    from .oracle.kit import OracleSetupError, setup
    try:
        kit = setup(_oracle_release(args), say=lambda msg: print(f"  {msg}"),
                    deb=Path(args.deb) if args.deb else None, install=not args.no_install)
    except OracleSetupError as e:
        raise UsageError(f"oracle setup: {e}") from None
    print(f"ready: {kit.release.uname} ({kit.vmlinux}, /init {kit.init}, {kit.qemu})")
    return EXIT_LOADED


def cmd_oracle_run(args) -> int:
    _check_json_target(args.json)
    cases = _oracle_cases(args)
    outcomes, stats = _run_on_kernel(cases, _oracle_release(args))
    for case, outcome in zip(cases, outcomes, strict=False):
        taint = f" taint {outcome.module_taint}" if outcome.results[-1:] == [0] else ""
        print(f"{case.name}: {outcome.describe()}{taint}")
    print(f"{len(cases)} cases, {stats.boots} boot(s), {stats.seconds:.1f} s")
    _write_json(args.json, [{"case": c.name, "kernel": o.kinds(), "detail": o.describe(), "taint": o.module_taint,
                             "klog": o.klog} for c, o in zip(cases, outcomes, strict=False)])
    return EXIT_LOADED


def cmd_oracle_diff(args) -> int:
    from pathlib import Path

    from .findings.store import check_writable
    from .oracle.diff import compare
    _check_json_target(args.json)
    check_writable(Path(args.crashes))
    cases = _oracle_cases(args)
    outcomes, stats = _run_on_kernel(cases, _oracle_release(args))
    report = compare(cases, outcomes)
    print(report.render())
    print(f"{stats.boots} boot(s), {stats.seconds:.1f} s on the real kernel")
    _write_json(args.json, {"figures": report.figures(), "rows": [row.to_json() for row in report.rows]})
    saved = save_disagreements(report, cases, Path(args.crashes))
    if saved:
        print(f"{len(saved)} disagreeing case(s) saved under {args.crashes}/ "
              f"(lkmfuzz repro DIR replays the model, repro --kernel DIR the kernel)")
    return EXIT_REFUSED if saved else EXIT_LOADED


def save_disagreements(report, cases, crashes) -> list:
    """Each case where the model and the kernel disagree, as a crash directory (the test
    case as the kernel ran it, and both outcomes): ``repro`` replays the model on it,
    ``repro --kernel`` the kernel."""
    from .findings import store
    saved = []
    for row, oracle in zip(report.rows, cases, strict=True):
        if row.category != "DISAGREE":
            continue
        case = oracle.as_run()
        model, kernel = " then ".join(row.model.kinds), " then ".join(row.kernel.kinds()) or "no result"
        detail = json.dumps(dict(row.to_json(), attempts=oracle.attempts))
        saved.append(store.record(crashes, f"oracle disagreement: model {model}, kernel {kernel}", "disagreement",
                                  "load", f"{oracle.name}: model {model} | kernel {row.kernel.describe()}", detail,
                                  case.module, case.meta(), case.preload))
    return saved


def _repro_disagreement(path, finding, case) -> int:
    """A saved disagreement replayed in the model: it still reproduces while the model's
    verdicts differ from what the kernel did."""
    from pathlib import Path

    from .oracle.cases import OracleCase
    from .oracle.diff import model_outcome
    damaged = UsageError(f"{path}: finding.json does not hold the kernel's outcome of the disagreement")
    try:
        recorded = json.loads(finding.get("detail") or "{}")
    except ValueError:
        raise damaged from None
    kernel = recorded.get("kernel") if isinstance(recorded, dict) else None
    attempts = recorded.get("attempts", 1) if isinstance(recorded, dict) else None
    if not isinstance(kernel, list) or not isinstance(attempts, int):
        raise damaged
    model = model_outcome(OracleCase(Path(path).name, case, attempts))
    if model.kinds == kernel:
        print(f"does not reproduce: the model now agrees with the kernel ({' then '.join(kernel)})")
        return EXIT_LOADED
    print(f"reproduces: model {' then '.join(model.details)} | kernel {recorded.get('kernel_detail', kernel)}")
    return EXIT_REFUSED


def _repro_on_kernel(path, case) -> int:
    from pathlib import Path

    from .findings.store import atomic_write
    from .oracle.cases import OracleCase
    from .oracle.diff import model_outcome
    oracle_case = OracleCase(Path(path).name, case)    # the whole test case: syscall, flags, config...
    for note in oracle_case.unsupported():
        print(f"note: the real kernel runs the case without {note}")
    model = model_outcome(oracle_case)
    (outcome,), _stats = _run_on_kernel([oracle_case], RELEASES[oracle_case.kernel])
    print(f"model ({oracle_case.kernel}, as the kernel runs it): {' then '.join(model.details)}")
    print(f"real kernel: {outcome.describe()}")
    record = {"kernel": outcome.kinds(), "detail": outcome.describe(), "taint": outcome.module_taint,
              "klog": outcome.klog, "sig_enforce": oracle_case.sig_enforce, "model": model.kinds,
              "not_run": oracle_case.unsupported()}
    atomic_write(Path(path) / "kernel.json", json.dumps(record, indent=1).encode())
    return EXIT_REFUSED if outcome.oops or outcome.hang else EXIT_LOADED


ORACLE_DEFAULT_KERNEL = "linux-6.1"


def _add_oracle_kernel_option(cmd) -> None:
    cmd.add_argument("--kernel", choices=tuple(RELEASES), default=ORACLE_DEFAULT_KERNEL,
                     help=f"which Debian kernel release (default {ORACLE_DEFAULT_KERNEL})")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="lkmfuzz", description="Fuzz and fault-inject the Linux module loader.",
                           epilog=exit_code_table(), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"lkmfuzz {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    load = sub.add_parser("load", help="load a module into a simulated kernel and print the verdict")
    load.add_argument("file")
    load.add_argument("params", nargs="*", help="module parameters, param=value")
    load.add_argument("--profile", default=DEFAULT_PROFILE, help=f"{' or '.join(PROFILES)} (default {DEFAULT_PROFILE})")
    load.add_argument("--flags", default="", help="finit_module flags: IGNORE_MODVERSIONS,IGNORE_VERMAGIC,...")
    load.add_argument("--syscall", choices=("finit_module", "init_module"), default="finit_module")
    load.add_argument("--sig-enforce", action="store_true", help="boot with module.sig_enforce=1")
    load.add_argument("--trust", action="append", default=[], metavar="CERT",
                      help="add this X.509 certificate (DER or PEM) to the kernel's keyring, e.g. the one "
                           "`lkmfuzz sign` used")
    load.add_argument("--init-result", type=int, default=0, help="what the module's init returns (default 0)")
    load.add_argument("--fault-plan", default="", help='JSON, e.g. {"fail_nth": 3} or {"sites": ["percpu"]}')
    load.add_argument("--preload", action="append", default=[], metavar="DEP.ko", help="load this module first")
    load.add_argument("--unload", action="store_true", help="delete_module after a successful load")
    load.add_argument("--trace", action="store_true", help="print each step of load_module in order")
    load.set_defaults(func=cmd_load)

    faults = sub.add_parser("faults", help="fail every fault point of a clean load in turn; check invariants")
    faults.add_argument("file")
    faults.add_argument("params", nargs="*", help="module parameters, param=value")
    faults.add_argument("--profile", default=DEFAULT_PROFILE)
    faults.add_argument("--preload", action="append", default=[], metavar="DEP.ko", help="load this module first")
    faults.set_defaults(func=cmd_faults)

    fuzz = sub.add_parser("fuzz", help="run a coverage-guided campaign (Atheris/libFuzzer) on the corpus",
                          epilog="Anything after -- goes to libFuzzer as it is, e.g. "
                                 "lkmfuzz fuzz corpus/ --time 60 -- -use_value_profile=1 (after the target's "
                                 "harnesses/<target>_fuzzer.options)")
    fuzz.add_argument("corpus", nargs="*", help="seed corpus directories (default: the bundled corpus/)")
    fuzz.add_argument("--target", choices=TARGETS, default="load")
    fuzz.add_argument("--time", type=int, default=60, help="seconds (default 60)")
    fuzz.add_argument("--jobs", type=int, default=1, help="parallel workers (libFuzzer -fork)")
    fuzz.add_argument("--profile", default=DEFAULT_PROFILE)
    fuzz.add_argument("--crashes", default="crashes", help="crash store directory (default crashes/)")
    fuzz.add_argument("--work", default=".lkmfuzz", help="working corpus and stats (default .lkmfuzz/)")
    fuzz.add_argument("--no-structured", action="store_true", help="byte-level mutation only")
    fuzz.add_argument("--minimize-corpus", metavar="DIR",
                      help="then libFuzzer -merge=1 the campaign's corpus into DIR (replaced atomically); "
                           "with --time 0, only that")
    # libFuzzer's own flags come after "--" (main() splits them off): a REMAINDER
    # positional here took every option written after a corpus directory.
    fuzz.set_defaults(func=cmd_fuzz, libfuzzer=[])

    repro = sub.add_parser("repro", help="replay a stored crash; exit 1 while it still reproduces")
    repro.add_argument("crash", help="crashes/<id>, or a raw libFuzzer / ClusterFuzzLite crash-* or timeout-* "
                                     "file (with --target)")
    repro.add_argument("--target", choices=TARGETS,
                       help="the target that produced a raw crash file (for crashes/<id>: checked against it)")
    repro.add_argument("--profile", default=DEFAULT_PROFILE, help="of a raw crash file (default hardened, as "
                                                                  "the OSS-Fuzz binaries run)")
    repro.add_argument("--crashes", default="crashes", help="where a raw crash file is decoded (default crashes/)")
    repro.add_argument("--kernel", action="store_true",
                       help="replay on the real kernel under qemu; record it in crashes/<id>/kernel.json")
    repro.set_defaults(func=cmd_repro)

    oracle = sub.add_parser("oracle", help="the real Debian kernel under qemu (6.1 or 6.12)")
    osub = oracle.add_subparsers(dest="oracle_command", required=True, parser_class=OneLineParser)
    osetup = osub.add_parser("setup", help="download and prepare the kernel and /init (idempotent)")
    osetup.add_argument("--deb", help="use this linux-image-*-unsigned .deb instead of apt-get download")
    osetup.add_argument("--no-install", action="store_true", help="never apt-get install missing host tools")
    _add_oracle_kernel_option(osetup)
    osetup.set_defaults(func=cmd_oracle_setup)
    for name, func, text in (("run", cmd_oracle_run, "load each case on the real kernel; print what it did"),
                             ("diff", cmd_oracle_diff, "the model's profile of --kernel against the real "
                                                       "kernel, case by case")):
        cmd = osub.add_parser(name, help=text)
        cmd.add_argument("paths", nargs="*",
                         help="modules or directories (diff default: corpus + the measured corruption set)")
        cmd.add_argument("--params", dest="params", action="append", default=[], help="module parameters")
        cmd.add_argument("--flags", default="", help="finit_module flags: IGNORE_MODVERSIONS,IGNORE_VERMAGIC,...")
        cmd.add_argument("--syscall", choices=("finit_module", "init_module"), default="finit_module")
        cmd.add_argument("--twice", action="store_true", help="load each case twice (EEXIST the second time)")
        cmd.add_argument("--sig-enforce", action="store_true", help="boot with module.sig_enforce=1")
        cmd.add_argument("--mutants", type=int, default=0, help="N structured mutants of the corpus instead")
        cmd.add_argument("--seed", type=int, default=0, help="rng seed of --mutants")
        cmd.add_argument("--byte-mutants", action="store_true",
                         help="--mutants are random byte mutants (1-4 random bytes each), not structured ones")
        cmd.add_argument("--corpus-dir", help="seed corpus (default: the seeds built for --kernel, corpus/ for "
                                              "linux-6.1, corpus/linux-6.12/ for linux-6.12)")
        cmd.add_argument("--json", help="also write the results here")
        if name == "diff":
            cmd.add_argument("--crashes", default="crashes", help="where disagreeing cases go (default crashes/)")
        _add_oracle_kernel_option(cmd)
        cmd.set_defaults(func=func)

    minimize = sub.add_parser("minimize", help="shrink a stored crash while it keeps its title")
    minimize.add_argument("crash", help="crashes/<id>")
    minimize.set_defaults(func=cmd_minimize)

    sign = sub.add_parser("sign", help="sign a module like scripts/sign-file (PKCS#7, appended signature)")
    sign.add_argument("key", help="private key, PEM or DER (RSA or EC)")
    sign.add_argument("cert", help="its X.509 certificate, PEM or DER")
    sign.add_argument("file", metavar="FILE.ko")
    sign.add_argument("--hash", choices=tuple(HASHES), default=DEFAULT_HASH, help=f"digest (default {DEFAULT_HASH})")
    sign.add_argument("-o", "--output", metavar="OUT", help="where to write (default FILE.ko.signed; FILE.ko is kept)")
    sign.set_defaults(func=cmd_sign)

    tri = sub.add_parser("triage", help="re-run, dedup, minimize stored crashes; write triage.md/json")
    tri.add_argument("crashes", nargs="?", default="crashes")
    tri.add_argument("--artifacts", help="also import libFuzzer crash-* files from this directory")
    tri.add_argument("--target", choices=TARGETS, default="load",
                     help="target of the artifacts")
    tri.add_argument("--profile", default=DEFAULT_PROFILE, help="profile of the artifacts' campaign "
                                                                "(default hardened)")
    tri.add_argument("--reruns", type=int, default=3)
    tri.set_defaults(func=cmd_triage)

    plot = sub.add_parser("plot", help="coverage / corpus / execs over time from campaign stats files")
    plot.add_argument("stats", nargs="+", help=".lkmfuzz/<target>[-bytes]/stats.json (several overlay)")
    plot.add_argument("-o", "--output", default="campaign", help="output stem: STEM.png and STEM.html")
    plot.add_argument("--no-loader-coverage", action="store_true",
                      help="skip replaying the corpus for the loader's branch coverage over time")
    plot.set_defaults(func=cmd_plot)

    info = sub.add_parser("info", help="show what the loader sees in a module (modinfo + readelf)")
    info.add_argument("file")
    info.add_argument("--profile", help=f"the verdict of this profile only ({' or '.join(PROFILES)}; default both)")
    info.set_defaults(func=cmd_info)
    return parser


PARAM_COMMANDS = ("load", "faults")     # whose module parameters may follow the options


def split_libfuzzer_flags(argv: list) -> tuple[list, list]:
    """`lkmfuzz fuzz ... -- FLAGS`: (the arguments for lkmfuzz, FLAGS for libFuzzer).  Only
    the fuzz command takes them; other commands see their arguments unchanged."""
    if argv[:1] == ["fuzz"] and "--" in argv:
        cut = argv.index("--")
        return argv[:cut], argv[cut + 1:]
    return argv, []


def main(argv=None) -> int:
    parser = build_parser()
    argv, libfuzzer_flags = split_libfuzzer_flags(list(sys.argv[1:] if argv is None else argv))
    args, rest = parser.parse_known_args(argv)
    if args.command in PARAM_COMMANDS and rest and not any(r.startswith("-") for r in rest):
        args.params += rest        # `load M.ko --sig-enforce a=1`: parameters after options
    elif rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if libfuzzer_flags:
        args.libfuzzer = libfuzzer_flags
    try:
        return args.func(args)
    except LkmfuzzError as e:      # every tool error: one line, exit 2
        print(f"lkmfuzz: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_LOADED
    except KeyboardInterrupt:
        print("lkmfuzz: interrupted", file=sys.stderr)
        return EXIT_SIGINT
    except Exception as bug:  # noqa: BLE001 - reported, not hidden: exit 2, never 1 ("refused")
        # A bug in lkmfuzz itself.  One line by default; LKMFUZZ_TRACEBACK=1 adds where.
        if os.environ.get("LKMFUZZ_TRACEBACK"):
            import traceback
            traceback.print_exc()
        print(f"lkmfuzz: internal error: {type(bug).__name__}: {bug} (a bug in lkmfuzz; "
              f"LKMFUZZ_TRACEBACK=1 shows where)", file=sys.stderr)
        return EXIT_USAGE
