"""Reusable properties of the loader: call them from your own Hypothesis tests.

Each takes the generated input and raises AssertionError with a message naming
what broke; none returns a value worth checking.

    from hypothesis import given
    from lkmfuzz.strategies import modules
    from lkmfuzz.properties import valid_module_loads_and_unloads

    @given(modules())
    def test_mine(m):
        valid_module_loads_and_unloads(m.data, m.model)
"""

from collections.abc import Callable

from .elf import constants as C
from .elf.relocs import X86_64_RELA
from .errors import KernelFault, LoadError, UnvalidatedAccess
from .invariants import Violation, check_attempt, check_unchanged, snapshot
from .kernel.kernel import Kernel
from .loader import delete_module, finit_module
from .loader.hardening import SHARED_STEPS
from .loader.unload import O_TRUNC


def expected_relocations(kernel, module, model):
    """(place, bytes) the relocation math predicts for every relocation of the model,
    from the final section addresses the loader chose (None for init memory, freed)."""
    order = [s.name for s in model.sections]
    index = {name: i + 1 for i, name in enumerate(order)}        # the writer's content-section numbering
    symbols = {s.name: s for s in model.symbols}
    out = []
    for target, relocs in model.relocs.items():
        base = module.section_addrs.get(index[target])
        for r in relocs:
            recipe = X86_64_RELA[r.type]
            if recipe is None or base is None:
                continue
            sym = symbols[r.symbol]
            if sym.section == C.SHN_UNDEF or sym.section == 0:
                s_value = kernel.symbols.get(sym.name).addr
            elif sym.section == C.SHN_ABS:
                s_value = sym.value
            else:
                s_value = module.section_addrs[index[sym.section]] + sym.value
            place = base + r.offset
            value = recipe.encode(recipe.value(s_value, r.addend, place))
            out.append((place, value, f"{recipe.name} {target}+{r.offset:#x}"))
    return out


def valid_module_loads_and_unloads(data: bytes, model, profile: str = "hardened") -> None:
    """It loads; every relocation holds what S + A (- P) predicts; a (forced) unload restores
    the kernel exactly."""
    kernel = Kernel(profile)
    before = snapshot(kernel)
    result = finit_module(kernel, data)
    assert result.ok, f"a valid module was refused: {result}"
    assert check_attempt(kernel, before, result, len(data)) == []
    for place, want, what in expected_relocations(kernel, result.module, model):
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
    targets ask the same second opinion: fuzzing.targets.check_second_opinions.)"""
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

def _valid_from_bytes(data: bytes, profile: str = "hardened") -> None:
    from .elf.writer import read_model
    valid_module_loads_and_unloads(data, read_model(data), profile)


def _stricter_than_faithful(data: bytes, profile: str = "hardened") -> None:
    """hardened_is_stricter() runs both profiles itself: ``profile`` is not used."""
    hardened_is_stricter(data)


# name -> property(data, profile); what a saved failure records and `lkmfuzz repro` runs
PROPERTIES: dict[str, Callable[[bytes, str], object]] = {
    "valid_module_loads_and_unloads": _valid_from_bytes,
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
            from .triage import store
            from .triage.title import exception_title
            title = f"property {name}: {exception_title(failure)}"
            store.record(crashes, title, "property", "hypothesis", str(failure)[:500], "", data,
                         {"property": name, "profile": profile, "args": "", "fault_plan": {}, "flags": 0})
        raise


def replay_property(meta: dict, data: bytes) -> str | None:
    """The title a saved property failure has now, or None when the property holds."""
    from .triage.title import exception_title
    try:
        PROPERTIES[meta["property"]](data, meta.get("profile", "hardened"))
    except Exception as failure:  # noqa: BLE001 - the failure is the answer
        return f"property {meta['property']}: {exception_title(failure)}"
    return None
