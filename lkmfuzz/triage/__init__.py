"""Crash triage: titles, the crash store, replay."""
