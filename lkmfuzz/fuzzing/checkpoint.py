"""Checkpoints: a load stopped before one step, kept to be resumed many times.

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

from ..errors import Verdict
from ..kernel.memory import DENSE_LIMIT
from ..loader.main import PIPELINE, STEP_INDEX, LoadResult, run_steps, unwind_load
from ..loader.syscall import copy_module, finish_load, finit_refusal

ARGS_STEP = "copy_args"    # the first step that reads the argument string


class CheckpointError(ValueError):
    """The load did not get as far as the checkpoint's step."""


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
        if not all(region.dense for region in kernel.alloc.space.regions()):
            # A sparse (mmap) region would be copied whole: not what a checkpoint is for.
            raise CheckpointError(f"a region is larger than {DENSE_LIMIT} bytes")
        self._shared = (kernel.symbols, kernel.keyring, kernel.profile, kernel.config, info.image)
        self._blob = self._dump((kernel, info))

    def resume(self, args: str = "", init_result: int = 0) -> tuple[object, LoadResult]:
        """A fresh copy of the stopped load, finished with ``args``: (kernel, result)."""
        kernel, info = self._restore()
        info.args = args
        return kernel, finish_load(info, init_result, self.start)

    def _dump(self, state) -> bytes:
        shared = {id(obj): i for i, obj in enumerate(self._shared)}
        buf = io.BytesIO()
        pickler = pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.persistent_id = lambda obj: shared.get(id(obj))
        pickler.dump(state)
        return buf.getvalue()

    def _restore(self):
        unpickler = pickle.Unpickler(io.BytesIO(self._blob))
        unpickler.persistent_load = self._shared.__getitem__
        return unpickler.load()
