"""What the oracle runs: one case = one test case (lkmfuzz.case) on a fresh-ish kernel.

An ``OracleCase`` is a ``TestCase`` under a name, its load attempted once or twice.  The
same case goes to the model (``diff.model_outcome``) and into the initramfs manifest
(``initramfs.build_initramfs``): nothing of it is dropped on the way.  What the real
kernel cannot do of a test case (a fault plan, extra trusted keys...) is named by
``OracleCase.unsupported()``, and both sides then run what the kernel runs
(``OracleCase.as_run``).  Dependencies are found the way modprobe finds them: the
``depends=`` entry of the module's .modinfo, resolved by module name among the files
given with it.
"""

import dataclasses
import random
from dataclasses import dataclass
from pathlib import Path

from ..case import TestCase
from ..elf.patch import PatchError
from ..errors import LkmfuzzError
from ..faults import FaultPlan
from ..inspect import inspect_module
from ..kernel.release import RELEASES
from ..loader.syscall import user_args
from ..mutate.corruptions import corruptions_for

SYSCALLS = ("finit", "init")
REAL_PROFILE = "linux-6.1"     # what a case of another profile (hardened) replays on
# /init deletes what a case loaded, then forces the delete if it is refused.
REAL_UNLOAD_MODES = ("plain", "forced")
# Switches the oracle's kernel command line sets.
REAL_CONFIG = ("sig_enforce",)


class CaseError(LkmfuzzError, ValueError):
    """A case that cannot be built (unreadable file, unknown dependency)."""


@dataclass(frozen=True)
class OracleCase:
    """A test case for the real kernel, under ``name``; ``attempts`` 2 loads it twice
    (EEXIST the second time)."""
    name: str
    case: TestCase
    attempts: int = 1

    @property
    def module(self) -> bytes:
        return self.case.module

    @property
    def args(self) -> bytes:
        """The parameter string as finit_module takes it."""
        return self.case.arg_bytes

    @property
    def flags(self) -> int:
        return self.case.flags

    @property
    def preload(self) -> tuple:
        return self.case.preload

    @property
    def syscall(self) -> str:
        """``finit`` or ``init``: the manifest's word for the case's system call."""
        return "init" if self.case.syscall == "init_module" else "finit"

    @property
    def sig_enforce(self) -> bool:
        return bool(dict(self.case.config).get("sig_enforce"))

    def unsupported(self) -> list[str]:
        """What of the test case the real kernel under qemu does not do."""
        case, notes = self.case, []
        if not case.plan.empty:
            notes.append("its fault plan (qemu injects no faults)")
        if case.trusted:
            notes.append("its extra trusted keys (the kernel trusts its build certificate only)")
        if case.init_result:
            notes.append(f"init returning {case.init_result} (the module's own init runs)")
        if case.unload not in REAL_UNLOAD_MODES:
            notes.append(f"unload mode {case.unload} (/init deletes the module, forced if refused)")
        other = sorted(k for k, _ in case.config if k not in REAL_CONFIG)
        if other:
            notes.append(f"config switches {', '.join(other)}")
        if case.profile not in RELEASES:
            notes.append(f"the {case.profile} profile (the kernel is {self.kernel}; the model runs that)")
        return notes

    @property
    def kernel(self) -> str:
        """The real kernel (a profile named after its release) the case runs on."""
        return self.case.profile if self.case.profile in RELEASES else REAL_PROFILE

    def as_run(self) -> TestCase:
        """The test case as the real kernel runs it: the model's side of the comparison."""
        config = tuple((k, v) for k, v in self.case.config if k in REAL_CONFIG)
        unload = self.case.unload if self.case.unload in REAL_UNLOAD_MODES else "plain"
        return dataclasses.replace(self.case, plan=FaultPlan(), trusted=(), init_result=0, unload=unload,
                                   config=config, profile=self.kernel)


def enforcing(cases: list[OracleCase]) -> list[OracleCase]:
    """The same cases on a kernel booted with module.sig_enforce=1."""
    return [dataclasses.replace(c, case=dataclasses.replace(c.case, config=(("sig_enforce", True),)))
            for c in cases]


def oracle_case(name: str, module: bytes, args: str | bytes = b"", flags: int = 0, syscall: str = "finit",
                attempts: int = 1, preload: tuple = (), kernel: str = REAL_PROFILE) -> OracleCase:
    """A case from its parts; ``args`` as finit_module takes them (a str is UTF-8);
    ``kernel`` the release (linux-6.1, linux-6.12) it is for."""
    if syscall not in SYSCALLS:
        raise CaseError(f"unknown system call {syscall!r}; choose one of: {', '.join(SYSCALLS)}")
    if kernel not in RELEASES:
        raise CaseError(f"unknown kernel {kernel!r}; choose one of: {', '.join(RELEASES)}")
    case = TestCase(module, user_args(args).decode("latin-1"), flags=flags, profile=kernel,
                    preload=tuple(preload), syscall=f"{syscall}_module", unload="plain")
    return OracleCase(name, case, attempts)


def module_name(data: bytes) -> str | None:
    """The name= of .modinfo (what depends= refers to); inspect_module() reads damaged
    files without raising, so a broken module simply has no name."""
    return dict(inspect_module(data).modinfo).get("name")


def dependencies(data: bytes) -> list[str]:
    depends = dict(inspect_module(data).modinfo).get("depends", "")
    return [name for name in depends.split(",") if name]


def _resolve(name: str, library: dict, missing: list, seen: tuple = ()) -> tuple:
    """The dependency closure of ``name`` from ``library`` (name -> bytes), deepest first;
    a name not in the library is left out and added to ``missing``."""
    if name in seen:
        raise CaseError(f"dependency cycle through {name}")
    if name not in library:
        missing.append(name)
        return ()
    deps: tuple = ()
    for dep in dependencies(library[name]):
        deps += tuple(d for d in _resolve(dep, library, missing, seen + (name,)) if d not in deps)
    return deps + (library[name],)


def preload_for(data: bytes, library: dict, missing: list | None = None) -> tuple:
    """The modules to load before ``data``, as modprobe would; dependencies the library
    lacks are left out (the kernel then answers ENOENT for their symbols, as insmod
    gets) and named in ``missing``."""
    deps: tuple = ()
    for dep in dependencies(data):
        deps += tuple(d for d in _resolve(dep, library, missing if missing is not None else []) if d not in deps)
    return deps


def module_files(paths: list[Path]) -> list[Path]:
    files = []
    for path in paths:
        if path.is_dir():
            files += sorted(path.glob("*.ko"))
        elif path.is_file():
            files.append(path)
        else:
            raise CaseError(f"{path}: no such file or directory")
    return files


def cases_from_files(paths: list[Path], args: str | bytes = b"", flags: int = 0, syscall: str = "finit",
                     attempts: int = 1, missing: dict | None = None, kernel: str = REAL_PROFILE) -> list[OracleCase]:
    """One case per .ko (directories are expanded), dependencies from the same set; a
    dependency not given is left out, and ``missing`` maps the case to what it lacks."""
    files = module_files(paths)
    datas = {f: f.read_bytes() for f in files}
    names = {f: module_name(d) for f, d in datas.items()}
    library = {names[f]: d for f, d in datas.items() if names[f]}
    cases = []
    for f, d in datas.items():
        lacking: list = []
        cases.append(oracle_case(f.name, d, args, flags, syscall, attempts, preload_for(d, library, lacking), kernel))
        if lacking and missing is not None:
            missing[f.name] = sorted(set(lacking))
    return cases


def design_cases(corpus: Path, kernel: str = REAL_PROFILE) -> list[OracleCase]:
    """The corpus itself (each seed through finit_module and init_module) and every
    measured corruption of the hello seed (mutate/corruptions.py), for ``kernel``'s struct
    module."""
    seeds = cases_from_files([corpus], kernel=kernel)
    cases = seeds + [oracle_case(f"{c.name} (init_module)", c.module, syscall="init", preload=c.preload,
                                 kernel=kernel) for c in seeds]
    hello = (corpus / "hello.ko").read_bytes()
    for name, (corrupt, args, flags, attempts) in corruptions_for(RELEASES[kernel].struct_module).items():
        try:
            cases.append(oracle_case(f"hello: {name}", corrupt(hello), args, flags, "finit", attempts,
                                     kernel=kernel))
        except (PatchError, StopIteration, IndexError) as e:
            raise CaseError(f"cannot build corruption {name!r} of hello.ko: {e}") from None
    return cases


def mutant_cases(corpus: Path, count: int, seed: int = 0, kernel: str = REAL_PROFILE) -> list[OracleCase]:
    """``count`` structured mutants of the corpus seeds (one operator each, seeded rng)."""
    from ..kernel.symbols import release_symbols
    from ..mutate.structured import Context, mutate_structured
    seeds = cases_from_files([corpus], kernel=kernel)
    ctx = Context.from_symbols(release_symbols(RELEASES[kernel]), RELEASES[kernel].struct_module)
    rng = random.Random(seed)
    cases: list[OracleCase] = []
    while len(cases) < count:
        base = seeds[len(cases) % len(seeds)]
        data = mutate_structured(base.module, rng, ctx)
        cases.append(oracle_case(f"{base.name} mutant {len(cases)}", data, preload=base.preload, kernel=kernel))
    return cases


def byte_mutant_cases(corpus: Path, count: int, seed: int = 0, kernel: str = REAL_PROFILE) -> list[OracleCase]:
    """``count`` random byte mutants of the corpus seeds, round robin: 1 to 4 bytes each
    set to random values at random offsets (the measure DESIGN.md's figures use)."""
    seeds = cases_from_files([corpus], kernel=kernel)
    rng = random.Random(seed)
    cases: list[OracleCase] = []
    while len(cases) < count:
        base = seeds[len(cases) % len(seeds)]
        data = bytearray(base.module)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        cases.append(oracle_case(f"{base.name} byte mutant {len(cases)}", bytes(data), preload=base.preload,
                                 kernel=kernel))
    return cases
