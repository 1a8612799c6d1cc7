"""Module layout arithmetic, in the kernel's types (unsigned int sizes, ALIGN())."""

from ..abi.arch import PAGE_SIZE
from ..abi.types import U32_MAX
from .context import LoadInfo

INIT_OFFSET_MASK = 1 << 63
ENTSIZE_UNSET = 0xFFFFFFFFFFFFFFFF


def align_u32(size: int, align: int) -> int:
    """ALIGN(size, align) evaluated in unsigned int, as typeof(size) makes it."""
    mask = ((align & U32_MAX) - 1) & U32_MAX
    return (size + mask) & ~mask & U32_MAX


def strict_align(size: int) -> int:
    """PAGE_ALIGN under CONFIG_STRICT_MODULE_RWX, in unsigned int."""
    return (size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1) & U32_MAX


class Layout:
    """struct module_layout: size plus the text / ro / ro_after_init boundaries."""
    __slots__ = ("size", "text_size", "ro_size", "ro_after_init_size")

    def __init__(self):
        self.size = self.text_size = self.ro_size = self.ro_after_init_size = 0


def get_offset(info: LoadInfo, layout: Layout, i: int) -> int:
    sh = info.sechdrs[i]
    offset = align_u32(layout.size, sh.sh_addralign or 1)
    end = offset + sh.sh_size
    if end > U32_MAX:
        info.unchecked(f"section {i} size {sh.sh_size:#x} overflows the 32-bit module layout")
    layout.size = end & U32_MAX
    return offset
