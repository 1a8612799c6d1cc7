#!/usr/bin/env python3
"""Fuzz target 'load' (OSS-Fuzz layout): see lkmfuzz/fuzzing/harness.py and lkmfuzz/fuzzing/targets/."""

from lkmfuzz.fuzzing.harness import main

if __name__ == "__main__":
    main("load")
