// SPDX-License-Identifier: GPL-2.0
/*
 * lkmfuzz seed "consumer": imports hello_greet (EXPORT_SYMBOL) and
 * hello_count (EXPORT_SYMBOL_GPL) from the "hello" seed, so it gets
 * "depends=hello" in .modinfo and two extra CRCs in __versions.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

/* Provided by hello.ko (corpus/src/hello/hello.c). */
extern void hello_greet(const char *who);
extern int hello_count(void);

static int __init consumer_init(void)
{
	hello_greet("consumer");
	pr_info("consumer: hello has greeted %d time(s)\n", hello_count());
	return 0;
}

static void __exit consumer_exit(void)
{
	pr_info("consumer: exit\n");
}

module_init(consumer_init);
module_exit(consumer_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("lkmfuzz");
MODULE_DESCRIPTION("lkmfuzz seed: uses symbols exported by the hello seed");
