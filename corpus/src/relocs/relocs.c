// SPDX-License-Identifier: GPL-2.0
/*
 * lkmfuzz seed "relocs": exercises every relocation type the x86-64
 * module loader (apply_relocate_add) accepts:
 *
 *   R_X86_64_PLT32  calls to _printk / relocs_add / retpoline thunks
 *   R_X86_64_PC32   %rip-relative data accesses; ".long sym - ."
 *   R_X86_64_64     pointer tables in .data and .rodata
 *   R_X86_64_32S    "movq $sym, %reg" (mcmodel=kernel); .reloc in data
 *   R_X86_64_32     ".long sym + 0x100000000" (see below)
 *   R_X86_64_PC64   ".quad sym - ."
 *   R_X86_64_NONE   ".reloc ., R_X86_64_NONE, sym"
 *
 * The compiler does not emit R_X86_64_32/PC64/NONE for C code, so those
 * live in a hand-written section .data.lkmfuzz_relocs.  init checks
 * each relocated value and fails with -EINVAL if one is wrong.
 *
 * R_X86_64_32 must zero-extend to the final value, and module addresses
 * are 0xffffffff........, so plain ".long sym" would fail with "overflow
 * in relocation type 10".  The addend 2^32 makes S + A wrap modulo 2^64
 * to 0x00000000XXXXXXXX, so the relocation applies and stores the low
 * 32 bits of &relocs_target.
 */
#include <linux/compiler.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/types.h>

static int relocs_target __used = 0x5a5a;
static int relocs_counter;

static noinline int relocs_add(int a, int b)
{
	relocs_counter++;
	return a + b;
}

static noinline int relocs_one(void) { return 1; }
static noinline int relocs_two(void) { return 2; }

/*
 * R_X86_64_64 in .data (writable) and in .rodata (const); volatile and
 * OPTIMIZER_HIDE_VAR keep gcc from folding the tables away.
 */
static int (*volatile relocs_fns[])(void) = { relocs_one, relocs_two };
static int *const relocs_ptrs[] = { &relocs_target, &relocs_counter };

extern const s64 relocs_asm_pc64;
extern const s32 relocs_asm_pc32;
extern const u32 relocs_asm_abs32;
extern const s32 relocs_asm_abs32s;
extern const u64 relocs_asm_none;

asm(
"	.pushsection .data.lkmfuzz_relocs, \"aw\", @progbits\n"
"	.balign 8\n"
"relocs_asm_pc64:\n"
"	.quad relocs_target - .\n"			/* R_X86_64_PC64 */
"relocs_asm_pc32:\n"
"	.long relocs_target - .\n"			/* R_X86_64_PC32 */
"relocs_asm_abs32:\n"
"	.long relocs_target + 0x100000000\n"		/* R_X86_64_32 */
"relocs_asm_abs32s:\n"
"	.reloc ., R_X86_64_32S, relocs_target\n"	/* R_X86_64_32S */
"	.long 0\n"
"	.balign 8\n"
"relocs_asm_none:\n"
"	.reloc ., R_X86_64_NONE, relocs_target\n"	/* R_X86_64_NONE */
"	.quad 0x6e6f6e65\n"
"	.popsection\n");

static int __init relocs_init(void)
{
	unsigned long want = (unsigned long)&relocs_target;
	unsigned long abs32s;
	int *const *ptrs = relocs_ptrs;
	int bad = 0, sum = 0, i;

	asm volatile("movq $relocs_target, %0" : "=r" (abs32s));	/* R_X86_64_32S */
	bad |= (abs32s != want) << 0;
	bad |= ((unsigned long)&relocs_asm_pc64 + relocs_asm_pc64 != want) << 1;
	bad |= ((unsigned long)&relocs_asm_pc32 + relocs_asm_pc32 != want) << 2;
	bad |= (relocs_asm_abs32 != (u32)want) << 3;
	bad |= ((unsigned long)(long)relocs_asm_abs32s != want) << 4;
	bad |= (relocs_asm_none != 0x6e6f6e65) << 5;

	for (i = 0; i < ARRAY_SIZE(relocs_fns); i++)
		sum = relocs_add(sum, relocs_fns[i]());
	OPTIMIZER_HIDE_VAR(ptrs);
	sum = relocs_add(sum, *ptrs[0] + *ptrs[1]);

	pr_info("relocs: sum=%d check=%#x\n", sum, bad);
	return bad ? -EINVAL : 0;
}

static void __exit relocs_exit(void)
{
	pr_info("relocs: exit, counter=%d\n", relocs_counter);
}

module_init(relocs_init);
module_exit(relocs_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("lkmfuzz");
MODULE_DESCRIPTION("lkmfuzz seed: every x86-64 relocation type the loader accepts");
