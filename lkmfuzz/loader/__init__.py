"""The module loader model: kernel/module/ of Linux 6.1, one file per concern."""

from .context import MODULE_INIT_FLAGS
from .main import UNDO_ACTIONS, LoadResult
from .syscall import finit_module, init_module
from .unload import O_NONBLOCK, O_TRUNC, delete_module

__all__ = ["finit_module", "init_module", "delete_module", "LoadResult", "UNDO_ACTIONS", "MODULE_INIT_FLAGS",
           "O_NONBLOCK", "O_TRUNC"]
