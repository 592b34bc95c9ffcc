// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * The benchmark's floor: a program that does nothing, named like mctop's
 * and with mctop's "sites" map, so plugin/probes.c attaches it to exactly
 * the sites mctop attaches to, on the same kind of link.  The difference
 * between this and mctop is what mctop's own work costs.
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>

#include "mctop.h"
/* Written by plugin/sites.c, read by nothing here. */
#include "sites.bpf.h"

SEC("uprobe")
int mctop_site_hit(struct pt_regs *ctx)
{
	return ctx == 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
