"""The CLI verdict contract that scripts parse, and one-line errors for bad input."""

import re
import subprocess
import sys

import pytest
from conftest import CORPUS

from lkmfuzz.cli import main


def run(*argv):
    proc = subprocess.run([sys.executable, "-m", "lkmfuzz", *argv], capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def test_load_prints_loaded_name_and_exits_zero():
    code, out, err = run("load", str(CORPUS / "hello.ko"), "myint=5")
    assert (code, out.splitlines()[0], err) == (0, "loaded hello", "")


def test_refusal_prints_errno_first_and_exits_one():
    code, out, _ = run("load", str(CORPUS / "consumer.ko"))
    assert code == 1 and out.startswith("ENOENT (simplify_symbols: ")


def test_kernel_fault_verdict_exits_three(tmp_path):
    from lkmfuzz.elf import patch
    data = (CORPUS / "hello.ko").read_bytes()
    # A relocation whose symbol index is far past the symbol table: 6.1 reads wild memory.
    r_offset, r_info, addend = patch.relocations(data, ".rela.text")[0]
    bad = tmp_path / "bad.ko"
    bad.write_bytes(patch.set_relocation(data, ".rela.text", 0, info=(0x7FFFFFF << 32) | (r_info & 0xFFFFFFFF)))
    code, out, _ = run("load", str(bad), "--profile", "linux-6.1")
    assert code == 3 and out.startswith("kernel-fault (apply_relocate_add: ")
    code, out, _ = run("load", str(bad))
    assert code == 1 and out.startswith("ENOEXEC (validate_rela_symbols: ")


def test_trace_lists_every_step_in_kernel_order():
    code, out, _ = run("load", str(CORPUS / "hello.ko"), "--trace", "--unload")
    steps = [line.strip().split(":")[0] for line in out.splitlines() if line.startswith("  ") and ": " in line]
    assert steps[:3] == ["module_sig_check", "elf_validity_check", "setup_load_info"]
    assert steps.index("simplify_symbols") < steps.index("apply_relocations") < steps.index("do_init_module")
    assert out.splitlines()[-1] == "unloaded hello"


@pytest.mark.parametrize("argv, message", [
    (["load", "/nonexistent.ko"], "cannot read /nonexistent.ko"),
    (["load", str(CORPUS / "hello.ko"), "--flags", "BOGUS"], "unknown flag 'BOGUS'"),
    (["load", str(CORPUS / "hello.ko"), "--profile", "linux-9"], "unknown profile 'linux-9'"),
    (["load", str(CORPUS / "hello.ko"), "--fault-plan", "{bad"], "--fault-plan: fault plan is not valid JSON"),
    (["info", "/nonexistent.ko"], "cannot read /nonexistent.ko"),
    (["load", str(CORPUS / "hello.ko"), "--init-result", "abc"], "invalid int value: 'abc'"),
    (["load"], "the following arguments are required: file"),
    (["nosuchcommand"], "invalid choice: 'nosuchcommand'"),
])
def test_bad_input_is_one_line_on_stderr(capsys, argv, message):
    try:
        code = main(argv)
    except SystemExit as exit_:   # argparse's own errors exit from inside parse_args
        code = exit_.code
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_info_shows_modinfo_versions_and_verdicts():
    code, out, _ = run("info", str(CORPUS / "consumer.ko"))
    assert code == 0
    assert "depends:        hello" in out
    assert "module_layout" in out and "0x9060323f / 0x9060323f" in out
    assert "verdict (hardened-6.1): ENOENT" in out


def test_info_on_garbage_does_not_crash(tmp_path):
    junk = tmp_path / "junk.ko"
    junk.write_bytes(b"\x7fELF" + b"\xff" * 100)
    code, out, err = run("info", str(junk))
    assert code == 0 and "verdict (hardened-6.12): ENOEXEC" in out and err == ""


@pytest.mark.parametrize("argv, time, dirs, flags", [
    (["fuzz", str(CORPUS), "--time", "7", "--", "-max_len=9", "-dict=x"], 7, [str(CORPUS)], ["-max_len=9", "-dict=x"]),
    (["fuzz", "--time", "7", str(CORPUS)], 7, [str(CORPUS)], []),
    (["fuzz", "--time", "7", "--", "-runs=10"], 7, [str(CORPUS)], ["-runs=10"]),   # the bundled corpus
])
def test_fuzz_options_anywhere_and_libfuzzer_flags_after_the_double_dash(monkeypatch, argv, time, dirs, flags):
    from lkmfuzz.fuzzing import campaign
    calls = []
    monkeypatch.setattr(campaign, "run_campaign", lambda target, seconds, jobs, corpus_dirs, *rest: calls.append(
        (seconds, [str(d) for d in corpus_dirs], rest[-1])) or campaign.Stats(target, True))
    monkeypatch.chdir(CORPUS / "src")    # the default is the bundled corpus, wherever the command runs
    assert main(argv) == 0
    assert calls == [(time, dirs, flags)]


def test_fuzz_libfuzzer_flag_without_the_double_dash_is_a_one_line_error():
    code, out, err = run("fuzz", str(CORPUS), "-max_len=9")
    assert code == 2 and out == "" and err.count("\n") == 1 and "unrecognized arguments: -max_len=9" in err


# --- issue 18: CLI friction ------------------------------------------------------------

EXAMPLES = CORPUS.parent / "examples"


def test_parameters_may_follow_options():
    code, out, err = run("load", str(CORPUS / "hello.ko"), "--trace", "mycharp=after", "--unload", "myint=3")
    assert (code, out.splitlines()[0], out.splitlines()[-1], err) == (0, "loaded hello", "unloaded hello", "")
    code, out, err = run("faults", str(CORPUS / "hello.ko"), "--profile", "linux-6.1", "mycharp=x")
    assert code == 0, err
    code, _, err = run("load", str(CORPUS / "hello.ko"), "--trace", "myint=3", "--bogus")
    assert code == 2 and "unrecognized arguments: myint=3 --bogus" in err and err.count("\n") == 1


def test_a_module_signed_by_lkmfuzz_sign_loads_with_sig_enforce_when_its_cert_is_trusted(tmp_path):
    signed = tmp_path / "hello.signed.ko"
    code, _, err = run("sign", str(EXAMPLES / "test-key.pem"), str(EXAMPLES / "test-cert.pem"),
                       str(CORPUS / "hello.ko"), "-o", str(signed))
    assert code == 0, err
    code, out, _ = run("load", str(signed), "--sig-enforce")
    assert code == 1 and out.startswith("EKEYREJECTED (module_sig_check: ")
    for cert in ("test-cert.pem", "test-cert.der"):
        code, out, _ = run("load", str(signed), "--sig-enforce", "--trust", str(EXAMPLES / cert), "myint=3")
        assert (code, out.strip()) == (0, "loaded hello"), cert
    code, _, err = run("load", str(signed), "--trust", str(CORPUS / "hello.ko"))
    assert code == 2 and err.startswith("lkmfuzz: error: --trust ") and err.count("\n") == 1


def test_info_shows_filename_and_signer_like_modinfo_and_honours_profile(tmp_path):
    signed = tmp_path / "s.ko"
    run("sign", str(EXAMPLES / "test-key.pem"), str(EXAMPLES / "test-cert.pem"), str(CORPUS / "hello.ko"),
        "-o", str(signed))
    code, out, _ = run("info", str(signed), "--profile", "linux-6.1")
    lines = out.splitlines()
    assert code == 0 and lines[0] == f"filename:       {signed}"
    assert "signer:         lkmfuzz README test key (public, never trust it outside tests)" in lines
    assert "sig_hashalgo:   sha256" in lines
    assert any(re.fullmatch(r"sig_key:        ([0-9A-F]{2}:)+[0-9A-F]{2}", line) for line in lines)
    assert [line for line in lines if line.startswith("verdict")] == ["verdict (linux-6.1): loaded hello"]
    code, out, _ = run("info", str(signed))
    assert [line.split(":")[0] for line in out.splitlines() if line.startswith("verdict")] == [
        "verdict (linux-6.1)", "verdict (hardened-6.1)", "verdict (linux-6.12)", "verdict (hardened-6.12)"]
    assert "verdict (linux-6.12): ENOEXEC (elf_validity_cache_index_mod:" in out, "a 6.1 build on 6.12"
