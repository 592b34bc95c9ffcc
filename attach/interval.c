/*
 * mctop: one interval (see interval.h).  A key's trip reads top to bottom
 * in mctop_interval_run: the drain yields it, it is named (once, when its
 * name arrives), the series module ranks it, and if picked it is named for
 * the report.
 */
#include "interval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hugemem.h"
#include "log.h"

enum { FIELDS = MCTOP_KEY_FIELDS_NUM };

/* How many names ahead a new name's record is fetched. */
#define NAME_PREFETCH 8

int mctop_interval_init(mctop_interval_t *iv, const mctop_key_policy_t *policy,
                        unsigned top_keys, size_t nslots) {
  memset(iv, 0, sizeof(*iv));
  iv->policy = policy;
  iv->top_keys = top_keys;
  iv->nslots = nslots;
  /* Visited at random by a burst of new names: in huge pages. */
  iv->keys = mctop_huge_alloc(nslots * sizeof(*iv->keys));
  iv->picks = calloc(top_keys ? top_keys : 1, sizeof(*iv->picks));
  if (iv->keys == NULL || iv->picks == NULL ||
      mctop_series_init(&iv->series, policy, top_keys) != 0) {
    mctop_interval_free(iv);
    return -1;
  }
  for (size_t i = 0; i < nslots; i++)
    iv->keys[i] = (mctop_key_slot_t){.series = MCTOP_SERIES_UNNAMED};
  mctop_names_init(&iv->names, iv->keys, nslots);
  return 0;
}

/* ---- naming: a key's name as it arrives, and a pick's as it is sent ---- */

/* The series a newly named key counts in: its own, or the collapsed one
 * its KeyPattern/KeyPrefix rule names. */
static int32_t classify(mctop_interval_t *iv, const uint8_t *key, size_t len) {
  if (iv->policy->rules_num == 0)
    return MCTOP_SERIES_OWN;
  char name[MCTOP_KEYNAME_SIZE];
  if (mctop_key_classify(iv->policy, key, len, name) < 0)
    return MCTOP_SERIES_OWN;
  int32_t idx = mctop_series_join(&iv->series, name);
  if (idx >= 0)
    return idx;
  if (!iv->collapsed_full_said)
    MCTOP_WARNING("%d collapsed series are tracked: keys of further ones "
                  "are counted in \"other\"; make the KeyPattern/KeyPrefix "
                  "rules coarser",
                  MCTOP_COLLAPSED_MAX);
  iv->collapsed_full_said = true;
  return MCTOP_SERIES_OVERFLOW;
}

/* A new key's name arrived: kept, and its rules run, once.  A key already
 * named keeps its name. */
static void name_key(mctop_interval_t *iv, uint32_t slot, const uint8_t *key,
                     size_t len) {
  mctop_key_slot_t *k = &iv->keys[slot];
  if (k->name != MCTOP_NAME_NONE)
    return;
  if (!mctop_names_keep(&iv->names, slot, key, len))
    return; /* stays unnamed: the drain asks the kernel again */
  k->series = classify(iv, key, len);
}

/* The name a pick is sent under: a key's own (KeyPrivacy applied), or its
 * collapsed series'. */
static void name_pick(const mctop_interval_t *iv, const mctop_candidate_t *c,
                      char out[MCTOP_KEYNAME_SIZE]) {
  if (c->series < 0)
    mctop_key_own_name(iv->policy, mctop_names_get(&iv->names, c->key),
                       c->key->name_len, out);
  else
    snprintf(out, MCTOP_KEYNAME_SIZE, "%s",
             mctop_series_collapsed_name(&iv->series, c->series));
}

/* A slot's key went (evicted, or its slot recycled): its name and its
 * membership go. */
static void forget_key(mctop_interval_t *iv, uint32_t slot) {
  mctop_key_slot_t *k = &iv->keys[slot];
  mctop_series_leave(&iv->series, k->series);
  mctop_names_drop(&iv->names, slot);
  *k = (mctop_key_slot_t){.name = MCTOP_NAME_NONE,
                          .series = MCTOP_SERIES_UNNAMED};
}

/* ---- one interval ---- */

/* One live key's record: its figures to the series module.  An idle one
 * comes only when watched (sent last interval: it may be sent once more). */
static void take_key(mctop_interval_t *iv, mctop_drain_t *d,
                     const mctop_slot_rec_t *rec) {
  mctop_key_slot_t *k = &iv->keys[rec->slot];
  if (!rec->active) {
    if (k->known)
      mctop_series_take_key(&iv->series, k, rec->id, &rec->iv, 0, 0);
    return;
  }
  /* Still unnamed though its record went: the record was dropped, or waits
   * behind one another CPU has not committed yet.  Its events go to
   * "other"; the next event sends the name again (a duplicate is ignored). */
  if (k->name == MCTOP_NAME_NONE && rec->name_sent)
    mctop_drain_ask_name(d, rec->slot);
  mctop_series_take_key(&iv->series, k, rec->id, &rec->iv, rec->lat_count,
                        rec->lat_ns);
}

/* The picks, named, with their figures; each counts as dispatched, and a
 * key sent for its activity is watched: idle next interval, it is sent once
 * more. */
static void report_picks(mctop_interval_t *iv, mctop_drain_t *d,
                         mctop_report_t *r) {
  mctop_series_t *s = &iv->series;
  size_t n = 0;
  for (size_t i = 0; i < s->chosen_num && n < iv->top_keys; i++) {
    const mctop_candidate_t *c = s->chosen[i];
    mctop_pick_t *p = &iv->picks[n++];
    name_pick(iv, c, p->name);
    memcpy(p->interval, c->delta, sizeof(p->interval));
    mctop_series_values(s, c, p->values);
    p->latency = mctop_series_latency(c);
    mctop_series_dispatched(s, c);
    if (c->series < 0 && !c->linger)
      mctop_drain_watch(d, (uint32_t)(c->key - iv->keys));
  }
  r->picks = iv->picks;
  r->picks_num = n;
}

static void totals_interval(const struct mctop_totals *cur,
                            const struct mctop_totals *prev,
                            struct mctop_totals *out) {
  const __u64 *c = (const __u64 *)cur, *p = (const __u64 *)prev;
  __u64 *o = (__u64 *)out;
  for (size_t i = 0; i < sizeof(*cur) / sizeof(__u64); i++)
    o[i] = c[i] - p[i];
}

void mctop_interval_run(mctop_interval_t *iv, mctop_drain_t *d,
                        const struct mctop_totals *totals, enum mctop_sort sort,
                        mctop_report_t *r) {
  r->totals = *totals;
  totals_interval(totals, &iv->prev_totals, &r->totals_interval);
  iv->prev_totals = *totals;

  /* Every slot record: names first, then each live key, each gone one. */
  mctop_series_begin(&iv->series, sort);
  mctop_drain_begin(d, totals);
  mctop_slot_rec_t rec;
  while (mctop_drain_next(d, &rec)) {
    if (rec.slot >= iv->nslots)
      continue;
    switch (rec.kind) {
    case MCTOP_REC_NAME: {
      /* A burst of names visits slots at random: fetch a later one's
       * record while this one is named. */
      size_t later = mctop_drain_next_name_slot(d, NAME_PREFETCH);
      if (later < iv->nslots)
        __builtin_prefetch(&iv->keys[later], 1);
      name_key(iv, rec.slot, rec.name, rec.len);
      break;
    }
    case MCTOP_REC_KEY:
      take_key(iv, d, &rec);
      break;
    case MCTOP_REC_GONE:
      forget_key(iv, rec.slot);
      break;
    }
  }

  /* The picks, then "~other": everything the picks did not account. */
  mctop_series_pick(&iv->series);
  report_picks(iv, d, r);
  mctop_series_end(&iv->series, totals, r->other, &r->other_latency);
  for (size_t f = 0; f < FIELDS; f++) {
    r->other_interval[f] = mctop_key_field_is_level(f)
                               ? r->other[f]
                               : r->other[f] - iv->prev_other[f];
    iv->prev_other[f] = r->other[f];
  }

  /* Health. */
  iv->new_series_refused += iv->series.dropped_new;
  r->new_series_refused = iv->new_series_refused;
  r->tracked = d->result.tracked;
  r->state_bytes = mctop_series_bytes(&iv->series) +
                   mctop_names_bytes(&iv->names) +
                   iv->nslots * sizeof(*iv->keys) + mctop_drain_bytes(d);
}

void mctop_interval_free(mctop_interval_t *iv) {
  mctop_names_free(&iv->names);
  mctop_huge_free(iv->keys, iv->nslots * sizeof(*iv->keys));
  free(iv->picks);
  mctop_series_free(&iv->series);
  memset(iv, 0, sizeof(*iv));
}
