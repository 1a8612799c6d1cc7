"""The system keyring, and the kernel's verification of a module's PKCS#7 signature.

``module_sig_check`` (loader/signing.py) strips the marker and ``struct
module_signature`` and calls ``Keyring.verify_pkcs7_signature(data, pkcs7)``, which
returns what Linux 6.1's ``verify_pkcs7_signature(..., VERIFYING_MODULE_SIGNATURE)``
returns: 0, or an errno.  Every byte string gets an errno; nothing else escapes.

What is mirrored, function for function (read in Debian's linux-source-6.1 6.1.192-2),
one module of ``lkmfuzz.kernel.crypto`` per kernel file:

* ``lib/asn1_decoder.c`` ``asn1_ber_decoder()`` (``crypto.asn1``) — ported as an
  interpreter of the bytecode that ``scripts/asn1_compiler`` makes of
  ``crypto/asymmetric_keys/pkcs7.asn1`` (``crypto.pkcs7_grammar.PKCS7_MACHINE`` is that
  output), so tag/length quirks, BER indefinite lengths, the 64 KiB limit (EMSGSIZE)
  and the *order* in which errors surface are the kernel's.
* ``pkcs7_parser.c`` — the decoder's actions and ``pkcs7_parse_message()`` (``crypto.pkcs7``).
* ``pkcs7_verify.c`` ``pkcs7_verify()`` (``crypto.pkcs7_verify``), ``pkcs7_trust.c``
  ``pkcs7_validate_trust()`` (``crypto.pkcs7_trust``), ``certs/system_keyring.c``
  ``verify_pkcs7_message_sig()`` (this module).
* ``public_key.c`` ``public_key_verify_signature()``, ``crypto/rsa-pkcs1pad.c`` and
  ``crypto/rsa.c`` for RSA (done with Python integers, so the kernel's own
  EINVAL/EBADMSG/EKEYREJECTED distinctions hold) (``crypto.public_key``),
  ``asymmetric_type.c`` ``find_asymmetric_key()`` (``crypto.pkcs7_trust``).

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
``crypto.x509.x509_cert_parse()`` (not a full port of the kernel's x509 grammar: see
there).  ``crypto.api.CryptoConfig`` says which algorithms the crypto API can provide;
a keyring verifies with ``DEBIAN_6_1`` unless given another.
"""

import errno
import functools
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ..errors import LkmfuzzError
from .crypto.api import DEBIAN_6_1, CryptoConfig
from .crypto.pkcs7 import pkcs7_parse_message
from .crypto.pkcs7_trust import pkcs7_validate_trust
from .crypto.pkcs7_verify import pkcs7_verify
from .crypto.x509 import X509Certificate, X509Error, x509_cert_parse
from .release import CERTIFICATE, LINUX_6_1, Release


class KeyringError(LkmfuzzError, ValueError):
    """A certificate given to the keyring cannot be a trusted key (bad DER, unsupported key)."""


@dataclass(frozen=True)
class Pkcs7Check:
    """The verdict of one verification with what the kernel would have logged."""
    errno: int
    log: tuple[str, ...]


def _load_certificate_bytes(blob: bytes) -> bytes:
    """DER as given, or the DER inside a PEM certificate."""
    if blob.lstrip().startswith(b"-----BEGIN"):
        try:
            return x509.load_pem_x509_certificate(blob).public_bytes(serialization.Encoding.DER)
        except ValueError as e:
            raise KeyringError(f"not a PEM certificate: {e}") from None
    return blob


@functools.lru_cache(maxsize=None)
def _build_certificate(release: Release) -> X509Certificate:
    """The build-time key of one Debian kernel build (package data; read and parsed once)."""
    return _trusted_certificate(release.data(CERTIFICATE), release.crypto)


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
    certificates: list[X509Certificate] = field(default_factory=list)
    crypto: CryptoConfig = DEBIAN_6_1

    @classmethod
    def default(cls) -> "Keyring":
        """The keyring Debian's 6.1.0-56-amd64 boots with: its build-time signing key,
        the certificate in its system_certificate_list (see data/linux-6.1/SOURCE.md)."""
        return cls.of_release(LINUX_6_1)

    @classmethod
    def of_release(cls, release: Release) -> "Keyring":
        """The keyring a Debian kernel build boots with: its build certificate, its crypto."""
        return cls([_build_certificate(release)], release.crypto)

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
        log: list[str] = []
        msg = pkcs7_parse_message(bytes(pkcs7), self.crypto, log)
        if isinstance(msg, int):
            return Pkcs7Check(msg, tuple(log))
        if msg.data is not None:
            log.append("PKCS#7 signature with non-detached data")
            return Pkcs7Check(errno.EBADMSG, tuple(log))
        msg.data = bytes(data)
        ret = pkcs7_verify(msg, self.crypto, log) or pkcs7_validate_trust(msg, self.certificates, self.crypto, log)
        return Pkcs7Check(ret, tuple(log))
