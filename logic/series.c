/*
 * mctop: the series of one interval (see series.h).
 *
 * Memory: per tracked key only its name and its series (mctop_key_slot_t,
 * held by the interval); per series dispatched lately a "known" entry with its
 * cumulative values; the collapsed series (bounded by MCTOP_COLLAPSED_MAX).
 */
#include "series.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { FIELDS = MCTOP_KEY_FIELDS_NUM };

/* A series dispatched lately: when, and (a key's) cumulative values. */
typedef struct {
  uint32_t last;
  uint32_t pad;
  uint64_t acc[FIELDS];
} known_t;

int mctop_series_init(mctop_series_t *s, const mctop_key_policy_t *policy,
                      unsigned top_keys) {
  memset(s, 0, sizeof(*s));
  s->policy = policy;
  s->top_keys = top_keys;
  mctop_idtab_init(&s->known, sizeof(known_t));
  mctop_idtab_init(&s->coll_by_name, sizeof(int32_t));
  /* Room for more than TopKeys candidates: picks refused by MaxNewSeries
   * leave their place to the next ones. */
  size_t cap = 2 * (size_t)top_keys;
  if (mctop_topn_init(&s->topn, cap) != 0)
    return -1;
  s->chosen = calloc(cap ? cap : 1, sizeof(*s->chosen));
  if (s->chosen == NULL) {
    mctop_series_free(s);
    return -1;
  }
  return 0;
}

void mctop_series_free(mctop_series_t *s) {
  mctop_idtab_free(&s->known);
  mctop_idtab_free(&s->coll_by_name);
  free(s->coll);
  mctop_topn_free(&s->topn);
  free(s->chosen);
  memset(s, 0, sizeof(*s));
}

void mctop_series_begin(mctop_series_t *s, enum mctop_sort sort) {
  s->interval_no++; /* from 1: 0 is never an interval */
  s->sort = sort;
  s->lat_count_all = s->lat_ns_all = 0;
  s->lat_count_sent = s->lat_ns_sent = 0;
  mctop_topn_reset(&s->topn);
  s->chosen_num = 0;
  s->dropped_new = 0;
  memset(s->dispatched, 0, sizeof(s->dispatched));
  for (size_t i = 0; i < s->coll_cap; i++) {
    s->coll[i].score = 0;
    s->coll[i].lat_count = s->coll[i].lat_ns = 0;
    memset(s->coll[i].delta, 0, sizeof(s->coll[i].delta));
  }
}

static uint64_t name_id(const char *name) {
  /* Apart from key hashes (the kernel's own hash) by a fixed tweak. */
  return mctop_fnv1a((const uint8_t *)name, strlen(name)) ^
         0x9e3779b97f4a7c15ULL;
}

int32_t mctop_series_join(mctop_series_t *s, const char *name) {
  uint64_t id = name_id(name);
  int32_t *idx = mctop_idtab_get(&s->coll_by_name, id);
  if (idx != NULL) {
    s->coll[*idx].members++;
    return *idx;
  }
  size_t i = 0;
  while (i < s->coll_cap && s->coll[i].used)
    i++;
  if (i == s->coll_cap) {
    if (s->coll_cap == MCTOP_COLLAPSED_MAX)
      return -1;
    size_t cap = s->coll_cap ? 2 * s->coll_cap : 16;
    mctop_collapsed_t *c = realloc(s->coll, cap * sizeof(*c));
    if (c == NULL)
      return -1;
    memset(c + s->coll_cap, 0, (cap - s->coll_cap) * sizeof(*c));
    s->coll = c;
    s->coll_cap = cap;
  }
  idx = mctop_idtab_put(&s->coll_by_name, id, 1);
  if (idx == NULL)
    return -1;
  *idx = (int32_t)i;
  mctop_collapsed_t *c = &s->coll[i];
  memset(c, 0, sizeof(*c));
  c->used = true;
  snprintf(c->name, sizeof(c->name), "%s", name);
  c->members = 1;
  return (int32_t)i;
}

/* The known entry of series id if it was sent for its activity in the
 * interval before this one: idle now, it is sent once more (see series.h),
 * in room TopKeys leaves. */
static bool sent_last_interval(const mctop_series_t *s, uint64_t id) {
  const known_t *kn = mctop_idtab_get(&s->known, id);
  return kn != NULL && kn->last + 1 == s->interval_no;
}

static void add_counts(uint64_t acc[FIELDS], const uint64_t delta[FIELDS]) {
  for (size_t f = 0; f < FIELDS; f++)
    if (!mctop_key_field_is_level(f))
      acc[f] += delta[f];
}

void mctop_series_take_key(mctop_series_t *s, mctop_key_slot_t *k, uint64_t id,
                           const mctop_key_interval_t *iv, uint64_t lat_count,
                           uint64_t lat_ns) {
  s->lat_count_all += lat_count;
  s->lat_ns_all += lat_ns;
  uint64_t score = s->sort == MCTOP_SORT_LATENCY
                       ? lat_ns
                       : mctop_key_interval_score(s->sort, iv);
  mctop_candidate_t c = {.score = score,
                         .id = id,
                         .series = k->series,
                         .key = k,
                         .lat_count = lat_count,
                         .lat_ns = lat_ns};

  if (k->series >= 0) {
    mctop_collapsed_t *col = &s->coll[k->series];
    mctop_key_values(iv, c.delta);
    for (size_t f = 0; f < FIELDS; f++) {
      if (!mctop_key_field_is_level(f)) {
        col->delta[f] += c.delta[f];
        col->acc[f] += c.delta[f];
      } else if (score > 0 && c.delta[f] > col->delta[f]) {
        col->delta[f] = c.delta[f]; /* the largest among active members */
      }
    }
    col->score += score;
    col->lat_count += lat_count;
    col->lat_ns += lat_ns;
    if (score > 0)
      col->last_active = s->interval_no;
    return;
  }
  /* A key whose rules have not run (its name has not arrived) is never
   * offered under its own name: a rule may collapse it (session tokens that
   * must not leave the host).  Its interval goes to "other". */
  if (k->series != MCTOP_SERIES_OWN)
    return;
  known_t *kn = NULL;
  if (k->known) {
    kn = mctop_idtab_get(&s->known, id);
    if (kn == NULL) {
      k->known = 0; /* forgotten: not sent for MCTOP_KNOWN_GENERATIONS */
    } else {
      mctop_key_values(iv, c.delta);
      add_counts(kn->acc, c.delta); /* it keeps counting between picks */
    }
  }
  if (score == 0) {
    if (kn == NULL || kn->last + 1 != s->interval_no)
      return;
    c.linger = true;
  }
  /* Most keys of a busy interval rank below the picks: build no figures
   * for those. */
  if (!mctop_topn_would_keep(&s->topn, score, id, c.linger))
    return;
  if (kn == NULL)
    mctop_key_values(iv, c.delta);
  mctop_topn_offer(&s->topn, &c);
}

void mctop_series_leave(mctop_series_t *s, int32_t series) {
  if (series < 0)
    return;
  mctop_collapsed_t *c = &s->coll[series];
  if (c->members > 0 && --c->members == 0) {
    /* Nothing left in it: forget it (a comeback restarts from zero, like
     * a deleted key). */
    mctop_idtab_remove(&s->coll_by_name, name_id(c->name));
    c->used = false;
  }
}

void mctop_series_pick(mctop_series_t *s) {
  for (size_t i = 0; i < s->coll_cap; i++) {
    mctop_collapsed_t *col = &s->coll[i];
    if (!col->used)
      continue;
    mctop_candidate_t c = {
        .score = col->score, .id = name_id(col->name), .series = (int32_t)i};
    if (col->score == 0) {
      if (!sent_last_interval(s, c.id))
        continue;
      c.linger = true;
    }
    memcpy(c.delta, col->delta, sizeof(c.delta));
    c.lat_count = col->lat_count;
    c.lat_ns = col->lat_ns;
    mctop_topn_offer(&s->topn, &c);
  }
  mctop_topn_sort(&s->topn);

  unsigned new_left =
      s->policy->max_new_series ? s->policy->max_new_series : s->top_keys;
  for (size_t i = 0; i < s->topn.len && s->chosen_num < s->top_keys; i++) {
    const mctop_candidate_t *c = &s->topn.items[i];
    if (mctop_idtab_get(&s->known, c->id) == NULL) {
      if (new_left == 0) {
        s->dropped_new++;
        continue;
      }
      new_left--;
    }
    s->chosen[s->chosen_num++] = c;
  }
}

void mctop_series_values(const mctop_series_t *s, const mctop_candidate_t *c,
                         uint64_t out[FIELDS]) {
  if (c->series >= 0) {
    const mctop_collapsed_t *col = &s->coll[c->series];
    for (size_t f = 0; f < FIELDS; f++)
      out[f] = mctop_key_field_is_level(f) ? col->delta[f] : col->acc[f];
    return;
  }
  /* A key's cumulative values start at its first dispatch; a known key
   * taken before it was known (re-admitted to a new slot) adds this
   * interval here, as dispatched() does. */
  const known_t *kn = mctop_idtab_get(&s->known, c->id);
  for (size_t f = 0; f < FIELDS; f++) {
    if (mctop_key_field_is_level(f) || kn == NULL)
      out[f] = c->delta[f];
    else
      out[f] = kn->acc[f] + (c->key->known ? 0 : c->delta[f]);
  }
}

void mctop_series_dispatched(mctop_series_t *s, const mctop_candidate_t *c) {
  if (!c->linger) {
    known_t *kn = mctop_idtab_put(&s->known, c->id, s->interval_no);
    if (kn != NULL) {
      kn->last = s->interval_no;
      if (c->series < 0 && !c->key->known) {
        add_counts(kn->acc, c->delta);
        c->key->known = 1;
      }
    }
  }
  s->lat_count_sent += c->lat_count;
  s->lat_ns_sent += c->lat_ns;
  for (size_t f = 0; f < FIELDS; f++)
    if (!mctop_key_field_is_level(f))
      s->dispatched[f] += c->delta[f];
}

static double mean_seconds(uint64_t count, uint64_t ns) {
  return count ? (double)ns / (double)count / 1e9 : NAN;
}

double mctop_series_latency(const mctop_candidate_t *c) {
  return mean_seconds(c->lat_count, c->lat_ns);
}

const char *mctop_series_collapsed_name(const mctop_series_t *s,
                                        int32_t series) {
  return s->coll[series].name;
}

void mctop_series_end(mctop_series_t *s, const struct mctop_totals *totals,
                      uint64_t other[FIELDS], double *latency) {
  *latency = mean_seconds(s->lat_count_all - s->lat_count_sent,
                          s->lat_ns_all - s->lat_ns_sent);
  uint64_t tot[FIELDS];
  mctop_totals_values(totals, tot);
  for (size_t f = 0; f < FIELDS; f++) {
    if (mctop_key_field_is_level(f)) {
      other[f] = 0;
      continue;
    }
    s->other_pending[f] +=
        (int64_t)(tot[f] - s->prev_totals[f]) - (int64_t)s->dispatched[f];
    if (s->other_pending[f] > 0) {
      s->other_acc[f] += (uint64_t)s->other_pending[f];
      s->other_pending[f] = 0;
    }
    s->prev_totals[f] = tot[f];
    other[f] = s->other_acc[f];
  }
  if (s->interval_no > MCTOP_KNOWN_GENERATIONS)
    mctop_idtab_sweep(&s->known, s->interval_no - MCTOP_KNOWN_GENERATIONS);
}

size_t mctop_series_bytes(const mctop_series_t *s) {
  return mctop_idtab_bytes(&s->known) + mctop_idtab_bytes(&s->coll_by_name) +
         s->coll_cap * sizeof(*s->coll) + s->topn.cap * sizeof(*s->topn.items);
}
