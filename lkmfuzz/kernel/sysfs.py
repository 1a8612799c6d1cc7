"""A sysfs tree: paths to nodes, with the kernel's duplicate-name rule.

Each node costs an allocation through the kernel allocator (site ``sysfs``), so a
fault plan can fail any kobject, attribute or link creation.  The tree's node set
is what the invariant checker compares before and after an attempt.
"""

import errno
from collections.abc import Iterable

from .alloc import Allocation, Allocator


class SysfsError(Exception):
    def __init__(self, err: int, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.errno = err
        self.path = path


class Sysfs:
    def __init__(self, alloc: Allocator, builtin_modules: Iterable[str] = ()):
        self.alloc = alloc
        self.nodes: dict[str, Allocation | None] = {}   # None: a node from boot, allocated by nobody
        # /sys/module/<name> of built-in code with parameters exists from boot; a
        # module of the same name then fails in mod_sysfs_init (EINVAL).
        for name in builtin_modules:
            self.nodes[f"module/{name}"] = None

    def exists(self, path: str) -> bool:
        return path in self.nodes

    def create(self, path: str, owner: str, caller: str) -> None:
        """kernfs_add_one(): EEXIST for a duplicate name, ENOMEM when the node cannot be allocated."""
        if path in self.nodes:
            raise SysfsError(errno.EEXIST, path, "cannot create duplicate filename")
        self.nodes[path] = self.alloc.alloc("sysfs", caller, 64, owner, tag=path)

    def remove_tree(self, path: str) -> None:
        """kobject_del() of a directory: removes it and everything below it."""
        prefix = path + "/"
        for p in [p for p in self.nodes if p == path or p.startswith(prefix)]:
            self.alloc.free(self.nodes.pop(p))

    def listing(self, prefix: str = "") -> list[str]:
        return sorted(p for p in self.nodes if p.startswith(prefix))
