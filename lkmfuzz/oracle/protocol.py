"""Parse what the oracle's /init prints on the serial console into per-case outcomes.

The line protocol is documented at the top of ``init.c`` (package data of lkmfuzz.oracle).  Lines that
are not part of it (kernel messages on the console, firmware noise) are kept only
for the oops report of a batch that ended in a panic.
"""

import re
from dataclasses import dataclass, field

from ..errors import errno_name

RIP = re.compile(r"RIP: 0010:([^\s+]+)\+0x[0-9a-f]+/0x[0-9a-f]+(?: \[(\S+)\])?")


@dataclass
class KernelOutcome:
    """What the real kernel did with one case."""
    results: list = field(default_factory=list)    # errno of each attempt (0 = loaded)
    preload: list = field(default_factory=list)    # errno of each dependency load
    taint: int = 0
    module_taint: str = "-"
    name: str = "-"
    unload: list = field(default_factory=list)     # (module, errno, forced errno or None)
    klog: list = field(default_factory=list)
    oops: str | None = None                        # the faulting function
    oops_module: str | None = None                 # set when the oops was in module code ("[name]")
    hang: bool = False
    elapsed_us: int = 0
    finished: bool = False
    stopped_in: str | None = None                  # what /init was doing when it stopped: load, unload
    unparsable: list = field(default_factory=list)  # this case's lines that did not follow the protocol

    @property
    def in_module_code(self) -> bool:
        """The oops happened in the module's own code: RIP in ``[module]``, or under
        do_one_initcall() (its init was running, whatever it called)."""
        return bool(self.oops) and (self.oops_module is not None
                                    or any("do_one_initcall" in line for line in self.klog))

    @property
    def in_unload(self) -> bool:
        return bool(self.oops) and self.stopped_in == "unload"

    def kinds(self) -> list[str]:
        """One word per load attempt, comparable with the model's LoadResult.kind
        (an oops while unloading afterwards is not a load verdict)."""
        words = ["loaded" if err == 0 else errno_name(err) for err in self.results]
        if self.oops and not self.in_unload:
            words.append("kernel-fault")
        elif self.hang:
            words.append("hang")
        return words

    def describe(self) -> str:
        if self.oops:
            where = f" in module {self.oops_module}" if self.oops_module else ""
            when = " while unloading" if self.in_unload else ""
            loaded = "loaded, then " if self.in_unload else ""
            return f"{loaded}oops in {self.oops}{where}{when}" + self._unparsable_note()
        return (" then ".join(self.kinds()) or "no result") + self._unparsable_note()

    def _unparsable_note(self) -> str:
        return f" ({len(self.unparsable)} unparsable line(s): {self.unparsable[0]!r})" if self.unparsable else ""


@dataclass
class BatchLog:
    outcomes: dict = field(default_factory=dict)   # case number -> KernelOutcome
    started: int | None = None                     # the last CASE START without END
    stop: str | None = None
    done: bool = False
    ready: bool = False
    console: list = field(default_factory=list)    # non-protocol lines
    unparsable: list = field(default_factory=list)  # protocol lines that did not parse (also in console)


def _outcome(log: BatchLog, n: int) -> KernelOutcome:
    return log.outcomes.setdefault(n, KernelOutcome())


def _note_rip(outcome: KernelOutcome, text: str) -> None:
    match = RIP.search(text)
    if match and outcome.oops_module is None:
        outcome.oops_module = match.group(2)


PROTOCOL_HEADS = frozenset({"READY", "DONE", "STOP", "CASE", "PRE", "UNLOAD", "FORCED", "KLOG"})


def is_protocol_line(line: str) -> bool:
    """A line /init printed (the kernel's own console messages are anything else)."""
    return line.split(" ", 1)[0] in PROTOCOL_HEADS


def parse_line(log: BatchLog, line: str) -> None:
    words = line.split()
    if not words:
        return
    head = words[0]
    try:
        if head == "READY":
            log.ready = True
        elif head == "DONE":
            log.done = True
        elif head == "STOP":
            log.stop = " ".join(words[1:])
            if log.started is not None:
                _outcome(log, log.started).stopped_in = log.stop
        elif head in ("CASE", "PRE", "UNLOAD", "FORCED", "KLOG") and len(words) >= 3:
            _parse_case_line(log, head, int(words[1]), words[2:], line)
        else:
            log.console.append(line)
    except (ValueError, IndexError):
        # A line of the protocol that does not follow it (a kernel message interleaved
        # with it, a name /init could not print): kept and reported, never fatal.
        log.console.append(line)
        log.unparsable.append(line)
        if len(words) > 1 and words[1].isdigit():
            _outcome(log, int(words[1])).unparsable.append(line)


def _parse_case_line(log: BatchLog, head: str, n: int, rest: list, line: str) -> None:
    outcome = _outcome(log, n)
    if head == "KLOG":
        text = line.split(" ", 2)[2]
        outcome.klog.append(text)
        _note_rip(outcome, text)
    elif head == "PRE":
        outcome.preload.append(int(rest[1]))
    elif head == "UNLOAD":
        outcome.unload.append([*_name_and_errno(rest), None])
    elif head == "FORCED":
        outcome.unload[-1][2] = _name_and_errno(rest)[1]
    elif rest[0] == "START":
        log.started = n
    elif rest[0] == "RESULT":
        # Every field is read before any is stored: a short line changes nothing.  An
        # empty module name prints as nothing after NAME.
        err, taint, module_taint = int(rest[1]), int(rest[3]), rest[5]
        outcome.results.append(err)
        outcome.taint, outcome.module_taint = taint, module_taint
        outcome.name = rest[7] if len(rest) > 7 else ""
    elif rest[0] == "OOPS":
        outcome.oops = rest[1]
    elif rest[0] == "HANG":
        outcome.hang = True
    elif rest[0] == "END":
        outcome.elapsed_us, outcome.finished = int(rest[1]), True
        log.started = None


def _name_and_errno(rest: list) -> tuple[str, int]:
    """``<name> <errno>`` — an empty module name prints as nothing before the errno."""
    return (rest[0], int(rest[1])) if len(rest) > 1 else ("", int(rest[0]))


def end_without_report(log: BatchLog, why: str) -> int | None:
    """The boot ended (panic, host watchdog) in the middle of a case: blame that case.
    Returns its number, or None if no case was running."""
    n = log.started
    if n is None:
        return None
    outcome = _outcome(log, n)
    for match in filter(None, map(RIP.search, log.console)):
        outcome.oops = outcome.oops or match.group(1)
        outcome.oops_module = outcome.oops_module or match.group(2)
    if outcome.oops is None:
        outcome.hang = why == "hang"
        outcome.oops = None if outcome.hang else "panic"
    return n
