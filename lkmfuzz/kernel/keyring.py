"""The system keyring, and the kernel's verification of a module's PKCS#7 signature.

``module_sig_check`` (loader/signing.py) strips the marker and ``struct
module_signature`` and calls ``Keyring.verify_pkcs7_signature(data, pkcs7)``, which
returns what Linux 6.1's ``verify_pkcs7_signature(..., VERIFYING_MODULE_SIGNATURE)``
returns: 0, or an errno.  Every byte string gets an errno; nothing else escapes.

What is mirrored, function for function (read in Debian's linux-source-6.1 6.1.192-2):

* ``lib/asn1_decoder.c`` ``asn1_ber_decoder()`` — ported as an interpreter of the
  bytecode that ``scripts/asn1_compiler`` makes of ``crypto/asymmetric_keys/pkcs7.asn1``
  (``PKCS7_MACHINE`` below is that output), so tag/length quirks, BER indefinite
  lengths, the 64 KiB limit (EMSGSIZE) and the *order* in which errors surface are
  the kernel's.
* ``pkcs7_parser.c`` — the decoder's actions and ``pkcs7_parse_message()``.
* ``pkcs7_verify.c`` ``pkcs7_verify()``, ``pkcs7_trust.c`` ``pkcs7_validate_trust()``,
  ``certs/system_keyring.c`` ``verify_pkcs7_message_sig()``.
* ``public_key.c`` ``public_key_verify_signature()``, ``crypto/rsa-pkcs1pad.c`` and
  ``crypto/rsa.c`` for RSA (done with Python integers, so the kernel's own
  EINVAL/EBADMSG/EKEYREJECTED distinctions hold), ``asymmetric_type.c``
  ``find_asymmetric_key()``.

Where errnos come from, for a module signature:

===========================================  =============  =======================================
input                                        errno          kernel site
===========================================  =============  =======================================
PKCS#7 blob larger than 65535 bytes          EMSGSIZE       asn1_ber_decoder
bad DER/BER: tag, length, overrun, EOC       EBADMSG        asn1_ber_decoder
outer contentType is not signedData          EINVAL         pkcs7_check_content_type
inner contentType not data/msIndirectData    EINVAL         pkcs7_note_content
SignedData version not 1/3, SignerInfo       EINVAL         pkcs7_note_{signeddata,signerinfo}_version
version not 1/3; SignerInfo/SignedData       EBADMSG
version mismatch
no SignedData, hence no SignerInfo           EINVAL         pkcs7_check_authattrs
(an empty SignerInfos SET is EBADMSG: a SET OF's element is mandatory to the decoder)
unknown digest / signature algorithm OID     ENOPKG         pkcs7_sig_note_{digest,pkey}_algo
content inside the message (not detached)    EBADMSG        verify_pkcs7_message_sig
authenticated attributes present             EKEYREJECTED   pkcs7_verify (module usage)
digest the crypto API cannot provide         ENOPKG         pkcs7_digest (soft error)
no trusted key matches issuer+serial / skid  ENOKEY         pkcs7_validate_trust (soft error)
a trusted key matches but does not verify    EKEYREJECTED   pkcs7_validate_trust_one
===========================================  =============  =======================================

Certificates (trusted ones, and any embedded in a message) are read by
``x509_cert_parse`` below: a DER walk that extracts exactly the raw fields the
kernel's x509 parser keys on (serial and issuer bytes, SKID, the signature
algorithms) plus ``cryptography`` for the public key.  Unlike the PKCS#7 side it is
not a port of the kernel's x509 grammar: for embedded certificates (sign-file never
writes any) the errno of a malformed certificate is EBADMSG or ENOPKG but may differ
from the kernel's in corner cases, and an AKID's issuer+serial form is ignored.

``CryptoConfig`` says which algorithms the crypto API can provide.  Debian's 6.1
builds RSA in, has no ECDSA (``# CONFIG_CRYPTO_ECDSA is not set``) and sha384/sha512
only as a module (``CONFIG_CRYPTO_SHA512=m``): ``DEBIAN_6_1`` assumes /lib/modules is
there for request_module(); ``DEBIAN_6_1_NO_MODULES`` is a kernel booted with a bare
initramfs (the qemu oracle), where a sha512 signature is ENOPKG.
"""

import errno
import functools
import hashlib
from dataclasses import dataclass, field
from enum import IntEnum
from importlib import resources

from cryptography import exceptions as crypto_exceptions
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa, utils as asym_utils

DEBIAN_CERT_RESOURCE = "debian-6.1-signing-cert.der"


class KeyringError(ValueError):
    """A certificate given to the keyring cannot be a trusted key (bad DER, unsupported key)."""


# --- crypto API availability ---------------------------------------------------------

@dataclass(frozen=True)
class CryptoConfig:
    """The shash and akcipher algorithms crypto_alloc_*() can find (else ENOENT)."""
    hashes: frozenset
    akciphers: frozenset


_BUILTIN_HASHES = frozenset({"md5", "sha1", "sha224", "sha256"})          # CONFIG_CRYPTO_{MD5,SHA1,SHA256}=y
_MODULE_HASHES = frozenset({"md4", "sha384", "sha512", "streebog256", "streebog512"})   # =m
DEBIAN_6_1 = CryptoConfig(_BUILTIN_HASHES | _MODULE_HASHES, frozenset({"rsa"}))
DEBIAN_6_1_NO_MODULES = CryptoConfig(_BUILTIN_HASHES, frozenset({"rsa"}))
WITH_ECDSA = CryptoConfig(DEBIAN_6_1.hashes, frozenset({"rsa", "ecdsa"}))   # CONFIG_CRYPTO_ECDSA=y

# --- the OID registry (lib/oid_registry.c), the entries pkcs7/x509 code compares -----


def encode_oid(dotted: str) -> bytes:
    """The DER content octets of an OBJECT IDENTIFIER (what look_up_OID() is given)."""
    arcs = [int(a) for a in dotted.split(".")]
    out = bytearray()
    for arc in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        while arc > 0x7F:
            arc >>= 7
            chunk.append(0x80 | (arc & 0x7F))
        out += bytes(reversed(chunk))
    return bytes(out)


OIDS = {
    "data": "1.2.840.113549.1.7.1", "signed_data": "1.2.840.113549.1.7.2",
    "msIndirectData": "1.3.6.1.4.1.311.2.1.4", "msStatementType": "1.3.6.1.4.1.311.2.1.11",
    "msSpOpusInfo": "1.3.6.1.4.1.311.2.1.12",
    "contentType": "1.2.840.113549.1.9.3", "messageDigest": "1.2.840.113549.1.9.4",
    "signingTime": "1.2.840.113549.1.9.5", "smimeCapabilites": "1.2.840.113549.1.9.15",
    "md4": "1.2.840.113549.2.4", "md5": "1.2.840.113549.2.5", "sha1": "1.3.14.3.2.26",
    "sha256": "2.16.840.1.101.3.4.2.1", "sha384": "2.16.840.1.101.3.4.2.2",
    "sha512": "2.16.840.1.101.3.4.2.3", "sha224": "2.16.840.1.101.3.4.2.4",
    "sm3": "1.2.156.10197.1.401", "gost2012Digest256": "1.2.643.7.1.1.2.2",
    "gost2012Digest512": "1.2.643.7.1.1.2.3",
    "rsaEncryption": "1.2.840.113549.1.1.1",
    "md4WithRSAEncryption": "1.2.840.113549.1.1.4", "sha1WithRSAEncryption": "1.2.840.113549.1.1.5",
    "sha256WithRSAEncryption": "1.2.840.113549.1.1.11", "sha384WithRSAEncryption": "1.2.840.113549.1.1.12",
    "sha512WithRSAEncryption": "1.2.840.113549.1.1.13", "sha224WithRSAEncryption": "1.2.840.113549.1.1.14",
    "id_ecdsa_with_sha1": "1.2.840.10045.4.1", "id_ecdsa_with_sha224": "1.2.840.10045.4.3.1",
    "id_ecdsa_with_sha256": "1.2.840.10045.4.3.2", "id_ecdsa_with_sha384": "1.2.840.10045.4.3.3",
    "id_ecdsa_with_sha512": "1.2.840.10045.4.3.4",
    "SM2_with_SM3": "1.2.156.10197.1.501", "sm2": "1.2.156.10197.1.301",
    "gost2012PKey256": "1.2.643.7.1.1.1.1", "gost2012PKey512": "1.2.643.7.1.1.1.2",
    "gost2012Signature256": "1.2.643.7.1.1.3.2", "gost2012Signature512": "1.2.643.7.1.1.3.3",
    "id_ecPublicKey": "1.2.840.10045.2.1", "id_prime192v1": "1.2.840.10045.3.1.1",
    "id_prime256v1": "1.2.840.10045.3.1.7", "id_ansip384r1": "1.3.132.0.34",
    "subjectKeyIdentifier": "2.5.29.14", "authorityKeyIdentifier": "2.5.29.35",
}
OID_BY_DER = {encode_oid(dotted): name for name, dotted in OIDS.items()}


def look_up_oid(value: bytes) -> str | None:
    """look_up_OID(): the registry name, or None for OID__NR (an exact byte match)."""
    return OID_BY_DER.get(bytes(value))


# pkcs7_sig_note_digest_algo() and pkcs7_sig_note_pkey_algo().
DIGEST_ALGOS = {"md4": "md4", "md5": "md5", "sha1": "sha1", "sha256": "sha256", "sha384": "sha384",
                "sha512": "sha512", "sha224": "sha224", "sm3": "sm3",
                "gost2012Digest256": "streebog256", "gost2012Digest512": "streebog512"}
SIG_PKEY_ALGOS = {"rsaEncryption": ("rsa", "pkcs1"),
                  **{f"id_ecdsa_with_{h}": ("ecdsa", "x962") for h in ("sha1", "sha224", "sha256", "sha384", "sha512")},
                  "SM2_with_SM3": ("sm2", "raw"),
                  "gost2012PKey256": ("ecrdsa", "raw"), "gost2012PKey512": ("ecrdsa", "raw")}
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

# --- lib/asn1_decoder.c ----------------------------------------------------------------

ASN1_UNIV, ASN1_CONT = 0, 2
ASN1_PRIM, ASN1_CONS = 0, 1
ASN1_INT, ASN1_BTS, ASN1_OTS, ASN1_OID, ASN1_SEQ, ASN1_SET = 2, 3, 4, 6, 16, 17
ASN1_UNITIM, ASN1_GENTIM = 23, 24
ASN1_CONS_BIT = 0x20
ASN1_LONG_TAG = 0x1F
ASN1_INDEFINITE_LENGTH = 0x80
ASN1_MAX_DATALEN = 65535          # "This won't handle datalen > 65535"
NR_CONS_STACK = 10
NR_JUMP_STACK = 10
UNIV, CONT, PRIM, CONS = ASN1_UNIV, ASN1_CONT, ASN1_PRIM, ASN1_CONS
INT, OTS, OID, SEQ, SET = ASN1_INT, ASN1_OTS, ASN1_OID, ASN1_SEQ, ASN1_SET


def _tag(cls: int, cons: int, num: int) -> int:
    return (cls << 6) | (cons << 5) | num


class Op(IntEnum):
    """enum asn1_opcode (include/linux/asn1_ber_bytecode.h)."""
    MATCH = 0x00
    MATCH_OR_SKIP = 0x01
    MATCH_ACT = 0x02
    MATCH_ACT_OR_SKIP = 0x03
    MATCH_JUMP = 0x04
    MATCH_JUMP_OR_SKIP = 0x05
    MATCH_ANY = 0x08
    MATCH_ANY_OR_SKIP = 0x09
    MATCH_ANY_ACT = 0x0A
    MATCH_ANY_ACT_OR_SKIP = 0x0B
    COND_MATCH_OR_SKIP = 0x11
    COND_MATCH_ACT_OR_SKIP = 0x13
    COND_MATCH_JUMP_OR_SKIP = 0x15
    COND_MATCH_ANY = 0x18
    COND_MATCH_ANY_OR_SKIP = 0x19
    COND_MATCH_ANY_ACT = 0x1A
    COND_MATCH_ANY_ACT_OR_SKIP = 0x1B
    COND_FAIL = 0x1C
    COMPLETE = 0x1D
    ACT = 0x1E
    MAYBE_ACT = 0x1F
    END_SEQ = 0x20
    END_SET = 0x21
    END_SEQ_OF = 0x22
    END_SET_OF = 0x23
    END_SEQ_ACT = 0x24
    END_SET_ACT = 0x25
    END_SEQ_OF_ACT = 0x26
    END_SET_OF_ACT = 0x27
    RETURN = 0x28


MATCH__SKIP, MATCH__ACT, MATCH__JUMP, MATCH__ANY, MATCH__COND = 0x01, 0x02, 0x04, 0x08, 0x10
MATCHES_TAG = Op.COND_MATCH_ANY_ACT_OR_SKIP
END__SET, END__OF, END__ACT = 0x01, 0x02, 0x04
# asn1_op_lengths[]: opcode + tag + jump target + action, as each op needs.
OP_LENGTHS = {op: 1 for op in Op} | {
    Op.MATCH: 2, Op.MATCH_OR_SKIP: 2, Op.MATCH_ACT: 3, Op.MATCH_ACT_OR_SKIP: 3, Op.MATCH_JUMP: 3,
    Op.MATCH_JUMP_OR_SKIP: 3, Op.MATCH_ANY_ACT: 2, Op.MATCH_ANY_ACT_OR_SKIP: 2, Op.COND_MATCH_OR_SKIP: 2,
    Op.COND_MATCH_ACT_OR_SKIP: 3, Op.COND_MATCH_JUMP_OR_SKIP: 3, Op.COND_MATCH_ANY_ACT: 2,
    Op.COND_MATCH_ANY_ACT_OR_SKIP: 2, Op.ACT: 2, Op.MAYBE_ACT: 2, Op.END_SEQ_OF: 2, Op.END_SET_OF: 2,
    Op.END_SEQ_ACT: 2, Op.END_SET_ACT: 2, Op.END_SEQ_OF_ACT: 3, Op.END_SET_OF_ACT: 3}
FLAG_INDEFINITE_LENGTH, FLAG_MATCHED, FLAG_LAST_MATCHED, FLAG_CONS = 0x01, 0x02, 0x04, 0x20


def asn1_find_indefinite_length(data: bytes, datalen: int, dp: int) -> int | None:
    """The length from dp to just past the matching EOC, or None (every error is EBADMSG)."""
    start, indef_level = dp, 1
    while True:
        if datalen - dp < 2:
            return None                                  # missing EOC / data overrun
        tag = data[dp]
        dp += 1
        if tag == 0:                                     # ASN1_EOC
            if data[dp] != 0:
                return None                              # invalid EOC
            dp += 1
            indef_level -= 1
            if indef_level <= 0:
                return dp - start
            continue
        if tag & 0x1F == ASN1_LONG_TAG:
            while True:
                if datalen - dp < 2:
                    return None
                more = data[dp] & 0x80
                dp += 1
                if not more:
                    break
        length = data[dp]
        dp += 1
        if length == ASN1_INDEFINITE_LENGTH:
            if not tag & ASN1_CONS_BIT:
                return None                              # indefinite primitive
            indef_level += 1
            continue
        if length > 0x7F:
            n = length - 0x80
            if n > 7 or n > datalen - dp:                # n > sizeof(len) - 1
                return None
            length = int.from_bytes(data[dp:dp + n], "big")
            dp += n
        if length > datalen - dp:
            return None
        dp += length


@dataclass
class Asn1Decoder:
    """A compiled grammar: the bytecode and its action functions by number."""
    machine: tuple
    actions: tuple

    def decode(self, ctx, data: bytes) -> int:
        """asn1_ber_decoder(): 0, an action's errno, or EBADMSG/EMSGSIZE.  Actions are
        called as action(ctx, hdrlen, tag, value_offset, vlen) and return 0 or an errno."""
        if len(data) > ASN1_MAX_DATALEN:
            return errno.EMSGSIZE
        return _Asn1Run(self, ctx, data).run()


class _Asn1Run:
    """One run of the interpreter: the C function's locals as attributes, its labels as returns."""

    def __init__(self, decoder: Asn1Decoder, ctx, data: bytes):
        self.machine, self.actions, self.ctx, self.data = decoder.machine, decoder.actions, ctx, data
        self.datalen = len(data)
        self.pc = self.dp = self.tdp = self.len = self.tag = self.hdr = self.flags = 0
        self.csp = 0
        self.cons_dp = [0] * NR_CONS_STACK
        self.cons_datalen = [0] * NR_CONS_STACK
        self.cons_hdrlen = [0] * NR_CONS_STACK
        self.jump_stack: list[int] = []

    def run(self) -> int:
        machlen = len(self.machine)
        while True:
            if self.pc >= machlen:
                return errno.EBADMSG                     # machine overrun
            op = self.machine[self.pc]
            if op not in OP_LENGTHS or self.pc + OP_LENGTHS[op] > machlen:
                return errno.EBADMSG
            if op <= MATCHES_TAG:
                matched = self.match_tag(op)
                if matched is not None:
                    if matched:                          # an error
                        return matched
                    continue                             # skipped
            ret = self.execute(Op(op))
            if ret is not None:
                return ret

    def match_tag(self, op: int) -> int | None:
        """The tag-matching prologue: None when matched, 0 when skipped, else an errno."""
        data, machine = self.data, self.machine
        if (op & MATCH__COND and self.flags & FLAG_MATCHED) or (op & MATCH__SKIP and self.dp == self.datalen):
            self.flags &= ~FLAG_LAST_MATCHED
            self.pc += OP_LENGTHS[op]
            return 0
        self.flags, self.hdr = 0, 2
        if self.datalen - self.dp < 2:
            return errno.EBADMSG                         # data overrun
        self.tag = tag = data[self.dp]
        self.dp += 1
        if tag & 0x1F == ASN1_LONG_TAG:
            return errno.EBADMSG                         # long tag not supported
        if not op & MATCH__ANY:
            optag = machine[self.pc + 1]
            self.flags |= optag & FLAG_CONS
            # As the C does (not as its comment says): a CONS op also accepts a PRIM
            # tag, a PRIM op insists on PRIM.
            if (optag ^ tag) & ~(optag & ASN1_CONS_BIT) & 0xFF:
                if op & MATCH__SKIP:
                    self.pc += OP_LENGTHS[op]
                    self.dp -= 1
                    return 0
                return errno.EBADMSG                     # unexpected tag
        self.flags |= FLAG_MATCHED
        return self.read_length(tag)

    def read_length(self, tag: int) -> int | None:
        data = self.data
        length = data[self.dp]
        self.dp += 1
        if length > 0x7F:
            if length == ASN1_INDEFINITE_LENGTH:
                if not tag & ASN1_CONS_BIT:
                    return errno.EBADMSG                 # indefinite length primitive
                self.flags |= FLAG_INDEFINITE_LENGTH
                if 2 > self.datalen - self.dp:
                    return errno.EBADMSG
            else:
                n = length - 0x80
                if n > 2 or n > self.datalen - self.dp:
                    return errno.EBADMSG                 # unsupported length / overrun
                self.hdr += n
                length = int.from_bytes(data[self.dp:self.dp + n], "big")
                self.dp += n
                if length > self.datalen - self.dp:
                    return errno.EBADMSG
        elif length > self.datalen - self.dp:
            return errno.EBADMSG
        self.len = length
        if self.flags & FLAG_CONS:
            if self.csp >= NR_CONS_STACK:
                return errno.EBADMSG                     # cons stack overflow
            self.cons_dp[self.csp] = self.dp
            self.cons_hdrlen[self.csp] = self.hdr
            if not self.flags & FLAG_INDEFINITE_LENGTH:
                self.cons_datalen[self.csp] = self.datalen
                self.datalen = self.dp + length
            else:
                self.cons_datalen[self.csp] = 0
            self.csp += 1
        self.tdp = self.dp
        return None

    def execute(self, op: Op) -> int | None:
        """The switch (op): None to go on, else the decoder's return value."""
        if op <= MATCHES_TAG and not op & MATCH__JUMP:
            return self.do_match(op)
        if op in (Op.MATCH_JUMP, Op.MATCH_JUMP_OR_SKIP, Op.COND_MATCH_JUMP_OR_SKIP):
            if len(self.jump_stack) == NR_JUMP_STACK:
                return errno.EBADMSG                     # jump stack overflow
            self.jump_stack.append(self.pc + OP_LENGTHS[op])
            self.pc = self.machine[self.pc + 2]
            return None
        if op == Op.COND_FAIL:
            if not self.flags & FLAG_MATCHED:
                return errno.EBADMSG
            self.pc += 1
            return None
        if op == Op.COMPLETE:
            # Trailing bytes after the outermost element are not checked.
            return errno.EBADMSG if self.jump_stack or self.csp else 0
        if Op.END_SEQ <= op <= Op.END_SET_OF_ACT:
            return self.do_end(op)
        if op == Op.MAYBE_ACT and not self.flags & FLAG_LAST_MATCHED:
            self.pc += 2
            return None
        if op in (Op.ACT, Op.MAYBE_ACT):
            ret = self.act(self.machine[self.pc + 1], self.tag, self.tdp, self.len)
            self.pc += 2
            return ret or None
        if op == Op.RETURN:
            if not self.jump_stack:
                return errno.EBADMSG                     # jump stack underflow
            self.pc = self.jump_stack.pop()
            self.flags |= FLAG_MATCHED | FLAG_LAST_MATCHED
            return None
        return errno.EBADMSG                             # reserved opcode

    def do_match(self, op: Op) -> int | None:
        if not self.flags & FLAG_CONS and self.flags & FLAG_INDEFINITE_LENGTH:
            found = asn1_find_indefinite_length(self.data, self.datalen, self.dp)
            if found is None:
                return errno.EBADMSG
            self.len = found
        if op & MATCH__ACT:
            act = self.machine[self.pc + 1] if op & MATCH__ANY else self.machine[self.pc + 2]
            ret = self.act(act, self.tag, self.dp, self.len)
            if ret:
                return ret
        if not self.flags & FLAG_CONS:
            self.dp += self.len
        self.pc += OP_LENGTHS[op]
        return None

    def do_end(self, op: Op) -> int | None:
        if op in (Op.END_SET, Op.END_SET_ACT) and not self.flags & FLAG_MATCHED:
            return errno.EBADMSG
        if self.csp <= 0:
            return errno.EBADMSG                         # cons stack underflow
        self.csp -= 1
        self.tdp = self.cons_dp[self.csp]
        self.hdr = self.cons_hdrlen[self.csp]
        length = self.datalen
        self.datalen = self.cons_datalen[self.csp]
        if self.datalen == 0:                            # indefinite length: expect an EOC
            self.datalen = length
            if self.datalen - self.dp < 2:
                return errno.EBADMSG
            if self.data[self.dp] != 0:
                if op & END__OF:                         # another element of the SET/SEQUENCE OF
                    self.csp += 1
                    self.pc = self.machine[self.pc + 1]
                    return None
                return errno.EBADMSG                     # missing EOC
            if self.data[self.dp + 1] != 0:
                return errno.EBADMSG                     # invalid EOC
            self.dp += 2
            length = self.dp - self.tdp - 2
        else:
            if self.dp < length and op & END__OF:
                self.datalen = length
                self.csp += 1
                self.pc = self.machine[self.pc + 1]
                return None
            if self.dp != length:
                return errno.EBADMSG                     # cons length error
            length -= self.tdp
        self.len = length
        if op & END__ACT:
            act = self.machine[self.pc + 2] if op & END__OF else self.machine[self.pc + 1]
            ret = self.act(act, 0, self.tdp, length)
            if ret:
                return ret
        self.pc += OP_LENGTHS[op]
        return None

    def act(self, number: int, tag: int, value: int, vlen: int) -> int:
        return self.actions[number](self.ctx, self.hdr, tag, value, vlen)


# --- crypto/asymmetric_keys/pkcs7.asn1, compiled --------------------------------------

class A(IntEnum):
    """enum pkcs7_actions, as asn1_compiler numbers them (alphabetical)."""
    check_content_type = 0
    extract_cert = 1
    note_OID = 2
    note_certificate_list = 3
    note_content = 4
    note_data = 5
    note_signed_info = 6
    note_signeddata_version = 7
    note_signerinfo_version = 8
    sig_note_authenticated_attr = 9
    sig_note_digest_algo = 10
    sig_note_issuer = 11
    sig_note_pkey_algo = 12
    sig_note_serial = 13
    sig_note_set_of_authattrs = 14
    sig_note_signature = 15
    sig_note_skid = 16


# The output of `scripts/asn1_compiler crypto/asymmetric_keys/pkcs7.asn1` (6.1.192),
# one instruction per line; the number is the byte offset (= the C array index).
PKCS7_MACHINE = (
    Op.MATCH, _tag(UNIV, CONS, SEQ),                               # 0 PKCS7ContentInfo
    Op.MATCH_ACT, _tag(UNIV, PRIM, OID), A.note_OID,               # 2   contentType
    Op.ACT, A.check_content_type,                                  # 5
    Op.MATCH_JUMP_OR_SKIP, _tag(CONT, CONS, 0), 12,                # 7   content [0] -> SignedData
    Op.END_SEQ,                                                    # 10
    Op.COMPLETE,                                                   # 11
    Op.MATCH, _tag(UNIV, CONS, SEQ),                               # 12 SignedData
    Op.MATCH_ACT, _tag(UNIV, PRIM, INT), A.note_signeddata_version,  # 14 version
    Op.MATCH_JUMP_OR_SKIP, _tag(UNIV, CONS, SET), 61,              # 17  digestAlgorithms daSet
    Op.COND_MATCH_JUMP_OR_SKIP, _tag(UNIV, CONS, SEQ), 67,         # 20  daSequence
    Op.COND_FAIL,                                                  # 23
    Op.MATCH, _tag(UNIV, CONS, SEQ),                               # 24  ContentInfo
    Op.MATCH_ACT, _tag(UNIV, PRIM, OID), A.note_OID,               # 26   contentType
    Op.ACT, A.note_OID,                                            # 29
    Op.MATCH_JUMP_OR_SKIP, _tag(CONT, CONS, 0), 73,                # 31   content [0] -> Data
    Op.END_SEQ,                                                    # 34
    Op.ACT, A.note_content,                                        # 35
    Op.MATCH_JUMP_OR_SKIP, _tag(CONT, CONS, 0), 77,                # 37  certificates certSet
    Op.COND_MATCH_JUMP_OR_SKIP, _tag(CONT, CONS, 2), 85,           # 40  certSequence
    Op.ACT, A.note_certificate_list,                               # 43
    Op.MATCH_JUMP_OR_SKIP, _tag(CONT, CONS, 1), 90,                # 45  crls crlSet
    Op.COND_MATCH_JUMP_OR_SKIP, _tag(CONT, CONS, 3), 96,           # 48  crlSequence
    Op.MATCH_JUMP_OR_SKIP, _tag(UNIV, CONS, SET), 102,             # 51  signerInfos siSet
    Op.COND_MATCH_JUMP_OR_SKIP, _tag(UNIV, CONS, SEQ), 108,        # 54  siSequence
    Op.COND_FAIL,                                                  # 57
    Op.END_SEQ,                                                    # 58
    Op.END_SEQ,                                                    # 59
    Op.RETURN,                                                     # 60
    Op.MATCH_JUMP, _tag(UNIV, CONS, SEQ), 114,                     # 61 daSet: DigestAlgorithmIdentifier
    Op.END_SET_OF, 61,                                             # 64
    Op.RETURN,                                                     # 66
    Op.MATCH_JUMP, _tag(UNIV, CONS, SEQ), 114,                     # 67 daSequence: DigestAlgorithmIdentifier
    Op.END_SEQ_OF, 67,                                             # 70
    Op.RETURN,                                                     # 72
    Op.MATCH_ANY_ACT, A.note_data,                                 # 73 Data
    Op.END_SEQ,                                                    # 75
    Op.RETURN,                                                     # 76
    Op.MATCH_ANY_ACT_OR_SKIP, A.extract_cert,                      # 77 certSet: Certificate
    Op.COND_MATCH_ANY_ACT_OR_SKIP, A.extract_cert,                 # 79   or ExtendedCertificate
    Op.COND_FAIL,                                                  # 81
    Op.END_SET_OF, 77,                                             # 82
    Op.RETURN,                                                     # 84
    Op.MATCH_ANY_ACT, A.extract_cert,                              # 85 certSequence: Certificate
    Op.END_SEQ_OF, 85,                                             # 87
    Op.RETURN,                                                     # 89
    Op.MATCH_JUMP, _tag(UNIV, CONS, SEQ), 120,                     # 90 crlSet: CertificateList
    Op.END_SET_OF, 90,                                             # 93
    Op.RETURN,                                                     # 95
    Op.MATCH_JUMP, _tag(UNIV, CONS, SEQ), 120,                     # 96 crlSequence: CertificateList
    Op.END_SEQ_OF, 96,                                             # 99
    Op.RETURN,                                                     # 101
    Op.MATCH_JUMP, _tag(UNIV, CONS, SEQ), 125,                     # 102 siSet: SignerInfo
    Op.END_SET_OF, 102,                                            # 105
    Op.RETURN,                                                     # 107
    Op.MATCH_JUMP, _tag(UNIV, CONS, SEQ), 125,                     # 108 siSequence: SignerInfo
    Op.END_SEQ_OF, 108,                                            # 111
    Op.RETURN,                                                     # 113
    Op.MATCH_ACT, _tag(UNIV, PRIM, OID), A.note_OID,               # 114 DigestAlgorithmIdentifier.algorithm
    Op.MATCH_ANY_OR_SKIP,                                          # 117   parameters
    Op.END_SEQ,                                                    # 118
    Op.RETURN,                                                     # 119
    Op.MATCH_ANY_ACT, A.extract_cert,                              # 120 CertificateList: Certificate
    Op.END_SEQ_OF, 120,                                            # 122
    Op.RETURN,                                                     # 124
    Op.MATCH_ACT, _tag(UNIV, PRIM, INT), A.note_signerinfo_version,  # 125 SignerInfo.version
    Op.MATCH_JUMP_OR_SKIP, _tag(UNIV, CONS, SEQ), 169,             # 128  sid issuerAndSerialNumber
    Op.COND_MATCH_ACT_OR_SKIP, _tag(CONT, PRIM, 0), A.sig_note_skid,  # 131  or subjectKeyIdentifier
    Op.COND_FAIL,                                                  # 134
    Op.MATCH_JUMP, _tag(UNIV, CONS, SEQ), 114,                     # 135  digestAlgorithm
    Op.ACT, A.sig_note_digest_algo,                                # 138
    Op.MATCH_JUMP_OR_SKIP, _tag(CONT, CONS, 0), 192,               # 140  authenticatedAttributes aaSet
    Op.MAYBE_ACT, A.sig_note_set_of_authattrs,                     # 143
    Op.COND_MATCH_JUMP_OR_SKIP, _tag(CONT, CONS, 2), 198,          # 145  aaSequence
    Op.MATCH, _tag(UNIV, CONS, SEQ),                               # 148  digestEncryptionAlgorithm
    Op.MATCH_ACT, _tag(UNIV, PRIM, OID), A.note_OID,               # 150   algorithm
    Op.MATCH_ANY_OR_SKIP,                                          # 153   parameters
    Op.END_SEQ,                                                    # 154
    Op.ACT, A.sig_note_pkey_algo,                                  # 155
    Op.MATCH_ACT, _tag(UNIV, PRIM, OTS), A.sig_note_signature,     # 157  encryptedDigest
    Op.MATCH_JUMP_OR_SKIP, _tag(CONT, CONS, 1), 207,               # 160  unauthenticatedAttributes uaSet
    Op.COND_MATCH_JUMP_OR_SKIP, _tag(CONT, CONS, 3), 213,          # 163  uaSequence
    Op.END_SEQ_ACT, A.note_signed_info,                            # 166
    Op.RETURN,                                                     # 168
    Op.MATCH, _tag(UNIV, CONS, SEQ),                               # 169 IssuerAndSerialNumber.issuer: Name
    Op.MATCH, _tag(UNIV, CONS, SET),                               # 171  RelativeDistinguishedName
    Op.MATCH, _tag(UNIV, CONS, SEQ),                               # 173   AttributeValueAssertion
    Op.MATCH_ACT, _tag(UNIV, PRIM, OID), A.note_OID,               # 175    attributeType
    Op.MATCH_ANY,                                                  # 178    attributeValue
    Op.END_SEQ,                                                    # 179
    Op.END_SET_OF, 173,                                            # 180
    Op.END_SEQ_OF, 171,                                            # 182
    Op.ACT, A.sig_note_issuer,                                     # 184
    Op.MATCH, _tag(UNIV, PRIM, INT),                               # 186 serialNumber
    Op.ACT, A.sig_note_serial,                                     # 188
    Op.END_SEQ,                                                    # 190
    Op.RETURN,                                                     # 191
    Op.MATCH_JUMP, _tag(UNIV, CONS, SEQ), 219,                     # 192 aaSet: AuthenticatedAttribute
    Op.END_SET_OF, 192,                                            # 195
    Op.RETURN,                                                     # 197
    Op.MATCH, _tag(UNIV, CONS, SEQ),                               # 198 aaSequence
    Op.MATCH_JUMP, _tag(UNIV, CONS, SEQ), 219,                     # 200  AuthenticatedAttribute
    Op.END_SEQ_OF, 200,                                            # 203
    Op.END_SEQ,                                                    # 205
    Op.RETURN,                                                     # 206
    Op.MATCH_JUMP, _tag(UNIV, CONS, SEQ), 230,                     # 207 uaSet: UnauthenticatedAttribute
    Op.END_SET_OF, 207,                                            # 210
    Op.RETURN,                                                     # 212
    Op.MATCH_JUMP, _tag(UNIV, CONS, SEQ), 230,                     # 213 uaSequence: UnauthenticatedAttribute
    Op.END_SEQ_OF, 213,                                            # 216
    Op.RETURN,                                                     # 218
    Op.MATCH_ACT, _tag(UNIV, PRIM, OID), A.note_OID,               # 219 AuthenticatedAttribute.type
    Op.MATCH, _tag(UNIV, CONS, SET),                               # 222  values
    Op.MATCH_ANY_ACT, A.sig_note_authenticated_attr,               # 224
    Op.END_SET_OF, 224,                                            # 226
    Op.END_SEQ,                                                    # 228
    Op.RETURN,                                                     # 229
    Op.MATCH, _tag(UNIV, PRIM, OID),                               # 230 UnauthenticatedAttribute.type
    Op.MATCH, _tag(UNIV, CONS, SET),                               # 232  values
    Op.MATCH_ANY,                                                  # 234
    Op.END_SET_OF, 234,                                            # 235
    Op.END_SEQ,                                                    # 237
    Op.RETURN,                                                     # 238
)

# --- keys, signatures, certificates -----------------------------------------------------


@dataclass
class PublicKeySignature:
    """struct public_key_signature: what public_key_verify_signature() checks."""
    pkey_algo: str | None = None
    encoding: str | None = None
    hash_algo: str | None = None
    s: bytes = b""
    digest: bytes | None = None
    auth_ids: list = field(default_factory=lambda: [None, None])


@dataclass(frozen=True)
class PublicKey:
    """struct public_key: the algorithm name the kernel gives it, and the key itself."""
    pkey_algo: str
    key: object


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
    oid = _expect(parts, 0, _tag(UNIV, PRIM, OID), "algorithm OID")
    params = data[parts[1][1]:parts[1][3]] if len(parts) > 1 else b""
    return look_up_oid(data[oid[2]:oid[3]]), params


def _cert_public_key(data: bytes, spki: tuple) -> PublicKey:
    """x509_extract_key_data(): the kernel's name for the key, and the key."""
    parts = _der_children(data, spki[2], spki[3])
    algo, params = _algorithm_oid(data, _expect(parts, 0, _tag(UNIV, CONS, SEQ), "key algorithm"))
    bits = _expect(parts, 1, _tag(UNIV, PRIM, ASN1_BTS), "subjectPublicKey")
    if algo == "rsaEncryption":
        name = "rsa"
    elif algo == "id_ecPublicKey":
        if len(params) < 3 or params[0] != ASN1_OID or params[1] != len(params) - 2:
            raise X509Error(errno.EBADMSG, "bad EC parameters")       # parse_OID()
        name = EC_CURVES.get(look_up_oid(params[2:]))
        if name is None:
            raise X509Error(errno.ENOPKG, "unsupported EC curve")
    else:
        raise X509Error(errno.ENOPKG, f"unsupported key algorithm {algo}")
    if bits[3] - bits[2] < 1 or data[bits[2]] != 0:
        raise X509Error(errno.EBADMSG, "BIT STRING with unused bits")
    try:
        key = serialization.load_der_public_key(data[spki[1]:spki[3]])
    except (ValueError, crypto_exceptions.UnsupportedAlgorithm) as e:
        raise X509Error(errno.EBADMSG, f"public key: {e}") from None
    return PublicKey(name, key)



def _cert_extensions(data: bytes, ext_wrapper: tuple | None) -> tuple[bytes | None, bytes | None]:
    """x509_process_extension(): (skid, akid keyIdentifier) — each may be None."""
    skid = akid_keyid = None
    if ext_wrapper is None:
        return None, None
    seq = _expect(_der_children(data, ext_wrapper[2], ext_wrapper[3]), 0, _tag(UNIV, CONS, SEQ), "extensions")
    for ext in _der_children(data, seq[2], seq[3]):
        parts = _der_children(data, ext[2], ext[3])
        oid = _expect(parts, 0, _tag(UNIV, PRIM, OID), "extension OID")
        value = parts[-1]
        if value[0] != _tag(UNIV, PRIM, OTS):
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
    _seq, start, end = _der_element(v, 0, len(v))
    for tag, _hdr, start, end in _der_children(v, start, end):
        if tag == _tag(CONT, PRIM, 0):
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
    if top != _tag(UNIV, CONS, SEQ):
        raise X509Error(errno.EBADMSG, "not a SEQUENCE")
    cert_parts = _der_children(der, start, end)
    tbs = _expect(cert_parts, 0, _tag(UNIV, CONS, SEQ), "tbsCertificate")
    outer_algo = _expect(cert_parts, 1, _tag(UNIV, CONS, SEQ), "signatureAlgorithm")
    sig_bits = _expect(cert_parts, 2, _tag(UNIV, PRIM, ASN1_BTS), "signature")
    fields = _der_children(der, tbs[2], tbs[3])
    i = 1 if fields and fields[0][0] == _tag(CONT, CONS, 0) else 0      # [0] version
    serial = _expect(fields, i, _tag(UNIV, PRIM, INT), "serialNumber")
    sig_algo, _ = _algorithm_oid(der, _expect(fields, i + 1, _tag(UNIV, CONS, SEQ), "signature"))
    issuer = _expect(fields, i + 2, _tag(UNIV, CONS, SEQ), "issuer")
    validity = _expect(fields, i + 3, _tag(UNIV, CONS, SEQ), "validity")
    subject = _expect(fields, i + 4, _tag(UNIV, CONS, SEQ), "subject")
    spki = _expect(fields, i + 5, _tag(UNIV, CONS, SEQ), "subjectPublicKeyInfo")
    if sig_algo not in CERT_SIG_ALGOS:
        raise X509Error(errno.ENOPKG, f"unsupported signature algorithm {sig_algo}")   # x509_note_sig_algo
    for tag, _hdr, start, end in _der_children(der, validity[2], validity[3]):
        if x509_decode_time(tag, der[start:end]):
            raise X509Error(errno.EBADMSG, "bad validity time")
    pub = _cert_public_key(der, spki)
    ext = next((f for f in fields[i + 6:] if f[0] == _tag(CONT, CONS, 3)), None)
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
    digest = _digest(cert.sig.hash_algo, tbs, crypto)
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


# --- crypto: digests and public_key_verify_signature() ----------------------------------

HASHLIB_NAMES = {"md5": "md5", "sha1": "sha1", "sha224": "sha224", "sha256": "sha256",
                 "sha384": "sha384", "sha512": "sha512"}
NO_DIGEST = b""       # the crypto API has the hash but Python cannot compute it (md4, streebog)


def _digest(hash_algo: str | None, data: bytes, crypto: CryptoConfig) -> bytes | None:
    """crypto_alloc_shash() + digest: None when the hash is unavailable (ENOENT)."""
    if hash_algo not in crypto.hashes:
        return None
    name = HASHLIB_NAMES.get(hash_algo)
    # md4/streebog are never *compared*: pkcs1pad has no DigestInfo for them and
    # ECDSA refuses them (software_key_determine_akcipher), both before the digest.
    return hashlib.new(name, data).digest() if name else NO_DIGEST


# rsa-pkcs1pad.c rsa_digest_info_*: the DER DigestInfo prefix before the hash.
RSA_DIGEST_INFO = {
    "md5": bytes.fromhex("3020300c06082a864886f70d020505000410"),
    "sha1": bytes.fromhex("3021300906052b0e03021a05000414"),
    "rmd160": bytes.fromhex("3021300906052b2403020105000414"),
    "sha224": bytes.fromhex("302d300d06096086480165030402040500041c"),
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "sha384": bytes.fromhex("3041300d060960864801650304020205000430"),
    "sha512": bytes.fromhex("3051300d060960864801650304020305000440"),
}
RSA_KEY_BITS = frozenset({512, 1024, 1536, 2048, 3072, 4096})     # rsa_check_key_length(), no FIPS
MPI_LIMB_BYTES = 8
PKCS1_MIN_PAD = 9                    # 0x01 + at least eight 0xff


def software_key_determine_akcipher(pub: PublicKey, encoding: str | None, hash_algo: str | None) -> int:
    """0 if the key/encoding/hash combination names an akcipher, else EINVAL/ENOPKG."""
    if encoding is None:
        return errno.EINVAL
    if pub.pkey_algo == "rsa":
        if encoding == "pkcs1":
            return 0
        return 0 if encoding == "raw" and hash_algo is None else errno.EINVAL
    if pub.pkey_algo.startswith("ecdsa"):
        ok = encoding == "x962" and hash_algo in ("sha1", "sha224", "sha256", "sha384", "sha512")
        return 0 if ok else errno.EINVAL
    return errno.ENOPKG


def public_key_verify_signature(pub: PublicKey, sig: PublicKeySignature, crypto: CryptoConfig) -> int:
    """public_key_verify_signature(): 0 or the errno of the first check that fails."""
    if sig.pkey_algo and pub.pkey_algo != sig.pkey_algo and not (
            pub.pkey_algo.startswith("ecdsa-") and sig.pkey_algo == "ecdsa"):
        return errno.EKEYREJECTED
    err = software_key_determine_akcipher(pub, sig.encoding, sig.hash_algo)
    if err:
        return err
    family = "rsa" if pub.pkey_algo == "rsa" else "ecdsa"
    if family not in crypto.akciphers:
        return errno.ENOENT                               # crypto_alloc_akcipher()
    if family == "rsa":
        return rsa_pkcs1pad_verify(pub.key.public_numbers(), sig)
    return ecdsa_verify(pub.key, sig)


@functools.lru_cache(maxsize=1024)
def _rsa_public(m: int, e: int, n: int) -> int:
    """m^e mod n.  Pure, and a fuzzer re-verifies the same signature over and over
    (most mutants leave it alone): remembered, like a hardware cache, not changed."""
    return pow(m, e, n)


def rsa_pkcs1pad_verify(numbers: rsa.RSAPublicNumbers, sig: PublicKeySignature) -> int:
    """pkcs1pad(rsa,hash) verify: rsa.c's encrypt, then pkcs1pad_verify_complete()."""
    digest_info = RSA_DIGEST_INFO.get(sig.hash_algo) if sig.hash_algo else b""
    if digest_info is None:
        return errno.ENOENT                               # pkcs1pad_create(): no such DigestInfo
    key_size = -(-((numbers.n.bit_length() + 7) // 8) // MPI_LIMB_BYTES) * MPI_LIMB_BYTES   # mpi_get_size(n)
    if key_size * 8 not in RSA_KEY_BITS:
        return errno.EINVAL                               # rsa_set_pub_key()
    digest = sig.digest or b""
    if not digest or len(sig.s) != key_size:
        return errno.EINVAL                               # pkcs1pad_verify()
    m = int.from_bytes(sig.s, "big")
    if m >= numbers.n:
        return errno.EINVAL                               # _rsa_enc()
    out = _rsa_public(m, numbers.e, numbers.n).to_bytes(key_size, "big")   # mpi_write_to_sgl() pads to key_size
    if out[0] != 0:
        return errno.EINVAL
    out = out[1:]
    if out[0] != 0x01:
        return errno.EBADMSG
    pos = 1
    while pos < len(out) and out[pos] == 0xFF:
        pos += 1
    if pos < PKCS1_MIN_PAD or pos == len(out) or out[pos] != 0:
        return errno.EBADMSG
    pos += 1
    if len(digest_info) > len(out) - pos or out[pos:pos + len(digest_info)] != digest_info:
        return errno.EBADMSG
    pos += len(digest_info)
    if len(digest) != len(out) - pos or out[pos:] != digest:
        return errno.EKEYREJECTED
    return 0


ECDSA_HASHES = {"sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
                "sha384": hashes.SHA384, "sha512": hashes.SHA512}


def ecdsa_verify(key: ec.EllipticCurvePublicKey, sig: PublicKeySignature) -> int:
    """crypto/ecdsa.c ecdsa_verify(): EBADMSG for an unparseable signature, EKEYREJECTED
    for one that does not verify (done by cryptography on the prehashed digest)."""
    try:
        asym_utils.decode_dss_signature(sig.s)
    except ValueError:
        return errno.EBADMSG
    algorithm = ECDSA_HASHES[sig.hash_algo]()
    if not sig.digest or len(sig.digest) != algorithm.digest_size:
        return errno.EINVAL
    try:
        key.verify(sig.s, sig.digest, ec.ECDSA(asym_utils.Prehashed(algorithm)))
    except crypto_exceptions.InvalidSignature:
        return errno.EKEYREJECTED
    return 0


# --- pkcs7_parser.c ---------------------------------------------------------------------


@dataclass(eq=False)
class Pkcs7SignedInfo:
    """struct pkcs7_signed_info."""
    sig: PublicKeySignature = field(default_factory=PublicKeySignature)
    index: int = 0
    authattrs: bytes | None = None
    msgdigest: bytes | None = None
    aa_set: set = field(default_factory=set)
    signer: X509Certificate | None = None
    unsupported_crypto: bool = False


@dataclass
class Pkcs7Message:
    """struct pkcs7_message."""
    version: int = 0
    data_type: str | None = None
    data: bytes | None = None
    certs: list = field(default_factory=list)
    signed_infos: list = field(default_factory=list)
    have_authattrs: bool = False


@dataclass
class Pkcs7ParseContext:
    """struct pkcs7_parse_context; raw_* persist from one SignerInfo to the next, as in C."""
    data: bytes
    crypto: CryptoConfig
    msg: Pkcs7Message = field(default_factory=Pkcs7Message)
    sinfo: Pkcs7SignedInfo = field(default_factory=Pkcs7SignedInfo)
    certs: list = field(default_factory=list)
    last_oid: str | None = None
    x509_index: int = 0
    sinfo_index: int = 0
    raw_serial: bytes = b""
    raw_issuer: bytes = b""
    raw_skid: bytes = b""
    expect_skid: bool = False
    log: list = field(default_factory=list)

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
    if tag != _tag(UNIV, CONS, SEQ):
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


def pkcs7_parse_message(raw: bytes, crypto: CryptoConfig, log: list) -> Pkcs7Message | int:
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


# --- pkcs7_verify.c ---------------------------------------------------------------------


def pkcs7_digest(msg: Pkcs7Message, sinfo: Pkcs7SignedInfo, crypto: CryptoConfig) -> int:
    """Digest the detached content.  (The authattrs half of the C is unreachable here:
    pkcs7_verify() refuses module signatures that carry authenticated attributes.)"""
    if sinfo.sig.digest is not None:
        return 0
    if not sinfo.sig.hash_algo:
        return errno.ENOPKG
    digest = _digest(sinfo.sig.hash_algo, msg.data, crypto)
    if digest is None:
        return errno.ENOPKG                               # crypto_alloc_shash(): -ENOENT
    sinfo.sig.digest = digest
    return 0


def pkcs7_find_key(msg: Pkcs7Message, sinfo: Pkcs7SignedInfo) -> None:
    """The signer among the message's own certificates, by issuer+serial (or SKID)."""
    sinfo.signer = next((x for x in msg.certs if x.id == sinfo.sig.auth_ids[0]), None)


def pkcs7_verify_sig_chain(msg: Pkcs7Message, sinfo: Pkcs7SignedInfo, crypto: CryptoConfig) -> int:
    """Follow the signer's issuers through the message's certificates, verifying each link."""
    for p in msg.certs:
        p.seen = False
    x509 = sinfo.signer
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


def pkcs7_verify(msg: Pkcs7Message, crypto: CryptoConfig, log: list) -> int:
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


# --- pkcs7_trust.c, asymmetric_type.c ----------------------------------------------------


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


# --- certs/system_keyring.c ----------------------------------------------------------------


@dataclass(frozen=True)
class Pkcs7Check:
    """The verdict of one verification with what the kernel would have logged."""
    errno: int
    log: tuple


def _load_certificate_bytes(blob: bytes) -> bytes:
    """DER as given, or the DER inside a PEM certificate."""
    if blob.lstrip().startswith(b"-----BEGIN"):
        try:
            return x509.load_pem_x509_certificate(blob).public_bytes(serialization.Encoding.DER)
        except ValueError as e:
            raise KeyringError(f"not a PEM certificate: {e}") from None
    return blob


@functools.lru_cache(maxsize=1)
def _debian_certificate() -> X509Certificate:
    """The build-time key of Debian's 6.1.0-56-amd64 (package data)."""
    return _trusted_certificate(resources.files("lkmfuzz.kernel").joinpath("data", DEBIAN_CERT_RESOURCE).read_bytes(),
                                DEBIAN_6_1)


# Parsed once per (certificate, crypto config): keyrings only read a trusted
# certificate, so every kernel that trusts it shares one parse (and its RSA check).
@functools.lru_cache(maxsize=64)
def _trusted_certificate(der: bytes, crypto: CryptoConfig) -> X509Certificate:
    """A certificate for the keyring: parsed as the kernel would, named for messages."""
    try:
        cert = x509_cert_parse(der, crypto)
        cert.subject = x509.load_der_x509_certificate(der).subject.rfc4514_string()
    except X509Error as e:
        raise KeyringError(f"certificate refused ({errno.errorcode.get(e.errno)}): {e.why}") from None
    except (ValueError, x509.InvalidVersion) as e:
        raise KeyringError(f"certificate refused: {e}") from None
    return cert


@dataclass
class Keyring:
    """.builtin_trusted_keys + .secondary_trusted_keys: what module signatures verify against."""
    certificates: list = field(default_factory=list)
    crypto: CryptoConfig = DEBIAN_6_1

    @classmethod
    def default(cls) -> "Keyring":
        """The keyring Debian's 6.1.0-56-amd64 boots with: its build-time signing key,
        the certificate in its system_certificate_list (see data/SOURCE.md)."""
        return cls([_debian_certificate()])

    def add_certificate(self, cert: bytes) -> X509Certificate:
        """Trust an X.509 certificate (DER or PEM), like key_create_or_update() on the keyring."""
        parsed = _trusted_certificate(_load_certificate_bytes(cert), self.crypto)
        self.certificates.append(parsed)
        return parsed

    def verify_pkcs7_signature(self, data: bytes, pkcs7: bytes) -> int:
        """0 on a good signature, else the errno the kernel's PKCS#7 code returns."""
        return self.check_pkcs7_signature(data, pkcs7).errno

    def check_pkcs7_signature(self, data: bytes, pkcs7: bytes) -> Pkcs7Check:
        """verify_pkcs7_signature(data, pkcs7, VERIFY_USE_SECONDARY_KEYRING,
        VERIFYING_MODULE_SIGNATURE), with the messages of the way there."""
        log: list = []
        msg = pkcs7_parse_message(bytes(pkcs7), self.crypto, log)
        if isinstance(msg, int):
            return Pkcs7Check(msg, tuple(log))
        if msg.data is not None:
            log.append("PKCS#7 signature with non-detached data")
            return Pkcs7Check(errno.EBADMSG, tuple(log))
        msg.data = bytes(data)
        ret = pkcs7_verify(msg, self.crypto, log) or pkcs7_validate_trust(msg, self.certificates, self.crypto, log)
        return Pkcs7Check(ret, tuple(log))
