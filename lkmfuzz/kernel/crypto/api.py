"""What crypto/api.c can find: ``crypto_alloc_shash()`` and ``crypto_alloc_akcipher()``
fail with ENOENT for an algorithm that is neither built in nor loadable by
request_module().  ``CryptoConfig`` says which algorithms the crypto API can provide.
Debian's 6.1 builds RSA in, has no ECDSA (``# CONFIG_CRYPTO_ECDSA is not set``) and
sha384/sha512 only as a module (``CONFIG_CRYPTO_SHA512=m``): ``DEBIAN_6_1`` assumes
/lib/modules is there for request_module(); ``DEBIAN_6_1_NO_MODULES`` is a kernel booted
with a bare initramfs (the qemu oracle), where a sha512 signature is ENOPKG.
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
