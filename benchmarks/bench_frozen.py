"""Frozen (OSS-Fuzz / ClusterFuzzLite PyInstaller binary) against unfrozen exec/s, per target.

    bash scripts/check-oss-fuzz-build.sh                      # with CHECK_OUT=/tmp/out to keep $OUT
    .venv/bin/python benchmarks/bench_frozen.py /tmp/out --seconds 20 --rounds 2

Each target runs as ClusterFuzz runs it — $OUT/<target>_fuzzer (the wrapper script),
its .options as flags, the dictionary beside it — and unfrozen as
``python harnesses/<target>_fuzzer.py`` with the same flags, the same libFuzzer -seed,
on the same unzipped seed corpus, each from an empty working corpus.  Frozen and
unfrozen alternate, ``--rounds`` times each; the table gives the medians of libFuzzer's
final ``stat::average_exec_per_sec``.
"""

import argparse
import configparser
import re
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ("load", "faults", "params", "signature", "scenario")


def flags_of(out: Path, target: str) -> list[str]:
    options = configparser.ConfigParser()
    options.read(out / f"{target}_fuzzer.options")
    return [f"-{k}={out / v if k == 'dict' else v}" for k, v in options["libfuzzer"].items()]


def run(command: list[str], seeds: Path, seconds: int, work: Path) -> int:
    corpus = work / "corpus"
    corpus.mkdir()
    proc = subprocess.run(command + [f"-max_total_time={seconds}", "-seed=1", "-print_final_stats=1",
                                     f"-artifact_prefix={work}/", str(corpus), str(seeds)],
                          cwd=work, capture_output=True, text=True)
    found = re.search(r"stat::average_exec_per_sec:\s+(\d+)", proc.stderr + proc.stdout)
    if proc.returncode != 0 or found is None:
        sys.exit(f"bench_frozen: {command[0]} failed (exit {proc.returncode}): {proc.stderr[-500:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path, help="$OUT of scripts/check-oss-fuzz-build.sh (CHECK_OUT)")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--targets", default=",".join(TARGETS))
    args = parser.parse_args()
    print("| target | binary | frozen exec/s | unfrozen exec/s | frozen/unfrozen |")
    print("|---|---|---|---|---|")
    for target in args.targets.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            seeds = tmp / "seeds"
            zipfile.ZipFile(args.out / f"{target}_fuzzer_seed_corpus.zip").extractall(seeds)
            flags = flags_of(args.out, target)
            frozen_cmd = [str(args.out / f"{target}_fuzzer"), *flags]
            plain_cmd = [sys.executable, str(ROOT / "harnesses" / f"{target}_fuzzer.py"), *flags]
            frozen, plain = [], []
            for i in range(args.rounds):
                for cmd, rates, name in ((frozen_cmd, frozen, "frozen"), (plain_cmd, plain, "plain")):
                    work = tmp / f"{name}-{i}"
                    work.mkdir()
                    rates.append(run(cmd, seeds, args.seconds, work))
            size = (args.out / f"{target}_fuzzer.pkg").stat().st_size / 2**20
            f, p = statistics.median(frozen), statistics.median(plain)
            print(f"| {target} | {size:.0f} MB | {f:.0f} ({', '.join(map(str, frozen))}) | "
                  f"{p:.0f} ({', '.join(map(str, plain))}) | {f / p:.0%} |", flush=True)


if __name__ == "__main__":
    main()
