"""Print the table of struct_module_probe.o (name offset size, one a line)."""

import struct
import sys

from elftools.elf.elffile import ELFFile

ENTRY = struct.Struct("<48sQQ")
TABLE = "lkmfuzz_struct_module"


def read_table(path: str) -> list[tuple[str, int, int]]:
    with open(path, "rb") as f:
        elf = ELFFile(f)
        sym = next(s for s in elf.get_section_by_name(".symtab").iter_symbols() if s.name == TABLE)
        data = elf.get_section(sym["st_shndx"]).data()[sym["st_value"]:sym["st_value"] + sym["st_size"]]
    return [(name.rstrip(b"\0").decode(), offset, size) for name, offset, size in ENTRY.iter_unpack(data)]


def main() -> None:
    for name, offset, size in read_table(sys.argv[1]):
        print(f"{name:40} {offset:#6x} {size:#6x}")


if __name__ == "__main__":
    main()
