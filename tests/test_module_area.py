"""module_alloc()'s first fit in the module area: the packed-prefix shortcut
(Allocator._packed_spans) hands out exactly the addresses a walk from MODULES_VADDR does."""

from hypothesis import given, settings
from hypothesis import strategies as st

from lkmfuzz.abi.arch import PAGE_SIZE, page_align
from lkmfuzz.kernel.alloc import MODULES_VADDR, Allocator


def first_fit(spans: list[tuple[int, int]], size: int) -> int:
    """The reference: the lowest gap between live spans that holds the block and its guard page."""
    span, start = page_align(max(size, 1)) + PAGE_SIZE, MODULES_VADDR
    for lo, hi in sorted(spans):
        if start + span <= lo:
            return start
        start = hi
    return start


operations = st.lists(st.one_of(st.tuples(st.just("alloc"), st.integers(1, 5 * PAGE_SIZE)),
                                st.tuples(st.just("free"), st.integers(0, 63))), max_size=60)


@settings(max_examples=200, deadline=None)
@given(operations)
def test_module_alloc_places_blocks_first_fit(ops):
    alloc, live = Allocator(), []
    for op, arg in ops:
        if op == "alloc":
            expected = first_fit([(a.addr, a.addr + page_align(max(a.size, 1)) + PAGE_SIZE) for a in live], arg)
            block = alloc.alloc("module_alloc", "test", arg, None)
            assert block.addr == expected
            live.append(block)
        elif live:
            alloc.free(live.pop(arg % len(live)))
        packed = alloc._packed_spans
        spans = alloc._module_spans
        assert spans == sorted(spans) and len(spans) == len(live)
        assert all(spans[i][0] == (spans[i - 1][1] if i else MODULES_VADDR) for i in range(packed))


def test_freed_block_in_the_packed_run_is_reused():
    alloc = Allocator()
    blocks = [alloc.alloc("module_alloc", "test", PAGE_SIZE, None) for _ in range(4)]
    assert alloc._packed_spans == 4
    alloc.free(blocks[1])
    assert alloc._packed_spans == 1
    again = alloc.alloc("module_alloc", "test", PAGE_SIZE, None)
    assert again.addr == blocks[1].addr and alloc._packed_spans == 4
