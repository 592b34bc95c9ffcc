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
#include "sites.bpf.h"

/* A size argument for probes that carry none (incr, decr, delete). */
#define NO_SIZE (-2)

/* memcached stores each value followed by "\r\n" and counts it in nbytes. */
#define VALUE_TRAILER 2

/* What the ranking counts (SortBy), set by user space through the mmapped
 * .bss: it follows the traced binaries (lookups stand in for calls where
 * text commands fire no command probe). */
volatile __u32 sort_by = MCTOP_SORT_CALLS;

/* The ranking generation, bumped by user space through the mmapped .bss. */
volatile __u64 drain_gen;

/* Option Latency, set before load: when false the verifier drops the
 * latency code from the command programs, which then cost what they did. */
const volatile bool targ_latency = false;

/* Per-key counters, keyed by the key's hash (see mctop.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* MaxKeys, set by user space before load */
	__type(key, __u64);
	__type(value, struct mctop_key_stats);
} keys SEC(".maps");

/* The key bytes behind each hash, written once per key: user space reads
 * them only for the keys it dispatches, and the hot path never touches them
 * again. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* MaxKeys */
	__type(key, __u64);
	__type(value, struct mctop_key);
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

/* The key being counted: 264 bytes is too much for the 512-byte stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mctop_key);
} scratch_key SEC(".maps");

static __always_inline __u64 value_len(long size)
{
	return size >= VALUE_TRAILER ? (__u64)(size - VALUE_TRAILER) : 0;
}

/* Reads the probe's key into the per-CPU scratch slot; NULL if unusable. */
static __always_inline struct mctop_key *read_key(const void *ukey, long keylen)
{
	__u32 zero = 0;
	struct mctop_key *k;
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

/* murmur3's 64-bit finaliser: every input bit reaches every output bit. */
static __always_inline __u64 fmix64(__u64 h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* The word of key bytes [8i, 8i+8), with bytes past len cleared. */
static __always_inline __u64 key_word(const struct mctop_key *k, __u32 i)
{
	__u64 w = *(const __u64 *)&k->data[i * 8];
	__u32 rest = k->len - i * 8;

	if (rest >= 8)
		return w;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return w & ((1ULL << (rest * 8)) - 1);
#else
	return w & ~((1ULL << ((8 - rest) * 8)) - 1);
#endif
}

/*
 * Two independent 64-bit hashes of the key's len and bytes, in one pass of
 * eight bytes a step: slot picks the map entry, fingerprint confirms it.
 */
static __always_inline void hash_key(const struct mctop_key *k, __u64 *slot,
				     __u64 *fingerprint)
{
	__u64 h1 = 0x9e3779b97f4a7c15ULL ^ k->len;
	__u64 h2 = 0x94d049bb133111ebULL + k->len;

	for (__u32 i = 0; i < MCTOP_KEY_WORDS; i++) {
		if (i * 8 >= k->len)
			break;
		__u64 w = key_word(k, i);

		h1 = (h1 ^ w) * 0x87c37b91114253d5ULL;
		h1 ^= h1 >> 31;
		h2 = (h2 + w) * 0x4cf5ad432745937fULL;
		h2 ^= h2 >> 29;
	}
	*slot = fmix64(h1);
	*fingerprint = fmix64(h2) | 1; /* never 0 */
}

/* The key's counters, created on first sight; NULL when the map is full. */
static __always_inline struct mctop_key_stats *
key_stats(const struct mctop_key *k, __u64 slot, __u64 fingerprint)
{
	struct mctop_key_stats *s, fresh = {.fingerprint = fingerprint};

	s = bpf_map_lookup_elem(&keys, &slot);
	if (s)
		return s;
	/* Only the CPU whose insert wins writes the name; -EEXIST means
	 * another CPU inserted it first, and -E2BIG that the map is full. */
	if (bpf_map_update_elem(&keys, &slot, &fresh, BPF_NOEXIST) == 0)
		bpf_map_update_elem(&names, &slot, k, BPF_ANY);
	return bpf_map_lookup_elem(&keys, &slot);
}

/*
 * The key's ranking slot for the current generation, reset on first use in
 * a generation.  Two CPUs that both see a new generation may both reset it
 * and lose one increment: that only nudges the ranking and the latency
 * mean; the counters stay exact.
 */
static __always_inline struct mctop_rank *rank_slot(struct mctop_key_stats *s)
{
	__u64 gen = drain_gen;
	struct mctop_rank *r = &s->rank[gen & 1];

	if (r->gen != gen) {
		r->score = 0;
		r->lat_count = 0;
		r->lat_ns = 0;
		r->gen = gen;
	}
	return r;
}

/* Adds the event's share of the SortBy figure to the key's score. */
static __always_inline void add_score(struct mctop_key_stats *s, __u64 calls,
				      __u64 bytes, __u64 misses, __u64 lookups)
{
	struct mctop_rank *r = rank_slot(s);
	__u64 v;

	switch (sort_by) {
	case MCTOP_SORT_BYTES:
		v = bytes;
		break;
	case MCTOP_SORT_MISSES:
		v = misses;
		break;
	case MCTOP_SORT_LOOKUPS:
		v = lookups;
		break;
	case MCTOP_SORT_LATENCY:
		v = 0; /* charge_key() scores latency */
		break;
	default:
		v = calls;
	}
	if (v)
		__sync_fetch_and_add(&r->score, v);
}

/* The key's counters, or NULL (counted in the totals) if it has none. */
static __always_inline struct mctop_key_stats *
key_slot(struct mctop_totals *t, const void *ukey, long keylen, __u64 *slot_out)
{
	struct mctop_key_stats *s;
	struct mctop_key *k;

	__u64 slot, fingerprint;

	k = read_key(ukey, keylen);
	if (!k) {
		t->bad_keys++;
		return NULL;
	}
	hash_key(k, &slot, &fingerprint);
	s = key_stats(k, slot, fingerprint);
	if (!s || s->fingerprint != fingerprint) {
		t->key_slot_misses++;
		return NULL;
	}
	*slot_out = slot;
	return s;
}

static __always_inline struct mctop_totals *get_totals(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&totals, &zero);
}

/*
 * Counts one command; returns the key's counters (slot in *slot).  lookup:
 * the same event is also the key's lookup (symbol mode's do_item_get), so
 * the key is read, hashed and found once for both.
 */
static __always_inline struct mctop_key_stats *
count_event(enum mctop_cmd cmd, const void *ukey, long keylen, long size,
	    bool lookup, __u64 *slot)
{
	bool is_get = cmd == MCTOP_CMD_GET;
	bool is_store = cmd >= MCTOP_CMD_SET && cmd <= MCTOP_CMD_CAS;
	bool hit = is_get && size >= 0, miss = is_get && size == -1;
	bool has_bytes = (is_get || is_store) && size >= 0;
	__u64 len = value_len(size);
	struct mctop_key_stats *s;
	struct mctop_totals *t;

	t = get_totals();
	if (!t)
		return NULL;
	t->cmds[cmd]++;
	t->hits += hit;
	t->misses += miss;
	t->lookups += lookup;
	if (has_bytes) {
		if (is_get)
			t->tx_bytes += len;
		else
			t->rx_bytes += len;
	}

	s = key_slot(t, ukey, keylen, slot);
	if (!s)
		return NULL;
	__sync_fetch_and_add(&s->cmds[cmd], 1);
	if (miss)
		__sync_fetch_and_add(&s->misses, 1);
	if (has_bytes) {
		if (is_get)
			__sync_fetch_and_add(&s->tx_bytes, len);
		else
			__sync_fetch_and_add(&s->rx_bytes, len);
		s->objsize = len;
	}
	if (lookup)
		__sync_fetch_and_add(&s->lookups, 1);
	add_score(s, 1, has_bytes ? len : 0, miss, lookup);
	return s;
}

/*
 * Reads argument i of the site as a 64-bit value, sign- or zero-extended
 * from its size.  A register is read out of the hit's saved pt_regs at the
 * offset user space computed (the verifier allows no variable-offset
 * context load, hence the helper); memory behind a register is user memory.
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
		if (bpf_probe_read_kernel(&v, sizeof(v),
					  (void *)ctx + a->reg_off))
			return -1;
		break;
	case MCTOP_ARG_REG_DEREF:
		if (bpf_probe_read_kernel(&v, sizeof(v),
					  (void *)ctx + a->reg_off))
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

/*
 * assoc__find(key, keylen, depth): one hash-table lookup of a key.  It fires
 * for every command on every memcached version, so it keeps the hot-key
 * signal where the command probes are gone (text and meta on 1.6.40+).
 */
static __always_inline void on_lookup(struct pt_regs *ctx,
				      const struct mctop_site *site)
{
	long key = 0, keylen = 0;
	struct mctop_key_stats *s;
	struct mctop_totals *t;
	__u64 slot;

	if (site_arg(ctx, site, MCTOP_SITE_KEY, &key) ||
	    site_arg(ctx, site, MCTOP_SITE_KEYLEN, &keylen))
		return;
	t = get_totals();
	if (!t)
		return;
	t->lookups++;
	s = key_slot(t, (const void *)key, keylen, &slot);
	if (!s)
		return;
	__sync_fetch_and_add(&s->lookups, 1);
	add_score(s, 0, 0, 0, 1);
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

/* Charges ns to the key for this generation; count says whether this is
 * the key's own command probe (a command naming it) or its tail. */
static __always_inline void charge_key(struct mctop_key_stats *s, __u64 ns,
				       bool count)
{
	struct mctop_rank *r = rank_slot(s);

	if (count)
		__sync_fetch_and_add(&r->lat_count, 1);
	__sync_fetch_and_add(&r->lat_ns, ns);
	if (sort_by == MCTOP_SORT_LATENCY)
		__sync_fetch_and_add(&r->score, ns);
}

/*
 * A command probe inside a timed command: the time since the start (or
 * since the previous key of a multi-key get) is this key's, so the keys of
 * `get a b c` share the command's time and their sum is the command's.
 */
static __always_inline void note_key(struct pt_regs *ctx,
				     const struct mctop_site *site,
				     enum mctop_cmd cmd,
				     struct mctop_key_stats *s, __u64 slot)
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
		charge_key(s, now - f->last_ns, true);
	f->last_ns = now;
	f->key_slot = s ? slot : 0;
	f->fingerprint = s ? s->fingerprint : 0;
}

/* Ends the connection's command at now: its type's histogram gets the
 * whole latency, its last key the time since that key's probe. */
static __always_inline void finish(struct mctop_inflight *f, __u64 now)
{
	__u32 type = f->keys ? f->cmd : MCTOP_LAT_OTHER;
	struct mctop_lat_hist *h;
	struct mctop_key_stats *s;
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
		s = bpf_map_lookup_elem(&keys, &f->key_slot);
		/* The key may have been evicted and its slot reused. */
		if (s && s->fingerprint == f->fingerprint)
			charge_key(s, now - f->last_ns, false);
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
	struct mctop_key_stats *s;
	__u64 slot = 0;

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
}

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
	struct mctop_key_stats *s;
	struct mctop_pending *p;
	struct mctop_totals *t;
	long item = 0;
	__u64 key, slot;
	__u32 keylen;
	bool touch, update;

	p = my_pending(false);
	if (!p || !p->get_key)
		return; /* attached mid-call */
	key = p->get_key;
	keylen = p->get_keylen;
	touch = p->get_touch;
	update = p->get_update;
	p->get_key = 0;
	p->get_touch = 0;
	if (site_arg(ctx, site, MCTOP_SITE_SIZE, &item))
		return;
	if (touch) {
		count_event(MCTOP_CMD_TOUCH, (const void *)key, keylen, NO_SIZE,
			    true, &slot);
	} else if (update) {
		count_event(MCTOP_CMD_GET, (const void *)key, keylen,
			    item ? item_nbytes(item) : -1, true, &slot);
	} else if ((t = get_totals())) {
		/* A store's, delete's or arithmetic's lookup: only that. */
		t->lookups++;
		s = key_slot(t, (const void *)key, keylen, &slot);
		if (s) {
			__sync_fetch_and_add(&s->lookups, 1);
			add_score(s, 0, 0, 0, 1);
		}
	}
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

/* do_store_item(it, comm, ...) entry: the store is counted when it
 * returns, with its value length only if it stored. */
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
	__u64 it, slot, key;
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
	    bpf_probe_read_user(&h, sizeof(h),
				(void *)(it + MCTOP_ITEM_HEAD_OFF)))
		return;
	key = it + MCTOP_ITEM_DATA_OFF +
	      (h.it_flags & MCTOP_ITEM_CAS_FLAG ? sizeof(__u64) : 0);
	count_event((enum mctop_cmd)cmd, (const void *)key, h.nkey,
		    ret == MCTOP_STORE_STORED ? h.nbytes : -1, false, &slot);
}

/* A key-and-length function entry counted as cmd. */
static __always_inline void on_fn_keyed(struct pt_regs *ctx,
					const struct mctop_site *site,
					enum mctop_cmd cmd)
{
	long key = 0, keylen = 0;
	__u64 slot;

	if (site_arg(ctx, site, MCTOP_SITE_KEY, &key) ||
	    site_arg(ctx, site, MCTOP_SITE_KEYLEN, &keylen))
		return;
	count_event(cmd, (const void *)key, keylen, NO_SIZE, false, &slot);
}

/* do_add_delta(c or t, key, nkey, incr, ...) entry. */
static __always_inline void on_fn_delta(struct pt_regs *ctx,
					const struct mctop_site *site)
{
	long incr = 0;

	if (site_arg(ctx, site, MCTOP_SITE_FLAG, &incr))
		return;
	on_fn_keyed(ctx, site, incr ? MCTOP_CMD_INCR : MCTOP_CMD_DECR);
}

/* The symbol-mode events, out of line from the USDT ones. */
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
	}
	return 0;
}

/*
 * Every site of every traced process runs this.  The section name only
 * tells libbpf the program type: plugin/uprobe_links.c sets the expected
 * attach type (a uprobe_multi link where the kernel has them) before load
 * and attaches it itself.
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
