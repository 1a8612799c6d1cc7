// SPDX-License-Identifier: GPL-2.0
/*
 * lkmfuzz seed "livepatch": an ordinary module whose .modinfo carries
 * livepatch=Y.  That flag alone makes the loader treat it as a livepatch
 * module (is_livepatch_module(): mod->klp = true, taint K, and a copy of
 * the ELF is kept by copy_module_elf()).  It uses no livepatch API and does
 * not call klp_enable_patch(), so it patches nothing.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

static int __init livepatch_init(void)
{
	pr_info("livepatch: loaded (flagged livepatch=Y, patches nothing)\n");
	return 0;
}

static void __exit livepatch_exit(void)
{
	pr_info("livepatch: exit\n");
}

module_init(livepatch_init);
module_exit(livepatch_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("lkmfuzz");
MODULE_DESCRIPTION("lkmfuzz seed: livepatch=Y modinfo flag, no livepatch API");
MODULE_INFO(livepatch, "Y");
