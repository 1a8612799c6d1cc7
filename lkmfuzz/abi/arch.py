"""Numbers of the architecture the model imitates (x86-64).

An arm64 port adds its own values here (arm64 kernels build with 4K, 16K or 64K pages).
"""

PAGE_SIZE = 4096


def page_align(n: int) -> int:
    """PAGE_ALIGN(n) in unbounded integers (callers mask to their C type)."""
    return (n + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)
