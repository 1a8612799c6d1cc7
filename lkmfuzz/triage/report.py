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
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ..case import TestCase, case_from_json
from ..errors import LkmfuzzError
from ..findings import store
from ..fuzzing.targets import TARGETS, Finding, decoder_for, execute
from ..loader.main import STEP_PURPOSES
from .minimize import minimize_case

HEXDUMP_BYTES = 128
ARTIFACT_PREFIXES = ("crash-", "timeout-", "oom-", "leak-")
DEFAULT_TIMEOUT = 10     # seconds: campaign.harness_command's -timeout

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


class ArtifactError(LkmfuzzError, ValueError):
    """Artifacts that are not the named target's: one line, naming the right target."""


def import_artifact(name: str, data: bytes, target: str, crashes: Path, profile: str = "hardened") -> Path | None:
    """Decode one raw fuzzer input (a libFuzzer / ClusterFuzzLite crash-*, timeout-*, ...
    file) with ``target``'s decoder and run it; a finding goes into the store (its
    finding.json names the target) and its directory is returned, anything else is None.
    A timeout-* file that still runs longer than the target's -timeout is stored as a
    finding of kind "timeout"."""
    case = decoder_for(target, profile)(data)
    started = time.monotonic()
    try:
        execute(case)
    except Finding as finding:
        return store.record(crashes, finding.title, finding.kind, target, finding.summary, finding.detail,
                            case.module, dict(case.meta(), target=target, source=name), case.preload)
    elapsed = time.monotonic() - started
    if name.startswith("timeout-") and elapsed >= timeout_of(target):
        return store.record(crashes, timeout_title(target), "timeout", target,
                            f"ran {elapsed:.1f} s (limit {timeout_of(target):g} s)", "", case.module,
                            dict(case.meta(), target=target, source=name), case.preload)
    return None


def timeout_of(target: str) -> float:
    """The target's libFuzzer -timeout (its .options), seconds; campaigns' 10 without one."""
    from ..fuzzing.campaign import target_options
    flags = dict(flag.lstrip("-").split("=", 1) for flag in target_options(target))
    return float(flags.get("timeout", DEFAULT_TIMEOUT))


def timeout_title(target: str) -> str:
    return f"timeout in {target} target"


def finding_target_of(data: bytes, profile: str = "hardened", targets=TARGETS) -> tuple[str, str] | None:
    """The first target whose decoder turns ``data`` into a finding: (target, title)."""
    for target in targets:
        try:
            execute(decoder_for(target, profile)(data))
        except Finding as finding:
            return target, finding.title
    return None


def wrong_target(path: Path, data: bytes, target: str, profile: str = "hardened") -> str | None:
    """Why ``path`` is not an input of ``target`` when another target's decoder makes it a
    finding (one line), else None."""
    other = finding_target_of(data, profile, [t for t in TARGETS if t != target])
    if other is None:
        return None
    return (f"{path} is not a finding of target {target}; as a {other[0]} input it is "
            f"{other[1]!r}: use --target {other[0]}")


def campaign_target(artifacts: Path) -> str | None:
    """The target a campaign's artifact directory belongs to (WORK/<target>[-bytes]/artifacts)."""
    artifacts = Path(artifacts).resolve()
    if artifacts.name != "artifacts":
        return None
    name = artifacts.parent.name.removesuffix("-bytes")
    return name if name in TARGETS else None


def import_artifacts(artifacts: Path, target: str, crashes: Path, profile: str = "hardened") -> int:
    """Re-run libFuzzer artifact files and store those that are findings (deduplicated by
    title).  Raises ArtifactError when the directory is another target's campaign's, or
    when none of its artifacts is a finding of ``target`` and one is another target's."""
    owner = campaign_target(artifacts)
    if owner is not None and owner != target:
        raise ArtifactError(f"{artifacts} holds the artifacts of a {owner} campaign, not {target}: "
                            f"use --target {owner}")
    paths = [p for p in sorted(Path(artifacts).iterdir()) if p.name.startswith(ARTIFACT_PREFIXES)]
    imported = sum(import_artifact(p.name, p.read_bytes(), target, crashes, profile) is not None for p in paths)
    if paths and not imported:
        reason = wrong_target(paths[0], paths[0].read_bytes(), target, profile)
        if reason is not None:
            raise ArtifactError(f"none of the {len(paths)} artifact(s) in {artifacts} is a finding; {reason}")
    return imported


def replay(case: TestCase, finding: dict) -> tuple[str | None, str]:
    """Run a stored case again: (the title it gives now, or None; one line on what it did).
    A stored timeout reproduces while the case still runs past its target's -timeout."""
    started = time.monotonic()
    try:
        result = execute(case)
    except Finding as again:
        return again.title, again.summary
    elapsed = time.monotonic() - started
    if finding.get("kind") == "timeout":
        limit = timeout_of(finding.get("target", "load"))
        if elapsed >= limit:
            return finding["title"], f"ran {elapsed:.1f} s (limit {limit:g} s)"
    return None, str(result)


def _step_of(finding: dict) -> str:
    title = finding["title"]
    if " after " in title:
        return title.rsplit(" after ", 1)[1]
    if title.startswith("hardened kernel-fault in "):
        return title[len("hardened kernel-fault in "):]
    if title.startswith("unvalidated-access in "):
        return title[len("unvalidated-access in "):].split(":", 1)[0]
    frames = title.split(" in ", 1)[-1].split(" < ")
    return next((f for f in frames if f in STEP_PURPOSES), frames[0])


def hexdump(data: bytes, limit: int = HEXDUMP_BYTES) -> str:
    lines = []
    for off in range(0, min(len(data), limit), 16):
        chunk = data[off:off + 16]
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{off:08x}  {chunk.hex(' '):<47}  {text}")
    return "\n".join(lines)


def load_case(directory: Path) -> tuple[dict, TestCase]:
    """A stored finding and its test case, as ``repro``, ``minimize`` and ``triage`` read them.
    Raises StoreError naming the file that is wrong."""
    finding, module, meta, preload = store.load(directory)
    try:
        return finding, case_from_json(module, json.dumps(meta), preload)
    except ValueError as e:      # a testcase.json field of the wrong type or value
        raise store.StoreError(f"{Path(directory) / 'testcase.json'}: {e}") from None


def minimize_finding(case: TestCase, finding: dict, title: str) -> TestCase:
    """The smallest case ``minimize_case`` finds that still replays as ``title``."""
    return minimize_case(case, lambda candidate: replay(candidate, finding)[0] == title)


def triage_one(directory: Path, reruns: int) -> Bug:
    finding, case = load_case(directory)
    if not isinstance(finding.get("title"), str) or not isinstance(finding.get("kind"), str):
        raise store.StoreError(f"{directory}: finding.json has no title or kind")
    titles = [replay(case, finding)[0] for _ in range(reruns)]
    title = titles[0]
    reliable = False
    small = case
    if title is not None and all(t == title for t in titles):
        reliable = True
        small = minimize_finding(case, finding, title)
        store.atomic_write(directory / "minimized.ko", small.module)
    step = _step_of(finding)
    return Bug(directory.name, finding["title"], finding["kind"], step, finding["summary"], reliable, reruns,
               len(case.module), len(small.module), hexdump(small.module),
               f"lkmfuzz repro {directory}", f"{finding['kind']} while {STEP_PURPOSES.get(step, step)}",
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
