/* SPDX-License-Identifier: MIT */
/*
 * Structures shared between the BPF program (mctop.bpf.c) and the collectd
 * plugin (plugin/).  Both sides include this one header, so a layout change
 * cannot drift between them; sizes are pinned with static asserts.
 *
 * Only fixed-width __u* types: the BPF side has no libc.
 */
#ifndef MCTOP_H
#define MCTOP_H

#include <linux/types.h>

/* memcached's KEY_MAX_LENGTH (memcached.h): no key is longer */
#define MCTOP_KEY_MAX 250

/*
 * The commands memcached 1.6 fires a USDT probe for, one counter each.  The
 * order is the order of the per-command arrays below and of the dispatch
 * table in plugin/commands.c.
 */
enum mctop_cmd {
	MCTOP_CMD_GET,
	MCTOP_CMD_SET,
	MCTOP_CMD_ADD,
	MCTOP_CMD_REPLACE,
	MCTOP_CMD_APPEND,
	MCTOP_CMD_PREPEND,
	MCTOP_CMD_CAS,
	MCTOP_CMD_INCR,
	MCTOP_CMD_DECR,
	MCTOP_CMD_DELETE,
	MCTOP_CMD_TOUCH,
	MCTOP_CMD_COUNT,
};

/*
 * Key of the per-key map.  The bytes after len are always zero, so two
 * lookups of one key hash alike; len is part of the key, so keys that differ
 * only by trailing NUL bytes (possible in the binary protocol) stay apart.
 */
struct mctop_key {
	__u16 len;
	__u8 data[MCTOP_KEY_MAX];
};

/*
 * Cumulative per-key counters, updated atomically by every CPU.
 * Byte counts are value lengths (memcached's nbytes less the "\r\n" it
 * stores after every value).
 */
struct mctop_key_stats {
	__u64 cmds[MCTOP_CMD_COUNT];
	__u64 hits;	/* command__get with size >= 0 */
	__u64 misses;	/* command__get with size -1 */
	__u64 rx_bytes; /* value bytes of successful stores */
	__u64 tx_bytes; /* value bytes of get hits */
	__u64 objsize;	/* value length last seen by a get hit or a store */
	__u64 lookups;	/* assoc__find: hash-table lookups of the key */
	/*
	 * Ranking for the top N, so user space keeps no per-key history: the
	 * SortBy figure of generation g accumulates in rank[g & 1], tagged
	 * with g.  User space bumps the generation before each drain and reads
	 * the previous generation's slot, which the kernel no longer writes.
	 */
	struct mctop_rank {
		__u64 gen;
		__u64 score;
	} rank[2];
};

/*
 * Per-instance totals, one copy per CPU (no atomics on the hot path); user
 * space sums the copies.  Exact whatever happens to the per-key map.
 */
/* What the per-interval score counts (plugin option SortBy). */
enum mctop_sort {
	MCTOP_SORT_CALLS,
	MCTOP_SORT_BYTES,
	MCTOP_SORT_MISSES,
	MCTOP_SORT_LOOKUPS,
};

struct mctop_totals {
	__u64 cmds[MCTOP_CMD_COUNT];
	__u64 hits;
	__u64 misses;
	__u64 rx_bytes;
	__u64 tx_bytes;
	__u64 lookups;
	__u64 key_slot_misses; /* events not counted per key: map full */
	__u64 bad_keys; /* events whose key was empty, too long or unreadable */
};

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(struct mctop_key) == 252, "mctop_key layout");
_Static_assert(sizeof(struct mctop_key_stats) == 21 * 8,
	       "mctop_key_stats layout");
_Static_assert(sizeof(struct mctop_totals) == 18 * 8, "mctop_totals layout");
#endif

#endif /* MCTOP_H */
