// SPDX-License-Identifier: GPL-2.0
/*
 * lkmfuzz seed "arrparam": module_param_array (int with a count pointer,
 * charp without one) and module_param_string.
 */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>

static int myints[4] = { 1, 2, 3, 4 };
static unsigned int nr_myints = 4;
module_param_array(myints, int, &nr_myints, 0444);
MODULE_PARM_DESC(myints, "up to 4 ints, comma separated");

static char *mynames[3] = { "alpha", "beta", NULL };
module_param_array(mynames, charp, NULL, 0444);
MODULE_PARM_DESC(mynames, "up to 3 strings, comma separated");

static char mylabel[16] = "default";
module_param_string(mylabel, mylabel, sizeof(mylabel), 0644);
MODULE_PARM_DESC(mylabel, "a string copied into a 16-byte buffer");

static int __init arrparam_init(void)
{
	unsigned int i;

	for (i = 0; i < nr_myints && i < ARRAY_SIZE(myints); i++)
		pr_info("arrparam: myints[%u]=%d\n", i, myints[i]);
	for (i = 0; i < ARRAY_SIZE(mynames); i++)
		if (mynames[i])
			pr_info("arrparam: mynames[%u]=%s\n", i, mynames[i]);
	pr_info("arrparam: mylabel=%s\n", mylabel);
	return 0;
}

static void __exit arrparam_exit(void)
{
	pr_info("arrparam: exit\n");
}

module_init(arrparam_init);
module_exit(arrparam_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("lkmfuzz");
MODULE_DESCRIPTION("lkmfuzz seed: array and string module parameters");
