// SPDX-License-Identifier: GPL-2.0
/*
 * struct_module_probe.c - the layout of struct module in Debian's 6.1 and
 * 6.12 builds.
 *
 * Not a module anyone loads: scripts/probe-struct-module.sh compiles it with
 * kbuild against linux-headers-<ABI>-amd64 and reads the table below back
 * from the object with pyelftools.  Every entry is a compile-time constant
 * (offsetof/sizeof with Debian's .config), so the table needs no relocation.
 */
#include <linux/module.h>
#include <linux/stddef.h>
#include <linux/version.h>

struct probe_entry {
	char name[48];
	unsigned long offset;
	unsigned long size;
};

#define FIELD(f) { #f, offsetof(struct module, f), sizeof(((struct module *)0)->f) }
/* A field of another struct, named "struct.field". */
#define MEMBER(s, f) { #s "." #f, offsetof(struct s, f), sizeof(((struct s *)0)->f) }

const struct probe_entry lkmfuzz_struct_module[] = {
	{ "sizeof", 0, sizeof(struct module) },
	FIELD(state),
	FIELD(list),
	FIELD(name),
	FIELD(mkobj),
	FIELD(mkobj.mp),
	FIELD(mkobj.drivers_dir),
	FIELD(holders_dir),
	FIELD(sig_ok),
	FIELD(async_probe_requested),
	FIELD(using_gplonly_symbols),
	FIELD(init),
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 4, 0)
	FIELD(core_layout),
	FIELD(core_layout.base),
	FIELD(core_layout.size),
	FIELD(core_layout.text_size),
	FIELD(core_layout.ro_size),
	FIELD(core_layout.ro_after_init_size),
	FIELD(init_layout),
	FIELD(init_layout.base),
	FIELD(init_layout.size),
	FIELD(init_layout.text_size),
	FIELD(init_layout.ro_size),
	FIELD(init_layout.ro_after_init_size),
#else
	/* 6.4 (ac3b43283923) replaced core_layout/init_layout with one
	 * struct module_memory per region type. */
	FIELD(mem),
	FIELD(mem[MOD_TEXT]),
	FIELD(mem[MOD_DATA]),
	FIELD(mem[MOD_RODATA]),
	FIELD(mem[MOD_RO_AFTER_INIT]),
	FIELD(mem[MOD_INIT_TEXT]),
	FIELD(mem[MOD_INIT_DATA]),
	FIELD(mem[MOD_INIT_RODATA]),
	{ "sizeof(struct module_memory)", 0, sizeof(struct module_memory) },
	MEMBER(module_memory, base),
	MEMBER(module_memory, size),
	{ "MOD_MEM_NUM_TYPES", MOD_MEM_NUM_TYPES, 0 },
#endif
	FIELD(arch),
	FIELD(taints),
	FIELD(kallsyms),
	FIELD(core_kallsyms),
	FIELD(args),
	FIELD(percpu),
	FIELD(percpu_size),
	FIELD(klp),
	FIELD(klp_alive),
	FIELD(klp_info),
	FIELD(source_list),
	FIELD(target_list),
	FIELD(exit),
	FIELD(refcnt),
};

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lkmfuzz: offsets of struct module fields (never loaded)");
