// SPDX-License-Identifier: GPL-2.0
/*
 * lkmfuzz seed "initexit": __init/__exit text, __initdata/__initconst
 * data (freed after init) and a __ro_after_init variable written in init
 * (.data..ro_after_init, made read-only once init returns).
 */
#include <linux/cache.h>
#include <linux/init.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/printk.h>

static unsigned int init_magic __initdata = 0x1f2e3d4c;
static const char init_banner[] __initconst = "initexit: init";
static unsigned long boot_cookie __ro_after_init;

static int __init initexit_init(void)
{
	boot_cookie = jiffies ^ init_magic;
	pr_info("%s, cookie=%lx\n", init_banner, boot_cookie);
	return 0;
}

static void __exit initexit_exit(void)
{
	pr_info("initexit: exit, cookie=%lx\n", boot_cookie);
}

module_init(initexit_init);
module_exit(initexit_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("lkmfuzz");
MODULE_DESCRIPTION("lkmfuzz seed: __init/__exit, __initdata and __ro_after_init");
