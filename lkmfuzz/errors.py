"""The loader's verdicts other than success.

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
"""

import errno as _errno


class Verdict(Exception):
    """Base of the loader's non-success verdicts (never raised for model bugs)."""


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


class KernelFault(Verdict):
    def __init__(self, site: str, reason: str):
        super().__init__(site, reason)
        self.site = site
        self.reason = reason

    def __str__(self) -> str:
        return f"kernel-fault ({self.site}: {self.reason})"


class UnvalidatedAccess(Verdict):
    """Hardened reached, at ``site``, what the real kernel leaves unchecked: ``reason``
    says what was read or written.  Never a refusal: hardened must have refused the
    input with a named validation check before getting here."""

    def __init__(self, site: str, reason: str):
        super().__init__(site, reason)
        self.site = site
        self.reason = reason

    def __str__(self) -> str:
        return f"unvalidated-access ({self.site}: {self.reason})"


# Where Linux has two names for one number, the one its headers and tools print.
PREFERRED_NAMES = {_errno.EOPNOTSUPP: "EOPNOTSUPP", _errno.EAGAIN: "EAGAIN", _errno.EDEADLK: "EDEADLK"}


def errno_name(err: int) -> str:
    return PREFERRED_NAMES.get(err) or _errno.errorcode.get(err, f"E{err}")


def errno_by_name(name: str) -> int:
    value = getattr(_errno, name.upper(), None)
    if not isinstance(value, int):
        raise ValueError(f"unknown errno name {name!r}")
    return value
