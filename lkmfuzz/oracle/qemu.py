"""Boot the real kernel under qemu (TCG) on a batch of cases and collect their outcomes.

One initramfs per batch holds every case; each boot starts at the first case not
yet reported (``lkmfuzz_start=``).  A case that oopses or hangs stops the boot —
the kernel's state after that is not to be trusted — and the next boot resumes
after it.  Two watchdogs: /init's alarm per syscall (``lkmfuzz_watchdog=``) and
the host's silence limit on the console, for a kernel that stops printing at all.
"""

import os
import selectors
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import LkmfuzzError
from .cases import CaseError, OracleCase
from .initramfs import build_initramfs
from .kit import Kit
from .protocol import BatchLog, KernelOutcome, end_without_report, is_protocol_line, parse_line

GUEST_WATCHDOG_S = 10          # per syscall, inside the guest
HOST_SILENCE_S = 60            # no line from /init for this long: the guest is stuck
BOOT_SILENCE_S = 120           # the first line (READY) may take longer on a loaded host
BATCH_SIZE = 200               # cases per initramfs
MEMORY_MB = 1024


class OracleRunError(LkmfuzzError, RuntimeError):
    """A boot that reports nothing at all: a broken kit, not a case's verdict."""


@dataclass
class RunStats:
    boots: int = 0
    seconds: float = 0.0
    boot_seconds: list = field(default_factory=list)   # host time to READY, per boot


def kernel_command_line(start: int, sig_enforce: bool) -> str:
    words = ["console=ttyS0", "rdinit=/init", "panic=-1", "loglevel=1", "mitigations=off", "nokaslr",
             f"lkmfuzz_start={start}", f"lkmfuzz_watchdog={GUEST_WATCHDOG_S}"]
    if sig_enforce:
        words.append("module.sig_enforce=1")
    return " ".join(words)


def qemu_command(kit: Kit, initrd: Path, start: int, sig_enforce: bool) -> list[str]:
    return [kit.qemu, "-machine", "pc", "-cpu", "max", "-m", str(MEMORY_MB), "-smp", "1",
            "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio", "-no-reboot",
            "-kernel", str(kit.vmlinux), "-initrd", str(initrd),
            "-append", kernel_command_line(start, sig_enforce)]


def _lines(proc: subprocess.Popen, stats: RunStats, started: float):
    """Console lines until the guest powers off; stops early (yields None) when /init has
    printed nothing for HOST_SILENCE_S.  Only /init's own lines count as signs of life:
    a kernel stuck in a loop keeps printing too (the soft-lockup detector reports every
    twenty-odd seconds on the console), and that boot must end as a hang, not run on."""
    console = proc.stdout
    if console is None:
        raise ValueError("_lines: qemu was started without stdout=PIPE")
    selector = selectors.DefaultSelector()
    selector.register(console, selectors.EVENT_READ)
    pending, ready = b"", False
    deadline = time.monotonic() + BOOT_SILENCE_S
    while True:
        if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
            yield None                      # silence: the caller kills the guest
            return
        chunk = os.read(console.fileno(), 65536)
        if not chunk:
            if pending:
                yield pending.decode("utf-8", "replace")
            return
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            line = raw.decode("utf-8", "replace").rstrip("\r")
            if not ready and line.startswith("READY"):
                ready = True
                stats.boot_seconds.append(time.monotonic() - started)
            if ready and is_protocol_line(line):
                deadline = time.monotonic() + HOST_SILENCE_S
            yield line


def boot_once(kit: Kit, initrd: Path, start: int, sig_enforce: bool, stats: RunStats) -> BatchLog:
    log = BatchLog()
    started = time.monotonic()
    proc = subprocess.Popen(qemu_command(kit, initrd, start, sig_enforce), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    stats.boots += 1
    try:
        for line in _lines(proc, stats, started):
            if line is None:
                end_without_report(log, "hang")
                break
            parse_line(log, line)
    finally:
        proc.kill()
        proc.wait()
        stats.seconds += time.monotonic() - started
    if not (log.done or log.stop):
        end_without_report(log, "panic")
    return log


def run_batch(kit: Kit, cases: list[OracleCase], sig_enforce: bool, stats: RunStats,
              progress=None) -> list[KernelOutcome]:
    """Outcomes of ``cases``, in order, rebooting past every case that stops the kernel."""
    outcomes: dict[int, KernelOutcome] = {}
    with tempfile.TemporaryDirectory(prefix="lkmfuzz-oracle-") as tmp:
        initrd = Path(tmp, "initrd.cpio")
        initrd.write_bytes(build_initramfs(kit.init.read_bytes(), cases))
        start = 0
        while start < len(cases):
            log = boot_once(kit, initrd, start, sig_enforce, stats)
            if not log.ready:
                tail = " | ".join(log.console[-3:]) or "no console output"
                raise OracleRunError(f"the kernel did not reach /init (boot {stats.boots}): {tail}")
            reported = [n for n in log.outcomes if n >= start]
            outcomes.update({n: log.outcomes[n] for n in reported})
            start = max(reported, default=start) + 1 if (log.stop or not log.done) else len(cases)
            if progress:
                progress(min(start, len(cases)), len(cases))
    return [outcomes.get(n, KernelOutcome()) for n in range(len(cases))]


def run_cases(kit: Kit, cases: list[OracleCase], progress=None) -> tuple[list[KernelOutcome], RunStats]:
    """Outcomes of ``cases``, in order.  The kernel boots with module.sig_enforce=1 when the
    cases' config asks for it: cases of one run share their boots, so they must agree."""
    other = sorted({case.kernel for case in cases} - {kit.release.name})
    if other:
        raise CaseError(f"cases for {', '.join(other)} cannot run on the {kit.release.name} kernel")
    enforcing = {case.sig_enforce for case in cases}
    if len(enforcing) > 1:
        raise CaseError("cases with and without sig_enforce cannot share the kernel's boots: run them apart")
    sig_enforce = enforcing.pop() if enforcing else False
    stats = RunStats()
    outcomes: list[KernelOutcome] = []
    for first in range(0, len(cases), BATCH_SIZE):
        batch = cases[first:first + BATCH_SIZE]
        done = len(outcomes)
        outcomes += run_batch(kit, batch, sig_enforce, stats,
                              progress and (lambda n, _total, done=done: progress(done + n, len(cases))))
    return outcomes, stats
