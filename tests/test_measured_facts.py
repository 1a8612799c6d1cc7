"""The errno the real Debian 6.1 kernel gave for each kind of bad module (mutate/corruptions.py),
reproduced by the model — in both profiles unless the fact is profile-specific."""

import dataclasses
import errno
import struct
from pathlib import Path

import pytest
from conftest import seed_bytes
from kstate import snapshot

from lkmfuzz import invariants
from lkmfuzz.case import TestCase
from lkmfuzz.elf import constants as C
from lkmfuzz.elf import patch
from lkmfuzz.faults import FaultPlan
from lkmfuzz.fuzzing.targets import execute
from lkmfuzz.kernel import taint as T
from lkmfuzz.kernel.kernel import Kernel
from lkmfuzz.kernel.profile import get_profile
from lkmfuzz.keys import unknown_signer
from lkmfuzz.loader import finit_module, init_module
from lkmfuzz.loader.signing import MODULE_SIG_STRING, MODULE_SIGNATURE, PKEY_ID_PKCS7
from lkmfuzz.mutate.corruptions import HELLO_CORRUPTIONS
from lkmfuzz.sign import pkcs7_sign

HELLO = seed_bytes("hello")
RELEASE = b"6.1.0-56-amd64"


def load(data, args="", profile="hardened", flags=0, **config):
    kernel = Kernel(get_profile(profile, **config))
    before = snapshot(kernel)
    result = finit_module(kernel, data, args, flags)
    if not result.ok:
        assert snapshot(kernel) == before, f"a refused load must leave no trace ({result})"
    return result


def sign_trailer(data, pkcs7=None, **fields):
    """Append a signature trailer like scripts/sign-file's, with overridable fields; by
    default a real PKCS#7 signature by a key the kernel does not trust (ENOKEY)."""
    if pkcs7 is None:
        pkcs7 = pkcs7_sign(data, unknown_signer())
    ms = dict(algo=0, hash=0, id_type=PKEY_ID_PKCS7, signer_len=0, key_id_len=0, pad=b"\0\0\0", sig_len=len(pkcs7))
    ms.update(fields)
    return data + pkcs7 + MODULE_SIGNATURE.pack(*ms.values()) + MODULE_SIG_STRING


def corrupt(name: str) -> bytes:
    """hello.ko with one of the measured corruptions (the same bytes `oracle diff` runs
    on the real kernel)."""
    return HELLO_CORRUPTIONS[name][0](HELLO)


ENOEXEC_HEADER_CASES = ("bad magic", "truncated", "e_shoff past EOF", "sh_offset past EOF", "shstrndx out of range",
                        "ET_EXEC", "wrong e_machine", "e_shentsize 40", "no this_module")


@pytest.mark.parametrize("case", ENOEXEC_HEADER_CASES)
def test_invalid_elf_is_enoexec(profile, case):
    result = load(corrupt(case), profile=profile)
    assert result.kind == "ENOEXEC", str(result)


def test_empty_file_is_einval_at_read(profile):
    result = load(b"", profile=profile)
    assert (result.kind, result.verdict.step) == ("EINVAL", "kernel_read_file")


def test_init_module_refuses_short_image_before_the_signature():
    result = init_module(Kernel(get_profile("hardened", sig_enforce=True)), b"\x7fELF")
    assert (result.kind, result.verdict.step) == ("ENOEXEC", "copy_module_from_user")


def test_vermagic_release_may_differ_when_modversions_vouch(profile):
    data = patch.replace_in_section(HELLO, ".modinfo", RELEASE, b"6.1.0-99-amd64")
    assert load(data, profile=profile).ok


def test_other_vermagic_words_must_match(profile):
    data = patch.replace_in_section(HELLO, ".modinfo", b"mod_unload", b"mod_unloax")
    result = load(data, profile=profile)
    assert (result.kind, result.verdict.step) == ("ENOEXEC", "check_modinfo")


@pytest.mark.parametrize("how", ["missing", "ignored"])
def test_no_vermagic_loads_forced(profile, how):
    if how == "missing":
        result = load(patch.replace_in_section(HELLO, ".modinfo", b"vermagic=", b"vermagiX="), profile=profile)
    else:
        result = load(HELLO, profile=profile, flags=2)   # MODULE_INIT_IGNORE_VERMAGIC
    assert result.ok and "F" in result.module.taint_letters


def test_module_layout_crc_mismatch_is_enoexec(profile):
    result = load(patch.set_version_crc(HELLO, "module_layout", 0x12345678), profile=profile)
    assert (result.kind, result.verdict.step) == ("ENOEXEC", "check_modstruct_version")


def test_other_symbol_crc_mismatch_is_einval(profile):
    result = load(patch.set_version_crc(HELLO, "_printk", 0x12345678), profile=profile)
    assert (result.kind, result.verdict.step) == ("EINVAL", "simplify_symbols")


@pytest.mark.parametrize("how", ["no __versions", "IGNORE_MODVERSIONS"])
def test_no_modversions_loads_forced(profile, how):
    if how == "no __versions":
        result = load(patch.rename_section(HELLO, "__versions", "__versionz"), profile=profile)
    else:
        result = load(HELLO, profile=profile, flags=1)
    assert result.ok and "F" in result.module.taint_letters


def test_unknown_symbol_is_enoent(profile):
    data = patch.replace_in_section(HELLO, ".strtab", b"\0_printk\0", b"\0_printx\0")
    result = load(data, profile=profile)
    assert (result.kind, result.verdict.step) == ("ENOENT", "simplify_symbols")
    assert "_printx" in result.verdict.reason


def test_gpl_only_symbol_from_non_gpl_module_is_enoent(profile):
    kernel = Kernel(profile)
    assert finit_module(kernel, HELLO).ok
    consumer = patch.replace_in_section(seed_bytes("consumer"), ".modinfo", b"license=GPL", b"license=BSD")
    result = finit_module(kernel, consumer)
    assert result.kind == "ENOENT" and "hello_count" in result.verdict.reason


def test_same_module_twice_is_eexist(profile):
    kernel = Kernel(profile)
    assert finit_module(kernel, HELLO).ok
    assert finit_module(kernel, HELLO).kind == "EEXIST"


def test_sig_len_corrupt_is_ebadmsg(profile):
    result = load(sign_trailer(HELLO, sig_len=len(HELLO) * 2), profile=profile)
    assert (result.kind, result.verdict.step) == ("EBADMSG", "module_sig_check")


@pytest.mark.parametrize("field", ["algo", "hash", "signer_len", "key_id_len"])
def test_nonzero_signature_params_are_ebadmsg(profile, field):
    assert load(sign_trailer(HELLO, **{field: 1}), profile=profile).kind == "EBADMSG"


@pytest.mark.parametrize("variant", ["unknown key", "wrong id_type", "stripped"])
def test_soft_signature_errors_load_tainted_without_enforcement(profile, variant):
    data = {"unknown key": sign_trailer(HELLO), "wrong id_type": sign_trailer(HELLO, id_type=1),
            "stripped": HELLO}[variant]
    result = load(data, profile=profile)
    assert result.ok and "E" in result.module.taint_letters


@pytest.mark.parametrize("variant", ["unknown key", "wrong id_type", "stripped", "corrupt ELF"])
def test_sig_enforce_rejects_before_any_elf_check(profile, variant):
    data = {"unknown key": sign_trailer(HELLO), "wrong id_type": sign_trailer(HELLO, id_type=1),
            "stripped": HELLO, "corrupt ELF": b"garbage" * 20}[variant]
    result = load(data, profile=profile, sig_enforce=True)
    assert (result.kind, result.verdict.step) == ("EKEYREJECTED", "module_sig_check")


@pytest.mark.parametrize("args, errno_name", [
    ("myint=abc", "EINVAL"),
    ("myint=99999999999", "ERANGE"),
    ("myint", "EINVAL"),
    ("myshort=40000", "ERANGE"),
    ("mybyte=256", "ERANGE"),
    ("nosuchparam=1", "loaded"),
    ('mycharp="quoted value" myint=3', "loaded"),
    ("myint=1 -- myint=abc", "loaded"),
    ("my-int=7", "loaded"),
])
def test_param_verdicts(profile, args, errno_name):
    result = load(HELLO, args, profile=profile)
    assert result.kind == errno_name, str(result)


def test_param_errors_keep_going_and_the_last_one_wins(profile):
    result = load(HELLO, "myint=abc mybyte=999", profile=profile)
    assert result.kind == "ERANGE"


def test_this_module_size_is_checked_only_when_hardened():
    data = corrupt("this_module size 0x370")
    assert load(data, profile="linux-6.1").ok
    result = load(data, profile="hardened")
    assert (result.kind, result.verdict.check) == ("ENOEXEC", "elf_validity_cache_index_mod")


def test_non_gpl_license_loads_tainted_p(profile):
    result = load(seed_bytes("proprietary"), profile=profile)
    assert result.ok and "P" in result.module.taint_letters


def test_trailing_garbage_loads(profile):
    assert load(corrupt("trailing garbage"), profile=profile).ok


def test_ctors_and_init_array_together_are_einval_only_with_constructors(profile):
    # Measured by the qemu oracle: Debian's 6.1 (CONFIG_CONSTRUCTORS off) loads it.
    data = corrupt("ctors and init_array")
    assert load(data, profile=profile).ok
    result = load(data, profile=profile, constructors=True)
    assert (result.kind, result.verdict.step) == ("EINVAL", "find_module_sections")


def test_common_symbol_is_enoexec(profile):
    result = load(corrupt("SHN_COMMON symbol"), profile=profile)
    assert (result.kind, result.verdict.step) == ("ENOEXEC", "simplify_symbols")


def test_unknown_relocation_type_is_enoexec(profile):
    result = load(corrupt("unknown relocation type"), profile=profile)
    assert (result.kind, result.verdict.step) == ("ENOEXEC", "apply_relocate_add")


def test_32s_overflow_is_enoexec(profile):
    # An absolute 32-bit reference to a module address (0xffffffffc...) fits 32S; one to
    # address + 2^32 does not.
    result = load(corrupt("32S overflow"), profile=profile)
    assert result.kind == "ENOEXEC" and "overflow" in result.verdict.reason


def test_nonzero_relocation_target_is_enoexec(profile):
    result = load(corrupt("nonzero relocation target"), profile=profile)
    assert result.kind == "ENOEXEC" and "nonzero" in result.verdict.reason


def test_rel_sections_are_unsupported(profile):
    result = load(corrupt("SHT_REL section"), profile=profile)
    assert (result.kind, result.verdict.step) == ("ENOEXEC", "apply_relocate")


def test_writable_executable_section_is_enoexec(profile):
    result = load(corrupt("writable text"), profile=profile)
    assert result.kind == "ENOEXEC" and "WRITE|EXEC" in result.verdict.reason


def test_blacklisted_module_is_eperm(profile):
    assert load(HELLO, profile=profile, blacklist=("hello",)).kind == "EPERM"


def test_modules_disabled_is_eperm(profile):
    assert load(HELLO, profile=profile, modules_disabled=True).kind == "EPERM"


def test_unknown_flags_are_einval(profile):
    assert load(HELLO, profile=profile, flags=8).kind == "EINVAL"


def test_compressed_flag_without_decompress_support(profile):
    assert load(HELLO, profile=profile, flags=4).kind == "EOPNOTSUPP"


def test_failing_init_returns_its_errno_and_leaves_nothing(profile):
    kernel = Kernel(profile)
    before = snapshot(kernel)
    result = finit_module(kernel, HELLO, init_result=-errno.ENODEV)
    assert (result.kind, result.verdict.step) == ("ENODEV", "do_init_module")
    assert snapshot(kernel) == before


def test_percpu_overflow_is_enomem(profile):
    data = patch.rename_section(HELLO, ".note.gnu.build-id", ".data..percpu")
    data = patch.set_shdr(data, ".data..percpu", sh_type=C.SHT_NOBITS, sh_size=1 << 20,
                          sh_flags=C.SHF_ALLOC | C.SHF_WRITE)
    result = load(data, profile=profile)
    assert (result.kind, result.verdict.step) == ("ENOMEM", "percpu_modalloc")


def test_module_signature_struct_is_twelve_bytes():
    assert MODULE_SIGNATURE.size == 12 and struct.calcsize(">I") == 4


def test_a_module_exporting_one_name_twice_loads_in_61_only():
    """6.1's verify_exported_symbols skips the loading module itself (still UNFORMED)."""
    name_field = 4   # struct kernel_symbol {value_offset, name_offset, namespace_offset}

    def name_reloc(data, section):
        return next(i for i, (off, _info, _a) in enumerate(patch.relocations(data, section)) if off == name_field)

    _off, info, addend = patch.relocations(HELLO, ".rela__ksymtab")[name_reloc(HELLO, ".rela__ksymtab")]
    # __ksymtab_gpl's only export now names the same string as __ksymtab's: hello_greet twice.
    data = patch.set_relocation(HELLO, ".rela__ksymtab_gpl", name_reloc(HELLO, ".rela__ksymtab_gpl"),
                                info=info, addend=addend)
    kernel = Kernel("linux-6.1")
    before = invariants.snapshot(kernel)
    loaded = finit_module(kernel, data)
    assert loaded.ok and [e.name for e in loaded.module.exports] == ["hello_greet", "hello_greet"]
    # What the real kernel does is no invariant violation of the faithful profile...
    assert invariants.check_attempt(kernel, before, loaded, len(data)) == []
    # ...but another module exporting the same name is.
    other = finit_module(kernel, seed_bytes("initexit")).module
    other.exports.append(dataclasses.replace(loaded.module.exports[0], owner=other.name))
    violations = invariants.check_duplicate_exports(kernel, "test")
    assert [str(v) for v in violations] == ["duplicate-export after test: hello_greet exported by hello and initexit"]
    result = load(data, profile="hardened")
    assert (result.kind, result.verdict.check) == ("ENOEXEC", "validate_ksymtab")
    assert "b'hello_greet' exported twice" in result.verdict.reason


# --- facts the qemu oracle measured on Debian's 6.1.192 (`lkmfuzz oracle diff`) ---------

def test_a_symbol_missing_from_versions_is_einval(profile):
    data = corrupt("symbol missing from __versions")
    result = load(data, profile=profile)
    assert (result.kind, result.verdict.step) == ("EINVAL", "simplify_symbols")


def test_a_symbol_section_index_past_the_table_is_enoexec(profile):
    result = load(corrupt("symbol section index 0xff00"), profile=profile)
    assert result.kind == "ENOEXEC" and "invalid section index 65280" in result.verdict.reason


def test_an_init_symbol_name_out_of_range_faults_in_the_ftrace_lookup():
    # Not read by layout_symtab (init symbol) nor simplify_symbols (defined): the first
    # reader is find_kallsyms_symbol(), when ftrace looks its call sites up.
    data = corrupt("init symbol st_name 0x80000000")
    result = load(data, profile="linux-6.1")
    assert result.kind == "kernel-fault" and result.verdict.site == "find_kallsyms_symbol"
    assert load(data, profile="hardened").kind == "ENOEXEC"


def test_an_unterminated_module_name_is_a_fortify_panic():
    data = corrupt("unterminated module name")
    result = load(data, profile="linux-6.1")
    assert result.kind == "kernel-fault" and result.verdict.site == "add_unformed_module"
    assert load(data, profile="hardened").kind == "ENOEXEC"


# --- 6.1 uses the whole struct module the file brings (loader/modstruct.py) -------------------

def test_the_layout_counts_on_from_the_files_core_size():
    data = corrupt("struct module core_layout.size 64 MiB")
    result = load(data, profile="linux-6.1")
    plain = load(HELLO, profile="linux-6.1")
    assert result.ok and result.module.mem["core"].size == plain.module.mem["core"].size + (64 << 20)
    assert load(data, profile="hardened").verdict.check == "validate_struct_module_fields"


def test_a_core_size_past_the_machines_memory_is_enomem():
    data = corrupt("struct module core_layout.size 3 GiB")
    result = load(data, profile="linux-6.1")
    assert (result.kind, result.verdict.step) == ("ENOMEM", "move_module")
    assert load(data, profile="hardened").verdict.check == "validate_struct_module_fields"


def test_license_taints_come_before_allocation_in_61_and_after_listing_later():
    # 6.1's check_modinfo() taints the kernel P before layout_and_allocate(); later kernels
    # (module_augment_kernel_taints) once the module is listed: not for a load refused in
    # between.
    data = patch.replace_in_section(HELLO, ".modinfo", b"license=GPL", b"license=BSD")
    no_memory = FaultPlan(sites=frozenset({"module_alloc"}))
    faithful, later = Kernel("linux-6.1"), Kernel("hardened")
    assert finit_module(faithful, data, fault_plan=no_memory).kind == "ENOMEM"
    assert finit_module(later, data, fault_plan=no_memory).kind == "ENOMEM"
    assert faithful.taint & 1 << T.TAINT_PROPRIETARY_MODULE and not later.taint & 1 << T.TAINT_PROPRIETARY_MODULE
    assert finit_module(later, data).ok and later.taint & 1 << T.TAINT_PROPRIETARY_MODULE


def test_the_files_taint_bits_are_the_modules(profile):
    result = load(corrupt("struct module taints P"), profile=profile)
    assert result.ok and result.module.taint_letters == "POE"


def test_the_files_klp_keeps_every_symbol_in_kallsyms(profile):
    result = load(corrupt("struct module klp set"), profile=profile)
    names = {name for name, _value, _type in result.module.kallsyms}
    assert result.ok and result.module.livepatch and "_printk" in names
    assert "_printk" not in {name for name, _value, _type in load(HELLO, profile=profile).module.kallsyms}


def test_the_files_percpu_pointer_reaches_free_percpu_on_the_error_path():
    data = corrupt("struct module percpu set, bad param")
    result = load(data, "myint=abc", profile="linux-6.1")
    assert (result.kind, result.verdict.site) == ("kernel-fault", "free_percpu"), str(result)
    assert "free_module" in result.unwound and "free_copy" in result.unwound
    assert (load(data, profile="hardened").verdict.check) == "validate_struct_module_fields"


def test_the_kernels_taint_write_lands_on_what_the_struct_overlaps():
    # The struct moved onto __versions: set_bit(TAINT_OOT_MODULE) flips a bit of a CRC.
    result = load(corrupt("struct module over a __versions crc"), profile="linux-6.1")
    assert (result.kind, result.verdict.step) == ("EINVAL", "simplify_symbols")
    assert "param_ops_invbool" in result.verdict.reason


def test_a_short_this_module_leaves_the_moved_struct_without_its_bases():
    result = load(corrupt("this_module size 0x100"), profile="linux-6.1")
    assert (result.kind, result.verdict.site) == ("kernel-fault", "add_kallsyms"), str(result)


def test_a_param_ops_pointer_to_nowhere_faults_in_destroy_params():
    # A relocation left half a pointer in mybyte's ops; myint=abc fails, and the error
    # path's destroy_params() reads ops->free of every parameter.
    data = corrupt("param ops relocated 32S, bad param")
    result = load(data, "myint=abc", profile="linux-6.1")
    assert (result.kind, result.verdict.site) == ("kernel-fault", "destroy_params"), str(result)
    assert load(data, "myint=5", profile="linux-6.1").ok


def test_a_struct_laid_out_in_init_memory_is_read_after_init_is_freed():
    # .symtab's sh_link names .gnu.linkonce.this_module: layout_symtab() moves it to init
    # memory; on the error path module_deallocate() frees init, then reads core_layout.base.
    result = load(corrupt("symtab strtab link to this_module"), profile="linux-6.1")
    assert (result.kind, result.verdict.site) == ("kernel-fault", "module_deallocate"), str(result)


def test_a_kept_name_past_the_strtab_is_read_from_init_memory_by_add_kallsyms():
    # The file's zero slack gives layout_symtab() an empty name; strscpy() reads the
    # string table's copy in init memory, and past it.
    result = load(corrupt("null symbol st_name 0x2000"), profile="linux-6.1")
    assert (result.kind, result.verdict.site) == ("kernel-fault", "add_kallsyms"), str(result)


def test_an_init_pointer_into_kernel_text_is_called_not_a_fault():
    # mod->init relocated against a kernel function (an undefined symbol the kernel
    # exports): mapped code, run like the module's own; hardened refuses it.
    data = patch.set_relocation(HELLO, ".rela.gnu.linkonce.this_module", 0,
                                info=(patch.symbol_index(HELLO, "_printk") << 32) | C.R_X86_64_64)
    assert load(data, profile="linux-6.1").ok
    assert load(data, profile="hardened").kind == "ENOEXEC"


def test_a_patch_site_in_the_kernel_image_is_mapped_code():
    # The qemu oracle (oracle diff --seed 43, initexit mutant 355): a .return_sites entry
    # relocated against jiffies makes apply_returns() decode the kernel's own bytes, and
    # the module loads.  Anywhere unmapped the same read faults.  Hardened refuses both.
    initexit = seed_bytes("initexit")
    r_offset, r_info, addend = patch.relocations(initexit, ".rela.return_sites")[0]
    into_kernel = patch.set_relocation(initexit, ".rela.return_sites", 0,
                                       info=(patch.symbol_index(initexit, "jiffies") << 32) | (r_info & 0xFFFFFFFF))
    assert load(into_kernel, profile="linux-6.1").ok
    nowhere = patch.set_relocation(initexit, ".rela.return_sites", 0, addend=addend + (1 << 30))
    assert load(nowhere, profile="linux-6.1").kind == "kernel-fault"
    for data in (into_kernel, nowhere):
        assert load(data, profile="hardened").verdict.check == "validate_patch_sites"


@pytest.mark.parametrize("case, args", [("param ops relocated 32S, bad param", "myint=abc"),
                                        ("struct module percpu set, bad param", "myint=abc"),
                                        ("symtab strtab link to this_module", "")])
def test_a_fault_on_the_error_path_still_runs_every_label(profile, case, args):
    # The model must not leak what the labels after the fault would have undone.
    result = execute(TestCase(module=corrupt(case), args=args, profile="linux-6.1"))  # raises Finding on a leak
    assert result.kind == "kernel-fault"
    assert execute(TestCase(module=corrupt(case), args=args, profile=profile)).kind != "loaded"


def test_a_read_past_the_guard_page_is_a_wild_access_a_far_one_a_fault():
    """Issue 19: the copy is vmalloc'd; past its guard page lies what vmalloc placed next,
    often mapped (6.12 read a symbol name 52 KB past a 7 KB copy and went on).  Near: the
    outcome is unknown (wild-access); on the guard page or 2 GiB away: a certain fault."""
    from lkmfuzz.elf.reader import WILD_REACH
    from lkmfuzz.errors import KernelFault, WildAccess
    strtab = patch.shdrs(HELLO)[patch.section_index(HELLO, ".strtab")]
    past_copy = len(HELLO) + (-len(HELLO)) % 4096 - strtab.sh_offset     # st_name at the copy's last page end
    verdicts = {}
    for what, st_name in (("guard page", past_copy + 8), ("beyond it", past_copy + 4096 + 52_000),
                          ("2 GiB away", 0x80000000), ("past the reach", past_copy + 4096 + WILD_REACH)):
        verdicts[what] = finit_module(Kernel("linux-6.1"), patch.set_symbol(HELLO, "hello_greet", st_name=st_name))
    assert type(verdicts["beyond it"].verdict) is WildAccess and verdicts["beyond it"].kind == "wild-access"
    for what in ("guard page", "2 GiB away", "past the reach"):
        assert type(verdicts[what].verdict) is KernelFault, (what, str(verdicts[what]))
    hardened = finit_module(Kernel("hardened-minus-elf_validity_cache_strtab"),
                            patch.set_symbol(HELLO, "hello_greet", st_name=past_copy + 4096 + 52_000))
    assert hardened.kind == "unvalidated-access", "hardened has no nuance: a missing check"


@pytest.mark.parametrize("profile", ["linux-6.1", "linux-6.12"])
def test_a_livepatch_relocation_section_must_be_named_klp_rela(profile):
    """klp_apply_section_relocs(): SHF_RELA_LIVEPATCH on a section not named
    .klp.rela.OBJ.SEC is EINVAL (the real 6.12 on a byte mutant of arrparam)."""
    seed = HELLO if profile == "linux-6.1" else (Path(__file__).resolve().parent.parent / "corpus" / "linux-6.12"
                                                 / "hello.ko").read_bytes()
    flags = patch.shdrs(seed)[patch.section_index(seed, ".rela.init.text")].sh_flags
    marked = patch.set_shdr(seed, ".rela.init.text", sh_flags=flags | C.SHF_RELA_LIVEPATCH)
    result = finit_module(Kernel(profile), marked)
    assert result.kind == "EINVAL" and result.verdict.step == "klp_apply_section_relocs", str(result)
    other_object = patch.rename_section(marked, ".rela.init.text", ".klp.rela.ext.x")
    assert finit_module(Kernel(profile), other_object).ok, "applied when ext loads, not now"
