"""The kernel ABI the loader model and the mutators share, like include/linux: each struct
layout and ABI number is defined here once.

* ``types``  — little-endian codecs of the C integer types (U8 … S64) and their masks.
* ``arch``   — numbers of the architecture: PAGE_SIZE and page alignment (x86-64).
* ``module`` — struct module (one ``StructModuleLayout`` per kernel release, as data),
  struct module_layout, mod_kallsyms, modversion_info, kernel_symbol, MODULE_NAME_LEN.
* ``params`` — struct kernel_param, kparam_array, kparam_string, kernel_param_ops.

This package imports nothing else from lkmfuzz: it is the lowest layer
(tests/test_layers.py).  ELF-format records (Elf64_Ehdr, Shdr, Sym, Rela) are not
kernel ABI and live in lkmfuzz/elf/structs.py.
"""
