"""The project's two families of exceptions: tool errors and the loader's verdicts.

``LkmfuzzError`` is the root of every error lkmfuzz reports to its user: a bad flag or
file, a damaged crash directory or corpus, an oracle kit that is not ready.  Each
carries a one-line message naming what is wrong; ``cli.main`` catches the root once,
prints that line and exits 2 (never 1, which means "refused").  Subclasses keep
ValueError or RuntimeError as a second base where callers catch those.

The loader's verdicts are not tool errors: they are what the model *answers*.
``LoadError`` is what ``load_module()`` returns to user space: an errno plus the
step that refused and a reason in the kernel's words.  ``KernelFault`` is a
real-kernel profile's prediction that the real kernel would touch memory it
does not own at ``site`` (a kernel function) — an oops, not an errno.
``UnvalidatedAccess`` is the hardened profile's: after its validation checks ran,
the loader still reached data the real kernel trusts (an access out of bounds, or
a value no check vouched for) — a missing check, which every harness reports as a
finding.

All three are *results*: the loader returns a verdict for every byte string.  Any
other exception escaping the loader is a bug in the model, and harnesses report it
as a crash.

Neither family: the internal signals that never reach the user — elf.reader.OutOfBounds
(an access outside mapped memory, turned into a verdict), kernel.alloc.AllocFailed and
kernel.sysfs.SysfsError (a simulated kernel failure, turned into an errno),
kernel.crypto.x509.X509Error and loader.params.ParamError (the kernel's parsers
refusing, likewise), fuzzing.checkpoint.CheckpointError (a load that cannot be resumed)
and fuzzing.targets.Finding (how a target reports a finding to its harness).
"""

import errno as _errno


class LkmfuzzError(Exception):
    """A tool error: one line for the user, exit 2 from the command line."""


class UsageError(LkmfuzzError):
    """A bad flag, file or value on the command line."""


class Verdict(Exception):
    """Base of the loader's non-success verdicts (never raised for model bugs, never a
    tool error: a verdict is a result, not a failure of lkmfuzz)."""


class LoadError(Verdict):
    """``check`` names the hardened validation check that refused (loader/hardening.py),
    None for the kernel's own refusals."""

    def __init__(self, err: int, step: str, reason: str, check: str | None = None):
        super().__init__(err, step, reason, check)
        self.errno = err
        self.step = step
        self.reason = reason
        self.check = check

    @property
    def errno_name(self) -> str:
        return errno_name(self.errno)

    def __str__(self) -> str:
        return f"{self.errno_name} ({self.step}: {self.reason})"


class AccessVerdict(Verdict):
    """An access the loader must not make, at ``site`` (a kernel function): ``reason``
    says what was read or written.  ``kind`` is how the verdict prints."""
    kind = ""

    def __init__(self, site: str, reason: str):
        super().__init__(site, reason)
        self.site = site
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.kind} ({self.site}: {self.reason})"


class KernelFault(AccessVerdict):
    """A real kernel's profile: the real kernel would oops there."""
    kind = "kernel-fault"


class WildAccess(KernelFault):
    """A real kernel's profile: the kernel reads past the guard page after its copy of the
    file, where other vmalloc'd memory may be mapped: it may oops, or go on with garbage.
    The model cannot know which (the oracle counts these apart from agreement)."""
    kind = "wild-access"


class UnvalidatedAccess(AccessVerdict):
    """Hardened reached what the real kernel leaves unchecked.  Never a refusal: hardened
    must have refused the input with a named validation check before getting here."""
    kind = "unvalidated-access"


# Where Linux has two names for one number, the one its headers and tools print.
PREFERRED_NAMES = {_errno.EOPNOTSUPP: "EOPNOTSUPP", _errno.EAGAIN: "EAGAIN", _errno.EDEADLK: "EDEADLK"}


def errno_name(err: int) -> str:
    return PREFERRED_NAMES.get(err) or _errno.errorcode.get(err, f"E{err}")


def errno_by_name(name: str) -> int:
    value = getattr(_errno, name.upper(), None)
    if not isinstance(value, int):
        raise ValueError(f"unknown errno name {name!r}")
    return value
