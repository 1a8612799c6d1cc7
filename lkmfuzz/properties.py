"""Reusable properties of the loader: call them from your own Hypothesis tests.

Each takes the generated input and raises AssertionError with a message naming
what broke; none returns a value worth checking.

    from hypothesis import given
    from lkmfuzz.strategies import modules
    from lkmfuzz.properties import valid_module_loads_and_unloads

    @given(modules())
    def test_mine(m):
        valid_module_loads_and_unloads(m.data)
"""

from collections.abc import Callable

from .abi.types import U64_MASK
from .elf import constants as C
from .elf.reader import Image
from .elf.relocs import X86_64_RELA
from .elf.structs import RELA
from .errors import KernelFault, LoadError, UnvalidatedAccess
from .invariants import Violation, check_attempt, check_unchanged, snapshot
from .kernel.kernel import Kernel
from .loader import delete_module, finit_module
from .loader.hardening import SHARED_STEPS
from .loader.layout import is_init_section
from .loader.unload import O_TRUNC


def expected_relocations(kernel, module, data: bytes) -> list[tuple[int, bytes, str]]:
    """(place, bytes, what) the relocation math predicts for every applied relocation of
    the file ``data`` (a module that loaded), from the final section addresses the loader
    chose: S + A (- P) with S the kernel's symbol, the module's section plus st_value, or
    st_value (SHN_ABS).  Relocations of init sections are left out: init memory is freed.
    Read from the file itself, so that any module that loads can be checked (a symbol
    or section named twice, section symbols, percpu data)."""
    image = Image(data)
    ehdr = image.ehdr()
    shdrs = [image.shdr(ehdr.e_shoff + i * C.SHDR_SIZE) for i in range(ehdr.e_shnum)]
    symsec = next(sh for sh in shdrs if sh.sh_type == C.SHT_SYMTAB)
    strsec, names = shdrs[symsec.sh_link], shdrs[ehdr.e_shstrndx]
    out = []
    for relsec, rel in enumerate(shdrs):
        base = module.section_addrs.get(rel.sh_info)
        if rel.sh_type != C.SHT_RELA or base is None or rel.sh_flags & C.SHF_RELA_LIVEPATCH:
            continue
        if is_init_section(image.cstring(names.sh_offset + shdrs[rel.sh_info].sh_name)):
            continue            # init memory, freed once init returned
        for n in range(rel.sh_size // C.RELA_SIZE):
            r_offset, r_info, r_addend = image.unpack(RELA, rel.sh_offset + n * C.RELA_SIZE, "rela")
            recipe = X86_64_RELA[r_info & 0xFFFFFFFF]
            if recipe is None:
                continue
            sym = image.sym(symsec.sh_offset + (r_info >> 32) * C.SYM_SIZE)
            place = base + r_offset
            value = recipe.encode(recipe.value(_symbol_value(kernel, module, image, strsec, sym), r_addend, place))
            out.append((place, value, f"{recipe.name} section {rel.sh_info}+{r_offset:#x} (relocation {n} "
                                      f"of section {relsec})"))
    return out


def _symbol_value(kernel, module, image: Image, strsec, sym) -> int:
    """S: what simplify_symbols() made of the symbol's st_value."""
    if sym.st_shndx == C.SHN_UNDEF:
        found = kernel.symbols.get(image.cstring(strsec.sh_offset + sym.st_name).decode("latin-1"))
        return found.addr if found is not None else sym.st_value    # an unresolved weak symbol
    if sym.st_shndx == C.SHN_ABS:
        return sym.st_value
    if sym.st_shndx not in module.section_addrs:       # .data..percpu: the module's percpu block
        return (module.percpu.addr if module.percpu is not None else 0) + sym.st_value
    return (module.section_addrs[sym.st_shndx] + sym.st_value) & U64_MASK


def valid_module_loads_and_unloads(data: bytes, profile: str = "hardened") -> None:
    """It loads; every relocation holds what S + A (- P) predicts; a (forced) unload restores
    the kernel exactly."""
    kernel = Kernel(profile)
    before = snapshot(kernel)
    result = finit_module(kernel, data)
    assert result.ok, f"a valid module was refused: {result}"
    assert check_attempt(kernel, before, result, len(data)) == []
    for place, want, what in expected_relocations(kernel, result.module, data):
        region = kernel.alloc.space.find(place, len(want))
        if region is None:       # .gnu.linkonce.this_module and .text live in core: always mapped
            raise AssertionError(f"{what}: place {place:#x} unmapped after load")
        assert kernel.alloc.space.read(place, len(want)) == want, f"{what}: relocated bytes differ"
    delete_module(kernel, result.name, O_TRUNC)   # forced: a module with init but no exit is EBUSY otherwise
    assert check_unchanged(before, kernel, "delete_module") == []


def corrupted_module_gives_a_verdict(data: bytes, profile: str) -> str:
    """An errno or a load (kernel-fault only in linux-6.1), leaving no trace either way."""
    kernel = Kernel(profile)
    before = snapshot(kernel)
    result = finit_module(kernel, data)
    assert check_attempt(kernel, before, result, len(data)) == [], f"{result} broke an invariant"
    if isinstance(result.verdict, KernelFault):
        assert profile == "linux-6.1", f"hardened predicted a kernel fault: {result}"
    assert not isinstance(result.verdict, UnvalidatedAccess), f"a missing validation check: {result}"
    if result.ok:
        violations = unload_and_check(kernel, result, before)
        assert violations == [], f"{result}: {violations[0]}"
    return result.kind


def unload_and_check(kernel, result, before) -> list:
    """Unload what loaded (forced) and return the invariant violations of the result.

    6.1 reads an unterminated 56-byte name past its field, so such a module loads
    but delete_module (which truncates names to 55 bytes) can never find it again:
    faithful for linux-6.1, a violation for hardened, which must not accept it."""
    kernel.set_fault_plan(None)
    try:
        delete_module(kernel, result.name, O_TRUNC)
    except LoadError as refused:
        return [] if not kernel.hardened else [Violation("unload-refused", "delete_module", str(refused))]
    return check_unchanged(before, kernel, "delete_module")


def hardened_is_stricter(data: bytes) -> None:
    """hardened accepts only what linux-6.1 accepts, refuses whatever 6.1 would crash on by
    a named validation check, and never reaches what no check vouched for.  (The fuzz
    targets ask the same second opinion: fuzzing.targets.execution.check_second_opinions.)"""
    strict = finit_module(Kernel("hardened"), data)
    faithful = finit_module(Kernel("linux-6.1"), data)
    assert not isinstance(strict.verdict, UnvalidatedAccess), f"a missing validation check: {strict}"
    if strict.ok:
        assert faithful.ok, f"hardened loads what linux-6.1 refuses: {faithful}"
    if isinstance(faithful.verdict, KernelFault):
        assert not strict.ok, f"hardened loads what crashes linux-6.1: {faithful}"
        refusal = strict.verdict
        assert isinstance(refusal, LoadError), f"hardened neither loads nor refuses what crashes linux-6.1: {strict}"
        assert (refusal.check is not None or refusal.step in SHARED_STEPS
                or strict.step_reached < faithful.step_reached), (
            f"linux-6.1 crashes ({faithful}) where hardened went on and refused naming no check: {strict}")


# --- saving failures so `lkmfuzz repro` can replay them ---------------------------------

def _stricter_than_faithful(data: bytes, profile: str = "hardened") -> None:
    """hardened_is_stricter() runs both profiles itself: ``profile`` is not used."""
    hardened_is_stricter(data)


# name -> property(data, profile); what a saved failure records and `lkmfuzz repro` runs
PROPERTIES: dict[str, Callable[[bytes, str], object]] = {
    "valid_module_loads_and_unloads": valid_module_loads_and_unloads,
    "corrupted_module_gives_a_verdict": corrupted_module_gives_a_verdict,
    "hardened_is_stricter": _stricter_than_faithful,
}


def check_property(name: str, data: bytes, profile: str = "hardened", crashes=None) -> None:
    """Run a registered property; when it fails, save the input into ``crashes`` (if given)
    under the failure's title, then re-raise — the Hypothesis-to-crash-store path."""
    try:
        PROPERTIES[name](data, profile)
    except Exception as failure:  # noqa: BLE001 - recorded, then re-raised unchanged
        if crashes is not None:
            from .findings import store
            from .findings.title import exception_title
            title = f"property {name}: {exception_title(failure)}"
            store.record(crashes, title, "property", "hypothesis", str(failure)[:500], "", data,
                         {"property": name, "profile": profile, "args": "", "fault_plan": {}, "flags": 0})
        raise


def replay_property(meta: dict, data: bytes) -> str | None:
    """The title a saved property failure has now, or None when the property holds."""
    from .findings.title import exception_title
    try:
        PROPERTIES[meta["property"]](data, meta.get("profile", "hardened"))
    except Exception as failure:  # noqa: BLE001 - the failure is the answer
        return f"property {meta['property']}: {exception_title(failure)}"
    return None
