/*
 * mctop: reading the kernel's key table on each interval.
 *
 * The table (maps "slots" and "buckets", see mctop.h) is mmapped and read
 * as memory: no system call per key.  Each live key's counts are taken
 * (swapped for 0), so the interval gets exactly what the key did since the
 * last one; new keys' names arrive once each through the ring buffer
 * "names".  The drain only yields slot records (mctop_drain_next) and
 * decides eviction; what a key is called and whether it is shown is the
 * interval's (interval.h).  It reads the table a bucket at a time, and
 * evicts in three steps no program can see half of: a key becomes DEAD, the
 * next interval (when no program can still be inside it) its slot is zeroed
 * and made FREE, or RESERVED while the table is full.  Keys go when idle
 * for MCTOP_IDLE_GENERATIONS while the table is full, and, in a full
 * bucket, the one that did least in the interval goes right after its
 * counts were taken, so every bucket keeps a reserved slot for a key that
 * turns hot (admission by heat, mctop.h).
 */
#ifndef MCTOP_DRAIN_H
#define MCTOP_DRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "key_fields.h"
#include "mctop.h"

/* A key idle for this many whole intervals may be evicted when the table
 * is nearly full.  More than collectd's default Timeout (2 intervals), so
 * the key's old series has expired in collectd's cache before a
 * re-admitted key restarts its counters from zero. */
#define MCTOP_IDLE_GENERATIONS 3

/* The table is full (idle keys go) once this share of MaxKeys is live
 * (percent), or when an event found no slot. */
#define MCTOP_EVICT_FILL_PERCENT 90

struct ring_buffer;

/* The table's slots for MaxKeys: whole buckets, MaxKeys keys in all but
 * one slot of each (the reserved one; drain.c closes what is left over), and
 * at least two buckets. */
size_t mctop_table_slots(unsigned max_keys);

/* Its buckets. */
size_t mctop_table_buckets(size_t nslots);

/* The names ring's bytes for MaxKeys: 8 bytes a key (a typical name
 * record takes 40-60), so a table's worth of new keys is named over a few
 * intervals (which bounds the drain of an interval of many new keys), a few
 * thousand an interval at the smallest; a key whose record did not fit
 * sends it at its first event after the ring was read. */
uint32_t mctop_names_ring_bytes(size_t max_keys);

/* What the drain yields, one slot at a time (mctop_drain_next). */
typedef enum {
  MCTOP_REC_NAME, /* a new key's name arrived for slot */
  MCTOP_REC_KEY,  /* a live key's interval: what it did, taken */
  MCTOP_REC_GONE, /* slot's key was evicted, or its slot recycled: forget
                     what user space keeps for it */
} mctop_rec_kind_t;

typedef struct {
  mctop_rec_kind_t kind;
  uint32_t slot;
  /* MCTOP_REC_NAME: the key's bytes, valid until the next call. */
  const uint8_t *name;
  size_t len;
  /* MCTOP_REC_KEY: */
  uint64_t id;                /* the key's fingerprint */
  bool active;                /* it had events in the interval */
  bool name_sent;             /* the program sent its name record */
  mctop_key_interval_t iv;    /* what it did (all 0 if not active) */
  uint64_t lat_count, lat_ns; /* its timed commands */
} mctop_slot_rec_t;

typedef struct {
  size_t tracked;  /* live keys after the drain */
  size_t active;   /* keys with events in the interval */
  size_t evicted;  /* keys retired to make room: idle, or the coldest of a
                      full bucket */
  size_t reserved; /* slots kept for keys that turn hot */
  size_t admitted; /* buckets whose reserve a hot key took since the last */
} mctop_drain_result_t;

/* The table's maps (file descriptors): lat < 0 without Latency. */
typedef struct {
  int slots, buckets, knocks, lat, names;
} mctop_table_fds_t;

/* The table's memory: the kernel's maps, mmapped, or the unit tests'. */
typedef struct {
  struct mctop_slot *slots;
  struct mctop_bucket *buckets;
  __u32 *knocks;
  struct mctop_slot_lat *lat; /* its latency (Latency), or NULL */
  size_t nslots;              /* nbuckets * MCTOP_BUCKET_SLOTS */
  size_t max_keys;            /* MaxKeys: the keys it holds at most */
} mctop_table_t;

typedef struct {
  struct mctop_slot *slots;
  struct mctop_bucket *buckets;
  __u32 *knocks;
  struct mctop_slot_lat *lat;
  size_t nslots, nbuckets, max_keys;
  size_t lens[4]; /* bytes mapped of each (0: not ours) */
  uint8_t *flags; /* per slot: name yielded, watched (drain.c) */
  struct ring_buffer *names;
  volatile __u32 *names_full; /* the program's flag (mmapped .bss), or NULL */
  /* The program's admission bar (mmapped .data), or NULL; and its value. */
  volatile __u32 *admit_knocks_at;
  __u32 admit_knocks;
  /* The program's home_first (mmapped .data, mctop.h), or NULL. */
  volatile __u32 *home_first_at;
  /* Name records read from the ring, not yielded yet: [slot u32][len u8]
   * [bytes][NUL], from queue_head to queue_len (drain.c). */
  uint8_t *queue;
  size_t queue_len, queue_head;
  bool ring_more;        /* the ring was left with records in it */
  size_t peek, peek_gap; /* a record peek_gap records past the head */
  uint32_t interval_no;  /* the interval being drained, from 1 */
  size_t scan;           /* buckets left to scan, counting down */
  bool full;             /* idle keys go (MCTOP_EVICT_FILL_PERCENT) */
  /* The records of the bucket scanned last, yielded after the names read
   * while it was scanned. */
  mctop_slot_rec_t pend[MCTOP_BUCKET_SLOTS];
  size_t pend_num, pend_next;
  size_t live;                 /* live keys after the last drain */
  uint64_t slot_misses;        /* key_slot_misses at the last drain */
  uint64_t key_looks;          /* key_looks at the last drain */
  mctop_drain_result_t result; /* the interval's, once drained */
} mctop_drain_t;

/* Maps the table (nslots slots) and its latency array (without it: lat
 * < 0), and opens the names ring.  0 or -errno. */
int mctop_drain_open(mctop_drain_t *d, const mctop_table_fds_t *fds,
                     size_t nslots, size_t max_keys);

/* The same over a table in memory the caller owns, without a names ring
 * (names then come only through mctop_drain_put_name): the unit tests'. */
int mctop_drain_use(mctop_drain_t *d, const mctop_table_t *t);

/* A name record as the ring would bring it: the unit tests' names ring
 * (-ENOSPC once 64 KiB of names wait). */
int mctop_drain_put_name(mctop_drain_t *d, uint32_t slot, const uint8_t *key,
                         size_t len);

void mctop_drain_close(mctop_drain_t *d);

/* Sums the per-CPU totals. */
int mctop_read_totals(int map_fd, struct mctop_totals *sum);

/*
 * One interval, in three calls: begin, then next until it returns false.
 * Yields every new name (before the first record of its slot), every
 * active key and every watched idle one (mctop_drain_watch), and every slot
 * whose key went.
 * totals are the ones just read (before the keys): a rise of their
 * key_slot_misses asks for eviction.  d->result holds the counts after.
 */
void mctop_drain_begin(mctop_drain_t *d, const struct mctop_totals *totals);
bool mctop_drain_next(mctop_drain_t *d, mctop_slot_rec_t *rec);

/* The slot of the name `ahead` records after the next one yielded, or
 * SIZE_MAX: lets the caller fetch its own record for that slot early (a
 * burst of new names is a cache miss each, in slot order they are not). */
size_t mctop_drain_next_name_slot(mctop_drain_t *d, size_t ahead);

/* Yield slot's key next interval even if it is idle (a key sent this
 * interval is sent once more when it goes idle); an idle key is otherwise
 * not yielded, only counted as tracked. */
void mctop_drain_watch(mctop_drain_t *d, uint32_t slot);

/* A key yielded with name_sent whose name user space does not hold (the
 * record was dropped, or could not be kept): its next event sends it
 * again. */
void mctop_drain_ask_name(mctop_drain_t *d, uint32_t slot);

/* Bytes of user-space state per slot, for the memory figures. */
size_t mctop_drain_bytes(const mctop_drain_t *d);

#endif /* MCTOP_DRAIN_H */
