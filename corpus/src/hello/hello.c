// SPDX-License-Identifier: GPL-2.0
/*
 * lkmfuzz seed "hello": one module_param of each basic type, one
 * EXPORT_SYMBOL and one EXPORT_SYMBOL_GPL (imported by "consumer").
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>

static int myint = -42;
module_param(myint, int, 0644);
MODULE_PARM_DESC(myint, "an int parameter");

static unsigned int myuint = 42;
module_param(myuint, uint, 0444);
MODULE_PARM_DESC(myuint, "an unsigned int parameter");

static long mylong = -100000L;
module_param(mylong, long, 0444);
MODULE_PARM_DESC(mylong, "a long parameter");

static unsigned long myulong = 100000UL;
module_param(myulong, ulong, 0444);
MODULE_PARM_DESC(myulong, "an unsigned long parameter");

static short myshort = -7;
module_param(myshort, short, 0444);
MODULE_PARM_DESC(myshort, "a short parameter");

static unsigned short myushort = 7;
module_param(myushort, ushort, 0444);
MODULE_PARM_DESC(myushort, "an unsigned short parameter");

static bool mybool = true;
module_param(mybool, bool, 0644);
MODULE_PARM_DESC(mybool, "a bool parameter");

static bool myinvbool;
module_param(myinvbool, invbool, 0444);
MODULE_PARM_DESC(myinvbool, "an inverted bool parameter");

static char *mycharp = "world";
module_param(mycharp, charp, 0444);
MODULE_PARM_DESC(mycharp, "a string (charp) parameter");

static unsigned char mybyte = 0xab;
module_param(mybyte, byte, 0444);
MODULE_PARM_DESC(mybyte, "a byte parameter");

static int hello_calls;

void hello_greet(const char *who)
{
	hello_calls++;
	pr_info("hello: greetings, %s (call %d)\n", who, hello_calls);
}
EXPORT_SYMBOL(hello_greet);

int hello_count(void)
{
	return hello_calls;
}
EXPORT_SYMBOL_GPL(hello_count);

static int __init hello_init(void)
{
	pr_info("hello: int=%d uint=%u long=%ld ulong=%lu short=%hd ushort=%hu\n",
		myint, myuint, mylong, myulong, myshort, myushort);
	pr_info("hello: bool=%d invbool=%d charp=%s byte=0x%02x\n",
		mybool, myinvbool, mycharp ? mycharp : "(null)", mybyte);
	hello_greet(mycharp ? mycharp : "world");
	return 0;
}

static void __exit hello_exit(void)
{
	pr_info("hello: exit after %d greeting(s)\n", hello_calls);
}

module_init(hello_init);
module_exit(hello_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("lkmfuzz");
MODULE_DESCRIPTION("lkmfuzz seed: parameters of every basic type and two exports");
