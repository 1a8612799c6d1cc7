"""delete_module(2): ENOENT, EWOULDBLOCK, EBUSY, force, and exact restoration."""

import errno

import pytest
from conftest import seed_bytes
from kstate import snapshot

from lkmfuzz.elf import constants as C
from lkmfuzz.elf import patch
from lkmfuzz.errors import LoadError
from lkmfuzz.kernel.taint import TAINT_FORCED_RMMOD
from lkmfuzz.loader import O_TRUNC, delete_module, finit_module


def refused(kernel, name, flags=0):
    with pytest.raises(LoadError) as info:
        delete_module(kernel, name, flags)
    return info.value.errno


def without_exit(data):
    """Neutralise modpost's relocation that stores cleanup_module in struct module."""
    rela = ".rela.gnu.linkonce.this_module"
    n = next(i for i, (off, _info, _a) in enumerate(patch.relocations(data, rela)) if off == 0x350)
    r_offset, r_info, addend = patch.relocations(data, rela)[n]
    return patch.set_relocation(data, rela, n, info=r_info & ~0xFFFFFFFF | C.R_X86_64_NONE)


def test_unknown_module_is_enoent(kernel):
    assert refused(kernel, "nosuch") == errno.ENOENT


def test_module_in_use_is_ewouldblock_until_user_goes(kernel):
    finit_module(kernel, seed_bytes("hello"))
    finit_module(kernel, seed_bytes("consumer"))
    assert refused(kernel, "hello") == errno.EWOULDBLOCK
    delete_module(kernel, "consumer")
    delete_module(kernel, "hello")
    assert kernel.modules == []


def test_held_reference_needs_force(kernel):
    before = snapshot(kernel)
    mod = finit_module(kernel, seed_bytes("hello")).module
    mod.refcnt += 1   # e.g. an open file of the module's
    assert refused(kernel, "hello") == errno.EWOULDBLOCK
    delete_module(kernel, "hello", O_TRUNC)
    assert kernel.taint & (1 << TAINT_FORCED_RMMOD)
    assert snapshot(kernel) == before


def test_init_without_exit_is_ebusy_unless_forced(kernel):
    result = finit_module(kernel, without_exit(seed_bytes("hello")))
    assert result.ok and result.module.init_fn and not result.module.exit_fn
    assert refused(kernel, "hello") == errno.EBUSY
    delete_module(kernel, "hello", O_TRUNC)
    assert kernel.find_module("hello") is None


def test_reload_after_unload(kernel):
    for _ in range(3):
        assert finit_module(kernel, seed_bytes("hello")).ok
        delete_module(kernel, "hello")
    assert kernel.alloc.live == {}


def test_unload_name_is_truncated_like_the_kernel(kernel):
    finit_module(kernel, seed_bytes("hello"))
    assert refused(kernel, "x" * 200) == errno.ENOENT
