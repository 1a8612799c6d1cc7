"""What crypto/api.c can find: ``crypto_alloc_shash()`` and ``crypto_alloc_akcipher()``
fail with ENOENT for an algorithm that is neither built in nor loadable by
request_module().  ``CryptoConfig`` says which algorithms the crypto API can provide.
Debian's 6.1 builds RSA in, has no ECDSA (``# CONFIG_CRYPTO_ECDSA is not set``) and
sha384/sha512 only as a module (``CONFIG_CRYPTO_SHA512=m``): ``DEBIAN_6_1`` assumes
/lib/modules is there for request_module(); ``DEBIAN_6_1_NO_MODULES`` is a kernel booted
with a bare initramfs (the qemu oracle), where a sha512 signature is ENOPKG.

Debian's 6.12 (6.12.118+deb12, kernel/data/linux-6.12/config.xz) builds in RSA *and*
ECDSA (``CONFIG_CRYPTO_ECDSA=y``: its own build key is ECDSA P-384), sha384/sha512
(``CONFIG_CRYPTO_SHA512=y``) and SHA-3 (``CONFIG_CRYPTO_SHA3=y``); md4 and streebog stay
modules.  ECRDSA is ``=m`` in both releases and, as for 6.1, not listed (the model does
not verify GOST signatures).  ``DEBIAN_6_12_NO_MODULES`` is the qemu oracle's 6.12.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class CryptoConfig:
    """The shash and akcipher algorithms crypto_alloc_*() can find (else ENOENT)."""
    hashes: frozenset[str]
    akciphers: frozenset[str]


_BUILTIN_HASHES = frozenset({"md5", "sha1", "sha224", "sha256"})          # CONFIG_CRYPTO_{MD5,SHA1,SHA256}=y
_MODULE_HASHES = frozenset({"md4", "sha384", "sha512", "streebog256", "streebog512"})   # =m
DEBIAN_6_1 = CryptoConfig(_BUILTIN_HASHES | _MODULE_HASHES, frozenset({"rsa"}))
DEBIAN_6_1_NO_MODULES = CryptoConfig(_BUILTIN_HASHES, frozenset({"rsa"}))
WITH_ECDSA = CryptoConfig(DEBIAN_6_1.hashes, frozenset({"rsa", "ecdsa"}))   # CONFIG_CRYPTO_ECDSA=y

# CONFIG_CRYPTO_{MD5,SHA1,SHA256,SHA512,SHA3}=y in 6.12; the sha3-* names are the crypto
# API's (6.7 taught the PKCS#7 parser the sha3 digests; the model's parser is 6.1's).
_BUILTIN_HASHES_6_12 = _BUILTIN_HASHES | frozenset({"sha384", "sha512", "sha3-224", "sha3-256", "sha3-384", "sha3-512"})
_MODULE_HASHES_6_12 = frozenset({"md4", "streebog256", "streebog512"})   # =m
_AKCIPHERS_6_12 = frozenset({"rsa", "ecdsa"})                            # CONFIG_CRYPTO_{RSA,ECDSA}=y
DEBIAN_6_12 = CryptoConfig(_BUILTIN_HASHES_6_12 | _MODULE_HASHES_6_12, _AKCIPHERS_6_12)
DEBIAN_6_12_NO_MODULES = CryptoConfig(_BUILTIN_HASHES_6_12, _AKCIPHERS_6_12)
