"""module_sig_check(): the appended signature (kernel/module/signing.c, module_signature.c).

Layout at the end of a signed module::

    <module> <PKCS#7 DER, sig_len bytes> <struct module_signature, 12 bytes> "~Module signature appended~\\n"

struct module_signature {u8 algo, hash, id_type, signer_len, key_id_len; u8 __pad[3];
__be32 sig_len}.  Only ENODATA (unsigned), ENOPKG and ENOKEY are soft errors; with
sig_enforce they become EKEYREJECTED, every other error is fatal regardless.
"""

import errno
import struct
from dataclasses import dataclass

from .context import MODULE_INIT_IGNORE_MODVERSIONS, MODULE_INIT_IGNORE_VERMAGIC, LoadInfo

MODULE_SIG_STRING = b"~Module signature appended~\n"
MODULE_SIGNATURE = struct.Struct(">BBBBB3sI")
PKEY_ID_PKCS7 = 2
SOFT_ERRORS = {errno.ENODATA: "unsigned module", errno.ENOPKG: "module with unsupported crypto",
               errno.ENOKEY: "module with unavailable key"}


@dataclass(frozen=True)
class ModuleSignature:
    algo: int
    hash: int
    id_type: int
    signer_len: int
    key_id_len: int
    pad: bytes
    sig_len: int

    @classmethod
    def unpack(cls, raw: bytes) -> "ModuleSignature":
        return cls(*MODULE_SIGNATURE.unpack(raw))

    def pack(self) -> bytes:
        return MODULE_SIGNATURE.pack(self.algo, self.hash, self.id_type, self.signer_len,
                                     self.key_id_len, self.pad, self.sig_len)


def mod_check_sig(ms: ModuleSignature, file_len: int) -> tuple[int, str]:
    """(0, "") or (errno, reason) for the trailer's fixed fields."""
    if ms.sig_len >= file_len - MODULE_SIGNATURE.size:
        return errno.EBADMSG, f"sig_len {ms.sig_len} does not fit the {file_len}-byte module"
    if ms.id_type != PKEY_ID_PKCS7:
        return errno.ENOPKG, f"not signed with expected PKCS#7 message (id_type {ms.id_type})"
    if ms.algo or ms.hash or ms.signer_len or ms.key_id_len or ms.pad != b"\0\0\0":
        return errno.EBADMSG, "PKCS#7 signature info has unexpected non-zero params"
    return 0, ""


def split_signature(data: bytes) -> tuple[bytes, ModuleSignature, bytes] | None:
    """(module, trailer, pkcs7) of a well-formed signed file, else None (used by tools)."""
    marker = len(MODULE_SIG_STRING)
    if len(data) <= marker + MODULE_SIGNATURE.size or not data.endswith(MODULE_SIG_STRING):
        return None
    modlen = len(data) - marker
    ms = ModuleSignature.unpack(data[modlen - MODULE_SIGNATURE.size:modlen])
    if mod_check_sig(ms, modlen)[0] == errno.EBADMSG:
        return None
    end = modlen - MODULE_SIGNATURE.size
    return data[:end - ms.sig_len], ms, data[end - ms.sig_len:end]


def mod_verify_sig(info: LoadInfo) -> tuple[int, str]:
    """Strip and check the trailer, then verify the PKCS#7 blob.  Shrinks info.len."""
    modlen = info.len
    if modlen <= MODULE_SIGNATURE.size:
        return errno.EBADMSG, "signed module too short for struct module_signature"
    ms = ModuleSignature.unpack(info.image.read(modlen - MODULE_SIGNATURE.size, MODULE_SIGNATURE.size))
    err, reason = mod_check_sig(ms, modlen)
    if err:
        return err, reason
    modlen -= ms.sig_len + MODULE_SIGNATURE.size
    info.len = modlen
    pkcs7 = info.image.read(modlen, ms.sig_len)
    err = info.kernel.keyring.verify_pkcs7_signature(info.image.read(0, modlen), pkcs7)
    return err, "verify_pkcs7_signature" if err else ""


def module_sig_check(info: LoadInfo) -> None:
    """Requires: info.image, info.len.  Sets: info.len (without the signature), info.sig_ok.
    Errors: EBADMSG, EKEYREJECTED, ENOMEM (fatal); ENODATA/ENOPKG/ENOKEY become
    EKEYREJECTED under sig_enforce and EPERM under lockdown, else pass unsigned."""
    config = info.kernel.config
    if not config.module_sig:
        return
    err, reason = errno.ENODATA, "unsigned module"
    marker = len(MODULE_SIG_STRING)
    # A module with version info stripped by --force is no longer what was signed.
    mangled = info.flags & (MODULE_INIT_IGNORE_MODVERSIONS | MODULE_INIT_IGNORE_VERMAGIC)
    if not mangled and info.len > marker and info.image.read(info.len - marker, marker) == MODULE_SIG_STRING:
        info.len -= marker
        err, reason = mod_verify_sig(info)
        if not err:
            info.sig_ok = True
            return
    if err not in SOFT_ERRORS:
        raise info.refuse(err, reason)
    if config.sig_enforce:
        raise info.refuse(errno.EKEYREJECTED, f"Loading of {SOFT_ERRORS[err]} is rejected")
    if config.lockdown:
        raise info.refuse(errno.EPERM, f"Lockdown: load of {SOFT_ERRORS[err]} is restricted")
