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
  size_t n = 16;
  while (n < max_keys)
    n *= 2;
  return n;
}

uint32_t mctop_names_ring_bytes(size_t nslots) {
  size_t want = nslots * 8, n = 256 << 10;
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
 * the burst's first drain).  An atomic add of 0 to the page's first word:
 * a program adding to or claiming it at the same moment loses nothing.
 */
static void touch_pages(void *p, size_t len) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  for (size_t off = 0; off < len; off += page)
    __atomic_fetch_add((__u64 *)((uint8_t *)p + off), 0, __ATOMIC_RELAXED);
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

int mctop_drain_use(mctop_drain_t *d, struct mctop_slot *slots,
                    struct mctop_slot_lat *lat, size_t nslots) {
  d->slots = slots;
  d->lat = lat;
  d->nslots = nslots;
  d->flags = calloc(nslots, sizeof(*d->flags));
  d->queue = malloc(QUEUE_CAP);
  return d->flags == NULL || d->queue == NULL ? -ENOMEM : 0;
}

int mctop_drain_open(mctop_drain_t *d, int slots_fd, size_t nslots, int lat_fd,
                     int names_fd) {
  memset(d, 0, sizeof(*d));
  size_t slots_len = page_round(nslots * sizeof(struct mctop_slot));
  size_t lat_len = page_round(nslots * sizeof(struct mctop_slot_lat));
  struct mctop_slot *slots = map_table(slots_fd, slots_len);
  struct mctop_slot_lat *lat = lat_fd >= 0 ? map_table(lat_fd, lat_len) : NULL;
  int err = slots == NULL || (lat_fd >= 0 && lat == NULL) ? -errno : 0;
  if (err == 0)
    err = mctop_drain_use(d, slots, lat, nslots);
  if (err == 0) {
    touch_pages(slots, slots_len);
    if (lat != NULL)
      touch_pages(lat, lat_len);
  }
  /* Whatever was mapped is ours to unmap, on failure too. */
  d->slots = slots;
  d->lat = lat;
  d->slots_len = slots ? slots_len : 0;
  d->lat_len = lat ? lat_len : 0;
  if (err == 0) {
    d->names = ring_buffer__new(names_fd, take_name, d, NULL);
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
  if (d->slots_len != 0)
    munmap(d->slots, d->slots_len);
  if (d->lat_len != 0)
    munmap(d->lat, d->lat_len);
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

/* A live key idle long enough, retired: DEAD, unless a program claimed the
 * slot for another key a moment ago (then it stays). */
static bool evict(mctop_drain_t *d, size_t i, __u64 fp) {
  __u64 expect = fp;
  if (!__atomic_compare_exchange_n(&d->slots[i].fp, &expect, MCTOP_FP_DEAD,
                                   false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
    return false;
  d->flags[i] = 0;
  d->result.evicted++;
  return true;
}

/* A DEAD slot, an interval after it was retired: no program is inside it
 * any more, so its leftovers (events that raced the retirement, already in
 * the totals and so in "other") are cleared and the slot offered again. */
static void recycle(mctop_drain_t *d, size_t i) {
  struct mctop_slot *sl = &d->slots[i];
  memset(sl->bytes, 0, sizeof(sl->bytes));
  memset(sl->count, 0, sizeof(sl->count));
  sl->objsize = sl->named = sl->last_active = 0;
  if (d->lat != NULL)
    d->lat[i] = (struct mctop_slot_lat){0};
  d->flags[i] = 0;
  __atomic_store_n(&sl->fp, MCTOP_FP_REUSABLE, __ATOMIC_RELEASE);
}

/* A REUSABLE slot followed by a FREE one is on no key's probe path (a key
 * is never placed past a FREE slot), so it can end probes again. */
static void shorten(mctop_drain_t *d, size_t i) {
  __u64 next =
      __atomic_load_n(&d->slots[(i + 1) % d->nslots].fp, __ATOMIC_ACQUIRE);
  __u64 expect = MCTOP_FP_REUSABLE;
  if (next == MCTOP_FP_FREE)
    __atomic_compare_exchange_n(&d->slots[i].fp, &expect, MCTOP_FP_FREE, false,
                                __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

/* Queues the name records in the ring, as many as the queue takes. */
static void read_names(mctop_drain_t *d) {
  d->ring_more = false;
  if (d->names != NULL)
    ring_buffer__consume(d->names);
}

void mctop_drain_begin(mctop_drain_t *d, const struct mctop_totals *totals) {
  memset(&d->result, 0, sizeof(d->result));
  d->interval_no++;
  d->evict = d->live * 100 >= d->nslots * MCTOP_EVICT_FILL_PERCENT ||
             totals->key_slot_misses > d->slot_misses;
  d->slot_misses = totals->key_slot_misses;
  read_names(d);
  /* The ring has room again: keys not named yet may send their names. */
  if (d->names_full != NULL)
    __atomic_store_n(d->names_full, 0, __ATOMIC_RELEASE);
  /* Backwards, so a run of REUSABLE slots before a FREE one shortens in
   * one pass. */
  d->scan = d->nslots;
  d->held = false;
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

/* Slot i, live: its interval, or its eviction.  False: nothing to yield
 * (an idle key no one asked to see). */
static bool drain_live(mctop_drain_t *d, size_t i, __u64 fp,
                       mctop_slot_rec_t *rec) {
  struct mctop_slot *sl = &d->slots[i];
  /* A key claimed since the ring was read: its record is in the ring (a
   * program sends it before it marks the slot), so read it now and charge
   * the key's events to it rather than to "other". */
  bool name_sent = __atomic_load_n(&sl->named, __ATOMIC_ACQUIRE) != 0;
  if (name_sent && !(d->flags[i] & SLOT_NAME_YIELDED))
    read_names(d);
  if (take_slot(d, i, &rec->iv, &rec->lat_count, &rec->lat_ns)) {
    sl->last_active = d->interval_no;
    d->result.active++;
    d->result.tracked++;
    rec->active = true;
  } else if (d->evict &&
             sl->last_active + MCTOP_IDLE_GENERATIONS <= d->interval_no &&
             evict(d, i, fp)) {
    rec->kind = MCTOP_REC_GONE;
    rec->slot = (uint32_t)i;
    return true;
  } else {
    d->result.tracked++;
    if (!(d->flags[i] & SLOT_WATCHED))
      return false;
    rec->active = false;
  }
  d->flags[i] &= (uint8_t)~SLOT_WATCHED; /* one interval's worth */
  rec->kind = MCTOP_REC_KEY;
  rec->slot = (uint32_t)i;
  rec->id = fp;
  rec->name_sent = name_sent;
  return true;
}

/* The scan goes on from d->scan down; false once every slot was seen. */
static bool scan(mctop_drain_t *d, mctop_slot_rec_t *rec) {
  for (size_t i = d->scan; i-- > 0;) {
    __u64 fp = __atomic_load_n(&d->slots[i].fp, __ATOMIC_ACQUIRE);
    if (fp == MCTOP_FP_FREE)
      continue;
    if (fp == MCTOP_FP_REUSABLE) {
      shorten(d, i);
      continue;
    }
    if (fp == MCTOP_FP_DEAD) {
      recycle(d, i);
      rec->kind = MCTOP_REC_GONE;
      rec->slot = (uint32_t)i;
    } else if (!drain_live(d, i, fp, rec)) {
      continue;
    }
    d->scan = i;
    return true;
  }
  d->scan = 0;
  return false;
}

bool mctop_drain_next(mctop_drain_t *d, mctop_slot_rec_t *rec) {
  if (next_name(d, rec))
    return true;
  if (d->held) {
    *rec = d->held_key;
    d->held = false;
    return true;
  }
  if (!scan(d, rec)) {
    d->live = d->result.tracked;
    return false;
  }
  if (d->queue_head == d->queue_len && !d->ring_more)
    return true;
  /* Names read mid-scan go first: the key's own among them. */
  d->held_key = *rec;
  d->held = true;
  return next_name(d, rec);
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
  return d->nslots * sizeof(*d->flags) + QUEUE_CAP;
}
