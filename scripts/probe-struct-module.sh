#!/usr/bin/env bash
# scripts/probe-struct-module.sh - offsets of struct module's fields in Debian's
# linux-image-6.1.0-NN-amd64, as the kernel's own compiler and .config lay it out.
#
#   bash scripts/probe-struct-module.sh      # prints "field offset size" lines
#
# Fetches and unpacks Debian's headers like corpus/build.sh (same cache, same
# LKMFUZZ_KABI), compiles scripts/probe/struct_module_probe.c with kbuild and
# reads its table back with pyelftools (.venv/bin/python, or python3 with
# pyelftools).  The numbers in lkmfuzz/abi/module.py (LINUX_6_1_X86_64) come from this output.
set -euo pipefail
# Default: the ABI the profile imitates (lkmfuzz/kernel/profile.py DEBIAN_RELEASE).
export LKMFUZZ_KABI=${LKMFUZZ_KABI:-6.1.0-56}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HDR=$(bash "$REPO/corpus/build.sh" --tree-only | tail -n1)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp "$REPO/scripts/probe/struct_module_probe.c" "$REPO/scripts/probe/Kbuild" "$WORK/"
make -C "$HDR" M="$WORK" struct_module_probe.o >&2
PY=$REPO/.venv/bin/python
[[ -x $PY ]] || PY=python3
"$PY" "$REPO/scripts/probe/read_probe.py" "$WORK/struct_module_probe.o"
