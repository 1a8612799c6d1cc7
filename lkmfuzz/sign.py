"""Sign a module the way the kernel's ``scripts/sign-file`` does.

The result is ``module + PKCS#7 + struct module_signature + "~Module signature appended~\\n"``,
where the PKCS#7 is what sign-file's ``CMS_sign()``/``CMS_add1_signer()`` with
``CMS_NOCERTS | CMS_BINARY | CMS_NOSMIMECAP | CMS_NOATTR`` and ``CMS_DETACHED`` make
under OpenSSL 3: a DER ContentInfo/SignedData (version 1) with no certificates and no
signed attributes, one SignerInfo naming the key by issuer + serial number, and the
signature over the module itself.  For an RSA key the output is byte-for-byte
sign-file's (PKCS#1 v1.5 signatures are deterministic); ECDSA signatures are not.

The signature arithmetic is ``cryptography``'s.  The DER is assembled here because
``cryptography``'s PKCS7SignatureBuilder writes ``NULL`` parameters in the digest
AlgorithmIdentifiers, where OpenSSL's CMS (and so every signed Debian module) has none.
The small DER reader/writer below is also what ``lkmfuzz.mutate.signature`` edits with.
"""

from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from .errors import LkmfuzzError
from .kernel.crypto.oid import encode_oid
from .loader.signing import MODULE_SIG_STRING, PKEY_ID_PKCS7, ModuleSignature

HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256, "sha384": hashes.SHA384,
    "sha512": hashes.SHA512}
DEFAULT_HASH = "sha256"
SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey    # what sign-file signs with

TAG_INTEGER, TAG_OCTET_STRING, TAG_NULL, TAG_OID = 0x02, 0x04, 0x05, 0x06
TAG_SEQUENCE, TAG_SET, TAG_CONTEXT_0 = 0x30, 0x31, 0xA0
INDEFINITE = 0x80
CMS_VERSION_ISSUER_SERIAL = 1            # SignedData and SignerInfo version with issuerAndSerialNumber

OID_SIGNED_DATA = "1.2.840.113549.1.7.2"
OID_DATA = "1.2.840.113549.1.7.1"
OID_RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
DIGEST_OIDS = {"sha1": "1.3.14.3.2.26", "sha224": "2.16.840.1.101.3.4.2.4", "sha256": "2.16.840.1.101.3.4.2.1",
               "sha384": "2.16.840.1.101.3.4.2.2", "sha512": "2.16.840.1.101.3.4.2.3"}
ECDSA_OIDS = {"sha1": "1.2.840.10045.4.1", "sha224": "1.2.840.10045.4.3.1", "sha256": "1.2.840.10045.4.3.2",
              "sha384": "1.2.840.10045.4.3.3", "sha512": "1.2.840.10045.4.3.4"}


class SignError(LkmfuzzError, ValueError):
    """A key, certificate or hash that cannot sign (named in the message)."""


# --- a minimal DER writer and reader ----------------------------------------------------

def der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def der(tag: int, *content: bytes) -> bytes:
    """One DER element: tag, definite length, content."""
    body = b"".join(content)
    return bytes([tag]) + der_length(len(body)) + body


def der_oid(dotted: str) -> bytes:
    return der(TAG_OID, encode_oid(dotted))


@dataclass(frozen=True)
class Element:
    """One definite-length DER element inside a buffer: [start, value, end)."""
    tag: int
    start: int
    value: int
    end: int

    @property
    def header_len(self) -> int:
        return self.value - self.start


def der_read(data: bytes, pos: int, end: int | None = None) -> Element:
    """The element at pos (definite lengths only); ValueError if it does not fit."""
    end = len(data) if end is None else end
    if end - pos < 2:
        raise ValueError(f"no DER element at {pos}")
    tag, length, value = data[pos], data[pos + 1], pos + 2
    if length == INDEFINITE:
        raise ValueError(f"indefinite length at {pos}")
    if length > 0x7F:
        n = length - 0x80
        if n > 4 or value + n > end:
            raise ValueError(f"bad length at {pos}")
        length, value = int.from_bytes(data[value:value + n], "big"), value + n
    if value + length > end:
        raise ValueError(f"element at {pos} overruns its container")
    return Element(tag, pos, value, value + length)


def der_children(data: bytes, parent: Element) -> list[Element]:
    """The elements directly inside a constructed element."""
    out, pos = [], parent.value
    while pos < parent.end:
        child = der_read(data, pos, parent.end)
        out.append(child)
        pos = child.end
    return out


# --- keys and certificates ----------------------------------------------------------------

def load_private_key(blob: bytes) -> SigningKey:
    """An RSA or EC private key from PEM or DER (unencrypted, as sign-file expects)."""
    loaders = (serialization.load_pem_private_key, serialization.load_der_private_key)
    for load in loaders if blob.lstrip().startswith(b"-----") else loaders[::-1]:
        try:
            key = load(blob, password=None)
            break
        except (ValueError, TypeError, UnsupportedAlgorithm):
            continue
    else:
        raise SignError("not an unencrypted PEM or DER private key")
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise SignError(f"unsupported key type {type(key).__name__} (RSA or EC only)")
    return key


def load_certificate(blob: bytes) -> bytes:
    """The DER of an X.509 certificate given as PEM or DER."""
    try:
        if blob.lstrip().startswith(b"-----"):
            return x509.load_pem_x509_certificate(blob).public_bytes(serialization.Encoding.DER)
        x509.load_der_x509_certificate(blob)
        return blob
    except ValueError as e:
        raise SignError(f"not a PEM or DER X.509 certificate ({e})") from None


def issuer_and_serial(cert_der: bytes) -> tuple[bytes, bytes]:
    """The raw issuer Name and serialNumber INTEGER elements of a certificate, byte for
    byte: the kernel matches the signer against a trusted certificate by these bytes."""
    cert = der_read(cert_der, 0)
    tbs = der_children(cert_der, der_children(cert_der, cert)[0])
    fields = tbs[1:] if tbs[0].tag == TAG_CONTEXT_0 else tbs        # skip [0] version
    serial, issuer = fields[0], fields[2]
    return cert_der[issuer.start:issuer.end], cert_der[serial.start:serial.end]


@dataclass(frozen=True)
class Signer:
    """A private key and how a SignerInfo names it (issuer Name and serial INTEGER, DER)."""
    key: SigningKey
    issuer: bytes
    serial: bytes

    @classmethod
    def from_certificate(cls, key: SigningKey, cert: bytes) -> "Signer":
        """The key with its certificate (PEM or DER); SignError if they do not match."""
        cert_der = load_certificate(cert)
        public = x509.load_der_x509_certificate(cert_der).public_key()
        raw = serialization.PublicFormat.SubjectPublicKeyInfo
        if public.public_bytes(serialization.Encoding.DER, raw) != key.public_key().public_bytes(
                serialization.Encoding.DER, raw):
            raise SignError("the private key does not belong to the certificate")
        return cls(key, *issuer_and_serial(cert_der))


# --- CMS SignedData, as sign-file writes it -----------------------------------------------

def _signature(signer: Signer, data: bytes, hash_name: str) -> tuple[bytes, bytes]:
    """(signatureAlgorithm element, signature) — rsaEncryption+NULL or ecdsa-with-SHAn."""
    algorithm = HASHES[hash_name]()
    if isinstance(signer.key, rsa.RSAPrivateKey):
        return (der(TAG_SEQUENCE, der_oid(OID_RSA_ENCRYPTION), der(TAG_NULL)),
                signer.key.sign(data, padding.PKCS1v15(), algorithm))
    return der(TAG_SEQUENCE, der_oid(ECDSA_OIDS[hash_name])), signer.key.sign(data, ec.ECDSA(algorithm))


def signer_info(data: bytes, signer: Signer, hash_name: str = DEFAULT_HASH) -> bytes:
    """One SignerInfo (v1, no attributes) signing data directly."""
    if hash_name not in HASHES:
        raise SignError(f"unsupported hash {hash_name!r}; choose one of: {', '.join(HASHES)}")
    algorithm, signature = _signature(signer, data, hash_name)
    return der(TAG_SEQUENCE,
               der(TAG_INTEGER, bytes([CMS_VERSION_ISSUER_SERIAL])),
               der(TAG_SEQUENCE, signer.issuer, signer.serial),
               der(TAG_SEQUENCE, der_oid(DIGEST_OIDS[hash_name])),
               algorithm,
               der(TAG_OCTET_STRING, signature))


def signed_data(digest_algorithms: list[str], signer_infos: list[bytes]) -> bytes:
    """ContentInfo{signedData} around detached SignerInfos (no certificates, no CRLs)."""
    digests = der(TAG_SET, *(der(TAG_SEQUENCE, der_oid(DIGEST_OIDS[h])) for h in digest_algorithms))
    body = der(TAG_SEQUENCE,
               der(TAG_INTEGER, bytes([CMS_VERSION_ISSUER_SERIAL])),
               digests,
               der(TAG_SEQUENCE, der_oid(OID_DATA)),
               der(TAG_SET, *signer_infos))
    return der(TAG_SEQUENCE, der_oid(OID_SIGNED_DATA), der(TAG_CONTEXT_0, body))


def pkcs7_sign(data: bytes, signer: Signer, hash_name: str = DEFAULT_HASH) -> bytes:
    """The detached PKCS#7 (CMS) signature sign-file makes of data."""
    return signed_data([hash_name], [signer_info(data, signer, hash_name)])


def append_signature(module: bytes, pkcs7: bytes) -> bytes:
    """module + pkcs7 + struct module_signature (id_type PKCS#7, sig_len) + marker."""
    trailer = ModuleSignature(algo=0, hash=0, id_type=PKEY_ID_PKCS7, signer_len=0, key_id_len=0,
                              pad=b"\0\0\0", sig_len=len(pkcs7))
    return module + pkcs7 + trailer.pack() + MODULE_SIG_STRING


def sign_module(module: bytes, signer: Signer, hash_name: str = DEFAULT_HASH) -> bytes:
    """scripts/sign-file HASH KEY CERT MODULE: the signed module's bytes."""
    return append_signature(module, pkcs7_sign(module, signer, hash_name))
