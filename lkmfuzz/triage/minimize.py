"""Minimisation as a pure function with the caller's predicate (syzkaller's Minimize).

``minimize_case(case, still_fails)`` shrinks a whole test case: first the fault plan
(none at all, then an earlier fail_nth), then the parameter string (token by
token), then the module.  ``minimize_module(data, still_fails)`` shrinks the bytes:

1. structure-aware, while the file still parses as ELF (lkmfuzz.elf.model_reader):
   drop whole sections with their relocations, then relocations, symbols and
   .modinfo entries one by one, re-emitting a compact file each time;
2. byte-level: cut the tail, then delete chunks (halving the chunk size), then
   zero the ELF header's and section headers' fields that do not matter.

Every candidate is kept only if ``still_fails`` says the same bug still happens
(for triage: the same crash title), so the result always reproduces.
"""

import dataclasses
from typing import Callable

from ..case import TestCase
from ..elf import constants as C
from ..elf.model import ElfModel
from ..elf.model_reader import read_model
from ..elf.writer import write_elf
from ..faults import FaultPlan

Predicate = Callable[[bytes], bool]
MAX_TESTS = 4000


class Budget:
    """Counts predicate calls so a minimisation always ends."""

    def __init__(self, predicate: Predicate, limit: int = MAX_TESTS):
        self.predicate, self.limit, self.calls = predicate, limit, 0

    def __call__(self, data: bytes) -> bool:
        if self.calls >= self.limit:
            return False
        self.calls += 1
        return self.predicate(data)


def minimize_module(data: bytes, still_fails: Predicate, limit: int = MAX_TESTS) -> bytes:
    test = Budget(still_fails, limit)
    best = _normalize_header(data, test)
    best = _structured(best, test)
    best = _cut_tail(best, test)
    best = _delete_chunks(best, test)
    return best


# --- structure-aware passes ---------------------------------------------------------

# ELF header fields the module loader never looks at, with their canonical values:
# restoring them lets the structure-aware passes parse a fuzzed file.
CANONICAL_HEADER = (
    (4, bytes([C.ELFCLASS64, C.ELFDATA2LSB, C.EV_CURRENT]) + bytes(9)),   # e_ident[4:16]
    (20, C.EV_CURRENT.to_bytes(4, "little")),                              # e_version
    (24, bytes(16)),                                                       # e_entry, e_phoff
    (48, bytes(4)),                                                        # e_flags
    (52, C.EHDR_SIZE.to_bytes(2, "little") + bytes(4)),                    # e_ehsize, e_phentsize, e_phnum
)


def _normalize_header(data: bytes, test: Budget) -> bytes:
    if len(data) < C.EHDR_SIZE:
        return data
    whole = data
    for off, value in CANONICAL_HEADER:
        whole = whole[:off] + value + whole[off + len(value):]
    if whole == data or test(whole):
        return whole
    for off, value in CANONICAL_HEADER:
        candidate = data[:off] + value + data[off + len(value):]
        if candidate != data and test(candidate):
            data = candidate
    return data


def _structured(data: bytes, test: Budget) -> bytes:
    try:
        model = read_model(data)
        rewritten = write_elf(model)
    except ValueError:
        return data                      # not parseable as a model: byte passes only
    if rewritten != data and not test(rewritten):
        return data                      # re-emitting alone loses the bug: keep the file as it is
    best = rewritten
    for shrink in (_drop_sections, _drop_relocs, _drop_symbols, _drop_modinfo):
        best = shrink(best, test)
    return best


def _try(model: ElfModel, test: Budget) -> bytes | None:
    try:
        data = write_elf(model)
    except ValueError:
        return None
    return data if test(data) else None


def _drop_each(data: bytes, test: Budget, count, without) -> bytes:
    """Remove items one at a time, keeping each removal the bug survives.

    ``count(model)`` is how many items there are, ``without(model, i)`` the model
    without item ``i`` (None when that item must stay)."""
    model = read_model(data)
    i = 0
    while i < count(model):
        candidate = without(model, i)
        kept = _try(candidate, test) if candidate is not None else None
        if kept is not None:
            data, model = kept, read_model(kept)
        else:
            i += 1
    return data


def _drop_sections(data: bytes, test: Budget) -> bytes:
    def without(model: ElfModel, i: int) -> ElfModel:
        name = model.sections[i].name
        return dataclasses.replace(
            model, sections=model.sections[:i] + model.sections[i + 1:],
            symbols=[s for s in model.symbols if s.section != name],
            relocs={t: [r for r in rs if _keeps(r, model, name)] for t, rs in model.relocs.items() if t != name})
    return _drop_each(data, test, lambda m: len(m.sections), without)


def _keeps(reloc, model: ElfModel, dropped: str) -> bool:
    return not any(s.name == reloc.symbol and s.section == dropped for s in model.symbols)


def _drop_relocs(data: bytes, test: Budget) -> bytes:
    def flat(model: ElfModel) -> list[tuple[str, int]]:
        return [(t, j) for t, rs in model.relocs.items() for j in range(len(rs))]

    def without(model: ElfModel, i: int) -> ElfModel:
        target, j = flat(model)[i]
        relocs = dict(model.relocs)
        relocs[target] = relocs[target][:j] + relocs[target][j + 1:]
        return dataclasses.replace(model, relocs=relocs)
    return _drop_each(data, test, lambda m: len(flat(m)), without)


def _drop_symbols(data: bytes, test: Budget) -> bytes:
    def without(model: ElfModel, i: int) -> ElfModel | None:
        name = model.symbols[i].name
        if any(r.symbol == name for rs in model.relocs.values() for r in rs):
            return None        # still referenced by a relocation
        return dataclasses.replace(model, symbols=model.symbols[:i] + model.symbols[i + 1:])
    return _drop_each(data, test, lambda m: len(m.symbols), without)


def _modinfo_entries(model: ElfModel) -> tuple[int, list[bytes]]:
    for k, sec in enumerate(model.sections):
        if sec.name == ".modinfo":
            return k, [e for e in sec.data.split(b"\0") if e]
    return -1, []


def _drop_modinfo(data: bytes, test: Budget) -> bytes:
    def without(model: ElfModel, i: int) -> ElfModel:
        k, entries = _modinfo_entries(model)
        sections = list(model.sections)
        sections[k] = dataclasses.replace(sections[k], data=b"".join(e + b"\0" for e in entries[:i] + entries[i + 1:]))
        return dataclasses.replace(model, sections=sections)
    return _drop_each(data, test, lambda m: len(_modinfo_entries(m)[1]), without)


# --- byte-level passes ------------------------------------------------------------------

def _cut_tail(data: bytes, test: Budget) -> bytes:
    lo, hi = 0, len(data)          # invariant: data[:hi] fails
    while lo < hi:
        mid = (lo + hi) // 2
        if test(data[:mid]):
            hi = mid
        else:
            lo = mid + 1
    return data[:hi] if hi < len(data) else data


def _delete_chunks(data: bytes, test: Budget) -> bytes:
    chunk = max(1, len(data) // 8)
    while chunk >= 8:
        pos = 0
        while pos < len(data):
            candidate = data[:pos] + data[pos + chunk:]
            if candidate and test(candidate):
                data = candidate
            else:
                pos += chunk
        chunk //= 2
    return data


# --- whole test cases -----------------------------------------------------------------------

def minimize_case(case: TestCase, still_fails: Callable[[TestCase], bool], limit: int = MAX_TESTS) -> TestCase:
    """Shrink plan, args and module of a fuzzing TestCase while ``still_fails(case)``."""
    if not case.plan.empty and still_fails(dataclasses.replace(case, plan=FaultPlan())):
        case = dataclasses.replace(case, plan=FaultPlan())
    nth = case.plan.fail_nth
    while nth is not None and nth > 1 and still_fails(dataclasses.replace(case, plan=FaultPlan(fail_nth=nth - 1))):
        nth -= 1
        case = dataclasses.replace(case, plan=FaultPlan(fail_nth=nth))
    tokens = case.args.split(" ") if case.args else []
    i = 0
    while i < len(tokens):
        candidate = dataclasses.replace(case, args=" ".join(tokens[:i] + tokens[i + 1:]))
        if still_fails(candidate):
            case, tokens = candidate, tokens[:i] + tokens[i + 1:]
        else:
            i += 1
    module = minimize_module(case.module, lambda data: still_fails(dataclasses.replace(case, module=data)), limit)
    return dataclasses.replace(case, module=module)
