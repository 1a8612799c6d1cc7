"""The system keyring: trusted certificates that module signatures verify against.

This is the boundary of the signature model: ``module_sig_check`` does the
marker and ``struct module_signature`` checks itself and hands the PKCS#7 blob to
``verify_pkcs7_signature``.  Until cryptographic verification lands (issue 4) the
keyring is empty, so every well-formed signature names a key the kernel does not
have: ENOKEY, which the policy treats exactly as the kernel does (not fatal
unless sig_enforce).
"""

import errno
from dataclasses import dataclass, field


@dataclass
class Keyring:
    certificates: list = field(default_factory=list)

    def verify_pkcs7_signature(self, data: bytes, pkcs7: bytes) -> int:
        """0 on a good signature, else the errno the kernel's PKCS#7 code returns."""
        # No certificate can match yet (see the module docstring): the signer is unknown.
        return errno.ENOKEY
