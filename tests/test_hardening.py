"""The hardened profile's validation checks (lkmfuzz/loader/hardening.py).

For every check, one input it refuses; the same input with that check deleted
(``hardened-minus-CHECK``) must be a finding — a check whose absence nobody can
notice is not under test — and linux-6.1 takes it without any check.
"""

import dataclasses

import pytest
from conftest import seed_bytes

from lkmfuzz.case import TestCase
from lkmfuzz.elf import constants as C
from lkmfuzz.elf import patch
from lkmfuzz.errors import KernelFault, LoadError, UnvalidatedAccess
from lkmfuzz.fuzzing.targets import Finding, execute, execution, kernels
from lkmfuzz.kernel.kernel import Kernel
from lkmfuzz.kernel.profile import HARDENING_CHECKS, RELEASE_BOUND_CHANGES, UPSTREAM_CHANGES, ProfileError, get_profile
from lkmfuzz.loader import finit_module, hardening
from lkmfuzz.mutate.corruptions import (
    HELLO_CORRUPTIONS,
    relocation_past_its_section,
    second_symbol_table,
    versions_name_unterminated,
)

HELLO = seed_bytes("hello")


def corrupt(name: str) -> bytes:
    return HELLO_CORRUPTIONS[name][0](HELLO)


def _modinfo_unterminated(d: bytes) -> bytes:
    off, body = patch.section_bytes(d, ".modinfo")
    return d[:off + len(body) - 1] + b"A" + d[off + len(body):]


def _export_twice(d: bytes) -> bytes:
    def name_reloc(section):
        return next(i for i, (off, _info, _a) in enumerate(patch.relocations(d, section)) if off == 4)
    _off, info, addend = patch.relocations(d, ".rela__ksymtab")[name_reloc(".rela__ksymtab")]
    return patch.set_relocation(d, ".rela__ksymtab_gpl", name_reloc(".rela__ksymtab_gpl"), info=info, addend=addend)


# check -> (an input it refuses, its parameters)
CASES = {
    "elf_validity_cache_secstrings": (lambda d: patch.set_shdr(d, ".comment", sh_name=0x7FFF0000), ""),
    "validate_null_sections": (lambda d: patch.set_shdr(d, 0, sh_name=0x7FFF0000), ""),
    "elf_validity_cache_index_info": (lambda d: patch.rename_section(d, ".comment", ".modinfo"), ""),
    "validate_modinfo": (_modinfo_unterminated, ""),
    "elf_validity_cache_index_mod": (lambda d: corrupt("this_module size 0x370"), ""),
    "elf_validity_cache_index_sym": (second_symbol_table, ""),
    "elf_validity_cache_strtab": (lambda d: corrupt("init symbol st_name 0x80000000"), ""),
    "validate_section_overlaps": (lambda d: patch.set_shdr(d, ".note.Linux", sh_offset=patch.ehdr(d).e_shoff), ""),
    "validate_null_symbol": (lambda d: patch.set_symbol(d, 0, st_shndx=225), ""),
    "validate_module_name": (lambda d: corrupt("unterminated module name"), ""),
    "validate_struct_module_fields": (lambda d: corrupt("struct module core_layout.size 64 MiB"), ""),
    "validate_versions_names": (versions_name_unterminated, ""),
    "validate_layout_sizes": (lambda d: patch.set_shdr(d, ".bss", sh_size=0xFFFFF000), ""),
    "validate_rela_targets": (lambda d: patch.set_shdr(d, ".rela.text", sh_info=patch.section_index(d, ".symtab")),
                              ""),
    "validate_rela_symbols": (lambda d: patch.set_relocation(d, ".rela.text", 0, info=(0x7FFFFFF << 32) | 4), ""),
    "validate_rela_offsets": (relocation_past_its_section, ""),
    "validate_patch_sites": (lambda d: corrupt("return site relocated against _printk"), ""),
    "validate_init_exit": (lambda d: patch.set_relocation(d, ".rela.gnu.linkonce.this_module", 0, info=(
        patch.symbol_index(d, "_printk") << 32) | C.R_X86_64_64), ""),
    "validate_ksymtab": (_export_twice, ""),
    "validate_kernel_params": (lambda d: corrupt("param ops relocated 32S, bad param"), "myint=abc"),
}


def test_every_check_is_registered_once_in_pipeline_order():
    names = [f.__name__ for f in hardening.ALL_CHECKS]
    assert tuple(name for name in names if name in HARDENING_CHECKS) == HARDENING_CHECKS
    # The others are kernels' own checks that close no oops class (a type field): changes only.
    assert set(names) - set(HARDENING_CHECKS) <= set(UPSTREAM_CHANGES) and len(set(names)) == len(names)
    assert set(CASES) == set(HARDENING_CHECKS)


def test_a_profile_has_its_release_changes_and_its_checks():
    hardened, faithful = get_profile("hardened"), get_profile("linux-6.1")
    assert all(hardened.has(name) for name in (*UPSTREAM_CHANGES, *HARDENING_CHECKS)
               if name not in RELEASE_BOUND_CHANGES)
    assert not any(hardened.has(name) for name in RELEASE_BOUND_CHANGES)     # 6.1's struct module
    assert not any(faithful.has(name) for name in (*UPSTREAM_CHANGES, *HARDENING_CHECKS))
    minus = get_profile("hardened-minus-early_mod_check")
    assert not minus.has("early_mod_check") and minus.has("elf_validity_cache_index_mod")
    minus = get_profile("hardened-minus-elf_validity_cache_index_mod")
    assert not minus.has("elf_validity_cache_index_mod") and "elf_validity_cache_index_mod" not in minus.checks


def test_the_symbol_string_table_must_be_strtab_in_later_kernels():
    # 6.12's elf_validity_cache_index_str: a type field, nothing read out of bounds.
    data = patch.set_shdr(HELLO, ".strtab", sh_type=C.SHT_PROGBITS)
    assert finit_module(Kernel("linux-6.1"), data).ok
    result = finit_module(Kernel("hardened"), data)
    assert result.kind == "ENOEXEC" and result.verdict.step == "elf_validity_cache_index_str", str(result)


def test_the_section_name_table_must_be_strtab_in_later_kernels():
    data = patch.set_shdr(HELLO, ".shstrtab", sh_type=C.SHT_PROGBITS)
    assert finit_module(Kernel("linux-6.1"), data).ok
    result = finit_module(Kernel("hardened"), data)
    assert result.kind == "ENOEXEC" and "section name table type" in str(result), str(result)


def test_profiles_are_named_by_what_they_delete():
    assert get_profile("hardened").checks == frozenset(HARDENING_CHECKS)
    assert not get_profile("linux-6.1").checks
    minus = get_profile("hardened-minus-validate_rela_offsets")
    assert minus.checks == frozenset(HARDENING_CHECKS) - {"validate_rela_offsets"} and minus.hardened
    assert get_profile("hardened-minus-undo_free_modinfo").skipped_cleanup == {"free_modinfo"}
    for bad in ("hardened-minus-nonsense", "linux-6.1-minus-validate_rela_offsets", "hardened-minus-undo_nothing"):
        with pytest.raises(ProfileError):
            get_profile(bad)


@pytest.mark.parametrize("check", HARDENING_CHECKS)
def test_each_check_refuses_its_input_by_name(check):
    make, args = CASES[check]
    result = finit_module(Kernel("hardened"), make(HELLO), args)
    assert isinstance(result.verdict, LoadError) and result.verdict.check == check, str(result)
    assert result.verdict.step == check and result.kind == "ENOEXEC"


@pytest.mark.parametrize("check", HARDENING_CHECKS)
def test_each_deleted_check_is_a_finding(check):
    make, args = CASES[check]
    with pytest.raises(Finding) as found:
        execute(TestCase(module=make(HELLO), args=args, profile=f"hardened-minus-{check}"))
    assert found.value.kind in ("unvalidated-access", "second-opinion", "invariant"), found.value.title


@pytest.mark.parametrize("check", HARDENING_CHECKS)
def test_a_real_kernel_runs_no_check(check):
    make, args = CASES[check]
    result = finit_module(Kernel("linux-6.1"), make(HELLO), args)
    assert not (isinstance(result.verdict, LoadError) and result.verdict.check), str(result)
    assert not isinstance(result.verdict, UnvalidatedAccess)


def test_an_unchecked_use_is_a_prediction_in_61_and_a_finding_in_hardened_minus():
    data = CASES["validate_rela_offsets"][0](HELLO)
    faithful = finit_module(Kernel("linux-6.1"), data)
    assert faithful.ok or isinstance(faithful.verdict, (KernelFault, LoadError))
    assert any("r_offset" in what for _step, what in faithful.trusted), faithful.trusted
    mutant = finit_module(Kernel("hardened-minus-validate_rela_offsets"), data)
    assert mutant.kind == "unvalidated-access" and mutant.verdict.site == "apply_relocate_add"
    assert str(mutant).startswith("unvalidated-access (apply_relocate_add: relocation 0 in section ")


@pytest.fixture
def always_ask(monkeypatch):
    """Every case asks the second opinion (campaigns ask one in SECOND_OPINION_EVERY)."""
    monkeypatch.setattr(execution, "SECOND_OPINION_EVERY", 1)


def test_the_second_opinion_is_asked_for_a_fixed_share_of_cases():
    asked = sum(execution.asks_second_opinion(TestCase(module=HELLO, args=f"myint={i}")) for i in range(6400))
    assert 0.5 / execution.SECOND_OPINION_EVERY < asked / 6400 < 1.5 / execution.SECOND_OPINION_EVERY
    case = TestCase(module=HELLO, args="myint=7")
    assert len({execution.asks_second_opinion(case) for _ in range(3)}) == 1


def test_loading_what_a_real_kernel_refuses_is_a_finding(monkeypatch, always_ask):
    real = kernels.fresh_kernel

    def refusing_61(case):
        if case.profile == "linux-6.1":
            case = dataclasses.replace(case, config=(("modules_disabled", True),))
        return real(case)
    monkeypatch.setattr(kernels, "fresh_kernel", refusing_61)
    with pytest.raises(Finding) as found:
        execute(TestCase(module=HELLO))
    assert found.value.kind == "second-opinion"
    assert found.value.title.startswith("second opinion: linux-6.1 refuses (EPERM in finit_module)")


def test_a_refusal_naming_no_check_where_a_real_kernel_faults_is_a_finding(monkeypatch, always_ask):
    data = CASES["validate_rela_symbols"][0](HELLO)
    # The mutant refuses with an errno of the kernel's own where linux-6.1 faults.
    monkeypatch.setattr(kernels, "run_syscall", lambda kernel, case: (
        finit_module(kernel, data) if kernel.profile.name == "linux-6.1" else finit_module(kernel, HELLO, "myint=abc")))
    with pytest.raises(Finding) as found:
        execute(TestCase(module=data))
    assert found.value.kind == "second-opinion"
    assert "linux-6.1 faults (kernel-fault in apply_relocate_add)" in found.value.title


def test_a_refusal_by_a_check_needs_no_second_opinion(monkeypatch, always_ask):
    asked = []
    monkeypatch.setattr(kernels, "fresh_kernel", lambda case: asked.append(case.profile) or Kernel(case.profile))
    result = execute(TestCase(module=CASES["validate_rela_symbols"][0](HELLO)))
    assert result.verdict.check == "validate_rela_symbols" and asked == ["hardened"]


def test_every_corpus_module_loads_in_every_profile(seeds):
    for name, data in seeds.items():
        for profile in ("hardened", "linux-6.1"):
            kernel = Kernel(profile)
            for dep in ("hello",) if name == "consumer" else ():
                assert finit_module(kernel, seeds[dep]).ok
            result = finit_module(kernel, data)
            assert result.ok and not result.trusted, f"{name} in {profile}: {result} {result.trusted}"


@pytest.mark.parametrize("make, check", [
    # Found by the control run of scripts/mutation-check: module_finalize() finds its tables
    # by name, whatever their type, and reads them at sh_addr = the copy + sh_offset.
    (lambda d: patch.set_shdr(d, ".return_sites", sh_type=C.SHT_NULL, sh_flags=0, sh_offset=1 << 62),
     "validate_patch_sites"),
    # get_next_modinfo() reads a NOBITS .modinfo at an sh_offset nobody bounded.
    (lambda d: patch.set_shdr(d, ".modinfo", sh_type=C.SHT_NOBITS, sh_offset=1 << 40), "validate_modinfo"),
])
def test_tables_read_by_name_or_index_must_lie_in_the_file(make, check):
    data = make(HELLO)
    assert finit_module(Kernel("hardened"), data).verdict.check == check
    assert finit_module(Kernel("linux-6.1"), data).kind == "kernel-fault"
    assert finit_module(Kernel(f"hardened-minus-{check}"), data).kind == "unvalidated-access"


ARRPARAM = seed_bytes("arrparam")


@pytest.mark.parametrize("entry, args, problem", [
    # .rela.rodata of arrparam: entry 0 is mylabel's kparam_string.buf, 5 myints' kparam_array.elem,
    # 4 myints' element ops.  Found by a scenario campaign (arguments set them).
    (0, "mylabel=x", "string buffer of 16 bytes"),
    (5, "myints=1,2", "array of 4 x 4 bytes"),
])
def test_what_a_parameter_setter_writes_lies_in_the_module(entry, args, problem):
    data = patch.set_relocation(ARRPARAM, ".rela.rodata", entry, addend=1 << 30)
    refused = finit_module(Kernel("hardened"), data, args)
    assert refused.verdict.check == "validate_kernel_params" and problem in refused.verdict.reason, str(refused)
    mutant = finit_module(Kernel("hardened-minus-validate_kernel_params"), data, args)
    assert mutant.kind == "unvalidated-access" and mutant.verdict.site == "module_parse_args", str(mutant)
    faithful = finit_module(Kernel("linux-6.1"), data, args)
    assert faithful.kind == "kernel-fault" or any("outside the module" in what for _s, what in faithful.trusted)


def test_a_parameter_variable_in_read_only_memory_is_refused():
    """Found by a scenario campaign: a kernel_param.arg relocated into text; the setter's
    write is a write fault on the real kernel once text is read-only."""
    arg = next(n for n, (off, _info, _a) in enumerate(patch.relocations(HELLO, ".rela__param")) if off % 40 == 32)
    _off, info, _addend = patch.relocations(HELLO, ".rela__param")[arg]
    data = patch.set_relocation(HELLO, ".rela__param", arg,
                                info=(patch.symbol_index(HELLO, "hello_init") << 32) | (info & 0xFFFFFFFF), addend=0)
    refused = finit_module(Kernel("hardened"), data)
    assert refused.verdict.check == "validate_kernel_params" and "writable memory" in refused.verdict.reason
    assert finit_module(Kernel("linux-6.1"), data).ok     # nothing writes it without arguments


def test_a_second_opinion_resumed_from_its_checkpoint_is_a_fresh_one():
    execution.SECOND_OPINION_CHECKPOINTS.clear()
    for args in ("myint=3", "myint=abc", "mycharp=x mybool", "myint=7"):
        case = TestCase(module=HELLO, args=args, profile="linux-6.1")
        fresh = kernels.run_syscall(kernels.fresh_kernel(case), case)
        resumed = execution.second_opinion(case, via_checkpoint=True)
        assert (str(resumed), resumed.trace) == (str(fresh), fresh.trace)
    assert len(execution.SECOND_OPINION_CHECKPOINTS) == 1
