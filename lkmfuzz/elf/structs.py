"""Fixed-layout ELF64 records, unpacked with precompiled struct.Struct objects.

Each record is a small mutable dataclass-like object (``__slots__``) because the
loader, like the kernel, rewrites section headers in place (sh_addr, sh_flags,
sh_entsize) while it works.
"""

import struct

EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
SHDR = struct.Struct("<IIQQQQIIQQ")
SYM = struct.Struct("<IBBHQQ")
RELA = struct.Struct("<QQq")


class Ehdr:
    __slots__ = ("e_ident", "e_type", "e_machine", "e_version", "e_entry", "e_phoff",
                 "e_shoff", "e_flags", "e_ehsize", "e_phentsize", "e_phnum",
                 "e_shentsize", "e_shnum", "e_shstrndx")

    def __init__(self, *fields):
        (self.e_ident, self.e_type, self.e_machine, self.e_version, self.e_entry,
         self.e_phoff, self.e_shoff, self.e_flags, self.e_ehsize, self.e_phentsize,
         self.e_phnum, self.e_shentsize, self.e_shnum, self.e_shstrndx) = fields

    @classmethod
    def unpack_from(cls, buf, offset=0):
        return cls(*EHDR.unpack_from(buf, offset))

    def pack(self) -> bytes:
        return EHDR.pack(*(getattr(self, f) for f in self.__slots__))


class Shdr:
    __slots__ = ("sh_name", "sh_type", "sh_flags", "sh_addr", "sh_offset", "sh_size",
                 "sh_link", "sh_info", "sh_addralign", "sh_entsize")

    def __init__(self, *fields):
        (self.sh_name, self.sh_type, self.sh_flags, self.sh_addr, self.sh_offset,
         self.sh_size, self.sh_link, self.sh_info, self.sh_addralign,
         self.sh_entsize) = fields

    @classmethod
    def unpack_from(cls, buf, offset=0):
        return cls(*SHDR.unpack_from(buf, offset))

    def pack(self) -> bytes:
        return SHDR.pack(*(getattr(self, f) for f in self.__slots__))

    def __repr__(self):
        return "Shdr(" + ", ".join(f"{f}={getattr(self, f):#x}" for f in self.__slots__) + ")"


class Sym:
    __slots__ = ("st_name", "st_info", "st_other", "st_shndx", "st_value", "st_size")

    def __init__(self, *fields):
        (self.st_name, self.st_info, self.st_other, self.st_shndx, self.st_value,
         self.st_size) = fields

    @classmethod
    def unpack_from(cls, buf, offset=0):
        return cls(*SYM.unpack_from(buf, offset))

    def pack(self) -> bytes:
        return SYM.pack(self.st_name, self.st_info, self.st_other, self.st_shndx,
                        self.st_value, self.st_size)
