"""OSS-Fuzz / ClusterFuzzLite: package data, the $OUT files, raw crash files back into
the store, and (slow) the docker-free build check, a frozen fuzzer's crash replayed,
and a wheel installed outside the checkout."""

import json
import os
import subprocess
import sys
import zipfile
from importlib import resources
from pathlib import Path

import pytest
from conftest import CORPUS, ROOT, seed_bytes
from test_fuzzing import _reloc_past_symtab, plant_seeded_bug

from lkmfuzz.cli import main as cli_main
from lkmfuzz.findings import store
from lkmfuzz.findings.title import exception_title
from lkmfuzz.fuzzing import bundled, campaign, ossfuzz, scenario
from lkmfuzz.triage import report

SUPPORT = Path(__file__).resolve().parent / "support"
SEEDED_TITLE = "struct.error in unpack < apply_relocate_add < apply_relocations"
BUILDER = Path(os.environ.get("LKMFUZZ_CACHE") or Path.home() / ".cache" / "lkmfuzz") / "oss-fuzz-builder"


def test_corpus_and_harness_files_are_package_data_of_the_checkout():
    data = resources.files("lkmfuzz.fuzzing") / "data"
    assert bundled.CORPUS == CORPUS and bundled.HARNESSES == ROOT / "harnesses"
    assert sorted(p.name for p in (data / "corpus").iterdir() if p.name.endswith(".ko")) == \
        sorted(p.name for p in CORPUS.glob("*.ko"))
    assert (data / "harnesses" / "load_fuzzer.options").read_bytes() == \
        (ROOT / "harnesses" / "load_fuzzer.options").read_bytes()
    assert len(scenario.bundled_dependencies()) == len(list(CORPUS.glob("*.ko")))


def test_without_package_data_there_are_no_options_and_no_preloads(tmp_path):
    assert bundled.data_dir("no-such-data") is None
    assert campaign.target_options("load", None) == []
    assert scenario.bundled_dependencies(None) == ()


@pytest.mark.parametrize("target", ["load", "params", "scenario"])
def test_out_gets_seed_zip_dict_and_options_per_target(tmp_path, target):
    assert ossfuzz.main([str(tmp_path), "--targets", target]) == 0
    for suffix in (".dict", ".options"):
        assert (tmp_path / f"{target}_fuzzer{suffix}").read_bytes() == \
            (ROOT / "harnesses" / f"{target}_fuzzer{suffix}").read_bytes()
    seeds = tmp_path / "seeds"
    count = campaign.seed_corpus(target, [CORPUS], seeds)
    with zipfile.ZipFile(tmp_path / f"{target}_fuzzer_seed_corpus.zip") as archive:
        assert sorted(archive.namelist()) == sorted(p.name for p in seeds.iterdir())
        assert len(archive.namelist()) == count > 0
        assert all(archive.read(p.name) == p.read_bytes() for p in seeds.iterdir())


def test_out_files_refuse_an_unknown_target_or_a_missing_directory(tmp_path, capsys):
    assert ossfuzz.main([str(tmp_path), "--targets", "load,nope"]) == 2
    assert ossfuzz.main([str(tmp_path / "absent")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "unknown target 'nope'" in err[0] and "is not a directory" in err[1]


def test_frames_of_a_frozen_binary_give_the_same_title():
    """PyInstaller names frames lkmfuzz/loader/x.py (relative): still project frames."""
    code = compile("def apply_it():\n    raise KeyError(1)\napply_it()\n", "lkmfuzz/loader/fake.py", "exec")
    with pytest.raises(KeyError) as caught:
        exec(code, {})
    assert exception_title(caught.value) == "KeyError in apply_it < <module>"


def _raw_crash(tmp_path) -> Path:
    path = tmp_path / "crash-0123abcd"
    path.write_bytes(_reloc_past_symtab(seed_bytes("hello")))
    return path


def test_raw_crash_file_is_decoded_into_a_crash_directory_and_replayed(tmp_path, monkeypatch, capsys):
    plant_seeded_bug(monkeypatch)
    crashes = tmp_path / "crashes"
    code = cli_main(["repro", str(_raw_crash(tmp_path)), "--target", "load", "--profile", "linux-6.1",
                     "--crashes", str(crashes)])
    out = capsys.readouterr().out.splitlines()
    assert code == 1 and out[0].startswith("decoded ") and out[1] == f"reproduces: {SEEDED_TITLE}"
    [directory] = store.list_findings(crashes)
    finding, module, meta, _ = store.load(directory)
    assert finding["target"] == "load" and meta["source"] == "crash-0123abcd" and meta["profile"] == "linux-6.1"
    # The crash directory names its target: another --target is refused in one line.
    assert cli_main(["repro", str(directory), "--target", "faults"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"lkmfuzz: error: {directory} is a finding of target load, not faults"]
    assert cli_main(["repro", str(directory), "--target", "load"]) == 1


@pytest.mark.parametrize("argv, message", [
    (["--target", "faults", "--profile", "linux-6.1"], "is not a finding of target faults; as a load input it is "
                                                       f"'{SEEDED_TITLE}': use --target load"),
    (["--profile", "linux-6.1"], "is a raw fuzzer input: name the target"),
    (["--target", "load", "--profile", "nope"], "unknown profile 'nope'"),
])
def test_raw_crash_file_with_a_wrong_or_no_target_is_a_one_line_error(tmp_path, monkeypatch, capsys, argv, message):
    plant_seeded_bug(monkeypatch)
    assert cli_main(["repro", str(_raw_crash(tmp_path)), "--crashes", str(tmp_path / "c"), *argv]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not (tmp_path / "c").exists() or store.list_findings(tmp_path / "c") == []


def test_raw_file_that_is_no_finding_does_not_reproduce(tmp_path, capsys):
    path = tmp_path / "crash-clean"
    path.write_bytes(seed_bytes("hello"))
    assert cli_main(["repro", str(path), "--target", "load", "--crashes", str(tmp_path / "c")]) == 0
    assert capsys.readouterr().out.startswith("does not reproduce: ")


def test_triage_refuses_artifacts_of_another_target(tmp_path, monkeypatch, capsys):
    plant_seeded_bug(monkeypatch)
    crashes = tmp_path / "crashes"
    crashes.mkdir()
    campaign_artifacts = tmp_path / "work" / "faults-bytes" / "artifacts"
    campaign_artifacts.mkdir(parents=True)
    assert cli_main(["triage", str(crashes), "--artifacts", str(campaign_artifacts), "--target", "load"]) == 2
    assert "artifacts of a faults campaign, not load: use --target faults" in capsys.readouterr().err
    loose = tmp_path / "from-clusterfuzzlite"
    loose.mkdir()
    (loose / "crash-1").write_bytes(_reloc_past_symtab(seed_bytes("hello")))
    assert cli_main(["triage", str(crashes), "--artifacts", str(loose), "--target", "params",
                     "--profile", "linux-6.1"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "none of the 1 artifact(s)" in err[0] and "use --target load" in err[0]


def test_timeout_file_that_still_runs_too_long_is_stored_and_reproduces(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(report, "timeout_of", lambda target: 0.0)
    path = tmp_path / "timeout-99"
    path.write_bytes(seed_bytes("hello"))
    assert cli_main(["repro", str(path), "--target", "load", "--crashes", str(tmp_path / "c")]) == 1
    assert capsys.readouterr().out.splitlines()[1] == "reproduces: timeout in load target"
    [directory] = store.list_findings(tmp_path / "c")
    assert json.loads((directory / "finding.json").read_text())["kind"] == "timeout"
    monkeypatch.setattr(report, "timeout_of", lambda target: 60.0)
    assert cli_main(["repro", str(directory)]) == 0
    assert capsys.readouterr().out.startswith("does not reproduce: ")


def test_timeout_of_reads_the_targets_options():
    assert report.timeout_of("load") == 10.0


# A fuzzer binary that behaves as told, to check what the build check refuses.
FAKE_FUZZER = """#!/bin/sh
for arg; do case $arg in -artifact_prefix=*) prefix=${arg#-artifact_prefix=};; esac; done
case "%s" in
  fine)     echo "#8 INITED cov: 745 ft: 1031 corp: 8/58Kb exec/s: 0 rss: 66Mb" >&2;;
  nothing)  echo "#1 INITED cov: 0 ft: 0 corp: 0/0b exec/s: 0 rss: 66Mb" >&2;;
  crash)    echo "#1 INITED cov: 9 ft: 9 corp: 1/1b" >&2; echo boom > "${prefix}crash-1"; exit 1;;
  silent)   exit 0;;
esac
echo "stat::number_of_executed_units: 100" >&2
echo "stat::average_exec_per_sec: 50" >&2
"""


@pytest.mark.parametrize("behaviour, message", [
    ("fine", None),
    ("nothing", "load: nothing found in its seeds"),
    ("crash", "load: crashed on its seeds (exit 1)"),
    ("silent", "load: did not start (no INITED line)"),
])
def test_build_check_refuses_a_fuzzer_that_crashes_finds_nothing_or_does_not_start(tmp_path, behaviour, message):
    out = tmp_path / "out"
    out.mkdir()
    assert ossfuzz.main([str(out), "--targets", "load"]) == 0
    (out / "load_fuzzer.pkg").write_bytes(b"")
    (out / "load_fuzzer").write_text(FAKE_FUZZER % behaviour)
    (out / "load_fuzzer").chmod(0o755)
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "check-oss-fuzz-build.sh"), "load"],
                          env=dict(os.environ, CHECK_OUT=str(out), CHECK_NO_BUILD="1"),
                          capture_output=True, text=True, timeout=60)
    if message is None:
        assert proc.returncode == 0 and "load: OK" in proc.stdout and "50 exec/s" in proc.stdout, proc.stderr
    else:
        assert proc.returncode == 1 and f"check-oss-fuzz-build: FAIL: {message}" in proc.stderr, proc.stderr


# --- slow: frozen binaries and a wheel outside the checkout ------------------------------------

@pytest.fixture(scope="module")
def frozen_out(tmp_path_factory):
    """scripts/check-oss-fuzz-build.sh for the load target (a clean clone of HEAD, the
    stand-in builder, the fuzzer run 3 s on its seeds); $OUT kept."""
    out = tmp_path_factory.mktemp("out")
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "check-oss-fuzz-build.sh"), "load"],
                          env=dict(os.environ, CHECK_OUT=str(out), CHECK_SECONDS="3"),
                          capture_output=True, text=True, timeout=900)
    return out, proc


@pytest.mark.slow
def test_build_check_builds_and_runs_the_load_fuzzer(frozen_out):
    out, proc = frozen_out
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert "load: OK" in proc.stdout and "check-oss-fuzz-build: all built fuzzers run" in proc.stdout
    wrapper = (out / "load_fuzzer").read_text()
    assert "LLVMFuzzerTestOneInput" in wrapper and "load_fuzzer.pkg" in wrapper
    assert os.access(out / "load_fuzzer", os.X_OK)


@pytest.mark.slow
def test_frozen_fuzzer_crash_file_replays_to_the_same_title(frozen_out, tmp_path):
    """The seeded bug frozen by the stand-in compile_python_fuzzer (the builder venv holds
    lkmfuzz from the build check); its crash-* file, replayed by `lkmfuzz repro FILE
    --target load` with the same bug planted, gives the title the frozen fuzzer stored."""
    assert frozen_out[1].returncode == 0
    src, out, seeds, run = (tmp_path / d for d in ("src", "out", "seeds", "run"))
    for d in (src, out, seeds, run):
        d.mkdir()
    env = dict(os.environ, SRC=str(src), OUT=str(out),
               PATH=os.pathsep.join([str(ROOT / "scripts" / "oss-fuzz"), str(BUILDER / "bin"), os.environ["PATH"]]))
    subprocess.run(["compile_python_fuzzer", str(SUPPORT / "seeded_bug_harness.py"), "--collect-data", "lkmfuzz"],
                   env=env, cwd=src, check=True, capture_output=True, timeout=600)
    (seeds / "seed").write_bytes(_reloc_past_symtab(seed_bytes("hello")))
    command = [str(out / "seeded_bug_harness"), "--target", "load", "--profile", "linux-6.1",
               f"-artifact_prefix={run}/", str(seeds)]
    proc = subprocess.run(command, cwd=run, capture_output=True, text=True, timeout=300)
    [crash] = run.glob("crash-*")
    assert not (run / "crashes").exists()     # frozen: the engine keeps the crash file, no store
    # The engine's log shows the loader's frames (what ClusterFuzz groups crashes by).
    log = proc.stdout + proc.stderr
    assert f"execs: {SEEDED_TITLE}" in log and ", in apply_relocate_add" in log
    subprocess.run(command[:1] + ["--crashes", str(run / "crashes")] + command[1:], cwd=run, capture_output=True,
                   timeout=300)
    [frozen] = store.list_findings(run / "crashes")
    frozen_title = json.loads((frozen / "finding.json").read_text())["title"]
    assert frozen_title == SEEDED_TITLE, proc.stderr[-2000:]
    replay = ("import sys; sys.path[:0] = sys.argv[1:2]; import seeded_bug_harness; seeded_bug_harness.plant(); "
              "from lkmfuzz.cli import main; sys.exit(main(sys.argv[2:]))")
    proc = subprocess.run([sys.executable, "-c", replay, str(SUPPORT), "repro", str(crash), "--target", "load",
                           "--profile", "linux-6.1", "--crashes", str(tmp_path / "crashes")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1 and f"reproduces: {frozen_title}" in proc.stdout.splitlines(), proc.stdout


@pytest.mark.slow
def test_wheel_outside_the_checkout_runs_the_quickstart_campaign(tmp_path):
    """Build the wheel, install it into a fresh venv in a temp dir, run a 10 s campaign
    from a directory without corpus/: same seeds, same .options flags, same dictionary."""
    wheels, venv, cwd = tmp_path / "wheels", tmp_path / "venv", tmp_path / "elsewhere"
    cwd.mkdir()
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    [wheel] = wheels.glob("lkmfuzz-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "lkmfuzz/fuzzing/data/harnesses/load_fuzzer.dict" in names
    assert "lkmfuzz/oracle/init.c" in names     # the oracle's /init source (lkmfuzz oracle setup)
    assert {f"lkmfuzz/fuzzing/data/corpus/{p.name}" for p in CORPUS.glob("*.ko")} <= set(names)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", f"{wheel}[fuzz]"],
                   check=True, capture_output=True, timeout=600)
    proc = subprocess.run([str(venv / "bin" / "lkmfuzz"), "fuzz", "--time", "10"], cwd=cwd, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    seeds = len(list(CORPUS.glob("*.ko")))
    assert f"; {seeds} seeds;" in proc.stdout
    flags = next(line for line in proc.stdout.splitlines() if line.startswith("libFuzzer flags: ")).split()
    assert flags[2:4] == ["-max_len=65536", "-timeout=10"]
    dictionary = Path(flags[4].removeprefix("-dict="))
    assert venv in dictionary.parents
    assert dictionary.read_bytes() == (ROOT / "harnesses" / "load_fuzzer.dict").read_bytes()
    assert "done: " in proc.stdout and not (cwd / "corpus").exists()
    # The scenario preloads and the params module travel too.
    probe = ("from lkmfuzz.fuzzing import bundled, scenario, targets; "
             "print(bundled.CORPUS, len(scenario.bundled_dependencies())); targets.decoder_for('params')(b'myint=1')")
    proc = subprocess.run([str(venv / "bin" / "python"), "-c", probe], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=True)
    corpus, count = proc.stdout.split()
    assert venv in Path(corpus).parents and int(count) == seeds
