#!/usr/bin/env bash
# Harness speed of two trees of this repository, alternating per target so that the
# machine's state weighs on both alike:
#   git worktree add /tmp/old <commit> && bash benchmarks/compare_harness.sh /tmp/old [ROUNDS] [SECONDS]
# Prints bench_harness.py's line for each target and tree ("old" the given tree, "new"
# this one), exec/s and executions per CPU-second.  Both run on this tree's .venv.
set -euo pipefail
new=$(cd "$(dirname "$0")/.." && pwd)
old=$(cd "${1:?usage: compare_harness.sh OLD_TREE [ROUNDS] [SECONDS]}" && pwd)
rounds=${2:-2}
seconds=${3:-20}
python=$new/.venv/bin/python
for round in $(seq "$rounds"); do
    for target in load faults params signature scenario; do
        for side in old new; do
            tree=${!side}
            (cd "$tree" && PYTHONPATH=$tree "$python" benchmarks/bench_harness.py --seconds "$seconds" --target "$target" \
                | tail -1 | sed "s/^/$side r$round /")
        done
    done
done
