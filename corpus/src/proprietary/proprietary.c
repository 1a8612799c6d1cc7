/*
 * lkmfuzz seed "proprietary": declares a non-GPL licence, so loading it
 * taints the kernel with 'P' (TAINT_PROPRIETARY_MODULE).  It may only use
 * symbols exported with plain EXPORT_SYMBOL (here: _printk).
 * (The source itself is part of lkmfuzz; the licence string is the test.)
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

static int __init proprietary_init(void)
{
	pr_info("proprietary: loaded (kernel is now tainted P)\n");
	return 0;
}

static void __exit proprietary_exit(void)
{
	pr_info("proprietary: exit\n");
}

module_init(proprietary_init);
module_exit(proprietary_exit);

MODULE_LICENSE("Proprietary");
MODULE_AUTHOR("lkmfuzz");
MODULE_DESCRIPTION("lkmfuzz seed: non-GPL licence (taints P)");
