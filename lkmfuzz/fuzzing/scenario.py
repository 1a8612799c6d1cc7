"""The `scenario` target's input model: a few leading bytes that set up the kernel and
the system calls around one module, syzkaller-style, then the module itself.

The load target can only vary the module; whole families of the loader's paths
depend on everything else: the syscall and its flags, the kernel's configuration,
what is already loaded, the parameters, what init returns, how the module is
unloaded, and failing allocations.  Every byte string decodes (fields are taken
modulo their range), so byte-level mutation and the structured mutator both work
on it, and ``encode`` writes a ``Scenario`` back so that seeds and tests can build
inputs.  Execution lives in the targets package; this module only decodes.

Layout (``HEADER_SIZE`` bytes, then the arguments, then the module)::

    0      syscall byte: bits 0-2 finit_module flags (IGNORE_MODVERSIONS,
           IGNORE_VERMAGIC, COMPRESSED_FILE), bit 3 an undefined flag bit (0x8),
           bit 4 init_module(2) instead of finit_module(2), bit 5 inject faults
           (bytes 6-9), bit 6 the linux-6.1 profile instead of the campaign's,
           bit 7 trust the test signing key (lkmfuzz.keys)
    1-2    config switches, little-endian, one bit each (CONFIG_SWITCHES)
    3      preload: 0 nothing, 1 the same module first (EEXIST), 2+ the
           (n-2 modulo count)-th dependency module
    4      init result: INIT_RESULTS[b % len]
    5      after a successful load: UNLOAD_MODES[b % len]
    6-9    fault plan, as the faults target's header (targets.faults.decode_plan)
    10-11  length L of the parameter string, little-endian, modulo MAX_ARGS + 1
    12..   L bytes of parameters (latin-1), then the module
"""

import dataclasses
import errno
import functools
from dataclasses import dataclass
from pathlib import Path

from ..case import UNLOAD_MODES
from . import bundled

HEADER_SIZE = 12
SYSCALL, CONFIG, PRELOAD, INIT_RESULT, UNLOAD, PLAN, ARGS_LEN = 0, 1, 3, 4, 5, 6, 10
PLAN_SIZE = 4
CONFIG_SIZE = 2
ARGS_LEN_SIZE = 2

FLAG_BITS = 0x07               # the three MODULE_INIT_* flags
UNDEFINED_FLAG = 0x08          # a flag bit finit_module refuses (EINVAL)
USE_INIT_MODULE = 0x10
INJECT_FAULTS = 0x20
FAITHFUL_PROFILE = 0x40
TRUST_TEST_KEY = 0x80
FAITHFUL = "linux-6.1"

# The module_blacklist= a "blacklist" bit sets: the names of the bundled seeds.
SEED_NAMES = ("hello", "consumer", "initexit", "livepatch", "percpu", "proprietary", "relocs", "arrparam")

# Bit i of bytes 1-2 sets switch CONFIG_SWITCHES[i] to its value (Debian's default is the opposite).
CONFIG_SWITCHES = (
    ("sig_enforce", True), ("lockdown", True), ("modules_disabled", True), ("module_decompress", True),
    ("blacklist", SEED_NAMES), ("modversions", False), ("force_load", False), ("livepatch", False),
    ("module_sig", False), ("strict_module_rwx", False), ("constructors", True), ("kallsyms_all", False),
)

INIT_RESULTS = (0, 0, 0, 0, -errno.ENOMEM, -errno.EINVAL, -errno.ENODEV, 1)

# What follows a successful load: lkmfuzz.case.UNLOAD_MODES (the header's unload byte picks one).
# Room for a charp longer than CHARP_MAX_LEN (1024, ENOSPC) and a few more parameters.
MAX_ARGS = 2047
BUNDLED_CORPUS = bundled.CORPUS     # corpus/, as package data (None when not installed)


@dataclass(frozen=True)
class Scenario:
    """What the header says, decoded; ``module`` is everything after it."""
    module: bytes = b""
    flags: int = 0
    syscall: str = "finit_module"
    faults: bool = False
    faithful: bool = False
    trust_test_key: bool = False
    config: tuple = ()            # (switch, value) pairs, in CONFIG_SWITCHES order
    preload: int = 0              # 0 none, 1 the module itself, 2+ a dependency
    init_result: int = 0
    unload: str = "forced"
    plan_header: bytes = bytes(PLAN_SIZE)
    args: str = ""


def decode(data: bytes) -> Scenario:
    """Raw fuzzer input -> Scenario; a short input is padded with zero bytes (the defaults)."""
    head = data[:HEADER_SIZE].ljust(HEADER_SIZE, b"\0")
    args_end = HEADER_SIZE + _args_len(head)
    syscall_byte = head[SYSCALL]
    return Scenario(
        module=data[args_end:],
        flags=syscall_byte & (FLAG_BITS | UNDEFINED_FLAG),
        syscall="init_module" if syscall_byte & USE_INIT_MODULE else "finit_module",
        faults=bool(syscall_byte & INJECT_FAULTS),
        faithful=bool(syscall_byte & FAITHFUL_PROFILE),
        trust_test_key=bool(syscall_byte & TRUST_TEST_KEY),
        config=_decode_config(int.from_bytes(head[CONFIG:CONFIG + CONFIG_SIZE], "little")),
        preload=head[PRELOAD],
        init_result=INIT_RESULTS[head[INIT_RESULT] % len(INIT_RESULTS)],
        unload=UNLOAD_MODES[head[UNLOAD] % len(UNLOAD_MODES)],
        plan_header=head[PLAN:PLAN + PLAN_SIZE],
        args=data[HEADER_SIZE:args_end].decode("latin-1"),
    )


def _args_len(head: bytes) -> int:
    return int.from_bytes(head[ARGS_LEN:ARGS_LEN + ARGS_LEN_SIZE], "little") % (MAX_ARGS + 1)


def config_switch(name: str) -> tuple:
    """The (switch, value) pair of CONFIG_SWITCHES named ``name``."""
    return next(switch for switch in CONFIG_SWITCHES if switch[0] == name)


def _decode_config(bits: int) -> tuple:
    return tuple(switch for i, switch in enumerate(CONFIG_SWITCHES) if bits >> i & 1)


def encode(s: Scenario) -> bytes:
    """Scenario -> raw input; decode(encode(s)) == s for every s decode can return."""
    args = s.args.encode("latin-1")
    if len(args) > MAX_ARGS:
        raise ValueError(f"parameter string longer than {MAX_ARGS} bytes")
    syscall_byte = (s.flags | USE_INIT_MODULE * (s.syscall == "init_module") | INJECT_FAULTS * s.faults
                    | FAITHFUL_PROFILE * s.faithful | TRUST_TEST_KEY * s.trust_test_key)
    config_bits = sum(1 << CONFIG_SWITCHES.index(switch) for switch in s.config)
    head = (bytes([syscall_byte]) + config_bits.to_bytes(CONFIG_SIZE, "little")
            + bytes([s.preload, INIT_RESULTS.index(s.init_result), UNLOAD_MODES.index(s.unload)])
            + s.plan_header + len(args).to_bytes(ARGS_LEN_SIZE, "little"))
    return head + args + s.module


def replace(s: Scenario, **changes) -> Scenario:
    return dataclasses.replace(s, **changes)


def split(data: bytes) -> tuple[bytes, bytes, bytes]:
    """(header without the length byte, parameters, module): what the mutator changes apart."""
    head = data[:HEADER_SIZE].ljust(HEADER_SIZE, b"\0")
    args_end = HEADER_SIZE + _args_len(head)
    return head[:ARGS_LEN], data[HEADER_SIZE:args_end], data[args_end:]


def join(head: bytes, args: bytes, module: bytes) -> bytes:
    """split() undone; ``args`` is cut to MAX_ARGS bytes."""
    args = args[:MAX_ARGS]
    return head[:ARGS_LEN].ljust(ARGS_LEN, b"\0") + len(args).to_bytes(ARGS_LEN_SIZE, "little") + args + module


THIS_MODULE_RELA = ".rela.gnu.linkonce.this_module"
R_X86_64_NONE = 0


def without_exit(module: bytes, exit_offset: int) -> bytes:
    """The module with modpost's relocation of mod->exit (at ``exit_offset`` in the struct
    module of the release it is built for) turned into R_X86_64_NONE: an init without an
    exit, which a plain delete_module refuses (EBUSY).  No bundled seed is like that, so
    the scenario seeds include one."""
    from ..elf import patch
    for n, (offset, info, _addend) in enumerate(patch.relocations(module, THIS_MODULE_RELA)):
        if offset == exit_offset:
            return patch.set_relocation(module, THIS_MODULE_RELA, n, info=info & ~0xFFFFFFFF | R_X86_64_NONE)
    return module


FIRST_DEPENDENCY = 2     # preload byte of the first bundled dependency


def dependency_preload(name: str, corpus: Path | None = BUNDLED_CORPUS) -> int:
    """The preload byte that picks corpus module ``name`` (ValueError if there is none)."""
    names = [path.stem for path in sorted(Path(corpus).glob("*.ko"))] if corpus else []
    return FIRST_DEPENDENCY + names.index(name)


@functools.lru_cache(maxsize=None)
def bundled_dependencies(corpus: Path | None = BUNDLED_CORPUS) -> tuple:
    """The modules a preload byte of 2+ picks from: corpus/*.ko in name order.  A saved
    finding carries its preload's bytes, so replay never depends on this list."""
    if corpus is None:
        return ()
    return tuple(path.read_bytes() for path in sorted(Path(corpus).glob("*.ko")))
