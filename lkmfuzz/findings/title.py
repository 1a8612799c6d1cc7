"""Crash titles: what makes two findings the same bug.

Exceptions are titled by type and the innermost project frames (ClusterFuzz keeps
3), with harness, fuzzing, triage, findings, Atheris and Hypothesis frames dropped, so the
same bug reached through different inputs gets the same title.  Invariant
violations are titled by invariant and step, kernel-faults by site.
"""

import re
import traceback

FRAMES_KEPT = 3
DROPPED = re.compile(r"(/fuzzing/|/triage/|/findings/|/harnesses/|atheris|hypothesis|/_pytest/|pluggy)")
# A PyInstaller binary (OSS-Fuzz, ClusterFuzzLite) names frames by relative paths,
# "lkmfuzz/loader/relocate.py": the same title as from the checkout or site-packages.
PROJECT = re.compile(r"(^|/)lkmfuzz/")


# Functions that only run a test case (record, replay): never part of a bug's identity.
RUNNERS = frozenset({"check_property", "replay_property"})


def exception_title(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if PROJECT.search(f.filename) and not DROPPED.search(f.filename) and f.name not in RUNNERS]
    names = [f.name for f in reversed(frames)][:FRAMES_KEPT]
    return f"{qualified_name(type(exc))} in {' < '.join(names) or '?'}"


def qualified_name(cls: type) -> str:
    """struct.error, not just "error"; builtins keep their plain name."""
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def violation_title(invariant: str, step: str) -> str:
    return f"invariant {invariant} after {step}"


def kernel_fault_title(site: str) -> str:
    return f"hardened kernel-fault in {site}"


NUMBER = re.compile(r"-?\b(?:0x[0-9a-fA-F]+|\d+)\b")
QUOTED = re.compile(r"'[^']*'")


def access_class(reason: str) -> str:
    """What was read or written, without the input's numbers and names: the same missing
    check reached by two inputs gives the same class."""
    return QUOTED.sub("'…'", NUMBER.sub("N", reason))


def unvalidated_access_title(site: str, reason: str) -> str:
    return f"unvalidated-access in {site}: {access_class(reason)}"


def second_opinion_title(profile: str, how: str, other) -> str:
    """Hardened disagrees with a real kernel's profile that ``how`` ("refuses" or "faults")
    with ``other`` (its LoadResult): titled by that verdict's kind and site."""
    verdict = other.verdict
    where = getattr(verdict, "step", None) or getattr(verdict, "site", "?")
    return f"second opinion: {profile} {how} ({other.kind} in {where}), hardened does not refuse by a check"


FRAME_LINE = re.compile(r'^\s*File "([^"]+)", line \d+, in (\S+)', re.M)
EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*)(?::|$)")


def title_from_text(text: str) -> str:
    """The same title from a printed traceback (libFuzzer output, a Hypothesis report,
    a crash file): its last exception and the innermost project frames of that block."""
    block = text.rsplit("Traceback (most recent call last):", 1)[-1]
    frames = [name for path, name in FRAME_LINE.findall(block)
              if PROJECT.search(path) and not DROPPED.search(path) and name not in RUNNERS]
    names = list(reversed(frames))[:FRAMES_KEPT]
    exc_type = "?"
    for line in reversed(block.strip().splitlines()):
        match = EXCEPTION_LINE.match(line)
        if match and not line.startswith((" ", "\t")):
            exc_type = match.group(1)
            break
    return f"{exc_type} in {' < '.join(names) or '?'}"
