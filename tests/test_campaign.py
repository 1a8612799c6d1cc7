"""Issue 18: honest campaigns.  Broken workers stop the campaign with their error, stats
are the campaign's (all workers, across restarts and resumes), signals stop every
worker and exit 130/143, new crashes exit 1, options are checked before any worker."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CORPUS, ROOT

from lkmfuzz.cli import main as cli_main
from lkmfuzz.fuzzing import campaign
from lkmfuzz.fuzzing.campaign import CampaignError, Stats, run_campaign


@pytest.mark.parametrize("flags, message", [
    (["-help=1"], "exited at once (exit 0) without fuzzing"),
    ([f"-dict={CORPUS / 'hello.ko'}"], "exited at once"),          # not a dictionary: libFuzzer refuses it
    (["-runs=50"], "before the deadline (exit 0)"),
])
def test_a_broken_worker_stops_the_campaign_with_its_log(tmp_path, flags, message):
    lines = []
    started = time.time()
    with pytest.raises(CampaignError, match=re.escape(message)) as caught:
        run_campaign("load", 120, 1, [CORPUS], tmp_path / "crashes", tmp_path / "work", extra=flags,
                     echo=lines.append)
    assert time.time() - started < 100, "stopped at once, not at the deadline"
    log = tmp_path / "work" / "load" / "worker-0.log"
    assert str(log) in str(caught.value) and log.read_text().strip()
    cut = next(i for i, line in enumerate(lines) if f"; the end of {log}:" in line)
    shown = lines[cut + 1:]
    assert shown and all(line.strip() in log.read_text() for line in shown), "the log's last lines are echoed"


def test_options_are_checked_before_any_worker_starts(tmp_path, capsys):
    argv = ["fuzz", str(CORPUS), "--time", "5", "--profile", "bogus", "--crashes", str(tmp_path / "crashes"),
            "--work", str(tmp_path / "work")]
    assert cli_main(argv) == 2
    err = capsys.readouterr().err
    assert "unknown profile 'bogus'" in err and err.count("\n") == 1
    assert not (tmp_path / "crashes").exists() or not any((tmp_path / "crashes").iterdir()), \
        "no ProfileError 'finding' in the crash store"
    assert cli_main(argv[:4] + ["--crashes", str(tmp_path / "c"), "--work", str(tmp_path / "w"), "--", "runs=3"]) == 2
    assert "is not -name=value" in capsys.readouterr().err


def test_the_harness_refuses_a_bad_profile_instead_of_recording_a_finding(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "lkmfuzz.fuzzing.harness", "--target", "load", "--profile",
                           "bogus", "--crashes", str(tmp_path / "crashes"), "-runs=1"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "unknown profile 'bogus'" in proc.stderr
    assert not (tmp_path / "crashes").exists()


def test_new_crashes_exit_one_after_the_summary(monkeypatch, tmp_path):
    def fake(target, seconds, jobs, dirs, crashes, work, *rest):
        stats = Stats(target, True)
        stats.new_crashes = ["0123456789ab"]
        return stats
    monkeypatch.setattr(campaign, "run_campaign", fake)
    argv = ["fuzz", str(CORPUS), "--time", "5", "--crashes", str(tmp_path / "c"), "--work", str(tmp_path / "w")]
    assert cli_main(argv) == 1
    monkeypatch.setattr(campaign, "run_campaign", lambda *a, **k: Stats("load", True))
    assert cli_main(argv) == 0


def test_stats_cover_every_job_and_continue_across_resumes(tmp_path):
    crashes, work = tmp_path / "crashes", tmp_path / "work"
    first = run_campaign("load", 12, 2, [CORPUS], crashes, work, echo=lambda line: None)
    saved = json.loads((work / "load" / "stats.json").read_text())
    assert saved["runs"] == 1 and saved["execs"] == first.execs > 0
    assert all(len(row) == 7 for row in saved["series"])
    assert len(list((work / "load" / "depth").glob("run1-*.json"))) >= 2, "one counter file per worker"
    assert first.restarts == 0
    depth = saved["depth"]
    assert depth["executions"]["reached"] > 0
    assert 0 < depth["module_sig_check"]["reached"] <= depth["executions"]["reached"]
    assert sum(depth["elf_validity_check"]["errnos"].values()) > 0, "mutants are refused there"
    second = run_campaign("load", 8, 1, [CORPUS], crashes, work, echo=lambda line: None)
    again = json.loads((work / "load" / "stats.json").read_text())
    assert again["runs"] == 2 and again["series"][:len(saved["series"])] == saved["series"], "history appended"
    assert again["series"][len(saved["series"])][0] > saved["series"][-1][0], "time continues"
    assert second.execs > first.execs, "execs continue"
    assert again["depth"]["executions"]["reached"] >= depth["executions"]["reached"]


def _lkmfuzz_processes(marker: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in cmdline:
                pids.append(int(entry.name))
    return pids


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_every_worker_prints_the_summary_and_exits_128_plus_it(tmp_path, signum, code):
    work = tmp_path / "work"
    proc = subprocess.Popen([sys.executable, "-m", "lkmfuzz", "fuzz", str(CORPUS), "--time", "300", "--jobs", "2",
                             "--crashes", str(tmp_path / "crashes"), "--work", str(work)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            start_new_session=True)
    out = []
    for line in proc.stdout:          # wait for fuzzing to be under way (a status line)
        out.append(line)
        if "execs" in line:
            break
    assert len(_lkmfuzz_processes(str(work))) == 3, "lkmfuzz and two workers"
    os.killpg(proc.pid, signum) if signum == signal.SIGINT else proc.send_signal(signum)   # Ctrl-C hits the group
    rest, err = proc.communicate(timeout=120)
    out.append(rest)
    assert proc.returncode == code, (proc.returncode, err)
    text = "".join(out)
    assert f"interrupted by {signal.Signals(signum).name}: every worker stopped" in text and "\ndone: " in text
    assert "Traceback" not in err
    assert _lkmfuzz_processes(str(work)) == [], "no orphaned worker"


def test_a_campaign_whose_corpus_directories_hold_no_seeds_says_so(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    lines = []
    run_campaign("load", 3, 1, [empty], tmp_path / "crashes", tmp_path / "work", echo=lines.append)
    assert "0 seeds" in lines[0]
    assert any(f"the corpus directories ({empty}) hold 0 seeds (*.ko)" in line for line in lines[1:])


def test_a_damaged_stats_file_is_refused_not_overwritten(tmp_path):
    stats = tmp_path / "work" / "load" / "stats.json"
    stats.parent.mkdir(parents=True)
    stats.write_text("{half a file")
    with pytest.raises(CampaignError, match="cannot continue its history"):
        run_campaign("load", 5, 1, [CORPUS], tmp_path / "crashes", tmp_path / "work", echo=lambda line: None)
    assert stats.read_text() == "{half a file"
    assert not list((tmp_path / "work" / "load").glob("worker-*.log")), "refused before any worker"


def test_a_campaign_counts_only_the_findings_its_own_workers_stored(tmp_path):
    from lkmfuzz.findings import store
    crashes = tmp_path / "crashes"
    old = store.record(crashes, "old title", "exception", "load", "s", "d", b"m", {"campaign": "A"})
    known = {old.name}
    mine = store.record(crashes, "mine", "exception", "load", "s", "d", b"m", {"campaign": "A"})
    store.record(crashes, "theirs", "exception", "load", "s", "d", b"m", {"campaign": "B"})
    store.record(crashes, "by hand", "exception", "load", "s", "d", b"m", {})
    assert campaign.new_findings(crashes, known, "A") == [mine.name]
    assert len(campaign.new_findings(crashes, set(), "B")) == 1
