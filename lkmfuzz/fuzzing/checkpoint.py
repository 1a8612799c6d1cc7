"""Checkpoints: a load stopped before one step, kept to be resumed many times; and
frozen kernels with modules preloaded, thawed for each test case that starts there.

The params fuzz target loads the same module with a new argument string each time,
and everything before copy_args() — the first step that reads the arguments — is
the same work every time.  A checkpoint runs that prefix once and keeps the
simulated kernel and its load_info as a pickle; each resume unpickles an
independent copy (a fork server's child, in a fuzzer's words) and runs the rest of
load_module() on it.  Objects no load changes — the symbol table, the keyring, the
profile and its config, the module image — are shared, not copied.

A checkpoint is taken and resumed without a fault plan: fail-nth counts
allocations from the start of an attempt, so a resumed attempt could not honour it.
"""

import io
import pickle
from typing import IO, Any

from ..errors import Verdict
from ..kernel.memory import DENSE_LIMIT
from ..loader.main import PIPELINE, STEP_INDEX, LoadResult, run_steps, unwind_load
from ..loader.syscall import copy_module, finish_load, finit_refusal, user_args

ARGS_STEP = "copy_args"    # the first step that reads the argument string


class CheckpointError(ValueError):
    """The load did not get as far as the checkpoint's step."""


class Frozen:
    """An object graph pickled once and thawed into independent copies as often as
    needed.  The ``shared`` objects (what no load changes: the symbol table, the
    keyring, the profile and its config, module images) are referenced by every copy,
    not copied.  Raises TypeError or pickle.PicklingError for a graph holding anything
    else that cannot be pickled."""

    def __init__(self, state: object, shared: tuple):
        self._shared = shared
        buf = io.BytesIO()
        _SharingPickler(buf, shared).dump(state)
        self._blob = buf.getvalue()

    def thaw(self) -> Any:
        return _SharingUnpickler(io.BytesIO(self._blob), self._shared).load()


class _SharingPickler(pickle.Pickler):
    """Pickles each of the ``shared`` objects as a reference: its index."""

    def __init__(self, file: IO[bytes], shared: tuple):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._ids = {id(obj): i for i, obj in enumerate(shared)}

    def persistent_id(self, obj: object) -> int | None:
        return self._ids.get(id(obj))


class _SharingUnpickler(pickle.Unpickler):
    """Resolves _SharingPickler's references to the ``shared`` objects themselves."""

    def __init__(self, file: IO[bytes], shared: tuple):
        super().__init__(file)
        self._shared = shared

    def persistent_load(self, pid: int) -> object:
        return self._shared[pid]


def shared_by_loads(kernel) -> tuple:
    """What every copy of a kernel may share: nothing a load changes.  A loaded module's
    parameters keep the image of the file its load read; the load wrote into it only up
    to move_module() (the file's struct module), long done when a kernel is frozen or a
    checkpoint taken after it."""
    images = {id(p.image): p.image for mod in kernel.modules for p in mod.params}
    return (kernel.symbols, kernel.keyring, kernel.profile, kernel.config, *images.values())


def all_dense(kernel) -> bool:
    """True when every region is a bytearray: a sparse (mmap) one would be copied whole."""
    return all(region.dense for region in kernel.alloc.space.regions())


class Checkpoint:
    def __init__(self, kernel, data: bytes, flags: int = 0, stop_before: str = ARGS_STEP):
        """finit_module(kernel, data, "", flags) up to, not including, the step
        ``stop_before``; ``kernel`` stays stopped there (resume() works on copies).
        Raises CheckpointError if the load is refused before it."""
        self.start = STEP_INDEX[stop_before]
        kernel.set_fault_plan(None)
        refused = finit_refusal(kernel, data, flags)
        if refused is not None:
            raise CheckpointError(f"cannot stop before {stop_before}: {refused}")
        try:
            info = copy_module(kernel, data, "", flags, "kernel_read_file")
        except Verdict as verdict:
            raise CheckpointError(f"cannot stop before {stop_before}: {verdict}") from None
        try:
            run_steps(info, PIPELINE[:self.start])
        except Verdict as verdict:
            verdict = unwind_load(info, verdict)
            raise CheckpointError(f"cannot stop before {stop_before}: {verdict}") from None
        if not all_dense(kernel):
            raise CheckpointError(f"a region is larger than {DENSE_LIMIT} bytes")
        self._frozen = Frozen((kernel, info), shared_by_loads(kernel) + (info.image,))

    def resume(self, args: str | bytes = b"", init_result: int = 0) -> tuple[object, LoadResult]:
        """A fresh copy of the stopped load, finished with ``args`` (as finit_module takes
        them): (kernel, result)."""
        kernel, info = self._frozen.thaw()
        info.args = user_args(args)
        return kernel, finish_load(info, init_result, self.start)
