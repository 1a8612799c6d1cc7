"""The `scenario` target: a header (lkmfuzz.fuzzing.scenario) that sets up the kernel and
the system calls around the module that follows it."""

from ...case import TestCase
from ...faults import FaultPlan
from .. import scenario
from ..bundled import release_seeds
from .faults import decode_plan
from .signature import signing_certificate


def decode_scenario(data: bytes, dependencies: tuple = (), profile: str = "hardened") -> TestCase:
    """The scenario header and the module -> a test case.  Preload choice 1 is the module
    itself (loaded first: EEXIST), 2+ picks one of ``dependencies`` (module bytes, e.g.
    the corpus) cyclically."""
    s = scenario.decode(data)
    return TestCase(module=s.module, args=s.args, plan=decode_plan(s.plan_header) if s.faults else FaultPlan(),
                    flags=s.flags, profile=scenario.FAITHFUL if s.faithful else profile,
                    preload=_preload(s, dependencies), config=s.config,
                    trusted=(signing_certificate(),) if s.trust_test_key else (), syscall=s.syscall,
                    init_result=s.init_result, unload=s.unload)


def _preload(s: "scenario.Scenario", dependencies: tuple) -> tuple:
    if s.preload == 0:
        return ()
    if s.preload == 1 or not dependencies:
        return (s.module,)
    return (dependencies[(s.preload - scenario.FIRST_DEPENDENCY) % len(dependencies)],)


def decoder(profile: str):
    dependencies = scenario.bundled_dependencies(release_seeds(profile))
    return lambda data: decode_scenario(data, dependencies, profile)
