"""crypto/asymmetric_keys/public_key.c ``public_key_verify_signature()``, with the
``struct public_key`` and ``struct public_key_signature`` of include/crypto/public_key.h,
the digest ``crypto_alloc_shash()`` gives, and the akciphers behind the check:
crypto/rsa-pkcs1pad.c and crypto/rsa.c for RSA (done with Python integers, so the
kernel's own EINVAL/EBADMSG/EKEYREJECTED distinctions hold) and crypto/ecdsa.c (by
``cryptography``).
"""

import errno
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography import exceptions as crypto_exceptions
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric import utils as asym_utils

from .api import CryptoConfig


@dataclass
class PublicKeySignature:
    """struct public_key_signature: what public_key_verify_signature() checks."""
    pkey_algo: str | None = None
    encoding: str | None = None
    hash_algo: str | None = None
    s: bytes = b""
    digest: bytes | None = None
    auth_ids: list[bytes | None] = field(default_factory=lambda: [None, None])


@dataclass(frozen=True)
class PublicKey:
    """struct public_key: the algorithm name the kernel gives it ("rsa", "ecdsa-nist-p256", ...),
    and the key itself: an RSA key for "rsa", else an EC key (x509._cert_public_key checks)."""
    pkey_algo: str
    key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey


HASHLIB_NAMES = {"md5": "md5", "sha1": "sha1", "sha224": "sha224", "sha256": "sha256",
                 "sha384": "sha384", "sha512": "sha512"}
NO_DIGEST = b""       # the crypto API has the hash but Python cannot compute it (md4, streebog)


def compute_digest(hash_algo: str | None, data: bytes, crypto: CryptoConfig) -> bytes | None:
    """crypto_alloc_shash() + digest: None when the hash is unavailable (ENOENT)."""
    if hash_algo is None or hash_algo not in crypto.hashes:
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
    key = pub.key
    if isinstance(key, rsa.RSAPublicKey):                 # family "rsa" (see PublicKey)
        return rsa_pkcs1pad_verify(key.public_numbers(), sig)
    return ecdsa_verify(key, sig)


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


ECDSA_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256, "sha384": hashes.SHA384,
    "sha512": hashes.SHA512}


def ecdsa_verify(key: ec.EllipticCurvePublicKey, sig: PublicKeySignature) -> int:
    """crypto/ecdsa.c ecdsa_verify(): EBADMSG for an unparseable signature, EKEYREJECTED
    for one that does not verify (done by cryptography on the prehashed digest)."""
    try:
        asym_utils.decode_dss_signature(sig.s)
    except ValueError:
        return errno.EBADMSG
    if sig.hash_algo is None:
        raise ValueError("ecdsa_verify: no hash (software_key_determine_akcipher() refuses that first)")
    algorithm = ECDSA_HASHES[sig.hash_algo]()
    if not sig.digest or len(sig.digest) != algorithm.digest_size:
        return errno.EINVAL
    try:
        key.verify(sig.s, sig.digest, ec.ECDSA(asym_utils.Prehashed(algorithm)))
    except crypto_exceptions.InvalidSignature:
        return errno.EKEYREJECTED
    return 0
