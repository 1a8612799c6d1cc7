"""Hypothesis strategies for lkmfuzz test suites (``from lkmfuzz.strategies import ...``)."""

from hypothesis import strategies as st

from .faults import SITES, FaultPlan


@st.composite
def fault_plans(draw, max_nth: int = 64, allow_empty: bool = True):
    """A FaultPlan: nothing, fail the N-th fault point, fail every hit of some sites,
    or fail with a seeded probability.

    Shrinks toward no fault at all, then toward fail_nth=1, fewer sites and
    probability 0 — the simplest plan that still fails."""
    kinds = ["nth", "sites", "probability"]
    if allow_empty:
        kinds.insert(0, "none")
    kind = draw(st.sampled_from(kinds))
    if kind == "none":
        return FaultPlan()
    if kind == "nth":
        return FaultPlan(fail_nth=draw(st.integers(1, max_nth)))
    if kind == "sites":
        return FaultPlan(sites=frozenset(draw(st.sets(st.sampled_from(SITES), min_size=1, max_size=3))))
    return FaultPlan(probability=draw(st.floats(0.0, 0.5)), seed=draw(st.integers(0, 2**32 - 1)))
