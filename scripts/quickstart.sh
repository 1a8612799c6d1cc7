#!/usr/bin/env bash
# The main job: set up, then run a short coverage-guided fuzzing campaign on the
# bundled corpus (structure-aware + byte-level mutation, hardened profile).
# Findings land in crashes/, the working corpus and stats in .lkmfuzz/.
# Extra arguments go to `lkmfuzz fuzz` (e.g. --time 600 --jobs 2 --target faults).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh fuzz
exec .venv/bin/lkmfuzz fuzz --time 60 "$@" corpus
