"""`lkmfuzz triage`: from a pile of crash files to a handful of bugs.

Imports libFuzzer artifacts (crash-*, timeout-*, oom-* written by a harness) into
the store, re-runs every stored finding N times (the model is deterministic, so a
finding is reliable only if every run gives its title), minimizes each reliable
one, and writes ``triage.md`` and ``triage.json`` next to the store: one entry per
bug with title, step, errno or invariant, the minimized input as a hexdump of its
first bytes, the command to replay, and a one-line explanation in terms of the
kernel's pipeline.
"""

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from ..fuzzing.targets import Finding, TestCase, decoder_for, execute
from ..triage.minimize import minimize_case
from . import store

HEXDUMP_BYTES = 128
ARTIFACT_PREFIXES = ("crash-", "timeout-", "oom-", "leak-")

# step -> where in load_module() it is, for the one-line explanation
PIPELINE = {
    "module_sig_check": "the appended-signature check that runs before any ELF parsing",
    "elf_validity_check": "the ELF header / section table validity checks",
    "setup_load_info": "finding .modinfo, the symbol table and .gnu.linkonce.this_module",
    "check_modinfo": "the vermagic / license / taint checks of .modinfo",
    "layout_and_allocate": "laying out sections and allocating module memory",
    "layout_symtab": "sizing the kallsyms copy of the symbol table",
    "move_module": "copying sections into the module's memory",
    "simplify_symbols": "resolving undefined symbols and rebasing defined ones",
    "apply_relocations": "walking the relocation sections",
    "apply_relocate_add": "applying x86-64 RELA relocations (r_offset / symbol index / type)",
    "add_kallsyms": "copying core symbols and names for kallsyms",
    "module_finalize": "x86 text patching tables (alternatives, retpoline/return sites)",
    "complete_formation": "duplicate-export check and page protections",
    "module_parse_args": "parsing the module's parameters into its variables",
    "mod_sysfs_setup": "creating /sys/module/<name>",
    "do_init_module": "running init and freeing init memory",
    "delete_module": "unloading the module",
}


@dataclass
class Bug:
    id: str
    title: str
    kind: str
    step: str
    what: str                  # errno/exception/invariant
    reliable: bool
    reruns: int
    original_size: int
    minimized_size: int
    hexdump: str
    replay: str
    explanation: str
    count: int


def import_artifacts(artifacts: Path, target: str, crashes: Path, profile: str = "hardened") -> int:
    """Re-run libFuzzer artifact files and store those that are findings (deduplicated by title)."""
    decode = decoder_for(target, profile)
    imported = 0
    for path in sorted(Path(artifacts).iterdir()):
        if not path.name.startswith(ARTIFACT_PREFIXES):
            continue
        data = path.read_bytes()
        case = decode(data)
        try:
            execute(case)
        except Finding as finding:
            store.record(crashes, finding.title, finding.kind, target, finding.summary, finding.detail,
                         case.module, dict(case.meta(), target=target, source=path.name), case.preload)
            imported += 1
    return imported


def _replay_title(case: TestCase) -> str | None:
    try:
        execute(case)
    except Finding as finding:
        return finding.title
    return None


def _step_of(finding: dict) -> str:
    title = finding["title"]
    if " after " in title:
        return title.rsplit(" after ", 1)[1]
    if title.startswith("hardened kernel-fault in "):
        return title[len("hardened kernel-fault in "):]
    if title.startswith("unvalidated-access in "):
        return title[len("unvalidated-access in "):].split(":", 1)[0]
    frames = title.split(" in ", 1)[-1].split(" < ")
    return next((f for f in frames if f in PIPELINE), frames[0])


def hexdump(data: bytes, limit: int = HEXDUMP_BYTES) -> str:
    lines = []
    for off in range(0, min(len(data), limit), 16):
        chunk = data[off:off + 16]
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{off:08x}  {chunk.hex(' '):<47}  {text}")
    return "\n".join(lines)


def triage_one(directory: Path, reruns: int) -> Bug:
    from ..fuzzing.targets import case_from_json
    finding, module, meta, preload = store.load(directory)
    try:
        case = case_from_json(module, json.dumps(meta), preload)
    except ValueError as e:
        raise store.StoreError(f"{directory}: {e}") from None
    if not isinstance(finding.get("title"), str) or not isinstance(finding.get("kind"), str):
        raise store.StoreError(f"{directory}: finding.json has no title or kind")
    titles = [_replay_title(case) for _ in range(reruns)]
    title = titles[0]
    reliable = title is not None and all(t == title for t in titles)
    small = case
    if reliable:
        small = minimize_case(case, lambda c: _replay_title(c) == title)
        store.atomic_write(directory / "minimized.ko", small.module)
    step = _step_of(finding)
    return Bug(directory.name, finding["title"], finding["kind"], step, finding["summary"], reliable, reruns,
               len(case.module), len(small.module), hexdump(small.module),
               f"lkmfuzz repro {directory}", f"{finding['kind']} while {PIPELINE.get(step, step)}",
               finding.get("count", 1))


def triage(crashes: Path, reruns: int = 3) -> list[Bug]:
    """Raises StoreError for a crash directory it cannot read or a store it cannot write
    (checked before any re-run)."""
    if reruns < 1:
        raise ValueError("reruns must be at least 1")
    store.check_writable(crashes)
    bugs = [triage_one(d, reruns) for d in store.list_findings(crashes)]
    store.atomic_write(Path(crashes) / "triage.json", json.dumps([asdict(b) for b in bugs], indent=1).encode())
    store.atomic_write(Path(crashes) / "triage.md", render_markdown(bugs).encode())
    return bugs


def render_markdown(bugs: list[Bug]) -> str:
    lines = [f"# lkmfuzz triage: {len(bugs)} bug(s)", ""]
    for bug in bugs:
        ratio = bug.original_size / max(1, bug.minimized_size)
        lines += [f"## {bug.title}", "",
                  f"- **explanation:** {bug.explanation}",
                  f"- **kind / step:** {bug.kind} / `{bug.step}`",
                  f"- **what:** {bug.what}",
                  f"- **reliable:** {'yes' if bug.reliable else 'NO'} ({bug.reruns} re-runs); seen {bug.count} time(s)",
                  f"- **minimized:** {bug.original_size} -> {bug.minimized_size} bytes ({ratio:.1f}x)",
                  f"- **replay:** `{bug.replay}`", "", "```", bug.hexdump, "```", ""]
    return "\n".join(lines)
