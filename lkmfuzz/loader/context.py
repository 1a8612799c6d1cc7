"""struct load_info: what the steps of load_module() share.

Steps read the module through this object, never through raw offsets, so that
every access is bounds-checked in one place.  Two kinds of trouble are told apart:

* ``OutOfBounds`` (raised by the image or the address space): the kernel would
  fault.  The orchestrator turns it into kernel-fault (a real kernel's profile)
  or unvalidated-access (hardened), naming the step.
* ``unchecked()``: the kernel uses something it never validated but survives
  (garbage in, garbage on).  A real kernel's profile carries on with the garbage;
  hardened must never get there — its named validation checks
  (loader/hardening.py) refuse such input first — so reaching it is
  unvalidated-access too.

Neither is ever an errno in hardened: an errno there comes only from a check that
ran before the data was used, and a deleted check must show up as a finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..elf.constants import SHDR_SIZE, SHF_ALLOC, SHT_NOBITS, SHT_NULL
from ..elf.reader import Image, OutOfBounds
from ..elf.structs import Ehdr, Shdr
from ..errors import KernelFault, LoadError, UnvalidatedAccess, Verdict, WildAccess
from ..kernel.alloc import AllocFailed
from .copy import NAMES, STRTAB, CopyView

if TYPE_CHECKING:
    from ..kernel.kernel import Kernel
    from ..kernel.module import Module
    from .main import UndoStack
    from .symbols import Sections

# uapi/linux/module.h
MODULE_INIT_IGNORE_MODVERSIONS = 1
MODULE_INIT_IGNORE_VERMAGIC = 2
MODULE_INIT_COMPRESSED_FILE = 4
MODULE_INIT_FLAGS = {"IGNORE_MODVERSIONS": MODULE_INIT_IGNORE_MODVERSIONS,
                     "IGNORE_VERMAGIC": MODULE_INIT_IGNORE_VERMAGIC,
                     "COMPRESSED_FILE": MODULE_INIT_COMPRESSED_FILE}


@dataclass
class Index:
    sym: int = 0
    str: int = 0
    mod: int = 0
    info: int = 0
    vers: int = 0
    pcpu: int = 0


class Within:
    """LoadInfo.within()'s context manager (a class: it runs a dozen times a load, and
    a generator-based one costs several times more)."""
    __slots__ = ("info", "name", "outer")

    def __init__(self, info: "LoadInfo", name: str):
        self.info, self.name = info, name

    def __enter__(self) -> None:
        self.outer, self.info.step = self.info.step, self.name

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.info.step = self.outer


@dataclass(eq=False, slots=True)
class LoadInfo:
    """struct load_info, and the load's own bookkeeping.

    The fields of the kernel's struct are the kernel's; the temporary copy and what was
    read from it live in ``copy`` (loader/copy.py).  ``image`` is the copy's bytes as
    the loader reads them — what the kernel reaches through ``info->hdr``."""
    kernel: Kernel
    copy: CopyView
    flags: int = 0                 # finit_module()'s flags
    args: bytes = b""              # the parameter string (mod->args once the module exists)
    # --- struct load_info ------------------------------------------------------
    len: int = 0
    sig_ok: bool = False
    # Set by the step named, read only after it: typed as what they then hold.
    hdr: Ehdr = None  # type: ignore[assignment]   # elf_validity_check()
    sechdrs: list[Shdr] = field(default_factory=list)
    secstrings: int = 0            # file offset of the section name table
    secstrings_size: int = 0
    strtab: int = 0                # file offset of the symbol string table
    index: Index = field(default_factory=Index)
    name: str = ""
    mod: Module = None  # type: ignore[assignment]   # layout_and_allocate()
    mod_copy_off: int | None = None  # file offset of info->mod while it is the file's struct (until move_module)
    sections: Sections = None  # type: ignore[assignment]   # find_module_sections(): mod->kp, mod->syms...
    # kallsyms layout (layout_symtab -> add_kallsyms)
    symoffs: int = 0
    stroffs: int = 0
    core_typeoffs: int = 0
    init_typeoffs: int = 0
    mod_kallsyms_init_off: int = 0
    core_ndst: int = 0
    core_syms: list[tuple[int, bytes]] = field(default_factory=list)   # (index, name) that layout_symtab counted
    symtab_dirty: bool = False     # add_kallsyms() reads the symbols again: relocated, or a name past the strtab
    syms: list = field(default_factory=list)   # the module's symtab as simplify_symbols left it
    # The indices an elf_validity_cache_* check set ("info", "mod", "sym"): 6.13's
    # info->index filled by validation, which find_indices() then does not redo.
    cached: set[str] = field(default_factory=set)
    # --- the model's record of the load ----------------------------------------
    trace: list[tuple[str, str]] = field(default_factory=list)   # (step, outcome) in order
    step: str = ""
    undo: UndoStack = None  # type: ignore[assignment]   # copy_module()
    trusted: list[tuple[str, str]] = field(default_factory=list)   # (step, what) used unvalidated (real kernels)
    image: Image = field(init=False)

    def __post_init__(self) -> None:
        self.image = self.copy.image

    def run(self, step_fn, name: str | None = None) -> None:
        """Run one step of load_module(), turning internal signals into verdicts:
        an out-of-bounds access into the profile's verdict, an injected allocation
        failure into the errno its site returns."""
        name = name or step_fn.__name__
        self.step = name
        verdict: Verdict
        try:
            step_fn(self)
        except OutOfBounds as oob:
            verdict = self.fault_verdict(oob)
        except AllocFailed as failed:
            verdict = LoadError(failed.errno, self.step, f"{failed.caller}: {failed.site} allocation failed")
        except Verdict as refused:
            verdict = refused
        else:
            self.trace.append((name, "ok"))
            return
        self.trace.append((name, str(verdict)))
        raise verdict

    @property
    def hardened(self) -> bool:
        return self.kernel.profile.hardened

    def has(self, change: str) -> bool:
        """Whether the profile's loader has this named change or check (kernel/profile.py)."""
        return self.kernel.profile.has(change)

    @property
    def shnum(self) -> int:
        return self.hdr.e_shnum

    def within(self, name: str) -> "Within":
        """Name the kernel function doing the work, for verdicts raised inside it.

        The outer name comes back only on normal exit: a verdict keeps the inner one.  The
        name is the profile's release's (kernel/release.py Release.renamed)."""
        release = self.kernel.profile.release
        return Within(self, release.function_name(name) if release.renamed else name)

    def refuse(self, err: int, reason: str, step: str | None = None) -> LoadError:
        return LoadError(err, step or self.step, reason)

    def unchecked(self, what: str) -> None:
        """The kernel uses ``what`` without validating it.  A real kernel's profile goes on;
        in hardened a validation check should have refused the input before: a finding."""
        if self.hardened:
            raise UnvalidatedAccess(self.step, what)
        self.trusted.append((self.step, what))

    def fault_verdict(self, oob: OutOfBounds, site: str | None = None) -> KernelFault | UnvalidatedAccess:
        """An access out of bounds: the kernel's oops, or in hardened a missing check."""
        if self.hardened:
            return UnvalidatedAccess(site or self.step, oob.what)
        if oob.wild:
            return WildAccess(site or self.step, oob.what)
        return KernelFault(site or self.step, oob.what)

    def write_copy(self, off: int, data: bytes, what: str) -> None:
        """The kernel writes into its temporary copy of the file (at file offset ``off``)."""
        if self.hardened:
            self._check_write_overlaps(off, off + len(data), what)
        self.copy.write(self.kernel.alloc.space, off, data, what)

    def _check_write_overlaps(self, start: int, end: int, what: str) -> None:
        """The kernel's write into its copy lands in the contents of a section other than the
        struct module it writes: read later with the write in it.  (Where the contents lie
        never changes after elf_validity_check(): the spans are listed once.)"""
        for lo, hi, i in self.content_spans():
            if lo < end and start < hi and i != self.index.mod:
                self.unchecked(f"{what} at file offset {start:#x} writes into section {i}'s contents")

    def content_spans(self) -> list:
        """(start, end, index) of every section's contents in the file (not NULL, not
        NOBITS, not empty).  Where contents lie never changes after elf_validity_check()."""
        copy = self.copy
        if copy.content_spans is None:
            copy.content_spans = [(sh.sh_offset, sh.sh_offset + sh.sh_size, i)
                                  for i, sh in enumerate(self.sechdrs)
                                  if sh.sh_size and sh.sh_type not in (SHT_NULL, SHT_NOBITS)]
        return copy.content_spans

    # --- section headers -------------------------------------------------
    def shdr(self, i: int, what: str = "section") -> Shdr:
        """sechdrs[i]; past the table the kernel reads whatever follows it in the file."""
        if 0 <= i < len(self.sechdrs):
            return self.sechdrs[i]
        self.unchecked(f"{what}: section index {i} >= e_shnum {self.shnum}")
        return self.image.shdr(self.hdr.e_shoff + i * SHDR_SIZE, f"{what}: section header {i}")

    def sec_name(self, i: int) -> bytes:
        """info->secstrings + sh_name, read as the kernel's strcmp reads it."""
        # Names never change after elf_validity_check, and find_sec() runs often.
        names = self.copy.names
        name = names.get(i)
        if name is None:
            sh = self.sechdrs[i]
            if sh.sh_name >= self.secstrings_size:
                self.unchecked(f"section {i} name offset {sh.sh_name:#x} past the section name table")
            at = self.secstrings + sh.sh_name
            name = names[i] = self.image.cstring(at, f"name of section {i}")
            self.copy.note(NAMES, at, at + len(name) + 1)
        return name

    def section_names(self) -> dict:
        """Every section's name from section 1 on (index -> bytes), read in index order as
        sec_name() reads each — for the loops that strcmp every section.  Names that start
        in the (NUL-terminated) name table are sliced from one copy of it."""
        copy = self.copy
        names = copy.names
        if not copy.names_complete:
            table = copy.nul_terminated(self.secstrings, self.secstrings_size, NAMES)
            for i in range(1, len(self.sechdrs)):
                if i not in names:
                    off = self.sechdrs[i].sh_name
                    if off < len(table):
                        names[i] = table[off:table.index(b"\0", off)]
                    else:
                        self.sec_name(i)     # past the table: the kernel's read, as it goes
            copy.names_complete = True
        return names

    def _sections_named(self, name: bytes) -> list:
        """Indices (from 1, in order) of the sections called ``name``, once every name is read."""
        copy = self.copy
        if copy.name_index is None:
            index: dict[bytes, list[int]] = {}
            for i in range(1, len(self.sechdrs)):
                index.setdefault(copy.names[i], []).append(i)
            copy.name_index = index
        return copy.name_index.get(name, [])

    def find_sec(self, name: bytes) -> int:
        """find_sec(): first SHF_ALLOC section of that name, 0 if none."""
        sechdrs = self.sechdrs
        if self.copy.names_complete:
            return next((i for i in self._sections_named(name) if sechdrs[i].sh_flags & SHF_ALLOC), 0)
        names = self.copy.names
        for i in range(1, len(sechdrs)):
            if sechdrs[i].sh_flags & SHF_ALLOC:
                found = names.get(i)
                if found is None:
                    found = self.sec_name(i)
                if found == name:
                    return i
        return 0

    def count_any_sec(self, name: bytes) -> tuple[int, int]:
        """(count, last index) of sections with that name, ALLOC or not."""
        self.section_names()
        found = self._sections_named(name)
        return len(found), (found[-1] if found else 0)

    def section_bytes(self, i: int) -> bytes:
        """Contents of a section in the temporary copy (sh_offset/sh_size validated)."""
        sh = self.sechdrs[i]
        return self.image.read(sh.sh_offset, sh.sh_size, f"contents of section {i}")

    def strtab_string(self, st_name: int, sym: int) -> bytes:
        """info->strtab + st_name, the name of symbol ``sym`` (the temporary copy's string table).
        A name that does not start in a NUL-terminated string table is read on as strlen
        reads it: what elf_validity_cache_strtab refuses in hardened."""
        table = self.copy.strtab
        if table is None:
            table = self._read_strtab()
        if st_name < len(table):
            return table[st_name:table.index(b"\0", st_name)]
        self.unchecked(f"name of symbol {sym}: st_name {st_name:#x} outside a NUL-terminated string table")
        return self.image.cstring(self.strtab + st_name, f"name of symbol {sym}")

    def _read_strtab(self) -> bytes:
        """The string table's bytes when every name that starts in it also ends in it;
        else b"", and every name is read from the image."""
        table, i = b"", self.index.str
        if 0 < i < len(self.sechdrs) and self.sechdrs[i].sh_offset == self.strtab:
            table = self.copy.nul_terminated(self.strtab, self.sechdrs[i].sh_size, STRTAB)
        self.copy.strtab = table
        return table
