"""The C integer types of the kernel ABI (x86-64, little endian): one ``struct.Struct``
codec per type, and the masks that make Python ints wrap as the C types do."""

import struct

U8 = struct.Struct("<B")
U16 = struct.Struct("<H")
U32 = struct.Struct("<I")
S32 = struct.Struct("<i")
U64 = struct.Struct("<Q")
S64 = struct.Struct("<q")

U32_MAX = 0xFFFFFFFF            # (unsigned int)-1: the mask of unsigned int arithmetic
U64_MASK = 0xFFFFFFFFFFFFFFFF   # the mask of unsigned long arithmetic
