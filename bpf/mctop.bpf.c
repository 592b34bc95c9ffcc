// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * mctop's kernel side: one program, mctop_site_hit, attached to every site
 * of every traced memcached.  The hit's cookie names the site; the site's
 * entry in the map "sites" (mctop.h) says what happened there and where its
 * arguments are, and the command sites funnel into count_event(), which
 * keeps exact per-instance totals and per-key counters.
 *
 * Probe signatures: memcached_dtrace.d in memcached's source.  The command
 * probes are (connid, key, keylen, size, casid), except incr/decr
 * (connid, key, keylen, value) and delete (connid, key, keylen); user space
 * puts each argument in its fixed place in the site (enum mctop_site_arg).
 * The key is not NUL-terminated: exactly keylen bytes are read.
 *
 * Arguments are widened to 64 bits as the site's spec says (one probe may
 * pass keylen as a 1-byte register at one call site and as 8 bytes at
 * another), so the program narrows nothing itself.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "mctop.h"
#include "key_hash.h"
#include "sites.bpf.h"

/* A size argument for probes that carry none (incr, decr, delete). */
#define NO_SIZE (-2)

/* memcached stores each value followed by "\r\n" and counts it in nbytes. */
#define VALUE_TRAILER 2

#define READ_ONCE(x)	 (*(volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

/* Option Latency, set before load: when false the verifier drops the
 * latency code from the program as dead, so a command site costs what it
 * would without it. */
const volatile bool targ_latency = false;

/* Set when the names ring was found full, cleared by user space once it
 * has read the ring: until then keys not yet named do not try again, so a
 * burst of new keys costs one failed send each, not one per event. */
volatile __u32 names_full;

/* The knocks a key without a slot needs to claim a reserved one: set by
 * user space each interval (mctop.h, MCTOP_ADMIT_KNOCKS_*). */
volatile __u32 admit_knocks = MCTOP_ADMIT_KNOCKS_MIN;

/* Whether an event reads its key's home slot beside its first tag line
 * (mctop.h, MCTOP_HOME_MISS_PERCENT): set by user space each interval. */
volatile __u32 home_first = 1;

/* The key hash's secret (key_hash.h), drawn by user space from
 * getrandom(2) before each load: collisions cannot be computed offline. */
const volatile __u64 hash_seed[2] = {};

/* The table's buckets (mctop.h), set before load. */
const volatile __u32 nbuckets = 4096;

/* The per-key table (see mctop.h), read by user space as memory: a
 * bucket's slots an element, so a look through a bucket makes one lookup
 * for its slots as for its tags (and none per entry, whose index the
 * verifier would have to follow exactly). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 4096); /* buckets, set by user space before load */
	__type(key, __u32);
	__type(value, struct mctop_slot_group);
} slots SEC(".maps");

/* Its index: a line of tags per MCTOP_BUCKET_SLOTS slots. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct mctop_bucket);
} buckets SEC(".maps");

/* The admission's votes, a word per bucket (mctop.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u32);
} knocks SEC(".maps");

/* Latency charged per slot (Latency true; one entry otherwise). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct mctop_slot_lat);
} slot_lat SEC(".maps");

/* The names of new keys, once each (struct mctop_name_rec); sized by user
 * space before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mctop_totals);
} totals SEC(".maps");

/*
 * The command in flight per connection (see mctop.h).  LRU: an entry left
 * by a connection that closed mid-command is recycled, never leaked.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 32768);
	__type(key, struct mctop_conn_id);
	__type(value, struct mctop_inflight);
} inflight SEC(".maps");

/* Cumulative latency histograms per command type (mctop.h); user space
 * takes the difference between two intervals. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MCTOP_LAT_SLOTS);
	__type(key, __u32);
	__type(value, struct mctop_lat_hist);
} latency SEC(".maps");

/* Symbol mode: each memcached thread's function calls in flight, from a
 * function's entry to its return (mctop.h).  LRU: a thread that exits
 * mid-call leaves an entry that is recycled, never leaked. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct mctop_pending);
} pending SEC(".maps");

/* The key being counted, in the shape of its name record: 272 bytes is too
 * much for the 512-byte stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mctop_name_rec);
} scratch_key SEC(".maps");

static __always_inline __u64 value_len(long size)
{
	return size >= VALUE_TRAILER ? (__u64)(size - VALUE_TRAILER) : 0;
}

/* Reads the probe's key into the per-CPU scratch slot; NULL if unusable. */
static __always_inline struct mctop_name_rec *read_key(const void *ukey,
						       long keylen)
{
	__u32 zero = 0;
	struct mctop_name_rec *k;
	__u64 n = keylen;

	/* An explicit 64-bit bound: the verifier must see n <= KEY_MAX. */
	if (n == 0 || n > MCTOP_KEY_MAX)
		return NULL;
	k = bpf_map_lookup_elem(&scratch_key, &zero);
	if (!k)
		return NULL;
	k->len = n;
	if (bpf_probe_read_user(k->data, n, ukey))
		return NULL;
	return k;
}

/*
 * The key's hash and fingerprint: SipHash-1-3 under this load's secret
 * (key_hash.h says why a keyed PRF), its high half picking the buckets and
 * the whole value, never 0, recognising the key.
 */
static __always_inline void hash_key(const struct mctop_name_rec *k,
				     __u64 *hash, __u64 *fingerprint)
{
	__u64 h =
	    mctop_siphash(hash_seed[0], hash_seed[1], k->data, k->len, 1, 3);

	*hash = h;
	*fingerprint = h | 1;
}

static __always_inline struct mctop_slot *slot_at(__u32 idx)
{
	__u32 b = idx / MCTOP_BUCKET_SLOTS;
	struct mctop_slot_group *g = bpf_map_lookup_elem(&slots, &b);

	return g ? &g->slot[idx % MCTOP_BUCKET_SLOTS] : NULL;
}

/* Sends the key's name for its slot; the slot says so once it went. */
static __always_inline void
send_name(struct mctop_slot *s, struct mctop_name_rec *k, __u32 idx, __u64 fp)
{
	__u64 size = MCTOP_NAME_REC_HEAD + (__u64)k->len;

	k->fp = fp;
	k->slot = idx;
	if (size > sizeof(*k) || names_full)
		return;
	/* No wakeup: user space reads the ring on its interval. */
	if (bpf_ringbuf_output(&names, k, size, BPF_RB_NO_WAKEUP) == 0)
		s->named = 1;
	else
		names_full = 1;
}

/*
 * Zero, in .bss: the verifier cannot know a writable global's value, so a
 * count started from it is a range to it, not a number.  Started from a
 * constant 0, a look's counts of free and reserved entries would be exact
 * on each path it follows; every test of them would then be decided, mark
 * them precise and stop it from merging paths, and a bucket's 16 entries
 * would multiply into more paths than it checks.  Nothing writes it.
 */
__u32 opaque_zero;

/* A bucket as a look found it.  Counts only, no positions: a position
 * would be a value the verifier must follow exactly (see opaque_zero); the
 * claim looks for its entry again. */
struct bucket_look {
	struct mctop_bucket *line;
	struct mctop_slot_group *group;
	__u32 b;
	__u32 nfree;	/* FREE entries (count_free) */
	__u32 claiming; /* an entry with the key's tag is being claimed */
};

/* Two tags a word: the line is compared 64 bits at a time. */
#define LANE_ONES  0x0000000100000001ULL
#define LANE_HIGHS 0x8000000080000000ULL

/* Nonzero if a 32-bit lane of w is 0 (exact for "any"; which lane is
 * checked apart). */
static __always_inline __u64 has_zero_lane(__u64 w)
{
	return (w - LANE_ONES) & ~w & LANE_HIGHS;
}

/* The key's slot if entry i of lk's bucket holds it. */
static __always_inline struct mctop_slot *
holds(struct bucket_look *lk, int i, __u32 tag, __u64 fp, __u32 *idx_out)
{
	__u64 f;

	if (i < 0 || i >= MCTOP_BUCKET_SLOTS ||
	    READ_ONCE(lk->line->tag[i]) != tag)
		return NULL;
	f = READ_ONCE(lk->group->slot[i].fp);
	if (f == fp) {
		*idx_out = lk->b * MCTOP_BUCKET_SLOTS + i;
		return &lk->group->slot[i];
	}
	/* 0: another event of this key (or of a key with the same tag) won
	 * the entry a moment ago. */
	if (!f)
		lk->claiming = 1;
	return NULL;
}

/* Sets lk up for bucket b; false if it has no line (never: b < nbuckets). */
static __always_inline bool open_bucket(struct bucket_look *lk, __u32 b)
{
	lk->line = bpf_map_lookup_elem(&buckets, &b);
	lk->group = bpf_map_lookup_elem(&slots, &b);
	lk->b = b;
	lk->nfree = 0;
	lk->claiming = opaque_zero;
	return lk->line && lk->group;
}

/* The key's slot in lk's open bucket, or NULL.  Two tags at a time: a
 * word with the key's tag in a lane is looked at lane by lane. */
static __always_inline struct mctop_slot *
look_in(struct bucket_look *lk, __u32 tag, __u64 fp, __u32 *idx_out)
{
	__u64 want = (__u64)tag * LANE_ONES;
	struct mctop_slot *s;
	__u64 *words;

	if (!lk->line || !lk->group)
		return NULL;
	words = (__u64 *)lk->line->tag;
	for (int i = 0; i < MCTOP_BUCKET_SLOTS / 2; i++) {
		if (!has_zero_lane(READ_ONCE(words[i]) ^ want))
			continue;
		s = holds(lk, 2 * i, tag, fp, idx_out);
		if (!s)
			s = holds(lk, 2 * i + 1, tag, fp, idx_out);
		if (s)
			return s;
	}
	return NULL;
}

/* Whether lk's bucket has a free entry, two at a time: in a full table,
 * the miss path learns it has none in a few instructions. */
static __always_inline bool any_free(struct bucket_look *lk)
{
	__u64 *words, seen = 0;

	if (!lk->line)
		return false;
	words = (__u64 *)lk->line->tag;
	for (int i = 0; i < MCTOP_BUCKET_SLOTS / 2; i++)
		seen |= has_zero_lane(READ_ONCE(words[i]));
	return seen != 0;
}

/* Counts lk's free entries, to take the emptier bucket. */
static __always_inline void count_free(struct bucket_look *lk)
{
	__u32 nfree = opaque_zero;

	if (!lk->line)
		return;
		/* A loop the verifier walks once per turn: unrolled, clang
		 * keeps each entry's 0 or 1 apart and its paths multiply. */
#pragma clang loop unroll(disable)
	for (int i = 0; i < MCTOP_BUCKET_SLOTS; i++)
		if (READ_ONCE(lk->line->tag[i]) == MCTOP_TAG_FREE)
			nfree++;
	lk->nfree = nfree;
}

/*
 * A vote of a key without a slot in its first bucket's knock word (the
 * majority vote, mctop.h); true once the key is the candidate with
 * admit_knocks votes.  Not atomic: a vote lost to a race delays an
 * admission by an event, it miscounts nothing.
 */
static __always_inline bool knock(__u32 b, __u32 tag)
{
	__u32 *w = bpf_map_lookup_elem(&knocks, &b);
	__u32 me = tag >> 16, old, votes;

	if (!w)
		return false;
	old = READ_ONCE(*w);
	votes = old & MCTOP_KNOCK_VOTES;
	if (old >> 16 == me) {
		if (votes < MCTOP_KNOCK_VOTES)
			votes++;
	} else if (votes == 0) {
		votes = 1;
	} else {
		votes--;
		me = old >> 16;
	}
	WRITE_ONCE(*w, me << 16 | votes);
	return me == tag >> 16 && votes >= admit_knocks;
}

/* Claims entry i of lk's bucket for the key if it is in state expect:
 * true, its slot's index in *idx_out, if it won it. */
static __always_inline bool claim_at(struct bucket_look *lk, __u32 i,
				     __u32 expect, __u32 tag, __u64 fp,
				     __u32 *idx_out)
{
	struct mctop_bucket *line = lk->line;
	struct mctop_slot_group *g = lk->group;

	if (!line || !g || i >= MCTOP_BUCKET_SLOTS)
		return false;
	if (__sync_val_compare_and_swap(&line->tag[i], expect, tag) != expect)
		return false; /* another key was faster: a miss */
	WRITE_ONCE(g->slot[i].fp, fp);
	*idx_out = lk->b * MCTOP_BUCKET_SLOTS + i;
	return true;
}

/* Claims the first entry of lk's bucket in state expect for the key:
 * true, its slot's index in *idx_out, if it won it. */
static __always_inline bool claim(struct bucket_look *lk, __u32 expect,
				  __u32 tag, __u64 fp, __u32 *idx_out)
{
	if (!lk->line)
		return false;
	for (int i = 0; i < MCTOP_BUCKET_SLOTS; i++)
		if (READ_ONCE(lk->line->tag[i]) == expect)
			return claim_at(lk, i, expect, tag, fp, idx_out);
	return false;
}

/*
 * The key's slot: the one holding its fp in either of its buckets, or a
 * free one claimed in the emptier bucket, or, when both are full, a
 * reserved one once the key has knocked enough.  Its index, or -1 (a
 * miss).
 *
 * A global function: the verifier checks it once, on its own, not once
 * for every place an event counts a key (its two unrolled bucket loops in
 * each would pass the verifier's limit).
 */
__noinline int mctop_find_slot(__u64 hash)
{
	struct bucket_look one, two, *to;
	__u64 fp = hash | 1;
	__u32 tag = mctop_key_tag(fp), home = mctop_key_home(tag), b1, b2;
	__u32 idx = 0;
	struct mctop_slot *s;

	mctop_key_buckets(hash, nbuckets, &b1, &b2);
	if (!open_bucket(&one, b1))
		return -1;
	/* The key's home first: its tag and its slot are read together, so a
	 * key at home costs one round trip to memory, not the tag line's and
	 * then the slot's.  Not while most keys have no slot (home_first). */
	if (home_first && home < MCTOP_BUCKET_SLOTS &&
	    READ_ONCE(one.group->slot[home].fp) == fp &&
	    READ_ONCE(one.line->tag[home]) == tag)
		return (int)(b1 * MCTOP_BUCKET_SLOTS + home);
	s = look_in(&one, tag, fp, &idx);
	if (s)
		return (int)idx;
	if (!open_bucket(&two, b2))
		return -1;
	if (look_in(&two, tag, fp, &idx))
		return (int)idx;
	if (one.claiming || two.claiming)
		return -1;
	if (any_free(&one) || any_free(&two)) {
		/* A new key takes its home when it is free. */
		if (home < MCTOP_BUCKET_SLOTS &&
		    READ_ONCE(one.line->tag[home]) == MCTOP_TAG_FREE)
			return claim_at(&one, home, MCTOP_TAG_FREE, tag, fp,
					&idx)
				   ? (int)idx
				   : -1;
		count_free(&one);
		count_free(&two);
		to = one.nfree >= two.nfree ? &one : &two;
		return claim(to, MCTOP_TAG_FREE, tag, fp, &idx) ? (int)idx : -1;
	}
	/* Both full: the key knocks, and past the bar takes a reserve. */
	if (!knock(b1, tag))
		return -1;
	if (claim(&one, MCTOP_TAG_RESERVED, tag, fp, &idx) ||
	    claim(&two, MCTOP_TAG_RESERVED, tag, fp, &idx))
		return (int)idx;
	return -1;
}

/* The key's slot, named once. */
static __always_inline struct mctop_slot *
find_slot(struct mctop_name_rec *k, __u64 hash, __u64 fp, __u32 *idx_out)
{
	int idx = mctop_find_slot(hash);
	struct mctop_slot *s;

	if (idx < 0)
		return NULL;
	s = slot_at((__u32)idx);
	if (!s)
		return NULL;
	*idx_out = (__u32)idx;
	if (!s->named)
		send_name(s, k, (__u32)idx, fp);
	return s;
}

/* The key's slot, or NULL (counted in the totals) if it has none. */
static __always_inline struct mctop_slot *
key_slot(struct mctop_totals *t, const void *ukey, long keylen, __u32 *idx)
{
	struct mctop_name_rec *k;
	__u64 hash, fp;
	struct mctop_slot *s;

	k = read_key(ukey, keylen);
	if (!k) {
		t->bad_keys++;
		return NULL;
	}
	hash_key(k, &hash, &fp);
	t->key_looks++;
	s = find_slot(k, hash, fp, idx);
	if (!s)
		t->key_slot_misses++;
	return s;
}

static __always_inline struct mctop_totals *get_totals(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&totals, &zero);
}

/* The slot count a command adds to. */
static __always_inline __u32 key_count(enum mctop_cmd cmd)
{
	switch (cmd) {
	case MCTOP_CMD_GET:
		return MCTOP_KC_GETS;
	case MCTOP_CMD_INCR:
	case MCTOP_CMD_DECR:
		return MCTOP_KC_ARITHS;
	case MCTOP_CMD_DELETE:
		return MCTOP_KC_DELETES;
	case MCTOP_CMD_TOUCH:
		return MCTOP_KC_TOUCHES;
	default:
		return MCTOP_KC_STORES;
	}
}

/*
 * Counts one command; returns the key's slot (its index in *idx).  lookup:
 * the same event is also the key's lookup (symbol mode's do_item_get), so
 * the key is read, hashed and found once for both.
 */
static __always_inline struct mctop_slot *count_event(enum mctop_cmd cmd,
						      const void *ukey,
						      long keylen, long size,
						      bool lookup, __u32 *idx)
{
	bool is_get = cmd == MCTOP_CMD_GET;
	bool is_store = cmd >= MCTOP_CMD_SET && cmd <= MCTOP_CMD_CAS;
	bool miss = is_get && size == -1; /* a hit otherwise */
	bool has_bytes = (is_get || is_store) && size >= 0;
	__u64 len = value_len(size);
	struct mctop_totals *t;
	struct mctop_slot *s;
	__u32 kc;

	t = get_totals();
	if (!t)
		return NULL;
	t->cmds[cmd]++;
	t->misses += miss;
	t->lookups += lookup;
	if (has_bytes) {
		if (is_get)
			t->tx_bytes += len;
		else
			t->rx_bytes += len;
	}

	s = key_slot(t, ukey, keylen, idx);
	if (!s)
		return NULL;
	kc = key_count(cmd);
	if (kc >= MCTOP_KC_NUM) /* the verifier wants the index bounded */
		return NULL;
	__sync_fetch_and_add(&s->count[kc], 1);
	if (miss)
		__sync_fetch_and_add(&s->count[MCTOP_KC_MISSES], 1);
	if (has_bytes) {
		__sync_fetch_and_add(
		    &s->bytes[is_get ? MCTOP_KB_TX : MCTOP_KB_RX], len);
		s->objsize = (__u32)len;
	}
	if (lookup)
		__sync_fetch_and_add(&s->count[MCTOP_KC_LOOKUPS], 1);
	return s;
}

/* A lookup of a key and nothing more. */
static __always_inline void count_lookup(const void *ukey, long keylen)
{
	struct mctop_totals *t = get_totals();
	struct mctop_slot *s;
	__u32 idx;

	if (!t)
		return;
	t->lookups++;
	s = key_slot(t, ukey, keylen, &idx);
	if (s)
		__sync_fetch_and_add(&s->count[MCTOP_KC_LOOKUPS], 1);
}

/*
 * assoc__find(key, keylen, depth): one hash-table lookup of a key.  It fires
 * for every command on every memcached version, so it keeps the hot-key
 * signal where the command probes are gone (text and meta on 1.6.40+).
 */
static __always_inline void on_lookup(struct pt_regs *ctx,
				      const struct mctop_site *site)
{
	long key = 0, keylen = 0;

	if (site_arg(ctx, site, MCTOP_SITE_KEY, &key) ||
	    site_arg(ctx, site, MCTOP_SITE_KEYLEN, &keylen))
		return;
	count_lookup((const void *)key, keylen);
}

/* ---- latency (option Latency; README "Latency") ---- */

/* The calling thread's entry for connection connid, or NULL. */
static __always_inline struct mctop_inflight *
inflight_of(long connid, struct mctop_conn_id *id)
{
	id->pid_tgid = bpf_get_current_pid_tgid();
	id->fd = (__u32)connid;
	id->pad = 0;
	return bpf_map_lookup_elem(&inflight, id);
}

/* Charges ns to the key in slot idx; count says whether this is the key's
 * own command probe (a command naming it) or its tail. */
static __always_inline void charge_key(__u32 idx, __u64 ns, bool count)
{
	struct mctop_slot_lat *l = bpf_map_lookup_elem(&slot_lat, &idx);

	if (!l)
		return;
	if (count)
		__sync_fetch_and_add(&l->count, 1);
	__sync_fetch_and_add(&l->ns, ns);
}

/*
 * A command probe inside a timed command: the time since the start (or
 * since the previous key of a multi-key get) is this key's, so the keys of
 * `get a b c` share the command's time and their sum is the command's.
 */
static __always_inline void note_key(struct pt_regs *ctx,
				     const struct mctop_site *site,
				     enum mctop_cmd cmd,
				     const struct mctop_slot *s, __u32 idx)
{
	struct mctop_conn_id id;
	struct mctop_inflight *f;
	long connid = 0;
	__u64 now;

	if (site_arg(ctx, site, MCTOP_SITE_CONNID, &connid))
		return;
	f = inflight_of(connid, &id);
	if (!f || !f->start_ns)
		return; /* no start seen: not timed (1.6.40+ text, or attached
			   mid-command) */
	now = bpf_ktime_get_ns();
	if (f->keys++ == 0)
		f->cmd = cmd;
	if (s)
		charge_key(idx, now - f->last_ns, true);
	f->last_ns = now;
	f->key_slot = s ? (__u64)idx + 1 : 0;
	f->fingerprint = s ? s->fp : 0;
}

/* Ends the connection's command at now: its type's histogram gets the
 * whole latency, its last key the time since that key's probe. */
static __always_inline void finish(struct mctop_inflight *f, __u64 now)
{
	__u32 type = f->keys ? f->cmd : MCTOP_LAT_OTHER;
	struct mctop_lat_hist *h;
	struct mctop_slot *s;
	__u64 b;

	if (type >= MCTOP_LAT_SLOTS)
		type = MCTOP_LAT_OTHER;
	h = bpf_map_lookup_elem(&latency, &type);
	b = mctop_lat_bucket(now - f->start_ns);
	/* clang knows b < BUCKETS and drops the check the verifier needs. */
	asm volatile("" : "+r"(b));
	if (h && b < MCTOP_LAT_BUCKETS)
		h->bucket[b]++; /* per-CPU: no other writer */
	if (f->key_slot) {
		__u32 idx = (__u32)(f->key_slot - 1);

		s = slot_at(idx);
		/* The key may have been evicted and its slot reused. */
		if (s && READ_ONCE(s->fp) == f->fingerprint)
			charge_key(idx, now - f->last_ns, false);
	}
	f->start_ns = 0;
}

/*
 * process__command__start(connid, request, size): fires per command
 * (process_command_ascii, dispatch_bin_command).  A command still in
 * flight on the connection ends here: pipelined commands run back to back
 * and memcached fires the end probe once per batch.
 */
static __always_inline void on_cmd_start(struct pt_regs *ctx,
					 const struct mctop_site *site)
{
	struct mctop_inflight *f, fresh = {};
	struct mctop_conn_id id;
	long connid = 0;
	__u64 now;

	if (site_arg(ctx, site, MCTOP_SITE_CONNID, &connid))
		return;
	now = bpf_ktime_get_ns();
	f = inflight_of(connid, &id);
	if (!f) {
		fresh.start_ns = now;
		fresh.last_ns = now;
		bpf_map_update_elem(&inflight, &id, &fresh, BPF_ANY);
		return;
	}
	if (f->start_ns)
		finish(f, now);
	f->start_ns = now;
	f->last_ns = now;
	f->key_slot = 0;
	f->fingerprint = 0;
	f->cmd = 0;
	f->keys = 0;
}

/*
 * process__command__end(connid, response, size): fires in conn_set_state()
 * when the connection turns to writing its replies, i.e. after the last
 * command of a batch, before the reply is sent.
 */
static __always_inline void on_cmd_end(struct pt_regs *ctx,
				       const struct mctop_site *site)
{
	struct mctop_conn_id id;
	struct mctop_inflight *f;
	long connid = 0;

	if (site_arg(ctx, site, MCTOP_SITE_CONNID, &connid))
		return;
	f = inflight_of(connid, &id);
	if (f && f->start_ns)
		finish(f, bpf_ktime_get_ns());
}

/*
 * A command probe: fetches only the arguments used (connid only with
 * Latency) and counts the event.  Sites of probes without a size (incr,
 * decr, delete) leave that argument MCTOP_ARG_NONE.
 */
static __always_inline void on_command(struct pt_regs *ctx,
				       const struct mctop_site *site,
				       enum mctop_cmd cmd)
{
	long key = 0, keylen = 0, size = NO_SIZE;
	struct mctop_slot *s;
	__u32 slot = 0;

	if (site_arg(ctx, site, MCTOP_SITE_KEY, &key) ||
	    site_arg(ctx, site, MCTOP_SITE_KEYLEN, &keylen))
		return;
	if (site->arg[MCTOP_SITE_SIZE].kind != MCTOP_ARG_NONE &&
	    site_arg(ctx, site, MCTOP_SITE_SIZE, &size))
		return;
	s = count_event(cmd, (const void *)key, keylen, size, false, &slot);
	if (targ_latency)
		note_key(ctx, site, cmd, s, slot);
}

/* ---- symbol mode: memcached's own functions (README "Symbol mode") ---- */

/* The calling thread's calls in flight, created if missing. */
static __always_inline struct mctop_pending *my_pending(bool create)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct mctop_pending *p, fresh = {};

	p = bpf_map_lookup_elem(&pending, &id);
	if (p || !create)
		return p;
	bpf_map_update_elem(&pending, &id, &fresh, BPF_ANY);
	return bpf_map_lookup_elem(&pending, &id);
}

/* An item's value length with its "\r\n" (memcached's nbytes); -1 if it
 * cannot be read. */
static __always_inline long item_nbytes(__u64 it)
{
	__s32 nbytes;

	if (!it || bpf_probe_read_user(&nbytes, sizeof(nbytes),
				       (void *)(it + MCTOP_ITEM_HEAD_OFF)))
		return -1;
	return nbytes;
}

/* do_item_get(key, nkey, hv, c or t, do_update) entry: remembered until
 * it returns.  do_item_touch, which calls it first thing, has marked the
 * call as a touch. */
static __always_inline void on_fn_get(struct pt_regs *ctx,
				      const struct mctop_site *site)
{
	long key = 0, keylen = 0, update = 0;
	struct mctop_pending *p;

	if (site_arg(ctx, site, MCTOP_SITE_KEY, &key) ||
	    site_arg(ctx, site, MCTOP_SITE_KEYLEN, &keylen) ||
	    site_arg(ctx, site, MCTOP_SITE_FLAG, &update))
		return;
	p = my_pending(true);
	if (!p)
		return;
	p->get_key = key;
	p->get_keylen = (__u32)keylen;
	p->get_update = update != 0;
	/* A store's or arithmetic's own lookup is never a delete's; nor can
	 * an item an earlier call returned be a delete's any more (this call
	 * may unlink it itself, expired). */
	p->get_for = p->store_item || (p->get_for & MCTOP_PENDING_DELTA)
			 ? 0
			 : MCTOP_PENDING_MAY_DELETE;
	p->delete_item = 0;
}

/* do_item_touch entry, or item_touch's where the build inlined
 * do_item_touch into it: the thread's next do_item_get is the touch's. */
static __always_inline void on_fn_touch(void)
{
	struct mctop_pending *p = my_pending(true);

	if (p)
		p->get_touch = 1;
}

/*
 * do_item_get returns the item, or NULL on a miss (expired and flushed
 * items included).  Every call is a lookup of its key; one with do_update
 * set is a read: a touch when do_item_touch called it, a get otherwise,
 * a hit with the item's value length or a miss.  Calls without do_update
 * come from stores, deletes and arithmetic, counted at their own entry.
 */
static __always_inline void on_fn_get_ret(struct pt_regs *ctx,
					  const struct mctop_site *site)
{
	struct mctop_pending *p;
	long item = 0;
	__u32 slot;
	__u64 key;
	__u32 keylen;
	bool touch, update, may_delete;

	p = my_pending(false);
	if (!p || !p->get_key)
		return; /* attached mid-call */
	key = p->get_key;
	keylen = p->get_keylen;
	touch = p->get_touch;
	update = p->get_update;
	may_delete = p->get_for & MCTOP_PENDING_MAY_DELETE;
	p->get_key = 0;
	p->get_touch = 0;
	p->get_for = 0;
	if (site_arg(ctx, site, MCTOP_SITE_SIZE, &item))
		return;
	if (!update && !touch && may_delete)
		p->delete_item = item;
	if (touch) {
		count_event(MCTOP_CMD_TOUCH, (const void *)key, keylen, NO_SIZE,
			    true, &slot);
	} else if (update) {
		count_event(MCTOP_CMD_GET, (const void *)key, keylen,
			    item ? item_nbytes(item) : -1, true, &slot);
	} else {
		/* A store's, delete's or arithmetic's lookup: only that. */
		count_lookup((const void *)key, keylen);
	}
}

/* The item's key and value length (with "\r\n"): its key follows the
 * header, after the CAS value when the item has one.  -1 if unreadable. */
static __always_inline int item_key(__u64 it, const struct mctop_site *site,
				    __u64 *key, struct mctop_item_head *h)
{
	__u32 flags;

	if (!it || bpf_probe_read_user(h, sizeof(*h),
				       (void *)(it + MCTOP_ITEM_HEAD_OFF)))
		return -1;
	flags = h->it_flags >> (site->item_flags_shift & 15);
	*key = it + MCTOP_ITEM_DATA_OFF +
	       (flags & MCTOP_ITEM_CAS_FLAG ? sizeof(__u64) : 0);
	return 0;
}

/* The store commands of do_store_item's comm (memcached.h NREAD_*):
 * 1.6.45's 7 and 8 are append and prepend that create a missing item. */
static __always_inline int store_cmd(long comm)
{
	switch (comm) {
	case 1:
		return MCTOP_CMD_ADD;
	case 2:
		return MCTOP_CMD_SET;
	case 3:
		return MCTOP_CMD_REPLACE;
	case 4:
	case 7:
		return MCTOP_CMD_APPEND;
	case 5:
	case 8:
		return MCTOP_CMD_PREPEND;
	case 6:
		return MCTOP_CMD_CAS;
	}
	return -1;
}

/* do_store_item(it, comm, ...) entry, or store_item's (same it, comm and
 * result) where the build inlined do_store_item into it: the store is
 * counted when it returns, with its value length only if it stored. */
static __always_inline void on_fn_store(struct pt_regs *ctx,
					const struct mctop_site *site)
{
	long it = 0, comm = 0;
	struct mctop_pending *p;
	int cmd;

	if (site_arg(ctx, site, MCTOP_SITE_KEY, &it) ||
	    site_arg(ctx, site, MCTOP_SITE_FLAG, &comm))
		return;
	cmd = store_cmd(comm);
	p = my_pending(true);
	if (!p || cmd < 0)
		return;
	p->store_item = it;
	p->store_cmd = cmd;
}

static __always_inline void on_fn_store_ret(struct pt_regs *ctx,
					    const struct mctop_site *site)
{
	struct mctop_item_head h;
	struct mctop_pending *p;
	__u64 it, key;
	__u32 slot;
	long ret = 0;
	__u32 cmd;

	p = my_pending(false);
	if (!p || !p->store_item)
		return;
	it = p->store_item;
	cmd = p->store_cmd;
	p->store_item = 0;
	if (cmd >= MCTOP_CMD_COUNT) /* the verifier wants the index bounded */
		return;
	if (site_arg(ctx, site, MCTOP_SITE_SIZE, &ret) ||
	    item_key(it, site, &key, &h))
		return;
	count_event((enum mctop_cmd)cmd, (const void *)key, h.nkey,
		    ret == MCTOP_STORE_STORED ? h.nbytes : -1, false, &slot);
}

/* A key-and-length function entry counted as cmd. */
static __always_inline void on_fn_keyed(struct pt_regs *ctx,
					const struct mctop_site *site,
					enum mctop_cmd cmd)
{
	long key = 0, keylen = 0;
	__u32 slot;

	if (site_arg(ctx, site, MCTOP_SITE_KEY, &key) ||
	    site_arg(ctx, site, MCTOP_SITE_KEYLEN, &keylen))
		return;
	count_event(cmd, (const void *)key, keylen, NO_SIZE, false, &slot);
}

/* do_add_delta(c or t, key, nkey, incr, ...) entry. */
static __always_inline void on_fn_delta(struct pt_regs *ctx,
					const struct mctop_site *site)
{
	struct mctop_pending *p = my_pending(true);
	long incr = 0;

	if (p)
		p->get_for |= MCTOP_PENDING_DELTA;
	if (site_arg(ctx, site, MCTOP_SITE_FLAG, &incr))
		return;
	on_fn_keyed(ctx, site, incr ? MCTOP_CMD_INCR : MCTOP_CMD_DECR);
}

/*
 * do_item_unlink(it, hv) entry.  A delete that deleted (USDT mode's
 * command__delete) is the unlink of the item the thread's last do_item_get
 * returned, without do_update, outside a store or arithmetic: memcached's
 * text, binary and meta deletes look the key up that way, then unlink what
 * they found.  Every other unlink is not a delete: an expired item's
 * (inside do_item_get), a store's or arithmetic's replaced item, the
 * maintenance threads', and, where item_unlink is probed, a failed set's
 * stale value (symbol_sites.c).
 */
static __always_inline void on_fn_unlink(struct pt_regs *ctx,
					 const struct mctop_site *site,
					 bool maybe_delete)
{
	struct mctop_item_head h;
	struct mctop_pending *p;
	long it = 0;
	__u64 key;
	__u32 slot;

	p = my_pending(false);
	if (!p || !p->delete_item || site_arg(ctx, site, MCTOP_SITE_KEY, &it) ||
	    (__u64)it != p->delete_item)
		return;
	p->delete_item = 0;
	if (!maybe_delete || item_key(it, site, &key, &h))
		return;
	count_event(MCTOP_CMD_DELETE, (const void *)key, h.nkey, NO_SIZE, false,
		    &slot);
}

/* The symbol-mode events, kept apart from the USDT ones. */
static __always_inline int on_function(struct pt_regs *ctx,
				       const struct mctop_site *site, __u32 ev)
{
	switch (ev) {
	case MCTOP_EV_FN_GET:
		on_fn_get(ctx, site);
		break;
	case MCTOP_EV_FN_GET_RET:
		on_fn_get_ret(ctx, site);
		break;
	case MCTOP_EV_FN_TOUCH:
		on_fn_touch();
		break;
	case MCTOP_EV_FN_STORE:
		on_fn_store(ctx, site);
		break;
	case MCTOP_EV_FN_STORE_RET:
		on_fn_store_ret(ctx, site);
		break;
	case MCTOP_EV_FN_DELTA:
		on_fn_delta(ctx, site);
		break;
	case MCTOP_EV_FN_UNLINK:
		on_fn_unlink(ctx, site, true);
		break;
	case MCTOP_EV_FN_UNLINK_NOT_DELETE:
		on_fn_unlink(ctx, site, false);
		break;
	}
	return 0;
}

/*
 * Every site of every traced process runs this.  The section name only
 * tells libbpf the program type: attach/engine.c sets the expected attach
 * type (a uprobe_multi link where the kernel has them) before load, and
 * attach/uprobe_links.c attaches it itself, never libbpf's auto-attach.
 */
SEC("uprobe")
int mctop_site_hit(struct pt_regs *ctx)
{
	__u32 id = (__u32)bpf_get_attach_cookie(ctx);
	const struct mctop_site *site;
	__u32 ev;

	site = bpf_map_lookup_elem(&sites, &id);
	if (!site)
		return 0;
	ev = site->event;
	if (ev < MCTOP_EV_CMD + MCTOP_CMD_COUNT)
		on_command(ctx, site, (enum mctop_cmd)(ev - MCTOP_EV_CMD));
	else if (ev == MCTOP_EV_LOOKUP)
		on_lookup(ctx, site);
	else if (targ_latency && ev == MCTOP_EV_CMD_START)
		on_cmd_start(ctx, site);
	else if (targ_latency && ev == MCTOP_EV_CMD_END)
		on_cmd_end(ctx, site);
	else if (ev >= MCTOP_EV_FN_GET)
		on_function(ctx, site, ev);
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
