"""Findings: what makes two findings the same bug (title.py) and the crash store they are
recorded in (store.py).  Below fuzzing and triage: campaigns record, triage reads."""
