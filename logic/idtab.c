/*
 * mctop: id -> payload hash table (see idtab.h).
 */
#include "idtab.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  uint64_t id;
  uint32_t stamp; /* 0: free slot */
  uint32_t pad;
} slot_head_t;

#define MIN_CAP 64

/* The ids are already hashes, but not always good ones (a test may use
 * small integers): mix, then map onto [0, cap) by multiplying (any cap, not
 * only powers of two, so the table grows by half and wastes less). */
static size_t home(const mctop_idtab_t *t, uint64_t id) {
  id ^= id >> 33;
  id *= 0xff51afd7ed558ccdULL;
  id ^= id >> 33;
  return (size_t)(((unsigned __int128)id * t->cap) >> 64);
}

static size_t next(const mctop_idtab_t *t, size_t i) {
  return i + 1 == t->cap ? 0 : i + 1;
}

static slot_head_t *slot(const mctop_idtab_t *t, size_t i) {
  return (slot_head_t *)(t->slots + i * t->slot_size);
}

void mctop_idtab_init(mctop_idtab_t *t, size_t payload_size) {
  memset(t, 0, sizeof(*t));
  t->payload_size = payload_size;
  /* Payloads start 8-byte aligned after the header. */
  t->slot_size = sizeof(slot_head_t) + ((payload_size + 7) & ~(size_t)7);
}

void mctop_idtab_free(mctop_idtab_t *t) {
  free(t->slots);
  t->slots = NULL;
  t->cap = t->len = 0;
}

static size_t find(const mctop_idtab_t *t, uint64_t id, bool *found) {
  size_t i = home(t, id);
  for (;;) {
    slot_head_t *h = slot(t, i);
    if (h->stamp == 0) {
      *found = false;
      return i;
    }
    if (h->id == id) {
      *found = true;
      return i;
    }
    i = next(t, i);
  }
}

void *mctop_idtab_get(const mctop_idtab_t *t, uint64_t id) {
  if (t->len == 0)
    return NULL;
  bool found;
  size_t i = find(t, id, &found);
  return found ? (void *)(slot(t, i) + 1) : NULL;
}

/* Moves every entry stamped min_stamp or later into a fresh array of
 * new_cap slots. */
static int rehash(mctop_idtab_t *t, size_t new_cap, uint32_t min_stamp) {
  unsigned char *fresh = calloc(new_cap, t->slot_size);
  if (fresh == NULL)
    return -1;
  mctop_idtab_t old = *t;
  t->slots = fresh;
  t->cap = new_cap;
  t->len = 0;
  for (size_t i = 0; i < old.cap; i++) {
    slot_head_t *h = slot(&old, i);
    if (h->stamp == 0 || h->stamp < min_stamp)
      continue;
    bool found;
    size_t j = find(t, h->id, &found);
    memcpy(slot(t, j), h, t->slot_size);
    t->len++;
  }
  free(old.slots);
  return 0;
}

void *mctop_idtab_put(mctop_idtab_t *t, uint64_t id, uint32_t stamp) {
  if ((t->len + 1) * 4 > t->cap * 3 &&
      rehash(t, t->cap ? t->cap + t->cap / 2 : MIN_CAP, 0) != 0)
    return NULL;
  bool found;
  size_t i = find(t, id, &found);
  slot_head_t *h = slot(t, i);
  if (!found) {
    memset(h, 0, t->slot_size);
    h->id = id;
    t->len++;
  }
  h->stamp = stamp ? stamp : 1;
  return h + 1;
}

void mctop_idtab_remove(mctop_idtab_t *t, uint64_t id) {
  if (t->len == 0)
    return;
  bool found;
  size_t i = find(t, id, &found);
  if (!found)
    return;
  /* Backward-shift deletion: pull later members of the probe run into the
   * hole so lookups never stop early at it. */
  size_t hole = i;
  for (size_t j = next(t, i);; j = next(t, j)) {
    slot_head_t *h = slot(t, j);
    if (h->stamp == 0)
      break;
    size_t want = home(t, h->id);
    /* Movable if its home is not in (hole, j], cyclically. */
    bool movable =
        hole <= j ? (want <= hole || want > j) : (want <= hole && want > j);
    if (movable) {
      memcpy(slot(t, hole), h, t->slot_size);
      hole = j;
    }
  }
  memset(slot(t, hole), 0, t->slot_size);
  t->len--;
}

void mctop_idtab_sweep(mctop_idtab_t *t, uint32_t min_stamp) {
  if (t->cap == 0)
    return;
  size_t live = 0;
  for (size_t i = 0; i < t->cap; i++) {
    slot_head_t *h = slot(t, i);
    if (h->stamp != 0 && h->stamp >= min_stamp)
      live++;
  }
  if (live == t->len)
    return;
  /* Shrink when mostly empty, so a flood's peak is given back. */
  size_t cap = t->cap;
  while (cap > MIN_CAP && live * 4 < cap)
    cap -= cap / 3;
  if (rehash(t, cap, min_stamp) != 0) {
    /* No memory for a new array: drop entries in place instead. */
    for (size_t i = 0; i < t->cap; i++) {
      slot_head_t *h = slot(t, i);
      if (h->stamp != 0 && h->stamp < min_stamp) {
        mctop_idtab_remove(t, h->id);
        i = (size_t)-1; /* shifting may move entries before i: rescan */
      }
    }
  }
}

size_t mctop_idtab_bytes(const mctop_idtab_t *t) {
  return t->cap * t->slot_size;
}
