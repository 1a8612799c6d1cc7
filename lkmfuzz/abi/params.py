"""Module parameters' structs (include/linux/moduleparam.h), x86-64."""

import struct

# struct kernel_param { const char *name; struct module *mod; const struct kernel_param_ops *ops;
#                       const u16 perm; s8 level; u8 flags; union { void *arg; str; arr; }; }
KERNEL_PARAM = struct.Struct("<QQQHbB4xQ")
KERNEL_PARAM_NAME_OFFSET = 0
KERNEL_PARAM_OPS_OFFSET = 16
KERNEL_PARAM_PERM_OFFSET = 24
# struct kparam_array { unsigned int max; unsigned int elemsize; unsigned int *num; ops; void *elem; }
KPARAM_ARRAY = struct.Struct("<IIQQQ")
# struct kparam_string { unsigned int maxlen; char *string; }
KPARAM_STRING = struct.Struct("<I4xQ")
# struct kernel_param_ops { unsigned int flags; set; get; void (*free)(void *arg); }
KPARAM_OPS_FREE_OFFSET = 24
