// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * The benchmark's floor: programs that do nothing, named like mctop's, so
 * plugin/probes.c attaches them to exactly the probes mctop attaches to.
 * The difference between this and mctop is what mctop's own work costs.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
/* Not used by the programs, but libbpf attaches USDT probes only to
 * objects that carry its USDT support maps. */
#include <bpf/usdt.bpf.h>

#define EMPTY(name)                                                            \
	SEC("usdt") int name(struct pt_regs *ctx)                              \
	{                                                                      \
		return ctx == 0;                                               \
	}

EMPTY(mctop_get)
EMPTY(mctop_set)
EMPTY(mctop_add)
EMPTY(mctop_replace)
EMPTY(mctop_append)
EMPTY(mctop_prepend)
EMPTY(mctop_cas)
EMPTY(mctop_touch)
EMPTY(mctop_incr)
EMPTY(mctop_decr)
EMPTY(mctop_delete)
EMPTY(mctop_lookup)
EMPTY(mctop_cmd_start)
EMPTY(mctop_cmd_end)

char LICENSE[] SEC("license") = "Dual MIT/GPL";
