// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * The benchmark's floors: a program that does nothing, named like mctop's
 * and with mctop's "sites" map, so attach/probes.c attaches it to exactly
 * the sites mctop attaches to, on the same kind of link.  The difference
 * between this and mctop is what mctop's own work costs.
 *
 * With targ_copy_key (bench/floor's "key") it also does the one thing any
 * exact per-key count must do: read the site's key and copy its bytes out
 * of memcached, as mctop does.  What that adds is the price of reading a
 * key on the machine at hand, which no design of the table can remove.
 *
 * With targ_count_key as well (bench/floor's "count") it hashes the key's
 * bytes in one pass and adds 1 to one 64-byte line of a table as large as
 * mctop's: the cache and TLB miss a per-key count takes once keys outgrow
 * the caches, and one atomic add.  No probing, no fingerprint, no claim, so
 * its counts are not exact: it is the least any table of that size costs.
 *
 * With targ_hash instead (bench/floor's "oldhash" or "siphash") it reads the
 * key and computes the table's slot hash and fingerprint and nothing more:
 * the unkeyed two-lane hash mctop used before issue 19 (kept here only to
 * be measured), or the keyed SipHash-1-3 it uses now (bpf/key_hash.h).
 * Their difference from "key" is each hash's price per hit, side by side.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>

#include "key_hash.h"
#include "mctop.h"
/* Written by attach/sites.c. */
#include "sites.bpf.h"

const volatile bool targ_copy_key = false;
const volatile bool targ_count_key = false;
const volatile __u32 targ_table_mask = 0;
/* 0: no hash; HASH_OLD or HASH_SIP: that hash of the key, nothing else. */
const volatile __u32 targ_hash = 0;
const volatile __u64 hash_seed[2] = {};

#define HASH_OLD 1
#define HASH_SIP 2

/* One line per slot, as mctop's table (struct mctop_slot). */
struct floor_line {
	__u64 count;
	__u64 rest[7];
};

/* Sized by bench/floor (one entry unless "count"). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct floor_line);
} table SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mctop_name_rec);
} scratch_key SEC(".maps");

/* One multiply-xor pass over the key, eight bytes a step (the tail word
 * masked), then one atomic add to the line it picks. */
static __always_inline void count_key(const struct mctop_name_rec *k)
{
	__u64 h = 0x9e3779b97f4a7c15ULL ^ k->len;
	struct floor_line *line;
	__u32 idx;

	for (__u32 i = 0; i < MCTOP_KEY_WORDS; i++) {
		if (i * 8 >= k->len)
			break;
		__u64 w = *(const __u64 *)&k->data[i * 8];
		__u32 rest = k->len - i * 8;

		if (rest < 8)
			w &= (1ULL << (rest * 8)) - 1;
		h = (h ^ w) * 0x87c37b91114253d5ULL;
		h ^= h >> 31;
	}
	idx = (__u32)(h >> 17) & targ_table_mask;
	line = bpf_map_lookup_elem(&table, &idx);
	if (line)
		__sync_fetch_and_add(&line->count, 1);
}

/* murmur3's 64-bit finaliser, as the old hash used it. */
static __always_inline __u64 fmix64(__u64 h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* The old hash (bpf/mctop.bpf.c before issue 19; tests/lib/oldhash.py):
 * two multiply-xorshift lanes from fixed states, no secret. */
static __always_inline void old_hash(struct mctop_name_rec *k)
{
	__u64 h1 = 0x9e3779b97f4a7c15ULL ^ k->len;
	__u64 h2 = 0x94d049bb133111ebULL + k->len;

	for (__u32 i = 0; i < MCTOP_KEY_WORDS; i++) {
		if (i * 8 >= k->len)
			break;
		__u64 w = *(const __u64 *)&k->data[i * 8];
		__u32 rest = k->len - i * 8;

		if (rest < 8)
			w &= (1ULL << (rest * 8)) - 1;
		h1 = (h1 ^ w) * 0x87c37b91114253d5ULL;
		h1 ^= h1 >> 31;
		h2 = (h2 + w) * 0x4cf5ad432745937fULL;
		h2 ^= h2 >> 29;
	}
	k->fp = fmix64(h2) | 1;
	k->slot = (__u32)fmix64(h1);
}

/* mctop's hash (bpf/mctop.bpf.c hash_key). */
static __always_inline void sip_hash(struct mctop_name_rec *k)
{
	__u64 h =
	    mctop_siphash(hash_seed[0], hash_seed[1], k->data, k->len, 1, 3);

	k->fp = h | 1;
	k->slot = (__u32)(h >> 32);
}

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
	if (bpf_probe_read_user(k->data, n, (const void *)key) != 0)
		return 1;
	if (targ_count_key)
		count_key(k);
	/* The results go to the per-CPU scratch record, so nothing is
	 * optimised away. */
	if (targ_hash == HASH_OLD)
		old_hash(k);
	else if (targ_hash == HASH_SIP)
		sip_hash(k);
	return 0;
}

SEC("uprobe")
int mctop_site_hit(struct pt_regs *ctx)
{
	if (targ_copy_key)
		return copy_key(ctx);
	return ctx == 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
