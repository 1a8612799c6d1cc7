"""Property-based suite over generated modules, corruptions and parameter strings,
with differential checks against pyelftools, LIEF and GNU ld."""

import io
import shutil
import subprocess

import pytest
from conftest import DEPENDS, SEEDS, seed_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lkmfuzz import properties
from lkmfuzz.elf import constants as C
from lkmfuzz.elf.model_reader import read_model
from lkmfuzz.elf.writer import write_elf
from lkmfuzz.kernel.kernel import Kernel
from lkmfuzz.kernel.lib.cmdline import next_arg
from lkmfuzz.loader import finit_module
from lkmfuzz.properties import (
    corrupted_module_gives_a_verdict,
    hardened_is_stricter,
    valid_module_loads_and_unloads,
)
from lkmfuzz.strategies import corrupted_modules, modules, param_strings

SLOW = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SLOW
@given(modules())
def test_generated_modules_load_relocate_as_predicted_and_unload_cleanly(m):
    valid_module_loads_and_unloads(m.data)


@SLOW
@given(modules(profile="linux-6.1"))
def test_generated_modules_load_on_the_faithful_profile_too(m):
    valid_module_loads_and_unloads(m.data, "linux-6.1")


@SLOW
@given(corrupted_modules(), st.sampled_from(["hardened", "linux-6.1"]))
def test_corrupted_modules_only_give_verdicts_and_leave_no_trace(case, profile):
    data, _base, _ops = case
    corrupted_module_gives_a_verdict(data, profile)


@SLOW
@given(corrupted_modules())
def test_hardened_never_accepts_what_linux_61_refuses_or_crashes_on(case):
    hardened_is_stricter(case[0])


@SLOW
@given(modules())
def test_writer_reader_round_trip_is_exact(m):
    assert write_elf(read_model(m.data)) == m.data


@SLOW
@given(modules())
def test_pyelftools_and_lief_agree_with_what_the_loader_loaded(m):
    import lief
    from elftools.elf.elffile import ELFFile
    result = finit_module(Kernel(), m.data)
    assert result.ok
    elf = ELFFile(io.BytesIO(m.data))
    ours = {s.name: len(s.data) if s.type != C.SHT_NOBITS else s.size for s in m.model.sections}
    theirs = {s.name: s.header.sh_size for s in elf.iter_sections()}
    assert all(theirs[name] == size for name, size in ours.items())
    symtab = elf.get_section_by_name(".symtab")
    named = {s.name: s for s in symtab.iter_symbols() if s.name}
    for sym in m.model.symbols:
        assert sym.name in named
        if sym.section == C.SHN_ABS:
            assert named[sym.name]["st_value"] == sym.value
    relocs = {s.name: [(r["r_offset"], r["r_info_type"], r["r_addend"]) for r in s.iter_relocations()]
              for s in elf.iter_sections() if s.header.sh_type == "SHT_RELA"}
    for target, rs in m.model.relocs.items():
        assert relocs[".rela" + target] == [(r.offset, r.type, r.addend) for r in rs]
    lief.logging.disable()
    binary = lief.ELF.parse(list(m.data))
    assert {s.name for s in binary.sections} >= set(ours)
    assert {s.name for s in binary.symbols} >= {s.name for s in m.model.symbols}
    assert len(binary.object_relocations) == sum(len(rs) for rs in m.model.relocs.values())


def kernel_next_arg(args: str):
    """lib/cmdline.c next_arg(), transcribed literally over a NUL-terminated buffer
    (the caller has already skip_spaces()d ``args``)."""
    buf = list(args) + ["\0"]
    start = i = equals = 0
    in_quote = quoted = False
    if buf[0] == '"':
        start, in_quote, quoted = 1, True, True

    def at(k):
        return buf[start + k]

    while at(i) != "\0":
        if at(i) in " \t\n\v\f\r\xa0" and not in_quote:
            break
        if equals == 0 and at(i) == "=":
            equals = i
        if at(i) == '"':
            in_quote = not in_quote
        i += 1
    val_start = None
    if equals:
        buf[start + equals] = "\0"
        val_start = start + equals + 1
        if buf[val_start] == '"':
            val_start += 1
            if at(i - 1) == '"':
                buf[start + i - 1] = "\0"
    if quoted and i > 0 and at(i - 1) == '"':
        buf[start + i - 1] = "\0"
    rest = start + i
    if at(i) != "\0":
        buf[start + i] = "\0"
        rest += 1

    def cstr(k):
        return "".join(buf[k:buf.index("\0", k)])

    return cstr(start), (cstr(val_start) if val_start is not None else None), cstr(rest).lstrip(" \t\n\v\f\r\xa0")


# Quotes, '=' and blanks packed close together: where next_arg()'s cases meet.
quote_heavy = st.text(alphabet='ab="= \t\xa0', max_size=30)


@settings(max_examples=600)
@given(st.one_of(param_strings(), quote_heavy))
def test_next_arg_matches_a_direct_transcription(text):
    args = text.lstrip(" \t\n\v\f\r\xa0")
    if not args:
        return
    param, val, rest = next_arg(args)
    k_param, k_val, k_rest = kernel_next_arg(args)
    assert (param, val) == (k_param, k_val)
    assert rest.lstrip(" \t\n\v\f\r\xa0") == k_rest


@pytest.mark.skipif(shutil.which("ld") is None, reason="GNU ld (binutils) is not installed: apt-get install binutils")
@SLOW
@given(modules())
def test_relocated_bytes_equal_what_gnu_ld_produces(tmp_path_factory, m):
    """Link the same object with ld at the loader's section addresses, kernel symbols
    defined at the model's addresses, and compare .text and .data byte for byte."""
    kernel = Kernel()
    result = finit_module(kernel, m.data)
    assert result.ok
    mod = result.module
    order = [s.name for s in m.model.sections]
    addr = {name: mod.section_addrs[i + 1] for i, name in enumerate(order) if i + 1 in mod.section_addrs}
    # .modinfo and __versions are allocated sections the loader does not load: out of the way.
    unplaced = {name: 0x1000000 * (k + 1) for k, name in enumerate(n for n in order if n not in addr)}
    tmp = tmp_path_factory.mktemp("ld")
    (tmp / "m.o").write_bytes(m.data)
    cmd = ["ld", "-o", str(tmp / "m.elf"), "-e", "0", "--no-relax", "-z", "noexecstack", "-z", "norelro"]
    cmd += [f"--section-start={name}={address:#x}" for name, address in {**addr, **unplaced}.items()]
    cmd += [f"--defsym={n}={kernel.symbols.get(n).addr:#x}" for n in m.imports]
    cmd.append(str(tmp / "m.o"))
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    from elftools.elf.elffile import ELFFile
    with open(tmp / "m.elf", "rb") as f:
        linked = ELFFile(f)
        for name in (".text", ".data"):
            section = linked.get_section_by_name(name)
            if section is None or not section.header.sh_size:
                continue
            memory = kernel.alloc.space.read(addr[name], section.header.sh_size)
            assert section.data() == memory, f"{name} differs from ld's output"


def test_a_property_failure_is_saved_and_replayed_by_repro(tmp_path, monkeypatch, capsys):
    from conftest import seed_bytes

    from lkmfuzz import properties
    from lkmfuzz.cli import main
    from lkmfuzz.findings import store
    data = seed_bytes("initexit")                      # has __ro_after_init data
    for where in ("lkmfuzz.loader.main", "lkmfuzz.loader.init"):   # a loader bug: no page protections
        monkeypatch.setattr(f"{where}.module_enable_protections", lambda mod, after_init=False: None)
    with pytest.raises(AssertionError):
        properties.check_property("corrupted_module_gives_a_verdict", data, "hardened", crashes=tmp_path)
    [crash] = store.list_findings(tmp_path)
    assert main(["repro", str(crash)]) == 1
    assert capsys.readouterr().out.startswith("reproduces: property corrupted_module_gives_a_verdict")
    monkeypatch.undo()
    assert main(["repro", str(crash)]) == 0
    assert "does not reproduce" in capsys.readouterr().out


@pytest.mark.parametrize("seed", SEEDS)
def test_the_documented_property_holds_on_every_corpus_seed(seed):
    """Issue 19: check_property("valid_module_loads_and_unloads", hello.ko) raised KeyError
    (a relocation against a symbol the model names by index) and was saved as a failure;
    the relocations are now predicted from the file itself, for every real module."""
    data = seed_bytes(seed)
    if seed in DEPENDS:
        pytest.skip(f"{seed} needs {DEPENDS[seed]} loaded first; the property loads on an empty kernel")
    properties.check_property("valid_module_loads_and_unloads", data)
    kernel = Kernel("hardened")
    predicted = properties.expected_relocations(kernel, finit_module(kernel, data).module, data)
    assert len(predicted) > 5    # the relocations of core sections were all checked


def test_hardened_is_stricter_says_when_hardened_faults_too(monkeypatch):
    """Both profiles predicting a fault is a failed property with a message, not an
    AttributeError on the fault's missing ``check``."""
    from lkmfuzz.errors import KernelFault
    from lkmfuzz.loader.main import LoadResult
    monkeypatch.setattr(properties, "finit_module", lambda kernel, data: LoadResult(KernelFault("f", "a read")))
    with pytest.raises(AssertionError, match="hardened neither loads nor refuses what crashes linux-6.1"):
        properties.hardened_is_stricter(b"")
