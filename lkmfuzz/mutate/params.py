"""Token-level mutation of module parameter strings (next_arg rules: lib/cmdline.c, lkmfuzz.kernel.lib.cmdline).

Builds strings out of the hello seed's parameter names (and near misses, '-' for
'_', unknown and special names) and values that sit on the setters' edges: each
integer width's limits ±1, base prefixes, trailing newlines, bool spellings,
quotes in the places next_arg() treats specially, and a charp over 1024 bytes.
"""

import random

NAMES = ("myint", "myuint", "mylong", "myulong", "myshort", "myushort", "mybool", "myinvbool", "mycharp",
         "mybyte", "my-int", "MYINT", "nosuch", "async_probe", "dyndbg", "myints", "mynames", "mylabel")
VALUES = ("0", "1", "-1", "-0", "+5", "0x10", "0X7fffffff", "010", "08", "0x", "2147483647", "2147483648",
          "-2147483648", "-2147483649", "4294967295", "4294967296", "65535", "65536", "-32769", "255", "256",
          "9223372036854775808", "18446744073709551615", "18446744073709551616", "5\n", "5\n\n", "y", "n", "Y",
          "on", "off", "of", "t", "true", "", "a b", '"quoted value"', '"', "'", "a,b,c", ",,", "1,2,3,4,5,6,7,8,9",
          "x" * 1025, "\xa0", "--")


def _token(rng: random.Random) -> str:
    name = rng.choice(NAMES)
    shape = rng.randrange(5)
    if shape == 0:
        return name                                   # no value: bool gets true, others EINVAL
    value = rng.choice(VALUES)
    if shape == 1:
        return f'{name}="{value}"'
    if shape == 2:
        return f'"{name}={value}"'
    return f"{name}={value}"


def mutate_params(data: bytes, rng: random.Random, max_size: int = 4096) -> bytes:
    tokens = data.decode("latin-1").split(" ") if data else []
    op = rng.randrange(5)
    if op == 0 or not tokens:
        tokens.insert(rng.randrange(len(tokens) + 1), _token(rng))
    elif op == 1:
        tokens[rng.randrange(len(tokens))] = _token(rng)
    elif op == 2:
        del tokens[rng.randrange(len(tokens))]
    elif op == 3:
        tokens.insert(rng.randrange(len(tokens) + 1), "--")
    else:
        tokens.append(rng.choice(tokens))             # the same parameter twice
    return " ".join(tokens).encode("latin-1")[:max_size]
