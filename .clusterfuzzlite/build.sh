#!/bin/bash -eu
# Build lkmfuzz's fuzzers for ClusterFuzzLite and OSS-Fuzz (image base-builder-python;
# oss-fuzz/projects/lkmfuzz/build.sh runs this file too).
#
# For every harnesses/<target>_fuzzer.py: a PyInstaller --onefile binary
# $OUT/<target>_fuzzer.pkg with its wrapper $OUT/<target>_fuzzer (compile_python_fuzzer),
# then $OUT/<target>_fuzzer_seed_corpus.zip, .dict and .options.
#
# lkmfuzz reads its corpus and harness files as package data (importlib.resources,
# lkmfuzz/fuzzing/bundled.py), so PyInstaller must collect them: --collect-data lkmfuzz.
# LKMFUZZ_FUZZERS="load faults" builds only those targets (scripts/check-oss-fuzz-build.sh).
cd "$SRC/lkmfuzz"
pip3 install .

targets=${LKMFUZZ_FUZZERS:-}
if [ -z "$targets" ]; then
    targets=$(for harness in harnesses/*_fuzzer.py; do basename "$harness" _fuzzer.py; done)
fi
for target in $targets; do
    compile_python_fuzzer "harnesses/${target}_fuzzer.py" --collect-data lkmfuzz
done
python3 -m lkmfuzz.fuzzing.ossfuzz "$OUT" --targets "$(echo $targets | tr ' ' ,)"
