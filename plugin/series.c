/*
 * mctop plugin: the series of one interval (see series.h).
 *
 * Memory: one key_state per tracked key (the counters seen at the last
 * interval: a 72-byte slot, 1.3 to 2 slots a key), the collapsed series
 * (bounded by MCTOP_COLLAPSED_MAX) and the ids of recently dispatched series.
 */
#include "series.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

enum {
  SERIES_OWN = -1,      /* the key is its own series */
  SERIES_UNNAMED = -2,  /* rules exist, the name was not readable yet */
  SERIES_OVERFLOW = -3, /* its collapsed series found no room: "other" */
};

/*
 * What a key's counters were at the last interval.  Kept small, since there
 * is one per tracked key: counts are kept modulo 2^32 (a key does not see 4
 * billion commands in one interval, and the difference modulo 2^32 is then
 * exact), byte counts whole (a hot key with large values can move more than
 * 4 GiB in an interval), levels (objsize, latency) not at all.
 */
#define NARROW_FIELDS 9
#define WIDE_FIELDS 2
typedef struct {
  int32_t series;
  uint32_t narrow[NARROW_FIELDS];
  uint64_t wide[WIDE_FIELDS];
} key_state_t;
_Static_assert(sizeof(key_state_t) == 56, "key_state_t stays compact");

#define F MCTOP_KEY_FIELDS_NUM
_Static_assert(F == NARROW_FIELDS + WIDE_FIELDS + 2,
               "a new mctop_key field needs a place in key_state_t");

/* Where field f's last value lives: narrow[slot], wide[slot], or nowhere. */
enum { KEEP_NONE, KEEP_NARROW, KEEP_WIDE };
static struct { unsigned char kind, slot; } keep[F];

static void plan_keep(void) {
  unsigned narrow = 0, wide = 0;
  for (size_t f = 0; f < F; f++) {
    if (mctop_key_field_is_level(f)) {
      keep[f].kind = KEEP_NONE;
    } else if (f == MCTOP_KEY_FIELD_RX || f == MCTOP_KEY_FIELD_TX) {
      keep[f].kind = KEEP_WIDE;
      keep[f].slot = (unsigned char)wide++;
    } else {
      keep[f].kind = KEEP_NARROW;
      keep[f].slot = (unsigned char)narrow++;
    }
  }
}

/* cur less what key k had last interval; remembers cur. */
static uint64_t advance(key_state_t *k, size_t f, uint64_t cur) {
  uint64_t d;
  switch (keep[f].kind) {
  case KEEP_NARROW:
    d = (uint32_t)((uint32_t)cur - k->narrow[keep[f].slot]);
    k->narrow[keep[f].slot] = (uint32_t)cur;
    return d;
  case KEEP_WIDE:
    d = cur - k->wide[keep[f].slot];
    k->wide[keep[f].slot] = cur;
    return d;
  default:
    return cur; /* a level is its own interval figure */
  }
}

int mctop_series_init(mctop_series_t *s, const mctop_key_policy_t *policy,
                      unsigned top_keys) {
  memset(s, 0, sizeof(*s));
  s->policy = policy;
  s->top_keys = top_keys;
  plan_keep();
  mctop_idtab_init(&s->keys, sizeof(key_state_t));
  mctop_idtab_init(&s->known, sizeof(uint32_t));
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
  mctop_idtab_free(&s->keys);
  mctop_idtab_free(&s->known);
  mctop_idtab_free(&s->coll_by_name);
  free(s->coll);
  mctop_topn_free(&s->topn);
  free(s->chosen);
  memset(s, 0, sizeof(*s));
}

void mctop_series_begin(mctop_series_t *s, uint64_t gen, enum mctop_sort sort) {
  s->stamp = (uint32_t)gen + 1; /* stamps are never 0 */
  s->sort = sort;
  s->gen = gen;
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

/* The collapsed series called name, created if needed; -1 if full. */
static int32_t collapsed(mctop_series_t *s, const char *name) {
  uint64_t id = name_id(name);
  int32_t *idx = mctop_idtab_get(&s->coll_by_name, id);
  if (idx != NULL)
    return *idx;
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
  bool created;
  idx = mctop_idtab_put(&s->coll_by_name, id, 1, &created);
  if (idx == NULL)
    return -1;
  *idx = (int32_t)i;
  mctop_collapsed_t *c = &s->coll[i];
  memset(c, 0, sizeof(*c));
  c->used = true;
  snprintf(c->name, sizeof(c->name), "%s", name);
  return (int32_t)i;
}

static int32_t classify(mctop_series_t *s, uint64_t id, mctop_name_fn names,
                        void *ctx) {
  if (s->policy->rules_num == 0)
    return SERIES_OWN;
  struct mctop_key key;
  if (names(ctx, id, &key) != 0 || key.len > MCTOP_KEY_MAX)
    return SERIES_UNNAMED; /* inserted this instant: next interval */
  char name[MCTOP_KEYNAME_SIZE];
  if (mctop_key_classify(s->policy, key.data, key.len, name) < 0)
    return SERIES_OWN;
  int32_t idx = collapsed(s, name);
  if (idx < 0) {
    if (!s->collapsed_full_said)
      MCTOP_WARNING("%d collapsed series are tracked: keys of further ones "
                    "are counted in \"other\"; make the KeyPattern/KeyPrefix "
                    "rules coarser",
                    MCTOP_COLLAPSED_MAX);
    s->collapsed_full_said = true;
    return SERIES_OVERFLOW;
  }
  s->coll[idx].members++;
  return idx;
}

/* True if series id was sent for its activity in the interval before this
 * one: idle now, it is sent once more (see series.h), in room TopKeys
 * leaves. */
static bool sent_last_interval(const mctop_series_t *s, uint64_t id) {
  const uint32_t *last = mctop_idtab_get(&s->known, id);
  return last != NULL && *last + 1 == s->stamp;
}

void mctop_series_take_key(mctop_series_t *s, uint64_t id,
                           const struct mctop_key_stats *stats,
                           mctop_name_fn names, void *names_ctx) {
  bool created;
  key_state_t *k = mctop_idtab_put(&s->keys, id, s->stamp, &created);
  if (k == NULL)
    return; /* no memory: this key's interval is counted in "other" */
  if (created || k->series == SERIES_UNNAMED)
    k->series = classify(s, id, names, names_ctx);

  mctop_candidate_t c = {.id = id, .series = k->series};
  uint64_t cur[F];
  mctop_key_values(stats, cur);
  /* A key deleted from the maps was forgotten (mctop_series_forget_key), so
   * one that comes back starts from a zeroed state, like its counters. */
  for (size_t f = 0; f < F; f++)
    c.delta[f] = advance(k, f, cur[f]);
  /* Latency is kept per generation by the kernel (struct mctop_rank):
   * the finished generation's slot is the interval's. */
  const struct mctop_rank *r = &stats->rank[s->gen & 1];
  if (r->gen == s->gen) {
    c.lat_count = r->lat_count;
    c.lat_ns = r->lat_ns;
  }
  s->lat_count_all += c.lat_count;
  s->lat_ns_all += c.lat_ns;
  uint64_t score = s->sort == MCTOP_SORT_LATENCY
                       ? c.lat_ns
                       : mctop_key_score(s->sort, c.delta);
  c.score = score;

  if (k->series >= 0) {
    mctop_collapsed_t *col = &s->coll[k->series];
    for (size_t f = 0; f < F; f++) {
      if (!mctop_key_field_is_level(f)) {
        col->delta[f] += c.delta[f];
        col->acc[f] += c.delta[f];
      } else if (score > 0 && cur[f] > col->delta[f]) {
        col->delta[f] = cur[f]; /* the largest among active members */
      }
    }
    col->score += score;
    col->lat_count += c.lat_count;
    col->lat_ns += c.lat_ns;
    if (score > 0)
      col->last_active = s->stamp;
    return;
  }
  /* A key whose rules could not run yet (its name was not readable) is
   * never offered under its own name: a rule may collapse it (session
   * tokens that must not leave the host).  Its interval goes to "other";
   * the next interval classifies it. */
  if (k->series == SERIES_OVERFLOW || k->series == SERIES_UNNAMED)
    return;
  if (score == 0) {
    if (!sent_last_interval(s, id))
      return;
    c.linger = true;
  }
  c.stats = *stats;
  mctop_topn_offer(&s->topn, &c);
}

static void leave_collapsed(mctop_series_t *s, int32_t series) {
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

void mctop_series_forget_key(mctop_series_t *s, uint64_t id) {
  key_state_t *k = mctop_idtab_get(&s->keys, id);
  if (k == NULL)
    return;
  leave_collapsed(s, k->series);
  mctop_idtab_remove(&s->keys, id);
}

static void key_gone(void *payload, void *arg) {
  leave_collapsed(arg, ((key_state_t *)payload)->series);
}

void mctop_series_pick(mctop_series_t *s) {
  /* Keys not read this interval are gone from the kernel map. */
  mctop_idtab_sweep(&s->keys, s->stamp, key_gone, s);
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

void mctop_series_dispatched(mctop_series_t *s, const mctop_candidate_t *c) {
  if (!c->linger) {
    bool created;
    uint32_t *last = mctop_idtab_put(&s->known, c->id, s->stamp, &created);
    if (last != NULL)
      *last = s->stamp;
  }
  s->lat_count_sent += c->lat_count;
  s->lat_ns_sent += c->lat_ns;
  for (size_t f = 0; f < F; f++)
    if (!mctop_key_field_is_level(f))
      s->dispatched[f] += c->delta[f];
}

static double mean_seconds(uint64_t count, uint64_t ns) {
  return count ? (double)ns / (double)count / 1e9 : NAN;
}

double mctop_series_latency(const mctop_series_t *s,
                            const mctop_candidate_t *c) {
  (void)s;
  return mean_seconds(c->lat_count, c->lat_ns);
}

void mctop_series_end(mctop_series_t *s, const struct mctop_totals *totals,
                      uint64_t other[F], double *latency) {
  *latency = mean_seconds(s->lat_count_all - s->lat_count_sent,
                          s->lat_ns_all - s->lat_ns_sent);
  uint64_t tot[F];
  mctop_totals_values(totals, tot);
  for (size_t f = 0; f < F; f++) {
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
  if (s->stamp > MCTOP_KNOWN_GENERATIONS)
    mctop_idtab_sweep(&s->known, s->stamp - MCTOP_KNOWN_GENERATIONS, NULL,
                      NULL);
}

void mctop_series_values(const mctop_series_t *s, const mctop_candidate_t *c,
                         uint64_t out[F]) {
  if (c->series < 0) {
    mctop_key_values(&c->stats, out);
    return;
  }
  const mctop_collapsed_t *col = &s->coll[c->series];
  for (size_t f = 0; f < F; f++)
    out[f] = mctop_key_field_is_level(f) ? col->delta[f] : col->acc[f];
}

size_t mctop_series_bytes(const mctop_series_t *s) {
  return mctop_idtab_bytes(&s->keys) + mctop_idtab_bytes(&s->known) +
         mctop_idtab_bytes(&s->coll_by_name) + s->coll_cap * sizeof(*s->coll) +
         s->topn.cap * sizeof(*s->topn.items);
}
