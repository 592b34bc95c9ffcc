/*
 * mctop: reading the kernel's key table (see drain.h).
 */
#include "drain.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

_Static_assert(sizeof(struct mctop_totals) % sizeof(__u64) == 0,
               "totals are summed as an array of __u64");

size_t mctop_table_slots(unsigned max_keys) {
  size_t keys_per_bucket = MCTOP_BUCKET_SLOTS - 1;
  size_t n = (max_keys + keys_per_bucket - 1) / keys_per_bucket;
  return (n < 2 ? 2 : n) * MCTOP_BUCKET_SLOTS;
}

size_t mctop_table_buckets(size_t nslots) {
  return nslots / MCTOP_BUCKET_SLOTS;
}

uint32_t mctop_names_ring_bytes(size_t max_keys) {
  size_t want = max_keys * 8, n = 256 << 10;
  while (n < want && n < (64u << 20))
    n *= 2;
  return (uint32_t)n;
}

static size_t page_round(size_t n) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  return (n + page - 1) / page * page;
}

static void *map_table(int fd, size_t len) {
  void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  return p == MAP_FAILED ? NULL : p;
}

/*
 * Writes every page of a mapped table once, now, rather than in the first
 * interval that takes many new keys: there each page's first write by this
 * process is a fault (under shadow paging, a hypervisor exit: 6 us a page
 * on the 2-core test VM, 96 ms for a million slots' 64 MiB, all of it in
 * the burst's first drain).  An atomic add of 0 to the page's first u32
 * (no map has a smaller field): a program adding to or claiming it at the
 * same moment loses nothing.
 */
static void touch_pages(void *p, size_t len) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  for (size_t off = 0; off < len; off += page)
    __atomic_fetch_add((__u32 *)((uint8_t *)p + off), 0, __ATOMIC_RELAXED);
}

/* What the drain keeps per slot (d->flags). */
enum {
  SLOT_NAME_YIELDED = 1, /* the key's name went up: no need to read the ring
                            for it mid-scan */
  SLOT_WATCHED = 2,      /* yield its record next interval even if idle */
};

/* A name record, queued until it is yielded: the ring's callback cannot
 * hand it up (the interval is above the drain), and a record in the ring is
 * gone once the callback returns. */
#define QUEUE_HEAD 5 /* slot (u32), then len (u8), then the key's bytes */
/* and a NUL after them: the bytes are the key (NUL is a valid byte in it),
 * but a C string reader that overreads (regexec's sanitizer interceptor,
 * for one, though REG_STARTEND bounds the match) stops in the record. */

/* The queue's size: a few thousand names at a time.  The ring is read in
 * chunks of this (it is stopped once a largest record might not fit), so a
 * burst of a million new names goes through the same 64 KiB, touched once,
 * rather than a ring's worth of fresh pages. */
#define QUEUE_CAP (64u << 10)
#define QUEUE_REC_MAX (QUEUE_HEAD + MCTOP_KEY_MAX + 1)

int mctop_drain_put_name(mctop_drain_t *d, uint32_t slot, const uint8_t *key,
                         size_t len) {
  if (slot >= d->nslots || len > MCTOP_KEY_MAX)
    return -EINVAL;
  size_t need = d->queue_len + QUEUE_HEAD + len + 1;
  if (need > QUEUE_CAP)
    return -ENOSPC;
  uint8_t *r = d->queue + d->queue_len;
  memcpy(r, &slot, sizeof(slot));
  r[4] = (uint8_t)len;
  memcpy(r + QUEUE_HEAD, key, len);
  r[QUEUE_HEAD + len] = '\0';
  d->queue_len = need;
  d->flags[slot] |= SLOT_NAME_YIELDED;
  return 0;
}

/*
 * A name record from the ring.  Its slot's line is not read here (a cache
 * miss per new key, the drain's largest cost in an interval of many new
 * keys): a record can be older than its slot's eviction only if it was
 * sent the moment the slot died, and the interval drops a dead slot's name
 * when the scan recycles it (MCTOP_REC_GONE), in this very drain.
 */
static int take_name(void *ctx, void *data, size_t size) {
  mctop_drain_t *d = ctx;
  const struct mctop_name_rec *r = data;
  if (size < MCTOP_NAME_REC_HEAD || r->slot >= d->nslots ||
      r->len > MCTOP_KEY_MAX || MCTOP_NAME_REC_HEAD + (size_t)r->len > size)
    return 0;
  mctop_drain_put_name(d, r->slot, r->data, r->len);
  if (QUEUE_CAP - d->queue_len >= QUEUE_REC_MAX)
    return 0;
  d->ring_more = true; /* the rest once these are yielded */
  return -ENOSPC;
}

/*
 * A new table's layout: each bucket's last slots CLOSED so the table holds
 * MaxKeys keys exactly (its buckets have room for a few more), and one
 * slot RESERVED below them.  Before any program runs: no race.
 */
static void lay_out(mctop_drain_t *d, size_t max_keys) {
  size_t keys_per_bucket = MCTOP_BUCKET_SLOTS - 1;
  size_t room = d->nbuckets * keys_per_bucket;
  size_t closed = room > max_keys ? room - max_keys : 0;
  for (size_t b = 0; b < d->nbuckets; b++) {
    size_t n = closed / d->nbuckets + (b < closed % d->nbuckets);
    __u32 *tag = d->buckets[b].tag;
    size_t j = MCTOP_BUCKET_SLOTS;
    while (n-- > 0 && j > 1)
      tag[--j] = MCTOP_TAG_CLOSED;
    tag[j - 1] = MCTOP_TAG_RESERVED;
  }
}

int mctop_drain_use(mctop_drain_t *d, const mctop_table_t *t) {
  d->slots = t->slots;
  d->buckets = t->buckets;
  d->knocks = t->knocks;
  d->lat = t->lat;
  d->nslots = t->nslots;
  d->nbuckets = mctop_table_buckets(t->nslots);
  d->max_keys = t->max_keys;
  d->admit_knocks = MCTOP_ADMIT_KNOCKS_MIN;
  d->flags = calloc(t->nslots, sizeof(*d->flags));
  d->queue = malloc(QUEUE_CAP);
  if (d->flags == NULL || d->queue == NULL)
    return -ENOMEM;
  lay_out(d, t->max_keys);
  return 0;
}

int mctop_drain_open(mctop_drain_t *d, const mctop_table_fds_t *fds,
                     size_t nslots, size_t max_keys) {
  memset(d, 0, sizeof(*d));
  size_t nbuckets = mctop_table_buckets(nslots);
  const int fd[4] = {fds->slots, fds->buckets, fds->knocks, fds->lat};
  const size_t len[4] = {
      page_round(nslots * sizeof(struct mctop_slot)),
      page_round(nbuckets * sizeof(struct mctop_bucket)),
      page_round(nbuckets * sizeof(__u32)),
      page_round(nslots * sizeof(struct mctop_slot_lat)),
  };
  void *map[4] = {NULL};
  int err = 0;
  for (int i = 0; i < 4 && err == 0; i++) {
    if (fd[i] < 0)
      continue;
    map[i] = map_table(fd[i], len[i]);
    err = map[i] == NULL ? -errno : 0;
  }
  if (err == 0)
    err = mctop_drain_use(d, &(mctop_table_t){.slots = map[0],
                                              .buckets = map[1],
                                              .knocks = map[2],
                                              .lat = map[3],
                                              .nslots = nslots,
                                              .max_keys = max_keys});
  for (int i = 0; i < 4 && err == 0; i++)
    if (map[i] != NULL)
      touch_pages(map[i], len[i]);
  /* Whatever was mapped is ours to unmap, on failure too. */
  d->slots = map[0];
  d->buckets = map[1];
  d->knocks = map[2];
  d->lat = map[3];
  for (int i = 0; i < 4; i++)
    d->lens[i] = map[i] != NULL ? len[i] : 0;
  if (err == 0) {
    d->names = ring_buffer__new(fds->names, take_name, d, NULL);
    err = d->names == NULL ? -errno : 0;
  }
  if (err != 0) {
    mctop_drain_close(d);
    return err;
  }
  return 0;
}

void mctop_drain_close(mctop_drain_t *d) {
  free(d->flags);
  free(d->queue);
  ring_buffer__free(d->names);
  void *map[4] = {d->slots, d->buckets, d->knocks, d->lat};
  for (int i = 0; i < 4; i++)
    if (d->lens[i] != 0)
      munmap(map[i], d->lens[i]);
  memset(d, 0, sizeof(*d));
}

int mctop_read_totals(int map_fd, struct mctop_totals *sum) {
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0)
    return ncpu < 0 ? ncpu : -EINVAL;
  struct mctop_totals *percpu = calloc((size_t)ncpu, sizeof(*percpu));
  if (percpu == NULL)
    return -ENOMEM;
  __u32 zero = 0;
  int err = bpf_map_lookup_elem(map_fd, &zero, percpu);
  if (err == 0) {
    __u64 *out = (__u64 *)sum;
    const size_t n = sizeof(*sum) / sizeof(__u64);
    memset(sum, 0, sizeof(*sum));
    for (int c = 0; c < ncpu; c++)
      for (size_t i = 0; i < n; i++)
        out[i] += ((const __u64 *)&percpu[c])[i];
  } else {
    err = -errno;
  }
  free(percpu);
  return err;
}

/* A counter's value since it was last taken, leaving 0 for the programs to
 * add to.  A plain load first: most counters of most keys are 0, and an
 * atomic exchange would dirty the line for nothing. */
static uint64_t take32(__u32 *c) {
  if (__atomic_load_n(c, __ATOMIC_RELAXED) == 0)
    return 0;
  return __atomic_exchange_n(c, 0, __ATOMIC_RELAXED);
}

static uint64_t take64(__u64 *c) {
  if (__atomic_load_n(c, __ATOMIC_RELAXED) == 0)
    return 0;
  return __atomic_exchange_n(c, 0, __ATOMIC_RELAXED);
}

/* Takes slot i's interval into iv (and its latency); true if it had any
 * event. */
static bool take_slot(mctop_drain_t *d, size_t i, mctop_key_interval_t *iv,
                      uint64_t *lat_count, uint64_t *lat_ns) {
  struct mctop_slot *sl = &d->slots[i];
  uint64_t any = 0;
  for (int c = 0; c < MCTOP_KC_NUM; c++)
    any |= iv->count[c] = take32(&sl->count[c]);
  for (int b = 0; b < MCTOP_KB_NUM; b++)
    any |= iv->bytes[b] = take64(&sl->bytes[b]);
  iv->objsize = __atomic_load_n(&sl->objsize, __ATOMIC_RELAXED);
  *lat_count = *lat_ns = 0;
  if (d->lat != NULL) {
    *lat_count = take64(&d->lat[i].count);
    *lat_ns = take64(&d->lat[i].ns);
    any |= *lat_ns;
  }
  return any != 0;
}

/* Slot i's tag in its bucket's line. */
static __u32 *tag_of(mctop_drain_t *d, size_t i) {
  return &d->buckets[i / MCTOP_BUCKET_SLOTS].tag[i % MCTOP_BUCKET_SLOTS];
}

/* A live key retired: DEAD, unless its slot changed hands a moment ago.
 * Programs inside it may still add to it (those events are in the totals,
 * so in "other"); the slot is reused only once the next interval recycles
 * it. */
static bool evict(mctop_drain_t *d, size_t i, __u32 tag) {
  __u32 expect = tag;
  if (!__atomic_compare_exchange_n(tag_of(d, i), &expect, MCTOP_TAG_DEAD, false,
                                   __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
    return false;
  d->flags[i] = 0;
  d->result.evicted++;
  return true;
}

/* A DEAD slot, an interval after it was retired: no program is inside it
 * any more, so its leftovers are cleared (fp too: a claimed slot's fp is 0
 * until the claiming program writes it) and the slot offered again: to a
 * key that turns hot if its bucket has no reserved slot, to any new key
 * otherwise. */
static void recycle(mctop_drain_t *d, size_t i, bool reserve) {
  struct mctop_slot *sl = &d->slots[i];
  memset(sl, 0, sizeof(*sl));
  if (d->lat != NULL)
    d->lat[i] = (struct mctop_slot_lat){0};
  d->flags[i] = 0;
  __atomic_store_n(tag_of(d, i), reserve ? MCTOP_TAG_RESERVED : MCTOP_TAG_FREE,
                   __ATOMIC_RELEASE);
}

/* Queues the name records in the ring, as many as the queue takes. */
static void read_names(mctop_drain_t *d) {
  d->ring_more = false;
  if (d->names != NULL)
    ring_buffer__consume(d->names);
}

/* Whether the program reads a key's home slot first (mctop.h,
 * MCTOP_HOME_MISS_PERCENT): not while most of the last interval's events
 * found no slot.  An idle interval changes nothing. */
static void tune_home(mctop_drain_t *d, const struct mctop_totals *totals) {
  uint64_t looks = totals->key_looks - d->key_looks;
  uint64_t misses = totals->key_slot_misses - d->slot_misses;
  if (d->home_first_at == NULL || looks == 0)
    return;
  __atomic_store_n(d->home_first_at,
                   misses * 100 <= looks * MCTOP_HOME_MISS_PERCENT,
                   __ATOMIC_RELAXED);
}

void mctop_drain_begin(mctop_drain_t *d, const struct mctop_totals *totals) {
  memset(&d->result, 0, sizeof(d->result));
  d->interval_no++;
  d->full = d->live * 100 >= d->max_keys * MCTOP_EVICT_FILL_PERCENT ||
            totals->key_slot_misses > d->slot_misses;
  tune_home(d, totals);
  d->slot_misses = totals->key_slot_misses;
  d->key_looks = totals->key_looks;
  read_names(d);
  /* The ring has room again: keys not named yet may send their names. */
  if (d->names_full != NULL)
    __atomic_store_n(d->names_full, 0, __ATOMIC_RELEASE);
  d->scan = d->nbuckets;
  d->pend_num = d->pend_next = 0;
}

/* The next queued name, if any; the next chunk of the ring once the queue
 * is spent. */
static bool next_name(mctop_drain_t *d, mctop_slot_rec_t *rec) {
  if (d->queue_head == d->queue_len) {
    if (d->queue_len == 0 && !d->ring_more)
      return false;
    d->queue_head = d->queue_len = d->peek = d->peek_gap = 0;
    if (d->ring_more)
      read_names(d);
    if (d->queue_len == 0)
      return false;
  }
  const uint8_t *r = d->queue + d->queue_head;
  *rec = (mctop_slot_rec_t){.kind = MCTOP_REC_NAME};
  memcpy(&rec->slot, r, sizeof(rec->slot));
  rec->len = r[4];
  rec->name = r + QUEUE_HEAD;
  d->queue_head += QUEUE_HEAD + rec->len + 1;
  if (d->peek_gap > 0)
    d->peek_gap--;
  else
    d->peek = d->queue_head;
  return true;
}

/* What the key in slot i did so far in the interval, read without taking
 * it: the measure of "least" when a full bucket makes room. */
static uint64_t heat(const mctop_drain_t *d, size_t i) {
  uint64_t n = 0;
  for (int c = 0; c < MCTOP_KC_NUM; c++)
    if (c != MCTOP_KC_MISSES)
      n += __atomic_load_n(&d->slots[i].count[c], __ATOMIC_RELAXED);
  return n;
}

/* Slot i, a key's (its tag says so, or it was retired a moment ago to make
 * room: leaving): its interval, or its eviction when idle.  False: nothing
 * to yield (an idle key no one asked to see, or a slot whose claiming
 * program has not written its fp yet). */
static bool drain_live(mctop_drain_t *d, size_t i, __u32 tag, bool leaving,
                       mctop_slot_rec_t *rec) {
  struct mctop_slot *sl = &d->slots[i];
  __u64 fp = __atomic_load_n(&sl->fp, __ATOMIC_ACQUIRE);
  if (fp == 0)
    return false; /* being claimed: its first events come next interval */
  /* A key claimed since the ring was read: its record is in the ring (a
   * program sends it before it marks the slot), so read it now and charge
   * the key's events to it rather than to "other". */
  bool name_sent = __atomic_load_n(&sl->named, __ATOMIC_ACQUIRE) != 0;
  if (name_sent && !(d->flags[i] & SLOT_NAME_YIELDED))
    read_names(d);
  bool yield = true;
  if (take_slot(d, i, &rec->iv, &rec->lat_count, &rec->lat_ns)) {
    sl->last_active = d->interval_no;
    d->result.active++;
    rec->active = true;
  } else if (!leaving && d->full &&
             sl->last_active + MCTOP_IDLE_GENERATIONS <= d->interval_no &&
             evict(d, i, tag)) {
    rec->kind = MCTOP_REC_GONE;
    rec->slot = (uint32_t)i;
    return true;
  } else {
    yield = (d->flags[i] & SLOT_WATCHED) != 0;
    rec->active = false;
  }
  d->result.tracked += !leaving;
  if (!yield)
    return false;
  d->flags[i] &= (uint8_t)~SLOT_WATCHED; /* one interval's worth */
  rec->kind = MCTOP_REC_KEY;
  rec->slot = (uint32_t)i;
  rec->id = fp;
  rec->name_sent = name_sent;
  return true;
}

/* Sets slot i's tag to want if it still is expect. */
static bool retag(mctop_drain_t *d, size_t i, __u32 expect, __u32 want) {
  return __atomic_compare_exchange_n(tag_of(d, i), &expect, want, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

/*
 * Bucket b keeps a reserved slot for a key that turns hot: it has one, or
 * a dead one is recycled as it, or a free one is set aside.  With none of
 * these (a hot key took the reserve), the key that did least so far this
 * interval gives up its slot: it is retired first and its counts taken
 * after, so what it did up to the moment it went is in this interval's
 * figures.  The slot index retired, or SIZE_MAX.
 */
static size_t keep_reserve(mctop_drain_t *d, size_t b, size_t *nreserved) {
  size_t free_at = SIZE_MAX, dead = 0, coldest = SIZE_MAX;
  uint64_t least = 0;
  uint32_t since = 0;
  __u32 coldest_tag = 0;
  for (size_t j = 0; j < MCTOP_BUCKET_SLOTS; j++) {
    size_t i = b * MCTOP_BUCKET_SLOTS + j;
    __u32 tag = __atomic_load_n(tag_of(d, i), __ATOMIC_ACQUIRE);
    *nreserved += tag == MCTOP_TAG_RESERVED;
    dead += tag == MCTOP_TAG_DEAD;
    if (tag == MCTOP_TAG_FREE)
      free_at = i;
    if (!(tag & 1) || d->slots[i].fp == 0)
      continue;
    uint64_t h = heat(d, i);
    uint32_t last = d->slots[i].last_active;
    if (coldest == SIZE_MAX || h < least || (h == least && last < since)) {
      coldest = i;
      least = h;
      since = last;
      coldest_tag = tag;
    }
  }
  if (*nreserved > 0 || dead > 0)
    return SIZE_MAX;
  d->result.admitted++; /* a key that knocked took the reserve */
  if (free_at != SIZE_MAX) {
    *nreserved += retag(d, free_at, MCTOP_TAG_FREE, MCTOP_TAG_RESERVED);
    return SIZE_MAX;
  }
  return coldest != SIZE_MAX && evict(d, coldest, coldest_tag) ? coldest
                                                               : SIZE_MAX;
}

/* Bucket b's slots into d->pend, after its reserve is seen to; the knocks
 * of its keys without a slot start again. */
static void scan_bucket(mctop_drain_t *d, size_t b) {
  size_t nreserved = 0;
  size_t leaving = keep_reserve(d, b, &nreserved);
  d->pend_num = d->pend_next = 0;
  if (__atomic_load_n(&d->knocks[b], __ATOMIC_RELAXED) != 0)
    __atomic_store_n(&d->knocks[b], 0, __ATOMIC_RELAXED);
  for (size_t j = 0; j < MCTOP_BUCKET_SLOTS; j++) {
    size_t i = b * MCTOP_BUCKET_SLOTS + j;
    __u32 tag = __atomic_load_n(tag_of(d, i), __ATOMIC_ACQUIRE);
    mctop_slot_rec_t *rec = &d->pend[d->pend_num];
    if (i == leaving) {
      /* Its record stays a key's: the interval keeps its name until the
       * recycling's MCTOP_REC_GONE next interval. */
      if (!drain_live(d, i, tag, true, rec))
        continue;
    } else if (tag == MCTOP_TAG_DEAD) {
      recycle(d, i, nreserved == 0);
      nreserved += nreserved == 0;
      *rec = (mctop_slot_rec_t){.kind = MCTOP_REC_GONE, .slot = (uint32_t)i};
    } else if (!(tag & 1) || !drain_live(d, i, tag, false, rec)) {
      continue; /* FREE, RESERVED, CLOSED, or nothing to yield */
    }
    d->pend_num++;
  }
  d->result.reserved += nreserved;
}

/* The admission bar for the next interval (mctop.h): higher while keys
 * take turns in the reserves, back down once they stop. */
static void tune_admission(mctop_drain_t *d) {
  size_t churn = d->result.admitted * MCTOP_ADMIT_CHURN;
  if (churn > d->nbuckets && d->admit_knocks < MCTOP_ADMIT_KNOCKS_MAX)
    d->admit_knocks *= 2;
  else if (churn * 4 < d->nbuckets && d->admit_knocks > MCTOP_ADMIT_KNOCKS_MIN)
    d->admit_knocks /= 2;
  if (d->admit_knocks_at != NULL)
    __atomic_store_n(d->admit_knocks_at, d->admit_knocks, __ATOMIC_RELAXED);
}

bool mctop_drain_next(mctop_drain_t *d, mctop_slot_rec_t *rec) {
  for (;;) {
    /* Names first: a key's own arrives before its record. */
    if (next_name(d, rec))
      return true;
    if (d->pend_next < d->pend_num) {
      *rec = d->pend[d->pend_next++];
      return true;
    }
    if (d->scan == 0) {
      d->live = d->result.tracked;
      tune_admission(d);
      return false;
    }
    scan_bucket(d, --d->scan);
  }
}

size_t mctop_drain_next_name_slot(mctop_drain_t *d, size_t ahead) {
  /* d->peek is peek_gap records past the head: walked on, not again. */
  while (d->peek_gap < ahead && d->peek < d->queue_len) {
    d->peek += QUEUE_HEAD + d->queue[d->peek + 4] + 1;
    d->peek_gap++;
  }
  if (d->peek >= d->queue_len)
    return SIZE_MAX;
  uint32_t slot;
  memcpy(&slot, d->queue + d->peek, sizeof(slot));
  return slot;
}

void mctop_drain_watch(mctop_drain_t *d, uint32_t slot) {
  if (slot < d->nslots)
    d->flags[slot] |= SLOT_WATCHED;
}

void mctop_drain_ask_name(mctop_drain_t *d, uint32_t slot) {
  if (slot >= d->nslots)
    return;
  d->slots[slot].named = 0;
  d->flags[slot] &= (uint8_t)~SLOT_NAME_YIELDED;
}

size_t mctop_drain_bytes(const mctop_drain_t *d) {
  return d->nslots * sizeof(*d->flags) + QUEUE_CAP + sizeof(d->pend);
}
