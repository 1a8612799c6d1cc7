"""Layers point one way: a module of lkmfuzz imports only from its own layer or lower ones.

LAYERS lists the layers, lowest first; each names the packages and top-level modules
in it.  A module's layer is that of its package (or its own name, for a top-level
module).  Every import counts, absolute or relative, at the top of a file or inside a
function: a lazy import that dodges a cycle still points the way it points.  To add a
module, give it a row here; to need something from a higher layer, move that thing down.
"""

import ast
import re
import sys
from pathlib import Path

import pytest

import lkmfuzz

LAYERS = (
    ("abi", "errors", "files"),                 # kernel ABI numbers and layouts; the error root; JSON files
    ("faults",),                                # fault plans: which kernel operations fail
    ("elf",),                                   # the ELF format: records, reader, writer, patcher
    ("kernel",),                                # the simulated kernel: memory, allocator, symbols, profiles
    ("loader",),                                # load_module() and delete_module()
    ("invariants", "systematic", "inspect", "sign", "keys"),    # tools over the loader; signing keys
    ("case", "findings"),                       # the test case model; finding titles and the crash store
    ("properties", "mutate"),                   # loader properties; mutators of module files
    ("strategies",),                            # Hypothesis strategies (modules, mutants)
    ("fuzzing",),                               # targets, harnesses, campaigns
    ("triage",),                                # replay, minimize, report stored findings
    ("oracle",),                                # the real kernel under qemu, compared with the model
    ("plot",),                                  # campaign plots (replays corpora through targets)
    ("cli", "__main__", "pytest_plugin"),       # entry points
)
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
PACKAGE = Path(lkmfuzz.__file__).parent


def layer_of(module: str) -> str:
    """``lkmfuzz.loader.main`` -> ``loader``; the package itself (__init__) is ``lkmfuzz``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "lkmfuzz"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every lkmfuzz import in the file, wherever it is."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found += [(node.lineno, _submodule(target, alias.name)) for alias in node.names]
    return [(line, target) for line, target in found if target == "lkmfuzz" or target.startswith("lkmfuzz.")]


def _submodule(target: str, name: str) -> str:
    """``from lkmfuzz import invariants`` imports the module lkmfuzz.invariants;
    ``from lkmfuzz import __version__`` only a name of the package."""
    if target == "lkmfuzz" and ((PACKAGE / name).is_dir() or (PACKAGE / f"{name}.py").is_file()):
        return f"{target}.{name}"
    return target


def source_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def upward_imports(path: Path) -> list[str]:
    mine = layer_of(module_name(path))
    if mine == "lkmfuzz":
        return []       # the package's __init__ holds only the version
    problems = []
    for line, target in imported_modules(path):
        theirs = layer_of(target)
        if theirs == "lkmfuzz":
            continue    # `from lkmfuzz import __version__`
        if RANK[theirs] > RANK[mine]:
            problems.append(f"{module_name(path)} (layer {mine}) imports {target} (layer {theirs}, higher) "
                            f"at {path.relative_to(PACKAGE.parent)}:{line}")
    return problems


def test_every_module_has_a_layer():
    unranked = sorted({layer_of(module_name(p)) for p in source_files()} - set(RANK) - {"lkmfuzz"})
    assert not unranked, f"give these a row in LAYERS: {unranked}"


@pytest.mark.parametrize("path", source_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down(path):
    problems = upward_imports(path)
    assert not problems, "\n".join(problems)


def test_the_check_sees_lazy_and_relative_imports(tmp_path, monkeypatch):
    """An upward import inside a function, written relative, is caught."""
    fake = tmp_path / "lkmfuzz"
    (fake / "elf").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    bad = fake / "elf" / "model.py"
    bad.write_text("def f():\n    from ..kernel.profile import get_profile\n    return get_profile\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    problems = upward_imports(bad)
    assert problems and "lkmfuzz.kernel.profile" in problems[0] and "elf/model.py:2" in problems[0]


def test_triage_explains_steps_with_the_loaders_table():
    """triage/report.py keeps no table of its own: every step it explains is a function of
    the loader (a PIPELINE step or a kernel function one calls)."""
    import inspect

    import lkmfuzz.loader as loader_package
    from lkmfuzz.loader.main import PIPELINE, STEP_PURPOSES
    from lkmfuzz.triage import report
    defined = {name for path in Path(loader_package.__file__).parent.glob("*.py")
               for name in re.findall(r"^def (\w+)", path.read_text(), re.M)}
    assert set(STEP_PURPOSES) <= defined, sorted(set(STEP_PURPOSES) - defined)
    assert {"module_sig_check", "elf_validity_check"} <= {step.name for step in PIPELINE} & set(STEP_PURPOSES)
    assert "PIPELINE = {" not in inspect.getsource(report)
