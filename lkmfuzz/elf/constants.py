"""ELF numbers used by the module loader (x86-64, ELFCLASS64 little-endian).

Numbers live here and only here, as in pyelftools' enums and the kernel's
include/uapi/linux/elf.h; the loader's logic refers to them by name.
"""

ELFMAG = b"\x7fELF"
SELFMAG = 4

EI_CLASS = 4
EI_DATA = 5
ELFCLASS64 = 2
ELFDATA2LSB = 1
EV_CURRENT = 1

# e_type
ET_NONE = 0
ET_REL = 1
ET_EXEC = 2
ET_DYN = 3
ET_CORE = 4

# e_machine
EM_386 = 3
EM_X86_64 = 62

# Structure sizes (sizeof(Elf64_*)).
EHDR_SIZE = 64
SHDR_SIZE = 64
SYM_SIZE = 24
RELA_SIZE = 24
REL_SIZE = 16

# Section header types
SHT_NULL = 0
SHT_PROGBITS = 1
SHT_SYMTAB = 2
SHT_STRTAB = 3
SHT_RELA = 4
SHT_HASH = 5
SHT_DYNAMIC = 6
SHT_NOTE = 7
SHT_NOBITS = 8
SHT_REL = 9
SHT_DYNSYM = 11
SHT_INIT_ARRAY = 14
SHT_FINI_ARRAY = 15
SHT_GROUP = 17
SHT_SYMTAB_SHNDX = 18

# Section header flags
SHF_WRITE = 0x1
SHF_ALLOC = 0x2
SHF_EXECINSTR = 0x4
SHF_MERGE = 0x10
SHF_STRINGS = 0x20
SHF_INFO_LINK = 0x40
SHF_GROUP = 0x200
# Kernel-private flags (include/linux/moduleloader.h / module.h).
SHF_RELA_LIVEPATCH = 0x00100000
SHF_RO_AFTER_INIT = 0x00200000
ARCH_SHF_SMALL = 0  # x86 has no small-data sections

# Special section indices
SHN_UNDEF = 0
SHN_LORESERVE = 0xFF00
SHN_LIVEPATCH = 0xFF20
SHN_ABS = 0xFFF1
SHN_COMMON = 0xFFF2
SHN_XINDEX = 0xFFFF

# Symbol binding / type
STB_LOCAL = 0
STB_GLOBAL = 1
STB_WEAK = 2
STT_NOTYPE = 0
STT_OBJECT = 1
STT_FUNC = 2
STT_SECTION = 3
STT_FILE = 4

# x86-64 relocation types (the ones the 6.1 module loader knows, and a few it refuses)
R_X86_64_NONE = 0
R_X86_64_64 = 1
R_X86_64_PC32 = 2
R_X86_64_GOT32 = 3
R_X86_64_PLT32 = 4
R_X86_64_32 = 10
R_X86_64_32S = 11
R_X86_64_16 = 12
R_X86_64_PC16 = 13
R_X86_64_8 = 14
R_X86_64_PC8 = 15
R_X86_64_PC64 = 24
R_X86_64_GOTPCREL = 9
R_X86_64_REX_GOTPCRELX = 42

U16_MAX = 0xFFFF
U32_MAX = 0xFFFFFFFF
U64_MASK = 0xFFFFFFFFFFFFFFFF


def st_bind(st_info: int) -> int:
    return st_info >> 4


def st_type(st_info: int) -> int:
    return st_info & 0xF


def st_info(bind: int, typ: int) -> int:
    return ((bind & 0xF) << 4) | (typ & 0xF)


def r_sym(r_info: int) -> int:
    return r_info >> 32


def r_type(r_info: int) -> int:
    return r_info & 0xFFFFFFFF


def r_info(sym: int, typ: int) -> int:
    return ((sym & 0xFFFFFFFF) << 32) | (typ & 0xFFFFFFFF)
