/*
 * mctop plugin: from tracked keys to the series of one interval.
 *
 * The kernel keeps cumulative counters per key.  Each interval this module
 * takes every tracked key once, works out what it did in the interval (its
 * counters less the ones seen at the last interval), folds keys that a
 * KeyPattern/KeyPrefix rule collapses into their series, ranks keys and
 * collapsed series together, picks at most TopKeys of them (at most
 * MaxNewSeries of which were not dispatched lately), and accounts
 * everything not picked, plus events no key was charged for, to "other", so
 * the series of an interval add up to the instance's totals.  A series sent
 * for its activity and idle the next interval is sent once more then, if
 * TopKeys leaves room: receivers see it drop to zero, and a value lost on
 * the way (the network plugin's UDP) is sent again.
 *
 * Pure logic: the caller reads the maps and dispatches; unit-tested.
 */
#ifndef MCTOP_SERIES_H
#define MCTOP_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "idtab.h"
#include "key_fields.h"
#include "keyrules.h"
#include "mctop.h"
#include "topn.h"

/* Distinct collapsed series one instance keeps; keys of further ones are
 * counted in "other". */
#define MCTOP_COLLAPSED_MAX 4096
/* A series not dispatched for this many intervals counts as new again. */
#define MCTOP_KNOWN_GENERATIONS 360

typedef struct {
  char name[MCTOP_KEYNAME_SIZE];
  uint64_t acc[MCTOP_KEY_FIELDS_NUM];   /* cumulative, what is dispatched */
  uint64_t delta[MCTOP_KEY_FIELDS_NUM]; /* this interval */
  uint64_t score;             /* this interval's SortBy figure, summed */
  uint64_t lat_count, lat_ns; /* this interval's timed commands, summed */
  uint32_t members;           /* tracked keys in it; freed at 0 */
  uint32_t last_active;
  bool used;
} mctop_collapsed_t;

/* Reads the bytes of tracked key id (the "names" map); 0 on success. */
typedef int (*mctop_name_fn)(void *ctx, uint64_t id, struct mctop_key *out);

typedef struct {
  const mctop_key_policy_t *policy;
  unsigned top_keys;
  mctop_idtab_t keys;         /* key hash -> key_state (series.c) */
  mctop_idtab_t known;        /* series id -> (stamp: last dispatched) */
  mctop_idtab_t coll_by_name; /* name hash -> index into coll */
  mctop_collapsed_t *coll;
  size_t coll_cap;
  mctop_topn_t topn;
  uint32_t stamp; /* this interval, from 1 */
  enum mctop_sort sort;
  uint64_t other_acc[MCTOP_KEY_FIELDS_NUM];
  int64_t other_pending[MCTOP_KEY_FIELDS_NUM];
  uint64_t prev_totals[MCTOP_KEY_FIELDS_NUM];
  uint64_t dispatched[MCTOP_KEY_FIELDS_NUM]; /* this interval, summed */
  uint64_t gen;                              /* the interval's generation */
  uint64_t lat_count_all, lat_ns_all;        /* every key's timed commands */
  uint64_t lat_count_sent, lat_ns_sent;      /* ... and the picks' */
  const mctop_candidate_t **chosen;          /* the interval's picks */
  size_t chosen_num;
  size_t dropped_new; /* picks refused by MaxNewSeries this interval */
  bool collapsed_full_said;
} mctop_series_t;

int mctop_series_init(mctop_series_t *s, const mctop_key_policy_t *policy,
                      unsigned top_keys);
void mctop_series_free(mctop_series_t *s);

/* Starts interval gen (the generation just finished), ranking by sort. */
void mctop_series_begin(mctop_series_t *s, uint64_t gen, enum mctop_sort sort);

/* Takes one tracked key with its cumulative counters.  Its score is the
 * SortBy figure of what it did since the last interval, the very figures
 * "other" is computed from (the kernel's per-generation score would miss
 * events racing the generation bump, which would then be counted twice).
 * Looks its name up (names) only the first time, and only if rules are
 * configured. */
void mctop_series_take_key(mctop_series_t *s, uint64_t id,
                           const struct mctop_key_stats *stats,
                           mctop_name_fn names, void *names_ctx);

/* A key deleted from the kernel maps. */
void mctop_series_forget_key(mctop_series_t *s, uint64_t id);

/* Ranks and picks the interval's series: s->chosen[0..chosen_num). */
void mctop_series_pick(mctop_series_t *s);

/* The candidate was dispatched: its interval figures are not "other". */
void mctop_series_dispatched(mctop_series_t *s, const mctop_candidate_t *c);

/* The interval's mean latency of a candidate, in seconds; NaN if none of
 * its commands was timed (Latency off, or no command probe). */
double mctop_series_latency(const mctop_series_t *s,
                            const mctop_candidate_t *c);

/*
 * Ends the interval: "other" grows by the totals' growth less what was
 * dispatched.  Writes other's cumulative values to other (objsize: 0, it has
 * none) and the mean latency of the keys not dispatched to *latency.  totals
 * must be read before the keys: a shortfall (an event in a key read a moment
 * after the totals) is carried to the next interval, whose totals hold it, so
 * other never goes backwards and sums stay exact.
 */
void mctop_series_end(mctop_series_t *s, const struct mctop_totals *totals,
                      uint64_t other[MCTOP_KEY_FIELDS_NUM], double *latency);

/* The cumulative values dispatched for a candidate. */
void mctop_series_values(const mctop_series_t *s, const mctop_candidate_t *c,
                         uint64_t out[MCTOP_KEY_FIELDS_NUM]);

/* Bytes of user-space state, for the memory figures. */
size_t mctop_series_bytes(const mctop_series_t *s);

#endif /* MCTOP_SERIES_H */
