#!/usr/bin/env bash
# Check the ClusterFuzzLite / OSS-Fuzz build without docker.
#
#   bash scripts/check-oss-fuzz-build.sh [TARGET...]     (default: every harnesses/*_fuzzer.py)
#
# A venv with atheris and PyInstaller 6 stands in for the base-builder-python image
# (cached in ${LKMFUZZ_CACHE:-~/.cache/lkmfuzz}/oss-fuzz-builder), and
# scripts/oss-fuzz/compile_python_fuzzer for its compile_python_fuzzer.  The script
# clones the committed HEAD of this repository into $SRC/lkmfuzz (a clean clone),
# runs .clusterfuzzlite/build.sh there, then runs every built fuzzer as ClusterFuzz
# would (its wrapper script, its .options and .dict, its unzipped seed corpus) for
# CHECK_SECONDS (default 5) seconds.  It fails when a fuzzer does not start, gets no
# coverage from its seeds, or crashes (an artifact, or a non-zero exit).
# CHECK_OUT=DIR keeps $OUT there (default: a temporary directory, removed); with
# CHECK_NO_BUILD=1 the script only runs the fuzzers already in CHECK_OUT.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${CHECK_SECONDS:-5}
builder=${LKMFUZZ_CACHE:-${HOME:-~}/.cache/lkmfuzz}/oss-fuzz-builder
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "check-oss-fuzz-build: FAIL: $*" >&2; exit 1; }

if [ -n "${CHECK_NO_BUILD:-}" ]; then
    [ -n "${CHECK_OUT:-}" ] || fail "CHECK_NO_BUILD needs CHECK_OUT, the \$OUT of an earlier build"
elif [ ! -x "$builder/bin/pyinstaller" ] || ! "$builder/bin/python" -c "import atheris" 2>/dev/null; then
    echo "setting up the stand-in builder in $builder"
    rm -rf "$builder"
    python3 -m venv "$builder"
    "$builder/bin/pip" install -q --disable-pip-version-check 'pyinstaller>=6,<7' 'atheris>=2.3'
fi

export SRC=$tmp/src OUT=${CHECK_OUT:-$tmp/out} WORK=$tmp/work
export SANITIZER=${SANITIZER:-address} FUZZING_ENGINE=libfuzzer FUZZING_LANGUAGE=python ARCHITECTURE=x86_64
mkdir -p "$SRC" "$OUT" "$WORK"
export LKMFUZZ_FUZZERS="$*"
if [ -z "${CHECK_NO_BUILD:-}" ]; then
    git clone -q "$root" "$SRC/lkmfuzz"
    start=$(date +%s)
    (cd "$SRC/lkmfuzz" && PATH="$root/scripts/oss-fuzz:$builder/bin:$PATH" PIP_DISABLE_PIP_VERSION_CHECK=1 \
        bash -eu "$SRC/lkmfuzz/.clusterfuzzlite/build.sh") > "$tmp/build.log" 2>&1 \
        || { tail -n 30 "$tmp/build.log" >&2; fail "build.sh failed (log above)"; }
    echo "build.sh: $(( $(date +%s) - start )) s"
    grep '^compile_python_fuzzer: built' "$tmp/build.log" || true
fi

targets=${LKMFUZZ_FUZZERS:-$(cd "$root/harnesses" && ls *_fuzzer.py | sed 's/_fuzzer\.py$//')}
for target in $targets; do
    fuzzer=$OUT/${target}_fuzzer
    [ -x "$fuzzer" ] && [ -f "$fuzzer.pkg" ] || fail "$target: $fuzzer or $fuzzer.pkg was not built"
    for file in "${fuzzer}_seed_corpus.zip" "$fuzzer.dict" "$fuzzer.options"; do
        [ -s "$file" ] || fail "$target: $file is missing or empty"
    done
    run=$tmp/run/$target
    mkdir -p "$run/seeds" "$run/corpus"
    (cd "$run/seeds" && python3 -m zipfile -e "${fuzzer}_seed_corpus.zip" .)
    # The .options as ClusterFuzz passes them: -key=value, the dictionary beside the binary.
    options=$(sed -n '/^\[libfuzzer\]/,/^\[/{/=/p}' "$fuzzer.options" \
              | sed -E 's/^[[:space:]]*([a-z_]+)[[:space:]]*=[[:space:]]*(.*[^[:space:]])[[:space:]]*$/-\1=\2/' \
              | sed -E "s|^-dict=|-dict=$OUT/|")
    status=0
    # shellcheck disable=SC2086 - the options are one flag per word
    (cd "$run" && "$fuzzer" $options -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix="$run/" corpus seeds) > "$run/log" 2>&1 || status=$?
    inited=$(grep -m1 -E 'INITED cov: [0-9]+' "$run/log" || true)
    [ -n "$inited" ] || { tail -n 20 "$run/log" >&2; fail "$target: did not start (no INITED line)"; }
    cov=$(sed -E 's/.*cov: ([0-9]+).*/\1/' <<< "$inited")
    corp=$(sed -E 's/.*corp: ([0-9]+).*/\1/' <<< "$inited")
    artifacts=$(find "$run" -maxdepth 1 \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \))
    [ "$status" = 0 ] && [ -z "$artifacts" ] \
        || { tail -n 30 "$run/log" >&2; fail "$target: crashed on its seeds (exit $status) ${artifacts}"; }
    [ "$cov" -gt 0 ] && [ "$corp" -gt 0 ] || fail "$target: nothing found in its seeds ($inited)"
    execs=$(sed -n 's/^stat::number_of_executed_units: //p' "$run/log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: //p' "$run/log")
    size=$(du -m "$fuzzer.pkg" | cut -f1)
    echo "$target: OK  ${size} MB  seeds $(ls "$run/seeds" | wc -l)  INITED cov $cov corp $corp  ${execs} execs  ${rate} exec/s"
done
echo "check-oss-fuzz-build: all built fuzzers run"
