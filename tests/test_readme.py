"""Every `.venv/bin/lkmfuzz` command in README.md runs from a copy of the repository as
it is written there: no file it names is missing, none ends in a tool error (exit 2)
or a traceback, and a command whose comment says `exit N` exits N.

Two liberties, both stated in the README: campaign times (`--time N`) are cut to a
few seconds, and the `oracle` commands (the real kernel under qemu, minutes per
command) are left to tests/test_oracle.py.
"""

import re
import shlex
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

CAMPAIGN_SECONDS = "4"
COPIED = ("corpus", "examples", "harnesses", "README.md")


def readme_commands() -> list[tuple[str, list[str], int | None]]:
    """(line, argv after `lkmfuzz`, expected exit code or None) of every command line."""
    text = (ROOT / "README.md").read_text()
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.splitlines():
            if not line.startswith(".venv/bin/lkmfuzz "):
                continue
            code, _, comment = line.partition("  #")
            argv = shlex.split(code)[1:]
            if argv[0] == "oracle" or "--kernel" in argv:
                continue
            exit_ = re.search(r"\bexit (\d)\b", comment)
            commands.append((line, argv, int(exit_.group(1)) if exit_ else None))
    return commands


def test_the_readme_has_commands_to_run():
    names = {argv[0] for _, argv, _ in readme_commands()}
    assert {"load", "info", "faults", "sign", "fuzz", "repro", "minimize", "triage", "plot"} <= names


@pytest.mark.slow
def test_every_readme_command_runs_from_a_copy_of_the_repository(tmp_path):
    clone = tmp_path / "clone"
    clone.mkdir()
    for name in COPIED:
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, clone / name)
    failures = []
    for line, argv, expected in readme_commands():
        argv = [CAMPAIGN_SECONDS if i and argv[i - 1] == "--time" and arg != "0" else arg
                for i, arg in enumerate(argv)]
        proc = subprocess.run([sys.executable, "-m", "lkmfuzz", *argv], cwd=clone, capture_output=True,
                              text=True, timeout=600)
        wrong = proc.returncode == 2 or "Traceback" in proc.stderr or (
            expected is not None and proc.returncode != expected)
        if wrong:
            failures.append(f"{line}\n  exit {proc.returncode}: {proc.stderr.strip()[-300:]}")
    assert not failures, "\n".join(failures)
    assert (clone / "campaign.png").stat().st_size > 0 and (clone / "hello.signed.ko").exists()
