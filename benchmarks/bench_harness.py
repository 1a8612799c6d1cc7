"""Atheris execs/s of each harness on one core, under instrumentation.

Run: .venv/bin/python benchmarks/bench_harness.py [--seconds 20] [--target T ...]

Each harness fuzzes its own seeds (corpus/ prepared per target as `lkmfuzz fuzz`
prepares them) for --seconds in a fresh working corpus; the figures are libFuzzer's
final stats (average exec/s, executed units, peak RSS) and executions per second
of CPU time the harness process used (start-up included), which stays a fair
"one core" figure when other work shares the machine.
"""

import argparse
import re
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lkmfuzz.fuzzing.campaign import seed_corpus  # noqa: E402
from lkmfuzz.fuzzing.targets import TARGETS  # noqa: E402

STAT = re.compile(r"stat::(\w+):\s+(\d+)")


def bench(target: str, seconds: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        seed_corpus(target, [ROOT / "corpus"], tmp / "seeds")
        (tmp / "corpus").mkdir()
        cpu_before = _children_cpu()
        proc = subprocess.run([sys.executable, "-m", "lkmfuzz.fuzzing.harness", "--target", target,
                               "--crashes", str(tmp / "crashes"), f"-max_total_time={seconds}", "-print_final_stats=1",
                               f"-artifact_prefix={tmp}/", str(tmp / "corpus"), str(tmp / "seeds")],
                              capture_output=True, text=True, cwd=ROOT, timeout=seconds * 4 + 120)
        stats = {k: int(v) for k, v in STAT.findall(proc.stdout + proc.stderr)}
        if not stats:   # libFuzzer stopped before its final stats: say why
            print(f"{target}: no final stats (exit {proc.returncode}):", *proc.stderr.splitlines()[-15:], sep="\n  ",
                  file=sys.stderr)
        stats["cpu_seconds"] = _children_cpu() - cpu_before
        return stats


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--target", action="append", choices=TARGETS)
    args = parser.parse_args(argv)
    print(f"{'target':<10} {'exec/s':>7} {'exec/CPU-s':>10} {'execs':>8} {'peak RSS MB':>11}")
    for target in args.target or TARGETS:
        stats = bench(target, args.seconds)
        execs = stats.get("number_of_executed_units", 0)
        per_cpu_second = execs / max(stats["cpu_seconds"], 1e-9)
        print(f"{target:<10} {stats.get('average_exec_per_sec', 0):>7} {per_cpu_second:>10.0f} "
              f"{execs:>8} {stats.get('peak_rss_mb', 0):>11}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
