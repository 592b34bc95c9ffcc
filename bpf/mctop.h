/* SPDX-License-Identifier: MIT */
/*
 * Structures shared between the BPF program (mctop.bpf.c) and user space
 * (attach/ writes the sites and drains the maps, logic/ reads the
 * figures).  Both sides include this one header, so a layout change
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
 * The commands memcached 1.6 fires a USDT probe for, one counter each: the
 * index of the per-command arrays below, and of each command's name in
 * logic/key_fields.c (mctop_cmd_name), which every front end reports by.
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
 * The per-key table: map "slots", one 64-byte slot per key (one cache
 * line) in an mmappable array user space reads as memory, and map
 * "buckets", its index: the slots in groups of MCTOP_BUCKET_SLOTS, each
 * group's states in one 64-byte line (struct mctop_bucket), so an event
 * looks at one or two lines before it touches a slot, and a key without a
 * slot costs those two lines, never a walk through slots.
 *
 * A key's 64-bit hash is keyed by a secret drawn at each load (key_hash.h:
 * SipHash-1-3, so no client can compute which keys collide or share a
 * bucket).  Its high half picks two buckets (mctop_key_buckets); a new key
 * goes to the emptier one ("two choices": 1M keys fill 98 % of 1M slots,
 * one bucket alone would leave ~7 % of them without a slot).  Its low half,
 * odd, is the key's tag in the bucket line, and the whole hash, fp, is in
 * the slot: a tag that matches is checked against fp, so a key is never
 * charged for another.  An event that finds neither its key nor room is
 * counted in key_slot_misses (README, "Health").
 *
 * A tag is its slot's state:
 *   MCTOP_TAG_FREE      empty: the next new key of the bucket claims it
 *   odd                 a key's tag (the low half of its fp)
 *   MCTOP_TAG_DEAD      evicted by user space: programs that were inside may
 *                       still add to it, so it is not reused yet
 *   MCTOP_TAG_RESERVED  kept for a key that turns hot: only a key whose
 *                       knocks reach the bar claims it (admission by
 *                       heat), and only when both its buckets are full
 *   MCTOP_TAG_CLOSED    never used: the buckets' room beyond MaxKeys
 * Only a program turns FREE or RESERVED into a key (compare-and-swap of the
 * tag, which is the claim: two events of one new key cannot both win it),
 * and writes fp after; a slot whose tag matches but whose fp is still 0 is
 * being claimed, and the event counts as a miss.  Only user space turns a
 * key into DEAD, DEAD into FREE or RESERVED after zeroing the slot, and FREE
 * into RESERVED.
 *
 * The knock word of a bucket (map "knocks") is the admission's sketch:
 * the keys of its first-choice bucket that found no slot vote in it (the
 * majority vote: the same key's 16 tag bits add one, another key's
 * take one away and replace it at 0), so a key with more events than all
 * the bucket's other keys without a slot together climbs, and at
 * the bar claims a reserved slot of either bucket.  User space
 * clears it each interval, and keeps a reserved slot in every bucket: a
 * free one, or, once a hot key took it from a full bucket, the slot of the
 * key that did least in the interval, evicted right after its counts were
 * taken (README, "Counters, the top N and keys that come and go").
 *
 * Counts are what happened since user space last took them: it swaps each
 * non-zero one for 0 (an atomic exchange against the programs' atomic
 * adds), so every event is in exactly one interval's figures and user space
 * keeps no copy of a key's counters.  A key does not see 2^32 commands in an
 * interval; value bytes can exceed 4 GiB and are 64-bit.
 */
#define MCTOP_TAG_FREE	   0u
#define MCTOP_TAG_DEAD	   2u
#define MCTOP_TAG_RESERVED 4u
#define MCTOP_TAG_CLOSED   6u
#define MCTOP_BUCKET_SLOTS 16
/* The knocks a key needs: user space sets the bar in the program's .data
 * each interval, doubling it while more than 1 bucket in
 * MCTOP_ADMIT_CHURN had its reserve taken in the interval (a crowd of
 * middling keys taking turns: each admission costs a name and an
 * eviction), halving it while fewer than a quarter of that did.  At most
 * 256: a key with 5 % of 72,000 gets/s still gets there in 70 ms. */
#define MCTOP_ADMIT_KNOCKS_MIN 8
#define MCTOP_ADMIT_KNOCKS_MAX 256
#define MCTOP_ADMIT_CHURN      16

struct mctop_bucket {
	__u32 tag[MCTOP_BUCKET_SLOTS];
};

/* A knock word (map "knocks", one per bucket, apart from the buckets so
 * the votes of keys without a slot do not dirty the lines every event
 * reads): the candidate's 16 tag bits << 16 | its votes. */
#define MCTOP_KNOCK_VOTES 0xffffu

/* A key's two buckets among nbuckets, from its hash's high half: a
 * multiply-shift each (any nbuckets, no power of two), the second from the
 * half's bits mixed so the two are independent; never the same one when
 * there are two.  (A modulo, not a conditional 0: the BPF verifier would
 * follow a constant bucket exactly through the whole look.) */
static inline void mctop_key_buckets(__u64 hash, __u32 nbuckets, __u32 *b1,
				     __u32 *b2)
{
	__u32 hi = (__u32)(hash >> 32);

	*b1 = (__u32)(((__u64)hi * nbuckets) >> 32);
	*b2 = (__u32)(((__u64)(__u32)(hi * 0x9e3779b1u) * nbuckets) >> 32);
	if (*b2 == *b1)
		*b2 = (*b1 + 1) % nbuckets;
}

/* A key's tag: its fp's low half (odd, so never a state). */
static inline __u32 mctop_key_tag(__u64 fp)
{
	return (__u32)fp;
}

/*
 * A key's home: the entry of its first bucket it takes when that is free,
 * and the one an event looks at first, its slot read beside the tag line:
 * a key at home costs one round trip to memory, where a look through the
 * tag line costs two, one after the other (the line, then the slot it
 * names).  For a key without a slot the home's slot is a read for nothing
 * (and a page walk beyond the tag lines' few pages), so the program skips
 * it while more than MCTOP_HOME_MISS_PERCENT of the last interval's
 * events found no slot (user space sets home_first in its .data).
 */
#define MCTOP_HOME_MISS_PERCENT 20

static inline __u32 mctop_key_home(__u32 tag)
{
	return (tag >> 1) % MCTOP_BUCKET_SLOTS;
}

enum mctop_key_count {
	MCTOP_KC_GETS,	 /* command__get / do_item_get with do_update */
	MCTOP_KC_MISSES, /* ... that missed; hits are gets - misses */
	MCTOP_KC_STORES, /* set, add, replace, append, prepend, cas */
	MCTOP_KC_DELETES,
	MCTOP_KC_TOUCHES,
	MCTOP_KC_ARITHS,  /* incr, decr */
	MCTOP_KC_LOOKUPS, /* hash-table lookups of the key */
	MCTOP_KC_NUM,
};

enum mctop_key_bytes {
	MCTOP_KB_TX, /* value bytes of get hits */
	MCTOP_KB_RX, /* value bytes of successful stores */
	MCTOP_KB_NUM,
};

struct mctop_slot {
	__u64 fp;
	__u64 bytes[MCTOP_KB_NUM];
	__u32 count[MCTOP_KC_NUM];
	__u32 objsize;	   /* value length last seen by a get hit or a store */
	__u32 named;	   /* the program sent the key's name (map "names") */
	__u32 last_active; /* user space's: the last interval with events */
};

/* A bucket's slots, the element of map "slots" (mctop.bpf.c says why). */
struct mctop_slot_group {
	struct mctop_slot slot[MCTOP_BUCKET_SLOTS];
};

/* Latency per slot (map "slot_lat", option Latency): the commands naming
 * the key and the nanoseconds charged to it, taken like the counts. */
struct mctop_slot_lat {
	__u64 count;
	__u64 ns;
};

/*
 * A key's bytes, sent once when a program claims a slot for it (ring
 * buffer "names", 16 + len bytes): user space keeps each name at its
 * length, and the hot path never touches it again.  If the ring is full,
 * named stays 0 and the key's next event sends it.  Also the per-CPU
 * scratch space where the key is read and hashed.
 */
struct mctop_name_rec {
	__u64 fp;
	__u32 slot;
	__u32 len;
	__u8 data[MCTOP_KEY_WORDS * 8];
};
#define MCTOP_NAME_REC_HEAD 16

struct mctop_totals {
	__u64 cmds[MCTOP_CMD_COUNT];
	__u64 misses; /* of the gets; hits are gets - misses (key_fields.c) */
	__u64 rx_bytes;
	__u64 tx_bytes;
	__u64 lookups;
	__u64 key_slot_misses; /* events not counted per key: map full or a
				  hash collision */
	__u64 bad_keys; /* events whose key was empty, too long or unreadable */
	__u64 key_looks; /* events that looked for their key's slot (the share
			    of them in key_slot_misses sets home_first) */
};

/*
 * Latency, from process__command__start to the command's end (the end probe
 * or the connection's next start).  One histogram per command type, indexed
 * by enum mctop_cmd; commands that fired no command probe (stats, version,
 * text touch, ...) go to the extra slot MCTOP_LAT_OTHER, never to a key.
 */
#define MCTOP_LAT_OTHER MCTOP_CMD_COUNT
#define MCTOP_LAT_SLOTS (MCTOP_CMD_COUNT + 1)

/*
 * Buckets: log2 of the nanoseconds, each power of two split in four
 * (MCTOP_LAT_SUB linear steps), so a bucket is at most 25% wide: p99 of
 * 9 us and of 12 us land in different buckets, which plain log2 (100% wide)
 * cannot tell apart.  Values 0..3 get a bucket each; bucket i >= 4 holds
 * [(4 + i % 4) << (i / 4 - 1), (5 + i % 4) << (i / 4 - 1)).  160 buckets
 * reach 2^41 ns (36 minutes); the last one also takes anything longer.
 * 1,280 bytes per command type and CPU.
 */
#define MCTOP_LAT_SUB_BITS 2
#define MCTOP_LAT_SUB	   (1 << MCTOP_LAT_SUB_BITS)
#define MCTOP_LAT_BUCKETS  160

struct mctop_lat_hist {
	__u64 bucket[MCTOP_LAT_BUCKETS];
};

/* floor(log2(v)) for v > 0, without a loop the verifier must unroll. */
static inline __u32 mctop_log2(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xffffffffULL) << 5;
	v >>= shift;
	r |= shift;
	shift = (v > 0xffff) << 4;
	v >>= shift;
	r |= shift;
	shift = (v > 0xff) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xf) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	return r | (__u32)(v >> 1);
}

/* The bucket of a latency of ns nanoseconds. */
static inline __u32 mctop_lat_bucket(__u64 ns)
{
	__u32 e, i;

	if (ns < MCTOP_LAT_SUB)
		return (__u32)ns;
	e = mctop_log2(ns);
	i = ((e - MCTOP_LAT_SUB_BITS + 1) << MCTOP_LAT_SUB_BITS) |
	    (__u32)((ns >> (e - MCTOP_LAT_SUB_BITS)) & (MCTOP_LAT_SUB - 1));
	return i < MCTOP_LAT_BUCKETS ? i : MCTOP_LAT_BUCKETS - 1;
}

/*
 * A connection as the kernel side sees it: memcached runs each connection
 * on one worker thread for its whole life, so (thread, fd) names it, and
 * commands of other connections or threads never share its entry.
 */
struct mctop_conn_id {
	__u64 pid_tgid;
	__u32 fd; /* the probes' connid: c->sfd */
	__u32 pad;
};

/* The command in flight on a connection (map "inflight"). */
struct mctop_inflight {
	__u64 start_ns;	   /* process__command__start; 0: none in flight */
	__u64 last_ns;	   /* start, then each command probe of the command */
	__u64 key_slot;	   /* 1 + the last key's slot, 0 if none */
	__u64 fingerprint; /* ... and its fingerprint, to check the slot */
	__u32 cmd;	   /* enum mctop_cmd of the first command probe */
	__u32 keys;	   /* command probes fired so far */
};

/*
 * Attach sites.  Every probe hit runs one program, which learns from the
 * hit's BPF cookie which site it is: an index into the map "sites", where
 * user space wrote, before attaching, what the site reports (the event) and
 * where each of its arguments lives.  mctop resolves the sites itself (the
 * probes' notes, or memcached's functions in symbol mode) and puts its own
 * uprobes there (attach/probes.c): where the kernel has uprobe_multi links
 * (Linux 6.6+), one link per traced process whatever the number of probes
 * (two in symbol mode: entries and returns), which detaches in one kernel
 * grace period, where a perf-event link per uprobe (what older kernels
 * still get, attach/uprobe_links.h) took ~110 ms each (README, "Following
 * memcached in production").
 */
enum mctop_event {
	/* MCTOP_EV_CMD + enum mctop_cmd: a command probe of that command */
	MCTOP_EV_CMD = 0,
	MCTOP_EV_LOOKUP = MCTOP_CMD_COUNT, /* a hash-table lookup of a key */
	MCTOP_EV_CMD_START,		   /* a command starts (latency) */
	MCTOP_EV_CMD_END,		   /* a batch of replies is ready */
	/* Symbol mode: memcached's own functions (logic/symbol_sites.c) */
	MCTOP_EV_FN_GET,       /* do_item_get entry: key, keylen, do_update */
	MCTOP_EV_FN_GET_RET,   /* do_item_get return: the item or NULL */
	MCTOP_EV_FN_TOUCH,     /* do_item_touch or item_touch entry */
	MCTOP_EV_FN_STORE,     /* do_store_item or store_item entry: it, comm */
	MCTOP_EV_FN_STORE_RET, /* its return: stored or not */
	MCTOP_EV_FN_DELTA,     /* do_add_delta entry: key, keylen, incr */
	MCTOP_EV_FN_UNLINK,    /* do_item_unlink entry: it (maybe a delete) */
	MCTOP_EV_FN_UNLINK_NOT_DELETE, /* item_unlink entry: it, never one */
	MCTOP_EV_COUNT,
};

/* How one argument is found when the site is hit. */
enum mctop_arg_kind {
	MCTOP_ARG_NONE,	     /* the site does not pass it */
	MCTOP_ARG_CONST,     /* the value is val_off itself */
	MCTOP_ARG_REG,	     /* in the register at reg_off in pt_regs */
	MCTOP_ARG_REG_DEREF, /* in memory at that register + val_off */
};

struct mctop_arg_spec {
	__s64 val_off;
	__u16 reg_off; /* offsetof(struct pt_regs, reg) */
	__u8 kind;     /* enum mctop_arg_kind */
	__u8 shift;    /* 64 - 8 * the argument's size in bytes */
	__u8 is_signed;
	__u8 pad[3];
};

/*
 * A site's arguments in a fixed order, whatever order the probe or function
 * passes them in: user space puts each where the program looks for it.
 */
enum mctop_site_arg {
	MCTOP_SITE_CONNID, /* the connection (c->sfd), for latency */
	MCTOP_SITE_KEY,	   /* address of the key bytes */
	MCTOP_SITE_KEYLEN,
	MCTOP_SITE_SIZE, /* value length incl. "\r\n"; -1: a get miss; a
			    function's return value */
	MCTOP_SITE_FLAG, /* a function's do_update, incr or store command */
	MCTOP_SITE_ARGS,
};

struct mctop_site {
	__u32 event; /* enum mctop_event */
	/* Symbol mode: the item's it_flags are the 16 bits at 38 shifted
	 * right by this: 0, or 8 for 1.5.0-1.5.14, whose 8-bit it_flags at 39
	 * follow a uint8_t nsuffix (logic/symbol_sites.c). */
	__u8 item_flags_shift;
	__u8 pad[3];
	struct mctop_arg_spec arg[MCTOP_SITE_ARGS];
};

/*
 * memcached's item (struct _stritem in memcached.h) in every release
 * symbol mode accepts (1.5.0-1.6.45): the value length with its "\r\n",
 * the flags, the key length, and the key, after the CAS value when the
 * item has one.  Only the flags moved: a uint16_t at 38 from 1.5.15, a
 * uint8_t at 39 before (after a uint8_t nsuffix; the site's
 * item_flags_shift says which).
 */
#define MCTOP_ITEM_HEAD_OFF 32
#define MCTOP_ITEM_DATA_OFF 48
#define MCTOP_ITEM_CAS_FLAG 2 /* ITEM_CAS: a uint64_t before the key */

/* The item's bytes 32..41, read in one go. */
struct mctop_item_head {
	__s32 nbytes; /* int nbytes */
	__u16 refcount;
	__u16 it_flags; /* 1.5.0-1.5.14: nsuffix, then an 8-bit it_flags */
	__u8 slabs_clsid;
	__u8 nkey;
};

/* do_store_item's result that means stored (enum store_item_type). */
#define MCTOP_STORE_STORED 1

/* A thread's function calls in flight (symbol mode; map "pending"). */
struct mctop_pending {
	__u64 get_key; /* do_item_get's key, 0 when none is in flight */
	__u64 store_item;
	/* The item the thread's last do_item_get returned without do_update,
	 * outside a store or arithmetic: what a delete unlinks next. */
	__u64 delete_item;
	__u32 get_keylen;
	__u8 get_update; /* do_update */
	__u8 get_touch;	 /* called by do_item_touch */
	__u8 store_cmd;	 /* enum mctop_cmd of the store in flight */
	/* MCTOP_PENDING_*: what the do_item_get in flight is part of */
	__u8 get_for;
};

/* do_add_delta has been entered: the thread's next do_item_get is its. */
#define MCTOP_PENDING_DELTA 1
/* The do_item_get in flight may be a delete's: no store or arithmetic is. */
#define MCTOP_PENDING_MAY_DELETE 2

/*
 * Sites per instance: a traced memcached 1.6 uses about 40, so this holds
 * dozens of processes at once, attached or waiting to be detached.  An
 * attach that finds no free site waits for the detaching to catch up.
 */
#define MCTOP_SITES_MAX 1024

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(struct mctop_arg_spec) == 16, "mctop_arg_spec layout");
_Static_assert(sizeof(struct mctop_site) == 8 + 16 * MCTOP_SITE_ARGS,
	       "mctop_site layout");
_Static_assert(__builtin_offsetof(struct mctop_site, item_flags_shift) == 4,
	       "mctop_site's item_flags_shift in the former pad");
_Static_assert(sizeof(struct mctop_pending) == 32, "mctop_pending layout");
/* 10 bytes padded to 12: still inside the item's 48-byte header. */
_Static_assert(sizeof(struct mctop_item_head) == 12, "mctop_item_head");
_Static_assert(__builtin_offsetof(struct mctop_item_head, it_flags) == 6 &&
		   __builtin_offsetof(struct mctop_item_head, nkey) == 9,
	       "the item's it_flags at 38, nkey at 41");
_Static_assert(sizeof(struct mctop_slot) == 64, "a slot is one cache line");
_Static_assert(sizeof(struct mctop_bucket) == 64, "a bucket is one cache line");
_Static_assert(sizeof(struct mctop_slot_lat) == 16, "mctop_slot_lat layout");
_Static_assert(__builtin_offsetof(struct mctop_name_rec, data) ==
		   MCTOP_NAME_REC_HEAD,
	       "mctop_name_rec layout");
_Static_assert(sizeof(struct mctop_totals) == 18 * 8, "mctop_totals layout");
_Static_assert(sizeof(struct mctop_conn_id) == 16, "mctop_conn_id layout");
_Static_assert(sizeof(struct mctop_inflight) == 5 * 8, "mctop_inflight layout");
_Static_assert(sizeof(struct mctop_lat_hist) == MCTOP_LAT_BUCKETS * 8,
	       "mctop_lat_hist layout");
#endif

#endif /* MCTOP_H */
