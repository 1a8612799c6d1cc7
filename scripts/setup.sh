#!/usr/bin/env bash
# Create .venv (idempotent) and install lkmfuzz into it, with extras given as $1 (e.g. "test").
# Works on a fresh Debian 12: installs python3-venv with apt when venv support is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
if [ ! -x .venv/bin/python ]; then
    if ! python3 -m venv .venv 2>/dev/null; then
        rm -rf .venv
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        else
            echo "setup.sh: python3 -m venv failed; install python3-venv (apt-get install python3-venv)" >&2
            exit 1
        fi
        python3 -m venv .venv
    fi
fi
spec="."
[ -n "$extras" ] && spec=".[$extras]"
.venv/bin/python -m pip install -q --disable-pip-version-check -e "$spec"
