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
 * table in plugin/submit.c.
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

/* Key bytes are hashed eight at a time; the buffer holds whole words. */
#define MCTOP_KEY_WORDS 32

/*
 * A key as memcached passed it: exactly len bytes, never NUL-terminated.
 * Bytes after len are undefined (not zeroed: that would cost a 256-byte
 * store per event) and never read as part of the key.
 */
struct mctop_key {
	__u32 len;
	__u32 pad;
	__u8 data[MCTOP_KEY_WORDS * 8];
};

/*
 * Per-key counters, keyed by a 64-bit hash of the key (map "keys"), updated
 * atomically by every CPU.  Hashing a 250-byte struct in the map itself cost
 * ~570 ns per event; our word-at-a-time hash of len bytes costs a few tens.
 *
 * fingerprint is a second, independent 64-bit hash of the key: an event
 * whose key hashes to a slot holding another fingerprint is a collision,
 * counted in key_slot_misses rather than charged to the wrong key.
 *
 * Byte counts are value lengths (memcached's nbytes less the "\r\n" it
 * stores after every value).  Get hits are cmds[GET] - misses.
 */
struct mctop_key_stats {
	/* Hot fields first: a get touches the first 88 bytes only. */
	__u64 fingerprint;
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
	__u64 misses;	/* command__get with size -1 */
	__u64 tx_bytes; /* value bytes of get hits */
	__u64 rx_bytes; /* value bytes of successful stores */
	__u64 objsize;	/* value length last seen by a get hit or a store */
	__u64 lookups;	/* assoc__find: hash-table lookups of the key */
	__u64 cmds[MCTOP_CMD_COUNT];
};

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
	__u64 key_slot_misses; /* events not counted per key: map full or a
				  hash collision */
	__u64 bad_keys; /* events whose key was empty, too long or unreadable */
};

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(struct mctop_key) == 8 + MCTOP_KEY_WORDS * 8,
	       "mctop_key layout");
_Static_assert(sizeof(struct mctop_key_stats) == 21 * 8,
	       "mctop_key_stats layout");
_Static_assert(sizeof(struct mctop_totals) == 18 * 8, "mctop_totals layout");
#endif

#endif /* MCTOP_H */
