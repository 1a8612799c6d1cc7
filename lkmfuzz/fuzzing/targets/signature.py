"""The `signature` target: the input is a signed module, loaded on a kernel that enforces
signatures and trusts the test key (lkmfuzz.keys), so every signature path is reachable."""

from ...case import TestCase


def decode_signature(data: bytes, profile: str = "hardened") -> TestCase:
    return TestCase(module=data, profile=profile, config=(("sig_enforce", True),), trusted=(signing_certificate(),))


def signing_certificate() -> bytes:
    """The certificate of the key the signature mutators sign with (generated on first use)."""
    from ...keys import unknown_certificate
    return unknown_certificate()


def decoder(profile: str):
    return lambda data: decode_signature(data, profile)
