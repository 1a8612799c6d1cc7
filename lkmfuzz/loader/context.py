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

from dataclasses import dataclass, field

from ..elf.constants import SHDR_SIZE, SHF_ALLOC, SHT_NOBITS, SHT_NULL
from ..elf.reader import Image, OutOfBounds
from ..elf.structs import Shdr
from ..errors import KernelFault, LoadError, UnvalidatedAccess, Verdict
from ..kernel.alloc import AllocFailed

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

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            self.info.step = self.outer
        return False


@dataclass
class LoadInfo:
    kernel: object
    image: Image
    flags: int = 0
    args: bytes = b""
    len: int = 0
    sig_ok: bool = False
    hdr: object = None
    sechdrs: list = field(default_factory=list)
    secstrings: int = 0            # file offset of the section name table
    secstrings_size: int = 0
    strtab: int = 0                # file offset of the symbol string table
    index: Index = field(default_factory=Index)
    name: str = ""
    mod: object = None             # kernel.module.Module once layout_and_allocate ran
    mod_copy_off: int | None = None  # file offset of info->mod while it is the file's struct (until move_module)
    copy: object = None            # Allocation of the temporary copy
    # kallsyms layout (layout_symtab -> add_kallsyms)
    symoffs: int = 0
    stroffs: int = 0
    core_typeoffs: int = 0
    init_typeoffs: int = 0
    mod_kallsyms_init_off: int = 0
    core_ndst: int = 0
    syms: list = field(default_factory=list)   # the module's symtab as simplify_symbols left it
    trace: list = field(default_factory=list)   # (step, outcome) in order
    step: str = ""
    undo: object = None
    modinfo_cache: tuple | None = None
    core_syms: list = field(default_factory=list)   # (index, name) that layout_symtab counted
    symtab_dirty: bool = False     # add_kallsyms() re-reads the copies: relocated, or a name past the strtab
    versions_cache: list = field(default_factory=list)   # __versions names read so far, from entry 0
    versions_index: dict = field(default_factory=dict)   # name -> its first entry among those
    sym_values: list | None = None   # st_value of each symbol in the symtab copy, while unchanged
    _names: dict = field(default_factory=dict)
    _names_complete: bool = False    # section_names() has read every name from section 1 on
    _name_index: dict | None = None  # name -> [indices], once they are complete
    _strtab_bytes: bytes | None = None   # strtab_string()'s copy of the string table, once read
    # cache -> [start, end) of the copy's bytes it was read from ("names", "strtab", "versions", "modinfo")
    cache_spans: dict = field(default_factory=dict)
    _content_spans: list | None = None   # [start, end) and index of each section's contents in the file
    cached: set = field(default_factory=set)   # indices an elf_validity_cache_* check set ("info", "mod", "sym")
    trusted: list = field(default_factory=list)   # (step, what) the kernel used unvalidated (real kernels' profiles)

    def run(self, step_fn, name: str | None = None) -> None:
        """Run one step of load_module(), turning internal signals into verdicts:
        an out-of-bounds access into the profile's verdict, an injected allocation
        failure into the errno its site returns."""
        name = name or step_fn.__name__
        self.step = name
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

    @property
    def shnum(self) -> int:
        return self.hdr.e_shnum

    def within(self, name: str) -> "Within":
        """Name the kernel function doing the work, for verdicts raised inside it.

        The outer name comes back only on normal exit: a verdict keeps the inner one."""
        return Within(self, name)

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
        return KernelFault(site or self.step, oob.what)

    def write_copy(self, off: int, data: bytes, what: str) -> None:
        """The kernel writes into its temporary copy of the file (at file offset ``off``).
        What was cached from the bytes written (section names, modinfo, __versions) is dropped."""
        end = off + len(data)
        if self.hardened:
            self._check_write_overlaps(off, end, what)
        self.kernel.alloc.space.write(self.copy.addr + off, data, what, check_perm=False)
        self.image.write(off, data, what)
        for cache, (start, stop) in list(self.cache_spans.items()):
            if off < stop and start < end:
                self._drop_cache(cache)

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
        if self._content_spans is None:
            self._content_spans = [(sh.sh_offset, sh.sh_offset + sh.sh_size, i) for i, sh in enumerate(self.sechdrs)
                                   if sh.sh_size and sh.sh_type not in (SHT_NULL, SHT_NOBITS)]
        return self._content_spans

    def note_cached(self, cache: str, start: int, stop: int) -> None:
        """``cache`` now also holds what was read from the copy's [start, stop)."""
        span = self.cache_spans.get(cache)
        if span is None:
            self.cache_spans[cache] = (start, stop)
        elif start < span[0] or stop > span[1]:
            self.cache_spans[cache] = (min(span[0], start), max(span[1], stop))

    def _drop_cache(self, cache: str) -> None:
        del self.cache_spans[cache]
        if cache == "strtab":
            self._strtab_bytes = None
        elif cache == "names":
            self._names.clear()
            self._names_complete, self._name_index = False, None
        elif cache == "versions":
            self.versions_cache.clear()
            self.versions_index.clear()
        else:
            self.modinfo_cache = None

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
        name = self._names.get(i)
        if name is None:
            sh = self.sechdrs[i]
            if sh.sh_name >= self.secstrings_size:
                self.unchecked(f"section {i} name offset {sh.sh_name:#x} past the section name table")
            at = self.secstrings + sh.sh_name
            name = self._names[i] = self.image.cstring(at, f"name of section {i}")
            self.note_cached("names", at, at + len(name) + 1)
        return name

    def section_names(self) -> dict:
        """Every section's name from section 1 on (index -> bytes), read in index order as
        sec_name() reads each — for the loops that strcmp every section.  Names that start
        in the (NUL-terminated) name table are sliced from one copy of it."""
        names = self._names
        if not self._names_complete:
            table = self._nul_terminated(self.secstrings, self.secstrings_size, "names")
            for i in range(1, len(self.sechdrs)):
                if i not in names:
                    off = self.sechdrs[i].sh_name
                    if off < len(table):
                        names[i] = table[off:table.index(b"\0", off)]
                    else:
                        self.sec_name(i)     # past the table: the kernel's read, as it goes
            self._names_complete = True
        return names

    def _sections_named(self, name: bytes) -> list:
        """Indices (from 1, in order) of the sections called ``name``, once every name is read."""
        if self._name_index is None:
            self._name_index = {}
            for i in range(1, len(self.sechdrs)):
                self._name_index.setdefault(self._names[i], []).append(i)
        return self._name_index.get(name, [])

    def find_sec(self, name: bytes) -> int:
        """find_sec(): first SHF_ALLOC section of that name, 0 if none."""
        sechdrs = self.sechdrs
        if self._names_complete:
            return next((i for i in self._sections_named(name) if sechdrs[i].sh_flags & SHF_ALLOC), 0)
        names = self._names
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
        table = self._strtab_bytes if self._strtab_bytes is not None else self._read_strtab()
        if st_name < len(table):
            return table[st_name:table.index(b"\0", st_name)]
        self.unchecked(f"name of symbol {sym}: st_name {st_name:#x} outside a NUL-terminated string table")
        return self.image.cstring(self.strtab + st_name, f"name of symbol {sym}")

    def _read_strtab(self) -> bytes:
        """The string table's bytes when every name that starts in it also ends in it;
        else b"", and every name is read from the image."""
        table, i = b"", self.index.str
        if 0 < i < len(self.sechdrs) and self.sechdrs[i].sh_offset == self.strtab:
            table = self._nul_terminated(self.strtab, self.sechdrs[i].sh_size, "strtab")
        self._strtab_bytes = table
        return table

    def _nul_terminated(self, start: int, size: int, cache: str) -> bytes:
        """The copy's bytes [start, start+size) when they lie in the file and end in NUL —
        so every string that starts in them ends in them — noted as read for ``cache``;
        else b""."""
        end = start + size
        if not (size and 0 <= start and end <= self.image.len):
            return b""
        data = self.image.read(start, size, cache)
        if data[-1]:
            return b""
        self.note_cached(cache, start, end)
        return data
