"""The test case: everything needed to replay one load attempt, and its JSON.

A test case is the module bytes, the parameter string, the fault plan, the syscall
and its flags, the profile and its config switches, what is loaded first, what
init returns and how the module is unloaded afterwards.  The fuzz targets decode
raw input into one (lkmfuzz.fuzzing.targets), the crash store keeps one per finding
as input.ko + testcase.json (lkmfuzz.triage), the oracle replays them on a real
kernel.  This module sits below all of them: it knows the simulated kernel's
profiles and fault plans, and nothing of how a case is run.

testcase.json holds ``TestCase.meta()``; the module and the preloads are files of
their own.  The format is stable: crash directories saved by earlier versions load.
"""

import dataclasses
import json
from dataclasses import dataclass

from .faults import FaultPlan
from .kernel.profile import ProfileError, get_profile

__all__ = ["META_TYPES", "SYSCALLS", "UNLOAD_MODES", "TestCase", "case_from_json", "case_to_json", "replace"]

SYSCALLS = ("finit_module", "init_module")

# What follows a successful load (lkmfuzz.fuzzing.targets.unload_modes runs them; every
# mode ends with the module unloaded — forced — and the kernel compared with its state
# before the load):
#   forced      delete_module(O_NONBLOCK|O_TRUNC), rmmod -f
#   plain       delete_module(O_NONBLOCK) first: EBUSY for init without exit
#   absent      delete_module of a name never loaded first: ENOENT
#   held        a reference held (try_module_get, an open file) during a plain delete: EWOULDBLOCK
#   held-forced the same, forced: taint R
#   dependency  delete the preloaded dependency first: EWOULDBLOCK while the module uses it
#   disabled    sysctl kernel.modules_disabled=1 after the load, then a delete: EPERM
UNLOAD_MODES = ("forced", "plain", "absent", "held", "held-forced", "dependency", "disabled")


@dataclass(frozen=True)
class TestCase:
    __test__ = False   # a fuzzing test case, not a pytest class
    module: bytes
    args: str = ""
    plan: FaultPlan = FaultPlan()
    flags: int = 0
    profile: str = "hardened"
    preload: tuple = ()          # dependency modules loaded first (bytes)
    config: tuple = ()           # (switch, value) pairs for the profile, e.g. (("sig_enforce", True),)
    trusted: tuple = ()          # extra DER certificates on the kernel's keyring
    syscall: str = "finit_module"   # or "init_module"
    init_result: int = 0         # what the module's init returns
    unload: str = "forced"       # what follows a successful load: one of UNLOAD_MODES

    @property
    def arg_bytes(self) -> bytes:
        """``args`` as the kernel gets them: one character of a test case's args is one
        byte (latin-1), so every byte value travels through testcase.json."""
        return self.args.encode("latin-1")

    def meta(self) -> dict:
        return {"args": self.args, "fault_plan": self.plan.to_json(), "flags": self.flags,
                "profile": self.profile, "preload": len(self.preload), "config": dict(self.config),
                "trusted": [cert.hex() for cert in self.trusted], "syscall": self.syscall,
                "init_result": self.init_result, "unload": self.unload}


def replace(case: TestCase, **changes) -> TestCase:
    return dataclasses.replace(case, **changes)


def case_to_json(case: TestCase) -> str:
    return json.dumps(case.meta(), sort_keys=True)


# What each field of testcase.json must be (a damaged or hand-edited file is refused in
# one line, never half-read).
META_TYPES = {"args": str, "fault_plan": dict, "flags": int, "profile": str, "config": dict, "trusted": list,
              "syscall": str, "init_result": int, "unload": str, "preload": int}


def case_from_json(module: bytes, text: str, preload: tuple = ()) -> TestCase:
    """Raises ValueError (json.JSONDecodeError included) for anything that is not a test case."""
    meta = json.loads(text)
    if not isinstance(meta, dict):
        raise ValueError(f"testcase.json holds a {type(meta).__name__}, not an object")
    _check_meta(meta)
    return TestCase(module=module, args=meta.get("args", ""), plan=FaultPlan.from_json(meta.get("fault_plan", {})),
                    flags=meta.get("flags", 0), profile=meta.get("profile", "hardened"), preload=preload,
                    config=tuple(sorted((k, _hashable(v)) for k, v in meta.get("config", {}).items())),
                    trusted=tuple(bytes.fromhex(c) for c in meta.get("trusted", [])),
                    syscall=meta.get("syscall", "finit_module"), init_result=meta.get("init_result", 0),
                    unload=meta.get("unload", "forced"))


def _check_meta(meta: dict) -> None:
    """Raise ValueError naming the first field of testcase.json that no test case has."""
    for key, kind in META_TYPES.items():
        if key in meta and (not isinstance(meta[key], kind) or isinstance(meta[key], bool) and kind is int):
            raise ValueError(f"testcase.json: {key!r} is {json.dumps(meta[key])[:40]}, expected {kind.__name__}")
    if any(ord(c) > 0xFF for c in meta.get("args", "")):
        raise ValueError("testcase.json: 'args' holds a character above U+00FF (one character is one byte)")
    if meta.get("syscall", "finit_module") not in SYSCALLS:
        raise ValueError(f"testcase.json: unknown syscall {meta['syscall']!r}")
    if not all(isinstance(c, str) for c in meta.get("trusted", [])):
        raise ValueError("testcase.json: 'trusted' must be a list of hex strings")
    try:
        get_profile(meta.get("profile", "hardened"), **meta.get("config", {}))
    except ProfileError as e:
        raise ValueError(f"testcase.json: {e}") from None
    unload = meta.get("unload", "forced")
    if unload not in UNLOAD_MODES:
        raise ValueError(f"unknown unload mode {unload!r}; known: {', '.join(UNLOAD_MODES)}")


def _hashable(value):
    """JSON gives lists where the config had tuples (module_blacklist=)."""
    return tuple(value) if isinstance(value, list) else value
