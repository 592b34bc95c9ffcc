// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * The benchmark's floors: a program that does nothing, named like mctop's
 * and with mctop's "sites" map, so plugin/probes.c attaches it to exactly
 * the sites mctop attaches to, on the same kind of link.  The difference
 * between this and mctop is what mctop's own work costs.
 *
 * With targ_copy_key (bench/floor's "key") it also does the one thing any
 * exact per-key count must do: read the site's key and copy its bytes out
 * of memcached, as mctop does.  What that adds is the price of reading a
 * key on the machine at hand, which no design of the table can remove.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>

#include "mctop.h"
/* Written by plugin/sites.c. */
#include "sites.bpf.h"

const volatile bool targ_copy_key = false;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mctop_name_rec);
} scratch_key SEC(".maps");

static __always_inline int copy_key(struct pt_regs *ctx)
{
	__u32 id = (__u32)bpf_get_attach_cookie(ctx), zero = 0;
	const struct mctop_site *site = bpf_map_lookup_elem(&sites, &id);
	struct mctop_name_rec *k;
	long key = 0, keylen = 0;
	__u64 n;

	if (!site || site->event > MCTOP_EV_LOOKUP ||
	    site_arg(ctx, site, MCTOP_SITE_KEY, &key) ||
	    site_arg(ctx, site, MCTOP_SITE_KEYLEN, &keylen))
		return 0;
	n = keylen;
	k = bpf_map_lookup_elem(&scratch_key, &zero);
	if (!k || n == 0 || n > MCTOP_KEY_MAX)
		return 0;
	k->len = n;
	return bpf_probe_read_user(k->data, n, (const void *)key) != 0;
}

SEC("uprobe")
int mctop_site_hit(struct pt_regs *ctx)
{
	if (targ_copy_key)
		return copy_key(ctx);
	return ctx == 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
