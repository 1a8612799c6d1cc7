// SPDX-License-Identifier: GPL-2.0
/*
 * lkmfuzz seed "percpu": two static per-CPU variables, so the module has a
 * .data..percpu section.  The loader must give it a per-CPU area
 * (percpu_modalloc) and relocate %gs-relative accesses against it.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/printk.h>

static DEFINE_PER_CPU(int, lkmfuzz_counter);
static DEFINE_PER_CPU(unsigned long, lkmfuzz_cookie) = 0x5eed;

static int __init percpu_init(void)
{
	int count;
	unsigned long cookie;

	this_cpu_inc(lkmfuzz_counter);
	count = this_cpu_read(lkmfuzz_counter);
	cookie = this_cpu_read(lkmfuzz_cookie);
	pr_info("percpu: loaded, counter=%d cookie=%lx\n", count, cookie);
	return 0;
}

static void __exit percpu_exit(void)
{
	pr_info("percpu: exit, counter=%d\n", this_cpu_read(lkmfuzz_counter));
}

module_init(percpu_init);
module_exit(percpu_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("lkmfuzz");
MODULE_DESCRIPTION("lkmfuzz seed: per-CPU data (.data..percpu)");
