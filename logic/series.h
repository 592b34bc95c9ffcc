/*
 * mctop: from tracked keys to the series of one interval.
 *
 * The interval (attach/interval.c) hands over what each key did (its
 * slot's counts, taken by the drain) and which collapsed series a
 * KeyPattern/KeyPrefix rule put it in.  This module sums collapsed series
 * over their members, ranks keys and
 * collapsed series together, picks at most TopKeys of them (at most
 * MaxNewSeries of which were not dispatched lately), and accounts
 * everything not picked, plus events no key was charged for, to "other", so
 * the series of an interval add up to the instance's totals.  A series sent
 * for its activity and idle the next interval is sent once more then, if
 * TopKeys leaves room: receivers see it drop to zero, and a value lost on
 * the way (the network plugin's UDP) is sent again.
 *
 * Cumulative values (what collectd's DERIVE wants) are kept only for series
 * dispatched lately: a key's from its first dispatch, a collapsed series'
 * from its first member.
 *
 * Pure logic: the interval reads the kernel and names the picks.
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
/* A series not dispatched for this many intervals counts as new again, and
 * a key's cumulative values are forgotten. */
#define MCTOP_KNOWN_GENERATIONS 360

enum {
  MCTOP_SERIES_OWN = -1,      /* the key is its own series */
  MCTOP_SERIES_UNNAMED = -2,  /* its name has not arrived yet */
  MCTOP_SERIES_OVERFLOW = -3, /* its collapsed series found no room */
};

/* No name kept (mctop_key_slot_t's name). */
#define MCTOP_NAME_NONE UINT32_MAX

/* What user space keeps per slot of the kernel's key table (the interval,
 * attach/interval.c, holds the array and names the keys): 12 bytes. */
typedef struct mctop_key_slot {
  uint32_t name;    /* where its name is kept (names.h); MCTOP_NAME_NONE
                       until named */
  int32_t series;   /* MCTOP_SERIES_* or a collapsed series' index */
  uint8_t name_len; /* the key's length, once named */
  uint8_t known;    /* 1: dispatched lately (it has a "known" entry) */
} mctop_key_slot_t;

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

typedef struct {
  const mctop_key_policy_t *policy;
  unsigned top_keys;
  mctop_idtab_t known;        /* series id -> known_t (series.c) */
  mctop_idtab_t coll_by_name; /* name hash -> index into coll */
  mctop_collapsed_t *coll;
  size_t coll_cap;
  mctop_topn_t topn;
  uint32_t interval_no; /* this interval, from 1 */
  enum mctop_sort sort;
  uint64_t other_acc[MCTOP_KEY_FIELDS_NUM];
  int64_t other_pending[MCTOP_KEY_FIELDS_NUM];
  uint64_t prev_totals[MCTOP_KEY_FIELDS_NUM];
  uint64_t dispatched[MCTOP_KEY_FIELDS_NUM]; /* this interval, summed */
  uint64_t lat_count_all, lat_ns_all;        /* every key's timed commands */
  uint64_t lat_count_sent, lat_ns_sent;      /* ... and the picks' */
  const mctop_candidate_t **chosen;          /* the interval's picks */
  size_t chosen_num;
  size_t dropped_new; /* picks refused by MaxNewSeries this interval */
} mctop_series_t;

int mctop_series_init(mctop_series_t *s, const mctop_key_policy_t *policy,
                      unsigned top_keys);
void mctop_series_free(mctop_series_t *s);

/* Starts an interval, ranking by sort. */
void mctop_series_begin(mctop_series_t *s, enum mctop_sort sort);

/* A key named name by a KeyPattern/KeyPrefix rule joins that collapsed
 * series (created if new): its index, or -1 when MCTOP_COLLAPSED_MAX are
 * in use or memory ran out. */
int32_t mctop_series_join(mctop_series_t *s, const char *name);

/* A member of collapsed series `series` went (evicted): the series is
 * forgotten with its last member. */
void mctop_series_leave(mctop_series_t *s, int32_t series);

/* Takes one tracked key's interval: what it did (iv) and its timed
 * commands.  Idle keys need not be taken unless k->known (they may be sent
 * once more).  A key not yet named is never offered: its rules have not
 * run, so its interval goes to "other". */
void mctop_series_take_key(mctop_series_t *s, mctop_key_slot_t *k, uint64_t id,
                           const mctop_key_interval_t *iv, uint64_t lat_count,
                           uint64_t lat_ns);

/* Ranks and picks the interval's series: s->chosen[0..chosen_num). */
void mctop_series_pick(mctop_series_t *s);

/* The cumulative values to dispatch for a candidate. */
void mctop_series_values(const mctop_series_t *s, const mctop_candidate_t *c,
                         uint64_t out[MCTOP_KEY_FIELDS_NUM]);

/* The candidate was dispatched: its interval figures are not "other". */
void mctop_series_dispatched(mctop_series_t *s, const mctop_candidate_t *c);

/* The interval's mean latency of a candidate, in seconds; NaN if none of
 * its commands was timed (Latency off, or no command probe). */
double mctop_series_latency(const mctop_candidate_t *c);

/* The name of collapsed series `series` (a candidate's c->series >= 0). */
const char *mctop_series_collapsed_name(const mctop_series_t *s,
                                        int32_t series);

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

/* Bytes of user-space state, for the memory figures (key names are the
 * interval's). */
size_t mctop_series_bytes(const mctop_series_t *s);

#endif /* MCTOP_SERIES_H */
