"""What counts as a finding, and how one is recorded in the crash store."""

from ...case import TestCase

# A harness's line on stderr when it records a finding: "<FINDING_LINE> N execs: TITLE".
FINDING_LINE = "lkmfuzz: finding after"


class Finding(Exception):
    """Something the loader must never do; ``kind`` is exception, invariant or kernel-fault,
    ``title`` what makes two findings the same bug."""

    def __init__(self, kind: str, title: str, summary: str, detail: str, case: TestCase):
        super().__init__(f"{title}: {summary}")
        self.kind, self.title, self.summary, self.detail, self.case = kind, title, summary, detail, case


def save_finding(crashes, finding: Finding, target: str, data: bytes, campaign: str | None = None):
    """Record a finding of ``target`` in the crash store: input.ko is the module the case
    runs (replayable as it is); the raw input, header and all, stays in testcase.json
    when it differs, and so does the campaign that first found it (when one ran it)."""
    from ...findings import store
    case = finding.case
    meta = dict(case.meta(), target=target, raw_input=data.hex() if data != case.module else None)
    if campaign:
        meta["campaign"] = campaign
    return store.record(crashes, finding.title, finding.kind, target, finding.summary, finding.detail, case.module,
                        meta, case.preload)
