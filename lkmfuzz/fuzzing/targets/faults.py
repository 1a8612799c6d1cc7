"""The `faults` target: a 4-byte fault plan header, then the module, loaded as modprobe
loads it (its depends= modules first) so that the unwind has module_use links to undo.

The plan header is also the scenario header's fault plan (lkmfuzz.fuzzing.scenario).
"""

import re
from collections.abc import Callable, Iterable

from ...case import TestCase
from ...faults import SITES, FaultPlan
from ..bundled import release_seeds
from ..scenario import bundled_dependencies

MAX_NTH = 64
PLAN_HEADER = 4
NO_FAULT_PLAN = bytes([2, 0, 0, 0])     # probability 0/1024: the header of a plan that fails nothing
DEPENDS = re.compile(rb"depends=([^\0]*)\0")
MODULE_NAME = re.compile(rb"\0name=([^\0]*)\0")
#: A module's name= (modinfo bytes) -> the module's bytes.
ModuleLibrary = dict[bytes, bytes]


def decode_plan(head: bytes) -> FaultPlan:
    """4 bytes -> a fault plan: byte 0 modulo 3 is the kind (fail-nth, sites, probability),
    bytes 1-3 its value (nth, a site bitmask, or probability/1024 and a seed)."""
    head = head.ljust(PLAN_HEADER, b"\0")
    kind, value = head[0] % 3, int.from_bytes(head[1:PLAN_HEADER], "little")
    if kind == 0:
        return FaultPlan(fail_nth=1 + value % MAX_NTH)
    if kind == 1:
        return FaultPlan(sites=frozenset(s for i, s in enumerate(SITES) if value >> i & 1) or frozenset({"kmalloc"}))
    return FaultPlan(probability=(value & 0xFF) / 1024, seed=value >> 8)


def encode_fail_nth_plan(n: int) -> bytes:
    """The plan header decode_plan() reads as 'fail the n-th fault point' (1 <= n <= MAX_NTH)."""
    return bytes([0]) + (n - 1).to_bytes(PLAN_HEADER - 1, "little")


def encode_sites_plan(sites: set) -> bytes:
    """The plan header decode_plan() reads as 'fail every allocation at these sites'."""
    return bytes([1]) + sum(1 << SITES.index(site) for site in sites).to_bytes(PLAN_HEADER - 1, "little")


def encode_faults(plan_head: bytes, module: bytes) -> bytes:
    return plan_head.ljust(PLAN_HEADER, b"\0")[:PLAN_HEADER] + module


def decode_faults(data: bytes, profile: str = "hardened", library: ModuleLibrary | None = None) -> TestCase:
    """First 4 bytes choose the fault plan (decode_plan); the rest is the module, loaded
    as modprobe loads it: after the modules its depends= names, from ``library`` (name
    -> bytes), so that the unwind has module_use links to undo."""
    module = data[PLAN_HEADER:]
    return TestCase(module=module, plan=decode_plan(data[:PLAN_HEADER]), profile=profile,
                    preload=modprobe_preload(module, library or {}))


def modprobe_preload(module: bytes, library: ModuleLibrary) -> tuple[bytes, ...]:
    """The modules of ``library`` that ``module``'s first depends= names, in its order."""
    found = DEPENDS.search(module)
    names = found.group(1).split(b",") if found else []
    return tuple(library[name] for name in names if name in library)


def module_library(modules: Iterable[bytes]) -> ModuleLibrary:
    """name= -> bytes, for the modules of a corpus."""
    library: ModuleLibrary = {}
    for data in modules:
        found = MODULE_NAME.search(data)
        if found:
            library.setdefault(found.group(1), data)
    return library


def decoder(profile: str) -> Callable[[bytes], TestCase]:
    library = module_library(bundled_dependencies(release_seeds(profile)))
    return lambda data: decode_faults(data, profile, library)
