"""Issue 18: every command that printed a traceback now prints one line on stderr and
exits 2; parameters are bytes end to end; `load` reads only regular files."""

import json
import os
import subprocess
import sys

import pytest
from conftest import CORPUS, ROOT, seed_bytes

from lkmfuzz.abi.types import U64
from lkmfuzz.cli import EXIT_CODES, KERNEL_READ_MAX, main
from lkmfuzz.findings import store
from lkmfuzz.kernel.kernel import Kernel
from lkmfuzz.loader import finit_module, init_module

HELLO = str(CORPUS / "hello.ko")


def run(*argv, **kw):
    """The CLI as a user runs it: argv as bytes (the shell passes bytes, not text)."""
    proc = subprocess.run([sys.executable, "-m", "lkmfuzz", *argv], capture_output=True, timeout=120, **kw)
    return proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")


def one_line_error(code, err, message=""):
    assert code == 2, (code, err)
    assert err.count("\n") == 1 and "Traceback" not in err and message in err, err


def call(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    return code, capsys.readouterr().err


def charp(result, kernel, name="mycharp") -> bytes:
    param = {p.name: p for p in result.module.params}[name]
    return kernel.alloc.space.cstring(kernel.alloc.space.unpack(U64, param.arg)[0])


# ------------------------------------------------------------- parameters are bytes

@pytest.mark.parametrize("arg, value", [
    ("mycharp=€".encode(), "€".encode()),
    (b"mycharp=\xff", b"\xff"),
    (b"mycharp=\xe9t\xe9", b"\xe9t\xe9"),
])
def test_cli_params_reach_the_module_as_the_bytes_the_shell_passed(arg, value):
    code, out, err = run("load", HELLO, os.fsdecode(arg), "--trace")
    assert (code, out.splitlines()[0], err) == (0, "loaded hello", "")


@pytest.mark.parametrize("args, value", [
    (b"mycharp=\xff\x80", b"\xff\x80"),
    ("mycharp=€", "€".encode()),                  # a str is encoded as UTF-8
    ("mycharp=\udcff", b"\xff"),                  # os.fsdecode's escape: back to the byte
    (bytearray(b"mycharp=ok"), b"ok"),
])
def test_finit_and_init_module_take_str_or_bytes(args, value):
    for syscall in (finit_module, init_module):
        kernel = Kernel()
        result = syscall(kernel, seed_bytes("hello"), args)
        assert result.ok, str(result)
        assert charp(result, kernel) == value


@pytest.mark.parametrize("command", ["load", "faults"])
def test_non_latin1_params_through_load_and_faults_exit_zero(command):
    for arg in ("mycharp=€", os.fsdecode(b"mycharp=\xff")):
        code, out, err = run(command, HELLO, arg)
        assert code == 0 and err == "", (command, arg, code, err)


def test_oracle_case_args_go_to_the_initramfs_as_bytes():
    from lkmfuzz.oracle.cases import oracle_case
    from lkmfuzz.oracle.initramfs import _Files, manifest_lines

    class Cpio:
        def __init__(self):
            self.files = {}

        def file(self, name, data, executable=False):
            self.files[name] = data
    cpio = Cpio()
    manifest_lines(0, oracle_case("x", b"m", os.fsencode(os.fsdecode(b"mycharp=\xff"))), _Files(cpio))
    manifest_lines(1, oracle_case("y", b"m", "mycharp=€"), _Files(cpio))
    assert sorted(v for k, v in cpio.files.items() if k.endswith(".args")) == sorted(
        [b"mycharp=\xff\0", "mycharp=€".encode() + b"\0"])


# ------------------------------------------------------------- files the kernel would not read

def test_load_of_a_device_is_einval_and_reads_nothing():
    code, out, err = run("load", "/dev/zero")
    assert (code, out.strip(), err) == (1, "EINVAL (kernel_read_file: not a regular file)", "")


def test_load_of_a_fifo_is_einval(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    code, out, _ = run("load", str(fifo))
    assert code == 1 and out.startswith("EINVAL (kernel_read_file: not a regular file)")


def test_a_file_larger_than_int_max_is_efbig(tmp_path):
    big = tmp_path / "big.ko"
    with open(big, "wb") as f:            # sparse: costs no disk
        f.truncate(KERNEL_READ_MAX + 1)
    code, out, _ = run("load", str(big))
    assert code == 1 and out.startswith("EFBIG (kernel_read_file: ")


@pytest.mark.parametrize("argv", [["info", "/dev/zero"], ["faults", "/dev/zero"],
                                  ["load", HELLO, "--preload", "/dev/zero"]])
def test_other_readers_refuse_a_device_in_one_line(argv, capsys):
    code, err = call(argv, capsys)
    one_line_error(code, err, "cannot read /dev/zero: not a regular file")


# ------------------------------------------------------------- crash directories

@pytest.fixture
def crash(tmp_path):
    case = json.loads(json.dumps({"args": "", "fault_plan": {}, "profile": "hardened"}))
    return store.record(tmp_path / "crashes", "t", "exception", "load", "s", "d", seed_bytes("hello"), case)


@pytest.mark.parametrize("command, message", [("repro", "is a raw fuzzer input: name the target"),
                                              ("minimize", "not a crash directory")])
def test_repro_and_minimize_on_a_file_are_one_line(command, message, capsys):
    """repro takes a raw fuzzer input with --target (and says so without it); minimize
    takes crash directories only."""
    code, err = call([command, HELLO], capsys)
    one_line_error(code, err, message)


@pytest.mark.parametrize("field, value, message", [
    ("config", [], "'config' is [], expected dict"),
    ("args", 123, "'args' is 123, expected str"),
    ("args", "€", "above U+00FF"),
    ("flags", "x", "'flags' is \"x\", expected int"),
    ("profile", "linux-9", "unknown profile"),
    ("config", {"bogus": 1}, "unknown config switch"),
    ("trusted", [1], "'trusted' must be a list of hex strings"),
])
@pytest.mark.parametrize("command", ["repro", "minimize", "triage"])
def test_wrong_typed_testcase_json_is_one_line(crash, capsys, command, field, value, message):
    meta = json.loads((crash / "testcase.json").read_text())
    meta[field] = value
    (crash / "testcase.json").write_text(json.dumps(meta))
    code, err = call([command, str(crash.parent if command == "triage" else crash)], capsys)
    one_line_error(code, err, message)


def test_testcase_json_in_another_encoding_is_one_line(crash, capsys):
    (crash / "testcase.json").write_bytes(b'{"args": "\xff"}')
    code, err = call(["repro", str(crash)], capsys)
    one_line_error(code, err, "not UTF-8")


def test_triage_reruns_zero_is_a_usage_error(crash, capsys):
    code, err = call(["triage", str(crash.parent), "--reruns", "0"], capsys)
    one_line_error(code, err, "--reruns must be at least 1")


def _unwritable(monkeypatch):
    """Root ignores permission bits: make creating any file fail as on a read-only folder."""
    from pathlib import Path

    def touch(self, *a, **kw):
        raise PermissionError(13, "Permission denied", str(self))
    monkeypatch.setattr(Path, "touch", touch)


def test_triage_on_a_read_only_crash_folder_is_one_line_before_any_rerun(crash, capsys, monkeypatch):
    from lkmfuzz.triage import report
    reruns = []
    monkeypatch.setattr(report, "triage_one", lambda *a: reruns.append(a))
    _unwritable(monkeypatch)
    code, err = call(["triage", str(crash.parent)], capsys)
    one_line_error(code, err, "cannot write into")
    assert reruns == []


def test_minimize_on_a_read_only_crash_folder_is_one_line(crash, capsys, monkeypatch):
    _unwritable(monkeypatch)
    code, err = call(["minimize", str(crash)], capsys)
    one_line_error(code, err, "cannot write into")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_triage_on_a_chmod_read_only_folder(crash, capsys):
    os.chmod(crash.parent, 0o555)
    try:
        code, err = call(["triage", str(crash.parent)], capsys)
    finally:
        os.chmod(crash.parent, 0o755)
    one_line_error(code, err, "cannot write into")


# ------------------------------------------------------------- plot

def _write(path, data):
    path.write_bytes(data)
    return path


def _stats(tmp_path, **changes):
    stats = {"target": "load", "structured": True, "execs": 10, "cov": 5, "corpus": 3, "crashes": 0,
             "series": [[1.0, 10, 5, 3, 0]]}
    stats.update(changes)
    path = tmp_path / "stats.json"
    path.write_text(json.dumps(stats))
    return path


@pytest.mark.parametrize("make, message", [
    (lambda p: p, "cannot read"),                                           # a directory
    (lambda p: _write(p / "s", b"\xff\xfe{"), "not UTF-8"),
    (lambda p: _stats(p, series=[["a", 1, 2, 3, 4]]), "series row 0"),
    (lambda p: _stats(p, series=[[1, 2]]), "series row 0"),
    (lambda p: _stats(p, series="x"), "no time series"),
    (lambda p: _stats(p, execs="many"), "'execs' is missing or not a number"),
    (lambda p: _write(p / "s", b"[1, 2]"), "no time series"),
])
def test_plot_of_bad_stats_is_one_line(tmp_path, capsys, make, message):
    code, err = call(["plot", str(make(tmp_path)), "-o", str(tmp_path / "out")], capsys)
    one_line_error(code, err, message)


def test_plot_into_a_missing_folder_is_one_line(tmp_path, capsys):
    code, err = call(["plot", str(_stats(tmp_path)), "-o", str(tmp_path / "no" / "such" / "out")], capsys)
    one_line_error(code, err, "does not exist")


# ------------------------------------------------------------- fuzz and oracle outputs

def test_fuzz_crashes_naming_a_file_is_one_line(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    code, err = call(["fuzz", str(CORPUS), "--time", "5", "--crashes", str(afile), "--work", str(tmp_path / "w")],
                     capsys)
    one_line_error(code, err, "--crashes: cannot write into")


def test_fuzz_work_on_a_read_only_path_is_one_line(tmp_path, capsys):
    code, err = call(["fuzz", str(CORPUS), "--time", "5", "--crashes", str(tmp_path / "c"),
                      "--work", "/proc/lkmfuzz-work"], capsys)
    one_line_error(code, err, "--work: cannot write into /proc/lkmfuzz-work")


@pytest.mark.parametrize("command", ["run", "diff"])
def test_oracle_json_to_an_unwritable_path_fails_before_booting(tmp_path, capsys, monkeypatch, command):
    from lkmfuzz import cli
    booted = []
    monkeypatch.setattr(cli, "_run_on_kernel", lambda *a: booted.append(a))
    code, err = call(["oracle", command, HELLO, "--json", "/proc/no/such.json"], capsys)
    one_line_error(code, err, "--json /proc/no/such.json")
    code, err = call(["oracle", command, HELLO, "--json", str(tmp_path)], capsys)
    one_line_error(code, err, "is a directory")
    assert booted == []


# ------------------------------------------------------------- whatever is left

def test_an_internal_error_is_one_line_and_exit_two_never_one(monkeypatch, capsys):
    from lkmfuzz import cli

    def broken(args):
        raise RuntimeError("boom")
    monkeypatch.setattr(cli, "cmd_info", broken)
    parser = cli.build_parser
    monkeypatch.setattr(cli, "build_parser", lambda: _with_func(parser(), "info", broken))
    code, err = call(["info", HELLO], capsys)
    one_line_error(code, err, "internal error: RuntimeError: boom")


def _with_func(parser, command, func):
    for action in parser._subparsers._group_actions:
        action.choices[command].set_defaults(func=func)
    return parser


def test_exit_code_table_is_in_help_and_readme():
    code, out, _ = run("--help")
    readme = (ROOT / "README.md").read_text()
    assert code == 0
    for number, text in EXIT_CODES:
        assert f"  {number:<4} {text}" in out
        assert f"| {number} | {text} |" in readme


# ------------------------------------------------------------- one error root, one handler

TOOL_ERRORS = [
    ("lkmfuzz.elf.patch", "PatchError"), ("lkmfuzz.faults", "FaultPlanError"),
    ("lkmfuzz.findings.store", "StoreError"), ("lkmfuzz.fuzzing.campaign", "CampaignError"),
    ("lkmfuzz.fuzzing.ossfuzz", "BuildError"), ("lkmfuzz.kernel.keyring", "KeyringError"),
    ("lkmfuzz.kernel.profile", "ProfileError"), ("lkmfuzz.kernel.symbols", "SymversError"),
    ("lkmfuzz.oracle.cases", "CaseError"), ("lkmfuzz.oracle.kit", "OracleSetupError"),
    ("lkmfuzz.oracle.qemu", "OracleRunError"), ("lkmfuzz.plot", "PlotError"), ("lkmfuzz.sign", "SignError"),
    ("lkmfuzz.systematic", "BaselineError"), ("lkmfuzz.triage.report", "ArtifactError"),
    ("lkmfuzz.errors", "UsageError"),
]


@pytest.mark.parametrize("module, name", TOOL_ERRORS)
def test_a_tool_error_raised_anywhere_is_one_line_and_exit_2(module, name, capsys, monkeypatch):
    """main() catches LkmfuzzError once: no command needs its own except/raise UsageError."""
    import importlib

    from lkmfuzz import cli
    error = getattr(importlib.import_module(module), name)

    def fails(args):
        raise error(f"{name} says what is wrong")
    monkeypatch.setattr(cli, "cmd_info", fails)
    code, err = call(["info", HELLO], capsys)
    one_line_error(code, err, f"lkmfuzz: error: {name} says what is wrong")


def test_verdicts_are_not_tool_errors():
    from lkmfuzz.errors import KernelFault, LkmfuzzError, LoadError, UnvalidatedAccess, Verdict
    assert not any(issubclass(v, LkmfuzzError) for v in (Verdict, LoadError, KernelFault, UnvalidatedAccess))
