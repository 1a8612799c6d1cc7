"""Fault plans: which fallible operations of the simulated kernel fail.

Modelled on the kernel's own fault injection: ``fail_nth`` is
``/proc/self/fail-nth`` (the N-th fault point hit in this attempt fails, 1-based),
``sites`` is ``fail_function`` (every hit of a named site fails), ``probability``
with ``seed`` is ``failslab``'s probability, made deterministic.  A plan is part of
a test case: it serialises to JSON, travels with crashes and is minimised with them.
"""

import json
import random
from dataclasses import dataclass, field

from .errors import LkmfuzzError

# Fault sites of the simulated kernel (the allocator kind, as fail_function names the
# function).  Each fails with ENOMEM, as all of these do in 6.1.  "module_init" is the
# module's own init function failing (-ENOMEM, as a driver whose allocation failed).
# "set_memory" is a page-permission change failing (it splits a large page, which
# allocates): 6.1 ignores it, later kernels fail the load (kernel/profile.py).
SITES = ("vmalloc", "module_alloc", "percpu", "kmalloc", "strdup", "sysfs", "notifier", "module_init", "set_memory")


class FaultPlanError(LkmfuzzError, ValueError):
    """A fault plan that cannot be used: names the field."""


@dataclass(frozen=True)
class FaultPlan:
    fail_nth: int | None = None
    sites: frozenset = frozenset()
    probability: float = 0.0
    seed: int = 0

    def __post_init__(self):
        if self.fail_nth is not None and (not isinstance(self.fail_nth, int) or self.fail_nth < 1):
            raise FaultPlanError(f"fail_nth must be a positive integer, got {self.fail_nth!r}")
        unknown = set(self.sites) - set(SITES)
        if unknown:
            raise FaultPlanError(f"unknown fault site(s) {sorted(unknown)}; known: {', '.join(SITES)}")
        if not 0.0 <= float(self.probability) <= 1.0:
            raise FaultPlanError(f"probability must be within [0, 1], got {self.probability!r}")

    @property
    def empty(self) -> bool:
        return self.fail_nth is None and not self.sites and not self.probability

    def to_json(self) -> dict:
        return {"fail_nth": self.fail_nth, "sites": sorted(self.sites),
                "probability": self.probability, "seed": self.seed}

    @classmethod
    def from_json(cls, obj) -> "FaultPlan":
        if not isinstance(obj, dict):
            raise FaultPlanError(f"fault plan must be a JSON object, got {type(obj).__name__}")
        extra = set(obj) - {"fail_nth", "sites", "probability", "seed"}
        if extra:
            raise FaultPlanError(f"fault plan has unknown field(s) {sorted(extra)}")
        sites = obj.get("sites", [])
        if not isinstance(sites, list) or not all(isinstance(s, str) for s in sites):
            raise FaultPlanError("fault plan field 'sites' must be a list of site names")
        seed = obj.get("seed", 0)
        if not isinstance(seed, int):
            raise FaultPlanError("fault plan field 'seed' must be an integer")
        prob = obj.get("probability", 0.0)
        if not isinstance(prob, (int, float)):
            raise FaultPlanError("fault plan field 'probability' must be a number")
        return cls(fail_nth=obj.get("fail_nth"), sites=frozenset(sites), probability=float(prob), seed=seed)

    def dumps(self) -> str:
        return json.dumps(self.to_json(), sort_keys=True)

    @classmethod
    def loads(cls, text: str) -> "FaultPlan":
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            raise FaultPlanError(f"fault plan is not valid JSON: {e}") from None
        return cls.from_json(obj)


NO_FAULTS = FaultPlan()


@dataclass
class FaultInjector:
    """Per-attempt state of a plan: counts fault points and decides failures.

    ``points`` holds (site, caller) of every fault point passed, in order (the n-th is
    points[n - 1]).  Plain tuples: a load passes some fifty points, and a record object
    each was a measurable share of it."""
    plan: FaultPlan = NO_FAULTS
    points: list = field(default_factory=list)
    _rng: random.Random | None = None

    _never: bool = False    # a plan that fails nothing: most attempts, decided once

    def __post_init__(self):
        if self.plan.probability:
            self._rng = random.Random(self.plan.seed)
        self._never = self.plan.empty

    def should_fail(self, site: str, caller: str) -> bool:
        points = self.points
        points.append((site, caller))
        if self._never:
            return False
        return (len(points) == self.plan.fail_nth or site in self.plan.sites or
                (self._rng is not None and self._rng.random() < self.plan.probability))
