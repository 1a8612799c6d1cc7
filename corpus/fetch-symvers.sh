#!/usr/bin/env bash
# corpus/fetch-symvers.sh - regenerate lkmfuzz/kernel/data/linux-6.1/{Module.symvers.xz,
# config.xz,SOURCE.md} from the Debian headers package.
# Same environment variables as build.sh (LKMFUZZ_CACHE, LKMFUZZ_KABI).
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/build.sh" --data-only "$@"
