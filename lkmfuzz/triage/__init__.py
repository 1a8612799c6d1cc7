"""Crash triage: replay, minimize and report stored findings (the store and titles: lkmfuzz/findings)."""
