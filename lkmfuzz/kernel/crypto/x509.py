"""crypto/asymmetric_keys/x509_cert_parser.c ``x509_cert_parse()``, with x509_public_key.c's
``x509_get_sig_params()`` and ``x509_check_for_self_signed()``.  Certificates (trusted
ones, and any embedded in a message) are read by a DER walk that extracts exactly the raw
fields the kernel's x509 parser keys on (serial and issuer bytes, SKID, the signature
algorithms) plus ``cryptography`` for the public key.  Unlike the PKCS#7 side it is not a
port of the kernel's x509 grammar: for embedded certificates (sign-file never writes any)
the errno of a malformed certificate is EBADMSG or ENOPKG but may differ from the
kernel's in corner cases, and an AKID's issuer+serial form is ignored.
"""

import errno
from dataclasses import dataclass

from cryptography import exceptions as crypto_exceptions
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from .api import CryptoConfig
from .asn1 import (
    ASN1_BTS,
    ASN1_GENTIM,
    ASN1_INDEFINITE_LENGTH,
    ASN1_LONG_TAG,
    ASN1_OID,
    ASN1_OTS,
    ASN1_UNITIM,
    CONS,
    CONT,
    INT,
    OID,
    OTS,
    PRIM,
    SEQ,
    UNIV,
    asn1_tag,
)
from .oid import look_up_oid
from .public_key import PublicKey, PublicKeySignature, compute_digest, public_key_verify_signature

# x509_note_sig_algo(): a certificate's signatureAlgorithm names hash and key together.
CERT_SIG_ALGOS = {
    **{f"{h}WithRSAEncryption": (h, "rsa", "pkcs1") for h in ("md4", "sha1", "sha256", "sha384", "sha512", "sha224")},
    **{f"id_ecdsa_with_{h}": (h, "ecdsa", "x962") for h in ("sha1", "sha224", "sha256", "sha384", "sha512")},
    "gost2012Signature256": ("streebog256", "ecrdsa", "raw"),
    "gost2012Signature512": ("streebog512", "ecrdsa", "raw"),
    "SM2_with_SM3": ("sm3", "sm2", "raw"),
}
EC_CURVES = {"id_prime192v1": "ecdsa-nist-p192", "id_prime256v1": "ecdsa-nist-p256",
             "id_ansip384r1": "ecdsa-nist-p384"}


@dataclass(eq=False)
class X509Certificate:
    """struct x509_certificate, the fields the PKCS#7 code reads."""
    id: bytes                       # raw serial + raw issuer (asymmetric_key_generate_id)
    skid: bytes | None
    raw_subject: bytes
    raw_issuer: bytes
    pub: PublicKey
    sig: PublicKeySignature
    subject: str = ""                # for messages (trusted keys only)
    unsupported_sig: bool = False
    self_signed: bool = False
    der: bytes = b""
    # Set while one message is verified (pkcs7_verify_sig_chain, pkcs7_validate_trust).
    signer: "X509Certificate | None" = None
    seen: bool = False
    verified: bool = False
    index: int = 0


class X509Error(Exception):
    """x509_cert_parse() failed with this errno."""

    def __init__(self, err: int, why: str):
        super().__init__(err, why)
        self.errno = err
        self.why = why


def _der_element(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(tag, value_start, value_end) of the DER element at pos; X509Error if malformed."""
    if end - pos < 2 or data[pos] & 0x1F == ASN1_LONG_TAG:
        raise X509Error(errno.EBADMSG, "truncated or long-form tag")
    tag, length, pos = data[pos], data[pos + 1], pos + 2
    if length == ASN1_INDEFINITE_LENGTH:
        raise X509Error(errno.EBADMSG, "indefinite length in a certificate")
    if length > 0x7F:
        n = length - 0x80
        if n > 4 or end - pos < n:
            raise X509Error(errno.EBADMSG, "bad length")
        length, pos = int.from_bytes(data[pos:pos + n], "big"), pos + n
    if length > end - pos:
        raise X509Error(errno.EBADMSG, "data overrun")
    return tag, pos, pos + length


def _der_children(data: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    """(tag, header_start, value_start, value_end) of each element in data[start:end]."""
    children = []
    while start < end:
        tag, vstart, vend = _der_element(data, start, end)
        children.append((tag, start, vstart, vend))
        start = vend
    return children


def _expect(children: list, index: int, tag: int, what: str) -> tuple[int, int, int, int]:
    if index >= len(children) or children[index][0] != tag:
        raise X509Error(errno.EBADMSG, f"expected {what}")
    return children[index]


def _algorithm_oid(data: bytes, elem: tuple) -> tuple[str | None, bytes]:
    """(registry name, raw parameters) of an AlgorithmIdentifier."""
    parts = _der_children(data, elem[2], elem[3])
    oid = _expect(parts, 0, asn1_tag(UNIV, PRIM, OID), "algorithm OID")
    params = data[parts[1][1]:parts[1][3]] if len(parts) > 1 else b""
    return look_up_oid(data[oid[2]:oid[3]]), params


def _cert_public_key(data: bytes, spki: tuple) -> PublicKey:
    """x509_extract_key_data(): the kernel's name for the key, and the key."""
    parts = _der_children(data, spki[2], spki[3])
    algo, params = _algorithm_oid(data, _expect(parts, 0, asn1_tag(UNIV, CONS, SEQ), "key algorithm"))
    bits = _expect(parts, 1, asn1_tag(UNIV, PRIM, ASN1_BTS), "subjectPublicKey")
    if algo == "rsaEncryption":
        name = "rsa"
    elif algo == "id_ecPublicKey":
        if len(params) < 3 or params[0] != ASN1_OID or params[1] != len(params) - 2:
            raise X509Error(errno.EBADMSG, "bad EC parameters")       # parse_OID()
        curve = look_up_oid(params[2:])
        curve_name = EC_CURVES.get(curve) if curve is not None else None
        if curve_name is None:
            raise X509Error(errno.ENOPKG, "unsupported EC curve")
        name = curve_name
    else:
        raise X509Error(errno.ENOPKG, f"unsupported key algorithm {algo}")
    if bits[3] - bits[2] < 1 or data[bits[2]] != 0:
        raise X509Error(errno.EBADMSG, "BIT STRING with unused bits")
    try:
        key = serialization.load_der_public_key(data[spki[1]:spki[3]])
    except (ValueError, crypto_exceptions.UnsupportedAlgorithm) as e:
        raise X509Error(errno.EBADMSG, f"public key: {e}") from None
    # cryptography chose the key's class by the same algorithm OID: a mismatch is a bug.
    expected = rsa.RSAPublicKey if name == "rsa" else ec.EllipticCurvePublicKey
    if not isinstance(key, expected):
        raise TypeError(f"x509: {algo} key {name} loaded as a {type(key).__name__}")
    return PublicKey(name, key)



def _cert_extensions(data: bytes, ext_wrapper: tuple | None) -> tuple[bytes | None, bytes | None]:
    """x509_process_extension(): (skid, akid keyIdentifier) — each may be None."""
    skid = akid_keyid = None
    if ext_wrapper is None:
        return None, None
    seq = _expect(_der_children(data, ext_wrapper[2], ext_wrapper[3]), 0, asn1_tag(UNIV, CONS, SEQ), "extensions")
    for ext in _der_children(data, seq[2], seq[3]):
        parts = _der_children(data, ext[2], ext[3])
        oid = _expect(parts, 0, asn1_tag(UNIV, PRIM, OID), "extension OID")
        value = parts[-1]
        if value[0] != asn1_tag(UNIV, PRIM, OTS):
            raise X509Error(errno.EBADMSG, "extension value is not an OCTET STRING")
        v = data[value[2]:value[3]]
        name = look_up_oid(data[oid[2]:oid[3]])
        if name == "subjectKeyIdentifier":
            if skid is not None or len(v) < 3 or v[0] != ASN1_OTS or v[1] != len(v) - 2:
                raise X509Error(errno.EBADMSG, "bad subjectKeyIdentifier")
            skid = v[2:]
        elif name == "authorityKeyIdentifier":
            akid_keyid = _akid_key_id(v)
    return skid, akid_keyid


def _akid_key_id(v: bytes) -> bytes | None:
    """x509_akid_note_kid(): the [0] keyIdentifier of an AuthorityKeyIdentifier."""
    _seq, seq_start, seq_end = _der_element(v, 0, len(v))
    for tag, _hdr, start, end in _der_children(v, seq_start, seq_end):
        if tag == asn1_tag(CONT, PRIM, 0):
            return v[start:end]
    return None


def x509_decode_time(tag: int, value: bytes) -> int:
    """x509_decode_time(): 0 for a valid UTCTime/GeneralizedTime, else EBADMSG."""
    if tag == ASN1_UNITIM and len(value) == 13:
        digits, year_digits = value[:12], 2
    elif tag == ASN1_GENTIM and len(value) == 15:
        digits, year_digits = value[:14], 4
    else:
        return errno.EBADMSG
    if not all(0x30 <= c <= 0x39 for c in digits) or value[-1] != ord("Z"):
        return errno.EBADMSG
    year = int(digits[:year_digits])
    if year_digits == 2:
        year += 1900 if year >= 50 else 2000
    elif 1950 <= year <= 2049:
        return errno.EBADMSG                              # must have been a UTCTime
    mon, day, hour, minute, sec = (int(digits[i:i + 2]) for i in range(year_digits, year_digits + 10, 2))
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    mon_len = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[mon - 1] if 1 <= mon <= 12 else 0
    if year < 1970 or not mon_len or not 1 <= day <= mon_len or hour > 24 or minute > 59 or sec > 60:
        return errno.EBADMSG
    return 0


def x509_cert_parse(der: bytes, crypto: CryptoConfig) -> X509Certificate:
    """x509_cert_parse() + x509_get_sig_params() + x509_check_for_self_signed().
    Raises X509Error(errno) like the kernel's ERR_PTR returns."""
    top, start, end = _der_element(der, 0, len(der))
    if top != asn1_tag(UNIV, CONS, SEQ):
        raise X509Error(errno.EBADMSG, "not a SEQUENCE")
    cert_parts = _der_children(der, start, end)
    tbs = _expect(cert_parts, 0, asn1_tag(UNIV, CONS, SEQ), "tbsCertificate")
    outer_algo = _expect(cert_parts, 1, asn1_tag(UNIV, CONS, SEQ), "signatureAlgorithm")
    sig_bits = _expect(cert_parts, 2, asn1_tag(UNIV, PRIM, ASN1_BTS), "signature")
    fields = _der_children(der, tbs[2], tbs[3])
    i = 1 if fields and fields[0][0] == asn1_tag(CONT, CONS, 0) else 0      # [0] version
    serial = _expect(fields, i, asn1_tag(UNIV, PRIM, INT), "serialNumber")
    sig_algo, _ = _algorithm_oid(der, _expect(fields, i + 1, asn1_tag(UNIV, CONS, SEQ), "signature"))
    issuer = _expect(fields, i + 2, asn1_tag(UNIV, CONS, SEQ), "issuer")
    validity = _expect(fields, i + 3, asn1_tag(UNIV, CONS, SEQ), "validity")
    subject = _expect(fields, i + 4, asn1_tag(UNIV, CONS, SEQ), "subject")
    spki = _expect(fields, i + 5, asn1_tag(UNIV, CONS, SEQ), "subjectPublicKeyInfo")
    if sig_algo not in CERT_SIG_ALGOS:
        raise X509Error(errno.ENOPKG, f"unsupported signature algorithm {sig_algo}")   # x509_note_sig_algo
    for tag, _hdr, start, end in _der_children(der, validity[2], validity[3]):
        if x509_decode_time(tag, der[start:end]):
            raise X509Error(errno.EBADMSG, "bad validity time")
    pub = _cert_public_key(der, spki)
    ext = next((f for f in fields[i + 6:] if f[0] == asn1_tag(CONT, CONS, 3)), None)
    skid, akid_keyid = _cert_extensions(der, ext)
    if _algorithm_oid(der, outer_algo)[0] != sig_algo:
        raise X509Error(errno.EINVAL, "signatureAlgorithm differs from tbsCertificate.signature")
    hash_algo, sig_pkey, encoding = CERT_SIG_ALGOS[sig_algo]
    raw_sig = der[sig_bits[2]:sig_bits[3]]
    if not raw_sig or raw_sig[0] != 0:
        raise X509Error(errno.EBADMSG, "signature BIT STRING with unused bits")
    sig = PublicKeySignature(sig_pkey, encoding, hash_algo, raw_sig[1:], auth_ids=[None, akid_keyid])
    cert = X509Certificate(id=der[serial[2]:serial[3]] + der[issuer[2]:issuer[3]], skid=skid,
                           raw_subject=der[subject[2]:subject[3]], raw_issuer=der[issuer[2]:issuer[3]],
                           pub=pub, sig=sig, der=der)
    _x509_get_sig_params(cert, der[tbs[1]:tbs[3]], crypto)
    _x509_check_for_self_signed(cert, crypto)
    return cert


def _x509_get_sig_params(cert: X509Certificate, tbs: bytes, crypto: CryptoConfig) -> None:
    """Digest the TBSCertificate; a hash the crypto API lacks marks unsupported_sig."""
    digest = compute_digest(cert.sig.hash_algo, tbs, crypto)
    if digest is None:
        cert.unsupported_sig = True
    cert.sig.digest = digest


def _x509_check_for_self_signed(cert: X509Certificate, crypto: CryptoConfig) -> None:
    if cert.raw_subject != cert.raw_issuer:
        return
    akid = cert.sig.auth_ids[1]
    if akid is not None and akid != cert.skid:
        return                                            # AKID names another key
    if cert.unsupported_sig:
        return
    ret = public_key_verify_signature(cert.pub, cert.sig, crypto)
    if ret == errno.ENOPKG:
        cert.unsupported_sig = True
    elif ret:
        raise X509Error(ret, "self-signature does not verify")
    else:
        cert.self_signed = True
