#!/usr/bin/env bash
# scripts/probe-struct-module.sh - offsets of struct module's fields in Debian's
# linux-image-<ABI>-amd64, as the kernel's own compiler and .config lay it out.
#
#   bash scripts/probe-struct-module.sh                 # 6.1: prints "field offset size" lines
#   bash scripts/probe-struct-module.sh --kernel 6.12   # the same for Debian 12's 6.12
#
# Fetches and unpacks Debian's headers like corpus/build.sh (same cache, same
# LKMFUZZ_KABI), compiles scripts/probe/struct_module_probe.c with kbuild and
# reads its table back with pyelftools (.venv/bin/python, or python3 with
# pyelftools).  The numbers in lkmfuzz/abi/module.py (LINUX_6_1_X86_64,
# LINUX_6_12_X86_64) come from this output.
set -euo pipefail
SERIES=6.1
case "${1:-}" in
	"") ;;
	--kernel) SERIES=${2:?--kernel needs 6.1 or 6.12} ;;
	--kernel=*) SERIES=${1#--kernel=} ;;
	*) echo "usage: $0 [--kernel 6.1|6.12]" >&2; exit 2 ;;
esac
# Default ABI: the one lkmfuzz/kernel/release.py pins for the series.
case "$SERIES" in
	6.1) export LKMFUZZ_KABI=${LKMFUZZ_KABI:-6.1.0-56} ;;
	6.12) export LKMFUZZ_KABI=${LKMFUZZ_KABI:-6.12.118+deb12} ;;
	*) echo "probe-struct-module.sh: unknown kernel series '$SERIES' (6.1 or 6.12)" >&2; exit 2 ;;
esac
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HDR=$(bash "$REPO/corpus/build.sh" --kernel "$SERIES" --tree-only | tail -n1)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp "$REPO/scripts/probe/struct_module_probe.c" "$REPO/scripts/probe/Kbuild" "$WORK/"
make -C "$HDR" M="$WORK" struct_module_probe.o >&2
PY=$REPO/.venv/bin/python
[[ -x $PY ]] || PY=python3
"$PY" "$REPO/scripts/probe/read_probe.py" "$WORK/struct_module_probe.o"
