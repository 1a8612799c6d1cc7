"""crypto/asymmetric_keys/pkcs7_verify.c ``pkcs7_verify()`` for a module signature
(VERIFYING_MODULE_SIGNATURE): digest the detached content, find each SignerInfo's signer
among the message's own certificates, and verify the signature and the certificate chain
inside the message.
"""

import errno

from .api import CryptoConfig
from .pkcs7 import Pkcs7Message, Pkcs7SignedInfo
from .public_key import compute_digest, public_key_verify_signature


def pkcs7_digest(msg: Pkcs7Message, sinfo: Pkcs7SignedInfo, crypto: CryptoConfig) -> int:
    """Digest the detached content.  (The authattrs half of the C is unreachable here:
    pkcs7_verify() refuses module signatures that carry authenticated attributes.)"""
    if sinfo.sig.digest is not None:
        return 0
    if not sinfo.sig.hash_algo:
        return errno.ENOPKG
    if msg.data is None:
        raise ValueError("pkcs7_digest: no detached data (the caller supplies it before pkcs7_verify)")
    digest = compute_digest(sinfo.sig.hash_algo, msg.data, crypto)
    if digest is None:
        return errno.ENOPKG                               # crypto_alloc_shash(): -ENOENT
    sinfo.sig.digest = digest
    return 0


def pkcs7_find_key(msg: Pkcs7Message, sinfo: Pkcs7SignedInfo) -> None:
    """The signer among the message's own certificates, by issuer+serial (or SKID)."""
    sinfo.signer = next((x for x in msg.certs if x.id == sinfo.sig.auth_ids[0]), None)


def pkcs7_verify_sig_chain(msg: Pkcs7Message, sinfo: Pkcs7SignedInfo, crypto: CryptoConfig) -> int:
    """Follow the signer's issuers through the message's certificates, verifying each link."""
    for cert in msg.certs:
        cert.seen = False
    x509 = sinfo.signer
    if x509 is None:
        raise ValueError("pkcs7_verify_sig_chain: no signer (pkcs7_verify_one stops before the chain then)")
    while True:
        x509.seen = True
        if x509.self_signed:
            if not x509.unsupported_sig:
                x509.signer = x509
            return 0
        auth0, auth1 = x509.sig.auth_ids
        p = None
        if auth0 is not None:
            p = next((c for c in msg.certs if c.id == auth0), None)
            if p is not None and auth1 is not None and p.skid != auth1:
                return errno.EKEYREJECTED                 # auth-skid nonmatch
        elif auth1 is not None:
            p = next((c for c in msg.certs if c.skid is not None and c.skid == auth1), None)
        if p is None or p.seen:
            return 0                                      # top of the chain, or a loop
        ret = public_key_verify_signature(p.pub, x509.sig, crypto)
        if ret:
            return ret
        x509.signer = p
        if x509 is p:
            return 0
        x509 = p


def pkcs7_verify_one(msg: Pkcs7Message, sinfo: Pkcs7SignedInfo, crypto: CryptoConfig) -> int:
    ret = pkcs7_digest(msg, sinfo, crypto)
    if ret:
        return ret
    pkcs7_find_key(msg, sinfo)
    if sinfo.signer is None:
        return 0
    # (The signingTime window check needs authattrs: unreachable for modules.)
    ret = public_key_verify_signature(sinfo.signer.pub, sinfo.sig, crypto)
    if ret:
        return ret
    return pkcs7_verify_sig_chain(msg, sinfo, crypto)


def pkcs7_verify(msg: Pkcs7Message, crypto: CryptoConfig, log: list[str]) -> int:
    """pkcs7_verify(pkcs7, VERIFYING_MODULE_SIGNATURE)."""
    if msg.data_type != "data":
        log.append("Invalid module sig (not pkcs7-data)")
        return errno.EKEYREJECTED
    if msg.have_authattrs:
        log.append("Invalid module sig (has authattrs)")
        return errno.EKEYREJECTED
    actual_ret = errno.ENOPKG
    for sinfo in msg.signed_infos:
        ret = pkcs7_verify_one(msg, sinfo, crypto)
        if ret == errno.ENOPKG:
            sinfo.unsupported_crypto = True
            continue
        if ret:
            return ret
        actual_ret = 0
    return actual_ret
