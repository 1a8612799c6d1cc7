#!/bin/bash -eu
# The build lives in the repository, beside the ClusterFuzzLite one: one build.sh for both.
exec "$SRC/lkmfuzz/.clusterfuzzlite/build.sh"
