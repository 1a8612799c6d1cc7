"""Keys the fuzzer signs with: a fixed RSA-2048 key derived from a seed, its self-signed
certificate and its ``sign.Signer``.

The key is the same on every run (so a signed test case replays exactly) and no
keyring trusts it unless a test case adds its certificate (``TestCase.trusted``):
the signature mutators (``lkmfuzz.mutate.signature``) re-sign with it, the
signature and scenario targets trust it.  It is generated here, with
``random.Random`` primes, because ``cryptography`` cannot derive a key from a seed.
"""

import datetime
import functools
import random

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from .sign import Signer, issuer_and_serial

UNKNOWN_KEY_SEED = "lkmfuzz: an RSA key that no keyring trusts"
UNKNOWN_KEY_BITS = 2048
RSA_EXPONENT = 65537

# Trial division by the primes below this rejects ~93% of random odd candidates
# before the first (costly) Miller-Rabin round.
TRIAL_DIVISION_LIMIT = 4096
SMALL_PRIMES = tuple(n for n in range(2, TRIAL_DIVISION_LIMIT) if all(n % d for d in range(2, int(n ** 0.5) + 1)))
MILLER_RABIN_BASES = SMALL_PRIMES[:24]


def _is_probable_prime(n: int) -> bool:
    """Miller-Rabin with fixed bases (deterministic; error < 4^-24 for random n)."""
    if any(n % p == 0 for p in SMALL_PRIMES):
        return n in SMALL_PRIMES
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for a in MILLER_RABIN_BASES:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(rng: random.Random, bits: int) -> int:
    while True:
        candidate = rng.getrandbits(bits) | (3 << (bits - 2)) | 1     # top two bits: n has full size
        if candidate % RSA_EXPONENT != 1 and _is_probable_prime(candidate):
            return candidate


@functools.lru_cache(maxsize=1)
def unknown_key() -> rsa.RSAPrivateKey:
    """The seeded RSA-2048 key: the same on every run, trusted by no keyring."""
    rng = random.Random(UNKNOWN_KEY_SEED)
    p, q = _prime(rng, UNKNOWN_KEY_BITS // 2), _prime(rng, UNKNOWN_KEY_BITS // 2)
    d = pow(RSA_EXPONENT, -1, (p - 1) * (q - 1))
    public = rsa.RSAPublicNumbers(RSA_EXPONENT, p * q)
    return rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q),
                                 rsa.rsa_crt_iqmp(p, q), public).private_key()


@functools.lru_cache(maxsize=1)
def unknown_certificate() -> bytes:
    """A self-signed DER certificate for unknown_key() (fixed fields: deterministic)."""
    key = unknown_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lkmfuzz untrusted test key")])
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(0x1CE5F00D).not_valid_before(start).not_valid_after(start + datetime.timedelta(days=36500))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


def unknown_signer() -> Signer:
    return Signer(unknown_key(), *issuer_and_serial(unknown_certificate()))
