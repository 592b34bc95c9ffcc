/*
 * mctop: streaming top-N selection.  The series module offers every
 * tracked key once; only N candidates are ever held, so memory is O(N) whatever
 * the number of keys.
 */
#ifndef MCTOP_TOPN_H
#define MCTOP_TOPN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "key_fields.h"
#include "mctop.h"

struct mctop_key_slot;

/* A candidate is a tracked key (series < 0) or a collapsed series. */
typedef struct {
  uint64_t score;
  uint64_t id;    /* the key's fingerprint, or the collapsed series' name
                     hash */
  int32_t series; /* -1: a key of its own; else index of a collapsed series */
  struct mctop_key_slot *key;           /* a key's user-space slot */
  uint64_t delta[MCTOP_KEY_FIELDS_NUM]; /* what it did in the interval (its
                                           objsize: the level) */
  uint64_t lat_count, lat_ns;           /* its timed commands in the interval */
  bool linger; /* idle now, sent last interval: sent once more */
} mctop_candidate_t;

typedef struct {
  mctop_candidate_t *items; /* a min-heap on (score, reversed id order) */
  size_t len;
  size_t cap;
} mctop_topn_t;

int mctop_topn_init(mctop_topn_t *t, size_t cap);
void mctop_topn_free(mctop_topn_t *t);
void mctop_topn_reset(mctop_topn_t *t);

/* Keeps the candidate if it is among the best cap seen so far.  Scores of 0
 * are kept only for a lingering candidate, ranked below every active one. */
void mctop_topn_offer(mctop_topn_t *t, const mctop_candidate_t *c);

/* True if a candidate of this score and id would be kept now: lets the
 * caller skip building one that would not. */
bool mctop_topn_would_keep(const mctop_topn_t *t, uint64_t score, uint64_t id,
                           bool linger);

/* Sorts the kept candidates best first: higher score, then the smaller id,
 * so equal scores come out in a stable order.  The heap is spent after. */
void mctop_topn_sort(mctop_topn_t *t);

#endif /* MCTOP_TOPN_H */
