"""The module's struct kernel_param table, bound to the kernel's setters.

``__param`` holds struct kernel_param {name*, mod*, ops*, u16 perm, s8 level,
u8 flags, arg*} (40 bytes on x86-64) after relocation.  ``ops`` points at an
exported ``param_ops_<type>`` (or ``param_array_ops``), which names the setter;
``arg`` points at the C variable, which the setter writes in module memory — a
variable in read-only memory is a write fault, as with STRICT_MODULE_RWX.
Setters whose ops live in the module itself (module_param_cb) are module code the
model cannot run: they are taken to succeed.
"""

import errno
from typing import Final

from ..abi.params import KERNEL_PARAM, KPARAM_ARRAY, KPARAM_OPS_FREE_OFFSET, KPARAM_STRING
from ..abi.types import U32
from ..elf.reader import Image
from ..kernel.alloc import AllocFailed
from ..kernel.lib.kstrtox import kstrtobool
from .context import LoadInfo
from .params import (
    KERNEL_PARAM_OPS_FL_NOARG,
    LOAD_MODULE_MAX_LEVEL,
    LOAD_MODULE_MIN_LEVEL,
    PARAM_TYPES,
    ParamError,
    ParamType,
    ParamValue,
    UnknownCallback,
    copystring_overflow_message,
    param_array_split,
    parse_args,
    report_setter_error,
)

ARRAY_OPS: Final = "param_array_ops"
#: What an ops pointer designates: an exported param_ops_<type>, param_array_ops, or
#: None for ops the module defines itself (module_param_cb).
OpsKind = ParamType | str | None


class BoundParam:
    """One struct kernel_param: a ParamLike (and its own ParamOps) whose ops write module memory."""

    def __init__(self, info: LoadInfo, index: int, name_ptr: int, ops_addr: int, perm: int, level: int, arg: int):
        self.info, self.index = info, index
        self.name_ptr, self.perm, self.level, self.arg = name_ptr, perm, level, arg
        self.ops_addr = ops_addr
        self._name: str | None = None

    @property
    def name(self) -> str:
        """kp->name, read through its pointer when the kernel first reads it: parse_args()
        compares names only when there are arguments, sysfs reads those of parameters with
        a permission (a garbage pointer the kernel never follows does no harm there)."""
        if self._name is None:
            self._name = read_param_name(self.info, self.index, self.name_ptr)
        return self._name

    @property
    def image(self) -> Image:
        """The temporary copy the parameter was decoded from (a frozen checkpoint shares it)."""
        return self.info.image

    @property
    def ops(self) -> "BoundParam":
        return self

    @property
    def flags(self) -> int:
        kind = self._kind()
        if kind is None:   # the module's own kernel_param_ops: its flags word
            return self.info.kernel.alloc.space.unpack(U32, self.ops_addr, f"ops of parameter {self.name}")[0]
        return kind.flags if isinstance(kind, ParamType) else 0

    def _kind(self) -> OpsKind:
        """The ParamType, ARRAY_OPS, or None for the module's own ops."""
        return ops_kind(self.info, self.ops_addr, f"ops of parameter {self.name}")

    def set(self, val: str | None) -> int:
        kind = self._kind()
        if kind is None:
            return 0
        if isinstance(kind, ParamType):
            return set_scalar(self.info, kind, self.name, val, self.arg)
        return set_array(self.info, self.name, val, self.arg)  # kind is ARRAY_OPS


def ops_kind(info: LoadInfo, addr: int, what: str) -> OpsKind:
    ksym = info.kernel.symbols.at(addr)
    if ksym is not None and (ksym.name in PARAM_TYPES or ksym.name == ARRAY_OPS):
        return PARAM_TYPES.get(ksym.name, ARRAY_OPS)
    if info.kernel.alloc.space.find(addr, 32) is not None:
        return None
    info.unchecked(f"{what}: {addr:#x} is not a kernel_param_ops")
    # 6.1 calls through whatever is there: a jump into the unknown.
    info.kernel.alloc.space.read(addr, 32, what)
    return None


def set_scalar(info: LoadInfo, ptype: ParamType, name: str, val: str | None, arg: int) -> int:
    err, value = ptype.parse(val)
    if err:
        report_setter_error(ptype, name, err, info.kernel.printk)
        return err
    assert value is not None, f"{ptype.ops_symbol}: parse() gave no value and no errno"
    return store_value(info, ptype, name, value, arg)


def store_value(info: LoadInfo, ptype: ParamType, name: str, value: ParamValue, arg: int) -> int:
    """The setter's write of a parsed value into the variable at ``arg``."""
    space = info.kernel.alloc.space
    what = f"param_set for parameter {name}"
    check_arg(info, arg, ptype.size, what)
    if ptype.ops_symbol in ("param_ops_charp", "param_ops_string"):
        assert isinstance(value, str), f"{ptype.ops_symbol} parsed {value!r}, not a string"
        if ptype.ops_symbol == "param_ops_charp":
            return set_charp(info, name, value, arg)
        maxlen, buf = space.unpack(KPARAM_STRING, arg, what)
        data = value.encode("latin-1") + b"\0"
        if len(data) > maxlen:
            info.kernel.printk(copystring_overflow_message(name, maxlen))
            return errno.ENOSPC
        check_arg(info, buf, len(data), what)
        space.write(buf, data, what)
        return 0
    # Only charp and string (handled above) store through a pointer, without an encoder.
    assert ptype.encode is not None, f"{ptype.ops_symbol} has no encoder"
    if not kernel_variable(info, arg):
        space.write(arg, ptype.encode(value), what)
    return 0


def set_charp(info: LoadInfo, name: str, value: str, arg: int) -> int:
    """param_set_charp(): kmalloc a copy, free the previous kmalloc'd one."""
    mod, alloc, space = info.mod, info.kernel.alloc, info.kernel.alloc.space
    data = value.encode("latin-1") + b"\0"
    try:
        copy = alloc.alloc("kmalloc", "param_set_charp", len(data), mod.name, backed=True, tag=f"param:{name}")
    except AllocFailed:
        return errno.ENOMEM
    space.write(copy.addr, data, f"param_set_charp {name}")
    alloc.free(mod.param_allocs.pop(arg, None))
    mod.param_allocs[arg] = copy
    space.write(arg, copy.addr.to_bytes(8, "little"), f"param_set_charp for parameter {name}")
    return 0


def set_array(info: LoadInfo, name: str, val: str | None, arg: int) -> int:
    """param_array_set(): elements stored one by one; *num counts the ones that stuck."""
    space = info.kernel.alloc.space
    what = f"param_array_set for parameter {name}"
    check_arg(info, arg, KPARAM_ARRAY.size, what)
    max_elems, elemsize, num_ptr, elem_ops, elem = space.unpack(KPARAM_ARRAY, arg, what)
    kind = ops_kind(info, elem_ops, f"element ops of parameter {name}")
    if not isinstance(kind, ParamType):
        return 0   # the module's own element setter (or a nested array): module code

    def store_element(index: int, value: ParamValue) -> int:
        return store_value(info, kind, name, value, elem + index * elemsize)

    err, stored = param_array_split(val, max_elems, kind, name, info.kernel.printk, store_element)
    if num_ptr:
        check_arg(info, num_ptr, U32.size, what)
        space.write(num_ptr, U32.pack(len(stored)), what)
    return err


def kernel_variable(info: LoadInfo, addr: int) -> bool:
    """``addr`` is an exported vmlinux variable (module_param() of a built-in's variable:
    the edac drivers' edac_op_state): mapped kernel memory the model holds no bytes of."""
    return info.kernel.symbols.at(addr) is not None


def exported_variable(info: LoadInfo, addr: int) -> bool:
    """``addr`` is a variable vmlinux or another loaded module exports (kvm-intel's
    parameters live in kvm.ko): module_param() of a variable that is not the module's own."""
    return kernel_variable(info, addr) or any(
        export.addr == addr for mod in info.kernel.modules if mod is not info.mod for export in mod.exports)


def check_arg(info: LoadInfo, addr: int, size: int, what: str) -> None:
    """A setter writes through ``addr``: the module's own variable, or an exported one."""
    if info.mod.within(addr) and info.mod.within(addr + max(size, 1) - 1) or exported_variable(info, addr):
        return
    info.unchecked(f"{what}: {addr:#x}+{size} is outside the module")


def decode_params(info: LoadInfo) -> list[BoundParam]:
    """mod->kp: each struct kernel_param read from module memory (names are read when the
    kernel reads them: BoundParam.name)."""
    s = info.sections
    space = info.kernel.alloc.space
    out = []
    for i in range(s.num_kp):
        addr = s.kp + i * KERNEL_PARAM.size
        name_ptr, _mod, ops, perm, level, _flags, arg = space.unpack(KERNEL_PARAM, addr, f"kernel_param {i}")
        out.append(BoundParam(info, i, name_ptr, ops, perm, level, arg))
    return out


def read_param_name(info: LoadInfo, i: int, name_ptr: int) -> str:
    if not info.mod.within(name_ptr):
        info.unchecked(f"name of kernel_param {i} at {name_ptr:#x}, outside the module")
    return info.kernel.alloc.space.cstring(name_ptr, f"name of kernel_param {i}").decode("latin-1")


def unknown_module_param_cb(info: LoadInfo) -> UnknownCallback:
    def unknown(param: str, val: str | None, doing: str) -> int:
        if param == "async_probe":
            err, value = kstrtobool(val)
            info.mod.async_probe_requested = True if err else bool(value)
            return 0
        info.kernel.printk(f"{doing}: unknown parameter '{param}' ignored")
        return 0
    return unknown


def module_parse_args(info: LoadInfo) -> None:
    """parse_args(mod->name, mod->args, mod->kp, ...).  Requires: complete_formation().
    Sets: parameter variables in module memory.  Errors: the last failing parameter's
    errno (EINVAL, ERANGE, ENOSPC, ENOMEM)."""
    mod = info.mod
    mod.params = params = decode_params(info)
    try:
        after = parse_args(mod.name, mod.args.decode("latin-1"), params,
                           LOAD_MODULE_MIN_LEVEL, LOAD_MODULE_MAX_LEVEL, unknown_module_param_cb(info),
                           printk=info.kernel.printk)
    except ParamError as failed:
        raise info.refuse(failed.errno, failed.message) from None
    if after:
        info.kernel.printk(f"{mod.name}: parameters '{after}' after `--' ignored")


def read_param_ops_free(info: LoadInfo) -> None:
    """destroy_params() tests ``params[i].ops->free`` of every parameter: a read through
    each relocated ops pointer.  The kernel image is mapped, and so is the module's
    memory (its own ops); an ops pointer to nowhere faults (found by the qemu
    oracle: a relocation that left half a pointer).  Requires: find_module_sections()."""
    s = info.sections
    space = info.kernel.alloc.space
    with info.within("destroy_params"):
        for i in range(s.num_kp):
            ops = space.unpack(KERNEL_PARAM, s.kp + i * KERNEL_PARAM.size, f"kernel_param {i}")[2]
            if not info.kernel.symbols.is_kernel_address(ops):
                if not info.mod.within(ops):
                    info.unchecked(f"ops of kernel_param {i} at {ops:#x}, in neither the kernel nor the module")
                space.read(ops + KPARAM_OPS_FREE_OFFSET, 8, f"ops->free of kernel_param {i} (ops {ops:#x})")


def destroy_params(kernel, mod) -> None:
    """Free what charp setters kmalloc'd (param_free_charp, param_array_free)."""
    for copy in mod.param_allocs.values():
        kernel.alloc.free(copy)
    mod.param_allocs.clear()


def release_params(mod) -> None:
    """The module's kernel_param array went with its memory.  (Each parameter refers to
    the load's LoadInfo, which refers to the module: dropping them leaves no cycle.)"""
    mod.params = []


__all__ = ["module_parse_args", "destroy_params", "release_params", "read_param_ops_free", "KERNEL_PARAM_OPS_FL_NOARG"]
