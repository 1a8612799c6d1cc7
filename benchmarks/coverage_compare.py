"""Branch coverage of lkmfuzz/loader reached by saved campaign corpora, and the loader's
errno sites they hit, per campaign and as the union over targets of each mutator mode.

Run: .venv/bin/python benchmarks/coverage_compare.py .lkmfuzz/scenario .lkmfuzz/scenario-bytes [more...]

Each argument is a campaign work directory (or a minimized corpus directory given as
TARGET:DIR).  Its seeds/ and corpus/ are replayed through ITS OWN target's decoder
(lkmfuzz.fuzzing.targets.decoder_for; the target, mode and profile come from its
stats.json), so a scenario input runs with its header's flags, config, preload,
fault plan and unload.  Campaigns of the same mode (structured or byte-level) are
then unioned.  An errno site is a line of lkmfuzz/loader that builds a refusal
(``refuse(errno.X`` or ``LoadError(errno.X``); it is hit when that line ran.

For the union of each mode it lists the branches and errno sites not reached and
why: the known-unreachable ones (KNOWN_UNREACHABLE, with the reason) apart from the
ones the campaign simply did not find.
"""

import ast
import json
import re
import sys
from pathlib import Path

import coverage

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LOADER = ROOT / "lkmfuzz" / "loader"
ERRNO_SITE = re.compile(r"(refuse\(|LoadError\()\s*(errno\.E[A-Z]+|failed\.errno|-?ret|err\b)")
MODES = ("structured", "byte-level")

# Why no input can reach a line: (file, function, a piece of the line or "" for the
# whole function) -> the reason.  Only reasons that hold for every input through
# execute(); everything else not reached is "not found" (the campaign did not get there).
CONCURRENT = "needs another load or unload in progress at the same time; the model runs one syscall at a time"
NOT_ON_LOAD_PATH = "not called by load_module/delete_module"
PARSE_ONE_GUARD = ("parse_one() refuses a missing value before calling a setter without "
                   "KERNEL_PARAM_OPS_FL_NOARG, so this None check never sees None")
LOAD_MODULE_ARGS = ("load_module calls parse_args with the whole s16 level range and an unknown-parameter "
                    "callback; this generality of kernel/params.c is for other callers (tests/test_params.py)")
STRING_MAXLEN = ("the loader's param_ops_string entry has no buffer size (maxlen None): kparams checks "
                 "kparam_string.maxlen itself; a sized string_param_type is for tests/test_params.py")
KNOWN_UNREACHABLE = {
    ("main.py", "check_not_loaded", "still loading or unloading"): f"EBUSY {CONCURRENT}",
    ("main.py", "check_not_loaded", "if old.state == ModuleState.LIVE"): f"a non-LIVE namesake {CONCURRENT}",
    ("symbols.py", "ref_module", "ModuleState.COMING"): f"a COMING owner {CONCURRENT}",
    ("symbols.py", "ref_module", "is still initialising"): f"a COMING owner {CONCURRENT}",
    ("symbols.py", "ref_module", "ModuleState.GOING or"): f"a GOING owner {CONCURRENT}",
    ("symbols.py", "ref_module", "cannot get a reference"): f"a GOING owner {CONCURRENT}",
    ("unload.py", "delete_module", "ModuleState.LIVE"): f"a module not LIVE {CONCURRENT}",
    ("unload.py", "delete_module", "not live"): f"a module not LIVE {CONCURRENT}",
    ("main.py", "LoadResult.kind", ""): f"{NOT_ON_LOAD_PATH}: the verdict's name for callers (CLI, systematic)",
    ("signing.py", "split_signature", ""): f"{NOT_ON_LOAD_PATH}: used by tools (inspect, the signature mutator)",
    ("params.py", "parse_one", "kp.level < min_level"): LOAD_MODULE_ARGS,
    ("params.py", "parse_one", "unknown is not None"): LOAD_MODULE_ARGS,
    ("params.py", "_failure_message", "errno.ENOENT"): LOAD_MODULE_ARGS + " (only parse_one's ENOENT prints it)",
    ("params.py", "param_array", "min_elems"): "param_array_set() always asks for at least one element, "
                                               "and the split always yields one",
    ("params.py", "parse", "val is None"): PARSE_ONE_GUARD,
    ("params.py", "_parse_charp", "val is None"): PARSE_ONE_GUARD,
    ("params.py", "param_array", "val is None"): PARSE_ONE_GUARD,
    ("params.py", "param_array", "store is not None"): "the loader always stores each element (kparams.set_array); "
                                                       "parsing without a store is for tests/test_params.py",
    ("params.py", "string_param_type.parse", "maxlen is not None"): STRING_MAXLEN,
    ("params.py", "string_param_type.message", ""): STRING_MAXLEN,
    ("params.py", "report_setter_error", "line is not None"):
        "the only setters with a message (charp, string) fail only with the error they have a message for (ENOSPC)",
    ("init.py", "unlink_module", "mod in kernel.modules"):
        "both callers (the unlink_mod label, free_module) run on a module still on the list",
    ("sysfs.py", "mod_sysfs_teardown", "if mod.sysfs_dir"):
        "teardown runs only after mod_sysfs_setup succeeded (the sysfs_cleanup label, free_module of a formed module)",
    ("symbols.py", "module_unload_free", "target is not None"):
        "a module in use cannot go first: delete_module refuses while it has users, and nothing else unloads",
    ("version.py", "check_modstruct_version", "layout is None"): "Debian 6.1's Module.symvers has module_layout "
                                                                "(the branch is for 6.3+ kernels)",
}


def errno_sites() -> dict:
    sites = {}
    for path in sorted(LOADER.glob("*.py")):
        for lineno, line in enumerate(path.read_text().splitlines(), 1):
            if ERRNO_SITE.search(line):
                sites[(str(path), lineno)] = line.strip()[:90]
    return sites


def campaign_of(arg: str) -> tuple[str, Path, bool, str]:
    """(target, directory, structured, profile) of a work directory, or of TARGET:DIR
    (a minimized corpus; TARGET-bytes:DIR for a byte-level one)."""
    if ":" in arg and not Path(arg).exists():
        target, directory = arg.split(":", 1)
        return target.removesuffix("-bytes"), Path(directory), not target.endswith("-bytes"), "hardened"
    work = Path(arg)
    stats_file = work / "stats.json"
    stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    target = stats.get("target") or work.name.removesuffix("-bytes")
    structured = stats.get("structured", not work.name.endswith("-bytes"))
    return target, work, structured, stats.get("profile", "hardened")


def inputs_of(work: Path) -> list[Path]:
    dirs = [work / "seeds", work / "corpus"] if (work / "corpus").is_dir() else [work]
    return [path for d in dirs if d.is_dir() for path in sorted(d.iterdir()) if path.is_file()]


def replay(target: str, inputs: list[Path], profile: str) -> tuple[coverage.Coverage, int]:
    """Coverage of running every input through its target's decoder and execute()."""
    from lkmfuzz.fuzzing.targets import Finding, decoder_for, execute
    decode = decoder_for(target, profile)
    findings = 0
    cov = coverage.Coverage(branch=True, source=[str(LOADER)], data_file=None)
    cov.start()
    for path in inputs:
        try:
            execute(decode(path.read_bytes()))
        except Finding:
            findings += 1   # a finding still covered its path; the campaign recorded it
    cov.stop()
    return cov, findings


def branch_figures(cov: coverage.Coverage) -> tuple[int, int, dict]:
    """(branches taken, branches, {file: {line: [missed destinations]}})."""
    taken = total = 0
    missed = {}
    for path in sorted(LOADER.glob("*.py")):
        analysis = cov._analyze(str(path))
        numbers = analysis.numbers
        total += numbers.n_branches
        taken += numbers.n_branches - numbers.n_missing_branches
        missed[str(path)] = analysis.missing_branch_arcs()
    return taken, total, missed


def errno_hit(cov: coverage.Coverage, sites: dict) -> set:
    data = cov.get_data()
    return {key for key in sites if key[1] in (data.lines(key[0]) or [])}


def functions(path: str) -> list[tuple[int, int, str]]:
    """(first line, last line, Class.name) of every function in a file, innermost last."""
    out = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if isinstance(child, ast.FunctionDef):
                    out.append((child.lineno, child.end_lineno, name))
                visit(child, f"{name}.")
    visit(ast.parse(Path(path).read_text()), "")
    return sorted(out)


def why(path: str, line: int, text: str) -> str:
    name = Path(path).name
    inside = [f for start, end, f in functions(path) if start <= line <= end]
    for function in reversed(inside):
        for (file, known, piece), reason in KNOWN_UNREACHABLE.items():
            if file == name and known in (function, function.split(".")[-1]) and piece in text:
                return f"unreachable: {reason}"
    return "not found"


def unreachable_branches(missed: dict) -> int:
    """How many of the branches not taken are known to be unreachable."""
    count = 0
    for path, lines in missed.items():
        source = Path(path).read_text().splitlines()
        count += sum(len(dests) for line, dests in lines.items()
                     if why(path, line, source[line - 1]).startswith("unreachable"))
    return count


def report_missing(missed: dict, sites: dict, hit: set) -> None:
    sources = {path: Path(path).read_text().splitlines() for path in missed}
    print("   errno sites not hit:")
    for key in sorted(set(sites) - hit):
        print(f"     {Path(key[0]).name}:{key[1]}  [{why(key[0], key[1], sites[key])}]  {sites[key]}")
    print("   branches not taken (line -> destination; negative: leaves the function):")
    for path, lines in missed.items():
        for line, dests in sorted(lines.items()):
            text = sources[path][line - 1].strip()
            print(f"     {Path(path).name}:{line} -> {','.join(map(str, dests))}  [{why(path, line, text)}]  "
                  f"{text[:80]}")


def stale_reasons() -> list[str]:
    """KNOWN_UNREACHABLE entries that no longer name a line of the loader."""
    stale = []
    for file, function, piece in KNOWN_UNREACHABLE:
        path = LOADER / file
        source = path.read_text().splitlines()
        bodies = [source[start - 1:end] for start, end, name in functions(str(path))
                  if function in (name, name.split(".")[-1])]
        if not any(piece in line for body in bodies for line in body):
            stale.append(f"{file}:{function}:{piece!r}")
    return stale


def parse_campaigns(argv) -> list[tuple[str, Path, bool, str]]:
    """The campaigns named on the command line; a bad one exits 2 with one line."""
    from lkmfuzz.cli import OneLineParser
    from lkmfuzz.fuzzing.targets import TARGETS
    parser = OneLineParser(prog="coverage_compare.py", description=__doc__.splitlines()[0])
    parser.add_argument("campaigns", nargs="+", metavar="CAMPAIGN",
                        help="a campaign work directory (.lkmfuzz/scenario), or TARGET:DIR / TARGET-bytes:DIR "
                             "for a minimized corpus")
    campaigns = [campaign_of(arg) for arg in parser.parse_args(argv).campaigns]
    for target, work, _structured, _profile in campaigns:
        if not work.is_dir():
            parser.error(f"no campaign directory {work}")
        if target not in TARGETS:
            parser.error(f"{work}: unknown target {target!r} (one of {', '.join(TARGETS)}; name it as TARGET:DIR)")
    return campaigns


def main(argv) -> int:
    campaigns = parse_campaigns(argv)
    for entry in stale_reasons():
        print(f"warning: KNOWN_UNREACHABLE entry {entry} matches no line any more", file=sys.stderr)
    sites = errno_sites()
    unions = {mode: coverage.Coverage(branch=True, source=[str(LOADER)], data_file=None) for mode in MODES}
    counts = {mode: [] for mode in MODES}
    for target, work, structured, profile in campaigns:
        inputs = inputs_of(work)
        cov, findings = replay(target, inputs, profile)
        taken, total, _ = branch_figures(cov)
        mode = MODES[not structured]
        unions[mode].get_data().update(cov.get_data())
        counts[mode].append(f"{target} {len(inputs)}")
        print(f"{work} ({target}, {mode}, {profile}): {len(inputs)} inputs replayed ({findings} findings); "
              f"loader branches {taken}/{total} = {100 * taken / max(1, total):.1f}%; "
              f"errno sites hit {len(errno_hit(cov, sites))}/{len(sites)}")
    for mode in MODES:
        if not counts[mode]:
            continue
        taken, total, missed = branch_figures(unions[mode])
        hit = errno_hit(unions[mode], sites)
        reachable = total - unreachable_branches(missed)
        dead_sites = sum(why(*key, sites[key]).startswith("unreachable") for key in set(sites) - hit)
        print(f"UNION {mode} ({', '.join(counts[mode])} inputs): loader branches {taken}/{total} = "
              f"{100 * taken / max(1, total):.1f}%; errno sites hit {len(hit)}/{len(sites)}")
        percent = 100 * taken / max(1, reachable)
        print(f"   without the known-unreachable: branches {taken}/{reachable} = {percent:.1f}%;"
              f" errno sites {len(hit)}/{len(sites) - dead_sites}")
        report_missing(missed, sites, hit)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
