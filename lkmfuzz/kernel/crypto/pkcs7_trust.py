"""crypto/asymmetric_keys/pkcs7_trust.c ``pkcs7_validate_trust()``: whether any SignerInfo
chains to a trusted key, with asymmetric_type.c's ``find_asymmetric_key()`` for the
lookup of a key by its IDs on the trusted keyring.
"""

import errno

from .api import CryptoConfig
from .pkcs7 import Pkcs7Message, Pkcs7SignedInfo
from .public_key import PublicKeySignature, public_key_verify_signature
from .x509 import X509Certificate


def find_asymmetric_key(keys: list, id_0: bytes | None, id_1: bytes | None = None):
    """The trusted certificate whose id or SKID equals id_0 (else id_1), or an errno.
    With both IDs, the key's SKID must also equal id_1 (else EKEYREJECTED)."""
    lookup = id_0 if id_0 is not None else id_1
    if not lookup:
        return errno.EINVAL                               # "ex:" + no hex digits: hex_to_key_id() fails
    key = next((k for k in keys if lookup in (k.id, k.skid)), None)
    if key is None:
        return errno.ENOKEY
    if id_0 is not None and id_1 is not None and key.skid != id_1:
        return errno.EKEYREJECTED
    return key


def _verified(sinfo: Pkcs7SignedInfo, x509: X509Certificate | None) -> int:
    if x509 is not None:
        x509.verified = True
        p = sinfo.signer
        while p is not None and p is not x509:
            p.verified = True
            p = p.signer
    return 0


def _matched(key: X509Certificate, sig: PublicKeySignature, sinfo, x509, crypto: CryptoConfig, log: list) -> int:
    """verify_signature() with the trusted key; any failure is EKEYREJECTED."""
    ret = public_key_verify_signature(key.pub, sig, crypto)
    if ret:
        log.append(f"sinfo {sinfo.index}: key '{key.subject}' rejects the signature ({errno.errorcode.get(ret)})")
        return errno.EKEYREJECTED
    return _verified(sinfo, x509)


def pkcs7_validate_trust_one(msg: Pkcs7Message, sinfo: Pkcs7SignedInfo, keys: list,
                             crypto: CryptoConfig, log: list) -> int:
    if sinfo.unsupported_crypto:
        return errno.ENOPKG
    sig, last, x509 = sinfo.sig, None, sinfo.signer
    while x509 is not None:                               # the chain inside the message
        if x509.seen:
            return _verified(sinfo, x509) if x509.verified else errno.ENOKEY
        x509.seen = True
        key = find_asymmetric_key(keys, x509.id, x509.skid)
        if isinstance(key, X509Certificate):
            return _matched(key, sig, sinfo, x509, crypto, log)
        if x509.signer is x509:
            return errno.ENOKEY                           # unknown self-signed root
        last, sig = x509, x509.sig
        x509 = x509.signer
    if last is not None and (last.sig.auth_ids[0] is not None or last.sig.auth_ids[1] is not None):
        key = find_asymmetric_key(keys, *last.sig.auth_ids)
        if isinstance(key, X509Certificate):
            return _matched(key, sig, sinfo, last, crypto, log)
        if key != errno.ENOKEY:
            return key
    key = find_asymmetric_key(keys, sinfo.sig.auth_ids[0])   # a trusted key signed directly
    if isinstance(key, X509Certificate):
        return _matched(key, sinfo.sig, sinfo, None, crypto, log)
    return key


def pkcs7_validate_trust(msg: Pkcs7Message, keys: list, crypto: CryptoConfig, log: list) -> int:
    """0 if any SignerInfo chains to a trusted key; EKEYREJECTED beats it, ENOPKG beats ENOKEY."""
    for p in msg.certs:
        p.seen = False
    cached_ret = errno.ENOKEY
    for sinfo in msg.signed_infos:
        ret = pkcs7_validate_trust_one(msg, sinfo, keys, crypto, log)
        if ret == errno.ENOKEY:
            continue
        if ret == errno.ENOPKG:
            if cached_ret == errno.ENOKEY:
                cached_ret = errno.ENOPKG
            continue
        if ret:
            return ret
        cached_ret = 0
    return cached_ret
