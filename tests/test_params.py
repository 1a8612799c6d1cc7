"""Tests for lkmfuzz.loader.params (kernel/params.c) and the kernel library it uses
(lkmfuzz.kernel.lib: cmdline's next_arg, kstrtox), the Linux 6.1 module-parameter parser model.

kernel/params.c's setters here run through ``ModuleParam`` / ``ArrayParam``: test doubles
of a module's struct kernel_param whose variable is a Python attribute (the loader binds
parameters to module memory instead, lkmfuzz.loader.kparams)."""

import errno

import pytest
from conftest import seed_bytes
from hypothesis import given, settings
from hypothesis import strategies as st

from lkmfuzz.kernel.kernel import Kernel
from lkmfuzz.kernel.lib.cmdline import next_arg
from lkmfuzz.kernel.lib.kstrtox import (
    kstrtobool,
    kstrtoint,
    kstrtol,
    kstrtoll,
    kstrtos8,
    kstrtos16,
    kstrtou8,
    kstrtou16,
    kstrtouint,
    kstrtoul,
    kstrtoull,
)
from lkmfuzz.loader import finit_module
from lkmfuzz.loader import params as P
from lkmfuzz.loader.params import (
    MODULE_PARAM_LEVEL,
    PARAM_TYPES,
    ParamError,
    ParamType,
    parameq,
    parse_one,
    report_setter_error,
)

MIN, MAX = P.LOAD_MODULE_MIN_LEVEL, P.LOAD_MODULE_MAX_LEVEL


class _OwnOps:
    """A kernel_param that is its own kernel_param_ops (``kp.ops.set``)."""

    @property
    def ops(self):
        return self


class ModuleParam(_OwnOps):
    """A module_param(): a kernel_param whose ops are a ParamType's setter.

    It is its own ``ops``; ``value`` models the C variable (kp->arg) and is only
    changed by a successful set, as in the kernel.  The setter's pr_err() lines go
    to ``log``.
    """

    def __init__(self, name: str, ptype: ParamType, level: int = MODULE_PARAM_LEVEL,
                 value: object = None, log: list | None = None):
        self.name, self.ptype, self.level, self.value = name, ptype, level, value
        self.log = [] if log is None else log

    @property
    def flags(self) -> int:
        return self.ptype.flags

    def set(self, val: str | None) -> int:
        err, value = self.ptype.parse(val)
        if err:
            report_setter_error(self.ptype, self.name, err, self.log.append)
            return err
        self.value = value
        return 0


class ArrayParam(_OwnOps):
    """A module_param_array(): param_array_ops over ``elem``, at most ``max_elems``.

    ``values`` are the elements written by the last set (partial after an
    error, as in the kernel); ``num`` models *arr->num.
    """

    flags = 0  # param_array_ops has no FL_NOARG

    def __init__(self, name: str, elem: ParamType, max_elems: int, log: list | None = None):
        self.name, self.elem, self.max_elems = name, elem, max_elems
        self.level = MODULE_PARAM_LEVEL
        self.values: list[object] = []
        self.log = [] if log is None else log

    @property
    def num(self) -> int:
        return len(self.values)

    def set(self, val: str | None) -> int:
        err, values = P.param_array_split(val, self.max_elems, self.elem, self.name, self.log.append)
        if val is not None:  # param_array() writes element by element before failing
            self.values = values
        return err


def parse_args(doing, args, params, min_level, max_level, unknown, log=None):
    """params.parse_args with its pr_err() lines collected in ``log``."""
    sink = [] if log is None else log
    return P.parse_args(doing, args, params, min_level, max_level, unknown, printk=sink.append)


def param_array_split(val, max_elems, elem, name="", log=None):
    """params.param_array_split with its pr_err() lines collected in ``log``."""
    return P.param_array_split(val, max_elems, elem, name, ([] if log is None else log).append)


def mk(name, symbol, **kw):
    return ModuleParam(name, PARAM_TYPES[symbol], **kw)


def ignore_unknown(param, val, doing):
    return 0


# --- next_arg -----------------------------------------------------------------

NEXT_ARG_CASES = [
    # (input, (param, val, rest))
    ('a="b c" d', ("a", "b c", "d")),
    ('"a=b c" d', ("a", "b c", "d")),
    ("a=", ("a", "", "")),
    ("a", ("a", None, "")),
    ("--", ("--", None, "")),
    ("-- x y", ("--", None, "x y")),
    ("--=x", ("--", "x", "")),
    ("   foo=1   bar", ("foo", "1", "bar")),
    ("foo=1    ", ("foo", "1", "")),
    ("   ", ("", None, "")),
    ("", ("", None, "")),
    # Unterminated quotes run to the end of the string, blanks included.
    ('"abc', ("abc", None, "")),
    ('"abc def', ("abc def", None, "")),
    ('a="b c', ("a", "b c", "")),
    ('a="b c d=e', ("a", "b c d=e", "")),
    ('"', ("", None, "")),
    ('a="', ("a", "", "")),
    # A quote that opened the argument is stripped at its end, too.
    ('"foo"', ("foo", None, "")),
    ('"a="b"" x', ("a", 'b"', "x")),
    # Quotes in the middle of a value toggle blank-splitting but are kept.
    ('a=b"c d" e', ("a", 'b"c d"', "e")),
    ('a="b"c" e', ("a", 'b"c" e', "")),
    # An '=' at offset 0 is not a separator (equals == 0 means "none").
    ("=a=b c", ("=a", "b", "c")),
    ("=foo", ("=foo", None, "")),
    ("a=b=c", ("a", "b=c", "")),
    # The kernel's isspace(): \t \n \v \f \r and Latin-1 NBSP all split.
    ("a=1\tb=2\nc", ("a", "1", "b=2\nc")),
    ("a=1\xa0b", ("a", "1", "b")),
    ("a=1\r\x0b\x0cb", ("a", "1", "b")),
    # C strings end at NUL.
    ("a=1\0b=2", ("a", "1", "")),
    ("\0a=1", ("", None, "")),
    # Non-Latin-1 characters are opaque bytes, not blanks.
    ("p=\u2003x y", ("p", "\u2003x", "y")),
]


@pytest.mark.parametrize("args,expected", NEXT_ARG_CASES)
def test_next_arg(args, expected):
    assert next_arg(args) == expected


def test_next_arg_walks_a_command_line():
    rest = 'x=1 "y=a b" z w="q r"  '
    seen = []
    while rest:
        param, val, rest = next_arg(rest)
        seen.append((param, val))
    assert seen == [("x", "1"), ("y", "a b"), ("z", None), ("w", "q r")]


# --- kstrto* ----------------------------------------------------------------------

KSTRTO_CASES = [
    # (function, input, errno, value)
    (kstrtoint, "0x10", 0, 16),
    (kstrtoint, "0X1f", 0, 31),
    (kstrtoint, "010", 0, 8),
    (kstrtoint, "0", 0, 0),
    (kstrtoint, "+5", 0, 5),
    (kstrtoint, "-5", 0, -5),
    (kstrtoint, "-0", 0, 0),
    (kstrtoint, "-0x10", 0, -16),
    (kstrtoint, "5\n", 0, 5),
    (kstrtoint, "5\n\n", errno.EINVAL, None),
    (kstrtoint, "12abc", errno.EINVAL, None),
    (kstrtoint, "", errno.EINVAL, None),
    (kstrtoint, "\n", errno.EINVAL, None),
    (kstrtoint, " 1", errno.EINVAL, None),
    (kstrtoint, "1 ", errno.EINVAL, None),
    (kstrtoint, "+-1", errno.EINVAL, None),
    (kstrtoint, "-+1", errno.EINVAL, None),
    (kstrtoint, "08", errno.EINVAL, None),  # octal
    (kstrtoint, "0x", errno.EINVAL, None),  # "0x" without a hex digit is octal 0 + junk
    (kstrtoint, "0xg", errno.EINVAL, None),
    (kstrtoint, "\u0663", errno.EINVAL, None),  # non-ASCII digits are not digits
    (kstrtoint, "2147483647", 0, 2**31 - 1),
    (kstrtoint, "-2147483648", 0, -(2**31)),
    (kstrtoint, "2147483648", errno.ERANGE, None),
    (kstrtoint, "-2147483649", errno.ERANGE, None),
    (kstrtoint, "0xffffffff", errno.ERANGE, None),
    (kstrtouint, "4294967295", 0, 2**32 - 1),
    (kstrtouint, "4294967296", errno.ERANGE, None),
    (kstrtouint, "-0", errno.EINVAL, None),  # unsigned: no '-' at all
    (kstrtouint, "-1", errno.EINVAL, None),
    (kstrtouint, "+0x10", 0, 16),
    (kstrtou8, "255", 0, 255),
    (kstrtou8, "256", errno.ERANGE, None),
    (kstrtos8, "-128", 0, -128),
    (kstrtos8, "128", errno.ERANGE, None),
    (kstrtos8, "-129", errno.ERANGE, None),
    (kstrtou16, "65535", 0, 65535),
    (kstrtou16, "65536", errno.ERANGE, None),
    (kstrtos16, "32767", 0, 32767),
    (kstrtos16, "-32768", 0, -32768),
    (kstrtos16, "32768", errno.ERANGE, None),
    (kstrtos16, "-32769", errno.ERANGE, None),
    (kstrtoll, "9223372036854775807", 0, 2**63 - 1),
    (kstrtoll, "-9223372036854775808", 0, -(2**63)),
    (kstrtoll, "9223372036854775808", errno.ERANGE, None),
    (kstrtoll, "-9223372036854775809", errno.ERANGE, None),
    (kstrtoll, "0x8000000000000000", errno.ERANGE, None),
    (kstrtol, "-9223372036854775808", 0, -(2**63)),
    (kstrtol, "9223372036854775808", errno.ERANGE, None),
    (kstrtoull, "18446744073709551615", 0, 2**64 - 1),
    (kstrtoull, "0xffffffffffffffff", 0, 2**64 - 1),
    (kstrtoull, "01777777777777777777777", 0, 2**64 - 1),
    (kstrtoull, "18446744073709551616", errno.ERANGE, None),
    (kstrtoull, "0x10000000000000000", errno.ERANGE, None),
    (kstrtoull, "-0", errno.EINVAL, None),
    (kstrtoul, "18446744073709551616", errno.ERANGE, None),
    # An overflow is reported before the trailing junk is looked at.
    (kstrtoull, "99999999999999999999abc", errno.ERANGE, None),
    (kstrtoint, "99999999999999999999abc", errno.ERANGE, None),
    (kstrtoull, "9" * 5000, errno.ERANGE, None),
    # C strings end at NUL.
    (kstrtoint, "7\0junk", 0, 7),
]


@pytest.mark.parametrize("fn,text,err,value", KSTRTO_CASES)
def test_kstrto(fn, text, err, value):
    assert fn(text) == (err, value)


@pytest.mark.parametrize("base,text,value", [
    (16, "0x1f", 31), (16, "1f", 31), (8, "17", 15), (10, "010", 10), (2, "101", 5),
])
def test_kstrtoull_explicit_base(base, text, value):
    assert kstrtoull(text, base) == (0, value)


@pytest.mark.parametrize("text,expected", [
    ("y", True), ("Y", True), ("1", True), ("yes", True), ("t", True), ("True", True),
    ("1junk", True), ("on", True), ("ON", True), ("oN\n", True),
    ("n", False), ("N", False), ("0", False), ("no", False), ("f", False), ("FALSE", False),
    ("off", False), ("OF", False), ("Of", False),
])
def test_kstrtobool_accepts(text, expected):
    assert kstrtobool(text) == (0, expected)


@pytest.mark.parametrize("text", [
    "", "o", "O", "ox", "2", "-1", " y", "\ny", "enable", "disable", "e", "d", "\0y", None,
])
def test_kstrtobool_rejects(text):
    assert kstrtobool(text) == (errno.EINVAL, None)


# --- the param_ops_* table ---------------------------------------------------------

def test_param_types_table():
    assert set(PARAM_TYPES) == {
        "param_ops_int", "param_ops_uint", "param_ops_long", "param_ops_ulong",
        "param_ops_short", "param_ops_ushort", "param_ops_bool", "param_ops_invbool",
        "param_ops_charp", "param_ops_byte", "param_ops_hexint", "param_ops_ullong",
        "param_ops_bint", "param_ops_string",
    }
    for symbol, ptype in PARAM_TYPES.items():
        assert ptype.ops_symbol == symbol
    sizes = {s: t.size for s, t in PARAM_TYPES.items()}
    assert sizes == {
        "param_ops_byte": 1, "param_ops_short": 2, "param_ops_ushort": 2,
        "param_ops_int": 4, "param_ops_uint": 4, "param_ops_hexint": 4,
        "param_ops_long": 8, "param_ops_ulong": 8, "param_ops_ullong": 8,
        "param_ops_bool": 1, "param_ops_invbool": 1, "param_ops_bint": 4,
        "param_ops_charp": 8, "param_ops_string": 0,
    }
    noarg = {s for s, t in PARAM_TYPES.items() if t.flags & P.KERNEL_PARAM_OPS_FL_NOARG}
    # invbool lacks KERNEL_PARAM_OPS_FL_NOARG in 6.1.
    assert noarg == {"param_ops_bool", "param_ops_bint"}
    assert PARAM_TYPES["param_ops_charp"].encode is None
    assert PARAM_TYPES["param_ops_string"].encode is None


@pytest.mark.parametrize("symbol,text,value,raw", [
    ("param_ops_int", "-1", -1, b"\xff\xff\xff\xff"),
    ("param_ops_int", "0x12345678", 0x12345678, b"\x78\x56\x34\x12"),
    ("param_ops_uint", "0xdeadbeef", 0xDEADBEEF, b"\xef\xbe\xad\xde"),
    ("param_ops_hexint", "255", 255, b"\xff\x00\x00\x00"),
    ("param_ops_short", "-2", -2, b"\xfe\xff"),
    ("param_ops_ushort", "0x1234", 0x1234, b"\x34\x12"),
    ("param_ops_byte", "0377", 255, b"\xff"),
    ("param_ops_long", "-1", -1, b"\xff" * 8),
    ("param_ops_ulong", "1", 1, b"\x01" + b"\x00" * 7),
    ("param_ops_ullong", "0x8000000000000000", 2**63, b"\x00" * 7 + b"\x80"),
    ("param_ops_bool", "Y", True, b"\x01"),
    ("param_ops_bool", "off", False, b"\x00"),
    ("param_ops_invbool", "y", False, b"\x00"),
    ("param_ops_invbool", "0", True, b"\x01"),
    ("param_ops_bint", "on", 1, b"\x01\x00\x00\x00"),
])
def test_param_type_parse_and_encode(symbol, text, value, raw):
    ptype = PARAM_TYPES[symbol]
    err, got = ptype.parse(text)
    assert (err, got) == (0, value)
    assert type(got) is type(value)
    assert ptype.encode(got) == raw
    assert len(raw) == ptype.size


@pytest.mark.parametrize("symbol,text,err", [
    ("param_ops_byte", "256", errno.ERANGE),
    ("param_ops_byte", "-1", errno.EINVAL),
    ("param_ops_short", "40000", errno.ERANGE),
    ("param_ops_ushort", "70000", errno.ERANGE),
    ("param_ops_int", "3000000000", errno.ERANGE),
    ("param_ops_uint", "4294967296", errno.ERANGE),
    ("param_ops_hexint", "0x100000000", errno.ERANGE),
    ("param_ops_long", "9223372036854775808", errno.ERANGE),
    ("param_ops_ullong", "18446744073709551616", errno.ERANGE),
    ("param_ops_int", "", errno.EINVAL),
    ("param_ops_int", None, errno.EINVAL),
    ("param_ops_bool", "", errno.EINVAL),
    ("param_ops_bool", "x", errno.EINVAL),
    ("param_ops_invbool", "maybe", errno.EINVAL),
    ("param_ops_charp", None, errno.EINVAL),
    ("param_ops_charp", "x" * 1025, errno.ENOSPC),
])
def test_param_type_parse_errors(symbol, text, err):
    assert PARAM_TYPES[symbol].parse(text) == (err, None)


def test_bool_without_value_is_true():
    assert PARAM_TYPES["param_ops_bool"].parse(None) == (0, True)
    assert PARAM_TYPES["param_ops_bint"].parse(None) == (0, 1)
    # param_set_invbool(NULL) itself would store false; parse_one() never lets NULL in.
    assert PARAM_TYPES["param_ops_invbool"].parse(None) == (0, False)


def test_charp_length_limit():
    charp = PARAM_TYPES["param_ops_charp"]
    assert charp.parse("x" * 1024) == (0, "x" * 1024)
    assert charp.parse("") == (0, "")
    assert charp.parse("a b\"c") == (0, "a b\"c")


def test_copystring_maxlen():
    ptype = P.string_param_type(4)  # char buf[4]: at most 3 characters
    assert ptype.parse("abc") == (0, "abc")
    assert ptype.parse("abcd") == (errno.ENOSPC, None)
    assert ptype.error_message("name", errno.ENOSPC) == "name: string doesn't fit in 3 chars."


# --- arrays --------------------------------------------------------------------------

INT = PARAM_TYPES["param_ops_int"]
BOOL = PARAM_TYPES["param_ops_bool"]
CHARP = PARAM_TYPES["param_ops_charp"]


def test_array_ok():
    assert param_array_split("1,0x2,-3", 3, INT) == (0, [1, 2, -3])
    assert param_array_split("7", 1, INT) == (0, [7])


def test_array_too_many():
    log = []
    err, values = param_array_split("1,2,3", 2, INT, name="arr", log=log)
    assert err == errno.EINVAL
    assert values == [1, 2]  # already written by the kernel before it noticed
    assert log == ["arr: can only take 2 arguments"]


def test_array_trailing_comma_counts_as_an_element():
    assert param_array_split("1,2,", 2, INT) == (errno.EINVAL, [1, 2])
    assert param_array_split("1,2,", 3, INT) == (errno.EINVAL, [1, 2])  # "" is not an int


@pytest.mark.parametrize("elem,text,expected", [
    (INT, "1,,2", (errno.EINVAL, [1])),
    (INT, "", (errno.EINVAL, [])),
    (BOOL, "1,,0", (errno.EINVAL, [True])),
    (BOOL, "", (errno.EINVAL, [])),
    (BOOL, "y,n,on", (0, [True, False, True])),
    (CHARP, "a,,b", (0, ["a", "", "b"])),
    (CHARP, "", (0, [""])),
    (CHARP, ",", (0, ["", ""])),
])
def test_array_empty_elements(elem, text, expected):
    assert param_array_split(text, 8, elem) == expected


def test_array_bad_element_stops():
    assert param_array_split("1,x,3", 3, INT) == (errno.EINVAL, [1])
    assert param_array_split("1,99999999999,3", 3, INT) == (errno.ERANGE, [1])
    assert param_array_split(None, 3, INT) == (errno.EINVAL, [])


def test_array_charp_element_too_long():
    log = []
    err, values = param_array_split("ok," + "x" * 1025, 4, CHARP, name="names", log=log)
    assert (err, values) == (errno.ENOSPC, ["ok"])
    assert log == ["names: string parameter too long"]


def test_array_stops_at_the_first_element_its_store_refuses():
    stored = []

    def store(index, value):
        stored.append((index, value))
        return errno.ENOSPC if index == 1 else 0
    err, values = P.param_array_split("7,8,9", 3, INT, "arr", [].append, store)
    assert (err, values, stored) == (errno.ENOSPC, [7], [(0, 7), (1, 8)])


# --- parse_one / parse_args ------------------------------------------------------------

def test_parse_args_applies_everything():
    a, s, b = mk("a", "param_ops_int"), mk("s", "param_ops_charp"), mk("b", "param_ops_bool")
    assert parse_args("mod", ' a=5 s="hello world" b ', [a, s, b], MIN, MAX, None) is None
    assert (a.value, s.value, b.value) == (5, "hello world", True)


def test_parse_args_empty():
    assert parse_args("mod", "", [], MIN, MAX, None) is None
    assert parse_args("mod", "   \t\n", [], MIN, MAX, None) is None


def test_parse_args_returns_last_error_and_keeps_going():
    a, b, c, d = (mk(n, "param_ops_int") for n in "abcd")
    log = []
    with pytest.raises(ParamError) as info:
        parse_args("mymod", "a=x b=5 c=99999999999 d=7", [a, b, c, d], MIN, MAX, None, log)
    exc = info.value
    assert exc.errno == errno.ERANGE  # c's error, not a's EINVAL
    assert exc.param == "c"
    assert exc.message == "mymod: `99999999999' invalid for parameter `c'"
    assert exc.messages == (
        "mymod: `x' invalid for parameter `a'",
        "mymod: `99999999999' invalid for parameter `c'",
    )
    assert (a.value, b.value, c.value, d.value) == (None, 5, None, 7)
    assert log == list(exc.messages)


def test_parse_args_error_messages():
    s = mk("s", "param_ops_charp")
    with pytest.raises(ParamError) as info:
        parse_args("m", "s=" + "x" * 1025, [s], MIN, MAX, None)
    assert info.value.errno == errno.ENOSPC
    assert info.value.message == f"m: `{'x' * 1025}' too large for parameter `s'"

    with pytest.raises(ParamError) as info:
        parse_args("m", "nosuch=1", [s], MIN, MAX, None)
    assert info.value.errno == errno.ENOENT
    assert info.value.message == "m: Unknown parameter `nosuch'"

    n = mk("n", "param_ops_int")
    with pytest.raises(ParamError) as info:
        parse_args("m", "n", [n], MIN, MAX, None)
    assert info.value.errno == errno.EINVAL
    assert info.value.message == "m: `' invalid for parameter `n'"


def test_parse_args_unknown_callback():
    calls = []

    def unknown(param, val, doing):
        calls.append((param, val, doing))
        return 0

    a = mk("a", "param_ops_int")
    assert parse_args("m", "x-y=1 a=2 z", [a], MIN, MAX, unknown) is None
    assert calls == [("x-y", "1", "m"), ("z", None, "m")]
    assert a.value == 2

    def refuse(param, val, doing):
        return -errno.EBUSY  # the kernel's -errno convention is accepted too

    with pytest.raises(ParamError) as info:
        parse_args("m", "q=1", [], MIN, MAX, refuse)
    assert info.value.errno == errno.EBUSY


def test_parse_args_after_dashes():
    a, b = mk("a", "param_ops_int"), mk("b", "param_ops_int")
    assert parse_args("m", "a=1 -- b=2 c", [a, b], MIN, MAX, None) == "b=2 c"
    assert (a.value, b.value) == (1, None)
    assert parse_args("m", "a=3 --", [a, b], MIN, MAX, None) == ""
    assert parse_args("m", "a=4 --   ", [a, b], MIN, MAX, None) == ""
    assert parse_args("m", '"--" b=5', [a, b], MIN, MAX, None) == "b=5"
    assert a.value == 4 and b.value is None
    # "--=x" is an ordinary (unknown) parameter, not the separator.
    assert parse_args("m", "--=x b=6", [a, b], MIN, MAX, ignore_unknown) is None
    assert b.value == 6


def test_parse_args_error_wins_over_dashes():
    a = mk("a", "param_ops_int")
    with pytest.raises(ParamError) as info:
        parse_args("m", "a=bad -- a=1", [a], MIN, MAX, None)
    assert info.value.errno == errno.EINVAL
    assert a.value is None
    # Junk after "--" is never parsed.
    assert parse_args("m", "a=2 -- a=bad nosuch", [a], MIN, MAX, None) == "a=bad nosuch"
    assert a.value == 2


def test_dash_and_underscore_are_equal():
    assert parameq("foo-bar", "foo_bar")
    assert parameq("foo_bar", "foo-bar")
    assert parameq("a-b_c", "a_b-c")
    assert not parameq("foo", "foo_")
    assert not parameq("foo", "fo")
    assert not parameq("Foo", "foo")
    p1, p2 = mk("foo_bar", "param_ops_int"), mk("baz-qux", "param_ops_int")
    assert parse_args("m", "foo-bar=1 baz_qux=2", [p1, p2], MIN, MAX, None) is None
    assert (p1.value, p2.value) == (1, 2)


def test_first_matching_param_wins():
    first, second = mk("x_y", "param_ops_int"), mk("x-y", "param_ops_int")
    parse_args("m", "x-y=9", [first, second], MIN, MAX, None)
    assert (first.value, second.value) == (9, None)


def test_level_outside_range_is_silently_skipped():
    p = mk("early", "param_ops_int", level=5)
    assert parse_one("early", "1", "m", [p], 0, 3, None) == 0
    assert parse_args("m", "early=1 early=junk", [p], 0, 3, None) is None
    assert p.value is None
    assert parse_args("m", "early=2", [p], 5, 5, None) is None
    assert p.value == 2


@pytest.mark.parametrize("symbol,value_or_err", [
    ("param_ops_bool", True),
    ("param_ops_bint", 1),
    ("param_ops_invbool", errno.EINVAL),
    ("param_ops_int", errno.EINVAL),
    ("param_ops_charp", errno.EINVAL),
    ("param_ops_string", errno.EINVAL),
])
def test_missing_value_needs_noarg_flag(symbol, value_or_err):
    p = mk("p", symbol)
    ret = parse_one("p", None, "m", [p], MIN, MAX, None)
    if symbol in ("param_ops_bool", "param_ops_bint"):
        assert ret == 0 and p.value == value_or_err
    else:
        assert ret == value_or_err and p.value is None


def test_array_param_through_parse_args():
    arr = ArrayParam("arr", INT, 3)
    assert parse_args("m", "arr=1,2,3", [arr], MIN, MAX, None) is None
    assert arr.values == [1, 2, 3] and arr.num == 3
    with pytest.raises(ParamError) as info:
        parse_args("m", "arr=4,5,6,7", [arr], MIN, MAX, None)
    assert info.value.errno == errno.EINVAL
    assert info.value.message == "m: `4,5,6,7' invalid for parameter `arr'"
    with pytest.raises(ParamError):
        parse_args("m", "arr", [arr], MIN, MAX, None)  # param_array_ops has no FL_NOARG


def test_failed_set_keeps_old_value():
    p = mk("p", "param_ops_int", value=42)
    with pytest.raises(ParamError):
        parse_args("m", "p=0x", [p], MIN, MAX, None)
    assert p.value == 42


# --- properties ------------------------------------------------------------------------

# Text biased toward the characters the parsers branch on, plus anything at all.
_INTERESTING = ' \t\n\xa0\0"=,-_+xX0123456789abcdefonyYNtf'
interesting_text = st.text(alphabet=st.sampled_from(_INTERESTING), max_size=60)
any_text = st.one_of(st.text(max_size=80), interesting_text)
KNOWN_ERRNOS = {errno.EINVAL, errno.ERANGE, errno.ENOSPC, errno.ENOENT}


def _all_kinds_of_params():
    params = [mk(symbol[len("param_ops_"):], symbol) for symbol in PARAM_TYPES]
    params.append(ModuleParam("str4", P.string_param_type(4)))
    params.append(ArrayParam("arr", INT, 3))
    params.append(ArrayParam("bools", BOOL, 2))
    params.append(ArrayParam("names", CHARP, 2))
    return params


@settings(max_examples=400, deadline=None)
@given(args=any_text, with_unknown=st.booleans())
def test_parse_args_only_raises_param_error(args, with_unknown):
    params = _all_kinds_of_params()
    try:
        rest = parse_args("fuzz", args, params, MIN, MAX, ignore_unknown if with_unknown else None)
    except ParamError as exc:
        assert exc.errno in KNOWN_ERRNOS
        assert exc.message == exc.messages[-1]
    else:
        assert rest is None or args.split("\0")[0].endswith(rest)


@settings(max_examples=400, deadline=None)
@given(args=any_text)
def test_next_arg_consumes_input(args):
    c_view = args.split("\0")[0]
    rest = c_view
    steps = 0
    while rest.strip(" \t\n\v\f\r\xa0"):
        param, val, new_rest = next_arg(rest)
        assert len(new_rest) < len(rest)
        assert rest.endswith(new_rest)
        assert isinstance(param, str) and (val is None or isinstance(val, str))
        rest = new_rest
        steps += 1
        assert steps <= len(c_view)


@settings(max_examples=300, deadline=None)
@given(text=any_text)
def test_value_parsers_never_raise(text):
    for fn in (kstrtoull, kstrtoll, kstrtoint, kstrtouint, kstrtos16, kstrtou16,
               kstrtos8, kstrtou8, kstrtol, kstrtoul):
        err, value = fn(text)
        assert (err == 0) == (value is not None)
    for ptype in PARAM_TYPES.values():
        err, value = ptype.parse(text)
        if err == 0 and ptype.encode is not None:
            assert len(ptype.encode(value)) == ptype.size
    err, values = param_array_split(text, 4, INT)
    assert len(values) <= 4


@settings(max_examples=300, deadline=None)
@given(n=st.integers(min_value=-(2**70), max_value=2**70))
def test_kstrtoll_matches_python_ints(n):
    err, value = kstrtoll(str(n))
    if -(2**63) <= n < 2**63:
        assert (err, value) == (0, n)
    else:
        assert err == errno.ERANGE
    err, value = kstrtoull(hex(n) if n >= 0 else str(n))
    if 0 <= n < 2**64:
        assert (err, value) == (0, n)
    elif n < 0:
        assert err == errno.EINVAL
    else:
        assert err == errno.ERANGE


# --- through the loader: params.c's pr_err() lines land in the simulated kernel's log ---

def _load_with_args(module: str, args: bytes):
    kernel = Kernel("hardened")
    return finit_module(kernel, seed_bytes(module), args), kernel.log


def test_a_bad_parameter_value_is_logged_as_dmesg_shows_it():
    result, log = _load_with_args("hello", b"myint=abc myshort=3")
    assert result.kind == "EINVAL"
    assert log == ["hello: `abc' invalid for parameter `myint'"]


def test_every_failing_parameter_is_logged_and_the_last_one_decides():
    long_value = "x" * (P.CHARP_MAX_LEN + 1)
    result, log = _load_with_args("hello", f"myint=abc mycharp={long_value}".encode())
    assert result.kind == "ENOSPC"
    assert log == ["hello: `abc' invalid for parameter `myint'", "mycharp: string parameter too long",
                   f"hello: `{long_value}' too large for parameter `mycharp'"]


@pytest.mark.parametrize("args, setter_line", [
    (b"myints=1,2,3,4,5", "myints: can only take 4 arguments"),
    (b"mylabel=" + b"y" * 16, "mylabel: string doesn't fit in 15 chars."),
    (b"mynames=a," + b"z" * 1025, "mynames: string parameter too long"),
])
def test_setter_lines_come_before_parse_args_line(args, setter_line):
    result, log = _load_with_args("arrparam", args)
    param, value = args.decode().split("=", 1)
    assert not result.ok
    assert log == [setter_line, f"arrparam: `{value}' {'invalid' if result.kind == 'EINVAL' else 'too large'} "
                                f"for parameter `{param}'"]


def test_parameter_names_are_read_only_when_the_kernel_reads_them():
    """Issue 19: 6.1's parse_args() compares names only when there are arguments, and sysfs
    reads the names of parameters with a permission only.  A parameter without one whose
    name pointer is garbage loads (the real kernel loaded such a module); given any
    argument, parse_args() reads that name and faults."""
    from lkmfuzz.mutate.corruptions import HELLO_CORRUPTIONS
    data = HELLO_CORRUPTIONS["parameter name unread without arguments"][0](seed_bytes("hello"))
    assert finit_module(Kernel("linux-6.1"), data).ok
    faulted = finit_module(Kernel("linux-6.1"), data, "myint=3")
    assert faulted.kind == "kernel-fault" and faulted.verdict.site == "module_parse_args", str(faulted)
    assert "name of kernel_param 0" in str(faulted)
    assert finit_module(Kernel("hardened"), data).verdict.check == "validate_kernel_params"
