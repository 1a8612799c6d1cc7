"""The `load` target: the input is the module, loaded with finit_module and no arguments."""

from ...case import TestCase


def decode_load(data: bytes, profile: str = "hardened") -> TestCase:
    return TestCase(module=data, profile=profile)


def decoder(profile: str):
    return lambda data: decode_load(data, profile)
