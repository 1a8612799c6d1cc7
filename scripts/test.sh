#!/usr/bin/env bash
# Set up .venv with the test dependencies and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
# The real kernel under qemu for the tests marked `qemu`; they skip, saying why, if it
# cannot be prepared here (no network, not root and qemu missing...).
.venv/bin/lkmfuzz oracle setup || echo "test.sh: oracle setup failed; the qemu tests will skip" >&2
# The same for Linux 6.12 (about 110 MB of .deb once per clean machine; tests/test_release.py).
.venv/bin/lkmfuzz oracle setup --kernel linux-6.12 \
	|| echo "test.sh: oracle setup --kernel linux-6.12 failed; its qemu tests will skip" >&2
# Lint and types first: pyproject.toml's [tool.ruff] and [tool.mypy] are the project's rules.
.venv/bin/ruff check .
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
