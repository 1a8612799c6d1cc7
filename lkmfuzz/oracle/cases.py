"""What the oracle runs: one case = one module load attempt sequence on a fresh-ish kernel.

A case is independent of where it runs: the same ``OracleCase`` goes to the model
(``diff.model_kinds``) and into the initramfs manifest (``initramfs.build``).
Dependencies are found the way modprobe finds them: the ``depends=`` entry of the
module's .modinfo, resolved by module name among the files given with it.
"""

import random
from dataclasses import dataclass
from pathlib import Path

from ..elf.patch import PatchError
from ..errors import LkmfuzzError
from ..inspect import inspect_module
from ..mutate.corruptions import HELLO_CORRUPTIONS

SYSCALLS = ("finit", "init")


class CaseError(LkmfuzzError, ValueError):
    """A case that cannot be built (unreadable file, unknown dependency)."""


@dataclass(frozen=True)
class OracleCase:
    name: str
    module: bytes
    args: str | bytes = b""     # as finit_module takes them (a str is encoded as UTF-8)
    flags: int = 0
    syscall: str = "finit"       # finit_module(2) or init_module(2)
    attempts: int = 1            # 2: load the same bytes twice (EEXIST the second time)
    preload: tuple = ()          # dependency modules (bytes), loaded first with finit_module


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
                     attempts: int = 1, missing: dict | None = None) -> list[OracleCase]:
    """One case per .ko (directories are expanded), dependencies from the same set; a
    dependency not given is left out, and ``missing`` maps the case to what it lacks."""
    files = module_files(paths)
    datas = {f: f.read_bytes() for f in files}
    names = {f: module_name(d) for f, d in datas.items()}
    library = {names[f]: d for f, d in datas.items() if names[f]}
    cases = []
    for f, d in datas.items():
        lacking: list = []
        cases.append(OracleCase(f.name, d, args, flags, syscall, attempts, preload_for(d, library, lacking)))
        if lacking and missing is not None:
            missing[f.name] = sorted(set(lacking))
    return cases


def design_cases(corpus: Path) -> list[OracleCase]:
    """The corpus itself (each seed through finit_module and init_module) and every
    measured corruption of the hello seed (mutate/corruptions.py)."""
    seeds = cases_from_files([corpus])
    cases = seeds + [OracleCase(f"{c.name} (init_module)", c.module, syscall="init", preload=c.preload)
                     for c in seeds]
    hello = (corpus / "hello.ko").read_bytes()
    for name, (corrupt, args, flags, attempts) in HELLO_CORRUPTIONS.items():
        try:
            cases.append(OracleCase(f"hello: {name}", corrupt(hello), args, flags, "finit", attempts))
        except (PatchError, StopIteration, IndexError) as e:
            raise CaseError(f"cannot build corruption {name!r} of hello.ko: {e}") from None
    return cases


def mutant_cases(corpus: Path, count: int, seed: int = 0) -> list[OracleCase]:
    """``count`` structured mutants of the corpus seeds (one operator each, seeded rng)."""
    from ..kernel.symbols import debian_symbols
    from ..mutate.structured import Context, mutate_structured
    seeds = cases_from_files([corpus])
    ctx = Context.from_symbols(debian_symbols())
    rng = random.Random(seed)
    cases: list[OracleCase] = []
    while len(cases) < count:
        base = seeds[len(cases) % len(seeds)]
        data = mutate_structured(base.module, rng, ctx)
        cases.append(OracleCase(f"{base.name} mutant {len(cases)}", data, preload=base.preload))
    return cases
