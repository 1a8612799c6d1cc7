"""Write examples/broken.ko: corpus/hello.ko with its first .rela.text relocation naming a
symbol index far past the symbol table.  Linux 6.1 reads wild memory there
(apply_relocate_add): `lkmfuzz load examples/broken.ko --profile linux-6.1` predicts the
oops, the hardened profile refuses it with ENOEXEC.  Run: .venv/bin/python examples/make_broken.py"""

from pathlib import Path

from lkmfuzz.elf import patch

HERE = Path(__file__).resolve().parent

data = (HERE.parent / "corpus" / "hello.ko").read_bytes()
r_offset, r_info, addend = patch.relocations(data, ".rela.text")[0]
broken = patch.set_relocation(data, ".rela.text", 0, info=(0x7FFFFFF << 32) | (r_info & 0xFFFFFFFF))
(HERE / "broken.ko").write_bytes(broken)
