"""Harnesses, structure-aware mutators, campaigns, the crash store and replay."""

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import kstate
import pytest
from conftest import CORPUS, ROOT, SEEDS, seed_bytes
from hypothesis import given, settings
from hypothesis import strategies as st

from lkmfuzz.abi.module import LINUX_6_1_X86_64
from lkmfuzz.case import TestCase, replace
from lkmfuzz.cli import main as cli_main
from lkmfuzz.errors import LoadError
from lkmfuzz.findings import store
from lkmfuzz.fuzzing import campaign, scenario, targets
from lkmfuzz.fuzzing.campaign import run_campaign, seed_corpus
from lkmfuzz.fuzzing.scenario import Scenario
from lkmfuzz.fuzzing.targets import Finding, decode_faults, decode_scenario, execute, kernels, unload_modes
from lkmfuzz.kernel.symbols import debian_symbols
from lkmfuzz.loader import O_NONBLOCK
from lkmfuzz.mutate.params import mutate_params
from lkmfuzz.mutate.structured import OPERATORS, Context, mutate_structured

SUPPORT = Path(__file__).resolve().parent / "support"
CTX = Context.from_symbols(debian_symbols())


def env_with(*paths):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *map(str, paths), env.get("PYTHONPATH", "")])
    return env


@pytest.mark.parametrize("target", ["load", "faults", "params", "signature", "scenario"])
def test_every_harness_runs_a_few_hundred_inputs(tmp_path, target):
    seeds = tmp_path / "seeds"
    seed_corpus(target, [CORPUS], seeds)
    crashes = tmp_path / "crashes"
    proc = subprocess.run([sys.executable, str(ROOT / "harnesses" / f"{target}_fuzzer.py"), "--crashes", str(crashes),
                           "-runs=400", "-seed=1", f"-artifact_prefix={tmp_path}/", str(seeds)],
                          capture_output=True, text=True, timeout=600, env=env_with(), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "Done 400 runs" in proc.stdout + proc.stderr
    assert not crashes.exists() or store.list_findings(crashes) == []


def test_faults_seeds_load_cleanly_and_fail_where_their_headers_say(tmp_path):
    assert targets.decode_plan(targets.NO_FAULT_PLAN).empty
    assert targets.decode_plan(targets.encode_fail_nth_plan(7)).fail_nth == 7
    seed_corpus("faults", [CORPUS], tmp_path)
    hello = [decode_faults(path.read_bytes()) for path in sorted(tmp_path.glob("hello-[0-9]*.ko"),
                                                                 key=lambda p: int(p.stem.split("-")[1]))]
    assert hello[0].plan.fail_nth is None and execute(hello[0]).ok
    # One seed per unwind path: each fails where a different set of labels runs.
    paths = {tuple(execute(case).unwound) for case in hello[1:]}
    assert len(paths) == len(hello) - 1 >= 6
    livepatch = [decode_faults(path.read_bytes()) for path in tmp_path.glob("livepatch-[0-9]*.ko")]
    assert any("sysfs_cleanup" in execute(case).unwound for case in livepatch)


@pytest.mark.parametrize("operator", OPERATORS, ids=lambda op: op.__name__)
def test_each_operator_applies_to_every_seed_and_changes_it(operator):
    rng = random.Random(3)
    changed = 0
    for name in SEEDS:
        data = seed_bytes(name)
        for _ in range(5):
            out = operator(data, rng, CTX)
            changed += out is not None and out != data
    assert changed >= 10


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(SEEDS), st.integers(0, 2**32), st.integers(1, 6))
def test_stacked_mutations_only_give_verdicts(name, seed, rounds):
    rng = random.Random(seed)
    data = seed_bytes(name)
    for _ in range(rounds):
        data = mutate_structured(data, rng, CTX)
    for profile in ("hardened", "linux-6.1"):
        execute(TestCase(module=data, profile=profile))   # raises Finding on any bug


@given(st.binary(max_size=200), st.integers(0, 2**32))
def test_param_mutator_output_is_a_valid_test_case(data, seed):
    args = mutate_params(data, random.Random(seed)).decode("latin-1")
    execute(TestCase(module=seed_bytes("hello"), args=args))


def test_fault_header_decodes_to_a_plan():
    assert decode_faults(bytes([0, 4, 0, 0]) + b"x").plan.fail_nth == 5
    assert decode_faults(bytes([1, 2, 0, 0])).plan.sites == frozenset({"module_alloc"})
    assert decode_faults(bytes([2, 64, 7, 0])).plan.seed == 7


@pytest.mark.slow
def test_seeded_bug_is_found_stored_and_replayed(tmp_path, capsys):
    crashes, work = tmp_path / "crashes", tmp_path / "work"
    code = ("import sys; sys.path[:0] = sys.argv[1:3]; from pathlib import Path; "
            "from lkmfuzz.fuzzing.campaign import run_campaign; "
            "run_campaign('load', 45, 1, [Path(sys.argv[3])], Path(sys.argv[4]), Path(sys.argv[5]), "
            "profile='linux-6.1', harness='seeded_bug_harness')")
    subprocess.run([sys.executable, "-c", code, str(ROOT), str(SUPPORT), str(CORPUS), str(crashes), str(work)],
                   check=True, timeout=600, env=env_with(SUPPORT), capture_output=True)
    titles = {json.loads((d / "finding.json").read_text())["title"]: d for d in store.list_findings(crashes)}
    # Each crash stopped the worker and a fresh one took its place: the counter counts those
    # relaunches (the log has one header line per launch), and the campaign did not give up.
    stats = json.loads((work / "load" / "stats.json").read_text())
    launches = (work / "load" / "worker-0.log").read_text().count("\n--- ") + 1
    assert stats["restarts"] == launches - 1 >= 1, (stats["restarts"], launches)
    assert sorted(stats["new_crashes"]) == sorted(d.name for d in titles.values()), "its workers' findings are its own"
    found = [d for title, d in titles.items() if "apply_relocate_add" in title]
    assert found, f"seeded bug not found; titles: {sorted(titles)}"
    crash = found[0]
    finding, module, meta, _ = store.load(crash)
    assert meta["profile"] == "linux-6.1" and finding["count"] >= 1 and module
    replay = ("import sys; sys.path[:0] = sys.argv[1:3]; import seeded_bug_harness; seeded_bug_harness.plant(); "
              "from lkmfuzz.cli import main; sys.exit(main(['repro', sys.argv[3]]))")
    proc = subprocess.run([sys.executable, "-c", replay, str(ROOT), str(SUPPORT), str(crash)],
                          capture_output=True, text=True, timeout=120, env=env_with(SUPPORT))
    assert proc.returncode == 1 and proc.stdout.startswith("reproduces: "), proc.stdout + proc.stderr
    # Without the seeded bug the same case is a clean verdict again.
    assert cli_main(["repro", str(crash)]) == 0
    assert capsys.readouterr().out.startswith("does not reproduce: ")


def test_crash_store_is_atomic_and_dedups_by_title(tmp_path):
    for data in (b"first", b"second", b"third"):
        directory = store.record(tmp_path, "KeyError in f < g", "exception", "load", "KeyError: 1", "tb", data,
                                 {"args": "", "profile": "hardened"})
    finding, module, meta, _ = store.load(directory)
    assert (finding["count"], module, meta["profile"]) == (3, b"first", "hardened")
    assert sorted(p.name for p in (directory / "examples").iterdir()) == ["2.ko", "3.ko"]
    assert not list(directory.glob(".*.tmp")), "no temporary file is left behind"


@pytest.mark.parametrize("damage, message", [
    (lambda d: (d / "finding.json").write_text("{broken"), "damaged JSON"),
    (lambda d: (d / "input.ko").unlink(), "missing input.ko"),
])
def test_damaged_crash_directory_is_a_one_line_error(tmp_path, capsys, damage, message):
    directory = store.record(tmp_path, "t", "exception", "load", "s", "d", b"x", {"profile": "hardened"})
    damage(directory)
    assert cli_main(["repro", str(directory)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_short_campaign_reports_progress_and_summary(tmp_path):
    lines = []
    stats = run_campaign("load", 8, 1, [CORPUS], tmp_path / "crashes", tmp_path / "work", echo=lines.append)
    assert stats.execs > 100 and stats.cov > 0 and stats.corpus > 0
    assert lines[0].startswith("fuzzing target load") and lines[-1].startswith("done: ")
    saved = json.loads((tmp_path / "work" / "load" / "stats.json").read_text())
    assert saved["execs"] == stats.execs and saved["series"]


@pytest.mark.parametrize("target", targets.TARGETS)
def test_campaigns_use_the_targets_options_file(target):
    """The flags run_campaign() gives a target's workers from harnesses/<target>_fuzzer.options:
    max_len, timeout and the dictionary, by an absolute path, in libFuzzer's quoted syntax."""
    flags = campaign.target_options(target)
    assert flags[:2] == ["-max_len=65536", "-timeout=10"]
    dictionary = Path(flags[2].removeprefix("-dict="))
    assert dictionary.is_absolute() and dictionary == ROOT / "harnesses" / f"{target}_fuzzer.dict"
    entries = [line for line in dictionary.read_text().splitlines() if line and not line.startswith("#")]
    assert entries and all(line.startswith('"') and line.endswith('"') for line in entries)


def test_options_file_missing_or_broken(tmp_path):
    assert campaign.target_options("load", tmp_path) == []
    (tmp_path / "load_fuzzer.options").write_text("max_len = 1\n")   # no [libfuzzer] header
    with pytest.raises(campaign.CampaignError, match="load_fuzzer.options"):
        campaign.target_options("load", tmp_path)


# --- minimization and titles ----------------------------------------------------------------

def _planted_finding(data, profile="linux-6.1"):
    try:
        execute(TestCase(module=data, profile=profile))
    except Finding as finding:
        return finding
    return None


def _reloc_past_symtab(data):
    from lkmfuzz.elf import patch
    rela = ".rela.text"
    r_offset, r_info, addend = patch.relocations(data, rela)[0]
    return patch.set_relocation(data, rela, 0, info=(0x80000001 << 32) | (r_info & 0xFFFFFFFF))


def plant_seeded_bug(monkeypatch):
    from lkmfuzz.kernel import memory
    monkeypatch.setattr(memory.TableView, "holds", lambda self, i, size: self.buf is not None)


def test_minimized_seeded_bug_is_small_and_reproduces(monkeypatch):
    from lkmfuzz.triage.minimize import minimize_module
    plant_seeded_bug(monkeypatch)
    crash = _reloc_past_symtab(seed_bytes("hello"))
    title = _planted_finding(crash).title
    assert title == "struct.error in unpack < apply_relocate_add < apply_relocations"
    small = minimize_module(crash, lambda data: getattr(_planted_finding(data), "title", None) == title)
    assert _planted_finding(small).title == title
    assert len(small) <= 2500 and len(crash) / len(small) >= 5


def test_same_bug_through_different_inputs_shares_a_title_and_different_bugs_do_not(monkeypatch):
    plant_seeded_bug(monkeypatch)
    first = _planted_finding(_reloc_past_symtab(seed_bytes("hello")))
    second = _planted_finding(_reloc_past_symtab(seed_bytes("relocs")))
    assert first.title == second.title
    monkeypatch.setitem(__import__("lkmfuzz.loader", fromlist=["UNDO_ACTIONS"]).UNDO_ACTIONS, "free_copy",
                        lambda info: None)
    leak = _planted_finding(b"\x7fELF" + bytes(100), profile="hardened")
    assert leak.kind == "invariant" and leak.title == "invariant no-leak after elf_validity_check"
    assert leak.title != first.title



def test_triage_imports_artifacts_dedups_minimizes_and_reports(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(__import__("lkmfuzz.loader", fromlist=["UNDO_ACTIONS"]).UNDO_ACTIONS, "free_copy",
                        lambda info: None)
    artifacts, crashes = tmp_path / "artifacts", tmp_path / "crashes"
    artifacts.mkdir()
    crashes.mkdir()
    # Two inputs refused at elf_validity_check leak the copy the same way (one bug); a
    # module that loads leaks it only once unloaded (another); a non-artifact is ignored.
    (artifacts / "crash-1").write_bytes(b"\x7fELF" + bytes(100))
    (artifacts / "crash-2").write_bytes(b"\x7fELF" + b"\x01" * 300)
    (artifacts / "crash-3").write_bytes(seed_bytes("hello"))
    (artifacts / "notes.txt").write_bytes(b"not an artifact")
    assert cli_main(["triage", str(crashes), "--artifacts", str(artifacts)]) == 0
    out = capsys.readouterr().out
    assert "imported 3 libFuzzer artifact(s)" in out and "2 bug(s)" in out
    bugs = {b["title"]: b for b in json.loads((crashes / "triage.json").read_text())}
    assert set(bugs) == {"invariant no-leak after elf_validity_check", "invariant no-leak after delete_module"}
    bug = bugs["invariant no-leak after elf_validity_check"]
    assert bug["reliable"] and bug["count"] == 2
    assert bug["minimized_size"] < bug["original_size"]
    assert "ELF header" in bug["explanation"]
    report = (crashes / "triage.md").read_text()
    assert "## invariant no-leak after elf_validity_check" in report and "lkmfuzz repro" in report


GOLDEN = Path(__file__).resolve().parent / "data" / "titles"


@pytest.mark.parametrize("case", sorted(p.stem for p in GOLDEN.glob("*.txt")))
def test_title_extraction_golden_files(case):
    from lkmfuzz.findings.title import title_from_text
    expected = (GOLDEN / f"{case}.title").read_text().strip()
    assert title_from_text((GOLDEN / f"{case}.txt").read_text()) == expected


def test_text_and_live_titles_agree(monkeypatch):
    import traceback as tb

    from lkmfuzz.findings.title import exception_title, title_from_text
    plant_seeded_bug(monkeypatch)
    finding = _planted_finding(_reloc_past_symtab(seed_bytes("hello")))
    exc = finding.__cause__
    assert title_from_text("".join(tb.format_exception(exc))) == exception_title(exc) == finding.title


def test_signature_target_seeds_load_with_a_verified_signature(tmp_path):
    from lkmfuzz.fuzzing.targets import decode_signature
    seed_corpus("signature", [CORPUS], tmp_path)
    result = execute(decode_signature((tmp_path / "hello.ko").read_bytes()))
    assert result.ok and result.module.sig_ok and "E" not in result.module.taint_letters
    unsigned = execute(decode_signature(seed_bytes("hello")))
    assert unsigned.kind == "EKEYREJECTED"


def test_plot_renders_campaign_stats(tmp_path, capsys):
    for name, structured, cov in (("a", True, 900), ("b", False, 700)):
        stats = {"target": "load", "structured": structured, "execs": 100, "cov": cov, "corpus": 10, "crashes": 0,
                 "series": [[1.0, 10, cov - 50, 5, 0], [5.0, 100, cov, 10, 0]]}
        (tmp_path / f"{name}.json").write_text(json.dumps(stats))
    assert cli_main(["plot", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "-o", str(tmp_path / "out")]) == 0
    png = (tmp_path / "out.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    page = (tmp_path / "out.html").read_text()
    assert "load (structured)" in page and "load (byte-level)" in page and "data:image/png;base64," in page
    (tmp_path / "bad.json").write_text("{")
    assert cli_main(["plot", str(tmp_path / "bad.json")]) == 2
    assert "damaged JSON" in capsys.readouterr().err


# --- the scenario target ----------------------------------------------------------------

scenarios = st.builds(
    Scenario, module=st.binary(max_size=64), flags=st.integers(0, 15),
    syscall=st.sampled_from(["finit_module", "init_module"]), faults=st.booleans(), faithful=st.booleans(),
    trust_test_key=st.booleans(), config=st.sets(st.sampled_from(scenario.CONFIG_SWITCHES)).map(
        lambda chosen: tuple(sw for sw in scenario.CONFIG_SWITCHES if sw in chosen)),
    preload=st.integers(0, 255), init_result=st.sampled_from(scenario.INIT_RESULTS),
    unload=st.sampled_from(scenario.UNLOAD_MODES), plan_header=st.binary(min_size=4, max_size=4),
    args=st.text(st.characters(max_codepoint=255), max_size=scenario.MAX_ARGS))


@given(scenarios)
def test_scenario_header_round_trips(s):
    assert scenario.decode(scenario.encode(s)) == s
    head, args, module = scenario.split(scenario.encode(s))
    assert scenario.join(head, args, module) == scenario.encode(s) and module == s.module


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=40), st.sampled_from(SEEDS))
def test_any_header_before_a_seed_gives_a_verdict(head, name):
    execute(decode_scenario(head + seed_bytes(name), scenario.bundled_dependencies()))   # Finding on any bug


def test_every_unload_mode_has_an_action():
    assert tuple(unload_modes.AFTER_LOAD) == scenario.UNLOAD_MODES


def _scenario_case(name, **fields):
    if name == "hello-without-exit":
        module = scenario.without_exit(seed_bytes("hello"), LINUX_6_1_X86_64.exit_offset)
    else:
        module = seed_bytes(name)
    return decode_scenario(scenario.encode(Scenario(module=module, **fields)), scenario.bundled_dependencies())


@pytest.mark.parametrize("name, fields, verdict", [
    ("hello", {"preload": 1}, "EEXIST"),
    ("hello", {"config": (("modules_disabled", True),)}, "EPERM"),
    ("hello", {"config": (("modules_disabled", True),), "syscall": "init_module"}, "EPERM"),
    ("hello", {"config": (("blacklist", scenario.SEED_NAMES),)}, "EPERM"),
    ("hello", {"config": (("lockdown", True),)}, "EPERM"),
    ("hello", {"config": (("sig_enforce", True),)}, "EKEYREJECTED"),
    ("hello", {"flags": scenario.UNDEFINED_FLAG}, "EINVAL"),
    ("hello", {"flags": 4}, "EOPNOTSUPP"),
    ("hello", {"init_result": -12}, "ENOMEM"),
    ("hello", {"args": "myint=abc"}, "EINVAL"),
    ("hello", {"faults": True, "plan_header": bytes([1, 2, 0, 0])}, "ENOMEM"),
    ("livepatch", {"config": (("livepatch", False),)}, "ENOEXEC"),
    ("consumer", {}, "ENOENT"),
    ("hello", {"faithful": True}, "loaded"),
])
def test_scenario_header_reaches_its_verdict(name, fields, verdict):
    assert execute(_scenario_case(name, **fields)).kind == verdict


@pytest.fixture(scope="module")
def corruption_seeds():
    return {name: decode_scenario(data, scenario.bundled_dependencies())
            for name, data in campaign.scenario_seeds([CORPUS]).items()
            if name.startswith("design-") or name in ("percpu-exhausted", "consumer-use-alloc-fails")}


@pytest.mark.parametrize("seed, verdict", [
    ("design-SHT_REL_section", "ENOEXEC (apply_relocate: module hello: REL relocation unsupported"),
    ("design-ctors_and_init_array", "loaded hello"),           # Debian: CONFIG_CONSTRUCTORS off
    ("design-ctors_on_constructors_kernel", "EINVAL (find_module_sections: hello: has both .ctors and .init_array"),
    ("percpu-exhausted", "ENOMEM (percpu_modalloc: Could not allocate 16384 bytes"),
    ("consumer-use-alloc-fails", "ENOMEM (simplify_symbols: add_module_usage: kmalloc allocation failed"),
    ("design-loaded_twice", "EEXIST"),
    ("design-param_overflow", "ERANGE"),
])
def test_corruption_seeds_reach_the_refusals_they_are_for(corruption_seeds, seed, verdict):
    assert str(execute(corruption_seeds[seed])).startswith(verdict)


def test_every_design_corruption_is_a_scenario_seed(corruption_seeds):
    from lkmfuzz.mutate.corruptions import HELLO_CORRUPTIONS
    assert sum(name.startswith("design-") for name in corruption_seeds) == len(HELLO_CORRUPTIONS) + 1


@pytest.mark.parametrize("name, unload, refusal", [
    ("hello", "forced", None),
    ("hello-without-exit", "plain", "EBUSY"),
    ("initexit", "plain", None),
    ("hello", "absent", "ENOENT"),
    ("initexit", "held", "EAGAIN"),      # EWOULDBLOCK is EAGAIN
    ("initexit", "held-forced", None),
    ("hello", "disabled", "EPERM"),
    ("hello", "dependency", None),        # nothing preloaded
])
def test_unload_modes_refuse_and_still_clean_up(monkeypatch, name, unload, refusal):
    refused = _record_delete_refusals(monkeypatch)
    result = execute(_scenario_case(name, unload=unload))
    assert result.ok and refused[:1] == ([refusal] if refusal else [])


def _record_delete_refusals(monkeypatch) -> list:
    refused = []

    def delete(kernel, name, flags=O_NONBLOCK):
        try:
            return scenario_delete(kernel, name, flags)
        except LoadError as e:
            refused.append(e.errno_name)
            raise
    scenario_delete = unload_modes.delete_module
    monkeypatch.setattr(unload_modes, "delete_module", delete)
    return refused


@pytest.mark.parametrize("name, preload", [("consumer", "hello"), ("hello", "initexit"), ("percpu", "livepatch")])
def test_a_thawed_kernel_runs_a_case_as_a_built_one(monkeypatch, name, preload):
    monkeypatch.setattr(kernels, "FROZEN_KERNELS", {})
    case = _scenario_case(name, preload=scenario.dependency_preload(preload), args="myint=3")
    built = kernels.fresh_kernel(case)
    assert kernels.FROZEN_KERNELS and all(kernels.FROZEN_KERNELS.values())
    thawed = kernels.fresh_kernel(case)
    assert thawed is not built and thawed.modules[0] is not built.modules[0]
    assert _state(thawed) == _state(built)
    runs = [kernels.run_syscall(kernel, case) for kernel in (built, thawed)]
    assert str(runs[0]) == str(runs[1]) and runs[0].trace == runs[1].trace
    assert _state(thawed) == _state(built)


def _state(kernel) -> tuple:
    """Everything the tests compare, memory contents and addresses included."""
    memory = [(r.base, r.size, bytes(r.buf), r.perms) for r in kernel.alloc.space.regions()]
    return kstate.snapshot(kernel), memory, kernel.taint, kernel.log, sorted(kernel.registries.items())


def test_dependency_in_use_cannot_be_deleted_and_one_unused_can(monkeypatch, tmp_path):
    refused = _record_delete_refusals(monkeypatch)
    on_hello = {"preload": scenario.dependency_preload("hello"), "unload": "dependency"}
    assert execute(_scenario_case("consumer", **on_hello)).ok and refused == ["EAGAIN"]   # EWOULDBLOCK
    refused.clear()
    assert execute(_scenario_case("initexit", **on_hello)).ok and refused == []


def test_scenario_finding_is_saved_and_replays_with_repro(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(__import__("lkmfuzz.loader", fromlist=["UNDO_ACTIONS"]).UNDO_ACTIONS, "free_copy",
                        lambda info: None)
    data = scenario.encode(Scenario(module=seed_bytes("hello"), syscall="init_module", args="myint=abc",
                                    config=(("strict_module_rwx", False),), unload="plain"))
    with pytest.raises(Finding) as caught:
        execute(decode_scenario(data, scenario.bundled_dependencies()))
    crash = targets.save_finding(tmp_path, caught.value, "scenario", data)
    finding, module, meta, _ = store.load(crash)
    assert module == seed_bytes("hello") and bytes.fromhex(meta["raw_input"]) == data
    assert (meta["syscall"], meta["args"], meta["unload"], meta["config"]) == (
        "init_module", "myint=abc", "plain", {"strict_module_rwx": False})
    assert cli_main(["repro", str(crash)]) == 1
    assert capsys.readouterr().out.startswith(f"reproduces: {finding['title']}")


def test_scenario_preload_travels_with_the_finding(tmp_path, monkeypatch):
    monkeypatch.setitem(__import__("lkmfuzz.loader", fromlist=["UNDO_ACTIONS"]).UNDO_ACTIONS, "free_copy",
                        lambda info: None)
    data = scenario.encode(Scenario(module=seed_bytes("hello"), preload=1))
    with pytest.raises(Finding) as caught:
        execute(decode_scenario(data, scenario.bundled_dependencies()))
    assert caught.value.title == "invariant no-leak after check_not_loaded"
    crash = targets.save_finding(tmp_path, caught.value, "scenario", data)
    assert store.load(crash)[3] == (seed_bytes("hello"),)
    assert cli_main(["repro", str(crash)]) == 1


def test_decoder_for_each_target_and_an_unknown_one():
    for target in targets.TARGETS:
        assert isinstance(targets.decoder_for(target)(seed_bytes("hello")), TestCase)
    with pytest.raises(ValueError, match="unknown target"):
        targets.decoder_for("nope")


# --- corpus minimization ----------------------------------------------------------------

def test_minimize_corpus_merges_into_a_directory_atomically(tmp_path, capsys):
    work = tmp_path / "work" / "scenario" / "corpus"
    work.mkdir(parents=True)
    hello = scenario.encode(Scenario(module=seed_bytes("hello")))
    for i in range(5):                    # the same input five times: one is enough
        (work / f"dup-{i}").write_bytes(hello)
    out = tmp_path / "min"
    out.mkdir()
    (out / "mine").write_bytes(b"the user's own file")
    argv = ["fuzz", "--target", "scenario", "--time", "0", "--work", str(tmp_path / "work"),
            "--crashes", str(tmp_path / "crashes"), "--minimize-corpus", str(out), str(CORPUS)]
    assert cli_main(argv) == 2, "a non-empty directory that is not a merge output is refused"
    assert "not empty and not an earlier --minimize-corpus output" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["mine"], "nothing deleted"
    (out / "mine").unlink()
    assert cli_main(argv) == 0
    line = capsys.readouterr().out
    kept = sorted(p.name for p in out.iterdir() if p.name != campaign.MERGE_MARK)
    seeds = len(list((tmp_path / "work" / "scenario" / "seeds").iterdir()))
    assert f"{5 + seeds} inputs (corpus + seeds) -> {len(kept)}" in line
    assert 0 < len(kept) < 5 + seeds and all(name.endswith(".ko") for name in kept), kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crashes", "min", "work"], "no staging left behind"
    # An earlier merge's output is replaced; one with a file the merge did not write is not.
    assert cli_main(argv) == 0
    (out / "added-later").write_bytes(b"x")
    assert cli_main(argv) == 2 and "did not write (e.g. added-later)" in capsys.readouterr().err
    assert (out / "added-later").exists() and all((out / name).exists() for name in kept)


def test_minimize_corpus_without_a_campaign_is_a_one_line_error(tmp_path, capsys):
    argv = ["fuzz", "--target", "scenario", "--time", "0", "--work", str(tmp_path), "--minimize-corpus",
            str(tmp_path / "out"), str(CORPUS)]
    assert cli_main(argv) == 2
    err = capsys.readouterr().err
    assert "no campaign corpus" in err and err.count("\n") == 1
    assert cli_main(["fuzz", "--time", "0"]) == 2


def test_running_a_harness_as_its_readme_says_never_writes_into_the_committed_corpus(tmp_path):
    readme = (ROOT / "harnesses" / "README.md").read_text()
    assert "python harnesses/load_fuzzer.py -runs=1000\n-dict=harnesses/load_fuzzer.dict new-inputs/ corpus/" in readme
    before = sorted(p.name for p in CORPUS.iterdir())
    (tmp_path / "new").mkdir()
    proc = subprocess.run([sys.executable, "harnesses/load_fuzzer.py", "--crashes", str(tmp_path / "c"), "-runs=300",
                           "-dict=harnesses/load_fuzzer.dict", str(tmp_path / "new"), "corpus/"],
                          cwd=ROOT, env=env_with(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert any((tmp_path / "new").iterdir()), "new inputs go to the first directory"
    proc = subprocess.run([sys.executable, "harnesses/load_fuzzer.py", "-runs=10", "corpus/"],
                          cwd=ROOT, env=env_with(), capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0 and "is the committed seed corpus" in proc.stderr
    assert sorted(p.name for p in CORPUS.iterdir()) == before


def test_dashboard_shows_crash_titles_depth_and_loader_coverage_over_time(tmp_path):
    """The dashboard of a (hand-made) campaign directory: crash titles where first found,
    per-step reach and errnos, and the loader's branch coverage growing as the corpus
    inputs were found (replayed in the order of their file times)."""
    from lkmfuzz import plot
    work = tmp_path / "work" / "load"
    (work / "seeds").mkdir(parents=True)
    (work / "corpus").mkdir()
    (work / "seeds" / "hello.ko").write_bytes(seed_bytes("hello"))
    t0 = 1_700_000_000.0
    for i, name in enumerate(("consumer", "relocs", "arrparam")):
        path = work / "corpus" / name
        path.write_bytes(seed_bytes(name))
        os.utime(path, (t0 + 30 * (i + 1), t0 + 30 * (i + 1)))
    depth = {"executions": {"reached": 100, "errnos": {}},
             "module_sig_check": {"reached": 100, "errnos": {}},
             "elf_validity_check": {"reached": 100, "errnos": {"ENOEXEC": 40}},
             "simplify_symbols": {"reached": 50, "errnos": {"ENOENT": 5}}}
    stats = {"target": "load", "structured": True, "execs": 1000, "cov": 900, "corpus": 3, "crashes": 1,
             "series": [[float(s), 10 * s, 800 + s, s // 30, int(s >= 60), 10, t0 + s] for s in range(0, 121, 10)],
             "crash_times": [[60.0, "KeyError in layout_sections < layout_and_allocate"]], "depth": depth}
    (work / "stats.json").write_text(json.dumps(stats))
    curve = plot.loader_coverage(work / "stats.json", plot.load_stats(work / "stats.json"), points=4)
    taken = [c[1] for c in curve]
    assert taken == sorted(taken) and taken[0] > 0 and taken[-1] > taken[0], curve
    assert all(c[2] == curve[0][2] > taken[-1] for c in curve), "a share of all the loader's branches"
    assert cli_main(["plot", str(work / "stats.json"), "-o", str(tmp_path / "dash")]) == 0
    page = (tmp_path / "dash.html").read_text()
    assert "KeyError in layout_sections &lt; layout_and_allocate" in page
    assert "<td>elf_validity_check</td><td>100.00%</td><td>ENOEXEC 40.00%</td>" in page
    assert "<td>simplify_symbols</td><td>50.00%</td><td>ENOENT 5.00%</td>" in page
    assert f"<td>{taken[-1]}/{curve[-1][2]}</td>" in page, "the final loader coverage in the figures table"
    assert "src='http" not in page and "data:image/png;base64," in page, "self-contained"
    rows = plot.depth_rows(depth)
    assert [r[0] for r in rows] == ["module_sig_check", "elf_validity_check", "simplify_symbols"], "pipeline order"


def test_faults_seeds_carry_version_and_srcversion(tmp_path):
    """free_modinfo frees the kstrdup()s of version= and srcversion=: a seed must have them."""
    seed_corpus("faults", [CORPUS], tmp_path)
    case = decode_faults((tmp_path / "hello-version-0.ko").read_bytes())
    result = execute(case)
    assert result.ok and result.module is not None
    assert campaign.with_version(seed_bytes("hello")).count(b"srcversion=ABC") == 1


def test_params_target_loads_the_module_whose_parameter_comes_first():
    decode = targets.decoder_for("params")
    hello, arrparam = seed_bytes("hello"), seed_bytes("arrparam")
    assert decode(b"myint=3 myints=4").module == hello
    assert decode(b'  "myints=1,2" myint=3').module == arrparam
    assert decode(b"my-label=x").module == hello       # not arrparam's: it has mylabel, not my_label
    assert decode(b"mylabel=x").module == arrparam
    assert decode(b"").module == hello and decode(b"nosuch=1").module == hello
    result = execute(decode(b"myints=1,2,3,4,5"))      # one past the array's four elements
    assert result.kind == "EINVAL"


def test_faults_target_loads_dependencies_first_as_modprobe_does():
    """consumer depends=hello: with hello preloaded it loads, so a fault after
    simplify_symbols has module_use links for free_unload to undo."""
    decode = targets.decoder_for("faults")
    case = decode(targets.NO_FAULT_PLAN + seed_bytes("consumer"))
    assert case.preload == (seed_bytes("hello"),) and execute(case).ok
    assert decode(targets.NO_FAULT_PLAN + seed_bytes("hello")).preload == ()
    mutant = replace(case, profile="hardened-minus-undo_free_unload",
                             plan=targets.decode_plan(targets.encode_fail_nth_plan(4)))
    with pytest.raises(Finding) as found:
        execute(mutant)
    assert found.value.title == "invariant no-leak after simplify_symbols"


def test_the_harness_leaves_every_module_of_the_targets_package_uninstrumented():
    """atheris excludes exact module names: a new module of the package must be listed."""
    import ast
    harness = ast.parse((ROOT / "lkmfuzz" / "fuzzing" / "harness.py").read_text())
    listed = next(ast.literal_eval(node.value) for node in harness.body
                  if isinstance(node, ast.Assign) and node.targets[0].id == "TARGETS_PACKAGE")
    package = Path(targets.__file__).parent
    assert sorted(listed) == sorted(p.stem for p in package.glob("*.py") if p.stem != "__init__")
