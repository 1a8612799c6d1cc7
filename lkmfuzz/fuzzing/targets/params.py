"""The `params` target: the input is the parameter string of a bundled module that has
parameters (hello: ten scalar types; arrparam: arrays and a string)."""

import re

from ...case import TestCase
from ..bundled import release_seeds

# The modules this target loads, each input as the arguments of the one whose
# parameter it sets first.
PARAMS_MODULES = ("hello.ko", "arrparam.ko")
FIRST_PARAM = re.compile(rb'\s*"?([^\s="]+)')
PARMTYPE = re.compile(rb"parmtype=([^:\0]+):")


def decode_params(data: bytes, modules: tuple, profile: str = "hardened") -> TestCase:
    """The input is the argument string; the module is the first of ``modules`` ((its
    parameter names, its bytes) pairs) that has the parameter the string sets first,
    else the first one."""
    first = FIRST_PARAM.match(data)
    name = first.group(1).replace(b"-", b"_") if first else b""
    module = next((module for names, module in modules if name in names), modules[0][1])
    return TestCase(module=module, args=data.decode("latin-1"), profile=profile)


def parameter_names(module: bytes) -> frozenset:
    """The names of a module's parameters, from its .modinfo parmtype= entries."""
    return frozenset(name.replace(b"-", b"_") for name in PARMTYPE.findall(module))


def decoder(profile: str):
    seeds = release_seeds(profile)
    if seeds is None:
        raise ValueError(f"target params loads the bundled {' and '.join(PARAMS_MODULES)}, and lkmfuzz is "
                         f"installed without the seeds of profile {profile}")
    modules = tuple((parameter_names(data), data)
                    for data in ((seeds / name).read_bytes() for name in PARAMS_MODULES))
    return lambda data: decode_params(data, modules, profile)
