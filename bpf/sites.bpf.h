/* SPDX-License-Identifier: MIT */
/*
 * The map "sites" (mctop.h, "Attach sites") and how a site's arguments are
 * read, in one place for every BPF object that attach/probes.c attaches:
 * mctop's own and the benchmark's floors.  User space writes a site before
 * it attaches the site, indexed by the site's cookie (attach/sites.c).
 * Needs bpf_helpers.h and linux/ptrace.h first.
 */
#ifndef MCTOP_SITES_BPF_H
#define MCTOP_SITES_BPF_H

#include "mctop.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MCTOP_SITES_MAX);
	__type(key, __u32);
	__type(value, struct mctop_site);
} sites SEC(".maps");

/*
 * A register of the hit's saved pt_regs, by its offset: constant-offset
 * context loads, which the verifier allows and which cost no helper call.
 * Each load is its own asm statement, or clang merges them into one load
 * at a computed offset, which the verifier refuses.  The registers
 * memcached's probes and functions pass arguments in come first.
 */
static __always_inline int reg_at(struct pt_regs *ctx, __u16 off, __u64 *v)
{
	__u64 x;

#define REG(r)                                                                 \
	if (off == __builtin_offsetof(struct pt_regs, r)) {                    \
		asm volatile("%[x] = *(u64 *)(%[ctx] + %[o])"                  \
			     : [x] "=r"(x)                                     \
			     : [ctx] "r"(ctx), [o] "i"(__builtin_offsetof(     \
						   struct pt_regs, r)));       \
		*v = x;                                                        \
		return 0;                                                      \
	}
	REG(rdi);
	REG(rsi);
	REG(rdx);
	REG(rcx);
	REG(r8);
	REG(r9);
	REG(rax);
	REG(rbx);
	REG(rbp);
	REG(r12);
	REG(r13);
	REG(r14);
	REG(r15);
	REG(r10);
	REG(r11);
	REG(rsp);
#undef REG
	return -1;
}

/*
 * Reads argument i of the site as a 64-bit value, sign- or zero-extended
 * from its size.  A register is read out of the hit's saved pt_regs at the
 * offset user space computed (reg_at); memory behind a register is user
 * memory.
 */
static __always_inline int
site_arg(struct pt_regs *ctx, const struct mctop_site *site, __u32 i, long *out)
{
	const struct mctop_arg_spec *a = &site->arg[i];
	__u64 v = 0;
	__u8 shift;

	switch (a->kind) {
	case MCTOP_ARG_CONST:
		v = a->val_off;
		break;
	case MCTOP_ARG_REG:
		if (reg_at(ctx, a->reg_off, &v))
			return -1;
		break;
	case MCTOP_ARG_REG_DEREF:
		if (reg_at(ctx, a->reg_off, &v))
			return -1;
		if (bpf_probe_read_user(&v, sizeof(v),
					(void *)(v + a->val_off)))
			return -1;
		break;
	default:
		return -1;
	}
	/* Little-endian: the argument is the low bytes of what was read. */
	shift = a->shift & 63;
	v <<= shift;
	*out = a->is_signed ? (long)((__s64)v >> shift) : (long)(v >> shift);
	return 0;
}

#endif /* MCTOP_SITES_BPF_H */
