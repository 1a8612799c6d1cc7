#!/usr/bin/env bash
# The main job: set up, then load and unload every bundled seed module in the
# simulated Debian 6.1 kernel (both profiles), printing each verdict.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
for profile in hardened linux-6.1; do
    for ko in corpus/*.ko; do
        preload=()
        [ "$(basename "$ko")" = consumer.ko ] && preload=(--preload corpus/hello.ko)
        printf '%-10s %-16s ' "$profile" "$(basename "$ko")"
        .venv/bin/lkmfuzz load "$ko" --profile "$profile" "${preload[@]}" --unload | tr '\n' ' '
        echo
    done
done
