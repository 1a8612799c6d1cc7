#!/usr/bin/env python3
"""Fuzz target 'scenario' (OSS-Fuzz layout): see lkmfuzz/fuzzing/harness.py and scenario.py."""

from lkmfuzz.fuzzing.harness import main

if __name__ == "__main__":
    main("scenario")
