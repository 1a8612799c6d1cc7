"""A comparable snapshot of what a failed or undone load must leave untouched."""

from lkmfuzz.kernel.kernel import Kernel


def snapshot(kernel: Kernel) -> dict:
    return {
        "modules": [(m.name, m.state, m.refcnt, m.taints, tuple(sorted(m.sources)), tuple(sorted(m.targets)))
                    for m in kernel.modules],
        "sysfs": tuple(kernel.sysfs.listing()),
        "allocations": sorted((a.site, a.caller, a.owner, a.tag) for a in kernel.alloc.live.values()),
        "mapped": len(kernel.alloc.space.regions()),
        "percpu": kernel.alloc.percpu_used,
    }
