"""crypto/asymmetric_keys/pkcs7_parser.c: the actions the pkcs7.asn1 grammar calls,
``pkcs7_parse_message()`` and ``pkcs7_check_authattrs()``, with the ``struct
pkcs7_message`` and ``struct pkcs7_signed_info`` of pkcs7_parser.h.
"""

import errno
from dataclasses import dataclass, field

from .api import CryptoConfig
from .asn1 import ASN1_INDEFINITE_LENGTH, ASN1_OTS, CONS, SEQ, UNIV, Asn1Decoder, asn1_tag
from .oid import look_up_oid
from .pkcs7_grammar import PKCS7_MACHINE, A
from .public_key import PublicKeySignature
from .x509 import X509Certificate, X509Error, x509_cert_parse, x509_decode_time

# pkcs7_sig_note_digest_algo() and pkcs7_sig_note_pkey_algo().
DIGEST_ALGOS = {"md4": "md4", "md5": "md5", "sha1": "sha1", "sha256": "sha256", "sha384": "sha384",
                "sha512": "sha512", "sha224": "sha224", "sm3": "sm3",
                "gost2012Digest256": "streebog256", "gost2012Digest512": "streebog512"}
SIG_PKEY_ALGOS = {"rsaEncryption": ("rsa", "pkcs1"),
                  **{f"id_ecdsa_with_{h}": ("ecdsa", "x962") for h in ("sha1", "sha224", "sha256", "sha384", "sha512")},
                  "SM2_with_SM3": ("sm2", "raw"),
                  "gost2012PKey256": ("ecrdsa", "raw"), "gost2012PKey512": ("ecrdsa", "raw")}


@dataclass(eq=False)
class Pkcs7SignedInfo:
    """struct pkcs7_signed_info."""
    sig: PublicKeySignature = field(default_factory=PublicKeySignature)
    index: int = 0
    authattrs: bytes | None = None
    msgdigest: bytes | None = None
    aa_set: set[str | None] = field(default_factory=set)   # authattr OIDs seen (registry names)
    signer: X509Certificate | None = None
    unsupported_crypto: bool = False


@dataclass
class Pkcs7Message:
    """struct pkcs7_message."""
    version: int = 0
    data_type: str | None = None
    data: bytes | None = None
    certs: list[X509Certificate] = field(default_factory=list)
    signed_infos: list[Pkcs7SignedInfo] = field(default_factory=list)
    have_authattrs: bool = False


@dataclass
class Pkcs7ParseContext:
    """struct pkcs7_parse_context; raw_* persist from one SignerInfo to the next, as in C."""
    data: bytes
    crypto: CryptoConfig
    msg: Pkcs7Message = field(default_factory=Pkcs7Message)
    sinfo: Pkcs7SignedInfo = field(default_factory=Pkcs7SignedInfo)
    certs: list[X509Certificate] = field(default_factory=list)
    last_oid: str | None = None
    x509_index: int = 0
    sinfo_index: int = 0
    raw_serial: bytes = b""
    raw_issuer: bytes = b""
    raw_skid: bytes = b""
    expect_skid: bool = False
    log: list[str] = field(default_factory=list)

    def value(self, pos: int, vlen: int) -> bytes:
        return self.data[pos:pos + vlen]

    def warn(self, err: int, msg: str) -> int:
        self.log.append(msg)
        return err


def pkcs7_note_OID(ctx, hdrlen, tag, value, vlen) -> int:
    ctx.last_oid = look_up_oid(ctx.value(value, vlen))
    return 0


def pkcs7_sig_note_digest_algo(ctx, hdrlen, tag, value, vlen) -> int:
    hash_algo = DIGEST_ALGOS.get(ctx.last_oid)
    if hash_algo is None:
        return ctx.warn(errno.ENOPKG, f"Unsupported digest algo: {ctx.last_oid}")
    ctx.sinfo.sig.hash_algo = hash_algo
    return 0


def pkcs7_sig_note_pkey_algo(ctx, hdrlen, tag, value, vlen) -> int:
    algo = SIG_PKEY_ALGOS.get(ctx.last_oid)
    if algo is None:
        return ctx.warn(errno.ENOPKG, f"Unsupported pkey algo: {ctx.last_oid}")
    ctx.sinfo.sig.pkey_algo, ctx.sinfo.sig.encoding = algo
    return 0


def pkcs7_check_content_type(ctx, hdrlen, tag, value, vlen) -> int:
    if ctx.last_oid != "signed_data":
        return ctx.warn(errno.EINVAL, "Only support pkcs7_signedData type")
    return 0


def pkcs7_note_signeddata_version(ctx, hdrlen, tag, value, vlen) -> int:
    if vlen != 1:
        return ctx.warn(errno.EINVAL, "Unsupported SignedData version")
    ctx.msg.version = version = ctx.data[value]
    if version not in (1, 3):       # PKCS#7 / CMS v1, CMS v3
        return ctx.warn(errno.EINVAL, "Unsupported SignedData version")
    return 0


def pkcs7_note_signerinfo_version(ctx, hdrlen, tag, value, vlen) -> int:
    version = ctx.data[value] if vlen == 1 else None
    if version == 1:
        if ctx.msg.version != 1:
            return ctx.warn(errno.EBADMSG, "SignedData-SignerInfo version mismatch")
        ctx.expect_skid = False
    elif version == 3:
        if ctx.msg.version == 1:
            return ctx.warn(errno.EBADMSG, "SignedData-SignerInfo version mismatch")
        ctx.expect_skid = True
    else:
        return ctx.warn(errno.EINVAL, "Unsupported SignerInfo version")
    return 0


def pkcs7_extract_cert(ctx, hdrlen, tag, value, vlen) -> int:
    if tag != asn1_tag(UNIV, CONS, SEQ):
        return ctx.warn(errno.EBADMSG, f"Cert began with tag {tag:02x}")
    start, length = value - hdrlen, vlen + hdrlen
    if ctx.data[start + 1] == ASN1_INDEFINITE_LENGTH:
        length += 2                                     # "there should be an EOC"
    try:
        cert = x509_cert_parse(ctx.value(start, length), ctx.crypto)
    except X509Error as e:
        return ctx.warn(e.errno, f"x509_cert_parse: {e.why}")
    ctx.x509_index += 1
    cert.index = ctx.x509_index
    ctx.certs.append(cert)
    return 0


def pkcs7_note_certificate_list(ctx, hdrlen, tag, value, vlen) -> int:
    ctx.msg.certs = ctx.certs + ctx.msg.certs
    ctx.certs = []
    return 0


def pkcs7_note_content(ctx, hdrlen, tag, value, vlen) -> int:
    if ctx.last_oid not in ("data", "msIndirectData"):
        return ctx.warn(errno.EINVAL, f"Unsupported data type {ctx.last_oid}")
    ctx.msg.data_type = ctx.last_oid
    return 0


def pkcs7_note_data(ctx, hdrlen, tag, value, vlen) -> int:
    ctx.msg.data = ctx.value(value, vlen)
    return 0


def pkcs7_sig_note_authenticated_attr(ctx, hdrlen, tag, value, vlen) -> int:
    sinfo, oid = ctx.sinfo, ctx.last_oid
    if oid not in ("contentType", "signingTime", "messageDigest", "smimeCapabilites",
                   "msSpOpusInfo", "msStatementType"):
        return 0
    if oid in sinfo.aa_set:
        return ctx.warn(errno.EKEYREJECTED, "Repeated/multivalue AuthAttrs not permitted")
    sinfo.aa_set.add(oid)
    if oid == "contentType":
        if look_up_oid(ctx.value(value, vlen)) != ctx.msg.data_type:
            return ctx.warn(errno.EBADMSG, "Mismatch between global data type and sinfo")
        return 0
    if oid == "signingTime":
        return x509_decode_time(tag, ctx.value(value, vlen))
    if oid == "messageDigest":
        if tag != ASN1_OTS:
            return errno.EBADMSG
        sinfo.msgdigest = ctx.value(value, vlen)
        return 0
    if ctx.msg.data_type != "msIndirectData":
        return ctx.warn(errno.EKEYREJECTED, f"{oid} AuthAttr only allowed with Authenticode")
    return 0


def pkcs7_sig_note_set_of_authattrs(ctx, hdrlen, tag, value, vlen) -> int:
    aa_set = ctx.sinfo.aa_set
    if "contentType" not in aa_set or "messageDigest" not in aa_set:
        return ctx.warn(errno.EBADMSG, "Missing required AuthAttr")
    if ctx.msg.data_type != "msIndirectData" and "msSpOpusInfo" in aa_set:
        return ctx.warn(errno.EBADMSG, "Unexpected Authenticode AuthAttr")
    # Digested as a SET OF: keep from the length octets on (the tag is replaced).
    ctx.sinfo.authattrs = ctx.value(value - (hdrlen - 1), vlen + hdrlen - 1)
    return 0


def pkcs7_sig_note_serial(ctx, hdrlen, tag, value, vlen) -> int:
    ctx.raw_serial = ctx.value(value, vlen)
    return 0


def pkcs7_sig_note_issuer(ctx, hdrlen, tag, value, vlen) -> int:
    ctx.raw_issuer = ctx.value(value, vlen)
    return 0


def pkcs7_sig_note_skid(ctx, hdrlen, tag, value, vlen) -> int:
    ctx.raw_skid = ctx.value(value, vlen)
    return 0


def pkcs7_sig_note_signature(ctx, hdrlen, tag, value, vlen) -> int:
    ctx.sinfo.sig.s = ctx.value(value, vlen)
    return 0


def pkcs7_note_signed_info(ctx, hdrlen, tag, value, vlen) -> int:
    sinfo = ctx.sinfo
    if ctx.msg.data_type == "msIndirectData" and sinfo.authattrs is None:
        return ctx.warn(errno.EBADMSG, "Authenticode requires AuthAttrs")
    # The key ID: issuer+serial (v1) or the SKID (v3), whichever the version announced.
    sinfo.sig.auth_ids[0] = ctx.raw_skid if ctx.expect_skid else ctx.raw_serial + ctx.raw_issuer
    ctx.sinfo_index += 1
    sinfo.index = ctx.sinfo_index
    ctx.msg.signed_infos.append(sinfo)
    ctx.sinfo = Pkcs7SignedInfo()
    return 0


PKCS7_ACTIONS = {
    A.check_content_type: pkcs7_check_content_type, A.extract_cert: pkcs7_extract_cert,
    A.note_OID: pkcs7_note_OID, A.note_certificate_list: pkcs7_note_certificate_list,
    A.note_content: pkcs7_note_content, A.note_data: pkcs7_note_data,
    A.note_signed_info: pkcs7_note_signed_info, A.note_signeddata_version: pkcs7_note_signeddata_version,
    A.note_signerinfo_version: pkcs7_note_signerinfo_version,
    A.sig_note_authenticated_attr: pkcs7_sig_note_authenticated_attr,
    A.sig_note_digest_algo: pkcs7_sig_note_digest_algo, A.sig_note_issuer: pkcs7_sig_note_issuer,
    A.sig_note_pkey_algo: pkcs7_sig_note_pkey_algo, A.sig_note_serial: pkcs7_sig_note_serial,
    A.sig_note_set_of_authattrs: pkcs7_sig_note_set_of_authattrs,
    A.sig_note_signature: pkcs7_sig_note_signature, A.sig_note_skid: pkcs7_sig_note_skid,
}
PKCS7_DECODER = Asn1Decoder(tuple(int(b) for b in PKCS7_MACHINE), tuple(PKCS7_ACTIONS[a] for a in A))


def pkcs7_parse_message(raw: bytes, crypto: CryptoConfig, log: list[str]) -> Pkcs7Message | int:
    """pkcs7_parse_message(): the message, or an errno."""
    ctx = Pkcs7ParseContext(raw, crypto, log=log)
    err = PKCS7_DECODER.decode(ctx, raw)
    if err:
        return err
    return pkcs7_check_authattrs(ctx) or ctx.msg


def pkcs7_check_authattrs(ctx: Pkcs7ParseContext) -> int:
    """Authenticated attributes must be on every SignerInfo or on none (and one must exist)."""
    infos = ctx.msg.signed_infos
    if not infos:
        return ctx.warn(errno.EINVAL, "Inconsistently supplied authAttrs (no SignerInfo)")
    want = infos[0].authattrs is not None
    ctx.msg.have_authattrs = want
    if any((s.authattrs is not None) != want for s in infos[1:]):
        return ctx.warn(errno.EINVAL, "Inconsistently supplied authAttrs")
    return 0
