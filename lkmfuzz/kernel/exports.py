"""Modules' exported symbols, indexed by name: find_symbol() without the list walk.

The kernel's find_symbol() (kernel/module/main.c) walks the module list from its
head (list_add_rcu() puts the newest module there), skips UNFORMED modules, and in
each module bsearch()es __ksymtab, then __ksymtab_gpl when GPL-only symbols are
allowed; the first hit wins.  ``walk_modules`` is that walk, kept as the reference.

Walking thousands of modules per lookup made a load's cost grow with the number of
modules loaded (issue 21).  ``ExportIndex`` gives the same answer from a dict: per
name, the modules whose tables bsearch() finds it in, in list order, each with what
bsearch() returns from each table (computed once, when the module's exports are
verified: an unsorted table hides names exactly as it does in the walk).  A module's
state is read at lookup time, so UNFORMED modules are skipped as the walk does.
"""

from collections.abc import Sequence

from .module import ExportedSymbol, Module, ModuleState


def kernel_bsearch(entries: Sequence[ExportedSymbol], name: str) -> ExportedSymbol | None:
    """lib/bsearch.c over one table: finds only what a sorted table would let it find."""
    lo, num = 0, len(entries)
    while num > 0:
        pivot = lo + (num >> 1)
        probe = entries[pivot].name
        if name == probe:
            return entries[pivot]
        if name.encode("latin-1") > probe.encode("latin-1"):
            lo = pivot + 1
            num -= 1
        num >>= 1
    return None


def export_tables(mod: Module) -> tuple[list[ExportedSymbol], list[ExportedSymbol]]:
    """(__ksymtab, __ksymtab_gpl) of a module, each in table order."""
    plain: list[ExportedSymbol] = []
    gpl: list[ExportedSymbol] = []
    for export in mod.exports:
        (gpl if export.gpl_only else plain).append(export)
    return plain, gpl


def findable(table: Sequence[ExportedSymbol]) -> dict[str, ExportedSymbol]:
    """name -> what kernel_bsearch() returns for it from ``table``, for every name it finds."""
    if len(table) < 2:
        return {e.name: e for e in table}
    keys = [e.name.encode("latin-1") for e in table]
    if keys == sorted(keys) and len(set(keys)) == len(keys):
        # Sorted, no name twice (modpost's tables): bsearch finds each entry, and only it.
        return {e.name: e for e in table}
    found = {}
    for name in dict.fromkeys(e.name for e in table):
        hit = kernel_bsearch(table, name)
        if hit is not None:
            found[name] = hit
    return found


def walk_modules(modules: Sequence[Module], name: str, gplok: bool) -> tuple[ExportedSymbol | None, Module | None]:
    """The kernel's walk over the module list (the reference ``ExportIndex`` must match)."""
    for mod in modules:
        if mod.state == ModuleState.UNFORMED:
            continue
        plain, gpl = export_tables(mod)
        hit = kernel_bsearch(plain, name)
        if hit is None and gplok:
            hit = kernel_bsearch(gpl, name)
        if hit is not None:
            return hit, mod
    return None, None


# One module that exports a name: (module, what bsearch() finds in its __ksymtab,
# in its __ksymtab_gpl).  A tuple: a load makes one per export, an object costs more.
Exporter = tuple[Module, ExportedSymbol | None, ExportedSymbol | None]


class ExportIndex:
    """name -> the modules that export it, in module-list order (head first)."""

    def __init__(self) -> None:
        self._by_name: dict[str, list[Exporter]] = {}
        self._names_of: dict[Module, list[str]] = {}   # what remove() takes out again

    @classmethod
    def of(cls, modules: Sequence[Module]) -> "ExportIndex":
        """The index of a module list as it stands (every module's current exports)."""
        index = cls()
        for mod in reversed(modules):    # tail first: each add lands at the head
            index.add(mod, modules)
        return index

    def add(self, mod: Module, modules: Sequence[Module]) -> None:
        """Index ``mod``'s exports (it must be on ``modules``, the kernel's list): called
        once they are read and verified.  Adding a module again re-reads its exports."""
        self.remove(mod)
        plain_table, gpl_table = export_tables(mod)
        plain, gpl = findable(plain_table), findable(gpl_table)
        names = list(dict.fromkeys([*plain, *gpl]))
        by_name = self._by_name
        for name in names:
            exporter = (mod, plain.get(name), gpl.get(name))
            exporters = by_name.get(name)
            if exporters is None:
                by_name[name] = [exporter]     # the common case: nobody else exports it
            else:
                insert_in_list_order(exporters, exporter, modules)
        self._names_of[mod] = names

    def remove(self, mod: Module) -> None:
        """Forget ``mod``'s exports (it left the module list)."""
        by_name = self._by_name
        for name in self._names_of.pop(mod, ()):
            exporters = by_name.get(name, [])
            exporters[:] = [e for e in exporters if e[0] is not mod]
            if not exporters:
                by_name.pop(name, None)

    def find(self, name: str, gplok: bool) -> tuple[ExportedSymbol | None, Module | None]:
        """What ``walk_modules`` over the kernel's list returns, without walking it."""
        for mod, plain, gpl in self._by_name.get(name, ()):
            if mod.state == ModuleState.UNFORMED:
                continue
            hit = plain if plain is not None or not gplok else gpl
            if hit is not None:
                return hit, mod
        return None, None

    def __len__(self) -> int:
        """How many names are indexed."""
        return len(self._by_name)


def insert_in_list_order(exporters: list[Exporter], exporter: Exporter, modules: Sequence[Module]) -> None:
    """Put ``exporter`` where its module stands on the list among the others'.  A module
    is added right after it joined the list head, so it usually goes first; the search
    is for any other case (rare anyway: a name has one exporter unless one was UNFORMED
    when the other verified its exports)."""
    position = modules.index(exporter[0])
    at = 0
    while at < len(exporters) and modules.index(exporters[at][0]) < position:
        at += 1
    exporters.insert(at, exporter)
